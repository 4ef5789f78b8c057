"""The built man page webtrace(1): groff renders it without one warning,
and man shows what the source says (the examples byte for byte).

    WT_MAN_PAGE=build/docs/webtrace.1 python3 tests/package/test_manpage.py
"""

import os
import shutil
import subprocess
import unittest

RENDER_TIMEOUT_S = 60   # a backstop; groff takes a fraction of a second


def render(*args, env=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S,
                          env={**os.environ, "LC_ALL": "C.UTF-8", **(env or {})})


class ManPage(unittest.TestCase):
    page = os.environ["WT_MAN_PAGE"]

    def setUp(self):
        if not shutil.which("groff"):
            self.skipTest("groff is not installed (scripts/setup.sh installs groff-base)")

    def test_groff_renders_without_warnings(self):
        for device in ("ps", "utf8"):
            with self.subTest(device=device):
                out = render("groff", "-man", "-ww", "-z", "-T" + device, self.page)
                self.assertEqual((out.returncode, out.stderr), (0, ""))

    def test_man_shows_the_page(self):
        if not shutil.which("man"):
            self.skipTest("man-db is not installed")
        out = render("man", "--warnings", "-l", self.page, env={"MANWIDTH": "80"})
        self.assertEqual((out.returncode, out.stderr), (0, ""))
        text = out.stdout
        for heading in ("NAME", "SYNOPSIS", "OPTIONS", "WEBTRACE SERVE", "WEBTRACE DEMO",
                        "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
            self.assertIn("\n" + heading + "\n", text)
        # The version and the installed paths were filled in.
        self.assertNotRegex(text, r"@[A-Z_]+@")
        self.assertRegex(text.strip().splitlines()[-1], r"^webtrace \d+\.\d+\.\d+ ")
        self.assertRegex(text, r"\n +/\S+/webtrace/webtrace-tls\.so\n")
        # A backslash in an example survives scdoc and roff.
        self.assertIn("-w '%{http_code} %{time_total}\\n' example.com", text)
        for line in text.splitlines():
            self.assertLessEqual(len(line), 80, line)


if __name__ == "__main__":
    unittest.main()
