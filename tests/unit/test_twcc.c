/*
 * Transport-wide congestion control feedback: Chrome-sent packets, the
 * builder's round trip over loss gaps, large and negative deltas and long
 * runs, and hostile counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"
#include "rtcp/rtcp.h"

#define MAXN 20000

/* Chrome feedback as captured by Wireshark: P bit set and one byte of RTCP
 * padding; base 1, 9 packets in one run-length chunk (0x2009), small deltas
 * 7, 3, 11, 14, 0, 1, 0, 2, 6 ms. */
static const uint8_t chrome_run[] = {
    0xaf, 0xcd, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0xdd, 0x58, 0x6e, 0xb6, 0x00, 0x01, 0x00, 0x09,
    0x5e, 0x91, 0x10, 0x00, 0x20, 0x09, 0x1c, 0x0c, 0x2c, 0x38, 0x00, 0x04, 0x00, 0x08, 0x18, 0x01,
};

/* Chrome feedback with a 1-bit status vector (0xBF8E): packets 39..51,
 * 7 received, 3 lost, 3 received; fb count 3 (mediasoup's test vector). */
static const uint8_t chrome_vec1[] = {
    0x8f, 0xcd, 0x00, 0x07, 0xfa, 0x17, 0xfa, 0x17, 0x09, 0xfa, 0xff, 0x67, 0x00, 0x27, 0x00, 0x0d,
    0x5f, 0xc2, 0xf1, 0x03, 0xbf, 0x8e, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x04, 0x00,
};

/* No packets, reference time -2 (0xFFFFFE as a signed 24-bit number). */
static const uint8_t negative_ref[] = {
    0x8f, 0xcd, 0x00, 0x04, 0xfa, 0x17, 0xfa, 0x17, 0x09, 0xfa,
    0xff, 0x67, 0x00, 0x27, 0x00, 0x00, 0xff, 0xff, 0xfe, 0x01,
};

static yh_rtcp_twcc_pkt_t pkts[MAXN];
static int64_t arrival[MAXN];
static uint8_t buf[1 << 16];

static yh_rtcp_pkt_t one_pkt(const uint8_t *b, size_t len)
{
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    yh_rtcp_iter_init(&it, b, len);
    assert_int_equal(yh_rtcp_next(&it, &p), 1);
    assert_int_equal(p.len, len);
    return p;
}

static void test_chrome_run_length(void **state)
{
    (void)state;
    yh_rtcp_twcc_t tw;
    yh_rtcp_pkt_t p = one_pkt(chrome_run, sizeof(chrome_run));
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), 0);
    assert_int_equal(tw.fb.sender_ssrc, 1);
    assert_int_equal(tw.fb.media_ssrc, 0xdd586eb6u);
    assert_int_equal(tw.base_seq, 1);
    assert_int_equal(tw.status_count, 9);
    assert_int_equal(tw.reference_time, 6197520);
    assert_int_equal(tw.fb_count, 0);
    assert_int_equal(tw.n, 9);
    const int64_t ms[] = {7, 3, 11, 14, 0, 1, 0, 2, 6};
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(pkts[i].seq, 1 + i);
        assert_int_equal(pkts[i].received, 1);
        assert_int_equal(pkts[i].delta_us, ms[i] * 1000);
    }

    /* Rebuilt: the same chunk and deltas; we pad with zeros, not the P bit. */
    int64_t t = (int64_t)tw.reference_time * 64000;
    for (size_t i = 0; i < 9; i++)
        arrival[i] = t += pkts[i].delta_us;
    int n = yh_rtcp_build_twcc(buf, sizeof(buf), 1, 0xdd586eb6u, 1, arrival, 9, 0);
    assert_int_equal(n, sizeof(chrome_run));
    assert_int_equal(buf[0], 0x8f);
    assert_memory_equal(buf + 1, chrome_run + 1, sizeof(chrome_run) - 2);
    assert_int_equal(buf[31], 0);
}

static void test_chrome_status_vector(void **state)
{
    (void)state;
    yh_rtcp_twcc_t tw;
    yh_rtcp_pkt_t p = one_pkt(chrome_vec1, sizeof(chrome_vec1));
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), 0);
    assert_int_equal(tw.base_seq, 39);
    assert_int_equal(tw.status_count, 13);
    assert_int_equal(tw.reference_time, 0x5fc2f1);
    assert_int_equal(tw.fb_count, 3);
    const uint8_t rx[] = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1};
    const int64_t us[] = {4000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7000, 1000, 0};
    for (size_t i = 0; i < 13; i++) {
        assert_int_equal(pkts[i].seq, 39 + i);
        assert_int_equal(pkts[i].received, rx[i]);
        assert_int_equal(pkts[i].delta_us, us[i]);
    }
    /* Our builder picks the same chunk: the packet is rebuilt byte for byte. */
    int64_t t = (int64_t)tw.reference_time * 64000;
    for (size_t i = 0; i < 13; i++)
        arrival[i] = pkts[i].received ? (t += pkts[i].delta_us) : -1;
    int n = yh_rtcp_build_twcc(buf, sizeof(buf), 0xfa17fa17u, 0x09faff67u, 39, arrival, 13, 3);
    assert_int_equal(n, sizeof(chrome_vec1));
    assert_memory_equal(buf, chrome_vec1, sizeof(chrome_vec1));

    /* A smaller array gets a prefix. */
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, 8), 0);
    assert_int_equal(tw.n, 8);
    assert_int_equal(tw.status_count, 13);
    assert_int_equal(pkts[7].received, 0);
}

static void test_negative_reference(void **state)
{
    (void)state;
    yh_rtcp_twcc_t tw;
    yh_rtcp_pkt_t p = one_pkt(negative_ref, sizeof(negative_ref));
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), 0);
    assert_int_equal(tw.reference_time, -2);
    assert_int_equal(tw.status_count, 0);
    assert_int_equal(tw.n, 0);
    assert_int_equal(tw.fb_count, 1);
}

/* parse(build(x)) == x, with x's arrival times on the 250 us grid. */
static void roundtrip(const int64_t *at, size_t n, uint16_t base)
{
    yh_rtcp_twcc_t tw;
    int len = yh_rtcp_build_twcc(buf, sizeof(buf), 11, 22, base, at, n, 77);
    assert_true(len > 0);
    assert_int_equal(len % 4, 0);
    yh_rtcp_pkt_t p = one_pkt(buf, (size_t)len);
    assert_int_equal(p.count, 15);
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), 0);
    assert_int_equal(tw.fb.sender_ssrc, 11);
    assert_int_equal(tw.fb.media_ssrc, 22);
    assert_int_equal(tw.base_seq, base);
    assert_int_equal(tw.status_count, n);
    assert_int_equal(tw.fb_count, 77);
    assert_int_equal(tw.n, n);
    int64_t t = (int64_t)tw.reference_time * 64000;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pkts[i].seq, (uint16_t)(base + i));
        assert_int_equal(pkts[i].received, at[i] >= 0);
        if (at[i] < 0)
            continue;
        t += pkts[i].delta_us;
        assert_int_equal(t, at[i] / 250 * 250);
    }
    /* Too small a buffer is refused at every size. */
    for (size_t cap = 0; cap < (size_t)len; cap += 1 + (size_t)len / 64)
        assert_int_equal(yh_rtcp_build_twcc(buf, cap, 11, 22, base, at, n, 77), YH_ENOSPACE);
}

static void test_roundtrip_small_deltas(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 30; n++) {
        for (size_t i = 0; i < n; i++)
            arrival[i] = 1000000 + (int64_t)i * 5250 + (int64_t)(i % 3) * 17;
        roundtrip(arrival, n, 65530); /* sequence numbers wrap */
    }
}

static void test_roundtrip_loss_gaps(void **state)
{
    (void)state;
    size_t n = 0;
    for (int i = 0; i < 3; i++)
        arrival[n++] = 2000000 + i * 1000;
    for (int i = 0; i < 100; i++)
        arrival[n++] = -1;
    for (int i = 0; i < 5; i++)
        arrival[n++] = 2100000 + i * 1000;
    for (int i = 0; i < 9000; i++) /* longer than one run-length chunk */
        arrival[n++] = -1;
    arrival[n++] = 2200000;
    roundtrip(arrival, n, 100);

    /* Leading loss: the reference time comes from the first received. */
    arrival[0] = -1;
    arrival[1] = -1;
    arrival[2] = 999999;
    roundtrip(arrival, 3, 0);
    /* Nothing received at all. */
    roundtrip(arrival, 2, 0);
}

/* Large (> 63.75 ms) and negative deltas need the 2-byte form and 2-bit
 * status vectors, mixed with small ones and losses over > 14 packets. */
static void test_roundtrip_large_negative(void **state)
{
    (void)state;
    const int64_t pattern[] = {
        5000000, 5000250, 5100000, /* +99.75 ms: large */
        5099000,                   /* -1 ms: negative */
        -1,      5099500, 5099500, -1,      -1,      5300000, 5300250, 5300500, 5300750,
        5301000, 5301250, 5301500, 5301750, 5302000, 5291000, -1,      5292000, 5293000,
        5294000, 5295000, 5296000, 5297000, 5298000, 5299000, 5300000, 9000000, 0 + 9000250,
    };
    size_t n = sizeof(pattern) / sizeof(pattern[0]);
    memcpy(arrival, pattern, sizeof(pattern));
    roundtrip(arrival, n, 40000);
    /* Two small then two large: a 2-bit status vector comes first. */
    assert_true(yh_rtcp_build_twcc(buf, sizeof(buf), 1, 2, 3, arrival, n, 0) > 0);
    assert_int_equal(buf[20] >> 6, 3);

    /* The extremes of the 2-byte form: +8191.75 ms and -8192 ms. */
    const int64_t extremes[] = {64000, 64000 + 32767 * 250, 64000 + 32767 * 250 - 32768 * 250};
    roundtrip(extremes, 3, 1);
    const int64_t too_far[] = {64000, 64000 + 32768 * 250};
    assert_int_equal(yh_rtcp_build_twcc(buf, sizeof(buf), 1, 2, 3, too_far, 2, 0), YH_ERANGE);
    const int64_t too_early[] = {8400000, 8464000, 8464000 - 32769 * 250};
    assert_int_equal(yh_rtcp_build_twcc(buf, sizeof(buf), 1, 2, 3, too_early, 3, 0), YH_ERANGE);
}

/* A long run of small deltas uses run-length chunks: 9000 packets cost two
 * chunks, not 643 vectors. */
static void test_run_length_choice(void **state)
{
    (void)state;
    for (size_t i = 0; i < 9000; i++)
        arrival[i] = 64000 + (int64_t)i * 250;
    roundtrip(arrival, 9000, 7);
    int len = yh_rtcp_build_twcc(buf, sizeof(buf), 1, 2, 7, arrival, 9000, 0);
    assert_int_equal(len, (20 + 2 * 2 + 9000 + 3) / 4 * 4);
    assert_int_equal(buf[20], 0x3f); /* run of 8191 small deltas */
    assert_int_equal(buf[21], 0xff);
}

/* Pseudo-random mixes of loss, small, large and negative deltas. */
static void test_roundtrip_random(void **state)
{
    (void)state;
    uint32_t x = 12345;
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + (x = x * 1103515245u + 12345u) % 300;
        int64_t t = 1000000 + (int64_t)(x % 5000000);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            uint32_t r = (x >> 16) % 100;
            if (r < 20u + (uint32_t)round % 50u) {
                arrival[i] = -1;
                continue;
            }
            if (r < 85)
                t += (x >> 8) % 40000;
            else if (r < 95)
                t += 70000 + (x >> 8) % 1000000;
            else
                t -= (x >> 8) % 50000;
            arrival[i] = t;
        }
        roundtrip(arrival, n, (uint16_t)x);
    }
}

static void test_hostile(void **state)
{
    (void)state;
    yh_rtcp_twcc_t tw;
    uint8_t b[sizeof(chrome_vec1)];

    /* Status count larger than the chunks present. */
    memcpy(b, chrome_vec1, sizeof(b));
    b[14] = 0x03;
    b[15] = 0xe8; /* 1000 packets */
    yh_rtcp_pkt_t p = one_pkt(b, sizeof(b));
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), YH_ETRUNC);
    b[14] = 0xff;
    b[15] = 0xff;
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), YH_ETRUNC);
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, 0), YH_ETRUNC);

    /* Chunks cover the count, but the deltas are missing: run of 13 large. */
    memcpy(b, chrome_vec1, sizeof(b));
    b[20] = 0x40;
    b[21] = 0x0d;
    p = one_pkt(b, sizeof(b));
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), YH_ETRUNC);
    /* ... which a caller asking for a prefix does not need. */
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, 5), 0);
    assert_int_equal(tw.n, 5);
    assert_int_equal(pkts[0].delta_us, (int64_t)(int16_t)0x1000 * 250);

    /* Reserved symbol, in a run and in a 2-bit vector. */
    b[20] = 0x60;
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), YH_EPARSE);
    b[20] = 0xf0;
    b[21] = 0x00;
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), YH_EPARSE);

    /* Every truncation, through the iterator and directly. */
    for (size_t len = 0; len < sizeof(chrome_vec1); len++) {
        uint8_t *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, chrome_vec1, len);
        yh_rtcp_iter_t it;
        yh_rtcp_pkt_t q, d = {.pt = 205, .count = 15, .data = copy, .len = len};
        yh_rtcp_iter_init(&it, copy, len);
        assert_true(yh_rtcp_next(&it, &q) <= 0);
        assert_true(yh_rtcp_parse_twcc(&d, &tw, pkts, MAXN) < 0);
        /* The length field agreeing with a short view: parse what is there. */
        if (len >= 4 && len % 4 == 0) {
            copy[2] = 0;
            copy[3] = (uint8_t)(len / 4 - 1);
            assert_true(yh_rtcp_parse_twcc(&d, &tw, pkts, MAXN) < 0);
        }
        free(copy);
    }

    /* Wrong feedback type. */
    const uint8_t nack[] = {0x81, 205, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 0};
    p = one_pkt(nack, sizeof(nack));
    assert_int_equal(yh_rtcp_parse_twcc(&p, &tw, pkts, MAXN), YH_EUNSUPPORTED);
    assert_int_equal(yh_rtcp_build_twcc(buf, sizeof(buf), 1, 2, 3, arrival, 65536, 0), YH_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chrome_run_length),
        cmocka_unit_test(test_chrome_status_vector),
        cmocka_unit_test(test_negative_reference),
        cmocka_unit_test(test_roundtrip_small_deltas),
        cmocka_unit_test(test_roundtrip_loss_gaps),
        cmocka_unit_test(test_roundtrip_large_negative),
        cmocka_unit_test(test_run_length_choice),
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
