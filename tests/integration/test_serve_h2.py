"""`webtrace serve --tls` speaks HTTP/2 when ALPN picks h2: answered to
webtrace itself and to curl --http2 (bodies identical to the HTTP/1.1
answers), several streams of webtrace -Z on one connection, and a client
that breaks the protocol (GOAWAY PROTOCOL_ERROR, the server stays up).

Every server is a child process stopped by PID; every wait is bounded.
"""

import json
import os
import re
import socket
import ssl
import struct
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_serve import ServeProcess, curl  # noqa: E402

RUN_TIMEOUT_S = 60
# endpoints whose bodies do not depend on the request's headers
PATHS = ["/", "/bytes/100000", "/chunked/70000", "/status/404", "/redirect/2", "/bytes/0",
         "/nowhere"]
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def h2_socket(port, timeout=5.0):
    """A TLS connection that offers only h2, as an h2 client would."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    return s


def read_frames(s, until_type, timeout=5.0):
    """Frames (type, flags, stream, payload) until one of until_type, the
    close, or the timeout (a backstop)."""
    buf, frames = b"", []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            f = (buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7fffffff, buf[9:9 + n])
            frames.append(f)
            buf = buf[9 + n:]
            if f[0] == until_type:
                return frames
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            b = s.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            break
        if not b:
            break
        buf += b
    return frames


class ServeH2(unittest.TestCase, h.WebtraceCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = ServeProcess("--tls").start()
        cls.base = f"https://127.0.0.1:{cls.srv.port}"

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        assert code == 0, f"serve exited {code} on SIGTERM:\n{cls.srv.text()}"

    def webtrace(self, *args):
        return h.run_webtrace(["-k", *args], timeout=RUN_TIMEOUT_S)

    def test_webtrace_over_h2_gets_the_http11_bodies(self):
        for path in PATHS:
            code, h2_out, h2_err = self.webtrace(self.base + path)
            self.assertExit((code, h2_out, h2_err), 0)
            self.assertNarration(h2_err, r"^\[tls \] ← handshake done .* · ALPN h2$")
            code, h1_out, h1_err = self.webtrace("--http1.1", self.base + path)
            self.assertExit((code, h1_out, h1_err), 0)
            self.assertNarration(h1_err, r"ALPN http/1\.1$")
            self.assertEqual(h2_out, h1_out, path)
        self.assertTrue(self.srv.wait_for(r"#\d+ TLS handshake done · TLSv1\.[23] · \S+ · "
                                          r"ALPN chose h2"), self.srv.text())

    def test_server_narrates_both_sides_settings_and_the_streams(self):
        out, err = self.run_ok(["-k", self.base + "/bytes/3000"])
        self.assertEqual(len(out), 3000)
        rx = (r"\[h2  \] #\d+ → SETTINGS \(ours\): MAX_CONCURRENT_STREAMS 100 · "
              r"INITIAL_WINDOW_SIZE 1048576")
        self.assertTrue(self.srv.wait_for(rx), self.srv.text())
        for rx in (r"\[h2  \] #\d+ ← connection preface, 24 bytes",
                   r"\[h2  \] #\d+ ← SETTINGS \(the client's\): .*MAX_CONCURRENT_STREAMS",
                   r"\[h2  \] #\d+ ← HEADERS stream 1 · \d+ fields · HPACK \d+ bytes .*END_STREAM",
                   r"\[srv \] #\d+ ← request 1: GET /bytes/3000 · ",
                   r"\[h2  \] #\d+ → HEADERS stream 1 · 5 fields",
                   r"\[h2  \] #\d+ stream 1 ended with END_STREAM: we sent 1 HEADERS and 1 DATA "
                   r"frames, 3000 bytes of DATA",
                   r"\[srv \] #\d+ → 200 · 3000 body bytes"):
            self.assertTrue(self.srv.wait_for(rx), f"/{rx}/ in\n{self.srv.text()}")
        # and webtrace, the client, heard the server's SETTINGS
        self.assertNarration(err, r"^\[h2  \] ← SETTINGS \(the server's\): "
                                  r"MAX_CONCURRENT_STREAMS 100 · INITIAL_WINDOW_SIZE 1048576")

    def test_curl_http2_gets_the_same_bodies_and_reports_http2(self):
        for path in PATHS + ["/bytes/5000000"]:
            code, out2, err = curl("-k", "--http2", "-w", "%{stderr}%{http_version}",
                                   self.base + path)
            self.assertEqual(code, 0, err)
            self.assertEqual(err, "2", path)
            code, out1, err = curl("-k", "--http1.1", "-w", "%{stderr}%{http_version}",
                                   self.base + path)
            self.assertEqual(code, 0, err)
            self.assertEqual(err, "1.1", path)
            self.assertEqual(out2, out1, path)

    def test_curl_http2_head_post_and_headers(self):
        code, out, err = curl("-k", "--http2", "-I", self.base + "/redirect/3")
        self.assertEqual(code, 0, err)
        text = out.decode()
        self.assertRegex(text, r"^HTTP/2 302")
        self.assertIn("location: /redirect/2", text)
        self.assertIn("content-length: 21", text)
        code, out, err = curl("-k", "--http2", "--data-binary", "hello h2",
                              self.base + "/echo")
        self.assertEqual(code, 0, err)
        echo = json.loads(out)
        self.assertEqual((echo["method"], echo["body"], echo["body_bytes"]),
                         ("POST", "hello h2", 8))
        self.assertIn({"name": "host", "value": f"127.0.0.1:{self.srv.port}"}, echo["headers"])
        code, out, err = curl("-k", "--http2", "-w", "%{stderr}%{http_version}",
                              self.base + "/delay/50")
        self.assertEqual((code, err), (0, "2"))
        self.assertRegex(out.decode(), r"^delayed \d+ ms\n$")

    def test_Z_streams_share_one_connection(self):
        paths = ["/bytes/200000", "/", "/chunked/9000", "/status/201", "/delay/100", "/"]
        before = self.srv.text().count(" accept: client ")
        with tempfile.TemporaryDirectory() as d:
            outs = []
            for i in range(len(paths)):
                outs += ["-o", os.path.join(d, f"b{i}")]
            code, out, err = self.webtrace("-Z", *outs, *[self.base + p for p in paths])
            self.assertExit((code, out, err), 0)
            for i, path in enumerate(paths):
                _, want, _ = self.webtrace("--http1.1", self.base + path)
                with open(os.path.join(d, f"b{i}"), "rb") as f:
                    got = f.read()
                if path.startswith("/delay/"):
                    # the body says how long the wait was: timing
                    self.assertRegex(got.decode(), r"^delayed \d+ ms\n$")
                    self.assertRegex(want.decode(), r"^delayed \d+ ms\n$")
                else:
                    self.assertEqual(got, want, path)
        streams = sorted(int(s) for s in
                         re.findall(r"on connection #1 stream (\d+) ", err))
        self.assertEqual(streams, [1, 3, 5, 7, 9, 11], err[-3000:])
        self.assertTrue(self.srv.wait_for(r"#\d+ stream 11 ended with END_STREAM"),
                        self.srv.text())
        # the -Z run and the one --http1.1 run per path: one connection each
        self.assertEqual(self.srv.text().count(" accept: client ") - before, 1 + len(paths))

    def test_a_bad_frame_gets_goaway_protocol_error(self):
        s = h2_socket(self.srv.port)
        try:
            self.assertEqual(s.selected_alpn_protocol(), "h2")
            # DATA on stream 0 is a connection error (RFC 9113 §6.1)
            s.sendall(PREFACE + frame(4, 0, 0) + frame(0, 0, 0, b"oops"))
            frames = read_frames(s, 7)
        finally:
            s.close()
        goaway = [f for f in frames if f[0] == 7]
        self.assertTrue(goaway, f"no GOAWAY in {frames}")
        self.assertEqual(int.from_bytes(goaway[0][3][4:8], "big"), 1, "PROTOCOL_ERROR")
        self.assertTrue(self.srv.wait_for(r"#\d+ → GOAWAY · last stream 0 · PROTOCOL_ERROR \(1\)"),
                        self.srv.text())
        self.assertTrue(self.srv.wait_for(r"the client broke the HTTP/2 protocol"),
                        self.srv.text())
        # a bad preface too, and the server still answers
        s = h2_socket(self.srv.port)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\0" * 32)
            frames = read_frames(s, 7)
        finally:
            s.close()
        self.assertTrue(any(f[0] == 7 for f in frames), f"no GOAWAY in {frames}")
        out, _ = self.run_ok(["-k", self.base + "/bytes/10"])
        self.assertEqual(len(out), 10)


class ServeH2Shutdown(unittest.TestCase, h.WebtraceCase):
    def test_goaway_on_shutdown(self):
        srv = ServeProcess("--tls").start()
        s = h2_socket(srv.port)
        try:
            s.sendall(PREFACE + frame(4, 0, 0))
            read_frames(s, 4)   # the server's SETTINGS
            self.assertTrue(srv.wait_for(r"← SETTINGS \(the client's\)"), srv.text())
            self.assertEqual(srv.stop(), 0)
            frames = read_frames(s, 7)
        finally:
            s.close()
        goaway = [f for f in frames if f[0] == 7]
        self.assertTrue(goaway, f"no GOAWAY in {frames}")
        self.assertEqual(int.from_bytes(goaway[0][3][4:8], "big"), 0, "NO_ERROR")


if __name__ == "__main__":
    unittest.main()
