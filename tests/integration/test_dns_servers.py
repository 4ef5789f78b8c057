"""DNS that never hides a failure, against two DNS servers no one here
wrote (dnsmasq and Debian's unbound, each started on a loopback port by the
test) and a scripted server that answers one type and ignores the other:

- a CNAME chain is narrated link by link;
- a dead first --dns-server is named when the resolver moves on to the
  real one, whose reply is timed from the copy of the query it got;
- an answer of 40 A records is listed whole in --ndjson, and in the text
  narration up to a limit plus an "… and N more" line, never cut silently;
  every address reaches the Happy Eyeballs race (only one of them has a
  server behind it);
- NXDOMAIN and SERVFAIL end the lookup with exit 6, as curl;
- a name of 254 bytes goes to the DNS, which decides (6, as curl);
- when A fails and AAAA is never answered: NXDOMAIN settles it at once,
  SERVFAIL after the budget, and both exit 6, not 28; when A brings an
  address and AAAA is never answered, the address is used once the budget
  ends, and the silent type is said.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_dns_servers.py
"""

import json
import os
import re
import shutil
import socket
import struct
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

ID = r"0x[0-9a-f]{1,4}"
RECORDS_SHOWN = 16   # render_text.c DNS_RECORDS_SHOWN


def events(out):
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


class _DnsCases(h.WebtraceCase):
    """The same cases against each server; subclasses start it as cls.dns."""

    peer = None

    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        cls.dns = cls.peer().start()
        try:
            cls.web = h.Nginx().start()
        except BaseException:
            cls.dns.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()
        cls.dns.stop()

    def trace(self, host, *extra, timeout=30):
        url = f"http://{host}:{self.web.port}/"
        return h.run_webtrace(["--dns-server", self.dns.server_arg, "--dns-timeout", "10",
                               *extra, url], timeout=timeout)

    def test_cname_chain(self):
        code, out, err = self.trace(self.dns.CNAME_NAME)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertNarration(err, r"^\[dns \]\s+www\.example\.test CNAME alias\.example\.test\b.*\bttl 60\b")
        self.assertNarration(err, r"^\[dns \]\s+alias\.example\.test CNAME real\.example\.test\b.*\bttl 120\b")
        self.assertNarration(err, r"^\[dns \]\s+real\.example\.test A 127\.0\.0\.1\b.*\bttl 300\b")
        self.assertNarration(err, r"^\[dns \]\s+real\.example\.test AAAA ::1\b.*\bttl 300\b")
        self.assertNarration(err, r"^\[dns \] resolved www\.example\.test → 2 addresses\b")
        self.assertEqual(h.error_lines(err), [])

    def test_forty_records_all_listed_in_ndjson_and_all_raced(self):
        code, out, err = self.trace(self.dns.MANY_NAME, "-4", "--ndjson")
        self.assertEqual(code, 0, h.describe(code, out, err))
        evs = events(out)
        listed = [e["data"] for e in evs
                  if e["event"] == "dns_record" and e["type"] == "A" and e["name"] == self.dns.MANY_NAME]
        want = sorted(h.Dnsmasq.many_addresses())
        self.assertEqual(sorted(listed), want, "every A record listed once (the truncated UDP "
                                               "reply's part is not)")
        done = [e for e in evs if e["event"] == "dns_done"]
        self.assertEqual(len(done), 1, err)
        self.assertEqual(sorted(done[0]["addresses"]), want)
        # The only address with a server behind it is 127.0.0.1, wherever
        # the DNS put it in the list: the race reaches it.
        won = [e for e in evs if e["event"] == "tcp_established"]
        self.assertEqual(len(won), 1, err)
        self.assertEqual(won[0]["remote"]["ip"], "127.0.0.1")
        self.assertTrue(any(e["event"] == "dns_tcp_retry" for e in evs),
                        "40 A records do not fit a UDP reply without EDNS: a TCP retry")

    def test_forty_records_text_says_how_many_are_not_listed(self):
        code, out, err = self.trace(self.dns.MANY_NAME, "-4")
        self.assertEqual(code, 0, h.describe(code, out, err))
        name = re.escape(self.dns.MANY_NAME)
        shown = re.findall(rf"(?m)^\[dns \]\s+{name} A 127\.", err)
        self.assertEqual(len(shown), RECORDS_SHOWN, err)
        more = self.dns.MANY_COUNT - RECORDS_SHOWN
        self.assertNarration(err, rf"^\[dns \]\s+… and {more} more records \(all of them in --ndjson\)$")
        self.assertNarration(err, rf"^\[dns \] resolved {name} → {self.dns.MANY_COUNT} addresses\b"
                                  rf".* … and {more} more \(every one is tried\)$")

    def test_silent_first_server_is_named_and_each_reply_timed_alone(self):
        silent = h.SilentUdp().start()
        try:
            code, out, err = h.run_webtrace(["--ndjson", "--dns-server", silent.server_arg,
                                             "--dns-server", self.dns.server_arg,
                                             "--dns-timeout", "4", "-4",
                                             f"http://{self.dns.REAL_NAME}:{self.web.port}/"],
                                            timeout=30)
        finally:
            silent.stop()
        self.assertEqual(code, 0, h.describe(code, out, err))
        evs = events(out)
        named = [e for e in evs if e["event"] == "dns_no_answer"]
        self.assertEqual([(e["server"]["port"], e["next"]["port"]) for e in named],
                         [(silent.port, self.dns.port)], err)
        sent = [e for e in evs if e["event"] == "dns_query"]
        reply = [e for e in evs if e["event"] == "dns_reply"]
        self.assertEqual([e["server"]["port"] for e in reply], [self.dns.port], err)
        # its own round trip: from the copy sent to this server, never from
        # the first copy, the one the silent server got a timeout earlier
        self.assertEqual([e["server"]["port"] for e in sent], [silent.port, self.dns.port], err)
        self.assertLess(reply[0]["rtt_us"], reply[0]["t_us"] - sent[0]["t_us"])
        self.assertLess(reply[0]["rtt_us"], named[0]["waited_us"])
        self.assertNarration(err, rf"^\[dns \] ✗ no answer from 127\.0\.0\.1:{silent.port} to query A "
                                  rf".*: asking 127\.0\.0\.1:{self.dns.port} instead$")

    def test_nxdomain(self):
        code, out, err = self.trace(self.dns.NX_NAME)
        self.assertEqual(code, 6, h.describe(code, out, err))
        self.assertOneErrorLine(err, "dns", re.escape(self.dns.NX_NAME), r"\bNXDOMAIN\b",
                                rf"127\.0\.0\.1:{self.dns.port}")
        self.assertNarration(err, rf"^\[dns \] ← reply id {ID}\b.*\bNXDOMAIN\b")
        self.assertNoNarration(err, r"^\[tcp \]")

    def test_name_of_254_bytes_goes_to_the_dns(self):
        name = ".".join(["n" * 50] * 5)[:254]
        self.assertEqual(len(name), 254)
        code, out, err = h.run_webtrace(["--dns-server", self.dns.server_arg,
                                         "--dns-timeout", "3", f"http://{name}/"], timeout=30)
        self.assertEqual(code, 6, h.describe(code, out, err))   # curl: 6, not 3
        self.assertOneErrorLine(err, "dns", "254 bytes", "at most 253")


class DnsViaDnsmasq(_DnsCases, unittest.TestCase):
    peer = h.Dnsmasq


@unittest.skipUnless(shutil.which("unbound") or os.path.exists("/usr/sbin/unbound"),
                     "unbound is not installed (scripts/setup.sh installs it)")
class DnsViaUnbound(_DnsCases, unittest.TestCase):
    peer = h.Unbound

    def test_servfail(self):
        code, out, err = self.trace(self.dns.SERVFAIL_NAME)
        self.assertEqual(code, 6, h.describe(code, out, err))
        self.assertOneErrorLine(err, "dns", re.escape(self.dns.SERVFAIL_NAME), r"\bSERVFAIL\b")
        self.assertNarration(err, rf"^\[dns \] ← reply id {ID}\b.*\bSERVFAIL\b")
        self.assertNoNarration(err, r"^\[tcp \]")


class HalfAnsweringDns:
    """A UDP server on loopback that answers every A query with one rcode
    (NOERROR with the address 127.0.0.1) and never answers AAAA: one family
    fails, or succeeds, and the other stays silent."""

    def __init__(self, rcode):
        self.rcode = rcode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((h.LOOPBACK4, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                msg, addr = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            off = 12
            while off < len(msg) and msg[off]:
                off += 1 + msg[off]
            if len(msg) < off + 5:
                continue
            qtype = struct.unpack("!H", msg[off + 1:off + 3])[0]
            if qtype != 1:
                continue
            flags = 0x8080 | (msg[2] & 1) << 8 | self.rcode
            answer = b""
            if self.rcode == 0:
                answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
            self.sock.sendto(msg[:2] + struct.pack("!HHHHH", flags, 1, 1 if answer else 0, 0, 0) +
                             msg[12:off + 5] + answer, addr)

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    @property
    def server_arg(self):
        return f"{h.LOOPBACK4}:{self.port}"


class OneFamilyFailsTheOtherIsSilent(h.WebtraceCase, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        h.webtrace_path()

    def run_against(self, rcode, budget_s):
        dns = HalfAnsweringDns(rcode).start()
        try:
            return h.run_webtrace(["--ndjson", "--dns-server", dns.server_arg,
                                   "--dns-timeout", str(budget_s),
                                   "http://www.example.test:9/"], timeout=budget_s + 30)
        finally:
            dns.stop()

    def test_nxdomain_for_a_settles_it_without_waiting_for_aaaa(self):
        budget_s = 60
        code, out, err = self.run_against(3, budget_s)
        self.assertEqual(code, 6, h.describe(code, out, err))
        self.assertOneErrorLine(err, "dns", r"NXDOMAIN for A\b", r"\bno AAAA either\b")
        # Event times, not the wall clock: the lookup ended long before
        # its budget (a generous bound: a tenth of it).
        evs = events(out)
        self.assertTrue([e for e in evs if e["event"] == "dns_query" and e["qtype"] == "AAAA"],
                        "the AAAA query was sent")
        reply = [e for e in evs if e["event"] == "dns_reply"]
        self.assertEqual([e["rcode"] for e in reply], ["NXDOMAIN"], err)
        failed = [e for e in evs if e["event"] == "error"]
        self.assertEqual(len(failed), 1, err)
        self.assertLess(failed[0]["t_us"], budget_s * 1e6 / 10, err)
        self.assertFalse([e for e in evs if e["event"] == "dns_no_answer"],
                         "no waiting for the silent AAAA")

    def test_servfail_for_a_keeps_waiting_for_aaaa_then_exits_6(self):
        code, out, err = self.run_against(2, 2)
        self.assertEqual(code, 6, h.describe(code, out, err))   # curl: 6; never 28
        self.assertOneErrorLine(err, "dns", r"SERVFAIL for A\b", r"\bno reply for AAAA\b")
        evs = events(out)
        self.assertTrue([e for e in evs if e["event"] == "dns_reply" and e["rcode"] == "SERVFAIL"])
        self.assertFalse([e for e in evs if e["event"] == "dns_reply" and e["qtype"] == "AAAA"])

    def test_address_for_a_is_used_when_aaaa_never_comes(self):
        code, out, err = self.run_against(0, 2)
        self.assertEqual(code, 7, h.describe(code, out, err))   # resolved; nothing on port 9
        evs = events(out)
        done = [e for e in evs if e["event"] == "dns_done"]
        self.assertEqual(len(done), 1, err)
        self.assertEqual((done[0]["addresses"], done[0]["unanswered"]), (["127.0.0.1"], "AAAA"))
        self.assertTrue([e for e in evs if e["event"] == "tcp_attempt"
                         and e["remote"]["ip"] == "127.0.0.1"], err)
        self.assertNarration(err, r"^\[dns \] ✗ no reply to AAAA before the DNS time budget ran "
                                  r"out: going on with the addresses the other reply gave$")
        self.assertNarration(err, r"^\[dns \] resolved www\.example\.test → 1 address\b")
        self.assertOneErrorLine(err, "tcp", r"127\.0\.0\.1")


if __name__ == "__main__":
    unittest.main()
