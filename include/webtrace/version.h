/* version: what --version says, in curl's shape: webtrace's version and
 * target, the libraries it runs on with the versions they report at run
 * time, the protocols and the features. It loads what a fetch loads on
 * first use (the TLS module, libnghttp2, the codecs, libpcap) to ask them:
 * measured, that makes --version 2 to 3 ms slower (1 ms for the TLS
 * module, 0.6 for libpcap), which buys the versions really in use instead
 * of the headers' ones; a fetch never comes here. */
#ifndef WEBTRACE_VERSION_H
#define WEBTRACE_VERSION_H

#include <stdio.h>

/* Writes the three lines (untranslated: scripts read them, as curl's).
 * Returns 0, or -1 when out failed. */
int wt_version_print(FILE *out);

#endif
