"""webtrace's TLS step: a real nginx serving https with certificates from a
CA made at test time (tls_peers.TestPki), and scripted broken TLS servers,
all on loopback.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_tls.py
"""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import tls_peers as tp  # noqa: E402

RUN_TIMEOUT_S = 10   # backstop per run; a healthy run takes milliseconds
PROTO = r"TLSv1\.[23]"
CIPHER = r"[A-Z0-9][A-Z0-9_-]{5,}"   # TLS_AES_256_GCM_SHA384, ECDHE-ECDSA-AES128-GCM-SHA256
CA_CN = re.escape(tp.CA_NAME)
DATE = r"\d{4}-\d{2}-\d{2}"
IPV6_LOOPBACK = r"(::1|0:0:0:0:0:0:0:1)"

CLIENT_HELLO = r"^\[tls \] → ClientHello\b"
HANDSHAKE_DONE = r"^\[tls \] ← handshake done\b"
VERIFY_OK = r"^\[tls \] verification ok\b"
HTTP_REQUEST = r"^\[http\] → "
TLS_ERROR = re.compile(r"^webtrace: tls: \S.*$")


def utc_date(epoch):
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


class TlsAssertions(h.WebtraceCase):
    """Assertions shared by the TLS cases (harness.ERROR_LINE predates the
    tls step, so error lines are checked here)."""

    def assertTlsError(self, stderr, *words):
        """Exactly one error line, `webtrace: tls: ...`, containing words
        (regexes, case-insensitive)."""
        lines = h.error_lines(stderr)
        self.assertEqual(len(lines), 1, f"want exactly one error line\n--- stderr\n{stderr}")
        line = lines[0]
        self.assertRegex(line, TLS_ERROR, f"error line does not name the tls step\n{stderr}")
        for w in words:
            self.assertRegex(line, re.compile(w, re.I))
        return line

    def assertInOrder(self, stderr, *patterns):
        """Each pattern matches a line, and the first matches come in order."""
        lines = stderr.splitlines()
        last, last_pat = -1, None
        for pat in patterns:
            rx = re.compile(pat)
            idx = next((i for i, l in enumerate(lines) if rx.search(l)), None)
            if idx is None:
                self.fail(f"no narration line matches /{pat}/\n--- stderr\n{stderr}")
            if idx < last:
                self.fail(f"/{pat}/ (line {idx}) comes before /{last_pat}/ "
                          f"(line {last})\n--- stderr\n{stderr}")
            last, last_pat = idx, pat

    def assertRefusedBeforeHttp(self, code, out, err, expected_code):
        """A failed handshake or verification: the exit code, no body, and
        no HTTP request sent over the untrusted connection."""
        self.assertEqual(code, expected_code, h.describe(code, out, err))
        self.assertEqual(out, b"", "a body on stdout after a TLS failure")
        self.assertNoNarration(err, HTTP_REQUEST)


class TlsViaNginx(TlsAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        try:
            cls.pki = tp.TestPki().start()
            cls.web = tp.TlsNginx(cls.pki).start()
            cls.dns = tp.SniDnsmasq().start()
            # For localhost (hosts file) and IP literals: a query reaching
            # this silent resolver is counted and is a bug.
            cls.guard = h.SilentUdp().start()
        except BaseException:
            h.stop_all_peers()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.guard.stop()
        cls.dns.stop()
        cls.web.stop()
        cls.pki.stop()

    def tearDown(self):
        self.assertEqual(self.guard.received, 0, "a DNS query was sent for localhost or a literal")

    def trace(self, server, *extra, host="localhost", path="/", ca="cacert", dns=None):
        args = ["--dns-server", dns.server_arg if dns else self.guard.server_arg,
                "--dns-timeout", "1"]
        if ca == "cacert":
            args += ["--cacert", self.pki.ca_file]
        elif ca == "capath":
            args += ["--capath", self.pki.capath]
        return h.run_webtrace([*args, *extra, self.web.url(server, path, host)],
                              timeout=RUN_TIMEOUT_S)

    def assertHandshakeNarration(self, err, sni):
        """The ClientHello and handshake-done lines; sni is a name or None
        for an IP literal."""
        if sni is None:
            self.assertNarration(err, CLIENT_HELLO + r".* · no SNI \(IP address\) · ")
            self.assertNoNarration(err, CLIENT_HELLO + r".*\bSNI (?!\(IP)")
        else:
            self.assertNarration(err, CLIENT_HELLO + rf" · SNI {re.escape(sni)} · ")
        self.assertNarration(err, CLIENT_HELLO + r".* · ALPN h2, http/1\.1 · .*\bTLS 1\.2[–-]1\.3\b")
        self.assertNarration(err, HANDSHAKE_DONE + rf" in [0-9.]+ ms · {PROTO} · {CIPHER} · "
                                  r"(group \S+ · )?ALPN http/1\.1\b")

    def assertLeafNarration(self, err, cert, cn, matched, sans):
        """cert 0's subject, issuer, validity, days left and SAN lines."""
        not_before, not_after = self.pki.dates(cert)
        left = (not_after - time.time()) / 86400
        days = {int(left), int(left) + 1}
        m = re.search(rf"(?m)^\[tls \]\s+cert 0: subject CN ?= ?{re.escape(cn)} · "
                      rf"issuer CN ?= ?{CA_CN} · valid {utc_date(not_before)} → "
                      rf"{utc_date(not_after)} · (\d+) days left\b", err)
        self.assertTrue(m, f"no cert 0 line for CN={cn}\n--- stderr\n{err}")
        self.assertIn(int(m.group(1)), days, f"days left\n--- stderr\n{err}")
        self.assertNarration(err, rf"^\[tls \]\s+cert 0 SANs: {sans} · matched {re.escape(matched)}$")

    # -- success -------------------------------------------------------------

    def test_cacert_localhost_via_nginx(self):
        code, out, err = self.trace("good")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertHandshakeNarration(err, sni="localhost")
        self.assertLeafNarration(err, "good", "localhost", "localhost",
                                 r"DNS:localhost, DNS:www\.example\.test, DNS:real\.example\.test, "
                                 rf"IP Address:127\.0\.0\.1, IP Address:{IPV6_LOOPBACK}")
        # nginx sends the CA after the leaf for this server.
        self.assertNarration(err, rf"^\[tls \]\s+cert 1: subject CN ?= ?{CA_CN} · "
                                  rf"issuer CN ?= ?{CA_CN} · valid {DATE} → {DATE} · \d+ days left\b")
        self.assertNoNarration(err, r"^\[tls \]\s+cert 2\b")
        self.assertNarration(err, VERIFY_OK + r".*\btrusted CA\b.*\bname matches\b")
        self.assertInOrder(err, CLIENT_HELLO, HANDSHAKE_DONE, r"^\[tls \]\s+cert 0: ",
                           VERIFY_OK, HTTP_REQUEST, r"^\[http\] ← HTTP/1\.1 200 OK\b")
        self.assertNarration(err, r"^\[http\] → GET / HTTP/1\.1\b.*\bHost: localhost:"
                                  rf"{self.web.ports['good']}\b")
        self.assertEqual(h.error_lines(err), [])

    def test_capath_via_nginx(self):
        code, out, err = self.trace("good", ca="capath")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertNarration(err, VERIFY_OK)
        self.assertEqual(h.error_lines(err), [])

    def test_name_via_dnsmasq(self):
        code, out, err = self.trace("good", host="www.example.test", dns=self.dns)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertNarration(err, r"^\[dns \]\s+www\.example\.test CNAME alias\.example\.test\b")
        self.assertHandshakeNarration(err, sni="www.example.test")
        self.assertNarration(err, r"^\[tls \]\s+cert 0 SANs: .* · matched www\.example\.test$")
        self.assertNarration(err, VERIFY_OK)
        self.assertEqual(h.error_lines(err), [])

    def test_ipv4_literal_sends_no_sni(self):
        code, out, err = self.trace("good", host=h.LOOPBACK4)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertHandshakeNarration(err, sni=None)
        self.assertNarration(err, r"^\[tls \]\s+cert 0 SANs: .* · matched 127\.0\.0\.1$")
        self.assertNarration(err, VERIFY_OK)

    def test_ipv6_literal_sends_no_sni(self):
        if not h.have_ipv6():
            self.skipTest("no ::1")
        code, out, err = self.trace("good", host=h.LOOPBACK6)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertHandshakeNarration(err, sni=None)
        self.assertNarration(err, rf"^\[tls \]\s+cert 0 SANs: .* · matched {IPV6_LOOPBACK}$")
        self.assertNarration(err, VERIFY_OK)

    def test_ip_only_cert_matches_ip_literal(self):
        code, out, err = self.trace("ip_only", host=h.LOOPBACK4)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertLeafNarration(err, "ip_only", "127.0.0.1", "127.0.0.1",
                                 r"IP Address:127\.0\.0\.1")
        self.assertNarration(err, VERIFY_OK)

    def test_connection_close_location(self):
        code, out, err = self.trace("good", path="/close")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertEqual(h.error_lines(err), [])

    def test_big_body_via_nginx(self):
        code, out, err = self.trace("good", path="/big")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(len(out), h.Nginx.BIG_SIZE)
        self.assertTrue(out == h.Nginx.big_bytes(), "the 1 MiB body differs")
        self.assertNarration(err, rf"^\[http\] ← body {h.Nginx.BIG_SIZE} bytes\b")
        self.assertEqual(h.error_lines(err), [])

    def test_several_urls_one_run(self):
        urls = [self.web.url("good"), self.web.url("ip_only", host=h.LOOPBACK4),
                self.web.url("good", "/close")]
        code, out, err = h.run_webtrace(["--dns-server", self.guard.server_arg,
                                         "--cacert", self.pki.ca_file, *urls],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes() * 3)
        # The third URL goes to the first one's origin: it reuses that
        # connection, TLS session included, so two handshakes are verified.
        self.assertEqual(len(re.findall(r"(?m)^\[tls \] verification ok\b", err)), 2, err)
        self.assertEqual(len(re.findall(r"(?m)^\[tls \] → ClientHello · no SNI\b", err)), 1, err)
        self.assertNarration(err, r"^\[conn\] reusing connection #1 to https://localhost:\d+: "
                                  r"no DNS, no TCP handshake, no TLS handshake; idle ")
        self.assertEqual(h.error_lines(err), [])

    def test_failed_verification_then_success_exit_code(self):
        # "the exit code is that of the last one that failed"
        urls = [self.web.url("wrong_host"), self.web.url("good")]
        code, out, err = h.run_webtrace(["--dns-server", self.guard.server_arg,
                                         "--cacert", self.pki.ca_file, *urls],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 60, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertTlsError(err, r"hostname mismatch")
        self.assertEqual(len(re.findall(r"(?m)^\[http\] → GET\b", err)), 1, err)

    def test_control_bytes_in_certificate_are_escaped(self):
        code, out, err = self.trace("control_bytes")
        self.assertRefusedBeforeHttp(code, out, err, 60)
        self.assertTlsError(err, r"hostname mismatch")
        raw = [c for c in err if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
        self.assertEqual(raw, [], f"control characters reached the terminal\n{err!r}")
        # README: control bytes, ESC and the C1 range are shown as \xHH.
        self.assertNarration(err, r"(?i)^\[tls \]\s+cert 0 SANs: DNS:evil\\x1b\[31m\.test$")
        self.assertNarration(err, r"(?i)^\[tls \]\s+cert 0: subject CN ?= ?evil\\x1b\[2J\\x07"
                                  r"(\\xc2)?\\x9bname · ")

    def test_sni_picks_certificate_via_dnsmasq(self):
        for name in tp.SniDnsmasq.SNI_NAMES:
            with self.subTest(name=name):
                code, out, err = self.trace("sni", host=name, dns=self.dns)
                self.assertEqual(code, 0, h.describe(code, out, err))
                self.assertEqual(out, h.Nginx.index_bytes())
                self.assertHandshakeNarration(err, sni=name)
                cert = "sni_" + name[0]
                self.assertLeafNarration(err, cert, name, name, rf"DNS:{re.escape(name)}")
                self.assertNarration(err, VERIFY_OK)

    # -- verification failures (exit 60) -----------------------------------

    def verify_fails(self, server, reason, host="localhost"):
        code, out, err = self.trace(server, host=host)
        self.assertRefusedBeforeHttp(code, out, err, 60)
        self.assertTlsError(err, r"^webtrace: tls: certificate verification failed: ", reason)
        self.assertNoNarration(err, VERIFY_OK)
        return err

    def test_wrong_hostname(self):
        self.verify_fails("wrong_host", r"hostname mismatch")

    def test_expired(self):
        self.verify_fails("expired", r"\bexpired\b")

    def test_not_yet_valid(self):
        self.verify_fails("not_yet_valid", r"\bnot yet valid\b")

    def test_self_signed(self):
        self.verify_fails("self_signed", r"\bself[- ]signed\b")

    def test_unknown_ca(self):
        self.verify_fails("unknown_ca", r"unable to get local issuer|unknown")

    def test_ip_only_cert_rejects_name(self):
        self.verify_fails("ip_only", r"hostname mismatch")

    def test_default_store_does_not_trust_test_ca(self):
        # Without --cacert/--capath the system store is used; it does not
        # hold the test CA, which nginx sends (self-signed) after the leaf.
        code, out, err = self.trace("good", ca=None)
        self.assertRefusedBeforeHttp(code, out, err, 60)
        self.assertTlsError(err, r"^webtrace: tls: certificate verification failed: ",
                            r"self[- ]signed certificate in certificate chain|"
                            r"unable to get local issuer")

    # -- -k ----------------------------------------------------------------

    def test_insecure_wrong_hostname(self):
        for flag in ("-k", "--insecure"):
            with self.subTest(flag=flag):
                code, out, err = self.trace("wrong_host", flag)
                self.assertEqual(code, 0, h.describe(code, out, err))
                self.assertEqual(out, h.Nginx.index_bytes())
                self.assertNarration(err, r"^\[tls \] verification (SKIPPED|skipped)\b"
                                          r".*\bhostname mismatch\b")
                self.assertNoNarration(err, VERIFY_OK)
                self.assertEqual(h.error_lines(err), [])


class TlsHostilePeers(TlsAssertions, unittest.TestCase):
    """Broken TLS servers: the handshake must fail (35) or time out (28),
    never hang, and nothing may be sent as HTTP."""

    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        try:
            cls.dns = h.Dnsmasq().start()
            cls.guard = h.SilentUdp().start()
        except BaseException:
            h.stop_all_peers()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.guard.stop()
        cls.dns.stop()

    def setUp(self):
        self.peer = None

    def tearDown(self):
        if self.peer:
            self.peer.stop()
            self.assertEqual(self.peer.errors, [])
        self.assertEqual(self.guard.received, 0, "a DNS query was sent for a literal")

    def start(self, mode):
        self.peer = tp.HostileTls(mode).start()
        return self.peer

    def trace(self, *args, timeout=RUN_TIMEOUT_S):
        return h.run_webtrace(["--dns-server", self.guard.server_arg, "--dns-timeout", "1",
                               *args], timeout=timeout)

    def test_plaintext_garbage(self):
        peer = self.start("plaintext_garbage")
        code, out, err = self.trace(peer.url())
        self.assertRefusedBeforeHttp(code, out, err, 35)
        self.assertTlsError(err, r"^webtrace: tls: TLS handshake failed\b")
        self.assertNarration(err, CLIENT_HELLO)

    def test_close_mid_handshake(self):
        peer = self.start("close_mid_handshake")
        code, out, err = self.trace(peer.url())
        self.assertRefusedBeforeHttp(code, out, err, 35)
        self.assertTlsError(err, r"^webtrace: tls: TLS handshake failed\b")
        self.assertEqual(len(peer.hellos), 1, peer.hellos)

    def test_silent_connect_timeout(self):
        self.silent_times_out("--connect-timeout", "--connect-timeout")

    def test_silent_max_time(self):
        self.silent_times_out("-m", "--max-time")

    def silent_times_out(self, flag, named):
        peer = self.start("silent")
        t0 = time.monotonic()
        code, out, err = self.trace(flag, "1", peer.url())
        elapsed = time.monotonic() - t0
        self.assertRefusedBeforeHttp(code, out, err, 28)
        self.assertGreaterEqual(elapsed, 0.9, f"gave up too early\n{err}")
        self.assertLess(elapsed, 3.0, f"took {elapsed:.2f} s for a 1 s limit\n{err}")
        # The error names the step (tls) and the limit that ran out.
        self.assertTlsError(err, re.escape(named))
        self.assertEqual(len(peer.hellos), 1, peer.hellos)

    # -- what the ClientHello carries, seen on the wire ------------------------

    def test_client_hello_on_the_wire_ip_literal(self):
        peer = self.start("close_mid_handshake")
        code, out, err = self.trace(peer.url())
        self.assertEqual(code, 35, h.describe(code, out, err))
        self.assertEqual(len(peer.hellos), 1, peer.hellos)
        hello = peer.hellos[0]
        self.assertIsInstance(hello, tp.ClientHello, f"not a ClientHello: {hello!r}")
        self.assertIsNone(hello.sni, "SNI sent for an IP literal")
        self.assertEqual(hello.alpn, ["h2", "http/1.1"])   # as curl: h2 first

    def test_client_hello_on_the_wire_name(self):
        peer = self.start("close_mid_handshake")
        code, out, err = h.run_webtrace(
            ["--dns-server", self.dns.server_arg, "--dns-timeout", "1",
             peer.url(host=h.Dnsmasq.V4ONLY_NAME)], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 35, h.describe(code, out, err))
        self.assertEqual(len(peer.hellos), 1, peer.hellos)
        hello = peer.hellos[0]
        self.assertIsInstance(hello, tp.ClientHello, f"not a ClientHello: {hello!r}")
        self.assertEqual(hello.sni, h.Dnsmasq.V4ONLY_NAME)
        self.assertEqual(hello.alpn, ["h2", "http/1.1"])   # as curl: h2 first
        self.assertNarration(err, CLIENT_HELLO + rf" · SNI {re.escape(h.Dnsmasq.V4ONLY_NAME)} · ")


class TlsScriptedEndings(TlsAssertions, unittest.TestCase):
    """How a response over TLS ends: a real TLS server (Python's ssl) that
    closes with or without close_notify."""

    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        try:
            cls.pki = tp.TestPki().start()
            cls.guard = h.SilentUdp().start()
        except BaseException:
            h.stop_all_peers()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.guard.stop()
        cls.pki.stop()

    def setUp(self):
        self.peer = None

    def tearDown(self):
        if self.peer:
            self.peer.stop()
            self.assertEqual(self.peer.errors, [])
            self.assertEqual(len(self.peer.requests), 1, self.peer.requests)
        self.assertEqual(self.guard.received, 0, "a DNS query was sent for localhost")

    def trace(self, mode):
        self.peer = tp.ScriptedTls(mode, self.pki).start()
        return h.run_webtrace(["--dns-server", self.guard.server_arg, "--dns-timeout", "1",
                               "--cacert", self.pki.ca_file, self.peer.url(host="localhost")],
                              timeout=RUN_TIMEOUT_S)

    def test_close_delimited_with_close_notify(self):
        code, out, err = self.trace("close_delimited")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, tp.ScriptedTls.BODY)
        self.assertNarration(err, VERIFY_OK)
        self.assertEqual(h.error_lines(err), [])

    def test_close_delimited_without_close_notify(self):
        # README: 56, EOF without close_notify on a body that ends at close.
        code, out, err = self.trace("close_delimited_no_notify")
        self.assertEqual(code, 56, h.describe(code, out, err))
        self.assertTlsError(err, r"close_notify")

    def test_truncated_body_without_close_notify(self):
        code, out, err = self.trace("truncated_body")
        self.assertEqual(code, 18, h.describe(code, out, err))
        lines = h.error_lines(err)
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], r"^webtrace: (http|tls): .*\b10\b.*\b1000\b")


if __name__ == "__main__":
    unittest.main(verbosity=2)
