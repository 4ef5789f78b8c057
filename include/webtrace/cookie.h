/* cookie: a small cookie engine as curl 7.88's: Set-Cookie parsing
 * (Domain, Path, Expires, Max-Age, Secure, HttpOnly), domain and path
 * matching, expiry, the Netscape cookie file read and written. Pure: no
 * files, no sockets, no clock (the caller passes "now" in Unix seconds). */
#ifndef WEBTRACE_COOKIE_H
#define WEBTRACE_COOKIE_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/reqspec.h"

#define WT_COOKIE_MAX 512            /* cookies kept in one jar; more are refused */
#define WT_COOKIE_MAX_LINE 8190      /* one Set-Cookie or file line, as curl's cap */
#define WT_COOKIE_MAX_NAME_VALUE 4096  /* name and value together (RFC 6265 §6.1) */
#define WT_COOKIE_MAX_SENT 150       /* cookies in one request, as curl's cap */

struct wt_cookie {
    char *name;
    char *value;
    char *domain;        /* lower case, no leading dot; NULL: any host (a header file) */
    char *path;
    int host_only;       /* no Domain attribute: only this exact host */
    int secure;          /* only over https (or to localhost, as curl) */
    int http_only;
    int64_t expires;     /* Unix seconds; 0: a session cookie */
};

struct wt_cookie_jar {
    size_t n;
    struct wt_cookie *cookies[WT_COOKIE_MAX];
};

/* What happened to one Set-Cookie. */
enum wt_cookie_action {
    WT_COOKIE_STORED,
    WT_COOKIE_REPLACED,  /* same name, domain and path: the new one wins */
    WT_COOKIE_DELETED,   /* it arrived already expired: the old one is gone */
    WT_COOKIE_REJECTED,  /* see the reason */
    WT_COOKIE_SENT,      /* in a request's Cookie header */
};

struct wt_cookie_jar *wt_cookie_jar_new(void);
void wt_cookie_jar_free(struct wt_cookie_jar *jar);

/* A Set-Cookie value received from host (no brackets; NULL for a line of
 * a cookie file) for path (the request target, query allowed).
 * secure_origin: https, or localhost as curl counts it. Returns the
 * action; *stored points at the jar's cookie for STORED and REPLACED, else
 * NULL; *reason is an N_() sentence for REJECTED; the cookie's name (as
 * far as it was read) goes into name. */
enum wt_cookie_action wt_cookie_set(struct wt_cookie_jar *jar, const char *header, size_t len,
                                    const char *host, const char *path, int secure_origin,
                                    int64_t now, const struct wt_cookie **stored,
                                    const char **reason, char *name, size_t name_len);

/* A cookie file as curl reads it: Netscape lines (7 tab-separated
 * fields, "#HttpOnly_" prefix), or "Set-Cookie:" header lines; other lines
 * are ignored. Expired cookies are dropped. Returns the number kept. */
size_t wt_cookie_load(struct wt_cookie_jar *jar, const char *text, size_t len, int64_t now);

/* The cookies to send to host and path, in curl's order (longest path
 * first), matching indexes into jar->cookies written to sent[] (up to
 * max_sent). Returns how many matched. */
size_t wt_cookie_select(const struct wt_cookie_jar *jar, const char *host, const char *path,
                        int secure_origin, int64_t now, size_t *sent, size_t max_sent);

/* The Cookie header's value: the selected cookies as name=value joined by
 * "; ", then extra (-b's strings) when not NULL. NULL when empty or out of
 * memory. */
char *wt_cookie_header(const struct wt_cookie_jar *jar, const size_t *sent, size_t n_sent,
                       const char *extra);

/* The jar in curl's Netscape format, its header lines first; expired
 * cookies left out. 0 or -1 (no memory). */
int wt_cookie_write(const struct wt_cookie_jar *jar, int64_t now, struct wt_buf *out);

/* RFC 6265 §5.1.3 and §5.1.4, as curl: exported for the tests. */
int wt_cookie_domain_match(const struct wt_cookie *c, const char *host);
int wt_cookie_path_match(const char *cookie_path, const char *request_path);

/* HTTP dates as in Expires (RFC 1123, RFC 850, asctime, and the dashed
 * forms browsers accept) to Unix seconds; -1 when unreadable. */
int64_t wt_cookie_parse_date(const char *s, size_t len);

/* localhost, 127.0.0.1 and ::1 count as secure, as in curl 7.88. */
int wt_cookie_secure_host(const char *host);

#endif
