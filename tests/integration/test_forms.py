"""-F/--form and --form-string: the multipart/form-data body as curl 7.88
builds it. The bytes that reach a capturing loopback server must equal
curl's on the same command line apart from the boundary and the
User-Agent; `webtrace serve`'s /echo must see the same; the narration
names each part.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_forms.py
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_requests import CURL, UA_LINE, CaptureServer  # noqa: E402
from test_serve import ServeProcess  # noqa: E402

BOUNDARY = re.compile(rb"-{24}[0-9a-f]{16}")


class FormsLikeCurl(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.cap = CaptureServer()
        cls.srv = ServeProcess().start()
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        for name, data in [("a.txt", b"hello\nworld\n"), ("b.png", b"\x89PNG\r\n\x1a\n"),
                           ("c.bin", b"\x00\x01\xff"), ('q"a b.HTML', b"<p>x</p>")]:
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)

    @classmethod
    def tearDownClass(cls):
        cls.cap.stop()
        cls.srv.stop()
        cls.tmp.cleanup()

    def command_lines(self):
        d = self.tmp.name
        return [
            ["-F", "a=b c", "URL"],
            ["-F", "a= spaced  ", "-F", "b=", "-F", "=no name", "URL"],
            ["-F", "f=@" + d + "/a.txt", "URL"],
            ["-F", "f=@" + d + "/c.bin", "-F", "g=@" + d + "/b.png", "URL"],
            ["-F", "f=@" + d + '/q"a b.HTML', "URL"],
            ["-F", "g=<" + d + "/a.txt", "-F", "h=<" + d + "/b.png", "URL"],
            ["-F", "p=@" + d + "/b.png;type=image/x-foo;filename=zz.gif", "URL"],
            ["-F", "p=@" + d + "/c.bin;filename=\"y;z.txt\"", "URL"],
            ["-F", "m= sp ;type= text/html ; charset=utf-8", "URL"],
            ["-F", "o=\"quoted;v\";type=a/b", "-F", "x=v;type=text/plain", "URL"],
            ["-F", "h=x;headers=X-A: 1;headers=\"X-B: 2\"", "URL"],
            ["-F", "z=v;headers=Content-Type: a/b", "URL"],
            ["-F", "r=x;unknown=1", "-F", "t=v;filename=a.txt", "URL"],
            ["--form-string", "s=@x;type=y", "-F", "n\"q=1", "URL"],
            ["-F", "a=1", "-H", "X-Before: 1", "-u", "u:p", "URL"],
            ["-F", "a=1", "-H", "Content-Type: text/x", "URL"],
            ["-F", "a=1", "-H", "Content-Type: multipart/form-data", "URL"],
            ["-F", "a=1", "-X", "PUT", "URL"],
            ["-G", "-F", "a=1", "URL"],
        ]

    def normalised(self, raw):
        return BOUNDARY.sub(b"BOUNDARY", UA_LINE.sub(b"User-Agent: X\r\n", raw))

    def captured(self, argv):
        subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                       env=h.webtrace_env())
        got = self.cap.take()
        self.assertEqual(len(got), 1, f"{argv}: {len(got)} requests arrived")
        return self.normalised(got[0])

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_same_bytes_as_curl(self):
        base = f"http://{h.LOOPBACK4}:{self.cap.port}/p"
        for args in self.command_lines():
            with self.subTest(args=args):
                argv = [base if a == "URL" else a for a in args]
                want = self.captured([CURL, "-s", *argv])
                got = self.captured([h.webtrace_path(), "-s", *argv])
                self.assertEqual(got, want)

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_echo_sees_what_curl_sends(self):
        base = f"http://{h.LOOPBACK4}:{self.srv.port}/echo"
        for args in self.command_lines()[:6]:
            with self.subTest(args=args):
                argv = [base if a == "URL" else a for a in args]
                c = subprocess.run([CURL, "-s", *argv], capture_output=True, timeout=30)
                code, out, err = h.run_webtrace(["-s", *argv])
                self.assertEqual((code, c.returncode), (0, 0), err)
                want, got = json.loads(c.stdout), json.loads(out)
                for echo in (want, got):
                    echo["headers"] = [x for x in echo["headers"] if x["name"] != "User-Agent"]
                    echo["body"] = BOUNDARY.sub(b"B", echo["body"].encode()).decode()
                    for x in echo["headers"]:
                        x["value"] = BOUNDARY.sub(b"B", x["value"].encode()).decode()
                self.assertEqual(got, want)

    def test_stdin_parts_as_curl(self):
        base = f"http://{h.LOOPBACK4}:{self.cap.port}/p"
        for form in ("f=@-", "f=<-"):
            with self.subTest(form=form):
                got = []
                for tool in ([CURL] if CURL else []) + [h.webtrace_path()]:
                    subprocess.run([tool, "-s", "-F", form, base], input=b"from stdin\n",
                                   capture_output=True, timeout=30, env=h.webtrace_env())
                    got += [self.normalised(r) for r in self.cap.take()]
                self.assertIn(b"from stdin\n\r\n", got[-1])
                if CURL:
                    self.assertEqual(got[1], got[0])

    def test_narration_names_each_part(self):
        d = self.tmp.name
        base = f"http://{h.LOOPBACK4}:{self.srv.port}/echo"
        code, out, err = h.run_webtrace(["-v", "-F", "name=Ada", "-F", "cv=@" + d + "/b.png",
                                         "-F", "note=<" + d + "/a.txt;type=text/markdown", base])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[http\] → POST /echo HTTP/1\.1 · ")
        self.assertNarration(err, r'^\[http\]   part 1 "name": 3 bytes \(no Content-Type')
        self.assertNarration(err, r'^\[http\]   part 2 "cv": file "b\.png", 8 bytes, image/png$')
        self.assertNarration(err, r'^\[http\]   part 3 "note": 12 bytes, text/markdown$')
        self.assertNarration(err, r"^\[http\] > Content-Type: multipart/form-data; boundary=-{24}"
                                  r"[0-9a-f]{16}   \(from -F")
        body = json.loads(out)["body"]
        self.assertIn('Content-Disposition: form-data; name="cv"; filename="b.png"\r\n', body)

    def test_unreadable_file_is_26(self):
        for form in ("f=@/nonexistent/x", "f=</nonexistent/x"):
            with self.subTest(form=form):
                code, out, err = h.run_webtrace(["-F", form, "http://127.0.0.1:9/"])
                self.assertEqual(code, 26, h.describe(code, out, err))
                self.assertOneErrorLine(err, "options", r"/nonexistent/x")
                if CURL:
                    c = subprocess.run([CURL, "-s", "-F", form, "http://127.0.0.1:9/"],
                                       capture_output=True, timeout=30)
                    self.assertEqual(c.returncode, code)

    def test_usage_errors_as_curl(self):
        for args, words in [
            (["-F", "no equals sign"], r"name=content"),
            (["-F", "a=b;type=bad"], r"content type"),
            (["-F", "a=b", "-d", "x"], r"two kinds"),
            (["-F", "a=b", "-I"], r"two methods"),
        ]:
            with self.subTest(args=args):
                code, out, err = h.run_webtrace([*args, "http://127.0.0.1:9/"])
                self.assertEqual(code, 2, h.describe(code, out, err))
                self.assertOneErrorLine(err, "options", words)
                if CURL:
                    c = subprocess.run([CURL, "-s", *args, "http://127.0.0.1:9/"],
                                       capture_output=True, timeout=30)
                    self.assertEqual(c.returncode, code)


if __name__ == "__main__":
    unittest.main(verbosity=2)
