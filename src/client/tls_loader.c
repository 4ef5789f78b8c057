/* The executable's side of the TLS module: each wt_tls_* call forwards to
 * webtrace-tls.so, loaded on first use from the install directory, or from
 * next to the executable only when that is the build tree that made it
 * (a copied binary must never run whatever .so lies beside it). */
#include "webtrace/tls_module.h"
#include "webtrace/escape.h"
#include "webtrace/i18n.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wt_config.h"

/* A process-wide cache of the loaded library, not trace state. */
static void *module;
static const struct wt_tls_api *api;

/* Whether dir, the executable's real directory, is a build tree: the
 * build writes its own absolute path into WT_BUILD_TREE_MARKER there, so a
 * binary copied elsewhere (marker and all) does not qualify. */
static int is_build_tree(const char *dir)
{
    char path[PATH_MAX + sizeof WT_BUILD_TREE_MARKER + 1];
    snprintf(path, sizeof path, "%s/" WT_BUILD_TREE_MARKER, dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    char named[PATH_MAX];
    ssize_t n = read(fd, named, sizeof named - 1);
    close(fd);
    if (n <= 0)
        return 0;
    named[n] = '\0';
    named[strcspn(named, "\n")] = '\0';
    char real[PATH_MAX];
    return realpath(named, real) && strcmp(real, dir) == 0;
}

static int load(char *err, size_t errlen)
{
    if (api)
        return 0;
    char candidates[2][PATH_MAX + sizeof WT_TLS_MODULE_FILE + 1];
    size_t n = 0;
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            if (is_build_tree(self))
                snprintf(candidates[n++], sizeof candidates[0], "%s/" WT_TLS_MODULE_FILE, self);
        }
    }
    snprintf(candidates[n++], sizeof candidates[0], "%s/" WT_TLS_MODULE_FILE, WT_MODULE_DIR);
    const char *why = "not found";
    for (size_t i = 0; i < n && !module; i++) {
        if (access(candidates[i], R_OK) != 0)
            continue;
        module = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
        if (!module)
            why = dlerror();
    }
    if (module) {
        wt_tls_module_entry entry = (wt_tls_module_entry)dlsym(module, WT_TLS_MODULE_SYMBOL);
        api = entry ? entry() : NULL;
        if (!api) {
            why = "it has no " WT_TLS_MODULE_SYMBOL;
            dlclose(module);
            module = NULL;
        }
    }
    if (!api) {
        wt_errf(err, errlen, "TLS support (%s) cannot be loaded: %s", WT_TLS_MODULE_FILE, why);
        return -1;
    }
    return 0;
}

void wt_tls_unload(void)
{
    if (module)
        dlclose(module);
    module = NULL;
    api = NULL;
}

int wt_tls_module_load(char *err, size_t errlen)
{
    return load(err, errlen);
}

const char *wt_tls_library_version(char *err, size_t errlen)
{
    if (load(err, errlen) < 0)
        return NULL;
    wt_tls_module_version_proc version =
        (wt_tls_module_version_proc)dlsym(module, WT_TLS_MODULE_VERSION_SYMBOL);
    if (!version) {
        wt_errf(err, errlen, "TLS support (%s) cannot be loaded: %s", WT_TLS_MODULE_FILE,
                "it has no " WT_TLS_MODULE_VERSION_SYMBOL);
        return NULL;
    }
    return version();
}

int wt_tls_library_init(int *exit_code, char *err, size_t errlen)
{
    if (load(err, errlen) < 0) {
        *exit_code = 1;   /* as curl built without TLS: https unsupported */
        return -1;
    }
    return api->library_init(exit_code, err, errlen);
}

struct wt_tls_config *wt_tls_config_new(const struct wt_tls_options *options, int *exit_code,
                                        char *err, size_t errlen)
{
    if (load(err, errlen) < 0) {
        *exit_code = 1;   /* as curl built without TLS: https unsupported */
        return NULL;
    }
    return api->config_new(options, exit_code, err, errlen);
}

/* Everything below is only reached with a configuration, session or server
 * that exists, so the module is loaded. */
int wt_tls_config_load_trust(struct wt_tls_config *config, int *exit_code, char *err,
                             size_t errlen)
{
    return api->config_load_trust(config, exit_code, err, errlen);
}

void wt_tls_config_free(struct wt_tls_config *config)
{
    if (config)
        api->config_free(config);
}

struct wt_tls *wt_tls_start(struct wt_loop *loop, int fd, const char *host, int host_is_ip,
                            struct wt_tls_config *config,
                            const struct wt_tls_setup_figures *setup,
                            const struct wt_event_sink *sink, wt_tls_done_proc done,
                            void *ctx, int *exit_code, char *err, size_t errlen)
{
    return api->start(loop, fd, host, host_is_ip, config, setup, sink, done, ctx, exit_code, err,
                      errlen);
}

void wt_tls_free(struct wt_tls *tls)
{
    if (tls)
        api->free_session(tls);
}

ssize_t wt_tls_read(struct wt_tls *tls, char *buf, size_t len, int *want)
{
    return api->read(tls, buf, len, want);
}

ssize_t wt_tls_write(struct wt_tls *tls, const char *buf, size_t len, int *want)
{
    return api->write(tls, buf, len, want);
}

const char *wt_tls_error(const struct wt_tls *tls)
{
    return api->error(tls);
}

const char *wt_tls_alpn(const struct wt_tls *tls)
{
    return api->alpn(tls);
}

int wt_tls_pending(const struct wt_tls *tls)
{
    return api->pending(tls);
}

void wt_tls_close_start(struct wt_tls *tls, int64_t budget_us, wt_tls_closed_proc done, void *ctx)
{
    api->close_start(tls, budget_us, done, ctx);
}

struct wt_tls_server *wt_tls_server_new(const char *cert_file, const char *key_file,
                                        int offer_h2, char *err, size_t errlen)
{
    if (load(err, errlen) < 0)
        return NULL;
    return api->server_new(cert_file, key_file, offer_h2, err, errlen);
}

const char *wt_tls_server_cert_pem(const struct wt_tls_server *s)
{
    return api->server_cert_pem(s);
}

void wt_tls_server_free(struct wt_tls_server *s)
{
    if (s)
        api->server_free(s);
}

const char *wt_tls_peer_alpn(const struct wt_tls_peer *p)
{
    return api->peer_alpn(p);
}

struct wt_tls_peer *wt_tls_peer_new(struct wt_tls_server *s, int fd)
{
    return api->peer_new(s, fd);
}

int wt_tls_peer_handshake(struct wt_tls_peer *p, int *want)
{
    return api->peer_handshake(p, want);
}

const char *wt_tls_peer_version(const struct wt_tls_peer *p)
{
    return api->peer_version(p);
}

const char *wt_tls_peer_cipher(const struct wt_tls_peer *p)
{
    return api->peer_cipher(p);
}

ssize_t wt_tls_peer_read(struct wt_tls_peer *p, char *buf, size_t len, int *want)
{
    return api->peer_read(p, buf, len, want);
}

ssize_t wt_tls_peer_write(struct wt_tls_peer *p, const char *buf, size_t len, int *want)
{
    return api->peer_write(p, buf, len, want);
}

void wt_tls_peer_close_notify(struct wt_tls_peer *p)
{
    api->peer_close_notify(p);
}

void wt_tls_peer_free(struct wt_tls_peer *p)
{
    if (p)
        api->peer_free(p);
}
