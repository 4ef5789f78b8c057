/* The one symbol webtrace-tls.so exports: its table of the TLS API. The
 * module is built with hidden visibility, so its own wt_tls_* functions
 * never clash with the executable's forwarding ones. */
#include "webtrace/tls_module.h"

#include <openssl/crypto.h>

static const struct wt_tls_api api = {
    .library_init = wt_tls_library_init,
    .config_new = wt_tls_config_new,
    .config_load_trust = wt_tls_config_load_trust,
    .config_free = wt_tls_config_free,
    .start = wt_tls_start,
    .free_session = wt_tls_free,
    .read = wt_tls_read,
    .write = wt_tls_write,
    .error = wt_tls_error,
    .pending = wt_tls_pending,
    .close_start = wt_tls_close_start,
    .server_new = wt_tls_server_new,
    .server_cert_pem = wt_tls_server_cert_pem,
    .server_free = wt_tls_server_free,
    .peer_new = wt_tls_peer_new,
    .peer_handshake = wt_tls_peer_handshake,
    .peer_version = wt_tls_peer_version,
    .peer_cipher = wt_tls_peer_cipher,
    .peer_read = wt_tls_peer_read,
    .peer_write = wt_tls_peer_write,
    .peer_close_notify = wt_tls_peer_close_notify,
    .peer_free = wt_tls_peer_free,
    .alpn = wt_tls_alpn,
    .peer_alpn = wt_tls_peer_alpn,
};

__attribute__((visibility("default"))) const struct wt_tls_api *wt_tls_module_api_v4(void);

const struct wt_tls_api *wt_tls_module_api_v4(void)
{
    return &api;
}

__attribute__((visibility("default"))) const char *wt_tls_module_library_version(void);

/* The library this process has loaded, which may be newer than the
 * headers the module was built with. */
const char *wt_tls_module_library_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION_STRING);
}
