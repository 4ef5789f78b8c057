#!/usr/bin/env bash
# webtrace benchmark: webtrace against curl on loopback nginx + dnsmasq.
#
#   bench/run.sh            full run (51 pairs per short case, 7 per 1 GiB case)
#   bench/run.sh --quick    smoke run for CI: 3 pairs, 8 MiB body, well under a minute
#   extra options go to bench/bench.py (--report FILE, --json FILE, --runs N, ...)
#
# On a fresh Debian 12 machine it installs what it needs (as root or through
# sudo; only packages that are missing), builds build/webtrace if it is not
# there, then runs bench/bench.py and bench/latency.py. Exit 0 means the benchmark ran (missed
# targets are reported, never fatal); non-zero means it broke (a fetch failed,
# a peer did not start, a tool is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

install_missing() {
  local missing
  missing=$(missing_packages "$@")
  if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    echo "bench: installing" $missing >&2
    as_root apt-get update -q
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
  fi
}

# Peers and the comparison client; gcc + libc6-dev compile bench/spawn.c
# (the fork/exec/wait4 helper that measures each run).
if command -v dpkg-query >/dev/null 2>&1; then
  install_missing curl nginx-light dnsmasq-base openssl python3 gcc libc6-dev iproute2
fi

if [ ! -x build/webtrace ]; then
  echo "bench: build/webtrace missing, building it" >&2
  if command -v dpkg-query >/dev/null 2>&1; then
    install_missing meson ninja-build pkg-config gcc libc-ares-dev libssl-dev node-llhttp \
      libidn2-dev libpcap-dev libnghttp2-dev zlib1g-dev libbrotli-dev libzstd-dev gettext \
      libcmocka-dev
  fi
  [ -f build/build.ninja ] || meson setup build
  ninja -C build
fi

# The system interpreter (standard library only), not whatever is first in PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" bench/bench.py "$@"
# The same https fetch over a path with 20 ms each way (root only: it makes
# two network namespaces joined by TUN devices): is the TLS set-up hidden in
# the DNS and TCP waits?
latency_args=()
for a in "$@"; do
  [ "$a" = --quick ] && latency_args+=(--quick)
done
"$py" bench/latency.py "${latency_args[@]}"
