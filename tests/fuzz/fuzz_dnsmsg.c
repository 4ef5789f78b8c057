/* libFuzzer: any bytes as a DNS message. Decoded names and data must be
 * printable (they reach the terminal as they are), and so must the names
 * given to its rcode and record types, whatever their numbers. */
#include <stdint.h>
#include <stdlib.h>

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
    return 0;
}
