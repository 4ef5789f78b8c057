/* range: what a response did with the Range that -r or -C asked for, as
 * curl 7.88 judges it (206 and Content-Range, 416, a whole body). Pure:
 * the trace acts on the outcome, the renderers narrate it. */
#ifndef WEBTRACE_RANGE_H
#define WEBTRACE_RANGE_H

#include <stddef.h>
#include <stdint.h>
#include "webtrace/event.h"

/* resume_from is -C's offset (0 for -r), content_range the response's
 * first Content-Range value (NULL when absent), content_length -1 when
 * unknown. */
enum wt_range_outcome wt_range_outcome_of(int status, int64_t resume_from,
                                          const char *content_range, size_t len,
                                          int64_t content_length);

#endif
