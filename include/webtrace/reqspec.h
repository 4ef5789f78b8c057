/* reqspec: what the command line asks to send (method, header edits, body)
 * and the pure builders that turn curl's options into those bytes: -H
 * edits, -d joining, --data-urlencode, -u's Basic credentials. Reads no
 * files and touches no network: the tool layer hands it the bytes. */
#ifndef WEBTRACE_REQSPEC_H
#define WEBTRACE_REQSPEC_H

#include <stddef.h>
#include <stdint.h>

struct wt_form;
struct wt_cookie_jar;

#define WT_REQSPEC_MAX_HEADERS 128              /* -H lines, @file lines included */
#define WT_REQSPEC_MAX_HEADER_LEN (16 * 1024)   /* one -H line */
#define WT_REQSPEC_MAX_BODY (64 * 1024 * 1024)  /* joined -d/--json data */
/* curl 7.88's EXPECT_100_THRESHOLD: a POST body larger than this asks for
 * 100 Continue first; an upload (-T) always does. */
#define WT_REQSPEC_EXPECT_100_THRESHOLD (1024 * 1024)

/* How one -d-like argument becomes body bytes (curl's rules). */
enum wt_data_kind {
    WT_DATA_ASCII,      /* -d/--data: as given; from a file without CR and LF */
    WT_DATA_BINARY,     /* --data-binary, --data-raw: exactly as given */
    WT_DATA_URLENCODE,  /* --data-urlencode: [name]=content, content encoded */
    WT_DATA_JSON,       /* --json: exactly as given, concatenated, JSON headers */
};

/* A growable byte buffer; always NUL-terminated after the bytes. */
struct wt_buf {
    char *data;
    size_t len;
    size_t cap;
};

int wt_buf_append(struct wt_buf *b, const char *data, size_t len);
void wt_buf_free(struct wt_buf *b);

struct wt_reqspec {
    const char *method;           /* -X: sent as given; NULL: from the rest */
    int head;                     /* -I: HEAD, the response has no body */
    int get;                      /* -G: the data goes into the query */
    const char *user_agent;       /* -A; NULL: the default; "": none sent */
    const char *referer;          /* -e */
    char *authorization;          /* "Basic ..." from -u (heap) */
    size_t n_headers;             /* -H lines as typed, in order (heap copies) */
    char *headers[WT_REQSPEC_MAX_HEADERS];
    int has_body;                 /* some -d/--json was given, maybe empty */
    int json;                     /* --json was given */
    int compressed;               /* --compressed: Accept-Encoding is sent */
    const char *range;            /* -r: Range: bytes=RANGE (digits alone get a '-') */
    int64_t resume_from;          /* -C: Range: bytes=N-, the body appended; wins over -r */
    struct wt_buf body;
    struct wt_form *form;         /* -F: its parts (the body holds the bytes) */
    char *cookie;                 /* -b NAME=VALUE strings, joined by "; " (heap) */
    struct wt_cookie_jar *jar;    /* the cookie engine (-b FILE, -c); NULL: off */
    const char *cookie_header;    /* this hop's Cookie value; set per request, not owned */
    int upload;                   /* -T: PUT the body, no Content-Type */
    int chunked;                  /* -T -: the body is chunk-encoded already, length unknown */
    char *upload_name;            /* -T FILE's name, percent-encoded: for a URL ending in / */
};

/* NULL on allocation failure. */
struct wt_reqspec *wt_reqspec_new(void);
void wt_reqspec_free(struct wt_reqspec *s);

/* One -H line: "Name: value" adds (or replaces a header webtrace would
 * send), "Name:" removes it, "Name;" sends it empty. Returns 0, or -1 when
 * the line is not a header (no ':' or ';' after a name, CR or LF inside)
 * or a cap is reached; err says why. */
int wt_reqspec_add_header(struct wt_reqspec *s, const char *line, size_t len, char *err,
                          size_t errlen);

/* One piece of data, already read from its file when it was @file;
 * from_file tells -d to drop CR and LF as curl does. 0 or -1 (too large or
 * out of memory). Pieces are joined with '&', --json pieces with nothing. */
int wt_reqspec_add_data(struct wt_reqspec *s, enum wt_data_kind kind, const char *data,
                        size_t len, int from_file);

/* -u user:password as Basic credentials. 0 or -1 (out of memory). */
int wt_reqspec_set_user(struct wt_reqspec *s, const char *userpwd);

/* Appends data percent-encoded as curl's --data-urlencode does: the
 * unreserved characters stay, a space becomes '+', the rest %XX. */
int wt_urlencode_append(struct wt_buf *b, const char *data, size_t len);

/* base64 of data into out (NUL-terminated); out needs 4*ceil(len/3)+1. */
void wt_base64(const unsigned char *data, size_t len, char *out);

/* The header names webtrace itself may send, as -H sees them: a custom
 * header with one of these names replaces it, "Name:" removes it. */
enum wt_reqspec_edit {
    WT_EDIT_NONE,       /* not mentioned: webtrace sends its own */
    WT_EDIT_REPLACED,   /* a -H line gives the value */
    WT_EDIT_REMOVED,    /* "Name:" */
};
enum wt_reqspec_edit wt_reqspec_edit_of(const struct wt_reqspec *s, const char *name);

/* -T FILE to a URL whose path ends in '/': the file's name goes there,
 * before any query, as curl does. target is replaced. 0 or -1 (no memory). */
int wt_reqspec_upload_target(const struct wt_reqspec *s, struct wt_buf *target);

/* Whether the body waits for 100 Continue (curl 7.88: any upload, a POST
 * body over the threshold); *add_header says webtrace sends the Expect
 * header itself. A -H Expect line decides instead: removed, no wait; with
 * 100-continue, a wait. */
int wt_reqspec_expect_100(const struct wt_reqspec *s, int *add_header);

#endif
