/* libFuzzer: the proxy's parsers. The first byte picks a mode:
 *   0  the rest is a proxy's answer to CONNECT (wt_proxy_reply_head)
 *   1  NUL-separated fields: a URL, then -x, --noproxy, -U, and the values
 *      of http_proxy, https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY,
 *      no_proxy, NO_PROXY ("\x01" for an unset field); the choice and the
 *      CONNECT request built from it (wt_proxy_choose)
 *   2  a host, NUL, a no-proxy list (wt_proxy_noproxy_match)
 * Whatever the input, an answer's head is found only where it ends, a
 * chosen proxy has a usable host and port, and a CONNECT request is CRLF
 * lines ending in one empty line. */
#include <stdlib.h>
#include <string.h>

#include "webtrace/exitcode.h"
#include "webtrace/proxy.h"
#include "webtrace/url.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define N_FIELDS 11
#define UNSET "\x01"

static const char *env_names[] = { "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                   "ALL_PROXY", "no_proxy", "NO_PROXY" };
static const char *env_values[7];

static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < 7; i++)
        if (!strcmp(name, env_names[i]))
            return env_values[i];
    return NULL;
}

static void reply_head(const char *buf, size_t len)
{
    int status = -1;
    const char *reason = NULL;
    size_t reason_len = 0;
    long head = wt_proxy_reply_head(buf, len, &status, &reason, &reason_len);
    if (head < -1 || head > (long)len || head > WT_PROXY_REPLY_HEAD_MAX)
        abort();
    if (head > 0) {
        int ends = (head >= 2 && !memcmp(buf + head - 2, "\n\n", 2)) ||
                   (head >= 4 && !memcmp(buf + head - 4, "\r\n\r\n", 4));
        if (!ends || status < 0 || status > 999 || reason < buf ||
            reason + reason_len > buf + head || memcmp(buf, "HTTP/1.", 7) != 0)
            abort();
    }
}

static void check_request(const char *r, size_t len, size_t n_headers)
{
    if (len < 4 || strlen(r) != len || memcmp(r + len - 4, "\r\n\r\n", 4) != 0 ||
        strncmp(r, "CONNECT ", 8) != 0)
        abort();
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        if (r[i] == '\n') {
            if (i == 0 || r[i - 1] != '\r')
                abort();
            lines++;
        }
    if (lines != n_headers + 2 || strstr(r, "\r\n\r\n") != r + len - 4)
        abort();
}

static void choose(char **fields)
{
    struct wt_url url;
    char err[256];
    if (wt_url_parse(fields[0], &url, err, sizeof err) != WT_URL_OK)
        return;
    struct wt_proxy_options opt = {
        .proxy = strcmp(fields[1], UNSET) ? fields[1] : NULL,
        .noproxy = strcmp(fields[2], UNSET) ? fields[2] : NULL,
        /* -U is refused without a colon by the command line */
        .proxy_user = strcmp(fields[3], UNSET) && strchr(fields[3], ':') ? fields[3] : NULL,
        .tunnel = fields[3][0] == 'p',
    };
    for (size_t i = 0; i < 7; i++)
        env_values[i] = strcmp(fields[4 + i], UNSET) ? fields[4 + i] : NULL;
    struct wt_proxy_choice c;
    int rc = wt_proxy_choose(&url, &opt, fake_getenv, &c, err, sizeof err);
    if (rc && rc != WT_EXIT_RESOLVE_PROXY && rc != WT_EXIT_CONNECT &&
        rc != WT_EXIT_UNSUPPORTED_PROTOCOL && rc != WT_EXIT_USAGE)
        abort();
    if (rc == 0 && c.use) {
        if (!c.proxy.host[0] || c.proxy.port == 0 || strpbrk(c.proxy.host, " \r\n@/"))
            abort();
        size_t len, n;
        char *r = wt_proxy_connect_request(url.host, url.host_kind, url.port,
                                           c.proxy.credentials, "webtrace/fuzz", &len, &n);
        if (r) {
            check_request(r, len, n);
            free(r);
        }
    }
    wt_url_clear(&url);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0] % 3;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (mode == 0) {
        reply_head(text, size - 1);
    } else if (mode == 1) {
        char *fields[N_FIELDS];
        size_t n = 0;
        char *p = text;
        /* fields end at NULs inside the input; missing ones are unset */
        while (n < N_FIELDS) {
            fields[n++] = p;
            size_t l = strlen(p);
            if (p + l >= text + size - 1)
                break;
            p += l + 1;
        }
        while (n < N_FIELDS)
            fields[n++] = UNSET;
        choose(fields);
    } else {
        size_t hl = strlen(text);
        const char *list = hl + 1 < size - 1 ? text + hl + 1 : "";
        int m = wt_proxy_noproxy_match(text, list);
        if (m != 0 && m != 1)
            abort();
        if (text[0] && !wt_proxy_noproxy_match(text, "*"))
            abort();
    }
    free(text);
    return 0;
}
