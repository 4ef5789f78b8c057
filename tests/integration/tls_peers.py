"""TLS peers for webtrace's integration tests (all on loopback).

  TestPki         - a throw-away PKI made with the openssl CLI at test time:
                    a trusted test CA, an untrusted second CA and leaf
                    certificates for each verification scenario (CERTS).
  TlsNginx        - one foreground nginx serving https, one server block (and
                    port) per leaf certificate, plus an SNI port where
                    a.example.test and b.example.test get different certs.
  SniDnsmasq      - the harness dnsmasq plus host records for the SNI names.
  HostileTls      - an in-process TCP server that reads the ClientHello and
                    then misbehaves (MODES), recording what the client sent.

Standard library only (plus the openssl and nginx binaries); every peer is
owned by PID or thread, registered with the harness for emergency cleanup,
and stopped by stop().
"""

import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time

import harness as h

OPENSSL_TIMEOUT_S = 15.0
CA_NAME = "webtrace test CA"
ROGUE_CA_NAME = "webtrace untrusted CA"

# ---------------------------------------------------------------------------
# PKI
# ---------------------------------------------------------------------------

_OPENSSL_CNF = """\
# Minimal config for `openssl req` and `openssl ca`; nothing from the system.
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused

[ ca ]
default_ca = test_ca
[ test_ca ]
dir = {cadir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ policy_any ]
commonName = supplied

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_LEAF_EXT = """\
[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {san}
"""

_SELF_SIGNED_EXT = """\
[ v3_self ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = {san}
"""


class TestPki:
    """The certificates, made in a temp dir; stop() removes it.

    CERTS: name -> (CN, subjectAltName, issuer, validity). issuer is "ca"
    (trusted), "rogue" (never trusted) or "self"; validity is "now" (one
    year from yesterday), or an explicit (startdate, enddate) pair for
    `openssl ca` (x509 -req has no negative -days, and -not_before/-not_after
    arrived only in OpenSSL 3.4).
    """

    __test__ = False   # not a unittest/pytest case despite the name
    name = "pki"

    CERTS = {
        "good": ("localhost",
                 "DNS:localhost, DNS:www.example.test, DNS:real.example.test, "
                 "IP:127.0.0.1, IP:::1", "ca", "now"),
        "wrong_host": ("other.test", "DNS:other.test", "ca", "now"),
        "expired": ("localhost", "DNS:localhost, IP:127.0.0.1",
                    "ca", ("20200101000000Z", "20210101000000Z")),
        "not_yet_valid": ("localhost", "DNS:localhost, IP:127.0.0.1",
                          "ca", ("20990101000000Z", "21000101000000Z")),
        "self_signed": ("localhost", "DNS:localhost", "self", "now"),
        "unknown_ca": ("localhost", "DNS:localhost, IP:127.0.0.1", "rogue", "now"),
        "ip_only": ("127.0.0.1", "IP:127.0.0.1", "ca", "now"),
        "sni_a": ("a.example.test", "DNS:a.example.test", "ca", "now"),
        "sni_b": ("b.example.test", "DNS:b.example.test", "ca", "now"),
        # Terminal control bytes in the subject and a SAN (for the escaping
        # of network strings): ESC [2J (clear screen), BEL, a raw 0x9b (C1 CSI).
        "control_bytes": ("evil\x1b[2J\x07\x9bname", "DNS:evil\x1b[31m.test", "ca", "now"),
    }

    def __init__(self):
        self.dir = None
        self.ca_file = None        # the trusted CA certificate (PEM)
        self.capath = None         # a hashed directory holding only that CA
        self.rogue_ca_file = None  # the CA that signs unknown_ca; never trusted
        self.certs = {}            # name -> (cert PEM path, key path)

    def __repr__(self):
        return f"<{self.name} dir={self.dir}>"

    def cert(self, name):
        return self.certs[name][0]

    def key(self, name):
        return self.certs[name][1]

    def dates(self, name):
        """(notBefore, notAfter) of a certificate as UTC epoch seconds."""
        out = self._openssl("x509", "-noout", "-startdate", "-enddate", "-in", self.cert(name))
        fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return (ssl.cert_time_to_seconds(fields["notBefore"]),
                ssl.cert_time_to_seconds(fields["notAfter"]))

    def der(self, name):
        """The DER bytes of a certificate (to recognise it on the wire)."""
        with open(self.cert(name)) as f:
            return ssl.PEM_cert_to_DER_cert(f.read())

    # -- lifecycle ----------------------------------------------------------

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="webtrace-pki-")
        h._register(self)
        try:
            self._openssl_check()
            self.ca_file = self._make_ca("ca", CA_NAME)
            self.rogue_ca_file = self._make_ca("rogue", ROGUE_CA_NAME)
            for name, (cn, san, issuer, validity) in self.CERTS.items():
                self.certs[name] = self._make_leaf(name, cn, san, issuer, validity)
            self.capath = self._make_capath()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        h._unregister(self)
        if self.dir and not os.environ.get("WEBTRACE_KEEP_PEER_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # -- openssl ------------------------------------------------------------

    def _openssl(self, *args, cwd=None):
        argv = [shutil.which("openssl") or "/usr/bin/openssl", *args]
        env = dict(os.environ)
        env["OPENSSL_CONF"] = os.path.join(self.dir, "openssl-empty.cnf")
        try:
            res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                 timeout=OPENSSL_TIMEOUT_S, cwd=cwd or self.dir, env=env)
        except subprocess.TimeoutExpired:
            raise h.PeerStartError(f"openssl hung: {argv}") from None
        if res.returncode != 0:
            raise h.PeerStartError(f"openssl failed ({res.returncode}): {argv}\n"
                                   f"{res.stderr.decode('utf-8', 'replace')}")
        return res.stdout.decode("ascii", "replace")

    def _openssl_check(self):
        with open(os.path.join(self.dir, "openssl-empty.cnf"), "w") as f:
            f.write("# no system defaults\n")
        version = self._openssl("version").strip()
        if not version.startswith("OpenSSL 3"):
            raise h.PeerStartError(f"want the OpenSSL 3 CLI, found {version!r}")

    def _genkey(self, path):
        self._openssl("genpkey", "-algorithm", "EC",
                      "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
        return path

    def _make_ca(self, label, cn):
        cadir = os.path.join(self.dir, label)
        os.makedirs(os.path.join(cadir, "newcerts"))
        with open(os.path.join(cadir, "index.txt"), "w"):
            pass
        with open(os.path.join(cadir, "serial"), "w") as f:
            f.write("1000\n")
        cnf = os.path.join(cadir, "openssl.cnf")
        with open(cnf, "w") as f:
            f.write(_OPENSSL_CNF.format(cadir=cadir))
        key = self._genkey(os.path.join(cadir, "ca.key"))
        pem = os.path.join(cadir, "ca.pem")
        self._openssl("req", "-config", cnf, "-new", "-x509", "-key", key,
                      "-subj", f"/CN={cn}", "-days", "3650", "-sha256",
                      "-extensions", "v3_ca", "-out", pem)
        return pem

    def _make_leaf(self, name, cn, san, issuer, validity):
        leafdir = os.path.join(self.dir, "leaf")
        os.makedirs(leafdir, exist_ok=True)
        key = self._genkey(os.path.join(leafdir, f"{name}.key"))
        pem = os.path.join(leafdir, f"{name}.pem")
        if issuer == "self":
            ext = os.path.join(leafdir, f"{name}.cnf")
            with open(ext, "w") as f:
                f.write(_OPENSSL_CNF.format(cadir=leafdir))
                f.write(_SELF_SIGNED_EXT.format(san=san))
            self._openssl("req", "-config", ext, "-new", "-x509", "-key", key,
                          "-subj", f"/CN={cn}", "-days", "365", "-sha256",
                          "-extensions", "v3_self", "-out", pem)
            return pem, key
        cadir = os.path.join(self.dir, issuer)
        cnf = os.path.join(cadir, "openssl.cnf")
        csr = os.path.join(leafdir, f"{name}.csr")
        self._openssl("req", "-config", cnf, "-new", "-key", key,
                      "-subj", f"/CN={cn}".encode("latin-1"), "-out", csr)
        ext = os.path.join(leafdir, f"{name}.ext")
        with open(ext, "w", encoding="latin-1") as f:
            f.write(_LEAF_EXT.format(san=san))
        if validity == "now":
            # From yesterday, so a clock a little behind ours still accepts it.
            start = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(time.time() - 86400))
            end = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(time.time() + 365 * 86400))
        else:
            start, end = validity
        self._openssl("ca", "-config", cnf, "-batch", "-notext",
                      "-in", csr, "-out", pem,
                      "-startdate", start, "-enddate", end,
                      "-extfile", ext, "-extensions", "v3_leaf")
        return pem, key

    def _make_capath(self):
        """A directory with only the trusted CA, as <subject hash>.0."""
        capath = os.path.join(self.dir, "capath")
        os.makedirs(capath)
        shutil.copy(self.ca_file, os.path.join(capath, "webtrace-test-ca.pem"))
        digest = self._openssl("x509", "-hash", "-noout", "-in", self.ca_file).strip()
        os.symlink("webtrace-test-ca.pem", os.path.join(capath, f"{digest}.0"))
        return capath


# ---------------------------------------------------------------------------
# nginx over TLS
# ---------------------------------------------------------------------------

class TlsNginx(h.Nginx):
    """A foreground nginx serving https on 127.0.0.1 (and [::1]).

    One server block per leaf certificate of the PKI, each on its own port
    (ports[name]); and ports["sni"], one port where server_name
    a.example.test presents sni_a, b.example.test presents sni_b, and
    anything else (no SNI included) the default server presents `good`.

    The good server sends its chain (leaf, then the test CA: CHAINED);
    the others send the leaf alone.

    Locations: /  index.html (harness.Nginx.index_bytes())
               /close  the same bytes with Connection: close
               /big  harness.Nginx.big_bytes() (1 MiB, Content-Length)
    """

    name = "nginx-tls"
    SERVERS = ("good", "wrong_host", "expired", "not_yet_valid", "self_signed",
               "unknown_ca", "ip_only", "control_bytes")
    CHAINED = ("good",)

    def __init__(self, pki):
        super().__init__()
        self.pki = pki
        self.ports = {}

    def __repr__(self):
        return f"<{self.name} pid={self.pid} ports={self.ports}>"

    def _pick_port(self):
        self.ports = {}
        taken = set()
        for name in self.SERVERS + ("sni",):
            port = h.free_port("tcp")
            while port in taken:
                port = h.free_port("tcp")
            taken.add(port)
            self.ports[name] = port
        return self.ports["good"]

    def _listen(self, port, extra=""):
        lines = [f"listen 127.0.0.1:{port} ssl {extra};"]
        if h.have_ipv6():
            lines.append(f"listen [::1]:{port} ssl {extra};")
        return "\n        ".join(lines)

    def _server(self, port, cert, server_name="_", default=False):
        d = self.dir
        cert_file = self.pki.cert(cert)
        if cert in self.CHAINED:
            cert_file = os.path.join(d, f"{cert}-chain.pem")
            with open(cert_file, "w") as out:
                for part in (self.pki.cert(cert), self.pki.ca_file):
                    with open(part) as f:
                        out.write(f.read())
        return f"""
    server {{
        {self._listen(port, "default_server" if default else "")}
        server_name {server_name};
        ssl_certificate {cert_file};
        ssl_certificate_key {self.pki.key(cert)};
        root {d}/html;
        location = / {{ try_files /index.html =404; }}
        location = /close {{ keepalive_timeout 0; try_files /index.html =404; }}
        location = /big {{ try_files /big.bin =404; }}
        location / {{ return 404; }}
    }}"""

    def _prepare(self):
        d = self.dir
        html = os.path.join(d, "html")
        os.makedirs(html, exist_ok=True)
        with open(os.path.join(html, "index.html"), "wb") as f:
            f.write(self.index_bytes())
        with open(os.path.join(html, "big.bin"), "wb") as f:
            f.write(self.big_bytes())
        err = os.path.join(d, "error.log")
        if os.path.exists(err):   # a bind conflict of the previous try
            os.rename(err, err + ".prev")
        servers = [self._server(self.ports[n], n) for n in self.SERVERS]
        sni = self.ports["sni"]
        servers.append(self._server(sni, "good", default=True))
        servers.append(self._server(sni, "sni_a", "a.example.test"))
        servers.append(self._server(sni, "sni_b", "b.example.test"))
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
    types {{ text/html html; application/octet-stream bin; }}
    default_type application/octet-stream;
    gzip off;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
{"".join(servers)}
}}
"""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)

    def _handshake(self, port, server_hostname, verify):
        """The DER certificate the server presents, or None if not up yet."""
        ctx = ssl.create_default_context(cafile=self.pki.ca_file)
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection((h.LOOPBACK4, port), timeout=0.5) as raw:
                raw.settimeout(1.0)
                with ctx.wrap_socket(raw, server_hostname=server_hostname) as s:
                    return s.getpeercert(binary_form=True)
        except ConnectionRefusedError:
            return None
        except (OSError, ssl.SSLError) as exc:
            # Something answered that is not our nginx (the port was taken
            # between free_port() and bind()), or our config is wrong.
            raise h._BindConflict(f"port {port}: TLS probe failed: {exc}") from None

    def _probe(self):
        # The good server must pass full verification with the test CA;
        # the others must present exactly their certificate.
        if self._handshake(self.ports["good"], "localhost", verify=True) is None:
            return False
        for name in self.SERVERS[1:]:
            der = self._handshake(self.ports[name], "localhost", verify=False)
            if der is None:
                return False
            if der != self.pki.der(name):
                raise h._BindConflict(f"port {self.ports[name]} presents the wrong certificate")
        for host, name in (("a.example.test", "sni_a"), ("b.example.test", "sni_b")):
            der = self._handshake(self.ports["sni"], host, verify=True)
            if der is None:
                return False
            if der != self.pki.der(name):
                raise h.PeerStartError(f"SNI {host} does not get {name}:\n{self.logs()}")
        return True

    def url(self, name="good", path="/", host="localhost"):
        if ":" in host:
            host = f"[{host}]"
        return f"https://{host}:{self.ports[name]}{path}"


# ---------------------------------------------------------------------------
# dnsmasq with the SNI names
# ---------------------------------------------------------------------------

class SniDnsmasq(h.Dnsmasq):
    """harness.Dnsmasq's zone plus a.example.test and b.example.test
    (A 127.0.0.1, ttl 300) for the SNI test."""

    name = "dnsmasq-sni"
    SNI_NAMES = ("a.example.test", "b.example.test")

    def _argv(self):
        return super()._argv() + [f"--host-record={n},{h.LOOPBACK4},300"
                                  for n in self.SNI_NAMES]


# ---------------------------------------------------------------------------
# Hostile TLS servers
# ---------------------------------------------------------------------------

TLS_HANDSHAKE = 0x16
CLIENT_HELLO = 1
EXT_SERVER_NAME = 0
EXT_ALPN = 16


class ClientHello:
    """What a client put in its ClientHello (parsed from the first record)."""

    def __init__(self, raw):
        self.raw = raw
        self.sni = None
        self.alpn = []
        self.legacy_version = None
        self._parse(raw)

    def __repr__(self):
        return f"<ClientHello sni={self.sni!r} alpn={self.alpn!r}>"

    def _parse(self, raw):
        # record header (5) | handshake type (1) length (3) | version (2)
        # random (32) | session id | cipher suites | compression | extensions
        if len(raw) < 9 or raw[0] != TLS_HANDSHAKE or raw[5] != CLIENT_HELLO:
            raise ValueError(f"not a ClientHello: {raw[:16]!r}")
        body = raw[9:]
        self.legacy_version = struct.unpack("!H", body[0:2])[0]
        off = 34
        off += 1 + body[off]                                      # session id
        off += 2 + struct.unpack("!H", body[off:off + 2])[0]      # cipher suites
        off += 1 + body[off]                                      # compression
        if off + 2 > len(body):
            return
        end = off + 2 + struct.unpack("!H", body[off:off + 2])[0]
        off += 2
        while off + 4 <= min(end, len(body)):
            etype, elen = struct.unpack("!HH", body[off:off + 4])
            data = body[off + 4:off + 4 + elen]
            off += 4 + elen
            if etype == EXT_SERVER_NAME and len(data) >= 5 and data[2] == 0:
                nlen = struct.unpack("!H", data[3:5])[0]
                self.sni = data[5:5 + nlen].decode("ascii", "replace")
            elif etype == EXT_ALPN and len(data) >= 2:
                p = 2
                while p < len(data):
                    plen = data[p]
                    self.alpn.append(data[p + 1:p + 1 + plen].decode("ascii", "replace"))
                    p += 1 + plen


def _read_client_hello(conn, limit=16384 + 5):
    """Reads the first TLS record (the ClientHello); returns its bytes, or
    whatever arrived before EOF if it is not a complete record."""
    data = b""
    want = 5
    while len(data) < want:
        chunk = conn.recv(want - len(data))
        if not chunk:
            return data
        data += chunk
        if len(data) == 5:
            want = min(5 + struct.unpack("!H", data[3:5])[0], limit)
    return data


class HostileTls:
    """A TCP server on 127.0.0.1 that plays a broken TLS server.

    mode (one per instance):
      plaintext_garbage   reads the ClientHello, answers a plaintext
                          "HTTP/1.1 400 Bad Request" and closes
      close_mid_handshake reads the ClientHello and closes (FIN)
      silent              accepts, reads, never answers; the socket stays
                          open until stop()
    hellos: a ClientHello (or the raw bytes when unparsable) per connection.
    """

    name = "hostile-tls"
    MODES = ("plaintext_garbage", "close_mid_handshake", "silent")
    GARBAGE = b"HTTP/1.1 400 Bad Request\r\n\r\n"

    def __init__(self, mode):
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, not {mode!r}")
        self.mode = mode
        self.sock = None
        self.port = None
        self.hellos = []
        self.errors = []
        self._stop = threading.Event()
        self._thread = None
        self._conns = set()
        self._workers = []
        self._lock = threading.Lock()

    def __repr__(self):
        return f"<{self.name} {self.mode} port={self.port}>"

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((h.LOOPBACK4, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f"hostile-tls-{self.mode}")
        self._thread.start()
        h._register(self)
        return self

    def url(self, host=h.LOOPBACK4, path="/"):
        return f"https://{host}:{self.port}{path}"

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
            workers = list(self._workers)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for w in workers:
            w.join(5)
        h._unregister(self)

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(h.SOCKET_TIMEOUT_S)
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True,
                                      name=f"hostile-tls-conn-{self.mode}")
            with self._lock:
                self._conns.add(conn)
                self._workers.append(worker)
            worker.start()

    def _serve(self, conn):
        try:
            self._handle(conn)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        except OSError as exc:
            if not self._stop.is_set():
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

    def _handle(self, conn):
        raw = _read_client_hello(conn)
        try:
            self.hellos.append(ClientHello(raw))
        except (ValueError, IndexError, struct.error):
            self.hellos.append(raw)
        if self.mode == "plaintext_garbage":
            conn.sendall(self.GARBAGE)
        elif self.mode == "silent":
            # Keep the connection open, answering nothing, until stop()
            # or the client goes away.
            conn.settimeout(0.1)
            while not self._stop.is_set():
                try:
                    if not conn.recv(4096):
                        break
                except socket.timeout:
                    continue


class ScriptedTls(HostileTls):
    """A real TLS server (Python's ssl, the PKI's `good` certificate, ALPN
    http/1.1) that reads one request and then ends the response badly or
    well, per mode:
      truncated_body         Content-Length 1000, 10 bytes, then TCP FIN
                             without close_notify
      close_delimited        no Content-Length; the body ends with
                             close_notify, then FIN (a clean end)
      close_delimited_no_notify
                             no Content-Length; the body ends with a bare
                             TCP FIN: a truncation the client cannot tell
                             from the end, so it must not count as success
    """

    name = "scripted-tls"
    MODES = ("truncated_body", "close_delimited", "close_delimited_no_notify")
    BODY = b"body delimited by the server closing\n" * 4
    TRUNCATED_SENT = b"0123456789"

    def __init__(self, mode, pki):
        super().__init__(mode)
        self.requests = []
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(pki.cert("good"), pki.key("good"))
        self.ctx.set_alpn_protocols(["http/1.1"])

    def _handle(self, conn):
        # wrap_socket takes over conn's fd: track the TLS socket instead so
        # stop() can shut it down, and close it here.
        tls = self.ctx.wrap_socket(conn, server_side=True)
        with self._lock:
            self._conns.add(tls)
        try:
            self._respond(tls)
        finally:
            with self._lock:
                self._conns.discard(tls)
            tls.close()   # Python's SSLSocket.close() sends no close_notify

    def _respond(self, tls):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = tls.recv(4096)
            if not chunk:
                return
            head += chunk
        self.requests.append(head)
        if self.mode == "truncated_body":
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                        + self.TRUNCATED_SENT)
            return
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    b"Connection: close\r\n\r\n" + self.BODY)
        if self.mode == "close_delimited":
            # close_notify; unwrap then waits (within the socket timeout)
            # for the client's, and the plain socket closes: FIN.
            try:
                tls.unwrap().close()
            except (ssl.SSLError, OSError):
                pass

if __name__ == "__main__":
    # Smoke: make the PKI, start nginx, print where things are, stop.
    pki = TestPki().start()
    web = TlsNginx(pki).start()
    print(pki, web)
    for name in pki.CERTS:
        print(name, pki._openssl("x509", "-noout", "-subject", "-issuer", "-dates",
                                 "-ext", "subjectAltName", "-in", pki.cert(name)))
    h.stop_all_peers()
