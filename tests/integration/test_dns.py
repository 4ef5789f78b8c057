"""webtrace's DNS step against a real dnsmasq (and a silent / closed UDP
server) on loopback. Every run passes --dns-server so no query can leave
the machine.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_dns.py
"""

import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

ID = r"0x[0-9a-f]{1,4}"


class DnsViaDnsmasq(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.dns = h.Dnsmasq().start()
        try:
            cls.web = h.Nginx().start()
        except BaseException:
            cls.dns.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()
        cls.dns.stop()

    def trace(self, host, *extra, timeout=20):
        url = f"http://{host}:{self.web.port}/"
        return h.run_webtrace(["--dns-server", self.dns.server_arg, *extra, url],
                              timeout=timeout)

    def test_cname_chain_via_dnsmasq(self):
        code, out, err = self.trace("www.example.test")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        port, dport = self.web.port, self.dns.port
        self.assertNarration(err, rf"^\[url \] http://www\.example\.test:{port}/ → "
                                  rf"host www\.example\.test\b.*\bport {port}\b")
        # one [dns ] line names the resolver, transport, types and name (any order)
        self.assertNarration(err, rf"^\[dns \] (?=.*\bresolver 127\.0\.0\.1:{dport}\b)(?=.*\bUDP\b)"
                                  rf"(?=.*\bA and AAAA\b)(?=.*\bwww\.example\.test\b)")
        queries = {}
        for qtype in ("A", "AAAA"):
            rx = re.compile(rf"^\[dns \] → query {qtype} www\.example\.test\b.*\bid ({ID})\b"
                            rf".*\bUDP to 127\.0\.0\.1:{dport}\b")
            ids = [m.group(1) for m in map(rx.search, err.splitlines()) if m]
            self.assertTrue(ids, f"no query {qtype} line\n--- stderr\n{err}")
            queries[qtype] = ids
        replies = re.findall(rf"(?m)^\[dns \] ← reply id ({ID})\b.*\bNOERROR\b.*\b3 answers\b", err)
        self.assertGreaterEqual(len(replies), 2, f"want 2 NOERROR replies with 3 answers\n{err}")
        self.assertEqual(set(replies), {i for ids in queries.values() for i in ids},
                         f"reply ids do not match query ids\n{err}")
        self.assertNarration(err, r"^\[dns \]\s+www\.example\.test CNAME alias\.example\.test\b.*\bttl 60\b")
        self.assertNarration(err, r"^\[dns \]\s+alias\.example\.test CNAME real\.example\.test\b.*\bttl 120\b")
        self.assertNarration(err, r"^\[dns \]\s+real\.example\.test A 127\.0\.0\.1\b.*\bttl 300\b")
        self.assertNarration(err, r"^\[dns \]\s+real\.example\.test AAAA ::1\b.*\bttl 300\b")
        self.assertNarration(err, r"^\[dns \] resolved www\.example\.test → 2 addresses\b")
        self.assertNarration(err, rf"^\[tcp \] connecting to (127\.0\.0\.1|\[?::1\]?) port {port}\b")
        self.assertNarration(err, rf"^\[tcp \] connected (127\.0\.0\.1|\[::1\]):{port} from "
                                  rf"(127\.0\.0\.1|\[::1\]):\d+\b.*\bESTABLISHED\b")
        self.assertNarration(err, rf"^\[http\] → GET / HTTP/1\.1\b.*\bHost: www\.example\.test:{port}\b")
        self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 200 OK\b")
        self.assertEqual(h.error_lines(err), [])

    def test_v4only_name_aaaa_nodata_still_connects(self):
        code, out, err = self.trace("v4only.example.test")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[dns \]\s+v4only\.example\.test A 127\.0\.0\.1\b.*\bttl 300\b")
        self.assertNarration(err, r"^\[dns \] resolved v4only\.example\.test → 1 address\b")
        self.assertNarration(err, rf"^\[tcp \] connected 127\.0\.0\.1:{self.web.port}\b")

    def test_nxdomain_via_dnsmasq(self):
        code, out, err = self.trace(h.Dnsmasq.NX_NAME)
        self.assertEqual(code, 6, h.describe(code, out, err))
        line = self.assertOneErrorLine(err, "dns", re.escape(h.Dnsmasq.NX_NAME),
                                       r"\bNXDOMAIN\b", r"127\.0\.0\.1")
        self.assertIn(str(self.dns.port), line, "error line should name the server's port")
        self.assertNarration(err, rf"^\[dns \] ← reply id {ID}\b.*\bNXDOMAIN\b")
        self.assertNoNarration(err, r"^\[tcp \]")
        self.assertEqual(out, b"")

    def test_refused_via_dnsmasq(self):
        code, out, err = self.trace(h.Dnsmasq.REFUSED_NAME)
        self.assertEqual(code, 6, h.describe(code, out, err))
        self.assertOneErrorLine(err, "dns", re.escape(h.Dnsmasq.REFUSED_NAME), r"\bREFUSED\b")
        self.assertNarration(err, rf"^\[dns \] ← reply id {ID}\b.*\bREFUSED\b")
        self.assertNoNarration(err, r"^\[tcp \]")

    def test_ipv4_literal_no_dns(self):
        code, out, err = self.trace("127.0.0.1")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[dns \] 127\.0\.0\.1 is an IPv4 literal\b")
        self.assertNoNarration(err, r"→ query\b")
        self.assertNoNarration(err, r"← reply\b")
        self.assertNarration(err, rf"^\[tcp \] connected 127\.0\.0\.1:{self.web.port}\b")

    @unittest.skipUnless(h.have_ipv6(), "no ::1")
    def test_ipv6_literal_no_dns(self):
        code, out, err = self.trace("[::1]")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[dns \] \[?::1\]? is an IPv6 literal\b")
        self.assertNoNarration(err, r"→ query\b")
        self.assertEqual(out, h.Nginx.index_bytes())

    def test_hosts_file_localhost(self):
        # /etc/hosts maps localhost; the dnsmasq --dns-server must see nothing.
        code, out, err = self.trace("localhost")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[dns \] localhost found in the hosts file\b")
        self.assertNoNarration(err, r"→ query\b")
        self.assertEqual(out, h.Nginx.index_bytes())

    def test_family_4_asks_only_a(self):
        code, out, err = self.trace("www.example.test", "-4")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[dns \] → query A www\.example\.test\b")
        self.assertNoNarration(err, r"→ query AAAA\b")
        self.assertNoNarration(err, r"\bAAAA ::1\b")
        self.assertNarration(err, rf"^\[tcp \] connected 127\.0\.0\.1:{self.web.port}\b")
        self.assertNoNarration(err, r"^\[tcp \].*::1")

    @unittest.skipUnless(h.have_ipv6(), "no ::1")
    def test_family_6_asks_only_aaaa(self):
        code, out, err = self.trace("www.example.test", "-6")
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[dns \] → query AAAA www\.example\.test\b")
        self.assertNoNarration(err, r"→ query A\b")
        self.assertNarration(err, rf"^\[tcp \] connected \[::1\]:{self.web.port}\b")
        self.assertNoNarration(err, r"^\[tcp \].*127\.0\.0\.1")
        self.assertEqual(out, h.Nginx.index_bytes())

    def test_family_6_v4only_name_fails_resolve(self):
        code, out, err = self.trace("v4only.example.test", "-6")
        self.assertEqual(code, 6, h.describe(code, out, err))
        self.assertOneErrorLine(err, "dns", r"v4only\.example\.test")
        self.assertNoNarration(err, r"^\[tcp \]")


class DnsServerFailures(h.WebtraceCase, unittest.TestCase):
    """Servers that do not answer: nobody listening, or a silent socket.
    The target never matters: resolution must fail first."""

    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.silent = h.SilentUdp().start()

    @classmethod
    def tearDownClass(cls):
        cls.silent.stop()

    def test_silent_server_timeout(self):
        t0 = time.monotonic()
        code, out, err = h.run_webtrace(["--dns-server", self.silent.server_arg,
                                         "--dns-timeout", "1",
                                         "http://www.example.test:9/"], timeout=20)
        elapsed = time.monotonic() - t0
        self.assertEqual(code, 28, h.describe(code, out, err))
        self.assertLess(elapsed, 4.0, f"--dns-timeout 1 took {elapsed:.1f} s")
        self.assertGreaterEqual(self.silent.received, 1, "no query reached the silent server")
        self.assertOneErrorLine(err, "dns", r"www\.example\.test")
        self.assertNoNarration(err, r"^\[tcp \]")

    def test_unreachable_server_closed_udp_port(self):
        port = h.closed_port("udp")
        t0 = time.monotonic()
        code, out, err = h.run_webtrace(["--dns-server", f"127.0.0.1:{port}",
                                         "--dns-timeout", "3",
                                         "http://www.example.test:9/"], timeout=20)
        elapsed = time.monotonic() - t0
        self.assertEqual(code, 6, h.describe(code, out, err))
        self.assertOneErrorLine(err, "dns", r"refused|unreachable")
        # ICMP port unreachable is immediate: no need to wait for the timeout
        self.assertLess(elapsed, 2.5, f"closed port took {elapsed:.1f} s")


class DnsSilentFirstServer(h.WebtraceCase, unittest.TestCase):
    """A dead first --dns-server and a working second one: the dead one is
    named when the resolver moves on, and each reply's time is its own
    round trip, not the time since the first copy of the query."""

    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.silent = h.SilentUdp().start()
        try:
            cls.dns = h.Dnsmasq().start()
        except BaseException:
            cls.silent.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()
        cls.silent.stop()

    def test_silent_server_is_named_and_rtt_is_the_reply_own(self):
        code, out, err = h.run_webtrace(["--ndjson", "--dns-server", self.silent.server_arg,
                                         "--dns-server", self.dns.server_arg,
                                         "--dns-timeout", "2", "-4",
                                         "http://real.example.test:9/"], timeout=20)
        self.assertEqual(code, 7, h.describe(code, out, err))   # resolved; nothing on port 9
        evs = [json.loads(l) for l in out.decode().splitlines() if l.startswith("{")]
        silent = [e for e in evs if e["event"] == "dns_no_answer"]
        self.assertEqual(len(silent), 1, err)
        self.assertEqual((silent[0]["server"]["port"], silent[0]["next"]["port"], silent[0]["qtype"]),
                         (self.silent.port, self.dns.port, "A"))
        asked = [e for e in evs if e["event"] == "dns_query"]
        self.assertEqual([q["server"]["port"] for q in asked], [self.silent.port, self.dns.port])
        reply = [e for e in evs if e["event"] == "dns_reply"][0]
        self.assertEqual(reply["server"]["port"], self.dns.port)
        # The reply's round trip is measured from the query sent to dnsmasq
        # (event times, not the wall clock): never from the first copy, the
        # one the dead server got a whole timeout earlier.
        self.assertLess(reply["rtt_us"], reply["t_us"] - asked[0]["t_us"])
        self.assertLess(reply["rtt_us"], silent[0]["waited_us"])
        self.assertNarration(err, rf"^\[dns \] ✗ no answer from 127\.0\.0\.1:{self.silent.port} "
                                  rf"to query A real\.example\.test \(id {ID}\) after .*: asking "
                                  rf"127\.0\.0\.1:{self.dns.port} instead$")

    def test_name_of_254_bytes_goes_to_the_resolver(self):
        name = ".".join(["n" * 50] * 5)[:254]   # 254 bytes: one over what DNS allows
        self.assertEqual(len(name), 254)
        code, out, err = h.run_webtrace(["--dns-server", self.dns.server_arg,
                                         "--dns-timeout", "2", f"http://{name}/"], timeout=20)
        self.assertEqual(code, 6, h.describe(code, out, err))   # curl: 6, not 3
        self.assertOneErrorLine(err, "dns", "254 bytes", "at most 253")


if __name__ == "__main__":
    unittest.main()
