/* libFuzzer: any bytes through both escapers and the input quoter, at a
 * size the input picks. Terminal output has no control bytes; JSON output
 * is valid UTF-8 with no raw control bytes; quoted input is printable
 * ASCII; all stay within their bounds, and a zero-sized buffer is left
 * alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/escape.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Valid UTF-8 with no control code point (C0, DEL, C1: 0x9b CSI among
 * them); a 0x9b byte inside a valid sequence is not a control. */
static void check_utf8(const unsigned char *s, size_t n, int allow_controls)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!len || i + len > n)
            abort();
        uint32_t cp = len == 1 ? c : (uint32_t)(c & (0x7f >> len));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                abort();
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (!allow_controls && (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)))
            abort();
        i += len;
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t outlen = data[0];
    data++;
    size--;
    size_t cap = WT_ESCAPE_JSON_MAX(size);
    char *out = malloc(cap);
    if (!out)
        return 0;
    size_t lim = outlen ? outlen : cap;
    if (lim > cap)
        lim = cap;
    size_t n = wt_escape_term((const char *)data, size, out, lim);
    if (n >= lim || strlen(out) != n)
        abort();
    check_utf8((const unsigned char *)out, n, 0);
    n = wt_escape_json((const char *)data, size, out, lim);
    if (n >= lim || strlen(out) != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)out[i] < 0x20)
            abort();
    /* JSON escapes C0 itself; DEL and C1 as \u00XX, so none raw either */
    check_utf8((const unsigned char *)out, n, 0);

    out[0] = 'x';
    if (wt_escape_term((const char *)data, size, out, 0) != 0 ||
        wt_escape_json((const char *)data, size, out, 0) != 0 || out[0] != 'x')
        abort();

    /* an error sentence quoting the input, in a buffer of lim bytes */
    wt_quote_input(out, lim, (const char *)data, size);
    n = strlen(out);
    if (n >= lim || (size < lim && n != size) || (size >= lim && lim >= 4 &&
                                                  strcmp(out + n - 3, "...") != 0))
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
            abort();
    char sentence[64];
    wt_errf(sentence, sizeof sentence, "bad input '%s'", out);
    wt_errf(NULL, 0, "%s", out);
    if (strncmp(sentence, "bad input '", 11) != 0)
        abort();
    free(out);
    return 0;
}
