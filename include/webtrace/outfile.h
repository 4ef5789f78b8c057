/* outfile: how -o FILE and --har FILE write a path that may already be
 * something, as curl treats it: devices and FIFOs are written in place,
 * symlinks are followed, an existing file keeps its mode, owner and links.
 * Knows nothing of HTTP or HAR; never prints (errors go into err). */
#ifndef WEBTRACE_OUTFILE_H
#define WEBTRACE_OUTFILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Temporary files alive at the same time: one -o per URL with -Z (at most
 * 300 at once), --har and -D. Untouched slots cost no memory (bss). */
#define WT_OUTFILE_MAX_TEMPS 304

/* Directories --create-dirs makes: curl's mode for them. */
#define WT_OUTFILE_DIR_MODE 0750

enum wt_outfile_plan {
    WT_OUTFILE_NEW,       /* nothing there: a temporary name, renamed on success */
    WT_OUTFILE_REPLACE,   /* a regular file: the same, keeping its mode and owner */
    WT_OUTFILE_IN_PLACE   /* a device, FIFO, socket or hard-linked file: opened as is */
};

/* Pure: what to do with the path given stat() of it (NULL: does not
 * exist). A file with more than one link is written in place so every
 * name keeps seeing it (a rename would split them). */
enum wt_outfile_plan wt_outfile_plan_for(const struct stat *st);

/* Pure: "PATH.webtrace-XXXXXX" into buf. Returns 0, or -1 if it does not fit. */
int wt_outfile_temp_template(const char *path, char *buf, size_t buflen);

/* Pure: --output-dir DIR and a -o/-O path, joined as curl joins them
 * ("DIR/PATH", even for an absolute PATH). Returns 0, or -1 if it does not
 * fit. */
int wt_outfile_join_dir(const char *dir, const char *path, char *buf, size_t buflen);

/* --create-dirs: makes every missing directory above path's last
 * component, mode WT_OUTFILE_DIR_MODE (less the umask). Returns 0, or -1
 * with a sentence in err. */
int wt_outfile_create_dirs(const char *path, char *err, size_t errlen);

struct wt_outfile {
    char *target;     /* where the data ends up: the path, a symlink resolved */
    char *tmp_path;   /* temporary name beside target; NULL when in place */
    int fd;
    int created;      /* in place on a path that did not exist: ours to remove */
    int temp_slot;    /* registration with the signal cleanup, or -1 */
};

/* Opens path for writing as the rules above say. Returns 0, or -1 (or
 * WT_OUTFILE_NO_MEMORY) with a terminal-safe sentence in err; f is then
 * closed already. */
#define WT_OUTFILE_NO_MEMORY (-2)
int wt_outfile_open(struct wt_outfile *f, const char *path, char *err, size_t errlen);
/* Writes all of data (EINTR retried). Returns 0 or -1 with err. */
int wt_outfile_write(struct wt_outfile *f, const char *data, size_t len,
                     char *err, size_t errlen);
/* Closes, and renames the temporary file onto the target. Returns 0, or -1
 * with err (and the temporary file removed). */
int wt_outfile_commit(struct wt_outfile *f, char *err, size_t errlen);
/* Closes and removes what a failed write left: the temporary file, or a
 * file created in place. Safe after commit and on a never-opened f. */
void wt_outfile_abort(struct wt_outfile *f);
/* An outfile that holds nothing: abort and commit are no-ops on it. */
void wt_outfile_init(struct wt_outfile *f);

/* The cleanup registry SIGINT/SIGTERM/SIGHUP use: the handler unlinks
 * every registered path with async-signal-safe calls, then re-raises.
 * Exposed for tests. Returns a slot, or -1 when full or too long. */
int wt_outfile_register_temp(const char *path);
void wt_outfile_unregister_temp(int slot);
/* How many paths are registered now. */
size_t wt_outfile_registered_temps(void);

#endif
