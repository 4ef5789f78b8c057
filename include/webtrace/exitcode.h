/* exitcode: webtrace's exit codes, numbered as curl numbers the same
 * failure, and the words for each. Data only. */
#ifndef WEBTRACE_EXITCODE_H
#define WEBTRACE_EXITCODE_H

enum wt_exit {
    WT_EXIT_OK = 0,
    WT_EXIT_UNSUPPORTED_PROTOCOL = 1,
    WT_EXIT_USAGE = 2,            /* curl: failed to initialise / bad option */
    WT_EXIT_URL_MALFORMED = 3,
    WT_EXIT_RESOLVE_PROXY = 5,
    WT_EXIT_RESOLVE = 6,
    WT_EXIT_CONNECT = 7,
    WT_EXIT_WEIRD_REPLY = 8,
    WT_EXIT_HTTP2 = 16,           /* an HTTP/2 framing or protocol error */
    WT_EXIT_PARTIAL_FILE = 18,
    WT_EXIT_HTTP_ERROR = 22,
    WT_EXIT_WRITE_ERROR = 23,
    WT_EXIT_READ_ERROR = 26,      /* reading a URL list or a -d @file failed */
    WT_EXIT_OUT_OF_MEMORY = 27,
    WT_EXIT_TIMEOUT = 28,
    WT_EXIT_RANGE_ERROR = 33,     /* -C: the server ignored the range */
    WT_EXIT_TLS_CONNECT = 35,
    WT_EXIT_TOO_MANY_REDIRECTS = 47,
    WT_EXIT_GOT_NOTHING = 52,
    WT_EXIT_SEND_ERROR = 55,
    WT_EXIT_RECV_ERROR = 56,
    WT_EXIT_PEER_VERIFICATION = 60,
    WT_EXIT_BAD_CONTENT_ENCODING = 61, /* a transfer coding we cannot undo */
    WT_EXIT_CACERT_BADFILE = 77,  /* --cacert/--capath unusable */
    WT_EXIT_HTTP2_STREAM = 92,    /* an HTTP/2 stream was reset or not closed cleanly */
    WT_EXIT_TOO_LARGE = 100
};

/* Short words for a code ("couldn't resolve host"); "unknown" otherwise. */
const char *wt_exit_describe(int code);

#endif
