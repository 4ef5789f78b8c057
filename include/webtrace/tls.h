/* tls: the TLS client step with OpenSSL, non-blocking on the caller's loop:
 * SNI for names only, hostname or IP verification, ALPN (h2, http/1.1), the
 * certificate chain and the verification result as events, then record
 * I/O and close_notify. Never prints; never loaded for http:// URLs (the
 * trace only calls into it for https). */
#ifndef WEBTRACE_TLS_H
#define WEBTRACE_TLS_H

#include <stddef.h>
#include <sys/types.h>
#include "webtrace/event.h"
#include "webtrace/loop.h"

#define WT_TLS_MAX_CHAIN 10   /* certificates described per handshake */

struct wt_tls_options {
    const char *cafile;   /* --cacert */
    const char *capath;   /* --capath */
    const char *ca_pem;   /* trust exactly this PEM certificate (the demo's own) */
    int insecure;         /* -k: finish the handshake whatever verification says */
    int offer_h2;         /* ALPN offers h2 before http/1.1 (curl's default for https) */
};

/* exit_code 0: handshake done, records can flow. Otherwise 35 (handshake)
 * or 60 (verification), with a terminal-safe sentence. */
typedef void (*wt_tls_done_proc)(void *ctx, int exit_code, const char *message);

struct wt_tls;

/* The client's configuration for a whole run: one SSL_CTX with its trust
 * store, shared by every session. Built in steps (library, context, trust)
 * so the steps can run while DNS and TCP are in flight (see tls_setup.h).
 * Each step: 0, or -1 with *exit_code (77 the CA file or directory cannot
 * be used, 27 memory, 35 anything else) and a sentence in err. */
struct wt_tls_config;

int wt_tls_library_init(int *exit_code, char *err, size_t errlen);
struct wt_tls_config *wt_tls_config_new(const struct wt_tls_options *options, int *exit_code,
                                        char *err, size_t errlen);
/* Reads --cacert/--capath or the PEM given, or points the store at the
 * system's hashed directory; once, later calls return 0. */
int wt_tls_config_load_trust(struct wt_tls_config *config, int *exit_code, char *err,
                             size_t errlen);
void wt_tls_config_free(struct wt_tls_config *config);

/* NULL when the session cannot be set up: *exit_code and err as above.
 * Loads the trust store first if that step has not run yet. setup (may be
 * NULL) goes into the ClientHello event. */
struct wt_tls *wt_tls_start(struct wt_loop *loop, int fd, const char *host, int host_is_ip,
                            struct wt_tls_config *config,
                            const struct wt_tls_setup_figures *setup,
                            const struct wt_event_sink *sink, wt_tls_done_proc done,
                            void *ctx, int *exit_code, char *err, size_t errlen);
void wt_tls_free(struct wt_tls *tls);

enum {
    WT_TLS_WOULD_BLOCK = -1,   /* *want says which readiness to wait for */
    WT_TLS_FAILED = -2,        /* wt_tls_error() says why */
    WT_TLS_UNCLEAN_EOF = -3    /* TCP FIN without close_notify */
};

/* > 0 bytes, 0 the peer's close_notify, or one of the values above. */
ssize_t wt_tls_read(struct wt_tls *tls, char *buf, size_t len, int *want);
ssize_t wt_tls_write(struct wt_tls *tls, const char *buf, size_t len, int *want);
const char *wt_tls_error(const struct wt_tls *tls);
/* The protocol ALPN chose ("h2", "http/1.1"), "" when none. */
const char *wt_tls_alpn(const struct wt_tls *tls);
/* Decrypted or read-ahead bytes wait inside the session: the socket may
 * not poll readable, so read again before waiting. */
int wt_tls_pending(const struct wt_tls *tls);

typedef void (*wt_tls_closed_proc)(void *ctx);
/* Sends close_notify and waits (up to budget_us) for the peer's; emits
 * WT_EV_TLS_CLOSE; done is called later from the loop. */
void wt_tls_close_start(struct wt_tls *tls, int64_t budget_us, wt_tls_closed_proc done,
                        void *ctx);

/* ---- the server side (webtrace serve, the demo) ---- */

struct wt_tls_server;

/* cert_file NULL: a self-signed certificate for localhost, 127.0.0.1, ::1
 * and the demo's names is made in memory. key_file NULL: in cert_file.
 * offer_h2: ALPN picks h2 when the client offers it, else http/1.1. */
struct wt_tls_server *wt_tls_server_new(const char *cert_file, const char *key_file,
                                        int offer_h2, char *err, size_t errlen);
/* The certificate the server presents, PEM. */
const char *wt_tls_server_cert_pem(const struct wt_tls_server *s);
void wt_tls_server_free(struct wt_tls_server *s);

/* One accepted connection; the server drives it with its own readiness. */
struct wt_tls_peer;

struct wt_tls_peer *wt_tls_peer_new(struct wt_tls_server *s, int fd);
/* 1 done, 0 call again once *want is ready, -1 failed. */
int wt_tls_peer_handshake(struct wt_tls_peer *p, int *want);
const char *wt_tls_peer_version(const struct wt_tls_peer *p);
const char *wt_tls_peer_cipher(const struct wt_tls_peer *p);
/* The protocol ALPN chose ("h2", "http/1.1"), "" when none. */
const char *wt_tls_peer_alpn(const struct wt_tls_peer *p);
/* As wt_tls_read/write; 0 is the client's close_notify or its EOF. */
ssize_t wt_tls_peer_read(struct wt_tls_peer *p, char *buf, size_t len, int *want);
ssize_t wt_tls_peer_write(struct wt_tls_peer *p, const char *buf, size_t len, int *want);
void wt_tls_peer_close_notify(struct wt_tls_peer *p);
void wt_tls_peer_free(struct wt_tls_peer *p);

#endif
