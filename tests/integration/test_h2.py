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
        self.assertEqual(self.logged()[-1][2:5], ("GET", "/", "HTTP/2.0"))

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


def inet_sockets_left_open(strace_log):
    """The TCP sockets strace saw made and never closed (their fds)."""
    open_fds = set()
    line_rx = re.compile(r"^\d+\s+(socket|close)\((.*)\)\s+=\s+(-?\d+)")
    with open(strace_log, errors="replace") as f:
        for line in f:
            m = line_rx.match(line)
            if not m:
                continue
            call, args, ret = m.group(1), m.group(2), int(m.group(3))
            if call == "socket" and ret >= 0 and args.startswith(("AF_INET,", "AF_INET6,")) \
                    and "SOCK_STREAM" in args:
                open_fds.add(ret)
            elif call == "close" and ret == 0:
                open_fds.discard(int(args.split(",")[0]))
    return open_fds


class H2Multiplexing(h.WebtraceCase, unittest.TestCase):
    """-Z: URLs to one origin as concurrent streams of one connection."""

    def fetch(self, *args):
        return h.run_webtrace(["--cacert", P["pki"].ca_file, *args], timeout=RUN_TIMEOUT_S)

    def test_twenty_urls_with_Z_share_one_connection(self):
        paths = ["/big" if i % 4 == 0 else "/" for i in range(20)]
        since = P["web"].mark()   # nginx logs after it answers: read up to a marker
        with tempfile.TemporaryDirectory() as d:
            outs = []
            for i in range(len(paths)):
                outs += ["-o", os.path.join(d, f"body{i}")]
            code, out, err = self.fetch("-Z", *outs, *[P["web"].url(p) for p in paths])
            self.assertExit((code, out, err), 0)
            for i, path in enumerate(paths):
                with open(os.path.join(d, f"body{i}"), "rb") as f:
                    want = h.Nginx.big_bytes() if path == "/big" else h.Nginx.index_bytes()
                    self.assertEqual(f.read(), want, f"URL {i} ({path})")
        log = P["web"].logged_since(since)
        self.assertEqual(len(log), 20)
        # nginx's $connection: one connection; $connection_requests: 1 to 20 on it
        self.assertEqual(len({r[1] for r in log}), 1, f"one connection: {log}")
        self.assertEqual(sorted(int(r[5]) for r in log), list(range(1, 21)))
        # streams open side by side, each URL on its own
        self.assertNarration(err, r"^\[\d+\] \[conn\] joining connection #1 to https://"
                                  r"localhost:\d+ as one more HTTP/2 stream beside the \d+ open")
        streams = re.findall(r"→ GET /\S* HTTP/2 on connection #1 stream (\d+) ", err)
        self.assertEqual(sorted(int(s) for s in streams), list(range(1, 40, 2)))
        table = re.findall(r"^ +(\d+) +200 +0 .* #1 stream (\d+) +https://", err, re.M)
        self.assertEqual(len(table), 20, err[-3000:])
        self.assertEqual(sorted(int(s) for _, s in table), list(range(1, 40, 2)))

    def test_ndjson_names_the_stream_of_each_request(self):
        urls = [P["web"].url("/")] * 3
        code, out, err = self.fetch("-Z", "--ndjson", "-s", "-o", os.devnull, "-o", os.devnull,
                                    "-o", os.devnull, *urls)
        self.assertExit((code, out, err), 0)
        events = [json.loads(l) for l in out.decode().splitlines()]
        sent = {e["url_index"]: (e["conn"], e["stream"]) for e in events
                if e["event"] == "http_request"}
        self.assertEqual(sorted(sent.values()), [(1, 1), (1, 3), (1, 5)])
        joined = [e for e in events if e["event"] == "conn_reuse" and e["streams"] > 0]
        self.assertTrue(joined, "a URL joined the connection while streams were open")

    def test_no_socket_left_open(self):
        strace = h.peer_tool("strace")
        if not strace:
            self.skipTest("strace is not installed (scripts/setup.sh installs it)")
        if os.environ.get("WEBTRACE_WRAPPER"):
            self.skipTest("not under a wrapper tool")
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "strace.log")
            # LeakSanitizer (an ASan build) cannot run under ptrace
            asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))
            env = h.webtrace_env(extra={"ASAN_OPTIONS": asan})
            urls = [P["web"].url("/"), P["web"].url("/reset")] * 5
            proc = subprocess.run([strace, "-f", "-o", log, "-e", "trace=socket,close",
                                   h.webtrace_path(), "--cacert", P["pki"].ca_file, "-Z", "-s",
                                   "-o", os.devnull, *urls],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                  timeout=60)
            self.assertEqual(proc.returncode, 92, proc.stderr.decode("utf-8", "replace"))
            self.assertEqual(inet_sockets_left_open(log), set())

    def test_one_stream_at_a_time_still_completes_every_url(self):
        urls = [P["web"].url("/", one_stream=True)] * 6
        code, out, err = self.fetch("-Z", *urls)
        self.assertExit((code, out, err), 0)
        self.assertEqual(out, h.Nginx.index_bytes() * 6)
        self.assertNarration(err, r"^\[\d+\] \[h2  \] ← SETTINGS \(the server's\): "
                                  r"MAX_CONCURRENT_STREAMS 1 · ")
        # never two streams at once on one connection: more connections instead
        self.assertNoNarration(err, r"joining connection")
        self.assertRegex(err, r"#2 ")

    def test_a_reset_stream_fails_only_its_url(self):
        since = P["web"].mark()   # nginx logs after it answers: read up to a marker
        urls = [P["web"].url("/"), P["web"].url("/reset"), P["web"].url("/"),
                P["web"].url("/")]
        code, out, err = self.fetch("-Z", *urls)
        # as curl: the run's exit code is the last failure's
        self.assertExit((code, out, err), 92)
        self.assertEqual(out, h.Nginx.index_bytes() * 3)
        self.assertNarration(err, r"^\[1\] \[h2  \] ← RST_STREAM stream \d+ · ")
        self.assertNarration(err, r"^\[1\] webtrace: http: HTTP/2 stream \d+ was not closed "
                                  r"cleanly")
        self.assertRegex(err, r"\n +1 +– +92 ")
        for i in (0, 2, 3):
            self.assertRegex(err, rf"\n +{i} +200 +0 ")
        log = P["web"].logged_since(since)
        self.assertEqual(len({r[1] for r in log}), 1, f"one connection: {log}")

    def test_parallel_immediate_opens_its_own_connections(self):
        urls = [P["web"].url("/")] * 3
        code, out, err = self.fetch("-Z", "--parallel-immediate", *urls)
        self.assertExit((code, out, err), 0)
        self.assertEqual(out, h.Nginx.index_bytes() * 3)
        self.assertNarration(err, r"^\[2\] \[tcp \] ")   # its own handshake
        self.assertNoNarration(err, r"joining connection")

    def test_h2c_prior_knowledge_multiplexes_too(self):
        since = P["web"].mark()   # nginx logs after it answers: read up to a marker
        urls = [P["web"].url("/", tls=False)] * 4
        code, out, err = h.run_webtrace(["--http2-prior-knowledge", "-Z", *urls],
                                        timeout=RUN_TIMEOUT_S)
        self.assertExit((code, out, err), 0)
        self.assertEqual(out, h.Nginx.index_bytes() * 4)
        log = P["web"].logged_since(since)
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
