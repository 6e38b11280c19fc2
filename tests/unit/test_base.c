/* Unit tests of base containers and the worker's command queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "base/bytes.h"
#include "base/err.h"
#include "base/map.h"
#include "base/minwin.h"
#include "sfu/queue.h"

static void test_map_put_get_del(void **state)
{
    (void)state;
    yh_map_t m;
    yh_map_init(&m);
    /* Enough keys to grow several times and create probe chains. */
    for (uintptr_t k = 1; k <= 5000; k++)
        assert_int_equal(yh_map_put(&m, k * 7919, (void *)k), 0);
    assert_int_equal(m.n, 5000);
    for (uintptr_t k = 1; k <= 5000; k++)
        assert_ptr_equal(yh_map_get(&m, k * 7919), (void *)k);
    /* Delete every other key; the rest must still be found. */
    for (uintptr_t k = 1; k <= 5000; k += 2)
        assert_ptr_equal(yh_map_del(&m, k * 7919), (void *)k);
    for (uintptr_t k = 1; k <= 5000; k++)
        assert_ptr_equal(yh_map_get(&m, k * 7919), (k % 2) ? NULL : (void *)k);
    assert_null(yh_map_del(&m, 12345678));
    assert_int_equal(yh_map_put(&m, 0, NULL), YH_EINVAL);
    yh_map_free(&m);
}

static void test_map_hash_str(void **state)
{
    (void)state;
    assert_int_not_equal(yh_map_hash_str(""), 0);
    assert_int_not_equal(yh_map_hash_str("abcd"), yh_map_hash_str("abce"));
}

static void test_spsc_order_and_full(void **state)
{
    (void)state;
    yh_spsc_t q;
    assert_int_equal(yh_spsc_init(&q, 4), 0);
    for (uintptr_t i = 1; i <= 4; i++)
        assert_int_equal(yh_spsc_push(&q, (void *)i), 0);
    assert_int_equal(yh_spsc_push(&q, (void *)5), YH_EAGAIN);
    for (uintptr_t i = 1; i <= 4; i++)
        assert_ptr_equal(yh_spsc_pop(&q), (void *)i);
    assert_null(yh_spsc_pop(&q));
    yh_spsc_free(&q);
}

/* The windowed minimum: the least sample of the last one or two windows;
 * a larger one never replaces it within a window, a slower path shows once
 * two windows have passed, and an idle stretch leaves nothing stale. */
static void test_minwin(void **state)
{
    (void)state;
    const uint64_t W = 1000000;
    yh_minwin_t m = {0};
    assert_int_equal(yh_minwin_get(&m), 0);
    yh_minwin_add(&m, 0, 10, W); /* no sample */
    assert_int_equal(yh_minwin_get(&m), 0);
    yh_minwin_add(&m, 140, 100, W); /* a retry answered: too long */
    yh_minwin_add(&m, 100, 200000, W);
    yh_minwin_add(&m, 180, 300000, W);
    assert_int_equal(yh_minwin_get(&m), 100);
    yh_minwin_add(&m, 220, W + 100, W); /* next window: the old minimum stays */
    assert_int_equal(yh_minwin_get(&m), 100);
    yh_minwin_add(&m, 200, W + 500000, W);
    assert_int_equal(yh_minwin_get(&m), 100);
    yh_minwin_add(&m, 210, 2 * W + 200, W); /* the path is slower now */
    assert_int_equal(yh_minwin_get(&m), 200);
    yh_minwin_add(&m, 90, 2 * W + 300, W);
    assert_int_equal(yh_minwin_get(&m), 90);
    yh_minwin_add(&m, 300, 10 * W, W); /* after a long silence only the new sample counts */
    assert_int_equal(yh_minwin_get(&m), 300);
}

static void test_reader_bounds(void **state)
{
    (void)state;
    const uint8_t buf[] = {1, 2, 3};
    yh_rd_t r;
    uint16_t v16;
    uint32_t v32;
    yh_rd_init(&r, buf, sizeof buf);
    assert_int_equal(yh_rd_u16(&r, &v16), 0);
    assert_int_equal(v16, 0x0102);
    assert_int_equal(yh_rd_u32(&r, &v32), YH_ETRUNC);
    assert_int_equal(yh_rd_skip(&r, 2), YH_ETRUNC);
    assert_true(yh_seq_lt(65535, 0));
    assert_false(yh_seq_lt(0, 65535));
    assert_int_equal(yh_seq_diff(2, 65534), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_put_get_del),
        cmocka_unit_test(test_map_hash_str),
        cmocka_unit_test(test_spsc_order_and_full),
        cmocka_unit_test(test_reader_bounds),
        cmocka_unit_test(test_minwin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
