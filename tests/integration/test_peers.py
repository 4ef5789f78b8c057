"""Self-test of the harness peers, independent of webtrace: dig and curl
(when installed) and raw sockets check that each peer really behaves as the
webtrace cases assume. A failure here is a harness problem, not a webtrace
bug. Runnable as `python3 tests/integration/test_peers.py` (no WEBTRACE)."""

import os
import re
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

DIG = h.peer_tool("dig")
CURL = h.peer_tool("curl")


def tool(argv, timeout=10):
    res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=timeout)
    return res.returncode, res.stdout, res.stderr.decode("utf-8", "replace")


class DnsmasqPeer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = h.Dnsmasq().start()

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()

    def test_owned_pid_is_the_server(self):
        with open(os.path.join(self.dns.dir, "dnsmasq.pid")) as f:
            self.assertEqual(int(f.read().strip()), self.dns.pid)

    def test_cname_chain_ttls_distinct(self):
        rcode, ans = h.dns_query(h.LOOPBACK4, self.dns.port, "www.example.test", "A")
        self.assertEqual(rcode, "NOERROR")
        self.assertEqual(ans, [
            ("www.example.test", "CNAME", 60, "alias.example.test"),
            ("alias.example.test", "CNAME", 120, "real.example.test"),
            ("real.example.test", "A", 300, "127.0.0.1")])
        rcode, ans = h.dns_query(h.LOOPBACK4, self.dns.port, "www.example.test", "AAAA")
        self.assertEqual(ans[-1], ("real.example.test", "AAAA", 300, "::1"))

    def test_v4only_nxdomain_refused(self):
        port = self.dns.port
        self.assertEqual(h.dns_query(h.LOOPBACK4, port, "v4only.example.test", "AAAA"),
                         ("NOERROR", []))
        self.assertEqual(h.dns_query(h.LOOPBACK4, port, h.Dnsmasq.NX_NAME, "A")[0],
                         "NXDOMAIN")
        self.assertEqual(h.dns_query(h.LOOPBACK4, port, h.Dnsmasq.REFUSED_NAME, "A")[0],
                         "REFUSED")

    @unittest.skipUnless(h.have_ipv6(), "no ::1")
    def test_listens_on_ipv6_loopback(self):
        self.assertEqual(h.dns_query(h.LOOPBACK6, self.dns.port, "real.example.test", "A")[0],
                         "NOERROR")

    @unittest.skipUnless(DIG, "dig not installed")
    def test_dig_sees_the_same_zone(self):
        code, out, err = tool([DIG, "@127.0.0.1", "-p", str(self.dns.port), "+tries=1",
                               "+time=2", "www.example.test", "A", "+noall", "+answer"])
        self.assertEqual(code, 0, err)
        text = out.decode()
        self.assertRegex(text, r"www\.example\.test\.\s+60\s+IN\s+CNAME\s+alias\.example\.test\.")
        self.assertRegex(text, r"alias\.example\.test\.\s+120\s+IN\s+CNAME\s+real\.example\.test\.")
        self.assertRegex(text, r"real\.example\.test\.\s+300\s+IN\s+A\s+127\.0\.0\.1")
        code, out, _ = tool([DIG, "@127.0.0.1", "-p", str(self.dns.port), "+tries=1",
                             "+time=2", h.Dnsmasq.REFUSED_NAME])
        self.assertIn(b"status: REFUSED", out)

    def test_retries_when_port_taken(self):
        squat = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        squat.bind((h.LOOPBACK4, 0))
        taken = squat.getsockname()[1]
        picks = [taken]
        peer = h.Dnsmasq()
        orig = peer._pick_port
        peer._pick_port = lambda: picks.pop() if picks else orig()
        try:
            peer.start()
            self.assertNotEqual(peer.port, taken)
            self.assertEqual(h.dns_query(h.LOOPBACK4, peer.port, "real.example.test")[0],
                             "NOERROR")
        finally:
            peer.stop()
            squat.close()


class NginxPeer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.web = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()

    def get(self, path, host=h.LOOPBACK4):
        with socket.create_connection((host, self.web.port), timeout=5) as s:
            s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                      % path.encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return head.decode("latin-1"), body

    def test_index_content_length(self):
        head, body = self.get("/")
        self.assertTrue(head.startswith("HTTP/1.1 200"))
        self.assertIn("Content-Length: 1024", head)
        self.assertEqual(body, h.Nginx.index_bytes())

    def test_chunked_is_really_chunked(self):
        head, body = self.get("/chunked")
        self.assertIn("Transfer-Encoding: chunked", head)
        self.assertNotIn("Content-Length", head)
        # de-chunk; want several chunks and the documented body
        out, n_chunks = b"", 0
        while True:
            size_line, _, body = body.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out, body, n_chunks = out + body[:size], body[size + 2:], n_chunks + 1
        self.assertGreater(n_chunks, 1)
        self.assertEqual(out, h.Nginx.CHUNKED_BODY)

    def test_missing_moved_big(self):
        self.assertTrue(self.get("/missing")[0].startswith("HTTP/1.1 404"))
        head, _ = self.get("/moved")
        self.assertTrue(head.startswith("HTTP/1.1 301"))
        self.assertRegex(head, r"(?m)^Location: /\r?$")
        head, body = self.get("/big")
        self.assertIn("Content-Length: %d" % h.Nginx.BIG_SIZE, head)
        self.assertEqual(body, h.Nginx.big_bytes())

    @unittest.skipUnless(h.have_ipv6(), "no ::1")
    def test_ipv6_listener(self):
        self.assertTrue(self.get("/", host=h.LOOPBACK6)[0].startswith("HTTP/1.1 200"))

    def test_single_process_owned(self):
        with open(os.path.join(self.web.dir, "nginx.pid")) as f:
            self.assertEqual(int(f.read().strip()), self.web.pid)

    @unittest.skipUnless(CURL, "curl not installed")
    def test_curl_raw_chunked(self):
        code, out, err = tool([CURL, "-sv", "--raw", self.web.url("/chunked")])
        self.assertEqual(code, 0, err)
        self.assertIn("Transfer-Encoding: chunked", err)
        self.assertTrue(out.endswith(b"\r\n0\r\n\r\n"), out)


class SilentUdpPeer(unittest.TestCase):
    def test_reads_and_never_answers(self):
        peer = h.SilentUdp().start()
        try:
            with self.assertRaises(socket.timeout):
                h.dns_query(h.LOOPBACK4, peer.port, "www.example.test", timeout=0.3)
            self.assertGreaterEqual(peer.received, 1)
        finally:
            peer.stop()


class HostilePeer(unittest.TestCase):
    """curl's own exit codes for the scenarios confirm the server misbehaves
    the way the webtrace cases say it does."""

    @classmethod
    def setUpClass(cls):
        cls.srv = h.HostileHttp().start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        assert not cls.srv.errors, cls.srv.errors

    def curl(self, scenario, *extra):
        return tool([CURL, "-s", "-o", "-", *extra, self.srv.url(scenario)], timeout=15)

    def test_rst_arrives_as_reset(self):
        with socket.create_connection((h.LOOPBACK4, self.srv.port), timeout=5) as s:
            s.sendall(b"GET /rst_mid_body HTTP/1.1\r\nHost: t\r\n\r\n")
            got = b""
            with self.assertRaises(ConnectionResetError):
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            self.assertGreaterEqual(len(got), h.HostileHttp.RST_SENT)

    @unittest.skipUnless(CURL, "curl not installed")
    def test_curl_agrees(self):
        cases = {"empty_reply": 52, "rst_mid_body": 56, "truncated_body": 18,
                 "close_delimited": 0, "malformed_status": 1, "bare_cr": 0}
        # curl 7.88 calls "2OO" an unsupported protocol (1) and tolerates a
        # bare CR; webtrace is stricter (8). What matters here: the bytes.
        for scenario, want in cases.items():
            with self.subTest(scenario=scenario):
                code, out, err = self.curl(scenario)
                self.assertEqual(code, want, err)
        code, out, _ = self.curl("close_delimited")
        self.assertEqual(out, h.HostileHttp.CLOSE_DELIMITED_BODY)
        code, out, err = self.curl("obs_fold", "-v")
        self.assertEqual((code, out), (0, h.HostileHttp.OBS_FOLD_BODY), err)
        code, _, _ = self.curl("slow_drip", "-m", "1")
        self.assertEqual(code, 28)

    def test_oversized_headers_are_200_kib(self):
        # (curl 7.88 accepts up to 300 KB of headers, so it is no reference)
        with socket.create_connection((h.LOOPBACK4, self.srv.port), timeout=5) as s:
            s.sendall(b"GET /oversized_headers HTTP/1.1\r\nHost: t\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head = data.partition(b"\r\n\r\n")[0]
        self.assertGreaterEqual(len(head), 200 * 1024)

    def test_raw(self):
        path = self.srv.raw(b"HTTP/1.1 204 No Content\r\n\r\n", "nocontent")
        with socket.create_connection((h.LOOPBACK4, self.srv.port), timeout=5) as s:
            s.sendall(b"GET /%s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
            self.assertEqual(s.recv(100), b"HTTP/1.1 204 No Content\r\n\r\n")


class Runner(unittest.TestCase):
    """run_webtrace's hang backstop, with a stand-in binary."""

    def test_hang_is_a_failure_not_a_harness_hang(self):
        saved = os.environ.get("WEBTRACE")
        os.environ["WEBTRACE"] = h.peer_tool("sleep") or "/bin/sleep"
        try:
            with self.assertRaises(h.WebtraceHang):
                h.run_webtrace(["30"], timeout=0.3)
            self.assertEqual(h._live_children, set())
            code, out, err = h.run_webtrace(["0"], timeout=5)
            self.assertEqual((code, out, err), (0, b"", ""))
        finally:
            if saved is None:
                del os.environ["WEBTRACE"]
            else:
                os.environ["WEBTRACE"] = saved


if __name__ == "__main__":
    unittest.main()
