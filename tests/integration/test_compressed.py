"""--compressed against webtrace serve's /gzip, /deflate, /br, /zstd, nginx's
gzip module and scripted bodies, each compared with curl 7.88 on the same
command line: the request bytes, the decoded body byte for byte, and the
exit code for every kind of bad body.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_compressed.py
"""

import gzip
import json
import os
import subprocess
import sys
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_requests import UA_LINE, CaptureServer  # noqa: E402
from test_serve import ServeProcess  # noqa: E402

CURL = h.peer_tool("curl")
ZSTD = h.peer_tool("zstd")
CODINGS = ["gzip", "deflate", "br", "zstd"]
TEXT = b'{"hello": "world"}\n' * 50
# A body far larger than webtrace may hold at once: streaming keeps the
# peak RSS well below it. (A child's ru_maxrss also counts this python
# process's size when it forked: far below the limit too.)
BOMB_SIZE = 256 << 20
RSS_LIMIT_KB = 64 << 10
DECODED_LINE = (r"^\[http\] body: {}, [\d.]+ (B|KiB) on the wire → [\d.]+ (B|KiB) decoded "
                r"\([\d.]+×\)$")


def response(coding, payload, extra=b""):
    head = b"HTTP/1.1 200 OK\r\n"
    if coding is not None:
        head += b"Content-Encoding: " + coding + b"\r\n"
    head += b"Content-Length: %d\r\nConnection: close\r\n" % len(payload) + extra
    return head + b"\r\n" + payload


def curl(args):
    c = subprocess.run([CURL, "-s", *args], capture_output=True, timeout=30)
    return c.returncode, c.stdout


class CompressedLikeCurl(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.srv = ServeProcess().start()
        cls.cap = CaptureServer()
        cls.hostile = h.HostileHttp().start()
        cls.nginx = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.cap.stop()
        cls.hostile.stop()
        cls.nginx.stop()

    def serve(self, path):
        return f"http://{h.LOOPBACK4}:{self.srv.port}{path}"

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_request_bytes_as_curl(self):
        base = f"http://{h.LOOPBACK4}:{self.cap.port}/p"
        for args in (["--compressed"], ["--compressed", "-e", "r", "-H", "X-A: 1"],
                     ["--compressed", "-H", "Accept-Encoding: gzip"],
                     ["--compressed", "-H", "Accept-Encoding:"]):
            with self.subTest(args=args):
                got = []
                for tool in (CURL, h.webtrace_path()):
                    subprocess.run([tool, "-s", *args, base], capture_output=True, timeout=30,
                                   env=h.webtrace_env())
                    reqs = self.cap.take()
                    self.assertEqual(len(reqs), 1)
                    got.append(UA_LINE.sub(b"User-Agent: X\r\n", reqs[0]))
                self.assertEqual(got[1], got[0])

    def test_serve_endpoints_decoded_and_narrated(self):
        for coding in CODINGS:
            with self.subTest(coding=coding):
                code, out, err = h.run_webtrace(["--compressed", "-v", self.serve("/" + coding)])
                self.assertEqual(code, 0, h.describe(code, out, err))
                body = json.loads(out)
                self.assertEqual(body["content_encoding"], coding)
                self.assertIn({"name": "Accept-Encoding", "value": "deflate, gzip, br, zstd"},
                              body["headers"])
                self.assertNarration(err, r"^\[http\] > Accept-Encoding: deflate, gzip, br, zstd"
                                          r"   \(from --compressed")
                self.assertNarration(err, DECODED_LINE.format(coding))

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_serve_endpoints_same_bytes_as_curl(self):
        def without_agent(text):
            echo = json.loads(text)
            echo["headers"] = [x for x in echo["headers"] if x["name"] != "User-Agent"]
            return echo

        for coding in CODINGS:
            with self.subTest(coding=coding):
                want_code, want = curl(["--compressed", self.serve("/" + coding)])
                code, out, err = h.run_webtrace(["-s", "--compressed", self.serve("/" + coding)])
                self.assertEqual((code, without_agent(out)), (want_code, without_agent(want)))
                # not asked for: the coded bytes are written as they came, as curl
                want_code, want = curl([self.serve("/" + coding)])
                code, out, err = h.run_webtrace(["-s", self.serve("/" + coding)])
                self.assertEqual((code, want_code), (0, 0), h.describe(code, out, err))
                self.assertNotEqual(out[:1], b"{")
                if coding in ("gzip", "deflate"):
                    self.assertEqual(without_agent(zlib.decompress(out, 47)),
                                     without_agent(zlib.decompress(want, 47)))

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_nginx_gzip_chunked_as_curl(self):
        url = self.nginx.url("/gzipped")
        want_code, want = curl(["--compressed", url])
        code, out, err = h.run_webtrace(["--compressed", url])
        self.assertEqual((code, out), (want_code, want), h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertNarration(err, r"Transfer-Encoding: chunked|chunked")
        self.assertNarration(err, DECODED_LINE.format("gzip"))
        # not asked for: nginx sends it plain, nothing is decoded
        code, out, err = h.run_webtrace([url])
        self.assertEqual((code, out), (0, h.Nginx.index_bytes()), h.describe(code, out, err))
        self.assertNoNarration(err, r"decoded")

    def bodies(self):
        """(name, response bytes) of odd and bad coded bodies."""
        gz = gzip.compress(TEXT)
        zl = zlib.compress(TEXT)
        co = zlib.compressobj(wbits=-15)
        raw = co.compress(TEXT) + co.flush()
        cases = [
            ("gzip", response(b"gzip", gz)),
            ("x-gzip upper case", response(b"X-GZIP", gz)),
            ("zlib as gzip", response(b"gzip", zl)),
            ("raw deflate as deflate", response(b"deflate", raw)),
            ("raw deflate as gzip", response(b"gzip", raw)),
            ("gzip twice, one header", response(b"gzip, gzip", gzip.compress(gz))),
            ("gzip twice, two headers", response(b"gzip", gzip.compress(gz),
                                                 b"Content-Encoding: gzip\r\n")),
            ("empty list items", response(b" gzip ,, ", gz)),
            ("identity five times", response(b"identity, identity, identity, identity, identity",
                                             TEXT)),
            ("six codings", response(b"identity, identity, identity, identity, identity, gzip",
                                     gz)),
            ("unknown coding", response(b"compress", TEXT)),
            ("unknown coding, empty body", response(b"compress", b"")),
            ("corrupt gzip", response(b"gzip", gz[:10] + b"\xff" * 20)),
            ("bad gzip checksum", response(b"gzip", gz[:-8] + b"\0\0\0\0" + gz[-4:])),
            ("truncated gzip", response(b"gzip", gz[:len(gz) // 2])),
            ("bytes after gzip", response(b"gzip", gz + b"trailing")),
            ("two gzip members", response(b"gzip", gz + gz)),
            ("bytes after deflate", response(b"deflate", zl + b"trailing")),
            ("empty gzip body", response(b"gzip", b"")),
        ]
        if ZSTD:
            zs = subprocess.run([ZSTD, "-q", "-c"], input=TEXT, capture_output=True,
                                check=True).stdout
            cases += [
                ("zstd", response(b"zstd", zs)),
                ("two zstd frames", response(b"zstd", zs + zs)),
                ("bytes after zstd", response(b"zstd", zs + b"trailing")),
                ("not zstd", response(b"zstd", b"hello, not zstd at all")),
                ("gzip then zstd", response(b"gzip, zstd", subprocess.run(
                    [ZSTD, "-q", "-c"], input=gz, capture_output=True, check=True).stdout)),
            ]
        return cases

    @unittest.skipUnless(CURL, "curl not installed: nothing to compare with")
    def test_odd_and_bad_bodies_as_curl(self):
        for name, data in self.bodies():
            with self.subTest(case=name):
                url = self.hostile.url(self.hostile.raw(data))
                want_code, want = curl(["--compressed", url])
                code, out, err = h.run_webtrace(["--compressed", url])
                self.assertEqual(code, want_code, h.describe(code, out, err))
                if code == 0:
                    self.assertEqual(out, want)
                else:
                    self.assertOneErrorLine(err, "http")
                    # what was decoded before the failure reached stdout, as curl's
                    self.assertEqual(out, want[:len(out)])

    def test_truncated_stream_is_narrated(self):
        gz = gzip.compress(TEXT)
        url = self.hostile.url(self.hostile.raw(response(b"gzip", gz[:len(gz) // 2])))
        code, out, err = h.run_webtrace(["--compressed", url])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[http\] the gzip stream ended before its end marker")

    def test_error_sentences(self):
        cases = [
            (response(b"compress", TEXT), 61, [r"'compress'", r"deflate, gzip, br, zstd"]),
            (response(b"gzip", b"\x1f\x8b\x08\x00" + b"\xff" * 30), 61,
             [r"gzip body cannot be decoded", r"zlib"]),
            (response(b"gzip", gzip.compress(TEXT) + b"x"), 23, [r"follow the end of the gzip"]),
            (response(b"br, br, br, br, br, br", b"x"), 61, [r"more than 5"]),
        ]
        for data, want, words in cases:
            with self.subTest(want=want, words=words):
                url = self.hostile.url(self.hostile.raw(data))
                code, out, err = h.run_webtrace(["--compressed", url])
                self.assertEqual(code, want, h.describe(code, out, err))
                self.assertOneErrorLine(err, "http", *words)

    def test_ndjson_and_write_out_sizes(self):
        gz = gzip.compress(TEXT)
        url = self.hostile.url(self.hostile.raw(response(b"gzip", gz)))
        code, out, err = h.run_webtrace(
            ["--compressed", "--ndjson", "-o", "/dev/null", "-w",
             "%{size_download} %{wt_size_decoded}\n", url])
        self.assertEqual(code, 0, h.describe(code, out, err))
        lines = out.decode().splitlines()
        done = [json.loads(l) for l in lines if l.startswith("{") and "http_body_done" in l][0]
        self.assertEqual((done["bytes"], done["content_encoding"], done["decoded_bytes"],
                          done["decode_truncated"]), (len(gz), "gzip", len(TEXT), False))
        self.assertIn(f"{len(gz)} {len(TEXT)}", lines)
        # without --compressed both sizes are the wire's, and nothing is decoded
        code, out, err = h.run_webtrace(["--ndjson", "-o", "/dev/null", url])
        done = [json.loads(l) for l in out.decode().splitlines() if "http_body_done" in l][0]
        self.assertEqual((done["content_encoding"], done["decoded_bytes"]), (None, None))

    def test_include_writes_the_head_as_received(self):
        gz = gzip.compress(TEXT)
        url = self.hostile.url(self.hostile.raw(response(b"gzip", gz)))
        code, out, err = h.run_webtrace(["--compressed", "-i", url])
        self.assertEqual(code, 0, h.describe(code, out, err))
        head, _, body = out.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: %d" % len(gz), head)
        self.assertEqual(body, TEXT)

    def test_large_body_streams_in_bounded_memory(self):
        co = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        mib = b"\0" * (1 << 20)
        bomb = b"".join(co.compress(mib) for _ in range(BOMB_SIZE >> 20)) + co.flush()
        url = self.hostile.url(self.hostile.raw(response(b"gzip", bomb)))
        # -m is the backstop; wait4 gives this child's own peak RSS
        proc = subprocess.Popen([h.webtrace_path(), "-s", "-m", "100", "--compressed", "-o",
                                 "/dev/null", "-w", "%{wt_size_decoded}", url],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, env=h.webtrace_env())
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.assertEqual(proc.returncode, 0)
        self.assertLess(usage.ru_maxrss, RSS_LIMIT_KB,
                        f"peak RSS {usage.ru_maxrss} KiB for a {BOMB_SIZE >> 20} MiB body")
        self.assertEqual(out, str(BOMB_SIZE).encode())


if __name__ == "__main__":
    try:
        unittest.main()
    finally:
        h.stop_all_peers()
