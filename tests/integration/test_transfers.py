"""Many URLs in one run: curl's output options (-o per URL, -O, --remote-name-all,
--output-dir, --create-dirs), -Z with a --url @FILE list, and which
connections stay open, against `webtrace serve` and a real nginx (its access
log, with $connection and $connection_requests, says which requests shared a
connection), all on loopback.

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_transfers.py
"""

import os
import re
import resource
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_redirects as tr  # noqa: E402  (ChainNginx)
import test_serve as ts  # noqa: E402  (ServeProcess)
import tls_peers as tp  # noqa: E402

RUN_TIMEOUT_S = 30   # backstop per run
MANY = 1000
PARALLEL_MAX = 50
FD_LIMIT = 128       # RLIMIT_NOFILE: a leak of one fd per URL would hit it
P = {}


def setUpModule():
    h.webtrace_path()
    try:
        P["serve"] = ts.ServeProcess().start()
        P["dns"] = h.Dnsmasq().start()
        P["pki"] = tp.TestPki().start()
        P["web"] = tr.ChainNginx(P["pki"]).start()
    except BaseException:
        for peer in P.values():
            peer.stop()
        h.stop_all_peers()
        raise


def tearDownModule():
    for name in ("web", "pki", "dns", "serve"):
        peer = P.pop(name, None)
        if peer:
            peer.stop()


def serve_url(path):
    return f"http://127.0.0.1:{P['serve'].port}{path}"


def serve_bytes(n):
    """What /bytes/N answers, read once with curl-free python."""
    import urllib.request
    with urllib.request.urlopen(serve_url(f"/bytes/{n}"), timeout=5) as r:
        return r.read()


class Outputs(h.WebtraceCase, unittest.TestCase):
    """-o and -O pair with the URLs in order, as curl pairs them."""

    def run_in(self, d, args):
        return h.run_webtrace(args, timeout=RUN_TIMEOUT_S, cwd=d)

    def test_nth_output_goes_to_the_nth_url_and_the_rest_to_stdout(self):
        with tempfile.TemporaryDirectory() as d:
            code, out, err = self.run_in(d, ["-s", "-o", "first", serve_url("/bytes/10"),
                                             "-o", "second", serve_url("/bytes/20"),
                                             serve_url("/bytes/30")])
            self.assertEqual(code, 0, h.describe(code, out, err))
            self.assertEqual(sorted(os.listdir(d)), ["first", "second"])
            with open(os.path.join(d, "first"), "rb") as f:
                self.assertEqual(f.read(), serve_bytes(10))
            with open(os.path.join(d, "second"), "rb") as f:
                self.assertEqual(f.read(), serve_bytes(20))
            self.assertEqual(out, serve_bytes(30), "the URL without -o writes to stdout")

    def test_remote_name_per_url_and_for_all(self):
        with tempfile.TemporaryDirectory() as d:
            # -O for the first URL only, -o - (stdout) for the second
            code, out, err = self.run_in(d, ["-s", "-O", "-o", "-", serve_url("/bytes/11"),
                                             serve_url("/bytes/12")])
            self.assertEqual(code, 0, h.describe(code, out, err))
            self.assertEqual(os.listdir(d), ["11"])
            self.assertEqual(out, serve_bytes(12))
        with tempfile.TemporaryDirectory() as d:
            code, out, err = self.run_in(d, ["-s", "--remote-name-all", "-o", "mine",
                                             serve_url("/bytes/13"), serve_url("/bytes/14"),
                                             serve_url("/bytes/15")])
            self.assertEqual(code, 0, h.describe(code, out, err))
            self.assertEqual(sorted(os.listdir(d)), ["14", "15", "mine"])
            self.assertEqual(out, b"")

    def test_output_dir_and_create_dirs(self):
        with tempfile.TemporaryDirectory() as d:
            # no such directory: curl's exit 23, and nothing written
            code, out, err = self.run_in(d, ["--output-dir", "out/sub", "-O",
                                             serve_url("/bytes/16")])
            self.assertEqual(code, 23, h.describe(code, out, err))
            self.assertOneErrorLine(err, "output", "out/sub/16")
            self.assertEqual(os.listdir(d), [])
            code, out, err = self.run_in(d, ["-o", "a/b/file", serve_url("/bytes/16")])
            self.assertEqual(code, 23, h.describe(code, out, err))
            self.assertEqual(os.listdir(d), [])

            old = os.umask(0o022)
            try:
                code, out, err = self.run_in(d, ["-s", "--create-dirs", "--output-dir", "out/sub",
                                                 "-O", "-o", "x/y/file", serve_url("/bytes/16"),
                                                 serve_url("/bytes/17")])
            finally:
                os.umask(old)
            self.assertEqual(code, 0, h.describe(code, out, err))
            with open(os.path.join(d, "out/sub/16"), "rb") as f:
                self.assertEqual(f.read(), serve_bytes(16))
            with open(os.path.join(d, "out/sub/x/y/file"), "rb") as f:
                self.assertEqual(f.read(), serve_bytes(17))
            for sub in ("out", "out/sub", "out/sub/x", "out/sub/x/y"):
                mode = stat.S_IMODE(os.stat(os.path.join(d, sub)).st_mode)
                self.assertEqual(mode, 0o750, f"{sub}: curl's mode for --create-dirs")

    def test_create_dirs_fails_on_a_file_in_the_way(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "plain"), "w") as f:
                f.write("in the way\n")
            code, out, err = self.run_in(d, ["--create-dirs", "-o", "plain/sub/file",
                                             serve_url("/bytes/5")])
            self.assertEqual(code, 23, h.describe(code, out, err))
            self.assertOneErrorLine(err, "output", "plain/sub")

    def test_outputs_with_parallel_and_a_list(self):
        with tempfile.TemporaryDirectory() as d:
            listing = os.path.join(d, "urls.txt")
            with open(listing, "w") as f:
                f.write("# a comment\n")
                for n in range(21, 41):
                    f.write(serve_url(f"/bytes/{n}") + "\n")
            os.mkdir(os.path.join(d, "got"))
            code, out, err = self.run_in(d, ["-sZ", "--remote-name-all", "--output-dir", "got",
                                             "--url", "@" + listing])
            self.assertEqual(code, 0, h.describe(code, out, err))
            got = os.path.join(d, "got")
            self.assertEqual(sorted(os.listdir(got)), [str(n) for n in range(21, 41)])
            for n in range(21, 41):
                with open(os.path.join(got, str(n)), "rb") as f:
                    self.assertEqual(f.read(), serve_bytes(n))
            self.assertEqual(out, b"")


class ListAtOnce(h.WebtraceCase, unittest.TestCase):
    """-Z with --url @FILE and @-: the list's URLs run at once too."""

    def setUp(self):
        P["web"].clear_log()

    def nginx_rows(self):
        return [r for r in P["web"].access_log() if r[3] != "HEAD"]

    def run_limited(self, args, stdin=None):
        """RLIMIT_NOFILE at FD_LIMIT: 1000 URLs fit only if each connection's
        fd is closed again."""
        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))

        proc = subprocess.run([h.webtrace_path()] + args, input=stdin, capture_output=True,
                              timeout=120, preexec_fn=limit, env=h.webtrace_env())
        return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")

    def test_1000_urls_from_a_list_at_once_leave_no_fd_behind(self):
        web = P["web"]
        text = "".join(web.url(f"/?n={i}") + "\n" for i in range(MANY))
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write(text)
            f.flush()
            code, out, err = self.run_limited(["-Z", "--parallel-max", str(PARALLEL_MAX),
                                               "--url", "@" + f.name])
        self.assertEqual(code, 0, h.describe(code, out[:200], err[-2000:]))
        self.assertEqual(out, h.Nginx.index_bytes() * MANY)
        rows = self.nginx_rows()
        self.assertEqual(sorted(r[5] for r in rows), sorted(f"/?n={i}" for i in range(MANY)))
        conns = {r[1] for r in rows}
        self.assertLessEqual(len(conns), PARALLEL_MAX, "at most --parallel-max connections")
        self.assertLess(len(conns), MANY // 10, "connections are reused")
        # at once: every line names its URL, and the end table has them all
        narration, table = err.split("\n[run ] ")
        self.assertTrue(all(re.match(r"^\[\d+\] ", l) for l in narration.splitlines()))
        self.assertTrue(table.startswith(f"{MANY} URLs: {MANY} succeeded, 0 failed"), table[:200])
        # nothing is left open for the end of the run: the last fetches to
        # the origin closed their connections where they ended
        left = [l for l in narration.splitlines() if "at the end of the run" in l]
        self.assertEqual(left, [])
        self.assertEqual(len(re.findall(r"no later URL goes to this origin", narration)),
                         len(conns))

    def test_list_from_stdin_at_once(self):
        web = P["web"]
        text = "".join(web.url(f"/?n={i}") + "\n" for i in range(40)).encode()
        code, out, err = self.run_limited(["-sZ", "--parallel-max", "8", "--url", "@-"],
                                          stdin=text)
        self.assertEqual(code, 0, h.describe(code, out[:200], err[-2000:]))
        self.assertEqual(out, h.Nginx.index_bytes() * 40)
        self.assertEqual(len(self.nginx_rows()), 40)

    def test_command_line_and_list_urls_are_indexed_in_order(self):
        web = P["web"]
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write(web.url("/?n=1") + "\n" + web.url("/?n=2") + "\n")
            f.flush()
            code, out, err = h.run_webtrace(["-Z", web.url("/?n=0"), "--url", "@" + f.name],
                                            timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        table = err.split("\n[run ] ")[1].splitlines()
        rows = [re.split(r"\s{2,}", l.strip()) for l in table[2:]]
        self.assertEqual([(r[0], r[-1]) for r in rows],
                         [(str(i), web.url(f"/?n={i}")) for i in range(3)])


class WaitOrImmediate(h.WebtraceCase, unittest.TestCase):
    """-Z: a URL due while another sets up an https connection to its origin
    waits for that (curl's default), or not with --parallel-immediate."""

    def setUp(self):
        P["web"].clear_log()

    def args(self):
        return ["--dns-server", P["dns"].server_arg, "--cacert", P["pki"].ca_file,
                "-Z", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null"]

    def urls(self):
        return [P["web"].final_url() + f"&n={i}" for i in range(3)]

    def test_https_urls_wait_for_the_connection_being_set_up(self):
        code, out, err = h.run_webtrace(self.args() + self.urls(), timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        waited = re.findall(r"(?m)^\[(\d)\] \[conn\] waited \S+ m?s for (?:connection #\d|a "
                            r"connection) to https://real\.example\.test:\d+ to be set up: its TLS "
                            r"handshake says whether it can carry more than one request at once "
                            r"\(-Z without --parallel-immediate, as curl\)$", err)
        self.assertEqual(waited, ["1", "2"], err)
        self.assertNotIn("--parallel-immediate)", err)
        # each waited until the one before had sent its request: no two
        # handshakes of the origin overlap
        lines = err.splitlines()
        for i in ("1", "2"):
            first = next(n for n, l in enumerate(lines) if l.startswith(f"[{i}] "))
            before = int(i) - 1
            sent = next(n for n, l in enumerate(lines)
                        if l.startswith(f"[{before}] [http] → GET"))
            self.assertLess(sent, first, f"URL {i} started before URL {before} was set up")
        self.assertEqual(len([r for r in P["web"].access_log() if "/dir/final" in r[5]]), 3)

    def test_parallel_immediate_does_not_wait(self):
        code, out, err = h.run_webtrace(self.args() + ["--parallel-immediate"] + self.urls(),
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNotIn("] waited ", err)
        went = re.findall(r"(?m)^\[(\d)\] \[conn\] (?:connection #\d|a connection) to "
                          r"https://real\.example\.test:\d+ is still being set up: not waiting "
                          r"for it, a new connection at once \(--parallel-immediate\)$", err)
        self.assertEqual(went, ["1", "2"], err)
        self.assertEqual(len(re.findall(r"(?m)^\[\d\] \[tcp \] connected ", err)), 3)

    def test_plain_http_never_waits(self):
        web = P["web"]
        code, out, err = h.run_webtrace(["-Z", "-o", "/dev/null", "-o", "/dev/null",
                                         web.url("/?n=0"), web.url("/?n=1")],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertNotIn("] waited ", err)
        self.assertNotIn("still being set up", err)


class Retry(h.WebtraceCase, unittest.TestCase):
    """--retry against `webtrace serve`'s /status/CODE?times=K, which answers
    CODE to the first K requests of that very URL, then 200. Waits are
    hundredths of a second (--retry-delay takes a fraction here)."""

    n = 0

    def flaky(self, code, times, extra=""):
        """A URL no other test asked for: its count starts at 0."""
        Retry.n += 1
        return serve_url(f"/status/{code}?times={times}&t={os.getpid()}-{Retry.n}{extra}")

    def retry_lines(self, err):
        return [l for l in err.splitlines() if l.startswith("[retry] ")]

    def test_transient_status_is_tried_again_until_it_passes(self):
        url = self.flaky(503, 2)
        code, out, err = h.run_webtrace(["--retry", "3", "--retry-delay", "0.01", "-w",
                                         "%{http_code} %{wt_num_retries}\\n", url],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(self.retry_lines(err), [
            "[retry] 503 Service Unavailable is transient: retry 1/3 in 10.0 ms",
            "[retry] 503 Service Unavailable is transient: retry 2/3 in 10.0 ms"])
        # every attempt's body goes where the body goes, as curl's does
        self.assertEqual(out, b"503 Service Unavailable\n" * 2 + b"200 OK\n" + b"200 2\n")
        self.assertEqual(h.error_lines(err), [])

    def test_retries_run_out(self):
        url = self.flaky(429, 9)
        code, out, err = h.run_webtrace(["--retry", "2", "--retry-delay", "0.01", "-o",
                                         "/dev/null", "-w", "%{http_code} %{wt_num_retries}",
                                         url], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, "a 429 is a response: exit 0 without -f, as curl")
        self.assertEqual(out, b"429 2")
        self.assertEqual(len(self.retry_lines(err)), 2)
        code, out, err = h.run_webtrace(["-f", "--retry", "1", "--retry-delay", "0.01",
                                         self.flaky(500, 9)], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 22, h.describe(code, out, err))
        self.assertEqual(self.retry_lines(err),
                         ["[retry] 500 Internal Server Error is transient: retry 1/1 in 10.0 ms"])

    def test_other_statuses_are_not_transient(self):
        for status in (501, 404):
            code, out, err = h.run_webtrace(["--retry", "3", "--retry-delay", "0.01",
                                             self.flaky(status, 1)], timeout=RUN_TIMEOUT_S)
            self.assertEqual(code, 0, h.describe(code, out, err))
            self.assertEqual(self.retry_lines(err), [])
            self.assertIn(f"{status} ".encode(), out)

    def test_back_off_doubles_from_the_delay_curl_uses(self):
        # no --retry-delay: 1 s, 2 s, ... (only the first is waited for here:
        # the budget stops the second)
        code, out, err = h.run_webtrace(["--retry", "3", "--retry-max-time", "1", "-o",
                                         "/dev/null", self.flaky(502, 9)], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        lines = self.retry_lines(err)
        self.assertEqual(lines[0], "[retry] 502 Bad Gateway is transient: retry 1/3 in 1 s")
        self.assertEqual(lines[-1], "[retry] no retry 2/3: it would start after "
                                    "--retry-max-time (1 s) from the first try")
        self.assertEqual(len(lines), 2, err)

    def test_retry_after_is_read_and_the_budget_kept(self):
        url = self.flaky(503, 1, "&retry-after=100")
        code, out, err = h.run_webtrace(["--retry", "2", "--retry-max-time", "5", "-o",
                                         "/dev/null", "-w", "%{http_code}", url],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, b"503", "100 s of Retry-After would pass the 5 s budget")
        self.assertEqual(self.retry_lines(err), [
            "[retry] no retry 1/2: it would start after --retry-max-time (5 s) from the first try"])

    def test_budget_ends_the_retries(self):
        code, out, err = h.run_webtrace(["--retry", "50", "--retry-delay", "0.1",
                                         "--retry-max-time", "0.5", "-o", "/dev/null", "-w",
                                         "%{wt_num_retries}", self.flaky(504, 1000)],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        retries = int(out)
        self.assertGreaterEqual(retries, 1)
        self.assertLessEqual(retries, 5, "0.1 s apart within 0.5 s")
        self.assertRegex(self.retry_lines(err)[-1], r"^\[retry\] no retry \d+/50: it would "
                                                     r"start after --retry-max-time \(500\.0 ms\)")

    def test_timeout_is_transient(self):
        code, out, err = h.run_webtrace(["--retry", "1", "--retry-delay", "0.01", "-m", "0.3",
                                         serve_url("/delay/5000")], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 28, h.describe(code, out, err))
        self.assertEqual(self.retry_lines(err), [
            "[retry] exit 28 (a timeout, or a name not resolved) is transient: retry 1/1 in "
            "10.0 ms"])
        self.assertEqual(len(h.error_lines(err)), 2, "each attempt says why it failed")

    def test_refused_connection_with_retry_connrefused_or_all_errors(self):
        closed = f"http://127.0.0.1:{h.closed_port()}/"
        base = ["--retry", "2", "--retry-delay", "0.01", closed]
        code, out, err = h.run_webtrace(base, timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 7, h.describe(code, out, err))
        self.assertEqual(self.retry_lines(err), [], "refused is not transient by itself")
        code, out, err = h.run_webtrace(["--retry-connrefused"] + base, timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 7, h.describe(code, out, err))
        self.assertEqual(self.retry_lines(err), [
            f"[retry] the connection was refused, transient with --retry-connrefused: retry "
            f"{i}/2 in 10.0 ms" for i in (1, 2)])
        code, out, err = h.run_webtrace(["--retry-all-errors"] + base, timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 7, h.describe(code, out, err))
        self.assertEqual(self.retry_lines(err), [
            f"[retry] exit 7, tried again as every failure is with --retry-all-errors: retry "
            f"{i}/2 in 10.0 ms" for i in (1, 2)])

    def test_ndjson_retry_events(self):
        url = self.flaky(503, 1)
        code, out, err = h.run_webtrace(["--ndjson", "-s", "--retry", "2", "--retry-delay",
                                         "0.01", url], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        validator = tr.to.events_validator()
        events = [__import__("json").loads(l) for l in out.decode().splitlines()]
        for ev in events:
            self.assertEqual(list(validator.iter_errors(ev)), [], ev)
        retries = [e for e in events if e["event"] == "retry"]
        self.assertEqual(len(retries), 1)
        r = retries[0]
        self.assertEqual((r["reason"], r["status"], r["exit_code"], r["attempt"], r["max"],
                          r["wait_us"], r["retry_after"], r["over_budget"], r["budget_us"]),
                         ("http", 503, 0, 1, 2, 10000, False, False, None))
        done = [e for e in events if e["event"] == "transfer_done"]
        self.assertEqual(len(done), 1, "one transfer, however many attempts")
        self.assertEqual(done[0]["vars"]["wt_num_retries"], 1)
        self.assertEqual(done[0]["vars"]["http_code"], 200)

    def test_parallel_urls_retry_on_their_own(self):
        urls = [self.flaky(503, 1), self.flaky(503, 2), serve_url("/bytes/3")]
        code, out, err = h.run_webtrace(["-Z", "--retry", "3", "--retry-delay", "0.01", "-o",
                                         "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-w",
                                         "%{url} %{http_code} %{wt_num_retries}\\n"] + urls,
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(sorted(out.decode().splitlines()),
                         sorted([f"{urls[0]} 200 1", f"{urls[1]} 200 2", f"{urls[2]} 200 0"]))

    @unittest.skipUnless(__import__("shutil").which("curl"), "curl is not installed")
    def test_same_outcome_as_curl(self):
        # curl 7.88 takes whole seconds: one retry, 1 s apart
        results = []
        for tool in ([h.webtrace_path(), "-s"], ["curl", "-s"]):
            url = self.flaky(503, 1)
            proc = subprocess.run(tool + ["--retry", "1", "-w", "|%{http_code}", url],
                                  capture_output=True, timeout=RUN_TIMEOUT_S)
            results.append((proc.returncode, proc.stdout))
        self.assertEqual(results[0], results[1])
        self.assertEqual(results[0], (0, b"503 Service Unavailable\n200 OK\n|200"))


class KeepOnlyWhatIsUsed(h.WebtraceCase, unittest.TestCase):
    """A connection stays open only when a URL still to come goes to its
    origin (or a redirect is being followed): nginx's log shows which
    requests shared one."""

    def setUp(self):
        P["web"].clear_log()

    def nginx_rows(self):
        return [r for r in P["web"].access_log() if r[3] != "HEAD"]

    def test_closed_at_once_when_no_later_url_goes_there(self):
        web = P["web"]
        other = serve_url("/bytes/3")
        urls = [web.url("/?n=0"), other, web.url("/?n=2"), other]
        code, out, err = h.run_webtrace(["-o", "/dev/null"] * 4 + urls, timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        # URL 0's connection waits for URL 2 (same origin), and is reused
        rows = self.nginx_rows()
        self.assertEqual([(r[2], r[5]) for r in rows], [(1, "/?n=0"), (2, "/?n=2")])
        self.assertEqual(rows[0][1], rows[1][1], "one connection in nginx's log")
        blocks = re.split(r"(?m)^(?=\[url \])", err)
        self.assertRegex(blocks[1], r"(?m)^\[conn\] keeping connection #1 open")
        self.assertRegex(blocks[2], r"(?m)^\[conn\] keeping connection #2 open")
        # URL 2 is the last to nginx: closed there, saying why, torn down
        self.assertRegex(blocks[3], r"(?m)^\[conn\] closing connection #1 to http://127\.0\.0\.1:"
                                    r"\d+: no later URL goes to this origin$")
        self.assertRegex(blocks[3].split("no later URL")[1], r"(?m)^\[tcp \] teardown: ")
        self.assertNotIn("at the end of the run", err)

    def test_a_redirect_being_followed_keeps_it(self):
        web = P["web"]
        # /start answers 301 to /step2 on the same origin: kept for the hop,
        # though no later URL goes there
        code, out, err = h.run_webtrace(["--dns-server", P["dns"].server_arg, "--cacert",
                                         P["pki"].ca_file, "-L", "-o", "/dev/null",
                                         web.start_url(), serve_url("/bytes/1")],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        rows = [r for r in self.nginx_rows() if r[5] in ("/start", "/step2")]
        self.assertEqual([(r[2], r[5]) for r in rows], [(1, "/start"), (2, "/step2")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
