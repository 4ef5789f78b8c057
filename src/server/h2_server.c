#include "webtrace/h2_server.h"

#include <stdlib.h>
#include <string.h>

#include "webtrace/h2.h"
#include "webtrace/h2lib.h"

#define PREFACE_BYTES 24   /* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */

/* One request as it arrives, and then its response's body source. */
struct h2_req {
    struct wt_h2_server *h;
    struct h2_req *prev, *next;  /* the session's, for freeing what nghttp2 frees silently */
    int32_t id;
    struct wt_request *req;
    size_t header_block_bytes;   /* names and values, before HPACK */
    size_t n_fields;
    size_t headers_frames, data_frames;   /* sent on it */
    uint64_t data_bytes;
    int answered;
    wt_h2_body_proc body;
    void *body_ctx;
};

struct wt_h2_server {
    const struct wt_h2_lib *ng;
    nghttp2_session *session;
    struct wt_h2_server_callbacks cb;
    void *ctx;
    const struct wt_event_sink *sink;
    int preface_told;
    size_t told[2][WT_H2_CONTINUATION + 1];
    size_t open_streams;
    struct h2_req *reqs;

    char *out;
    size_t out_len, out_off;
};

static void emit(struct wt_h2_server *h, struct wt_event *ev)
{
    if (h->sink)
        h->sink->emit(h->sink->ctx, ev);
}

static struct h2_req *req_of(struct wt_h2_server *h, int32_t id)
{
    return id > 0 ? h->ng->session_get_stream_user_data(h->session, id) : NULL;
}

static void tell_frame(struct wt_h2_server *h, int sent, const nghttp2_frame *frame)
{
    struct wt_event ev = { .kind = WT_EV_H2_FRAME };
    if (!sent && !h->preface_told) {
        /* nghttp2 has checked the client's magic before its first frame */
        h->preface_told = 1;
        ev.u.h2_frame.server = 1;
        ev.u.h2_frame.type = WT_H2_PREFACE;
        ev.u.h2_frame.type_name = "PREFACE";
        ev.u.h2_frame.length = PREFACE_BYTES;
        emit(h, &ev);
        memset(&ev, 0, sizeof ev);
    }
    wt_h2_frame_event(frame, sent, &ev);
    ev.u.h2_frame.server = 1;
    if (frame->hd.type <= WT_H2_CONTINUATION)
        ev.u.h2_frame.nth = ++h->told[sent][frame->hd.type];
    if (frame->hd.type == NGHTTP2_HEADERS) {
        if (sent) {
            ev.u.h2_frame.n_headers = frame->headers.nvlen;
            for (size_t i = 0; i < frame->headers.nvlen; i++)
                ev.u.h2_frame.raw_bytes += frame->headers.nva[i].namelen +
                                           frame->headers.nva[i].valuelen;
        } else {
            struct h2_req *r = req_of(h, frame->hd.stream_id);
            if (r) {
                ev.u.h2_frame.n_headers = r->n_fields;
                ev.u.h2_frame.raw_bytes = r->header_block_bytes;
            }
        }
    }
    emit(h, &ev);
}

static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *data)
{
    (void)session;
    struct wt_h2_server *h = data;
    struct h2_req *r = req_of(h, frame->hd.stream_id);
    if (r && frame->hd.type == NGHTTP2_HEADERS)
        r->headers_frames++;
    if (r && frame->hd.type == NGHTTP2_DATA) {
        r->data_frames++;
        r->data_bytes += frame->hd.length;
    }
    tell_frame(h, 1, frame);
    return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *data)
{
    (void)session;
    struct wt_h2_server *h = data;
    tell_frame(h, 0, frame);
    struct h2_req *r = req_of(h, frame->hd.stream_id);
    if (!r || r->answered)
        return 0;
    int ends = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
               (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
    if (ends && r->req->method[0] && r->req->target_len) {
        r->answered = 1;
        r->req->head_done = 1;
        r->req->state = WT_REQUEST_DONE;
        r->body_ctx = h->cb.on_request(h->ctx, r->id, r->req, r->header_block_bytes);
        if (!r->body_ctx)
            h->ng->submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, r->id,
                                     NGHTTP2_INTERNAL_ERROR);
    }
    return 0;
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *data)
{
    struct wt_h2_server *h = data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct h2_req *r = calloc(1, sizeof *r);
    if (r)
        r->req = wt_request_new();
    if (!r || !r->req) {
        free(r);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;   /* this stream is reset */
    }
    r->h = h;
    r->id = frame->hd.stream_id;
    r->req->keep_alive = 1;
    h->ng->session_set_stream_user_data(session, r->id, r);
    h->open_streams++;
    r->next = h->reqs;
    if (h->reqs)
        h->reqs->prev = r;
    h->reqs = r;
    return 0;
}

/* Keeps one name/value pair for /headers as the HTTP/1.1 reader does. */
static void keep_header(struct wt_request *q, const char *name, size_t namelen,
                        const char *value, size_t valuelen)
{
    q->n_headers++;
    if (q->headers_full || q->headers_len + namelen + valuelen + 2 > sizeof q->headers) {
        q->headers_full = 1;
        return;
    }
    memcpy(q->headers + q->headers_len, name, namelen);
    q->headers[q->headers_len + namelen] = '\0';
    memcpy(q->headers + q->headers_len + namelen + 1, value, valuelen);
    q->headers[q->headers_len + namelen + 1 + valuelen] = '\0';
    q->headers_len += namelen + valuelen + 2;
    q->headers_kept++;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *data)
{
    (void)session;
    (void)flags;
    struct h2_req *r = req_of(data, frame->hd.stream_id);
    if (!r || r->answered)
        return 0;   /* trailers: nothing of them is answered */
    struct wt_request *q = r->req;
    const char *n = (const char *)name, *v = (const char *)value;
    r->n_fields++;
    r->header_block_bytes += namelen + valuelen;
    q->head_bytes += namelen + valuelen;
    /* nghttp2 has checked the pseudo-headers: each once, before the rest */
    if (namelen == 7 && memcmp(n, ":method", 7) == 0) {
        if (valuelen >= sizeof q->method)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        memcpy(q->method, v, valuelen);
        q->method[valuelen] = '\0';
    } else if (namelen == 5 && memcmp(n, ":path", 5) == 0) {
        if (valuelen >= sizeof q->target)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        memcpy(q->target, v, valuelen);
        q->target[valuelen] = '\0';
        q->target_len = valuelen;
    } else if (namelen == 10 && memcmp(n, ":authority", 10) == 0) {
        q->has_host = 1;
        keep_header(q, "host", 4, v, valuelen);   /* where HTTP/1.1 has Host */
    } else if (namelen && n[0] != ':') {
        keep_header(q, n, namelen, v, valuelen);
    }
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *user)
{
    (void)session;
    (void)flags;
    struct h2_req *r = req_of(user, stream_id);
    if (!r)
        return 0;
    struct wt_request *q = r->req;
    size_t room = sizeof q->body - q->body_kept;
    size_t take = len < room ? len : room;
    memcpy(q->body + q->body_kept, data, take);
    q->body_kept += take;
    q->body_bytes += len;
    return 0;
}

static void req_free(struct h2_req *r, uint32_t error_code)
{
    struct wt_h2_server *h = r->h;
    if (r->prev)
        r->prev->next = r->next;
    else
        h->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    h->open_streams--;
    if (h->cb.on_close && r->body_ctx)
        h->cb.on_close(h->ctx, r->id, r->body_ctx, error_code);
    wt_request_free(r->req);
    free(r);
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *data)
{
    (void)session;
    struct wt_h2_server *h = data;
    struct h2_req *r = req_of(h, stream_id);
    if (!r)
        return 0;
    struct wt_event ev = { .kind = WT_EV_H2_STREAM };
    ev.u.h2_stream.stream = stream_id;
    ev.u.h2_stream.server = 1;
    ev.u.h2_stream.header_frames = r->headers_frames;
    ev.u.h2_stream.data_frames = r->data_frames;
    ev.u.h2_stream.data_bytes = r->data_bytes;
    ev.u.h2_stream.end_stream = error_code == NGHTTP2_NO_ERROR && r->headers_frames;
    ev.u.h2_stream.reset = !ev.u.h2_stream.end_stream;
    ev.u.h2_stream.error_code = error_code;
    ev.u.h2_stream.error_name = wt_h2_error_name(error_code);
    emit(h, &ev);
    h->ng->session_set_stream_user_data(session, stream_id, NULL);
    req_free(r, error_code);
    return 0;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                         size_t length, uint32_t *data_flags, nghttp2_data_source *source,
                         void *data)
{
    (void)session;
    (void)stream_id;
    (void)data;
    struct h2_req *r = source->ptr;
    int eof = 0;
    size_t n = r->body(r->body_ctx, buf, length, &eof);
    if (eof)
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

struct wt_h2_server *wt_h2_server_new(const struct wt_h2_server_callbacks *cb, void *ctx,
                                      const struct wt_event_sink *sink)
{
    const struct wt_h2_lib *ng = wt_h2_lib();
    if (!ng)
        return NULL;
    struct wt_h2_server *h = calloc(1, sizeof *h);
    nghttp2_session_callbacks *cbs = NULL;
    if (!h || ng->session_callbacks_new(&cbs) != 0) {
        free(h);
        return NULL;
    }
    h->ng = ng;
    h->cb = *cb;
    h->ctx = ctx;
    h->sink = sink;
    ng->session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    ng->session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    ng->session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    ng->session_callbacks_set_on_header_callback(cbs, on_header);
    ng->session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    ng->session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    int rc = ng->session_server_new(&h->session, cbs, h);
    ng->session_callbacks_del(cbs);
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, WT_H2_SERVER_MAX_STREAMS },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, WT_H2_SERVER_WINDOW },
        { NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
    };
    if (rc != 0 || ng->submit_settings(h->session, NGHTTP2_FLAG_NONE, iv,
                                       sizeof iv / sizeof iv[0]) != 0) {
        wt_h2_server_free(h);
        return NULL;
    }
    return h;
}

void wt_h2_server_free(struct wt_h2_server *h)
{
    if (!h)
        return;
    /* nghttp2 frees its streams without closing them: their owners are
     * told here, the narration is not */
    while (h->reqs)
        req_free(h->reqs, NGHTTP2_CANCEL);
    if (h->session)
        h->ng->session_del(h->session);
    free(h->out);
    free(h);
}

int wt_h2_server_respond(struct wt_h2_server *h, int32_t stream, int status,
                         const struct wt_h2_header *headers, size_t n_headers,
                         wt_h2_body_proc body)
{
    struct h2_req *r = req_of(h, stream);
    if (!r)
        return -1;
    nghttp2_nv nva[16];
    char code[4];
    code[0] = (char)('0' + status / 100 % 10);
    code[1] = (char)('0' + status / 10 % 10);
    code[2] = (char)('0' + status % 10);
    code[3] = '\0';
    size_t n = 0;
    nva[n++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)code, 7, 3, NGHTTP2_NV_FLAG_NONE };
    for (size_t i = 0; i < n_headers && n < sizeof nva / sizeof nva[0]; i++)
        nva[n++] = (nghttp2_nv){ (uint8_t *)headers[i].name, (uint8_t *)headers[i].value,
                                 strlen(headers[i].name), strlen(headers[i].value),
                                 NGHTTP2_NV_FLAG_NONE };
    r->body = body;
    nghttp2_data_provider provider = { .source.ptr = r, .read_callback = read_body };
    return h->ng->submit_response(h->session, stream, nva, n, body ? &provider : NULL) == 0
               ? 0 : -1;
}

int wt_h2_server_feed(struct wt_h2_server *h, const char *data, size_t len)
{
    ssize_t n = h->ng->session_mem_recv(h->session, (const uint8_t *)data, len);
    if (n < 0) {
        /* a bad preface or a frame nghttp2 refused: it has queued (or
         * we queue) the GOAWAY the client is owed */
        if (n == NGHTTP2_ERR_BAD_CLIENT_MAGIC || n == NGHTTP2_ERR_NOMEM)
            h->ng->session_terminate_session(h->session, NGHTTP2_PROTOCOL_ERROR);
        return -1;
    }
    return 0;
}

size_t wt_h2_server_output(struct wt_h2_server *h, const char **data)
{
    if (h->out_off == h->out_len) {
        /* only an emptied buffer takes more: a TLS write that would block
         * is retried with the very same bytes */
        h->out_off = h->out_len = 0;
        if (!h->out && !(h->out = malloc(WT_H2_SERVER_OUTPUT)))
            return 0;
        while (h->out_len < WT_H2_SERVER_OUTPUT) {
            const uint8_t *chunk;
            ssize_t n = h->ng->session_mem_send(h->session, &chunk);
            if (n <= 0)
                break;
            if ((size_t)n > WT_H2_SERVER_OUTPUT - h->out_len) {
                char *bigger = realloc(h->out, h->out_len + (size_t)n);
                if (!bigger)
                    break;
                h->out = bigger;
            }
            memcpy(h->out + h->out_len, chunk, (size_t)n);
            h->out_len += (size_t)n;
        }
    }
    *data = h->out + h->out_off;
    return h->out_len - h->out_off;
}

void wt_h2_server_sent(struct wt_h2_server *h, size_t n)
{
    h->out_off += n;
}

void wt_h2_server_goaway(struct wt_h2_server *h)
{
    /* GOAWAY with the last stream we took; nghttp2 stops wanting to read
     * or write once it has gone */
    h->ng->session_terminate_session(h->session, NGHTTP2_NO_ERROR);
}

int wt_h2_server_done(const struct wt_h2_server *h)
{
    return h->out_off == h->out_len && !h->ng->session_want_read(h->session) &&
           !h->ng->session_want_write(h->session);
}

size_t wt_h2_server_open_streams(const struct wt_h2_server *h)
{
    return h->open_streams;
}
