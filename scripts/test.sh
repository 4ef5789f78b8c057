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

# The libFuzzer targets (tests/fuzz/fuzz_*.c), each over its seed corpus
# (tests/fuzz/corpus/<target>) and then a fixed number of runs from a fixed
# seed: the same inputs every time, so a failure here is a real crash, never
# bad luck. New inputs go to a scratch folder, never into the committed
# corpus. The fuzz build also records clang's coverage, and
# tests/fuzz/coverage.py checks that each parser listed in
# tests/fuzz/coverage.txt reaches its line coverage.
FUZZ_RUNS=20000
run_fuzz() {
  # --reconfigure also brings a build-fuzz set up before fuzz_profile existed
  # up to date (meson configure would not know the option yet).
  local reconfigure=
  [ -f build-fuzz/build.ninja ] && reconfigure=--reconfigure
  if [ -z "$reconfigure" ] || ! grep -q fprofile-instr-generate build-fuzz/build.ninja; then
    CC=clang meson setup $reconfigure build-fuzz -Dfuzz=enabled -Dfuzz_profile=true \
      -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || return 1
  fi
  local targets=() f t
  for f in tests/fuzz/fuzz_*.c; do
    t=${f#tests/fuzz/fuzz_}
    targets+=("${t%.c}")
  done
  ninja -C build-fuzz "${targets[@]/#/tests/fuzz/fuzz_}" >/dev/null || return 1
  mkdir -p build-fuzz/fuzz-coverage
  # Addresses leak into libFuzzer's table of compared values, and so into
  # its mutations: without ASLR a run repeats exactly.
  local no_aslr=()
  setarch "$(uname -m)" -R true 2>/dev/null && no_aslr=(setarch "$(uname -m)" -R)
  for t in "${targets[@]}"; do
    local work=build-fuzz/fuzz-work/$t log=build-fuzz/fuzz_$t.log seeds_dir=()
    rm -rf "$work" "build-fuzz/fuzz-coverage/$t.profraw"
    mkdir -p "$work"
    [ -d "tests/fuzz/corpus/$t" ] && seeds_dir=("tests/fuzz/corpus/$t")
    # UBSan only reports by default: here undefined behaviour fails the run.
    if LLVM_PROFILE_FILE=build-fuzz/fuzz-coverage/$t.profraw \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "${no_aslr[@]}" build-fuzz/tests/fuzz/fuzz_$t -seed=1 -runs=$FUZZ_RUNS -reload=0 -rss_limit_mb=1024 \
        -artifact_prefix=build-fuzz/fuzz_$t- "$work" "${seeds_dir[@]}" > "$log" 2>&1; then
      local seeds runs
      seeds=$(ls "tests/fuzz/corpus/$t" 2>/dev/null | wc -l)
      runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 executions in \2 s/p' "$log")
      echo "fuzz: $t OK, $seeds seeds, ${runs:-? executions}"
      fuzz_passed=$((fuzz_passed + 1))
    else
      echo "fuzz: $t FAILED (build-fuzz/fuzz_$t.log)"; tail -n 40 "$log"
      fuzz_failed=$((fuzz_failed + 1))
    fi
  done
  local llvm_suffix="-$(clang -dumpversion | cut -d. -f1)"
  local report
  report=$(python3 tests/fuzz/coverage.py build-fuzz "$llvm_suffix" 2>&1)
  echo "$report" | sed 's/^/fuzz: /'
  local counts
  counts=$(echo "$report" | sed -n 's/^coverage: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
  if [ -n "$counts" ]; then
    fuzz_passed=$((fuzz_passed + ${counts% *}))
    fuzz_failed=$((fuzz_failed + ${counts#* }))
  else
    fuzz_failed=$((fuzz_failed + 1))
  fi
}
fuzz_passed=0
fuzz_failed=0
if command -v clang >/dev/null 2>&1; then
  fuzz_start=$SECONDS
  run_fuzz || fuzz_failed=$((fuzz_failed + 1))
  echo "fuzz: fuzzing and coverage took $((SECONDS - fuzz_start)) s"
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
