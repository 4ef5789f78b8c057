/* libFuzzer: any bytes as what a client sends to webtrace serve, fed to
 * the request reader in pieces whose size comes from the first input byte,
 * request after request as on a keep-alive connection. Every request must
 * end in exactly one documented state, a failure with 400, 414 or 431, and
 * the fields must stay within their caps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/request.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_fields(const struct wt_request *r, int done)
{
    if (r->target_len >= WT_REQUEST_TARGET_MAX || strlen(r->target) > r->target_len ||
        strlen(r->method) >= WT_REQUEST_METHOD_MAX ||
        r->headers_len >= WT_REQUEST_HEADERS_KEPT || r->headers_kept > r->n_headers)
        abort();
    if (r->has_host && r->missing_host)
        abort();
    if (!done)
        return;   /* in the middle of a header, a name may be kept without its value */
    /* the kept pairs are whole: two strings each */
    size_t strings = 0;
    for (size_t i = 0; i < r->headers_len; i++)
        strings += r->headers[i] == '\0';
    if (strings != 2 * r->headers_kept)
        abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] * 37 + 1;
    data++;
    size--;
    struct wt_request *r = wt_request_new();
    if (!r)
        return 0;
    size_t off = 0, avail = 0;
    for (int requests = 0; requests < 64 && off < size;) {
        if (avail < off)
            avail = off;
        if (avail < size)
            avail = size - avail < step ? size : avail + step;
        size_t given = avail - off;
        size_t used = wt_request_feed(r, (const char *)data + off, given);
        if (used > given)
            abort();
        off += used;
        enum wt_request_state st = wt_request_state(r);
        check_fields(r, st == WT_REQUEST_DONE);
        if (st == WT_REQUEST_FAILED) {
            int status = wt_request_status(r);
            if (status != 400 && status != 414 && status != 431)
                abort();
            if (wt_request_feed(r, (const char *)data + off, size - off) != 0)
                abort();
            break;   /* the connection closes after the error answer */
        }
        if (st == WT_REQUEST_DONE) {
            if (!r->head_done || r->head_bytes > r->msg_bytes)
                abort();
            wt_request_reset(r);
            requests++;
        } else if (used != given) {
            abort();   /* MORE uses every byte */
        } else if (avail == size) {
            break;     /* the client stopped in the middle of a request */
        }
    }
    wt_request_free(r);
    return 0;
}
