#include "webtrace/body.h"
#include "webtrace/escape.h"
#include "webtrace/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct wt_body_sink {
    enum wt_body_mode mode;
    char *path;        /* final name */
    char *tmp_path;    /* temporary name while writing */
    int fd;
    int committed;
};

struct wt_body_sink *wt_body_sink_new(enum wt_body_mode mode, const char *path)
{
    struct wt_body_sink *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->mode = mode;
    s->fd = mode == WT_BODY_STDOUT ? STDOUT_FILENO : -1;
    if (mode == WT_BODY_FILE) {
        s->path = strdup(path);
        if (!s->path) {
            free(s);
            return NULL;
        }
    }
    return s;
}

static int open_temp(struct wt_body_sink *s, char *err, size_t errlen)
{
    size_t n = strlen(s->path) + sizeof ".webtrace-XXXXXX";
    s->tmp_path = malloc(n);
    if (!s->tmp_path) {
        wt_errf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(s->tmp_path, n, "%s.webtrace-XXXXXX", s->path);
    s->fd = mkostemp(s->tmp_path, O_CLOEXEC);
    if (s->fd < 0) {
        wt_errf(err, errlen, "cannot create a file next to %s: %s", s->path, strerror(errno));
        free(s->tmp_path);
        s->tmp_path = NULL;
        return -1;
    }
    /* mkostemp creates 0600; a downloaded file gets the usual umask mode. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(s->fd, 0666 & ~mask);
    return 0;
}

/* Special files (/dev/null, /dev/full, a FIFO) are written in place: a
 * temporary name beside them would be wrong or impossible. */
static int is_special(const char *path)
{
    return strncmp(path, "/dev/", 5) == 0;
}

int wt_body_sink_write(struct wt_body_sink *s, const char *data, size_t len,
                       char *err, size_t errlen)
{
    if (s->mode == WT_BODY_DISCARD || s->mode == WT_BODY_DISCARD_TTY)
        return 0;
    if (s->fd < 0) {
        if (is_special(s->path)) {
            s->fd = open(s->path, O_WRONLY | O_CLOEXEC);
            if (s->fd < 0) {
                wt_errf(err, errlen, "cannot open %s: %s", s->path, strerror(errno));
                return -1;
            }
        } else if (open_temp(s, err, errlen) < 0) {
            return -1;
        }
    }
    while (len > 0) {
        ssize_t n = write(s->fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                /* stdout may be a non-blocking pipe we share: wait for room */
                struct pollfd p = { s->fd, POLLOUT, 0 };
                poll(&p, 1, 1000);
                continue;
            }
            wt_errf(err, errlen, "cannot write the body to %s: %s",
                     wt_body_sink_describe(s), strerror(errno));
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int wt_body_sink_commit(struct wt_body_sink *s, char *err, size_t errlen)
{
    if (s->mode != WT_BODY_FILE || s->committed)
        return 0;
    /* An empty body still creates the file, as curl does. */
    if (s->fd < 0 && wt_body_sink_write(s, "", 0, err, errlen) < 0)
        return -1;
    if (close(s->fd) < 0) {
        s->fd = -1;
        wt_errf(err, errlen, "cannot write the body to %s: %s", s->path, strerror(errno));
        return -1;
    }
    s->fd = -1;
    if (s->tmp_path) {
        if (rename(s->tmp_path, s->path) < 0) {
            wt_errf(err, errlen, "cannot rename the download to %s: %s", s->path,
                     strerror(errno));
            return -1;
        }
        free(s->tmp_path);
        s->tmp_path = NULL;
    }
    s->committed = 1;
    return 0;
}

void wt_body_sink_free(struct wt_body_sink *s)
{
    if (!s)
        return;
    if (s->mode == WT_BODY_FILE && s->fd >= 0)
        close(s->fd);
    if (s->tmp_path) {
        unlink(s->tmp_path);
        free(s->tmp_path);
    }
    free(s->path);
    free(s);
}

const char *wt_body_sink_describe(const struct wt_body_sink *s)
{
    switch (s->mode) {
    case WT_BODY_STDOUT:
        return "stdout";
    case WT_BODY_FILE:
        return s->path;
    case WT_BODY_DISCARD_TTY:
        return N_("discarded (stdout is a terminal: -o FILE or -o - keeps it)");
    case WT_BODY_DISCARD:
        break;
    }
    return N_("discarded");
}
