"""webtrace's scriptable outputs, checked against real peers on loopback:
NDJSON events (--ndjson) validated against docs/events.schema.json, curl's
-w write-out compared with curl itself on the same fetch, and the HAR 1.2
log (--har) validated against the JSON schemas of the npm package
har-schema. Also hostile bytes from the network in all three, and the exit
codes of the output paths.

    WEBTRACE=/abs/path/webtrace /usr/bin/python3 tests/integration/test_outputs.py

Needs Debian's python3-jsonschema (run it with /usr/bin/python3, which sees
it) and har-schema installed by scripts/setup.sh into
${WEBTRACE_HAR_SCHEMA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/webtrace/har-schema-2.0.0}
(the npm prefix). Nothing is skipped: a missing validator fails the run
with a message saying how to install it.
"""

import datetime
import json
import os
import pathlib
import pty
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import tls_peers as tp  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
EVENTS_SCHEMA = REPO / "docs" / "events.schema.json"
HAR_SCHEMA_VERSION = "2.0.0"
RUN_TIMEOUT_S = 15

PHASES = ["url", "dns", "connect", "tls", "send", "wait", "receive", "close", "done"]
CNAME_CHAIN = "www.example.test -> alias.example.test -> real.example.test"
SECONDS_TEXT = re.compile(rb'"(time_[a-z]+|wt_time_[a-z]+|wt_tcp_rtt)":(null|[^,}]*)')


# ---------------------------------------------------------------------------
# Validators (no silent skip: a missing one is a failure that says why)
# ---------------------------------------------------------------------------

def _require_jsonschema():
    try:
        import jsonschema
    except ImportError:
        raise AssertionError(
            f"python module jsonschema not found by {sys.executable}: install Debian's "
            "python3-jsonschema (scripts/setup.sh does) and run this test with /usr/bin/python3"
        ) from None
    if not hasattr(jsonschema, "Draft202012Validator"):
        raise AssertionError("jsonschema is too old for draft 2020-12 "
                             "(want >= 4.0; Debian 12 has 4.10)")
    return jsonschema


def _strict_integer_validator(jsonschema, base):
    """base with "integer" meaning a JSON number written without a fraction
    (JSON Schema would accept 1.0 as an integer; webtrace never writes it)."""
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _c, x: isinstance(x, int) and not isinstance(x, bool))
    return jsonschema.validators.extend(base, type_checker=checker)


_events_validator = None


def events_schema():
    with open(EVENTS_SCHEMA, encoding="utf-8") as f:
        return json.load(f)


def events_validator():
    """A validator for one NDJSON event line (docs/events.schema.json)."""
    global _events_validator
    if _events_validator is None:
        jsonschema = _require_jsonschema()
        schema = events_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        cls = _strict_integer_validator(jsonschema, jsonschema.Draft202012Validator)
        _events_validator = cls(schema)
    return _events_validator


def vars_validator():
    """A validator for the -w variables object (%{json}, summary.vars)."""
    jsonschema = _require_jsonschema()
    schema = events_schema()
    wrapper = {"$schema": schema["$schema"], "$ref": "#/$defs/vars", "$defs": schema["$defs"]}
    return _strict_integer_validator(jsonschema, jsonschema.Draft202012Validator)(wrapper)


def har_schema_dir():
    prefix = os.environ.get("WEBTRACE_HAR_SCHEMA_DIR")
    if not prefix:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(
            os.environ.get("HOME") or "/tmp", ".cache")
        prefix = os.path.join(cache, "webtrace", f"har-schema-{HAR_SCHEMA_VERSION}")
    return pathlib.Path(prefix) / "node_modules" / "har-schema" / "lib"


_har_validator = None


def har_validator():
    """A validator for a whole HAR file, from har-schema's lib/*.json
    (draft-06, with $id "log.json#" style references between files)."""
    global _har_validator
    if _har_validator is not None:
        return _har_validator
    jsonschema = _require_jsonschema()
    lib = har_schema_dir()
    if not (lib / "har.json").is_file():
        raise AssertionError(
            f"HAR 1.2 schema not found at {lib}/har.json: run scripts/setup.sh (it installs the "
            f"npm package har-schema@{HAR_SCHEMA_VERSION} there with npm), or set "
            "WEBTRACE_HAR_SCHEMA_DIR to the npm prefix that holds node_modules/har-schema")
    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in lib.glob("*.json")}
    root = schemas["har.json"]
    cls = jsonschema.validators.validator_for(root)
    base = lib.as_uri() + "/"
    try:   # jsonschema >= 4.18: the referencing library
        import referencing
        import referencing.jsonschema
        registry = referencing.Registry().with_resources(
            (base + name, referencing.Resource.from_contents(
                s, default_specification=referencing.jsonschema.DRAFT6))
            for name, s in schemas.items())
        root = dict(root, **{"$id": base + "har.json"})
        _har_validator = cls(root, registry=registry, format_checker=cls.FORMAT_CHECKER)
    except ImportError:   # Debian 12's 4.10: RefResolver with a store
        resolver = jsonschema.RefResolver(base_uri=base + "har.json", referrer=root,
                                          store={base + n: s for n, s in schemas.items()})
        _har_validator = cls(root, resolver=resolver, format_checker=jsonschema.FormatChecker())
    return _har_validator


# ---------------------------------------------------------------------------
# Strict JSON and expected text
# ---------------------------------------------------------------------------

def _no_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def _check_strings(obj, where="$"):
    """Every string (and key) is encodable as UTF-8: no lone surrogate
    escapes such as \\ud800."""
    if isinstance(obj, str):
        obj.encode("utf-8")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _check_strings(v, f"{where}[{i}]")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            k.encode("utf-8")
            _check_strings(v, f"{where}.{k}")


def strict_loads(raw):
    """JSON text (bytes) -> object, refusing what a lenient parser lets by:
    invalid UTF-8, NaN/Infinity, duplicate keys, raw control characters in
    strings, lone surrogates."""
    text = raw.decode("utf-8")   # strict: invalid UTF-8 raises
    obj = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    _check_strings(obj)
    return obj


def per_byte_text(raw):
    """What webtrace's JSON must say for network bytes raw: valid UTF-8
    sequences kept, each byte of anything else (stray continuation bytes,
    overlong forms, surrogates, truncated sequences, 0xF5-0xFF) U+FFFD."""
    out, i = [], 0
    while i < len(raw):
        b = raw[i]
        n = (1 if b < 0x80 else 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF
             else 4 if 0xF0 <= b <= 0xF4 else 0)
        if n:
            try:
                out.append(raw[i:i + n].decode("utf-8"))
                i += n
                continue
            except UnicodeDecodeError:
                pass
        out.append("\ufffd")
        i += 1
    return "".join(out)


def millis(us):
    """webtrace's HAR milliseconds for a duration in microseconds, as the
    JSON parser reads the three-decimal text."""
    return -1 if us is None or us < 0 else float(f"{us // 1000}.{us % 1000:03d}")


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

def run_raw(args, stdin_data=b""):
    """Runs $WEBTRACE (under $WEBTRACE_WRAPPER, as harness.run_webtrace
    does) with stdin_data on stdin; returns (code, stdout bytes, stderr
    bytes), stderr undecoded so tests can look for raw bytes in it."""
    wrapper = os.environ.get("WEBTRACE_WRAPPER", "").split()
    argv = wrapper + [h.webtrace_path()] + [str(a) for a in args]
    timeout = RUN_TIMEOUT_S * (10 if wrapper else 1)
    try:
        res = subprocess.run(argv, input=stdin_data, capture_output=True, timeout=timeout,
                             env=h.webtrace_env())
    except subprocess.TimeoutExpired:
        raise h.WebtraceHang(f"webtrace hung for {timeout} s: {argv}") from None
    return res.returncode, res.stdout, res.stderr


def run_with_stdin(args, data):
    """Runs $WEBTRACE with data on stdin; returns (code, stdout, stderr text)."""
    code, out, err = run_raw(args, data)
    return code, out, err.decode("utf-8", "replace")


def run_on_pty(args):
    """Runs $WEBTRACE with stdout on a pseudo-terminal; returns (code,
    bytes written to the terminal, stderr)."""
    master, slave = pty.openpty()
    try:
        code, _, err = h.run_webtrace(args, stdout=slave, timeout=RUN_TIMEOUT_S)
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:   # EIO: the terminal's other side is closed
        pass
    finally:
        os.close(master)
    return code, b"".join(chunks).replace(b"\r\n", b"\n"), err


def run_curl(args):
    curl = h.peer_tool("curl")
    if not curl:
        raise AssertionError("curl not found: scripts/setup.sh installs it")
    res = subprocess.run([curl, "-s", *args], capture_output=True, timeout=RUN_TIMEOUT_S,
                         env=dict(os.environ, LC_ALL="C.UTF-8"))
    return res.returncode, res.stdout, res.stderr.decode("utf-8", "replace")


# ---------------------------------------------------------------------------
# Peers, shared by every class (started once: a few hundred milliseconds)
# ---------------------------------------------------------------------------

P = {}


def setUpModule():
    h.webtrace_path()
    try:
        P["dns"] = h.Dnsmasq().start()
        P["web"] = h.Nginx().start()
        P["pki"] = tp.TestPki().start()
        P["tls"] = tp.TlsNginx(P["pki"]).start()
        P["hostile"] = h.HostileHttp().start()
    except BaseException:
        h.stop_all_peers()
        raise


def tearDownModule():
    for name in ("hostile", "tls", "pki", "web", "dns"):
        peer = P.pop(name, None)
        if peer:
            peer.stop()


def dns_args():
    return ["--dns-server", P["dns"].server_arg, "--dns-timeout", "2"]


def web_url(path="/", host="127.0.0.1"):
    return f"http://{host}:{P['web'].port}{path}"


def tls_url(name="good", host="127.0.0.1", path="/"):
    return f"https://{host}:{P['tls'].ports[name]}{path}"


def ca_args():
    return ["--cacert", P["pki"].ca_file]


# ---------------------------------------------------------------------------
# Shared assertions
# ---------------------------------------------------------------------------

class OutputCase(h.WebtraceCase, unittest.TestCase):

    def parse_ndjson(self, out, err=""):
        """stdout of --ndjson -> events: every line strict JSON, valid
        against the events schema; stdout ends with a newline."""
        self.assertTrue(out, f"no NDJSON on stdout\n--- stderr\n{err}")
        self.assertTrue(out.endswith(b"\n"), f"stdout does not end with a newline: {out[-80:]!r}")
        validator = events_validator()
        events = []
        for n, line in enumerate(out[:-1].split(b"\n"), 1):
            try:
                ev = strict_loads(line)
            except ValueError as exc:
                self.fail(f"stdout line {n} is not strict JSON ({exc}): {line[:300]!r}")
            errors = sorted(validator.iter_errors(ev), key=lambda e: list(e.absolute_path))
            if errors:
                self.fail(f"stdout line {n} ({ev.get('event')!r}) violates "
                          f"docs/events.schema.json:\n" +
                          "\n".join(f"  at {list(e.absolute_path)}: {e.message[:300]}"
                                    for e in errors[:5]) + f"\n  line: {line[:600]!r}")
            self.assertRegex(line.decode(), r'^\{"schema":1,"event":"[a-z0-9_]+","url_index":\d+,'
                                            r'"hop":\d+,"phase":"[a-z]+","t_us":\d+[,}]',
                             "the common fields come first, in order")
            for m in SECONDS_TEXT.finditer(line):
                self.assertRegex(m.group(2).decode(), r"^(null|\d+\.\d{6})$",
                                 f"{m.group(1).decode()} is not seconds with six decimals")
            events.append(ev)
        return events

    def traces(self, events):
        """Client events grouped per URL: [(url_index, [events])], checking
        that the URLs come one after the other, in order."""
        blocks, done = [], set()
        self.end_of_run = []
        for ev in events:
            if ev["event"].startswith("serve_") or ev["phase"] == "serve":
                continue   # the in-process server of `webtrace demo` (its h2 frames too)
            if ev["url_index"] in done:
                # a connection kept for reuse, closed at the end of the run:
                # narrated under the URL that used it last
                self.assertIn(ev["event"], ("conn_close", "tcp_teardown", "tls_close"), ev)
                self.assertEqual(ev["phase"], "close", ev)
                self.end_of_run.append(ev)
                continue
            if ev["event"] == "transfer_done":
                done.add(ev["url_index"])
            if not blocks or blocks[-1][0] != ev["url_index"]:
                self.assertNotIn(ev["url_index"], [b[0] for b in blocks],
                                 "the events of one URL are interleaved with another's")
                blocks.append((ev["url_index"], []))
            blocks[-1][1].append(ev)
        self.assertEqual([b[0] for b in blocks], list(range(len(blocks))),
                         "url_index must count the URLs from 0 in order")
        return blocks

    def check_trace(self, evs, code=0, step=None):
        """One URL's events make sense: phase url first, summary then
        transfer_done last, phases entered in order, t_us non-decreasing,
        each event tagged with the phase it happened in, and the error (on
        failure) just before the failed phase and the summary. One hop: no
        redirect here. Returns the summary."""
        done = evs[-1]
        self.assertEqual(done["event"], "transfer_done", [e["event"] for e in evs])
        self.assertEqual((done["hops"], done["exit_code"]), (1, code), done)
        self.assertEqual(done["vars"], evs[-2].get("vars"),
                         "one hop: the transfer's variables are its hop's")
        self.assertEqual({e["hop"] for e in evs}, {0})
        evs = evs[:-1]
        names = [e["event"] for e in evs]
        first, last = evs[0], evs[-1]
        self.assertEqual((first["event"], first.get("entered")), ("phase", "url"),
                         f"first event of a URL: {names}")
        self.assertIn("input", first)
        self.assertEqual(last["event"], "summary", f"last event of a URL: {names}")
        self.assertEqual(names.count("summary"), 1, names)
        t = [e["t_us"] for e in evs]
        self.assertEqual(t, sorted(t), f"t_us goes backwards: {list(zip(names, t))}")

        current, seen = None, []
        for e in evs:
            if e["event"] == "phase":
                current = e["entered"]
                seen.append(current)
            if e["event"].startswith("tls_"):
                # TLS events say "tls" even when they come later (tls_close,
                # during close): see docs/json.md.
                self.assertIn(e["phase"], ("tls", current), e)
            else:
                self.assertEqual(e["phase"], current, f"event tagged with the wrong phase: {e}")
        end = "done" if code == 0 else "failed"
        self.assertEqual(seen[-1], end, f"phases entered: {seen}")
        body = seen[:-1]
        self.assertEqual(body, sorted(body, key=PHASES.index), f"phases out of order: {seen}")
        self.assertEqual(len(set(seen)), len(seen), f"a phase entered twice: {seen}")
        self.assertEqual(evs[-2], {**evs[-2], "event": "phase", "entered": end}, names)

        summary = last
        v = summary["vars"]
        self.assertEqual(v["exitcode"], code, names)
        if code == 0:
            self.assertNotIn("error", names)
            self.assertIsNone(v["errormsg"])
            self.assertIsNone(v["wt_error_step"])
        else:
            self.assertEqual(names.count("error"), 1, names)
            error = evs[-3]
            self.assertEqual(error["event"], "error",
                             f"error must come just before 'failed': {names}")
            self.assertEqual(error["exit_code"], code)
            if step:
                self.assertEqual(error["step"], step, error)
            self.assertEqual(v["errormsg"], error["message"])
            self.assertEqual(v["wt_error_step"], error["step"])
        self.assertEqual(v["url"], first["input"])
        self.assertIsNotNone(summary["total_us"])
        return summary

    def assertNoBody(self, out):
        self.assertNotIn(b"webtrace integration test page", out, "the body reached stdout")


# ---------------------------------------------------------------------------
# The validators and the schema itself
# ---------------------------------------------------------------------------

class Validators(OutputCase):
    """The validators are there, and the events schema matches the C code."""

    def test_jsonschema_importable(self):
        jsonschema = _require_jsonschema()
        self.assertTrue(hasattr(jsonschema, "Draft202012Validator"))

    def test_events_schema_is_a_valid_schema(self):
        events_validator()

    def test_har_schema_installed_and_loads(self):
        v = har_validator()
        self.assertFalse(v.is_valid({"log": {}}), "an empty log must not validate")

    def test_schema_lists_every_event_of_render_json(self):
        src = (REPO / "src" / "output" / "render_json.c").read_text()
        table = src[src.index("event_names[] = {"):]
        table = table[:table.index("};")]
        c_events = re.findall(r'\[WT_EV_[A-Z0-9_]+\] = "([a-z0-9_]+)"', table)
        self.assertGreater(len(c_events), 20)
        schema = events_schema()
        self.assertEqual(sorted(schema["properties"]["event"]["enum"]), sorted(c_events))
        self.assertEqual(sorted(schema["$defs"]["events"]), sorted(c_events))

    def test_schema_vars_are_the_facts_table(self):
        src = (REPO / "src" / "output" / "facts.c").read_text()
        table = src[src.index("const struct wt_var wt_vars[] = {"):]
        table = table[:table.index("};")]
        c_vars = re.findall(r'\{ "([a-z_]+)", v_[a-z_]+ \}', table)
        self.assertGreater(len(c_vars), 30)
        self.assertEqual(c_vars, sorted(c_vars), "wt_vars must stay sorted (binary search)")
        vars_def = events_schema()["$defs"]["vars"]
        self.assertEqual(sorted(vars_def["properties"]), c_vars)
        self.assertEqual(sorted(vars_def["required"]), c_vars)

    def test_schema_version_is_the_c_constant(self):
        """One number for NDJSON, %{json} and the HAR: render.h's, the
        schema file's const and docs/json.md's policy all agree."""
        header = (REPO / "include" / "webtrace" / "render.h").read_text()
        c_version = int(re.search(r"#define WT_JSON_SCHEMA_VERSION (\d+)", header).group(1))
        self.assertEqual(events_schema()["$defs"]["schema_version"]["const"], c_version)
        doc = (REPO / "docs" / "json.md").read_text()
        self.assertIn(f"`schema` is `{c_version}`", doc)

    def test_schema_catches_drift(self):
        v = events_validator()
        good = {"schema": 1, "event": "dns_tcp_retry", "url_index": 0, "hop": 0, "phase": "dns",
                "t_us": 12, "server": {"ip": "127.0.0.1", "port": 53, "family": "ipv4"}}
        self.assertTrue(v.is_valid(good), list(v.iter_errors(good)))
        bad = {
            "extra field": dict(good, extra=1),
            "missing field": {k: x for k, x in good.items() if k != "server"},
            "t_us written as 12.0": dict(good, t_us=12.0),
            "schema 2": dict(good, schema=2),
            "unknown event": dict(good, event="dns_magic"),
            "unknown phase": dict(good, phase="resolve"),
            "endpoint extra": dict(good, server={"ip": "x", "port": 1, "family": "ipv4", "x": 1}),
            "port out of range": dict(good, server={"ip": "x", "port": 70000, "family": "ipv4"}),
            "no hop": {k: x for k, x in good.items() if k != "hop"},
            "negative hop": dict(good, hop=-1),
            "input on a non-url phase": {"schema": 1, "event": "phase", "url_index": 0,
                                         "hop": 0, "phase": "dns", "t_us": 1, "entered": "dns",
                                         "input": "x"},
            "url phase without input": {"schema": 1, "event": "phase", "url_index": 0,
                                        "hop": 0, "phase": "url", "t_us": 0, "entered": "url"},
        }
        for what, ev in bad.items():
            with self.subTest(what):
                self.assertFalse(v.is_valid(ev), f"the schema accepts {what}: {ev}")


# ---------------------------------------------------------------------------
# NDJSON events
# ---------------------------------------------------------------------------

class JsonEvents(OutputCase):

    def run_json(self, *args, code=0):
        result = h.run_webtrace(["--ndjson", *args], timeout=RUN_TIMEOUT_S)
        self.assertExit(result, code)
        c, out, err = result
        events = self.parse_ndjson(out, err)
        self.assertNoBody(out)
        return events, err

    def test_http_via_dnsmasq(self):
        url = web_url(host=h.Dnsmasq.CNAME_NAME)
        events, err = self.run_json(*dns_args(), url)
        (idx, evs), = self.traces(events)
        s = self.check_trace(evs)
        names = [e["event"] for e in evs]
        for want in ("url", "dns_start", "dns_query", "dns_reply", "dns_record", "dns_done",
                     "tcp_attempt", "tcp_established", "http_request", "http_status",
                     "http_header", "http_headers_done", "http_body_done", "tcp_teardown"):
            self.assertIn(want, names)
        self.assertFalse([n for n in names if n.startswith("tls_")], names)
        url_ev = evs[names.index("url")]
        self.assertEqual((url_ev["host"], url_ev["host_kind"], url_ev["scheme"]),
                         (h.Dnsmasq.CNAME_NAME, "name", "http"))
        cnames = [(e["name"], e["data"]) for e in evs
                  if e["event"] == "dns_record" and e["type"] == "CNAME"]
        self.assertIn(("www.example.test", "alias.example.test"), cnames)
        body = next(e for e in evs if e["event"] == "http_body_done")
        self.assertEqual((body["bytes"], body["sink"]), (h.Nginx.INDEX_SIZE, "discarded"))
        v = s["vars"]
        self.assertEqual((v["http_code"], v["size_download"], v["content_type"]),
                         (200, h.Nginx.INDEX_SIZE, "text/html"))
        self.assertEqual(v["wt_cname_chain"], CNAME_CHAIN)
        self.assertEqual(v["wt_dns_server"], P["dns"].server_arg)
        self.assertEqual(v["wt_dns_source"], "dns")
        self.assertIsNone(s["tls_us"])
        self.assertNarration(err, r"^\[http\] ← HTTP/1\.1 200 OK")

    def test_https(self):
        events, _ = self.run_json(*dns_args(), *ca_args(),
                                  tls_url(host=h.Dnsmasq.CNAME_NAME))
        (_, evs), = self.traces(events)
        s = self.check_trace(evs)
        names = [e["event"] for e in evs]
        tls = [n for n in names if n.startswith("tls_")]
        self.assertEqual(tls[:2], ["tls_hello", "tls_done"], names)
        self.assertIn("tls_cert", tls)
        self.assertLess(names.index("tls_verify"), names.index("http_request"))
        hello = evs[names.index("tls_hello")]
        self.assertEqual((hello["sni"], hello["alpn_offered"]), (h.Dnsmasq.CNAME_NAME, "h2, http/1.1"))
        verify = evs[names.index("tls_verify")]
        self.assertEqual((verify["ok"], verify["skipped"], verify["code"]), (True, False, 0))
        leaf = next(e for e in evs if e["event"] == "tls_cert" and e["index"] == 0)
        self.assertEqual(leaf["matched"], h.Dnsmasq.CNAME_NAME)
        self.assertIsNotNone(s["tls_us"])
        self.assertRegex(s["vars"]["wt_tls_version"], r"^TLSv1\.[23]$")
        self.assertEqual(s["vars"]["wt_tls_alpn"], "http/1.1")

    def test_tls_setup_is_a_figure_of_its_own(self):
        """The run's TLS set-up (module, OpenSSL, context, trust store) is
        measured apart from the handshake: every step either overlapped a
        network wait or held up the TLS phase, and a second https URL of the
        run reuses the context instead of building it again."""
        url = tls_url(host=h.Dnsmasq.CNAME_NAME)
        # --no-keepalive: the second URL makes its own connection and handshake
        events, _ = self.run_json(*dns_args(), *ca_args(), "--no-keepalive", url, url)
        (_, first), (_, second) = self.traces(events)
        s1, s2 = self.check_trace(first), self.check_trace(second)
        setup1 = next(e for e in first if e["event"] == "tls_hello")["setup"]
        setup2 = next(e for e in second if e["event"] == "tls_hello")["setup"]

        self.assertFalse(setup1["reused"])
        self.assertGreater(setup1["total_us"], 0)
        hidden = setup1["during_dns_us"] + setup1["during_connect_us"]
        self.assertLessEqual(hidden, setup1["total_us"])
        # Steps run either in a wait or inline; inline_us is the wall time of
        # the inline part (steps plus the calls around them).
        self.assertGreaterEqual(hidden + setup1["inline_us"], setup1["total_us"])
        self.assertEqual(s1["tls_setup_us"], setup1["inline_us"])
        self.assertAlmostEqual(s1["vars"]["wt_time_tls_setup"], setup1["total_us"] / 1e6,
                               delta=2e-6)
        # The handshake alone: the set-up waited for is not in tls_us (the
        # phase events' t_us are stamped when emitted: a microsecond apart).
        at = {e["entered"]: e["t_us"] for e in first if e["event"] == "phase"}
        self.assertAlmostEqual(s1["tls_us"], at["send"] - at["tls"] - setup1["inline_us"],
                               delta=3)

        self.assertTrue(setup2["reused"])
        self.assertEqual((setup2["total_us"], setup2["during_dns_us"],
                          setup2["during_connect_us"]), (0, 0, 0))
        self.assertEqual(s2["vars"]["wt_time_tls_setup"], 0)

    def test_http_has_no_tls_setup(self):
        events, _ = self.run_json(web_url())
        (_, evs), = self.traces(events)
        s = self.check_trace(evs)
        self.assertIsNone(s["tls_setup_us"])
        self.assertIsNone(s["vars"]["wt_time_tls_setup"])

    def test_ip_literal_has_no_sni_and_no_lookup(self):
        events, _ = self.run_json(*ca_args(), tls_url())
        (_, evs), = self.traces(events)
        s = self.check_trace(evs)
        names = [e["event"] for e in evs]
        self.assertIn("dns_literal", names)
        self.assertNotIn("dns_query", names)
        self.assertIsNone(evs[names.index("tls_hello")]["sni"])
        self.assertIsNone(s["dns_us"])
        self.assertEqual(s["vars"]["wt_dns_source"], "literal")

    def test_body_goes_to_o_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "body.html")
            events, _ = self.run_json("-o", path, web_url())
            with open(path, "rb") as f:
                self.assertEqual(f.read(), h.Nginx.index_bytes())
        (_, evs), = self.traces(events)
        self.check_trace(evs)
        body = next(e for e in evs if e["event"] == "http_body_done")
        self.assertEqual(body["sink"], path)

    def test_failures_at_each_step(self):
        hostile = P["hostile"]
        cases = [
            ("dns NXDOMAIN", dns_args() + [web_url(host=h.Dnsmasq.NX_NAME)], 6, "dns"),
            ("tcp refused", [f"http://127.0.0.1:{h.closed_port()}/"], 7, "tcp"),
            ("tls verification", dns_args() + ca_args()
             + [tls_url("wrong_host", host=h.Dnsmasq.CNAME_NAME)], 60, "tls"),
            ("http malformed", [hostile.url("malformed_status")], 1, "http"),
            ("http empty reply", [hostile.url("empty_reply")], 52, "http"),
            ("bad url", ["http://exa mple.test/"], 3, "url"),
        ]
        for what, args, code, step in cases:
            with self.subTest(what):
                events, err = self.run_json(*args, code=code)
                (_, evs), = self.traces(events)
                self.check_trace(evs, code, step)
                lines = h.error_lines(err)
                self.assertEqual(len(lines), 1, err)
                self.assertTrue(lines[0].startswith(f"webtrace: {step}: "), lines)
        self.assertEqual(hostile.errors, [])

    def test_tls_failure_reports_the_chain_and_verdict(self):
        events, _ = self.run_json(*dns_args(), *ca_args(),
                                  tls_url("wrong_host", host=h.Dnsmasq.CNAME_NAME), code=60)
        (_, evs), = self.traces(events)
        names = [e["event"] for e in evs]
        verify = evs[names.index("tls_verify")]
        self.assertEqual((verify["ok"], verify["skipped"]), (False, False))
        self.assertGreater(verify["code"], 0)
        self.assertNotIn("http_request", names)
        self.assertLess(names.index("tls_verify"), names.index("error"))

    def test_two_urls(self):
        events, _ = self.run_json(*dns_args(), *ca_args(),
                                  web_url(host=h.Dnsmasq.CNAME_NAME), tls_url())
        blocks = self.traces(events)
        self.assertEqual([b[0] for b in blocks], [0, 1])
        for _, evs in blocks:
            self.check_trace(evs)
        self.assertEqual(blocks[0][1][0]["input"], web_url(host=h.Dnsmasq.CNAME_NAME))
        self.assertEqual(blocks[1][1][0]["input"], tls_url())
        # No later URL goes to URL 0's origin: its connection is closed
        # where its fetch ends, saying why, and none is left for the end.
        names = [e["event"] for e in blocks[0][1]]
        self.assertLess(names.index("conn_unneeded"), names.index("tcp_teardown"))
        self.assertNotIn("conn_kept", names)
        self.assertEqual(self.end_of_run, [])

    def test_exit_code_is_the_last_failure(self):
        closed = f"http://127.0.0.1:{h.closed_port()}/"
        events, _ = self.run_json(*dns_args(), closed, web_url(host=h.Dnsmasq.NX_NAME),
                                  web_url(), code=6)
        blocks = self.traces(events)
        self.assertEqual(len(blocks), 3)
        self.check_trace(blocks[0][1], 7, "tcp")
        self.check_trace(blocks[1][1], 6, "dns")
        self.check_trace(blocks[2][1], 0)

    def test_hostile_input_is_valid_json(self):
        raw = b"http://ex\x1bample\xff\xc0\xaf.test/"
        code, out, err = h.run_webtrace(["--ndjson", raw.decode("utf-8", "surrogateescape")],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 3, h.describe(code, out, err))
        (_, evs), = self.traces(self.parse_ndjson(out, err))
        self.check_trace(evs, 3, "url")
        self.assertEqual(evs[0]["input"], per_byte_text(raw))

    def test_silent_levels(self):
        closed = f"http://127.0.0.1:{h.closed_port()}/"
        code, out, err = h.run_webtrace(["--ndjson", "-s", closed], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 7)
        self.assertEqual(len(err.splitlines()), 1, f"-s: only the error line\n{err}")
        self.assertOneErrorLine(err, "tcp")
        self.check_trace(self.traces(self.parse_ndjson(out, err))[0][1], 7, "tcp")
        code, out, err = h.run_webtrace(["--ndjson", "-s", "-s", closed], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 7)
        self.assertEqual(err, "", "-s -s: nothing on stderr")
        self.check_trace(self.traces(self.parse_ndjson(out, err))[0][1], 7, "tcp")

    def test_without_json_stdout_is_the_body_only(self):
        code, out, err = h.run_webtrace([web_url()], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, h.Nginx.index_bytes())
        self.assertNarration(err, r"^\[tcp \] connected ")

    def test_demo_events_validate(self):
        """`webtrace demo --ndjson` also emits the serve_* events."""
        code, out, err = h.run_webtrace(["demo", "--ndjson", "-s"], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        events = self.parse_ndjson(out, err)
        names = {e["event"] for e in events}
        for want in ("serve_listen", "serve_accept", "serve_request", "serve_response", "summary"):
            self.assertIn(want, names)
        for _, evs in self.traces(events):
            self.check_trace(evs)


# ---------------------------------------------------------------------------
# -w / --write-out
# ---------------------------------------------------------------------------

CURL_SAME = ["http_code", "response_code", "size_download", "size_header", "remote_ip",
             "remote_port", "num_redirects", "content_type", "http_version", "num_connects",
             "exitcode", "method", "url", "url_effective", "ssl_verify_result", "local_ip",
             "errormsg", "size_upload"]
TIMES = ["time_namelookup", "time_connect", "time_appconnect", "time_pretransfer",
         "time_starttransfer", "time_total"]


def kv_format(names):
    return "".join(f"{n}=%{{{n}}}\\n" for n in names)


def parse_kv(out):
    return dict(line.split("=", 1) for line in out.decode("utf-8").splitlines() if "=" in line)


class WriteOut(OutputCase):

    def both(self, fmt, url, *extra):
        """-w fmt with webtrace and with curl on the same URL (-o /dev/null)."""
        wt = h.run_webtrace(["-s", "-o", "/dev/null", *ca_args(), *extra, "-w", fmt, url],
                            timeout=RUN_TIMEOUT_S)
        cu = run_curl(["-o", "/dev/null", "--cacert", P["pki"].ca_file, "-w", fmt, url])
        self.assertEqual(wt[0], cu[0], f"exit codes differ: webtrace {wt[0]}, curl {cu[0]}\n"
                                       f"{h.describe(*wt)}\n--- curl stderr\n{cu[2]}")
        return wt, cu

    def check_against_curl(self, url, tls):
        (code, out, err), (_, cout, _) = self.both(kv_format(CURL_SAME + TIMES), url)
        self.assertEqual(code, 0, h.describe(code, out, err))
        mine, theirs = parse_kv(out), parse_kv(cout)
        for name in CURL_SAME:
            self.assertEqual(mine[name], theirs[name], f"%{{{name}}}: webtrace vs curl")
        times = {n: float(mine[n]) for n in TIMES}
        for n in TIMES:
            self.assertRegex(mine[n], r"^\d+\.\d{6}$", n)
        order = TIMES if tls else [n for n in TIMES if n != "time_appconnect"]
        seq = [times[n] for n in order]
        self.assertEqual(seq, sorted(seq), f"curl's order of times broken: {times}")
        if tls:
            self.assertGreater(times["time_appconnect"], 0)
        else:
            self.assertEqual(times["time_appconnect"], 0)
        self.assertGreater(times["time_total"], 0)

    def test_http_matches_curl(self):
        self.check_against_curl(web_url(), tls=False)

    def test_https_matches_curl(self):
        self.check_against_curl(tls_url(), tls=True)

    def test_json_and_header_json_match_curl(self):
        (code, out, err), (_, cout, _) = self.both("%{json}\\n%{header_json}\\n", web_url())
        self.assertEqual(code, 0, h.describe(code, out, err))
        mine_json, mine_headers = out.split(b"\n", 1)
        theirs_json, theirs_headers = cout.split(b"\n", 1)
        mine, theirs = strict_loads(mine_json), strict_loads(theirs_json)
        self.assertRegex(mine_json.decode(), r'^\{"schema":1,"',
                         "%{json} starts with the schema version, as each NDJSON event")
        self.assertEqual(mine.pop("schema"), events_schema()["$defs"]["schema_version"]["const"])
        errors = list(vars_validator().iter_errors(mine))
        self.assertEqual(errors, [], "%{json} does not match $defs/vars of the schema")
        for m in SECONDS_TEXT.finditer(mine_json):
            self.assertRegex(m.group(2).decode(), r"^(null|\d+\.\d{6})$")
        curl_names = [k for k in mine if not k.startswith("wt_")]
        missing = [k for k in curl_names if k not in theirs]
        self.assertEqual(missing, [], "webtrace has curl-named variables curl does not have")
        kind = lambda x: "int" if isinstance(x, int) else type(x).__name__  # noqa: E731
        for k in curl_names:
            if mine[k] is not None and theirs[k] is not None:
                self.assertEqual(kind(mine[k]), kind(theirs[k]), f"%{{json}} {k}: {mine[k]!r} "
                                                                 f"vs curl's {theirs[k]!r}")
        for k in CURL_SAME:
            self.assertEqual(mine[k], theirs[k], f"%{{json}} {k}")
        hm, hc = strict_loads(mine_headers.strip()), strict_loads(theirs_headers.strip())
        self.assertEqual(list(hm), list(hc), "%{header_json}: names, lower case, in order")
        hm.pop("date"), hc.pop("date")   # may tick between the two fetches
        self.assertEqual(hm, hc)

    def test_header_and_escapes_match_curl(self):
        fmt = ("[%header{content-type}][%header{Content-Length}][%header{x-absent}]"
               "\\n\\t\\r\\q\\\\%%%{http_code}\\n")
        (code, out, _), (_, cout, _) = self.both(fmt, web_url())
        self.assertEqual(code, 0)
        self.assertEqual(out, cout)
        self.assertTrue(out.startswith(b"[text/html][1024][]\n\t\r\\q\\\\%200\n"), out)

    def test_unknown_variable_warns_and_goes_on(self):
        (code, out, err), (_, cout, _) = self.both("a%{no_such_var}b%{http_code}\\n", web_url())
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, cout)
        self.assertEqual(out, b"ab200\n")
        self.assertIn("unknown --write-out variable", err)
        self.assertIn("no_such_var", err)

    def test_stderr_and_stdout_switches(self):
        code, out, err = h.run_webtrace(
            ["-s", "-o", "/dev/null", "-w", "A%{http_code}%{stderr}B%{size_download}%{stdout}C\\n",
             web_url()], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, b"A200C\n")
        self.assertEqual(err, f"B{h.Nginx.INDEX_SIZE}")

    def test_onerror(self):
        fmt = "%{http_code}%{onerror} failed: %{exitcode} %{wt_error_step}\\n"
        code, out, err = h.run_webtrace(["-s", "-o", "/dev/null", "-w", fmt, web_url()],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual((code, out), (0, b"200"), h.describe(code, out, err))
        closed = f"http://127.0.0.1:{h.closed_port()}/"
        code, out, err = h.run_webtrace(["-s", "-o", "/dev/null", "-w", fmt, closed],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 7)
        self.assertEqual(out, b"000 failed: 7 tcp\n")
        ccode, cout, _ = run_curl(["-o", "/dev/null", "-w", fmt.replace(" %{wt_error_step}", ""),
                                   closed])
        self.assertEqual((ccode, cout), (7, b"000 failed: 7\n"),
                         "curl itself (the reference for %{onerror})")

    def test_format_from_file_and_stdin(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "fmt")
            with open(path, "wb") as f:
                f.write(b"file %{http_code}\\t%{size_download}\n")
            code, out, err = h.run_webtrace(["-s", "-o", "/dev/null", "-w", "@" + path, web_url()],
                                            timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.assertEqual(out, b"file 200\t1024\n", "the file's own newline is kept, as curl does")
        code, out, err = run_with_stdin(["-s", "-o", "/dev/null", "-w", "@-", web_url()],
                                        b"stdin %{http_code}\\n")
        self.assertEqual((code, out), (0, b"stdin 200\n"), err)

    def test_failed_fetch_matches_curl(self):
        closed = f"http://127.0.0.1:{h.closed_port()}/"
        # Where a failed connect went is kept on purpose (curl leaves
        # remote_ip and remote_port empty): checked below, not against curl.
        where = ("remote_ip", "remote_port")
        names = [n for n in CURL_SAME
                 if n not in ("http_code", "response_code", "errormsg") + where]
        names += ["local_port", "size_request"]
        (code, out, err), (_, cout, _) = self.both(kv_format(names + list(where)), closed)
        self.assertEqual(code, 7, h.describe(code, out, err))
        mine, theirs = parse_kv(out), parse_kv(cout)
        for name in names:
            self.assertEqual(mine[name], theirs[name], f"%{{{name}}}: webtrace vs curl")
        self.assertEqual((mine["remote_ip"], mine["remote_port"]),
                         ("127.0.0.1", closed.rsplit(":", 1)[1].rstrip("/")),
                         "the refused attempt is named")

    def test_http_code_has_three_digits_like_curl(self):
        """Known bug: curl writes %{http_code} and %{response_code} as three
        digits ("000" when no response came); webtrace writes "0". Remove
        the decorator once fixed (an unexpected success fails the run)."""
        closed = f"http://127.0.0.1:{h.closed_port()}/"
        (code, out, _), (_, cout, _) = self.both("%{http_code} %{response_code}", closed)
        self.assertEqual(cout, b"000 000")
        self.assertEqual(out, cout)

    def test_per_url(self):
        closed = f"http://127.0.0.1:{h.closed_port()}/"
        code, out, err = h.run_webtrace(
            ["-s", "-o", "-", "-w", "|%{url}|%{http_code}|%{exitcode}\\n", web_url("/missing"),
             closed], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 7, h.describe(code, out, err))
        self.assertTrue(out.endswith(f"|{web_url('/missing')}|404|0\n|{closed}|000|7\n".encode()),
                        out[-200:])

    def test_with_json_both_on_stdout(self):
        """-w text goes after the summary line; %{stderr} keeps stdout NDJSON."""
        code, out, err = h.run_webtrace(["--ndjson", "-w", "%{stderr}%{http_code}\\n", web_url()],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 0, h.describe(code, out, err))
        self.check_trace(self.traces(self.parse_ndjson(out, err))[0][1])
        self.assertTrue(err.endswith("200\n"), err[-200:])


# ---------------------------------------------------------------------------
# --har
# ---------------------------------------------------------------------------

class Har(OutputCase):

    def run_har(self, *args, code=0, json_too=False):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "out.har")
            argv = (["--ndjson"] if json_too else ["-o", "/dev/null"]) + ["--har", path, *args]
            result = h.run_webtrace(argv, timeout=RUN_TIMEOUT_S)
            self.assertExit(result, code)
            self.assertEqual(os.listdir(d), ["out.har"], "temporary files left behind")
            with open(path, "rb") as f:
                raw = f.read()
        har = strict_loads(raw)
        errors = list(har_validator().iter_errors(har))
        self.assertEqual(errors, [], "HAR 1.2 schema: " + "; ".join(
            f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]))
        self.assertEqual(har["log"]["version"], "1.2")
        self.assertEqual(har["log"]["creator"]["name"], "webtrace")
        self.assertEqual(har["log"]["creator"]["comment"],
                         f'schema {events_schema()["$defs"]["schema_version"]["const"]}',
                         "the HAR carries the schema version of the NDJSON events")
        for e in har["log"]["entries"]:
            self.check_entry(e)
        events = self.parse_ndjson(result[1], result[2]) if json_too else None
        return har["log"]["entries"], events

    def check_entry(self, e):
        """What the HAR spec says beyond har-schema (whose "min" keyword is
        not JSON Schema and checks nothing)."""
        t = e["timings"]
        for k in ("send", "wait", "receive"):
            self.assertGreaterEqual(t[k], 0, f"timings.{k} must be >= 0: {t}")
        for k in ("blocked", "dns", "connect", "ssl"):
            self.assertTrue(t[k] == -1 or t[k] >= 0, f"timings.{k}: -1 or >= 0: {t}")
        if t["ssl"] != -1:
            self.assertGreaterEqual(t["connect"], t["ssl"], f"connect includes ssl: {t}")
        total = sum(t[k] for k in ("blocked", "dns", "connect", "send", "wait", "receive")
                    if t[k] != -1)
        self.assertAlmostEqual(e["time"], total, delta=0.006,
                               msg=f"time is the sum of the timings (ssl is inside connect): {e}")
        when = datetime.datetime.fromisoformat(e["startedDateTime"].replace("Z", "+00:00"))
        self.assertIsNotNone(when.tzinfo)
        self.assertLess(abs(when.timestamp() - datetime.datetime.now().timestamp()), 600)

    def test_https_and_a_failed_url(self):
        closed = f"http://127.0.0.1:{h.closed_port()}/"
        url = tls_url(host=h.Dnsmasq.CNAME_NAME)
        entries, events = self.run_har(*dns_args(), *ca_args(), url, closed, code=7,
                                       json_too=True)
        self.assertEqual(len(entries), 2, "one entry per URL")
        ok, failed = entries
        blocks = self.traces(events)
        evs = blocks[0][1]
        s = evs[-2]   # the hop's summary, before transfer_done

        # The entry and the NDJSON of the same run say the same.
        t = ok["timings"]
        self.assertEqual(t["blocked"], -1)
        self.assertEqual(t["dns"], millis(s["dns_us"]))
        self.assertEqual(t["ssl"], millis(s["tls_us"]))
        self.assertEqual(t["connect"], millis(s["connect_us"] + s["tls_us"]))
        self.assertEqual(t["wait"], millis(s["wait_us"]))
        self.assertEqual(t["receive"], millis(s["transfer_us"]))
        at = {e["entered"]: e["t_us"] for e in evs if e["event"] == "phase"}
        self.assertEqual(t["send"], millis(at["wait"] - at["send"]))
        self.assertGreaterEqual(t["connect"], t["ssl"])
        self.assertGreater(t["ssl"], 0)
        est = next(e for e in evs if e["event"] == "tcp_established")
        self.assertEqual(ok["serverIPAddress"], est["remote"]["ip"])
        self.assertEqual(ok["connection"], str(est["local"]["port"]))
        self.assertEqual(ok["request"]["url"], url)
        self.assertEqual(ok["request"]["method"], "GET")
        r = ok["response"]
        self.assertEqual((r["status"], r["statusText"], r["httpVersion"]), (200, "OK", "HTTP/1.1"))
        self.assertEqual(r["content"], {"size": h.Nginx.INDEX_SIZE, "mimeType": "text/html"})
        self.assertEqual(r["headers"], [{"name": e["name"], "value": e["value"]}
                                        for e in evs if e["event"] == "http_header"])
        self.assertEqual(r["headersSize"], s["vars"]["size_header"])
        w = ok["_webtrace"]
        self.assertEqual((w["url_index"], w["exit_code"], w["error"]), (0, 0, None))
        self.assertEqual(w["dns"], {"source": "dns", "server": P["dns"].server_arg,
                                    "cname_chain": CNAME_CHAIN})
        self.assertEqual(w["tls"]["verify_result"], 0)
        self.assertEqual(w["tls"]["chain"][0]["issuer"], f"CN={tp.CA_NAME}")
        self.assertEqual(w["tcp"]["remote_port"], P["tls"].ports["good"])

        ft = failed["timings"]
        self.assertEqual((ft["dns"], ft["connect"], ft["ssl"]), (-1, -1, -1), ft)
        self.assertNotIn("serverIPAddress", failed)
        self.assertEqual(failed["response"]["status"], 0)
        fw = failed["_webtrace"]
        self.assertEqual((fw["url_index"], fw["exit_code"], fw["error_step"]), (1, 7, "tcp"))
        self.assertEqual(fw["dns"]["source"], "literal")
        self.assertIsNone(fw["tcp"])
        self.assertEqual(failed["response"]["_error"], fw["error"])

    def test_http_ip_literal(self):
        entries, _ = self.run_har(web_url("/missing?a=1&b=two"))
        (e,) = entries
        t = e["timings"]
        self.assertEqual((t["dns"], t["ssl"]), (-1, -1), "no lookup, no TLS")
        self.assertGreaterEqual(t["connect"], 0)
        self.assertEqual(e["serverIPAddress"], "127.0.0.1")
        self.assertEqual(e["request"]["queryString"],
                         [{"name": "a", "value": "1"}, {"name": "b", "value": "two"}])
        self.assertEqual(e["response"]["status"], 404)
        self.assertIsNone(e["_webtrace"]["tls"])

    def test_failed_fetch_still_writes_the_file(self):
        entries, _ = self.run_har(*dns_args(), web_url(host=h.Dnsmasq.NX_NAME), code=6)
        (e,) = entries
        self.assertEqual(e["_webtrace"]["exit_code"], 6)
        self.assertEqual(e["_webtrace"]["error_step"], "dns")
        self.assertEqual(e["timings"]["connect"], -1)

    def test_unwritable_path(self):
        code, out, err = h.run_webtrace(["-o", "/dev/null", "--har", "/nonexistent/dir/x.har",
                                         web_url()], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 23, h.describe(code, out, err))
        self.assertOneErrorLine(err, "output", "/nonexistent/dir/x.har")
        self.assertFalse(os.path.exists("/nonexistent/dir"))

    def test_path_is_a_directory_leaves_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, "taken")
            os.mkdir(target)
            code, out, err = h.run_webtrace(["-s", "-o", "/dev/null", "--har", target, web_url()],
                                            timeout=RUN_TIMEOUT_S)
            self.assertEqual(code, 23, h.describe(code, out, err))
            self.assertEqual(os.listdir(d), ["taken"], "a temporary file was left behind")
            self.assertEqual(os.listdir(target), [])
            self.assertOneErrorLine(err, "output")


# ---------------------------------------------------------------------------
# Hostile bytes from the network
# ---------------------------------------------------------------------------

# A reason phrase with terminal escapes (ESC [, OSC), a raw C1 CSI (0x9b),
# the same as UTF-8 (C2 9B), invalid UTF-8 (FF, overlong C0 AF, a surrogate
# ED A0 80), quotes, backslashes, DEL, a control byte and valid non-ASCII.
EVIL_REASON = (b'Bad \x1b[31mRed\x1b[0m \x1b]0;title\x07 \x9b2J \xc2\x9b1m "q" \\b '
               b'\xff \xc0\xaf \xed\xa0\x80 caf\xc3\xa9 \x7f\x01')
# Header values: llhttp takes obs-text (0x80-0xFF) but no controls there.
EVIL_VALUE = (b'v "quoted" back\\slash \xff\xfe \xc0\xaf \xe2\x82 end \xc2\x9b caf\xc3\xa9 '
              b'\xf0\x9f\x98\x80')
EVIL_TYPE = b"text/pl\xffain"
EVIL_REPLY = (b"HTTP/1.1 200 " + EVIL_REASON + b"\r\nX-Evil: " + EVIL_VALUE
              + b"\r\nContent-Type: " + EVIL_TYPE
              + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
# The same with a NUL in the reason phrase (llhttp takes it there).
NUL_REASON = b"A\x00B \x1b[2J"
NUL_REPLY = b"HTTP/1.1 200 " + NUL_REASON + b"\r\nContent-Length: 2\r\n\r\nok"
# A control byte in a header value: refused (exit 8), after the status line.
ESC_HEADER_REPLY = (b"HTTP/1.1 200 " + EVIL_REASON + b"\r\nX-Esc: a\x1b[2Jb\r\n"
                    b"Content-Length: 2\r\n\r\nok")
TERMINAL_POISON = (b"\x1b", b"\x9b", b"\x07", b"\x00")


class HostileBytes(OutputCase):

    @classmethod
    def setUpClass(cls):
        srv = P["hostile"]
        cls.evil = srv.url(srv.raw(EVIL_REPLY, "outputs_evil"))
        cls.nul = srv.url(srv.raw(NUL_REPLY, "outputs_nul"))
        cls.esc_header = srv.url(srv.raw(ESC_HEADER_REPLY, "outputs_esc_header"))

    def tearDown(self):
        self.assertEqual(P["hostile"].errors, [], "hostile server handler errors")

    def assertCleanTerminalText(self, err_bytes):
        for bad in TERMINAL_POISON:
            self.assertNotIn(bad, err_bytes, f"raw {bad!r} reached the narration")

    def run_bytes(self, args, code=0):
        rc, out, err = run_raw(args)
        self.assertEqual(rc, code, h.describe(rc, out, err.decode("utf-8", "replace")))
        return out, err

    def test_json(self):
        out, err = self.run_bytes(["--ndjson", "-v", self.evil])
        for line in out.splitlines():
            self.assertFalse(any(b < 0x20 for b in line), f"raw control byte in {line!r}")
        (_, evs), = self.traces(self.parse_ndjson(out))
        self.check_trace(evs)
        status = next(e for e in evs if e["event"] == "http_status")
        self.assertEqual(status["reason"], per_byte_text(EVIL_REASON))
        self.assertIn("\\u001b[31m", out.decode(), "ESC is written as \\u001b")
        headers = {e["name"]: e["value"] for e in evs if e["event"] == "http_header"}
        self.assertEqual(headers["X-Evil"], per_byte_text(EVIL_VALUE))
        self.assertEqual(headers["Content-Type"], per_byte_text(EVIL_TYPE))
        self.assertEqual(evs[-1]["vars"]["content_type"], per_byte_text(EVIL_TYPE))
        self.assertCleanTerminalText(err)
        self.assertIn(b"\\x1B[31m", err, "ESC shown as \\x1B in the narration")

    def test_nul_in_reason(self):
        out, err = self.run_bytes(["--ndjson", self.nul])
        (_, evs), = self.traces(self.parse_ndjson(out))
        self.check_trace(evs)
        status = next(e for e in evs if e["event"] == "http_status")
        self.assertEqual(status["reason"], "A\x00B \x1b[2J")
        self.assertIn(b'"reason":"A\\u0000B \\u001b[2J"', out)
        self.assertCleanTerminalText(err)

    def test_control_byte_in_header_is_refused(self):
        out, err = self.run_bytes(["--ndjson", "-v", self.esc_header], code=8)
        (_, evs), = self.traces(self.parse_ndjson(out))
        self.check_trace(evs, 8, "http")
        status = next(e for e in evs if e["event"] == "http_status")
        self.assertEqual(status["reason"], per_byte_text(EVIL_REASON))
        self.assertCleanTerminalText(err)

    def test_narration_without_json(self):
        for url in (self.evil, self.nul):
            with self.subTest(url):
                _, err = self.run_bytes(["-v", "--explain", "-o", "/dev/null", url])
                self.assertCleanTerminalText(err)
                err.decode("utf-8")   # the narration is valid UTF-8 too

    def test_writeout_raw_into_a_pipe(self):
        out, _ = self.run_bytes(["-s", "-o", "/dev/null", "-w",
                                 "%header{x-evil}|%{content_type}|%{json}|%{header_json}",
                                 self.evil])
        value, ctype, vars_json, headers_json = out.split(b"|", 3)
        self.assertEqual(value, EVIL_VALUE, "-w values are raw bytes in a pipe")
        self.assertEqual(ctype, EVIL_TYPE)
        v = strict_loads(vars_json)
        hj = strict_loads(headers_json)
        self.assertEqual(v["content_type"], per_byte_text(EVIL_TYPE))
        self.assertEqual(hj["x-evil"], [per_byte_text(EVIL_VALUE)])

    def test_writeout_escaped_on_a_terminal(self):
        code, tty_out, err = run_on_pty(["-s", "-o", "/dev/null", "-w",
                                         "%header{x-evil}|%{content_type}%{stderr}"
                                         "%header{x-evil}", self.evil])
        self.assertEqual(code, 0, err)
        self.assertCleanTerminalText(tty_out)
        for bad in (b"\xff", b"\xc0"):
            self.assertNotIn(bad, tty_out)
        self.assertIn(b"\\xFF\\xFE \\xC0\\xAF \\xE2\\x82 end \\xC2\\x9B caf\xc3\xa9", tty_out)
        self.assertTrue(tty_out.endswith(b"|text/pl\\xFFain"), tty_out)
        # %{stderr} switched to a pipe: raw bytes there (decoded here with
        # errors="replace", so the raw 0xFF shows as U+FFFD, never as \xFF).
        self.assertIn("\ufffd", err)
        self.assertNotIn("\\xFF", err)

    def test_har(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "evil.har")
            self.run_bytes(["-s", "-o", "/dev/null", "--har", path, self.evil])
            with open(path, "rb") as f:
                har = strict_loads(f.read())
        self.assertEqual(list(har_validator().iter_errors(har)), [])
        (e,) = har["log"]["entries"]
        self.assertEqual(e["response"]["statusText"], per_byte_text(EVIL_REASON))
        self.assertEqual(e["response"]["content"]["mimeType"], per_byte_text(EVIL_TYPE))
        values = {x["name"]: x["value"] for x in e["response"]["headers"]}
        self.assertEqual(values["X-Evil"], per_byte_text(EVIL_VALUE))


# ---------------------------------------------------------------------------
# Exit codes
# ---------------------------------------------------------------------------

class ExitCodes(OutputCase):
    """Which exit codes the integration suites provoke, and where:

      0    everywhere
      1    test_cli (unknown scheme), test_hostile, test_tolerant, test_outputs
           (broken status line, HTTP/0.9)
      2    test_cli, test_serve (bad options); here: --ndjson with -o -
      3    test_cli, test_outputs (bad URL)
      6    test_dns, test_dns_tcp, test_outputs (NXDOMAIN, REFUSED, SERVFAIL, ...)
      7    test_http, test_hostile, test_serve, test_outputs (connection refused)
      8    test_hostile, test_tolerant (control byte in a header, ambiguous
           Content-Length, --strict)
      18   test_hostile, test_http, test_tls (partial body)
      23   test_http (body to a full disk / closed pipe); here: --ndjson and -w
           to /dev/full, --har to an unwritable path (class Har)
      26   test_cli (-i unreadable); here: -w @/nonexistent
      28   test_dns, test_hostile, test_peers (timeouts)
      35   test_tls (handshake failures)
      52   test_hostile, test_outputs (empty reply)
      55   none (sending the request failed: no peer provokes it reliably)
      56   test_hostile, test_tls, test_tolerant (reset, TLS record errors,
           broken chunk)
      60   test_tls, test_serve, test_outputs (certificate verification)
      61   test_tolerant (a transfer coding other than chunked)
      77   here: --cacert /nonexistent
      100  test_hostile (oversized header section)
    This class asserts the ones no other suite covers.
    """

    def test_26_writeout_file_missing(self):
        code, out, err = h.run_webtrace(["-w", "@/nonexistent/format", web_url()],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 26, h.describe(code, out, err))
        self.assertOneErrorLine(err, "options", "/nonexistent/format")
        self.assertEqual(out, b"", "nothing fetched")

    def test_2_json_with_body_on_stdout(self):
        code, out, err = h.run_webtrace(["--ndjson", "-o", "-", web_url()], timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 2, h.describe(code, out, err))
        self.assertOneErrorLine(err, "options", "--ndjson")
        self.assertEqual(out, b"")

    def test_77_cacert_missing(self):
        code, out, err = h.run_webtrace(["--ndjson", "--cacert", "/nonexistent/ca.pem", tls_url()],
                                        timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 77, h.describe(code, out, err))
        (_, evs), = self.traces(self.parse_ndjson(out, err))
        self.check_trace(evs, 77, "tls")
        self.assertNotIn("http_request", [e["event"] for e in evs])

    def test_23_json_to_full_disk(self):
        with open("/dev/full", "wb") as full:
            code, _, err = h.run_webtrace(["--ndjson", web_url()], stdout=full,
                                          timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 23, err)

    def test_23_writeout_to_full_disk(self):
        with open("/dev/full", "wb") as full:
            code, _, err = h.run_webtrace(["-s", "-o", "/dev/null", "-w", "%{http_code}\\n",
                                           web_url()], stdout=full, timeout=RUN_TIMEOUT_S)
        self.assertEqual(code, 23, err)

    def test_23_says_why(self):
        """Known bug: when the NDJSON or the -w text cannot be written
        (stdout on a full disk) webtrace exits 23 without the one
        `webtrace: output: ...` line a failure ends with (the body's write
        error has it). Remove the decorator once fixed."""
        for args in (["--ndjson"], ["-o", "/dev/null", "-w", "%{http_code}\\n"]):
            with open("/dev/full", "wb") as full:
                code, _, err = h.run_webtrace(["-s", *args, web_url()], stdout=full,
                                              timeout=RUN_TIMEOUT_S)
            self.assertEqual(code, 23, err)
            self.assertOneErrorLine(err, "output")


class InputConflicts(unittest.TestCase, h.WebtraceCase):
    def test_writeout_and_url_list_cannot_both_read_stdin(self):
        code, out, err = h.run_webtrace(["--url", "@-", "-w", "@-"])
        self.assertEqual(code, 2, h.describe(code, out, err))
        self.assertOneErrorLine(err, "options", "stdin")

    def test_url_list_without_urls_is_an_error(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("# only a comment\n\n   \n")
            f.flush()
            code, out, err = h.run_webtrace(["--url", "@" + f.name])
        self.assertEqual(code, 2, h.describe(code, out, err))
        self.assertOneErrorLine(err, "input", "no URL")

    def test_url_list_line_with_nul_byte_is_refused_alone(self):
        with tempfile.NamedTemporaryFile("wb", suffix=".txt") as f:
            f.write(b"h\0t\0t\0p\0\n# the next line is read again\n")
            f.flush()
            code, out, err = h.run_webtrace(["--url", "@" + f.name])
        self.assertEqual(code, 26, h.describe(code, out, err))
        self.assertOneErrorLine(err, "input", "NUL byte")


if __name__ == "__main__":
    unittest.main(verbosity=2)
