"""Requests built from curl's options (-X -H -A -e -u -I -d --data-*
--json -G -f --fail-with-body -S), compared with curl on the same command line:
the bytes that reach a capturing loopback server must be identical apart
from the User-Agent, and `webtrace serve`'s /echo must see the same method,
headers and body.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_requests.py
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
from test_serve import ServeProcess  # noqa: E402

CURL = h.peer_tool("curl")
UA_LINE = re.compile(rb"^User-Agent: (curl|webtrace)/[^\r\n]*\r\n", re.M)


class CaptureServer:
    """Accepts one connection at a time, keeps the request's bytes (head and
    Content-Length body), answers 200 with an empty body, closes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((h.LOOPBACK4, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.requests = []
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
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    head, _, body = data.partition(b"\r\n\r\n")
                    m = re.search(rb"(?im)^content-length: *(\d+)", head)
                    want = int(m.group(1)) if m else 0
                    while len(body) < want:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        body += chunk
                    self.requests.append(head + b"\r\n\r\n" + body)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def take(self):
        got, self.requests = self.requests, []
        return got

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


# Command lines run by both tools; URL is replaced by the server's.
COMMAND_LINES = [
    ["-X", "PUT", "URL"],
    ["-X", "DELETE", "-H", "X-Trace: 1", "URL"],
    ["-H", "X-A: 1", "-H", "X-B: two words", "URL"],
    ["-H", "Accept: text/plain", "URL"],
    ["-H", "Accept:", "-H", "X-Empty;", "URL"],
    ["-H", "User-Agent:", "URL"],
    ["-H", "Host: other.example", "URL"],
    ["-A", "agent/1.0", "-e", "http://ref.example/", "URL"],
    ["-u", "user:pa ss", "URL"],
    ["-I", "URL"],
    ["-d", "a=1", "-d", "b=2", "URL"],
    ["-d", "", "URL"],
    ["--data-raw", "@notafile", "URL"],
    ["--data-urlencode", "q=a b&c/é", "--data-urlencode", "=x y", "--data-urlencode", "plain text", "URL"],
    ["-d", "x=1", "-H", "Content-Type: text/plain", "URL"],
    ["-d", "x=1", "-X", "PATCH", "URL"],
    ["-G", "-d", "a=1", "-d", "b=2", "URL"],
    ["-G", "-d", "a=1", "URLQ"],
    ["-fsSL", "URL"],
    ["--fail-with-body", "-d", "x", "URL"],
    ["--json", '{"a":', "--json", "1}", "URL"],
    ["-H", "X-B: 2", "--json", "{}", "-H", "X-C: 3", "URL"],
    ["--json", "[]", "-H", "Accept: text/plain", "URL"],
]


class RequestsLikeCurl(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.cap = CaptureServer()
        cls.srv = ServeProcess().start()
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.cap.stop()
        cls.srv.stop()
        cls.tmp.cleanup()

    def file(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def urls(self, args, base):
        return [base + "/p" if a == "URL" else base + "/p?z=9" if a == "URLQ" else a for a in args]

    def captured(self, tool_argv):
        subprocess.run(tool_argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                       env=h.webtrace_env())
        got = self.cap.take()
        self.assertEqual(len(got), 1, f"{tool_argv}: {len(got)} requests arrived")
        return UA_LINE.sub(b"User-Agent: X\r\n", got[0])

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_same_bytes_as_curl(self):
        base = f"http://{h.LOOPBACK4}:{self.cap.port}"
        cases = COMMAND_LINES + [
            ["-d", "@" + self.file("form.txt", b"a=1\r\nb=2\n"), "URL"],
            ["--data-binary", "@" + self.file("bin", b"a=1\r\nb=\x002\n"), "URL"],
            ["--data-urlencode", "f@" + self.file("enc.txt", b"x y\n"), "URL"],
            ["-H", "@" + self.file("headers.txt", b"X-One: 1\r\nX-Two: 2\n\nAccept:\n"), "URL"],
        ]
        for args in cases:
            with self.subTest(args=args):
                argv = self.urls(args, base)
                want = self.captured([CURL, "-s", *argv])
                got = self.captured([h.webtrace_path(), "-s", *argv])
                self.assertEqual(got, want)

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_echo_sees_what_curl_sends(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        for args in COMMAND_LINES:
            if "-I" in args or "-fsSL" in args:
                continue   # no body to read back
            with self.subTest(args=args):
                argv = [base + "/echo" if a == "URL" else base + "/echo?z=9" if a == "URLQ" else a
                        for a in args]
                c = subprocess.run([CURL, "-s", *argv], capture_output=True, timeout=30)
                code, out, err = h.run_webtrace(["-s", *argv])
                self.assertEqual((code, c.returncode), (0, 0), err)
                want, got = json.loads(c.stdout), json.loads(out)
                for echo in (want, got):
                    echo["headers"] = [x for x in echo["headers"] if x["name"] != "User-Agent"]
                self.assertEqual(got, want)

    def test_verbose_says_why_each_header_is_there(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        code, out, err = h.run_webtrace(["-v", "-u", "u:p", "-A", "a", "-e", "r", "-H", "X-A: 1",
                                         "-d", "k=v", base + "/echo"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[http\] → POST /echo HTTP/1\.1 · ")
        self.assertNarration(err, r"^\[http\] → request body: 3 bytes, after the head$")
        self.assertNarration(err, r"^\[http\] > Authorization: Basic dTpw   \(from -u, Basic")
        self.assertNarration(err, r"^\[http\] > User-Agent: a   \(from -A\)$")
        self.assertNarration(err, r"^\[http\] > Referer: r   \(from -e\)$")
        self.assertNarration(err, r"^\[http\] > X-A: 1   \(from -H\)$")
        self.assertNarration(err, r"^\[http\] > Content-Length: 3   \(the size of the body\)$")
        self.assertNarration(err, r"^\[http\] > Content-Type: application/x-www-form-urlencoded   \(-d's default")
        self.assertEqual(json.loads(out)["body"], "k=v")

    def test_fail_exits_22_without_body(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        code, out, err = h.run_webtrace(["-f", base + "/status/404"])
        self.assertEqual((code, out), (22, b""), h.describe(code, out, err))
        self.assertOneErrorLine(err, "http", r"404", r"--fail")
        code, out, err = h.run_webtrace(["-f", base + "/status/399"])
        self.assertEqual(code, 0, h.describe(code, out, err))

    def test_fail_with_body_exits_22_after_the_body(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        code, out, err = h.run_webtrace(["--fail-with-body", base + "/status/503"])
        self.assertEqual(code, 22, h.describe(code, out, err))
        self.assertGreater(len(out), 0)
        if CURL:
            c = subprocess.run([CURL, "-s", "--fail-with-body", base + "/status/503"],
                               capture_output=True, timeout=30)
            self.assertEqual((c.returncode, c.stdout), (code, out))

    def test_fail_to_a_file_leaves_nothing(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        path = os.path.join(self.tmp.name, "out.html")
        code, out, err = h.run_webtrace(["-f", "-o", path, base + "/status/500"])
        self.assertEqual(code, 22, h.describe(code, out, err))
        self.assertFalse(os.path.exists(path))

    def test_silent_show_error(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        code, out, err = h.run_webtrace(["-fsS", "-s", base + "/status/404"])
        self.assertEqual(code, 22)
        self.assertOneErrorLine(err, "http")
        code, out, err = h.run_webtrace(["-fss", base + "/status/404"])
        self.assertEqual((code, err), (22, ""))

    def test_unreadable_data_file_is_26(self):
        for opt in ("-d", "--data-binary", "--json"):
            with self.subTest(opt):
                code, out, err = h.run_webtrace([opt, "@/nonexistent/body", "http://127.0.0.1:9/"])
                self.assertEqual(code, 26, h.describe(code, out, err))
                self.assertOneErrorLine(err, "options", r"/nonexistent/body")
        code, out, err = h.run_webtrace(["-H", "@/nonexistent/h", "http://127.0.0.1:9/"])
        self.assertEqual(code, 26, h.describe(code, out, err))

    def test_usage_errors(self):
        for args, words in [
            (["-u", "nopassword"], r"user:password"),
            (["-H", "no colon here"], r"not a header"),
            (["-X", "GE T"], r"not a method"),
            (["-I", "-d", "x"], r"two methods"),
        ]:
            with self.subTest(args=args):
                code, out, err = h.run_webtrace([*args, "http://127.0.0.1:9/"])
                self.assertEqual(code, 2, h.describe(code, out, err))
                self.assertOneErrorLine(err, "options", words)

    def test_head_writes_the_headers_as_curl(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        code, out, err = h.run_webtrace(["-I", base + "/bytes/100"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[http\] → HEAD /bytes/100 HTTP/1\.1 · ")
        self.assertTrue(out.startswith(b"HTTP/1.1 200 OK\r\n"), out)
        self.assertTrue(out.endswith(b"\r\nContent-Length: 100\r\n\r\n"), out)
        if CURL:
            c = subprocess.run([CURL, "-sI", base + "/bytes/100"], capture_output=True, timeout=30)
            strip = re.compile(rb"(?m)^Date: [^\r]*\r\n")
            self.assertEqual(strip.sub(b"", out), strip.sub(b"", c.stdout))

    def test_dump_header_writes_each_head(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        path = os.path.join(self.tmp.name, "head.txt")
        code, out, err = h.run_webtrace(["-D", path, base + "/bytes/10"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(len(out), 10)
        with open(path, "rb") as f:
            head = f.read()
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), head)
        self.assertTrue(head.endswith(b"Content-Length: 10\r\n\r\n"), head)
        code, out, err = h.run_webtrace(["-D", "-", base + "/bytes/10"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        got_head, sep, body = out.partition(b"\r\n\r\n")
        self.assertTrue(got_head.startswith(b"HTTP/1.1 200 OK\r\n"), out)
        self.assertEqual(len(body), 10, out)
        code, out, err = h.run_webtrace(["-D", "/nonexistent/dir/h", base + "/bytes/10"])
        self.assertEqual(code, 23, h.describe(code, out, err))
        self.assertOneErrorLine(err, "output", r"/nonexistent/dir/h")

    def test_include_writes_the_head_before_the_body(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        code, out, err = h.run_webtrace(["-i", base + "/bytes/10"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        head, _, body = out.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), out)
        self.assertEqual(len(body), 10)
        if CURL:
            c = subprocess.run([CURL, "-si", base + "/bytes/10"], capture_output=True, timeout=30)
            strip = re.compile(rb"(?m)^Date: [^\r]*\r\n")
            self.assertEqual(strip.sub(b"", out), strip.sub(b"", c.stdout))
        code, out, err = h.run_webtrace(["-fi", base + "/status/404"])
        self.assertEqual((code, out), (22, b""), h.describe(code, out, err))

    def test_ndjson_counts_the_body(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}"
        code, out, err = h.run_webtrace(["--ndjson", "-o", "/dev/null", "-d", "12345",
                                         "-w", "%{size_upload}", base + "/echo"])
        self.assertEqual(code, 0, err)
        req = [json.loads(l) for l in out.decode().splitlines() if '"http_request"' in l][0]
        self.assertEqual((req["method"], req["body_bytes"]), ("POST", 5))


if __name__ == "__main__":
    unittest.main(verbosity=2)
