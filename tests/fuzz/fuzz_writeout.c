/* libFuzzer: any bytes as a -w format over one trace. Byte 0 holds flags
 * (bit 0: the trace fails; bit 1: the data stream is a terminal); the
 * format runs to the first NUL; the rest is the response's header lines,
 * "Name: value" separated by '\n'. A format with no % and no \ must be
 * written as it is; nothing may crash or read out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/render.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Bit 1: writeout escapes values differently on a terminal. A memory
 * stream stands in for one: this isatty() (which the library's calls bind
 * to in this executable) says a memory stream's fd, -1, is a terminal while
 * the input asks for one. A real pty would make runs depend on how fast the
 * kernel moves its buffers. */
static int fake_terminal;

int isatty(int fd)
{
    struct termios t;
    if (fd == -1 && fake_terminal)
        return 1;
    return tcgetattr(fd, &t) == 0;
}

static void emit(const struct wt_renderer *r, void *state, struct wt_event *ev)
{
    ev->url_index = 0;
    r->event(state, ev);
}

static void trace(const struct wt_renderer *r, void *state, int fails,
                  const char *headers, size_t headers_len)
{
    struct wt_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = WT_EV_PHASE;
    ev.u.phase.entered = WT_PHASE_URL;
    ev.u.phase.input = "www.example.test";
    ev.u.phase.wall_us = 1700000000000000;
    emit(r, state, &ev);

    memset(&ev, 0, sizeof ev);
    ev.kind = WT_EV_URL;
    ev.u.url.input = "www.example.test";
    ev.u.url.normalized = "http://www.example.test/";
    ev.u.url.host = "www.example.test";
    ev.u.url.port = 80;
    ev.u.url.target = "/?q=1";
    emit(r, state, &ev);

    struct wt_endpoint server = { "127.0.0.1", 53, AF_INET };
    memset(&ev, 0, sizeof ev);
    ev.kind = WT_EV_DNS_START;
    ev.u.dns_start.name = "www.example.test";
    ev.u.dns_start.n_servers = 1;
    ev.u.dns_start.servers = &server;
    emit(r, state, &ev);

    memset(&ev, 0, sizeof ev);
    ev.kind = WT_EV_DNS_RECORD;
    ev.u.dns_record.name = "www.example.test";
    ev.u.dns_record.type = WT_DNS_TYPE_CNAME;
    ev.u.dns_record.data = "web.example.test";
    emit(r, state, &ev);

    memset(&ev, 0, sizeof ev);
    ev.kind = WT_EV_PHASE;
    ev.u.phase.entered = WT_PHASE_CONNECT;
    ev.t_us = 310;
    emit(r, state, &ev);

    if (!fails) {
        memset(&ev, 0, sizeof ev);
        ev.kind = WT_EV_TCP_ESTABLISHED;
        ev.u.tcp_established.local = (struct wt_endpoint){ "127.0.0.1", 41822, AF_INET };
        ev.u.tcp_established.remote = (struct wt_endpoint){ "127.0.0.1", 80, AF_INET };
        ev.u.tcp_established.rtt_us = 30;
        ev.u.tcp_established.snd_mss = 32741;
        emit(r, state, &ev);

        memset(&ev, 0, sizeof ev);
        ev.kind = WT_EV_HTTP_REQUEST;
        ev.u.http_request.method = "GET";
        ev.u.http_request.target = "/?q=1";
        ev.u.http_request.raw = "GET /?q=1 HTTP/1.1\r\nHost: www.example.test\r\n"
                                "Accept: */*\r\n\r\n";
        ev.u.http_request.bytes = 60;
        emit(r, state, &ev);

        memset(&ev, 0, sizeof ev);
        ev.kind = WT_EV_HTTP_STATUS;
        ev.u.http_status.version_major = 1;
        ev.u.http_status.version_minor = 1;
        ev.u.http_status.status = 200;
        ev.u.http_status.reason = "OK";
        ev.u.http_status.reason_len = 2;
        emit(r, state, &ev);

        /* the header lines of the input, each "Name: value" */
        for (size_t off = 0; off < headers_len;) {
            const char *line = headers + off;
            const char *nl = memchr(line, '\n', headers_len - off);
            size_t len = nl ? (size_t)(nl - line) : headers_len - off;
            off += len + 1;
            const char *colon = memchr(line, ':', len);
            size_t name_len = colon ? (size_t)(colon - line) : len;
            const char *value = colon ? colon + 1 : line + len;
            while (value < line + len && *value == ' ')
                value++;
            memset(&ev, 0, sizeof ev);
            ev.kind = WT_EV_HTTP_HEADER;
            ev.u.http_header.name = line;
            ev.u.http_header.name_len = name_len;
            ev.u.http_header.value = value;
            ev.u.http_header.value_len = (size_t)(line + len - value);
            emit(r, state, &ev);
        }

        memset(&ev, 0, sizeof ev);
        ev.kind = WT_EV_HTTP_BODY_DONE;
        ev.u.http_body_done.bytes = 1024;
        ev.u.http_body_done.sink = "stdout";
        emit(r, state, &ev);
    } else {
        memset(&ev, 0, sizeof ev);
        ev.kind = WT_EV_ERROR;
        ev.u.error.step = "tcp";
        ev.u.error.exit_code = 7;
        ev.u.error.message = "connection refused by 127.0.0.1:80";
        emit(r, state, &ev);
    }

    memset(&ev, 0, sizeof ev);
    ev.kind = WT_EV_SUMMARY;
    ev.t_us = 1520;
    ev.u.summary.dns_us = 310;
    ev.u.summary.connect_us = fails ? -1 : 80;
    ev.u.summary.tls_us = -1;
    ev.u.summary.wait_us = fails ? -1 : 210;
    ev.u.summary.transfer_us = fails ? -1 : 20;
    ev.u.summary.total_us = 1520;
    ev.u.summary.teardown_us = -1;
    emit(r, state, &ev);

    /* -w is written once per transfer, at its end */
    memset(&ev, 0, sizeof ev);
    ev.kind = WT_EV_TRANSFER_DONE;
    ev.t_us = 1530;
    ev.u.transfer_done.hops = 1;
    ev.u.transfer_done.exit_code = fails ? 7 : 0;
    ev.u.transfer_done.total_us = 1520;
    emit(r, state, &ev);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    int fails = data[0] & 1;
    fake_terminal = (data[0] & 2) != 0;
    char *format = malloc(size);
    if (!format)
        return 0;
    memcpy(format, data + 1, size - 1);
    format[size - 1] = '\0';
    size_t format_len = strlen(format);
    const char *headers = format_len + 1 < size - 1 ? format + format_len + 1 : "";
    size_t headers_len = format_len + 1 < size - 1 ? size - 1 - format_len - 1 : 0;

    char *out_text = NULL, *err_text = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&out_text, &out_len);
    FILE *err = open_memstream(&err_text, &err_len);
    if (!out || !err)
        abort();
    struct wt_render_config cfg = { .out = err, .data_out = out, .writeout = format };
    void *state = wt_render_writeout.begin(&cfg);
    if (!state)
        abort();
    trace(&wt_render_writeout, state, fails, headers, headers_len);
    int rc = wt_render_writeout.end(state);
    fclose(out);
    fclose(err);
    fake_terminal = 0;
    /* memory streams do not fail */
    if (rc != 0)
        abort();
    if (!strpbrk(format, "%\\") && (out_len != format_len || memcmp(out_text, format, out_len)))
        abort();
    /* on a terminal, what came from the network is escaped: no ESC */
    if ((data[0] & 2) && !memchr(format, 0x1b, format_len) && memchr(out_text, 0x1b, out_len))
        abort();
    free(out_text);
    free(err_text);
    free(format);
    return 0;
}
