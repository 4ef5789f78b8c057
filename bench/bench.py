#!/usr/bin/env python3
"""webtrace benchmark: webtrace against curl on loopback peers.

Run it through bench/run.sh (which installs the peers and builds webtrace);
directly:  python3 bench/bench.py [--quick] [--webtrace PATH] [--report FILE]

Peers (127.0.0.1 only, free ports, foreground processes owned by PID, all
stopped in a finally block, every wait bounded):
  nginx    one process (master_process off), HTTP and HTTPS, sendfile on,
           serving /small (1 KiB) and /big (1 GiB, 8 MiB with --quick; a
           sparse file in the temp dir)
  dnsmasq  answers bench.test A 127.0.0.1
A throw-away PKI is made with the openssl CLI: an EC P-256 CA and a leaf for
localhost / 127.0.0.1 / ::1.

Every client run goes through bench/spawn.c (compiled here into the temp
dir): fork + exec + wait4, so wall time is CLOCK_MONOTONIC around the whole
process, CPU is ru_utime + ru_stime and peak RSS is ru_maxrss, without this
interpreter's own RSS leaking into the child's ru_maxrss (see spawn.c).

Runs are interleaved A B A B ... after one discarded warm-up pair. A failed
fetch (non-zero exit, timeout) or a peer that does not start aborts the
benchmark with a non-zero exit; missed targets never do (this is a report).

Standard library only (Python 3.9+).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LOOP4 = "127.0.0.1"
KiB, MiB, GiB = 1024, 1024 ** 2, 1024 ** 3

PEER_START_S = 10.0       # a healthy peer is up in milliseconds
PEER_STOP_S = 5.0
TOOL_TIMEOUT_S = 30.0     # one openssl / cc / version call
SMALL_RUN_TIMEOUT_S = 20.0
BIG_RUN_TIMEOUT_S = 300.0  # one 1 GiB fetch; a slow client is reported, not killed early


class BenchError(RuntimeError):
    """The benchmark itself broke: exit non-zero."""


def log(msg):
    sys.stderr.write(f"bench: {msg}\n")
    sys.stderr.flush()


def run_tool(argv, cwd=None, env=None, timeout=TOOL_TIMEOUT_S):
    try:
        res = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"timed out after {timeout} s: {' '.join(argv)}") from None
    except OSError as exc:
        raise BenchError(f"cannot run {argv[0]}: {exc}") from None
    if res.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {res.returncode}:\n"
                         f"{res.stderr.decode(errors='replace')[-2000:]}")
    return res.stdout.decode(errors="replace")


def free_port(kind):
    stype = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, stype) as s:
        s.bind((LOOP4, 0))
        return s.getsockname()[1]


def free_port_both():
    for _ in range(50):
        port = free_port("udp")
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((LOOP4, port))
            return port
        except OSError:
            continue
    raise BenchError("no loopback port free for both UDP and TCP")


# ---------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------

def _die_with_parent():
    """In a peer, between fork and exec: SIGTERM it if this script dies
    without reaching its finally block (kill -9). Best effort."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except Exception:
        pass

class Peer:
    """A foreground server process, owned by PID, with a bounded start/stop."""

    name = "peer"

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None

    def start(self):
        last = None
        for _ in range(5):           # a port may be taken between pick and bind
            self.pick_ports()
            self.prepare()
            logf = open(os.path.join(self.dir, "output.log"), "ab")
            try:
                self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                             stdout=logf, stderr=subprocess.STDOUT,
                                             cwd=self.dir, start_new_session=True,
                                             preexec_fn=_die_with_parent)
            finally:
                logf.close()
            deadline = time.monotonic() + PEER_START_S
            delay = 0.01
            while True:
                if self.proc.poll() is not None:
                    text = self.logs()
                    self.proc = None
                    if "in use" in text:
                        last = text
                        break
                    raise BenchError(f"{self.name} exited during start-up:\n{text}")
                if self.probe():
                    log(f"{self.name} up, pid {self.proc.pid}, {self.describe()}")
                    return self
                if time.monotonic() > deadline:
                    self.stop()
                    raise BenchError(f"{self.name} not ready after {PEER_START_S} s:\n"
                                     f"{self.logs()}")
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
        raise BenchError(f"{self.name}: no usable port after 5 tries:\n{last}")

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(PEER_STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(PEER_STOP_S)

    def logs(self):
        out = []
        for fname in sorted(os.listdir(self.dir)):
            if fname.endswith(".log"):
                with open(os.path.join(self.dir, fname), "rb") as f:
                    out.append(f"--- {fname}\n" + f.read()[-3000:].decode(errors="replace"))
        return "\n".join(out)


class Nginx(Peer):
    name = "nginx"

    def __init__(self, workdir, pki, html):
        super().__init__(workdir)
        self.pki = pki
        self.html = html
        self.http_port = self.https_port = None

    def pick_ports(self):
        self.http_port = free_port("tcp")
        self.https_port = free_port("tcp")
        while self.https_port == self.http_port:
            self.https_port = free_port("tcp")

    def describe(self):
        return f"http {LOOP4}:{self.http_port}, https {LOOP4}:{self.https_port}"

    def prepare(self):
        d = self.dir
        conf = f"""
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    types {{ }}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    gzip off;
    server {{
        listen {LOOP4}:{self.http_port};
        listen {LOOP4}:{self.https_port} ssl;
        server_name localhost;
        ssl_certificate {self.pki.leaf_cert};
        ssl_certificate_key {self.pki.leaf_key};
        ssl_protocols TLSv1.2 TLSv1.3;
        root {self.html};
        location / {{ }}
    }}
}}
"""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)

    def argv(self):
        return [shutil.which("nginx") or "/usr/sbin/nginx", "-p", self.dir + "/",
                "-c", os.path.join(self.dir, "nginx.conf"),
                "-e", os.path.join(self.dir, "error.log")]

    def probe(self):
        try:
            with socket.create_connection((LOOP4, self.http_port), timeout=0.5) as s:
                s.settimeout(1.0)
                s.sendall(b"HEAD /small HTTP/1.0\r\nHost: probe\r\n\r\n")
                reply = b""
                while b"\r\n\r\n" not in reply and len(reply) < 8192:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
        except OSError:
            return False
        if not reply.startswith(b"HTTP/1.1 200") or b"nginx" not in reply:
            raise BenchError(f"port {self.http_port}: not our nginx: {reply[:100]!r}")
        try:    # the TLS port accepts connections too
            socket.create_connection((LOOP4, self.https_port), timeout=0.5).close()
        except OSError:
            return False
        return True


class Dnsmasq(Peer):
    name = "dnsmasq"
    NAME = "bench.test"

    def pick_ports(self):
        self.port = free_port_both()

    def describe(self):
        return f"dns {LOOP4}:{self.port} ({self.NAME} A {LOOP4})"

    def prepare(self):
        pass

    def argv(self):
        argv = [shutil.which("dnsmasq") or "/usr/sbin/dnsmasq",
                "--keep-in-foreground", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
                f"--listen-address={LOOP4}", f"--port={self.port}",
                "--pid-file=" + os.path.join(self.dir, "dnsmasq.pid"),
                f"--host-record={self.NAME},{LOOP4},300",
                "--local=/test/"]
        if os.geteuid() == 0:
            argv.append("--user=root")   # keep the pid file writable
        return argv

    def probe(self):
        qid = 0x4242
        pkt = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        for label in self.NAME.split("."):
            pkt += bytes([len(label)]) + label.encode()
        pkt += b"\0" + struct.pack("!HH", 1, 1)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.2)
                s.connect((LOOP4, self.port))
                s.send(pkt)
                msg = s.recv(4096)
        except OSError:
            return False
        if len(msg) < 12 or struct.unpack("!H", msg[:2])[0] != qid:
            return False
        rcode, ancount = msg[3] & 0xF, struct.unpack("!H", msg[6:8])[0]
        if rcode != 0 or ancount < 1:
            raise BenchError(f"dnsmasq answered rcode {rcode}, {ancount} answers")
        return True


class WebtraceServe(Peer):
    """webtrace serve, silent (-s: nginx runs without an access log too)."""

    name = "webtrace-serve"

    def __init__(self, workdir, wt):
        super().__init__(workdir)
        self.wt = wt
        self.port = None

    def pick_ports(self):
        self.port = free_port("tcp")

    def describe(self):
        return f"http {LOOP4}:{self.port}"

    def prepare(self):
        pass

    def argv(self):
        return [self.wt, "serve", "--bind", LOOP4, "--port", str(self.port), "-s"]

    def probe(self):
        try:
            return http_get(self.port, SERVE_PATH)[0] == 200
        except OSError:
            return False


class NginxSame(Peer):
    """nginx answering one location from memory (return 200 "..."): the same
    status, Content-Type and body as webtrace serve's SERVE_PATH, keep-alive
    with no request limit (nginx closes after 1000 requests by default)."""

    name = "nginx-same"

    def __init__(self, workdir, body, content_type):
        super().__init__(workdir)
        self.body = body
        self.content_type = content_type
        self.port = None

    def pick_ports(self):
        self.port = free_port("tcp")

    def describe(self):
        return f"http {LOOP4}:{self.port}, {len(self.body)} bytes from memory"

    def prepare(self):
        text = self.body.decode("utf-8")
        if "$" in text:
            raise BenchError("the page holds a $: nginx would read a variable")
        quoted = text.replace("\\", "\\\\").replace('"', '\\"')
        d = self.dir
        conf = f"""
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_requests 1000000000;
    keepalive_timeout 60s;
    server {{
        listen {LOOP4}:{self.port};
        location = {SERVE_PATH} {{
            default_type "{self.content_type}";
            return 200 "{quoted}";
        }}
    }}
}}
"""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)

    def argv(self):
        return [shutil.which("nginx") or "/usr/sbin/nginx", "-p", self.dir + "/",
                "-c", os.path.join(self.dir, "nginx.conf"),
                "-e", os.path.join(self.dir, "error.log")]

    def probe(self):
        try:
            status, _, body = http_get(self.port, SERVE_PATH)
        except OSError:
            return False
        if status != 200 or body != self.body:
            raise BenchError(f"nginx on {self.port} does not answer the same bytes")
        return True


def http_get(port, path, timeout=1.0):
    """(status, head bytes, body bytes) of one HTTP/1.0 GET on loopback."""
    with socket.create_connection((LOOP4, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return (int(m.group(1)) if m else 0), head, body


class Pki:
    """A test CA and a leaf for localhost / 127.0.0.1 / ::1 (openssl CLI),
    and for the extra names given (DNS:name or IP:address)."""

    def __init__(self, workdir, extra_sans=()):
        self.extra_sans = list(extra_sans)
        self.dir = os.path.join(workdir, "pki")
        os.makedirs(self.dir)
        self.ca_cert = os.path.join(self.dir, "ca.pem")
        self.ca_key = os.path.join(self.dir, "ca.key")
        self.leaf_cert = os.path.join(self.dir, "leaf.pem")
        self.leaf_key = os.path.join(self.dir, "leaf.key")
        self.ossl = shutil.which("openssl") or "/usr/bin/openssl"

    def make(self):
        o, d = self.ossl, self.dir
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        run_tool([o, "req", "-x509", *ec, "-keyout", self.ca_key, "-out", self.ca_cert,
                  "-days", "2", "-subj", "/O=webtrace bench/CN=webtrace bench CA",
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"], cwd=d)
        csr = os.path.join(d, "leaf.csr")
        run_tool([o, "req", "-new", *ec, "-keyout", self.leaf_key, "-out", csr,
                  "-subj", "/CN=localhost"], cwd=d)
        ext = os.path.join(d, "leaf.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=" + ",".join(["DNS:localhost", "IP:127.0.0.1", "IP:::1",
                                                  *self.extra_sans]) + "\n")
        run_tool([o, "x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
                  "-CAcreateserial", "-out", self.leaf_cert, "-days", "2",
                  "-extfile", ext], cwd=d)

    def make_system_store(self, sysdir="/etc/ssl/certs"):
        """A copy of the system's hashed CA directory with the test CA added:
        a symlink to every hashed entry of sysdir (NNNNNNNN.D), plus the
        test CA under its own subject hash. Returns (dir, entries copied)."""
        certs = os.path.join(self.dir, "system-store")
        os.makedirs(certs)
        n = 0
        if os.path.isdir(sysdir):
            for fname in os.listdir(sysdir):
                if re.fullmatch(r"[0-9a-f]{8}\.\d+", fname):
                    os.symlink(os.path.realpath(os.path.join(sysdir, fname)),
                               os.path.join(certs, fname))
                    n += 1
        h = run_tool([self.ossl, "x509", "-hash", "-noout", "-in", self.ca_cert]).strip()
        i = 0
        while os.path.lexists(os.path.join(certs, f"{h}.{i}")):
            i += 1
        shutil.copy(self.ca_cert, os.path.join(certs, f"{h}.{i}"))
        return certs, n


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------

def proc_cpu_s(pid):
    """utime + stime of a process so far, in seconds (clock-tick resolution)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class Runner:
    def __init__(self, spawn, workdir, env, server_pid=None):
        self.spawn = spawn
        self.workdir = workdir
        self.env = env
        self.server_pid = server_pid

    def once(self, argv, timeout, env_extra=None, stderr_path="/dev/null"):
        """One measured run, stdout and stderr to /dev/null. A failure is
        re-run once with stderr kept, to say what went wrong."""
        env = dict(self.env)
        if env_extra:
            env.update(env_extra)
        cmd = [self.spawn, str(timeout), "/dev/null", stderr_path, "--", *argv]
        srv0 = proc_cpu_s(self.server_pid) if self.server_pid else float("nan")
        try:
            res = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL,
                                 capture_output=True, timeout=timeout + 15)
        except subprocess.TimeoutExpired:
            raise BenchError(f"spawn helper hung: {' '.join(argv)}") from None
        srv = (proc_cpu_s(self.server_pid) if self.server_pid else float("nan")) - srv0
        line = res.stdout.decode(errors="replace").strip()
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if res.returncode != 0 or "status" not in fields:
            raise BenchError(f"spawn helper failed ({res.returncode}): {line} "
                             f"{res.stderr.decode(errors='replace')}")
        failed = None
        if fields["timeout"] != "0":
            failed = f"timed out after {timeout} s"
        elif fields["status"] != "0":
            failed = f"exit {fields['status']}"
        if failed:
            text = ""
            if stderr_path == "/dev/null":
                err = os.path.join(self.workdir, "failed-stderr.txt")
                try:
                    self.once(argv, timeout, env_extra, err)
                except BenchError:
                    pass
                with open(err, "rb") as f:
                    text = f.read()[-2000:].decode(errors="replace")
                raise BenchError(f"fetch failed ({failed}): {' '.join(argv)}\n"
                                 f"{text}")
            raise BenchError(failed)
        return {
            "wall": int(fields["wall_ns"]) / 1e9,
            "cpu": (int(fields["utime_us"]) + int(fields["stime_us"])) / 1e6,
            "user": int(fields["utime_us"]) / 1e6,
            "sys": int(fields["stime_us"]) / 1e6,
            "rss": int(fields["maxrss_kb"]) / 1024.0,   # MiB
            "server_cpu": srv,   # nginx's CPU while this run was going on
        }

    def pairs(self, a, b, runs, timeout):
        """a, b: (argv, env_extra). One discarded warm-up pair, then runs
        interleaved pairs A B A B ...; returns ([a results], [b results])."""
        self.once(a[0], timeout, a[1])
        self.once(b[0], timeout, b[1])
        ra, rb = [], []
        for _ in range(runs):
            ra.append(self.once(a[0], timeout, a[1]))
            rb.append(self.once(b[0], timeout, b[1]))
        return ra, rb


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def analyse(case, ra, rb, size=None):
    """Medians, min/max, the ratio of medians and the per-pair ratios."""
    out = {"case": case["id"], "title": case["title"], "a": case["a_name"],
           "b": case["b_name"], "runs": len(ra), "size": size, "metrics": {}}
    metrics = ["wall", "cpu", "rss"]
    for m in metrics:
        va, vb = [r[m] for r in ra], [r[m] for r in rb]
        pr = [x / y for x, y in zip(va, vb) if y > 0]
        sa, sb = summary(va), summary(vb)
        out["metrics"][m] = {
            "a": sa, "b": sb,
            "ratio": sa["median"] / sb["median"] if sb["median"] > 0 else float("nan"),
            "pair": summary(pr) if pr else None,
        }
    if size:
        gib = size / GiB
        ta = [size / MiB / r["wall"] for r in ra]
        tb = [size / MiB / r["wall"] for r in rb]
        ca = [r["cpu"] / gib for r in ra]
        cb = [r["cpu"] / gib for r in rb]
        out["metrics"]["throughput"] = {
            "a": summary(ta), "b": summary(tb),
            "ratio": statistics.median(ta) / statistics.median(tb),
            "pair": summary([x / y for x, y in zip(ta, tb)]),
        }
        out["metrics"]["cpu_per_gib"] = {
            "a": summary(ca), "b": summary(cb),
            "ratio": statistics.median(ca) / statistics.median(cb)
            if statistics.median(cb) > 0 else float("nan"),
            "pair": summary([x / y for x, y in zip(ca, cb) if y > 0]) or None,
        }
        # nginx's own CPU during the runs: when it is close to the wall time,
        # the server (one process, one core) is what limits the throughput.
        sa = [r["server_cpu"] for r in ra]
        sb = [r["server_cpu"] for r in rb]
        if all(v == v for v in sa + sb):      # no NaN
            out["metrics"]["server_cpu"] = {
                "a": summary(sa), "b": summary(sb),
                "ratio": statistics.median(sa) / statistics.median(sb)
                if statistics.median(sb) > 0 else float("nan"),
                "pair": None,
            }
    return out


UNITS = {
    "wall": ("wall time", "ms", 1e3),
    "cpu": ("CPU user+sys", "ms", 1e3),
    "rss": ("peak RSS", "MiB", 1),
    "throughput": ("throughput", "MiB/s", 1),
    "cpu_per_gib": ("client CPU per GiB", "s", 1),
    "server_cpu": ("nginx CPU during the run (10 ms ticks)", "ms", 1e3),
}


def fmt(v, unit):
    if unit == "ms":
        return f"{v:.2f}" if v < 100 else f"{v:.0f}"
    if unit == "MiB":
        return f"{v:.1f}"
    if unit == "MiB/s":
        return f"{v:.0f}"
    return f"{v:.3f}"


def cell(s, unit, scale):
    return (f"{fmt(s['median'] * scale, unit)} "
            f"({fmt(s['min'] * scale, unit)}–{fmt(s['max'] * scale, unit)})")


def results_table(results):
    lines = ["| case | metric | A median (min–max) | B median (min–max) | "
             "A/B of medians | A/B per pair: median (min–max) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        first = True
        for m in ["wall", "cpu", "rss", "throughput", "cpu_per_gib", "server_cpu"]:
            if m not in r["metrics"]:
                continue
            d = r["metrics"][m]
            label, unit, scale = UNITS[m]
            pair = d["pair"]
            pc = (f"{pair['median']:.2f} ({pair['min']:.2f}–{pair['max']:.2f})"
                  if pair else "–")
            case = (f"**{r['case']}** {r['title']}<br>A = {r['a']}<br>B = {r['b']}"
                    f"<br>{r['runs']} pairs" if first else "")
            lines.append(f"| {case} | {label} [{unit}] | {cell(d['a'], unit, scale)} | "
                         f"{cell(d['b'], unit, scale)} | "
                         f"{d['ratio']:.2f} | {pc} |".replace("| nan |", "| – |"))
            first = False
    return "\n".join(lines)


def targets(results, big_label):
    by = {r["case"]: r for r in results}

    def ratio(case, m):
        return by[case]["metrics"][m]["ratio"]

    rows = []

    def add(name, value, goal, ok, note=""):
        rows.append((name, value, goal, "PASS" if ok else "MISS", note))

    v = ratio("1", "wall")
    add("small http: wall time vs curl", f"{v:.3f}×", "≤ 0.35×", v <= 0.35)
    # The https start-up goals are medians of the per-pair ratios.
    def pair(case, m):
        return by[case]["metrics"][m]["pair"]["median"]

    v = pair("2", "wall")
    add("small https, --cacert: wall time vs curl (per pair)", f"{v:.3f}×", "≤ 0.5×", v <= 0.5)
    v = pair("2", "cpu")
    add("small https, --cacert: CPU vs curl (per pair)", f"{v:.3f}×", "≤ 0.5×", v <= 0.5)
    v = pair("3", "wall")
    add("small https, system store: wall time vs curl (per pair)", f"{v:.3f}×", "≤ 0.35×",
        v <= 0.35)
    v = ratio("4", "throughput")
    add(f"{big_label} http: throughput vs curl", f"{v:.3f}×", "≥ 1.0×", v >= 1.0)
    v = ratio("4", "cpu_per_gib")
    add(f"{big_label} http: client CPU per GiB vs curl", f"{v:.3f}×", "≤ 0.75×", v <= 0.75)
    v = ratio("5", "throughput")
    add(f"{big_label} https: throughput vs curl", f"{v:.3f}×", "≥ 1.0×", v >= 1.0)
    v = ratio("5", "cpu_per_gib")
    add(f"{big_label} https: client CPU per GiB vs curl", f"{v:.3f}×", "≤ 0.9×", v <= 0.9)
    v = ratio("1", "rss")
    add("small http: peak RSS vs curl", f"{v:.3f}×", "≤ 0.4×", v <= 0.4)
    for big, small, scheme in (("4", "1", "http"), ("5", "2", "https")):
        rb = by[big]["metrics"]["rss"]["a"]["median"]
        rs = by[small]["metrics"]["rss"]["a"]["median"]
        add(f"{big_label} {scheme}: webtrace peak RSS flat",
            f"{rb:.1f} MiB (small: {rs:.1f})", "≤ small + 2 MiB", rb <= rs + 2.0)
    v = ratio("7", "wall")
    add("narration on vs -s: wall time", f"{(v - 1) * 100:+.1f} %", "≤ +5 %", v <= 1.05)
    w = by["6"]["metrics"]["wall"]
    d = (w["a"]["median"] - w["b"]["median"]) * 1e3
    rows.append(("DNS step via dnsmasq (webtrace, name vs IP literal)",
                 f"{d:+.2f} ms ({w['ratio']:.2f}×)", "none (no curl counterpart)", "info", ""))
    return rows


def targets_table(rows):
    lines = ["| target | measured | goal | result |", "| --- | --- | --- | --- |"]
    for name, value, goal, res, _ in rows:
        shown = {"MISS": "**MISS**", "PASS": "PASS"}.get(res, res)
        lines.append(f"| {name} | {value} | {goal} | {shown} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Machine
# ---------------------------------------------------------------------------

def machine_info(webtrace):
    info = {"nproc": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            info["cpu"] = m.group(1).strip() if m else "?"
    except OSError:
        info["cpu"] = "?"
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"^MemTotal:\s*(\d+) kB", f.read(), re.M)
            info["memory"] = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB" if m else "?"
    except OSError:
        info["memory"] = "?"
    info["kernel"] = platform.release()
    try:
        with open("/etc/debian_version") as f:
            info["debian"] = f.read().strip()
    except OSError:
        info["debian"] = "?"
    info["curl"] = run_tool(["curl", "--version"]).splitlines()[0]
    info["webtrace"] = run_tool([webtrace, "--version"]).strip().splitlines()[0]
    try:   # read-only: which source the binary was built from
        rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                             capture_output=True, timeout=10).stdout.decode().strip()
        if rev:
            info["webtrace"] += f" (source {rev})"
    except (OSError, subprocess.TimeoutExpired):
        pass
    try:
        info["nginx"] = subprocess.run(["nginx", "-v"], capture_output=True, timeout=10
                                       ).stderr.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        info["nginx"] = "?"
    info["openssl"] = run_tool(["openssl", "version"]).strip()
    return info


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def build_spawn(workdir):
    out = os.path.join(workdir, "spawn")
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise BenchError("no C compiler (cc) to build bench/spawn.c")
    src = os.path.join(HERE, "spawn.c")
    try:
        run_tool([cc, "-O2", "-static", "-o", out, src])
    except BenchError:   # no static libc: a dynamic one still keeps the floor ~1 MiB
        run_tool([cc, "-O2", "-o", out, src])
    return out


def build_load(workdir):
    out = os.path.join(workdir, "load")
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise BenchError("no C compiler (cc) to build bench/load.c")
    run_tool([cc, "-O2", "-o", out, os.path.join(HERE, "load.c")])
    return out


SERVE_LEVELS = (1, 10, 50)
SERVE_PATH = "/bytes/1024"   # 1 KiB from memory, as /small in the client cases


def serve_vs_nginx(load, wt, workdir, quick, pairs, seconds):
    """webtrace serve against nginx answering the same bytes from memory:
    requests/s with bench/load.c at each concurrency, keep-alive on both.
    Interleaved pairs (serve, nginx, serve, nginx ...) after one discarded
    warm-up pair per level; the figure of merit is the median of the
    per-pair ratios, which cancels slow drifts of a shared machine."""
    peers = []
    try:
        srv = WebtraceServe(workdir, wt)
        peers.append(srv)
        srv.start()
        status, head, body = http_get(srv.port, SERVE_PATH)
        m = re.search(rb"\r\nContent-Type: ([^\r]+)", head)
        ngx = NginxSame(workdir, body, m.group(1).decode() if m else "text/html")
        peers.append(ngx)
        ngx.start()

        def one(port, level):
            cmd = [load, LOOP4, str(port), SERVE_PATH, str(level), f"{seconds}"]
            try:
                res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                     timeout=seconds + 30)
            except subprocess.TimeoutExpired:
                raise BenchError(f"load generator hung: {' '.join(cmd)}") from None
            line = res.stdout.decode(errors="replace")
            fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            if res.returncode != 0 or "rps" not in fields:
                raise BenchError(f"load failed ({res.returncode}): {line} "
                                 f"{res.stderr.decode(errors='replace')[-500:]}")
            return float(fields["rps"])

        results = []
        for level in SERVE_LEVELS:
            one(srv.port, level)
            one(ngx.port, level)
            ra, rb = [], []
            for _ in range(pairs):
                ra.append(one(srv.port, level))
                rb.append(one(ngx.port, level))
            ratios = [a / b for a, b in zip(ra, rb) if b > 0]
            results.append({"concurrency": level, "pairs": pairs, "seconds": seconds,
                            "serve_rps": summary(ra), "nginx_rps": summary(rb),
                            "ratio": summary(ratios)})
            log(f"serve vs nginx, {level} connections: {statistics.median(ra):.0f} vs "
                f"{statistics.median(rb):.0f} requests/s "
                f"(median pair ratio {statistics.median(ratios):.2f}×)")
        return results
    finally:
        for p in reversed(peers):
            try:
                p.stop()
            except Exception as exc:
                log(f"stopping {p.name} failed: {exc}")


def serve_table(results):
    lines = ["| connections | webtrace serve req/s (median, min–max) | nginx req/s (median, "
             "min–max) | serve/nginx, median of pair ratios (min–max) | pairs × s |",
             "| --- | --- | --- | --- | --- |"]
    for r in results:
        a, b, q = r["serve_rps"], r["nginx_rps"], r["ratio"]
        lines.append(f"| {r['concurrency']} | {a['median']:.0f} ({a['min']:.0f}–{a['max']:.0f}) "
                     f"| {b['median']:.0f} ({b['min']:.0f}–{b['max']:.0f}) "
                     f"| {q['median']:.2f}× ({q['min']:.2f}–{q['max']:.2f}) "
                     f"| {r['pairs']} × {r['seconds']:g} |")
    return "\n".join(lines)


def serve_targets(results):
    return [(f"webtrace serve req/s vs nginx, {r['concurrency']} keep-alive connections",
             f"{r['ratio']['median']:.2f}×", "≥ 1.0×",
             "PASS" if r["ratio"]["median"] >= 1.0 else "MISS", "")
            for r in results]


def snapshot_webtrace(wt, bindir, info):
    """Copies webtrace and the modules it loads from next to itself
    (webtrace-*.so) into bindir, marked as a build tree; returns the copy's
    path."""
    import glob
    import hashlib
    os.makedirs(bindir)
    src_dir = os.path.dirname(wt)
    for path in [wt] + sorted(glob.glob(os.path.join(src_dir, "webtrace-*.so"))):
        shutil.copy2(path, os.path.join(bindir, os.path.basename(path)))
    # The snapshot is a build tree of its own: webtrace loads a module from
    # next to itself only where this marker names that directory.
    with open(os.path.join(bindir, "webtrace-build-tree"), "w") as f:
        f.write(os.path.realpath(bindir) + "\n")
    copy = os.path.join(bindir, os.path.basename(wt))
    run_tool([copy, "--version"])
    with open(copy, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(wt)))
    info["webtrace"] += f", binary built {built}, sha256 {digest}…"
    return copy


def client_env(workdir):
    """The environment both clients run in: no proxies, no user config
    (~/.curlrc), no CA overrides unless a case sets them."""
    home = os.path.join(workdir, "home")
    os.makedirs(home, exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
           and k not in ("SSL_CERT_DIR", "SSL_CERT_FILE", "CURL_CA_BUNDLE",
                         "CURL_HOME", "XDG_CONFIG_HOME", "NO_COLOR", "OPENSSL_CONF")}
    env["HOME"] = home
    env["LC_ALL"] = "C.UTF-8"
    return env


def make_payloads(workdir, big_size):
    html = os.path.join(workdir, "html")
    os.makedirs(html)
    with open(os.path.join(html, "small"), "wb") as f:
        f.write((b"webtrace benchmark payload, 1 KiB. " * 32)[:KiB])
    with open(os.path.join(html, "big"), "wb") as f:
        f.truncate(big_size)      # sparse: no disk used, page-cache zero pages
    return html


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="3 pairs per case, 8 MiB instead of 1 GiB (CI smoke run)")
    ap.add_argument("--webtrace", default=os.path.join(ROOT, "build", "webtrace"))
    ap.add_argument("--curl", default=shutil.which("curl") or "/usr/bin/curl")
    ap.add_argument("--runs", type=int, help="pairs per short case (default 51, quick 3)")
    ap.add_argument("--big-runs", type=int, help="pairs per long case (default 7, quick 3)")
    ap.add_argument("--report", help="also write the report (markdown) to this file")
    ap.add_argument("--json", help="also write the raw results (JSON) to this file")
    ap.add_argument("--server-only", action="store_true",
                    help="only the webtrace serve vs nginx requests/s comparison")
    ap.add_argument("--server-pairs", type=int,
                    help="pairs per concurrency level in that comparison (default 11, quick 1)")
    ap.add_argument("--server-seconds", type=float,
                    help="seconds per load run in that comparison (default 1, quick 0.3)")
    ap.add_argument("--serve", type=float, metavar="SECONDS",
                    help="only start the peers, print the URLs and the commands of "
                         "every case, keep them up for SECONDS (at most 3600) or "
                         "until Ctrl-C: for profiling by hand")
    args = ap.parse_args()

    short_runs = args.runs or (3 if args.quick else 51)
    server_pairs = args.server_pairs or (1 if args.quick else 11)
    server_seconds = args.server_seconds or (0.3 if args.quick else 1.0)
    long_runs = args.big_runs or (3 if args.quick else 7)
    big_size = 8 * MiB if args.quick else GiB
    big_label = "8 MiB" if args.quick else "1 GiB"
    wt = os.path.abspath(args.webtrace)
    curl = args.curl
    if not os.access(wt, os.X_OK):
        raise BenchError(f"{wt}: not an executable (build it: ninja -C build)")

    t_start = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="webtrace-bench-")
    peers = []

    def on_term(signum, frame):
        raise KeyboardInterrupt()     # unwinds through the finally below

    signal.signal(signal.SIGTERM, on_term)
    try:
        spawn = build_spawn(workdir)
        info = machine_info(wt)
        if args.serve is None:
            # Measure a snapshot: a rebuild of build/ during the run (others
            # work in this tree) must not mix two binaries in one report.
            wt = snapshot_webtrace(wt, os.path.join(workdir, "bin"), info)
        pki = Pki(workdir)
        pki.make()
        store_dir, n_sys = pki.make_system_store()
        html = make_payloads(workdir, big_size)
        nginx = Nginx(workdir, pki, html)
        peers.append(nginx)
        nginx.start()
        dns = Dnsmasq(workdir)
        peers.append(dns)
        dns.start()

        http = f"http://{LOOP4}:{nginx.http_port}"
        https = f"https://{LOOP4}:{nginx.https_port}"
        named = f"http://{Dnsmasq.NAME}:{nginx.http_port}"
        sysenv = {"SSL_CERT_DIR": store_dir}
        S = ["-s", "-o", "/dev/null"]
        cases = [
            dict(id="1", title="small (1 KiB) http", size=None, runs=short_runs,
                 a_name="webtrace", b_name="curl",
                 a=([wt, *S, f"{http}/small"], None),
                 b=([curl, *S, f"{http}/small"], None)),
            dict(id="2", title="small https, --cacert test CA", size=None, runs=short_runs,
                 a_name="webtrace", b_name="curl",
                 a=([wt, *S, "--cacert", pki.ca_cert, f"{https}/small"], None),
                 b=([curl, *S, "--cacert", pki.ca_cert, f"{https}/small"], None)),
            # Each tool's default trust set-up, with SSL_CERT_DIR pointing at a
            # copy of /etc/ssl/certs that also holds the test CA. webtrace:
            # hashed-directory lookup in $SSL_CERT_DIR (its default). curl
            # (Debian build): CAfile = its compiled-in bundle
            # /etc/ssl/certs/ca-certificates.crt, parsed whole as always, and
            # CApath = $SSL_CERT_DIR (the curl tool maps the variable to
            # --capath). Both must verify the chain: no -k.
            dict(id="3", title="small https, system trust store (each tool's default; "
                 "SSL_CERT_DIR = system hashed dir + test CA)", size=None, runs=short_runs,
                 a_name="webtrace (hashed dir $SSL_CERT_DIR)",
                 b_name="curl (bundle /etc/ssl/certs/ca-certificates.crt + CApath "
                 "$SSL_CERT_DIR)",
                 a=([wt, *S, f"{https}/small"], sysenv),
                 b=([curl, *S, f"{https}/small"], sysenv)),
            dict(id="4", title=f"{big_label} http", size=big_size, runs=long_runs,
                 a_name="webtrace", b_name="curl",
                 a=([wt, *S, f"{http}/big"], None),
                 b=([curl, *S, f"{http}/big"], None)),
            dict(id="5", title=f"{big_label} https, --cacert", size=big_size, runs=long_runs,
                 a_name="webtrace", b_name="curl",
                 a=([wt, *S, "--cacert", pki.ca_cert, f"{https}/big"], None),
                 b=([curl, *S, "--cacert", pki.ca_cert, f"{https}/big"], None)),
            dict(id="6", title="DNS step: small http, name via dnsmasq vs IP literal "
                 "(webtrace only)", size=None, runs=short_runs,
                 a_name=f"webtrace --dns-server (name {Dnsmasq.NAME})",
                 b_name="webtrace (127.0.0.1)",
                 a=([wt, *S, "--dns-server", f"{LOOP4}:{dns.port}", f"{named}/small"], None),
                 b=([wt, *S, f"{http}/small"], None)),
            dict(id="7", title="narration cost: small http, narration on (stderr to "
                 "/dev/null) vs -s (webtrace only)", size=None, runs=short_runs,
                 a_name="webtrace (narration)", b_name="webtrace -s",
                 a=([wt, "-o", "/dev/null", f"{http}/small"], None),
                 b=([wt, *S, f"{http}/small"], None)),
        ]
        if args.serve is not None:
            serve(args.serve, cases, client_env(workdir), sysenv)
            return 0
        runner = Runner(spawn, workdir, client_env(workdir), nginx.proc.pid)
        results = []
        for case in ([] if args.server_only else cases):
            timeout = BIG_RUN_TIMEOUT_S if case["size"] else SMALL_RUN_TIMEOUT_S
            log(f"case {case['id']}: {case['title']}: {case['runs']} pairs ...")
            t0 = time.monotonic()
            ra, rb = measure(runner, case, timeout)
            r = analyse(case, ra, rb, case["size"])
            results.append(r)
            w = r["metrics"]["wall"]
            log(f"case {case['id']}: {time.monotonic() - t0:.1f} s; wall median "
                f"{w['a']['median'] * 1e3:.2f} ms vs {w['b']['median'] * 1e3:.2f} ms "
                f"({w['ratio']:.2f}×)")
        log(f"serve vs nginx: {server_pairs} pairs of {server_seconds:g} s per level ...")
        server_results = serve_vs_nginx(build_load(workdir), wt, workdir, args.quick,
                                        server_pairs, server_seconds)
    finally:
        for p in reversed(peers):
            try:
                p.stop()
            except Exception as exc:   # keep stopping the others
                log(f"stopping {p.name} failed: {exc}")
        if os.environ.get("WEBTRACE_BENCH_KEEP"):
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    elapsed = time.monotonic() - t_start
    rows = (targets(results, big_label) if results else []) + serve_targets(server_results)
    mode = "quick (3 pairs per case, 8 MiB body; timings not meaningful)" \
        if args.quick else f"full ({short_runs} pairs per short case, {long_runs} per long case)"
    report = [
        f"## Results: {mode}",
        "",
        f"Machine: {info['nproc']} CPUs · {info['cpu']} · {info['memory']} RAM · "
        f"kernel {info['kernel']} · Debian {info['debian']}",
        f"Clients: {info['webtrace']} · {info['curl']}",
        f"Peers: {info['nginx']} · {info['openssl']} · system store: {n_sys} hashed "
        f"entries in /etc/ssl/certs",
        f"Benchmark wall time: {elapsed:.0f} s",
        "",
        "### Targets",
        "",
        targets_table(rows),
        "",
        "### All measurements",
        "",
        "Wall time is the whole process (fork to wait4); CPU is user + system; "
        "peak RSS is ru_maxrss. Ratios are A/B.",
        "",
        results_table(results) if results else "(client cases not run: --server-only)",
        "",
        "### webtrace serve vs nginx (same bytes from memory, keep-alive)",
        "",
        "Requests/s from bench/load.c (one request in flight per connection). "
        "Both servers are one process; serve runs with -s, nginx without an access log.",
        "",
        serve_table(server_results),
        "",
    ]
    text = "\n".join(report)
    print(text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "mode": "quick" if args.quick else "full",
                       "elapsed_s": elapsed, "results": results,
                       "serve_vs_nginx": server_results,
                       "targets": [dict(zip(("target", "measured", "goal", "result"), r[:4]))
                                   for r in rows]}, f, indent=1)
    misses = sum(1 for r in rows if r[3] == "MISS")
    met = sum(1 for r in rows if r[3] == "PASS")
    log(f"done in {elapsed:.0f} s: {met} targets met, {misses} missed "
        f"(a report: missed targets do not fail the run)")
    return 0


def serve(seconds, cases, env, sysenv):
    """Peers up, commands printed; wait (bounded) for Ctrl-C or SIGTERM."""
    import shlex
    print("# peers are up; run the cases by hand (e.g. under perf or valgrind).")
    print(f"export HOME={shlex.quote(env['HOME'])}   # no ~/.curlrc, as in the benchmark")
    for c in cases:
        print(f"\n# case {c['id']}: {c['title']}")
        for argv, extra in (c["a"], c["b"]):
            pre = " ".join(f"{k}={shlex.quote(v)}" for k, v in (extra or {}).items())
            print((pre + " " if pre else "") + " ".join(shlex.quote(a) for a in argv))
    sys.stdout.flush()
    seconds = max(0.0, min(seconds, 3600.0))
    log(f"serving for {seconds:.0f} s (Ctrl-C to stop earlier)")
    try:
        time.sleep(seconds)
    except KeyboardInterrupt:
        pass


def measure(runner, case, timeout):
    a_argv, a_env = case["a"]
    b_argv, b_env = case["b"]
    return runner.pairs((a_argv, a_env), (b_argv, b_env), case["runs"], timeout)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        log(f"FAILED: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
