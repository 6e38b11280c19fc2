/* Sequence number / timestamp rewriting across source switches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/err.h"
#include "rtp/rewrite.h"

#define VIDEO_HZ 90000u

typedef struct out {
    uint16_t seq;
    uint32_t ts;
} out_t;

static out_t map_ok(yh_rtp_rewriter_t *r, uint16_t seq, uint32_t ts, uint64_t now)
{
    out_t o;
    assert_int_equal(yh_rtp_rewriter_map(r, seq, ts, VIDEO_HZ, now, &o.seq, &o.ts), 0);
    return o;
}

static void test_first_packet_kept(void **state)
{
    (void)state;
    yh_rtp_rewriter_t r;
    yh_rtp_rewriter_init(&r);
    out_t o = map_ok(&r, 4321, 123456789u, 1000);
    assert_int_equal(o.seq, 4321);
    assert_int_equal(o.ts, 123456789u);
    o = map_ok(&r, 4322, 123459789u, 34000);
    assert_int_equal(o.seq, 4322);
    assert_int_equal(o.ts, 123459789u);
}

/* A switch continues at max+1 and advances the timestamp by the wall-clock
 * time since the last packet sent. */
static void test_switch_continuity(void **state)
{
    (void)state;
    yh_rtp_rewriter_t r;
    yh_rtp_rewriter_init(&r);
    uint64_t now = 1000000;
    out_t o;
    for (int i = 0; i < 10; i++) {
        o = map_ok(&r, (uint16_t)(1000 + i), 90000u + 3000u * (uint32_t)i, now);
        now += 33333;
    }
    assert_int_equal(o.seq, 1009);
    assert_int_equal(o.ts, 90000u + 27000u);
    uint64_t last = now - 33333;

    yh_rtp_rewriter_switch(&r);
    out_t b = map_ok(&r, 50000, 7777, last + 100000); /* 100 ms later */
    assert_int_equal(b.seq, 1010);
    assert_int_equal(b.ts, 117000u + 9000u);

    /* The new source's later packets keep its offsets. */
    out_t b2 = map_ok(&r, 50001, 7777 + 3000, last + 133333);
    assert_int_equal(b2.seq, 1011);
    assert_int_equal(b2.ts, 126000u + 3000u);

    /* A second switch with no time elapsed still moves the timestamp. */
    yh_rtp_rewriter_switch(&r);
    out_t c = map_ok(&r, 7, 1, last + 133333);
    assert_int_equal(c.seq, 1012);
    assert_int_equal(c.ts, 129001u);
}

static void test_switch_audio_clock(void **state)
{
    (void)state;
    yh_rtp_rewriter_t r;
    uint16_t s;
    uint32_t t;
    yh_rtp_rewriter_init(&r);
    assert_int_equal(yh_rtp_rewriter_map(&r, 10, 960, 48000, 5000000, &s, &t), 0);
    yh_rtp_rewriter_switch(&r);
    assert_int_equal(yh_rtp_rewriter_map(&r, 999, 4242, 48000, 5020000, &s, &t), 0);
    assert_int_equal(s, 11);
    assert_int_equal(t, 960u + 960u); /* 20 ms at 48 kHz */
}

static void test_reordering(void **state)
{
    (void)state;
    yh_rtp_rewriter_t r;
    uint16_t s;
    uint32_t t;
    yh_rtp_rewriter_init(&r);
    map_ok(&r, 100, 1000, 0);
    yh_rtp_rewriter_switch(&r);
    out_t a = map_ok(&r, 500, 5000, 10000); /* first of the source: out 101 */
    assert_int_equal(a.seq, 101);
    out_t c = map_ok(&r, 502, 5000 + 900, 20000);
    out_t b = map_ok(&r, 501, 5000 + 900, 21000); /* late, inside the source */
    assert_int_equal(c.seq, 103);
    assert_int_equal(b.seq, 102);
    assert_int_equal(b.ts, c.ts);
    assert_int_equal(r.max_seq_out, 103);
    assert_int_equal(r.last_out_us, 20000); /* the late packet did not advance */

    /* Older than the source's first packet: rejected, state untouched. */
    assert_int_equal(yh_rtp_rewriter_map(&r, 499, 4000, VIDEO_HZ, 22000, &s, &t), YH_ERANGE);
    assert_int_equal(r.max_seq_out, 103);

    /* A duplicate maps to the same output again. */
    out_t dup = map_ok(&r, 502, 5900, 23000);
    assert_int_equal(dup.seq, 103);
}

static void test_wrap(void **state)
{
    (void)state;
    yh_rtp_rewriter_t r;
    uint16_t s;
    uint32_t t;
    yh_rtp_rewriter_init(&r);
    /* Input and output wrap together: 65534, 65535, 0, 1. */
    out_t o = map_ok(&r, 65534, 0xFFFFF000u, 0);
    assert_int_equal(o.seq, 65534);
    assert_int_equal(map_ok(&r, 65535, 0xFFFFF000u, 1).seq, 65535);
    o = map_ok(&r, 0, 0xFFFFF000u + 3000u, 33000);
    assert_int_equal(o.seq, 0);
    assert_int_equal(o.ts, 0xFFFFF000u + 3000u); /* wraps mod 2^32 */
    assert_int_equal(map_ok(&r, 1, 2000, 66000).seq, 1);
    /* 65533 is older than the first packet (65534) across the wrap. */
    assert_int_equal(yh_rtp_rewriter_map(&r, 65533, 0, VIDEO_HZ, 67000, &s, &t), YH_ERANGE);

    /* A switch right after an output wrap continues at 2; a source whose
     * input wraps keeps mapping after the switch. */
    yh_rtp_rewriter_switch(&r);
    assert_int_equal(map_ok(&r, 65535, 10, 100000).seq, 2);
    assert_int_equal(map_ok(&r, 0, 10, 110000).seq, 3);
    assert_int_equal(map_ok(&r, 1, 10, 120000).seq, 4);
}

/* NACKed output numbers map back to the current source's input numbers. */
static void test_unmap(void **state)
{
    (void)state;
    yh_rtp_rewriter_t r;
    uint16_t in;
    yh_rtp_rewriter_init(&r);
    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, 0, &in), YH_ENOTFOUND);
    for (uint16_t i = 0; i < 5; i++)
        map_ok(&r, (uint16_t)(65533 + i), 0, i); /* out 65533..1 */
    yh_rtp_rewriter_switch(&r);
    for (uint16_t i = 0; i < 5; i++)
        map_ok(&r, (uint16_t)(300 + i), 0, 100 + i); /* out 2..6 */

    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, 2, &in), 0);
    assert_int_equal(in, 300);
    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, 6, &in), 0);
    assert_int_equal(in, 304);
    /* Sent by the previous source: not ours to retransmit. */
    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, 1, &in), YH_ENOTFOUND);
    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, 65534, &in), YH_ENOTFOUND);
    /* Never sent yet. */
    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, 7, &in), YH_ENOTFOUND);
}

/* A source running for more than 2^15 packets must not start to look older
 * than its own first packet. */
static void test_long_source(void **state)
{
    (void)state;
    yh_rtp_rewriter_t r;
    uint16_t s, in;
    uint32_t t;
    yh_rtp_rewriter_init(&r);
    map_ok(&r, 10, 0, 0);
    yh_rtp_rewriter_switch(&r);
    for (uint32_t i = 0; i < 200000; i++) {
        assert_int_equal(
            yh_rtp_rewriter_map(&r, (uint16_t)(40000 + i), i * 3000u, VIDEO_HZ, 1000 + i, &s, &t),
            0);
        assert_int_equal(s, (uint16_t)(11 + i));
    }
    /* Reordered by 100 packets, still mapped; NACK unmaps it. */
    uint16_t late = (uint16_t)(40000 + 200000 - 100);
    assert_int_equal(yh_rtp_rewriter_map(&r, late, 0, VIDEO_HZ, 999999, &s, &t), 0);
    assert_int_equal(s, (uint16_t)(11 + 200000 - 100));
    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, s, &in), 0);
    assert_int_equal(in, late);
}

static void test_reserve(void **state)
{
    (void)state;
    yh_rtp_rewriter_t r;
    uint16_t seq, first, in;
    uint32_t ts;
    yh_rtp_rewriter_init(&r);
    assert_int_equal(yh_rtp_rewriter_reserve(&r, 3, &first), YH_ESTATE);
    assert_int_equal(yh_rtp_rewriter_map(&r, 100, 1000, 90000, 0, &seq, &ts), 0);
    assert_int_equal(yh_rtp_rewriter_map(&r, 101, 4000, 90000, 33000, &seq, &ts), 0);
    assert_int_equal(seq, 101);
    /* Three numbers for padding right after the highest sent. */
    assert_int_equal(yh_rtp_rewriter_reserve(&r, 3, &first), 0);
    assert_int_equal(first, 102);
    /* The next media packet continues after them, timestamp unchanged. */
    assert_int_equal(yh_rtp_rewriter_map(&r, 102, 7000, 90000, 66000, &seq, &ts), 0);
    assert_int_equal(seq, 105);
    assert_int_equal(ts, 7000);
    /* Older packets are neither mapped nor unmapped any more, and a NACK
     * for a padding number finds nothing. */
    assert_int_equal(yh_rtp_rewriter_map(&r, 101, 4000, 90000, 70000, &seq, &ts), YH_ERANGE);
    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, 101, &in), YH_ENOTFOUND);
    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, 103, &in), YH_ENOTFOUND);
    assert_int_equal(yh_rtp_rewriter_unmap_seq(&r, 105, &in), 0);
    assert_int_equal(in, 102);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_packet_kept),
        cmocka_unit_test(test_switch_continuity),
        cmocka_unit_test(test_switch_audio_clock),
        cmocka_unit_test(test_reordering),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_unmap),
        cmocka_unit_test(test_long_source),
        cmocka_unit_test(test_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
