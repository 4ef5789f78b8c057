/* The pool's offer of a shared HTTP/2 connection: a connection carrying
 * streams is handed to the origin's next request, without leaving the
 * pool's shared list, only while the server's SETTINGS leave room for
 * one more stream. No sockets: the session is fed canned frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "webtrace/h2.h"
#include "webtrace/http.h"
#include "webtrace/loop.h"
#include "webtrace/pool.h"
#include "webtrace/url.h"

struct fixture {
    struct wt_loop *loop;
    struct wt_pool *pool;
    struct wt_conn *conn;
    struct wt_url url;
    struct wt_http_request req;
};

static void ignore(void *ctx, const struct wt_event *ev)
{
    (void)ctx;
    (void)ev;
}

static const struct wt_event_sink quiet = { ignore, NULL };

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    char err[128];
    f.loop = wt_loop_new(NULL, NULL);
    f.pool = f.loop ? wt_pool_new(f.loop, &quiet) : NULL;
    if (!f.pool || wt_url_parse("https://example.test/", &f.url, err, sizeof err) != WT_URL_OK ||
        wt_http_request_build(&f.url, NULL, "webtrace/test", &f.req) < 0)
        return -1;
    f.conn = wt_pool_conn_new(f.pool, WT_SCHEME_HTTPS, "example.test", 443);
    if (!f.conn || !(f.conn->h2 = wt_h2_new(&quiet)))
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    wt_pool_unshare(f->pool, f->conn);
    wt_conn_free(f->conn);
    wt_pool_free(f->pool);
    wt_loop_free(f->loop);
    wt_http_request_clear(&f->req);
    wt_url_clear(&f->url);
    return 0;
}

/* The server's SETTINGS frame allowing max streams at once. */
static void server_allows(struct wt_h2 *h, unsigned char max)
{
    const unsigned char frame[] = { 0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, max };
    assert_int_equal(wt_h2_feed(h, (const char *)frame, sizeof frame), WT_HTTP_NEED_MORE);
}

static struct wt_conn *take(struct fixture *f, const char *host)
{
    struct wt_pool_stale stale;
    return wt_pool_take_via(f->pool, WT_SCHEME_HTTPS, host, 443, "", &stale);
}

static void send_all(struct wt_h2 *h)
{
    const char *out;
    wt_h2_sent(h, wt_h2_output(h, &out));
}

static void test_pool_shares_an_h2_connection_while_it_has_room(void **state)
{
    struct fixture *f = *state;
    static const struct wt_http_callbacks none;
    struct wt_h2_stream *first = wt_h2_submit(f->conn->h2, &none, NULL, &quiet, &f->req, 1, 0);
    assert_non_null(first);
    send_all(f->conn->h2);
    wt_pool_share(f->pool, f->conn);
    assert_true(f->conn->shared);
    /* the server's limit is not known yet: a stream sent now could be refused */
    assert_null(take(f, "example.test"));
    server_allows(f->conn->h2, 2);
    assert_ptr_equal(take(f, "example.test"), f->conn);
    assert_ptr_equal(take(f, "example.test"), f->conn);   /* it stays shared */
    assert_null(take(f, "other.test"));
    struct wt_h2_stream *second = wt_h2_submit(f->conn->h2, &none, NULL, &quiet, &f->req, 1, 0);
    assert_non_null(second);
    send_all(f->conn->h2);
    assert_null(take(f, "example.test"));                 /* two open: full */
    wt_h2_stream_release(second);                           /* reset: room again once closed */
    send_all(f->conn->h2);
    assert_ptr_equal(take(f, "example.test"), f->conn);
    wt_pool_unshare(f->pool, f->conn);
    assert_false(f->conn->shared);
    assert_null(take(f, "example.test"));
    wt_h2_stream_release(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pool_shares_an_h2_connection_while_it_has_room,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
