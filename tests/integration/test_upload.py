"""-T/--upload-file and Expect: 100-continue, as curl 7.88 sends them.
The bytes that reach a capturing loopback server must be curl's apart from
the User-Agent; scripted peers answer the Expect with 100 Continue or with
a final status first; nginx answers a PUT it will not take with a final
status, with or without a 100 Continue before it.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_upload.py
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_requests import CURL, UA_LINE, CaptureServer  # noqa: E402
from test_serve import ServeProcess  # noqa: E402

BIG = 1024 * 1024 + 1   # one byte over curl's Expect threshold for a POST


class ExpectPeer:
    """One scripted answer per connection to a request with Expect:
    "continue" sends 100 Continue, reads the body, then 200 with the body's
    length; "final" answers 417 at once and reads nothing; "continue+final"
    sends 100 Continue and a 301 in one segment (as nginx's return may),
    then reads nothing. Keeps the body bytes that arrived before it
    closed."""

    def __init__(self, mode):
        self.mode = mode
        self.bodies = []
        self.sock = socket.socket()
        self.sock.bind((h.LOOPBACK4, 0))
        self.sock.listen(4)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self._serve(conn)
                except OSError:
                    pass

    def _serve(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        want = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
        if self.mode in ("final", "continue+final"):
            if self.mode == "final":
                conn.sendall(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
            else:
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 301 Moved Permanently\r\n"
                             b"Location: /\r\nContent-Length: 0\r\n\r\n")
            conn.settimeout(1.5)
            try:   # what a client sends anyway before it sees the 417
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
            except OSError:
                pass
            self.bodies.append(body)
            return
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        while len(body) < want:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        self.bodies.append(body)
        answer = str(len(body)).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                     % (len(answer), answer))

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


class UploadLikeCurl(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.cap = CaptureServer()
        cls.srv = ServeProcess().start()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.small = cls.file("up.txt", b"hello upload\n")
        cls.odd = cls.file("a b#c.txt", b"odd name\n")
        cls.big = cls.file("big.bin", b"x" * BIG)

    @classmethod
    def tearDownClass(cls):
        cls.cap.stop()
        cls.srv.stop()
        cls.tmp.cleanup()

    @classmethod
    def file(cls, name, data):
        path = os.path.join(cls.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def captured(self, argv, stdin=b""):
        subprocess.run(argv, input=stdin, capture_output=True, timeout=30, env=h.webtrace_env())
        got = self.cap.take()
        self.assertEqual(len(got), 1, f"{argv}: {len(got)} requests arrived")
        return UA_LINE.sub(b"User-Agent: X\r\n", got[0])

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_same_bytes_as_curl(self):
        base = f"http://{h.LOOPBACK4}:{self.cap.port}"
        # The capturing server sends no 100: both wait the (short) timeout.
        wait = ["--expect100-timeout", "0.2"]
        cases = [
            (["-T", self.small, base + "/put/file"], b""),
            (["-T", self.small, base + "/dir/"], b""),
            (["-T", self.odd, base + "/dir/?q=1"], b""),
            (["-T", self.small, "-X", "POST", "-H", "Content-Type: x/y", base + "/a"], b""),
            (["-T", self.small, "-H", "Expect:", base + "/noexpect"], b""),
            (["-T", "-", base + "/dir/"], b"from stdin\n"),
            (["--data-binary", "@" + self.big, base + "/post"], b""),
            (["--data-binary", "@" + self.big, "-H", "Expect:", base + "/post"], b""),
            (["-F", "f=@" + self.big, base + "/form"], b""),
        ]
        for args, stdin in cases:
            with self.subTest(args=args[:4]):
                want = self.captured([CURL, "-s", *wait, *args], stdin)
                got = self.captured([h.webtrace_path(), "-s", *wait, *args], stdin)
                if b"multipart/form-data" in want:
                    boundary = re.compile(rb"-{24}[0-9a-f]{16}")
                    want, got = boundary.sub(b"B", want), boundary.sub(b"B", got)
                self.assertEqual(got, want)

    def test_waits_for_the_timeout_then_sends(self):
        base = f"http://{h.LOOPBACK4}:{self.cap.port}"
        code, out, err = h.run_webtrace(["--expect100-timeout", "0.3", "-T", self.small, base + "/t"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[http\] Expect: 100-continue: no answer in 300 ms "
                                  r"\(--expect100-timeout\), sending 13 B anyway$")
        self.assertTrue(self.cap.take()[0].endswith(b"\r\n\r\nhello upload\n"))

    def test_ndjson_expect_event_follows_the_schema(self):
        from test_outputs import events_validator
        base = f"http://{h.LOOPBACK4}:{self.cap.port}"
        code, out, err = h.run_webtrace(["--ndjson", "--expect100-timeout", "0.1", "-T",
                                         self.small, base + "/n"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.cap.take()
        events = [json.loads(l) for l in out.decode().splitlines()]
        for ev in events:
            events_validator().validate(ev)
        expect = [e for e in events if e["event"] == "http_expect"]
        self.assertEqual([(e["outcome"], e["body_bytes"], e["timeout_ms"]) for e in expect],
                         [("timeout", 13, 100)])

    def test_sends_the_body_after_100_continue(self):
        peer = ExpectPeer("continue")
        try:
            # a timeout far longer than the test may take: only the 100 can release the body
            code, out, err = h.run_webtrace(["--expect100-timeout", "60", "--data-binary",
                                             "@" + self.big, f"http://{h.LOOPBACK4}:{peer.port}/"])
        finally:
            peer.stop()
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, str(BIG).encode())
        self.assertEqual(peer.bodies, [b"x" * BIG])
        self.assertNarration(err, r"^\[http\] Expect: 100-continue: the server said 100 Continue "
                                  r"after [0-9.]+ (µs|ms|s), sending 1\.0 MiB$")
        self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 100 Continue \(interim response\)")

    def test_final_answer_first_withholds_the_body(self):
        for tool in ([CURL] if CURL else []) + [h.webtrace_path()]:
            with self.subTest(tool=tool):
                peer = ExpectPeer("final")
                try:
                    quiet = ["-s"] if tool == CURL else []
                    r = subprocess.run([tool, *quiet, "--expect100-timeout", "60", "-T", self.small,
                                        f"http://{h.LOOPBACK4}:{peer.port}/"],
                                       capture_output=True, timeout=30, env=h.webtrace_env())
                finally:
                    peer.stop()
                self.assertEqual((r.returncode, peer.bodies), (0, [b""]), r.stderr)
                if tool != CURL:
                    self.assertNarration(r.stderr.decode(),
                                         r"^\[http\] Expect: 100-continue: the server answered "
                                         r"417 after .*: the 13 B body is not sent")

    def test_final_answer_right_behind_the_100_withholds_the_body(self):
        # Both answers arrive in one read: the body has not left, and is
        # not sent; the narration tells the 100 and then says so, without
        # claiming there was no 100.
        peer = ExpectPeer("continue+final")
        try:
            code, out, err = h.run_webtrace(["--expect100-timeout", "60", "-T", self.small,
                                             f"http://{h.LOOPBACK4}:{peer.port}/"])
        finally:
            peer.stop()
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(peer.bodies, [b""])
        self.assertNarration(err, r"^\[http\] Expect: 100-continue: the server said 100 Continue "
                                  r"after .*, sending 13 B$")
        self.assertNarration(err, r"^\[http\] Expect: 100-continue: the server answered 301 "
                                  r"right behind its 100 Continue, after .*, before the body left: "
                                  r"the 13 B body is not sent and the connection closes")
        self.assertNoNarration(err, r"before any 100")
        self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 301 ")

    def test_nginx_final_answer_with_or_without_a_100(self):
        # nginx answers a PUT it will not take with a final status, on
        # /nothing-here at once, on /moved (its `return`) right behind a
        # 100 Continue. Whether that final answer is read before the body
        # leaves depends on scheduling, not on anything nginx promises, so
        # each order is accepted with what webtrace must do in it.
        web = h.Nginx().start()
        try:
            for path in ("/moved", "/nothing-here"):
                with self.subTest(path=path):
                    code, out, err = h.run_webtrace(["--expect100-timeout", "60", "-T",
                                                     self.small, web.url(path)])
                    self.assertEqual(code, 0, h.describe(code, out, err))
                    self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 (301|404) ")
                    withheld = (r"^\[http\] Expect: 100-continue: the server answered (301|404) "
                                r".*: the 13 B body is not sent and the connection closes")
                    if re.search(r"(?m)^\[http\] ← HTTP/1\.1 100 Continue", err):
                        # the 100 invites the body: sent unless the final
                        # answer was already there when the loop came to it
                        self.assertNarration(err, r"^\[http\] Expect: 100-continue: the server "
                                                  r"said 100 Continue after .*, sending 13 B$")
                        self.assertNoNarration(err, r"before any 100")
                    else:
                        # a final answer before any 100: the body never goes
                        self.assertNarration(err, r"^\[http\] Expect: 100-continue: the server "
                                                  r"answered (301|404) after .*, before any 100: "
                                                  r"the 13 B body is not sent")
                    if re.search(withheld, err, re.M):
                        self.assertNarration(err, r"^\[tcp \] teardown: ")
                    if CURL:
                        c = subprocess.run([CURL, "-s", "--expect100-timeout", "60", "-T",
                                            self.small, web.url(path)],
                                           capture_output=True, timeout=30)
                        self.assertEqual((c.returncode, c.stdout), (code, out))
        finally:
            web.stop()

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_echo_sees_what_curl_sends(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}/echo"
        for args, stdin in ((["-T", "-"], b"piped\n"), (["-T", self.small, "-X", "POST"], b"")):
            with self.subTest(args=args):
                argv = ["-s", "--expect100-timeout", "0.1", *args, base]
                c = subprocess.run([CURL, *argv], input=stdin, capture_output=True, timeout=30)
                w = subprocess.run([h.webtrace_path(), *argv], input=stdin, capture_output=True,
                                   timeout=30, env=h.webtrace_env())
                self.assertEqual((w.returncode, c.returncode), (0, 0), w.stderr)
                want, got = json.loads(c.stdout), json.loads(w.stdout)
                for echo in (want, got):
                    echo["headers"] = [x for x in echo["headers"] if x["name"] != "User-Agent"]
                self.assertEqual(got, want)

    def test_unreadable_file_is_26(self):
        code, out, err = h.run_webtrace(["-T", "/nonexistent/up", "http://127.0.0.1:9/"])
        self.assertEqual(code, 26, h.describe(code, out, err))
        self.assertOneErrorLine(err, "options", r"/nonexistent/up")
        if CURL:
            c = subprocess.run([CURL, "-s", "-T", "/nonexistent/up", "http://127.0.0.1:9/"],
                               capture_output=True, timeout=30)
            self.assertEqual(c.returncode, code)

    def test_usage_errors_as_curl(self):
        for args in (["-T", self.small, "-d", "x"], ["-T", self.small, "-I"],
                     ["-T", self.small, "-F", "a=b"]):
            with self.subTest(args=args):
                code, out, err = h.run_webtrace([*args, "http://127.0.0.1:9/"])
                self.assertEqual(code, 2, h.describe(code, out, err))
                self.assertOneErrorLine(err, "options", r"two kinds")
                if CURL:
                    c = subprocess.run([CURL, "-s", *args, "http://127.0.0.1:9/"],
                                       capture_output=True, timeout=30)
                    self.assertEqual(c.returncode, code)


if __name__ == "__main__":
    unittest.main(verbosity=2)
