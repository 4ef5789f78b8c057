#include "webtrace/tls.h"
#include "webtrace/tls_words.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define FIELD_MAX 512   /* subject/issuer text kept per certificate */
#define SANS_MAX 1024
#define SESSION_KEY_MAX 272   /* "host:port", a host name being at most 253 bytes */
#define MAX_SESSIONS 64       /* origins whose session a run remembers; the oldest goes */

struct wt_tls_config;

struct wt_tls {
    struct wt_tls_config *config;
    char session_key[SESSION_KEY_MAX];  /* the origin its session is remembered under */
    struct wt_loop *loop;
    struct wt_event_sink sink;
    wt_tls_done_proc done;
    void *ctx;
    SSL *ssl;
    int fd;
    int insecure;
    int64_t started_us;
    uint64_t step_timer;
    int handshake_done;
    char ip_literal[64];      /* the host, when it is an IP address */
    char alpn[64];            /* the protocol ALPN chose, "" none */
    char error[320];

    wt_tls_closed_proc closed;
    void *closed_ctx;
    uint64_t close_timer;
    int close_sent;
};

static void emit(struct wt_tls *t, struct wt_event *ev)
{
    /* close_notify belongs to the connection's close, the rest to the handshake */
    ev->phase = ev->kind == WT_EV_TLS_CLOSE ? WT_PHASE_CLOSE : WT_PHASE_TLS;
    t->sink.emit(t->sink.ctx, ev);
}

/* OpenSSL's error queue as one sentence (its first error); empties the
 * queue. Returns 1 when any queued error is an allocation failure: the
 * first one is often only its consequence ("internal error"). */
static int queue_text(char *buf, size_t buflen)
{
    unsigned long e = ERR_get_error();
    if (!e) {
        buf[0] = '\0';
        return 0;
    }
    const char *reason = ERR_reason_error_string(e);
    if (reason)
        snprintf(buf, buflen, "%s", reason);
    else
        ERR_error_string_n(e, buf, buflen);
    int out_of_memory = 0;
    for (; e; e = ERR_get_error())
        if (ERR_GET_REASON(e) == ERR_GET_REASON(ERR_R_MALLOC_FAILURE))
            out_of_memory = 1;
    return out_of_memory;
}

static void name_text(const X509_NAME *name, char *buf, size_t buflen)
{
    buf[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return;
    /* RFC 2253 order, UTF-8 as UTF-8 and no escaping of OpenSSL's own: the
     * renderers escape for their output (a second escaper would double the
     * backslashes). */
    X509_NAME_print_ex(bio, name, 0,
                       XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_DN_REV | XN_FLAG_FN_SN |
                           ASN1_STRFLGS_UTF8_CONVERT);
    int n = BIO_read(bio, buf, (int)buflen - 1);
    buf[n > 0 ? n : 0] = '\0';
    BIO_free(bio);
}

static void date_text(const ASN1_TIME *t, char *buf, size_t buflen)
{
    struct tm tm;
    if (t && ASN1_TIME_to_tm(t, &tm) == 1)
        snprintf(buf, buflen, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    else
        snprintf(buf, buflen, "?");
}

static void sans_text(X509 *cert, char *buf, size_t buflen)
{
    buf[0] = '\0';
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (!names)
        return;
    size_t used = 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(names) && used < buflen; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        char item[300];
        item[0] = '\0';
        if (gn->type == GEN_DNS) {
            const unsigned char *p = ASN1_STRING_get0_data(gn->d.dNSName);
            int len = ASN1_STRING_length(gn->d.dNSName);
            snprintf(item, sizeof item, "DNS:%.*s", len > 255 ? 255 : len, (const char *)p);
        } else if (gn->type == GEN_IPADD) {
            char addr[64];
            int len = ASN1_STRING_length(gn->d.iPAddress);
            const unsigned char *p = ASN1_STRING_get0_data(gn->d.iPAddress);
            if ((len == 4 && inet_ntop(AF_INET, p, addr, sizeof addr)) ||
                (len == 16 && inet_ntop(AF_INET6, p, addr, sizeof addr)))
                snprintf(item, sizeof item, "IP Address:%s", addr);
        }
        if (!item[0])
            continue;
        int w = snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "", item);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    GENERAL_NAMES_free(names);
}

static void describe_chain(struct wt_tls *t)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(t->ssl);
    int n = chain ? sk_X509_num(chain) : 0;
    for (int i = 0; i < n && i < WT_TLS_MAX_CHAIN; i++) {
        X509 *cert = sk_X509_value(chain, i);
        char subject[FIELD_MAX], issuer[FIELD_MAX], from[32], until[32], sans[SANS_MAX];
        name_text(X509_get_subject_name(cert), subject, sizeof subject);
        name_text(X509_get_issuer_name(cert), issuer, sizeof issuer);
        date_text(X509_get0_notBefore(cert), from, sizeof from);
        date_text(X509_get0_notAfter(cert), until, sizeof until);
        int days = 0, secs = 0;
        if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)))
            days = 0;
        struct wt_event ev = { .kind = WT_EV_TLS_CERT };
        ev.u.tls_cert.index = (size_t)i;
        ev.u.tls_cert.subject = subject;
        ev.u.tls_cert.issuer = issuer;
        ev.u.tls_cert.not_before = from;
        ev.u.tls_cert.not_after = until;
        ev.u.tls_cert.days_left = days;
        if (i == 0) {
            sans_text(cert, sans, sizeof sans);
            ev.u.tls_cert.sans = sans;
            /* SSL_get0_peername names DNS matches only; an IP literal that
             * verified matched itself. */
            ev.u.tls_cert.matched = SSL_get0_peername(t->ssl);
            if (!ev.u.tls_cert.matched && t->ip_literal[0] &&
                SSL_get_verify_result(t->ssl) == X509_V_OK)
                ev.u.tls_cert.matched = t->ip_literal;
        }
        emit(t, &ev);
    }
}

static void emit_verify(struct wt_tls *t, long code)
{
    struct wt_event ev = { .kind = WT_EV_TLS_VERIFY };
    ev.u.tls_verify.ok = code == X509_V_OK;
    ev.u.tls_verify.skipped = t->insecure;
    ev.u.tls_verify.code = code;
    ev.u.tls_verify.reason = X509_verify_cert_error_string(code);
    emit(t, &ev);
}

static void finish(struct wt_tls *t, int exit_code)
{
    wt_loop_unwatch(t->loop, t->fd);
    t->done(t->ctx, exit_code, t->error);
}

static void handshake_step(struct wt_loop *loop, int fd, int events, void *data);

static void drive_handshake(struct wt_tls *t)
{
    ERR_clear_error();
    errno = 0;   /* read below only if SSL_connect's syscall set it */
    int rc = SSL_connect(t->ssl);
    if (rc == 1) {
        t->handshake_done = 1;
        const unsigned char *alpn = NULL;
        unsigned alpn_len = 0;
        SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
        char alpn_text[64];
        snprintf(alpn_text, sizeof alpn_text, "%.*s", (int)alpn_len, alpn ? (const char *)alpn : "");
        snprintf(t->alpn, sizeof t->alpn, "%s", alpn_text);
        int group = SSL_get_negotiated_group(t->ssl);
        struct wt_event ev = { .kind = WT_EV_TLS_DONE };
        ev.u.tls_done.elapsed_us = wt_loop_now(t->loop) - t->started_us;
        ev.u.tls_done.version = SSL_get_version(t->ssl);
        ev.u.tls_done.cipher = SSL_get_cipher_name(t->ssl);
        ev.u.tls_done.group = group > 0 ? SSL_group_to_name(t->ssl, group) : NULL;
        ev.u.tls_done.alpn = alpn_len ? alpn_text : NULL;
        ev.u.tls_done.resumed = SSL_session_reused(t->ssl);
        emit(t, &ev);
        /* A resumed session sends no certificate: the server proved who it
         * is when the session was made, on an earlier connection. */
        if (!ev.u.tls_done.resumed) {
            describe_chain(t);
            emit_verify(t, SSL_get_verify_result(t->ssl));
        }
        t->error[0] = '\0';
        finish(t, 0);
        return;
    }
    int err = SSL_get_error(t->ssl, rc);
    if (err == SSL_ERROR_WANT_READ) {
        wt_loop_watch(t->loop, t->fd, WT_LOOP_READ, handshake_step, t);
        return;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
        wt_loop_watch(t->loop, t->fd, WT_LOOP_WRITE, handshake_step, t);
        return;
    }
    long verify = SSL_get_verify_result(t->ssl);
    char why[256];
    if (queue_text(why, sizeof why) || verify == X509_V_ERR_OUT_OF_MEM) {
        snprintf(t->error, sizeof t->error, WT_TLS_SAY_HANDSHAKE_OOM,
                 why[0] ? why : "certificate verification");
        finish(t, 27);
        return;
    }
    if (!t->insecure && verify != X509_V_OK) {
        describe_chain(t);
        emit_verify(t, verify);
        snprintf(t->error, sizeof t->error, WT_TLS_SAY_VERIFY_FAILED,
                 X509_verify_cert_error_string(verify));
        finish(t, 60);
        return;
    }
    if (err == SSL_ERROR_SYSCALL && !why[0] && errno)
        snprintf(t->error, sizeof t->error, WT_TLS_SAY_PEER_CLOSED_WHY, strerror(errno));
    else if (err == SSL_ERROR_SYSCALL && !why[0])
        snprintf(t->error, sizeof t->error, "%s", WT_TLS_SAY_PEER_CLOSED);
    else
        snprintf(t->error, sizeof t->error, WT_TLS_SAY_HANDSHAKE_FAILED,
                 why[0] ? why : WT_TLS_SAY_UNKNOWN_ERROR);
    finish(t, 35);
}

static void handshake_step(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)fd;
    (void)events;
    drive_handshake(data);
}

static void handshake_begin(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_tls *t = data;
    t->step_timer = 0;
    drive_handshake(t);
}

/* The system trust store as a hashed directory: certificates are read only
 * when a chain asks for their issuer's hash, instead of parsing the whole
 * bundle in every process. */
static int load_trust(SSL_CTX *ctx, const struct wt_tls_options *o, char *err, size_t errlen)
{
    if (o->ca_pem) {
        BIO *bio = BIO_new_mem_buf(o->ca_pem, -1);
        X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        int ok = x && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x) == 1;
        X509_free(x);
        BIO_free(bio);
        if (!ok) {
            ERR_clear_error();
            snprintf(err, errlen, "%s", WT_TLS_SAY_BAD_CA);
            return -1;
        }
        return 0;
    }
    if (o->cafile || o->capath) {
        if (SSL_CTX_load_verify_locations(ctx, o->cafile, o->capath) != 1) {
            char why[200];
            queue_text(why, sizeof why);
            snprintf(err, errlen, WT_TLS_SAY_CA_LOAD, o->cafile ? o->cafile : o->capath,
                     why[0] ? why : WT_TLS_SAY_NO_CERTIFICATES);
            return -1;
        }
        return 0;
    }
    const char *dir = getenv(X509_get_default_cert_dir_env());
    if (!dir || !*dir)
        dir = X509_get_default_cert_dir();
    X509_STORE_load_path(SSL_CTX_get_cert_store(ctx), dir);
    ERR_clear_error();
    return 0;
}

/* ---- the run's client configuration ----------------------------------- */

struct wt_tls_config {
    SSL_CTX *ssl_ctx;
    struct wt_tls_options options;
    int trust_loaded;
    /* The last session of each origin met in this run, for resumption on
     * the next new connection there (TLS 1.3 tickets, TLS 1.2 sessions). */
    struct {
        char key[SESSION_KEY_MAX];
        SSL_SESSION *session;
    } sessions[MAX_SESSIONS];
    size_t n_sessions;
};

/* OpenSSL hands over each session it can resume later: with TLS 1.3 the
 * server's tickets arrive after the handshake, while the response is read.
 * Returns 1: the reference is ours. */
static int on_new_session(SSL *ssl, SSL_SESSION *session)
{
    struct wt_tls *t = SSL_get_app_data(ssl);
    if (!t || !t->session_key[0] ||
        (!t->insecure && SSL_get_verify_result(ssl) != X509_V_OK))
        return 0;
    struct wt_tls_config *c = t->config;
    size_t i = 0;
    while (i < c->n_sessions && strcmp(c->sessions[i].key, t->session_key) != 0)
        i++;
    if (i == c->n_sessions) {
        if (c->n_sessions == MAX_SESSIONS) {
            SSL_SESSION_free(c->sessions[0].session);
            memmove(&c->sessions[0], &c->sessions[1], (MAX_SESSIONS - 1) * sizeof c->sessions[0]);
            i = MAX_SESSIONS - 1;
        } else {
            c->n_sessions++;
        }
        snprintf(c->sessions[i].key, sizeof c->sessions[i].key, "%s", t->session_key);
    } else {
        SSL_SESSION_free(c->sessions[i].session);
    }
    c->sessions[i].session = session;
    return 1;
}

static SSL_SESSION *remembered_session(const struct wt_tls_config *c, const char *key)
{
    for (size_t i = 0; i < c->n_sessions; i++)
        if (strcmp(c->sessions[i].key, key) == 0)
            return c->sessions[i].session;
    return NULL;
}

int wt_tls_library_init(int *exit_code, char *err, size_t errlen)
{
    /* No atexit cleanup: the process is about to end and the kernel frees
     * everything; OpenSSL's cleanup was 5% of a small https fetch. The
     * system's openssl.cnf is still read (its policy applies to us too). */
    if (OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, NULL) != 1) {
        char why[200];
        *exit_code = queue_text(why, sizeof why) ? 27 : 35;
        snprintf(err, errlen, WT_TLS_SAY_INIT, why[0] ? why : WT_TLS_SAY_UNKNOWN_ERROR);
        return -1;
    }
    return 0;
}

struct wt_tls_config *wt_tls_config_new(const struct wt_tls_options *options, int *exit_code,
                                        char *err, size_t errlen)
{
    struct wt_tls_config *c = calloc(1, sizeof *c);
    if (!c) {
        *exit_code = 27;
        snprintf(err, errlen, "%s", WT_TLS_SAY_OUT_OF_MEMORY);
        return NULL;
    }
    c->options = *options;
    c->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ssl_ctx) {
        char why[200];
        /* Nothing queued: an allocation inside OpenSSL that said nothing. */
        *exit_code = queue_text(why, sizeof why) || !why[0] ? 27 : 35;
        snprintf(err, errlen, WT_TLS_SAY_SETUP, why[0] ? why : WT_TLS_SAY_OUT_OF_MEMORY);
        free(c);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
    /* Sessions are kept per origin by on_new_session, not in OpenSSL's
     * cache (which a client does not look up by itself). */
    SSL_CTX_set_session_cache_mode(c->ssl_ctx,
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(c->ssl_ctx, on_new_session);
    /* Verify always; only enforce it without -k, so -k can still say what
     * verification found. */
    SSL_CTX_set_verify(c->ssl_ctx, options->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    return c;
}

int wt_tls_config_load_trust(struct wt_tls_config *c, int *exit_code, char *err, size_t errlen)
{
    if (c->trust_loaded)
        return 0;
    if (load_trust(c->ssl_ctx, &c->options, err, errlen) < 0) {
        *exit_code = 77;
        return -1;
    }
    c->trust_loaded = 1;
    return 0;
}

void wt_tls_config_free(struct wt_tls_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_sessions; i++)
        SSL_SESSION_free(c->sessions[i].session);
    SSL_CTX_free(c->ssl_ctx);   /* sessions hold their own reference */
    free(c);
}

/* ---- one session ------------------------------------------------------- */

struct wt_tls *wt_tls_start(struct wt_loop *loop, int fd, const char *host, int host_is_ip,
                            struct wt_tls_config *config,
                            const struct wt_tls_setup_figures *setup,
                            const struct wt_event_sink *sink, wt_tls_done_proc done,
                            void *ctx, int *exit_code, char *err, size_t errlen)
{
    *exit_code = 35;
    if (wt_tls_config_load_trust(config, exit_code, err, errlen) < 0)
        return NULL;
    struct wt_tls *t = calloc(1, sizeof *t);
    if (!t) {
        *exit_code = 27;
        snprintf(err, errlen, "%s", WT_TLS_SAY_OUT_OF_MEMORY);
        return NULL;
    }
    t->loop = loop;
    t->sink = *sink;
    t->done = done;
    t->ctx = ctx;
    t->fd = fd;
    t->insecure = config->options.insecure;
    t->config = config;
    t->ssl = SSL_new(config->ssl_ctx);
    if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1)
        goto setup_failed;
    SSL_set_app_data(t->ssl, t);
    /* The origin is the name and the port connected to. */
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) == 0) {
        unsigned port = ntohs(peer.ss_family == AF_INET6
                                  ? ((struct sockaddr_in6 *)&peer)->sin6_port
                                  : ((struct sockaddr_in *)&peer)->sin_port);
        snprintf(t->session_key, sizeof t->session_key, "%s:%u", host, port);
        SSL_SESSION *known = remembered_session(config, t->session_key);
        if (known && SSL_set_session(t->ssl, known) != 1)
            goto setup_failed;
    }
    /* Read whole records at once: one read() per record instead of two
     * (header, then body) on large bodies. */
    SSL_set_read_ahead(t->ssl, 1);
    if (host_is_ip) {
        snprintf(t->ip_literal, sizeof t->ip_literal, "%s", host);
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) != 1)
            goto setup_failed;
    } else {
        if (SSL_set_tlsext_host_name(t->ssl, host) != 1 || SSL_set1_host(t->ssl, host) != 1)
            goto setup_failed;
    }
    /* As curl: h2 first for https unless --http1.1; the server picks. */
    static const unsigned char alpn_h1[] = "\x08http/1.1";
    static const unsigned char alpn_h2[] = "\x02h2\x08http/1.1";
    int offer_h2 = config->options.offer_h2;
    if (SSL_set_alpn_protos(t->ssl, offer_h2 ? alpn_h2 : alpn_h1,
                            offer_h2 ? sizeof alpn_h2 - 1 : sizeof alpn_h1 - 1) != 0)  /* 0 is success */
        goto setup_failed;

    struct wt_event ev = { .kind = WT_EV_TLS_HELLO };
    ev.u.tls_hello.sni = host_is_ip ? NULL : host;
    ev.u.tls_hello.alpn = offer_h2 ? "h2, http/1.1" : "http/1.1";
    ev.u.tls_hello.versions = "TLS 1.2–1.3";
    if (setup)
        ev.u.tls_hello.setup = *setup;
    emit(t, &ev);
    t->started_us = wt_loop_now(loop);
    t->step_timer = wt_loop_timer_at(loop, t->started_us, handshake_begin, t);
    return t;

setup_failed:;
    char why[200];
    /* Nothing queued: an allocation inside OpenSSL that said nothing. */
    if (queue_text(why, sizeof why) || !why[0])
        *exit_code = 27;
    snprintf(err, errlen, WT_TLS_SAY_SETUP, why[0] ? why : WT_TLS_SAY_OUT_OF_MEMORY);
    wt_tls_free(t);
    return NULL;
}

void wt_tls_free(struct wt_tls *t)
{
    if (!t)
        return;
    wt_loop_timer_cancel(t->loop, t->step_timer);
    wt_loop_timer_cancel(t->loop, t->close_timer);
    wt_loop_unwatch(t->loop, t->fd);
    SSL_free(t->ssl);
    free(t);
}

static ssize_t io_result(struct wt_tls *t, int rc, int *want)
{
    int err = SSL_get_error(t->ssl, rc);
    switch (err) {
    case SSL_ERROR_WANT_READ:
        *want = WT_LOOP_READ;
        return WT_TLS_WOULD_BLOCK;
    case SSL_ERROR_WANT_WRITE:
        *want = WT_LOOP_WRITE;
        return WT_TLS_WOULD_BLOCK;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default:
        break;
    }
    unsigned long e = ERR_peek_error();
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return WT_TLS_UNCLEAN_EOF;
    }
    char why[200];
    int saved = errno;
    queue_text(why, sizeof why);
    if (why[0])
        snprintf(t->error, sizeof t->error, WT_TLS_SAY_ERROR, why);
    else
        snprintf(t->error, sizeof t->error, "%s", saved ? strerror(saved) : WT_TLS_SAY_IO_ERROR);
    return WT_TLS_FAILED;
}

ssize_t wt_tls_read(struct wt_tls *t, char *buf, size_t len, int *want)
{
    ERR_clear_error();
    size_t got = 0;
    int rc = SSL_read_ex(t->ssl, buf, len, &got);
    if (rc == 1)
        return (ssize_t)got;
    return io_result(t, rc, want);
}

ssize_t wt_tls_write(struct wt_tls *t, const char *buf, size_t len, int *want)
{
    ERR_clear_error();
    size_t put = 0;
    int rc = SSL_write_ex(t->ssl, buf, len, &put);
    if (rc == 1)
        return (ssize_t)put;
    return io_result(t, rc, want);
}

const char *wt_tls_error(const struct wt_tls *t)
{
    return t->error;
}

const char *wt_tls_alpn(const struct wt_tls *t)
{
    return t->alpn;
}

int wt_tls_pending(const struct wt_tls *t)
{
    return SSL_has_pending(t->ssl);
}

/* ---- close_notify ------------------------------------------------------ */

static void close_finish(struct wt_tls *t)
{
    wt_loop_timer_cancel(t->loop, t->close_timer);
    t->close_timer = 0;
    wt_loop_unwatch(t->loop, t->fd);
    struct wt_event ev = { .kind = WT_EV_TLS_CLOSE };
    ev.u.tls_close.sent = t->close_sent;
    ev.u.tls_close.peer_sent = (SSL_get_shutdown(t->ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
    emit(t, &ev);
    t->closed(t->closed_ctx);
}

static void close_readable(struct wt_loop *loop, int fd, int events, void *data)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct wt_tls *t = data;
    char buf[4096];
    for (int i = 0; i < 64; i++) {
        int want = 0;
        ssize_t n = wt_tls_read(t, buf, sizeof buf, &want);
        if (n > 0)
            continue;   /* data after the response: not ours to keep */
        if (n == WT_TLS_WOULD_BLOCK)
            return;
        break;          /* close_notify, EOF or error: nothing more to learn */
    }
    close_finish(t);
}

static void close_timeout(struct wt_loop *loop, void *data)
{
    (void)loop;
    struct wt_tls *t = data;
    t->close_timer = 0;
    close_finish(t);
}

void wt_tls_close_start(struct wt_tls *t, int64_t budget_us, wt_tls_closed_proc done, void *ctx)
{
    t->closed = done;
    t->closed_ctx = ctx;
    ERR_clear_error();
    int rc = SSL_shutdown(t->ssl);   /* sends our close_notify */
    t->close_sent = rc >= 0;
    ERR_clear_error();
    if (rc == 1 || (SSL_get_shutdown(t->ssl) & SSL_RECEIVED_SHUTDOWN)) {
        t->close_timer = wt_loop_timer_at(t->loop, wt_loop_now(t->loop), close_timeout, t);
        return;
    }
    wt_loop_watch(t->loop, t->fd, WT_LOOP_READ, close_readable, t);
    t->close_timer = wt_loop_timer_at(t->loop, wt_loop_now(t->loop) + budget_us,
                                      close_timeout, t);
    /* The peer's close_notify may already be inside the session (read
     * ahead with the response): poll would never report it. */
    if (SSL_has_pending(t->ssl))
        close_readable(t->loop, t->fd, WT_LOOP_READ, t);
}
