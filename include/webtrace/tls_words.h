/* tls_words: the sentences the TLS module (tls.c, tls_server.c) says. The
 * module is loaded on demand and links nothing but OpenSSL, so it has no
 * catalogue: it writes these formats in English (what the error record and
 * the machine outputs carry), and the host finds the narration's words by
 * matching them (wt_i18n_adopt). Conversions are %s only. */
#ifndef WEBTRACE_TLS_WORDS_H
#define WEBTRACE_TLS_WORDS_H

#include "webtrace/i18n.h"

#define WT_TLS_SAY_VERIFY_FAILED N_("certificate verification failed: %s")
#define WT_TLS_SAY_PEER_CLOSED \
    N_("TLS handshake failed: the server closed the connection during the handshake")
#define WT_TLS_SAY_PEER_CLOSED_WHY \
    N_("TLS handshake failed: the server closed the connection during the handshake: %s")
#define WT_TLS_SAY_HANDSHAKE_FAILED N_("TLS handshake failed: %s")
#define WT_TLS_SAY_HANDSHAKE_OOM N_("TLS handshake failed: out of memory (%s)")
#define WT_TLS_SAY_INIT N_("cannot initialise OpenSSL: %s")
#define WT_TLS_SAY_UNKNOWN_ERROR N_("unknown error")
#define WT_TLS_SAY_BAD_CA N_("cannot use the given CA certificate")
#define WT_TLS_SAY_CA_LOAD N_("cannot load CA certificates from %s: %s")
#define WT_TLS_SAY_NO_CERTIFICATES N_("no certificates found")
#define WT_TLS_SAY_OUT_OF_MEMORY N_("out of memory")
#define WT_TLS_SAY_SETUP N_("cannot set up TLS: %s")
#define WT_TLS_SAY_ERROR N_("TLS error: %s")
#define WT_TLS_SAY_IO_ERROR N_("TLS I/O error")
#define WT_TLS_SAY_SERVER_SETUP N_("cannot set up TLS")
#define WT_TLS_SAY_SERVER_CERT N_("cannot use the certificate/key %s: %s")
#define WT_TLS_SAY_SERVER_GENERATE N_("cannot generate a certificate")

/* Every sentence above with a conversion or standing alone, for matching. */
#define WT_TLS_SENTENCES {                                                      \
    WT_TLS_SAY_VERIFY_FAILED, WT_TLS_SAY_PEER_CLOSED, WT_TLS_SAY_PEER_CLOSED_WHY, \
    WT_TLS_SAY_HANDSHAKE_FAILED, WT_TLS_SAY_HANDSHAKE_OOM, WT_TLS_SAY_INIT,       \
    WT_TLS_SAY_BAD_CA, WT_TLS_SAY_CA_LOAD,                                        \
    WT_TLS_SAY_SETUP, WT_TLS_SAY_ERROR, WT_TLS_SAY_IO_ERROR,                      \
    WT_TLS_SAY_SERVER_SETUP, WT_TLS_SAY_SERVER_CERT, WT_TLS_SAY_SERVER_GENERATE,  \
}

#endif
