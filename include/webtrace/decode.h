/* decode: undoes a response's Content-Encoding (gzip, deflate, br, zstd,
 * stacked up to five, as curl 7.88 accepts them) as a stream: body bytes
 * in, decoded bytes out through a callback, a chunk at a time, never the
 * whole body in memory. Follows curl 7.88's outcomes (exit codes below).
 * Pure: no sockets, no printing. */
#ifndef WEBTRACE_DECODE_H
#define WEBTRACE_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* curl 7.88 refuses a response with more content codings than this
 * (identity counts): a stack is a memory and CPU multiplier. */
#define WT_DECODE_MAX_STACK 5
/* Decoded bytes handed on per call: the memory a stage holds for output. */
#define WT_DECODE_CHUNK (16 * 1024)
/* What --compressed asks for, as curl 7.88 with all four libraries. */
#define WT_DECODE_ACCEPT "deflate, gzip, br, zstd"
/* The codings' names as the narration and NDJSON show them, joined. */
#define WT_DECODE_NAMES_MAX 64

enum wt_coding {
    WT_CODING_IDENTITY,   /* "identity", "none": nothing to undo */
    WT_CODING_GZIP,       /* "gzip", "x-gzip": gzip, or zlib as curl also accepts */
    WT_CODING_DEFLATE,    /* zlib format, or raw deflate as curl tolerates */
    WT_CODING_BR,
    WT_CODING_ZSTD,
    WT_CODING_UNKNOWN,    /* refused (61) once a body byte arrives, as curl */
};

/* The coding a Content-Encoding token names (case-insensitive). */
enum wt_coding wt_coding_of(const char *name, size_t len);

/* Where decoded bytes go; returns 0 or an exit code that stops decoding. */
typedef int (*wt_decode_sink)(void *ctx, const char *data, size_t len);

struct wt_decoder;

/* NULL on ENOMEM. Nothing is loaded or allocated for a coding until its
 * first byte. */
struct wt_decoder *wt_decoder_new(wt_decode_sink sink, void *ctx);
void wt_decoder_free(struct wt_decoder *d);

/* One Content-Encoding header's value; several headers stack in order.
 * Empty list items are skipped, as curl does. */
void wt_decoder_add_header(struct wt_decoder *d, const char *value, size_t len);
/* Some coding must be undone (not only identity). */
int wt_decoder_active(const struct wt_decoder *d);
/* The codings as listed ("gzip", "br, gzip"), identity left out. */
const char *wt_decoder_names(const struct wt_decoder *d);

/* Body bytes as received. Returns 0, or the exit code as curl 7.88 gives
 * it: 61 for an unknown coding, corrupt data or too many codings, 23 for
 * bytes after the end of a gzip, deflate or br stream, 27 out of memory,
 * or whatever the sink returned. */
int wt_decoder_write(struct wt_decoder *d, const char *data, size_t len);
/* The body ended. Returns 0 or the pending error (too many codings with an
 * empty body). A stream cut short is not an error (curl 7.88 exits 0):
 * wt_decoder_truncated says so. */
int wt_decoder_finish(struct wt_decoder *d);
int wt_decoder_truncated(const struct wt_decoder *d);

const char *wt_decoder_error(const struct wt_decoder *d);
uint64_t wt_decoder_bytes_in(const struct wt_decoder *d);
uint64_t wt_decoder_bytes_out(const struct wt_decoder *d);

#endif
