"""webtrace serve -v names its socket calls, and so does a fetch with
--explain; strace of the same run must show the same calls, on the same
descriptors, with the same results (byte counts included). Also: the client's SYN read back with TCP_SAVED_SYN (its
initial number equals the one the client's own --packets capture shows),
and a client that closes first while the server answers is narrated as the
client closing first (it once read "we close first ... TIME_WAIT held by
the client").

Needs strace (scripts/setup.sh installs it); the SYN cross-check needs root
(packet capture). Skipped with the reason otherwise.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_outputs import events_validator  # noqa: E402

START_DEADLINE_S = 20.0
STOP_TIMEOUT_S = 10.0
IO_TIMEOUT_S = 10.0

# strace's system call -> the call the narration names.
SYSCALL_NAMES = {"socket": "socket", "bind": "bind", "listen": "listen", "accept4": "accept",
                 "connect": "connect",
                 "recvfrom": "recv", "sendto": "send", "sendmsg": "sendmsg",
                 "shutdown": "shutdown", "close": "close"}
STRACE_LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<call>\w+)\((?P<args>.*)\)\s+=\s+(?P<ret>-?\d+)"
                         r"(?:\s+(?P<errno>E[A-Z]+))?")


def traced_env():
    """webtrace's environment under strace: LeakSanitizer (an ASan build)
    cannot run under ptrace, and would fail the run at exit."""
    env = h.webtrace_env(True, None)
    if env.get("ASAN_OPTIONS"):
        env["ASAN_OPTIONS"] += ":detect_leaks=0"
    return env


def strace_calls(path):
    """The socket calls on TCP sockets, in order, as strace saw them:
    [(call, fd or None, result, args)]. Netlink sockets (sock_diag), pipes
    and files are left out; so is a call that would block (EAGAIN)."""
    inet = set()
    calls = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = STRACE_LINE.match(line)
            if not m or m["call"] not in SYSCALL_NAMES:
                continue
            name, args, ret = m["call"], m["args"], int(m["ret"])
            if m["errno"] == "EAGAIN":
                continue
            if name == "socket":
                if args.startswith(("AF_INET,", "AF_INET6,")) and "SOCK_STREAM" in args:
                    inet.add(ret)
                    calls.append(("socket", None, ret, args))
                continue
            fd = int(args.split(",")[0])
            if fd not in inet:
                continue
            if name == "accept4" and ret >= 0:
                inet.add(ret)
            if name == "close":
                inet.discard(fd)
            calls.append((SYSCALL_NAMES[name], fd, ret, args))
    return calls


@unittest.skipUnless(shutil.which("strace") or os.path.exists("/usr/bin/strace"),
                     "strace is not installed (scripts/setup.sh installs it)")
class SocketCallsTests(h.WebtraceCase, unittest.TestCase):
    def setUp(self):
        if os.environ.get("WEBTRACE_WRAPPER"):
            self.skipTest("not under a wrapper tool: strace is the wrapper here")
        self.tmp = tempfile.mkdtemp(prefix="webtrace-calls-")
        self.proc = None

    def tearDown(self):
        self.stop_server()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_server(self, *extra):
        self.port = h.free_port("tcp")
        self.strace_log = os.path.join(self.tmp, "strace.log")
        self.out = open(os.path.join(self.tmp, "out.ndjson"), "wb")
        self.err = open(os.path.join(self.tmp, "err.txt"), "wb")
        strace = shutil.which("strace") or "/usr/bin/strace"
        self.proc = subprocess.Popen(
            [strace, "-f", "-e", "trace=network,close", "-o", self.strace_log,
             h.webtrace_path(), "serve", "--port", str(self.port), "--ndjson", "--no-color",
             *extra],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err,
            env=traced_env())
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail(f"serve exited early: {self.read_err()}")
            try:
                # A probe would be a connection of its own: wait for the
                # listening socket in the narration instead.
                with open(self.err.name, "rb") as f:
                    if b"\xe2\x86\x92 listen (backlog" in f.read():
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.fail("serve did not start listening")

    def server_pid(self):
        """webtrace itself: the child strace started."""
        with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
            return int(f.read().split()[0])

    def stop_server(self):
        if not self.proc:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.server_pid(), signal.SIGTERM)
            except (OSError, IndexError, ValueError):
                self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT_S)
        self.out.close()
        self.err.close()
        self.proc = None

    def read_err(self):
        with open(self.err.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def events(self):
        with open(self.out.name, encoding="utf-8") as f:
            events = [json.loads(line) for line in f if line.strip()]
        v = events_validator()
        for e in events:
            self.assertTrue(v.is_valid(e), f"{e}\n{list(v.iter_errors(e))}")
        return events

    def get(self, request, shutdown_first=False):
        """One connection: sends request, reads to the end, closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=IO_TIMEOUT_S) as s:
            s.sendall(request)
            if shutdown_first:
                s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                head, sep, body = data.partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", head)
                if sep and m and len(body) >= int(m[1]):
                    break
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return data

    def wait_for_teardowns(self, n):
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            if self.read_err().count("teardown:") >= n:
                return
            time.sleep(0.05)
        self.fail(f"waited for {n} teardowns\n{self.read_err()}")

    def test_calls_fds_and_byte_counts_are_the_kernels(self):
        self.start_server("-v")
        self.get(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.get(b"GET /bytes/3000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.wait_for_teardowns(2)
        self.stop_server()
        events = self.events()
        narrated = [e for e in events if e["event"] == "socket_call"]
        told = [(e["call"], e["fd"], e["result"]) for e in narrated]
        seen = [(c, fd, r) for c, fd, r, _ in strace_calls(self.strace_log)]
        # After SIGTERM the server closes its listener: not narrated (no
        # connection), so compare up to the last narrated call.
        self.assertEqual(told, seen[:len(told)], f"\nnarrated {told}\nstrace   {seen}")
        self.assertTrue(all(c == "close" for c, _, _ in seen[len(told):]), seen[len(told):])
        calls = [c for c, _, _ in told]
        for want in ("socket", "bind", "listen", "accept", "recv", "sendmsg", "close"):
            self.assertIn(want, calls)
        # The lesson's order, on the first connection.
        first = calls[:calls.index("close") + 1]
        self.assertEqual(first[:4], ["socket", "bind", "listen", "accept"])
        self.assertEqual(first[-1], "close")
        # Arguments as the kernel saw them.
        listen = [e for e in narrated if e["call"] == "listen"][0]
        self.assertEqual(listen["backlog"], 128)
        self.assertIn(("listen", listen["fd"], 0, f"{listen['fd']}, 128"),
                      strace_calls(self.strace_log))
        bind = [e for e in narrated if e["call"] == "bind"][0]
        self.assertEqual((bind["address"]["ip"], bind["address"]["port"]),
                         ("127.0.0.1", self.port))
        # The text narration names the same calls.
        err = self.read_err()
        sock = [e for e in narrated if e["call"] == "socket"][0]
        self.assertNarration(err, rf"^\[srv \] socket\(AF_INET, SOCK_STREAM\) = {sock['result']}$")
        self.assertNarration(err, rf"^\[srv \] bind\({sock['result']}, 127\.0\.0\.1:{self.port}\) = 0$")
        self.assertNarration(err, rf"^\[srv \] listen\({sock['result']}, backlog 128\) = 0$")
        for e in narrated:
            if e["call"] == "accept":
                self.assertNarration(err, rf"^\[srv \] #{e['conn']} accept\({e['fd']}\) = "
                                          rf"{e['result']} from 127\.0\.0\.1:\d+$")
            if e["call"] in ("recv", "sendmsg") and e["result"] > 0:
                self.assertNarration(err, rf"^\[srv \] #{e['conn']} {e['call']}\({e['fd']}, "
                                          rf"{e['len']}\) = {e['result']} bytes$")
        sent = sum(e["result"] for e in narrated if e["call"] == "sendmsg" and e["conn"] == 2)
        response = [e for e in events if e["event"] == "serve_response" and e["conn"] == 2][0]
        self.assertEqual(sent, response["bytes"])

    def test_calls_are_not_named_by_default(self):
        self.start_server()
        self.get(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.wait_for_teardowns(1)
        self.stop_server()
        self.assertEqual([e for e in self.events() if e["event"] == "socket_call"], [])
        self.assertNoNarration(self.read_err(), r"recv\(")

    def test_client_that_closes_while_we_answer_closed_first(self):
        self.start_server("-v")
        # The client's FIN arrives while /delay holds the answer; the server
        # then closes too (Connection: close), but it was second.
        data = self.get(b"GET /delay/200 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        shutdown_first=True)
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data[:60])
        self.wait_for_teardowns(1)
        self.stop_server()
        teardown = [e for e in self.events() if e["event"] == "tcp_teardown"][0]
        self.assertEqual(teardown["side"], "server")
        self.assertEqual(teardown["closed_first"], "client", teardown)
        if teardown["time_wait_side"] is not None:
            self.assertEqual(teardown["time_wait_side"], "client")
        err = self.read_err()
        self.assertNarration(err, r"teardown: the client closed first")
        self.assertNoNarration(err, r"we close first")
        calls = [e["call"] for e in self.events() if e["event"] == "socket_call" and e["conn"]]
        self.assertNotIn("shutdown", calls)

    def test_client_explain_names_its_calls(self):
        self.start_server()
        log = os.path.join(self.tmp, "client.strace")
        strace = shutil.which("strace") or "/usr/bin/strace"
        res = subprocess.run([strace, "-f", "-e", "trace=network,close", "-o", log,
                              h.webtrace_path(), "--explain", "--ndjson", "-o", "/dev/null",
                              f"http://127.0.0.1:{self.port}/bytes/100000"],
                             capture_output=True, timeout=60, env=traced_env())
        self.assertEqual(res.returncode, 0, res.stderr.decode())
        events = [json.loads(l) for l in res.stdout.decode().splitlines()]
        narrated = [e for e in events if e["event"] == "socket_call"]
        told = [(e["call"], e["fd"], e["result"]) for e in narrated]
        seen = [(c, fd, r) for c, fd, r, _ in strace_calls(log)]
        self.assertEqual(told, seen, f"\nnarrated {told}\nstrace   {seen}")
        calls = [c for c, _, _ in told]
        self.assertEqual(calls[:3], ["socket", "connect", "send"])
        self.assertEqual(calls[-1], "close")
        self.assertIn("recv", calls)
        connect = narrated[1]
        self.assertEqual((connect["result"], connect["errno"]), (-1, "EINPROGRESS"))
        self.assertEqual(connect["address"]["port"], self.port)
        received = sum(e["result"] for e in narrated if e["call"] == "recv")
        head = [e for e in events if e["event"] == "http_headers_done"][0]
        self.assertEqual(received, head["bytes"] + 100000)
        err = res.stderr.decode()
        self.assertNarration(err, rf"^\[tcp \] socket\(AF_INET, SOCK_STREAM\) = {connect['fd']}$")
        self.assertNarration(err, rf"^\[tcp \] connect\({connect['fd']}, 127\.0\.0\.1:{self.port}\) = "
                                  r"-1 EINPROGRESS")
        self.assertNarration(err, r"↳ connect\(\) sends the SYN")
        # Without --explain, none.
        code, out, err = h.run_webtrace(["--ndjson", "-o", "/dev/null",
                                         f"http://127.0.0.1:{self.port}/"])
        self.assertEqual(code, 0, err)
        self.assertNotIn(b'"socket_call"', out)

    @unittest.skipUnless(os.geteuid() == 0, "needs root: the client's capture needs CAP_NET_RAW")
    def test_saved_syn_is_the_clients_syn(self):
        self.start_server()
        code, out, err = h.run_webtrace(["--packets", "--ndjson", "-o", "/dev/null",
                                         f"http://127.0.0.1:{self.port}/"], timeout=60)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.wait_for_teardowns(1)
        self.stop_server()
        client = [json.loads(l) for l in out.decode().splitlines()]
        syn = [e for e in client if e["event"] == "tcp_packet" and e["seq_is"] == "j"][0]
        saved = [e for e in self.events() if e["event"] == "serve_syn"][0]
        self.assertTrue(saved["saved"])
        self.assertEqual(saved["seq"], syn["seq"])
        self.assertEqual(saved["options"].get("mss"), syn["options"].get("mss"))
        self.assertEqual(saved["options"].get("wscale"), syn["options"].get("wscale"))
        self.assertEqual(saved["ttl"], syn["ttl"])
        self.assertEqual(saved["accept_backlog"], 128)
        self.assertGreaterEqual(saved["accept_queue"], 1)
        self.assertNarration(self.read_err(),
                             rf"^\[srv \] #1 SYN from 127\.0\.0\.1:\d+ seq={syn['seq']} = j .*"
                             r"⇒ SYN_RECV: the kernel answered SYN\+ACK itself")


if __name__ == "__main__":
    unittest.main()
