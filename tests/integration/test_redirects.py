"""Redirects (-L, --max-redirs) against a real nginx whose `return`
rules make the chain, dnsmasq answering both host names, and curl given the
same chain for the -w variables. What the server saw is read from nginx's
own access log, not from our narration.

The chain (ChainNginx), four redirects, five requests:
  http://www.example.test:P/start       301  /step2                       (relative)
  http://www.example.test:P/step2       302  https://real.example.test:Q/step3
                                             (absolute: http -> https, another host)
  https://real.example.test:Q/step3     307  //real.example.test:Q/dir/sub/step4
                                             (protocol-relative)
  https://real.example.test:Q/dir/sub/step4
                                        308  ../final?from=chain           (dot segments)
  https://real.example.test:Q/dir/final?from=chain   200 index.html

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_redirects.py
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import socket
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_outputs as to  # noqa: E402  (the NDJSON schema validator)
import tls_peers as tp  # noqa: E402

RUN_TIMEOUT_S = 20   # backstop per run; a healthy run takes milliseconds
P = {}


class ChainNginx(h.Nginx):
    """One foreground nginx with an http server (port) and an https server
    (tls_port, the PKI's `good` certificate: www/real.example.test), whose
    `return` rules make the redirect chain above, plus /loop (302 to
    itself) and /idle1 (the index, on a connection nginx closes after 1 s
    idle). The access log has one line per request:
    server_port connection connection_requests method host uri status
    ssl_session_reused ("r" for a resumed TLS session, "." for a full
    handshake, "" logged as "-" for http)."""

    name = "nginx-chain"

    def __init__(self, pki):
        super().__init__()
        self.pki = pki
        self.tls_port = None

    def _pick_port(self):
        self.tls_port = h.free_port("tcp")
        port = h.free_port("tcp")
        while port == self.tls_port:
            port = h.free_port("tcp")
        return port

    def _prepare(self):
        d = self.dir
        html = os.path.join(d, "html")
        os.makedirs(html, exist_ok=True)
        with open(os.path.join(html, "index.html"), "wb") as f:
            f.write(self.index_bytes())
        log = os.path.join(d, "access.log")
        if os.path.exists(log):
            os.remove(log)
        q = self.tls_port
        conf = f"""
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    log_format chain '$server_port $connection $connection_requests $request_method '
                     '$host $request_uri $status $ssl_session_reused';
    access_log {log} chain;
    log_format creds '$server_port $request_uri auth=[$http_authorization] '
                     'cookie=[$http_cookie]';
    access_log {d}/creds.log creds;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    types {{ text/html html; }}
    default_type application/octet-stream;
    gzip off;
    absolute_redirect off;
    server {{
        listen 127.0.0.1:{self.port};
        server_name _;
        root {d}/html;
        location = / {{ try_files /index.html =404; }}
        location = /start {{ return 301 /step2; }}
        location = /step2 {{ return 302 https://real.example.test:{q}/step3; }}
        location = /loop {{ return 302 /loop; }}
        location = /idle1 {{ keepalive_timeout 1; try_files /index.html =404; }}
        location / {{ return 404; }}
    }}
    server {{
        listen 127.0.0.1:{q} ssl;
        server_name _;
        ssl_certificate {self.pki.cert("good")};
        ssl_certificate_key {self.pki.key("good")};
        root {d}/html;
        location = /step3 {{ return 307 //real.example.test:{q}/dir/sub/step4; }}
        location = /dir/sub/step4 {{ return 308 ../final?from=chain; }}
        location = /dir/final {{ try_files /index.html =404; }}
        location / {{ return 404; }}
    }}
}}
"""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)

    def start_url(self):
        return f"http://{h.Dnsmasq.CNAME_NAME}:{self.port}/start"

    def final_url(self):
        return f"https://{h.Dnsmasq.REAL_NAME}:{self.tls_port}/dir/final?from=chain"

    # nginx writes a request's log lines after it has sent the response, so
    # a client that has its answer may look before they are there, and a
    # test that emptied the log may find the previous test's last lines
    # arriving late. Instead, a marker request (its own query string) is
    # logged around each test's requests: this nginx is one process that
    # handles one event at a time, so once a marker is in the logs, every
    # request answered before it was sent is in them too.
    MARK_QUERY = "webtrace-test-mark="
    MARK_DEADLINE_S = 10   # backstop; nginx logs a marker in milliseconds

    def mark(self):
        """Sends a marker request, waits until both logs have it, and
        returns its uri."""
        self.marks = getattr(self, "marks", 0) + 1
        uri = f"/?{self.MARK_QUERY}{self.marks}"
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(f"GET {uri} HTTP/1.1\r\nHost: mark\r\nConnection: close\r\n\r\n"
                      .encode())
            while s.recv(65536):
                pass
        deadline = time.monotonic() + self.MARK_DEADLINE_S
        while time.monotonic() < deadline:
            if all(uri in [line.split()[i] for line in self._lines(name)]
                   for name, i in (("access.log", 5), ("creds.log", 1))):
                return uri
            time.sleep(0.01)
        raise AssertionError(f"nginx did not log the marker {uri}")

    def _lines(self, name):
        path = os.path.join(self.dir, name)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [line for line in f if line.strip()]

    def _since_mark(self, name, uri_field):
        """The lines of one log after the clear_log() marker, through a
        new marker (so all of them are written), markers left out."""
        end = self.mark()
        since = getattr(self, "since", None)
        lines = self._lines(name)
        uris = [line.split()[uri_field] for line in lines]
        first = uris.index(since) + 1 if since in uris else 0
        last = uris.index(end)
        return [line for line, uri in zip(lines[first:last], uris[first:last])
                if self.MARK_QUERY not in uri]

    def access_log(self):
        """[(port, connection, connection_requests, method, host, uri, status,
        ssl_session_reused)] since the last clear_log()"""
        rows = []
        for line in self._since_mark("access.log", 5):
            port, conn, n, method, host, uri, status, resumed = line.split()
            rows.append((int(port), int(conn), int(n), method, host, uri, int(status), resumed))
        return rows

    def clear_log(self):
        """What the logs held so far is no longer reported."""
        self.since = self.mark()

    def credentials_log(self):
        """[(port, uri, authorization, cookie)] as nginx received them, since
        the last clear_log()"""
        rows = []
        for line in self._since_mark("creds.log", 1):
            m = re.match(r"(\d+) (\S+) auth=\[(.*)\] cookie=\[(.*)\]$", line.rstrip("\n"))
            if m:
                rows.append((int(m[1]), m[2], m[3], m[4]))
        return rows


def setUpModule():
    h.webtrace_path()
    try:
        P["dns"] = h.Dnsmasq().start()
        P["pki"] = tp.TestPki().start()
        P["web"] = ChainNginx(P["pki"]).start()
    except BaseException:
        h.stop_all_peers()
        raise


def tearDownModule():
    for name in ("web", "pki", "dns"):
        peer = P.pop(name, None)
        if peer:
            peer.stop()


def base_args():
    return ["--dns-server", P["dns"].server_arg, "--cacert", P["pki"].ca_file]


def curl_args():
    """curl reaches the same chain through --resolve (it has no --dns-server
    without c-ares)."""
    web = P["web"]
    return ["--cacert", P["pki"].ca_file,
            "--resolve", f"{h.Dnsmasq.CNAME_NAME}:{web.port}:127.0.0.1",
            "--resolve", f"{h.Dnsmasq.REAL_NAME}:{web.tls_port}:127.0.0.1"]


def run_curl(args):
    curl = shutil.which("curl")
    if not curl:
        raise unittest.SkipTest("curl is not installed (scripts/setup.sh installs it)")
    proc = subprocess.run([curl, "-s"] + args, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=RUN_TIMEOUT_S)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


CHAIN = [  # (which server, uri, status) as nginx logs them
    ("http", "/start", 301),
    ("http", "/step2", 302),
    ("https", "/step3", 307),
    ("https", "/dir/sub/step4", 308),
    ("https", "/dir/final?from=chain", 200),
]


class Chain(h.WebtraceCase, unittest.TestCase):

    def setUp(self):
        P["web"].clear_log()

    def logged(self):
        """What nginx served to webtrace (the harness's readiness probe is a
        HEAD that nginx may log after start-up)."""
        web = P["web"]
        ports = {web.port: "http", web.tls_port: "https"}
        return [(ports[r[0]], r[5], r[6]) for r in web.access_log() if r[3] != "HEAD"]

    def test_chain_followed_to_the_end(self):
        web = P["web"]
        code, out, err = h.run_webtrace(base_args() + ["-L", web.start_url()],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes(), "only the final body goes to stdout")
        self.assertEqual(self.logged(), CHAIN, "what nginx served, in order")
        hosts = [r[4] for r in web.access_log() if r[3] != "HEAD"]
        self.assertEqual(hosts, [h.Dnsmasq.CNAME_NAME] * 2 + [h.Dnsmasq.REAL_NAME] * 3)

        # A [hop ] line opens each followed hop, numbered from the first request.
        hops = re.findall(r"^\[hop \] (\d+): (\d{3}) → (\S+) · (.*)$", err, re.M)
        q = web.tls_port
        self.assertEqual([(n, s, u) for n, s, u, _ in hops], [
            ("2", "301", f"http://www.example.test:{web.port}/step2"),
            ("3", "302", f"https://real.example.test:{q}/step3"),
            ("4", "307", f"https://real.example.test:{q}/dir/sub/step4"),
            ("5", "308", f"https://real.example.test:{q}/dir/final?from=chain"),
        ], err)
        self.assertIn("another origin", hops[1][3])
        self.assertIn("same origin", hops[0][3])
        # Each hop is narrated in full: hop 3 (another host, https) has its
        # own DNS lookup, connection and TLS handshake.
        hop3 = err.split("[hop ] 3:")[1].split("[hop ] 4:")[0]
        self.assertRegex(hop3, r"\[dns \].*real\.example\.test")
        self.assertRegex(hop3, r"\[tcp \] connected ")
        self.assertRegex(hop3, r"\[tls \] ← handshake done")
        self.assertRegex(hop3, r"→ skipped \(a redirect's body, with -L\)")
        self.assertRegex(err, r"5 requests, 4 redirects followed")
        self.assertEqual(h.error_lines(err), [])

        # Reuse, as nginx saw it: the two http requests on one connection,
        # the three https ones on another ($connection, $connection_requests).
        rows = [r for r in web.access_log() if r[3] != "HEAD"]
        self.assertEqual(rows[0][1], rows[1][1], rows)
        self.assertEqual(len({r[1] for r in rows[2:]}), 1, rows)
        self.assertEqual([r[2] for r in rows], [1, 2, 1, 2, 3], rows)
        hop2 = err.split("[hop ] 2:")[1].split("[hop ] 3:")[0]
        self.assertRegex(hop2, r"(?m)^\[conn\] reusing connection #1 to http://www\.example\.test:"
                               r"\d+: no DNS, no TCP handshake; idle \S+ ms · request 2 on it$")
        self.assertNotRegex(hop2, r"\[(dns |tcp )\]")
        hop5 = err.split("[hop ] 5:")[1]
        self.assertRegex(hop5, r"reusing connection #2 to https://real\.example\.test:\d+: "
                               r"no DNS, no TCP handshake, no TLS handshake")
        # The http connection, kept for a later request that never came,
        # is closed at the end of the run, its teardown narrated then.
        self.assertRegex(err, r"(?m)^\[conn\] closing connection #1 to http://www\.example\.test:"
                              r"\d+ at the end of the run · 2 requests on it")
        self.assertRegex(err.split("at the end of the run")[1],
                         r"^ · 2 requests on it · idle \S+ m?s\n\[tcp \] teardown: we close first")

    def test_no_keepalive_makes_a_connection_per_request(self):
        web = P["web"]
        code, out, err = h.run_webtrace(base_args() + ["-L", "--no-keepalive", "-o", "/dev/null",
                                                       web.start_url()], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        rows = [r for r in web.access_log() if r[3] != "HEAD"]
        self.assertEqual(len({r[1] for r in rows}), 5, rows)
        self.assertEqual([r[2] for r in rows], [1] * 5)
        self.assertNoNarration(err, r"^\[conn\]")
        self.assertEqual(len(re.findall(r"(?m)^\[tcp \] teardown: ", err)), 5, err)

    def test_writeout_matches_curl(self):
        web = P["web"]
        fmt = ("%{http_code} %{num_redirects} %{url_effective} [%{redirect_url}] "
               "%{size_download} %{url}\\n")
        code, out, err = h.run_webtrace(base_args() + ["-sL", "-o", "/dev/null", "-w", fmt,
                                                       web.start_url()], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        ccode, cout, cerr = run_curl(curl_args() + ["-L", "-o", "/dev/null", "-w", fmt,
                                                    web.start_url()])
        self.assertEqual(ccode, 0, cerr)
        self.assertEqual(out.decode(), cout.decode(), "the same -w line as curl's")
        self.assertEqual(out.decode(), f"200 4 {web.final_url()} [] {h.Nginx.INDEX_SIZE} "
                                       f"{web.start_url()}\n")

        # The times: time_redirect is the start of the last hop, within the total.
        code, out, err = h.run_webtrace(
            base_args() + ["-sL", "-o", "/dev/null", "-w",
                           "%{time_redirect} %{time_starttransfer} %{time_total}", web.start_url()],
            timeout=RUN_TIMEOUT_S)
        redirect, start, total = (float(x) for x in out.split())
        self.assertGreater(redirect, 0)
        self.assertLess(redirect, total)
        self.assertLessEqual(start, total)

    def test_credentials_stay_with_the_first_origin(self):
        """-u's Authorization and a -H Cookie go to the first origin's hops
        only: the hop to https://real.example.test leaves it (curl's
        CVE-2018-1000007 and CVE-2022-27776), proven by what nginx received;
        --location-trusted lets them follow."""
        web = P["web"]
        basic = "Basic " + base64.b64encode(b"user:secret").decode()
        args = base_args() + ["-L", "-u", "user:secret", "-H", "Cookie: a=1", web.start_url()]
        code, out, err = h.run_webtrace(args, timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        rows = [r for r in web.credentials_log() if r[1] != "/"]
        self.assertEqual([r[1] for r in rows],
                         ["/start", "/step2", "/step3", "/dir/sub/step4", "/dir/final?from=chain"])
        first, later = rows[:2], rows[2:]
        for port, uri, auth, cookie in first:
            self.assertEqual((port, auth, cookie), (web.port, basic, "a=1"), uri)
        for port, uri, auth, cookie in later:
            self.assertEqual((port, auth, cookie), (web.tls_port, "-", "-"), uri)
        self.assertRegex(err, r"(?m)^\[hop \] 3: 302 → https://real\.example\.test:\d+/step3 · "
                              r".*another origin: no credentials go along$")

        web.clear_log()
        code, out, err = h.run_webtrace(args[:-1] + ["--location-trusted", web.start_url()],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        rows = [r for r in web.credentials_log() if r[1] != "/"]
        self.assertEqual(len(rows), 5)
        self.assertEqual({(r[2], r[3]) for r in rows}, {(basic, "a=1")})

    def test_without_L_the_3xx_says_where_it_points(self):
        web = P["web"]
        fmt = "%{http_code} %{num_redirects} [%{redirect_url}] %{url_effective}"
        code, out, err = h.run_webtrace(base_args() + ["-o", "/dev/null", "-w", fmt,
                                                       web.start_url()], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNarration(err, rf"^\[http\] 301 points to http://www\.example\.test:"
                                  rf"{web.port}/step2 · -L follows it$")
        self.assertNoNarration(err, r"^\[hop \]")
        self.assertEqual(self.logged(), CHAIN[:1])
        ccode, cout, _ = run_curl(curl_args() + ["-o", "/dev/null", "-w", fmt, web.start_url()])
        self.assertEqual(out, cout, "the same -w line as curl's")

    def test_loop_ends_with_exit_47(self):
        web = P["web"]
        loop = f"http://{h.Dnsmasq.CNAME_NAME}:{web.port}/loop"
        result = h.run_webtrace(base_args() + ["-L", "--max-redirs", "3", "-w",
                                               "%{http_code} %{num_redirects} %{exitcode}", loop],
                                timeout=RUN_TIMEOUT_S)
        code, out, err = result
        self.assertExit(result, 47)
        self.assertEqual(self.logged(), [("http", "/loop", 302)] * 4,
                         "the first request and three redirects followed")
        self.assertOneErrorLine(err, "http", r"maximum \(3\) redirects followed")
        self.assertNarration(err, r"302 points to .*/loop · not followed: the --max-redirs "
                                  r"limit is reached")
        ccode, cout, _ = run_curl(curl_args() + ["-L", "--max-redirs", "3", "-w",
                                                 "%{http_code} %{num_redirects} %{exitcode}",
                                                 loop])
        self.assertEqual((code, out), (ccode, cout), "exit code and stdout as curl's")

    def test_default_limit_is_50(self):
        web = P["web"]
        loop = f"http://{h.Dnsmasq.CNAME_NAME}:{web.port}/loop"
        result = h.run_webtrace(base_args() + ["-sL", loop], timeout=RUN_TIMEOUT_S)
        self.assertExit(result, 47)
        self.assertEqual(len(self.logged()), 51)
        self.assertOneErrorLine(result[2], "http", r"maximum \(50\) redirects followed")

    def test_max_redirs_0_and_unlimited(self):
        web = P["web"]
        result = h.run_webtrace(base_args() + ["-sL", "--max-redirs", "0", web.start_url()],
                                timeout=RUN_TIMEOUT_S)
        self.assertExit(result, 47)
        self.assertEqual(self.logged(), CHAIN[:1])
        P["web"].clear_log()
        code, out, err = h.run_webtrace(base_args() + ["-sL", "--max-redirs", "-1",
                                                       web.start_url()], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(self.logged(), CHAIN)

    def test_remote_name_is_the_first_urls_as_curl(self):
        web = P["web"]
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as dc:
            code, out, err = h.run_webtrace(base_args() + ["-sLO", web.start_url()],
                                            timeout=RUN_TIMEOUT_S, cwd=d)
            self.assertEqual(code, 0, h.describe(code, out, err))
            self.assertEqual(out, b"")
            self.assertEqual(os.listdir(d), ["start"], "named after the URL given, not the last hop")
            with open(os.path.join(d, "start"), "rb") as f:
                self.assertEqual(f.read(), h.Nginx.index_bytes())
            curl = shutil.which("curl")
            if curl:
                subprocess.run([curl, "-sLO", *curl_args(), web.start_url()], cwd=dc,
                               timeout=RUN_TIMEOUT_S, check=True)
                self.assertEqual(os.listdir(dc), ["start"])

            # no file name in the URL: nothing written, exit 23 as curl
            code, out, err = h.run_webtrace(base_args() + ["-O", web.url("/")],
                                            timeout=RUN_TIMEOUT_S, cwd=d)
            self.assertEqual(code, 23, h.describe(code, out, err))
            self.assertOneErrorLine(err, "output", r"-O: the URL has no file name")
            self.assertEqual(os.listdir(d), ["start"])

    def test_ndjson_events_carry_the_hop(self):
        web = P["web"]
        code, out, err = h.run_webtrace(base_args() + ["--ndjson", "-L", web.start_url()],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        validator = to.events_validator()
        events = [json.loads(line) for line in out.decode().splitlines()]
        names = [e["event"] for e in events]
        # after transfer_done: connection #1 (http), kept, closed at the end of the run
        end = events[names.index("transfer_done") + 1:]
        events = events[:names.index("transfer_done") + 1]
        self.assertEqual(end[0]["event"], "conn_close")
        self.assertEqual((end[0]["conn"], end[0]["requests"], end[0]["hop"]), (1, 2, 1))
        self.assertIn("tcp_teardown", [e["event"] for e in end])
        for ev in events:
            errors = list(validator.iter_errors(ev))
            self.assertEqual(errors, [], ev)
        hops = [e["hop"] for e in events]
        self.assertEqual(hops, sorted(hops), "hops come one after the other")
        self.assertEqual(sorted(set(hops)), [0, 1, 2, 3, 4])
        t = [e["t_us"] for e in events]
        self.assertEqual(t, sorted(t), "t_us counts from the transfer's start, across hops")
        redirects = [e for e in events if e["event"] == "redirect"]
        self.assertEqual([(e["hop"], e["status"], e["followed"]) for e in redirects],
                         [(0, 301, True), (1, 302, True), (2, 307, True), (3, 308, True)])
        self.assertEqual(redirects[0]["location"], "/step2")
        self.assertEqual(redirects[1]["crosses_origin"], True)
        self.assertEqual(redirects[3]["location"], "../final?from=chain")
        self.assertEqual(redirects[3]["url"], web.final_url())
        done = events[-1]
        self.assertEqual(done["event"], "transfer_done")
        self.assertEqual((done["hops"], done["exit_code"]), (5, 0))
        self.assertEqual(done["vars"]["num_redirects"], 4)
        self.assertEqual(done["vars"]["url_effective"], web.final_url())
        self.assertEqual(done["vars"]["url"], web.start_url())
        self.assertEqual([e["vars"]["http_code"] for e in events if e["event"] == "summary"],
                         [301, 302, 307, 308, 200], "one summary per hop")
        self.assertEqual(done["vars"]["num_connects"], 2, "two connections, each reused")
        reuse = [(e["hop"], e["conn"], e["requests"]) for e in events if e["event"] == "conn_reuse"]
        self.assertEqual(reuse, [(1, 1, 1), (3, 2, 1), (4, 2, 2)])
        skipped = [(e["hop"], e["skipped"]) for e in events if e["event"] == "phase_skipped"]
        self.assertEqual(skipped, [(1, "dns"), (1, "connect"), (3, "dns"), (3, "connect"),
                                   (3, "tls"), (4, "dns"), (4, "connect"), (4, "tls")])

    def test_har_has_one_entry_per_hop(self):
        web = P["web"]
        with tempfile.TemporaryDirectory() as d:
            har = os.path.join(d, "chain.har")
            code, out, err = h.run_webtrace(base_args() + ["-sL", "-o", "/dev/null", "--har",
                                                           har, web.start_url()],
                                            timeout=RUN_TIMEOUT_S)
            self.assertEqual(code, 0, h.describe(code, out, err))
            with open(har) as f:
                log = json.load(f)
        entries = log["log"]["entries"]
        self.assertEqual([e["response"]["status"] for e in entries], [301, 302, 307, 308, 200])
        self.assertEqual([e["response"]["redirectURL"] for e in entries], [
            "/step2", f"https://real.example.test:{web.tls_port}/step3",
            f"//real.example.test:{web.tls_port}/dir/sub/step4", "../final?from=chain", ""])
        self.assertEqual(entries[-1]["request"]["url"], web.final_url())


if __name__ == "__main__":
    unittest.main(verbosity=2)
