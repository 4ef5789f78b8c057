#!/usr/bin/env python3
"""Offline demo: start dnsmasq (a CNAME chain for www.example.test) and
nginx on loopback, trace http://www.example.test:PORT/ through them with
the webtrace binary given as the first argument, then stop both.

Usage: python3 tests/integration/demo.py build/webtrace [extra webtrace options]
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    extra = sys.argv[2:]
    dns = harness.Dnsmasq().start()
    web = harness.Nginx().start()
    try:
        url = f"http://www.example.test:{web.port}/"
        print(f"demo: dnsmasq on 127.0.0.1:{dns.port} (pid {dns.pid}), "
              f"nginx on port {web.port} (pid {web.pid})", file=sys.stderr)
        print(f"demo: webtrace --dns-server {dns.server_arg} -o /dev/null {url}\n",
              file=sys.stderr)
        rc = subprocess.run([binary, "--dns-server", dns.server_arg, "-o", "/dev/null",
                             *extra, url], stdin=subprocess.DEVNULL, timeout=30).returncode
    finally:
        web.stop()
        dns.stop()
    return rc


if __name__ == "__main__":
    sys.exit(main())
