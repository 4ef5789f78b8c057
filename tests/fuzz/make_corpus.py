#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/: real HTTP
responses, DNS queries and replies, URLs, command lines, -w formats, URL
lists and event scripts, each in the input format its harness documents.

The output is committed; run this again after changing it:
    python3 tests/fuzz/make_corpus.py
It replaces the files it writes and leaves others alone."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- DNS messages ---------------------------------------------------------

A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, OPT = 1, 2, 5, 6, 12, 15, 16, 28, 41


def name(text):
    if text in ("", "."):
        return b"\0"
    out = b""
    for label in text.rstrip(".").split("."):
        raw = label.encode("latin-1")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def header(qid, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


def question(qname, qtype, qclass=1):
    return (qname if isinstance(qname, bytes) else name(qname)) + struct.pack(">HH", qtype, qclass)


def rr(owner, rtype, ttl, rdata, rclass=1):
    owner = owner if isinstance(owner, bytes) else name(owner)
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


PTR_QNAME = b"\xc0\x0c"      # compression pointer to the question's name
QUERY = 0x0100               # RD
RESPONSE = 0x8180            # QR RD RA, NOERROR
AUTH = 0x8580                # QR AA RD RA


def soa(origin):
    return name("ns." + origin) + name("hostmaster." + origin) + struct.pack(
        ">IIIII", 2024010101, 3600, 600, 86400, 60)


def dns_messages():
    m = {}
    m["query_a"] = header(0x3f1c, QUERY) + question("www.example.test", A)
    m["query_aaaa_edns"] = (header(0x3f1d, QUERY, ar=1) + question("www.example.test", AAAA)
                            + b"\0" + struct.pack(">HHIH", OPT, 1232, 0, 0))
    m["reply_a_two"] = (header(0x3f1c, RESPONSE, an=2) + question("example.test", A)
                        + rr(PTR_QNAME, A, 300, bytes([93, 184, 216, 34]))
                        + rr(PTR_QNAME, A, 300, bytes([127, 0, 0, 1])))
    # www CNAME web, web A and AAAA: the demo's chain, compressed
    chain = (question("www.example.test", A)
             + rr(PTR_QNAME, CNAME, 60, b"\x03web\xc0\x10")
             + rr(b"\xc0\x2e", A, 300, bytes([127, 0, 0, 1])))
    m["reply_cname_chain"] = header(0x1234, AUTH, an=2) + chain
    m["reply_cname_aaaa"] = (header(0x1235, AUTH, an=2) + question("www.example.test", AAAA)
                             + rr(PTR_QNAME, CNAME, 60, b"\x03web\xc0\x10")
                             + rr(b"\xc0\x2e", AAAA, 120, b"\0" * 15 + b"\1"))
    m["reply_nxdomain_soa"] = (header(0x2222, 0x8583, an=0, ns=1) + question("nope.example.test", A)
                               + rr("example.test", SOA, 60, soa("example.test")))
    for rcode, word in ((1, "formerr"), (2, "servfail"), (4, "notimp"), (5, "refused"), (12, "rcode12")):
        m["reply_" + word] = header(0x4000 + rcode, 0x8180 | rcode) + question("example.test", A)
    m["reply_truncated"] = header(0x5555, 0x8380) + question("big.example.test", A)
    m["reply_mixed_types"] = (header(0x6666, RESPONSE, an=6) + question("example.test", 255)
                              + rr(PTR_QNAME, MX, 3600, b"\0\x0a" + name("mail.example.test"))
                              + rr(PTR_QNAME, TXT, 3600, b"\x0bhello world")
                              + rr(PTR_QNAME, NS, 3600, name("ns1.example.test"))
                              + rr("4.3.2.1.in-addr.arpa", PTR, 3600, name("example.test"))
                              + rr(PTR_QNAME, 99, 10, b"\x01\x02")
                              + rr(PTR_QNAME, A, 10, b"\x01\x02\x03"))   # bad A length
    m["reply_odd_labels"] = (header(0x7777, RESPONSE, an=1)
                             + question(b"\x05a b.c\x04\xff\x00\x7f\\\x00", A)
                             + rr(PTR_QNAME, CNAME, 1, b"\x03a.b\x02\x1b[\x00"))
    m["reply_pointer_loop"] = header(0x8888, RESPONSE, an=1) + question(b"\xc0\x0c", A)
    m["reply_pointer_out_of_range"] = (header(0x8889, RESPONSE, an=1) + question("x.test", A)
                                       + rr(b"\xc0\xff", A, 1, b"\1\2\3\4"))
    m["reply_name_too_long"] = header(0x9999, RESPONSE) + question(
        b"".join(b"\x3f" + b"a" * 63 for _ in range(5)) + b"\0", A)
    many = b"".join(rr(PTR_QNAME, A, i, bytes([10, 0, 0, i])) for i in range(40))
    m["reply_40_answers"] = header(0xaaaa, RESPONSE, an=40) + question("many.example.test", A) + many
    m["reply_cut_in_record"] = (header(0xbbbb, RESPONSE, an=1) + question("cut.test", A)
                                + rr(PTR_QNAME, A, 1, b"\1\2\3\4"))[:-3]
    m["reply_no_question"] = header(0xcccc, RESPONSE, qd=0, an=1) + rr("x.test", A, 1, b"\1\2\3\4")
    m["header_only"] = header(0xdddd, RESPONSE, qd=0)
    m["short_header"] = b"\x12\x34\x81"
    m["root_query"] = header(0xeeee, QUERY) + question(".", NS)
    return m


def dns_corpora():
    msgs = dns_messages()
    for k, v in msgs.items():
        write("dnsmsg", k, v)

    zone = "webtrace.test"
    queries = {
        "www_a": question("www." + zone, A),
        "www_aaaa": question("www." + zone, AAAA),
        "web_a": question("web." + zone, A),
        "web_aaaa": question("web." + zone, AAAA),
        "www_mixed_case": question("WWW.WebTrace.TEST", A),
        "www_mx_nodata": question("www." + zone, MX),
        "origin_soa": question(zone, SOA),
        "origin_a": question(zone, A),
        "unknown_nxdomain": question("nope." + zone, A),
        "outside_refused": question("example.com", A),
        "root_refused": question(".", A),
        "www_any": question("www." + zone, 255),
        "www_class_ch": question("www." + zone, A, 3),
    }
    # The query id picks the zone (low 2 bits: 0/1 demo, 2 awkward, 3 long
    # origin) and, from a high byte of 0xc0, a small reply buffer.
    for k, q in queries.items():
        write("dnsserver", k, header(0x4240, QUERY) + q)
    write("dnsserver", "edns_opt", header(0x4241, QUERY, ar=1) + queries["www_a"]
          + b"\0" + struct.pack(">HHIH", OPT, 4096, 0, 0))
    write("dnsserver", "opcode_status", header(0x4244, 0x1100) + queries["www_a"])
    write("dnsserver", "two_questions", header(0x4245, QUERY, qd=2) + queries["www_a"] + queries["web_a"])
    write("dnsserver", "no_question", header(0x4248, QUERY, qd=0))
    write("dnsserver", "is_response", header(0x4249, RESPONSE) + queries["www_a"])
    write("dnsserver", "cut_question", (header(0x424c, QUERY) + queries["www_a"])[:-3])
    write("dnsserver", "compressed_question", header(0x424d, QUERY) + b"\xc0\x0c\0\1\0\1")
    write("dnsserver", "long_label", header(0x4250, QUERY) + question(b"\x40" + b"a" * 64 + b"\0", A))
    write("dnsserver", "header_only_short", b"\x42\x40\x01")
    write("dnsserver", "small_buffer_www", header(0xc540, QUERY) + queries["www_a"])
    write("dnsserver", "small_buffer_www_aaaa", header(0xe040, QUERY) + queries["www_aaaa"])
    awkward = [("loop1.test", A), ("c0.test", A), ("c0.test", 255), ("out.test", A), ("broken.test", A),
               ("nodata.test", A), ("bad.test", A), ("bad.test", AAAA), ("bad.test", MX),
               ("bad.test", 255), ("to-bad.test", A), ("big.test", AAAA), ("big.test", 255),
               ("test", SOA), ("test", 255), ("nope.test", A), ("c9.test", A)]
    for qname, qtype in awkward:
        write("dnsserver", "awkward_%s_%d" % (qname.replace(".", "_"), qtype),
              header(0x0102, QUERY) + question(qname, qtype))
    longest = ".".join(["a" * 60] * 4)
    for qname, qtype in (("x." + longest, A), (longest, SOA), ("y." + longest, A)):
        write("dnsserver", "long_origin_%s_%d" % (qname[:1], qtype),
              header(0x0103, QUERY) + question(qname, qtype))

    # dnswire: flags (bit 0 TCP), read size - 1, length-prefixed messages
    def stream(*parts):
        return b"".join(struct.pack(">H", len(p)) + p for p in parts)

    q_a = header(0x1234, QUERY) + question("www.example.test", A)
    q_aaaa = header(0x1235, QUERY) + question("www.example.test", AAAA)
    lookup = stream(q_a, q_aaaa, msgs["reply_cname_chain"], msgs["reply_cname_aaaa"])
    write("dnswire", "udp_cname_lookup", b"\0\0" + lookup)
    write("dnswire", "tcp_cname_lookup_1byte_reads", b"\1\0" + lookup)
    write("dnswire", "tcp_cname_lookup_7byte_reads", b"\1\6" + lookup)
    write("dnswire", "tcp_cname_lookup_big_reads", b"\1\xff" + lookup)
    write("dnswire", "udp_truncated_then_tcp", b"\0\x10" + stream(
        header(0x5555, QUERY) + question("big.example.test", A), msgs["reply_truncated"]))
    write("dnswire", "tcp_truncated", b"\1\x03" + stream(msgs["reply_truncated"]))
    write("dnswire", "udp_nxdomain", b"\0\0" + stream(
        header(0x2222, QUERY) + question("nope.example.test", A), msgs["reply_nxdomain_soa"]))
    write("dnswire", "udp_rcodes", b"\0\0" + stream(*(msgs[k] for k in (
        "reply_formerr", "reply_servfail", "reply_notimp", "reply_refused", "reply_rcode12"))))
    write("dnswire", "tcp_cut_stream", b"\1\x04" + lookup[:-5])
    write("dnswire", "tcp_empty_message", b"\1\x00" + b"\0\0" + stream(q_a))
    # more queries than are remembered, and more CNAME links than are shown
    many_q = [header(i, QUERY) + question("q%d.example.test" % i, A) for i in range(40)]
    write("dnswire", "udp_40_queries", b"\0\0" + stream(*many_q))
    links = b"".join(rr("c%d.example.test" % i, CNAME, 60, name("c%d.example.test" % (i + 1)))
                     for i in range(20))
    write("dnswire", "udp_20_cnames", b"\0\0" + stream(
        header(0x7000, RESPONSE, an=20) + question("c0.example.test", A) + links))
    write("dnswire", "udp_garbage", b"\0\0" + stream(b"\xff" * 20, msgs["short_header"]))
    # a large answer over TCP: every record is an event (no cap)
    big = b"".join(rr(PTR_QNAME, A, 300, bytes([10, 0, i >> 8, i & 0xff])) for i in range(600))
    write("dnswire", "tcp_600_answers", b"\1\xff" + stream(
        header(0xabcd, QUERY) + question("many.example.test", A),
        header(0xabcd, RESPONSE, an=600) + question("many.example.test", A) + big))
    # A answered NXDOMAIN, AAAA asked and never answered
    write("dnswire", "udp_nxdomain_a_aaaa_silent", b"\0\0" + stream(
        header(0x2222, QUERY) + question("nope.example.test", A),
        header(0x2223, QUERY) + question("nope.example.test", AAAA), msgs["reply_nxdomain_soa"]))


# ---- HTTP responses -------------------------------------------------------

def http_corpus():
    # (name, flags, step - 1, response bytes); flags: 1 HEAD, 2 the body
    # write fails, 4 build a request too (8: for an IPv6 URL), 16 --strict,
    # 32 build a request with every option (step - 1 picks which)
    CRLF = "\r\n"

    def resp(*lines, body=""):
        return CRLF.join(lines) + CRLF + CRLF + body

    index = "<!DOCTYPE html>\n<html><body><h1>Welcome to nginx!</h1></body></html>\n"
    nginx = ("HTTP/1.1 200 OK", "Server: nginx/1.22.1", "Date: Sun, 29 Nov 2026 10:00:00 GMT",
             "Content-Type: text/html", "Content-Length: %d" % len(index),
             "Last-Modified: Tue, 01 Jan 2026 00:00:00 GMT", "Connection: keep-alive",
             'ETag: "6560-40"', "Accept-Ranges: bytes")
    chunked = resp("HTTP/1.1 200 OK", "Server: nginx", "Content-Type: text/plain",
                   "Transfer-Encoding: chunked",
                   body="5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n")
    cases = [
        ("nginx_index", 0, 255, resp(*nginx, body=index)),
        ("nginx_index_bytewise", 0, 0, resp(*nginx, body=index)),
        ("nginx_index_write_fails", 2, 255, resp(*nginx, body=index)),
        ("nginx_index_with_request", 4, 255, resp(*nginx, body=index)),
        ("nginx_index_with_ipv6_request", 12, 255, resp(*nginx, body=index)),
        ("chunked_trailers", 0, 255, chunked),
        ("chunked_bytewise", 0, 0, chunked),
        ("chunked_3byte_reads", 0, 2, chunked),
        ("chunked_cut_mid_chunk", 0, 255, chunked[:-20]),
        ("chunked_bad_size", 0, 255, resp("HTTP/1.1 200 OK", "Transfer-Encoding: chunked",
                                          body="zz\r\nhello\r\n0\r\n\r\n")),
        ("http10_until_close", 0, 255, resp("HTTP/1.0 200 OK", "Content-Type: text/plain",
                                            body="all of it until the close")),
        ("http11_until_close", 0, 255, resp("HTTP/1.1 200 OK", "Connection: close", body="x" * 40)),
        ("http10_keep_alive", 0, 255, resp("HTTP/1.0 200 OK", "Connection: keep-alive",
                                           "Content-Length: 2", body="ok")),
        ("no_content_204", 0, 255, resp("HTTP/1.1 204 No Content", "Server: nginx")),
        ("not_modified_304", 0, 255, resp("HTTP/1.1 304 Not Modified", "Content-Length: 1234",
                                          'ETag: "x"')),
        ("head_with_length", 1, 255, resp(*nginx)),
        ("continue_then_200", 0, 255, resp("HTTP/1.1 100 Continue")
         + resp("HTTP/1.1 200 OK", "Content-Length: 2", body="ok")),
        ("early_hints_then_200", 0, 3, resp("HTTP/1.1 103 Early Hints", "Link: </s.css>; rel=preload")
         + resp("HTTP/1.1 200 OK", "Content-Length: 0")),
        ("switching_protocols", 0, 255, resp("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket",
                                             "Connection: Upgrade")),
        ("redirect_301", 0, 255, resp("HTTP/1.1 301 Moved Permanently", "Location: https://example.test/",
                                      "Content-Length: 0")),
        ("not_found_404", 0, 255, resp("HTTP/1.1 404 Not Found", "Content-Length: 9", body="not found")),
        ("obs_fold", 0, 255, resp("HTTP/1.1 200 OK", "X-Folded: first", " second", "\tthird",
                                  "Content-Length: 0")),
        ("obs_fold_before_first_header", 0, 255, resp("HTTP/1.1 200 OK", " X: y", "Content-Length: 0")),
        ("bare_cr", 0, 255, "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n"),
        ("bare_cr_split", 0, 15, "HTTP/1.1 200 OK\r\nX: a\r\r\n\r\n"),
        ("empty_line_first", 0, 255, "\r\nHTTP/1.1 200 OK\r\n\r\n"),
        ("lf_only", 0, 255, "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"),
        ("bad_status_line", 0, 255, resp("HTTP/1.1 abc Broken", "Content-Length: 0")),
        ("not_http", 0, 255, "SSH-2.0-OpenSSH_9.2\r\n"),
        ("header_without_colon", 0, 255, resp("HTTP/1.1 200 OK", "NoColonHere", "Content-Length: 0")),
        ("length_and_chunked", 0, 255, resp("HTTP/1.1 200 OK", "Content-Length: 5",
                                            "Transfer-Encoding: chunked", body="0\r\n\r\n")),
        ("two_lengths", 0, 255, resp("HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 6",
                                     body="hello")),
        ("huge_length", 0, 255, resp("HTTP/1.1 200 OK", "Content-Length: 99999999999999999999999")),
        ("partial_body", 0, 255, resp("HTTP/1.1 200 OK", "Content-Length: 100", body="only ten b")),
        ("headers_cut", 0, 255, "HTTP/1.1 200 OK\r\nServer: ngi"),
        ("pipelined_extra", 0, 255, resp("HTTP/1.1 200 OK", "Content-Length: 2", body="ok")
         + "HTTP/1.1 200 OK\r\n\r\n"),
        ("trailing_spaces_in_value", 0, 255, resp("HTTP/1.1 200 OK", "X-Pad: value  \t",
                                                  "Empty:", "Content-Length: 0")),
        ("many_headers", 0, 255, resp("HTTP/1.1 200 OK", *("X-H%d: %d" % (i, i) for i in range(1002)))),
        ("utf8_and_controls", 0, 255, resp("HTTP/1.1 200 \xe4\xbd\xa0\xe5\xa5\xbd\x1b[2J",
                                           "X-Bytes: \xff\xfe\x9b", "Content-Length: 0")),
    ]
    ok5 = ("Content-Length: 5",)
    tolerated = [
        ("bare_lf_chunked", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\r\nhello\r\n0\r\n\r\n"),
        ("no_reason", resp("HTTP/1.1 200", *ok5, body="hello")),
        ("status_spaces", resp("HTTP/1.1   200 OK", *ok5, body="hello")),
        ("unasked_101_then_200", resp("HTTP/1.1 101 Switching Protocols", "Upgrade: x")
         + resp("HTTP/1.1 200 OK", *ok5, body="hello")),
        ("obs_fold_bare_lf", "HTTP/1.1 200 OK\nX: a\n b\nContent-Length: 5\n\nhello"),
    ]
    for name_, data in tolerated:
        cases.append((name_, 0, 255, data))
        cases.append((name_ + "_strict", 16, 255, data))
        cases.append((name_ + "_bytewise", 0, 0, data))
    cases += [
        ("status_two_digits", 0, 255, resp("HTTP/1.1 20 OK", *ok5, body="hello")),
        ("status_099", 0, 255, resp("HTTP/1.1 099 OK", *ok5, body="hello")),
        ("status_four_digits", 0, 255, resp("HTTP/1.1 2000 OK", *ok5, body="hello")),
        ("version_2", 0, 255, resp("HTTP/2 200 OK", *ok5, body="hello")),
        ("version_12", 0, 255, resp("HTTP/1.2 200 OK", *ok5, body="hello")),
        ("status_missing", 0, 255, resp("HTTP/1.1", *ok5, body="hello")),
        ("status_tab", 0, 255, resp("HTTP/1.1\t200 OK", *ok5, body="hello")),
        ("http09", 0, 1, "hello world\n"),
        ("te_gzip_chunked", 0, 255, resp("HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked",
                                         body="5\r\nhello\r\n0\r\n\r\n")),
        ("te_chunked_gzip", 0, 255, resp("HTTP/1.1 200 OK", "Transfer-Encoding: chunked , gzip",
                                         body="hello")),
        ("interim_only", 0, 255, resp("HTTP/1.1 100 Continue")),
        ("chunk_missing_crlf", 0, 255, resp("HTTP/1.1 200 OK", "Transfer-Encoding: chunked",
                                            body="5\r\nhelloX0\r\n\r\n")),
    ]
    for variant in range(16):
        cases.append(("rich_request_%d" % variant, 32, variant, resp("HTTP/1.1 200 OK", *ok5, body="hello")))
    for name_, flags, step, data in cases:
        write("http", name_, bytes([step, flags]) + data.encode("latin-1"))

    # flag 64: six control bytes follow. The rich request's options (two
    # bytes, little-endian; the bits are fuzz_http.c's RICH_*), its -H lines
    # (a mask over its table), then the range judgement's status pick (0-7
    # from its table, 8 and up any code) and -C pick (offset table index,
    # 8: Content-Length is the offset, 16: unknown, 32: no Content-Range).
    RICH = dict(agent=1, get=2, patch=4, json=8, proxied=16, proxy_auth=32, compressed=64,
                range=128, resume=256, cookie=512, form=1024, upload=2048, chunked=4096,
                dir_url=8192, no_data=16384, head=32768)

    def rich(*names):
        v = 0
        for n in names:
            v |= RICH[n]
        return v

    partial = resp("HTTP/1.1 206 Partial Content", "Content-Range: bytes 1234-1243/2000",
                   "Content-Length: 10", body="0123456789")
    rich_cases = [
        ("proxied_auth", rich("proxied", "proxy_auth", "no_data"), 0, 0, 0),
        ("proxied_edited", rich("proxied", "proxy_auth", "json"), (1 << 6) | (1 << 12), 0, 0),
        ("compressed_range", rich("compressed", "range", "no_data"), 0, 1, 0),
        ("compressed_edited", rich("compressed", "range", "agent", "no_data"), 1 << 9, 1, 0),
        ("resume_cookie", rich("resume", "cookie", "no_data"), 0, 1, 3),
        ("range_removed", rich("resume", "no_data"), 1 << 7, 1, 3),
        ("form", rich("form", "cookie"), 0, 0, 0),
        ("form_typed", rich("form", "get"), 1 << 5, 0, 0),
        ("upload_dir", rich("upload", "dir_url"), 0, 0, 0),
        ("upload_chunked", rich("upload", "chunked", "proxied"), 0, 0, 0),
        ("upload_edits", rich("upload", "chunked"), (1 << 8) | (1 << 10) | (1 << 13), 0, 0),
        ("upload_expect_asked", rich("upload"), 1 << 11, 0, 0),
        ("json_range_ignored", rich("json", "range"), 0, 2, 0),
        ("head_proxied", rich("head", "proxied", "no_data"), (1 << 14) | (1 << 15), 2, 1),
        ("everything", 0xffff, 0xffff, 1, 3),
        ("resume_whole_file", rich("resume", "no_data"), 0, 0, 3 | 8),
        ("resume_416", rich("resume", "no_data"), 0, 2, 3),
        ("resume_no_content_range", rich("resume", "no_data"), 0, 1, 3 | 32),
        ("resume_unknown_length", rich("resume", "no_data"), 0, 0, 3 | 16),
        ("resume_max_offset", rich("resume", "no_data"), 0, 1, 5),
        ("range_only_404", rich("range", "no_data"), 0, 5, 0),
        ("odd_status", 0, 0, 77, 1),
    ]
    for name_, variant, mask, status_pick, resume_pick in rich_cases:
        control = bytes([255, 32 | 64, variant & 255, variant >> 8, mask & 255, mask >> 8,
                         status_pick, resume_pick])
        write("http", "rich_" + name_, control + partial.encode("latin-1"))
    # the Content-Range of the range judgement is the first line here
    for name_, first in [("star", "bytes */2000"), ("other_offset", "bytes 0-9/2000"),
                         ("garbage", "garbage"), ("huge", "bytes 99999999999999999999-1/2"),
                         ("max", "bytes 9223372036854775807-9223372036854775807/*")]:
        for resume_pick in (3, 5):
            control = bytes([255, 64, 0, 0, 0, 0, 1, resume_pick])
            write("http", "range_%s_%d" % (name_, resume_pick),
                  control + (first + "\r\n").encode() + partial.encode("latin-1"))


# ---- URLs -----------------------------------------------------------------

def url_corpus():
    urls = [
        "http://www.example.test/", "https://www.baidu.com", "www.example.test", "example.test:8080",
        "HTTP://Example.COM:80/Path?Q=1#frag", "https://example.test:443/", "http://127.0.0.1:8080/x",
        "http://[::1]:8080/", "[::1]:8080", "http://[fe80::1%25eth0]/", "http://[::ffff:1.2.3.4]/",
        "http://[::1", "http://[::1]x/", "http://[1::2::3]/", "http://host:99999/", "http://host:0/",
        "http://host:80x/", "http://host:/", "http:///path", "http:/x", "//host/", "ftp://example.test/",
        "mailto:a@b", "http://user:pw@example.test/", "http://a..b/", "http://.a/", "http://a./",
        "http://" + "a" * 63 + ".test/", "http://" + "a" * 64 + ".test/",
        "http://" + ".".join(["abcdefghi"] * 26) + "/", "http://1.2.3/", "http://0x7f.0.0.1/",
        "http://999.1.1.1/", "http://a_b-c.example/", "http://exa mple.test/", "http://example.test/\x7f",
        "http://example.test/\x1b[31m", "http://b\xc3\xbccher.example/", "http://example.test/a b",
        "http://example.test/%41%zz", "http://example.test?q", "http://example.test#f",
        "http://example.test\\path", "HtTpS://EXAMPLE.test:08080/", "", ":", "http:", "https://",
        "localhost", "localhost:1", "1.2.3.4", "1.2.3.4:65535", "::1", "[::]:1",
        "http://example.test/a\tb", "http://example.test/\r\n", "http://exa\x01mple/", "://x",
        "1http://x/", "h_t://x/", "http://[]/", "http://[zz]/", "http://a.0x1F/", "http://a.0x1g/",
        "http://a[::1]/", "http://[::1]]/", "http://a]/", "http://[::1]:/", "http://host:8080/",
        "http://host:50000/", "https://host:1023/", "http://x/" + "p" * 8200,
    ]
    for i, u in enumerate(urls):
        write("url", "url_%02d" % i, u)
    # a base URL, a NUL, then a Location to resolve against it (RFC 3986
    # §5.4's examples, and what servers send)
    base = "http://a/b/c/d;p?q"
    refs = ["g:h", "g", "./g", "g/", "/g", "//g", "?y", "g?y", "#s", "g#s", "g?y#s", ";x", "g;x",
            "g;x?y#s", "", ".", "./", "..", "../", "../g", "../..", "../../", "../../g",
            "../../../g", "../../../../g", "/./g", "/../g", "g.", ".g", "g..", "..g", "./../g",
            "./g/.", "g/./h", "g/../h", "g;x=1/./y", "g;x=1/../y", "g?y/./x", "g?y/../x",
            "g#s/./x", "g#s/../x", "http:g", "https://other.test:8443/x?y",
            "/path with spaces/\xc3\xa9", "//[::1]:8080/v6", "HTTP://UPPER.test/"]
    for i, r in enumerate(refs):
        write("url", "resolve_%02d" % i, base + "\0" + r)
    write("url", "resolve_https_base", "https://www.example.test:8443/dir/page.html\0../up?q=1#f")
    write("url", "resolve_long", "http://a/b\0" + "x/" * 3000)


# ---- escaping -------------------------------------------------------------

def escape_corpus():
    texts = [
        (0, b"plain ascii text"),
        (0, b"tab\there\nnewline\rcr\x00nul\x1b[31mred\x1b[0m"),
        (0, b"quote \" backslash \\ slash /"),
        (0, "\u4f60\u597d \u00e9 \U0001f600".encode()),
        (0, b"\xc2\x80\xc2\x9b\xc2\x9f C1 controls, and raw \x9b CSI \x7f DEL"),
        (0, "\u202eevil\u202c \u2066iso\u2069 \u200e\u200f \u061c".encode()),
        (0, b"overlong \xc0\xaf \xe0\x80\xaf \xf0\x80\x80\xaf"),
        (0, b"surrogate \xed\xa0\x80 above max \xf4\x90\x80\x80 \xf5\x80"),
        (0, b"cut sequences \xe4\xbd \xf0\x9f\x98"),
        (0, b"\xff\xfe\xfd\x80\x81"),
        (5, "\u4f60\u597d\u4f60\u597d".encode()),
        (7, b"\x1b\x1b\x1b\x1b"),
        (2, b"ab"),
        (1, b"x"),
        (12, b"\"\"\\\\\x01\x02"),
        (0, bytes(range(256))),
    ]
    for i, (outlen, t) in enumerate(texts):
        write("escape", "text_%02d" % i, bytes([outlen]) + t)


# ---- command lines --------------------------------------------------------

def cli_corpus():
    lines = {
        "trace_all_options": (0, ["-s", "-v", "--explain", "--no-color", "-o", "out.bin", "-4",
                                  "--connect-timeout", "2.5", "-m", "10", "--dns-timeout", "0.25",
                                  "--dns-server", "127.0.0.1:5353", "--dns-server", "[::1]:53",
                                  "--dns-server", "::1", "--ndjson", "-w", "%{http_code}\\n",
                                  "--har", "x.har", "--cacert", "ca.pem", "--capath", "/etc/ssl",
                                  "-k", "http://a/", "b.test"]),
        "trace_equals_forms": (0, ["--output=-", "--max-time=0", "--dns-server=10.0.0.1",
                                   "--write-out=%{json}", "--url=@-", "--ipv6"]),
        "trace_clusters": (0, ["-svki", "-sss", "-ofile", "-m1", "--url", "@list.txt"]),
        "trace_help": (0, ["-h"]),
        "trace_version": (0, ["--version"]),
        "trace_double_dash": (0, ["-s", "--", "-v", "--ndjson"]),
        "trace_no_url": (0, ["-s"]),
        "trace_nothing": (0, []),
        "trace_unknown_long": (0, ["--bogus", "u"]),
        "trace_unknown_short": (0, ["-Z", "u"]),
        "trace_unknown_escape": (0, ["--\x1b[31m", "u"]),
        "trace_ambiguous": (0, ["--dns", "x", "u"]),
        "trace_ambiguous_equals": (0, ["--c=1", "u"]),
        "trace_missing_value": (0, ["u", "--dns-server"]),
        "trace_missing_short_value": (0, ["u", "-o"]),
        "trace_flag_with_value": (0, ["--silent=yes", "u"]),
        "trace_both_families": (0, ["-4", "-6", "u"]),
        "trace_bad_seconds": (0, ["--connect-timeout", "1e3", "u"]),
        "trace_seconds_forms": (0, ["--max-time", "0.0004", "--connect-timeout", "2147483.647",
                                    "--dns-timeout", "0.0005", "u"]),
        "trace_seconds_too_big": (0, ["-m", "99999999999", "u"]),
        "trace_zero_dns_timeout": (0, ["--dns-timeout", "0", "u"]),
        "trace_bad_dns_server": (0, ["--dns-server", "localhost", "u"]),
        "trace_bad_dns_ports": (0, ["--dns-server", "1.2.3.4:0", "--dns-server", "[::1]x", "u"]),
        "trace_dns_server_forms": (0, ["--dns-server", "[::1]", "--dns-server", "[::1]:65535",
                                       "--dns-server", "[::1", "u"]),
        "trace_nine_dns_servers": (0, sum((["--dns-server", "127.0.0.%d" % i] for i in range(9)), [])
                                   + ["u"]),
        "trace_empty_files": (0, ["-o", "", "u"]),
        "trace_empty_input": (0, ["--url", "@"]),
        "trace_empty_har": (0, ["--har=", "u"]),
        "trace_empty_cacert": (0, ["--cacert", "", "u"]),
        "trace_empty_capath": (0, ["--capath=", "u"]),
        "trace_1025_urls": (0, ["u%d" % i for i in range(1025)]),
        "trace_resolve_forms": (0, ["--resolve", "a.test:443:127.0.0.1", "--resolve",
                                    "+b.test:80:127.0.0.1,::1", "--resolve", "*:8080:[::1],10.0.0.1",
                                    "--resolve", "[::1]:443:127.0.0.1", "--resolve", "-a.test:443",
                                    "--resolve=c.test:1:127.0.0.2", "u"]),
        "trace_resolve_bad": (0, ["--resolve", "a.test:80", "u"]),
        "trace_resolve_bad_addr": (0, ["--resolve", "a.test:80:localhost", "u"]),
        "trace_resolve_bad_port": (0, ["--resolve", "a.test:http:127.0.0.1", "u"]),
        "trace_resolve_empty_addr": (0, ["--resolve", "a.test:80:127.0.0.1,", "u"]),
        "trace_resolve_no_host": (0, ["--resolve", ":80:127.0.0.1", "u"]),
        "trace_resolve_bracket": (0, ["--resolve", "[::1:443:127.0.0.1", "u"]),
        "trace_resolve_removal_addr": (0, ["--resolve", "-a.test:80:127.0.0.1", "u"]),
        "trace_resolve_idn": (0, ["--resolve", "\xe4\xbe\x8b\xe5\xad\x90.test:80:127.0.0.1", "u"]),
        "trace_resolve_control": (0, ["--resolve", "a\x1b.test:80:127.0.0.1", "u"]),
        "trace_resolve_many_addrs": (0, ["--resolve", "a.test:80:" + ",".join(
            "127.0.0.%d" % i for i in range(1, 40)), "u"]),
        "trace_resolve_too_many": (0, sum((["--resolve", "h%d.test:80:127.0.0.1" % i]
                                           for i in range(70)), []) + ["u"]),
        "trace_connect_to_forms": (0, ["--connect-to", "a.test:443:127.0.0.1:8443",
                                       "--connect-to", "::127.0.0.1:", "--connect-to",
                                       "[::1]:80:[::1]:8080", "--connect-to=b.test::c.test:",
                                       "u"]),
        "trace_connect_to_bad": (0, ["--connect-to", "a.test:443:127.0.0.1", "u"]),
        "trace_connect_to_bad_port": (0, ["--connect-to", "a.test:99999:b:1", "u"]),
        "trace_connect_to_bracket": (0, ["--connect-to", "[::1:443:b:1", "u"]),
        "trace_connect_to_too_many": (0, sum((["--connect-to", "h%d:80:b:81" % i]
                                              for i in range(70)), []) + ["u"]),
        "trace_happy_eyeballs": (0, ["--happy-eyeballs-timeout-ms", "50", "u"]),
        "trace_happy_eyeballs_bad": (0, ["--happy-eyeballs-timeout-ms", "x", "u"]),
        "trace_happy_eyeballs_big": (0, ["--happy-eyeballs-timeout-ms", "99999999999", "u"]),
        "trace_lang": (0, ["--lang", "zh", "--lang=en", "u"]),
        "trace_transfers": (0, ["-L", "--max-redirs", "3", "--location-trusted", "-Z",
                                "--parallel-max", "7", "--no-keepalive", "u", "v"]),
        "trace_transfers_edges": (0, ["--max-redirs", "-1", "--parallel-max", "0",
                                      "--parallel-max=999", "-LZO", "u"]),
        "trace_transfers_bad": (0, ["--max-redirs", "-2", "--parallel-max", "x", "u"]),
        "trace_remote_name_and_output": (0, ["-O", "-o", "f", "u"]),
        "trace_packets": (0, ["--packets", "--pcap", "x.pcap", "u"]),
        "trace_pcap_empty": (0, ["--pcap", "", "u"]),
        "trace_meter_waterfall": (0, ["--no-progress-meter", "--waterfall", "w.svg",
                                      "--no-waterfall", "u"]),
        "trace_waterfall_empty": (0, ["--waterfall=", "u"]),
        "serve_verbose": (1, ["-v", "--explain"]),
        "demo_packets": (2, ["--packets"]),
        "trace_lang_bad": (0, ["--lang", "fr", "u"]),
        "trace_resolve_connect_to": (0, ["--resolve", "a.test:80:127.0.0.1,[::1]", "--resolve",
                                         "+*:443:10.0.0.1", "--resolve", "-a.test:80",
                                         "--connect-to", "a.test:80:b.test:8080", "--connect-to",
                                         "::[::1]:", "--happy-eyeballs-timeout-ms", "50",
                                         "--lang", "zh", "u"]),
        "trace_resolve_bad_mixed": (0, ["--resolve", "a.test:x:1.2.3.4", "--resolve", "a.test:80:",
                                  "--connect-to", "a:b:c", "--happy-eyeballs-timeout-ms", "x",
                                  "--lang", "fr", "u"]),
        "trace_request": (0, ["-X", "PUT", "-H", "X-A: 1", "-H", "@h.txt", "-A", "ag", "-e", "r",
                              "-u", "u:p", "-d", "a=1", "--data-binary", "@f", "--data-raw", "@x",
                              "--data-urlencode", "n=v", "--data-ascii", "y", "-G", "-fsSL",
                              "--fail-with-body", "--strict", "--head", "-D", "h.txt",
                              "--dump-header=-", "-i", "--url", "v", "u"]),
        "trace_request_bad": (0, ["-X", "G T", "-u", "nopass", "-A", "a\r\nb", "-I", "-d", "x",
                                  "u"]),

        "serve_all": (1, ["--bind", "::1", "--port", "0", "--tls", "--cert", "c.pem", "--key", "k.pem",
                          "--idle-timeout", "1.5", "--ndjson", "--explain", "-s", "--no-color"]),
        "serve_help": (1, ["--help"]),
        "serve_bad_port": (1, ["--port", "70000"]),
        "serve_negative_port": (1, ["--port", "-1"]),
        "serve_bad_idle": (1, ["--idle-timeout", "0"]),
        "serve_cert_without_tls": (1, ["--cert", "c.pem"]),
        "serve_key_without_cert": (1, ["--tls", "--key", "k.pem"]),
        "serve_unexpected": (1, ["extra"]),
        "serve_unknown": (1, ["--bogus"]),
        "serve_missing_value": (1, ["--port"]),
        "demo_all": (2, ["--no-explain", "--stay", "-v", "-s", "--ndjson", "--no-color"]),
        "demo_help": (2, ["-h"]),
        "demo_unknown": (2, ["--nope"]),
        "demo_unexpected": (2, ["\x1b[2J"]),
        # the options that came with outputs, retries, ranges, bodies,
        # cookies, uploads, proxies and HTTP versions: valid forms first
        "trace_outputs": (0, ["--remote-name-all", "--output-dir", "out", "--create-dirs",
                              "-O", "-o", "f", "--output-dir=o2", "u", "v"]),
        "trace_retries": (0, ["--retry", "3", "--retry-delay", "0.5", "--retry-max-time=10",
                              "--retry-all-errors", "--retry-connrefused", "-Z",
                              "--parallel-immediate", "--parallel-max", "2", "u"]),
        "trace_range_resume": (0, ["--compressed", "-r", "0-99,200-", "-C", "1234",
                                   "--limit-rate", "100k", "u"]),
        "trace_resume_current": (0, ["-C", "-", "-o", "f", "--range=500", "--limit-rate=2G", "u"]),
        "trace_rates": (0, ["--limit-rate", "1", "--limit-rate", "7b", "--limit-rate", "3M",
                            "--limit-rate", "9g", "--limit-rate", "12K", "u"]),
        "trace_form": (0, ["-F", "a=1", "-F", "f=@file.txt;type=text/plain", "--form-string",
                           "s=@literal", "-F", "g=<v.txt", "-H", "X: y", "u"]),
        "trace_cookies_upload": (0, ["-b", "a=1", "-b", "jar.txt", "--cookie=c=2", "-c", "out.jar",
                                     "--cookie-jar=o2.jar", "-T", "up.bin",
                                     "--expect100-timeout", "0.5", "u/"]),
        "trace_upload_stdin": (0, ["--upload-file", "-", "--expect100-timeout=2", "u"]),
        "trace_proxy": (0, ["-x", "http://127.0.0.1:3128", "--noproxy", "a.test,.b.test",
                            "-U", "user:pw", "-p", "--proxy=", "--proxy-user=u:", "--proxytunnel",
                            "u"]),
        "trace_http_versions": (0, ["--http1.1", "--http2", "--http2-prior-knowledge", "u"]),
        "trace_http2_last": (0, ["--http2-prior-knowledge", "--http2", "u"]),
        "trace_json_form_string": (0, ["--json", "{}", "--form-string", "a=b", "u"]),
        # and invalid ones: each refused with one sentence
        "trace_output_dir_empty": (0, ["--output-dir", "", "u"]),
        "trace_dump_header_empty": (0, ["-D", "", "u"]),
        "trace_retry_bad": (0, ["--retry", "x", "u"]),
        "trace_retry_negative": (0, ["--retry", "-1", "u"]),
        "trace_retry_empty": (0, ["--retry=", "u"]),
        "trace_retry_huge": (0, ["--retry", "99999999999999999999", "u"]),
        "trace_retry_delay_bad": (0, ["--retry-delay", "soon", "u"]),
        "trace_retry_max_time_bad": (0, ["--retry-max-time", "-3", "u"]),
        "trace_range_control": (0, ["-r", "0-\x01", "u"]),
        "trace_range_empty": (0, ["--range", "", "u"]),
        "trace_resume_bad": (0, ["-C", "ten", "u"]),
        "trace_resume_negative": (0, ["--continue-at", "-5", "u"]),
        "trace_resume_trailing": (0, ["-C", "5x", "u"]),
        "trace_resume_huge": (0, ["-C", "99999999999999999999", "u"]),
        "trace_rate_bad": (0, ["--limit-rate", "fast", "u"]),
        "trace_rate_unit_bad": (0, ["--limit-rate", "10t", "u"]),
        "trace_rate_trailing": (0, ["--limit-rate", "10kk", "u"]),
        "trace_rate_overflow": (0, ["--limit-rate", "18446744073709551615k", "u"]),
        "trace_rate_huge": (0, ["--limit-rate", "99999999999999999999999", "u"]),
        "trace_form_and_data": (0, ["-F", "a=1", "-d", "b=2", "u"]),
        "trace_upload_and_data": (0, ["-T", "f", "-d", "x", "u"]),
        "trace_upload_and_head": (0, ["-T", "f", "-I", "u"]),
        "trace_proxy_user_no_password": (0, ["-U", "user", "u"]),
        "trace_expect100_bad": (0, ["--expect100-timeout", "x", "u"]),
        "trace_too_many_cookies": (0, sum((["-b", "c%d=1" % i] for i in range(33)), []) + ["u"]),
        "trace_too_many_req_args": (0, sum((["-H", "X%d: 1" % i] for i in range(129)), []) + ["u"]),
        "trace_too_many_outputs": (0, ["-O"] * 1025 + ["u"]),
        "trace_head_with_get_data": (0, ["-I", "-G", "-d", "a=1", "u"]),
        "trace_help_long": (0, ["--help", "--limit-rate", "5k"]),
    }
    for k, (which, args) in lines.items():
        write("cli", k, bytes([which]) + b"\0".join(a.encode("latin-1") for a in args))


# ---- -w formats -----------------------------------------------------------

VARS = ["content_type", "errormsg", "exitcode", "http_code", "http_version", "local_ip", "local_port",
        "method", "num_connects", "num_redirects", "remote_ip", "remote_port", "response_code",
        "size_download", "size_header", "size_request", "size_upload", "speed_download",
        "ssl_verify_result", "time_appconnect", "time_connect", "time_namelookup", "time_pretransfer",
        "time_redirect", "time_starttransfer", "time_total", "url", "url_effective", "wt_cname_chain",
        "wt_dns_server", "wt_dns_source", "wt_error_step", "wt_tcp_mss", "wt_tcp_rtt", "wt_teardown",
        "wt_time_connect", "wt_time_dns", "wt_time_teardown", "wt_time_tls", "wt_time_transfer",
        "wt_time_wait", "wt_tls_alpn", "wt_tls_cipher", "wt_tls_version"]


def writeout_corpus():
    headers = ("Content-Type: text/html; charset=utf-8\nSet-Cookie: a=1\nset-cookie: b=2\n"
               "Location: https://example.test/\nX-Esc: \x1b[31m\xff\nServer: nginx\n")
    formats = {
        "http_code": (0, "%{http_code}\\n"),
        "curl_timings": (0, "dns %{time_namelookup} connect %{time_connect} total %{time_total}\\n"),
        "every_variable": (0, " ".join("%%{%s}" % v for v in VARS) + "\\n"),
        "every_variable_failed": (1, " ".join("%%{%s}" % v for v in VARS) + "\\n"),
        "every_variable_tty": (2, " ".join("%%{%s}" % v for v in VARS) + "\\n"),
        "json": (0, "%{json}\\n"),
        "json_failed": (1, "%{json}"),
        "header_json": (0, "%{header_json}"),
        "headers": (0, "%header{content-type}|%header{SET-COOKIE}|%header{missing}|%header{x-esc}"),
        "headers_tty": (2, "%header{x-esc} %{content_type} %{url}"),
        "unterminated": (0, "%header{content-type %{http_code"),
        "streams": (0, "out %{stderr}err %{http_code}%{stdout} out again"),
        "onerror_ok": (0, "%{onerror}failed: %{errormsg}\\n"),
        "onerror_failed": (1, "before %{onerror}failed: %{errormsg} (%{exitcode})\\n"),
        "unknown_variable": (0, "%{nope} %{} %{" + "x" * 80 + "}"),
        "escapes": (0, "a\\nb\\rc\\td\\\\e\\q%%f%g%"),
        "plain": (0, "no variables at all"),
        "lone_percent": (0, "100%"),
    }
    for k, (flags, fmt) in formats.items():
        write("writeout", k, bytes([flags]) + fmt.encode("latin-1") + b"\0" + headers.encode("latin-1"))
    long_name = "X-" + "n" * 300 + ": v\n"
    write("writeout", "long_header_name", b"\0%{header_json}\0" + long_name.encode())


# ---- URL lists ------------------------------------------------------------

def urllist_corpus():
    write("urllist", "simple", "http://a.test/\nhttps://b.test/\nc.test:8080\n")
    write("urllist", "origins", "http://a.test/1\nhttps://a.test/2\nhttp://A.test:80/3\n"
          "a.test\nhttp://a.test:8080/\nhttp://bad host/\nhttp://[::1]:80/\nhttp://a.test/6\n")
    write("urllist", "comments_and_blanks", "# my list\n\n   \n\t# indented\nhttp://a.test/  \n\n")
    write("urllist", "crlf", "http://a.test/\r\nhttp://b.test/\r\n\r\n")
    write("urllist", "no_final_newline", "  http://a.test/\t")
    write("urllist", "only_comments", "# nothing\n#\n")
    write("urllist", "utf16le", "http://a/\n".encode("utf-16-le"))
    write("urllist", "nul_between", b"a.test\0\nb.test\n")
    write("urllist", "too_long_line", "x" * 8200 + "\nhttp://after.test/\n")
    write("urllist", "longest_line", "y" * 8190 + "\n" + "z" * 8191 + "\n")


# ---- JSON writer and event scripts ----------------------------------------

class Script:
    """Input for fuzz_json, in the order its take_* functions read it."""

    def __init__(self, mode):
        self.b = bytearray([mode])

    def byte(self, v):
        self.b.append(v & 0xff)
        return self

    def int(self, v):
        mag = abs(v)
        raw = mag.to_bytes(8, "big").lstrip(b"\0")
        self.b.append(len(raw))
        self.b += raw
        self.b.append(1 if v < 0 else 0)
        return self

    def bytes(self, s):
        s = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s
        self.b.append(len(s))
        self.b += s
        return self

    def cstr(self, s, nullable=False):
        if nullable:
            self.b.append(7 if s is None else 0)
            if s is None:
                return self
        return self.bytes(s)

    def endpoint(self, addr, port, family=0):
        return self.cstr(addr).int(port).byte(family)

    def event(self, kind, phase=0, t=0):
        return self.byte(kind).byte(phase).byte(0).int(t)


def event_kinds():
    """enum wt_event_kind of include/webtrace/event.h: name (without WT_EV_)
    to number, in declaration order."""
    import re
    with open(os.path.join(HERE, "..", "..", "include", "webtrace", "event.h")) as f:
        text = f.read()
    body = text[text.index("enum wt_event_kind {"):]
    body = body[:body.index("};")]
    names = re.findall(r"^\s*WT_EV_([A-Z0-9_]+)\s*[,=\n/]", body, re.M)
    return {n: i for i, n in enumerate(names)}


def json_corpus():
    # mode 0: the writer, one op per byte (0 object, 1 array, 2 string,
    # 3 cstring, 4 int, 5 bool, 6 null, 7 seconds, 8 millis, 10 close)
    # (inside an object every op, a close too, is followed by its key)
    doc = Script(0).byte(0)
    doc.byte(2).bytes("name").bytes("caf\xc3\xa9 \x1b \xff")
    doc.byte(4).bytes("n").int(-1234567890123)
    doc.byte(1).bytes("list")
    doc.byte(5 | 0x80).byte(6).byte(7).int(1520).byte(8).int(-5).byte(0).byte(10).bytes("")
    doc.byte(10).byte(3).bytes("k").cstr(None, True).byte(10).bytes("")
    write("json", "writer_document", bytes(doc.b))
    deep = Script(0)
    for _ in range(20):
        deep.byte(1)
    write("json", "writer_deep", bytes(deep.b))

    # an http trace as events: kinds are enum wt_event_kind's numbers, read
    # from the header so new kinds never shift the corpus out of step
    kinds = event_kinds()
    (PHASE, URL, DNS_START, DNS_LITERAL, DNS_QUERY, DNS_REPLY, DNS_RECORD, DNS_TCP_RETRY, DNS_DONE,
     TCP_ATTEMPT, TCP_FAILED, TCP_ESTABLISHED, TLS_HELLO, TLS_DONE, TLS_CERT, TLS_VERIFY, TLS_CLOSE,
     HTTP_REQUEST, HTTP_STATUS, HTTP_HEADER, HTTP_HEADERS_DONE, HTTP_BODY_DONE, TCP_TEARDOWN,
     SERVE_LISTEN, SERVE_ACCEPT, SERVE_TLS, SERVE_REQUEST, SERVE_RESPONSE, SERVE_DROP, SUMMARY,
     ERROR) = (kinds[n] for n in (
         "PHASE", "URL", "DNS_START", "DNS_LITERAL", "DNS_QUERY", "DNS_REPLY", "DNS_RECORD",
         "DNS_TCP_RETRY", "DNS_DONE", "TCP_ATTEMPT", "TCP_FAILED", "TCP_ESTABLISHED", "TLS_HELLO",
         "TLS_DONE", "TLS_CERT", "TLS_VERIFY", "TLS_CLOSE", "HTTP_REQUEST", "HTTP_STATUS",
         "HTTP_HEADER", "HTTP_HEADERS_DONE", "HTTP_BODY_DONE", "TCP_TEARDOWN", "SERVE_LISTEN",
         "SERVE_ACCEPT", "SERVE_TLS", "SERVE_REQUEST", "SERVE_RESPONSE", "SERVE_DROP", "SUMMARY",
         "ERROR"))
    for mode in (1, 2):
        s = Script(mode)
        s.event(PHASE).byte(0).cstr("www.example.test").int(1764410000000000)
        s.event(URL).cstr("www.example.test").cstr("https://www.example.test/?a=1&b").cstr(
            "www.example.test").byte(0).int(443).byte(0).byte(1).cstr("/?a=1&b&=c")
        s.event(DNS_START, 1).cstr("www.example.test").byte(2).endpoint("127.0.0.1", 53).endpoint(
            "::1", 5353, 1).byte(1).byte(0)
        s.event(DNS_QUERY, 1).endpoint("127.0.0.1", 53).endpoint("127.0.0.1", 41000).byte(0).int(
            0x3f1c).int(1).cstr("www.example.test").int(34)
        s.event(DNS_REPLY, 1).endpoint("127.0.0.1", 53).byte(0).int(0x3f1c).int(1).cstr(
            "www.example.test").byte(0).byte(0).byte(1).byte(2).byte(80).int(310)
        s.event(DNS_RECORD, 1).cstr("www.example.test").int(5).int(60).cstr("web.example.test")
        s.event(DNS_RECORD, 1).cstr("web.example.test").int(1).int(300).cstr("127.0.0.1")
        s.event(DNS_DONE, 1).cstr("www.example.test").byte(0).byte(1).endpoint("127.0.0.1", 0).int(400).int(28)
        s.event(TCP_ATTEMPT, 2).endpoint("127.0.0.1", 443).byte(1).byte(1)
        s.event(TCP_ESTABLISHED, 2).endpoint("127.0.0.1", 41822).endpoint("127.0.0.1", 443).int(80).byte(
            1).int(30).int(32741).byte(1)
        s.event(TLS_HELLO, 3).cstr("www.example.test", True).cstr("http/1.1", True)
        s.event(TLS_DONE, 3).int(900).cstr("TLSv1.3").cstr("TLS_AES_256_GCM_SHA384").cstr(
            "X25519", True).cstr("http/1.1", True).byte(0)
        s.event(TLS_CERT, 3).byte(0).cstr("CN=www.example.test").cstr("CN=Test CA \xc3\xa9").cstr(
            "2026-01-01").cstr("2027-01-01").int(33).cstr("DNS:www.example.test", True).cstr(
            "www.example.test", True)
        s.event(TLS_VERIFY, 3).byte(1).byte(0).int(0).cstr("ok", True)
        s.event(HTTP_REQUEST, 4).cstr("GET").cstr("/?a=1&b").cstr("www.example.test").byte(3).int(
            84).cstr("GET /?a=1&b HTTP/1.1\r\nHost: www.example.test\r\nAccept: */*\r\n\r\n")
        s.event(HTTP_STATUS, 5).byte(1).byte(1).int(200).bytes("OK \xff").int(210)
        s.event(HTTP_HEADER, 6).bytes("Content-Type").bytes("text/html").byte(0)
        s.event(HTTP_HEADER, 6).bytes("Location").bytes("/next \x1b").byte(1)
        s.event(HTTP_HEADERS_DONE, 6).byte(2).int(120).byte(1).int(1024).byte(1)
        s.event(HTTP_BODY_DONE, 6).int(1024).byte(1).int(20).cstr("stdout")
        s.event(TLS_CLOSE, 7).byte(1).byte(1)
        s.event(TCP_TEARDOWN, 7).byte(0).byte(0).byte(0).byte(1).byte(3).byte(4).byte(5).byte(6).byte(
            1).int(60000).byte(1).int(50)
        s.event(SUMMARY, 8).int(400).int(80).int(900).int(210).int(20).int(1700).int(50)
        s.event(PHASE, 0).byte(0).cstr("bad.test").int(1764410000000000)
        s.event(TCP_FAILED, 2).endpoint("127.0.0.1", 81).endpoint("127.0.0.1", 0).byte(111).int(40)
        s.event(ERROR, 9).cstr("tcp").byte(7).cstr("connection refused")
        s.event(SUMMARY, 9).int(-1).int(-1).int(-1).int(-1).int(-1).int(40).int(-1)
        s.event(SERVE_LISTEN, 10).endpoint("0.0.0.0", 8080).byte(128).byte(0).cstr("everyone")
        s.event(SERVE_ACCEPT, 10).int(1).endpoint("127.0.0.1", 50000).endpoint("127.0.0.1", 8080).byte(1)
        s.event(SERVE_TLS, 10).int(1).cstr("TLSv1.3").cstr("TLS_AES_128_GCM_SHA256")
        s.event(SERVE_REQUEST, 10).int(1).byte(1).cstr("GET").bytes("/bytes/10?x=\x00").int(78).byte(
            2).byte(1)
        s.event(SERVE_RESPONSE, 10).int(1).int(200).int(10).int(150).int(90).byte(0)
        s.event(SERVE_DROP, 10).int(2).cstr("idle timeout")
        s.event(DNS_LITERAL, 1).cstr("::1")
        s.event(DNS_TCP_RETRY, 1).endpoint("127.0.0.1", 53)
        # the kinds after transfer_done: a kind byte from 0xf0 (see fuzz_json.c)
        PROXY, PROXY_CONNECT, PROXY_REPLY = 0xf0, 0xf1, 0xf2
        s.event(PROXY, 0).byte(1).cstr("www.example.test").cstr("http://proxy.test:3128").cstr(
            "proxy.test").int(3128).byte(1).byte(1).cstr("")
        s.event(PROXY_CONNECT, 2).cstr("www.example.test:443").cstr(
            "CONNECT www.example.test:443 HTTP/1.1\r\nHost: www.example.test:443\r\n\r\n").byte(
            1).byte(1)
        s.event(PROXY_REPLY, 2).int(200).bytes("Connection established \xff").int(300).byte(1)
        s.event(PROXY_REPLY, 2).int(407).bytes("Proxy Authentication Required").int(90).byte(0)
        s.event(PROXY, 0).byte(0).cstr("o.test").cstr("").cstr("").int(0).byte(0).byte(0).cstr(
            ".test, 10.0.0.0/8 \x1b")
        write("json", "events_%s" % ("ndjson" if mode == 1 else "har"), bytes(s.b))
    write("json", "string_mixed", b"\x03" + "caf\u00e9 \u4f60\U0001f600 \x1b\x7f \"\\".encode() + b"\xff\xc0\xaf")
    write("json", "string_long", b"\x03" + ("\u00e9" * 700).encode() + b"\x80" * 7 + "\U0001f600".encode() * 300)


def reqspec_corpus():
    """fuzz_reqspec: a flags byte (1 -I, 2 -G, 4 -d from a file, 8
    --data-urlencode from a file, 16 a URL with port and query, 32 -T, 64
    -T -), then NUL-separated fields: a kind byte (H d b u j X A e U T)
    and its value."""
    def spec(flags, *fields):
        return bytes([flags]) + b"\0".join(fields)
    write("reqspec", "headers", spec(0, b"HX-A: 1", b"HAccept:", b"HX-E;", b"HHost: o.test",
                                     b"HUser-Agent: me", b"Hbad header", b"HX:\r\nY: 1"))
    write("reqspec", "form", spec(16, b"da=1", b"db=2", b"un=a b&c", b"u=x", b"uplain",
                                  b"XPATCH", b"Aagent", b"ehttp://r/", b"Uuser:pw"))
    write("reqspec", "files", spec(4 | 8, b"da=\r\n1\n", b"bbin\n", b"uf=x y\n"))
    write("reqspec", "get_head", spec(1 | 2 | 16, b"da=1", b"HContent-Type: text/plain"))
    write("reqspec", "json", spec(0, b"j{\"a\":", b"j1}", b"HAccept: x", b"HContent-Length:"))
    write("reqspec", "upload", spec(32 | 16, b"bfile bytes", b"Ta%20b.txt", b"HExpect:"))
    write("reqspec", "upload_dir", spec(32, b"bfile bytes", b"Tname.txt", b"XPOST"))
    write("reqspec", "upload_stdin", spec(32 | 64, b"b5\r\nhello\r\n0\r\n\r\n",
                                          b"HExpect: 100-continue"))


def decode_corpus():
    """fuzz_decode: a step byte, the Content-Encoding value, NUL, the body.
    br and zstd bodies are fixed bytes (python has no encoder for them):
    "hello hello hello webtrace\\n" coded by libbrotli 1.0.9 and zstd 1.5.4."""
    import gzip
    import zlib
    text = b"hello hello hello webtrace\n"
    br = bytes.fromhex("1b1a00000494713ea131bf0ef67a0fa28828c9c843f3787aeacd6a05")
    zs = bytes.fromhex("28b52ffd0458ad00007868656c6c6f2077656274726163650a0100e14a11bf7c10c1")
    gz = gzip.compress(text, mtime=0)
    co = zlib.compressobj(wbits=-15)
    raw = co.compress(text) + co.flush()

    def case(step, header, body):
        return bytes([step]) + header + b"\0" + body
    write("decode", "gzip", case(255, b"gzip", gz))
    write("decode", "gzip_bytewise", case(0, b"x-gzip", gz))
    write("decode", "deflate_zlib", case(3, b"deflate", zlib.compress(text)))
    write("decode", "deflate_raw", case(1, b"deflate", raw + b"1234"))
    write("decode", "br", case(7, b"br", br))
    write("decode", "zstd_two_frames", case(5, b"zstd", zs + zs))
    write("decode", "stacked_bad_inner", case(255, b"gzip, identity;zstd", zs))
    write("decode", "list_spaces", case(255, b" gzip ,, br ", br))
    write("decode", "six", case(255, b"br,br,br,br,br,br", br))
    write("decode", "unknown", case(255, b"compress", text))
    write("decode", "trailing", case(255, b"gzip", gz + b"x"))
    write("decode", "truncated_br", case(255, b"br", br[:9]))


def cookiefile_corpus():
    """fuzz_cookiefile: a -b cookie file (Netscape lines, Set-Cookie lines),
    each line also taken as a Set-Cookie header."""
    write("cookiefile", "netscape", b"# Netscape HTTP Cookie File\n\n"
          b".example.test\tTRUE\t/\tFALSE\t0\tdom\t1\n"
          b"www.example.test\tFALSE\t/p\tTRUE\t4102444800\tp\t2\r\n"
          b"#HttpOnly_www.example.test\tFALSE\t/\tFALSE\t0\tho\t3\n"
          b"www.example.test\tFALSE\tFALSE\t0\tnopath\t5\n"
          b"www.example.test\tFALSE\t/\tFALSE\t0\tempty\n"
          b"a\tb\tc\n")
    write("cookiefile", "headers",
          b"Set-Cookie: a=1; Domain=example.test; Path=/; Secure; HttpOnly\n"
          b"Set-Cookie: b=2\n"
          b"c=3; Max-Age=60; Expires=Wed, 09 Jun 2100 10:18:14 GMT\n"
          b"d=4; Expires=Sunday, 06-Nov-94 08:49:37 GMT\n"
          b"e=5; Expires=Sun Nov  6 08:49:37 2094; Path=/a\n"
          b"e=; Max-Age=0; Path=/a\n"
          b"f=6; Domain=other.test\n__Secure-g=7; Secure\n__Host-h=8; Secure; Path=/\n"
          b"novalue\n=empty\nctl=a\x01b\n i = j ; path=\"/q\"; max-age=-5; unknown=1\n")


def proxy_corpus():
    """fuzz_proxy: a mode byte, then 0: a proxy's answer to CONNECT; 1:
    NUL-separated fields (URL, -x, --noproxy, -U, then http_proxy,
    https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY, no_proxy, NO_PROXY;
    \x01 is unset); 2: a host, NUL, a no-proxy list."""
    U = b"\x01"
    for name, head in (
            ("reply_200", b"HTTP/1.1 200 Connection established\r\n\r\n"),
            ("reply_407", b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                          b"Proxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n"),
            ("reply_bare_lf", b"HTTP/1.0 403 Forbidden\nServer: tinyproxy\n\n"),
            ("reply_no_reason", b"HTTP/1.1 200\r\n\r\n"),
            ("reply_not_http", b"SSH-2.0-OpenSSH\r\n"),
            ("reply_partial", b"HTTP/1.1 200 OK\r\nVia: x\r\n"),
            ("reply_http2", b"HTTP/2 200\r\n\r\n")):
        write("proxy", name, b"\0" + head)

    def fields(*f):
        return b"\1" + b"\0".join(f)
    write("proxy", "choose_x", fields(b"https://o.test/", b"http://u:p%40@proxy.test:3128/",
                                      U, U, U, U, U, U, U, U, U))
    write("proxy", "choose_x_user", fields(b"http://o.test:8080/a", b"proxy.test", b"", b"us:pw"))
    write("proxy", "choose_env_http", fields(b"http://o.test/", U, U, U, b"127.0.0.1:3128",
                                             U, U, U, U, U, U))
    write("proxy", "choose_env_https", fields(b"https://[::1]:8443/", U, U, b"p", U, b"",
                                              b"[::1]:3128", U, U, U, U))
    write("proxy", "choose_env_all", fields(b"http://o.test/", U, U, U, b"", U, U, b"",
                                            b"socks5://s.test", U, U))
    write("proxy", "choose_noproxy", fields(b"http://www.o.test/", b"p.test:1", U, U, U, U, U,
                                            U, U, U, b".o.test, 10.0.0.0/8"))
    write("proxy", "choose_noproxy_opt", fields(b"http://10.1.2.3/", U, b"10.0.0.0/8",
                                                U, b"p.test", U, U, U, U, b"*", U))
    write("proxy", "choose_bad", fields(b"http://o.test/", b"[::1", U, U))
    write("proxy", "choose_scheme", fields(b"http://o.test/", b"gopher://p.test", U, U))
    write("proxy", "choose_ports", fields(b"http://o.test/", b"p.test:65536", U, U))
    write("proxy", "choose_v6", fields(b"http://o.test/", b"http://[::1]:0", U, U))
    for name, host, lst in (
            ("match_suffix", b"www.example.test", b"example.test."),
            ("match_list", b"www.example.test", b" a.test ,.example.test"),
            ("match_star", b"o.test", b"*"),
            ("match_cidr", b"192.168.1.7", b"192.168.0.0/16,10.0.0.1/0,1.2.3.4/33"),
            ("match_v6", b"::1", b"::1/128,::1"),
            ("match_trailing_dot", b"example.test.", b"example.test")):
        write("proxy", name, b"\2" + host + b"\0" + lst)


# ---- HTTP/2 server frames --------------------------------------------------

def h2_frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def h2_corpus():
    """Input: piece size, flags (fuzz_h2.c), then what a server sends."""
    DATA, HEADERS, RST, SETTINGS, PING, GOAWAY, WINDOW = 0, 1, 3, 4, 6, 7, 8
    settings = h2_frame(SETTINGS, 0, 0, struct.pack(">HIHIHI", 3, 128, 4, 65536, 5, 16384))
    ack = h2_frame(SETTINGS, 1, 0)
    status_200 = b"\x88"                       # :status 200, static index 8
    clen = b"\x0f\x0d\x02" + b"10"             # content-length: 10
    ctype = b"\x0f\x10\x09text/html"           # content-type (index 31)
    ok = settings + ack + h2_frame(HEADERS, 4, 1, status_200 + clen + ctype)
    body = h2_frame(DATA, 0, 1, b"hello") + h2_frame(DATA, 1, 1, b"world")
    write("h2", "ok_whole", b"\xff\x00" + ok + body)
    write("h2", "ok_bytewise", b"\x01\x00" + ok + body)
    write("h2", "ok_write_fails", b"\x40\x02" + ok + body)
    write("h2", "head_end_stream", b"\x40\x01" + settings + h2_frame(HEADERS, 5, 1, status_200 + clen))
    write("h2", "interim_then_final", b"\x20\x00" + settings +
          h2_frame(HEADERS, 4, 1, b"\x08\x03103") + h2_frame(HEADERS, 5, 1, status_200))
    write("h2", "trailers", b"\x20\x00" + ok + h2_frame(DATA, 0, 1, b"0123456789") +
          h2_frame(HEADERS, 5, 1, b"\x40\x02x-t\x01y"))
    write("h2", "continuation", b"\x30\x00" + settings + h2_frame(HEADERS, 0, 1, status_200) +
          h2_frame(9, 4, 1, ctype) + h2_frame(DATA, 1, 1, b""))
    write("h2", "padded_data", b"\x30\x00" + ok + h2_frame(DATA, 9, 1, b"\x03" + b"0123456789" + b"\0\0\0"))
    write("h2", "rst_stream", b"\x30\x00" + settings + h2_frame(RST, 0, 1, struct.pack(">I", 1)))
    write("h2", "goaway_mid", b"\x30\x00" + ok + h2_frame(DATA, 0, 1, b"hel") +
          h2_frame(GOAWAY, 0, 0, struct.pack(">II", 1, 1)))
    write("h2", "ping_window", b"\x30\x04" + settings + h2_frame(PING, 0, 0, b"12345678") +
          h2_frame(WINDOW, 0, 0, struct.pack(">I", 100000)) +
          h2_frame(WINDOW, 0, 1, struct.pack(">I", 100000)) + ok + body)
    write("h2", "bad_settings", b"\x30\x00" + h2_frame(SETTINGS, 0, 0, b"\0\3\0\0\0"))
    write("h2", "data_on_stream_0", b"\x30\x00" + settings + h2_frame(DATA, 0, 0, b"x"))
    write("h2", "settings_flood", b"\xff\x00" + h2_frame(SETTINGS, 0, 0, struct.pack(">HI", 3, 1)) * 1200)
    # two streams at once (-Z): their frames interleave, one is reset
    ok3 = h2_frame(HEADERS, 4, 3, status_200 + clen)
    write("h2", "two_streams", b"\x30\x08" + ok + ok3 + h2_frame(DATA, 0, 3, b"hel") + body +
          h2_frame(DATA, 1, 3, b"lo"))
    write("h2", "two_streams_one_reset", b"\x30\x08" + ok + ok3 +
          h2_frame(RST, 0, 3, struct.pack(">I", 2)) + body)
    write("h2", "first_given_up", b"\x30\x18" + ok + ok3 + body + h2_frame(DATA, 1, 3, b"hello"))
    write("h2", "broken_under_two", b"\x30\x28" + ok + h2_frame(DATA, 0, 1, b"hel"))


def h2_server_corpus():
    """Input: piece size, flags (fuzz_h2_server.c), then what a client sends
    after its preface."""
    DATA, HEADERS, RST, SETTINGS, PING, GOAWAY, WINDOW = 0, 1, 3, 4, 6, 7, 8
    settings = h2_frame(SETTINGS, 0, 0, struct.pack(">HIHI", 3, 100, 4, 33554432))
    ack = h2_frame(SETTINGS, 1, 0)
    # :method GET, :scheme https, :path /, :authority x (HPACK static indexes)
    get = b"\x82\x87\x84\x41\x01x"
    post = b"\x83\x87\x44\x05/echo\x41\x01x"
    req1 = h2_frame(HEADERS, 5, 1, get)
    write("h2_server", "get", b"\xff\x00" + settings + ack + req1)
    write("h2_server", "get_bytewise", b"\x01\x01" + settings + ack + req1)
    write("h2_server", "get_body_window", b"\x40\x01" + settings + req1 +
          h2_frame(WINDOW, 0, 0, struct.pack(">I", 1 << 20)) +
          h2_frame(WINDOW, 0, 1, struct.pack(">I", 1 << 20)))
    write("h2_server", "post_body", b"\x30\x00" + settings + h2_frame(HEADERS, 4, 1, post) +
          h2_frame(DATA, 0, 1, b"hello") + h2_frame(DATA, 1, 1, b" world"))
    write("h2_server", "three_streams_later", b"\x30\x03" + settings + req1 +
          h2_frame(HEADERS, 5, 3, get) + h2_frame(HEADERS, 5, 5, get) +
          h2_frame(WINDOW, 0, 0, struct.pack(">I", 1 << 20)))
    write("h2_server", "reset_by_client", b"\x30\x03" + settings + req1 +
          h2_frame(RST, 0, 1, struct.pack(">I", 8)))
    write("h2_server", "ping_goaway", b"\x30\x04" + settings + h2_frame(PING, 0, 0, b"12345678") +
          req1 + h2_frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0)))
    write("h2_server", "data_on_stream_0", b"\x30\x00" + settings + h2_frame(DATA, 0, 0, b"x"))
    write("h2_server", "bad_preface", b"\x30\x08GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    write("h2_server", "trailers", b"\x30\x00" + settings + h2_frame(HEADERS, 4, 1, post) +
          h2_frame(DATA, 0, 1, b"abc") + h2_frame(HEADERS, 5, 1, b"\x40\x02x-t\x01y"))
    write("h2_server", "continuation", b"\x30\x00" + settings + h2_frame(HEADERS, 1, 1, get[:3]) +
          h2_frame(9, 4, 1, get[3:]))


def main():
    decode_corpus()
    cookiefile_corpus()
    proxy_corpus()
    h2_corpus()
    h2_server_corpus()
    reqspec_corpus()
    dns_corpora()
    http_corpus()
    url_corpus()
    escape_corpus()
    cli_corpus()
    writeout_corpus()
    urllist_corpus()
    json_corpus()
    total = 0
    for root, _, files in os.walk(CORPUS):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"corpus: {total // 1024} KiB in {CORPUS}", file=sys.stderr)


if __name__ == "__main__":
    main()
