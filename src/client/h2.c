#include "webtrace/h2.h"

#include <dlfcn.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webtrace/escape.h"
#include "webtrace/h2lib.h"
#include "webtrace/exitcode.h"
#include "webtrace/i18n.h"
#include "webtrace/reqspec.h"

#define WT_H2_LIBRARY "libnghttp2.so.14"   /* Debian 12's soname, as linked by curl */

/* libnghttp2 is loaded the first time HTTP/2 is spoken (as the TLS module
 * and libpcap are): a fetch over HTTP/1.1 maps none of it. */
static struct wt_h2_lib ng;
static int ng_loaded;

int wt_h2_load(char *err, size_t errlen)
{
    if (ng_loaded)
        return 0;
    void *lib = dlopen(WT_H2_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        wt_errf(err, errlen, "HTTP/2 needs libnghttp2, which cannot be loaded: %s", dlerror());
        return -1;
    }
    struct {
        void **slot;
        const char *name;
    } syms[] = {
        { (void **)&ng.session_callbacks_new, "nghttp2_session_callbacks_new" },
        { (void **)&ng.session_callbacks_del, "nghttp2_session_callbacks_del" },
        { (void **)&ng.session_callbacks_set_on_frame_send_callback, "nghttp2_session_callbacks_set_on_frame_send_callback" },
        { (void **)&ng.session_callbacks_set_on_frame_recv_callback, "nghttp2_session_callbacks_set_on_frame_recv_callback" },
        { (void **)&ng.session_callbacks_set_on_begin_headers_callback, "nghttp2_session_callbacks_set_on_begin_headers_callback" },
        { (void **)&ng.session_callbacks_set_on_header_callback, "nghttp2_session_callbacks_set_on_header_callback" },
        { (void **)&ng.session_callbacks_set_on_data_chunk_recv_callback, "nghttp2_session_callbacks_set_on_data_chunk_recv_callback" },
        { (void **)&ng.session_callbacks_set_on_stream_close_callback, "nghttp2_session_callbacks_set_on_stream_close_callback" },
        { (void **)&ng.session_client_new, "nghttp2_session_client_new" },
        { (void **)&ng.session_del, "nghttp2_session_del" },
        { (void **)&ng.submit_settings, "nghttp2_submit_settings" },
        { (void **)&ng.session_set_local_window_size, "nghttp2_session_set_local_window_size" },
        { (void **)&ng.submit_request, "nghttp2_submit_request" },
        { (void **)&ng.session_mem_send, "nghttp2_session_mem_send" },
        { (void **)&ng.session_mem_recv, "nghttp2_session_mem_recv" },
        { (void **)&ng.strerror, "nghttp2_strerror" },
        { (void **)&ng.session_terminate_session, "nghttp2_session_terminate_session" },
        { (void **)&ng.session_want_read, "nghttp2_session_want_read" },
        { (void **)&ng.session_want_write, "nghttp2_session_want_write" },
        { (void **)&ng.submit_goaway, "nghttp2_submit_goaway" },
        { (void **)&ng.version, "nghttp2_version" },
        { (void **)&ng.submit_rst_stream, "nghttp2_submit_rst_stream" },
        { (void **)&ng.session_get_stream_user_data, "nghttp2_session_get_stream_user_data" },
        { (void **)&ng.session_get_remote_settings, "nghttp2_session_get_remote_settings" },
        { (void **)&ng.session_server_new, "nghttp2_session_server_new" },
        { (void **)&ng.submit_response, "nghttp2_submit_response" },
        { (void **)&ng.session_set_stream_user_data, "nghttp2_session_set_stream_user_data" },
        { (void **)&ng.session_get_last_proc_stream_id, "nghttp2_session_get_last_proc_stream_id" },
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].slot = dlsym(lib, syms[i].name);
        if (!*syms[i].slot) {
            wt_errf(err, errlen, "HTTP/2 needs libnghttp2, which has no %s (too old?)",
                    syms[i].name);
            dlclose(lib);
            return -1;
        }
    }
    ng_loaded = 1;   /* kept for the process: later sessions reuse it */
    return 0;
}

const struct wt_h2_lib *wt_h2_lib(void)
{
    return ng_loaded ? &ng : NULL;
}

const char *wt_h2_library_version(char *err, size_t errlen)
{
    if (wt_h2_load(err, errlen) < 0)
        return NULL;
    return ng.version(0)->version_str;
}

/* One request and its response: a stream of the session. */
struct wt_h2_stream {
    struct wt_h2 *h;
    struct wt_h2_stream *next;  /* the session's streams, oldest first */
    int32_t id;                 /* 1, 3, 5 ... */
    /* Its request let go of it (done, or failed): its frames go to the
     * connection's sink, and the struct goes once nghttp2 has closed it. */
    int released;
    int closed;                 /* nghttp2 closed it */
    struct wt_http_callbacks cb;
    void *ctx;
    const struct wt_event_sink *sink;
    const struct wt_http_request *request;
    int head_request;
    size_t body_sent;

    int status;                 /* of the header block being read */
    int have_final;             /* a final (>= 200) status arrived: HEADERS after it are trailers */
    size_t n_headers;
    size_t header_bytes;        /* as an HTTP/1.1 head would count them, as curl does */
    int64_t content_length;
    size_t raw_bytes;           /* names and values of the block being read */
    size_t n_fields;

    size_t header_frames, data_frames;
    uint64_t data_bytes;
    uint64_t body_bytes;
    uint64_t bytes_fed;         /* frames received on it, headers included */
    size_t request_frame_bytes;

    int ended;                  /* complete or failed */
    int reported;               /* handed out by wt_h2_next_ended */
    int complete;
    int failed;
    int exit_code;
    char error[256];
};

struct wt_h2 {
    nghttp2_session *session;
    const struct wt_event_sink *sink;   /* the connection's frames */
    struct wt_h2_stream *streams;
    int32_t last_stream_id;
    int goaway_received;        /* the server will take no new stream */
    int settings_received;      /* its MAX_CONCURRENT_STREAMS is known */
    int eof;

    struct wt_buf out;          /* frames nghttp2 produced, not yet sent */
    size_t out_start;
    int preface_told;
    size_t told[2][WT_H2_CONTINUATION + 1];   /* frames of each type received [0] and sent [1] */

    /* what one feed did to the streams, for its return value */
    size_t ended_complete, ended_failed;

    int failed;                 /* the connection: every open stream failed with it */
    int exit_code;
    char error[256];
};

static const char *const frame_names[] = {
    "DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
    "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION",
};

static const char *frame_name(int type)
{
    if (type < 0)
        return "PREFACE";
    if ((size_t)type < sizeof frame_names / sizeof frame_names[0])
        return frame_names[type];
    return "UNKNOWN";
}

static const char *const error_names[] = {
    "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
    "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM",
    "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
};

const char *wt_h2_error_name(uint32_t code)
{
    if (code < sizeof error_names / sizeof error_names[0])
        return error_names[code];
    return "unknown";
}

static const char *setting_name(int32_t id)
{
    static const char *const names[] = {
        "unknown", "HEADER_TABLE_SIZE", "ENABLE_PUSH", "MAX_CONCURRENT_STREAMS",
        "INITIAL_WINDOW_SIZE", "MAX_FRAME_SIZE", "MAX_HEADER_LIST_SIZE",
    };
    if (id > 0 && (size_t)id < sizeof names / sizeof names[0])
        return names[id];
    if (id == 8)
        return "ENABLE_CONNECT_PROTOCOL";
    if (id == 9)
        return "NO_RFC7540_PRIORITIES";
    return names[0];
}

/* A stream nghttp2 knows, if a request still owns it. */
static struct wt_h2_stream *stream_of(struct wt_h2 *h, int32_t id)
{
    if (id <= 0)
        return NULL;
    struct wt_h2_stream *s = ng.session_get_stream_user_data(h->session, id);
    return s && !s->released ? s : NULL;
}

/* Still reading its response: not failed, not released. */
static struct wt_h2_stream *live_stream(struct wt_h2 *h, int32_t id)
{
    struct wt_h2_stream *s = stream_of(h, id);
    return s && !s->ended ? s : NULL;
}

static void stream_unlink_free(struct wt_h2_stream *s)
{
    for (struct wt_h2_stream **pp = &s->h->streams; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    free(s);
}

static void stream_fail(struct wt_h2_stream *s, int exit_code, const char *fmt, const char *detail)
{
    if (s->ended)
        return;   /* the first reason is the one to tell */
    s->ended = s->failed = 1;
    s->exit_code = exit_code;
    wt_errf(s->error, sizeof s->error, fmt, detail);
    s->h->ended_failed++;
}

/* The connection failed: so did every stream still reading, for the same
 * reason. */
static void fail(struct wt_h2 *h, int exit_code, const char *fmt, const char *detail)
{
    if (h->failed)
        return;
    h->failed = 1;
    h->exit_code = exit_code;
    wt_errf(h->error, sizeof h->error, fmt, detail);
    for (struct wt_h2_stream *s = h->streams; s; s = s->next) {
        if (s->released || s->ended)
            continue;
        s->ended = s->failed = 1;
        s->exit_code = exit_code;
        memcpy(s->error, h->error, sizeof s->error);
        h->ended_failed++;
    }
}

void wt_h2_frame_event(const nghttp2_frame *frame, int sent, struct wt_event *ev)
{
    ev->kind = WT_EV_H2_FRAME;
    ev->u.h2_frame.sent = sent;
    ev->u.h2_frame.type = frame->hd.type;
    ev->u.h2_frame.type_name = frame_name(frame->hd.type);
    ev->u.h2_frame.stream = frame->hd.stream_id;
    ev->u.h2_frame.flags = frame->hd.flags;
    ev->u.h2_frame.length = frame->hd.length;
    ev->u.h2_frame.end_stream = (frame->hd.type == NGHTTP2_DATA ||
                                frame->hd.type == NGHTTP2_HEADERS) &&
                               (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
    ev->u.h2_frame.end_headers = (frame->hd.type == NGHTTP2_HEADERS ||
                                 frame->hd.type == NGHTTP2_CONTINUATION) &&
                                (frame->hd.flags & NGHTTP2_FLAG_END_HEADERS);
    ev->u.h2_frame.ack = (frame->hd.type == NGHTTP2_SETTINGS || frame->hd.type == NGHTTP2_PING) &&
                        (frame->hd.flags & NGHTTP2_FLAG_ACK);
    switch (frame->hd.type) {
    case NGHTTP2_SETTINGS:
        for (size_t i = 0; i < frame->settings.niv && i < WT_H2_MAX_SETTINGS; i++) {
            ev->u.h2_frame.settings[i].id = (uint16_t)frame->settings.iv[i].settings_id;
            ev->u.h2_frame.settings[i].value = frame->settings.iv[i].value;
            ev->u.h2_frame.settings[i].name = setting_name(frame->settings.iv[i].settings_id);
            ev->u.h2_frame.n_settings = i + 1;
        }
        break;
    case NGHTTP2_RST_STREAM:
        ev->u.h2_frame.error_code = frame->rst_stream.error_code;
        ev->u.h2_frame.error_name = wt_h2_error_name(frame->rst_stream.error_code);
        break;
    case NGHTTP2_GOAWAY:
        ev->u.h2_frame.error_code = frame->goaway.error_code;
        ev->u.h2_frame.error_name = wt_h2_error_name(frame->goaway.error_code);
        ev->u.h2_frame.last_stream = frame->goaway.last_stream_id;
        break;
    case NGHTTP2_WINDOW_UPDATE:
        ev->u.h2_frame.increment = (uint32_t)frame->window_update.window_size_increment;
        break;
    case NGHTTP2_PING:
        for (int i = 0; i < 8; i++)
            ev->u.h2_frame.ping = (ev->u.h2_frame.ping << 8) | frame->ping.opaque_data[i];
        break;
    default:
        break;
    }
}

static void emit_frame(struct wt_h2 *h, int sent, const nghttp2_frame *frame)
{
    struct wt_event ev = { .kind = WT_EV_H2_FRAME };
    wt_h2_frame_event(frame, sent, &ev);
    if (frame->hd.type <= WT_H2_CONTINUATION)
        ev.u.h2_frame.nth = ++h->told[sent][frame->hd.type];
    struct wt_h2_stream *s = stream_of(h, frame->hd.stream_id);
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
        if (sent) {
            ev.u.h2_frame.n_headers = frame->headers.nvlen;
            for (size_t i = 0; i < frame->headers.nvlen; i++)
                ev.u.h2_frame.raw_bytes += frame->headers.nva[i].namelen +
                                           frame->headers.nva[i].valuelen;
        } else if (s) {
            ev.u.h2_frame.n_headers = s->n_fields;
            ev.u.h2_frame.raw_bytes = s->raw_bytes;
        }
        break;
    default:
        break;
    }
    /* A stream's frames are told with its request; the connection's (and
     * those of a stream no request owns any more) with the connection. */
    const struct wt_event_sink *sink = s ? s->sink : h->sink;
    if (sink)
        sink->emit(sink->ctx, &ev);
}

static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *data)
{
    (void)session;
    struct wt_h2 *h = data;
    struct wt_h2_stream *s = stream_of(h, frame->hd.stream_id);
    if (frame->hd.type == NGHTTP2_HEADERS && s)
        s->request_frame_bytes = frame->hd.length;
    emit_frame(h, 1, frame);
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
        /* nghttp2 found the server's frames broken and said so: curl calls
         * that an HTTP/2 framing layer error. */
        fail(h, WT_EXIT_HTTP2,
             N_("the server broke the HTTP/2 protocol: we closed the connection with GOAWAY %s"),
             wt_h2_error_name(frame->goaway.error_code));
    }
    return 0;
}

static void deliver_headers_done(struct wt_h2_stream *s)
{
    int no_body = s->head_request || s->status / 100 == 1 || s->status == 204 ||
                  s->status == 304;
    s->header_bytes += 2;   /* the empty line an HTTP/1.1 head would end with */
    if (s->cb.on_headers_done)
        s->cb.on_headers_done(s->ctx, s->status, no_body ? WT_FRAMING_NONE : WT_FRAMING_H2,
                              s->content_length, 1, s->n_headers, s->header_bytes);
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *data)
{
    (void)session;
    struct wt_h2 *h = data;
    struct wt_h2_stream *s = live_stream(h, frame->hd.stream_id);
    if (s)
        s->bytes_fed += 9 + frame->hd.length;
    if (frame->hd.type == NGHTTP2_DATA && s) {
        s->data_frames++;
        s->data_bytes += frame->hd.length;
    }
    emit_frame(h, 0, frame);
    if (frame->hd.type == NGHTTP2_GOAWAY)
        h->goaway_received = 1;
    if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK))
        h->settings_received = 1;
    if (frame->hd.type == NGHTTP2_HEADERS && s) {
        s->header_frames++;
        if (frame->headers.cat != NGHTTP2_HCAT_HEADERS || !s->have_final) {
            if (s->status >= 200)
                s->have_final = 1;
            deliver_headers_done(s);
        }
    }
    /* A GOAWAY alone ends nothing: streams up to its last stream id may
     * still complete; what the close leaves unfinished decides (eof). */
    return 0;
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *data)
{
    (void)session;
    struct wt_h2_stream *s = live_stream(data, frame->hd.stream_id);
    if (!s)
        return 0;
    s->raw_bytes = 0;
    s->n_fields = 0;
    if (!s->have_final) {
        s->status = 0;
        s->n_headers = 0;
        s->content_length = -1;
    }
    return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *data)
{
    (void)session;
    (void)flags;
    struct wt_h2_stream *s = live_stream(data, frame->hd.stream_id);
    if (frame->hd.type != NGHTTP2_HEADERS || !s)
        return 0;
    s->raw_bytes += namelen + valuelen;
    s->n_fields++;
    if (s->have_final)
        return 0;   /* trailers: counted, not part of the response head */
    const char *n = (const char *)name;
    const char *v = (const char *)value;
    if (namelen == 7 && memcmp(n, ":status", 7) == 0) {
        /* nghttp2 has checked it comes first and only once; a code below
         * 100 (or not three digits) is no status, as for HTTP/1.1 */
        if (valuelen != 3 || v[0] < '1' || v[0] > '9' || v[1] < '0' || v[1] > '9' ||
            v[2] < '0' || v[2] > '9') {
            char shown[WT_ESCAPE_TERM_MAX(16)];
            wt_escape_term(v, valuelen > 16 ? 16 : valuelen, shown, sizeof shown);
            stream_fail(s, WT_EXIT_HTTP2, N_("the server's :status \"%s\" is not a status code"),
                        shown);
            /* nghttp2 resets this stream only; the others go on */
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        s->status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
        s->header_bytes += 13;   /* "HTTP/2 200 \r\n" */
        if (s->cb.on_status)
            s->cb.on_status(s->ctx, 2, 0, s->status, "", 0);
        return 0;
    }
    if (namelen == 14 && memcmp(n, "content-length", 14) == 0) {
        int64_t cl = 0;
        for (size_t i = 0; i < valuelen && cl < INT64_MAX / 10 - 10; i++)
            cl = cl * 10 + (v[i] - '0');   /* nghttp2 has checked the digits */
        s->content_length = cl;
    }
    s->n_headers++;
    s->header_bytes += namelen + valuelen + 4;
    if (s->cb.on_header)
        s->cb.on_header(s->ctx, n, namelen, v, valuelen, 0);
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *user)
{
    (void)session;
    (void)flags;
    struct wt_h2 *h = user;
    struct wt_h2_stream *s = live_stream(h, stream_id);
    if (!s)
        return 0;
    s->body_bytes += len;
    if (s->cb.on_body) {
        int rc = s->cb.on_body(s->ctx, (const char *)data, len);
        if (rc) {
            /* this stream's output failed: it alone is cancelled */
            stream_fail(s, rc, N_("writing the body failed%s"), "");
            (void)ng.submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
        }
    }
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *data)
{
    (void)data;
    struct wt_h2_stream *s = ng.session_get_stream_user_data(session, stream_id);
    if (!s)
        return 0;
    s->closed = 1;
    if (s->released) {
        stream_unlink_free(s);
        return 0;
    }
    struct wt_event ev = { .kind = WT_EV_H2_STREAM };
    ev.u.h2_stream.stream = stream_id;
    ev.u.h2_stream.header_frames = s->header_frames;
    ev.u.h2_stream.data_frames = s->data_frames;
    ev.u.h2_stream.data_bytes = s->data_bytes;
    ev.u.h2_stream.end_stream = error_code == NGHTTP2_NO_ERROR && s->have_final;
    ev.u.h2_stream.reset = !ev.u.h2_stream.end_stream;
    ev.u.h2_stream.error_code = error_code;
    ev.u.h2_stream.error_name = wt_h2_error_name(error_code);
    s->sink->emit(s->sink->ctx, &ev);
    if (s->ended)
        return 0;
    if (ev.u.h2_stream.end_stream) {
        s->ended = s->complete = 1;
        s->h->ended_complete++;
        return 0;
    }
    s->ended = s->failed = 1;
    s->exit_code = WT_EXIT_HTTP2_STREAM;
    wt_errf(s->error, sizeof s->error, "HTTP/2 stream %d was not closed cleanly: %s (%u)",
            stream_id, wt_h2_error_name(error_code), error_code);
    s->h->ended_failed++;
    return 0;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                         size_t length, uint32_t *data_flags, nghttp2_data_source *source,
                         void *data)
{
    (void)session;
    (void)stream_id;
    (void)data;
    struct wt_h2_stream *s = source->ptr;
    if (s->released)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;   /* its request is gone: reset */
    size_t left = s->request->body_len - s->body_sent;
    size_t n = left < length ? left : length;
    memcpy(buf, s->request->text + s->request->head_len + s->body_sent, n);
    s->body_sent += n;
    if (s->body_sent == s->request->body_len)
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* Fields an HTTP/2 request must not carry (RFC 9113 §8.2.2): they speak
 * of the HTTP/1.1 connection. Host becomes :authority. */
static int connection_specific(const char *name, size_t len)
{
    static const char *const names[] = {
        "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
            return 1;
    return 0;
}

static nghttp2_nv make_nv(const char *name, size_t namelen, const char *value, size_t valuelen)
{
    nghttp2_nv nv = { (uint8_t *)(uintptr_t)name, (uint8_t *)(uintptr_t)value, namelen, valuelen,
                      NGHTTP2_NV_FLAG_NONE };
    return nv;
}

/* The request's head as http.c wrote it ("Name: value" lines), made into
 * HTTP/2 fields: names lower-cased into lower (one buffer as long as the
 * head), values pointing into the head itself. */
/* The request's head as http.c wrote it ("Name: value" lines), made into
 * HTTP/2 fields: names lower-cased into lower (one buffer as long as the
 * head), values pointing into the head itself. */
static int submit_request(struct wt_h2 *h, struct wt_h2_stream *s, int https, char *lower)
{
    const struct wt_http_request *r = s->request;
    nghttp2_nv nva[WT_H2_MAX_REQUEST_HEADERS];
    size_t n = 0;
    const char *authority = r->host_header;
    const char *text = r->text;
    const char *end = r->text + r->head_len;
    const char *line = memchr(text, '\n', r->head_len);   /* past the request line */
    line = line ? line + 1 : end;
    /* A -H Host: replaces the URL's, as it replaces Host in HTTP/1.1. */
    for (const char *l = line; l < end;) {
        const char *eol = memchr(l, '\n', (size_t)(end - l));
        if (!eol)
            break;
        if (eol - l > 5 && strncasecmp(l, "Host:", 5) == 0) {
            const char *v = l + 5;
            while (*v == ' ')
                v++;
            size_t vlen = (size_t)(eol - v);
            if (vlen && v[vlen - 1] == '\r')
                vlen--;
            memcpy(lower, v, vlen);
            lower[vlen] = '\0';
            authority = lower;
            lower += vlen + 1;
        }
        l = eol + 1;
    }
    nva[n++] = make_nv(":method", 7, r->method, strlen(r->method));
    nva[n++] = make_nv(":scheme", 7, https ? "https" : "http", https ? 5 : 4);
    nva[n++] = make_nv(":authority", 10, authority, strlen(authority));
    nva[n++] = make_nv(":path", 5, r->target, strlen(r->target));
    while (line < end && n < WT_H2_MAX_REQUEST_HEADERS) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            break;
        size_t len = (size_t)(eol - line);
        if (len && line[len - 1] == '\r')
            len--;
        const char *colon = memchr(line, ':', len);
        if (len && colon) {
            size_t namelen = (size_t)(colon - line);
            const char *v = colon + 1;
            while (v < line + len && (*v == ' ' || *v == '\t'))
                v++;
            if (!connection_specific(line, namelen)) {
                for (size_t i = 0; i < namelen; i++) {
                    char c = line[i];
                    lower[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
                }
                nva[n++] = make_nv(lower, namelen, v, (size_t)(line + len - v));
                lower += namelen;
            }
        }
        line = eol + 1;
    }
    nghttp2_data_provider body = { .source.ptr = s, .read_callback = read_body };
    int32_t id = ng.submit_request(h->session, NULL, nva, n, r->body_len ? &body : NULL, s);
    if (id < 0)
        return -1;
    s->id = id;
    h->last_stream_id = id;
    return 0;
}

/* Moves what nghttp2 has to send into our buffer. */
static int collect_output(struct wt_h2 *h)
{
    for (;;) {
        const uint8_t *data;
        ssize_t n = ng.session_mem_send(h->session, &data);
        if (n < 0) {
            fail(h, WT_EXIT_HTTP2, N_("HTTP/2 framing failed: %s"), ng.strerror((int)n));
            return -1;
        }
        if (n == 0)
            return 0;
        if (!h->preface_told) {
            /* The first bytes are the 24-byte client magic, RFC 9113 §3.4. */
            h->preface_told = 1;
            struct wt_event ev = { .kind = WT_EV_H2_FRAME };
            ev.u.h2_frame.sent = 1;
            ev.u.h2_frame.type = -1;
            ev.u.h2_frame.type_name = frame_name(-1);
            ev.u.h2_frame.length = NGHTTP2_CLIENT_MAGIC_LEN;
            if (h->sink)
                h->sink->emit(h->sink->ctx, &ev);
        }
        if (h->out_start == h->out.len)
            h->out_start = h->out.len = 0;
        if (wt_buf_append(&h->out, (const char *)data, (size_t)n) < 0) {
            fail(h, WT_EXIT_OUT_OF_MEMORY, N_("out of memory%s"), "");
            return -1;
        }
    }
}

struct wt_h2_stream *wt_h2_submit(struct wt_h2 *h, const struct wt_http_callbacks *cb, void *ctx,
                                  const struct wt_event_sink *sink,
                                  const struct wt_http_request *request, int https,
                                  int head_request)
{
    if (h->failed)
        return NULL;
    struct wt_h2_stream *s = calloc(1, sizeof *s);
    char *lower = malloc(request->head_len + 1);
    if (!s || !lower) {
        free(s);
        free(lower);
        return NULL;
    }
    s->h = h;
    s->cb = *cb;
    s->ctx = ctx;
    s->sink = sink;
    s->request = request;
    s->head_request = head_request;
    s->content_length = -1;
    int rc = submit_request(h, s, https, lower);
    /* nghttp2 copied the fields when the request was submitted. */
    free(lower);
    if (rc < 0) {
        free(s);
        return NULL;
    }
    struct wt_h2_stream **tail = &h->streams;
    while (*tail)
        tail = &(*tail)->next;
    *tail = s;
    if (collect_output(h) < 0) {
        wt_h2_stream_release(s);
        return NULL;
    }
    return s;
}

void wt_h2_stream_release(struct wt_h2_stream *s)
{
    if (!s)
        return;
    struct wt_h2 *h = s->h;
    s->released = 1;
    if (s->closed) {
        stream_unlink_free(s);
        return;
    }
    /* Still open (a timeout, our own failure): the server may stop sending
     * it; the struct goes when nghttp2 closes the stream, or with the
     * session. */
    if (!h->failed && !h->eof &&
        ng.submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL) == 0)
        (void)collect_output(h);
}

struct wt_h2 *wt_h2_new(const struct wt_event_sink *sink)
{
    struct wt_h2 *h = calloc(1, sizeof *h);
    nghttp2_session_callbacks *cbs = NULL;
    if (!h || wt_h2_load(NULL, 0) < 0 || ng.session_callbacks_new(&cbs) != 0)
        goto fail;
    h->sink = sink;
    ng.session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    ng.session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    ng.session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    ng.session_callbacks_set_on_header_callback(cbs, on_header);
    ng.session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    ng.session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    int rc = ng.session_client_new(&h->session, cbs, h);
    ng.session_callbacks_del(cbs);
    if (rc != 0)
        goto fail;
    /* As curl: no server push, our concurrency and a large window. */
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, WT_H2_MAX_CONCURRENT },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, WT_H2_WINDOW },
        { NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
    };
    if (ng.submit_settings(h->session, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]) != 0 ||
        ng.session_set_local_window_size(h->session, NGHTTP2_FLAG_NONE, 0, WT_H2_WINDOW) != 0)
        goto fail;
    return h;
fail:
    wt_h2_free(h);
    return NULL;
}

/* Streams nghttp2 has not closed yet, ours or released. */
static size_t open_streams(const struct wt_h2 *h)
{
    size_t n = 0;
    for (const struct wt_h2_stream *s = h->streams; s; s = s->next)
        n += !s->closed;
    return n;
}

static int usable(const struct wt_h2 *h)
{
    /* stream ids are odd and end at 2^31-1 (RFC 9113 §5.1.1) */
    return !h->failed && !h->eof && !h->goaway_received &&
           h->last_stream_id < INT32_MAX - 2 && ng.session_want_read(h->session);
}

int wt_h2_reusable(const struct wt_h2 *h)
{
    return usable(h) && open_streams(h) == 0;
}

int wt_h2_can_take(const struct wt_h2 *h)
{
    /* Before the server's SETTINGS its limit is unknown: a stream sent
     * beyond it would be refused. */
    return usable(h) && h->settings_received &&
           open_streams(h) < ng.session_get_remote_settings(
                                 h->session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

int wt_h2_settings_received(const struct wt_h2 *h)
{
    return h->settings_received;
}

size_t wt_h2_streams(const struct wt_h2 *h)
{
    size_t n = 0;
    for (const struct wt_h2_stream *s = h->streams; s; s = s->next)
        n += !s->released;
    return n;
}

const struct wt_event_sink *wt_h2_stream_sink(const struct wt_h2 *h)
{
    for (const struct wt_h2_stream *s = h->streams; s; s = s->next)
        if (!s->released)
            return s->sink;
    return NULL;
}

void wt_h2_goaway(struct wt_h2 *h)
{
    /* RFC 9113 §6.8: say the connection is done before closing it; we
     * took no stream from the server, so the last one is 0. */
    if (!h->failed && ng.submit_goaway(h->session, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR,
                                       NULL, 0) == 0)
        (void)collect_output(h);
}

void wt_h2_free(struct wt_h2 *h)
{
    if (!h)
        return;
    if (h->session)
        ng.session_del(h->session);
    while (h->streams) {
        struct wt_h2_stream *s = h->streams;
        h->streams = s->next;
        free(s);
    }
    wt_buf_free(&h->out);
    free(h);
}

size_t wt_h2_output(struct wt_h2 *h, const char **data)
{
    *data = h->out.data + h->out_start;
    return h->out.len - h->out_start;
}

void wt_h2_sent(struct wt_h2 *h, size_t n)
{
    h->out_start += n;
    if (h->out_start == h->out.len)
        h->out_start = h->out.len = 0;
}

static size_t reading_streams(const struct wt_h2 *h)
{
    size_t n = 0;
    for (const struct wt_h2_stream *s = h->streams; s; s = s->next)
        n += !s->released && !s->ended;
    return n;
}

static enum wt_http_read outcome(const struct wt_h2 *h)
{
    if (h->ended_failed)
        return WT_HTTP_FAILED;
    return h->ended_complete ? WT_HTTP_COMPLETE : WT_HTTP_NEED_MORE;
}

enum wt_http_read wt_h2_feed(struct wt_h2 *h, const char *data, size_t len)
{
    h->ended_complete = h->ended_failed = 0;
    if (h->failed)
        return WT_HTTP_FAILED;
    ssize_t n = ng.session_mem_recv(h->session, (const uint8_t *)data, len);
    if (n < 0) {
        /* Fatal to the session (a flood, a broken preface): GOAWAY goes
         * out if nghttp2 can still say it. curl calls it a receive error. */
        ng.session_terminate_session(h->session, NGHTTP2_PROTOCOL_ERROR);
        fail(h, WT_EXIT_RECV_ERROR, N_("HTTP/2 framing error: %s"), ng.strerror((int)n));
    }
    /* ACKs, WINDOW_UPDATEs, a GOAWAY of ours: queued now, sent by the caller. */
    (void)collect_output(h);
    if (reading_streams(h) && !ng.session_want_read(h->session) &&
        !ng.session_want_write(h->session))
        fail(h, WT_EXIT_HTTP2, N_("the HTTP/2 connection ended before the response did%s"), "");
    if (h->failed)
        return WT_HTTP_FAILED;
    return outcome(h);
}

enum wt_http_read wt_h2_eof(struct wt_h2 *h)
{
    h->ended_complete = h->ended_failed = 0;
    h->eof = 1;
    for (struct wt_h2_stream *s = h->streams; s; s = s->next) {
        if (s->released || s->ended)
            continue;
        /* As curl: no response at all is an empty reply; a response cut
         * short ("HTTP/2 stream 1 was not closed cleanly before end of the
         * underlying stream") a partial file. */
        if (!s->status && !s->have_final) {
            stream_fail(s, WT_EXIT_GOT_NOTHING,
                        N_("the server closed the HTTP/2 connection without a response%s"), "");
        } else {
            s->ended = s->failed = 1;
            s->exit_code = WT_EXIT_PARTIAL_FILE;
            wt_errf(s->error, sizeof s->error,
                    "HTTP/2 stream %d was not closed cleanly before the connection ended", s->id);
            h->ended_failed++;
        }
    }
    return h->ended_failed ? WT_HTTP_FAILED : WT_HTTP_COMPLETE;
}

int wt_h2_failed(const struct wt_h2 *h) { return h->failed || h->eof; }

void wt_h2_abort(struct wt_h2 *h, int exit_code, const char *message)
{
    fail(h, exit_code, "%s", message);
}

struct wt_h2_stream *wt_h2_next_ended(struct wt_h2 *h)
{
    for (struct wt_h2_stream *s = h->streams; s; s = s->next) {
        if (s->ended && !s->reported && !s->released) {
            s->reported = 1;
            return s;
        }
    }
    return NULL;
}

void *wt_h2_stream_ctx(const struct wt_h2_stream *s) { return s->ctx; }
int32_t wt_h2_stream_id(const struct wt_h2_stream *s) { return s->id; }
int wt_h2_stream_complete(const struct wt_h2_stream *s) { return s->complete; }
int wt_h2_exit_code(const struct wt_h2_stream *s) { return s->exit_code; }
const char *wt_h2_error(const struct wt_h2_stream *s) { return s->error; }
uint64_t wt_h2_body_bytes(const struct wt_h2_stream *s) { return s->body_bytes; }
uint64_t wt_h2_bytes_fed(const struct wt_h2_stream *s) { return s->bytes_fed; }
size_t wt_h2_request_bytes(const struct wt_h2_stream *s) { return s->request_frame_bytes; }
