"""Where the body and the HAR log go when the path or the descriptor is not
a plain new file: a closed stdout (the next socket must never become fd 1),
-o and --har onto a FIFO, a symlink, a 0600 file, a hard-linked file and a
character device, and SIGINT/SIGTERM in the middle of a download.

The character-device case runs in a private mount namespace (unshare -m, a
tmpfs over a temporary directory, mknod there), so the machine's /dev is
never touched; it needs root and is skipped with the reason otherwise.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_outfile.py
"""

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

MARKER = b"WEBTRACE-BODY-MARKER-7f3a"
BODY = MARKER + b" the body of the reply\n"
REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY)) + BODY

WAIT_S = 10.0   # a backstop for things that take milliseconds


def wrapper():
    return os.environ.get("WEBTRACE_WRAPPER", "").split()


class OutputFiles(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.hostile = h.HostileHttp().start()

    @classmethod
    def tearDownClass(cls):
        cls.hostile.stop()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="webtrace-outfile-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self):
        return self.hostile.url(self.hostile.raw(REPLY))

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    # -- a closed stdout ----------------------------------------------------

    def test_closed_stdout_never_sends_the_body_into_a_socket(self):
        strace = h.peer_tool("strace")
        if not strace:
            self.skipTest("strace is not installed (scripts/setup.sh installs it)")
        if wrapper():
            self.skipTest("not under a wrapper tool")
        log = self.path("strace.log")
        # sh closes fd 1 right before exec, so webtrace starts without it;
        # -y names what each descriptor is (a socket shows as socket:[N]).
        argv = [strace, "-f", "-y", "-s", "256", "-o", log,
                "-e", "trace=write,writev,sendto,sendmsg",
                "sh", "-c", 'exec "$0" "$@" >&-', h.webtrace_path(), self.url()]
        # LeakSanitizer cannot run under ptrace: an ASan build checks leaks
        # in every other test.
        asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=60,
                              env=h.webtrace_env(extra={"ASAN_OPTIONS": asan}))
        err = proc.stderr.decode("utf-8", "replace")
        with open(log, "r", errors="replace") as f:
            calls = f.read().splitlines()
        to_socket = [c for c in calls
                     if re.search(r"^\d+\s+(write|writev|sendto|sendmsg)\(\d+<(socket|TCP|UDP)", c)]
        leaked = [c for c in to_socket if MARKER.decode() in c or "[http]" in c]
        self.assertEqual(leaked, [], "body or narration bytes were written into a socket")
        self.assertTrue(any("GET /raw/" in c for c in to_socket),
                        "the request itself should be seen going to the socket:\n" +
                        "\n".join(to_socket))
        # As curl: body bytes for a closed stdout are a write error.
        self.assertEqual(proc.returncode, 23, h.describe(proc.returncode, b"", err))
        self.assertOneErrorLine(err, "output", "stdout is closed")

    def test_closed_stdout_with_an_empty_body_is_not_an_error(self):
        empty = self.hostile.raw(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        argv = wrapper() + [h.webtrace_path(), "-s", self.hostile.url(empty)]
        proc = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-'] + argv,
                              stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=h.webtrace_env(), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode("utf-8", "replace"))

    def test_closed_stdout_and_stderr_with_o_file(self):
        if wrapper():
            self.skipTest("not under a wrapper tool: valgrind logs to the fd 2 we close")
        argv = wrapper() + [h.webtrace_path(), "-o", self.path("out"), self.url()]
        proc = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&- 2>&-'] + argv,
                              stdin=subprocess.DEVNULL, env=h.webtrace_env(), timeout=60)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(self.read("out"), BODY)

    # -- -o onto what is already there --------------------------------------

    def test_o_existing_0600_file_keeps_its_mode(self):
        p = self.path("secret")
        with open(p, "wb") as f:
            f.write(b"old")
        os.chmod(p, 0o600)
        self.run_ok(["-s", "-o", p, self.url()])
        self.assertEqual(self.read("secret"), BODY)
        self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600)
        self.assertEqual(sorted(os.listdir(self.dir)), ["secret"])

    def test_o_hard_linked_file_keeps_its_links(self):
        a, b = self.path("a"), self.path("b")
        with open(a, "wb") as f:
            f.write(b"old contents, longer than the body will be" * 4)
        os.link(a, b)
        self.run_ok(["-s", "-o", a, self.url()])
        self.assertEqual(self.read("b"), BODY)
        self.assertEqual(os.stat(a).st_nlink, 2)
        self.assertEqual(os.stat(a).st_ino, os.stat(b).st_ino)

    def test_o_symlink_writes_through_to_its_target(self):
        target, link = self.path("target"), self.path("link")
        with open(target, "wb") as f:
            f.write(b"old")
        os.chmod(target, 0o640)
        os.symlink("target", link)
        self.run_ok(["-s", "-o", link, self.url()])
        self.assertTrue(os.path.islink(link), "the symlink was replaced by a file")
        self.assertEqual(self.read("target"), BODY)
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o640)
        self.assertEqual(sorted(os.listdir(self.dir)), ["link", "target"])

    def test_o_dangling_symlink_creates_its_target(self):
        link = self.path("link")
        os.symlink("later", link)
        self.run_ok(["-s", "-o", link, self.url()])
        self.assertTrue(os.path.islink(link))
        self.assertEqual(self.read("later"), BODY)

    def test_o_and_har_into_fifos(self):
        body_fifo, har_fifo = self.path("body.fifo"), self.path("har.fifo")
        os.mkfifo(body_fifo)
        os.mkfifo(har_fifo)
        got = {}

        def drain(name, path):
            with open(path, "rb") as f:   # blocks until webtrace opens it
                got[name] = f.read()

        readers = [threading.Thread(target=drain, args=(n, p), daemon=True)
                   for n, p in (("body", body_fifo), ("har", har_fifo))]
        for t in readers:
            t.start()
        try:
            self.run_ok(["-s", "-o", body_fifo, "--har", har_fifo, self.url()])
        finally:
            # Unblock a reader whose FIFO was never opened for writing.
            for p in (body_fifo, har_fifo):
                try:
                    fd = os.open(p, os.O_WRONLY | os.O_NONBLOCK)
                    os.close(fd)
                except OSError:
                    pass
            for t in readers:
                t.join(WAIT_S)
        self.assertEqual(got.get("body"), BODY)
        self.assertIn(b'"version":"1.2"', got.get("har", b""))
        for p in (body_fifo, har_fifo):
            self.assertTrue(stat.S_ISFIFO(os.lstat(p).st_mode), f"{p} is no longer a FIFO")
        self.assertEqual(sorted(os.listdir(self.dir)), ["body.fifo", "har.fifo"])

    def test_har_existing_0600_file_keeps_its_mode(self):
        p = self.path("log.har")
        with open(p, "wb") as f:
            f.write(b"old")
        os.chmod(p, 0o600)
        self.run_ok(["-s", "-o", self.path("body"), "--har", p, self.url()])
        self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600)
        self.assertIn(b'"entries":[', self.read("log.har"))

    # -- a character device, in a private mount namespace --------------------

    def test_o_and_har_onto_a_character_device_leave_it_a_device(self):
        if os.geteuid() != 0:
            self.skipTest("needs root: mknod and a private mount namespace (unshare -m)")
        unshare = h.peer_tool("unshare")
        if not unshare:
            self.skipTest("unshare (util-linux) is not installed")
        if wrapper():
            self.skipTest("not under a wrapper tool")
        # Inside the namespace: a tmpfs over our directory, a null device
        # there (1,3 as /dev/null), webtrace writing both outputs to it.
        script = r'''
set -e
mount -t tmpfs -o size=1m tmpfs "$1"
mknod -m 666 "$1/null" c 1 3
set +e
"$2" -s -o "$1/null" --har "$1/null" "$3"
rc=$?
set -e
stat -c '%F %t:%T' "$1/null"
ls -A "$1"
exit $rc
'''
        proc = subprocess.run([unshare, "-m", "--propagation", "private", "sh", "-c", script,
                               "sh", self.dir, h.webtrace_path(), self.url()],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              env=h.webtrace_env(), timeout=60)
        out = proc.stdout.decode("utf-8", "replace").splitlines()
        err = proc.stderr.decode("utf-8", "replace")
        if proc.returncode != 0 and "Operation not permitted" in err and not out:
            self.skipTest(f"no private mount namespace here: {err.strip()}")
        self.assertEqual(proc.returncode, 0, h.describe(proc.returncode, proc.stdout, err))
        self.assertEqual(out[0], "character special file 1:3", out)
        self.assertEqual(out[1:], ["null"], "a temporary file was left beside the device")
        # The namespace's mount is gone with it; our directory is untouched.
        self.assertEqual(os.listdir(self.dir), [])

    # -- interrupted downloads ---------------------------------------------

    def interrupt_download(self, sig, existing=None):
        out = self.path("download")
        if existing is not None:
            with open(out, "wb") as f:
                f.write(existing)
        argv = wrapper() + [h.webtrace_path(), "-s", "-o", out,
                            self.hostile.url("slow_drip")]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=h.webtrace_env())
        try:
            # The temporary file appears with the first body byte.
            deadline = time.monotonic() + WAIT_S * (10 if wrapper() else 1)
            temps = []
            while time.monotonic() < deadline and not temps:
                temps = [n for n in os.listdir(self.dir) if ".webtrace-" in n]
                time.sleep(0.05)
            self.assertTrue(temps, "no temporary file appeared during the download")
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=WAIT_S * (10 if wrapper() else 1))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, -sig, err.decode("utf-8", "replace"))
        return sorted(os.listdir(self.dir))

    def test_sigint_during_o_leaves_nothing_behind(self):
        self.assertEqual(self.interrupt_download(signal.SIGINT), [])

    def test_sigterm_during_o_keeps_the_old_file_as_it_was(self):
        self.assertEqual(self.interrupt_download(signal.SIGTERM, existing=b"old"), ["download"])
        self.assertEqual(self.read("download"), b"old")


if __name__ == "__main__":
    unittest.main()
