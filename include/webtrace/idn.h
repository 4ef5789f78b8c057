/* idn: internationalized host names turned into the A-label form (xn--)
 * that DNS, SNI, certificates and the Host header use: IDNA 2008 with
 * UTS #46 non-transitional processing, through libidn2, as curl. Pure: no
 * network, no state. */
#ifndef WEBTRACE_IDN_H
#define WEBTRACE_IDN_H

#include <stddef.h>

/* True when name[0..len) has a byte outside ASCII (only such names are
 * converted; an ASCII name is used as typed). */
int wt_idn_needed(const char *name, size_t len);

/* Converts the UTF-8 name[0..len) to its A-label form in out. Returns 0, or
 * -1 with libidn2's reason in err (one sentence, ASCII). */
int wt_idn_to_ascii(const char *name, size_t len, char *out, size_t outlen, char *err,
                    size_t errlen);

#endif
