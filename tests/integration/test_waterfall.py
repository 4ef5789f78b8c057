"""The waterfall: --waterfall FILE.svg against dnsmasq and nginx on
loopback (the SVG parses as XML, holds one bar per phase whose widths are
proportional to the phase times of the NDJSON of the same run, a labelled
axis in ms and the URL escaped in the title), and the text picture on a
real pseudo-terminal (a row per URL, phase lines that fit the width, in
English and Chinese), absent in a pipe, with -s and with --no-waterfall.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_waterfall.py
"""

import json
import os
import re
import sys
import tempfile
import unicodedata
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from ptyrun import run_in_pty  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
PHASES = ("dns", "connect", "tls", "wait", "transfer")
PHASE_LINE = re.compile(r"^  (dns|connect|tls|wait|transfer) +[ █]+ \d")
PHASE_LINE_ZH = re.compile(r"^  (DNS|连接|TLS|等待|传输) +[ █]+ \d")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def width(text):
    """Terminal columns, as webtrace counts them (East Asian Wide: two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def picture(screen):
    """The lines from the waterfall's heading on, colour codes removed."""
    lines = ANSI.sub("", screen.decode("utf-8")).split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Timings on one axis") or line.startswith("各阶段耗时"):
            return [l for l in lines[i:] if l]
    return []


class Waterfall(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.dns = h.Dnsmasq().start()
        try:
            cls.nginx = h.Nginx().start()
        except BaseException:
            h.stop_all_peers()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        cls.dns.stop()

    def named_url(self, path="/"):
        return f"http://{h.Dnsmasq.REAL_NAME}:{self.nginx.port}{path}"

    def svg_run(self, urls, *extra):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "run.svg")
            code, out, err = h.run_webtrace(["--dns-server", self.dns.server_arg, "-4",
                                             "--ndjson", "--waterfall", path, *extra, *urls])
            self.assertEqual(code, 0, h.describe(code, out, err))
            tree = ET.parse(path)
        events = [json.loads(l) for l in out.decode().splitlines()]
        return tree.getroot(), events, err

    def test_svg_bars_proportional_to_the_phase_times(self):
        url = self.named_url("/?a=1&b='2'")
        root, events, _ = self.svg_run([url])
        summary = [e for e in events if e["event"] == "summary"][0]
        bars = [r for r in root.iter(SVG + "rect") if "bar" in r.get("class", "").split()]
        by_phase = {b.get("data-phase"): b for b in bars}
        # one bar per phase that happened (no TLS on http)
        want = {p for p in PHASES if summary[p + "_us"] is not None}
        self.assertEqual(set(by_phase), want)
        self.assertEqual(len(bars), len(want))
        self.assertIn("dns", want)
        scale = None
        for p in sorted(want, key=lambda p: -summary[p + "_us"]):
            us = summary[p + "_us"]
            w = float(by_phase[p].get("width"))
            if scale is None:
                scale = w / us   # the longest phase sets the scale
                self.assertGreater(scale, 0)
            else:
                self.assertAlmostEqual(w, us * scale, delta=0.002 + 1e-6 * us * scale, msg=p)
        # the title names the URL, its & and ' escaped for XML and read back
        self.assertEqual(root.find(SVG + "title").text, f"webtrace: {url}")
        # a labelled axis in ms, starting at 0
        ticks = [t.text for t in root.iter(SVG + "text") if re.fullmatch(r"[\d.]+ ms", t.text or "")]
        self.assertGreaterEqual(len(ticks), 2, ticks)
        self.assertEqual(ticks[0], "0 ms")
        self.assertTrue(any(t.text == "time (ms)" for t in root.iter(SVG + "text")))
        # the numbers only webtrace has
        texts = [t.text or "" for t in root.iter(SVG + "text")]
        self.assertTrue(any(re.search(r"· \d+ round trips$", t) for t in texts), texts)
        self.assertTrue(any(re.search(r"· handshake rtt [\d.]+ ms$", t) for t in texts), texts)

    def test_svg_rows_per_url_on_one_axis(self):
        urls = [self.named_url("/"), self.named_url("/big")]
        root, events, _ = self.svg_run(urls)
        rows = [g for g in root.iter(SVG + "g") if g.get("class") == "row"]
        self.assertEqual([(g.get("data-url"), g.get("data-hop")) for g in rows],
                         [("0", "0"), ("1", "0")])
        # the second URL starts after the first on the shared axis
        first = min(float(r.get("x")) for r in rows[0].iter(SVG + "rect"))
        second = min(float(r.get("x")) for r in rows[1].iter(SVG + "rect"))
        self.assertGreater(second, first)
        self.assertIn("and 1 more URLs", root.find(SVG + "title").text)

    def test_svg_a_row_per_hop(self):
        root, events, _ = self.svg_run([self.named_url("/moved")], "-L")
        rows = [g for g in root.iter(SVG + "g") if g.get("class") == "row"]
        self.assertEqual([(g.get("data-url"), g.get("data-hop")) for g in rows],
                         [("0", "0"), ("0", "1")])
        # each hop's bars are as long as its own summary says
        summaries = {e["hop"]: e for e in events if e["event"] == "summary"}
        for g in rows:
            summary = summaries[int(g.get("data-hop"))]
            for bar in g.iter(SVG + "rect"):
                self.assertEqual(int(bar.get("data-us")), summary[bar.get("data-phase") + "_us"])
        # the redirect reused the connection: the second hop has no dns or connect
        self.assertEqual({b.get("data-phase") for b in rows[1].iter(SVG + "rect")},
                         {"wait", "transfer"})

    def test_svg_failed_lookup_drawn_to_the_failure(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "run.svg")
            code, out, err = h.run_webtrace(["--dns-server", self.dns.server_arg, "--waterfall",
                                             path, f"http://{h.Dnsmasq.NX_NAME}/"])
            self.assertEqual(code, 6, h.describe(code, out, err))
            root = ET.parse(path).getroot()
        bars = [r for r in root.iter(SVG + "rect") if "bar" in r.get("class", "").split()]
        self.assertEqual([b.get("class") for b in bars], ["bar dns failed"])
        self.assertGreater(float(bars[0].get("width")), 0)
        self.assertRegex(bars[0].find(SVG + "title").text, r"^dns [\d.]+ m?s, then it failed$")

    def test_svg_labels_in_chinese(self):
        root, _, _ = self.svg_run([self.named_url("/")], "--lang", "zh")
        texts = [t.text or "" for t in root.iter(SVG + "text")]
        for word in ("DNS", "连接", "等待", "传输", "时间（毫秒）"):
            self.assertIn(word, texts)
        self.assertTrue(any(re.search(r"· 往返 \d+ 次$", t) for t in texts), texts)

    def test_svg_unwritable_is_exit_23(self):
        code, out, err = h.run_webtrace(["--waterfall", "/nonexistent-dir/w.svg",
                                         self.nginx.url("/")])
        self.assertEqual(code, 23, h.describe(code, out, err))
        self.assertIn("webtrace: output: cannot write the waterfall to /nonexistent-dir/w.svg",
                      err)

    def check_text(self, lines, columns, phase_line):
        self.assertTrue(lines, "no waterfall drawn")
        for line in lines:
            self.assertLessEqual(width(line), columns - 1, line)
        heads = [l for l in lines if re.match(r"^\[\d+\] ", l)]
        phase_lines = [l for l in lines if phase_line.match(l)]
        return heads, phase_lines

    def test_text_in_a_pty_has_the_rows_and_fits(self):
        for columns in (60, 100):
            with self.subTest(columns=columns):
                code, screen, _ = run_in_pty(["--dns-server", self.dns.server_arg, "-4",
                                              self.named_url("/"), self.named_url("/big")],
                                             columns=columns)
                self.assertEqual(code, 0, screen)
                lines = picture(screen)
                heads, phase_lines = self.check_text(lines, columns, PHASE_LINE)
                self.assertEqual(len(heads), 2, lines)
                self.assertTrue(heads[0].startswith(f"[0] http://{h.Dnsmasq.REAL_NAME}"), heads)
                self.assertRegex(heads[0], r" — total [\d.]+ m?s$")
                names = [l.split()[0] for l in phase_lines]
                # the first URL's lookup and connection; the second reuses it
                self.assertEqual(names, ["dns", "connect", "wait", "transfer", "wait",
                                         "transfer"], lines)
                self.assertRegex(lines[1], r"^ +0 ms ")

    def test_text_a_row_per_hop(self):
        code, screen, _ = run_in_pty(["-L", self.nginx.url("/moved")])
        self.assertEqual(code, 0, screen)
        heads = [l for l in picture(screen) if l.startswith("[0] ")]
        self.assertEqual(len(heads), 2, screen[-1500:])
        self.assertRegex(heads[0], r"^\[0\] http://127\.0\.0\.1:\d+/moved — total ")
        self.assertRegex(heads[1], r"^\[0\] ↳ 1 http://127\.0\.0\.1:\d+/ — total ")

    def test_demo_draws_its_two_fetches_before_the_hints(self):
        code, screen, _ = run_in_pty(["demo"], columns=90)
        self.assertEqual(code, 0, screen[-1500:])
        lines = picture(screen)
        heads = [l for l in lines if re.match(r"^\[\d+\] ", l)]
        self.assertEqual(len(heads), 2, lines)
        self.assertTrue(heads[0].startswith("[0] http://www.webtrace.test:"), heads)
        self.assertTrue(heads[1].startswith("[1] https://www.webtrace.test:"), heads)
        names = [l.split()[0] for l in lines if PHASE_LINE.match(l)]
        self.assertEqual(names, ["dns", "connect", "wait", "transfer",
                                 "dns", "connect", "tls", "wait", "transfer"], lines)
        hints = lines.index("What to try next:")
        self.assertGreater(hints, max(lines.index(h) for h in heads))

    def test_text_in_chinese(self):
        code, screen, _ = run_in_pty(["--lang", "zh", "--dns-server", self.dns.server_arg, "-4",
                                      self.named_url("/")], columns=60)
        self.assertEqual(code, 0, screen)
        lines = picture(screen)
        self.assertTrue(lines and lines[0].startswith("各阶段耗时（同一时间轴，0 到 "), lines)
        heads, phase_lines = self.check_text(lines, 60, PHASE_LINE_ZH)
        self.assertEqual(len(heads), 1)
        self.assertRegex(heads[0], r" — 总计 [\d.]+ m?s$")
        self.assertEqual([l.split()[0] for l in phase_lines], ["DNS", "连接", "等待", "传输"])
        self.assertTrue(any(re.search(r"· 往返 \d+ 次$", l) for l in phase_lines), lines)

    def test_text_coloured_as_the_narration(self):
        code, screen, _ = run_in_pty([self.nginx.url("/")], no_color=False)
        self.assertEqual(code, 0, screen)
        text = screen.decode()
        self.assertIn("\x1b[33m█", text)   # connect: the [tcp ] lines' yellow
        self.assertIn("\x1b[32m█", text)   # wait, transfer: the [http] lines' green

    def test_text_plain_under_no_color(self):
        code, screen, _ = run_in_pty([self.nginx.url("/")])
        self.assertEqual(code, 0, screen)
        self.assertNotIn(b"\x1b[", screen)
        self.assertTrue(picture(screen))

    def test_no_text_with_no_waterfall_or_silent(self):
        for extra in (["--no-waterfall"], ["-s"]):
            with self.subTest(extra=extra):
                code, screen, _ = run_in_pty([*extra, self.nginx.url("/")])
                self.assertEqual(code, 0, screen)
                self.assertEqual(picture(screen), [])
                self.assertNotIn("█".encode(), screen)

    def test_no_text_in_a_pipe(self):
        code, out, err = h.run_webtrace([self.nginx.url("/")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNotIn("Timings on one axis", err)
        self.assertNotIn("█", err)


if __name__ == "__main__":
    try:
        unittest.main()
    finally:
        h.stop_all_peers()
