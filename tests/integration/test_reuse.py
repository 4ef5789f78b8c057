"""Connection reuse across the URLs of one run, and -Z (URLs at once),
against a real nginx (its access log, with $connection and
$connection_requests, says which requests shared a connection) and a
scripted HTTP/1.1 server that closes a kept connection as the next request
arrives (the race a keep-alive timeout makes), all on loopback.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_reuse.py
"""

import json
import os
import re
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_redirects as tr  # noqa: E402  (ChainNginx)
import tls_peers as tp  # noqa: E402

RUN_TIMEOUT_S = 20   # backstop per run
P = {}
BODY = b"scripted body\n"


class ScriptedKeepAlive:
    """HTTP/1.1 on 127.0.0.1, one thread per connection. On the first
    connection it answers the first request (keep-alive) and then, when the
    second request arrives, closes without sending a byte: a server whose
    keep-alive timeout fired just as the client reused the connection. Any
    later connection is answered normally. /slow waits SLOW_S before it
    answers (and closes). log: (connection number, request number, path)."""

    SLOW_S = 1.5

    def __init__(self):
        self.sock = None
        self.log = []
        self.lock = threading.Lock()
        self.conns = 0
        self.threads = []
        self.stopping = False

    def start(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((h.LOOPBACK4, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def url(self, path):
        return f"http://{h.LOOPBACK4}:{self.port}{path}"

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(5)
        if self.sock:
            self.sock.close()
            self.sock = None

    def _accept_loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.conns += 1
                number = self.conns
            t = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            t.start()
            self.threads.append(t)

    def _serve(self, conn, number):
        conn.settimeout(5)
        with conn:
            buf = b""
            for request in range(1, 100):
                while b"\r\n\r\n" not in buf:
                    try:
                        chunk = conn.recv(4096)
                    except OSError:
                        return
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1].decode()
                with self.lock:
                    self.log.append((number, request, path))
                if number == 1 and request == 2:
                    return   # closed as the reused request arrived
                close = path == "/slow"
                if close:
                    time.sleep(self.SLOW_S)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (
                    len(BODY), b"Connection: close\r\n" if close else b"", BODY))
                if close:
                    return


def setUpModule():
    h.webtrace_path()
    try:
        P["dns"] = h.Dnsmasq().start()
        P["pki"] = tp.TestPki().start()
        P["web"] = tr.ChainNginx(P["pki"]).start()
    except BaseException:
        h.stop_all_peers()
        raise


def tearDownModule():
    for name in ("web", "pki", "dns"):
        peer = P.pop(name, None)
        if peer:
            peer.stop()


class Reuse(h.WebtraceCase, unittest.TestCase):

    def setUp(self):
        P["web"].clear_log()
        self.scripted = ScriptedKeepAlive().start()

    def tearDown(self):
        self.scripted.stop()

    def nginx_rows(self):
        return [r for r in P["web"].access_log() if r[3] != "HEAD"]

    def test_urls_of_a_run_share_a_connection(self):
        web = P["web"]
        urls = [web.url("/"), web.url("/"), web.url("/")]
        code, out, err = h.run_webtrace(urls, timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes() * 3)
        rows = self.nginx_rows()
        self.assertEqual(len({r[1] for r in rows}), 1, f"one connection in nginx's log: {rows}")
        self.assertEqual([r[2] for r in rows], [1, 2, 3])
        self.assertEqual(len(re.findall(r"(?m)^\[tcp \] connected ", err)), 1, err)
        self.assertRegex(err, r"(?m)^\[tcp \] connected .* · connection #1$")
        self.assertEqual(re.findall(r"(?m)^\[conn\] reusing connection #1 to http://127\.0\.0\.1:"
                                    r"\d+: no DNS, no TCP handshake; idle \S+ m?s · request (\d) on it$",
                                    err), ["2", "3"], err)
        self.assertEqual(len(re.findall(r"(?m)^\[conn\] keeping connection #1 open", err)), 2)
        # the last URL closes it at once: its teardown is narrated with it
        self.assertEqual(len(re.findall(r"(?m)^\[tcp \] teardown: ", err)), 1, err)
        # the table at the end: one row per URL, its connection new or reused
        table = err.split("\n[run ] ")[1].splitlines()
        self.assertEqual(table[0], "3 URLs: 3 succeeded, 0 failed")
        self.assertRegex(table[1], r"^\s+index\s+status\s+exit\s+bytes\s+time\s+connection\s+as given$")
        rows = [re.split(r"\s{2,}", l.strip()) for l in table[2:]]
        self.assertEqual([(r[0], r[1], r[2], r[3], r[5], r[6]) for r in rows], [
            ("0", "200", "0", "1024", "#1 new", urls[0]),
            ("1", "200", "0", "1024", "#1 reused", urls[1]),
            ("2", "200", "0", "1024", "#1 reused", urls[2])])

    def test_table_names_failures_and_is_left_out_for_one_url(self):
        web = P["web"]
        closed = f"http://127.0.0.1:{h.closed_port()}/"
        code, out, err = h.run_webtrace([web.url("/"), closed, "http://bad host/"],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 3, h.describe(code, out, err))
        table = err.split("\n[run ] ")[1].splitlines()
        self.assertEqual(table[0], "3 URLs: 1 succeeded, 2 failed")
        rows = [re.split(r"\s{2,}", l.strip()) for l in table[2:]]
        self.assertEqual([(r[0], r[1], r[2], r[5]) for r in rows],
                         [("0", "200", "0", "#1 new"), ("1", "–", "7", "–"), ("2", "–", "3", "–")])
        code, out, err = h.run_webtrace([web.url("/")], timeout=RUN_TIMEOUT_S)
        self.assertNotIn("[run ]", err)
        code, out, err = h.run_webtrace(["-s", web.url("/"), web.url("/")], timeout=RUN_TIMEOUT_S)
        self.assertEqual(err, "")

    def test_retry_once_when_the_server_closes_a_reused_connection(self):
        s = self.scripted
        code, out, err = h.run_webtrace(
            ["-w", "%{http_code} %{num_connects}\\n", "-o", "-", s.url("/a"), s.url("/b")],
            timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(s.log, [(1, 1, "/a"), (1, 2, "/b"), (2, 1, "/b")],
                         "the server saw /b twice: on the reused connection, then on a new one")
        self.assertEqual(out, BODY + b"200 1\n" + BODY + b"200 1\n")
        self.assertRegex(err, r"(?m)^\[conn\] connection #1 to http://127\.0\.0\.1:\d+ ended before "
                              r"any of the response arrived \(.*\): sending the request again on a "
                              r"new connection, once, as curl does$")
        self.assertRegex(err.split("sending the request again")[1],
                         r"\[tcp \] connected .* · connection #2")
        self.assertEqual(h.error_lines(err), [])

    def test_idle_connection_closed_by_nginx_is_not_reused(self):
        # nginx's keepalive_timeout 1 on /idle1 closes the kept connection
        # while the scripted /slow answer takes 1.5 s.
        web = P["web"]
        urls = [web.url("/idle1"), self.scripted.url("/slow"), web.url("/idle1")]
        code, out, err = h.run_webtrace(urls, timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        rows = self.nginx_rows()
        self.assertEqual(len({r[1] for r in rows}), 2, f"two connections in nginx's log: {rows}")
        self.assertEqual([r[2] for r in rows], [1, 1])
        self.assertRegex(err, r"(?m)^\[conn\] connection #1 to http://127\.0\.0\.1:\d+ was closed by "
                              r"the server while idle \(for \S+ s\): a new one$")
        self.assertEqual(h.error_lines(err), [])


    def test_new_connection_resumes_the_tls_session(self):
        # --no-keepalive: the second URL needs a new connection to an origin
        # already met, and resumes its TLS session (nginx logs "r").
        web = P["web"]
        url = web.final_url()
        code, out, err = h.run_webtrace(["--dns-server", P["dns"].server_arg, "--cacert",
                                         P["pki"].ca_file, "--no-keepalive", url, url],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        rows = self.nginx_rows()
        self.assertEqual([r[7] for r in rows], [".", "r"], rows)
        self.assertEqual(len({r[1] for r in rows}), 2, rows)
        first, second = err.split("\n[url ]")
        self.assertRegex(first, r"\[tls \]\s+cert 0")
        self.assertNotRegex(first, r"resumed")
        self.assertRegex(second, r"(?m)^\[tls \] resumed: no certificate sent")
        self.assertNotRegex(second, r"\[tls \]\s+cert 0|verification ok")
        self.assertRegex(second, r"\[tls \] → ClientHello")

        code, out, err = h.run_webtrace(["--dns-server", P["dns"].server_arg, "--cacert",
                                         P["pki"].ca_file, "--no-keepalive", "--ndjson", "-s",
                                         url, url], timeout=RUN_TIMEOUT_S)
        done = [json.loads(l) for l in out.decode().splitlines()]
        done = [e for e in done if e["event"] == "tls_done"]
        self.assertEqual([e["resumed"] for e in done], [False, True])


    def test_dns_cache_answers_a_name_met_before(self):
        # --no-keepalive: the second URL needs a new connection, but not a
        # new lookup. dnsmasq's own log shows one query per type.
        web = P["web"]
        url = f"http://{h.Dnsmasq.CNAME_NAME}:{web.port}/"
        log = os.path.join(P["dns"].dir, "dnsmasq.log")
        with open(log, errors="replace") as f:
            before = f.read().count(f"query[A] {h.Dnsmasq.CNAME_NAME}")
        code, out, err = h.run_webtrace(["--dns-server", P["dns"].server_arg, "--no-keepalive",
                                         "-w", "%{wt_dns_source} %{time_namelookup}\n",
                                         "-o", "-", url, url],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        lines = out.decode(errors="replace").splitlines()
        self.assertEqual([l.split()[0] for l in lines if l.startswith(("dns ", "cache "))],
                         ["dns", "cache"])
        first, second = err.split("\n[url ]")
        self.assertRegex(first, r"\[dns \] ← ")
        # The chain's shortest TTL is www's CNAME, 60 s.
        m = re.search(r"(?m)^\[dns \] www\.example\.test from this run's DNS cache, (\d+) s of "
                      r"ttl left: no DNS traffic → .*127\.0\.0\.1", second)
        self.assertTrue(m, second)
        self.assertLessEqual(int(m.group(1)), 60)
        self.assertNotRegex(second, r"\[dns \] (→|←)")
        deadline = time.monotonic() + 5
        while True:
            with open(log, errors="replace") as f:
                n = f.read().count(f"query[A] {h.Dnsmasq.CNAME_NAME}") - before
            if n >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(n, 1, "dnsmasq was asked once")



MANY = 1000          # URLs of the -Z run
PARALLEL_MAX = 50
FD_LIMIT = 128       # RLIMIT_NOFILE for it: a leak of one fd per URL would hit it


class Parallel(h.WebtraceCase, unittest.TestCase):
    """-Z: URLs at once on the one loop."""

    def setUp(self):
        P["web"].clear_log()

    def run_limited(self, args):
        """webtrace with RLIMIT_NOFILE at FD_LIMIT: 1000 URLs fit only if each
        connection's fd is closed again."""
        import resource
        import subprocess

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))

        proc = subprocess.run([h.webtrace_path()] + args, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=120, preexec_fn=limit,
                              env=h.webtrace_env())
        return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")

    def nginx_rows(self):
        return [r for r in P["web"].access_log() if r[3] != "HEAD"]

    def test_1000_urls_at_once_leave_no_fd_behind(self):
        web = P["web"]
        urls = [web.url(f"/?n={i}") for i in range(MANY)]
        code, out, err = self.run_limited(["-sZ", "--parallel-max", str(PARALLEL_MAX)] + urls)
        self.assertEqual(code, 0, h.describe(code, out[:200], err[-2000:]))
        self.assertEqual(out, h.Nginx.index_bytes() * MANY)
        rows = self.nginx_rows()
        self.assertEqual(sorted(r[5] for r in rows), sorted(f"/?n={i}" for i in range(MANY)))
        conns = {r[1] for r in rows}
        self.assertLessEqual(len(conns), PARALLEL_MAX, "at most --parallel-max connections")
        self.assertLess(len(conns), MANY // 10, "connections are reused")

    def test_narration_lines_name_their_url(self):
        web = P["web"]
        urls = [web.url("/"), f"http://127.0.0.1:{h.closed_port()}/", web.url("/"),
                web.start_url()]
        code, out, err = h.run_webtrace(["-Z", "-L", "--dns-server", P["dns"].server_arg,
                                         "--cacert", P["pki"].ca_file] + urls,
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 7, h.describe(code, out, err))
        narration, table = err.split("\n[run ] ")
        for line in narration.splitlines():
            self.assertRegex(line, r"^\[[0-3]\] ", "every line names its URL")
        errors = [l for l in narration.splitlines() if "webtrace:" in l]
        self.assertEqual(len(errors), 1, narration)
        self.assertRegex(errors[0], r"^\[1\] webtrace: tcp: could not connect")
        self.assertRegex(narration, r"(?m)^\[3\] \[hop \] 5: 308 ")
        self.assertTrue(table.startswith("4 URLs: 3 succeeded, 1 failed"), table)
        self.assertEqual(out, h.Nginx.index_bytes() * 3)

    def test_ndjson_and_writeout_per_url(self):
        web = P["web"]
        urls = [web.url(f"/?n={i}") for i in range(20)] + [web.start_url()]
        code, out, err = h.run_webtrace(["-Z", "-L", "--ndjson", "-s", "--dns-server",
                                         P["dns"].server_arg, "--cacert", P["pki"].ca_file]
                                        + urls, timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        validator = tr.to.events_validator()
        per_url = {}
        for line in out.decode().splitlines():
            ev = json.loads(line)
            self.assertEqual(list(validator.iter_errors(ev)), [], ev)
            per_url.setdefault(ev["url_index"], []).append(ev)
        self.assertEqual(sorted(per_url), list(range(21)))
        for i, evs in per_url.items():
            t = [e["t_us"] for e in evs]
            self.assertEqual(t, sorted(t), f"URL {i}: t_us goes backwards")
            done = [e for e in evs if e["event"] == "transfer_done"]
            self.assertEqual(len(done), 1)
            v = done[0]["vars"]
            self.assertEqual(v["url"], urls[i], "each URL's variables are its own")
            self.assertEqual(v["http_code"], 200)
            self.assertEqual(v["num_redirects"], 4 if i == 20 else 0)

        fmt = "%{url} %{http_code} %{num_redirects}\\n"
        code, out, err = h.run_webtrace(["-Z", "-L", "-s", "--dns-server", P["dns"].server_arg,
                                         "--cacert", P["pki"].ca_file, "-w", fmt] + urls,
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        lines = out.replace(h.Nginx.index_bytes(), b"").decode().splitlines()
        self.assertEqual(sorted(lines),
                         sorted([f"{u} 200 0" for u in urls[:20]] + [f"{urls[20]} 200 4"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
