/* h2lib: libnghttp2's functions as h2.c loads them, lazily, the first time
 * HTTP/2 is spoken: the client's session (h2.c) and the server's
 * (h2_server.c) both call through this table, never the library directly,
 * so nothing that stays on HTTP/1.1 maps libnghttp2. */
#ifndef WEBTRACE_H2LIB_H
#define WEBTRACE_H2LIB_H

#include <nghttp2/nghttp2.h>

struct wt_h2_lib {
    __typeof__(nghttp2_session_callbacks_new) *session_callbacks_new;
    __typeof__(nghttp2_session_callbacks_del) *session_callbacks_del;
    __typeof__(nghttp2_session_callbacks_set_on_frame_send_callback) *session_callbacks_set_on_frame_send_callback;
    __typeof__(nghttp2_session_callbacks_set_on_frame_recv_callback) *session_callbacks_set_on_frame_recv_callback;
    __typeof__(nghttp2_session_callbacks_set_on_begin_headers_callback) *session_callbacks_set_on_begin_headers_callback;
    __typeof__(nghttp2_session_callbacks_set_on_header_callback) *session_callbacks_set_on_header_callback;
    __typeof__(nghttp2_session_callbacks_set_on_data_chunk_recv_callback) *session_callbacks_set_on_data_chunk_recv_callback;
    __typeof__(nghttp2_session_callbacks_set_on_stream_close_callback) *session_callbacks_set_on_stream_close_callback;
    __typeof__(nghttp2_session_client_new) *session_client_new;
    __typeof__(nghttp2_session_del) *session_del;
    __typeof__(nghttp2_submit_settings) *submit_settings;
    __typeof__(nghttp2_session_set_local_window_size) *session_set_local_window_size;
    __typeof__(nghttp2_submit_request) *submit_request;
    __typeof__(nghttp2_session_mem_send) *session_mem_send;
    __typeof__(nghttp2_session_mem_recv) *session_mem_recv;
    __typeof__(nghttp2_strerror) *strerror;
    __typeof__(nghttp2_session_terminate_session) *session_terminate_session;
    __typeof__(nghttp2_session_want_read) *session_want_read;
    __typeof__(nghttp2_session_want_write) *session_want_write;
    __typeof__(nghttp2_submit_goaway) *submit_goaway;
    __typeof__(nghttp2_version) *version;
    __typeof__(nghttp2_submit_rst_stream) *submit_rst_stream;
    __typeof__(nghttp2_session_get_stream_user_data) *session_get_stream_user_data;
    __typeof__(nghttp2_session_get_remote_settings) *session_get_remote_settings;
    __typeof__(nghttp2_session_server_new) *session_server_new;
    __typeof__(nghttp2_submit_response) *submit_response;
    __typeof__(nghttp2_session_set_stream_user_data) *session_set_stream_user_data;
    __typeof__(nghttp2_session_get_last_proc_stream_id) *session_get_last_proc_stream_id;
};

struct wt_event;
/* Fills ev (kind, and every h2_frame field the frame alone says: type,
 * flags, SETTINGS, error codes, increments) for a frame sent or received;
 * nth, HEADERS' field counts and the side are the session's to add. */
void wt_h2_frame_event(const nghttp2_frame *frame, int sent, struct wt_event *ev);

/* The table once wt_h2_load() has succeeded, else NULL. */
const struct wt_h2_lib *wt_h2_lib(void);

#endif
