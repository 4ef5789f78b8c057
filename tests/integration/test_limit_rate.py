"""--limit-rate against nginx on loopback: the body arrives whole, reading
pauses on the loop (narrated, counted in NDJSON), and the transfer cannot
be faster than the rate allows. Only a lower bound on time is asserted:
a slow machine cannot break it.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_limit_rate.py
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

RATE = 512 * 1024
# 1 MiB at 512 KiB/s: the first half may come at once, the second not
# before a second has passed.
MIN_SECONDS = 0.9


class LimitRate(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.nginx = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()

    def test_body_whole_and_paced(self):
        start = time.monotonic()
        code, out, err = h.run_webtrace(["--limit-rate", "512k", self.nginx.url("/big")])
        elapsed = time.monotonic() - start
        self.assertEqual((code, out), (0, h.Nginx.big_bytes()), h.describe(code, out, err))
        self.assertGreaterEqual(elapsed, MIN_SECONDS)
        self.assertNarration(err, r"^\[http\] --limit-rate 512\.0 KiB/s: reading paused [1-9]\d* "
                                  r"times, .* in all · [\d.]+ (KiB|MiB)/s on average$")

    def test_ndjson_counts_the_pauses(self):
        code, out, err = h.run_webtrace(["--ndjson", "-o", "/dev/null", "--limit-rate", str(RATE),
                                         self.nginx.url("/big")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        done = [json.loads(l) for l in out.decode().splitlines() if '"http_body_done"' in l][0]
        self.assertEqual(done["limit_rate"], RATE)
        self.assertGreaterEqual(done["rate_pauses"], 1)
        self.assertGreater(done["rate_paused_us"], 0)
        self.assertEqual(done["bytes"], h.Nginx.BIG_SIZE)

    def test_without_it_nothing_pauses(self):
        code, out, err = h.run_webtrace(["--ndjson", "-o", "/dev/null", self.nginx.url("/big")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        done = [json.loads(l) for l in out.decode().splitlines() if '"http_body_done"' in l][0]
        self.assertEqual((done["limit_rate"], done["rate_pauses"]), (None, 0))

    def test_parallel_transfers_share_the_loop(self):
        # each keeps its own rate while the other is paused: no sleeping
        url = self.nginx.url("/big")
        code, out, err = h.run_webtrace(["-Z", "--limit-rate", "512k", "-o", "-", url, url],
                                        timeout=60)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(len(out), 2 * h.Nginx.BIG_SIZE)
        lines = [l for l in err.splitlines() if "--limit-rate 512.0 KiB/s" in l]
        self.assertEqual(len(lines), 2, err)

    def test_bad_rate_exits_2(self):
        code, out, err = h.run_webtrace(["--limit-rate", "1.5k", self.nginx.url("/")])
        self.assertEqual(code, 2, h.describe(code, out, err))
        self.assertIn("--limit-rate: '1.5k'", err)


if __name__ == "__main__":
    try:
        unittest.main()
    finally:
        h.stop_all_peers()
