"""Runs webtrace with its stderr on a real pseudo-terminal (python's pty),
as a person at a terminal would see it: what a test of the progress meter
and the waterfall reads. Standard library only."""

import os
import select
import struct
import subprocess
import time

import fcntl
import termios

import harness as h

# A backstop: the runs here take a few seconds.
PTY_RUN_TIMEOUT_S = 60.0


def run_in_pty(args, columns=80, env_extra=None, no_color=True, timeout=PTY_RUN_TIMEOUT_S,
               stdout_too=False):
    """Runs $WEBTRACE args with stderr on a pty of the given width and
    stdout to /dev/null (stdout_too: to the same pty); returns (exit code, the terminal's bytes with the
    pty's \\r\\n turned back into \\n, seconds taken)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = h.webtrace_env(no_color=no_color, extra=env_extra)
    env.pop("COLUMNS", None)
    got = b""
    start = time.monotonic()
    try:
        proc = subprocess.Popen([h.webtrace_path(), *[str(a) for a in args]],
                                stdin=subprocess.DEVNULL,
                                stdout=slave if stdout_too else subprocess.DEVNULL,
                                stderr=slave, env=env)
        os.close(slave)
        slave = None
        deadline = start + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                proc.wait()
                raise h.WebtraceHang(f"webtrace ran over {timeout} s in a pty: {got[-500:]!r}")
            ready, _, _ = select.select([master], [], [], min(left, 0.5))
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:   # EIO: every writer of the slave side is gone
                    break
                if not chunk:
                    break
                got += chunk
            elif proc.poll() is not None:
                # exited and nothing left to read
                ready, _, _ = select.select([master], [], [], 0)
                if not ready:
                    break
        code = proc.wait(timeout=timeout)
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    elapsed = time.monotonic() - start
    return code, got.replace(b"\r\n", b"\n"), elapsed
