"""Interim (1xx) responses from a scripted server on loopback: a server that
sends 100 Continue without end must not hold webtrace forever (no -m given),
whether its interim sections are tiny (the count cap) or padded (the header
byte budget they share with the final section).

    WEBTRACE=/abs/path/webtrace python3 tests/integration/test_interim.py
"""

import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

# Far more than either cap allows; the server stops at this many or when
# the client goes away.
SERVER_INTERIM_LIMIT = 100000


class EndlessContinue:
    """Answers every request with 100 Continue sections until the client
    closes (or SERVER_INTERIM_LIMIT), each padded with `padding` bytes of
    header lines."""

    def __init__(self, padding=0):
        self.padding = padding
        self.sent = 0
        self.sock = socket.socket()
        self.sock.bind((h.LOOPBACK4, 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def url(self):
        return f"http://{h.LOOPBACK4}:{self.port}/"

    def _run(self):
        section = b"HTTP/1.1 100 Continue\r\n"
        line = b"X-Padding: " + b"p" * 1000 + b"\r\n"
        section += line * (self.padding // len(line)) + b"\r\n"
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(5)
            try:
                conn.recv(65536)
                while not self._stop.is_set() and self.sent < SERVER_INTERIM_LIMIT:
                    conn.sendall(section)
                    self.sent += 1
            except OSError:
                pass   # the client gave up: what we want
            finally:
                conn.close()

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


class EndlessInterimResponses(h.WebtraceCase, unittest.TestCase):
    def run_against(self, padding):
        server = EndlessContinue(padding).start()
        try:
            # No -m: the caps alone must end it; run_webtrace's timeout is
            # only the backstop that reports a hang.
            return h.run_webtrace(["-o", "/dev/null", server.url()], timeout=30)
        finally:
            server.stop()

    def test_endless_100_continue_stops_at_the_interim_cap(self):
        code, out, err = self.run_against(padding=0)
        self.assertEqual(code, 100, h.describe(code, out, err))
        self.assertOneErrorLine(err, "http", r"more than \d+ interim \(1xx\) responses")

    def test_padded_100_continue_stops_at_the_header_budget(self):
        code, out, err = self.run_against(padding=20000)
        self.assertEqual(code, 100, h.describe(code, out, err))
        self.assertOneErrorLine(err, "http", r"interim \(1xx\) responses included",
                                "larger than 100 KiB")


if __name__ == "__main__":
    unittest.main()
