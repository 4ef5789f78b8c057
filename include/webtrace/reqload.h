/* reqload: turns the request options of the command line (-X -H -A -e -u
 * -I -G -d --data-* --json -F --form-string) into a wt_reqspec, reading
 * the files they name. Tool layer: it opens files, never sockets, and
 * prints nothing. */
#ifndef WEBTRACE_REQLOAD_H
#define WEBTRACE_REQLOAD_H

#include <stddef.h>
#include "webtrace/cli.h"
#include "webtrace/reqspec.h"

/* *out is NULL when the options ask for nothing but a plain GET. Returns
 * 0, or curl's exit code with err set: 26 for an @file (-d, -H, -F @ and
 * <) that cannot be read, 2 for a -H line that is not a header or a -F
 * that curl would refuse, 27 out of memory. */
int wt_reqload(const struct wt_options *opt, struct wt_reqspec **out, char *err, size_t errlen);

/* -c FILE: the cookie engine's cookies in curl's Netscape format, written
 * at the end of the run ("-" is stdout). 0, or -1 with err set. */
int wt_reqload_save_cookies(const struct wt_options *opt, const struct wt_reqspec *s, char *err,
                            size_t errlen);

#endif
