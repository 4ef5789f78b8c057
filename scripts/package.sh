#!/usr/bin/env bash
# Builds the Debian package (debian/) from a clean copy of the committed
# tree in a scratch folder, checks it with lintian (errors fail), then, as
# root, installs it with apt-get, runs /usr/bin/webtrace demo and --version
# from the installed paths, and removes it again: the machine is left as it
# was found. The work tree is never written to.
# Needs scripts/setup.sh first (dpkg-dev, debhelper, lintian, fakeroot and
# the build dependencies). Without root only the build and lintian run.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
scratch=$(mktemp -d /tmp/webtrace-package.XXXXXX)
installed_by_us=
pulled_in=
cleanup() {
  if [ -n "$installed_by_us" ]; then
    echo "package: removing the webtrace package"
    apt-get remove -y -q webtrace >/dev/null || echo "package: apt-get remove webtrace failed"
  fi
  if [ -n "$pulled_in" ]; then
    echo "package: removing what its installation pulled in: $(echo $pulled_in)"
    # shellcheck disable=SC2086
    apt-get purge -y -q $pulled_in >/dev/null || echo "package: apt-get purge failed"
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# The committed tree, as a fresh checkout would have it: no build folders,
# nothing uncommitted.
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
src="$scratch/webtrace-$version"
mkdir -p "$src"
git archive --format=tar HEAD | tar -x -C "$src"

echo "package: building webtrace $version in $src"
build_start=$SECONDS
if ! (cd "$src" && dpkg-buildpackage -us -uc -b -Jauto) > "$scratch/build.log" 2>&1; then
  tail -n 60 "$scratch/build.log"
  echo "package: dpkg-buildpackage failed"
  exit 1
fi
echo "package: dpkg-buildpackage took $((SECONDS - build_start)) s"
# The unit suite debian/rules runs at build time, in meson's words.
grep -E '^(Ok|Fail|Skipped|Timeout): ' "$scratch/build.log" | sed 's/^/package: unit suite: /' || true

debs=("$scratch"/webtrace_"$version"_*.deb)
[ -f "${debs[0]}" ] || { echo "package: no webtrace_${version}_*.deb was built"; exit 1; }
deb=${debs[0]}
echo "package: built $(basename "$deb"):"
dpkg-deb -f "$deb" Depends Recommends | sed 's/^/package:   /'
dpkg-deb -c "$deb" | awk '{print $NF}' | grep -v '/$' | sed 's/^/package:   /'

# Errors fail; warnings and notes are printed for whoever reads the log.
# (lintian warns when run as root; that line is not about the package.)
if ! lintian --fail-on error --display-info "$deb" 2>&1 \
    | sed '/^running with root privileges is not recommended!$/d; s/^/package: lintian: /'; then
  echo "package: lintian reports errors"
  exit 1
fi

# The build tree names its own folder in the binary; with it gone, the
# installed binary can only find its module and catalogue where the
# package put them.
rm -rf "$src"

if [ "$(id -u)" -ne 0 ]; then
  echo "package: install test skipped: apt-get install needs root (CI runs as root)"
  echo "package: OK (built and checked, not installed) in $((SECONDS - start)) s"
  exit 0
fi
if dpkg-query -W -f='${Status}' webtrace 2>/dev/null | grep -q "install ok installed"; then
  echo "package: install test skipped: a webtrace package is already installed here; it is left alone"
  echo "package: OK (built and checked, not installed) in $((SECONDS - start)) s"
  exit 0
fi

# apt's unprivileged download user must be able to read the file.
chmod 755 "$scratch"
chmod 644 "$deb"
# What apt pulls in besides webtrace (a dependency missing here) goes
# again afterwards.
dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort > "$scratch/before"
installed_by_us=1
(cd "$scratch" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ./webtrace_*.deb) \
  > "$scratch/install.log" 2>&1 \
  || { cat "$scratch/install.log"; echo "package: apt-get install failed"; exit 1; }
dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort > "$scratch/after"
pulled_in=$(comm -13 "$scratch/before" "$scratch/after" | grep -v '^webtrace$' || true)

fail() { echo "package: $*"; exit 1; }
[ -x /usr/bin/webtrace ] || fail "/usr/bin/webtrace is not installed"
dpkg -L webtrace | grep -q '/webtrace/webtrace-tls\.so$' || fail "the TLS module is not in the package"
dpkg -L webtrace | grep -q '/locale/zh_CN/LC_MESSAGES/webtrace\.mo$' || fail "the zh_CN catalogue is not in the package"

(cd "$scratch" && /usr/bin/webtrace --version) || fail "/usr/bin/webtrace --version failed"
# demo traces http:// and https:// on loopback: the https half loads the
# TLS module from the package's libdir.
(cd "$scratch" && /usr/bin/webtrace demo --no-color) > "$scratch/demo.log" 2>&1 \
  || { cat "$scratch/demo.log"; fail "/usr/bin/webtrace demo failed"; }
grep -q '\[tls' "$scratch/demo.log" || { cat "$scratch/demo.log"; fail "demo narrated no TLS step"; }
# The catalogue from /usr/share/locale: the Chinese narration differs from
# the English one.
(cd "$scratch" && /usr/bin/webtrace demo --no-color --lang zh) > "$scratch/demo-zh.log" 2>&1 \
  || { cat "$scratch/demo-zh.log"; fail "/usr/bin/webtrace demo --lang zh failed"; }
python3 - "$scratch/demo-zh.log" <<'PY' || fail "demo --lang zh printed no Chinese: the catalogue was not found"
import sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
sys.exit(0 if any("\u4e00" <= c <= "\u9fff" for c in text) else 1)
PY
echo "package: /usr/bin/webtrace demo ran (English and Chinese), the TLS module loaded"

installed_by_us=
apt-get remove -y -q webtrace >/dev/null || fail "apt-get remove webtrace failed"
if dpkg-query -W -f='${Status}' webtrace 2>/dev/null | grep -q "install ok installed"; then
  fail "webtrace is still installed after apt-get remove"
fi
echo "package: OK in $((SECONDS - start)) s (built, lintian, installed, demo, removed)"
