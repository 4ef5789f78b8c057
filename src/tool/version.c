#include "webtrace/version.h"

#include <ares.h>
#include <idn2.h>
#include <llhttp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "webtrace/capture.h"
#include "webtrace/codeclib.h"
#include "webtrace/h2.h"
#include "webtrace/tls_module.h"
#include "wt_config.h"

#define MAX_FEATURES 16
#define LIBRARY_ERR_MAX 256

static int by_name_ignoring_case(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

int wt_version_print(FILE *out)
{
    const char *features[MAX_FEATURES];
    size_t n = 0;
    char err[LIBRARY_ERR_MAX];

    /* The first line names each library as curl does (c-ares/1.18.1). A
     * library that cannot be loaded here is left out, with its feature:
     * webtrace would have to do without it too. */
    fprintf(out, "webtrace %s (%s) c-ares/%s llhttp/%d.%d.%d", WT_VERSION, WT_HOST_TRIPLE,
            ares_version(NULL), LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR,
            LLHTTP_VERSION_PATCH);
    features[n++] = "AsynchDNS";
    const char *tls = wt_tls_library_version(err, sizeof err);
    if (tls) {
        fprintf(out, " OpenSSL/%s", tls);
        features[n++] = "SSL";
    }
    const char *nghttp2 = wt_h2_library_version(err, sizeof err);
    if (nghttp2) {
        fprintf(out, " nghttp2/%s", nghttp2);
        features[n++] = "HTTP2";
    }
    fprintf(out, " libidn2/%s", idn2_check_version(NULL));
    features[n++] = "IDN";
    const struct wt_zlib *zlib = wt_zlib_load(err, sizeof err);
    if (zlib) {
        fprintf(out, " zlib/%s", zlib->zlibVersion());
        features[n++] = "libz";
    }
    const struct wt_brotli *brotli = wt_brotli_load(err, sizeof err);
    if (brotli) {
        uint32_t v = brotli->version();
        fprintf(out, " brotli/%u.%u.%u", (unsigned)(v >> 24), (unsigned)(v >> 12) & 0xfff,
                (unsigned)v & 0xfff);
        features[n++] = "brotli";
    }
    const struct wt_zstd *zstd = wt_zstd_load(err, sizeof err);
    if (zstd) {
        fprintf(out, " zstd/%s", zstd->version_string());
        features[n++] = "zstd";
    }
    const char *pcap = wt_capture_library_version(err, sizeof err);
    if (pcap)
        fprintf(out, " libpcap/%s", pcap);
    fputc('\n', out);

    fprintf(out, "Protocols: http%s\n", tls ? " https" : "");

    features[n++] = "IPv6";
    if (sizeof(off_t) >= 8)
        features[n++] = "Largefile";
    /* curl sorts them so, whatever case they are spelt in */
    qsort(features, n, sizeof features[0], by_name_ignoring_case);
    fputs("Features:", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %s", features[i]);
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}
