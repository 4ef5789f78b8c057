"""`meson install` into a scratch DESTDIR puts each part where it belongs:
the binary, the TLS module, the catalogue, the man page and the three
completion files, each the very file the build made.

    WT_MESON=meson WT_BUILD_ROOT=build WT_PREFIX=/usr/local ...
        python3 tests/package/test_install.py
"""

import filecmp
import os
import subprocess
import tempfile
import unittest

INSTALL_TIMEOUT_S = 240   # a backstop: copying a few files


def env_path(name):
    return os.environ[name]


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="webtrace-install-")
        cls.destdir = cls.tmp.name
        cls.result = subprocess.run(
            [*env_path("WT_MESON").split(), "install", "-C", env_path("WT_BUILD_ROOT"),
             "--no-rebuild", "--destdir", cls.destdir],
            capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def installed(self, path):
        """The file `path` (absolute, as on the target machine) in DESTDIR."""
        return os.path.join(self.destdir, path.lstrip("/"))

    def assertInstalled(self, path, built=None):
        where = self.installed(path)
        self.assertTrue(os.path.isfile(where), f"{path} is not installed")
        if built:
            self.assertTrue(filecmp.cmp(where, built, shallow=False), f"{path} differs from {built}")
        return where

    def test_install_succeeds(self):
        self.assertEqual(self.result.returncode, 0, self.result.stdout + self.result.stderr)

    def test_binary_and_module(self):
        binary = self.assertInstalled(os.path.join(env_path("WT_BINDIR"), "webtrace"))
        self.assertTrue(os.access(binary, os.X_OK))
        self.assertInstalled(os.path.join(env_path("WT_MODULE_DIR"), "webtrace-tls.so"))
        out = subprocess.run([binary, "--help"], capture_output=True, text=True,
                             timeout=INSTALL_TIMEOUT_S, env={**os.environ, "LANG": "C"})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("--cacert", out.stdout)

    def test_catalogue(self):
        self.assertInstalled(os.path.join(env_path("WT_LOCALE_DIR"), "zh_CN", "LC_MESSAGES",
                                          "webtrace.mo"))

    def test_man_page(self):
        if not os.environ.get("WT_MAN_PAGE"):
            self.skipTest("scdoc is not installed: the build made no man page")
        self.assertInstalled(os.path.join(env_path("WT_MANDIR"), "man1", "webtrace.1"),
                             env_path("WT_MAN_PAGE"))

    def test_completions(self):
        datadir = env_path("WT_DATADIR")
        for installed, built in (
                (os.path.join(env_path("WT_BASH_COMPLETIONS_DIR"), "webtrace"),
                 env_path("WT_COMPLETION_BASH")),
                (os.path.join(datadir, "zsh", "vendor-completions", "_webtrace"),
                 env_path("WT_COMPLETION_ZSH")),
                (os.path.join(datadir, "fish", "vendor_completions.d", "webtrace.fish"),
                 env_path("WT_COMPLETION_FISH"))):
            with self.subTest(installed=installed):
                self.assertInstalled(installed, built)

    def test_everything_lies_under_the_prefix(self):
        prefix = self.installed(env_path("WT_PREFIX")).rstrip("/") + "/"
        outside = [os.path.join(d, f) for d, _, files in os.walk(self.destdir) for f in files
                   if not os.path.join(d, f).startswith(prefix)]
        self.assertEqual(outside, [])

    def test_nothing_of_the_build_is_installed(self):
        names = [name for _, _, files in os.walk(self.destdir) for name in files]
        self.assertNotIn("gen_completions", names)
        self.assertNotIn("webtrace-build-tree", names)
        self.assertFalse([n for n in names if n.startswith("test_")], names)


if __name__ == "__main__":
    unittest.main()
