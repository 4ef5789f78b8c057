"""The network and link layers of a fetch, against the kernel's own tools:
in two network namespaces this test creates (a client and a gateway joined
by a veth pair, addresses from 198.18.0.0/15, the benchmarking range), the
[ip  ] and [link] narration and the route event must say what `ip route
get` and `ip neigh` say there: the interface, the source address, the
gateway (or directly connected), the next hop's MAC address and neighbour
state, the MTU. On loopback: no gateway, no ARP.

The namespaces need root (CI is root); skipped with the reason otherwise.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_outputs import events_validator  # noqa: E402

IP_TIMEOUT_S = 15
SERVER_START_S = 15.0
CLIENT_ADDR = "198.18.0.2"
GATEWAY_ADDR = "198.18.0.1"
FAR_ADDR = "198.19.0.1"      # behind the gateway: on its loopback
LINK_MTU = 1400              # not the default, so it is read, not assumed


def ip(*args, ns=None, check=True):
    argv = (["ip", "netns", "exec", ns] if ns else []) + ["ip", *args]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=IP_TIMEOUT_S)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {res.stderr}")
    return res.stdout


def ip_json(*args, ns=None):
    return json.loads(ip("-j", *args, ns=ns) or "[]")


def route_event(out):
    events = [json.loads(l) for l in out.decode().splitlines()]
    v = events_validator()
    for e in events:
        assert v.is_valid(e), f"{e}\n{list(v.iter_errors(e))}"
    routes = [e for e in events if e["event"] == "route"]
    assert len(routes) == 1, events
    return routes[0]


class LoopbackRouteTests(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.web = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()

    def test_loopback_says_what_does_not_apply(self):
        code, out, err = h.run_webtrace(["--ndjson", "-o", "/dev/null", self.web.url("/")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        r = route_event(out)
        self.assertTrue(r["found"])
        self.assertEqual((r["interface"], r["gateway"], r["local"], r["loopback"]),
                         ("lo", None, True, True))
        self.assertIsNone(r["lladdr"])
        self.assertNarration(err, r"^\[ip  \] route to 127\.0\.0\.1: a local address .*no "
                                  r"gateway · dev lo · src 127\.0\.0\.1 · TTL \d+ · path MTU \d+$")
        self.assertNarration(err, r"^\[link\] lo: loopback, MTU \d+ · no link-layer address and "
                                  r"no ARP")

    def test_explain_names_both_models(self):
        code, out, err = h.run_webtrace(["--explain", "-o", "/dev/null", self.web.url("/")])
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, r"↳ IP picks the route.*\[network layer: IP \(5-layer model: 3 "
                                  r"· OSI: 3\) and link layer")
        self.assertNarration(err, r"↳ The three-way handshake.*\[transport layer: TCP.*OSI: 4")
        self.assertNarration(err, r"\[application layer: HTTP \(5-layer model: 5 · OSI: 7")


@unittest.skipUnless(os.geteuid() == 0, "needs root: network namespaces and a veth pair")
@unittest.skipUnless(shutil.which("ip"), "iproute2 (ip) is not installed")
class NamespaceRouteTests(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tag = os.getpid() % 100000
        cls.ns_client = f"wtroute-c{tag}"
        cls.ns_gateway = f"wtroute-g{tag}"
        cls.if_client = f"wtc{tag}"
        cls.if_gateway = f"wtg{tag}"
        cls.server = None
        try:
            ip("netns", "add", cls.ns_client)
            ip("netns", "add", cls.ns_gateway)
            ip("link", "add", cls.if_client, "type", "veth", "peer", "name", cls.if_gateway)
            ip("link", "set", cls.if_client, "netns", cls.ns_client)
            ip("link", "set", cls.if_gateway, "netns", cls.ns_gateway)
            for ns, dev, addr in ((cls.ns_client, cls.if_client, CLIENT_ADDR),
                                  (cls.ns_gateway, cls.if_gateway, GATEWAY_ADDR)):
                ip("link", "set", "lo", "up", ns=ns)
                ip("addr", "add", f"{addr}/24", "dev", dev, ns=ns)
                ip("link", "set", dev, "mtu", str(LINK_MTU), ns=ns)
                ip("link", "set", dev, "up", ns=ns)
            ip("route", "add", "default", "via", GATEWAY_ADDR, ns=cls.ns_client)
            ip("addr", "add", f"{FAR_ADDR}/32", "dev", "lo", ns=cls.ns_gateway)
            cls.port = h.free_port("tcp")
            cls.server = subprocess.Popen(
                ["ip", "netns", "exec", cls.ns_gateway, sys.executable, "-m", "http.server",
                 str(cls.port), "--bind", "0.0.0.0"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + SERVER_START_S
            while f":{cls.port} " not in subprocess.run(
                    ["ip", "netns", "exec", cls.ns_gateway, "ss", "-ltnH"], capture_output=True,
                    text=True, timeout=IP_TIMEOUT_S).stdout:
                if time.monotonic() > deadline or cls.server.poll() is not None:
                    raise AssertionError("the server in the gateway namespace did not start")
                time.sleep(0.1)
        except BaseException:
            cls.cleanup()
            raise

    @classmethod
    def cleanup(cls):
        if cls.server:
            cls.server.terminate()
            try:
                cls.server.wait(h.PEER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                cls.server.kill()
                cls.server.wait(h.PEER_STOP_TIMEOUT_S)
            cls.server = None
        for ns in (cls.ns_client, cls.ns_gateway):
            ip("netns", "del", ns, check=False)   # takes the veth pair with it

    @classmethod
    def tearDownClass(cls):
        cls.cleanup()

    def fetch(self, addr):
        argv = ["ip", "netns", "exec", self.ns_client, h.webtrace_path(), "--ndjson",
                "-o", "/dev/null", "--no-color", f"http://{addr}:{self.port}/"]
        res = subprocess.run(argv, capture_output=True, timeout=60, env=h.webtrace_env())
        self.assertEqual(res.returncode, 0, res.stderr.decode())
        return route_event(res.stdout), res.stderr.decode()

    def assertAsIpSays(self, r, err, addr):
        said = ip_json("route", "get", addr, ns=self.ns_client)[0]
        self.assertEqual(r["interface"], said["dev"])
        self.assertEqual(r["source"], said["prefsrc"])
        self.assertEqual(r["gateway"], said.get("gateway"))
        hop = said.get("gateway", addr)
        self.assertEqual(r["next_hop"], hop)
        neigh = [n for n in ip_json("neigh", "show", "dev", self.if_client, ns=self.ns_client)
                 if n["dst"] == hop]
        self.assertEqual(len(neigh), 1, neigh)
        self.assertEqual(r["lladdr"], neigh[0]["lladdr"])
        self.assertIn(r["neigh_state"], neigh[0]["state"])
        link = ip_json("link", "show", self.if_gateway, ns=self.ns_gateway)[0]
        self.assertEqual(r["lladdr"], link["address"])   # the gateway's own MAC
        self.assertEqual(r["mtu"], LINK_MTU)
        self.assertEqual(r["path_mtu"], LINK_MTU)
        with open("/proc/sys/net/ipv4/ip_default_ttl") as f:
            ttl = int(f.read())
        self.assertEqual(r["ttl"], ttl)
        self.assertFalse(r["loopback"])
        self.assertNarration(err, rf"^\[link\] next hop {hop.replace('.', '[.]')} is "
                                  rf"{r['lladdr']} \(ARP, {r['neigh_state']}\) on "
                                  rf"{self.if_client} · MTU {LINK_MTU}$")

    def test_route_via_the_gateway(self):
        r, err = self.fetch(FAR_ADDR)
        self.assertEqual(r["gateway"], GATEWAY_ADDR)
        self.assertAsIpSays(r, err, FAR_ADDR)
        self.assertNarration(err, rf"^\[ip  \] route to 198\.19\.0\.1: via gateway 198\.18\.0\.1 · "
                                  rf"dev {self.if_client} · src 198\.18\.0\.2 · TTL \d+ · "
                                  rf"path MTU {LINK_MTU}$")

    def test_directly_connected(self):
        r, err = self.fetch(GATEWAY_ADDR)
        self.assertIsNone(r["gateway"])
        self.assertAsIpSays(r, err, GATEWAY_ADDR)
        self.assertNarration(err, rf"^\[ip  \] route to 198\.18\.0\.1: directly connected, no "
                                  rf"gateway · dev {self.if_client} · src 198\.18\.0\.2")


if __name__ == "__main__":
    unittest.main()
