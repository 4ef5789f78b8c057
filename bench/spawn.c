/* bench/spawn.c - run one command and report what it cost.
 *
 *   spawn TIMEOUT_S STDOUT_FILE STDERR_FILE -- PROGRAM [ARG...]
 *
 * Forks, execs PROGRAM (stdin /dev/null, stdout and stderr to the files
 * named), waits for it with wait4() and prints one line on stdout:
 *
 *   status=N wall_ns=N utime_us=N stime_us=N maxrss_kb=N timeout=0|1
 *
 * status is the exit code, or 128+signal. Wall time is CLOCK_MONOTONIC from
 * just before fork() to the moment wait4() returns.
 *
 * Why a C helper at all: Linux charges a process's ru_maxrss with the peak
 * RSS of the memory image it had before execve(), i.e. its parent's when it
 * was forked (or vforked, as posix_spawn does). Spawned straight from
 * Python, every measured client would report at least the interpreter's
 * ~10 MB. Forked from this small static program, the inherited floor is a
 * few hundred KiB, well under what any client measured here uses.
 *
 * Bounded: the child is killed (SIGKILL) after TIMEOUT_S seconds; the wait
 * uses a pidfd and poll(), so no busy loop competes for the CPU.
 * Build: cc -O2 -static -o spawn spawn.c (bench.py does this itself).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_alarm(int sig)
{
    (void)sig;  /* only interrupts wait4() */
}

static void redirect(const char *path, int target, int flags)
{
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        dprintf(2, "spawn: %s: %s\n", path, strerror(errno));
        _exit(126);
    }
    if (fd != target) {
        dup2(fd, target);
        close(fd);
    }
}

int main(int argc, char **argv)
{
    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: spawn TIMEOUT_S STDOUT STDERR -- PROGRAM [ARG...]\n");
        return 2;
    }
    double timeout_s = atof(argv[1]);
    const char *out = argv[2], *err = argv[3];
    char **cmd = argv + 5;

    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("spawn: fork");
        return 2;
    }
    if (pid == 0) {
        redirect("/dev/null", 0, O_RDONLY);
        redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC);
        redirect(err, 2, O_WRONLY | O_CREAT | O_TRUNC);
        execvp(cmd[0], cmd);
        dprintf(2, "spawn: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }

    int timed_out = 0;
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd >= 0) {
        long long deadline = t0 + (long long)(timeout_s * 1e9);
        for (;;) {
            long long left = deadline - now_ns();
            if (left <= 0) {
                timed_out = 1;
                kill(pid, SIGKILL);
                break;
            }
            struct pollfd p = { .fd = pfd, .events = POLLIN };
            int n = poll(&p, 1, (int)(left / 1000000 + 1));
            if (n > 0)
                break;
            if (n < 0 && errno != EINTR) {
                perror("spawn: poll");
                kill(pid, SIGKILL);
                timed_out = 1;
                break;
            }
        }
    } else {
        /* No pidfd (kernel < 5.3): a blocking wait bounded by alarm(). */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;  /* no SA_RESTART: wait4() returns EINTR */
        sigaction(SIGALRM, &sa, NULL);
        alarm((unsigned)timeout_s + 1);
    }

    int st = 0;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &st, 0, &ru)) < 0 && errno == EINTR) {
        if (pfd < 0) {  /* alarm fired */
            timed_out = 1;
            kill(pid, SIGKILL);
        }
    }
    long long t1 = now_ns();
    if (w < 0) {
        perror("spawn: wait4");
        return 2;
    }
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    printf("status=%d wall_ns=%lld utime_us=%lld stime_us=%lld maxrss_kb=%ld timeout=%d\n",
           status, t1 - t0,
           (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
           (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec,
           ru.ru_maxrss, timed_out);
    return 0;
}
