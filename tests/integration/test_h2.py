"""HTTP/2: webtrace against nginx with http2 on its TLS port (ALPN h2) and
on a port without TLS (h2c, prior knowledge), compared with curl --http2
on the same URLs, and against scripted hostile h2c servers for curl's exit
codes. All on loopback.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_h2.py
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
import h2_peers as hp  # noqa: E402
import tls_peers as tp  # noqa: E402

RUN_TIMEOUT_S = 20   # backstop per run; a healthy run takes milliseconds
P = {}


def setUpModule():
    h.webtrace_path()
    try:
        P["pki"] = tp.TestPki().start()
        P["web"] = hp.H2Nginx(P["pki"]).start()
    except BaseException:
        h.stop_all_peers()
        raise


def tearDownModule():
    for name in ("web", "pki"):
        peer = P.pop(name, None)
        if peer:
            peer.stop()


def curl(*args):
    """curl's exit code and stdout bytes (curl 7.88 with nghttp2)."""
    proc = subprocess.run(["curl", "-s", "-S", *args], capture_output=True,
                          timeout=RUN_TIMEOUT_S)
    return proc.returncode, proc.stdout


class H2ViaNginx(h.WebtraceCase, unittest.TestCase):

    def setUp(self):
        # what nginx logs after this marker is this test's (H2Nginx.mark)
        self.since = P["web"].mark()

    def logged(self):
        """What nginx logged for this test's requests, all of them."""
        return P["web"].logged_since(self.since)

    def fetch(self, *args):
        return h.run_webtrace(["--cacert", P["pki"].ca_file, *args], timeout=RUN_TIMEOUT_S)

    def test_alpn_picks_h2_and_settings_match_nginx(self):
        code, out, err = self.fetch(P["web"].url("/"))
        self.assertExit((code, out, err), 0)
        self.assertNarration(err, r"^\[tls \] → ClientHello .* · ALPN h2, http/1\.1 · ")
        self.assertNarration(err, r"^\[tls \] ← handshake done .* · ALPN h2$")
        self.assertNarration(err, r"^\[h2  \] → connection preface, 24 bytes")
        self.assertNarration(err, r"^\[h2  \] → SETTINGS \(ours\): MAX_CONCURRENT_STREAMS 100 · "
                                  r"INITIAL_WINDOW_SIZE 33554432 · ENABLE_PUSH 0$")
        # nginx's http2_max_concurrent_streams, as configured
        self.assertNarration(err, r"^\[h2  \] ← SETTINGS \(the server's\): "
                                  rf"MAX_CONCURRENT_STREAMS {hp.H2Nginx.MAX_STREAMS} · ")
        self.assertNarration(err, r"^\[h2  \] → HEADERS stream 1 · 6 fields · HPACK \d+ bytes "
                                  r"for \d+ bytes of names and values · END_STREAM$")
        self.assertNarration(err, r"^\[http\] ← HTTP/2 200 · after ")
        self.assertNarration(err, r"^\[h2  \] stream 1 ended with END_STREAM: 1 HEADERS and "
                                  r"\d+ DATA frames, 1024 bytes of DATA$")
        self.assertEqual(out, h.Nginx.index_bytes())
        # nginx saw HTTP/2
        self.assertEqual(self.logged()[-1][2:], ("GET", "/", "HTTP/2.0"))

    def test_hpack_makes_the_headers_smaller(self):
        code, out, err = self.fetch("--ndjson", "-s", "-o", os.devnull, P["web"].url("/"))
        self.assertExit((code, out, err), 0)
        events = [json.loads(l) for l in out.decode().splitlines()]
        ours = [e for e in events if e["event"] == "h2_frame" and e["type"] == "HEADERS"
                and e["direction"] == "sent"]
        self.assertEqual(len(ours), 1)
        self.assertEqual(ours[0]["stream"], 1)
        self.assertEqual(ours[0]["fields"], 6)   # 4 pseudo-headers, user-agent, accept
        self.assertLess(ours[0]["length"], ours[0]["raw_bytes"])
        settings = [e for e in events if e["event"] == "h2_frame" and e["type"] == "SETTINGS"
                    and e["direction"] == "received" and not e["ack"]]
        values = {s["name"]: s["value"] for s in settings[0]["settings"]}
        self.assertEqual(values["MAX_CONCURRENT_STREAMS"], hp.H2Nginx.MAX_STREAMS)
        status = [e for e in events if e["event"] == "http_status"]
        self.assertEqual(status[0]["http_version"], "2")

    def test_verbose_shows_every_frame_and_pseudo_headers(self):
        code, out, err = self.fetch("-v", "-o", os.devnull, P["web"].url("/big"))
        self.assertExit((code, out, err), 0)
        for line in (r"^\[http\] > :method: GET$", r"^\[http\] > :scheme: https$",
                     r"^\[http\] > :authority: localhost:\d+$", r"^\[http\] > :path: /big$",
                     r"^\[http\] < :status: 200$", r"^\[h2  \] ← SETTINGS ACK",
                     r"^\[h2  \] → SETTINGS ACK", r"^\[h2  \] → WINDOW_UPDATE stream 0 · ",
                     r"^\[h2  \] ← DATA stream 1 · \d+ bytes$",
                     r"^\[h2  \] ← DATA stream 1 · \d+ bytes · END_STREAM$"):
            self.assertNarration(err, line)
        self.assertNoNarration(err, r"^\[http\] > [Hh]ost:")

    def test_explain_says_what_the_frames_are(self):
        code, out, err = self.fetch("--explain", "-o", os.devnull, P["web"].url("/"))
        self.assertExit((code, out, err), 0)
        self.assertNarration(err, r"↳ HTTP/2 is binary: .* \[application layer: HTTP")
        self.assertNarration(err, r"↳ HPACK compresses the headers")
        self.assertNarration(err, r"↳ SETTINGS say what each side accepts")
        self.assertNarration(err, r"↳ The same request over HTTP/2: no text")
        self.assertNoNarration(err, r"↳ The request is text")

    def test_body_identical_to_curl_http2(self):
        url = P["web"].url("/big")
        with tempfile.TemporaryDirectory() as d:
            ours, theirs = os.path.join(d, "ours"), os.path.join(d, "theirs")
            code, out, err = self.fetch("-o", ours, url)
            self.assertExit((code, out, err), 0)
            ccode, _ = curl("--cacert", P["pki"].ca_file, "--http2", "-o", theirs, url)
            self.assertEqual(ccode, 0)
            with open(ours, "rb") as a, open(theirs, "rb") as b:
                mine = a.read()
                self.assertEqual(mine, b.read())
            self.assertEqual(mine, h.Nginx.big_bytes())

    def test_write_out_and_include_as_curl(self):
        url = P["web"].url("/")
        fmt = "%{http_version} %{http_code} %{size_download}\n"
        code, out, err = self.fetch("-s", "-o", os.devnull, "-w", fmt, url)
        self.assertExit((code, out, err), 0)
        ccode, cout = curl("--cacert", P["pki"].ca_file, "-o", os.devnull, "-w", fmt, url)
        self.assertEqual((out, ccode), (cout, 0))
        self.assertEqual(out, b"2 200 1024\n")
        code, out, err = self.fetch("-s", "-i", url)
        self.assertExit((code, out, err), 0)
        self.assertTrue(out.startswith(b"HTTP/2 200 \r\n"), out[:40])
        self.assertTrue(out.endswith(h.Nginx.index_bytes()))

    def test_har_http_version_is_h2(self):
        with tempfile.TemporaryDirectory() as d:
            har = os.path.join(d, "out.har")
            code, out, err = self.fetch("-s", "-o", os.devnull, "--har", har, P["web"].url("/"))
            self.assertExit((code, out, err), 0)
            with open(har) as f:
                entry = json.load(f)["log"]["entries"][0]
        self.assertEqual(entry["response"]["httpVersion"], "h2")
        self.assertEqual(entry["request"]["httpVersion"], "h2")

    def test_http1_1_keeps_to_1_1(self):
        code, out, err = self.fetch("--http1.1", P["web"].url("/"))
        self.assertExit((code, out, err), 0)
        self.assertNarration(err, r"^\[tls \] → ClientHello .* · ALPN http/1\.1 · ")
        self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 200 OK")
        self.assertNoNarration(err, r"^\[h2  \]")
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertEqual(self.logged()[-1][4], "HTTP/1.1")

    def test_h2c_prior_knowledge(self):
        url = P["web"].url("/", tls=False)
        code, out, err = h.run_webtrace(["--http2-prior-knowledge", url], timeout=RUN_TIMEOUT_S)
        self.assertExit((code, out, err), 0)
        self.assertNarration(err, r"^\[h2  \] → connection preface, 24 bytes")
        self.assertNarration(err, r"^\[http\] ← HTTP/2 200 · ")
        self.assertEqual(out, h.Nginx.index_bytes())
        ccode, cout = curl("--http2-prior-knowledge", url)
        self.assertEqual((ccode, cout), (0, out))

    def test_redirect_reuses_the_connection_on_stream_3(self):
        code, out, err = self.fetch("-L", P["web"].url("/moved"))
        self.assertExit((code, out, err), 0)
        self.assertNarration(err, r"^\[http\] ← HTTP/2 301 · ")
        self.assertNarration(err, r"^\[conn\] reusing connection #1 ")
        # HPACK's dynamic table holds the first request's fields: smaller now
        first = self.hpack_bytes(err, 1)
        self.assertLess(self.hpack_bytes(err, 3), first)
        self.assertNarration(err, r"^\[http\] ← HTTP/2 200 · ")
        self.assertNarration(err, r"^\[h2  \] → GOAWAY · last stream 0 · NO_ERROR \(0\)$")
        self.assertEqual(out, h.Nginx.index_bytes())
        log = self.logged()
        self.assertEqual([r[3] for r in log], ["/moved", "/"])
        self.assertEqual(len({r[1] for r in log}), 1, f"one connection: {log}")

    def hpack_bytes(self, err, stream):
        rx = re.compile(rf"^\[h2  \] → HEADERS stream {stream} · \d+ fields · HPACK (\d+) bytes")
        hits = [int(m.group(1)) for m in map(rx.search, err.splitlines()) if m]
        self.assertEqual(len(hits), 1, err)
        return hits[0]

    def test_urls_in_a_row_share_one_connection(self):
        urls = [P["web"].url("/"), P["web"].url("/"), P["web"].url("/")]
        code, out, err = self.fetch(*urls)
        self.assertExit((code, out, err), 0)
        self.assertEqual(out, h.Nginx.index_bytes() * 3)
        for stream in (1, 3, 5):
            self.assertNarration(err, rf"^\[h2  \] stream {stream} ended with END_STREAM")
        log = self.logged()
        self.assertEqual(len(log), 3)
        self.assertEqual(len({r[1] for r in log}), 1, f"one connection: {log}")


class H2HostilePeers(h.WebtraceCase, unittest.TestCase):
    """Each scenario against webtrace and curl: the same exit code, no hang."""

    def play(self, scenario, *args):
        srv = hp.HostileH2(scenario).start()
        try:
            url = srv.url()
            code, out, err = h.run_webtrace(["--http2-prior-knowledge", *args, url],
                                            timeout=RUN_TIMEOUT_S)
            ccode, _ = curl("--http2-prior-knowledge", "-o", os.devnull, *args, url)
        finally:
            srv.stop()
        return code, out, err, ccode

    def test_rst_stream_is_a_stream_error(self):
        code, out, err, ccode = self.play("rst")
        self.assertExit((code, out, err), 92)
        self.assertEqual(ccode, 92)
        self.assertNarration(err, r"^\[h2  \] ← RST_STREAM stream 1 · PROTOCOL_ERROR \(1\)$")
        self.assertOneErrorLine(err, "http", r"stream 1 was not closed cleanly: PROTOCOL_ERROR")

    def test_bad_frame_is_a_framing_error(self):
        # curl 7.88 says 52 (it got no response); the framing error is 16,
        # as curl names CURLE_HTTP2 and as later curl versions report it.
        code, out, err, _ = self.play("bad-frame")
        self.assertExit((code, out, err), 16)
        self.assertNarration(err, r"^\[h2  \] → GOAWAY · last stream 0 · FRAME_SIZE_ERROR \(6\)$")
        self.assertOneErrorLine(err, "http", r"GOAWAY FRAME_SIZE_ERROR")

    def test_goaway_mid_stream(self):
        code, out, err, ccode = self.play("goaway-mid")
        self.assertExit((code, out, err), 18)
        self.assertEqual(ccode, 18)
        self.assertNarration(err, r"^\[h2  \] ← GOAWAY · last stream 1 · PROTOCOL_ERROR \(1\)$")
        self.assertOneErrorLine(err, "http", r"not closed cleanly before the connection ended")

    def test_settings_flood(self):
        code, out, err, ccode = self.play("settings-flood")
        self.assertExit((code, out, err), 56)
        self.assertEqual(ccode, 56)
        self.assertOneErrorLine(err, "http", r"[Ff]looding")
        # the server's SETTINGS are told once, not once per frame
        hits = [l for l in err.splitlines() if "SETTINGS (the server's)" in l]
        self.assertEqual(len(hits), 1, err[-2000:])

    def test_window_that_never_opens_with_max_time(self):
        with tempfile.NamedTemporaryFile() as body:
            body.write(b"x" * (200 * 1024))   # more than the 65535-byte initial window
            body.flush()
            code, out, err, ccode = self.play("no-window", "-m", "2",
                                              "--data-binary", "@" + body.name)
        self.assertExit((code, out, err), 28)
        self.assertEqual(ccode, 28)


if __name__ == "__main__":
    unittest.main(verbosity=2)
