"""The Chinese catalogue is complete and consistent with the sources.

Fails when a sentence marked in the sources (_(), N_(), P_(), wt_errf's
format) has no Chinese translation in po/zh_CN.po, when a translation is
fuzzy or its format arguments differ from the English ones, when the .po
holds sentences the sources no longer have, or when a source file that marks
sentences is missing from po/POTFILES.

usage: check_catalogue.py SOURCE_ROOT XGETTEXT_ARG...
"""

import os
import re
import subprocess
import sys
import tempfile

MARKERS = re.compile(r"\b(?:_|N_|P_|wt_errf)\(")


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)


def potfiles(root):
    with open(os.path.join(root, "po", "POTFILES")) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def main():
    root, xgettext_args = sys.argv[1], sys.argv[2:]
    po = os.path.join(root, "po", "zh_CN.po")
    problems = []

    # 1. every file that marks a sentence is an xgettext input
    listed = set(potfiles(root))
    for dirpath, _, names in os.walk(os.path.join(root, "src")):
        for name in sorted(names):
            if not name.endswith(".c"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            with open(os.path.join(root, rel), encoding="utf-8") as f:
                text = f.read()
            # the definitions themselves are not uses
            uses = [m for m in MARKERS.finditer(text)
                    if not text[max(0, m.start() - 12):m.start()].endswith("void ")]
            if uses and rel not in listed:
                problems.append(f"{rel} marks sentences but is not in po/POTFILES")

    # 2. formats: a translation's arguments match the English ones
    r = run(["msgfmt", "--check", "--check-format", "--statistics", "-o", os.devnull, po])
    if r.returncode != 0 or "warning" in r.stderr:
        problems.append("msgfmt --check --check-format po/zh_CN.po:\n" + r.stderr)
    stats = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    if "fuzzy" in stats or "untranslated" in stats:
        problems.append(f"po/zh_CN.po is not fully translated: {stats}")

    # 3. in sync with what the sources say today, both ways
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "webtrace.pot")
        r = run(["xgettext", *xgettext_args, "--directory", root,
                 "--files-from", os.path.join(root, "po", "POTFILES"), "-o", pot])
        if r.returncode != 0:
            problems.append("xgettext failed:\n" + r.stderr)
        elif not os.path.exists(pot):
            problems.append("xgettext found no sentences at all")
        else:
            r = run(["msgcmp", po, pot])
            if r.returncode != 0:
                problems.append("sentences without a Chinese translation (msgcmp):\n"
                                + r.stderr)
            r = run(["msgcmp", "--use-untranslated", "--use-fuzzy", pot, po])
            if r.returncode != 0:
                problems.append("po/zh_CN.po has sentences the sources no longer say; "
                                "drop them:\n" + r.stderr)

    if problems:
        print("\n\n".join(problems))
        print("\nTo update: ninja -C build webtrace-update-po, translate, then re-run.")
        return 1
    print(f"catalogue complete: {stats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
