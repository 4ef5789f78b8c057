#!/usr/bin/env bash
# Installs what webtrace needs to build and test (Debian 12), builds it, and
# traces a page served on this machine: no network needed.
# Idempotent; run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build pkg-config gcc
  libc-ares-dev libssl-dev libcmocka-dev node-llhttp libidn2-dev
  libnghttp2-dev zlib1g-dev libbrotli-dev libzstd-dev libpcap-dev
  gettext scdoc
  dnsmasq-base nginx-light openssl python3 curl bind9-dnsutils
  unbound tinyproxy zstd
  python3-jsonschema strace tcpdump iproute2
  # the completions' and the man page's tests
  bash-completion fish zsh groff-base man-db
  # scripts/package.sh: the tools that build and check the .deb
  dpkg-dev debhelper lintian fakeroot
  # the libFuzzer targets and their coverage
  clang libclang-rt-14-dev llvm-14
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm installs the HAR 1.2 schema below. Use the npm already on PATH if
# there is one (an image's Node.js, e.g. NodeSource's, bundles it and
# conflicts with Debian's npm package); else Debian's npm, with its nodejs.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The HAR 1.2 JSON schemas (npm package har-schema) that
# tests/integration/test_outputs.py validates --har files against, in a cache
# folder outside the work tree; the test computes the same path.
har_schema_version=2.0.0
har_schema_dir="${WEBTRACE_HAR_SCHEMA_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/webtrace/har-schema-$har_schema_version}"
if [ ! -f "$har_schema_dir/node_modules/har-schema/lib/har.json" ]; then
  echo "setup: installing har-schema@$har_schema_version into $har_schema_dir"
  mkdir -p "$har_schema_dir"
  npm install --prefix "$har_schema_dir" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "har-schema@$har_schema_version"
fi

if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build

if [ "${WEBTRACE_SETUP_NO_DEMO:-}" != 1 ]; then
  ./build/webtrace demo
fi
