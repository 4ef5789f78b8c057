#include "webtrace/json.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/escape.h"

#define ESCAPE_CHUNK 1024   /* input bytes escaped per step */

void wt_json_init(struct wt_json *j, FILE *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
}

void wt_json_write_escaped(FILE *out, const char *s, size_t len)
{
    char buf[WT_ESCAPE_JSON_MAX(ESCAPE_CHUNK)];
    while (len > 0) {
        size_t take = len > ESCAPE_CHUNK ? ESCAPE_CHUNK : len;
        /* Never cut a UTF-8 sequence between two chunks: back off to a
         * lead byte (at most 3 continuation bytes). */
        if (take < len) {
            size_t back = 0;
            while (back < 3 && back + 1 < take &&
                   ((unsigned char)s[take - back] & 0xc0) == 0x80)
                back++;
            if (((unsigned char)s[take - back] & 0xc0) != 0x80)
                take -= back;
        }
        wt_escape_json(s, take, buf, sizeof buf);
        fputs(buf, out);
        s += take;
        len -= take;
    }
}

static void separator(struct wt_json *j, const char *key)
{
    uint64_t bit = UINT64_C(1) << j->depth;

    if (j->has_items & bit)
        fputc(',', j->out);
    j->has_items |= bit;
    if (key) {
        fputc('"', j->out);
        wt_json_write_escaped(j->out, key, strlen(key));
        fputs("\":", j->out);
    }
}

static void open_container(struct wt_json *j, const char *key, int c)
{
    separator(j, key);
    fputc(c, j->out);
    assert(j->depth + 1 < WT_JSON_MAX_DEPTH);
    if (j->depth + 1 < WT_JSON_MAX_DEPTH)
        j->depth++;
    j->has_items &= ~(UINT64_C(1) << j->depth);
}

static void close_container(struct wt_json *j, int c)
{
    fputc(c, j->out);
    if (j->depth > 0)
        j->depth--;
}

void wt_json_object_begin(struct wt_json *j, const char *key) { open_container(j, key, '{'); }
void wt_json_object_end(struct wt_json *j) { close_container(j, '}'); }
void wt_json_array_begin(struct wt_json *j, const char *key) { open_container(j, key, '['); }
void wt_json_array_end(struct wt_json *j) { close_container(j, ']'); }

void wt_json_string(struct wt_json *j, const char *key, const char *s, size_t len)
{
    separator(j, key);
    if (!s) {
        fputs("null", j->out);
        return;
    }
    fputc('"', j->out);
    wt_json_write_escaped(j->out, s, len);
    fputc('"', j->out);
}

void wt_json_cstring(struct wt_json *j, const char *key, const char *s)
{
    wt_json_string(j, key, s, s ? strlen(s) : 0);
}

void wt_json_int(struct wt_json *j, const char *key, int64_t value)
{
    separator(j, key);
    fprintf(j->out, "%" PRId64, value);
}

void wt_json_bool(struct wt_json *j, const char *key, int value)
{
    separator(j, key);
    fputs(value ? "true" : "false", j->out);
}

void wt_json_null(struct wt_json *j, const char *key)
{
    separator(j, key);
    fputs("null", j->out);
}

void wt_json_seconds(struct wt_json *j, const char *key, int64_t us)
{
    separator(j, key);
    if (us < 0)
        us = 0;
    fprintf(j->out, "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
}

void wt_json_millis(struct wt_json *j, const char *key, int64_t us)
{
    separator(j, key);
    if (us < 0)
        fputs("-1", j->out);
    else
        fprintf(j->out, "%" PRId64 ".%03" PRId64, us / 1000, us % 1000);
}
