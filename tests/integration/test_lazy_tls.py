"""TLS is a module loaded on first use: an http:// trace never maps
OpenSSL, an https:// one does. Observed with the dynamic loader's own
LD_DEBUG=files report of every object it opens."""

import os
import sys
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


if __name__ == "__main__":
    unittest.main()
