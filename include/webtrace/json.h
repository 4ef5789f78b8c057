/* json: a small streaming JSON writer over a FILE. Strings pass through
 * wt_escape_json, so any bytes (network data included) come out as valid
 * UTF-8 JSON. Keys are ours (ASCII). */
#ifndef WEBTRACE_JSON_H
#define WEBTRACE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Our documents have a fixed shape a few levels deep; nesting past this is
 * a programming error, caught by an assertion. */
#define WT_JSON_MAX_DEPTH 64

struct wt_json {
    FILE *out;
    int depth;
    uint64_t has_items; /* bit d: the container at depth d has an item */
};

void wt_json_init(struct wt_json *j, FILE *out);
/* key is NULL inside arrays and at the top level. */
void wt_json_object_begin(struct wt_json *j, const char *key);
void wt_json_object_end(struct wt_json *j);
void wt_json_array_begin(struct wt_json *j, const char *key);
void wt_json_array_end(struct wt_json *j);
/* s NULL writes null. */
void wt_json_string(struct wt_json *j, const char *key, const char *s, size_t len);
void wt_json_cstring(struct wt_json *j, const char *key, const char *s);
void wt_json_int(struct wt_json *j, const char *key, int64_t value);
void wt_json_bool(struct wt_json *j, const char *key, int value);
void wt_json_null(struct wt_json *j, const char *key);
/* Microseconds written as seconds with six decimals, as curl's -w does. */
void wt_json_seconds(struct wt_json *j, const char *key, int64_t us);
/* Milliseconds with three decimals (HAR timings); us < 0 writes -1. */
void wt_json_millis(struct wt_json *j, const char *key, int64_t us);

/* Escaped JSON string body of (s, len) straight to out (no quotes). */
void wt_json_write_escaped(FILE *out, const char *s, size_t len);

#endif
