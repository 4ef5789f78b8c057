/* dnsmsg: RFC 1035 message decoding for narration. Every read is checked
 * against the buffer length; names come out in escaped presentation form so
 * they are printable as they are. */
#include "webtrace/dnsmsg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

enum {
    HEADER_LEN = 12,
    NAME_WIRE_MAX = 255,   /* RFC 1035 §2.3.4, length octets included */
    MAX_POINTER_HOPS = 64, /* far more than any real compressor produces */
    RR_FIXED_LEN = 10,     /* type, class, ttl, rdlength */
};

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int label_char_plain(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

/* Appends one label byte in presentation form. Fails rather than truncates:
 * a cut name could read as a different, valid one. */
static int put_label_char(char *out, size_t *used, uint8_t c)
{
    char esc[4];
    size_t n;
    if (label_char_plain(c)) {
        esc[0] = (char)c;
        n = 1;
    } else if (c == '.') {
        esc[0] = '\\';
        esc[1] = '.';
        n = 2;
    } else {
        esc[0] = '\\';
        esc[1] = (char)('0' + c / 100);
        esc[2] = (char)('0' + c / 10 % 10);
        esc[3] = (char)('0' + c % 10);
        n = 4;
    }
    if (n > WT_DNS_NAME_MAX - 1 - *used)
        return -1;
    memcpy(out + *used, esc, n);
    *used += n;
    return 0;
}

/* Decodes the name at msg[pos] into out (WT_DNS_NAME_MAX bytes) and sets
 * *next to the first byte after the name as it sits at pos. Pointers must
 * point strictly backwards and past the header, and are counted, so a loop
 * or a chain cannot run away. */
static int read_name(const uint8_t *msg, size_t len, size_t pos, char *out, size_t *next)
{
    size_t used = 0, wire = 1, resume = 0;
    int hops = 0;

    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t c = msg[pos];
        if ((c & 0xc0) == 0xc0) {
            if (len - pos < 2)
                return -1;
            size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
            if (target >= pos || target < HEADER_LEN || ++hops > MAX_POINTER_HOPS)
                return -1;
            if (hops == 1)
                resume = pos + 2;
            pos = target;
            continue;
        }
        /* 0x40 and 0x80: extended label types (RFC 6891 §5), unused */
        if (c & 0xc0)
            return -1;
        if (c == 0) {
            pos++;
            break;
        }
        wire += 1 + (size_t)c;
        if (wire > NAME_WIRE_MAX || c > len - pos - 1)
            return -1;
        if (used > 0) {
            if (used >= WT_DNS_NAME_MAX - 1)
                return -1;
            out[used++] = '.';
        }
        for (size_t i = 1; i <= c; i++)
            if (put_label_char(out, &used, msg[pos + i]) < 0)
                return -1;
        pos += 1 + (size_t)c;
    }
    if (used == 0)
        out[used++] = '.';
    out[used] = '\0';
    *next = hops ? resume : pos;
    return 0;
}

/* Decodes one resource record at *pos and advances past it. */
static int read_record(const uint8_t *msg, size_t len, size_t *pos, struct wt_dns_record *r)
{
    size_t p;
    if (read_name(msg, len, *pos, r->name, &p) < 0 || len - p < RR_FIXED_LEN)
        return -1;
    r->type = get16(msg + p);
    r->rclass = get16(msg + p + 2);
    r->ttl = get32(msg + p + 4);
    size_t rdlen = get16(msg + p + 8);
    p += RR_FIXED_LEN;
    if (rdlen > len - p)
        return -1;

    const uint8_t *rdata = msg + p;
    size_t name_end;
    switch (r->type) {
    case WT_DNS_TYPE_A:
        if (rdlen != 4 || !inet_ntop(AF_INET, rdata, r->data, sizeof r->data))
            return -1;
        break;
    case WT_DNS_TYPE_AAAA:
        if (rdlen != 16 || !inet_ntop(AF_INET6, rdata, r->data, sizeof r->data))
            return -1;
        break;
    case WT_DNS_TYPE_CNAME:
    case WT_DNS_TYPE_NS:
    case WT_DNS_TYPE_PTR:
        /* Bounded at the rdata's end: the name must not spill into the
         * next record (pointers out of the rdata still reach backwards). */
        if (read_name(msg, p + rdlen, p, r->data, &name_end) < 0 || name_end != p + rdlen)
            return -1;
        break;
    default:
        r->data[0] = '\0';
        break;
    }
    *pos = p + rdlen;
    return 0;
}

int wt_dns_msg_decode(const uint8_t *buf, size_t len, struct wt_dns_msg *out)
{
    memset(out, 0, sizeof *out);
    if (!buf || len < HEADER_LEN)
        return -1;

    uint16_t flags = get16(buf + 2);
    out->id = get16(buf);
    out->is_response = flags >> 15 & 1;
    out->opcode = flags >> 11 & 15;
    out->aa = flags >> 10 & 1;
    out->tc = flags >> 9 & 1;
    out->rd = flags >> 8 & 1;
    out->ra = flags >> 7 & 1;
    out->rcode = flags & 15;
    out->qdcount = get16(buf + 4);
    out->ancount = get16(buf + 6);
    out->nscount = get16(buf + 8);
    out->arcount = get16(buf + 10);

    size_t pos = HEADER_LEN;
    for (unsigned q = 0; q < out->qdcount; q++) {
        char other[WT_DNS_NAME_MAX];
        char *name = q == 0 ? out->qname : other;
        if (read_name(buf, len, pos, name, &pos) < 0 || len - pos < 4)
            return -1;
        if (q == 0) {
            out->qtype = get16(buf + pos);
            out->qclass = get16(buf + pos + 2);
        }
        pos += 4;
    }
    out->answers_at = pos;

    while (out->n_answers < out->ancount && out->n_answers < WT_DNS_MAX_RECORDS) {
        struct wt_dns_record *r = &out->answers[out->n_answers];
        if (read_record(buf, len, &pos, r) < 0) {
            memset(r, 0, sizeof *r);
            break;
        }
        out->n_answers++;
    }
    return 0;
}

int wt_dns_msg_next_answer(const uint8_t *buf, size_t len, size_t *pos,
                           struct wt_dns_record *r)
{
    memset(r, 0, sizeof *r);
    if (!buf || *pos > len || read_record(buf, len, pos, r) < 0) {
        memset(r, 0, sizeof *r);
        return -1;
    }
    return 0;
}

const char *wt_dns_type_name(uint16_t type, char *buf, size_t buflen)
{
    switch (type) {
    case WT_DNS_TYPE_A: return "A";
    case WT_DNS_TYPE_NS: return "NS";
    case WT_DNS_TYPE_CNAME: return "CNAME";
    case WT_DNS_TYPE_SOA: return "SOA";
    case WT_DNS_TYPE_PTR: return "PTR";
    case WT_DNS_TYPE_MX: return "MX";
    case WT_DNS_TYPE_TXT: return "TXT";
    case WT_DNS_TYPE_AAAA: return "AAAA";
    case WT_DNS_TYPE_OPT: return "OPT";
    }
    if (!buf || buflen == 0)
        return "TYPE?";
    snprintf(buf, buflen, "TYPE%u", (unsigned)type);
    return buf;
}

const char *wt_dns_rcode_name(int rcode, char *buf, size_t buflen)
{
    static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL",
                                         "NXDOMAIN", "NOTIMP", "REFUSED" };
    if (rcode >= 0 && (size_t)rcode < sizeof names / sizeof names[0])
        return names[rcode];
    if (!buf || buflen == 0)
        return "RCODE?";
    snprintf(buf, buflen, "RCODE%d", rcode);
    return buf;
}
