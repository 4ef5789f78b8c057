/* proxy: which HTTP proxy a URL goes through (-x, --noproxy and the
 * environment, read as curl 7.88 reads it), and the bytes of a CONNECT
 * request and its answer. Pure: no sockets, no printing; the trace does the
 * talking and emits the events. */
#ifndef WEBTRACE_PROXY_H
#define WEBTRACE_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/url.h"

#define WT_PROXY_DEFAULT_PORT 1080          /* curl's, for a proxy given without one */
#define WT_PROXY_CREDENTIALS_MAX 512        /* user:password, decoded, with its NUL */
#define WT_PROXY_REPLY_HEAD_MAX (16 * 1024) /* a CONNECT answer's head: more is refused */
#define WT_PROXY_SPEC_MAX 300               /* "http://host:port" as the narration shows it */

/* A proxy as -x or an environment variable names it. */
struct wt_proxy {
    char host[WT_HOST_MAX_LEN + 2];  /* lower-cased, no brackets */
    enum wt_host_kind host_kind;
    uint16_t port;
    char credentials[WT_PROXY_CREDENTIALS_MAX];  /* "user:password", "" for none */
};

/* Parses "[http://][user:password@]host[:port][/]". Returns 0, or curl's
 * exit code with one sentence in err: 5 for what is not a proxy address
 * ("Unsupported proxy syntax"), 7 for a scheme curl does not know, 1 for
 * one webtrace does not speak (socks, https). */
int wt_proxy_parse(const char *text, struct wt_proxy *out, char *err, size_t errlen);

/* curl's --noproxy / NO_PROXY matching (7.88): the list "*" alone matches
 * every host; otherwise each comma- or space-separated entry matches a
 * name equal to it or ending in "." + it (a leading dot and a trailing
 * dot are ignored, case does not matter), and an IP address matches
 * itself, or an IPv4 network written with /BITS (1 to 32). host is the
 * URL's host without brackets. */
int wt_proxy_noproxy_match(const char *host, const char *list);

/* What the command line says (NULL: not given). */
struct wt_proxy_options {
    const char *proxy;               /* -x/--proxy; "" turns every proxy off */
    const char *noproxy;             /* --noproxy LIST; "" matches nothing */
    const char *proxy_user;          /* -U/--proxy-user USER:PASSWORD */
    int tunnel;                      /* -p/--proxytunnel */
};

/* The proxy a URL goes through, or why none. */
struct wt_proxy_choice {
    int use;                         /* 1: through proxy */
    struct wt_proxy proxy;
    char spec[WT_PROXY_SPEC_MAX];    /* the proxy as written, credentials left out */
    const char *source;              /* "-x/--proxy" or the variable's name */
    int tunnel;                      /* CONNECT first: https, or -p */
    /* use 0 with bypass_source set: a proxy was configured but this host
     * is in the no-proxy list named there ("--noproxy", "no_proxy", ...) */
    const char *bypass_source;
    const char *bypass_list;
};

/* Chooses as curl 7.88 does: -x (empty: none), else for http://
 * http_proxy (lower case only: HTTP_PROXY may be set by a CGI
 * server from a request's Proxy: header), for https:// https_proxy then
 * HTTPS_PROXY; then all_proxy, ALL_PROXY. --noproxy, else no_proxy, else
 * NO_PROXY, can then send the URL direct, -x's proxy too; a variable set
 * to "" counts as unset, as curl_getenv has it. env is getenv
 * (a test passes its own). Returns 0, or an exit code with one sentence
 * in err (the proxy does not parse). */
int wt_proxy_choose(const struct wt_url *url, const struct wt_proxy_options *opt,
                    const char *(*env)(const char *name), struct wt_proxy_choice *out,
                    char *err, size_t errlen);

/* "user:password" as "Basic base64": out holds
 * WT_PROXY_AUTH_MAX bytes. */
#define WT_PROXY_AUTH_MAX (6 + 4 * ((WT_PROXY_CREDENTIALS_MAX + 2) / 3) + 1)
void wt_proxy_basic(const char *credentials, char *out);

/* The CONNECT request as curl 7.88 sends it: CONNECT host:port HTTP/1.1,
 * Host, Proxy-Authorization (with credentials), User-Agent (unless
 * user_agent is ""), Proxy-Connection: Keep-Alive. Returns the heap
 * text (NUL-terminated) or NULL; *n_headers counts its header lines. */
char *wt_proxy_connect_request(const char *host, enum wt_host_kind kind, uint16_t port,
                               const char *credentials, const char *user_agent, size_t *len,
                               size_t *n_headers);

/* Looks for the end of a CONNECT answer's head in buf. Returns its length
 * (the empty line included), 0 when more bytes are needed, -1 when it is
 * not an HTTP/1.x status line or exceeds WT_PROXY_REPLY_HEAD_MAX. On a
 * complete head, *status and the reason (a span of buf) are filled. */
long wt_proxy_reply_head(const char *buf, size_t len, int *status, const char **reason,
                         size_t *reason_len);

#endif
