"""HTTP/2 peers for the tests: nginx with http2 on a TLS port and an h2c
port (prior knowledge), and a scripted hostile h2c server that breaks the
protocol on purpose. All on 127.0.0.1, started and stopped by the tests.
"""

import os
import socket
import ssl
import struct
import threading
import time

import harness as h

# Frame types and flags, RFC 9113 §6.
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


class H2Nginx(h.Nginx):
    """nginx with `listen ... ssl http2` (ports["tls"], certificate
    `good` of a tls_peers.TestPki) and `listen ... http2` without TLS
    (ports["h2c"]: prior knowledge only), both serving the same root:
    /  index.html, /big  1 MiB. http2_max_concurrent_streams is
    MAX_STREAMS, and 1 on ports["one"] (TLS: a server that takes one
    stream at a time); /reset answers with RST_STREAM (nginx's 444).
    The access log records $connection and $connection_requests per
    request."""

    name = "nginx-h2"
    MAX_STREAMS = 37

    def __init__(self, pki):
        super().__init__()
        self.pki = pki
        self.ports = {}

    def _pick_port(self):
        self.ports = {"tls": h.free_port("tcp")}
        port = h.free_port("tcp")
        while port == self.ports["tls"]:
            port = h.free_port("tcp")
        self.ports["h2c"] = port
        while port in self.ports.values():
            port = h.free_port("tcp")
        self.ports["one"] = port
        return self.ports["tls"]

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
        conf = f"""
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    log_format conn '$server_port $connection $request_method $request_uri $server_protocol $connection_requests';
    access_log {d}/access.log conn;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    types {{ text/html html; application/octet-stream bin; }}
    default_type application/octet-stream;
    gzip off;
    ssl_protocols TLSv1.2 TLSv1.3;
    http2_max_concurrent_streams {self.MAX_STREAMS};
    server {{
        listen 127.0.0.1:{self.ports["tls"]} ssl http2;
        listen 127.0.0.1:{self.ports["h2c"]} http2;
        server_name _;
        ssl_certificate {self.pki.cert("good")};
        ssl_certificate_key {self.pki.key("good")};
        root {d}/html;
        location = / {{ try_files /index.html =404; }}
        location = /big {{ try_files /big.bin =404; }}
        location = /moved {{ return 301 /; }}
        location = /reset {{ return 444; }}
        location / {{ return 404; }}
    }}
    server {{
        listen 127.0.0.1:{self.ports["one"]} ssl http2;
        server_name _;
        http2_max_concurrent_streams 1;
        ssl_certificate {self.pki.cert("good")};
        ssl_certificate_key {self.pki.key("good")};
        root {d}/html;
        location = / {{ try_files /index.html =404; }}
    }}
}}
"""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)

    def _probe(self):
        ctx = ssl.create_default_context(cafile=self.pki.ca_file)
        ctx.set_alpn_protocols(["h2"])
        try:
            with socket.create_connection((h.LOOPBACK4, self.ports["tls"]), timeout=0.5) as raw:
                raw.settimeout(1.0)
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    picked = s.selected_alpn_protocol()
            with socket.create_connection((h.LOOPBACK4, self.ports["h2c"]), timeout=0.5):
                pass
        except ConnectionRefusedError:
            return False
        except (OSError, ssl.SSLError) as exc:
            raise h._BindConflict(f"port {self.ports['tls']}: probe failed: {exc}") from None
        if picked != "h2":
            raise h.PeerStartError(f"nginx did not pick h2 in ALPN ({picked!r})")
        return True

    def access_log(self):
        """(port, connection, method, uri, protocol, connection_requests)
        per request."""
        path = os.path.join(self.dir, "access.log")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [tuple(l.split()) for l in f if l.strip()]

    # nginx logs a request after it has answered, so a client that has its
    # answer may look before the line is there. A marker request (its own
    # query string) is logged after a test's requests instead: this nginx
    # is one process handling one event at a time, so once the marker is
    # in the log, every request answered before it was sent is too.
    MARK_QUERY = "webtrace-test-mark="
    MARK_DEADLINE_S = 10   # backstop; nginx logs a marker in milliseconds

    def mark(self):
        """Sends a marker request (HTTP/1.1 over TLS), waits until the log
        has it, and returns its uri."""
        self.marks = getattr(self, "marks", 0) + 1
        uri = f"/?{self.MARK_QUERY}{self.marks}"
        ctx = ssl.create_default_context(cafile=self.pki.ca_file)
        ctx.set_alpn_protocols(["http/1.1"])
        with socket.create_connection((h.LOOPBACK4, self.ports["tls"]), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(f"GET {uri} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                          .encode())
                while s.recv(65536):
                    pass
        deadline = time.monotonic() + self.MARK_DEADLINE_S
        while time.monotonic() < deadline:
            if any(row[3] == uri for row in self.access_log()):
                return uri
            time.sleep(0.01)
        raise AssertionError(f"nginx did not log the marker {uri}")

    def logged_since(self, since):
        """access_log() rows after the marker since (None: from the start)
        up to a new marker, markers left out."""
        end = self.mark()
        uris = [row[3] for row in self.access_log()]
        rows = self.access_log()
        first = uris.index(since) + 1 if since in uris else 0
        return [r for r in rows[first:uris.index(end)] if self.MARK_QUERY not in r[3]]

    def url(self, path="/", tls=True, host="localhost", one_stream=False):
        if one_stream:
            return f"https://{host}:{self.ports['one']}{path}"
        if tls:
            return f"https://{host}:{self.ports['tls']}{path}"
        return f"http://{h.LOOPBACK4}:{self.ports['h2c']}{path}"


class HostileH2:
    """A scripted h2c server (prior knowledge) on 127.0.0.1: it reads the
    client's preface, sends its SETTINGS, waits for the request's HEADERS,
    then plays its scenario (HPACK hides the request's path, so each
    scenario is a server of its own):

      rst           RST_STREAM stream 1 with PROTOCOL_ERROR
      bad-frame     a SETTINGS frame 5 bytes long (FRAME_SIZE_ERROR)
      goaway-mid    :status 200 and part of the body, then GOAWAY
                    PROTOCOL_ERROR and close
      settings-flood  thousands of SETTINGS frames, never an answer
      no-window     never a WINDOW_UPDATE: a request body larger than
                    the initial 65535-byte window never gets through
    """

    FLOOD = 20000   # SETTINGS frames: more than nghttp2 accepts unacknowledged

    def __init__(self, scenario):
        self.scenario = scenario.encode()
        self.sock = None
        self.port = None
        self.thread = None
        self.conns = []
        self.stopping = False

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((h.LOOPBACK4, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()
        return self

    def url(self):
        return f"http://{h.LOOPBACK4}:{self.port}/"

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        if self.thread:
            self.thread.join(timeout=5)

    def _accept_loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_frames(conn, buf):
        """Reads until a whole frame is in buf; returns (frames, rest)."""
        frames = []
        while True:
            while len(buf) >= 9:
                length = int.from_bytes(buf[:3], "big")
                if len(buf) < 9 + length:
                    break
                frames.append((buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7fffffff,
                               buf[9:9 + length]))
                buf = buf[9 + length:]
            if frames:
                return frames, buf
            chunk = conn.recv(65536)
            if not chunk:
                return None, buf
            buf += chunk

    def _serve(self, conn):
        conn.settimeout(10)
        try:
            buf = b""
            while len(buf) < len(PREFACE):
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            if not buf.startswith(PREFACE):
                return
            buf = buf[len(PREFACE):]
            conn.sendall(frame(SETTINGS, 0, 0))
            while True:
                frames, buf = self._read_frames(conn, buf)
                if frames is None:
                    return
                heads = [f for f in frames if f[0] == HEADERS and f[2] == 1]
                for f in frames:
                    if f[0] == SETTINGS and not f[1] & ACK:
                        conn.sendall(frame(SETTINGS, ACK, 0))
                if heads:
                    break
            self._play(conn, self.scenario)
        except OSError:
            return

    def _play(self, conn, path):
        status_200 = frame(HEADERS, END_HEADERS, 1, b"\x88")   # HPACK static index 8
        if path == b"rst":
            conn.sendall(frame(RST_STREAM, 0, 1, struct.pack(">I", 1)))
        elif path == b"bad-frame":
            conn.sendall(frame(SETTINGS, 0, 0, b"\x00\x03\x00\x00\x00"))
        elif path == b"goaway-mid":
            conn.sendall(status_200 + frame(DATA, 0, 1, b"partial body\n") +
                         frame(GOAWAY, 0, 0, struct.pack(">II", 1, 1)))
            conn.shutdown(socket.SHUT_WR)
        elif path == b"settings-flood":
            one = frame(SETTINGS, 0, 0, struct.pack(">HI", 3, 100))
            try:
                for _ in range(self.FLOOD // 100):
                    conn.sendall(one * 100)
            except OSError:
                return
        elif path == b"no-window":
            pass   # read what the window allowed, and nothing more
        # Keep the connection open until the client closes it (or stop()).
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
