"""Integration-test harness for webtrace: loopback peers and a runner.

Peers (all on 127.0.0.1 / ::1 only, on free ports, owned by PID):
  Dnsmasq      - a foreground dnsmasq serving the example.test zone.
  Nginx        - a foreground, single-process nginx serving fixed files.
  SilentUdp    - a UDP socket that reads queries and never answers.
  HostileHttp  - a threaded TCP server in this process; the request target
                 picks a scripted misbehaviour (/empty_reply, /rst_mid_body...).

Lifecycle: each test class starts its peers in setUpClass and stops them in
tearDownClass (Peer.stop: terminate by PID, wait with a timeout, then kill).
Every started peer is also recorded in a module registry that an atexit hook
stops, and a SIGTERM handler (meson's timeout) kills the running webtrace,
stops the peers and exits, so no peer outlives the process even when
setUpClass fails half-way or the run is interrupted.

run_webtrace() runs the binary named by $WEBTRACE with a hard timeout: a hang
is reported as a test failure (WebtraceHang is an AssertionError), never as
a hang of the harness.

Standard library only; Python 3.11.
"""

import atexit
import errno
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

LOOPBACK4 = "127.0.0.1"
LOOPBACK6 = "::1"

# Generous backstops; a healthy peer is up in a few milliseconds.
PEER_START_DEADLINE_S = 10.0
PEER_STOP_TIMEOUT_S = 5.0
PORT_RETRIES = 5

# ---------------------------------------------------------------------------
# Registry and cleanup
# ---------------------------------------------------------------------------

_live_peers = []
_live_children = set()          # webtrace processes being run right now
_live_lock = threading.RLock()  # re-entrant: the SIGTERM handler may take it


def _register(peer):
    with _live_lock:
        if peer not in _live_peers:
            _live_peers.append(peer)


def _unregister(peer):
    with _live_lock:
        if peer in _live_peers:
            _live_peers.remove(peer)


def stop_all_peers():
    """Stops every peer still running (atexit and emergency path)."""
    with _live_lock:
        peers = list(reversed(_live_peers))
    for peer in peers:
        try:
            peer.stop()
        except Exception as exc:  # keep stopping the others
            sys.stderr.write(f"harness: stopping {peer!r} failed: {exc}\n")


atexit.register(stop_all_peers)


def _on_sigterm(signum, frame):
    # unittest would record a SystemExit raised here as one test's error and
    # carry on; a SIGTERM (meson's timeout) must end the run: kill what we
    # run, stop the peers by PID, exit at once.
    with _live_lock:
        children = list(_live_children)
    for child in children:
        try:
            child.kill()
        except OSError:
            pass
    stop_all_peers()
    os._exit(128 + signum)


if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)


# ---------------------------------------------------------------------------
# Ports and addresses
# ---------------------------------------------------------------------------

def free_port(kind="tcp", host=LOOPBACK4):
    """A port that was free a moment ago on host (bind to port 0, close).

    Another process may take it before the peer binds it; peers therefore
    retry start-up with a fresh port (PORT_RETRIES) when the bind fails.
    """
    if kind == "tcp":
        stype = socket.SOCK_STREAM
    elif kind == "udp":
        stype = socket.SOCK_DGRAM
    else:
        raise ValueError(f"kind must be 'tcp' or 'udp', not {kind!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, stype) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def closed_port(kind="tcp"):
    """A loopback port with nothing bound to it (connection refused /
    ICMP port unreachable). Racy in principle, like free_port."""
    return free_port(kind)


_ipv6_cache = None


def have_ipv6():
    """True when ::1 can be bound (loopback IPv6 is configured)."""
    global _ipv6_cache
    if _ipv6_cache is None:
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                s.bind((LOOPBACK6, 0))
            _ipv6_cache = True
        except OSError:
            _ipv6_cache = False
    return _ipv6_cache


def _port_free_both(port):
    """True if port is bindable for TCP and UDP on 127.0.0.1 (and ::1)."""
    hosts = [LOOPBACK4] + ([LOOPBACK6] if have_ipv6() else [])
    for host in hosts:
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        for stype in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(fam, stype) as s:
                try:
                    s.bind((host, port))
                except OSError:
                    return False
    return True


def free_port_both():
    """A port free for TCP and UDP on every loopback address we use."""
    for _ in range(50):
        port = free_port("udp")
        if _port_free_both(port):
            return port
    raise RuntimeError("no port free for both TCP and UDP on loopback")


# ---------------------------------------------------------------------------
# A tiny DNS client (readiness checks and self-tests; no dig needed)
# ---------------------------------------------------------------------------

DNS_TYPES = {1: "A", 5: "CNAME", 28: "AAAA", 6: "SOA"}
DNS_TYPE_CODES = {v: k for k, v in DNS_TYPES.items()}
DNS_RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
              4: "NOTIMP", 5: "REFUSED"}


def _encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def _decode_name(msg, off):
    labels, jumped, end = [], False, off
    for _ in range(128):  # bounded: no pointer loops
        length = msg[off]
        if length & 0xC0 == 0xC0:
            ptr = ((length & 0x3F) << 8) | msg[off + 1]
            if not jumped:
                end = off + 2
            jumped, off = True, ptr
            continue
        if length == 0:
            if not jumped:
                end = off + 1
            return ".".join(labels), end
        labels.append(msg[off + 1:off + 1 + length].decode("ascii", "replace"))
        off += 1 + length
    raise ValueError("DNS name too long or looping")


def dns_query(server, port, name, qtype="A", timeout=1.0):
    """One UDP query; returns (rcode_name, [(name, type, ttl, rdata), ...]).

    Raises socket.timeout / OSError when nothing usable comes back.
    """
    qid = random.randrange(0x10000)
    packet = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    packet += _encode_name(name) + struct.pack("!HH", DNS_TYPE_CODES[qtype], 1)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((server, port))
        s.send(packet)
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            msg = s.recv(4096)
            if len(msg) >= 12 and struct.unpack("!H", msg[:2])[0] == qid:
                break
    _, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = _decode_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        rname, off = _decode_name(msg, off)
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        if rtype == 1:
            value = socket.inet_ntop(socket.AF_INET, rdata)
        elif rtype == 28:
            value = socket.inet_ntop(socket.AF_INET6, rdata)
        elif rtype == 5:
            value, _ = _decode_name(msg, off)
        else:
            value = rdata.hex()
        answers.append((rname, DNS_TYPES.get(rtype, str(rtype)), ttl, value))
        off += rdlen
    return DNS_RCODES.get(flags & 0xF, str(flags & 0xF)), answers


# ---------------------------------------------------------------------------
# Subprocess peers
# ---------------------------------------------------------------------------

class PeerStartError(RuntimeError):
    pass


class _BindConflict(Exception):
    """The peer could not bind its port: pick another and retry."""


class ProcessPeer:
    """A foreground server process we own by PID, in its own temp dir."""

    name = "peer"

    def __init__(self):
        self.dir = None
        self.proc = None
        self.port = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def __repr__(self):
        return f"<{self.name} pid={self.pid} port={self.port}>"

    def start(self):
        self.dir = tempfile.mkdtemp(prefix=f"webtrace-{self.name}-")
        try:
            last = None
            for _ in range(PORT_RETRIES):
                self.port = self._pick_port()
                self._prepare()
                with open(os.path.join(self.dir, "stdout.log"), "ab") as logf:
                    self.proc = subprocess.Popen(
                        self._argv(), stdin=subprocess.DEVNULL, stdout=logf,
                        stderr=subprocess.STDOUT, cwd=self.dir,
                        start_new_session=True)
                _register(self)
                try:
                    self._wait_ready(time.monotonic() + PEER_START_DEADLINE_S)
                    return self
                except _BindConflict as exc:
                    last = exc
                    self._stop_process()
            raise PeerStartError(f"{self.name}: no usable port after "
                                 f"{PORT_RETRIES} tries: {last}")
        except BaseException:
            self.stop()
            raise

    def _stop_process(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(PEER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(PEER_STOP_TIMEOUT_S)
        self.proc = None

    def stop(self):
        """Terminate by PID, wait with a timeout, kill if needed; idempotent."""
        try:
            self._stop_process()
        finally:
            _unregister(self)
            if self.dir and not os.environ.get("WEBTRACE_KEEP_PEER_DIRS"):
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None

    def logs(self):
        """Everything the peer wrote (for failure messages)."""
        out = []
        if self.dir:
            for fname in sorted(os.listdir(self.dir)):
                if fname.endswith(".log"):
                    with open(os.path.join(self.dir, fname), "rb") as f:
                        out.append(f"--- {fname}\n" +
                                   f.read()[-4000:].decode("utf-8", "replace"))
        return "\n".join(out)

    def _exited_early(self):
        """Raises if the process is gone; _BindConflict when the port was taken."""
        if self.proc.poll() is None:
            return
        text = self.logs()
        if "in use" in text or "Address already in use" in text:
            raise _BindConflict(f"port {self.port} taken")
        raise PeerStartError(f"{self.name} exited with {self.proc.returncode} "
                             f"during start-up:\n{text}")

    # Subclasses: _pick_port, _prepare, _argv, _probe (True when ready).
    def _pick_port(self):
        return free_port("tcp")

    def _prepare(self):
        pass

    def _wait_ready(self, deadline):
        delay = 0.01
        while True:
            self._exited_early()
            if self._probe():
                return
            if time.monotonic() > deadline:
                raise PeerStartError(f"{self.name} not ready after "
                                     f"{PEER_START_DEADLINE_S} s:\n{self.logs()}")
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


class Dnsmasq(ProcessPeer):
    """dnsmasq in the foreground (--keep-in-foreground: no fork, so the PID
    we hold is the server), authoritative-ish for example.test only.

    Zone (verified with dig, TTLs are per record and distinct):
      www.example.test    CNAME alias.example.test  ttl 60
      alias.example.test  CNAME real.example.test   ttl 120
      real.example.test   A 127.0.0.1, AAAA ::1     ttl 300
      v4only.example.test A 127.0.0.1              ttl 300 (AAAA: NODATA)
      many.example.test   MANY_COUNT A records: 127.0.0.1 and 127.0.2.1…,
                          ttl 300 (too big for UDP without EDNS: TC, then TCP)
      anything else under example.test          -> NXDOMAIN (--local=/example.test/)
      a name outside example.test (REFUSED_NAME) -> REFUSED
    dnsmasq 2.90 with --no-resolv and no --server has no upstream, and answers
    any query it cannot answer locally with REFUSED (its log says "config
    error is REFUSED (EDE: not ready)"); that is the REFUSED case.
    """

    name = "dnsmasq"
    CNAME_NAME = "www.example.test"
    ALIAS_NAME = "alias.example.test"
    REAL_NAME = "real.example.test"
    V4ONLY_NAME = "v4only.example.test"
    NX_NAME = "nope.example.test"
    REFUSED_NAME = "www.elsewhere.test"
    MANY_NAME = "many.example.test"
    MANY_COUNT = 40

    @classmethod
    def many_addresses(cls):
        """MANY_NAME's addresses: one where the test's server listens, the
        others on loopback where nothing does (refused at once)."""
        return ["127.0.0.1"] + [f"127.0.2.{i}" for i in range(1, cls.MANY_COUNT)]

    def _pick_port(self):
        return free_port_both()   # dnsmasq binds UDP and TCP

    def _argv(self):
        argv = [shutil.which("dnsmasq") or "/usr/sbin/dnsmasq",
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--no-poll",
                "--bind-interfaces",
                "--listen-address=" + LOOPBACK4,
                f"--port={self.port}",
                "--pid-file=" + os.path.join(self.dir, "dnsmasq.pid"),
                "--log-queries",
                "--log-facility=" + os.path.join(self.dir, "dnsmasq.log"),
                "--cname=www.example.test,alias.example.test,60",
                "--cname=alias.example.test,real.example.test,120",
                "--host-record=real.example.test,127.0.0.1,::1,300",
                "--host-record=v4only.example.test,127.0.0.1,300",
                *[f"--host-record={self.MANY_NAME},{a},300" for a in self.many_addresses()],
                "--local=/example.test/"]
        if have_ipv6():
            argv.append("--listen-address=" + LOOPBACK6)
        if os.geteuid() == 0:
            # As root dnsmasq would switch to "nobody" after binding; staying
            # root keeps the log and pid files in our temp dir writable.
            argv.append("--user=root")
        return argv

    def _probe(self):
        try:
            rcode, answers = dns_query(LOOPBACK4, self.port, self.REAL_NAME,
                                       "A", timeout=0.2)
        except OSError:   # timeout, or ICMP refused before the bind
            return False
        if rcode != "NOERROR" or not answers:
            raise PeerStartError(f"dnsmasq answered {rcode} {answers} for "
                                 f"{self.REAL_NAME}:\n{self.logs()}")
        return True

    @property
    def server_arg(self):
        """The --dns-server argument for this peer."""
        return f"{LOOPBACK4}:{self.port}"


class Unbound(ProcessPeer):
    """Debian's unbound in the foreground (do-daemonize: no), as whoever
    starts it (username "", no chroot), with its config, zone file, pid file
    and log in its temp dir; UDP and TCP on one loopback port.

    Zone example.test (an auth-zone: unbound answers it as its authority
    and follows CNAMEs inside it, which local-data does not):
      www.example.test   CNAME alias.example.test  ttl 60
      alias.example.test CNAME real.example.test   ttl 120
      real.example.test  A 127.0.0.1, AAAA ::1     ttl 300
      many.example.test  the same MANY_COUNT A records as Dnsmasq's, ttl 300
      anything else under example.test -> NXDOMAIN
    broken.test: a stub zone whose only server is a closed TCP port, so
    unbound answers SERVFAIL at once (a dead UDP server would make it
    retry, silently, for many seconds).
    Any other name is REFUSED (local-zone "." refuse): nothing leaves the
    machine.
    """

    name = "unbound"
    CNAME_NAME = Dnsmasq.CNAME_NAME
    REAL_NAME = Dnsmasq.REAL_NAME
    NX_NAME = Dnsmasq.NX_NAME
    MANY_NAME = Dnsmasq.MANY_NAME
    MANY_COUNT = Dnsmasq.MANY_COUNT
    SERVFAIL_NAME = "www.broken.test"

    def _pick_port(self):
        return free_port_both()

    def _prepare(self):
        zone = ["$ORIGIN example.test.",
                "@ 300 IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 60",
                "@ 300 IN NS ns.example.test.",
                "ns 300 IN A 127.0.0.1",
                "www 60 IN CNAME alias",
                "alias 120 IN CNAME real",
                "real 300 IN A 127.0.0.1",
                "real 300 IN AAAA ::1"]
        zone += [f"many 300 IN A {a}" for a in Dnsmasq.many_addresses()]
        with open(os.path.join(self.dir, "example.test.zone"), "w") as f:
            f.write("\n".join(zone) + "\n")
        conf = f"""server:
    interface: {LOOPBACK4}
    port: {self.port}
    do-ip6: no
    username: ""
    chroot: ""
    directory: "{self.dir}"
    pidfile: "{os.path.join(self.dir, 'unbound.pid')}"
    do-daemonize: no
    use-syslog: no
    logfile: "{os.path.join(self.dir, 'unbound.log')}"
    verbosity: 1
    num-threads: 1
    so-reuseport: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    do-not-query-localhost: no
    local-zone: "." refuse
    local-zone: "example.test." transparent
    local-zone: "broken.test." transparent
stub-zone:
    name: "broken.test."
    stub-addr: {LOOPBACK4}@{closed_port("tcp")}
    stub-tcp-upstream: yes
auth-zone:
    name: "example.test."
    zonefile: "{os.path.join(self.dir, 'example.test.zone')}"
    for-downstream: yes
    for-upstream: no
    fallback-enabled: no
remote-control:
    control-enable: no
"""
        with open(os.path.join(self.dir, "unbound.conf"), "w") as f:
            f.write(conf)

    def _argv(self):
        return [shutil.which("unbound") or "/usr/sbin/unbound", "-d",
                "-c", os.path.join(self.dir, "unbound.conf")]

    def _probe(self):
        try:
            rcode, answers = dns_query(LOOPBACK4, self.port, self.REAL_NAME,
                                       "A", timeout=0.2)
        except OSError:   # timeout, or ICMP refused before the bind
            return False
        if rcode != "NOERROR" or not answers:
            raise PeerStartError(f"unbound answered {rcode} {answers} for "
                                 f"{self.REAL_NAME}:\n{self.logs()}")
        return True

    @property
    def server_arg(self):
        """The --dns-server argument for this peer."""
        return f"{LOOPBACK4}:{self.port}"


class Nginx(ProcessPeer):
    """nginx as one foreground process (daemon off; master_process off: no
    fork, no worker user switch, so it runs as whoever starts it, root
    included), every path inside its temp dir, access_log off.

    Locations:
      /         index.html, INDEX_SIZE bytes, Content-Length
      /chunked  SSI-processed page: no Content-Length, so nginx sends it
                Transfer-Encoding: chunked (several chunks: SSI include)
      /missing  404
      /moved    301, Location: / (absolute_redirect off)
      /big      BIG_SIZE bytes, Content-Length
      /gzipped  index.html, gzip-coded (chunked) when the request accepts gzip
    """

    name = "nginx"
    INDEX_SIZE = 1024
    BIG_SIZE = 1 << 20
    CHUNKED_BODY = (b"<p>part one</p>\n"
                    b"generated by ssi\n"
                    b"included part\n"
                    b"\n<p>end</p>\n")

    @staticmethod
    def index_bytes():
        head, tail = b"<html><body><pre>\n", b"\n</pre></body></html>\n"
        filler = (b"webtrace integration test page. " * 64)
        return head + filler[:Nginx.INDEX_SIZE - len(head) - len(tail)] + tail

    @staticmethod
    def big_bytes():
        return random.Random(20240601).randbytes(Nginx.BIG_SIZE)

    def _prepare(self):
        html = os.path.join(self.dir, "html")
        os.makedirs(html, exist_ok=True)
        with open(os.path.join(html, "index.html"), "wb") as f:
            f.write(self.index_bytes())
        with open(os.path.join(html, "big.bin"), "wb") as f:
            f.write(self.big_bytes())
        with open(os.path.join(html, "part.txt"), "wb") as f:
            f.write(b"included part\n")
        with open(os.path.join(html, "chunked.html"), "wb") as f:
            f.write(b"<p>part one</p>\n"
                    b'<!--# echo var="no_such_variable" default="generated by ssi" -->\n'
                    b'<!--# include virtual="/ssi-part" -->\n'
                    b"<p>end</p>\n")
        d = self.dir
        listen6 = f"listen [::1]:{self.port};" if have_ipv6() else ""
        conf = f"""
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    types {{ text/html html; text/plain txt; application/octet-stream bin; }}
    default_type application/octet-stream;
    gzip off;
    absolute_redirect off;
    server {{
        listen 127.0.0.1:{self.port};
        {listen6}
        server_name _;
        root {d}/html;
        location = / {{ try_files /index.html =404; }}
        location = /chunked {{
            ssi on;
            chunked_transfer_encoding on;
            default_type text/html;
            try_files /chunked.html =404;
        }}
        location = /ssi-part {{ internal; default_type text/plain; try_files /part.txt =404; }}
        location = /moved {{ return 301 /; }}
        location = /big {{ try_files /big.bin =404; }}
        location = /gzipped {{
            gzip on;
            gzip_min_length 1;
            default_type text/html;
            try_files /index.html =404;
        }}
        location / {{ return 404; }}
    }}
}}
"""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)

    def _argv(self):
        d = self.dir
        return [shutil.which("nginx") or "/usr/sbin/nginx",
                "-p", d + "/", "-c", os.path.join(d, "nginx.conf"),
                "-e", os.path.join(d, "error.log")]

    def _exited_early(self):
        if self.proc.poll() is not None and self.dir:
            err = os.path.join(self.dir, "error.log")
            if os.path.exists(err):
                with open(err, "rb") as f:
                    if b"Address already in use" in f.read():
                        raise _BindConflict(f"port {self.port} taken")
        super()._exited_early()

    def _probe(self):
        # A plain GET, checking it is our nginx answering (not some other
        # process that grabbed the port between free_port() and bind()).
        try:
            with socket.create_connection((LOOPBACK4, self.port), timeout=0.5) as s:
                s.settimeout(1.0)
                s.sendall(b"HEAD / HTTP/1.0\r\nHost: probe\r\n\r\n")
                reply = b""
                while b"\r\n\r\n" not in reply and len(reply) < 8192:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
        except OSError:
            return False
        if not reply.startswith(b"HTTP/1.1 200") or b"Server: nginx" not in reply:
            raise _BindConflict(f"port {self.port}: unexpected reply {reply[:80]!r}")
        return True

    def url(self, path="/", host=LOOPBACK4):
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{path}"


# ---------------------------------------------------------------------------
# In-process peers
# ---------------------------------------------------------------------------

class SilentUdp:
    """A UDP socket on 127.0.0.1 that reads (and counts) datagrams and
    never answers: a DNS server that has gone silent."""

    name = "silent-udp"

    def __init__(self):
        self.sock = None
        self.port = None
        self.received = 0
        self._stop = threading.Event()
        self._thread = None

    def __repr__(self):
        return f"<{self.name} port={self.port}>"

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK4, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="silent-udp")
        self._thread.start()
        _register(self)
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                self.sock.recvfrom(4096)
                self.received += 1
            except socket.timeout:
                continue
            except OSError:
                return

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
            self._thread = None
        if self.sock:
            self.sock.close()
            self.sock = None
        _unregister(self)

    @property
    def server_arg(self):
        return f"{LOOPBACK4}:{self.port}"


SOCKET_TIMEOUT_S = 10.0


def _read_request(conn, limit=65536):
    """Reads one request head (up to CRLFCRLF); returns the target or None."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > limit:
            return None
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) >= 2 else None


def _rst_close(conn):
    """Close with SO_LINGER {on, 0}: the kernel sends RST, not FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class HostileHttp:
    """A loopback HTTP/1.1 server that misbehaves on purpose.

    The request target names the scenario: GET /empty_reply, /rst_mid_body,
    ... (one server serves them all; see SCENARIOS). raw(data) registers a
    canned reply and returns its path. Bounded: the accept loop polls a stop
    flag, each connection runs in a daemon thread whose socket has a
    timeout, and stop() closes what is still open.
    """

    name = "hostile-http"

    OBS_FOLD_BODY = b"hello world"            # 11 bytes
    CLOSE_DELIMITED_BODY = b"body delimited by the server closing\n" * 4
    RST_CONTENT_LENGTH = 100000
    RST_SENT = 1000
    SLOW_DRIP_LENGTH = 100
    SLOW_DRIP_INTERVAL_S = 0.5

    def __init__(self, host=LOOPBACK4):
        self.host = host
        self.sock = None
        self.port = None
        self._stop = threading.Event()
        self._thread = None
        self._conns = set()
        self._lock = threading.Lock()
        self._raw = {}
        self.errors = []   # exceptions in handlers other than peer resets

    def __repr__(self):
        return f"<{self.name} port={self.port}>"

    def start(self):
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name="hostile-accept")
        self._thread.start()
        _register(self)
        return self

    def url(self, scenario):
        return f"http://{LOOPBACK4}:{self.port}/{scenario}"

    def raw(self, data, name=None, keep_open=0.0):
        """Registers a reply sent verbatim, then (after keep_open seconds
        with the connection idle and open) a normal close; returns the
        scenario path to put in the URL (url(path))."""
        name = name or f"raw{len(self._raw)}"
        self._raw[name] = (data, keep_open)
        return f"raw/{name}"

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
            self._thread = None
        if self.sock:
            self.sock.close()
            self.sock = None
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        _unregister(self)

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(SOCKET_TIMEOUT_S)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True,
                             name="hostile-conn").start()

    def _serve(self, conn):
        try:
            target = _read_request(conn)
            if target is None:
                return
            scenario = target.lstrip("/")
            if scenario.startswith("raw/") and scenario[4:] in self._raw:
                data, keep_open = self._raw[scenario[4:]]
                conn.sendall(data)
                if keep_open:
                    self._stop.wait(keep_open)
            else:
                handler = getattr(self, "scenario_" + scenario, None)
                if handler is None:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\n"
                                 b"Content-Length: 0\r\n\r\n")
                elif handler(conn) == "rst":
                    return   # already closed with RST
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass   # the client gave up: expected in several scenarios
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.EBADF):
                self.errors.append(exc)
        except Exception as exc:
            self.errors.append(exc)
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    # -- scenarios: each gets the connection after the request was read ----

    def scenario_empty_reply(self, conn):
        pass   # close without a byte

    def scenario_rst_mid_body(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\n"
                     b"Content-Type: application/octet-stream\r\n"
                     b"Content-Length: %d\r\n\r\n" % self.RST_CONTENT_LENGTH
                     + b"x" * self.RST_SENT)
        # SO_LINGER 0 drops unsent data: give loopback time to deliver it.
        time.sleep(0.2)
        _rst_close(conn)
        return "rst"

    def scenario_truncated_body(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                     + b"0123456789")

    def scenario_malformed_status(self, conn):
        conn.sendall(b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok")

    def scenario_oversized_headers(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        line = b"X-Padding: " + b"p" * 1011 + b"\r\n"   # 1 KiB a line
        for _ in range(200):   # 200 KiB of headers
            conn.sendall(line)
        conn.sendall(b"Content-Length: 2\r\n\r\nok")

    def scenario_obs_fold(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\n"
                     b"X-Folded: first\r\n"
                     b"  Content-Length: 5\r\n"
                     b"Content-Length: 11\r\n"
                     b"Connection: close\r\n"
                     b"\r\n" + self.OBS_FOLD_BODY)

    def scenario_bare_cr(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\n"
                     b"X-A: b\rc\r\n"
                     b"Content-Length: 2\r\n"
                     b"\r\nok")

    def scenario_slow_drip(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                     % self.SLOW_DRIP_LENGTH)
        for _ in range(self.SLOW_DRIP_LENGTH):
            if self._stop.wait(self.SLOW_DRIP_INTERVAL_S):
                return
            conn.sendall(b".")

    def scenario_close_delimited(self, conn):
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                     + self.CLOSE_DELIMITED_BODY)
        conn.shutdown(socket.SHUT_WR)


# ---------------------------------------------------------------------------
# Running webtrace
# ---------------------------------------------------------------------------

class WebtraceHang(AssertionError):
    """webtrace did not finish within the harness timeout (a test failure)."""


def webtrace_path():
    path = os.environ.get("WEBTRACE")
    if not path:
        raise RuntimeError("set WEBTRACE to the absolute path of the webtrace binary")
    if not os.path.isabs(path):
        raise RuntimeError(f"WEBTRACE must be an absolute path, got {path!r}")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"WEBTRACE={path} is not an executable file")
    return path


PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                   "no_proxy", "NO_PROXY", "HTTP_PROXY")


def webtrace_env(no_color=True, extra=None):
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    # the machine's proxy settings must not send the loopback peers' traffic
    # elsewhere; a test that wants one passes it in extra
    for name in PROXY_VARIABLES:
        env.pop(name, None)
    if no_color:
        env["NO_COLOR"] = "1"
    env.setdefault("LC_ALL", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


def run_webtrace(args, timeout=20, no_color=True, env=None, stdout=None, cwd=None):
    """Runs $WEBTRACE args; returns (code, stdout bytes, stderr text).

    code is the exit status, or -N for death by signal N. stdout=None
    captures into a pipe; pass a file object to redirect it instead (the
    returned stdout is then b""). A run longer than timeout is killed and
    raises WebtraceHang.
    """
    # WEBTRACE_WRAPPER="valgrind --error-exitcode=99 -q" runs every traced
    # webtrace under that tool (README: "Building and testing by hand").
    wrapper = os.environ.get("WEBTRACE_WRAPPER", "").split()
    argv = wrapper + [webtrace_path()] + [str(a) for a in args]
    if wrapper:
        timeout *= 10   # a backstop only: a tool like valgrind is slow
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE if stdout is None else stdout,
                            stderr=subprocess.PIPE, cwd=cwd,
                            env=webtrace_env(no_color, env))
    with _live_lock:
        _live_children.add(proc)
    try:
        out, errb = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, errb = proc.communicate()
        raise WebtraceHang(f"webtrace hung for {timeout} s: {argv}\n"
                           f"stderr so far:\n{errb.decode('utf-8', 'replace')}") from None
    finally:
        with _live_lock:
            _live_children.discard(proc)
        if proc.poll() is None:   # an exception other than the timeout
            proc.kill()
            proc.wait()
    return proc.returncode, out or b"", errb.decode("utf-8", "replace")


def describe(code, out, err):
    """A failure message body: the exit code, stderr and a stdout excerpt."""
    return f"\nexit {code}\n--- stderr\n{err}--- stdout ({len(out)} bytes)\n{out[:300]!r}"


ERROR_LINE = re.compile(r"^webtrace: (url|dns|tcp|tls|http|output|options|input|proxy): \S.*$")


def error_lines(stderr):
    """The `webtrace: ...` lines of stderr."""
    return [l for l in stderr.splitlines() if l.startswith("webtrace:")]


class WebtraceCase:
    """Mixin for unittest.TestCase with webtrace-specific assertions."""

    def run_ok(self, args, **kw):
        code, out, err = run_webtrace(args, **kw)
        self.assertEqual(code, 0, describe(code, out, err))
        return out, err

    def assertExit(self, result, expected):
        code, out, err = result
        self.assertEqual(code, expected, describe(code, out, err))

    def assertNarration(self, stderr, pattern, msg=None):
        """A line of stderr matches the regex pattern (re.search, per line)."""
        rx = re.compile(pattern)
        if not any(rx.search(l) for l in stderr.splitlines()):
            self.fail((msg or f"no narration line matches /{pattern}/") +
                      f"\n--- stderr\n{stderr}")

    def assertNoNarration(self, stderr, pattern):
        rx = re.compile(pattern)
        hits = [l for l in stderr.splitlines() if rx.search(l)]
        if hits:
            self.fail(f"unexpected narration /{pattern}/: {hits}\n--- stderr\n{stderr}")

    def assertOneErrorLine(self, stderr, step, *words):
        """Exactly one `webtrace: <step>: sentence` line, containing words
        (each a regex, searched case-insensitively)."""
        lines = error_lines(stderr)
        self.assertEqual(len(lines), 1, f"want exactly one error line\n--- stderr\n{stderr}")
        line = lines[0]
        self.assertRegex(line, ERROR_LINE)
        self.assertTrue(line.startswith(f"webtrace: {step}: "),
                        f"error line names step {line.split(':')[1].strip()!r}, "
                        f"want {step!r}: {line!r}")
        for w in words:
            self.assertRegex(line, re.compile(w, re.I))
        return line


def peer_tool(name):
    """Path of an external tool for self-tests, or None."""
    return shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)


if __name__ == "__main__":
    # Smoke: start every peer, print where they are, stop them.
    peers = [Dnsmasq().start(), Nginx().start(), SilentUdp().start(), HostileHttp().start()]
    for p in peers:
        print(p)
    print(dns_query(LOOPBACK4, peers[0].port, "www.example.test", "AAAA"))
    stop_all_peers()
