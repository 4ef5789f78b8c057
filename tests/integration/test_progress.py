"""The progress meter on a real pseudo-terminal: a body from nginx slowed
by --limit-rate (the client paces itself on the loop, so the body takes
seconds whatever the machine) gets a meter line on stderr that is erased
before the narration goes on; it is never drawn into a pipe, with -s or
with --no-progress-meter, nor for a fast body. Only lower bounds on time
are relied on: a slow machine draws fewer meters, never a wrong one.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_progress.py
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from ptyrun import run_in_pty  # noqa: E402

ERASE = b"\r\x1b[K"
# 1 MiB at 384 KiB/s: over two seconds, so over the meter's one-second delay
SLOW = ["--limit-rate", "384k"]
METER = re.compile(r"[\d.]+ (B|KiB|MiB) of 1\.0 MiB \((\d+)%\) · [\d.]+ (B|KiB|MiB)/s · "
                   r"(\d+:\d\d|--:--) left")
METER_ZH = re.compile(r"[\d.]+ (B|KiB|MiB) / 1\.0 MiB（(\d+)%）· [\d.]+ (B|KiB|MiB)/s · "
                      r"剩余 (\d+:\d\d|--:--)")
METER_PARALLEL = re.compile(r"2 at once · [\d.]+ (B|KiB|MiB) of 2\.0 MiB \(\d+%\) · ")


def segments(screen):
    """What the terminal shows, as (draws, lines): every piece that follows an
    erase and is followed by another erase (a meter drawn, then wiped), and
    every line as it stays on the screen (the text after its last erase)."""
    text = screen.decode("utf-8", "replace")
    lines = []
    for line in text.split("\n"):
        lines.append(line.split(ERASE.decode())[-1])
    draws = [piece for piece in re.findall(r"\r\x1b\[K([^\r\n]*)(?=\r\x1b\[K)", text) if piece]
    return draws, lines


class ProgressMeter(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.nginx = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()

    def test_meter_drawn_and_erased_in_a_pty(self):
        code, screen, elapsed = run_in_pty([*SLOW, self.nginx.url("/big")])
        self.assertEqual(code, 0, screen)
        draws, lines = segments(screen)
        self.assertTrue(draws, f"no meter drawn in {elapsed:.1f} s: {screen[-800:]!r}")
        for d in draws:
            self.assertRegex(d, METER)
        percents = [int(METER.search(d).group(2)) for d in draws]
        self.assertEqual(percents, sorted(percents), "the percentage never goes back")
        # at most ten redraws a second (a slow machine draws fewer)
        self.assertLessEqual(len(draws), 10 * elapsed + 2)
        # nothing of the meter stays on any line of the narration
        for line in lines:
            self.assertNotRegex(line, METER)
        body = [l for l in lines if l.startswith("[http] ← body 1048576 bytes")]
        self.assertEqual(len(body), 1, screen[-1500:])

    def test_meter_in_chinese(self):
        code, screen, _ = run_in_pty(["--lang", "zh", *SLOW, self.nginx.url("/big")])
        self.assertEqual(code, 0, screen)
        draws, _ = segments(screen)
        self.assertTrue(draws, screen[-800:])
        for d in draws:
            self.assertRegex(d, METER_ZH)

    def test_parallel_transfers_share_one_line(self):
        url = self.nginx.url("/big")
        code, screen, _ = run_in_pty(["-Z", *SLOW, "-o", "/dev/null", "-o", "/dev/null", url, url])
        self.assertEqual(code, 0, screen)
        draws, lines = segments(screen)
        self.assertTrue(any(METER_PARALLEL.search(d) for d in draws), draws)
        for line in lines:
            self.assertNotIn(" at once · ", line)

    def test_meter_fits_a_narrow_terminal(self):
        code, screen, _ = run_in_pty([*SLOW, self.nginx.url("/big")], columns=30)
        self.assertEqual(code, 0, screen)
        draws, _ = segments(screen)
        self.assertTrue(draws, screen[-800:])
        for d in draws:
            self.assertLessEqual(len(d), 29, d)

    def test_no_meter_with_no_progress_meter(self):
        code, screen, _ = run_in_pty(["--no-progress-meter", *SLOW, self.nginx.url("/big")])
        self.assertEqual(code, 0, screen)
        self.assertNotIn(ERASE, screen)
        self.assertIn("[http] ← body 1048576 bytes".encode(), screen)

    def test_no_meter_with_silent(self):
        code, screen, _ = run_in_pty(["-s", *SLOW, self.nginx.url("/big")])
        self.assertEqual(code, 0, screen)
        self.assertEqual(screen, b"")

    def test_no_meter_over_a_body_written_to_the_terminal(self):
        code, screen, _ = run_in_pty([*SLOW, "-o", "-", self.nginx.url("/big")], stdout_too=True)
        self.assertEqual(code, 0, screen[-800:])
        self.assertGreater(len(screen), h.Nginx.BIG_SIZE)
        self.assertNotRegex(screen.decode("utf-8", "replace"), METER)

    def test_no_meter_for_a_fast_body(self):
        code, screen, _ = run_in_pty([self.nginx.url("/")])
        self.assertEqual(code, 0, screen)
        self.assertNotIn(ERASE, screen)

    def test_no_meter_in_a_pipe(self):
        code, out, err = h.run_webtrace([*SLOW, "-o", "/dev/null", self.nginx.url("/big")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNotIn("\x1b[K", err)
        self.assertNotIn("\r", err)
        self.assertNotRegex(err, METER)

    def test_ndjson_has_no_progress_events(self):
        code, out, err = h.run_webtrace(["--ndjson", "-o", "/dev/null", *SLOW,
                                         self.nginx.url("/big")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNotIn(b"progress", out)


if __name__ == "__main__":
    try:
        unittest.main()
    finally:
        h.stop_all_peers()
