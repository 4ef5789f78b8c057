"""TLS is a module loaded on first use: an http:// trace never maps
OpenSSL, an https:// one does. Observed with the dynamic loader's own
LD_DEBUG=files report of every object it opens.

The module comes only from the install directory or from the build tree
the binary was built in: a copy of the binary elsewhere, with a rogue
webtrace-tls.so beside it (one whose constructor writes a file), must
never load it."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import tls_peers as tp  # noqa: E402


def loaded_objects(stderr):
    return [line for line in stderr.splitlines() if "file=" in line and "[0];" in line]


class TlsLoadedOnlyWhenNeeded(unittest.TestCase, h.WebtraceCase):
    @classmethod
    def setUpClass(cls):
        cls.web = h.Nginx().start()
        try:
            cls.pki = tp.TestPki().start()
            cls.tls = tp.TlsNginx(cls.pki).start()
        except BaseException:
            cls.web.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.tls.stop()
        cls.pki.stop()
        cls.web.stop()

    def test_http_never_loads_openssl(self):
        code, out, err = h.run_webtrace(["-o", "/dev/null", self.web.url("/")],
                                        env={"LD_DEBUG": "files"})
        self.assertEqual(code, 0, h.describe(code, out, err))
        objects = "\n".join(loaded_objects(err))
        self.assertNotIn("libssl", objects)
        self.assertNotIn("libcrypto", objects)
        self.assertNotIn("webtrace-tls", objects)

    def test_https_loads_the_module_and_openssl(self):
        code, out, err = h.run_webtrace(["--cacert", self.pki.ca_file, "-o", "/dev/null",
                                         self.tls.url("good")], env={"LD_DEBUG": "files"})
        self.assertEqual(code, 0, h.describe(code, out, err))
        objects = "\n".join(loaded_objects(err))
        self.assertIn("webtrace-tls.so", objects)
        self.assertIn("libssl", objects)


ROGUE = r"""
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* Runs as soon as the loader maps this file: proof that it was loaded. */
__attribute__((constructor)) static void rogue(void)
{
    const char *path = getenv("WEBTRACE_ROGUE_MARKER");
    if (path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            close(fd);
    }
}
"""


class ModuleOnlyFromTrustedPlaces(unittest.TestCase, h.WebtraceCase):
    """A copied binary with a rogue webtrace-tls.so beside it, against a
    TCP listener, so the https trace gets as far as loading TLS."""

    @classmethod
    def setUpClass(cls):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise AssertionError("a C compiler is needed to build the rogue module")
        cls.dir = tempfile.mkdtemp(prefix="webtrace-rogue-")
        src = os.path.join(cls.dir, "rogue.c")
        with open(src, "w") as f:
            f.write(ROGUE)
        cls.rogue_so = os.path.join(cls.dir, "rogue.so")
        subprocess.run([cc, "-shared", "-fPIC", "-o", cls.rogue_so, src], check=True,
                       timeout=60, capture_output=True)
        cls.peer = h.HostileHttp().start()

    @classmethod
    def tearDownClass(cls):
        cls.peer.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def copied_binary(self, name, with_marker):
        where = os.path.join(self.dir, name)
        os.makedirs(where)
        binary = os.path.join(where, "webtrace")
        shutil.copy2(h.webtrace_path(), binary)
        shutil.copy2(self.rogue_so, os.path.join(where, "webtrace-tls.so"))
        if with_marker:
            # The build tree's own marker, copied along: it names the build
            # tree, not this directory.
            src = os.path.join(os.path.dirname(h.webtrace_path()), "webtrace-build-tree")
            self.assertTrue(os.path.exists(src), f"the build wrote no marker at {src}")
            shutil.copy2(src, where)
        return binary

    def run_copy(self, binary):
        marker = binary + ".rogue-ran"
        url = f"https://{h.LOOPBACK4}:{self.peer.port}/"
        proc = subprocess.run([binary, "-o", "/dev/null", url], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=60,
                              env=h.webtrace_env(extra={"WEBTRACE_ROGUE_MARKER": marker}))
        err = proc.stderr.decode("utf-8", "replace")
        self.assertFalse(os.path.exists(marker),
                         "the rogue webtrace-tls.so beside a copied binary was loaded\n" + err)
        self.assertGreaterEqual(proc.returncode, 0, err)   # no crash
        return proc.returncode, err

    def test_copied_binary_ignores_a_module_beside_it(self):
        self.run_copy(self.copied_binary("plain", with_marker=False))

    def test_copied_binary_with_a_copied_marker_ignores_it_too(self):
        self.run_copy(self.copied_binary("marked", with_marker=True))

    def test_marker_naming_another_directory_is_not_a_build_tree(self):
        # The marker's content must name the directory itself: one that
        # names another directory does not make a build tree.
        binary = self.copied_binary("wrong-marker", with_marker=False)
        with open(os.path.join(os.path.dirname(binary), "webtrace-build-tree"), "w") as f:
            f.write(self.dir + "\n")
        self.run_copy(binary)


if __name__ == "__main__":
    unittest.main()
