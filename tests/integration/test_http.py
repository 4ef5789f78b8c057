"""webtrace's HTTP step against a real nginx on loopback: framing, status
codes, output handling and the end-of-trace narration.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_http.py
"""

import os
import pty
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


class HttpViaNginx(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.web = h.Nginx().start()
        try:
            # A guard resolver: URLs here are literals, so a query reaching
            # it (counted) is a bug, and nothing can go off the machine.
            cls.guard = h.SilentUdp().start()
            cls.hostile = h.HostileHttp().start()
        except BaseException:
            h.stop_all_peers()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.hostile.stop()
        cls.guard.stop()
        cls.web.stop()

    def tearDown(self):
        self.assertEqual(self.guard.received, 0, "a DNS query was sent for a literal")

    def trace(self, path, *extra, **kw):
        return h.run_webtrace(["--dns-server", self.guard.server_arg, "--dns-timeout", "1",
                               *extra, self.web.url(path)], **kw)

    def test_content_length_via_nginx(self):
        code, out, err = self.trace("/")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        port = self.web.port
        self.assertNarration(err, rf"^\[tcp \] connecting to 127\.0\.0\.1 port {port}\b")
        self.assertNarration(err, rf"^\[tcp \] connected 127\.0\.0\.1:{port} from 127\.0\.0\.1:\d+"
                                  rf".*SYN → SYN\+ACK → ACK.*\bESTABLISHED\b")
        self.assertNarration(err, rf"^\[http\] → GET / HTTP/1\.1\b.*\bHost: 127\.0\.0\.1:{port}\b")
        self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 200 OK\b")
        self.assertNarration(err, r"^\[http\]\s+.*\bContent-Length: 1024\b")
        self.assertNarration(err, r"^\[http\] ← body 1024 bytes \(Content-Length\)")
        self.assertEqual(h.error_lines(err), [])

    def test_chunked_via_nginx(self):
        code, out, err = self.trace("/chunked")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.CHUNKED_BODY)
        self.assertNarration(err, r"^\[http\]\s+.*\bTransfer-Encoding: chunked\b")
        self.assertNarration(err, rf"^\[http\] ← body {len(h.Nginx.CHUNKED_BODY)} bytes \(chunked\)")

    def test_not_found_404_without_fail(self):
        code, out, err = self.trace("/missing")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 404 Not Found\b")
        self.assertEqual(h.error_lines(err), [])

    def test_redirect_301_not_followed(self):
        code, out, err = self.trace("/moved")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 301 Moved Permanently\b")
        self.assertNarration(err, r"^\[http\].*\bLocation\b:?\s+/",
                             "the Location of a redirect should be narrated")
        self.assertEqual(len(re.findall(r"(?m)^\[http\] → GET ", err)), 1,
                         f"redirect must not be followed\n{err}")

    def test_output_file_written(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "page.html")
            code, out, err = self.trace("/", "-o", path)
            self.assertEqual(code, 0, h.describe(code, out, err))
            self.assertEqual(out, b"", "with -o FILE stdout stays empty")
            with open(path, "rb") as f:
                self.assertEqual(f.read(), h.Nginx.index_bytes())
            self.assertEqual(os.listdir(d), ["page.html"])

    def test_output_file_not_left_after_truncated_body(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "page.html")
            code, out, err = h.run_webtrace(["--dns-server", self.guard.server_arg,
                                             "-o", path,
                                             self.hostile.url("truncated_body")])
            self.assertEqual(code, 18, h.describe(code, out, err))
            self.assertEqual(os.listdir(d), [], "no output file and no temp file after a failure")

    def test_write_error_dev_full(self):
        code, out, err = self.trace("/", "-o", "/dev/full")
        self.assertEqual(code, 23, h.describe(code, out, err))
        self.assertOneErrorLine(err, "output", r"/dev/full|space")

    def test_closed_pipe_big_body(self):
        """The reader of stdout goes away after 4 KiB of a 1 MiB body: a
        write error (23), not death by SIGPIPE."""
        rfd, wfd = os.pipe()
        argv = [h.webtrace_path(), "--dns-server", self.guard.server_arg, self.web.url("/big")]
        with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=wfd,
                              stderr=subprocess.PIPE, env=h.webtrace_env()) as proc:
            os.close(wfd)
            with os.fdopen(rfd, "rb") as r:
                first = r.read(4096)
            try:
                _, errb = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise h.WebtraceHang("webtrace hung writing into a closed pipe")
        err = errb.decode("utf-8", "replace")
        self.assertEqual(first, h.Nginx.big_bytes()[:len(first)])
        self.assertEqual(proc.returncode, 23,
                         f"want exit 23 (write error), got {proc.returncode}"
                         f"{' (killed by SIGPIPE)' if proc.returncode == -13 else ''}\n{err}")
        self.assertOneErrorLine(err, "output")

    def test_big_body_to_pipe(self):
        code, out, err = self.trace("/big")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.big_bytes())
        self.assertNarration(err, rf"^\[http\] ← body {h.Nginx.BIG_SIZE} bytes \(Content-Length\)")

    def test_verbose_headers(self):
        code, out, err = self.trace("/", "-v")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, rf"^\[http\] > Host: 127\.0\.0\.1:{self.web.port}   \(from the URL\)$")
        self.assertNarration(err, r"^\[http\] > Accept: \*/\*   \(default; -H changes or removes it\)$")
        self.assertNarration(err, r"^\[http\] < Server: nginx\b")
        self.assertNarration(err, r"^\[http\] < Content-Length: 1024$")
        self.assertNarration(err, r"^\[http\] < Content-Type: text/html$")

    def test_silent_success_has_empty_stderr(self):
        code, out, err = self.trace("/", "-s")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(err, "")
        self.assertEqual(out, h.Nginx.index_bytes())

    def test_silent_failure_still_prints_error(self):
        code, out, err = h.run_webtrace(["-s", f"http://127.0.0.1:{h.closed_port()}/"])
        self.assertEqual(code, 7, h.describe(code, out, err))
        self.assertEqual(len(err.splitlines()), 1, f"-s: only the error line\n{err}")
        self.assertOneErrorLine(err, "tcp")

    def test_teardown_narrated(self):
        code, out, err = self.trace("/")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[tcp \].*\b(TIME_WAIT|CLOSE_WAIT|FIN_WAIT_[12]|LAST_ACK)\b")

    # TCP close states and the states each may legally be followed by
    # (transitively: narration shows snapshots, so skipping is fine).
    _LATER = {
        "ESTABLISHED": {"FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "TIME_WAIT",
                        "CLOSE_WAIT", "LAST_ACK", "CLOSED"},
        "FIN_WAIT_1": {"FIN_WAIT_2", "CLOSING", "TIME_WAIT", "CLOSED"},
        "FIN_WAIT_2": {"TIME_WAIT", "CLOSED"},
        "CLOSING": {"TIME_WAIT", "CLOSED"},
        "TIME_WAIT": {"CLOSED"},
        "CLOSE_WAIT": {"LAST_ACK", "CLOSED"},
        "LAST_ACK": {"CLOSED"},
        "CLOSED": set(),
    }

    def test_teardown_state_sequence_is_a_tcp_path(self):
        """The narrated close states follow the TCP state diagram on every
        run (the close races the kernel: repeat to catch intermittent
        misreadings)."""
        for url in [self.web.url("/")] * 15 + [self.hostile.url("close_delimited")] * 5:
            code, out, err = h.run_webtrace(["--dns-server", self.guard.server_arg, url])
            self.assertEqual(code, 0, h.describe(code, out, err))
            lines = [l for l in err.splitlines()
                     if l.startswith("[tcp ]") and re.search(r"\b(TIME_WAIT|CLOSE_WAIT)\b", l)]
            self.assertEqual(len(lines), 1, err)
            chain = re.findall(r"(?:\b[A-Z_12]+\b → )+\b[A-Z_12]+\b", lines[0])
            for seq in chain:
                names = [n.strip() for n in seq.split("→")]
                if not all(n in self._LATER for n in names):
                    continue
                for a, b in zip(names, names[1:]):
                    self.assertIn(b, self._LATER[a],
                                  f"impossible TCP transition {a} → {b} in {url}:\n{lines[0]}")

    def test_stdout_tty_discards_body_unless_dash_o_dash(self):
        for extra, want_body in (([], False), (["-o", "-"], True)):
            with self.subTest(extra=extra):
                master, slave = pty.openpty()
                try:
                    res = subprocess.run([h.webtrace_path(), "--dns-server", self.guard.server_arg,
                                          *extra, self.web.url("/")],
                                         stdin=subprocess.DEVNULL, stdout=slave,
                                         stderr=subprocess.PIPE, env=h.webtrace_env(), timeout=20)
                    os.close(slave)
                    slave = None
                    got = b""
                    while True:
                        try:
                            chunk = os.read(master, 65536)
                        except OSError:   # EIO: the slave side is closed
                            break
                        if not chunk:
                            break
                        got += chunk
                finally:
                    if slave is not None:
                        os.close(slave)
                    os.close(master)
                err = res.stderr.decode("utf-8", "replace")
                self.assertEqual(res.returncode, 0, err)
                if want_body:
                    # the tty turns \n into \r\n
                    self.assertEqual(got.replace(b"\r\n", b"\n"), h.Nginx.index_bytes())
                else:
                    self.assertEqual(got, b"", "body written to a terminal without -o -")
                    self.assertNarration(err, r"^\[http\] ← body 1024 bytes .*\bdiscarded\b")

    def test_summary_has_total(self):
        code, out, err = self.trace("/")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"\bconnect [\d.]+ ?(µs|us|ms|s)\b.*\bwait\b.*\btransfer\b"
                                  r".*\btotal [\d.]+ ?(µs|us|ms|s)\b")

    def test_input_file_two_urls(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write(self.web.url("/") + "\n" + self.web.url("/chunked") + "\n")
            f.flush()
            code, out, err = h.run_webtrace(["--dns-server", self.guard.server_arg,
                                             "--url", "@" + f.name])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(len(re.findall(r"(?m)^\[http\] ← HTTP/1\.1 200 OK", err)), 2, err)
        self.assertEqual(out, h.Nginx.index_bytes() + h.Nginx.CHUNKED_BODY)

    def test_elapsed_is_small(self):
        # sanity: a loopback fetch is quick (a backstop for accidental waits,
        # e.g. waiting for nginx's keep-alive timeout instead of closing)
        t0 = time.monotonic()
        code, out, err = self.trace("/")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertLess(time.monotonic() - t0, 2.0)


if __name__ == "__main__":
    unittest.main()
