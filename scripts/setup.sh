#!/usr/bin/env bash
# Installs what webtrace needs to build and test (Debian 12), builds it, and
# traces a page served on this machine: no network needed.
# Idempotent; run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build pkg-config gcc
  libc-ares-dev libssl-dev libcmocka-dev node-llhttp
  dnsmasq-base nginx-light openssl python3 curl bind9-dnsutils
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build

if [ "${WEBTRACE_SETUP_NO_DEMO:-}" != 1 ]; then
  ./build/webtrace demo
fi
