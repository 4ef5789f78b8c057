"""The shell completions meson generates from the parser's option tables:
each shell, run non-interactively, completes as a user would see it.

    WEBTRACE=... WT_COMPLETION_BASH=... WT_COMPLETION_ZSH=...
    WT_COMPLETION_FISH=... python3 tests/package/test_completions.py
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

SHELL_TIMEOUT_S = 60   # a backstop; each run takes milliseconds
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def webtrace_long_options():
    """Every --name that webtrace --help lists, from the binary itself."""
    out = subprocess.run([os.environ["WEBTRACE"], "--help"], env={**os.environ, "LANG": "C"},
                         capture_output=True, text=True, timeout=SHELL_TIMEOUT_S, check=True)
    return sorted(set(re.findall(r"^ +(?:-\w, )?(--[\w.-]+)", out.stdout, re.M)))


def bash_complete(*words):
    """COMPREPLY for the command line `words`, the cursor after the last one."""
    script = r'''
source "$1"
source "$2"
shift 2
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_webtrace webtrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash",
                          BASH_COMPLETION, os.environ["WT_COMPLETION_BASH"], *words],
                         capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
    if out.returncode != 0 or out.stderr:
        raise AssertionError(f"bash failed ({out.returncode}): {out.stderr}")
    return out.stdout.split()


def fish_complete(line):
    """The candidates fish offers for `line` (without their descriptions)."""
    out = subprocess.run(["fish", "--no-config", "-c",
                          'source $argv[1]; complete -C $argv[2]',
                          os.environ["WT_COMPLETION_FISH"], line],
                         capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
    if out.returncode != 0 or out.stderr:
        raise AssertionError(f"fish failed ({out.returncode}): {out.stderr}")
    return [entry.split("\t")[0] for entry in out.stdout.splitlines()]


class Bash(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(BASH_COMPLETION):
            self.skipTest("bash-completion is not installed (scripts/setup.sh installs it)")

    def test_bash_completes_cac_to_cacert(self):
        self.assertEqual(bash_complete("webtrace", "--cac"), ["--cacert"])

    def test_bash_offers_every_option_of_help(self):
        with open(os.environ["WT_COMPLETION_BASH"]) as f:
            script = f.read()
        for name in webtrace_long_options():
            self.assertIn(" " + name + " ", script, name)

    def test_bash_completes_the_arguments(self):
        self.assertEqual(bash_complete("webtrace", "--lang", ""), ["zh", "en"])
        self.assertEqual(bash_complete("webtrace", "--lang=z"), ["zh"])
        self.assertEqual(bash_complete("webtrace", "d"), ["demo"])
        self.assertEqual(bash_complete("webtrace", "serve", "--ce"), ["--cert"])
        # A URL has no completion of its own; a header's value neither.
        self.assertEqual(bash_complete("webtrace", "-H", ""), [])
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "ca.pem"), "w").close()
            os.mkdir(os.path.join(d, "certs"))
            for option in ("--cacert", "-o", "-T", "-b", "--har"):
                self.assertEqual(sorted(bash_complete("webtrace", option, d + "/")),
                                 [d + "/ca.pem", d + "/certs"], option)
            self.assertEqual(bash_complete("webtrace", "--capath", d + "/"), [d + "/certs"])


class Fish(unittest.TestCase):
    def setUp(self):
        if not shutil.which("fish"):
            self.skipTest("fish is not installed (scripts/setup.sh installs it)")

    def test_fish_completes_cac_to_cacert(self):
        self.assertEqual(fish_complete("webtrace --cac"), ["--cacert"])

    def test_fish_completes_the_arguments(self):
        self.assertEqual(sorted(fish_complete("webtrace --lang ")), ["en", "zh"])
        self.assertEqual(fish_complete("webtrace dem"), ["demo"])
        self.assertEqual(fish_complete("webtrace demo --st"), ["--stay"])
        # serve's options are not the trace's
        self.assertEqual(fish_complete("webtrace serve --cac"), [])
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "ca.pem"), "w").close()
            self.assertEqual(fish_complete(f"webtrace --cacert {d}/"), [f"{d}/ca.pem"])
            self.assertEqual(fish_complete(f"webtrace {d}/"), [])   # a URL, not a file


class Zsh(unittest.TestCase):
    def setUp(self):
        if not shutil.which("zsh"):
            self.skipTest("zsh is not installed (scripts/setup.sh installs it)")

    def test_zsh_parses_the_file(self):
        out = subprocess.run(["zsh", "-n", os.environ["WT_COMPLETION_ZSH"]],
                             capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
        self.assertEqual((out.returncode, out.stderr), (0, ""))

    def test_zsh_loads_it_by_name(self):
        folder = os.path.dirname(os.environ["WT_COMPLETION_ZSH"])
        script = 'fpath=("$1" $fpath); autoload -Uz +X _webtrace && whence -w _webtrace'
        out = subprocess.run(["zsh", "-f", "-c", script, "zsh", folder],
                             capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
        self.assertEqual((out.returncode, out.stderr), (0, ""))
        self.assertEqual(out.stdout.strip(), "_webtrace: function")

    def test_zsh_completes_cac_to_cacert(self):
        # An interactive zsh in a pseudo-terminal (zsh/zpty), the file found
        # by compinit in fpath as an installed one is: Tab after --cac.
        script = r'''
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PROMPT=; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -n -w z $'webtrace --cac\t'
out=
for i in {1..200}; do
  zpty -rt z chunk && out+=$chunk
  [[ $out == *--cacert* ]] && break
  sleep 0.1
done
zpty -d z
[[ $out == *"webtrace --cacert"* ]] || { print -r -- "${(V)out}"; exit 1 }
'''
        folder = os.path.dirname(os.path.abspath(os.environ["WT_COMPLETION_ZSH"]))
        out = subprocess.run(["zsh", "-f", "-c", script, "zsh", folder],
                             capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
        if out.returncode == 3:
            self.skipTest("this zsh has no zsh/zpty module")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
