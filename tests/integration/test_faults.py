"""Failures the network will not produce on demand, injected at the system
call: a tiny LD_PRELOAD library, compiled here, makes send() fail the way a
reset connection does. Pins exit 55 (sending the request failed)."""

import os
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


if __name__ == "__main__":
    unittest.main()
