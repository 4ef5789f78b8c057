/* libFuzzer: the content decoder fed any Content-Encoding list and any
 * body, in pieces of any size. Input: a step byte, the header value up to
 * a NUL, then the body. Whatever it is given, the outcome must be one of
 * curl's (0, 23, 61; 27 when memory runs out), decoded bytes must come in
 * pieces of at most WT_DECODE_CHUNK and add up to what the decoder counts. */
#include <stdlib.h>
#include <string.h>

#include "webtrace/decode.h"
#include "webtrace/exitcode.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* A bomb in the input must not make a run slow: stop after this much. */
#define OUTPUT_CAP (4u << 20)

struct seen {
    uint64_t bytes;
};

static int sink(void *ctx, const char *data, size_t len)
{
    struct seen *s = ctx;
    if (len == 0 || len > WT_DECODE_CHUNK || !data)
        abort();
    s->bytes += len;
    return s->bytes > OUTPUT_CAP ? WT_EXIT_WRITE_ERROR : 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = (size_t)data[0] + 1;
    const char *header = (const char *)data + 1;
    const char *nul = memchr(header, '\0', size - 1);
    size_t header_len = nul ? (size_t)(nul - header) : size - 1;
    const char *body = nul ? nul + 1 : header + header_len;
    size_t body_len = (size_t)((const char *)data + size - body);

    struct seen seen = { 0 };
    struct wt_decoder *d = wt_decoder_new(sink, &seen);
    if (!d)
        return 0;
    /* a comma inside the value is as good as a second header: split once */
    const char *semi = memchr(header, ';', header_len);
    if (semi) {
        wt_decoder_add_header(d, header, (size_t)(semi - header));
        wt_decoder_add_header(d, semi + 1, header_len - (size_t)(semi - header) - 1);
    } else {
        wt_decoder_add_header(d, header, header_len);
    }
    (void)wt_decoder_active(d);
    (void)wt_decoder_names(d);
    int rc = 0;
    for (size_t off = 0; off < body_len && !rc; off += step)
        rc = wt_decoder_write(d, body + off, body_len - off < step ? body_len - off : step);
    if (!rc)
        rc = wt_decoder_finish(d);
    if (rc != 0 && rc != WT_EXIT_WRITE_ERROR && rc != WT_EXIT_BAD_CONTENT_ENCODING &&
        rc != WT_EXIT_OUT_OF_MEMORY)
        abort();
    if (rc && wt_decoder_error(d)[0] == '\0' && seen.bytes <= OUTPUT_CAP)
        abort();   /* every failure says why */
    if (wt_decoder_bytes_out(d) != seen.bytes && seen.bytes <= OUTPUT_CAP)
        abort();
    (void)wt_decoder_truncated(d);
    wt_decoder_free(d);
    return 0;
}
