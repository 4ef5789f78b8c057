#!/usr/bin/env python3
"""Line coverage of the parsers by the fuzz targets, against the bar in
tests/fuzz/coverage.txt. Reads the raw profiles scripts/test.sh left in
BUILD/fuzz-coverage/<target>.profraw, prints one row per checked file and
a closing "coverage: N passed, N failed" line; exits 1 when a file is under
its bar or could not be measured.

    tests/fuzz/coverage.py BUILD_DIR [LLVM_SUFFIX]

LLVM_SUFFIX picks the tools matching the compiler (llvm-cov-14 for clang
14); empty for the unversioned names."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def read_checks(path):
    checks, minimum = [], None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0] == "minimum" and len(words) == 2:
                minimum = float(words[1].rstrip("%"))
            elif len(words) == 2 and minimum is not None:
                checks.append((words[0], words[1], minimum))
            else:
                sys.exit(f"{path}:{n}: want 'minimum PERCENT' first, then 'TARGET SOURCE-FILE'")
    return checks


def file_summaries(build, target, suffix, cache):
    """{absolute source path: (covered, count)} for one target's run."""
    if target in cache:
        return cache[target]
    cov_dir = os.path.join(build, "fuzz-coverage")
    raw = os.path.join(cov_dir, target + ".profraw")
    data = os.path.join(cov_dir, target + ".profdata")
    binary = os.path.join(build, "tests", "fuzz", "fuzz_" + target)
    result = None
    if os.path.exists(raw) and os.path.exists(binary):
        subprocess.run(["llvm-profdata" + suffix, "merge", "-sparse", raw, "-o", data], check=True)
        out = subprocess.run(["llvm-cov" + suffix, "export", "-summary-only",
                              "-instr-profile=" + data, binary],
                             check=True, capture_output=True, text=True).stdout
        result = {}
        for entry in json.loads(out)["data"][0]["files"]:
            lines = entry["summary"]["lines"]
            path = os.path.normpath(os.path.join(build, entry["filename"]))
            result[path] = (lines["covered"], lines["count"])
    cache[target] = result
    return result


def main():
    build = os.path.abspath(sys.argv[1])
    suffix = sys.argv[2] if len(sys.argv) > 2 else ""
    checks = read_checks(os.path.join(HERE, "coverage.txt"))
    cache, passed, failed = {}, 0, 0
    print(f"{'target':<10} {'file':<26} {'lines':>11} {'cover':>7}  (minimum)")
    for target, source, minimum in checks:
        files = file_summaries(build, target, suffix, cache)
        want = os.path.normpath(os.path.join(ROOT, source))
        if files is None or want not in files:
            why = "no profile from the run" if files is None else "not reached at all"
            print(f"{target:<10} {source:<26} {'-':>11} {'-':>7}  FAILED: {why}")
            failed += 1
            continue
        covered, count = files[want]
        percent = 100.0 * covered / count if count else 100.0
        ok = percent >= minimum
        print(f"{target:<10} {source:<26} {covered:>5}/{count:<5} {percent:6.1f}%  "
              f"{'ok' if ok else 'FAILED'} ({minimum:g}%)")
        if ok:
            passed += 1
        else:
            failed += 1
    print(f"coverage: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
