/* form: -F/--form and --form-string as curl 7.88 reads them, and the
 * multipart/form-data body they make (RFC 7578). Pure: the tool layer
 * reads the files a field names and hands their bytes in. */
#ifndef WEBTRACE_FORM_H
#define WEBTRACE_FORM_H

#include <stddef.h>
#include "webtrace/reqspec.h"

#define WT_FORM_MAX_PARTS 64            /* -F options in one request */
#define WT_FORM_MAX_PART_HEADERS 16     /* ;headers= of one part */
#define WT_FORM_TYPE_MAX 127            /* each half of ;type=major/minor, as curl */
#define WT_FORM_BOUNDARY_LEN 40         /* curl's: 24 dashes and 16 hex digits */

/* Where a part's content comes from. */
enum wt_form_source {
    WT_FORM_TEXT,       /* name=text, --form-string name=text */
    WT_FORM_FILE,       /* name=@file: a file upload, with a filename */
    WT_FORM_FILE_TEXT,  /* name=<file: the file's bytes as the value, no filename */
};

/* One -F argument as parsed: every string is a heap copy. */
struct wt_form_field {
    char *name;                  /* NULL: no name="..." (curl allows "=value") */
    enum wt_form_source source;
    char *value;                 /* the text, or the file's path ("-" is stdin) */
    char *type;                  /* ;type=, NULL when not given */
    char *filename;              /* ;filename=, NULL when not given */
    size_t n_headers;            /* ;headers= lines, in order */
    char *headers[WT_FORM_MAX_PART_HEADERS];
};

/* Parses one -F (literal 0) or --form-string (literal 1) argument. 0, or
 * -1 with err set (no '=', a bad ;type=, several files in one part, an
 * option curl has that webtrace does not, a cap reached, no memory). */
int wt_form_field_parse(const char *arg, int literal, struct wt_form_field *out, char *err,
                        size_t errlen);
void wt_form_field_clear(struct wt_form_field *f);

/* One part as sent, for the narration. */
struct wt_form_part {
    char *name;                  /* NULL: none */
    char *filename;              /* NULL: none */
    char *type;                  /* the Content-Type sent, NULL: none */
    enum wt_form_source source;
    size_t size;                 /* content bytes */
};

struct wt_form {
    char boundary[WT_FORM_BOUNDARY_LEN + 1];
    char *content_type;          /* the request's: multipart/form-data; boundary=... */
    const char *disposition;     /* of each part: "form-data", or curl's "attachment" */
    size_t n_parts;
    struct wt_form_part parts[WT_FORM_MAX_PARTS];
    struct wt_buf body;          /* the parts so far; closed by wt_form_finish */
};

/* boundary: WT_FORM_BOUNDARY_LEN characters (the caller makes it random,
 * see wt_form_boundary). custom_type: a -H Content-Type's value, or NULL;
 * curl sends it with the boundary appended, and unless it is
 * multipart/form-data names each part an "attachment". NULL on
 * allocation failure. */
struct wt_form *wt_form_new(const char *boundary, const char *custom_type);
void wt_form_free(struct wt_form *f);

/* curl's shape: 24 dashes, then 16 hex digits from random. */
void wt_form_boundary(const unsigned char random[8], char out[WT_FORM_BOUNDARY_LEN + 1]);

/* Appends one part with its content (the text, or the file's bytes).
 * 0, or -1: too many parts, the body over WT_REQSPEC_MAX_BODY, no memory. */
int wt_form_add(struct wt_form *f, const struct wt_form_field *field, const char *content,
                size_t len);
/* The closing boundary. 0 or -1 (no memory). */
int wt_form_finish(struct wt_form *f);

/* curl's guess from a file name's extension (.txt, .png, .html...), or
 * NULL. */
const char *wt_form_guess_type(const char *filename);

#endif
