#include "webtrace/body.h"
#include "webtrace/escape.h"
#include "webtrace/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "webtrace/exitcode.h"
#include "webtrace/outfile.h"

struct wt_body_sink {
    enum wt_body_mode mode;
    char *path;              /* -o FILE as given */
    struct wt_outfile file;  /* opened on the first write */
    int opened;
    int committed;
    int append_fd;           /* WT_BODY_FILE_APPEND, -1 until the first write */
};

struct wt_body_sink *wt_body_sink_new(enum wt_body_mode mode, const char *path)
{
    struct wt_body_sink *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->mode = mode;
    s->append_fd = -1;
    wt_outfile_init(&s->file);
    if (mode == WT_BODY_FILE || mode == WT_BODY_FILE_APPEND) {
        s->path = strdup(path);
        if (!s->path) {
            free(s);
            return NULL;
        }
    }
    return s;
}

static int write_stdout(const char *data, size_t len, char *err, size_t errlen)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                /* stdout may be a non-blocking pipe we share: wait for room */
                struct pollfd p = { STDOUT_FILENO, POLLOUT, 0 };
                poll(&p, 1, 1000);
                continue;
            }
            wt_errf(err, errlen, "cannot write the body to stdout: %s", strerror(errno));
            return WT_EXIT_WRITE_ERROR;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* -C: the file grows in place; what was there is the first part of the
 * body, so nothing is ever removed. */
static int append(struct wt_body_sink *s, const char *data, size_t len, char *err,
                  size_t errlen)
{
    if (s->append_fd < 0) {
        s->append_fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        if (s->append_fd < 0) {
            wt_errf(err, errlen, "cannot append to %1$s: %2$s", s->path, strerror(errno));
            return WT_EXIT_WRITE_ERROR;
        }
    }
    while (len > 0) {
        ssize_t n = write(s->append_fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            wt_errf(err, errlen, "cannot append to %1$s: %2$s", s->path, strerror(errno));
            return WT_EXIT_WRITE_ERROR;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int wt_body_sink_write(struct wt_body_sink *s, const char *data, size_t len,
                       char *err, size_t errlen)
{
    switch (s->mode) {
    case WT_BODY_DISCARD:
    case WT_BODY_DISCARD_TTY:
        return 0;
    case WT_BODY_STDOUT_CLOSED:
        /* As curl: a body with bytes to write into a closed stdout is a
         * write error; an empty one is not. */
        if (len == 0)
            return 0;
        wt_errf(err, errlen, "cannot write the body: stdout is closed");
        return WT_EXIT_WRITE_ERROR;
    case WT_BODY_STDOUT:
        return write_stdout(data, len, err, errlen);
    case WT_BODY_FILE:
        break;
    case WT_BODY_FILE_APPEND:
        return append(s, data, len, err, errlen);
    }
    if (!s->opened) {
        int rc = wt_outfile_open(&s->file, s->path, err, errlen);
        if (rc < 0)
            return rc == WT_OUTFILE_NO_MEMORY ? WT_EXIT_OUT_OF_MEMORY : WT_EXIT_WRITE_ERROR;
        s->opened = 1;
    }
    return wt_outfile_write(&s->file, data, len, err, errlen) < 0 ? WT_EXIT_WRITE_ERROR : 0;
}

int wt_body_sink_commit(struct wt_body_sink *s, char *err, size_t errlen)
{
    if (s->mode == WT_BODY_FILE_APPEND && !s->committed) {
        /* as curl, the file exists afterwards even when nothing was appended */
        int rc = s->append_fd < 0 ? append(s, "", 0, err, errlen) : 0;
        if (rc)
            return rc;
        s->committed = 1;
        if (close(s->append_fd) < 0) {
            s->append_fd = -1;
            wt_errf(err, errlen, "cannot append to %1$s: %2$s", s->path, strerror(errno));
            return WT_EXIT_WRITE_ERROR;
        }
        s->append_fd = -1;
        return 0;
    }
    if (s->mode != WT_BODY_FILE || s->committed)
        return 0;
    /* An empty body still creates the file, as curl does. */
    if (!s->opened) {
        int rc = wt_body_sink_write(s, "", 0, err, errlen);
        if (rc)
            return rc;
    }
    if (wt_outfile_commit(&s->file, err, errlen) < 0)
        return WT_EXIT_WRITE_ERROR;
    s->committed = 1;
    return 0;
}

void wt_body_sink_free(struct wt_body_sink *s)
{
    if (!s)
        return;
    wt_outfile_abort(&s->file);   /* a no-op after commit */
    if (s->append_fd >= 0)
        close(s->append_fd);
    free(s->path);
    free(s);
}

const char *wt_body_sink_describe(const struct wt_body_sink *s)
{
    switch (s->mode) {
    case WT_BODY_STDOUT:
    case WT_BODY_STDOUT_CLOSED:
        return "stdout";
    case WT_BODY_FILE:
    case WT_BODY_FILE_APPEND:
        return s->path;
    case WT_BODY_DISCARD_TTY:
        return N_("discarded (stdout is a terminal: -o FILE or -o - keeps it)");
    case WT_BODY_DISCARD:
        break;
    }
    return N_("discarded");
}
