#include "webtrace/outfile.h"
#include "webtrace/escape.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEMP_SUFFIX ".webtrace-XXXXXX"

/* ---- the signal cleanup registry ------------------------------------------
 * Process-wide by nature: a signal handler can only reach static storage.
 * A slot's path is complete before its flag is set, and the flag is cleared
 * before the path is reused, so the handler never reads a half-written one. */

static char temp_paths[WT_OUTFILE_MAX_TEMPS][PATH_MAX];
static volatile sig_atomic_t temp_used[WT_OUTFILE_MAX_TEMPS];
static int handlers_installed;

static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void on_fatal_signal(int sig)
{
    /* Only async-signal-safe calls: unlink, then die of the same signal
     * (SA_RESETHAND restored the default, so the parent sees the signal). */
    for (size_t i = 0; i < WT_OUTFILE_MAX_TEMPS; i++)
        if (temp_used[i])
            unlink(temp_paths[i]);
    raise(sig);
}

static void install_handlers(void)
{
    if (handlers_installed)
        return;
    handlers_installed = 1;
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof cleanup_signals[0]; i++) {
        struct sigaction old;
        if (sigaction(cleanup_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;   /* nohup and friends: an ignored signal stays ignored */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sa.sa_flags = SA_RESETHAND | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(cleanup_signals[i], &sa, NULL);
    }
}

int wt_outfile_register_temp(const char *path)
{
    size_t len = strlen(path);
    if (len >= PATH_MAX)
        return -1;
    for (int i = 0; i < WT_OUTFILE_MAX_TEMPS; i++) {
        if (temp_used[i])
            continue;
        memcpy(temp_paths[i], path, len + 1);
        install_handlers();
        temp_used[i] = 1;
        return i;
    }
    return -1;
}

void wt_outfile_unregister_temp(int slot)
{
    if (slot >= 0 && slot < WT_OUTFILE_MAX_TEMPS)
        temp_used[slot] = 0;
}

size_t wt_outfile_registered_temps(void)
{
    size_t n = 0;
    for (size_t i = 0; i < WT_OUTFILE_MAX_TEMPS; i++)
        n += temp_used[i] != 0;
    return n;
}

/* ---- pure decisions ------------------------------------------------------- */

enum wt_outfile_plan wt_outfile_plan_for(const struct stat *st)
{
    if (!st)
        return WT_OUTFILE_NEW;
    if (!S_ISREG(st->st_mode) || st->st_nlink > 1)
        return WT_OUTFILE_IN_PLACE;
    return WT_OUTFILE_REPLACE;
}

int wt_outfile_temp_template(const char *path, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "%s" TEMP_SUFFIX, path);
    return n < 0 || (size_t)n >= buflen ? -1 : 0;
}

int wt_outfile_join_dir(const char *dir, const char *path, char *buf, size_t buflen)
{
    /* "DIR/" and "DIR" both give one slash */
    size_t len = strlen(dir);
    const char *sep = len && dir[len - 1] == '/' ? "" : "/";
    int n = snprintf(buf, buflen, "%s%s%s", dir, sep, path);
    return n < 0 || (size_t)n >= buflen ? -1 : 0;
}

int wt_outfile_create_dirs(const char *path, char *err, size_t errlen)
{
    char *copy = strdup(path);
    if (!copy) {
        wt_errf(err, errlen, "out of memory opening %s", path);
        return -1;
    }
    /* Each prefix that ends before a slash, left to right: "a/b/c" makes
     * "a" and "a/b". An existing one (a directory, or a symlink to one)
     * is passed through; mkdir's EEXIST on a file is caught by the open
     * that follows, with its own reason. */
    int rc = 0;
    for (char *slash = copy[0] ? strchr(copy + 1, '/') : NULL; slash; slash = strchr(slash + 1, '/')) {
        if (slash[-1] == '/')
            continue;   /* "a//b" */
        *slash = '\0';
        if (mkdir(copy, WT_OUTFILE_DIR_MODE) < 0 && errno != EEXIST) {
            wt_errf(err, errlen, "cannot create the directory %s: %s", copy, strerror(errno));
            rc = -1;
            break;
        }
        *slash = '/';
    }
    free(copy);
    return rc;
}

/* ---- opening, writing, committing ----------------------------------------- */

void wt_outfile_init(struct wt_outfile *f)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->temp_slot = -1;
}

/* One whole sentence per failure, so each translates as a unit. */
enum say_what { SAY_OPEN, SAY_WRITE, SAY_CREATE, SAY_RENAME };

static void say(char *err, size_t errlen, enum say_what what, const char *path, int errnum)
{
    const char *why = strerror(errnum);
    switch (what) {
    case SAY_OPEN:
        wt_errf(err, errlen, "cannot open %s: %s", path, why);
        break;
    case SAY_WRITE:
        wt_errf(err, errlen, "cannot write %s: %s", path, why);
        break;
    case SAY_CREATE:
        wt_errf(err, errlen, "cannot create %s: %s", path, why);
        break;
    case SAY_RENAME:
        wt_errf(err, errlen, "cannot rename the temporary file to %s: %s", path, why);
        break;
    }
}

/* Opens the target itself: curl's fopen(path, "wb"), which truncates a
 * regular file and writes a device or FIFO as it is. */
static int open_in_place(struct wt_outfile *f, int exists, const struct stat *st)
{
    int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY;
    if (!exists)
        flags |= O_CREAT;   /* through a dangling symlink, as fopen creates */
    else if (S_ISREG(st->st_mode))
        flags |= O_TRUNC;
    f->fd = open(f->target, flags, 0666);
    if (f->fd < 0)
        return -1;
    if (!exists) {
        /* Ours to remove if the transfer fails: name the file, not a link. */
        char *real = realpath(f->target, NULL);
        if (real) {
            free(f->target);
            f->target = real;
        }
        f->created = 1;
        f->temp_slot = wt_outfile_register_temp(f->target);
    }
    return 0;
}

/* Undoes open_temp, leaving target for an in-place attempt. */
static void drop_temp(struct wt_outfile *f)
{
    int saved = errno;
    close(f->fd);
    f->fd = -1;
    unlink(f->tmp_path);
    wt_outfile_unregister_temp(f->temp_slot);
    f->temp_slot = -1;
    free(f->tmp_path);
    f->tmp_path = NULL;
    errno = saved;
}

/* A temporary file beside the target that takes over the existing file's
 * mode and owner; -1 with errno when it cannot (then the caller may write
 * in place). */
static int open_temp(struct wt_outfile *f, const struct stat *existing)
{
    size_t n = strlen(f->target) + sizeof TEMP_SUFFIX;
    f->tmp_path = malloc(n);
    if (!f->tmp_path)
        return -1;
    wt_outfile_temp_template(f->target, f->tmp_path, n);
    f->fd = mkostemp(f->tmp_path, O_CLOEXEC);
    if (f->fd < 0) {
        int saved = errno;
        free(f->tmp_path);
        f->tmp_path = NULL;
        errno = saved;
        return -1;
    }
    f->temp_slot = wt_outfile_register_temp(f->tmp_path);
    mode_t mode;
    if (existing) {
        struct stat mine;
        if (fstat(f->fd, &mine) < 0 ||
            ((mine.st_uid != existing->st_uid || mine.st_gid != existing->st_gid) &&
             fchown(f->fd, existing->st_uid, existing->st_gid) < 0)) {
            drop_temp(f);
            return -1;
        }
        mode = existing->st_mode & 07777;   /* after fchown, which clears set-id bits */
    } else {
        /* mkostemp creates 0600; a new file gets the usual umask mode. */
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    if (fchmod(f->fd, mode) < 0) {
        drop_temp(f);
        return -1;
    }
    return 0;
}

int wt_outfile_open(struct wt_outfile *f, const char *path, char *err, size_t errlen)
{
    wt_outfile_init(f);
    /* A symlink is followed, as fopen follows it: the data lands in its
     * target and the link stays a link. */
    struct stat st;
    char *real = NULL;
    int is_link = lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
    if (is_link)
        real = realpath(path, NULL);   /* NULL when dangling: written through it */
    f->target = real ? real : strdup(path);
    if (!f->target) {
        wt_errf(err, errlen, "out of memory opening %s", path);
        return WT_OUTFILE_NO_MEMORY;
    }
    int exists = stat(f->target, &st) == 0;
    if (!exists && errno != ENOENT) {
        say(err, errlen, SAY_OPEN, path, errno);
        wt_outfile_abort(f);
        return -1;
    }
    enum wt_outfile_plan plan = wt_outfile_plan_for(exists ? &st : NULL);
    int rc;
    if (plan == WT_OUTFILE_IN_PLACE || (is_link && !real)) {
        rc = open_in_place(f, exists, &st);
    } else if (exists && faccessat(AT_FDCWD, f->target, W_OK, AT_EACCESS) != 0) {
        /* A rename would replace a file we may not write: refuse, as
         * curl's fopen does. */
        rc = -1;
    } else {
        rc = open_temp(f, exists ? &st : NULL);
        /* The directory refuses a new name, or the owner cannot be kept:
         * an existing file we may write is still written, in place, as
         * curl would. */
        if (rc < 0 && exists && errno != ENOMEM)
            rc = open_in_place(f, exists, &st);
    }
    if (rc < 0) {
        int saved = errno;
        wt_outfile_abort(f);
        if (saved == ENOMEM) {
            wt_errf(err, errlen, "out of memory opening %s", path);
            return WT_OUTFILE_NO_MEMORY;
        }
        say(err, errlen, exists ? SAY_WRITE : SAY_CREATE, path, saved);
        return -1;
    }
    return 0;
}

int wt_outfile_write(struct wt_outfile *f, const char *data, size_t len, char *err,
                     size_t errlen)
{
    while (len > 0) {
        ssize_t n = write(f->fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            say(err, errlen, SAY_WRITE, f->target, errno);
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int wt_outfile_commit(struct wt_outfile *f, char *err, size_t errlen)
{
    if (f->fd >= 0) {
        int rc = close(f->fd);
        f->fd = -1;
        if (rc < 0) {
            say(err, errlen, SAY_WRITE, f->target, errno);
            wt_outfile_abort(f);
            return -1;
        }
    }
    if (f->tmp_path && rename(f->tmp_path, f->target) < 0) {
        say(err, errlen, SAY_RENAME, f->target, errno);
        wt_outfile_abort(f);
        return -1;
    }
    wt_outfile_unregister_temp(f->temp_slot);
    free(f->tmp_path);
    free(f->target);
    wt_outfile_init(f);
    return 0;
}

void wt_outfile_abort(struct wt_outfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->tmp_path)
        unlink(f->tmp_path);
    else if (f->created && f->target)
        unlink(f->target);
    wt_outfile_unregister_temp(f->temp_slot);
    free(f->tmp_path);
    free(f->target);
    wt_outfile_init(f);
}
