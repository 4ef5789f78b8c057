/* libFuzzer: any bytes as a query to the demo zone; a reply must fit its
 * buffer and decode. */
#include <stdint.h>
#include <stdlib.h>

#include "webtrace/dnsmsg.h"
#include "webtrace/dnsserver.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    uint8_t reply[512];
    size_t n = wt_dns_zone_answer(&wt_demo_zone, data, size, reply, sizeof reply);
    if (n > sizeof reply)
        abort();
    struct wt_dns_msg m;
    if (n && wt_dns_msg_decode(reply, n, &m) != 0)
        abort();
    return 0;
}
