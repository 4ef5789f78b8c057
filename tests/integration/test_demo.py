"""`webtrace demo`: the offline world traced end to end, and its DNS server
answered by an independent resolver client (dig)."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

DIG = h.peer_tool("dig")


class DemoRun(unittest.TestCase, h.WebtraceCase):
    @classmethod
    def setUpClass(cls):
        cls.code, cls.out, cls.err = h.run_webtrace(["demo"], timeout=60)

    def test_exit_zero_and_nothing_on_stdout(self):
        self.assertEqual(self.code, 0, h.describe(self.code, self.out, self.err))
        self.assertEqual(self.out, b"")

    def test_both_traces_show_every_step(self):
        err = self.err
        for scheme in ("http", "https"):
            self.assertNarration(err, rf"^\[url \] {scheme}://www\.webtrace\.test:\d+/ → host "
                                      r"www\.webtrace\.test \(name\)")
        # DNS on the wire: queries, replies, the CNAME with its TTL, addresses
        self.assertNarration(err, r"^\[dns \] → query A www\.webtrace\.test · id 0x[0-9a-f]{4} "
                                  r"· \d+ bytes · UDP to 127\.0\.0\.1:\d+")
        self.assertNarration(err, r"^\[dns \] → query AAAA www\.webtrace\.test")
        self.assertNarration(err, r"^\[dns \] ← reply id 0x[0-9a-f]{4} · NOERROR · 2 answers")
        self.assertNarration(err, r"^\[dns \]   www\.webtrace\.test CNAME web\.webtrace\.test · ttl 60$")
        self.assertNarration(err, r"^\[dns \]   web\.webtrace\.test A 127\.0\.0\.1 · ttl 300$")
        self.assertNarration(err, r"^\[dns \]   web\.webtrace\.test AAAA ::1 · ttl 120$")
        # TCP handshake, TLS handshake and verification against the demo certificate
        self.assertNarration(err, r"^\[tcp \] connected .* SYN → SYN\+ACK → ACK · ESTABLISHED")
        self.assertNarration(err, r"^\[tls \] → ClientHello · SNI www\.webtrace\.test · ALPN h2, http/1\.1")
        self.assertNarration(err, r"^\[tls \] ← handshake done in .* · TLSv1\.[23] ")
        self.assertNarration(err, r"^\[tls \] verification ok")
        # request, response, teardown, for both: HTTP/1.1 on http, h2 on https
        self.assertEqual(len(re.findall(r"^\[http\] → GET / HTTP/1\.1", err, re.M)), 1, err)
        self.assertEqual(len(re.findall(r"^\[http\] ← HTTP/1\.1 200 OK", err, re.M)), 1, err)
        self.assertEqual(len(re.findall(r"^\[http\] → GET / HTTP/2 on connection #\d+ stream 1 ",
                                        err, re.M)), 1, err)
        self.assertEqual(len(re.findall(r"^\[http\] ← HTTP/2 200 ", err, re.M)), 1, err)
        self.assertEqual(len(re.findall(r"^\[tcp \] (#\d+ )?teardown: ", err, re.M)), 2, err)
        # the server's half of the story
        self.assertNarration(err, r"^\[srv \] socket → bind 127\.0\.0\.1:\d+ → listen")
        self.assertNarration(err, r"^\[srv \] #1 accept: client ")
        self.assertNarration(err, r"^\[srv \] #1 ← request 1: GET / ")
        # the h2 exchange from both sides: each side's SETTINGS, as sent and as received
        self.assertNarration(err, r"^\[tls \] ← handshake done in .* · ALPN h2$")
        self.assertNarration(err, r"^\[srv \] #1 TLS handshake done · .* · ALPN chose h2$")
        self.assertNarration(err, r"^\[h2  \] → SETTINGS \(ours\): MAX_CONCURRENT_STREAMS 100 · "
                                  r"INITIAL_WINDOW_SIZE 33554432")
        self.assertNarration(err, r"^\[h2  \] #1 ← SETTINGS \(the client's\): "
                                  r"MAX_CONCURRENT_STREAMS 100 · INITIAL_WINDOW_SIZE 33554432")
        self.assertNarration(err, r"^\[h2  \] #1 → SETTINGS \(ours\): MAX_CONCURRENT_STREAMS 100 · "
                                  r"INITIAL_WINDOW_SIZE 1048576")
        self.assertNarration(err, r"^\[h2  \] ← SETTINGS \(the server's\): "
                                  r"MAX_CONCURRENT_STREAMS 100 · INITIAL_WINDOW_SIZE 1048576")
        self.assertNarration(err, r"^\[h2  \] #1 ← HEADERS stream 1 · 6 fields · .* · END_STREAM$")
        self.assertNarration(err, r"^\[h2  \] #1 → HEADERS stream 1 · 5 fields · ")
        self.assertNarration(err, r"^\[h2  \] #1 stream 1 ended with END_STREAM: we sent 1 HEADERS "
                                  r"and 1 DATA frames, 731 bytes of DATA$")
        self.assertNarration(err, r"^\[h2  \] stream 1 ended with END_STREAM: 1 HEADERS and 1 DATA "
                                  r"frames, 731 bytes of DATA$")
        self.assertEqual(h.error_lines(err), [])

    def test_explain_is_on_by_default_and_next_steps_shown(self):
        self.assertNarration(self.err, r"^       ↳ The three-way handshake")
        self.assertIn("What to try next:", self.err)
        self.assertIn("webtrace www.baidu.com", self.err)
        self.assertIn("--ndjson", self.err)
        self.assertIn("-w ", self.err)

    def test_no_explain_and_json(self):
        code, out, err = h.run_webtrace(["demo", "--no-explain", "--ndjson"], timeout=60)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNotIn("↳", err)
        import json
        events = [json.loads(line) for line in out.decode().splitlines()]
        summaries = [e for e in events if e["event"] == "summary"]
        self.assertEqual(len(summaries), 2)
        self.assertTrue(all(e["vars"]["http_code"] == 200 for e in summaries))
        self.assertEqual(summaries[0]["vars"]["wt_cname_chain"],
                         "www.webtrace.test -> web.webtrace.test")


class DemoDnsAnsweredByDig(unittest.TestCase):
    """dig, a resolver client independent of webtrace, against the demo's DNS."""

    @classmethod
    def setUpClass(cls):
        if not DIG:
            raise AssertionError("dig is needed (Debian: bind9-dnsutils)")
        cls.proc = subprocess.Popen([h.webtrace_path(), "demo", "--stay", "--no-explain"],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, env=h.webtrace_env())
        cls.lines = []
        cls.reader = threading.Thread(target=cls._read, daemon=True)
        cls.reader.start()
        cls.port = None
        end = time.monotonic() + 30
        while time.monotonic() < end and cls.port is None:
            for line in list(cls.lines):
                m = re.search(r"dig @127\.0\.0\.1 -p (\d+)", line)
                if m:
                    cls.port = int(m.group(1))
            time.sleep(0.05)
        if cls.port is None:
            cls.tearDownClass()
            raise AssertionError("demo --stay did not say where its DNS server is:\n" +
                                 "".join(cls.lines))

    @classmethod
    def _read(cls):
        for raw in cls.proc.stderr:
            cls.lines.append(raw.decode("utf-8", "replace"))

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                cls.proc.wait(5)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait(5)
        cls.reader.join(5)
        cls.proc.stderr.close()
        assert cls.proc.returncode == 0, f"demo --stay exited {cls.proc.returncode}"

    def dig(self, name, qtype):
        r = subprocess.run([DIG, "@127.0.0.1", "-p", str(self.port), "+norec", "+time=2",
                            "+tries=1", name, qtype], capture_output=True, text=True, timeout=15)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("malformed", r.stdout + r.stderr)
        return r.stdout

    def answers(self, text):
        section = text.split(";; ANSWER SECTION:\n", 1)
        if len(section) < 2:
            return []
        rows = []
        for line in section[1].split("\n\n", 1)[0].splitlines():
            f = line.split()
            rows.append((f[0], int(f[1]), f[3], f[4]))
        return rows

    def test_a_through_the_cname(self):
        out = self.dig("www.webtrace.test", "A")
        self.assertIn("status: NOERROR", out)
        self.assertRegex(out, r"flags: qr aa")
        self.assertEqual(self.answers(out), [
            ("www.webtrace.test.", 60, "CNAME", "web.webtrace.test."),
            ("web.webtrace.test.", 300, "A", "127.0.0.1"),
        ])

    def test_aaaa_through_the_cname(self):
        self.assertEqual(self.answers(self.dig("www.webtrace.test", "AAAA")), [
            ("www.webtrace.test.", 60, "CNAME", "web.webtrace.test."),
            ("web.webtrace.test.", 120, "AAAA", "::1"),
        ])

    def test_nxdomain_and_refused(self):
        self.assertIn("status: NXDOMAIN", self.dig("nope.webtrace.test", "A"))
        self.assertIn("status: REFUSED", self.dig("example.com", "A"))

    def test_known_name_other_type_is_nodata(self):
        out = self.dig("web.webtrace.test", "TXT")
        self.assertIn("status: NOERROR", out)
        self.assertEqual(self.answers(out), [])


if __name__ == "__main__":
    unittest.main()
