/* body: where the response body goes: discarded (a terminal gets a
 * summary), stdout, or a file written by outfile's rules (a temporary name
 * renamed only when the transfer succeeded, so a failed fetch leaves
 * nothing; devices, FIFOs and hard-linked files in place), or appended to
 * a file for a resumed download. */
#ifndef WEBTRACE_BODY_H
#define WEBTRACE_BODY_H

#include <stddef.h>

enum wt_body_mode {
    WT_BODY_DISCARD,      /* not wanted (the demo, --ndjson without -o) */
    WT_BODY_DISCARD_TTY,  /* stdout is a terminal: say how to keep it */
    WT_BODY_STDOUT,
    WT_BODY_STDOUT_CLOSED, /* stdout was closed at start: bytes are a write error */
    WT_BODY_FILE,
    WT_BODY_FILE_APPEND   /* -C: appended to the file, which stays even on failure, as curl */
};

struct wt_body_sink;

/* Nothing is created until the first write. Returns NULL on ENOMEM. */
struct wt_body_sink *wt_body_sink_new(enum wt_body_mode mode, const char *path);
/* Returns 0, or the exit code (23 write error, 27 out of memory) with a
 * terminal-safe sentence in err. */
int wt_body_sink_write(struct wt_body_sink *s, const char *data, size_t len,
                       char *err, size_t errlen);
/* Makes the body final (for a file: creates it even when empty, then
 * renames). Returns 0, or the exit code with err, as for a write. */
int wt_body_sink_commit(struct wt_body_sink *s, char *err, size_t errlen);
/* Removes any temporary file and releases s. NULL is a no-op. */
void wt_body_sink_free(struct wt_body_sink *s);
/* "stdout", "discarded", or the file name. */
const char *wt_body_sink_describe(const struct wt_body_sink *s);

#endif
