/* libFuzzer: any bytes as an HTTP response, fed in pieces whose sizes come
 * from the first input byte, then EOF. The reader must end in exactly one
 * of its documented states. */
#include <stdint.h>
#include <stdlib.h>

#include "webtrace/http.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int on_body(void *ctx, const char *d, size_t n)
{
    (void)d;
    *(uint64_t *)ctx += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = (size_t)data[0] + 1;
    int head = data[1] & 1;
    data += 2;
    size -= 2;
    uint64_t body = 0;
    struct wt_http_callbacks cb = { NULL, NULL, NULL, on_body };
    struct wt_http_reader *r = wt_http_reader_new(&cb, &body, head);
    if (!r)
        return 0;
    enum wt_http_read st = WT_HTTP_NEED_MORE;
    for (size_t off = 0; off < size && st == WT_HTTP_NEED_MORE; off += step) {
        size_t n = size - off < step ? size - off : step;
        st = wt_http_reader_feed(r, (const char *)data + off, n);
    }
    if (st == WT_HTTP_NEED_MORE)
        st = wt_http_reader_eof(r);
    if (st == WT_HTTP_NEED_MORE)
        abort();
    if (st == WT_HTTP_FAILED && wt_http_reader_exit_code(r) == 0)
        abort();
    if (body != wt_http_reader_body_bytes(r))
        abort();
    wt_http_reader_free(r);
    return 0;
}
