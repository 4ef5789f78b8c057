#include "webtrace/capture.h"

#include <dlfcn.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "webtrace/escape.h"
#include "webtrace/outfile.h"
#include "webtrace/packets.h"

/* Whole frames, as tcpdump keeps them, so the file opens in Wireshark with
 * the HTTP inside; loopback frames reach 64 KiB. */
#define CAPTURE_SNAPLEN 262144
/* The kernel ring: enough for a burst the loop has not read yet. */
#define CAPTURE_BUFFER_BYTES (4 * 1024 * 1024)
/* "any": one capture sees every interface (loopback, or whichever the
 * route picks), in Linux cooked form (LINKTYPE_LINUX_SLL). */
#define CAPTURE_DEVICE "any"
#define FILTER_MAX (64 + WT_CAPTURE_MAX_HOSTS * (WT_ADDR_STRLEN + 10))
/* The pcap file format (tcpdump's, microsecond timestamps). */
#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4

/* libpcap is loaded on first use: linked in, it would map eight more
 * libraries (D-Bus, systemd, libgcrypt...) at the start of every fetch. */
struct pcap_api {
    pcap_t *(*create)(const char *, char *);
    int (*set_snaplen)(pcap_t *, int);
    int (*set_immediate_mode)(pcap_t *, int);
    int (*set_buffer_size)(pcap_t *, int);
    int (*activate)(pcap_t *);
    char *(*geterr)(pcap_t *);
    const char *(*statustostr)(int);
    int (*compile)(pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32);
    int (*setfilter)(pcap_t *, struct bpf_program *);
    void (*freecode)(struct bpf_program *);
    int (*setnonblock)(pcap_t *, int, char *);
    int (*get_selectable_fd)(pcap_t *);
    int (*datalink)(pcap_t *);
    int (*dispatch)(pcap_t *, int, pcap_handler, u_char *);
    int (*stats)(pcap_t *, struct pcap_stat *);
    void (*close)(pcap_t *);
    const char *(*lib_version)(void);
};

/* A process-wide cache of the loaded library, not capture state. */
static struct pcap_api pcap;
static int pcap_loaded;

static int load_pcap(char *err, size_t errlen)
{
    if (pcap_loaded)
        return 0;
    /* Debian's soname first, then upstream's. */
    static const char *const names[] = { "libpcap.so.0.8", "libpcap.so.1", "libpcap.so" };
    void *lib = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !lib; i++)
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        wt_errf(err, errlen, "libpcap cannot be loaded (install libpcap0.8): %s", dlerror());
        return -1;
    }
    struct {
        void **slot;
        const char *name;
    } syms[] = {
        { (void **)&pcap.create, "pcap_create" },
        { (void **)&pcap.set_snaplen, "pcap_set_snaplen" },
        { (void **)&pcap.set_immediate_mode, "pcap_set_immediate_mode" },
        { (void **)&pcap.set_buffer_size, "pcap_set_buffer_size" },
        { (void **)&pcap.activate, "pcap_activate" },
        { (void **)&pcap.geterr, "pcap_geterr" },
        { (void **)&pcap.statustostr, "pcap_statustostr" },
        { (void **)&pcap.compile, "pcap_compile" },
        { (void **)&pcap.setfilter, "pcap_setfilter" },
        { (void **)&pcap.freecode, "pcap_freecode" },
        { (void **)&pcap.setnonblock, "pcap_setnonblock" },
        { (void **)&pcap.get_selectable_fd, "pcap_get_selectable_fd" },
        { (void **)&pcap.datalink, "pcap_datalink" },
        { (void **)&pcap.dispatch, "pcap_dispatch" },
        { (void **)&pcap.stats, "pcap_stats" },
        { (void **)&pcap.close, "pcap_close" },
        { (void **)&pcap.lib_version, "pcap_lib_version" },
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].slot = dlsym(lib, syms[i].name);
        if (!*syms[i].slot) {
            wt_errf(err, errlen, "libpcap has no %s (too old?)", syms[i].name);
            dlclose(lib);
            return -1;
        }
    }
    pcap_loaded = 1;   /* kept for the process: a later trace reuses it */
    return 0;
}

const char *wt_capture_library_version(char *err, size_t errlen)
{
    if (load_pcap(err, errlen) < 0)
        return NULL;
    /* "libpcap version 1.10.3 (with TPACKET_V3)": the number alone */
    static char version[32];
    const char *text = pcap.lib_version();
    const char *p = strstr(text, "version ");
    p = p ? p + strlen("version ") : text;
    snprintf(version, sizeof version, "%.*s", (int)strcspn(p, " "), p);
    return version;
}

struct pending_frame {
    struct pcap_pkthdr hdr;
    uint8_t *bytes;
};

struct wt_capture {
    struct wt_loop *loop;
    struct wt_event_sink sink;
    pcap_t *p;
    int fd;
    int linktype;
    char filter[FILTER_MAX];
    char file_error[320];
    struct wt_outfile file;
    const char *path;                /* --pcap FILE */
    int have_file;
    int have_connection;
    struct wt_endpoint local, remote;
    struct wt_packet_story story;
    struct pending_frame pending[WT_CAPTURE_PENDING_MAX];
    size_t n_pending;
    uint64_t packets, ignored, overflow;
    int64_t started_us;
    int finishing;
    uint64_t timer;
    wt_capture_done_proc done;
    void *done_ctx;
};

int wt_capture_filter(const struct wt_endpoint *addrs, size_t n, uint16_t port, char *buf,
                      size_t buflen)
{
    /* The connector may try every address of a large answer: past the
     * hosts a filter names, the port alone selects, so no attempt is
     * missing from the capture. */
    if (n > WT_CAPTURE_MAX_HOSTS)
        n = 0;
    int len = snprintf(buf, buflen, "tcp and port %u", port);
    if (len < 0 || (size_t)len >= buflen)
        return -1;
    size_t used = (size_t)len;
    for (size_t i = 0; i < n; i++) {
        len = snprintf(buf + used, buflen - used, "%s%s", i == 0 ? " and (host " : " or host ",
                       addrs[i].addr);
        if (len < 0 || (size_t)len >= buflen - used)
            return -1;
        used += (size_t)len;
    }
    if (n) {
        if (used + 2 > buflen)
            return -1;
        buf[used++] = ')';
        buf[used] = '\0';
    }
    return 0;
}

static void emit(struct wt_capture *c, const struct wt_event *ev)
{
    c->sink.emit(c->sink.ctx, ev);
}

static void file_failed(struct wt_capture *c, const char *why)
{
    snprintf(c->file_error, sizeof c->file_error, "%s", why);
    wt_outfile_abort(&c->file);
    c->have_file = 0;
}

static void write_frame(struct wt_capture *c, const struct pcap_pkthdr *h, const uint8_t *bytes)
{
    if (!c->have_file)
        return;
    /* The record header in this machine's byte order, as the magic says. */
    uint32_t rec[4] = { (uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, h->caplen, h->len };
    char err[256];
    if (wt_outfile_write(&c->file, (const char *)rec, sizeof rec, err, sizeof err) < 0 ||
        wt_outfile_write(&c->file, (const char *)bytes, h->caplen, err, sizeof err) < 0)
        file_failed(c, err);
}

static void report_data(struct wt_capture *c)
{
    if (c->story.data_reported)
        return;
    struct wt_event ev;
    wt_packet_story_summary(&c->story, &ev);
    emit(c, &ev);
}

/* One frame of the winning connection's filter. */
static void take_frame(struct wt_capture *c, const struct pcap_pkthdr *h, const uint8_t *bytes)
{
    struct wt_tcp_segment seg;
    if (wt_packet_decode(c->linktype, bytes, h->caplen, &seg) < 0 ||
        !wt_packet_matches(&seg, &c->local, &c->remote)) {
        c->ignored++;
        return;
    }
    c->packets++;
    write_frame(c, h, bytes);
    struct wt_event ev;
    int summary_due;
    if (wt_packet_story_add(&c->story, &seg, &ev, &summary_due)) {
        if (summary_due)
            report_data(c);
        ev.u.tcp_packet.wire_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
        emit(c, &ev);
    }
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct wt_capture *c = (struct wt_capture *)user;
    if (c->have_connection) {
        take_frame(c, h, bytes);
        return;
    }
    if (c->n_pending == WT_CAPTURE_PENDING_MAX) {
        c->overflow++;
        return;
    }
    struct pending_frame *f = &c->pending[c->n_pending];
    f->hdr = *h;
    if (f->hdr.caplen > WT_CAPTURE_PENDING_SNAP)
        f->hdr.caplen = WT_CAPTURE_PENDING_SNAP;   /* the file then says it was cut */
    f->bytes = malloc(f->hdr.caplen ? f->hdr.caplen : 1);
    if (!f->bytes) {
        c->overflow++;
        return;
    }
    memcpy(f->bytes, bytes, f->hdr.caplen);
    c->n_pending++;
}

static void drain(struct wt_capture *c)
{
    if (!c->p)
        return;
    /* Non-blocking: returns once the ring is empty. */
    while (pcap.dispatch(c->p, -1, on_frame, (u_char *)c) > 0)
        ;
}

static void finalize(struct wt_capture *c);

static void finished_soon(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_capture *c = data;
    c->timer = 0;
    finalize(c);
    wt_capture_done_proc done = c->done;
    c->done = NULL;
    if (done)
        done(c->done_ctx);
}

static void on_readable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)fd;
    (void)events;
    struct wt_capture *c = data;
    drain(c);
    if (c->finishing && c->story.complete && c->done) {
        wt_loop_timer_cancel(loop, c->timer);
        c->timer = wt_loop_timer_at(loop, wt_loop_now(loop), finished_soon, c);
    }
}

static void emit_start(struct wt_capture *c, enum wt_capture_status status, const char *pcap_path,
                       const char *message)
{
    struct wt_event ev = { .kind = WT_EV_CAPTURE_START, .phase = WT_PHASE_CONNECT };
    ev.u.capture_start.status = status;
    ev.u.capture_start.device = CAPTURE_DEVICE;
    ev.u.capture_start.filter = c->filter;
    ev.u.capture_start.pcap_path = pcap_path;
    ev.u.capture_start.message = message;
    ev.u.capture_start.setup_us = wt_loop_now(c->loop) - c->started_us;
    emit(c, &ev);
}

static void free_pending(struct wt_capture *c)
{
    for (size_t i = 0; i < c->n_pending; i++)
        free(c->pending[i].bytes);
    c->n_pending = 0;
}

static int open_file(struct wt_capture *c, const char *path)
{
    char err[256];
    wt_outfile_init(&c->file);
    if (wt_outfile_open(&c->file, path, err, sizeof err) != 0) {
        file_failed(c, err);
        return -1;
    }
    c->have_file = 1;
    struct {
        uint32_t magic;
        uint16_t major, minor;
        int32_t thiszone;
        uint32_t sigfigs, snaplen, linktype;
    } header = { PCAP_MAGIC_USEC, PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR, 0, 0,
                 CAPTURE_SNAPLEN, (uint32_t)c->linktype };
    if (wt_outfile_write(&c->file, (const char *)&header, sizeof header, err, sizeof err) < 0) {
        file_failed(c, err);
        return -1;
    }
    return 0;
}

struct wt_capture *wt_capture_start(struct wt_loop *loop, const struct wt_endpoint *addrs,
                                    size_t n, uint16_t port, const char *pcap_path,
                                    const struct wt_event_sink *sink)
{
    struct wt_capture *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->loop = loop;
    c->sink = *sink;
    c->fd = -1;
    c->started_us = wt_loop_now(loop);
    wt_outfile_init(&c->file);
    char err[PCAP_ERRBUF_SIZE + 160] = "";
    enum wt_capture_status status = WT_CAPTURE_FAILED;
    if (wt_capture_filter(addrs, n, port, c->filter, sizeof c->filter) < 0) {
        wt_errf(err, sizeof err, "the capture filter does not fit");
        goto fail;
    }
    if (load_pcap(err, sizeof err) < 0) {
        status = WT_CAPTURE_NO_LIBPCAP;
        goto fail;
    }
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    c->p = pcap.create(CAPTURE_DEVICE, pcap_err);
    if (!c->p) {
        snprintf(err, sizeof err, "%s", pcap_err);
        goto fail;
    }
    pcap.set_snaplen(c->p, CAPTURE_SNAPLEN);
    /* Immediate mode: each packet is readable as it arrives, not when a
     * block of the ring fills or a timeout passes. */
    pcap.set_immediate_mode(c->p, 1);
    pcap.set_buffer_size(c->p, CAPTURE_BUFFER_BYTES);
    int rc = pcap.activate(c->p);
    if (rc == PCAP_ERROR_PERM_DENIED) {
        status = WT_CAPTURE_NO_PERMISSION;
        wt_errf(err, sizeof err,
                 "capturing packets needs CAP_NET_RAW: run webtrace with sudo, or grant it "
                 "once with sudo setcap cap_net_raw+ep on the webtrace binary; "
                 "going on without packets");
        goto fail;
    }
    if (rc < 0) {
        snprintf(err, sizeof err, "%s: %s", pcap.statustostr(rc), pcap.geterr(c->p));
        goto fail;
    }
    struct bpf_program prog;
    if (pcap.compile(c->p, &prog, c->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(err, sizeof err, "filter: %s", pcap.geterr(c->p));
        goto fail;
    }
    rc = pcap.setfilter(c->p, &prog);
    pcap.freecode(&prog);
    if (rc < 0) {
        snprintf(err, sizeof err, "filter: %s", pcap.geterr(c->p));
        goto fail;
    }
    c->linktype = pcap.datalink(c->p);
    if (c->linktype != WT_LINKTYPE_LINUX_SLL && c->linktype != WT_LINKTYPE_ETHERNET) {
        wt_errf(err, sizeof err, "unexpected link type %d", c->linktype);
        goto fail;
    }
    if (pcap.setnonblock(c->p, 1, pcap_err) < 0) {
        snprintf(err, sizeof err, "%s", pcap_err);
        goto fail;
    }
    c->fd = pcap.get_selectable_fd(c->p);
    if (c->fd < 0 || wt_loop_watch(loop, c->fd, WT_LOOP_READ, on_readable, c) < 0) {
        wt_errf(err, sizeof err, "no descriptor to wait on");
        goto fail;
    }
    c->path = pcap_path;
    if (pcap_path)
        open_file(c, pcap_path);
    emit_start(c, WT_CAPTURE_ON, c->have_file ? pcap_path : NULL,
               c->file_error[0] ? c->file_error : NULL);
    return c;

fail:;
    char safe[sizeof err * 4];
    wt_escape_term(err, strlen(err), safe, sizeof safe);
    emit_start(c, status, NULL, safe);
    if (c->p)
        pcap.close(c->p);
    free(c);
    return NULL;
}

void wt_capture_set_connection(struct wt_capture *c, const struct wt_endpoint *local,
                               const struct wt_endpoint *remote)
{
    if (!c)
        return;
    drain(c);
    c->local = *local;
    c->remote = *remote;
    c->have_connection = 1;
    wt_packet_story_init(&c->story, local, remote);
    for (size_t i = 0; i < c->n_pending; i++)
        take_frame(c, &c->pending[i].hdr, c->pending[i].bytes);
    free_pending(c);
}

static void finalize(struct wt_capture *c)
{
    if (!c->p)
        return;
    drain(c);
    if (!c->have_connection) {
        /* No connection won: the attempts' packets are all there is. */
        for (size_t i = 0; i < c->n_pending; i++) {
            write_frame(c, &c->pending[i].hdr, c->pending[i].bytes);
            c->packets++;
        }
        free_pending(c);
    } else if (c->packets) {
        report_data(c);
    }
    struct pcap_stat st = { 0 };
    pcap.stats(c->p, &st);
    wt_loop_unwatch(c->loop, c->fd);
    pcap.close(c->p);
    c->p = NULL;
    char err[256];
    const char *written = NULL;
    if (c->have_file) {
        if (wt_outfile_commit(&c->file, err, sizeof err) < 0)
            file_failed(c, err);
        else
            written = c->path;
    }
    struct wt_event ev = { .kind = WT_EV_CAPTURE_END, .phase = WT_PHASE_CLOSE };
    ev.u.capture_end.packets = c->packets;
    ev.u.capture_end.ignored = c->ignored;
    ev.u.capture_end.kernel_drops = st.ps_drop + c->overflow;
    ev.u.capture_end.complete = c->story.complete;
    ev.u.capture_end.pcap_path = written;
    ev.u.capture_end.message = c->file_error[0] ? c->file_error : NULL;
    emit(c, &ev);
}

void wt_capture_finish(struct wt_capture *c, wt_capture_done_proc done, void *ctx)
{
    c->finishing = 1;
    c->done = done;
    c->done_ctx = ctx;
    drain(c);
    int64_t now = wt_loop_now(c->loop);
    c->timer = wt_loop_timer_at(c->loop,
                                c->story.complete ? now : now + WT_CAPTURE_LINGER_MS * 1000,
                                finished_soon, c);
}

void wt_capture_free(struct wt_capture *c)
{
    if (!c)
        return;
    wt_loop_timer_cancel(c->loop, c->timer);
    c->done = NULL;
    finalize(c);
    free_pending(c);
    wt_outfile_abort(&c->file);
    free(c);
}
