/* libFuzzer: any bytes as a URL. Must never crash; a parsed URL must have a
 * host and a target that are safe to print. */
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
        wt_url_clear(&url);
    }
    free(text);
    return 0;
}
