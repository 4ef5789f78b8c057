#include "webtrace/exitcode.h"

#include <stddef.h>

#include "webtrace/i18n.h"

struct exit_words {
    enum wt_exit code;
    const char *words;
};

/* Worded after curl's own error strings, so a code means the same thing in
 * both tools. Sorted by code. English here; --help prints them translated. */
static const struct exit_words exit_table[] = {
    { WT_EXIT_OK, N_("success") },
    { WT_EXIT_UNSUPPORTED_PROTOCOL, N_("unsupported protocol") },
    { WT_EXIT_USAGE, N_("bad option or argument (failed to initialize)") },
    { WT_EXIT_URL_MALFORMED, N_("URL malformed") },
    { WT_EXIT_RESOLVE_PROXY, N_("couldn't resolve proxy") },
    { WT_EXIT_RESOLVE, N_("couldn't resolve host") },
    { WT_EXIT_CONNECT, N_("couldn't connect to server") },
    { WT_EXIT_WEIRD_REPLY, N_("weird server reply") },
    { WT_EXIT_HTTP2, N_("error in the HTTP/2 framing layer") },
    { WT_EXIT_PARTIAL_FILE, N_("partial file (transfer ended early)") },
    { WT_EXIT_HTTP_ERROR, N_("HTTP error status (>= 400 with --fail)") },
    { WT_EXIT_WRITE_ERROR, N_("write error") },
    { WT_EXIT_READ_ERROR, N_("read error") },
    { WT_EXIT_OUT_OF_MEMORY, N_("out of memory") },
    { WT_EXIT_TIMEOUT, N_("operation timed out") },
    { WT_EXIT_RANGE_ERROR, N_("the server cannot resume (-C): it ignored the range") },
    { WT_EXIT_TLS_CONNECT, N_("TLS connect error") },
    { WT_EXIT_TOO_MANY_REDIRECTS, N_("too many redirects") },
    { WT_EXIT_GOT_NOTHING, N_("server returned nothing (no headers, no data)") },
    { WT_EXIT_SEND_ERROR, N_("failed sending network data") },
    { WT_EXIT_RECV_ERROR, N_("failure receiving network data") },
    { WT_EXIT_PEER_VERIFICATION, N_("peer certificate cannot be authenticated") },
    { WT_EXIT_BAD_CONTENT_ENCODING, N_("unrecognized transfer or content encoding") },
    { WT_EXIT_CACERT_BADFILE, N_("problem with the CA certificate (path or access rights)") },
    { WT_EXIT_HTTP2_STREAM, N_("stream error in the HTTP/2 framing layer") },
    { WT_EXIT_TOO_LARGE, N_("too large (a size limit was exceeded)") },
};

const char *wt_exit_describe(int code)
{
    for (size_t i = 0; i < sizeof exit_table / sizeof exit_table[0]; i++)
        if ((int)exit_table[i].code == code)
            return exit_table[i].words;
    return "unknown";
}
