/* The server's request reader: llhttp callbacks fill struct wt_request. */
#include "webtrace/request.h"

#include "webtrace/escape.h"
#include "webtrace/i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct wt_request *req_of(llhttp_t *p)
{
    return p->data;
}

/* Counts head bytes as llhttp hands them over, so a head over the cap is
 * refused however it arrives (one read or many). */
static int head_over_cap(struct wt_request *r, size_t len)
{
    r->head_seen += len;
    if (r->head_seen <= WT_REQUEST_MAX_HEAD)
        return 0;
    r->head_too_large = 1;
    return 1;
}

static int on_method(llhttp_t *p, const char *at, size_t len)
{
    struct wt_request *r = req_of(p);
    if (head_over_cap(r, len))
        return -1;
    size_t used = strlen(r->method);
    if (used + len < sizeof r->method) {
        memcpy(r->method + used, at, len);
        r->method[used + len] = '\0';
    }
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct wt_request *r = req_of(p);
    /* Checked before the head cap: a target longer than the whole head
     * allows is still "too long a URI" (414), not "too large a head". */
    if (r->target_len + len >= WT_REQUEST_TARGET_MAX) {
        r->target_too_long = 1;
        return -1;
    }
    if (head_over_cap(r, len))
        return -1;
    memcpy(r->target + r->target_len, at, len);
    r->target_len += len;
    r->target[r->target_len] = '\0';
    return 0;
}

static void headers_append(struct wt_request *r, const char *at, size_t len)
{
    if (r->headers_full)
        return;
    if (len >= WT_REQUEST_HEADERS_KEPT - r->headers_len) {
        r->headers_full = 1;
        return;
    }
    memcpy(r->headers + r->headers_len, at, len);
    r->headers_len += len;
}

static void headers_end_string(struct wt_request *r)
{
    if (r->headers_full)
        return;
    if (r->headers_len + 1 >= WT_REQUEST_HEADERS_KEPT) {
        r->headers_full = 1;
        return;
    }
    r->headers[r->headers_len++] = '\0';
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct wt_request *r = req_of(p);
    if (head_over_cap(r, len))
        return -1;
    if (!r->in_field) {
        r->in_field = 1;
        r->pair_start = r->headers_len;
        r->field_len = 0;
        r->field_may_be_host = 1;
    }
    /* Host is recognised from the name as it streams by, not from the
     * copy kept for /headers: that copy stops at its own cap. */
    static const char host[] = "host";
    if (r->field_may_be_host)
        r->field_may_be_host = r->field_len + len <= sizeof host - 1 &&
                               strncasecmp(at, host + r->field_len, len) == 0;
    r->field_len += len;
    headers_append(r, at, len);
    return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    struct wt_request *r = req_of(p);
    r->header_is_host = r->field_may_be_host && r->field_len == 4;
    headers_end_string(r);
    r->in_field = 0;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct wt_request *r = req_of(p);
    if (head_over_cap(r, len))
        return -1;
    headers_append(r, at, len);
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    struct wt_request *r = req_of(p);
    headers_end_string(r);
    r->n_headers++;
    if (r->headers_full)
        r->headers_len = r->pair_start;   /* drop the half-kept pair */
    else
        r->headers_kept++;
    if (r->header_is_host)
        r->has_host = 1;
    r->header_is_host = 0;
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct wt_request *r = req_of(p);
    r->head_done = 1;
    r->keep_alive = llhttp_should_keep_alive(p) && p->method != HTTP_CONNECT;
    r->http_10 = p->http_major == 1 && p->http_minor == 0;
    r->keep_alive_10 = r->http_10 && r->keep_alive;
    if (p->http_major == 1 && p->http_minor >= 1 && !r->has_host)
        r->missing_host = 1;
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct wt_request *r = req_of(p);
    r->body_bytes += len;
    size_t room = sizeof r->body - r->body_kept;
    size_t take = len < room ? len : room;
    memcpy(r->body + r->body_kept, at, take);
    r->body_kept += take;
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    req_of(p)->state = WT_REQUEST_DONE;
    return HPE_PAUSED;   /* the next request's bytes stay for the next round */
}

struct wt_request *wt_request_new(void)
{
    struct wt_request *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    llhttp_settings_init(&r->settings);
    r->settings.on_method = on_method;
    r->settings.on_url = on_url;
    r->settings.on_header_field = on_header_field;
    r->settings.on_header_value = on_header_value;
    r->settings.on_header_field_complete = on_header_field_complete;
    r->settings.on_header_value_complete = on_header_value_complete;
    r->settings.on_headers_complete = on_headers_complete;
    r->settings.on_body = on_body;
    r->settings.on_message_complete = on_message_complete;
    llhttp_init(&r->parser, HTTP_REQUEST, &r->settings);
    r->parser.data = r;
    wt_request_reset(r);
    return r;
}

void wt_request_reset(struct wt_request *r)
{
    /* The parser keeps its own state between messages (llhttp resets it
     * after each complete one); only ours starts over. A failed parser
     * cannot go on: the connection closes after the error answer. */
    r->state = WT_REQUEST_MORE;
    r->error_status = 0;
    r->error_words[0] = '\0';
    r->method[0] = '\0';
    r->target[0] = '\0';
    r->target_len = 0;
    r->headers_len = r->headers_kept = r->n_headers = 0;
    r->has_host = r->missing_host = 0;
    r->http_10 = r->keep_alive = r->keep_alive_10 = 0;
    r->head_done = 0;
    r->head_bytes = 0;
    r->body_bytes = 0;
    r->body_kept = 0;
    r->msg_bytes = 0;
    r->head_seen = 0;
    r->pair_start = r->field_len = 0;
    r->field_may_be_host = 0;
    r->in_field = r->header_is_host = r->headers_full = 0;
    r->head_too_large = r->target_too_long = 0;
}

static void fail(struct wt_request *r, int status, const char *words)
{
    r->state = WT_REQUEST_FAILED;
    r->error_status = status;
    snprintf(r->error_words, sizeof r->error_words, "%s", words);
}

size_t wt_request_feed(struct wt_request *r, const char *data, size_t len)
{
    size_t used = 0;
    while (r->state == WT_REQUEST_MORE && used < len) {
        const char *start = data + used;
        size_t n = len - used;
        llhttp_errno_t err = llhttp_execute(&r->parser, start, n);
        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
            const char *pos = llhttp_get_error_pos(&r->parser);
            n = pos ? (size_t)(pos - start) : n;
            /* We never switch protocols (no 101): an Upgrade request is an
             * ordinary one, and the connection goes on speaking HTTP/1.1.
             * llhttp says so at the next request's first byte; resumed, it
             * reads that request from there (the loop goes on). */
            if (err == HPE_PAUSED_UPGRADE)
                llhttp_resume_after_upgrade(&r->parser);
            else
                llhttp_resume(&r->parser);
        } else if (err != HPE_OK) {
            if (r->target_too_long) {
                fail(r, 414, N_("request target too long"));
            } else if (r->head_too_large) {
                fail(r, 431, N_("request head larger than 16 KiB"));
            } else {
                const char *why = llhttp_get_error_reason(&r->parser);
                char words[sizeof r->error_words];
                wt_errf(words, sizeof words, "malformed request: %s", why ? why : "parse error");
                fail(r, 400, words);
            }
            return used;
        }
        used += n;
        r->msg_bytes += n;
        if (r->state == WT_REQUEST_DONE) {
            r->head_bytes = r->msg_bytes - (size_t)r->body_bytes;
        } else if (!r->head_done && r->msg_bytes > WT_REQUEST_MAX_HEAD) {
            /* The callbacks count names and values; this counts the line
             * ends and separators too, so a head of many empty-ish lines
             * ends here. */
            fail(r, 431, N_("request head larger than 16 KiB"));
        }
    }
    return used;
}

enum wt_request_state wt_request_state(const struct wt_request *r)
{
    return r->state;
}

int wt_request_status(const struct wt_request *r)
{
    return r->state == WT_REQUEST_FAILED ? r->error_status : 0;
}

const char *wt_request_error(const struct wt_request *r)
{
    return r->error_words;
}

void wt_request_free(struct wt_request *r)
{
    free(r);
}
