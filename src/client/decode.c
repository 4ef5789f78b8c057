#include "webtrace/decode.h"
#include "webtrace/codeclib.h"
#include "webtrace/escape.h"
#include "webtrace/exitcode.h"
#include "webtrace/i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A deflate body that is raw deflate, not zlib, shows in its first bytes
 * (the zlib header is two): that many are kept to be read again as raw. */
#define DEFLATE_SNIFF 16
/* curl 7.88 lets up to this many unknown bytes follow a raw deflate
 * stream (servers that append a zlib checksum to raw deflate). */
#define RAW_DEFLATE_TRAILER 4
#define TOKEN_MAX 24   /* an unknown coding's name, kept for the error */

struct stage {
    enum wt_coding coding;
    char token[TOKEN_MAX];      /* as listed, sanitised (unknown codings) */
    char *buf;                  /* WT_DECODE_CHUNK bytes of output, from the first input */
    int started;
    int ended;                  /* the stream's end marker was read */
    uint64_t fed;
    /* zlib (gzip, deflate) */
    z_stream z;
    int z_ready;
    int raw;                    /* deflate read as raw deflate */
    unsigned trailer_left;      /* bytes still tolerated after a raw stream */
    unsigned char sniff[DEFLATE_SNIFF];
    size_t sniff_len;
    uint64_t produced;
    /* br, zstd */
    BrotliDecoderState *br;
    ZSTD_DStream *zs;
};

struct wt_decoder {
    wt_decode_sink sink;
    void *ctx;
    size_t n;                   /* stages, in the order listed (applied) */
    size_t n_listed;            /* tokens seen, identity included */
    struct stage st[WT_DECODE_MAX_STACK];
    int code;                   /* the first error, sticky */
    int truncated;
    char error[256];
    char names[WT_DECODE_NAMES_MAX];
    uint64_t in, out;
    const struct wt_zlib *zl;
    const struct wt_brotli *bl;
    const struct wt_zstd *zd;
};

static const struct {
    const char *name;
    enum wt_coding coding;
} codings[] = {
    { "identity", WT_CODING_IDENTITY },
    { "none", WT_CODING_IDENTITY },
    { "gzip", WT_CODING_GZIP },
    { "x-gzip", WT_CODING_GZIP },
    { "deflate", WT_CODING_DEFLATE },
    { "br", WT_CODING_BR },
    { "zstd", WT_CODING_ZSTD },
};

static const char *const coding_names[] = {
    [WT_CODING_IDENTITY] = "identity", [WT_CODING_GZIP] = "gzip",
    [WT_CODING_DEFLATE] = "deflate",   [WT_CODING_BR] = "br",
    [WT_CODING_ZSTD] = "zstd",         [WT_CODING_UNKNOWN] = "?",
};

enum wt_coding wt_coding_of(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof codings / sizeof codings[0]; i++)
        if (strlen(codings[i].name) == len && strncasecmp(codings[i].name, name, len) == 0)
            return codings[i].coding;
    return WT_CODING_UNKNOWN;
}

struct wt_decoder *wt_decoder_new(wt_decode_sink sink, void *ctx)
{
    struct wt_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->sink = sink;
    d->ctx = ctx;
    return d;
}

void wt_decoder_free(struct wt_decoder *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        struct stage *st = &d->st[i];
        if (st->z_ready)
            d->zl->inflateEnd(&st->z);
        if (st->br)
            d->bl->destroy(st->br);
        if (st->zs)
            d->zd->free_dstream(st->zs);
        free(st->buf);
    }
    free(d);
}

static int fail(struct wt_decoder *d, int code)
{
    if (!d->code)
        d->code = code;
    return d->code;
}

static void add_name(struct wt_decoder *d, const char *name)
{
    size_t used = strlen(d->names);
    snprintf(d->names + used, sizeof d->names - used, "%s%s", used ? ", " : "", name);
}

void wt_decoder_add_header(struct wt_decoder *d, const char *value, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
            i++;
        size_t start = i;
        while (i < len && value[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
            end--;
        if (end == start)
            continue;
        if (++d->n_listed > WT_DECODE_MAX_STACK) {
            if (!d->code)
                wt_errf(d->error, sizeof d->error,
                        "the response lists more than %d content codings: refused, as curl does",
                        WT_DECODE_MAX_STACK);
            fail(d, WT_EXIT_BAD_CONTENT_ENCODING);
            return;
        }
        struct stage *st = &d->st[d->n++];
        st->coding = wt_coding_of(value + start, end - start);
        size_t n = end - start < TOKEN_MAX - 1 ? end - start : TOKEN_MAX - 1;
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)value[start + k];
            st->token[k] = c > 0x20 && c < 0x7f ? (char)c : '?';
        }
        if (st->coding == WT_CODING_UNKNOWN)
            add_name(d, st->token);
        else if (st->coding != WT_CODING_IDENTITY)
            add_name(d, coding_names[st->coding]);
    }
}

int wt_decoder_active(const struct wt_decoder *d)
{
    return d->names[0] != '\0' || d->code != 0;
}

const char *wt_decoder_names(const struct wt_decoder *d)
{
    return d->names;
}

static int pass(struct wt_decoder *d, size_t i, const char *data, size_t len);

/* Bytes after the end of a stream: curl 7.88 stops with 23 there. */
static int trailing(struct wt_decoder *d, struct stage *st, size_t extra)
{
    if (st->raw && extra <= st->trailer_left) {
        st->trailer_left -= (unsigned)extra;
        return 0;
    }
    wt_errf(d->error, sizeof d->error,
            "bytes follow the end of the %s stream: refused with curl's exit code 23",
            coding_names[st->coding]);
    return fail(d, WT_EXIT_WRITE_ERROR);
}

static int load_libs(struct wt_decoder *d, struct stage *st)
{
    char why[200];
    switch (st->coding) {
    case WT_CODING_GZIP:
    case WT_CODING_DEFLATE:
        if (!d->zl && !(d->zl = wt_zlib_load(why, sizeof why)))
            break;
        return 0;
    case WT_CODING_BR:
        if (!d->bl && !(d->bl = wt_brotli_load(why, sizeof why)))
            break;
        return 0;
    case WT_CODING_ZSTD:
        if (!d->zd && !(d->zd = wt_zstd_load(why, sizeof why)))
            break;
        return 0;
    default:
        return 0;
    }
    wt_errf(d->error, sizeof d->error, "the %1$s body cannot be decoded: %2$s",
            coding_names[st->coding], why);
    return fail(d, WT_EXIT_BAD_CONTENT_ENCODING);
}

static int zlib_init(struct wt_decoder *d, struct stage *st, int window_bits)
{
    memset(&st->z, 0, sizeof st->z);
    if (d->zl->inflateInit2_(&st->z, window_bits, ZLIB_VERSION, (int)sizeof st->z) != Z_OK) {
        wt_errf(d->error, sizeof d->error, "out of memory");
        return fail(d, WT_EXIT_OUT_OF_MEMORY);
    }
    st->z_ready = 1;
    return 0;
}

static int start(struct wt_decoder *d, struct stage *st)
{
    st->started = 1;
    if (load_libs(d, st))
        return d->code;
    if (!(st->buf = malloc(WT_DECODE_CHUNK))) {
        wt_errf(d->error, sizeof d->error, "out of memory");
        return fail(d, WT_EXIT_OUT_OF_MEMORY);
    }
    switch (st->coding) {
    case WT_CODING_GZIP:
        /* +32: a gzip or a zlib header, as curl reads "gzip" */
        return zlib_init(d, st, MAX_WBITS + 32);
    case WT_CODING_DEFLATE:
        return zlib_init(d, st, MAX_WBITS);
    case WT_CODING_BR:
        st->br = d->bl->create(NULL, NULL, NULL);
        break;
    case WT_CODING_ZSTD:
        st->zs = d->zd->create_dstream();
        break;
    default:
        return 0;
    }
    if (!st->br && !st->zs) {
        wt_errf(d->error, sizeof d->error, "out of memory");
        return fail(d, WT_EXIT_OUT_OF_MEMORY);
    }
    return 0;
}

static int inflate_chunk(struct wt_decoder *d, size_t i, const char *data, size_t len);

/* curl 7.88: a "deflate" body that is not zlib before any output is read
 * again from its start as raw deflate (servers that send it so). */
static int retry_raw(struct wt_decoder *d, size_t i, uint64_t fed_before, const char *data,
                     size_t len)
{
    struct stage *st = &d->st[i];
    d->zl->inflateEnd(&st->z);
    st->z_ready = 0;
    int rc = zlib_init(d, st, -MAX_WBITS);
    if (rc)
        return rc;
    st->raw = 1;
    st->trailer_left = RAW_DEFLATE_TRAILER;
    st->fed = 0;
    size_t skip = (size_t)(st->sniff_len - fed_before);
    rc = inflate_chunk(d, i, (const char *)st->sniff, st->sniff_len);
    if (rc == 0 && skip < len)
        rc = inflate_chunk(d, i, data + skip, len - skip);
    return rc;
}

static int inflate_chunk(struct wt_decoder *d, size_t i, const char *data, size_t len)
{
    struct stage *st = &d->st[i];
    uint64_t fed_before = st->fed;
    st->fed += len;
    if (st->coding == WT_CODING_DEFLATE && !st->raw && st->sniff_len < DEFLATE_SNIFF) {
        size_t n = DEFLATE_SNIFF - st->sniff_len < len ? DEFLATE_SNIFF - st->sniff_len : len;
        memcpy(st->sniff + st->sniff_len, data, n);
        st->sniff_len += n;
    }
    z_stream *z = &st->z;
    z->next_in = (Bytef *)data;
    z->avail_in = (uInt)len;
    for (;;) {
        z->next_out = (Bytef *)st->buf;
        z->avail_out = WT_DECODE_CHUNK;
        int zrc = d->zl->inflate(z, Z_NO_FLUSH);
        size_t produced = WT_DECODE_CHUNK - z->avail_out;
        if (zrc == Z_DATA_ERROR && st->coding == WT_CODING_DEFLATE && !st->raw &&
            st->produced == 0 && produced == 0 && fed_before <= st->sniff_len)
            return retry_raw(d, i, fed_before, data, len);
        if (produced) {
            st->produced += produced;
            int rc = pass(d, i, st->buf, produced);
            if (rc)
                return rc;
        }
        if (zrc == Z_STREAM_END) {
            st->ended = 1;
            return z->avail_in ? trailing(d, st, z->avail_in) : 0;
        }
        if (zrc == Z_OK || zrc == Z_BUF_ERROR) {
            if (z->avail_in == 0 && z->avail_out != 0)
                return 0;
            if (zrc == Z_BUF_ERROR && produced == 0)
                return 0;   /* no progress possible without more input */
            continue;
        }
        wt_errf(d->error, sizeof d->error, "the %1$s body cannot be decoded: %2$s (zlib)",
                coding_names[st->coding],
                zrc == Z_NEED_DICT ? "a preset dictionary is needed"
                : z->msg           ? z->msg
                                   : "corrupt data");
        return fail(d, zrc == Z_MEM_ERROR ? WT_EXIT_OUT_OF_MEMORY : WT_EXIT_BAD_CONTENT_ENCODING);
    }
}

static int brotli_chunk(struct wt_decoder *d, size_t i, const char *data, size_t len)
{
    struct stage *st = &d->st[i];
    const uint8_t *next_in = (const uint8_t *)data;
    size_t avail_in = len;
    for (;;) {
        uint8_t *next_out = (uint8_t *)st->buf;
        size_t avail_out = WT_DECODE_CHUNK;
        BrotliDecoderResult r =
            d->bl->decompress_stream(st->br, &avail_in, &next_in, &avail_out, &next_out, NULL);
        size_t produced = WT_DECODE_CHUNK - avail_out;
        if (produced) {
            int rc = pass(d, i, st->buf, produced);
            if (rc)
                return rc;
        }
        switch (r) {
        case BROTLI_DECODER_RESULT_SUCCESS:
            st->ended = 1;
            return avail_in ? trailing(d, st, avail_in) : 0;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
            return 0;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
            continue;
        default:
            break;
        }
        wt_errf(d->error, sizeof d->error, "the %1$s body cannot be decoded: %2$s (libbrotli)",
                "br", d->bl->error_string(d->bl->error_code(st->br)));
        return fail(d, WT_EXIT_BAD_CONTENT_ENCODING);
    }
}

static int zstd_chunk(struct wt_decoder *d, size_t i, const char *data, size_t len)
{
    struct stage *st = &d->st[i];
    ZSTD_inBuffer in = { data, len, 0 };
    for (;;) {
        ZSTD_outBuffer out = { st->buf, WT_DECODE_CHUNK, 0 };
        size_t r = d->zd->decompress_stream(st->zs, &out, &in);
        if (d->zd->is_error(r)) {
            wt_errf(d->error, sizeof d->error,
                    "the %1$s body cannot be decoded: %2$s (libzstd)", "zstd",
                    d->zd->error_name(r));
            return fail(d, WT_EXIT_BAD_CONTENT_ENCODING);
        }
        /* 0: a frame ended; another may follow, as libzstd reads them */
        st->ended = r == 0;
        if (out.pos) {
            int rc = pass(d, i, st->buf, out.pos);
            if (rc)
                return rc;
        }
        if (in.pos == in.size && out.pos < out.size)
            return 0;
    }
}

/* Hands len bytes to stage i-1's decoder (listed order is applied order:
 * the last listed is undone first), or to the sink after stage 0. */
static int pass(struct wt_decoder *d, size_t i, const char *data, size_t len)
{
    if (i == 0) {
        d->out += len;
        int rc = d->sink(d->ctx, data, len);
        return rc ? fail(d, rc) : 0;
    }
    i--;
    struct stage *st = &d->st[i];
    if (len == 0)
        return 0;
    if (st->coding == WT_CODING_IDENTITY)
        return pass(d, i, data, len);
    if (st->coding == WT_CODING_UNKNOWN) {
        wt_errf(d->error, sizeof d->error,
                "the content coding '%s' is not one webtrace decodes (deflate, gzip, br, zstd)",
                st->token);
        return fail(d, WT_EXIT_BAD_CONTENT_ENCODING);
    }
    if (st->ended && st->coding != WT_CODING_ZSTD)
        return trailing(d, st, len);
    if (!st->started && start(d, st))
        return d->code;
    switch (st->coding) {
    case WT_CODING_BR:
        return brotli_chunk(d, i, data, len);
    case WT_CODING_ZSTD:
        return zstd_chunk(d, i, data, len);
    default:
        return inflate_chunk(d, i, data, len);
    }
}

int wt_decoder_write(struct wt_decoder *d, const char *data, size_t len)
{
    if (d->code)
        return d->code;
    d->in += len;
    return pass(d, d->n, data, len);
}

int wt_decoder_finish(struct wt_decoder *d)
{
    if (d->code)
        return d->code;
    for (size_t i = 0; i < d->n; i++)
        if (d->st[i].started && !d->st[i].ended)
            d->truncated = 1;
    return 0;
}

int wt_decoder_truncated(const struct wt_decoder *d)
{
    return d->truncated;
}

const char *wt_decoder_error(const struct wt_decoder *d)
{
    return d->error;
}

uint64_t wt_decoder_bytes_in(const struct wt_decoder *d)
{
    return d->in;
}

uint64_t wt_decoder_bytes_out(const struct wt_decoder *d)
{
    return d->out;
}
