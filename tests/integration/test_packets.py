"""--packets and --pcap against the truth: the same capture, read back by
tcpdump -r from the --pcap file, must show exactly the sequence numbers,
acknowledgement numbers and flags that the narration (text and NDJSON)
shows, for an http fetch from nginx, an https fetch, a connection the client
closes first (nginx keeps it alive) and one the server closes first (a
scripted server). Without CAP_NET_RAW (nobody, via setpriv): one line says
so and the trace goes on.

Needs root (capturing needs CAP_NET_RAW; CI is root) and tcpdump
(scripts/setup.sh installs it); skipped with the reason otherwise.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import tls_peers as tp  # noqa: E402
from test_outputs import events_validator  # noqa: E402

TCPDUMP_TIMEOUT_S = 30

# tcpdump's flag letters (print-tcp.c) to the names the narration uses.
TCPDUMP_FLAGS = {"S": "SYN", "F": "FIN", "R": "RST", "P": "PSH", "U": "URG", ".": "ACK"}
ORDER = ["SYN", "FIN", "RST", "PSH", "URG", "ACK"]

TCPDUMP_LINE = re.compile(
    r"IP6? (?P<src>\S+)\.(?P<sport>\d+) > (?P<dst>\S+)\.(?P<dport>\d+): "
    r"Flags \[(?P<flags>[^\]]*)\]"
    r"(?:, seq (?P<seq>\d+)(?::(?P<seq_end>\d+))?)?"
    r"(?:, ack (?P<ack>\d+))?"
    r".*, length (?P<len>\d+)")


def tcpdump_packets(path):
    """The packets of a pcap file as tcpdump -r reads them (absolute numbers)."""
    tcpdump = shutil.which("tcpdump") or "/usr/bin/tcpdump"
    res = subprocess.run([tcpdump, "-nn", "-S", "-r", path], capture_output=True, text=True,
                         timeout=TCPDUMP_TIMEOUT_S)
    if res.returncode != 0:
        raise AssertionError(f"tcpdump -r {path} failed: {res.stderr}")
    packets = []
    next_seq = {}   # tcpdump leaves out seq on a pure ACK: it is the sender's next
    for line in res.stdout.splitlines():
        m = TCPDUMP_LINE.search(line)
        if not m:
            raise AssertionError(f"tcpdump line not understood: {line!r}")
        flags = sorted({TCPDUMP_FLAGS[c] for c in m["flags"] if c in TCPDUMP_FLAGS},
                       key=ORDER.index)
        length = int(m["len"])
        sender = (m["src"], m["sport"])
        seq = int(m["seq"]) if m["seq"] else next_seq.get(sender)
        if seq is not None:
            span = length + ("SYN" in flags) + ("FIN" in flags)
            next_seq[sender] = (seq + span) % 2**32
        packets.append({"sport": int(m["sport"]), "flags": flags, "seq": seq,
                        "ack": int(m["ack"]) if m["ack"] else None, "len": length,
                        "line": line})
    return packets


def have_tools():
    return (shutil.which("tcpdump") or os.path.exists("/usr/bin/tcpdump"))


@unittest.skipUnless(os.geteuid() == 0, "needs root: capturing packets needs CAP_NET_RAW")
@unittest.skipUnless(have_tools(), "tcpdump is not installed (scripts/setup.sh installs it)")
class PacketsTests(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="webtrace-packets-")
        try:
            cls.web = h.Nginx().start()
            cls.hostile = h.HostileHttp().start()
            cls.pki = tp.TestPki().start()
            cls.tls = tp.TlsNginx(cls.pki).start()
        except BaseException:
            h.stop_all_peers()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.tls.stop()
        cls.pki.stop()
        cls.hostile.stop()
        cls.web.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def capture(self, url, *extra, name="run"):
        """Runs --packets --pcap --ndjson once; returns (events, stderr, tcpdump packets)."""
        pcap = os.path.join(self.tmp, name + ".pcap")
        code, out, err = h.run_webtrace(["--ndjson", "--pcap", pcap, "-o", "/dev/null",
                                         *extra, url], timeout=60)
        self.assertEqual(code, 0, h.describe(code, out, err))
        events = [json.loads(line) for line in out.decode().splitlines()]
        v = events_validator()
        for e in events:
            self.assertTrue(v.is_valid(e), f"{e}\n{list(v.iter_errors(e))}")
        return events, err, tcpdump_packets(pcap)

    def assertSameAsTcpdump(self, events, err, packets):
        """The narrated packets are tcpdump's, number for number, in order;
        tcpdump shows no SYN, FIN or RST that the narration left out; the
        data summary adds up to tcpdump's segments; the text narration
        shows the same numbers."""
        start = [e for e in events if e["event"] == "capture_start"]
        self.assertEqual(len(start), 1)
        self.assertEqual(start[0]["status"], "on", start[0])
        end = [e for e in events if e["event"] == "capture_end"][0]
        self.assertEqual(end["packets"], len(packets), "\n".join(p["line"] for p in packets))
        self.assertTrue(end["complete"], f"the teardown's last packet was not seen\n{err}")
        est = [e for e in events if e["event"] == "tcp_established"][0]
        client_port = est["local"]["port"]

        narrated = [e for e in events if e["event"] == "tcp_packet"]
        i = 0
        for e in narrated:
            while i < len(packets):
                p = packets[i]
                i += 1
                direction = "client_to_server" if p["sport"] == client_port else "server_to_client"
                # A FIN's own number comes after the data it carries.
                seq = p["seq"] + p["len"] if "FIN" in p["flags"] else p["seq"]
                if (direction, p["flags"], seq, p["ack"]) == \
                        (e["direction"], e["flags"], e["seq"], e["ack"]):
                    break
                self.assertFalse({"SYN", "FIN", "RST"} & set(p["flags"]),
                                 f"tcpdump shows {p['line']!r}, the narration {e}")
            else:
                self.fail(f"narrated packet not in tcpdump's capture: {e}\n" +
                          "\n".join(p["line"] for p in packets))
        control = [p for p in packets if {"SYN", "FIN", "RST"} & set(p["flags"])]
        self.assertEqual(len(control),
                         len([e for e in narrated if {"SYN", "FIN", "RST"} & set(e["flags"])]))

        data = [e for e in events if e["event"] == "tcp_data"][0]
        for key, from_client in (("client_to_server", True), ("server_to_client", False)):
            mine = [p for p in packets if (p["sport"] == client_port) == from_client]
            self.assertEqual(data[key]["bytes"], sum(p["len"] for p in mine), key)
            self.assertEqual(data[key]["segments"], len([p for p in mine if p["len"]]), key)

        # The narration on stderr shows the same absolute numbers.
        lines = [l for l in err.splitlines() if re.match(r"\[tcp \] client (→|←) server ", l)]
        self.assertEqual(len(lines), len(narrated), err)
        for line, e in zip(lines, narrated):
            self.assertIn(f" seq={e['seq']} (rel {e['rel_seq']})", line)
            self.assertIn("+".join(e["flags"]), line)
            if e["ack"] is not None:
                self.assertIn(f" ack={e['ack']} (rel {e['rel_ack']})", line)
            for name in (e["seq_is"], e["ack_is"]):
                if name:
                    self.assertIn(f" = {name}", line)
        return narrated

    def assertHandshake(self, narrated):
        syn, synack, ack = narrated[:3]
        self.assertEqual((syn["flags"], syn["seq_is"], syn["rel_seq"]), (["SYN"], "j", 0))
        self.assertIn("mss", syn["options"])
        self.assertEqual((synack["flags"], synack["seq_is"], synack["ack_is"]),
                         (["SYN", "ACK"], "k", "j+1"))
        self.assertEqual(synack["ack"], (syn["seq"] + 1) % 2**32)
        self.assertEqual((ack["flags"], ack["ack_is"]), (["ACK"], "k+1"))
        self.assertEqual(ack["ack"], (synack["seq"] + 1) % 2**32)
        self.assertEqual(syn["client_state"], "SYN_SENT")
        self.assertEqual(synack["client_state"], "ESTABLISHED")
        self.assertEqual(ack["server_state"], "ESTABLISHED")

    def assertTeardown(self, narrated, first):
        fins = [e for e in narrated if "FIN" in e["flags"]]
        self.assertEqual(len(fins), 2, narrated)
        u, w = fins
        closer = "client_to_server" if first == "client" else "server_to_client"
        self.assertEqual((u["direction"], u["seq_is"]), (closer, "u"))
        self.assertEqual(w["seq_is"], "w")
        self.assertNotEqual(w["direction"], closer)
        acks_u = [e for e in narrated if e["ack_is"] == "u+1"]
        acks_w = [e for e in narrated if e["ack_is"] == "w+1"]
        self.assertTrue(acks_u and acks_w, narrated)
        self.assertEqual(acks_u[0]["ack"], (u["seq"] + 1) % 2**32)
        self.assertEqual(acks_w[0]["ack"], (w["seq"] + 1) % 2**32)
        last = narrated[-1]
        self.assertEqual(last["ack_is"], "w+1")
        closer_state = last["client_state"] if first == "client" else last["server_state"]
        other_state = last["server_state"] if first == "client" else last["client_state"]
        self.assertEqual((closer_state, other_state), ("TIME_WAIT", "CLOSED"))
        self.assertEqual(u[f"{first}_state"], "FIN_WAIT_1")

    def test_http_via_nginx_client_closes_first(self):
        events, err, packets = self.capture(self.web.url("/"), name="nginx")
        narrated = self.assertSameAsTcpdump(events, err, packets)
        self.assertHandshake(narrated)
        self.assertTeardown(narrated, "client")
        self.assertNarration(err, r"^\[tcp \] capturing on any with filter \"tcp and port "
                                  rf"{self.web.port} and \(host 127\.0\.0\.1\)\"")
        self.assertNarration(err, r"^\[tcp \] captured \d+ packets of this connection")

    def test_server_closes_first_scripted(self):
        path = self.hostile.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                                b"Connection: close\r\n\r\nhello", name="close_first")
        events, err, packets = self.capture(self.hostile.url(path), name="hostile")
        narrated = self.assertSameAsTcpdump(events, err, packets)
        self.assertHandshake(narrated)
        self.assertTeardown(narrated, "server")

    def test_https_via_nginx(self):
        url = self.tls.url("good", "/", "localhost")
        events, err, packets = self.capture(url, "--cacert", self.pki.ca_file, name="https")
        narrated = self.assertSameAsTcpdump(events, err, packets)
        self.assertHandshake(narrated)
        fins = [e for e in narrated if "FIN" in e["flags"]]
        self.assertEqual(len(fins), 2)

    @unittest.skipUnless(h.have_ipv6(), "no ::1")
    def test_ipv6_via_nginx(self):
        events, err, packets = self.capture(self.web.url("/", host=h.LOOPBACK6), name="ipv6")
        narrated = self.assertSameAsTcpdump(events, err, packets)
        self.assertHandshake(narrated)
        self.assertTeardown(narrated, "client")
        with open("/proc/sys/net/ipv6/conf/lo/hop_limit") as f:
            self.assertEqual(narrated[0]["ttl"], int(f.read()))   # the hop limit

    def test_packets_without_pcap_file(self):
        code, out, err = h.run_webtrace(["--packets", "-o", "/dev/null", self.web.url("/")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"^\[tcp \] client → server SYN\s+seq=\d+ \(rel 0\) = j ")
        self.assertNarration(err, r"^\[tcp \] client ← server SYN\+ACK\s+seq=\d+ \(rel 0\) = k "
                                  r"ack=\d+ \(rel 1\) = j\+1 ")
        self.assertNarration(err, r"^\[tcp \] data: client → server 1 segments, \d+ bytes")
        self.assertNoNarration(err, r"written to")

    def test_explain_names_the_textbook_numbers(self):
        code, out, err = h.run_webtrace(["--packets", "--explain", "-o", "/dev/null",
                                         self.web.url("/")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"↳ SYN, seq=j: j is chosen at random")
        self.assertNarration(err, r"↳ ACK, ack=w\+1: the last packet")

    def test_without_cap_net_raw_one_line_and_the_trace_goes_on(self):
        setpriv = shutil.which("setpriv")
        if not setpriv:
            self.skipTest("setpriv (util-linux) is not installed")
        binary = h.webtrace_path()
        # nobody must be able to reach the binary and its build tree.
        probe = subprocess.run([setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                binary, "--version"], capture_output=True, timeout=30)
        if probe.returncode != 0:
            self.skipTest(f"nobody cannot run {binary}")
        res = subprocess.run([setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                              "--inh-caps=-all", "--bounding-set=-all",
                              binary, "--packets", "--no-color", "-o", "/dev/null",
                              self.web.url("/")],
                             capture_output=True, text=True, timeout=60,
                             env=h.webtrace_env(True, None))
        self.assertEqual(res.returncode, 0, res.stderr)
        lines = [l for l in res.stderr.splitlines() if "CAP_NET_RAW" in l]
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertRegex(lines[0], r"^\[tcp \] no packets: .*sudo.*setcap cap_net_raw\+ep")
        self.assertNarration(res.stderr, r"^\[http\] ← HTTP/1\.1 200 OK")
        self.assertNoNarration(res.stderr, r"^\[tcp \] client → server")


class DemoPacketsTests(h.WebtraceCase, unittest.TestCase):
    """webtrace demo --packets as an unprivileged user: a user and network
    namespace of its own, where it may capture."""

    def as_nobody(self, *argv):
        if os.geteuid() != 0:
            return list(argv)   # already unprivileged
        setpriv = shutil.which("setpriv")
        if not setpriv:
            self.skipTest("setpriv (util-linux) is not installed")
        return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", *argv]

    def test_demo_packets_without_root(self):
        probe = subprocess.run(self.as_nobody(h.webtrace_path(), "--version"),
                               capture_output=True, timeout=30)
        if probe.returncode != 0:
            self.skipTest(f"nobody cannot run {h.webtrace_path()}")
        userns = subprocess.run(self.as_nobody("unshare", "-Urn", "true"), capture_output=True,
                                timeout=30).returncode == 0
        res = subprocess.run(self.as_nobody(h.webtrace_path(), "demo", "--packets",
                                            "--no-explain", "--no-color"),
                             capture_output=True, text=True, timeout=120,
                             env=h.webtrace_env(True, None))
        self.assertEqual(res.returncode, 0, res.stderr)
        err = res.stderr
        if not userns:
            lines = [l for l in err.splitlines() if "no packets" in l]
            self.assertEqual(len(lines), 1, err)
            self.assertIn("user namespaces are not available here", lines[0])
            return
        self.assertNarration(err, r"^webtrace demo: packets are captured in a user and network "
                                  r"namespace of the demo's own \(no root needed\)")
        syns = re.findall(r"^\[tcp \] client → server SYN\s+seq=(\d+) \(rel 0\) = j ", err, re.M)
        self.assertEqual(len(syns), 2, err)   # http and https
        # The demo's server read the same SYN back (TCP_SAVED_SYN).
        saved = re.findall(r"^\[srv \] #\d+ SYN from \S+ seq=(\d+) = j ", err, re.M)
        self.assertEqual(sorted(saved), sorted(syns), err)
        self.assertEqual(len(re.findall(r"= w\+1 ", err)), 2, err)
        self.assertNoNarration(err, r"CAP_NET_RAW")


if __name__ == "__main__":
    unittest.main()
