/* tls_module: TLS lives in a module of its own (webtrace-tls.so, the only
 * part linked to OpenSSL), loaded the first time an https URL or a TLS
 * server needs it, so an http:// trace never maps or initialises OpenSSL.
 * This is the table the module exports; include/webtrace/tls.h stays the
 * API everyone else calls. */
#ifndef WEBTRACE_TLS_MODULE_H
#define WEBTRACE_TLS_MODULE_H

#include "webtrace/tls.h"

#define WT_TLS_MODULE_FILE "webtrace-tls.so"
#define WT_TLS_MODULE_SYMBOL "wt_tls_module_api_v4"

struct wt_tls_api {
    int (*library_init)(int *exit_code, char *err, size_t errlen);
    struct wt_tls_config *(*config_new)(const struct wt_tls_options *options, int *exit_code,
                                        char *err, size_t errlen);
    int (*config_load_trust)(struct wt_tls_config *config, int *exit_code, char *err,
                             size_t errlen);
    void (*config_free)(struct wt_tls_config *config);
    struct wt_tls *(*start)(struct wt_loop *loop, int fd, const char *host, int host_is_ip,
                            struct wt_tls_config *config,
                            const struct wt_tls_setup_figures *setup,
                            const struct wt_event_sink *sink, wt_tls_done_proc done,
                            void *ctx, int *exit_code, char *err, size_t errlen);
    void (*free_session)(struct wt_tls *tls);
    ssize_t (*read)(struct wt_tls *tls, char *buf, size_t len, int *want);
    ssize_t (*write)(struct wt_tls *tls, const char *buf, size_t len, int *want);
    const char *(*error)(const struct wt_tls *tls);
    int (*pending)(const struct wt_tls *tls);
    void (*close_start)(struct wt_tls *tls, int64_t budget_us, wt_tls_closed_proc done,
                        void *ctx);
    struct wt_tls_server *(*server_new)(const char *cert_file, const char *key_file,
                                        int offer_h2, char *err, size_t errlen);
    const char *(*server_cert_pem)(const struct wt_tls_server *s);
    void (*server_free)(struct wt_tls_server *s);
    struct wt_tls_peer *(*peer_new)(struct wt_tls_server *s, int fd);
    int (*peer_handshake)(struct wt_tls_peer *p, int *want);
    const char *(*peer_version)(const struct wt_tls_peer *p);
    const char *(*peer_cipher)(const struct wt_tls_peer *p);
    ssize_t (*peer_read)(struct wt_tls_peer *p, char *buf, size_t len, int *want);
    ssize_t (*peer_write)(struct wt_tls_peer *p, const char *buf, size_t len, int *want);
    void (*peer_close_notify)(struct wt_tls_peer *p);
    void (*peer_free)(struct wt_tls_peer *p);
    const char *(*alpn)(const struct wt_tls *tls);
    const char *(*peer_alpn)(const struct wt_tls_peer *p);
};

typedef const struct wt_tls_api *(*wt_tls_module_entry)(void);

/* The module's second export, apart from the API table so the table keeps
 * its version: the TLS library's own version ("3.0.11"). */
#define WT_TLS_MODULE_VERSION_SYMBOL "wt_tls_module_library_version"
typedef const char *(*wt_tls_module_version_proc)(void);

/* In the executable: loads the module now (a step of the TLS set-up); 0,
 * or -1 with a sentence in err (https is then unsupported: exit 1). */
int wt_tls_module_load(char *err, size_t errlen);
/* In the executable: OpenSSL's version as the module reports it, loading
 * the module if need be (for --version); NULL with a sentence in err. */
const char *wt_tls_library_version(char *err, size_t errlen);
/* In the executable: releases the module, if it was loaded (at exit). */
void wt_tls_unload(void);

#endif
