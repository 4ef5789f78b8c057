#include "webtrace/idn.h"
#include "webtrace/escape.h"

#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer UTF-8 input cannot give a name of at most 253 bytes: every code
 * point costs at least one byte of the A-label and at most four of UTF-8. */
#define IDN_INPUT_MAX 1024

int wt_idn_needed(const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] >= 0x80)
            return 1;
    return 0;
}

int wt_idn_to_ascii(const char *name, size_t len, char *out, size_t outlen, char *err,
                    size_t errlen)
{
    if (len > IDN_INPUT_MAX) {
        wt_errf(err, errlen, "the international host name is longer than %d bytes",
                 IDN_INPUT_MAX);
        return -1;
    }
    char input[IDN_INPUT_MAX + 1];
    memcpy(input, name, len);
    input[len] = '\0';
    /* Non-transitional only: curl's fallback to transitional processing
     * would accept symbols IDNA 2008 forbids and silently drop joiners,
     * turning the name into another one. */
    char *ace = NULL;
    int rc = idn2_lookup_u8((const uint8_t *)input, (uint8_t **)&ace,
                            IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        wt_errf(err, errlen, "cannot convert the international host name to its xn-- "
                 "form: %s (%s)", idn2_strerror(rc), idn2_strerror_name(rc));
        idn2_free(ace);
        return -1;
    }
    size_t n = strlen(ace);
    if (n >= outlen) {
        wt_errf(err, errlen, "the international host name is longer than %zu bytes in "
                 "its xn-- form (%zu)", outlen - 1, n);
        idn2_free(ace);
        return -1;
    }
    memcpy(out, ace, n + 1);
    idn2_free(ace);
    return 0;
}
