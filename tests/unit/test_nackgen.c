/* NACK generation: gaps become requests, retransmissions clear them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "rtp/nackgen.h"

static void test_gap_requested_and_recovered(void **state)
{
    (void)state;
    yh_nackgen_t g;
    uint16_t out[16];
    yh_nackgen_init(&g);
    assert_int_equal(yh_nackgen_on_packet(&g, 100, 0), 0);
    assert_int_equal(yh_nackgen_on_packet(&g, 101, 1000), 0);
    assert_int_equal(yh_nackgen_on_packet(&g, 104, 2000), 0); /* 102, 103 lost */
    assert_int_equal(yh_nackgen_collect(&g, 3000, 40000, out, 16), 2);
    assert_int_equal(out[0], 102);
    assert_int_equal(out[1], 103);
    /* Not again before the retry interval. */
    assert_int_equal(yh_nackgen_collect(&g, 20000, 40000, out, 16), 0);
    assert_int_equal(yh_nackgen_on_packet(&g, 103, 25000), 1);
    assert_int_equal(yh_nackgen_on_packet(&g, 103, 26000), 0); /* duplicate */
    assert_int_equal(yh_nackgen_collect(&g, 50000, 40000, out, 16), 1);
    assert_int_equal(out[0], 102);
    assert_true(yh_nackgen_is_missing(&g, 102));
    assert_false(yh_nackgen_is_missing(&g, 103));
}

static void test_wrap_and_limits(void **state)
{
    (void)state;
    yh_nackgen_t g;
    uint16_t out[16];
    yh_nackgen_init(&g);
    yh_nackgen_on_packet(&g, 65534, 0);
    yh_nackgen_on_packet(&g, 1, 1000); /* 65535 and 0 lost across the wrap */
    assert_int_equal(yh_nackgen_collect(&g, 1000, 1, out, 16), 2);
    assert_int_equal(out[0], 65535);
    assert_int_equal(out[1], 0);
    /* Given up after the try limit. */
    for (int i = 0; i <= YH_NACKGEN_MAX_TRIES; i++)
        yh_nackgen_collect(&g, 2000 + (uint64_t)i * 10, 1, out, 16);
    assert_int_equal(g.n, 0);
    /* And after the age limit. */
    yh_nackgen_on_packet(&g, 3, 5000);
    assert_int_equal(g.n, 1);
    assert_int_equal(yh_nackgen_collect(&g, 5000 + YH_NACKGEN_MAX_AGE_US + 1, 1, out, 16), 0);
    assert_int_equal(g.n, 0);
    /* A huge jump is a restart, not 30000 losses. */
    yh_nackgen_on_packet(&g, 30000, 6000);
    assert_int_equal(g.n, 0);
    /* The list is bounded. */
    yh_nackgen_on_packet(&g, 30000 + 600, 7000);
    assert_int_equal(g.n, YH_NACKGEN_MAX);
    assert_int_equal(g.items[g.n - 1].seq, 30000 + 599);
}

/* When the first NACK for a packet went out (the publisher's round trip is
 * measured from it): unknown before the first request, still the first
 * request's time after a retry (timing from the retry, sent 40 ms after it,
 * once gave a 100 ms round trip as 20 ms), and forgotten once the packet
 * is in. */
static void test_asked_at(void **state)
{
    (void)state;
    yh_nackgen_t g;
    uint16_t out[16];
    uint64_t us = 0;
    yh_nackgen_init(&g);
    yh_nackgen_on_packet(&g, 10, 1000);
    yh_nackgen_on_packet(&g, 13, 2000); /* 11, 12 lost */
    assert_int_equal(yh_nackgen_asked_at(&g, 11, &us), YH_ENOTFOUND);
    assert_int_equal(yh_nackgen_asked_at(&g, 13, &us), YH_ENOTFOUND); /* received */
    assert_int_equal(yh_nackgen_collect(&g, 5000, 40000, out, 16), 2);
    assert_int_equal(yh_nackgen_asked_at(&g, 11, &us), 0);
    assert_int_equal(us, 5000);
    assert_int_equal(yh_nackgen_asked_at(&g, 12, &us), 0);
    assert_int_equal(us, 5000);
    assert_int_equal(yh_nackgen_asked_at(&g, 14, &us), YH_ENOTFOUND); /* never seen */
    /* Too early for a retry: the time stays the first request's. */
    assert_int_equal(yh_nackgen_collect(&g, 30000, 40000, out, 16), 0);
    assert_int_equal(yh_nackgen_asked_at(&g, 11, &us), 0);
    assert_int_equal(us, 5000);
    assert_int_equal(yh_nackgen_collect(&g, 46000, 40000, out, 16), 2);
    assert_int_equal(yh_nackgen_asked_at(&g, 12, &us), 0);
    assert_int_equal(us, 5000);
    /* 12 arrives: no longer asked for; 11 still is. */
    assert_int_equal(yh_nackgen_on_packet(&g, 12, 50000), 1);
    us = 7;
    assert_int_equal(yh_nackgen_asked_at(&g, 12, &us), YH_ENOTFOUND);
    assert_int_equal(us, 7);
    assert_int_equal(yh_nackgen_asked_at(&g, 11, &us), 0);
    assert_int_equal(us, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gap_requested_and_recovered),
        cmocka_unit_test(test_wrap_and_limits),
        cmocka_unit_test(test_asked_at),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
