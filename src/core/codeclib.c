#include "webtrace/codeclib.h"
#include "webtrace/escape.h"
#include "webtrace/i18n.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/* Compression levels of serve's endpoints: the libraries' usual defaults. */
#define GZIP_LEVEL 6
#define BROTLI_QUALITY 5
#define ZSTD_LEVEL 3

struct symbol {
    void **slot;
    const char *name;
};

/* Opens the first of names that loads and fills every slot; the library
 * stays mapped for the process. Returns 0 or -1 with err. */
static int load(const char *const *names, size_t n_names, const char *package,
                struct symbol *syms, size_t n_syms, char *err, size_t errlen)
{
    void *lib = NULL;
    for (size_t i = 0; i < n_names && !lib; i++)
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        wt_errf(err, errlen, "%1$s cannot be loaded (install %2$s): %3$s", names[0], package,
                dlerror());
        return -1;
    }
    for (size_t i = 0; i < n_syms; i++) {
        *syms[i].slot = dlsym(lib, syms[i].name);
        if (!*syms[i].slot) {
            wt_errf(err, errlen, "%1$s has no %2$s (too old?)", names[0], syms[i].name);
            dlclose(lib);
            return -1;
        }
    }
    return 0;
}

#define N(a) (sizeof a / sizeof a[0])

const struct wt_zlib *wt_zlib_load(char *err, size_t errlen)
{
    static struct wt_zlib z;
    static int loaded;
    if (loaded)
        return &z;
    static const char *const names[] = { "libz.so.1", "libz.so" };
    struct symbol syms[] = {
        { (void **)&z.inflateInit2_, "inflateInit2_" },
        { (void **)&z.inflate, "inflate" },
        { (void **)&z.inflateEnd, "inflateEnd" },
        { (void **)&z.deflateInit2_, "deflateInit2_" },
        { (void **)&z.deflate, "deflate" },
        { (void **)&z.deflateEnd, "deflateEnd" },
        { (void **)&z.deflateBound, "deflateBound" },
        { (void **)&z.zlibVersion, "zlibVersion" },
    };
    if (load(names, N(names), "zlib1g", syms, N(syms), err, errlen) < 0)
        return NULL;
    loaded = 1;
    return &z;
}

static struct wt_brotli brotli;

const struct wt_brotli *wt_brotli_load(char *err, size_t errlen)
{
    static int loaded;
    if (loaded)
        return &brotli;
    static const char *const names[] = { "libbrotlidec.so.1", "libbrotlidec.so" };
    struct symbol syms[] = {
        { (void **)&brotli.create, "BrotliDecoderCreateInstance" },
        { (void **)&brotli.decompress_stream, "BrotliDecoderDecompressStream" },
        { (void **)&brotli.error_code, "BrotliDecoderGetErrorCode" },
        { (void **)&brotli.error_string, "BrotliDecoderErrorString" },
        { (void **)&brotli.destroy, "BrotliDecoderDestroyInstance" },
        { (void **)&brotli.version, "BrotliDecoderVersion" },
    };
    if (load(names, N(names), "libbrotli1", syms, N(syms), err, errlen) < 0)
        return NULL;
    loaded = 1;
    return &brotli;
}

const struct wt_brotli *wt_brotlienc_load(char *err, size_t errlen)
{
    static int loaded;
    if (loaded)
        return &brotli;
    static const char *const names[] = { "libbrotlienc.so.1", "libbrotlienc.so" };
    struct symbol syms[] = {
        { (void **)&brotli.max_compressed_size, "BrotliEncoderMaxCompressedSize" },
        { (void **)&brotli.compress, "BrotliEncoderCompress" },
    };
    if (load(names, N(names), "libbrotli1", syms, N(syms), err, errlen) < 0)
        return NULL;
    loaded = 1;
    return &brotli;
}

const struct wt_zstd *wt_zstd_load(char *err, size_t errlen)
{
    static struct wt_zstd z;
    static int loaded;
    if (loaded)
        return &z;
    static const char *const names[] = { "libzstd.so.1", "libzstd.so" };
    struct symbol syms[] = {
        { (void **)&z.create_dstream, "ZSTD_createDStream" },
        { (void **)&z.free_dstream, "ZSTD_freeDStream" },
        { (void **)&z.decompress_stream, "ZSTD_decompressStream" },
        { (void **)&z.is_error, "ZSTD_isError" },
        { (void **)&z.error_name, "ZSTD_getErrorName" },
        { (void **)&z.compress_bound, "ZSTD_compressBound" },
        { (void **)&z.compress, "ZSTD_compress" },
        { (void **)&z.version_string, "ZSTD_versionString" },
    };
    if (load(names, N(names), "libzstd1", syms, N(syms), err, errlen) < 0)
        return NULL;
    loaded = 1;
    return &z;
}

static int encode_zlib(int window_bits, const char *body, size_t len, char **out,
                       size_t *out_len, char *err, size_t errlen)
{
    const struct wt_zlib *zl = wt_zlib_load(err, errlen);
    if (!zl)
        return -1;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (zl->deflateInit2_(&z, GZIP_LEVEL, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY,
                          ZLIB_VERSION, (int)sizeof z) != Z_OK) {
        wt_errf(err, errlen, "out of memory");
        return -1;
    }
    size_t cap = zl->deflateBound(&z, (uLong)len) + 32;   /* + the gzip header's room */
    char *buf = malloc(cap);
    if (!buf) {
        zl->deflateEnd(&z);
        wt_errf(err, errlen, "out of memory");
        return -1;
    }
    z.next_in = (Bytef *)body;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)buf;
    z.avail_out = (uInt)cap;
    int rc = zl->deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    zl->deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        wt_errf(err, errlen, "zlib could not compress the body");
        return -1;
    }
    *out = buf;
    return 0;
}

int wt_encode_body(const char *coding, const char *body, size_t len, char **out,
                   size_t *out_len, char *err, size_t errlen)
{
    *out = NULL;
    *out_len = 0;
    if (strcmp(coding, "gzip") == 0)
        return encode_zlib(MAX_WBITS + 16, body, len, out, out_len, err, errlen);
    if (strcmp(coding, "deflate") == 0)
        return encode_zlib(MAX_WBITS, body, len, out, out_len, err, errlen);
    if (strcmp(coding, "br") == 0) {
        const struct wt_brotli *b = wt_brotlienc_load(err, errlen);
        if (!b)
            return -1;
        size_t cap = b->max_compressed_size(len);
        char *buf = malloc(cap ? cap : 1);
        if (!buf) {
            wt_errf(err, errlen, "out of memory");
            return -1;
        }
        *out_len = cap;
        if (!b->compress(BROTLI_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, len,
                         (const uint8_t *)body, out_len, (uint8_t *)buf)) {
            free(buf);
            wt_errf(err, errlen, "libbrotli could not compress the body");
            return -1;
        }
        *out = buf;
        return 0;
    }
    if (strcmp(coding, "zstd") == 0) {
        const struct wt_zstd *z = wt_zstd_load(err, errlen);
        if (!z)
            return -1;
        size_t cap = z->compress_bound(len);
        char *buf = malloc(cap);
        if (!buf) {
            wt_errf(err, errlen, "out of memory");
            return -1;
        }
        size_t n = z->compress(buf, cap, body, len, ZSTD_LEVEL);
        if (z->is_error(n)) {
            free(buf);
            wt_errf(err, errlen, "libzstd could not compress the body: %s", z->error_name(n));
            return -1;
        }
        *out = buf;
        *out_len = n;
        return 0;
    }
    wt_errf(err, errlen, "unknown content coding '%s'", coding);
    return -1;
}
