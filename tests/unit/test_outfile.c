/* outfile: the plan for what is at a path, the temporary name, the signal
 * cleanup registry, and (in a private temporary directory) that a mode,
 * a hard link and a symlink survive a write. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "webtrace/outfile.h"

#define N_CASES(t) (sizeof(t) / sizeof((t)[0]))

static void test_outfile_plan_for_what_is_there(void **state)
{
    (void)state;
    static const struct {
        mode_t type;
        nlink_t links;
        enum wt_outfile_plan want;
    } cases[] = {
        { S_IFREG, 1, WT_OUTFILE_REPLACE },
        { S_IFREG, 2, WT_OUTFILE_IN_PLACE },   /* a rename would split the links */
        { S_IFCHR, 1, WT_OUTFILE_IN_PLACE },   /* /dev/null stays a device */
        { S_IFIFO, 1, WT_OUTFILE_IN_PLACE },
        { S_IFSOCK, 1, WT_OUTFILE_IN_PLACE },
        { S_IFBLK, 1, WT_OUTFILE_IN_PLACE },
        { S_IFDIR, 2, WT_OUTFILE_IN_PLACE },   /* open() then says EISDIR */
    };
    assert_int_equal(wt_outfile_plan_for(NULL), WT_OUTFILE_NEW);
    for (size_t i = 0; i < N_CASES(cases); i++) {
        struct stat st;
        memset(&st, 0, sizeof st);
        st.st_mode = cases[i].type | 0644;
        st.st_nlink = cases[i].links;
        assert_int_equal(wt_outfile_plan_for(&st), cases[i].want);
    }
}

static void test_outfile_temp_template_sits_beside_the_path(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(wt_outfile_temp_template("dir/out.bin", buf, sizeof buf), 0);
    assert_string_equal(buf, "dir/out.bin.webtrace-XXXXXX");
    char small[16];
    assert_int_equal(wt_outfile_temp_template("dir/out.bin", small, sizeof small), -1);
}

static void test_outfile_registry_fills_and_empties(void **state)
{
    (void)state;
    int slots[WT_OUTFILE_MAX_TEMPS];
    for (int i = 0; i < WT_OUTFILE_MAX_TEMPS; i++) {
        slots[i] = wt_outfile_register_temp("/nonexistent/webtrace-test");
        assert_true(slots[i] >= 0);
    }
    assert_int_equal(wt_outfile_registered_temps(), WT_OUTFILE_MAX_TEMPS);
    assert_int_equal(wt_outfile_register_temp("/nonexistent/one-more"), -1);
    for (int i = 0; i < WT_OUTFILE_MAX_TEMPS; i++)
        wt_outfile_unregister_temp(slots[i]);
    assert_int_equal(wt_outfile_registered_temps(), 0);
    wt_outfile_unregister_temp(-1);   /* "not registered" is a no-op */

    char longpath[PATH_MAX + 8];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(wt_outfile_register_temp(longpath), -1);
}

/* ---- on a real file system, in a directory of our own ----------------- */

struct fixture {
    char dir[64];
    char path[128];
};

static int make_dir(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/webtrace-outfile-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int remove_dir(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int rc = system(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void put(const char *path, const char *text)
{
    struct wt_outfile f;
    char err[256];
    assert_int_equal(wt_outfile_open(&f, path, err, sizeof err), 0);
    assert_int_equal(wt_outfile_write(&f, text, strlen(text), err, sizeof err), 0);
    assert_int_equal(wt_outfile_commit(&f, err, sizeof err), 0);
}

static size_t entries(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    unsigned n = 0;
    assert_int_equal(fscanf(p, "%u", &n), 1);
    pclose(p);
    return n;
}

static void test_outfile_existing_file_keeps_its_mode(void **state)
{
    struct fixture *fx = *state;
    snprintf(fx->path, sizeof fx->path, "%s/secret", fx->dir);
    write_file(fx->path, "old", 0600);
    put(fx->path, "new");
    struct stat st;
    assert_int_equal(stat(fx->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    char buf[16];
    read_file(fx->path, buf, sizeof buf);
    assert_string_equal(buf, "new");
    assert_int_equal(entries(fx->dir), 1);   /* no temporary file left */
}

static void test_outfile_hard_link_is_written_in_place(void **state)
{
    struct fixture *fx = *state;
    char other[160];
    snprintf(fx->path, sizeof fx->path, "%s/a", fx->dir);
    snprintf(other, sizeof other, "%s/b", fx->dir);
    write_file(fx->path, "old old", 0644);
    assert_int_equal(link(fx->path, other), 0);
    put(fx->path, "new");
    char buf[16];
    read_file(other, buf, sizeof buf);
    assert_string_equal(buf, "new");   /* the other name sees the same file */
    struct stat st;
    assert_int_equal(stat(fx->path, &st), 0);
    assert_int_equal(st.st_nlink, 2);
}

static void test_outfile_symlink_is_followed_and_kept(void **state)
{
    struct fixture *fx = *state;
    char target[160];
    snprintf(target, sizeof target, "%s/target", fx->dir);
    snprintf(fx->path, sizeof fx->path, "%s/link", fx->dir);
    write_file(target, "old", 0640);
    assert_int_equal(symlink("target", fx->path), 0);
    put(fx->path, "new");
    struct stat st;
    assert_int_equal(lstat(fx->path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    char buf[16];
    read_file(target, buf, sizeof buf);
    assert_string_equal(buf, "new");
    assert_int_equal(entries(fx->dir), 2);
}

static void test_outfile_dangling_symlink_creates_its_target(void **state)
{
    struct fixture *fx = *state;
    char target[160];
    snprintf(target, sizeof target, "%s/later", fx->dir);
    snprintf(fx->path, sizeof fx->path, "%s/link", fx->dir);
    assert_int_equal(symlink("later", fx->path), 0);
    put(fx->path, "new");
    struct stat st;
    assert_int_equal(lstat(fx->path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char buf[16];
    read_file(target, buf, sizeof buf);
    assert_string_equal(buf, "new");
}

static void test_outfile_abort_leaves_nothing_new(void **state)
{
    struct fixture *fx = *state;
    snprintf(fx->path, sizeof fx->path, "%s/partial", fx->dir);
    struct wt_outfile f;
    char err[256];
    assert_int_equal(wt_outfile_open(&f, fx->path, err, sizeof err), 0);
    assert_int_equal(wt_outfile_registered_temps(), 1);
    assert_int_equal(wt_outfile_write(&f, "half", 4, err, sizeof err), 0);
    wt_outfile_abort(&f);
    assert_int_equal(entries(fx->dir), 0);
    assert_int_equal(wt_outfile_registered_temps(), 0);
    wt_outfile_abort(&f);   /* twice is harmless */
}

static void test_outfile_abort_keeps_an_existing_file(void **state)
{
    struct fixture *fx = *state;
    snprintf(fx->path, sizeof fx->path, "%s/kept", fx->dir);
    write_file(fx->path, "old", 0644);
    struct wt_outfile f;
    char err[256];
    assert_int_equal(wt_outfile_open(&f, fx->path, err, sizeof err), 0);
    assert_int_equal(wt_outfile_write(&f, "half", 4, err, sizeof err), 0);
    wt_outfile_abort(&f);
    char buf[16];
    read_file(fx->path, buf, sizeof buf);
    assert_string_equal(buf, "old");
    assert_int_equal(entries(fx->dir), 1);
}

static void test_outfile_read_only_file_is_not_replaced(void **state)
{
    struct fixture *fx = *state;
    if (geteuid() == 0)
        skip();   /* root may write a 0444 file, as with curl */
    snprintf(fx->path, sizeof fx->path, "%s/readonly", fx->dir);
    write_file(fx->path, "old", 0444);
    struct wt_outfile f;
    char err[256];
    assert_int_equal(wt_outfile_open(&f, fx->path, err, sizeof err), -1);
    assert_non_null(strstr(err, "Permission denied"));
    char buf[16];
    read_file(fx->path, buf, sizeof buf);
    assert_string_equal(buf, "old");
}

static void test_outfile_missing_directory_is_an_error(void **state)
{
    struct fixture *fx = *state;
    snprintf(fx->path, sizeof fx->path, "%s/no/such/dir/file", fx->dir);
    struct wt_outfile f;
    char err[256];
    assert_int_equal(wt_outfile_open(&f, fx->path, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file or directory"));
    assert_int_equal(wt_outfile_registered_temps(), 0);
}

static void test_outfile_join_dir_as_curl(void **state)
{
    (void)state;
    static const struct { const char *dir, *path, *want; } cases[] = {
        { "out", "a.txt", "out/a.txt" },
        { "out/", "a.txt", "out/a.txt" },
        { "/srv/x", "sub/a", "/srv/x/sub/a" },
        { "out", "/abs/a", "out//abs/a" },   /* curl joins even an absolute path */
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(wt_outfile_join_dir(cases[i].dir, cases[i].path, buf, sizeof buf), 0);
        assert_string_equal(buf, cases[i].want);
    }
    assert_int_equal(wt_outfile_join_dir("out", "a.txt", buf, 9), -1);   /* does not fit */
}

static void test_outfile_create_dirs_makes_what_is_missing(void **state)
{
    struct fixture *fx = *state;
    char path[256], dir[256], err[256];
    mode_t old = umask(022);
    snprintf(path, sizeof path, "%s/a//b/c/file", fx->dir);
    assert_int_equal(wt_outfile_create_dirs(path, err, sizeof err), 0);
    umask(old);
    struct stat st;
    snprintf(dir, sizeof dir, "%s/a/b/c", fx->dir);
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, WT_OUTFILE_DIR_MODE);
    snprintf(dir, sizeof dir, "%s/a/b/c/file", fx->dir);
    assert_int_equal(stat(dir, &st), -1);   /* the file itself is not made */
    /* again: everything exists already */
    assert_int_equal(wt_outfile_create_dirs(path, err, sizeof err), 0);
    /* a file in the way */
    snprintf(dir, sizeof dir, "%s/plain", fx->dir);
    write_file(dir, "x", 0644);
    snprintf(path, sizeof path, "%s/plain/sub/file", fx->dir);
    assert_int_equal(wt_outfile_create_dirs(path, err, sizeof err), -1);
    assert_non_null(strstr(err, "plain/sub"));
    assert_int_equal(wt_outfile_create_dirs("file", err, sizeof err), 0);   /* no directory */
    assert_int_equal(wt_outfile_create_dirs("", err, sizeof err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outfile_plan_for_what_is_there),
        cmocka_unit_test(test_outfile_temp_template_sits_beside_the_path),
        cmocka_unit_test(test_outfile_registry_fills_and_empties),
        cmocka_unit_test(test_outfile_join_dir_as_curl),
        cmocka_unit_test_setup_teardown(test_outfile_create_dirs_makes_what_is_missing, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_outfile_existing_file_keeps_its_mode, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_outfile_hard_link_is_written_in_place, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_outfile_symlink_is_followed_and_kept, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_outfile_dangling_symlink_creates_its_target,
                                        make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_outfile_abort_leaves_nothing_new, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_outfile_abort_keeps_an_existing_file, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_outfile_read_only_file_is_not_replaced, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_outfile_missing_directory_is_an_error, make_dir,
                                        remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
