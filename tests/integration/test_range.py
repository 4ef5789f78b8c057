"""-r/--range and -C/--continue-at against nginx (which serves ranges),
webtrace serve (which ignores them) and scripted responses, each compared
with curl 7.88 on the same command line: the request bytes, what lands in
the file or on stdout, and the exit code.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_range.py
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_requests import UA_LINE, CaptureServer  # noqa: E402
from test_serve import ServeProcess  # noqa: E402

CURL = h.peer_tool("curl")
BIG = h.Nginx.big_bytes()
HALF = len(BIG) // 3


class RangeLikeCurl(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.nginx = h.Nginx().start()
        cls.srv = ServeProcess().start()
        cls.cap = CaptureServer()
        cls.hostile = h.HostileHttp().start()
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        cls.srv.stop()
        cls.cap.stop()
        cls.hostile.stop()
        cls.tmp.cleanup()

    def path(self, name, data=None):
        p = os.path.join(self.tmp.name, name)
        if data is None:
            if os.path.exists(p):
                os.unlink(p)
        else:
            with open(p, "wb") as f:
                f.write(data)
        return p

    def read(self, p):
        with open(p, "rb") as f:
            return f.read()

    def both(self, args, start=None, name="f"):
        """Runs curl and webtrace on args (FILE is a file holding start, or
        absent when start is None); returns [(exit, file bytes, stdout)] for
        curl and webtrace, and webtrace's stderr."""
        results, err = [], ""
        for tool in (CURL, h.webtrace_path()):
            p = self.path(name, start)
            argv = [p if a == "FILE" else a for a in args]
            c = subprocess.run([tool, "-s", "-S", *argv], capture_output=True, timeout=60,
                               env=h.webtrace_env())
            results.append((c.returncode, self.read(p) if os.path.exists(p) else None, c.stdout))
            err = c.stderr.decode("utf-8", "replace")
        return results, err

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_request_bytes_as_curl(self):
        base = f"http://{h.LOOPBACK4}:{self.cap.port}/p"
        for args in (["-r", "0-99"], ["-r", "7"], ["-r", "-500"], ["-r", "0-1,5-6", "-I"],
                     ["-r", "1-2", "-u", "a:b", "--compressed", "-e", "r"],
                     ["-r", "1-2", "-X", "DELETE"], ["-C", "5"], ["-C", "5", "-r", "1-2"],
                     ["-C", "0"], ["-r", "1-2", "-H", "Range: bytes=3-4"],
                     ["-r", "1-2", "-H", "Range:"]):
            with self.subTest(args=args):
                got = []
                for tool in (CURL, h.webtrace_path()):
                    subprocess.run([tool, "-s", *args, base], capture_output=True, timeout=30,
                                   env=h.webtrace_env())
                    reqs = self.cap.take()
                    self.assertEqual(len(reqs), 1)
                    got.append(UA_LINE.sub(b"User-Agent: X\r\n", reqs[0]))
                self.assertEqual(got[1], got[0])

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_range_from_nginx_and_from_a_server_that_ignores_it(self):
        big = self.nginx.url("/big")
        cases = [
            (["-r", "100-199", big], BIG[100:200], r"^\[http\] range: 206, part of the body "
                                                   r"\(Content-Range: bytes 100-199/1048576\)$"),
            (["-r", f"{len(BIG) - 10}", big], BIG[-10:], r"^\[http\] range: 206"),
            (["-r", "-10", big], BIG[-10:], r"^\[http\] range: 206"),
            (["-r", "0-9", f"http://{h.LOOPBACK4}:{self.srv.port}/bytes/100"], None,
             r"^\[http\] range: the server ignored it \(200\): the whole body follows"),
            (["-r", "5000000-", big], None, r"^\[http\] range: the server cannot send that "
                                            r"range \(416\)"),
        ]
        for args, want, line in cases:
            with self.subTest(args=args):
                (cc, _, cout), (wc, _, wout) = self.both(args)[0]
                code, out, err = h.run_webtrace(args)
                self.assertEqual((wc, wout), (cc, cout))
                self.assertEqual(code, 0, h.describe(code, out, err))
                if want is not None:
                    self.assertEqual(out, want)
                self.assertNarration(err, line)

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_resume_cases_as_curl(self):
        big = self.nginx.url("/big")
        serve = f"http://{h.LOOPBACK4}:{self.srv.port}/bytes/1000"
        serve_whole = self.read_url(serve)
        cases = [
            # name, args, file before, want exit, want file after
            ("rest appended", ["-C", "-", "-o", "FILE", big], BIG[:HALF], 0, BIG),
            ("no file: a normal fetch", ["-C", "-", "-o", "FILE", big], None, 0, BIG),
            ("file complete: 416", ["-C", "-", "-o", "FILE", big], BIG, 0, BIG),
            ("416 with -f", ["-f", "-C", "-", "-o", "FILE", big], BIG, 22, BIG),
            ("offset given", ["-C", str(HALF), "-o", "FILE", big], b"x" * 10, 0,
             b"x" * 10 + BIG[HALF:]),
            ("server ignores the range", ["-C", "-", "-o", "FILE", serve], b"abc", 33, b"abc"),
            ("whole body of the file's size", ["-C", "-", "-o", "FILE", serve], serve_whole, 0,
             serve_whole),
        ]
        for name, args, before, want_code, after in cases:
            with self.subTest(case=name):
                (curl_res, wt_res), err = self.both(args, before)
                self.assertEqual(wt_res, curl_res)
                self.assertEqual(wt_res[:2], (want_code, after), err)
                if want_code == 33:
                    self.assertOneErrorLine(err, "http", r"-C cannot resume")

    def read_url(self, url):
        code, out, err = h.run_webtrace(["-s", url])
        self.assertEqual(code, 0, err)
        return out

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_resume_to_stdout_as_curl(self):
        big = self.nginx.url("/big")
        for args in (["-C", str(HALF), big], ["-C", "-", big]):
            with self.subTest(args=args):
                (c, w), _ = self.both(args)
                self.assertEqual(w, c)
        code, out, err = h.run_webtrace(["-C", str(HALF), big])
        self.assertEqual((code, out), (0, BIG[HALF:]), h.describe(code, out, err))
        self.assertNarration(err, rf"^\[http\] resumed: 206, the body from byte {HALF} on "
                                  rf"\(Content-Range: bytes {HALF}-{len(BIG) - 1}/{len(BIG)}\)")

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_scripted_content_ranges_as_curl(self):
        body = b"0123456789" * 10

        def reply(status, extra, payload):
            return (b"HTTP/1.1 %s\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n"
                    % (status, extra, len(payload)) + payload)

        cases = [
            ("matching Content-Range", reply(b"206 Partial Content",
                                             b"Content-Range: bytes 10-99/100\r\n", body[10:])),
            ("another offset", reply(b"206 Partial Content",
                                     b"Content-Range: bytes 0-99/100\r\n", body)),
            ("206 without Content-Range", reply(b"206 Partial Content", b"", body[10:])),
            ("Content-Range with *", reply(b"206 Partial Content",
                                           b"Content-Range: bytes */100\r\n", body[10:])),
            ("404 with a body", reply(b"404 Not Found", b"", b"nope\n")),
            ("416", reply(b"416 Range Not Satisfiable", b"Content-Range: bytes */100\r\n",
                          b"nope\n")),
        ]
        for name, data in cases:
            with self.subTest(case=name):
                url = self.hostile.url(self.hostile.raw(data))
                (c, w), err = self.both(["-C", "-", "-o", "FILE", url], body[:10])
                self.assertEqual(w, c, err)

    def test_ndjson_range_event(self):
        big = self.nginx.url("/big")
        p = self.path("n", BIG[:HALF])
        code, out, err = h.run_webtrace(["--ndjson", "-C", "-", "-o", p, big])
        self.assertEqual(code, 0, h.describe(code, out, err))
        ev = [json.loads(l) for l in out.decode().splitlines() if '"http_range"' in l]
        self.assertEqual(len(ev), 1)
        self.assertEqual((ev[0]["outcome"], ev[0]["status"], ev[0]["resume_from"],
                          ev[0]["content_range"]),
                         ("partial", 206, HALF, f"bytes {HALF}-{len(BIG) - 1}/{len(BIG)}"))
        self.assertEqual(self.read(p), BIG)

    def test_verbose_says_why_range_is_there(self):
        code, out, err = h.run_webtrace(["-v", "-r", "0-0", "-o", "/dev/null",
                                         self.nginx.url("/big")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[http\] > Range: bytes=0-0   \(from -r")


if __name__ == "__main__":
    try:
        unittest.main()
    finally:
        h.stop_all_peers()
