"""International host names (IDNA 2008, UTS #46 non-transitional, libidn2)
through dnsmasq holding the xn-- record, and nginx over https with a
certificate for the xn-- name made at test time: DNS, SNI, the certificate
check and Host all use the A-label; the narration shows both forms. Plus
invalid names (exit 3 with libidn2's reason) and a non-ASCII path, sent
percent-encoded as curl sends it.
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
U_NAME = "例子.测试"
A_NAME = "xn--fsqu00a.xn--0zwm56d"


class IdnPki(tp.TestPki):
    CERTS = dict(tp.TestPki.CERTS, idn=(A_NAME, f"DNS:{A_NAME}", "ca", "now"))


class IdnNginx(tp.TlsNginx):
    SERVERS = tp.TlsNginx.SERVERS + ("idn",)


class IdnDnsmasq(h.Dnsmasq):
    name = "dnsmasq-idn"

    def _argv(self):
        return super()._argv() + [f"--host-record={A_NAME},{h.LOOPBACK4},300"]


def events(out):
    evs = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    validator = test_outputs.events_validator()
    for ev in evs:
        validator.validate(ev)
    return evs


def of_kind(evs, kind):
    return [e for e in evs if e["event"] == kind]


class Idn(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        try:
            cls.pki = IdnPki().start()
            cls.tls = IdnNginx(cls.pki).start()
            cls.web = h.Nginx().start()
            cls.dns = IdnDnsmasq().start()
        except BaseException:
            h.stop_all_peers()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()
        cls.web.stop()
        cls.tls.stop()
        cls.pki.stop()

    def trace(self, url, *extra, json_out=True):
        args = ["-o", "/dev/null", "--dns-server", self.dns.server_arg, "--dns-timeout", "2",
                "--cacert", self.pki.ca_file, *extra, url]
        if json_out:
            args.insert(0, "--ndjson")
        return h.run_webtrace(args, timeout=RUN_TIMEOUT_S)

    def test_http_name_is_looked_up_and_sent_as_a_label(self):
        code, out, err = self.trace(f"http://{U_NAME}:{self.web.port}/")
        self.assertEqual(code, 0, h.describe(code, out, err))
        evs = events(out)
        url = of_kind(evs, "url")[0]
        self.assertEqual((url["host"], url["host_unicode"]), (A_NAME, U_NAME))
        self.assertTrue(all(q["qname"] == A_NAME for q in of_kind(evs, "dns_query")))
        self.assertEqual(of_kind(evs, "http_request")[0]["host"], f"{A_NAME}:{self.web.port}")
        self.assertEqual(of_kind(evs, "http_status")[0]["status"], 200)

    def test_narration_shows_both_forms(self):
        code, out, err = self.trace(f"http://{U_NAME}:{self.web.port}/", json_out=False)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, rf"^\[url \] http://{A_NAME}:{self.web.port}/ → host "
                                  rf"{U_NAME} → {A_NAME} \(international name")

    def test_https_sni_and_certificate_use_the_a_label(self):
        code, out, err = self.trace(f"https://{U_NAME}:{self.tls.ports['idn']}/")
        self.assertEqual(code, 0, h.describe(code, out, err))
        evs = events(out)
        self.assertEqual(of_kind(evs, "tls_hello")[0]["sni"], A_NAME)
        self.assertTrue(of_kind(evs, "tls_verify")[0]["ok"])
        leaf = [c for c in of_kind(evs, "tls_cert") if c["index"] == 0][0]
        self.assertEqual(leaf["matched"], A_NAME)

    def test_resolve_takes_the_name_in_either_form(self):
        for pinned in (U_NAME, A_NAME):
            code, out, err = self.trace(f"http://{U_NAME}:{self.web.port}/", "--resolve",
                                        f"{pinned}:{self.web.port}:127.0.0.1")
            self.assertEqual(code, 0, h.describe(code, out, err))
            evs = events(out)
            self.assertEqual(of_kind(evs, "dns_query"), [])
            self.assertEqual(of_kind(evs, "dns_pinned")[0]["name"], A_NAME)

    def test_invalid_names_exit_3_with_the_reason(self):
        for host, reason in (("☃-⌘.com", "disallowed character"),
                             ("-例子.测试", "hyphen"),
                             ("a\u200db.test", "context-j")):
            code, out, err = self.trace(f"http://{host}/", json_out=False)
            self.assertEqual(code, 3, h.describe(code, out, err))
            self.assertOneErrorLine(err, "url", "xn-- form", reason)

    def test_non_ascii_path_is_percent_encoded(self):
        code, out, err = self.trace(f"http://{U_NAME}:{self.web.port}/路径?q=é")
        self.assertEqual(code, 0, h.describe(code, out, err))
        req = of_kind(events(out), "http_request")[0]
        self.assertEqual(req["target"], "/%E8%B7%AF%E5%BE%84?q=%C3%A9")
        self.assertEqual(of_kind(events(out), "http_status")[0]["status"], 404)


if __name__ == "__main__":
    unittest.main()
