#!/usr/bin/env python3
"""webtrace benchmark: a small https fetch over a path with added latency.

Does the TLS set-up (the TLS module, OpenSSL, the context, the trust
store) really happen while DNS and TCP are in flight? On loopback every
wait is microseconds, so this makes a slow path: two network namespaces of
its own, a client and a server, joined by a pair of TUN devices whose
packets a thread of this script carries across after --delay-ms (20 ms
each way by default). This kernel may have no netem qdisc; the forwarder
needs nothing but TUN. Addresses: 198.18.0.1 (client) and 198.18.0.2
(server), from RFC 2544's benchmarking range, and only inside the two
namespaces made here; both are deleted at the end.

In the server namespace: nginx (https) and dnsmasq (bench.test A
198.18.0.2), as in bench.py. In the client namespace, runs interleaved:
  webtrace --ndjson --dns-server … --cacert … https://bench.test:PORT/small
      from its events: the gap between the TCP handshake's completion
      (tcp_established) and the ClientHello (tls_hello), and the set-up
      time beside it (hidden in the DNS and TCP waits, or not);
  curl --resolve … --cacert … the same URL
      its TLS step (time_appconnect - time_connect), set-up included.

Needs root (namespaces, TUN); otherwise it says why and exits 0. Every
process it starts is stopped by PID in a finally block; every wait is
bounded. Standard library only.

    python3 bench/latency.py [--quick] [--delay-ms 20] [--runs N] [--report FILE]
"""

import argparse
import ctypes
import fcntl
import heapq
import json
import os
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench as b  # noqa: E402

CLIENT_ADDR = "198.18.0.1"
SERVER_ADDR = "198.18.0.2"
GAP_GOAL_MS = 0.3
RUN_TIMEOUT_S = 20.0
INNER_TIMEOUT_S = 600.0

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def log(msg):
    sys.stderr.write(f"latency: {msg}\n")


def run(argv, timeout=b.TOOL_TIMEOUT_S):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise b.BenchError(f"{' '.join(argv)}: exit {r.returncode}: "
                           f"{r.stderr.decode(errors='replace').strip()}")
    return r.stdout.decode(errors="replace")


# ---------------------------------------------------------------------------
# The slow path: two TUN devices and a thread that carries packets late
# ---------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def open_tun(name):
    """A TUN device in the calling thread's network namespace."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    except OSError:
        os.close(fd)
        raise
    return fd


def open_tun_in(netns, name):
    """A TUN device made inside another namespace (by entering it and coming
    back: the device stays where it was made, the fd stays ours)."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    other = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(other)
        try:
            return open_tun(name)
        finally:
            _setns(own)
    finally:
        os.close(other)
        os.close(own)


class Forwarder(threading.Thread):
    """Carries every packet from one TUN device to the other, delay_s late."""

    def __init__(self, fd_a, fd_b, delay_s):
        super().__init__(daemon=True)
        self.fds = {fd_a: fd_b, fd_b: fd_a}
        self.delay_s = delay_s
        self.stopping = threading.Event()
        self.carried = 0

    def run(self):
        queue = []    # (due, seq, fd to write, packet)
        seq = 0
        while not self.stopping.is_set():
            now = time.monotonic()
            wait = min(0.1, max(0.0, queue[0][0] - now)) if queue else 0.1
            ready, _, _ = select.select(list(self.fds), [], [], wait)
            now = time.monotonic()
            for fd in ready:
                pkt = os.read(fd, 65536)
                heapq.heappush(queue, (now + self.delay_s, seq, self.fds[fd], pkt))
                seq += 1
            now = time.monotonic()
            while queue and queue[0][0] <= now:
                _, _, fd, pkt = heapq.heappop(queue)
                try:
                    os.write(fd, pkt)
                    self.carried += 1
                except OSError:
                    pass    # a device going down at the end


# ---------------------------------------------------------------------------
# Measuring (inside the server namespace)
# ---------------------------------------------------------------------------

def webtrace_once(client_ns, wt, env, dns_port, ca, url):
    argv = ["ip", "netns", "exec", client_ns, wt, "--ndjson", "-s", "-o", "/dev/null",
            "--dns-server", f"{SERVER_ADDR}:{dns_port}", "--cacert", ca, url]
    t0 = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env,
                       timeout=RUN_TIMEOUT_S)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        raise b.BenchError(f"webtrace exit {r.returncode}: {r.stdout[-2000:]!r}")
    evs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    est = next(e for e in evs if e["event"] == "tcp_established")
    hello = next(e for e in evs if e["event"] == "tls_hello")
    summary = next(e for e in reversed(evs) if e["event"] == "summary")
    setup = hello["setup"]
    return {
        "wall_s": wall,
        "gap_ms": (hello["t_us"] - est["t_us"]) / 1e3,
        "setup_ms": setup["total_us"] / 1e3,
        "hidden_ms": (setup["during_dns_us"] + setup["during_connect_us"]) / 1e3,
        "inline_ms": setup["inline_us"] / 1e3,
        "tls_ms": summary["tls_us"] / 1e3,
        "tls_step_ms": (summary["tls_us"] + summary["tls_setup_us"]) / 1e3,
    }


def curl_once(client_ns, curl, env, port, ca, url):
    argv = ["ip", "netns", "exec", client_ns, curl, "-s", "-o", "/dev/null", "--cacert", ca,
            "--resolve", f"bench.test:{port}:{SERVER_ADDR}",
            "-w", "%{time_connect} %{time_appconnect}", url]
    t0 = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env,
                       timeout=RUN_TIMEOUT_S)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        raise b.BenchError(f"curl exit {r.returncode}: {r.stderr[-2000:]!r}")
    connect, appconnect = (float(x) for x in r.stdout.split())
    return {"wall_s": wall, "tls_step_ms": (appconnect - connect) * 1e3}


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def inner(args):
    workdir = tempfile.mkdtemp(prefix="webtrace-latency-")
    peers, tuns = [], []
    fwd = None
    try:
        run(["ip", "link", "set", "lo", "up"])
        run(["ip", "netns", "exec", args.inner, "ip", "link", "set", "lo", "up"])
        tuns.append(open_tun("wts0"))
        tuns.append(open_tun_in(args.inner, "wtc0"))
        run(["ip", "addr", "add", SERVER_ADDR, "peer", CLIENT_ADDR, "dev", "wts0"])
        run(["ip", "link", "set", "wts0", "up"])
        run(["ip", "netns", "exec", args.inner, "ip", "addr", "add", CLIENT_ADDR, "peer",
             SERVER_ADDR, "dev", "wtc0"])
        run(["ip", "netns", "exec", args.inner, "ip", "link", "set", "wtc0", "up"])
        fwd = Forwarder(tuns[0], tuns[1], args.delay_ms / 1e3)
        fwd.start()

        b.LOOP4 = SERVER_ADDR        # the peers listen on the server's address
        pki = b.Pki(workdir, extra_sans=[f"DNS:{b.Dnsmasq.NAME}", f"IP:{SERVER_ADDR}"])
        pki.make()
        html = b.make_payloads(workdir, b.KiB)
        nginx = b.Nginx(workdir, pki, html)
        peers.append(nginx)
        nginx.start()
        dns = b.Dnsmasq(workdir)
        peers.append(dns)
        dns.start()

        env = b.client_env(workdir)
        url = f"https://{b.Dnsmasq.NAME}:{nginx.https_port}/small"
        wt_rows, curl_rows = [], []
        webtrace_once(args.inner, args.webtrace, env, dns.port, pki.ca_cert, url)  # warm-up
        for i in range(args.runs):
            wt_rows.append(webtrace_once(args.inner, args.webtrace, env, dns.port,
                                         pki.ca_cert, url))
            curl_rows.append(curl_once(args.inner, args.curl, env, nginx.https_port,
                                       pki.ca_cert, url))
        gap = med(wt_rows, "gap_ms")
        worst = max(r["gap_ms"] for r in wt_rows)
        lines = [
            f"## https over a {args.delay_ms:g} ms-each-way path ({args.runs} runs each, "
            f"medians)",
            "",
            f"Two network namespaces joined by TUN devices; every packet is carried "
            f"{args.delay_ms:g} ms late ({fwd.carried} packets). webtrace looks the name up "
            f"with dnsmasq across the path; curl is given the address with --resolve.",
            "",
            "| figure | webtrace | curl |",
            "|---|---|---|",
            f"| TCP established → ClientHello | {gap:.3f} ms (worst {worst:.3f} ms; goal ≤ "
            f"{GAP_GOAL_MS} ms: {'PASS' if gap <= GAP_GOAL_MS else 'MISS'}) | – |",
            f"| TLS set-up, all steps | {med(wt_rows, 'setup_ms'):.2f} ms | inside its TLS step |",
            f"| of it hidden in the DNS and TCP waits | {med(wt_rows, 'hidden_ms'):.2f} ms | – |",
            f"| of it the fetch waited for | {med(wt_rows, 'inline_ms'):.2f} ms | – |",
            f"| TLS step (TCP up → handshake done) | {med(wt_rows, 'tls_step_ms'):.2f} ms | "
            f"{med(curl_rows, 'tls_step_ms'):.2f} ms |",
            f"| whole process (wall) | {med(wt_rows, 'wall_s') * 1e3:.1f} ms (with a DNS "
            f"lookup) | {med(curl_rows, 'wall_s') * 1e3:.1f} ms (no lookup) |",
            "",
        ]
        text = "\n".join(lines)
        print(text)
        if args.report:
            with open(args.report, "w") as f:
                f.write(text)
        return 0
    finally:
        for p in reversed(peers):
            try:
                p.stop()
            except Exception as exc:
                log(f"stopping {p.name} failed: {exc}")
        if fwd:
            fwd.stopping.set()
            fwd.join(2.0)
        for fd in tuns:
            os.close(fd)
        shutil.rmtree(workdir, ignore_errors=True)


def outer(args):
    if os.geteuid() != 0:
        log("skipped: needs root (network namespaces and TUN devices)")
        return 0
    for tool in ("ip", "nginx", "dnsmasq"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            raise b.BenchError(f"{tool} not found (bench/run.sh installs it)")
    if not os.path.exists("/dev/net/tun"):
        log("skipped: no /dev/net/tun on this machine")
        return 0
    client_ns, server_ns = f"wtlat-c-{os.getpid()}", f"wtlat-s-{os.getpid()}"
    made = []
    try:
        for ns in (client_ns, server_ns):
            run(["ip", "netns", "add", ns])
            made.append(ns)
        argv = ["ip", "netns", "exec", server_ns, sys.executable, os.path.abspath(__file__),
                "--inner", client_ns, "--delay-ms", str(args.delay_ms), "--runs",
                str(args.runs), "--webtrace", args.webtrace, "--curl", args.curl]
        if args.report:
            argv += ["--report", args.report]
        return subprocess.run(argv, stdin=subprocess.DEVNULL, timeout=INNER_TIMEOUT_S).returncode
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=b.TOOL_TIMEOUT_S)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 runs each (CI smoke run)")
    ap.add_argument("--delay-ms", type=float, default=20.0)
    ap.add_argument("--runs", type=int)
    ap.add_argument("--webtrace", default=os.path.join(b.ROOT, "build", "webtrace"))
    ap.add_argument("--curl", default=shutil.which("curl") or "/usr/bin/curl")
    ap.add_argument("--report", help="also write the report (markdown) to this file")
    ap.add_argument("--inner", metavar="CLIENT_NETNS", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.runs = args.runs or (3 if args.quick else 21)
    args.webtrace = os.path.abspath(args.webtrace)
    if not 0 <= args.delay_ms <= 1000:
        raise b.BenchError("--delay-ms: 0 to 1000")
    return inner(args) if args.inner else outer(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except b.BenchError as exc:
        log(f"FAILED: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
