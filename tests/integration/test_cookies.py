"""-b/--cookie and -c/--cookie-jar: the cookie engine as curl 7.88's.
A scripted loopback server sets cookies (Set-Cookie from the query),
redirects, and records the Cookie headers each request carried; webtrace
and curl run the same command lines against it and must send the same
cookies to the same hosts and write the same jar.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_cookies.py
"""

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_requests import CURL  # noqa: E402


class CookieServer:
    """GET /any/path?c=SETCOOKIE&c=...&to=URL: answers with those
    Set-Cookie headers, a 302 to URL when given (else 200), and keeps
    (host, path, [Cookie headers]) of every request."""

    def __init__(self):
        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                seen.append((self.headers.get("Host", ""), self.path.split("?")[0],
                             self.headers.get_all("Cookie") or []))
                self.send_response(302 if "to" in q else 200)
                for c in q.get("c", []):
                    self.send_header("Set-Cookie", c)
                if "to" in q:
                    self.send_header("Location", q["to"][0])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((h.LOOPBACK4, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.1,), daemon=True)
        self.thread.start()

    def take(self):
        got, self.seen[:] = list(self.seen), []
        return got

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def q(**kw):
    return urllib.parse.urlencode(kw, doseq=True)


class CookiesLikeCurl(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.srv = CookieServer()
        cls.tmp = tempfile.TemporaryDirectory()
        p = cls.srv.port
        cls.resolve = []
        for name in ("a.example.test", "b.example.test", "other.test"):
            cls.resolve += ["--resolve", f"{name}:{p}:127.0.0.1"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.tmp.cleanup()

    def url(self, host, path="/", **kw):
        return f"http://{host}:{self.srv.port}{path}" + ("?" + q(**kw) if kw else "")

    def run_both(self, args):
        """(curl's, webtrace's) (requests seen, jar text) for args; JAR in
        args is replaced by a fresh jar path per tool."""
        self.srv.take()
        out = []
        tools = ([CURL] if CURL else []) + [h.webtrace_path()]
        for i, tool in enumerate(tools):
            jar = os.path.join(self.tmp.name, f"jar{i}.txt")
            if os.path.exists(jar):
                os.unlink(jar)
            argv = [tool, "-s", *self.resolve,
                    *[jar if a == "JAR" else a for a in args]]
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                               env=h.webtrace_env())
            text = None
            if os.path.exists(jar):
                with open(jar) as f:
                    text = f.read()
            out.append((r.returncode, self.srv.take(), text))
        return out

    def jar_lines(self, text):
        return sorted(l for l in (text or "").splitlines() if l and not l.startswith("# "))

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_same_cookies_to_the_same_hosts_as_curl(self):
        a, b, other = "a.example.test", "b.example.test", "other.test"
        cases = [
            # host-only cookie: back to a, not to b
            ["-b", "", self.url(a, c="s=1"), self.url(a), self.url(b)],
            # Domain: to every subdomain, not to another domain
            ["-b", "", self.url(a, c="d=1; Domain=example.test"), self.url(b), self.url(other)],
            # a redirect's cookie goes with the next hop when it matches
            ["-L", "-b", "", self.url(a, "/r", c="hop=1; Path=/", to=self.url(a, "/x")),
             self.url(b)],
            ["-L", "-b", "", self.url(a, "/r", c="hop=1; Domain=example.test",
                                      to=self.url(other, "/x", to=self.url(b, "/y")))],
            # paths: the default is the request's directory; longest path first
            ["-b", "", self.url(a, "/dir/page", c=["p=1", "q=2; Path=/"]),
             self.url(a, "/dir/x"), self.url(a, "/other"), self.url(a, "/dirx")],
            # Max-Age=0 and a past Expires delete; Expires in the future keeps
            ["-b", "", self.url(a, c=["k=1", "g=1", "e=1"]),
             self.url(a, c=["k=; Max-Age=0", "g=2; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
                            "e=2; Expires=Fri, 01 Jan 2100 00:00:00 GMT"]), self.url(a)],
            # Secure over http is refused; HttpOnly is kept; a bad Domain refused
            ["-b", "", self.url(a, c=["sec=1; Secure", "ho=1; HttpOnly", "bad=1; Domain=other.test",
                                      "tld=1; Domain=test"]), self.url(a)],
            # -b strings go everywhere, after the engine's
            ["-b", "x=1; y=2", "-b", "", self.url(a, c="e=1"), self.url(a), self.url(other)],
            ["-b", "only=1", self.url(a, c="e=1"), self.url(a)],
            # the jar
            ["-c", "JAR", self.url(a, c=["j=1", "k=2; Domain=example.test; Path=/p; HttpOnly",
                                         "l=3; Expires=Fri, 01 Jan 2100 00:00:00 GMT"])],
        ]
        for args in cases:
            with self.subTest(args=args):
                (ccode, cseen, cjar), (wcode, wseen, wjar) = self.run_both(args)
                self.assertEqual((wcode, wseen), (ccode, cseen))
                self.assertEqual(self.jar_lines(wjar), self.jar_lines(cjar))

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_cookie_files_read_as_curl(self):
        a = "a.example.test"
        path = os.path.join(self.tmp.name, "in.txt")
        with open(path, "w") as f:
            f.write("# Netscape HTTP Cookie File\n\n"
                    ".example.test\tTRUE\t/\tFALSE\t0\tdom\t1\n"
                    "a.example.test\tFALSE\t/p\tFALSE\t4102444800\tpath\t2\n"
                    "#HttpOnly_a.example.test\tFALSE\t/\tFALSE\t0\thonly\t3\n"
                    "a.example.test\tFALSE\t/\tFALSE\t1\texpired\t4\n"
                    "a.example.test\tFALSE\t/\tTRUE\t0\tsecure\t5\n"
                    "a.example.test\tFALSE\t/\tFALSE\t0\tempty\n"
                    "other.test\tFALSE\t/\tFALSE\t0\tnot\t6\n"
                    "garbage line\n"
                    "Set-Cookie: hdr=7; Path=/\n"
                    "Set-Cookie: hd2=8; Domain=example.test\n")
        for args in (["-b", path, self.url(a, "/p/x")],
                     ["-b", path, "-c", "JAR", self.url(a, "/")],
                     ["-b", "/nonexistent/cookies", self.url(a, c="n=1"), self.url(a)]):
            with self.subTest(args=args):
                (ccode, cseen, cjar), (wcode, wseen, wjar) = self.run_both(args)
                self.assertEqual((wcode, wseen), (ccode, cseen))
                self.assertEqual(self.jar_lines(wjar), self.jar_lines(cjar))

    def test_narration_says_what_was_stored_and_sent(self):
        a, other = "a.example.test", "other.test"
        code, out, err = h.run_webtrace(
            [*self.resolve, "-L", "-b", "",
             self.url(a, "/r", c=["sid=1; Domain=example.test; HttpOnly", "sec=1; Secure",
                                  "k=1; Max-Age=0"], to=self.url(a, "/x")),
             self.url(other)])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[http\] ← cookie sid stored for \.example\.test/, a session "
                                  r"cookie \(kept for this run\) · HttpOnly$")
        self.assertNarration(err, r"^\[http\] ← cookie sec refused: it is marked Secure")
        self.assertNarration(err, r"^\[http\] ← cookie k deleted")
        self.assertNarration(err, r"^\[http\] → cookie sid sent: stored for \.example\.test/, "
                                  r"which this URL matches · HttpOnly$")
        self.assertEqual(len([l for l in err.splitlines() if "cookie sid sent" in l]), 1, err)

    def test_ndjson_cookie_events_follow_the_schema(self):
        from test_outputs import events_validator
        a = "a.example.test"
        code, out, err = h.run_webtrace([*self.resolve, "--ndjson", "-b", "",
                                         self.url(a, c=["s=1; Max-Age=60", "t=1; Secure"]),
                                         self.url(a)])
        self.assertEqual(code, 0, h.describe(code, out, err))
        events = [json.loads(l) for l in out.decode().splitlines()]
        for ev in events:
            events_validator().validate(ev)
        cookies = [(e["action"], e["name"]) for e in events if e["event"] == "http_cookie"]
        self.assertEqual(cookies, [("stored", "s"), ("rejected", "t"), ("sent", "s")])

    def test_jar_written_at_the_end(self):
        a = "a.example.test"
        jar = os.path.join(self.tmp.name, "end.txt")
        code, out, err = h.run_webtrace([*self.resolve, "-o", "/dev/null", "-c", jar,
                                         self.url(a, c="z=9")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        with open(jar) as f:
            text = f.read()
        self.assertTrue(text.startswith("# Netscape HTTP Cookie File\n"), text)
        self.assertIn("a.example.test\tFALSE\t/\tFALSE\t0\tz\t9\n", text)
        code, out, err = h.run_webtrace([*self.resolve, "-o", "/dev/null", "-c",
                                         "/nonexistent/dir/jar", self.url(a)])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertIn("/nonexistent/dir/jar", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
