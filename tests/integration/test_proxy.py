"""Proxies, against Debian's tinyproxy and a recording proxy, on loopback.

tinyproxy (started here in the foreground with its own config, stopped by
PID) forwards http:// requests to nginx and opens CONNECT tunnels to the
https nginx of a PKI made at test time, only to the ports its ConnectPort
lines allow; a second tinyproxy wants Basic credentials. A scripted proxy
in this process records the bytes a client sends it, so webtrace's request
to a proxy can be compared with curl's on the same command line. The
proxy's name is resolved through the harness's dnsmasq; a closed port plays
the proxy that does not answer.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import tls_peers as tp  # noqa: E402
from test_outputs import events_validator  # noqa: E402

RUN_TIMEOUT_S = 30
CURL_TIMEOUT_S = 30
PROXY_USER, PROXY_PASSWORD = "learner", "s3cret"
CURL = shutil.which("curl")


class Tinyproxy(h.ProcessPeer):
    """tinyproxy -d (no daemon: the PID we hold is the proxy) on 127.0.0.1,
    CONNECT allowed only to connect_ports, Basic credentials when given."""

    name = "tinyproxy"

    def __init__(self, connect_ports, credentials=None):
        super().__init__()
        self.connect_ports = connect_ports
        self.credentials = credentials

    def _prepare(self):
        lines = [f"Port {self.port}", f"Listen {h.LOOPBACK4}", "Timeout 30",
                 f"LogFile \"{self.dir}/tinyproxy.log\"", "LogLevel Info", "MaxClients 16",
                 "DisableViaHeader Yes"]
        lines += [f"ConnectPort {p}" for p in self.connect_ports]
        if self.credentials:
            lines.append(f"BasicAuth {self.credentials[0]} {self.credentials[1]}")
        with open(os.path.join(self.dir, "tinyproxy.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def _argv(self):
        return [shutil.which("tinyproxy") or "/usr/bin/tinyproxy", "-d",
                "-c", os.path.join(self.dir, "tinyproxy.conf")]

    def _probe(self):
        # tinyproxy answers a request without a host with its own 400 page
        try:
            with socket.create_connection((h.LOOPBACK4, self.port), timeout=0.5) as s:
                s.settimeout(2.0)
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                reply = s.recv(4096)
        except OSError:
            return False
        if not reply.startswith(b"HTTP/1."):
            raise h._BindConflict(f"port {self.port}: unexpected reply {reply[:80]!r}")
        return True

    def log(self):
        with open(os.path.join(self.dir, "tinyproxy.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    @property
    def url(self):
        return f"http://{h.LOOPBACK4}:{self.port}"


class RecordingProxy:
    """Records the head of each request it gets; answers an absolute-form
    request with a small 200 and a CONNECT with 403 (so no origin is
    needed). A thread of this process, stopped by stop()."""

    def __init__(self):
        self.requests = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def start(self):
        self.sock = socket.socket()
        self.sock.bind((h.LOOPBACK4, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    while len(body) < length:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        body += chunk
                    with self._lock:
                        self.requests.append(head + b"\r\n\r\n" + body)
                    if data.startswith(b"CONNECT "):
                        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    else:
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                     b"Connection: close\r\n\r\nok")
                except OSError:
                    pass

    def take(self):
        with self._lock:
            got, self.requests = self.requests, []
        return got

    def stop(self):
        self._stop.set()
        self.thread.join(5)
        self.sock.close()

    @property
    def url(self):
        return f"http://{h.LOOPBACK4}:{self.port}"


def events(out):
    validator = events_validator()
    evs = []
    for line in out.decode().splitlines():
        ev = json.loads(line)
        validator.validate(ev)
        evs.append(ev)
    return evs


def of_kind(evs, kind):
    return [e for e in evs if e["event"] == kind]


class ProxyViaTinyproxy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        if not shutil.which("tinyproxy"):
            raise unittest.SkipTest("tinyproxy is not installed (scripts/setup.sh installs it)")
        try:
            cls.pki = tp.TestPki().start()
            cls.tls = tp.TlsNginx(cls.pki).start()
            cls.web = h.Nginx().start()
            cls.dns = h.Dnsmasq().start()
            # CONNECT only to the good https server: the wrong_host port is refused
            cls.proxy = Tinyproxy([cls.tls.ports["good"]]).start()
            cls.auth_proxy = Tinyproxy([cls.tls.ports["good"]],
                                       (PROXY_USER, PROXY_PASSWORD)).start()
        except BaseException:
            h.stop_all_peers()
            raise

    @classmethod
    def tearDownClass(cls):
        for peer in (cls.auth_proxy, cls.proxy, cls.dns, cls.web, cls.tls, cls.pki):
            peer.stop()

    def run_json(self, *args, env=None):
        code, out, err = h.run_webtrace(["--ndjson", *args], timeout=RUN_TIMEOUT_S, env=env)
        return code, out, err, events(out)

    def run_text(self, *args, env=None):
        return h.run_webtrace(list(args), timeout=RUN_TIMEOUT_S, env=env)

    # -- http:// through the proxy ------------------------------------------

    def test_http_absolute_form_through_tinyproxy(self):
        code, out, err = self.run_text("-x", self.proxy.url, "-o", "-", self.web.url("/"))
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertIn(f"[prxy] through the proxy {self.proxy.url} (from -x/--proxy)", err)
        self.assertRegex(err, rf"\[tcp \] connected {h.LOOPBACK4}:{self.proxy.port} .* · to the proxy")
        self.assertIn(f"[http] → GET {self.web.url('/')} HTTP/1.1", err)
        # tinyproxy made the connection to nginx, not us
        self.assertIn(f"opensock: opening connection to {h.LOOPBACK4}:{self.web.port}",
                      self.proxy.log())

    def test_http_events_name_the_proxy(self):
        code, out, err, evs = self.run_json("-x", self.proxy.url, "-o", "/dev/null",
                                            self.web.url("/"))
        self.assertEqual(code, 0, h.describe(code, out, err))
        (p,) = of_kind(evs, "proxy")
        self.assertEqual((p["use"], p["host"], p["port"], p["source"], p["tunnel"]),
                         (True, h.LOOPBACK4, self.proxy.port, "-x/--proxy", False))
        (est,) = of_kind(evs, "tcp_established")
        self.assertEqual(est["remote"]["port"], self.proxy.port)
        self.assertTrue(est["to_proxy"])
        self.assertEqual(of_kind(evs, "proxy_connect"), [])
        (req,) = of_kind(evs, "http_request")
        self.assertEqual(req["target"], self.web.url("/"))
        self.assertEqual(of_kind(evs, "transfer_done")[0]["vars"]["http_connect"], 0)

    # -- https:// through a CONNECT tunnel ----------------------------------

    def test_https_connect_tunnel_with_proxy_name_from_dnsmasq(self):
        proxy = f"http://{h.Dnsmasq.V4ONLY_NAME}:{self.proxy.port}"
        url = self.tls.url("good", "/", "localhost")
        code, out, err, evs = self.run_json(
            "-x", proxy, "--dns-server", self.dns.server_arg, "--cacert", self.pki.ca_file,
            "-o", "/dev/null", url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        # only the proxy's name is looked up: the origin's is the proxy's job
        self.assertEqual([e["name"] for e in of_kind(evs, "dns_start")], [h.Dnsmasq.V4ONLY_NAME])
        (est,) = of_kind(evs, "tcp_established")
        self.assertEqual((est["remote"]["port"], est.get("to_proxy")), (self.proxy.port, True))
        (conn,) = of_kind(evs, "proxy_connect")
        self.assertEqual(conn["authority"], f"localhost:{self.tls.ports['good']}")
        (reply,) = of_kind(evs, "proxy_reply")
        self.assertEqual((reply["status"], reply["opened"]), (200, True))
        # SNI and the certificate check keep the URL's name, inside the tunnel
        (hello,) = of_kind(evs, "tls_hello")
        self.assertEqual(hello["sni"], "localhost")
        (verify,) = of_kind(evs, "tls_verify")
        self.assertTrue(verify["ok"])
        (req,) = of_kind(evs, "http_request")
        self.assertEqual(req["target"], "/")
        self.assertEqual(req["host"], f"localhost:{self.tls.ports['good']}")
        order = [e["event"] for e in evs if e["event"] in
                 ("proxy", "dns_start", "tcp_established", "proxy_connect", "proxy_reply",
                  "tls_hello", "http_request")]
        self.assertEqual(order, ["proxy", "dns_start", "tcp_established", "proxy_connect",
                                 "proxy_reply", "tls_hello", "http_request"])
        v = of_kind(evs, "transfer_done")[0]["vars"]
        self.assertEqual(v["http_connect"], 200)
        self.assertEqual(v["http_code"], 200)
        # curl's meanings: connect is TCP to the proxy; the CONNECT and TLS
        # come before appconnect, and pretransfer after it
        self.assertLessEqual(v["time_connect"], v["time_appconnect"])
        self.assertLessEqual(v["time_appconnect"], v["time_pretransfer"])
        connect_us = v["time_connect"] * 1e6
        self.assertLessEqual(connect_us, reply["t_us"])

    def test_https_connect_narration(self):
        url = self.tls.url("good", "/", "localhost")
        code, out, err = self.run_text("-x", self.proxy.url, "--cacert", self.pki.ca_file,
                                       "-o", "/dev/null", url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        port = self.tls.ports["good"]
        lines = [
            rf"\[prxy\] through the proxy {self.proxy.url} \(from -x/--proxy\).*CONNECT.*localhost",
            rf"\[tcp \] connected {h.LOOPBACK4}:{self.proxy.port} .*to the proxy",
            rf"\[prxy\] → CONNECT localhost:{port} HTTP/1.1",
            r"\[prxy\] ← 200 .*the tunnel is open",
            r"\[tls \] → ClientHello · SNI localhost",
            r"\[http\] → GET / HTTP/1.1",
        ]
        at = -1
        for pat in lines:
            found = [i for i, l in enumerate(err.splitlines()) if __import__("re").search(pat, l)]
            self.assertTrue(found, f"no line /{pat}/\n{err}")
            self.assertGreater(found[0], at, f"/{pat}/ out of order\n{err}")
            at = found[0]

    def test_refused_connect_is_exit_56_as_curl(self):
        url = self.tls.url("wrong_host", "/", "localhost")   # not a ConnectPort
        code, out, err, evs = self.run_json("-x", self.proxy.url, "--cacert", self.pki.ca_file,
                                            url)
        self.assertEqual(code, 56, h.describe(code, out, err))
        (reply,) = of_kind(evs, "proxy_reply")
        self.assertEqual((reply["status"], reply["opened"]), (403, False))
        self.assertEqual(of_kind(evs, "tls_hello"), [])
        (error,) = of_kind(evs, "error")
        self.assertEqual((error["step"], error["exit_code"]), ("proxy", 56))
        v = of_kind(evs, "transfer_done")[0]["vars"]
        self.assertEqual((v["http_connect"], v["http_code"]), (403, 0))
        code, out, err = self.run_text("-x", self.proxy.url, url)
        self.assertIn("CONNECT tunnel failed: the proxy answered 403", err)
        self.assertRegex(err, r"\[prxy\] ✗ ← 403 ")
        if CURL:
            res = subprocess.run([CURL, "-s", "-o", "/dev/null", "-x", self.proxy.url,
                                  "-w", "%{http_connect}", url], capture_output=True,
                                 timeout=CURL_TIMEOUT_S, env=h.webtrace_env())
            self.assertEqual((res.returncode, res.stdout), (56, b"403"))

    def test_connect_to_names_the_tunnel_as_curl(self):
        # the URL's port is one tinyproxy refuses; --connect-to sends the
        # tunnel to the good one, and TLS still checks the URL's name
        good, other = self.tls.ports["good"], self.tls.ports["wrong_host"]
        url = self.tls.url("wrong_host", "/", "localhost")
        code, out, err, evs = self.run_json(
            "-x", self.proxy.url, "--connect-to", f"localhost:{other}:localhost:{good}",
            "--cacert", self.pki.ca_file, "-o", "/dev/null", url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(of_kind(evs, "proxy_connect")[0]["authority"], f"localhost:{good}")
        self.assertEqual(of_kind(evs, "connect_to")[0]["connect_port"], good)
        self.assertEqual(of_kind(evs, "tls_hello")[0]["sni"], "localhost")

    # -- credentials --------------------------------------------------------

    def test_proxy_credentials_as_tinyproxy_checks_them(self):
        url = self.tls.url("good", "/", "localhost")
        base = ["-x", self.auth_proxy.url, "--cacert", self.pki.ca_file, "-o", "/dev/null"]
        # without: 407 to the CONNECT, exit 56 as curl
        code, out, err, evs = self.run_json(*base, url)
        self.assertEqual(code, 56, h.describe(code, out, err))
        self.assertEqual(of_kind(evs, "proxy_reply")[0]["status"], 407)
        # a wrong password: the same
        code, out, err, evs = self.run_json(*base, "-U", f"{PROXY_USER}:wrong", url)
        self.assertEqual(code, 56, h.describe(code, out, err))
        # -U: tinyproxy lets the tunnel through
        code, out, err, evs = self.run_json(*base, "-U", f"{PROXY_USER}:{PROXY_PASSWORD}", url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertTrue(of_kind(evs, "proxy_connect")[0]["credentials"])
        self.assertEqual(of_kind(evs, "proxy_reply")[0]["status"], 200)
        # in the proxy's URL, percent-encoded, as curl reads it
        code, out, err, evs = self.run_json(
            "-x", f"http://{PROXY_USER}:s3%63ret@{h.LOOPBACK4}:{self.auth_proxy.port}",
            "--cacert", self.pki.ca_file, "-o", "/dev/null", url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        # http:// without: the proxy's 407 is the response (exit 0), as curl
        code, out, err, evs = self.run_json("-x", self.auth_proxy.url, "-o", "/dev/null",
                                            self.web.url("/"))
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(of_kind(evs, "http_status")[0]["status"], 407)
        code, out, err, evs = self.run_json("-x", self.auth_proxy.url, "-U",
                                            f"{PROXY_USER}:{PROXY_PASSWORD}", "-o", "/dev/null",
                                            self.web.url("/"))
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(of_kind(evs, "http_status")[0]["status"], 200)

    # -- proxies that fail --------------------------------------------------

    def test_proxy_that_does_not_answer_is_exit_7(self):
        closed = h.closed_port()
        code, out, err = self.run_text("-x", f"{h.LOOPBACK4}:{closed}", self.web.url("/"))
        self.assertEqual(code, 7, h.describe(code, out, err))
        self.assertIn(f"[prxy] through the proxy http://{h.LOOPBACK4}:{closed}", err)
        self.assertEqual(len(h.error_lines(err)), 1, err)

    def test_proxy_name_that_does_not_resolve_is_exit_5(self):
        code, out, err, evs = self.run_json(
            "-x", f"{h.Dnsmasq.NX_NAME}:3128", "--dns-server", self.dns.server_arg,
            self.web.url("/"))
        self.assertEqual(code, 5, h.describe(code, out, err))
        (error,) = of_kind(evs, "error")
        self.assertEqual((error["step"], error["exit_code"]), ("dns", 5))
        self.assertIn(h.Dnsmasq.NX_NAME, error["message"])

    def test_bad_proxy_syntax_is_exit_5_and_unknown_scheme_7_as_curl(self):
        code, out, err = self.run_text("-x", "http://[::1", self.web.url("/"))
        self.assertEqual(code, 5, h.describe(code, out, err))
        code, out, err = self.run_text("-x", "gopher://127.0.0.1:1", self.web.url("/"))
        self.assertEqual(code, 7, h.describe(code, out, err))

    # -- the environment and --noproxy --------------------------------------

    def test_environment_as_curl_reads_it(self):
        url = self.web.url("/")

        def via(env, *args):
            code, out, err, evs = self.run_json("-o", "/dev/null", *args, url, env=env)
            self.assertEqual(code, 0, h.describe(code, out, err))
            (est,) = of_kind(evs, "tcp_established")
            return est["remote"]["port"], of_kind(evs, "proxy")

        port, p = via({"http_proxy": self.proxy.url})
        self.assertEqual((port, p[0]["source"]), (self.proxy.port, "http_proxy"))
        # HTTP_PROXY in upper case is never read (CGI's "httpoxy")
        port, p = via({"HTTP_PROXY": self.proxy.url})
        self.assertEqual((port, p), (self.web.port, []))
        port, p = via({"ALL_PROXY": self.proxy.url})
        self.assertEqual((port, p[0]["source"]), (self.proxy.port, "ALL_PROXY"))
        # https_proxy is not for http://
        port, p = via({"https_proxy": self.proxy.url})
        self.assertEqual(port, self.web.port)
        # NO_PROXY sends it direct, and says so
        port, p = via({"http_proxy": self.proxy.url, "NO_PROXY": "localhost,127.0.0.1"})
        self.assertEqual(port, self.web.port)
        self.assertEqual((p[0]["use"], p[0]["bypass_source"]), (False, "NO_PROXY"))
        # --noproxy wins over NO_PROXY ("" lists nothing)
        port, p = via({"http_proxy": self.proxy.url, "NO_PROXY": "127.0.0.1"}, "--noproxy", "")
        self.assertEqual(port, self.proxy.port)
        # a CIDR entry, as curl 7.86+
        port, p = via({"http_proxy": self.proxy.url}, "--noproxy", "127.0.0.0/8")
        self.assertEqual((port, p[0]["bypass_source"]), (self.web.port, "--noproxy"))
        # -x "" turns the environment's proxy off, silently as curl
        port, p = via({"http_proxy": self.proxy.url}, "-x", "")
        self.assertEqual((port, p), (self.web.port, []))

    def test_https_environment(self):
        url = self.tls.url("good", "/", "localhost")
        for name in ("https_proxy", "HTTPS_PROXY"):
            code, out, err, evs = self.run_json("--cacert", self.pki.ca_file, "-o", "/dev/null",
                                                url, env={name: self.proxy.url})
            self.assertEqual(code, 0, h.describe(code, out, err))
            self.assertEqual(of_kind(evs, "proxy")[0]["source"], name)
            self.assertEqual(of_kind(evs, "proxy_reply")[0]["status"], 200)

    def test_noproxy_narration(self):
        code, out, err = self.run_text("-o", "/dev/null", self.web.url("/"),
                                       env={"http_proxy": self.proxy.url,
                                            "no_proxy": ".0.0.1"})
        # "0.0.1" is no address entry for an address host: the proxy is used
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertIn("[prxy] through the proxy", err)
        code, out, err = self.run_text("-o", "/dev/null", "--noproxy", "localhost,127.0.0.1",
                                       self.web.url("/"), env={"http_proxy": self.proxy.url})
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertIn("[prxy] no proxy for 127.0.0.1: --noproxy lists it (localhost,127.0.0.1), "
                      "so the connection goes direct", err)

    # -- the pool ------------------------------------------------------------

    def test_tunnel_is_reused_for_the_same_origin_through_the_same_proxy(self):
        url = self.tls.url("good", "/", "localhost")
        code, out, err, evs = self.run_json("-x", self.proxy.url, "--cacert", self.pki.ca_file,
                                            url, url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(len(of_kind(evs, "proxy_connect")), 1)
        (reuse,) = of_kind(evs, "conn_reuse")
        self.assertEqual(reuse["url_index"], 1)


class RequestBytesAsCurl(unittest.TestCase):
    """The bytes reaching a proxy from webtrace and from curl 7.88, for the
    same command line (with -A, since the two tools' names differ)."""

    @classmethod
    def setUpClass(cls):
        h.webtrace_path()
        if not CURL:
            raise unittest.SkipTest("curl is not installed (scripts/setup.sh installs it)")
        cls.rec = RecordingProxy().start()

    @classmethod
    def tearDownClass(cls):
        cls.rec.stop()

    def both(self, *args):
        args = ["-s", "-A", "same-agent/1", "-x", self.rec.url, *args]
        code, out, err = h.run_webtrace(["-o", "/dev/null", *args], timeout=RUN_TIMEOUT_S)
        ours = self.rec.take()
        res = subprocess.run([CURL, "-o", "/dev/null", *args], capture_output=True,
                             timeout=CURL_TIMEOUT_S, env=h.webtrace_env())
        theirs = self.rec.take()
        self.assertEqual(code, res.returncode, err)
        self.assertEqual(len(ours), 1)
        self.assertEqual(ours, theirs)
        return ours[0]

    def test_absolute_form_with_credentials(self):
        got = self.both("-U", "us:pw", "-u", "a:b", "-e", "http://r/", "-H", "X-A: 1",
                        "-d", "x=1", "http://example.test:8080/a?b")
        self.assertTrue(got.startswith(b"POST http://example.test:8080/a?b HTTP/1.1\r\n"), got)
        self.assertIn(b"\r\nProxy-Authorization: Basic " + base64.b64encode(b"us:pw"), got)
        self.assertIn(b"\r\nProxy-Connection: Keep-Alive\r\n", got)

    def test_plain_get(self):
        self.both("http://example.test/")

    def test_connect_for_https(self):
        got = self.both("-U", "us:pw", "https://example.test/")
        self.assertTrue(got.startswith(b"CONNECT example.test:443 HTTP/1.1\r\n"), got)

    def test_connect_for_http_with_proxytunnel_and_ipv6(self):
        self.both("-p", "http://[::1]:8080/")

    def test_connect_to_makes_a_tunnel_to_its_target(self):
        got = self.both("--connect-to", "a.test:80:b.test:8080", "http://a.test/")
        self.assertTrue(got.startswith(b"CONNECT b.test:8080 HTTP/1.1\r\n"), got)
        self.both("--connect-to", "::[::1]:8443", "https://a.test/")


if __name__ == "__main__":
    unittest.main(verbosity=2)
