"""The Chinese narration: `webtrace demo --lang zh` and a refused connection
against golden files (times, ports, ids, dates and loopback addresses
masked), the language chosen from --lang and LC_ALL/LC_MESSAGES/LANG the
way a fresh machine without a Chinese locale sees it, and the machine
outputs (--ndjson, -w '%{json}', --har, exit codes) identical in both
languages.

    WEBTRACE=/abs/path/webtrace /usr/bin/python3 tests/integration/test_i18n.py

WEBTRACE_UPDATE_GOLDEN=1 rewrites the golden files from this run.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import unicodedata
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"
RUN_TIMEOUT_S = 60

# What differs between two runs of the same thing, or between machines.
MASKS = [
    (re.compile(r"\d+\.\d+ (?:ms|s)\b"), "T"),     # every measured time has decimals
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "DATE"),
    (re.compile(r"0x[0-9a-f]{4}\b"), "0xID"),
    (re.compile(r"\[::1\]|::1|127\.0\.0\.1"), "LOOPBACK"),
    (re.compile(r"(LOOPBACK|test):\d+"), r"\1:PORT"),
    (re.compile(r"(端口|port) \d{5}\b"), r"\1 PORT"),  # ephemeral: 32768 and up
    # below 49152 a kernel-chosen port is in IANA's registered range
    (re.compile(r"PORT（(?:注册端口|临时端口)）"), "PORT（CLASS）"),
    (re.compile(r"\bmss \d+"), "mss N"),
    (re.compile(r"还剩 \d+ 天"), "还剩 N 天"),
    # which states the kernel still showed when it was asked is timing
    (re.compile(r"状态 [A-Z0-9_ →]+[A-Z0-9_]"), "状态 STATES"),
    # whether the TLS set-up found a wait to hide in (DNS longer than 1 ms
    # under a sanitizer or valgrind) is timing too: keep only its first part
    (re.compile(r"^(\[tls \] 准备 T（TLS 模块、OpenSSL、上下文、信任库）)\s*·.*$"), r"\1 · WHEN"),
    (re.compile(r"TLS T（另加准备 T）│"), "TLS T │"),
    # descriptor numbers of the socket calls depend on what the process had open
    (re.compile(r"\b(socket|bind|listen|accept|connect|recv|send|sendmsg|shutdown|close)\(\d+"),
     r"\1(FD"),
    (re.compile(r"(SOCK_STREAM\)|accept\(FD\)) = \d+"), r"\1 = FD"),
    # initial sequence numbers are random (RFC 6528); the accept queue is timing
    (re.compile(r"\b(seq|ack)(（[^）]*）)?=\d+"), r"\1\2=N"),
    (re.compile(r"（\d+ 个在等待"), "（N 个在等待"),
    # HPACK Huffman-codes the port in :authority and the server's Date
    # header: the coded size depends on their digits
    (re.compile(r"HPACK 压缩后 \d+ 字节"), "HPACK 压缩后 N 字节"),
    (re.compile(r"HEADERS 帧 \d+ 字节"), "HEADERS 帧 N 字节"),
]


SERVER_H2 = re.compile(r"^\[h2  \] #\d+ ")


def mask(line):
    for rx, repl in MASKS:
        line = rx.sub(repl, line)
    return line


def blocks(stderr):
    """Lines grouped with their ↳ explanations; the servers' lines apart
    from the client's, as the loop may interleave the two either way."""
    client, server = [], []
    for line in stderr.splitlines():
        if line.startswith("       ↳") and (client or server):
            (server if last_is_server else client)[-1].append(mask(line))
            continue
        # the server's HTTP/2 frames name its connection: "[h2  ] #1 ..."
        last_is_server = line.startswith("[srv ]") or SERVER_H2.match(line) is not None
        (server if last_is_server else client).append([mask(line)])
    flat = lambda bs: [l for b in bs for l in b]  # noqa: E731
    return "\n".join(flat(client) + ["--- server side ---"] + flat(server)) + "\n"


def env_i(**env):
    """As `env -i VAR=...`: only what is given, plus NO_COLOR."""
    env.setdefault("NO_COLOR", "1")
    return env


def run_raw(args, env, timeout=RUN_TIMEOUT_S):
    p = subprocess.run([h.webtrace_path()] + [str(a) for a in args], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8")


def width(text):
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class GoldenCase(unittest.TestCase):
    def assertGolden(self, name, text):
        path = GOLDEN / name
        if os.environ.get("WEBTRACE_UPDATE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        want = path.read_text(encoding="utf-8")
        self.maxDiff = None
        self.assertEqual(text, want, f"{path} differs (WEBTRACE_UPDATE_GOLDEN=1 rewrites it)")


class DemoInChinese(GoldenCase, h.WebtraceCase):
    @classmethod
    def setUpClass(cls):
        cls.code, cls.out, cls.err = h.run_webtrace(["demo", "--lang", "zh"],
                                                    timeout=RUN_TIMEOUT_S)

    def test_exit_zero_and_golden_narration(self):
        self.assertEqual(self.code, 0, h.describe(self.code, self.out, self.err))
        self.assertEqual(self.out, b"")
        self.assertGolden("demo_zh.txt", blocks(self.err))

    def test_lesson_terms(self):
        for words in ("三次握手 SYN → SYN+ACK → ACK", "四次挥手", "临时端口", "TIME_WAIT",
                      "ESTABLISHED", "接下来可以试试：", "webtrace www.baidu.com"):
            self.assertIn(words, self.err)
        self.assertNotIn("What to try next", self.err)

    def test_columns_line_up_by_display_width(self):
        lines = self.err.splitlines()
        # every explanation starts under the text after a tag, "[dns ] "
        for line in lines:
            if "↳" in line:
                self.assertTrue(line.startswith(" " * 7 + "↳ "), line)
        # the hints' descriptions start in one column, whatever their script
        start = lines.index("接下来可以试试：")
        cols = {width(l[:re.search(r"[^\x00-\x7f]", l).start()])
                for l in lines[start + 1:] if re.search(r"[^\x00-\x7f]", l)}
        self.assertEqual(cols, {44}, lines[start:])   # 2 of indent + DEMO_NEXT_COLUMN


class RefusedInChinese(GoldenCase, h.WebtraceCase):
    def test_refused_connection_golden(self):
        port = h.closed_port()
        code, out, err = h.run_webtrace(["--lang", "zh", f"http://127.0.0.1:{port}/"])
        self.assertEqual(code, 7, h.describe(code, out, err))
        self.assertEqual(h.error_lines(err), [f"webtrace: tcp: 无法连接到 127.0.0.1 端口 {port}："
                                              "Connection refused"])
        self.assertGolden("refused_zh.txt", blocks(err))

    def test_option_error_in_chinese_with_same_exit_code(self):
        en = h.run_webtrace(["--lang", "en", "--max-time", "soon", "x"])
        zh = h.run_webtrace(["--lang", "zh", "--max-time", "soon", "x"])
        self.assertEqual((en[0], zh[0]), (2, 2))
        self.assertEqual(zh[2], "webtrace: options: -m/--max-time：'soon' 不是秒数"
                                "（例如 5 或 0.5）\n")

    def test_help_in_chinese_fits_80_columns(self):
        for sub in ([], ["serve"], ["demo"]):
            code, out, err = h.run_webtrace(sub + ["--lang=zh", "--help"])
            self.assertEqual(code, 0, err)
            text = out.decode("utf-8")
            self.assertTrue(text.startswith("用法：webtrace"), text)
            for line in text.splitlines():
                self.assertLessEqual(width(line), 79, line)


class LanguageChoice(unittest.TestCase):
    """As a fresh Debian 12 sees it: no Chinese locale generated, only the
    variables set; the binary from the build tree, not installed."""

    def narration(self, env, *args):
        code, _, err = run_raw(list(args) + ["-o", "/dev/null", f"http://127.0.0.1:{self.port}/"],
                               env)
        self.assertEqual(code, 7, err)
        return err

    def setUp(self):
        self.port = h.closed_port()

    def assertChinese(self, err):
        self.assertIn("正在连接 127.0.0.1 端口", err)

    def assertEnglish(self, err):
        self.assertIn("connecting to 127.0.0.1 port", err)
        self.assertNotRegex(err, r"[\u4e00-\u9fff]")

    def test_lang_variable(self):
        self.assertChinese(self.narration(env_i(LANG="zh_CN.UTF-8")))
        self.assertChinese(self.narration(env_i(LANG="zh_TW.UTF-8")))
        self.assertEnglish(self.narration(env_i(LANG="en_US.UTF-8")))
        self.assertEnglish(self.narration(env_i()))

    def test_posix_precedence(self):
        self.assertEnglish(self.narration(env_i(LANG="zh_CN.UTF-8", LC_ALL="C")))
        self.assertEnglish(self.narration(env_i(LANG="zh_CN.UTF-8", LC_MESSAGES="en_GB.UTF-8")))
        self.assertChinese(self.narration(env_i(LANG="en_US.UTF-8", LC_MESSAGES="zh_CN.UTF-8")))
        self.assertChinese(self.narration(env_i(LC_ALL="zh_CN.UTF-8", LC_MESSAGES="C")))
        self.assertChinese(self.narration(env_i(LC_ALL="", LANG="zh_CN.UTF-8")))

    def test_option_wins(self):
        self.assertEnglish(self.narration(env_i(LANG="zh_CN.UTF-8"), "--lang", "en"))
        self.assertChinese(self.narration(env_i(LC_ALL="C"), "--lang=zh"))
        # LANGUAGE is the user's list for gettext; --lang zh still means zh_CN
        self.assertChinese(self.narration(env_i(LANGUAGE="de:en"), "--lang", "zh"))

    def test_numbers_stay_c_locale(self):
        # de_DE would write 0,12 ms: the narration's numbers never follow
        err = self.narration(env_i(LANG="zh_CN.UTF-8", LC_NUMERIC="de_DE.UTF-8"))
        self.assertRegex(err, r"用时 \d+\.\d\d ms")


# Which teardown states the kernel still showed when asked, and whether the
# peer's FIN was seen by then, depend on timing, not on the language.
OBSERVED_BY_TIMING = {"states", "peer_fin_seen"}


def normalised(value):
    """The JSON value with numbers zeroed and digits in strings masked:
    what a second run may change. Words, keys and structure stay."""
    if isinstance(value, dict):
        return {k: "OBSERVED" if k in OBSERVED_BY_TIMING else normalised(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return 0
    return re.sub(r"\d+", "N", value)


class MachineOutputsIgnoreTheLanguage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.web = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()

    def both(self, args):
        """stdout (and exit code) of the same command under en and zh."""
        res = {}
        for lang in ("en", "zh"):
            code, out, err = h.run_webtrace(["--lang", lang] + args)
            res[lang] = (code, out, err)
        self.assertEqual(res["en"][0], res["zh"][0], res)
        self.assertNotEqual(res["en"][2], res["zh"][2], "the narration should differ")
        return res

    def assertSameJsonLines(self, en, zh):
        self.assertTrue(en.strip())
        en_docs = [normalised(json.loads(l)) for l in en.decode().splitlines()]
        zh_docs = [normalised(json.loads(l)) for l in zh.decode().splitlines()]
        self.maxDiff = None
        self.assertEqual(en_docs, zh_docs)
        for line in zh.decode().splitlines():
            self.assertNotRegex(line, r"[\u4e00-\u9fff]")

    def test_ndjson(self):
        res = self.both(["--ndjson", "-o", "/dev/null", self.web.url("/")])
        self.assertSameJsonLines(res["en"][1], res["zh"][1])

    def test_writeout_json_and_errormsg(self):
        res = self.both(["-w", "%{json}\n", "-o", "/dev/null", self.web.url("/")])
        self.assertSameJsonLines(res["en"][1], res["zh"][1])
        port = h.closed_port()
        res = self.both(["-w", "%{json}\n", f"http://127.0.0.1:{port}/"])
        self.assertEqual(res["zh"][0], 7)
        self.assertSameJsonLines(res["en"][1], res["zh"][1])
        res = self.both(["-w", "%{errormsg}", f"http://127.0.0.1:{port}/"])
        self.assertEqual(res["en"][1], res["zh"][1])
        self.assertEqual(res["zh"][1], f"could not connect to 127.0.0.1 port {port}: "
                                       "Connection refused".encode())

    def test_tls_module_error_in_chinese_english_for_machines(self):
        # the TLS module has no catalogue: its English sentence is matched
        # and translated for the narration only
        url = self.web.url("/").replace("http://", "https://")
        res = self.both(["--cacert", "/nonexistent", "-w", "%{errormsg}", url])
        self.assertEqual(res["zh"][0], 77)
        self.assertEqual(res["en"][1], res["zh"][1])
        self.assertTrue(res["zh"][1].startswith(b"cannot load CA certificates from /nonexistent: "))
        self.assertRegex(res["zh"][2], r"(?m)^webtrace: tls: 无法从 /nonexistent 加载 CA 证书：\S")

    def test_har(self):
        docs = {}
        with tempfile.TemporaryDirectory() as tmp:
            for lang in ("en", "zh"):
                path = os.path.join(tmp, f"{lang}.har")
                code, out, err = h.run_webtrace(["--lang", lang, "--har", path,
                                                 self.web.url("/"), "http://127.0.0.1:1/"])
                self.assertEqual(code, 7, err)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                self.assertNotRegex(text, r"[\u4e00-\u9fff]")
                docs[lang] = normalised(json.loads(text))
        self.maxDiff = None
        self.assertEqual(docs["en"], docs["zh"])


if __name__ == "__main__":
    unittest.main()
