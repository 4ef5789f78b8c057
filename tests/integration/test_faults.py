"""Failures the network will not produce on demand, injected at the system
call: a tiny LD_PRELOAD library, compiled here, makes send() fail the way a
reset connection does. Pins exit 55 (sending the request failed).

Allocation failures the same way: a second shim makes malloc, calloc and
realloc fail from the (N+1)-th call on (or only that call), for every N
of a whole run, so each allocation site is hit. Every run must end with
exit 27 and one error line naming the step, or succeed; never a crash, a
hang or a partial file. Pins exit 27 (out of memory)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SHIM = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Every TCP send fails as after a reset; c-ares and the rest never call it. */
ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    (void)fd; (void)buf; (void)len; (void)flags;
    errno = ECONNRESET;
    return -1;
}
"""


class InjectedSendFailure(unittest.TestCase, h.WebtraceCase):
    @classmethod
    def setUpClass(cls):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise AssertionError("a C compiler is needed to build the fault shim")
        cls.dir = tempfile.mkdtemp(prefix="webtrace-fault-")
        src = os.path.join(cls.dir, "shim.c")
        cls.lib = os.path.join(cls.dir, "shim.so")
        with open(src, "w") as f:
            f.write(SHIM)
        subprocess.run([cc, "-shared", "-fPIC", "-o", cls.lib, src], check=True, timeout=60,
                       capture_output=True)
        cls.web = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_send_failure_exits_55(self):
        env = {"LD_PRELOAD": self.lib}
        # Under a sanitizer runtime the shim must come after it; skip the
        # preload there rather than test the sanitizer's interceptor.
        if os.environ.get("WEBTRACE_WRAPPER"):
            self.skipTest("not under a wrapper tool")
        code, out, err = h.run_webtrace(["-o", "/dev/null", self.web.url("/")], env=env)
        if "ASan runtime does not come first" in err:
            # An ASan build: its runtime must be first in the list.
            asan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                                  text=True).stdout.strip()
            env["LD_PRELOAD"] = f"{asan}:{self.lib}"
            code, out, err = h.run_webtrace(["-o", "/dev/null", self.web.url("/")], env=env)
        self.assertEqual(code, 55, h.describe(code, out, err))
        self.assertOneErrorLine(err, "http", "sending the request failed", "reset")
        self.assertNarration(err, r"^\[tcp \] connected ")


ALLOC_SHIM = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* glibc's own entry points: the real allocator under ours. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long budget = -1;   /* allocations that still succeed; -1: all */
static int once;           /* only the first refused one fails */
static long calls;

__attribute__((constructor)) static void arm(void)
{
    const char *n = getenv("WEBTRACE_ALLOC_FAIL_AFTER");
    const char *mode = getenv("WEBTRACE_ALLOC_FAIL_MODE");
    if (n)
        budget = strtol(n, NULL, 10);
    once = mode && mode[0] == 'o';
}

/* How many allocations the run made, for the test to pick its Ns. */
__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("WEBTRACE_ALLOC_COUNT_FILE");
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    if (fd < 0)
        return;
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", calls);
    if (write(fd, buf, (size_t)len) < 0)
        len = 0;
    close(fd);
}

static int refuse(void)
{
    calls++;
    if (budget < 0)
        return 0;
    if (budget > 0) {
        budget--;
        return 0;
    }
    if (once)
        budget = -1;
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t n) { return refuse() ? NULL : __libc_malloc(n); }
void *calloc(size_t a, size_t b) { return refuse() ? NULL : __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { return n && refuse() ? NULL : __libc_realloc(p, n); }
"""

# Runs per mode: every N when the whole run allocates fewer times, else
# this many spread evenly over the run.
MAX_ALLOC_RUNS = 150


class InjectedAllocationFailure(unittest.TestCase, h.WebtraceCase):
    @classmethod
    def setUpClass(cls):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise AssertionError("a C compiler is needed to build the allocation shim")
        cls.dir = tempfile.mkdtemp(prefix="webtrace-alloc-")
        src = os.path.join(cls.dir, "alloc.c")
        cls.lib = os.path.join(cls.dir, "alloc.so")
        with open(src, "w") as f:
            f.write(ALLOC_SHIM)
        subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", cls.lib, src], check=True,
                       timeout=60, capture_output=True)
        cls.web = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    # Each variant reaches other allocation sites: the files (-o, --har,
    # -w), or the NDJSON renderer with every header and explanation.
    VARIANTS = {
        "files": (["--har", "log.har", "-w", "%{http_code} %{size_download}\n"],
                  ["body", "log.har"]),
        "json": (["--ndjson", "-v", "--explain"], ["body"]),
    }

    def run_once(self, out_dir, extra_env, variant):
        os.makedirs(out_dir)
        env = {"LD_PRELOAD": self.lib, **extra_env}
        args = [os.path.join(out_dir, a) if a == "log.har" else a
                for a in self.VARIANTS[variant][0]]
        result = h.run_webtrace(["-o", os.path.join(out_dir, "body"), *args,
                                 self.web.url("/")], env=env)
        return result, sorted(os.listdir(out_dir))

    def check_files(self, out_dir, names, result):
        why = h.describe(*result)
        self.assertEqual([n for n in names if ".webtrace-" in n], [], "temporary file left" + why)
        if "body" in names:
            with open(os.path.join(out_dir, "body"), "rb") as f:
                self.assertEqual(f.read(), h.Nginx.index_bytes(), "partial body file" + why)
        if "log.har" in names:
            with open(os.path.join(out_dir, "log.har"), "rb") as f:
                json.loads(f.read())   # whole, or not there at all

    def test_allocation_failures_exit_27_with_one_line(self):
        if os.environ.get("WEBTRACE_WRAPPER"):
            self.skipTest("not under a wrapper tool")
        _, _, err = h.run_webtrace(["--version"], env={"LD_PRELOAD": self.lib})
        if "ASan runtime does not come first" in err:
            self.skipTest("an ASan build: its allocator replaces malloc, so the shim cannot "
                          "fail allocations (the release build runs this test)")
        steps_hit = set()
        for variant in self.VARIANTS:
            with self.subTest(variant=variant):
                steps_hit |= self.fail_each_allocation(variant)
        # The loop reached allocations in several steps, not one site.
        self.assertGreaterEqual(len(steps_hit), 3, steps_hit)

    def fail_each_allocation(self, variant):
        count_file = os.path.join(self.dir, f"count-{variant}")
        result, names = self.run_once(os.path.join(self.dir, f"baseline-{variant}"),
                                      {"WEBTRACE_ALLOC_COUNT_FILE": count_file}, variant)
        self.assertEqual(result[0], 0, h.describe(*result))
        with open(count_file) as f:
            total = int(f.read())
        self.assertGreater(total, 10, "the shim saw almost no allocations")
        step = max(1, total // MAX_ALLOC_RUNS)
        steps_hit = set()
        for mode in ("once", "after"):
            for n in range(0, total + 1, step):
                out_dir = os.path.join(self.dir, f"{variant}-{mode}-{n}")
                result, names = self.run_once(out_dir, {"WEBTRACE_ALLOC_FAIL_AFTER": str(n),
                                                        "WEBTRACE_ALLOC_FAIL_MODE": mode},
                                              variant)
                code, out, err = result
                label = f"{variant}: allocation {n + 1} failing ({mode})"
                self.assertIn(code, (0, 27), label + h.describe(*result))
                self.check_files(out_dir, names, result)
                self.assertNotIn("LeakSanitizer", err, label)
                if code == 0:
                    self.assertEqual(names, self.VARIANTS[variant][1],
                                     label + h.describe(*result))
                    continue
                lines = h.error_lines(err)
                self.assertTrue(lines, label + ": exit 27 without an error line" +
                                h.describe(*result))
                self.assertRegex(lines[0], h.ERROR_LINE, label)
                self.assertRegex(lines[0], "memory", label)
                if mode == "once":
                    self.assertEqual(len(lines), 1, label + h.describe(*result))
                steps_hit.add(lines[0].split(":")[1].strip())
                shutil.rmtree(out_dir, ignore_errors=True)
        return steps_hit

if __name__ == "__main__":
    unittest.main()
