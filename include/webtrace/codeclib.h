/* codeclib: zlib, libbrotli and libzstd, loaded on first use as the TLS
 * module and libpcap are, so a fetch that decodes nothing maps none of
 * them; and the one-shot encoders webtrace serve answers /gzip, /br... with.
 * Holds no state but the loaded libraries; prints nothing. */
#ifndef WEBTRACE_CODECLIB_H
#define WEBTRACE_CODECLIB_H

#include <stddef.h>
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

struct wt_zlib {
    int (*inflateInit2_)(z_streamp strm, int window_bits, const char *version, int stream_size);
    int (*inflate)(z_streamp strm, int flush);
    int (*inflateEnd)(z_streamp strm);
    int (*deflateInit2_)(z_streamp strm, int level, int method, int window_bits, int mem_level,
                         int strategy, const char *version, int stream_size);
    int (*deflate)(z_streamp strm, int flush);
    int (*deflateEnd)(z_streamp strm);
    uLong (*deflateBound)(z_streamp strm, uLong source_len);
    const char *(*zlibVersion)(void);   /* for --version */
};

struct wt_brotli {
    BrotliDecoderState *(*create)(brotli_alloc_func alloc, brotli_free_func free_fn, void *opaque);
    BrotliDecoderResult (*decompress_stream)(BrotliDecoderState *s, size_t *avail_in,
                                             const uint8_t **next_in, size_t *avail_out,
                                             uint8_t **next_out, size_t *total_out);
    BrotliDecoderErrorCode (*error_code)(const BrotliDecoderState *s);
    const char *(*error_string)(BrotliDecoderErrorCode c);
    void (*destroy)(BrotliDecoderState *s);
    uint32_t (*version)(void);          /* for --version: major << 24 | minor << 12 | patch */
    /* libbrotlienc, a separate library: loaded only by wt_brotlienc() */
    size_t (*max_compressed_size)(size_t input_size);
    int (*compress)(int quality, int lgwin, BrotliEncoderMode mode, size_t input_size,
                    const uint8_t *input, size_t *encoded_size, uint8_t *encoded);
};

struct wt_zstd {
    ZSTD_DStream *(*create_dstream)(void);
    size_t (*free_dstream)(ZSTD_DStream *s);
    size_t (*decompress_stream)(ZSTD_DStream *s, ZSTD_outBuffer *out, ZSTD_inBuffer *in);
    unsigned (*is_error)(size_t code);
    const char *(*error_name)(size_t code);
    size_t (*compress_bound)(size_t src_size);
    size_t (*compress)(void *dst, size_t dst_cap, const void *src, size_t src_size, int level);
    const char *(*version_string)(void);   /* for --version */
};

/* Each returns the loaded library's functions (loaded once per process),
 * or NULL with a sentence in err saying which package is missing. */
const struct wt_zlib *wt_zlib_load(char *err, size_t errlen);
const struct wt_brotli *wt_brotli_load(char *err, size_t errlen);
const struct wt_brotli *wt_brotlienc_load(char *err, size_t errlen);
const struct wt_zstd *wt_zstd_load(char *err, size_t errlen);

/* body compressed with one content coding ("gzip", "deflate" (zlib
 * format), "br", "zstd") into a new heap buffer *out. Returns 0, or -1
 * with a sentence in err (unknown coding, library missing, no memory). */
int wt_encode_body(const char *coding, const char *body, size_t len, char **out,
                   size_t *out_len, char *err, size_t errlen);

#endif
