"""A DNS server whose UDP replies are truncated (TC=1) and whose TCP
replies are whole: webtrace must narrate the retry over TCP and use the
TCP answer. Also hostile DNS names (control bytes, ESC) reach the terminal
escaped. The server is a pair of sockets in this process, loopback only."""

import os
import socket
import struct
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def _question(msg):
    """(qid, question bytes, qtype) of a query."""
    qid = struct.unpack("!H", msg[:2])[0]
    off = 12
    while msg[off]:
        off += 1 + msg[off]
    off += 1
    qtype = struct.unpack("!H", msg[off:off + 2])[0]
    return qid, msg[12:off + 4], qtype


def _answer(msg, truncated, alias=None):
    qid, question, qtype = _question(msg)
    flags = 0x8400 | (0x0200 if truncated else 0) | (msg[2] & 1) << 8
    if truncated:
        return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + question
    records = b""
    count = 0
    if alias is not None:   # a CNAME to a name with hostile bytes, then the address
        target = bytes([len(alias)]) + alias + b"\x04test\x00"
        records += b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 30, len(target)) + target
        owner = b"\xc0" + bytes([12 + len(question) + 12])   # points at the target name
        count += 1
    else:
        owner = b"\xc0\x0c"
    if qtype == 1:
        records += owner + struct.pack("!HHIH", 1, 1, 42, 4) + socket.inet_aton("127.0.0.1")
        count += 1
    return struct.pack("!HHHHHH", qid, flags, 1, count, 0, 0) + question + records


class TruncatingDns:
    """UDP: every reply truncated. TCP: the real answer."""

    def __init__(self, alias=None):
        self.alias = alias
        self.port = h.free_port_both()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(8)
        self.tcp.settimeout(0.2)
        self.stopping = threading.Event()
        self.tcp_queries = 0
        self.threads = [threading.Thread(target=f, daemon=True) for f in (self._udp, self._tcp)]
        for t in self.threads:
            t.start()

    def _udp(self):
        while not self.stopping.is_set():
            try:
                msg, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.udp.sendto(_answer(msg, truncated=True), peer)

    def _tcp(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    while True:
                        head = conn.recv(2)
                        if len(head) < 2:
                            break
                        n = struct.unpack("!H", head)[0]
                        msg = b""
                        while len(msg) < n:
                            chunk = conn.recv(n - len(msg))
                            if not chunk:
                                return
                            msg += chunk
                        self.tcp_queries += 1
                        reply = _answer(msg, truncated=False, alias=self.alias)
                        conn.sendall(struct.pack("!H", len(reply)) + reply)
                except OSError:
                    pass

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(2)
        self.udp.close()
        self.tcp.close()


class TruncatedReplyRetriedOverTcp(unittest.TestCase, h.WebtraceCase):
    @classmethod
    def setUpClass(cls):
        cls.web = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()

    def test_tc_bit_makes_the_lookup_go_over_tcp(self):
        dns = TruncatingDns()
        try:
            out, err = self.run_ok(["-4", "--dns-server", f"127.0.0.1:{dns.port}", "-o",
                                    "/dev/null", f"http://big.example.test:{self.web.port}/"])
        finally:
            dns.stop()
        self.assertGreaterEqual(dns.tcp_queries, 1)
        self.assertNarration(err, r"^\[dns \] ← reply id 0x[0-9a-f]{4} · NOERROR · 0 answers .*"
                                  r"truncated \(TC\)")
        self.assertNarration(err, r"^\[dns \] the reply was truncated: asking again over TCP "
                                  rf"\(127\.0\.0\.1:{dns.port}\)")
        self.assertNarration(err, r"^\[dns \] → query A big\.example\.test · id 0x[0-9a-f]{4} "
                                  rf"· \d+ bytes · TCP to 127\.0\.0\.1:{dns.port}")
        self.assertNarration(err, r"^\[dns \] ← reply id 0x[0-9a-f]{4} · NOERROR · 1 answer · ")
        self.assertNarration(err, r"^\[dns \]   big\.example\.test A 127\.0\.0\.1 · ttl 42$")
        self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 200 OK")

    def test_hostile_bytes_in_a_dns_name_are_escaped(self):
        dns = TruncatingDns(alias=b"ev\x1b[2Jil\x9b.x")
        try:
            code, out, err = h.run_webtrace(["-4", "--dns-server", f"127.0.0.1:{dns.port}",
                                             "-o", "/dev/null",
                                             f"http://big.example.test:{self.web.port}/"])
        finally:
            dns.stop()
        # c-ares refuses the odd name as a misformatted reply (exit 6); what
        # matters is that the bytes reached the terminal escaped.
        self.assertEqual(code, 6, h.describe(code, out, err))
        self.assertNotIn("\x1b", err)
        self.assertNotIn("\x9b", err)
        self.assertNotIn("\ufffd", err)
        self.assertNarration(err, r"CNAME ev\\027\\0912Jil\\155\\\.x\.test · ttl 30$")
        self.assertOneErrorLine(err, "dns", r"big\.example\.test")

if __name__ == "__main__":
    unittest.main()
