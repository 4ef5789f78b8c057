/* libFuzzer: any bytes as a DNS message. Decoded names and data must be
 * printable (they reach the terminal as they are), and so must the names
 * given to its rcode and record types, whatever their numbers. Reading the
 * answers one by one must give the records the struct keeps, then go on
 * (never past ancount, always forwards, never past the end). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/dnsmsg.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct wt_dns_msg m;
    if (wt_dns_msg_decode(data, size, &m) != 0)
        return 0;
    check_printable(m.qname);
    if (m.n_answers > WT_DNS_MAX_RECORDS)
        abort();
    char buf[16];
    check_printable(wt_dns_rcode_name(m.rcode, buf, sizeof buf));
    check_printable(wt_dns_rcode_name(m.rcode + (m.id & 0xff0), NULL, 0));
    check_printable(wt_dns_type_name(m.qtype, buf, sizeof buf));
    for (size_t i = 0; i < m.n_answers; i++) {
        check_printable(m.answers[i].name);
        check_printable(m.answers[i].data);
        check_printable(wt_dns_type_name(m.answers[i].type, buf, sizeof buf));
        check_printable(wt_dns_type_name(m.answers[i].type, NULL, 0));
    }
    size_t pos = m.answers_at, n = 0;
    if (pos > size)
        abort();
    struct wt_dns_record r;
    while (n < m.ancount) {
        size_t before = pos;
        if (wt_dns_msg_next_answer(data, size, &pos, &r) != 0) {
            if (pos != before)
                abort();
            break;
        }
        if (pos <= before || pos > size)
            abort();
        check_printable(r.name);
        check_printable(r.data);
        if (n < m.n_answers && (strcmp(r.name, m.answers[n].name) != 0 ||
                                strcmp(r.data, m.answers[n].data) != 0 ||
                                r.type != m.answers[n].type || r.ttl != m.answers[n].ttl))
            abort();
        n++;
    }
    /* the struct keeps the first records the reader gives, up to its cap */
    if (m.n_answers != (n < WT_DNS_MAX_RECORDS ? n : WT_DNS_MAX_RECORDS))
        abort();
    return 0;
}
