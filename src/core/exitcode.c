#include "webtrace/exitcode.h"

#include <stddef.h>

struct exit_words {
    enum wt_exit code;
    const char *words;
};

/* Worded after curl's own error strings, so a code means the same thing in
 * both tools. Sorted by code. */
static const struct exit_words exit_table[] = {
    { WT_EXIT_OK, "success" },
    { WT_EXIT_UNSUPPORTED_PROTOCOL, "unsupported protocol" },
    { WT_EXIT_USAGE, "bad option or argument (failed to initialize)" },
    { WT_EXIT_URL_MALFORMED, "URL malformed" },
    { WT_EXIT_RESOLVE, "couldn't resolve host" },
    { WT_EXIT_CONNECT, "couldn't connect to server" },
    { WT_EXIT_WEIRD_REPLY, "weird server reply" },
    { WT_EXIT_HTTP2, "error in the HTTP/2 framing layer" },
    { WT_EXIT_PARTIAL_FILE, "partial file (transfer ended early)" },
    { WT_EXIT_HTTP_ERROR, "HTTP error status (>= 400 with --fail)" },
    { WT_EXIT_WRITE_ERROR, "write error" },
    { WT_EXIT_READ_ERROR, "read error" },
    { WT_EXIT_OUT_OF_MEMORY, "out of memory" },
    { WT_EXIT_TIMEOUT, "operation timed out" },
    { WT_EXIT_TLS_CONNECT, "TLS connect error" },
    { WT_EXIT_TOO_MANY_REDIRECTS, "too many redirects" },
    { WT_EXIT_GOT_NOTHING, "server returned nothing (no headers, no data)" },
    { WT_EXIT_SEND_ERROR, "failed sending network data" },
    { WT_EXIT_RECV_ERROR, "failure receiving network data" },
    { WT_EXIT_PEER_VERIFICATION, "peer certificate cannot be authenticated" },
    { WT_EXIT_BAD_CONTENT_ENCODING, "unrecognized transfer or content encoding" },
    { WT_EXIT_CACERT_BADFILE, "problem with the CA certificate (path or access rights)" },
    { WT_EXIT_HTTP2_STREAM, "stream error in the HTTP/2 framing layer" },
    { WT_EXIT_TOO_LARGE, "too large (a size limit was exceeded)" },
};

const char *wt_exit_describe(int code)
{
    for (size_t i = 0; i < sizeof exit_table / sizeof exit_table[0]; i++)
        if ((int)exit_table[i].code == code)
            return exit_table[i].words;
    return "unknown";
}
