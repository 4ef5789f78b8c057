/* libFuzzer: any bytes as a URL. Must never crash; a parsed URL must have a
 * host and a target that are safe to print, a port of its scheme's kind
 * when none was given, and a port class with a name. Bytes after a NUL are
 * a Location to resolve against the URL (RFC 3986 §5): the result, when
 * there is one, carries no raw space or byte above 0x7e; -O's name is taken
 * from the URL too. */
#include <stdlib.h>
#include <string.h>

#include "webtrace/url.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct wt_url url;
    char err[256];
    if (wt_url_parse(text, &url, err, sizeof err) == WT_URL_OK) {
        if (!url.host[0] || !url.target || url.target[0] != '/')
            abort();
        for (const char *p = url.normalized; *p; p++)
            if ((unsigned char)*p < 0x21 || (unsigned char)*p >= 0x7f)
                abort();   /* control bytes must have been rejected */
        if (!url.port_explicit && url.port != wt_scheme_default_port(url.scheme))
            abort();
        if (strncmp(url.normalized, wt_scheme_name(url.scheme), 4) != 0 ||
            !wt_port_class_name(wt_port_classify(url.port))[0])
            abort();
        char name[256];
        size_t n = wt_url_remote_name(&url, name, sizeof name);
        if (n >= sizeof name || (n && (strlen(name) != n || strchr(name, '/'))))
            abort();
        size_t base_len = strlen(text);
        if (base_len < size) {
            const char *ref = text + base_len + 1;
            char *to = wt_url_resolve(url.normalized, ref, size - base_len - 1);
            if (to) {
                /* spaces and bytes above 0x7e are percent-encoded, as curl
                 * does; what is left may still be refused by the parser (a
                 * scheme we do not speak, a control byte): that is an error
                 * the transfer reports, not a crash */
                for (const char *p = to; *p; p++)
                    if (*p == ' ' || (unsigned char)*p > 0x7e)
                        abort();
                struct wt_url again;
                if (wt_url_parse(to, &again, err, sizeof err) == WT_URL_OK)
                    wt_url_clear(&again);
                free(to);
            }
        }
        wt_url_clear(&url);
    }
    wt_url_clear(NULL);
    free(text);
    return 0;
}
