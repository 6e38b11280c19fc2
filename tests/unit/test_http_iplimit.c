/*
 * Signaling limits per client address: the networks (net/ipnet.h), the
 * counting and the bucket (http/iplimit.h) driven with made-up times, and
 * a real server whose clients connect from several loopback addresses
 * (127.0.0.x, all ours on Linux) so one address can be over its limits
 * while another is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "base/err.h"
#include "base/log.h"
#include "http/http.h"
#include "http/iplimit.h"
#include "net/addr.h"
#include "net/ipnet.h"
#include "ws_client.h"

static struct sockaddr_storage ss(const char *ip)
{
    struct sockaddr_storage a;
    assert_int_equal(yh_addr_parse(ip, 4242, &a), 0);
    return a;
}

/* An address that stays valid for the next few calls (a small ring). */
static const struct sockaddr *SA(const char *ip)
{
    static struct sockaddr_storage ring[8];
    static unsigned next;
    struct sockaddr_storage *a = &ring[next++ % 8];
    *a = ss(ip);
    return (const struct sockaddr *)a;
}

static int in_net(const char *net, const char *ip)
{
    yh_ipnet_t n;
    assert_int_equal(yh_ipnet_parse(net, &n), 0);
    struct sockaddr_storage a = ss(ip);
    return yh_ipnet_match(&n, (const struct sockaddr *)&a);
}

static void test_ipnet(void **state)
{
    assert_true(in_net("127.0.0.0/8", "127.1.2.3"));
    assert_false(in_net("127.0.0.0/8", "128.0.0.1"));
    /* Host bits in the network are ignored: 127.5.5.5/8 is 127/8. */
    assert_true(in_net("127.5.5.5/8", "127.200.0.1"));
    assert_true(in_net("192.0.2.7", "192.0.2.7"));
    assert_false(in_net("192.0.2.7", "192.0.2.8"));
    assert_true(in_net("198.51.100.0/25", "198.51.100.127"));
    assert_false(in_net("198.51.100.0/25", "198.51.100.128"));
    assert_true(in_net("0.0.0.0/0", "203.0.113.9"));
    assert_false(in_net("0.0.0.0/0", "2001:db8::1")); /* IPv4 only */
    assert_true(in_net("::1", "::1"));
    assert_false(in_net("::1", "::2"));
    assert_true(in_net("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(in_net("2001:db8::/32", "2001:db9::1"));
    /* A v4 client on a dual-stack socket arrives as ::ffff:a.b.c.d. */
    assert_true(in_net("127.0.0.0/8", "::ffff:127.0.0.5"));
    assert_true(in_net("::ffff:0:0/96", "10.1.2.3"));

    static const char *const bad[] = {"",           "x",          "1.2.3.4/33", "1.2.3.4/",
                                      "/8",         "1.2.3.4/-1", "1.2.3.4/ 8", "1.2.3.4/+8",
                                      "::/129",     "1.2.3/8",    "1.2.3.4/8x", "1.2.3.4/0008",
                                      "1.2.3.4/8/8"};
    yh_ipnet_t n;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(yh_ipnet_parse(bad[i], &n), YH_EPARSE);
}

static void test_iplimit_connections(void **state)
{
    const char *trusted[] = {"198.51.100.0/24", "2001:db8:1::/48"};
    yh_iplimit_config_t cfg = {
        .max_conns = 3, .max_msgs_per_sec = 10, .trusted = trusted, .n_trusted = 2};
    yh_iplimit_t t;
    assert_int_equal(yh_iplimit_init(&t, &cfg), 0);
    yh_ipslot_t *a[4], *b, *tr;
    for (int i = 0; i < 3; i++)
        assert_int_equal(yh_iplimit_open(&t, SA("192.0.2.1"), 0, &a[i]), 0);
    assert_ptr_equal(a[0], a[2]); /* one address, one slot */
    assert_int_equal(yh_iplimit_open(&t, SA("192.0.2.1"), 0, &a[3]), YH_ELIMIT);
    assert_null(a[3]);
    assert_int_equal(yh_iplimit_count(&t, SA("192.0.2.1")), 3);
    /* Another address has its own count. */
    assert_int_equal(yh_iplimit_open(&t, SA("192.0.2.2"), 0, &b), 0);
    assert_non_null(b);
    /* One connection gone: room for one more. */
    yh_iplimit_close(&t, a[1]);
    assert_int_equal(yh_iplimit_open(&t, SA("192.0.2.1"), 0, &a[1]), 0);
    /* Trusted networks are not counted, however many. */
    for (int i = 0; i < 10; i++) {
        assert_int_equal(yh_iplimit_open(&t, SA("198.51.100.77"), 0, &tr), 0);
        assert_null(tr);
        assert_true(yh_iplimit_take(&t, tr, 0));
    }
    yh_iplimit_close(&t, NULL);
    /* IPv6: one /64 is one client; another /64 is another. */
    yh_ipslot_t *v6[5];
    assert_int_equal(yh_iplimit_open(&t, SA("2001:db8:5:6::1"), 0, &v6[0]), 0);
    assert_int_equal(yh_iplimit_open(&t, SA("2001:db8:5:6::2"), 0, &v6[1]), 0);
    assert_int_equal(yh_iplimit_open(&t, SA("2001:db8:5:6:ffff::3"), 0, &v6[2]), 0);
    assert_int_equal(yh_iplimit_open(&t, SA("2001:db8:5:6::4"), 0, &v6[3]), YH_ELIMIT);
    assert_int_equal(yh_iplimit_open(&t, SA("2001:db8:5:7::1"), 0, &v6[4]), 0);
    assert_ptr_not_equal(v6[4], v6[0]);
    assert_int_equal(yh_iplimit_open(&t, SA("2001:db8:1:2::1"), 0, &tr), 0);
    assert_null(tr);
    /* The last connection of an address frees its slot. */
    yh_iplimit_close(&t, b);
    assert_int_equal(yh_iplimit_count(&t, SA("192.0.2.2")), 0);
    yh_iplimit_free(&t);

    const char *bad[] = {"127.0.0.0/40"};
    cfg.trusted = bad;
    cfg.n_trusted = 1;
    assert_int_equal(yh_iplimit_init(&t, &cfg), YH_EINVAL);
    yh_iplimit_free(&t);
}

static void test_iplimit_rate(void **state)
{
    yh_iplimit_config_t cfg = {.max_conns = 0, .max_msgs_per_sec = 10};
    yh_iplimit_t t;
    assert_int_equal(yh_iplimit_init(&t, &cfg), 0);
    yh_ipslot_t *a, *a2, *b;
    uint64_t t0 = 5000000;
    assert_int_equal(yh_iplimit_open(&t, SA("203.0.113.5"), t0, &a), 0);
    assert_int_equal(yh_iplimit_open(&t, SA("203.0.113.5"), t0, &a2), 0);
    assert_int_equal(yh_iplimit_open(&t, SA("203.0.113.6"), t0, &b), 0);
    /* A burst of one second's worth, shared by both connections. */
    for (int i = 0; i < 10; i++)
        assert_true(yh_iplimit_take(&t, i % 2 ? a : a2, t0));
    assert_false(yh_iplimit_take(&t, a, t0));
    assert_false(yh_iplimit_take(&t, a2, t0));
    /* The other address is untouched. */
    assert_true(yh_iplimit_take(&t, b, t0));
    /* 100 ms later one message's worth came back, and only one. */
    assert_true(yh_iplimit_take(&t, a, t0 + 100000));
    assert_false(yh_iplimit_take(&t, a, t0 + 100000));
    /* After a long pause the bucket is full again, not fuller. */
    int n = 0;
    while (yh_iplimit_take(&t, a2, t0 + 60000000) && n < 100)
        n++;
    assert_int_equal(n, 10);
    /* A clock that goes backwards adds nothing. */
    assert_false(yh_iplimit_take(&t, a2, t0));
    yh_iplimit_close(&t, a);
    yh_iplimit_close(&t, a2);
    yh_iplimit_close(&t, b);
    yh_iplimit_free(&t);
}

/* ---- a real server ---------------------------------------------------- */

static uv_loop_t loop;
static uv_async_t stop_async;
static pthread_t loop_thread;
static yh_http_t *http;
static uint16_t port;
static atomic_int opens, closes;

static void on_open(void *ctx, yh_ws_t *ws)
{
    atomic_fetch_add(&opens, 1);
}

static void on_message(void *ctx, yh_ws_t *ws, const char *text, size_t len)
{
    yh_ws_send(ws, text, len);
}

static void on_close(void *ctx, yh_ws_t *ws)
{
    atomic_fetch_add(&closes, 1);
}

static void on_stop(uv_async_t *a)
{
    uv_close((uv_handle_t *)a, NULL);
    uv_stop(&loop);
}

static void *loop_main(void *arg)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

static int setup(void **state)
{
    static const char *const trusted[] = {"127.0.0.9"};
    yh_http_config_t cfg = {
        .bind_ip = "127.0.0.1",
        .web_root = "/nonexistent",
        .max_msgs_per_sec = 50,
        .max_ws_per_ip = 3,
        .max_msgs_per_ip = 20,
        .trusted = trusted,
        .n_trusted = 1,
    };
    yh_http_listener_t l = {NULL, on_open, on_message, on_close};
    if (uv_loop_init(&loop) || uv_async_init(&loop, &stop_async, on_stop) ||
        yh_http_create(&loop, &cfg, &l, &http))
        return -1;
    port = yh_http_port(http);
    return pthread_create(&loop_thread, NULL, loop_main, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
    uv_async_send(&stop_async);
    pthread_join(loop_thread, NULL);
    yh_http_destroy(http);
    return uv_loop_close(&loop);
}

static int ws_from(const char *src)
{
    int fd = ws_connect_path_from(src, port, "/ws");
    assert_true(fd >= 0);
    return fd;
}

static void wait_for(atomic_int *v, int want)
{
    for (int i = 0; i < 500 && atomic_load(v) < want; i++)
        usleep(10000);
    assert_true(atomic_load(v) >= want);
}

static void test_server_connection_cap(void **state)
{
    int fd[4];
    int before = atomic_load(&opens);
    for (int i = 0; i < 3; i++) {
        fd[i] = ws_from("127.0.0.2");
        ws_send_text(fd[i], "hi");
        expect_text(fd[i], "hi");
    }
    /* The fourth from that address is told why and closed with 1013; the
     * listener never sees it. */
    fd[3] = ws_from("127.0.0.2");
    expect_error_then_close(fd[3], "too-many-connections", 1013);
    close(fd[3]);
    assert_int_equal(atomic_load(&opens), before + 3);
    /* Another address is not affected. */
    int other = ws_from("127.0.0.3");
    ws_send_text(other, "other");
    expect_text(other, "other");
    /* When one of the three goes, the address may connect again. */
    int closed = atomic_load(&closes);
    close(fd[0]);
    wait_for(&closes, closed + 1);
    fd[0] = ws_from("127.0.0.2");
    ws_send_text(fd[0], "again");
    expect_text(fd[0], "again");
    /* A trusted address is not counted. */
    int tr[5];
    for (int i = 0; i < 5; i++) {
        tr[i] = ws_from("127.0.0.9");
        ws_send_text(tr[i], "t");
        expect_text(tr[i], "t");
    }
    for (int i = 0; i < 5; i++)
        close(tr[i]);
    for (int i = 0; i < 3; i++)
        close(fd[i]);
    close(other);
}

static void test_server_rate_per_address(void **state)
{
    /* Two connections of 127.0.0.4 send 15 messages each: each is under
     * its own 50 per second, together over the address's 20. */
    int a = ws_from("127.0.0.4"), b = ws_from("127.0.0.4"), c = ws_from("127.0.0.5");
    for (int i = 0; i < 15; i++)
        ws_send_text(a, "a");
    for (int i = 0; i < 15; i++)
        expect_text(a, "a");
    for (int i = 0; i < 15; i++)
        ws_send_text(b, "b");
    uint8_t buf[512];
    size_t len;
    int op, echoes = 0;
    while ((op = ws_read(b, buf, sizeof buf - 1, &len)) == 0x1 && len == 1 && buf[0] == 'b')
        echoes++;
    assert_true(echoes >= 5 && echoes < 15);
    assert_int_equal(op, 0x1);
    buf[len] = '\0';
    assert_non_null(strstr((char *)buf, "\"code\":\"rate-limited\""));
    assert_non_null(strstr((char *)buf, "from this address"));
    assert_int_equal(ws_read(b, buf, sizeof buf, &len), 0x8);
    assert_int_equal(buf[0] << 8 | buf[1], 1008);
    /* Another address sends its 15 meanwhile. */
    for (int i = 0; i < 15; i++)
        ws_send_text(c, "c");
    for (int i = 0; i < 15; i++)
        expect_text(c, "c");
    /* The bucket refills: a second later the first connection goes on. */
    usleep(1100000);
    ws_send_text(a, "later");
    expect_text(a, "later");
    close(a);
    close(b);
    close(c);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_ipnet),
        cmocka_unit_test(test_iplimit_connections),
        cmocka_unit_test(test_iplimit_rate),
    };
    const struct CMUnitTest server[] = {
        cmocka_unit_test(test_server_connection_cap),
        cmocka_unit_test(test_server_rate_per_address),
    };
    yh_log_set_level(YH_LOG_ERROR);
    int failed = cmocka_run_group_tests(pure, NULL, NULL);
    return failed + cmocka_run_group_tests(server, setup, teardown);
}
