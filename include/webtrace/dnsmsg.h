/* dnsmsg: decode a DNS message (RFC 1035) as seen on the wire, so the
 * narration can show ids, flags, rcodes and records of the real packets.
 * Pure and bounds-checked: any byte string is safe input. */
#ifndef WEBTRACE_DNSMSG_H
#define WEBTRACE_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define WT_DNS_NAME_MAX 256      /* presentation form incl. NUL (255 + NUL) */
/* Answer records copied into struct wt_dns_msg; a reply may carry
 * thousands (a 64 KiB TCP answer), read them all with wt_dns_msg_next_answer. */
#define WT_DNS_MAX_RECORDS 32

enum wt_dns_type {
    WT_DNS_TYPE_A = 1,
    WT_DNS_TYPE_NS = 2,
    WT_DNS_TYPE_CNAME = 5,
    WT_DNS_TYPE_SOA = 6,
    WT_DNS_TYPE_PTR = 12,
    WT_DNS_TYPE_MX = 15,
    WT_DNS_TYPE_TXT = 16,
    WT_DNS_TYPE_AAAA = 28,
    WT_DNS_TYPE_OPT = 41
};

struct wt_dns_record {
    char name[WT_DNS_NAME_MAX];  /* owner, presentation form, escaped as \DDD for
                                    bytes outside [A-Za-z0-9-_] and '.' in labels */
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    /* type-specific rdata: A/AAAA -> addr (text), CNAME/NS/PTR -> target */
    char data[WT_DNS_NAME_MAX];
};

struct wt_dns_msg {
    uint16_t id;
    int is_response;     /* QR */
    int opcode;
    int aa, tc, rd, ra;
    int rcode;           /* 4-bit header rcode */
    uint16_t qdcount, ancount, nscount, arcount;
    char qname[WT_DNS_NAME_MAX];  /* first question, if qdcount >= 1 */
    uint16_t qtype;
    uint16_t qclass;
    size_t n_answers;             /* records decoded into answers[] (<= ancount) */
    size_t answers_at;            /* offset of the first answer record */
    struct wt_dns_record answers[WT_DNS_MAX_RECORDS];
};

/* Decodes len bytes at buf. Returns 0 on success, -1 when the header or the
 * question is malformed (answers that fail to decode are skipped: decoding
 * stops and n_answers counts those that did). Compression pointers are
 * followed with loop protection. */
int wt_dns_msg_decode(const uint8_t *buf, size_t len, struct wt_dns_msg *out);

/* "A", "AAAA", "CNAME", ... or "TYPE65" style into a static table / buf */
/* Reads the answer record at *pos of the message decoded into m (start with
 * *pos = m->answers_at) and moves *pos past it. Returns 0, or -1 when the
 * record is malformed or runs past len: the rest of the message cannot be
 * read either. The caller counts records against m->ancount. */
int wt_dns_msg_next_answer(const uint8_t *buf, size_t len, size_t *pos,
                           struct wt_dns_record *r);

const char *wt_dns_type_name(uint16_t type, char *buf, size_t buflen);
/* "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", or "RCODE12" */
const char *wt_dns_rcode_name(int rcode, char *buf, size_t buflen);

#endif
