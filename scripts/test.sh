#!/usr/bin/env bash
# Runs the whole test suite: unit and integration tests on the release
# build, then again on an ASan+UBSan build. Needs scripts/setup.sh first.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
run_suite() {
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" || return 1
  fi
  ninja -C "$dir" || return 1
  meson test -C "$dir" --print-errorlogs --num-processes 2
}

run_suite build || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suite build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false || status=1

# The libFuzzer targets, a fixed number of runs from a fixed seed: the same
# inputs every time, so a failure here is a real crash, never bad luck.
run_fuzz() {
  if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=enabled -Dbuildtype=debug \
      -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || return 1
  fi
  ninja -C build-fuzz || return 1
  local t
  for t in url http dnsmsg escape dnsserver; do
    if build-fuzz/tests/fuzz/fuzz_$t -seed=1 -runs=200000 -rss_limit_mb=1024 \
        -artifact_prefix=build-fuzz/ > build-fuzz/fuzz_$t.log 2>&1; then
      echo "fuzz: $t OK ($(tail -n 1 build-fuzz/fuzz_$t.log))"
      fuzz_passed=$((fuzz_passed + 1))
    else
      echo "fuzz: $t FAILED"; tail -n 40 build-fuzz/fuzz_$t.log
      fuzz_failed=$((fuzz_failed + 1))
    fi
  done
}
fuzz_passed=0
fuzz_failed=0
if command -v clang >/dev/null 2>&1; then
  run_fuzz || fuzz_failed=$((fuzz_failed + 1))
else
  echo "fuzz: clang not installed, skipped (scripts/setup.sh installs it)"
fi
[ "$fuzz_failed" -eq 0 ] || status=1
export fuzz_passed fuzz_failed

# One closing line over both runs, from meson's own logs.
python3 - <<'PY'
import json, os
passed = int(os.environ.get("fuzz_passed", 0))
failed = int(os.environ.get("fuzz_failed", 0))
skipped = 0
for d in ("build", "build-asan"):
    try:
        with open(f"{d}/meson-logs/testlog.json") as f:
            for line in f:
                r = json.loads(line).get("result")
                if r == "OK": passed += 1
                elif r == "SKIP": skipped += 1
                else: failed += 1
    except FileNotFoundError:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
