"""webtrace's command line: bad URLs and options fail before any network
traffic, with the documented exit codes.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_cli.py
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


class CommandLine(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        # Every run names this resolver: a query reaching it means the URL
        # was not rejected before the network.
        cls.guard = h.SilentUdp().start()

    @classmethod
    def tearDownClass(cls):
        cls.guard.stop()

    def run_guarded(self, *args):
        return h.run_webtrace(["--dns-server", self.guard.server_arg, "--dns-timeout", "1",
                               *args], timeout=10)

    def test_bad_urls_exit_3_before_network(self):
        bad = ["http://exa mple.test/",
               "http://a..b/",
               "http://host:99999/",
               "http://" + "a" * 64 + ".example.test/",
               "http://[::1/",
               "http://host:80x/",
               "http:///path"]
        for url in bad:
            with self.subTest(url=url):
                before = self.guard.received
                code, out, err = self.run_guarded(url)
                self.assertEqual(code, 3, h.describe(code, out, err))
                self.assertOneErrorLine(err, "url")
                self.assertNoNarration(err, r"^\[(dns |tcp |http)\]")
                self.assertEqual(self.guard.received, before, "a DNS query was sent")
                self.assertEqual(out, b"")

    def test_control_bytes_in_url_rejected(self):
        for url in ("http://host/\r\nX-Injected: 1", "http://ho\x01st/"):
            with self.subTest(url=url):
                code, out, err = self.run_guarded(url)
                self.assertEqual(code, 3, h.describe(code, out, err))
                self.assertOneErrorLine(err, "url")
                self.assertNotIn("\x01", err)

    def test_label_of_63_is_fine_syntactically(self):
        # 63 octets is the limit; this one parses, then fails to resolve (the
        # guard never answers): exit 28 or 6, but never 3.
        code, out, err = self.run_guarded("http://" + "a" * 63 + ".example.test/")
        self.assertNotEqual(code, 3, h.describe(code, out, err))

    def test_ftp_scheme_unsupported_exit_1(self):
        code, out, err = self.run_guarded("ftp://x")
        self.assertEqual(code, 1, h.describe(code, out, err))
        self.assertOneErrorLine(err, "url", r"ftp")
        self.assertEqual(self.guard.received, 0)

    def test_unknown_option_exit_2(self):
        code, out, err = h.run_webtrace(["--no-such-option", "http://127.0.0.1:9/"])
        self.assertEqual(code, 2, h.describe(code, out, err))
        self.assertOneErrorLine(err, "options", r"no-such-option")
        self.assertEqual(out, b"")

    def test_bad_option_values_exit_2(self):
        for args in (["--dns-timeout", "abc"], ["--max-time", "-1"],
                     ["--connect-timeout", "nan"], ["--dns-server", "not-an-ip"],
                     ["--dns-server", "127.0.0.1:70000"], ["-o"]):
            with self.subTest(args=args):
                code, out, err = h.run_webtrace([*args, "http://127.0.0.1:9/"]
                                                if args != ["-o"] else args)
                self.assertEqual(code, 2, h.describe(code, out, err))
                self.assertOneErrorLine(err, "options")

    def test_no_url_exit_2(self):
        code, out, err = h.run_webtrace([])
        self.assertEqual(code, 2, h.describe(code, out, err))
        self.assertOneErrorLine(err, "options")

    def test_help_lists_exit_codes(self):
        code, out, err = h.run_webtrace(["--help"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        text = out.decode("utf-8", "replace")
        self.assertIn("--dns-server", text)
        m = re.search(r"(?i)exit", text)
        self.assertTrue(m, "--help has no exit-code section")
        codes = text[m.start():]
        for n in (1, 2, 3, 6, 7, 8, 18, 23, 28, 52, 56, 100):
            self.assertRegex(codes, rf"\b{n}\b", f"--help does not list exit code {n}")
        self.assertEqual(err, "")

    def test_every_option_documented_with_its_curl_equivalent(self):
        # --help lists every option the parser takes (a unit test holds it
        # to the table); docs/options.md must have a row for each of them.
        code, out, err = h.run_webtrace(["--help"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        names = set(re.findall(r"^ {2,6}(?:-\w, )?--([a-z0-9.-]+)", out.decode(), re.M))
        self.assertGreater(len(names), 60)
        docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                            "options.md")
        with open(docs, encoding="utf-8") as f:
            table = f.read()
        missing = sorted(n for n in names if f"`--{n}" not in table)
        self.assertEqual(missing, [], "options missing from docs/options.md")

    def test_version(self):
        code, out, err = h.run_webtrace(["--version"])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertRegex(out.decode("utf-8", "replace"), r"^webtrace \d+\.\d+\.\d+")

    def test_input_file_missing(self):
        code, out, err = self.run_guarded("--url", "@/nonexistent/urls.txt")
        self.assertEqual(code, 26, h.describe(code, out, err))
        self.assertOneErrorLine(err, "input", r"/nonexistent/urls\.txt")

    def test_color_off_without_tty(self):
        # even without NO_COLOR, stderr that is not a tty gets no escapes
        code, out, err = h.run_webtrace(["http://exa mple.test/"], no_color=False)
        self.assertEqual(code, 3)
        self.assertNotIn("\x1b", err)


if __name__ == "__main__":
    unittest.main()
