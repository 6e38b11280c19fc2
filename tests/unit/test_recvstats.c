/* Receive statistics: RFC 3550 A.1 sequence tracking, A.3 loss, A.8 jitter,
 * LSR/DLSR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rtp/recvstats.h"

#define HZ 90000u
#define FRAME_US 20000u
#define FRAME_TICKS 1800u

/* Sends packets first..first+count-1 (mod 2^16), dropping one in every
 * `drop` (never the last), at a steady pace: no jitter. Returns how many
 * were dropped. */
static unsigned send_run(yh_rtp_recvstats_t *s, uint16_t first, unsigned count, unsigned drop,
                         unsigned *k)
{
    unsigned lost = 0;
    for (unsigned i = 0; i < count; i++, (*k)++) {
        if (drop && i % drop == drop / 2) {
            lost++;
            continue;
        }
        yh_rtp_recvstats_update(s, (uint16_t)(first + i), 1000u + *k * FRAME_TICKS, 100,
                                5000000u + (uint64_t)*k * FRAME_US);
    }
    return lost;
}

static void test_loss_across_wrap(void **state)
{
    (void)state;
    yh_rtp_recvstats_t s;
    yh_rtcp_report_block_t rb;
    unsigned k = 0;
    yh_rtp_recvstats_init(&s, HZ);

    /* 100 packets from 65500 (wrapping after 36), every 10th lost. */
    assert_int_equal(send_run(&s, 65500, 100, 10, &k), 10);
    yh_rtp_recvstats_report(&s, 0xABCD, 0, &rb);
    assert_int_equal(rb.ssrc, 0xABCD);
    assert_int_equal(rb.ext_highest_seq, 65536u + 63u); /* 65500 + 99 */
    assert_int_equal(rb.cumulative_lost, 10);
    assert_int_equal(rb.fraction_lost, 25); /* 10 / 100 * 256 = 25.6 */
    assert_int_equal(rb.jitter, 0);
    assert_int_equal(s.bytes, 9000);

    /* Next interval: 50 packets, 5 lost. */
    assert_int_equal(send_run(&s, 64, 50, 10, &k), 5);
    yh_rtp_recvstats_report(&s, 0xABCD, 0, &rb);
    assert_int_equal(rb.ext_highest_seq, 65536u + 113u);
    assert_int_equal(rb.cumulative_lost, 15);
    assert_int_equal(rb.fraction_lost, 25); /* 5 / 50 */

    /* An interval without loss, with one packet reordered. */
    yh_rtp_recvstats_update(&s, 115, 1000u + 151u * FRAME_TICKS, 100, 5000000u + 151u * FRAME_US);
    yh_rtp_recvstats_update(&s, 114, 1000u + 150u * FRAME_TICKS, 100, 5000000u + 152u * FRAME_US);
    yh_rtp_recvstats_report(&s, 0xABCD, 0, &rb);
    assert_int_equal(rb.ext_highest_seq, 65536u + 115u);
    assert_int_equal(rb.fraction_lost, 0);
    assert_int_equal(rb.cumulative_lost, 15);
    /* The reordered packet did not disturb the jitter estimate. */
    assert_int_equal(rb.jitter, 0);
}

/* Transit alternating between +0 and +1 ms: |D| is 90 ticks each time, so
 * the estimate converges to 90. */
static void test_jitter(void **state)
{
    (void)state;
    yh_rtp_recvstats_t s;
    yh_rtcp_report_block_t rb;
    yh_rtp_recvstats_init(&s, HZ);
    for (unsigned i = 0; i < 400; i++) {
        uint64_t at = 1000000u + (uint64_t)i * FRAME_US + (i % 2 ? 1000u : 0u);
        yh_rtp_recvstats_update(&s, (uint16_t)i, 0xFFFF0000u + i * FRAME_TICKS, 50, at);
    }
    yh_rtp_recvstats_report(&s, 1, 0, &rb);
    assert_in_range(rb.jitter, 89, 90);
    assert_int_equal(rb.cumulative_lost, 0);
}

/* Duplicates make the cumulative loss negative (A.3); it is clamped to 24
 * bits either way. */
static void test_duplicates_and_clamp(void **state)
{
    (void)state;
    yh_rtp_recvstats_t s;
    yh_rtcp_report_block_t rb;
    yh_rtp_recvstats_init(&s, HZ);
    for (int i = 0; i < 3; i++)
        yh_rtp_recvstats_update(&s, 10, 0, 10, 0);
    yh_rtp_recvstats_report(&s, 1, 0, &rb);
    assert_int_equal(rb.cumulative_lost, -2);
    assert_int_equal(rb.fraction_lost, 0);

    s.cycles = 0x7FFF0000u; /* pretend many cycles went by unseen */
    yh_rtp_recvstats_report(&s, 1, 0, &rb);
    assert_int_equal(rb.cumulative_lost, 0x7FFFFF);
    s.cycles = 0;
    s.received = 0x10000000u;
    yh_rtp_recvstats_report(&s, 1, 0, &rb);
    assert_int_equal(rb.cumulative_lost, -0x800000);
}

/* A.1: a big jump is believed only when the next packet follows it. */
static void test_restart(void **state)
{
    (void)state;
    yh_rtp_recvstats_t s;
    yh_rtcp_report_block_t rb;
    yh_rtp_recvstats_init(&s, HZ);
    for (uint16_t i = 0; i < 10; i++)
        yh_rtp_recvstats_update(&s, i, i * 3000u, 10, i * 33000u);
    yh_rtp_recvstats_update(&s, 30000, 0, 10, 400000); /* stray: dropped */
    yh_rtp_recvstats_report(&s, 1, 0, &rb);
    assert_int_equal(rb.ext_highest_seq, 9);
    assert_int_equal(rb.cumulative_lost, 0);

    yh_rtp_recvstats_update(&s, 40000, 0, 10, 500000);
    yh_rtp_recvstats_update(&s, 40001, 3000, 10, 533000); /* follows: restart */
    yh_rtp_recvstats_update(&s, 40002, 6000, 10, 566000);
    yh_rtp_recvstats_report(&s, 1, 0, &rb);
    assert_int_equal(rb.ext_highest_seq, 40002);
    assert_int_equal(rb.cumulative_lost, 0);
}

static void test_lsr_dlsr(void **state)
{
    (void)state;
    yh_rtp_recvstats_t s;
    yh_rtcp_report_block_t rb;
    yh_rtp_recvstats_init(&s, HZ);
    yh_rtp_recvstats_report(&s, 7, 123, &rb); /* nothing yet */
    assert_int_equal(rb.ssrc, 7);
    assert_int_equal(rb.lsr, 0);
    assert_int_equal(rb.dlsr, 0);
    assert_int_equal(rb.ext_highest_seq, 0);

    yh_rtp_recvstats_sr(&s, 0x1234567890ABCDEFull, 1000000);
    yh_rtp_recvstats_report(&s, 7, 1500000, &rb);
    assert_int_equal(rb.lsr, 0x567890AB);
    assert_int_equal(rb.dlsr, 32768); /* 0.5 s in 1/65536 s */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_across_wrap),
        cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_duplicates_and_clamp),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_lsr_dlsr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
