/* url: parse and normalise what the user typed (URL, bare host, host:port)
 * into scheme, host, port and request target. International host names
 * become their xn-- form (idn), non-ASCII bytes of the target are
 * percent-encoded, as curl does. Pure: no DNS, no sockets; it rejects bad
 * input before any network activity. */
#ifndef WEBTRACE_URL_H
#define WEBTRACE_URL_H

#include <stddef.h>
#include <stdint.h>

#define WT_URL_MAX_LEN 8192   /* whole input, bytes */
/* The longest host accepted, without the final dot. RFC 1035 allows 253
 * bytes; as curl, a name of 254 or 255 goes to the resolver, which decides
 * (and fails with 6, not 3). */
#define WT_HOST_MAX_LEN 255
#define WT_DNS_HOST_MAX_LEN 253   /* RFC 1035 name length, without the final dot */
#define WT_LABEL_MAX_LEN 63   /* RFC 1035 label length */
#define WT_HOST_UNICODE_MAX 1024  /* an international name as typed (UTF-8), with its NUL */

enum wt_scheme { WT_SCHEME_HTTP, WT_SCHEME_HTTPS };

enum wt_host_kind {
    WT_HOST_NAME, /* needs a DNS lookup */
    WT_HOST_IPV4, /* dotted-quad literal */
    WT_HOST_IPV6  /* bracketed literal in the URL, stored without brackets */
};

enum wt_port_class {
    WT_PORT_WELL_KNOWN, /* 0-1023 */
    WT_PORT_REGISTERED, /* 1024-49151 (IANA "user ports") */
    WT_PORT_DYNAMIC     /* 49152-65535 (IANA dynamic/private, "ephemeral") */
};

struct wt_url {
    enum wt_scheme scheme;
    enum wt_host_kind host_kind;
    char host[WT_HOST_MAX_LEN + 2];  /* lower-cased name or literal, no brackets;
                                        an international name in its xn-- form */
    char host_unicode[WT_HOST_UNICODE_MAX];  /* that name as typed (UTF-8), else "" */
    uint16_t port;
    int port_explicit;               /* port given in the input */
    char *target;                    /* origin-form request target: "/path?query", heap */
    char *normalized;                /* "http://host[:port]/path?query", heap */
};

enum wt_url_status {
    WT_URL_OK = 0,
    WT_URL_BAD = -1,                 /* malformed: curl exit 3 */
    WT_URL_UNSUPPORTED_SCHEME = -2,  /* curl exit 1 */
    WT_URL_NO_MEMORY = -3            /* curl exit 27 */
};

/* Parses input into *out (which the caller later releases with
 * wt_url_clear). On failure writes one human sentence into err
 * (NUL-terminated, truncated to errlen) and leaves *out cleared. */
enum wt_url_status wt_url_parse(const char *input, struct wt_url *out,
                                char *err, size_t errlen);
void wt_url_clear(struct wt_url *url);

/* Resolves a reference (a Location header's value, raw bytes, ref_len of
 * them) against an absolute base URL as RFC 3986 section 5.2 says (strict
 * parser: a reference with a scheme is absolute): relative paths merged,
 * dot segments removed, a query or fragment of the reference kept. As curl
 * does, spaces and bytes above 0x7e in the reference are percent-encoded
 * first, so a server's raw UTF-8 path still makes a request line. Pure.
 * Returns a heap string (the caller frees it), or NULL when out of memory
 * or the result would exceed WT_URL_MAX_LEN. */
char *wt_url_resolve(const char *base, const char *ref, size_t ref_len);

/* -O's file name: the last segment of the URL's path as typed (the query
 * and fragment cut off, nothing decoded), as curl takes it. Writes it into
 * out and returns its length, or 0 when there is none ("/", "/dir/", "..")
 * or it does not fit outlen. Pure. */
size_t wt_url_remote_name(const struct wt_url *url, char *out, size_t outlen);

/* "https" / "http" */
const char *wt_scheme_name(enum wt_scheme scheme);
uint16_t wt_scheme_default_port(enum wt_scheme scheme);
enum wt_port_class wt_port_classify(uint16_t port);
/* "well-known", "registered", "ephemeral" */
const char *wt_port_class_name(enum wt_port_class cls);

#endif
