"""--resolve and --connect-to (curl's syntax) against nginx over https with
a CA made at test time: the connection goes where the options say, while
SNI, the certificate check and the Host header keep the URL's name.

A silent DNS server is the resolver of every run that must not look
anything up: a query reaching it is counted and fails the test.
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import tls_peers as tp  # noqa: E402
import test_outputs  # noqa: E402  (the events schema validator)

RUN_TIMEOUT_S = 20
NAME = "www.example.test"     # in the good certificate's subjectAltName


def events(out):
    evs = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    validator = test_outputs.events_validator()
    for ev in evs:
        validator.validate(ev)
    return evs


def of_kind(evs, kind):
    return [e for e in evs if e["event"] == kind]


class ResolveAndConnectTo(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        try:
            cls.pki = tp.TestPki().start()
            cls.web = tp.TlsNginx(cls.pki).start()
            cls.dns = h.Dnsmasq().start()
            cls.guard = h.SilentUdp().start()
        except BaseException:
            h.stop_all_peers()
            raise
        cls.port = cls.web.ports["good"]

    @classmethod
    def tearDownClass(cls):
        cls.guard.stop()
        cls.dns.stop()
        cls.web.stop()
        cls.pki.stop()

    def setUp(self):
        self.queries_before = self.guard.received

    def assertNoDnsAsked(self):
        self.assertEqual(self.guard.received, self.queries_before, "a DNS query was sent")

    def run_json(self, *args, dns=None):
        argv = ["--ndjson", "-o", "/dev/null", "--cacert", self.pki.ca_file,
                "--dns-server", (dns or self.guard).server_arg, "--dns-timeout", "1", *args]
        code, out, err = h.run_webtrace(argv, timeout=RUN_TIMEOUT_S)
        return code, out, err, events(out) if out.startswith(b"{") else []

    def assertUrlNameKept(self, evs, host_header):
        hello = of_kind(evs, "tls_hello")[0]
        self.assertEqual(hello["sni"], NAME, "SNI keeps the URL's name")
        verify = of_kind(evs, "tls_verify")[0]
        self.assertTrue(verify["ok"], verify)
        leaf = [c for c in of_kind(evs, "tls_cert") if c["index"] == 0][0]
        self.assertEqual(leaf["matched"], NAME, "the certificate is checked against the URL's name")
        self.assertEqual(of_kind(evs, "http_request")[0]["host"], host_header)

    def test_resolve_pins_the_name_without_dns(self):
        url = f"https://{NAME}:{self.port}/"
        code, out, err, evs = self.run_json("--resolve", f"{NAME}:{self.port}:127.0.0.1", url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        pinned = of_kind(evs, "dns_pinned")
        self.assertEqual(len(pinned), 1)
        self.assertEqual((pinned[0]["name"], pinned[0]["port"], pinned[0]["addresses"]),
                         (NAME, self.port, ["127.0.0.1"]))
        self.assertEqual(of_kind(evs, "dns_query"), [])
        self.assertEqual(of_kind(evs, "tcp_established")[0]["remote"]["ip"], "127.0.0.1")
        self.assertUrlNameKept(evs, f"{NAME}:{self.port}")
        self.assertNoDnsAsked()

    def test_resolve_is_narrated(self):
        url = f"https://{NAME}:{self.port}/"
        code, out, err = h.run_webtrace(["-o", "/dev/null", "--cacert", self.pki.ca_file,
                                         "--dns-server", self.guard.server_arg,
                                         "--resolve", f"+{NAME}:{self.port}:[::1],127.0.0.1", url],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, rf"^\[dns \] no DNS: --resolve says {NAME} port {self.port} "
                                  r"is ::1, 127\.0\.0\.1$")
        self.assertNoDnsAsked()

    def test_resolve_wildcard_and_list_with_family_filter(self):
        url = f"https://{NAME}:{self.port}/"
        code, out, err, evs = self.run_json("-4", "--resolve", f"*:{self.port}:[::1],127.0.0.1",
                                            url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        pinned = of_kind(evs, "dns_pinned")[0]
        self.assertEqual((pinned["addresses"], pinned["dropped"]), (["127.0.0.1"], 1))
        self.assertUrlNameKept(evs, f"{NAME}:{self.port}")
        self.assertNoDnsAsked()

    def test_exact_entry_beats_wildcard_and_later_beats_earlier(self):
        url = f"https://{NAME}:{self.port}/"
        code, out, err, evs = self.run_json(
            "--resolve", f"*:{self.port}:127.0.0.9",
            "--resolve", f"{NAME}:{self.port}:127.0.0.8",
            "--resolve", f"{NAME.upper()}:{self.port}:127.0.0.1", url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(of_kind(evs, "dns_pinned")[0]["addresses"], ["127.0.0.1"])

    def test_resolve_for_another_port_asks_dns(self):
        url = f"https://{NAME}:{self.port}/"
        code, out, err, evs = self.run_json("--resolve", f"{NAME}:1:127.0.0.9", url,
                                            dns=self.dns)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(of_kind(evs, "dns_pinned"), [])
        self.assertTrue(of_kind(evs, "dns_query"))

    def test_resolve_with_no_address_of_the_family(self):
        url = f"https://{NAME}:{self.port}/"
        code, out, err, evs = self.run_json("-6", "--resolve", f"{NAME}:{self.port}:127.0.0.1",
                                            url)
        self.assertEqual(code, 6, h.describe(code, out, err))
        self.assertOneErrorLine(err, "dns", "--resolve", "IPv6")
        self.assertNoDnsAsked()

    def test_connect_to_keeps_the_url_name(self):
        # The URL says port 443; the connection goes to nginx's port.
        url = f"https://{NAME}/"
        code, out, err, evs = self.run_json("--connect-to", f"{NAME}:443:127.0.0.1:{self.port}",
                                            url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        ct = of_kind(evs, "connect_to")[0]
        self.assertEqual((ct["host"], ct["port"], ct["connect_host"], ct["connect_port"]),
                         (NAME, 443, "127.0.0.1", self.port))
        est = of_kind(evs, "tcp_established")[0]
        self.assertEqual((est["remote"]["ip"], est["remote"]["port"]), ("127.0.0.1", self.port))
        self.assertUrlNameKept(evs, NAME)
        self.assertNoDnsAsked()

    def test_connect_to_a_name_that_resolve_pins(self):
        url = f"https://{NAME}/"
        code, out, err, evs = self.run_json(
            "--connect-to", "nomatch.test:443:127.0.0.9:1",
            "--connect-to", f"::backend.test:{self.port}",
            "--resolve", f"backend.test:{self.port}:127.0.0.1", url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(of_kind(evs, "connect_to")[0]["connect_host"], "backend.test")
        self.assertEqual(of_kind(evs, "dns_pinned")[0]["name"], "backend.test")
        self.assertUrlNameKept(evs, NAME)
        self.assertNoDnsAsked()

    def test_first_matching_connect_to_wins_even_when_it_changes_nothing(self):
        url = f"https://{NAME}:{self.port}/"
        code, out, err, evs = self.run_json("--connect-to", ":::",
                                            "--connect-to", "::127.0.0.9:1",
                                            "--resolve", f"{NAME}:{self.port}:127.0.0.1", url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(of_kind(evs, "connect_to"), [], "a rule that changes nothing is silent")
        self.assertEqual(of_kind(evs, "tcp_established")[0]["remote"]["port"], self.port)

    def test_connect_to_is_narrated(self):
        code, out, err = h.run_webtrace(["-o", "/dev/null", "--cacert", self.pki.ca_file,
                                         "--connect-to", f":443:[::1]:{self.port}",
                                         f"https://{NAME}/"], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, rf"^\[dns \] --connect-to :443:\[::1\]:{self.port}: connecting "
                                  rf"to ::1 port {self.port} instead of {NAME} port 443; SNI, "
                                  rf"Host and the certificate check keep {NAME}$")

    def test_certificate_is_checked_against_the_url_name(self):
        # Sent to the right server under a name its certificate lacks: the
        # check fails, as it must (the name is the URL's, not the target's).
        code, out, err, evs = self.run_json("--connect-to", f"::localhost:{self.port}",
                                            "--resolve", f"localhost:{self.port}:127.0.0.1",
                                            "https://other.test/")
        self.assertEqual(code, 60, h.describe(code, out, err))
        self.assertEqual(of_kind(evs, "tls_hello")[0]["sni"], "other.test")

    def test_bad_values_are_usage_errors(self):
        for args in (["--resolve", f"{NAME}:{self.port}"],
                     ["--resolve", f"{NAME}:{self.port}:not-an-address"],
                     ["--connect-to", f"{NAME}:443:127.0.0.1"]):
            code, out, err = h.run_webtrace(args + [f"https://{NAME}/"], timeout=RUN_TIMEOUT_S)
            self.assertEqual(code, 2, h.describe(code, out, err))
            self.assertOneErrorLine(err, "options", args[0])


if __name__ == "__main__":
    unittest.main()
