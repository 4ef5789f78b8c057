"""webtrace --version names the libraries it really runs on, with the
versions those libraries report: checked against ldd (the binary and the
TLS module) and against what the dynamic loader says it loaded.

    WEBTRACE=... WT_TLS_MODULE=... python3 tests/package/test_version.py
"""

import ctypes
import os
import re
import subprocess
import unittest

RUN_TIMEOUT_S = 60   # a backstop; --version takes milliseconds

# The name on the --version line, the library's file name as loaded, and
# how the test asks that file for its version.
LIBRARIES = {
    "c-ares": ("libcares.so", lambda lib: call_str(lib, "ares_version", None)),
    "libidn2": ("libidn2.so", lambda lib: call_str(lib, "idn2_check_version", None)),
    # OPENSSL_VERSION_STRING is 6 in OpenSSL 3's crypto.h
    "OpenSSL": ("libcrypto.so", lambda lib: call_str(lib, "OpenSSL_version", 6)),
    "nghttp2": ("libnghttp2.so", lambda lib: nghttp2_version(lib)),
    "zlib": ("libz.so", lambda lib: call_str(lib, "zlibVersion")),
    "brotli": ("libbrotlidec.so", lambda lib: brotli_version(lib)),
    "zstd": ("libzstd.so", lambda lib: call_str(lib, "ZSTD_versionString")),
    "libpcap": ("libpcap.so", lambda lib: call_str(lib, "pcap_lib_version").split()[2]),
}


def call_str(lib, name, *args):
    fn = getattr(lib, name)
    fn.restype = ctypes.c_char_p
    return fn(*args).decode()


class Nghttp2Info(ctypes.Structure):
    _fields_ = [("age", ctypes.c_int), ("version_num", ctypes.c_int),
                ("version_str", ctypes.c_char_p), ("proto_str", ctypes.c_char_p)]


def nghttp2_version(lib):
    lib.nghttp2_version.restype = ctypes.POINTER(Nghttp2Info)
    return lib.nghttp2_version(0).contents.version_str.decode()


def brotli_version(lib):
    v = lib.BrotliDecoderVersion()
    return f"{v >> 24}.{(v >> 12) & 0xfff}.{v & 0xfff}"


def run(args, env=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          env={**os.environ, **(env or {})})


def ldd(path):
    """{file name: real path} of what path links."""
    out = run(["ldd", path])
    return {m[0]: os.path.realpath(m[1])
            for m in re.findall(r"^\s*(\S+) => (/\S+)", out.stdout, re.M)}


class Version(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.binary = os.environ["WEBTRACE"]
        out = run([cls.binary, "--version"], env={"LD_DEBUG": "files"})
        cls.returncode = out.returncode
        cls.lines = out.stdout.splitlines()
        # Every object the process initialised, as the dynamic loader tells.
        cls.loaded = {os.path.realpath(p) for p in
                      re.findall(r"calling init: (\S+)", out.stderr)}
        cls.named = dict(re.findall(r" ([\w-]+)/(\S+)", cls.lines[0])) if cls.lines else {}

    def loaded_file(self, prefix):
        found = [p for p in self.loaded if os.path.basename(p).startswith(prefix)]
        self.assertEqual(len(found), 1, f"{prefix}: {found}")
        return found[0]

    def test_three_lines_as_curl(self):
        self.assertEqual(self.returncode, 0)
        self.assertEqual(len(self.lines), 3, self.lines)
        self.assertRegex(self.lines[0], r"^webtrace \d+\.\d+\.\d+ \([\w.-]+\) c-ares/")
        self.assertRegex(self.lines[1], r"^Protocols: http https$")
        features = self.lines[2].split()
        self.assertEqual(features[0], "Features:")
        self.assertEqual(features[1:], sorted(features[1:], key=str.lower))
        for feature in ("AsynchDNS", "HTTP2", "IDN", "IPv6", "Largefile", "SSL", "libz",
                        "brotli", "zstd"):
            self.assertIn(feature, features)

    def test_linked_libraries_are_named_with_their_own_versions(self):
        linked = ldd(self.binary)
        for name in ("c-ares", "libidn2"):
            path = self.loaded_file(LIBRARIES[name][0])
            self.assertIn(path, linked.values(), f"{name} is not what ldd says is linked")
            lib = ctypes.CDLL(path)
            self.assertEqual(self.named.get(name), LIBRARIES[name][1](lib), name)

    def test_openssl_is_the_one_the_tls_module_links(self):
        module_links = ldd(os.environ["WT_TLS_MODULE"])
        path = self.loaded_file("libcrypto.so")
        self.assertIn(path, module_links.values())
        # ...and never the binary's own: http fetches stay free of OpenSSL
        self.assertNotIn(path, ldd(self.binary).values())
        self.assertEqual(self.named.get("OpenSSL"),
                         LIBRARIES["OpenSSL"][1](ctypes.CDLL(path)))

    def test_loaded_on_use_libraries_are_the_ones_loaded(self):
        for name in ("nghttp2", "zlib", "brotli", "zstd", "libpcap"):
            path = self.loaded_file(LIBRARIES[name][0])
            self.assertEqual(self.named.get(name), LIBRARIES[name][1](ctypes.CDLL(path)), name)

    def test_every_named_library_was_checked(self):
        self.assertEqual(set(self.named) - {"llhttp"}, set(LIBRARIES))
        # llhttp is compiled in: its version is the header's it was built from
        self.assertRegex(self.named.get("llhttp", ""), r"^\d+\.\d+\.\d+$")


if __name__ == "__main__":
    unittest.main()
