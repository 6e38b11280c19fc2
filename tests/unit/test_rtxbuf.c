/* Retransmission buffer: lookups, overwrite, oversize packets, wrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"
#include "rtp/rtxbuf.h"

static void fill(uint8_t *p, size_t len, uint16_t seq)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seq + i);
}

static void expect_packet(const yh_rtxbuf_t *b, uint16_t seq, size_t len, uint64_t us)
{
    const uint8_t *p;
    size_t n;
    uint64_t at;
    uint8_t want[64];
    assert_int_equal(yh_rtxbuf_get(b, seq, &p, &n, &at), 0);
    assert_int_equal(n, len);
    assert_int_equal(at, us);
    fill(want, len, seq);
    assert_memory_equal(p, want, len);
}

static void test_put_get_overwrite(void **state)
{
    (void)state;
    yh_rtxbuf_t *b = yh_rtxbuf_create(100, 64); /* rounds up to 128 slots */
    assert_non_null(b);
    uint8_t pkt[64];
    const uint8_t *p;
    size_t n;
    for (uint16_t s = 0; s < 300; s++) {
        size_t len = 12 + s % 40;
        fill(pkt, len, s);
        yh_rtxbuf_put(b, s, pkt, len, 1000u + s);
    }
    expect_packet(b, 299, 12 + 299 % 40, 1299);
    expect_packet(b, 172, 12 + 172 % 40, 1172); /* oldest still held */
    /* 171 shares slot 43 with 299: overwritten. */
    assert_int_equal(yh_rtxbuf_get(b, 171, &p, &n, NULL), YH_ENOTFOUND);
    assert_int_equal(yh_rtxbuf_get(b, 300, &p, &n, NULL), YH_ENOTFOUND);
    assert_int_equal(yh_rtxbuf_get(b, 0, &p, &n, NULL), YH_ENOTFOUND);
    yh_rtxbuf_destroy(b);
}

static void test_oversize_and_wrap(void **state)
{
    (void)state;
    yh_rtxbuf_t *b = yh_rtxbuf_create(16, 32);
    assert_non_null(b);
    uint8_t pkt[64];
    const uint8_t *p;
    size_t n;
    fill(pkt, 20, 65535);
    yh_rtxbuf_put(b, 65535, pkt, 20, 1);
    fill(pkt, 20, 0);
    yh_rtxbuf_put(b, 0, pkt, 20, 2);
    expect_packet(b, 65535, 20, 1);
    expect_packet(b, 0, 20, 2);

    /* Too long to keep: not stored, and the slot no longer holds seq 0. */
    fill(pkt, 33, 16);
    yh_rtxbuf_put(b, 16, pkt, 33, 3);
    assert_int_equal(yh_rtxbuf_get(b, 16, &p, &n, NULL), YH_ENOTFOUND);
    assert_int_equal(yh_rtxbuf_get(b, 0, &p, &n, NULL), YH_ENOTFOUND);
    /* Exactly max_packet fits. */
    fill(pkt, 32, 16);
    yh_rtxbuf_put(b, 16, pkt, 32, 4);
    expect_packet(b, 16, 32, 4);
    yh_rtxbuf_destroy(b);
}

static void test_create_limits(void **state)
{
    (void)state;
    yh_rtxbuf_t *b = yh_rtxbuf_create(0, 1500); /* one slot */
    assert_non_null(b);
    uint8_t pkt[4] = {1, 2, 3, 4};
    const uint8_t *p;
    size_t n;
    yh_rtxbuf_put(b, 7, pkt, 4, 0);
    yh_rtxbuf_put(b, 8, pkt, 4, 0);
    assert_int_equal(yh_rtxbuf_get(b, 7, &p, &n, NULL), YH_ENOTFOUND);
    assert_int_equal(yh_rtxbuf_get(b, 8, &p, &n, NULL), 0);
    yh_rtxbuf_destroy(b);
    assert_null(yh_rtxbuf_create(1024, SIZE_MAX / 4));
    assert_null(yh_rtxbuf_create(16, 0));
    yh_rtxbuf_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_overwrite),
        cmocka_unit_test(test_oversize_and_wrap),
        cmocka_unit_test(test_create_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
