/* The server side of TLS for `webtrace serve` and the demo: an SSL_CTX
 * with a given or freshly made certificate, and one session per accepted
 * connection that the server drives with its own readiness. */
#include "webtrace/tls.h"
#include "webtrace/tls_words.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct wt_tls_server {
    SSL_CTX *ctx;
    char *cert_pem;
    int offer_h2;
};

struct wt_tls_peer {
    SSL *ssl;
    char alpn[32];              /* what ALPN chose, once the handshake is done */
};

static char *pem_of(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (bio && PEM_write_bio_X509(bio, x) == 1) {
        char *data;
        long len = BIO_get_mem_data(bio, &data);
        out = malloc((size_t)len + 1);
        if (out) {
            memcpy(out, data, (size_t)len);
            out[len] = '\0';
        }
    }
    BIO_free(bio);
    return out;
}

/* A self-signed certificate made at start: the demo trusts exactly it. */
static int make_certificate(SSL_CTX *ctx, char **pem_out)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    int ok = key && x;
    if (ok) {
        X509_set_version(x, 2);
        unsigned char serial[8];
        uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        memcpy(serial, &seed, sizeof serial);
        serial[0] &= 0x7f;
        BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
        BN_free(bn);
    }
    if (ok) {
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
        X509_set_pubkey(x, key);
        X509_NAME *name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"webtrace", -1, -1, 0);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)"webtrace serve (self-signed)", -1, -1, 0);
        X509_set_issuer_name(x, name);
        X509V3_CTX v3;
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        X509_EXTENSION *san = X509V3_EXT_conf_nid(
            NULL, &v3, NID_subject_alt_name,
            "DNS:localhost,DNS:www.webtrace.test,DNS:web.webtrace.test,IP:127.0.0.1,IP:::1");
        ok = san && X509_add_ext(x, san, -1) == 1;
        X509_EXTENSION_free(san);
    }
    ok = ok && X509_sign(x, key, EVP_sha256()) > 0 && SSL_CTX_use_certificate(ctx, x) == 1 &&
         SSL_CTX_use_PrivateKey(ctx, key) == 1 && (*pem_out = pem_of(x)) != NULL;
    X509_free(x);
    EVP_PKEY_free(key);
    return ok ? 0 : -1;
}

/* h2 when both sides speak it (as a browser's server prefers), else
 * HTTP/1.1 when offered, else no ALPN. SSL_select_next_proto walks our
 * list first, so our order is the preference. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    const struct wt_tls_server *s = arg;
    static const unsigned char with_h2[] = "\x02h2\x08http/1.1";
    static const unsigned char h1_only[] = "\x08http/1.1";
    const unsigned char *ours = s->offer_h2 ? with_h2 : h1_only;
    unsigned ours_len = s->offer_h2 ? sizeof with_h2 - 1 : sizeof h1_only - 1;
    unsigned char *selected;
    if (SSL_select_next_proto(&selected, outlen, ours, ours_len, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

struct wt_tls_server *wt_tls_server_new(const char *cert_file, const char *key_file,
                                        int offer_h2, char *err, size_t errlen)
{
    struct wt_tls_server *s = calloc(1, sizeof *s);
    OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, NULL);
    if (!s || !(s->ctx = SSL_CTX_new(TLS_server_method()))) {
        snprintf(err, errlen, "%s", WT_TLS_SAY_SERVER_SETUP);
        free(s);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
    s->offer_h2 = offer_h2;
    SSL_CTX_set_alpn_select_cb(s->ctx, select_alpn, s);
    if (cert_file) {
        if (SSL_CTX_use_certificate_chain_file(s->ctx, cert_file) != 1 ||
            SSL_CTX_use_PrivateKey_file(s->ctx, key_file ? key_file : cert_file,
                                        SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(s->ctx) != 1) {
            char why[200];
            ERR_error_string_n(ERR_get_error(), why, sizeof why);
            ERR_clear_error();
            snprintf(err, errlen, WT_TLS_SAY_SERVER_CERT, cert_file, why);
            wt_tls_server_free(s);
            return NULL;
        }
        X509 *leaf = SSL_CTX_get0_certificate(s->ctx);
        s->cert_pem = leaf ? pem_of(leaf) : NULL;
        return s;
    }
    if (make_certificate(s->ctx, &s->cert_pem) < 0) {
        ERR_clear_error();
        snprintf(err, errlen, "%s", WT_TLS_SAY_SERVER_GENERATE);
        wt_tls_server_free(s);
        return NULL;
    }
    return s;
}

const char *wt_tls_server_cert_pem(const struct wt_tls_server *s)
{
    return s->cert_pem;
}

void wt_tls_server_free(struct wt_tls_server *s)
{
    if (!s)
        return;
    SSL_CTX_free(s->ctx);
    free(s->cert_pem);
    free(s);
}

struct wt_tls_peer *wt_tls_peer_new(struct wt_tls_server *s, int fd)
{
    struct wt_tls_peer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ssl = SSL_new(s->ctx);
    if (!p->ssl || SSL_set_fd(p->ssl, fd) != 1) {
        wt_tls_peer_free(p);
        return NULL;
    }
    SSL_set_accept_state(p->ssl);
    return p;
}

int wt_tls_peer_handshake(struct wt_tls_peer *p, int *want)
{
    ERR_clear_error();
    int rc = SSL_accept(p->ssl);
    if (rc == 1) {
        const unsigned char *alpn = NULL;
        unsigned alpn_len = 0;
        SSL_get0_alpn_selected(p->ssl, &alpn, &alpn_len);
        snprintf(p->alpn, sizeof p->alpn, "%.*s", (int)alpn_len,
                 alpn ? (const char *)alpn : "");
        return 1;
    }
    int e = SSL_get_error(p->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want = e == SSL_ERROR_WANT_READ ? WT_LOOP_READ : WT_LOOP_WRITE;
        return 0;
    }
    ERR_clear_error();
    return -1;
}

const char *wt_tls_peer_version(const struct wt_tls_peer *p)
{
    return SSL_get_version(p->ssl);
}

const char *wt_tls_peer_cipher(const struct wt_tls_peer *p)
{
    return SSL_get_cipher_name(p->ssl);
}

const char *wt_tls_peer_alpn(const struct wt_tls_peer *p)
{
    return p->alpn;
}

ssize_t wt_tls_peer_read(struct wt_tls_peer *p, char *buf, size_t len, int *want)
{
    ERR_clear_error();
    size_t got = 0;
    int rc = SSL_read_ex(p->ssl, buf, len, &got);
    if (rc == 1)
        return (ssize_t)got;
    int e = SSL_get_error(p->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want = e == SSL_ERROR_WANT_READ ? WT_LOOP_READ : WT_LOOP_WRITE;
        return WT_TLS_WOULD_BLOCK;
    }
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    unsigned long err = ERR_peek_error();
    ERR_clear_error();
    /* A client that closes without close_notify has still finished. */
    if (ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return 0;
    return WT_TLS_FAILED;
}

ssize_t wt_tls_peer_write(struct wt_tls_peer *p, const char *buf, size_t len, int *want)
{
    ERR_clear_error();
    size_t put = 0;
    int rc = SSL_write_ex(p->ssl, buf, len, &put);
    if (rc == 1)
        return (ssize_t)put;
    int e = SSL_get_error(p->ssl, rc);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want = e == SSL_ERROR_WANT_READ ? WT_LOOP_READ : WT_LOOP_WRITE;
        return WT_TLS_WOULD_BLOCK;
    }
    return WT_TLS_FAILED;
}

void wt_tls_peer_close_notify(struct wt_tls_peer *p)
{
    ERR_clear_error();
    SSL_shutdown(p->ssl);
    ERR_clear_error();
}

void wt_tls_peer_free(struct wt_tls_peer *p)
{
    if (!p)
        return;
    SSL_free(p->ssl);
    free(p);
}
