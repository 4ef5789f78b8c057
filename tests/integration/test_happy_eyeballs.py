"""Happy Eyeballs v2 (RFC 8305) in a network namespace this test creates.

The namespace has loopback and a tun device nobody reads: packets routed to
it vanish, so a connect() to 2001:db8::/32 (the documentation range; no
packet can leave the namespace) stays in SYN_SENT until given up. dnsmasq
and the servers run inside the namespace on loopback. The checks read the
NDJSON event times (t_us), never the wall clock alone.

Needs root for `unshare -n` (CI runs as root); skipped with the reason
otherwise. The whole module re-runs itself inside the namespace.
"""

import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_outputs  # noqa: E402  (the events schema validator)

INSIDE = "WEBTRACE_HE_NETNS"
VANISH6 = "2001:db8::1"       # routed into the tun device: no answer, ever
VANISH6_B = "2001:db8::2"
SOURCE6 = "2001:db8:ffff::2"  # our address on that device
RACE_NAME = "race.example.test"        # AAAA VANISH6, A 127.0.0.1
DEAD_NAME = "dead.example.test"        # AAAA VANISH6, VANISH6_B
REFUSED6_NAME = "refused6.example.test"  # AAAA ::1 (nothing listens), A 127.0.0.1
DELAY_US = 200_000            # the default connection attempt delay
# The IPv4 attempt starts after the delay and connects over loopback in
# microseconds; the margin only absorbs a slow, shared machine. Before
# Happy Eyeballs the IPv6 attempt alone was given 3 s.
MARGIN_US = 1_000_000
RUN_TIMEOUT_S = 30

SKIP_REASON = None


def _namespace_problem():
    """None when we are inside our namespace, else why we cannot be."""
    if os.environ.get(INSIDE) == "1":
        return None
    if os.geteuid() != 0:
        return "needs root: a private network namespace (unshare -n)"
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "unshare (util-linux) or ip (iproute2) is not installed"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        return f"no private network namespace here: {probe.stderr.strip()}"
    return "reexec"


def _ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


def _set_up_network():
    """Loopback up, and a route into a device that drops every packet.
    Returns None or why it cannot be built on this kernel."""
    try:
        _ip("link", "set", "lo", "up")
    except subprocess.CalledProcessError as exc:
        return f"ip link set lo up failed: {exc.stderr.strip()}"
    try:
        # A tun device that no process has open has no carrier: the kernel
        # queues nothing and answers nothing (dummy and netem need modules
        # some kernels lack).
        _ip("tuntap", "add", "wtvanish0", "mode", "tun")
        _ip("link", "set", "wtvanish0", "up")
        _ip("-6", "addr", "add", SOURCE6 + "/64", "dev", "wtvanish0", "nodad")
        _ip("-6", "route", "add", "2001:db8::/32", "dev", "wtvanish0")
    except subprocess.CalledProcessError as exc:
        return f"cannot build a vanishing IPv6 route here: {' '.join(exc.cmd)}: " \
               f"{exc.stderr.strip()}"
    return None


class RaceDns(h.Dnsmasq):
    def _argv(self):
        return super()._argv() + [
            f"--host-record={RACE_NAME},127.0.0.1,{VANISH6},300",
            # dnsmasq keeps one address per family and record: two records
            f"--host-record={DEAD_NAME},{VANISH6},300",
            f"--host-record={DEAD_NAME},{VANISH6_B},300",
            f"--host-record={REFUSED6_NAME},127.0.0.1,::1,300",
        ]


def events(out):
    """The NDJSON lines of stdout, each checked against docs/events.schema.json."""
    evs = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    validator = test_outputs.events_validator()
    for ev in evs:
        validator.validate(ev)
    return evs


def of_kind(evs, kind):
    return [e for e in evs if e["event"] == kind]


class HappyEyeballs(h.WebtraceCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if SKIP_REASON:
            raise unittest.SkipTest(SKIP_REASON)
        problem = _set_up_network()
        if problem:
            raise unittest.SkipTest(problem)
        cls.dns = RaceDns().start()
        cls.web = h.Nginx().start()
        cls.v4only = h.HostileHttp(host=h.LOOPBACK4).start()
        cls.ok_path = cls.v4only.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                     b"Connection: close\r\n\r\nok", name="ok")

    @classmethod
    def tearDownClass(cls):
        for peer in ("v4only", "web", "dns"):
            if hasattr(cls, peer):
                getattr(cls, peer).stop()

    def trace(self, name, port, *extra):
        args = ["--ndjson", "-o", "/dev/null", "--dns-server", self.dns.server_arg, *extra,
                f"http://{name}:{port}/"]
        return h.run_webtrace(args, timeout=RUN_TIMEOUT_S)

    def test_ipv4_wins_while_ipv6_packets_vanish(self):
        code, out, err = self.trace(RACE_NAME, self.web.port)
        self.assertEqual(code, 0, h.describe(code, out, err))
        evs = events(out)
        attempts = of_kind(evs, "tcp_attempt")
        self.assertEqual([a["remote"]["ip"] for a in attempts], [VANISH6, "127.0.0.1"],
                         "IPv6 first (the resolver's preferred family), then IPv4")
        first, second = attempts
        self.assertEqual((first["trigger"], second["trigger"]), ("first", "delay"))
        self.assertEqual(first["local"]["ip"], SOURCE6, "each attempt names its own end")
        self.assertEqual(second["delay_us"], DELAY_US)
        self.assertEqual(second["racing"], 1)
        self.assertGreaterEqual(second["t_us"] - first["t_us"], DELAY_US,
                                "the next attempt waits for the attempt delay")
        est = of_kind(evs, "tcp_established")
        self.assertEqual(len(est), 1)
        self.assertEqual((est[0]["remote"]["ip"], est[0]["attempt"], est[0]["of"]),
                         ("127.0.0.1", 2, 2))
        self.assertLess(est[0]["t_us"] - first["t_us"], DELAY_US + MARGIN_US,
                        "IPv4 wins within the attempt delay plus a margin")
        lost = of_kind(evs, "tcp_failed")
        self.assertEqual(len(lost), 1)
        self.assertEqual((lost[0]["attempt"], lost[0]["outcome"], lost[0]["winner"]),
                         (1, "abandoned", 2))
        self.assertEqual(lost[0]["remote"]["ip"], VANISH6)
        self.assertGreaterEqual(lost[0]["t_us"], est[0]["t_us"], "the loser is closed after the win")
        summary = of_kind(evs, "summary")[0]
        self.assertEqual(summary["vars"]["remote_ip"], "127.0.0.1")

    def test_race_is_narrated(self):
        code, out, err = h.run_webtrace(["-o", "/dev/null", "--dns-server", self.dns.server_arg,
                                         f"http://{RACE_NAME}:{self.web.port}/"],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        v6 = VANISH6.replace(".", r"\.")
        self.assertNarration(err, rf"^\[tcp \] connecting to {v6} port {self.web.port} "
                                  rf"\(.*\) from \[{SOURCE6}\]:\d+ · address 1 of 2$")
        self.assertNarration(err, r"^\[tcp \] connecting to 127\.0\.0\.1 port .* address 2 of 2 · "
                                  r"started after 200\.0+ ms without an answer "
                                  r"\(--happy-eyeballs-timeout-ms\); 1 earlier attempt")
        self.assertNarration(err, r"^\[tcp \] connected 127\.0\.0\.1:\d+ .* · attempt 2 won$")
        self.assertNarration(err, rf"^\[tcp \] attempt 1 to \[{VANISH6}\]:\d+ abandoned after "
                                  r".* attempt 2 won the race")

    def test_attempt_delay_option(self):
        code, out, err = self.trace(RACE_NAME, self.web.port, "--happy-eyeballs-timeout-ms", "50")
        self.assertEqual(code, 0, h.describe(code, out, err))
        first, second = of_kind(events(out), "tcp_attempt")
        self.assertEqual((second["trigger"], second["delay_us"]), ("delay", 50_000))
        self.assertGreaterEqual(second["t_us"] - first["t_us"], 50_000)

    def test_failure_starts_the_next_attempt_at_once(self):
        # ::1 refuses (nothing listens on this port there): IPv4 goes next
        # because of the refusal, not because the delay passed.
        code, out, err = self.trace(REFUSED6_NAME, self.v4only.port,
                                    "--happy-eyeballs-timeout-ms", "60000")
        self.assertEqual(code, 0, h.describe(code, out, err))
        evs = events(out)
        attempts = of_kind(evs, "tcp_attempt")
        self.assertEqual([(a["remote"]["ip"], a["trigger"]) for a in attempts],
                         [("::1", "first"), ("127.0.0.1", "failure")])
        failed = of_kind(evs, "tcp_failed")
        self.assertEqual([(f["attempt"], f["outcome"], f["winner"]) for f in failed],
                         [(1, "refused", None)])
        self.assertLess(attempts[1]["t_us"] - attempts[0]["t_us"], 60_000_000)

    def test_every_attempt_vanishes_connect_timeout(self):
        fmt = "%{remote_ip} %{remote_port} %{exitcode}"
        code, out, err = self.trace(DEAD_NAME, 8080, "--connect-timeout", "0.6", "-w", fmt)
        self.assertEqual(code, 28, h.describe(code, out, err))
        lines = out.decode().splitlines()
        evs = events(out)
        attempts = of_kind(evs, "tcp_attempt")
        self.assertEqual(sorted(a["remote"]["ip"] for a in attempts), [VANISH6, VANISH6_B])
        self.assertEqual(attempts[1]["trigger"], "delay")
        last = attempts[1]["remote"]["ip"]
        failed = of_kind(evs, "tcp_failed")
        self.assertEqual([(f["attempt"], f["outcome"]) for f in failed],
                         [(1, "timed_out"), (2, "timed_out")])
        self.assertTrue(all(f["local"]["ip"] == SOURCE6 for f in failed))
        self.assertEqual(lines[-1], f"{last} 8080 28",
                         "-w names the last attempt even though none connected")
        self.assertEqual(of_kind(evs, "summary")[0]["vars"]["remote_ip"], last)


def main():
    global SKIP_REASON
    problem = _namespace_problem()
    if problem == "reexec":
        env = dict(os.environ, **{INSIDE: "1"})
        proc = subprocess.run(["unshare", "-n", "--", sys.executable, os.path.abspath(__file__),
                               *sys.argv[1:]], env=env, timeout=600)
        sys.exit(proc.returncode)
    SKIP_REASON = problem
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
