/*
 * RTCP: compound iteration and the SR, RR, SDES, BYE, NACK, PLI, FIR and
 * REMB parsers and builders. The known-good packets are the hand-assembled
 * vectors of libwebrtc's rtcp_packet unit tests (modules/rtp_rtcp/source/
 * rtcp_packet/<type>_unittest.cc), re-typed here as bytes.
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

#define SENDER 0x12345678u
#define REMOTE 0x23456789u

static const uint8_t sr_vec[] = {0x80, 200,  0x00, 0x06, 0x12, 0x34, 0x56, 0x78, 0x11, 0x12,
                                 0x14, 0x18, 0x22, 0x24, 0x26, 0x28, 0x33, 0x34, 0x35, 0x36,
                                 0x44, 0x45, 0x46, 0x47, 0x55, 0x56, 0x57, 0x58};
static const uint8_t rr_vec[] = {0x81, 201,  0x00, 0x07, 0x12, 0x34, 0x56, 0x78, 0x23, 0x45, 0x67,
                                 0x89, 55,   0x11, 0x12, 0x13, 0x22, 0x23, 0x24, 0x25, 0x33, 0x34,
                                 0x35, 0x36, 0x44, 0x45, 0x46, 0x47, 0x55, 0x56, 0x57, 0x58};
static const uint8_t nack_vec[] = {0x81, 205,  0x00, 0x03, 0x12, 0x34, 0x56, 0x78,
                                   0x23, 0x45, 0x67, 0x89, 0x00, 0x00, 0x80, 0x85};
static const uint16_t nack_list[] = {0, 1, 3, 8, 16};
static const uint8_t nack_wrap_vec[] = {0x81, 205,  0x00, 0x06, 0x12, 0x34, 0x56, 0x78, 0x23, 0x45,
                                        0x67, 0x89, 0xff, 0xdc, 0x80, 0x00, 0xff, 0xfe, 0x00, 0x17,
                                        0x00, 0x14, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00};
static const uint16_t nack_wrap_list[] = {0xffdc, 0xffec, 0xfffe, 0xffff, 0x0000,
                                          0x0001, 0x0003, 0x0014, 0x0064};
static const uint8_t pli_vec[] = {0x81, 206,  0x00, 0x02, 0x12, 0x34,
                                  0x56, 0x78, 0x23, 0x45, 0x67, 0x89};
static const uint8_t fir_vec[] = {0x84, 206,  0x00, 0x04, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00,
                                  0x00, 0x00, 0x23, 0x45, 0x67, 0x89, 0x0d, 0x00, 0x00, 0x00};
/* 522022 bps = 0x3fb93 << 1 for three SSRCs. */
static const uint8_t remb_vec[] = {0x8f, 206,  0x00, 0x07, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00,
                                   0x00, 'R',  'E',  'M',  'B',  0x03, 0x07, 0xfb, 0x93, 0x23, 0x45,
                                   0x67, 0x89, 0x23, 0x45, 0x67, 0x8a, 0x23, 0x45, 0x67, 0x8b};
static const uint32_t remb_ssrcs[] = {0x23456789, 0x2345678a, 0x2345678b};

/* The single packet of a buffer, through the iterator. */
static yh_rtcp_pkt_t one_pkt(const uint8_t *buf, size_t len)
{
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    yh_rtcp_iter_init(&it, buf, len);
    assert_int_equal(yh_rtcp_next(&it, &p), 1);
    assert_int_equal(p.len, len);
    assert_int_equal(yh_rtcp_next(&it, &p), 0);
    return p;
}

static void test_sr_vector(void **state)
{
    (void)state;
    yh_rtcp_sr_t sr;
    yh_rtcp_pkt_t p = one_pkt(sr_vec, sizeof(sr_vec));
    assert_int_equal(p.pt, YH_RTCP_SR);
    assert_int_equal(yh_rtcp_parse_sr(&p, &sr), 0);
    assert_int_equal(sr.ssrc, SENDER);
    assert_true(sr.ntp == 0x1112141822242628ull);
    assert_int_equal(sr.rtp_ts, 0x33343536);
    assert_int_equal(sr.packet_count, 0x44454647);
    assert_int_equal(sr.octet_count, 0x55565758);
    assert_int_equal(sr.n_reports, 0);

    uint8_t buf[64];
    assert_int_equal(yh_rtcp_build_sr(buf, sizeof(buf), &sr), sizeof(sr_vec));
    assert_memory_equal(buf, sr_vec, sizeof(sr_vec));
}

static void test_rr_vector(void **state)
{
    (void)state;
    yh_rtcp_rr_t rr;
    yh_rtcp_pkt_t p = one_pkt(rr_vec, sizeof(rr_vec));
    assert_int_equal(yh_rtcp_parse_rr(&p, &rr), 0);
    assert_int_equal(rr.ssrc, SENDER);
    assert_int_equal(rr.n_reports, 1);
    const yh_rtcp_report_block_t *rb = &rr.reports[0];
    assert_int_equal(rb->ssrc, REMOTE);
    assert_int_equal(rb->fraction_lost, 55);
    assert_int_equal(rb->cumulative_lost, 0x111213);
    assert_int_equal(rb->ext_highest_seq, 0x22232425);
    assert_int_equal(rb->jitter, 0x33343536);
    assert_int_equal(rb->lsr, 0x44454647);
    assert_int_equal(rb->dlsr, 0x55565758);

    uint8_t buf[64];
    assert_int_equal(yh_rtcp_build_rr(buf, sizeof(buf), &rr), sizeof(rr_vec));
    assert_memory_equal(buf, rr_vec, sizeof(rr_vec));
    /* The wrong parser refuses it. */
    yh_rtcp_sr_t sr;
    assert_int_equal(yh_rtcp_parse_sr(&p, &sr), YH_EUNSUPPORTED);
}

/* 31 report blocks, negative cumulative loss, then every shorter buffer. */
static void test_sr_rr_roundtrip(void **state)
{
    (void)state;
    static yh_rtcp_sr_t sr, sr2;
    static yh_rtcp_rr_t rr, rr2;
    memset(&sr, 0, sizeof(sr));
    sr.ssrc = 1;
    sr.ntp = 0xE0000000DEADBEEFull;
    sr.rtp_ts = 2;
    sr.packet_count = 3;
    sr.octet_count = 4;
    sr.n_reports = YH_RTCP_MAX_REPORTS;
    for (int i = 0; i < YH_RTCP_MAX_REPORTS; i++) {
        yh_rtcp_report_block_t *b = &sr.reports[i];
        b->ssrc = 100u + (uint32_t)i;
        b->fraction_lost = (uint8_t)(i * 8);
        b->cumulative_lost = i % 2 ? -i * 1000 : i * 100000;
        b->ext_highest_seq = 0x10000u * (uint32_t)i + 5;
        b->jitter = (uint32_t)i * 7;
        b->lsr = 0xAAAA0000u + (uint32_t)i;
        b->dlsr = 0x5555u * (uint32_t)i;
    }
    sr.reports[0].cumulative_lost = -0x800000;
    sr.reports[2].cumulative_lost = 0x7FFFFF;
    uint8_t buf[1024];
    int n = yh_rtcp_build_sr(buf, sizeof(buf), &sr);
    assert_int_equal(n, 28 + 31 * 24);
    yh_rtcp_pkt_t p = one_pkt(buf, (size_t)n);
    assert_int_equal(p.count, 31);
    assert_int_equal(yh_rtcp_parse_sr(&p, &sr2), 0);
    assert_memory_equal(&sr, &sr2, sizeof(sr));
    for (size_t cap = 0; cap < (size_t)n; cap++)
        assert_int_equal(yh_rtcp_build_sr(buf, cap, &sr), YH_ENOSPACE);

    memset(&rr, 0, sizeof(rr));
    rr.ssrc = 9;
    rr.n_reports = 2;
    rr.reports[0] = sr.reports[1];
    rr.reports[1] = sr.reports[0];
    n = yh_rtcp_build_rr(buf, sizeof(buf), &rr);
    assert_int_equal(n, 8 + 2 * 24);
    p = one_pkt(buf, (size_t)n);
    assert_int_equal(yh_rtcp_parse_rr(&p, &rr2), 0);
    assert_memory_equal(&rr, &rr2, sizeof(rr));

    rr.n_reports = 32;
    assert_int_equal(yh_rtcp_build_rr(buf, sizeof(buf), &rr), YH_EINVAL);
}

/* RC promising more blocks than the packet holds. */
static void test_rr_hostile_count(void **state)
{
    (void)state;
    uint8_t b[sizeof(rr_vec)];
    yh_rtcp_rr_t rr;
    memcpy(b, rr_vec, sizeof(b));
    b[0] = 0x80 | 31;
    yh_rtcp_pkt_t p = one_pkt(b, sizeof(b));
    assert_int_equal(yh_rtcp_parse_rr(&p, &rr), YH_ETRUNC);
    b[0] = 0x80; /* zero blocks and a spare one: extension data, ignored */
    p = one_pkt(b, sizeof(b));
    assert_int_equal(yh_rtcp_parse_rr(&p, &rr), 0);
    assert_int_equal(rr.n_reports, 0);
}

static void test_padding(void **state)
{
    (void)state;
    /* RR without blocks, P set, 4 bytes of padding counted by the last. */
    uint8_t b[] = {0xa0, 201, 0x00, 0x02, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x04};
    yh_rtcp_rr_t rr;
    yh_rtcp_pkt_t p = one_pkt(b, sizeof(b));
    assert_int_equal(yh_rtcp_parse_rr(&p, &rr), 0);
    assert_int_equal(rr.ssrc, SENDER);
    b[11] = 0;
    assert_int_equal(yh_rtcp_parse_rr(&p, &rr), YH_EPARSE);
    b[11] = 9;
    assert_int_equal(yh_rtcp_parse_rr(&p, &rr), YH_EPARSE);
    b[11] = 8; /* eats the SSRC */
    assert_int_equal(yh_rtcp_parse_rr(&p, &rr), YH_ETRUNC);
}

static void test_compound(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t off = 0;
    static yh_rtcp_sr_t sr;
    memset(&sr, 0, sizeof(sr));
    sr.ssrc = 77;
    off += (size_t)yh_rtcp_build_sr(buf + off, sizeof(buf) - off, &sr);
    off += (size_t)yh_rtcp_build_sdes_cname(buf + off, sizeof(buf) - off, 77, "yunhui");
    off += (size_t)yh_rtcp_build_remb(buf + off, sizeof(buf) - off, 77, 1000000, remb_ssrcs, 3);
    off += (size_t)yh_rtcp_build_pli(buf + off, sizeof(buf) - off, 77, 88);
    const uint16_t lost[] = {5, 6};
    off += (size_t)yh_rtcp_build_nack(buf + off, sizeof(buf) - off, 77, 88, lost, 2);

    const uint8_t want_pt[] = {YH_RTCP_SR, YH_RTCP_SDES, YH_RTCP_PSFB, YH_RTCP_PSFB, YH_RTCP_RTPFB};
    const uint8_t want_count[] = {0, 1, 15, 1, 1};
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    size_t k = 0, total = 0;
    int rc;
    yh_rtcp_iter_init(&it, buf, off);
    while ((rc = yh_rtcp_next(&it, &p)) == 1) {
        assert_true(k < 5);
        assert_int_equal(p.pt, want_pt[k]);
        assert_int_equal(p.count, want_count[k]);
        total += p.len;
        k++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(k, 5);
    assert_int_equal(total, off);

    /* Every strict prefix that cuts a packet fails; none reads past it. */
    for (size_t len = 1; len < off; len++) {
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, buf, len);
        yh_rtcp_iter_init(&it, copy, len);
        size_t seen = 0;
        while ((rc = yh_rtcp_next(&it, &p)) == 1)
            seen += p.len;
        assert_true(rc == 0 ? seen == len : rc == YH_ETRUNC);
        free(copy);
    }

    /* A bad version in the middle stops the walk there. */
    buf[28] = 0x41;
    yh_rtcp_iter_init(&it, buf, off);
    assert_int_equal(yh_rtcp_next(&it, &p), 1);
    assert_int_equal(yh_rtcp_next(&it, &p), YH_EPARSE);
}

static void test_sdes_cname(void **state)
{
    (void)state;
    uint8_t buf[300];
    char name[64];
    uint32_t ssrc;
    /* RFC 3550 6.5: 10-byte CNAME, one null terminator, padded to 32 bits. */
    const uint8_t want[] = {0x81, 202, 0x00, 0x05, 0x12, 0x34, 0x56, 0x78, 0x01, 0x0a, 'a',  'l',
                            'i',  'c', 'e',  '@',  'h',  'o',  's',  't',  0x00, 0x00, 0x00, 0x00};
    int n = yh_rtcp_build_sdes_cname(buf, sizeof(buf), SENDER, "alice@host");
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    yh_rtcp_pkt_t p = one_pkt(buf, (size_t)n);
    assert_int_equal(yh_rtcp_parse_sdes_cname(&p, &ssrc, name, sizeof(name)), 0);
    assert_int_equal(ssrc, SENDER);
    assert_string_equal(name, "alice@host");
    assert_int_equal(yh_rtcp_parse_sdes_cname(&p, &ssrc, name, 10), YH_ENOSPACE);
    for (size_t cap = 0; cap < sizeof(want); cap++)
        assert_int_equal(yh_rtcp_build_sdes_cname(buf, cap, SENDER, "alice@host"), YH_ENOSPACE);

    /* 11 chars: 2 + 11 + 1 null = 14, padded to 16. */
    n = yh_rtcp_build_sdes_cname(buf, sizeof(buf), 1, "abcdefghijk");
    assert_int_equal(n, 4 + 4 + 16);

    /* Two chunks: the first has only a NAME item, the second the CNAME. */
    const uint8_t two[] = {0x82, 202,  0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x02, 0x01,
                           'x',  0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 'c',  'd',
                           0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    p = one_pkt(two, sizeof(two));
    assert_int_equal(yh_rtcp_parse_sdes_cname(&p, &ssrc, name, sizeof(name)), 0);
    assert_int_equal(ssrc, 2);
    assert_string_equal(name, "cd");

    /* An item length running past the packet, and a count of 3 chunks. */
    uint8_t bad[sizeof(two)];
    memcpy(bad, two, sizeof(bad));
    bad[17] = 40;
    p = one_pkt(bad, sizeof(bad));
    assert_int_equal(yh_rtcp_parse_sdes_cname(&p, &ssrc, name, sizeof(name)), YH_ETRUNC);
    memcpy(bad, two, sizeof(bad));
    bad[0] = 0x83;
    bad[16] = 0x04; /* chunk 2 without CNAME */
    p = one_pkt(bad, sizeof(bad));
    assert_int_equal(yh_rtcp_parse_sdes_cname(&p, &ssrc, name, sizeof(name)), YH_ETRUNC);
    bad[0] = 0x82;
    assert_int_equal(yh_rtcp_parse_sdes_cname(&p, &ssrc, name, sizeof(name)), YH_ENOTFOUND);

    char big[300];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_equal(yh_rtcp_build_sdes_cname(buf, sizeof(buf), 1, big), YH_EINVAL);
}

static void test_bye(void **state)
{
    (void)state;
    const uint32_t ssrcs[] = {1, 2, 3};
    uint32_t got[4];
    size_t n;
    uint8_t buf[64];
    int len = yh_rtcp_build_bye(buf, sizeof(buf), ssrcs, 3);
    assert_int_equal(len, 16);
    assert_memory_equal(buf, "\x83\xcb\x00\x03", 4);
    yh_rtcp_pkt_t p = one_pkt(buf, (size_t)len);
    assert_int_equal(yh_rtcp_parse_bye(&p, got, 4, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(got, ssrcs, sizeof(ssrcs));
    assert_int_equal(yh_rtcp_parse_bye(&p, got, 2, &n), 0);
    assert_int_equal(n, 2);

    /* With a reason: "bye" after one SSRC. */
    const uint8_t reason[] = {0x81, 203, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09, 0x03, 'b', 'y', 'e'};
    p = one_pkt(reason, sizeof(reason));
    assert_int_equal(yh_rtcp_parse_bye(&p, got, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(got[0], 9);
    uint8_t lie[sizeof(reason)];
    memcpy(lie, reason, sizeof(lie));
    lie[0] = 0x84; /* 4 SSRCs in 8 bytes */
    p = one_pkt(lie, sizeof(lie));
    assert_int_equal(yh_rtcp_parse_bye(&p, got, 4, &n), YH_ETRUNC);
    assert_int_equal(yh_rtcp_build_bye(buf, sizeof(buf), ssrcs, 32), YH_EINVAL);
}

static void test_nack_vectors(void **state)
{
    (void)state;
    yh_rtcp_fb_t fb;
    uint16_t lost[64];
    size_t n;
    uint8_t buf[64];

    yh_rtcp_pkt_t p = one_pkt(nack_vec, sizeof(nack_vec));
    assert_int_equal(yh_rtcp_parse_nack(&p, &fb, lost, 64, &n), 0);
    assert_int_equal(fb.sender_ssrc, SENDER);
    assert_int_equal(fb.media_ssrc, REMOTE);
    assert_int_equal(n, 5);
    assert_memory_equal(lost, nack_list, sizeof(nack_list));
    assert_int_equal(yh_rtcp_build_nack(buf, sizeof(buf), SENDER, REMOTE, nack_list, 5),
                     sizeof(nack_vec));
    assert_memory_equal(buf, nack_vec, sizeof(nack_vec));

    p = one_pkt(nack_wrap_vec, sizeof(nack_wrap_vec));
    assert_int_equal(yh_rtcp_parse_nack(&p, &fb, lost, 64, &n), 0);
    assert_int_equal(n, 9);
    assert_memory_equal(lost, nack_wrap_list, sizeof(nack_wrap_list));
    assert_int_equal(yh_rtcp_build_nack(buf, sizeof(buf), SENDER, REMOTE, nack_wrap_list, 9),
                     sizeof(nack_wrap_vec));
    assert_memory_equal(buf, nack_wrap_vec, sizeof(nack_wrap_vec));
    for (size_t cap = 0; cap < sizeof(nack_wrap_vec); cap++)
        assert_int_equal(yh_rtcp_build_nack(buf, cap, SENDER, REMOTE, nack_wrap_list, 9),
                         YH_ENOSPACE);

    /* The caller's array bounds the expansion. */
    assert_int_equal(yh_rtcp_parse_nack(&p, &fb, lost, 3, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(lost, nack_wrap_list, 3 * sizeof(uint16_t));

    /* Feedback header without any FCI item. */
    const uint8_t empty[] = {0x81, 205, 0x00, 0x02, 0x12, 0x34, 0x56, 0x78, 0x23, 0x45, 0x67, 0x89};
    p = one_pkt(empty, sizeof(empty));
    assert_int_equal(yh_rtcp_parse_nack(&p, &fb, lost, 64, &n), YH_ETRUNC);
    assert_int_equal(yh_rtcp_build_nack(buf, sizeof(buf), 1, 2, lost, 0), YH_EINVAL);
}

/* Unsorted input with duplicates still reports every number. */
static void test_nack_any_order(void **state)
{
    (void)state;
    const uint16_t in[] = {500, 17, 17, 3, 65535, 20, 4, 1000};
    uint8_t buf[128];
    uint16_t out[128];
    size_t n;
    yh_rtcp_fb_t fb;
    int len = yh_rtcp_build_nack(buf, sizeof(buf), 1, 2, in, sizeof(in) / sizeof(in[0]));
    assert_true(len > 0);
    yh_rtcp_pkt_t p = one_pkt(buf, (size_t)len);
    assert_int_equal(yh_rtcp_parse_nack(&p, &fb, out, 128, &n), 0);
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        int found = 0;
        for (size_t j = 0; j < n; j++)
            found |= out[j] == in[i];
        assert_true(found);
    }
    /* 65535, 0..15 coverage: 65535 then 4 is +5 → same item. */
    const uint16_t wrap[] = {65535, 4, 15};
    len = yh_rtcp_build_nack(buf, sizeof(buf), 1, 2, wrap, 3);
    assert_int_equal(len, 16);
}

static void test_pli_fir(void **state)
{
    (void)state;
    yh_rtcp_fb_t fb;
    uint8_t buf[64];
    uint32_t ssrc;
    uint8_t seq;

    yh_rtcp_pkt_t p = one_pkt(pli_vec, sizeof(pli_vec));
    assert_int_equal(yh_rtcp_parse_pli(&p, &fb), 0);
    assert_int_equal(fb.sender_ssrc, SENDER);
    assert_int_equal(fb.media_ssrc, REMOTE);
    assert_int_equal(yh_rtcp_build_pli(buf, sizeof(buf), SENDER, REMOTE), sizeof(pli_vec));
    assert_memory_equal(buf, pli_vec, sizeof(pli_vec));
    assert_int_equal(yh_rtcp_build_pli(buf, 11, SENDER, REMOTE), YH_ENOSPACE);
    assert_int_equal(yh_rtcp_parse_fir(&p, &fb, &ssrc, &seq), YH_EUNSUPPORTED);

    p = one_pkt(fir_vec, sizeof(fir_vec));
    assert_int_equal(yh_rtcp_parse_fir(&p, &fb, &ssrc, &seq), 0);
    assert_int_equal(fb.sender_ssrc, SENDER);
    assert_int_equal(fb.media_ssrc, 0);
    assert_int_equal(ssrc, REMOTE);
    assert_int_equal(seq, 13);
    assert_int_equal(yh_rtcp_build_fir(buf, sizeof(buf), SENDER, REMOTE, 13), sizeof(fir_vec));
    assert_memory_equal(buf, fir_vec, sizeof(fir_vec));
    assert_int_equal(yh_rtcp_build_fir(buf, 19, SENDER, REMOTE, 13), YH_ENOSPACE);
    assert_int_equal(yh_rtcp_parse_pli(&p, &fb), YH_EUNSUPPORTED);

    /* FIR without its FCI entry. */
    uint8_t short_fir[12];
    memcpy(short_fir, fir_vec, 12);
    short_fir[3] = 2;
    p = one_pkt(short_fir, sizeof(short_fir));
    assert_int_equal(yh_rtcp_parse_fir(&p, &fb, &ssrc, &seq), YH_ETRUNC);
}

static void test_remb(void **state)
{
    (void)state;
    yh_rtcp_fb_t fb;
    uint64_t bps;
    uint32_t ssrcs[8];
    size_t n;
    uint8_t buf[128];

    yh_rtcp_pkt_t p = one_pkt(remb_vec, sizeof(remb_vec));
    assert_int_equal(yh_rtcp_parse_remb(&p, &fb, &bps, ssrcs, 8, &n), 0);
    assert_int_equal(fb.sender_ssrc, SENDER);
    assert_int_equal(bps, 522022);
    assert_int_equal(n, 3);
    assert_memory_equal(ssrcs, remb_ssrcs, sizeof(remb_ssrcs));
    assert_int_equal(yh_rtcp_build_remb(buf, sizeof(buf), SENDER, 522022, remb_ssrcs, 3),
                     sizeof(remb_vec));
    assert_memory_equal(buf, remb_vec, sizeof(remb_vec));
    for (size_t cap = 0; cap < sizeof(remb_vec); cap++)
        assert_int_equal(yh_rtcp_build_remb(buf, cap, SENDER, 522022, remb_ssrcs, 3), YH_ENOSPACE);

    /* A 64-bit bitrate keeps its 18 significant bits. */
    const uint64_t big = 0x3fb93ull << 30;
    int len = yh_rtcp_build_remb(buf, sizeof(buf), SENDER, big, remb_ssrcs, 0);
    assert_int_equal(len, 20);
    p = one_pkt(buf, (size_t)len);
    assert_int_equal(yh_rtcp_parse_remb(&p, &fb, &bps, ssrcs, 8, &n), 0);
    assert_true(bps == big);
    assert_int_equal(n, 0);

    /* Bitrates that do not fit 64 bits, another AFB, lying SSRC count. */
    uint8_t bad[sizeof(remb_vec)];
    memcpy(bad, remb_vec, sizeof(bad));
    bad[17] = 0xff; /* exp 63, mantissa 0x3fb93 */
    p = one_pkt(bad, sizeof(bad));
    assert_int_equal(yh_rtcp_parse_remb(&p, &fb, &bps, ssrcs, 8, &n), YH_EPARSE);
    memcpy(bad, remb_vec, sizeof(bad));
    bad[15] = 'X';
    assert_int_equal(yh_rtcp_parse_remb(&p, &fb, &bps, ssrcs, 8, &n), YH_EUNSUPPORTED);
    memcpy(bad, remb_vec, sizeof(bad));
    bad[16] = 4;
    assert_int_equal(yh_rtcp_parse_remb(&p, &fb, &bps, ssrcs, 8, &n), YH_ETRUNC);
    assert_int_equal(yh_rtcp_build_remb(buf, sizeof(buf), 1, 1, remb_ssrcs, 256), YH_EINVAL);
}

/* Every known-good packet, cut at every length and handed to every parser
 * directly (bypassing the iterator's checks): errors, never overreads. */
static void test_truncation_all_parsers(void **state)
{
    (void)state;
    const struct {
        const uint8_t *p;
        size_t len;
    } v[] = {
        {sr_vec, sizeof(sr_vec)},     {rr_vec, sizeof(rr_vec)},
        {nack_vec, sizeof(nack_vec)}, {nack_wrap_vec, sizeof(nack_wrap_vec)},
        {pli_vec, sizeof(pli_vec)},   {fir_vec, sizeof(fir_vec)},
        {remb_vec, sizeof(remb_vec)},
    };
    static yh_rtcp_sr_t sr;
    static yh_rtcp_rr_t rr;
    yh_rtcp_fb_t fb;
    uint16_t lost[64];
    uint32_t ssrcs[8], ssrc;
    uint64_t bps;
    uint8_t seq;
    size_t n;
    char name[16];
    for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
        for (size_t len = 0; len < v[k].len; len++) {
            uint8_t *copy = malloc(len ? len : 1);
            assert_non_null(copy);
            memcpy(copy, v[k].p, len);
            yh_rtcp_pkt_t p = {
                .pt = v[k].p[1], .count = v[k].p[0] & 0x1F, .data = copy, .len = len};
            yh_rtcp_iter_t it;
            yh_rtcp_pkt_t q;
            yh_rtcp_iter_init(&it, copy, len);
            assert_true(yh_rtcp_next(&it, &q) <= 0);
            assert_true(yh_rtcp_parse_sr(&p, &sr) < 0);
            assert_true(yh_rtcp_parse_rr(&p, &rr) < 0);
            assert_true(yh_rtcp_parse_nack(&p, &fb, lost, 64, &n) < 0);
            assert_true(yh_rtcp_parse_pli(&p, &fb) < 0);
            assert_true(yh_rtcp_parse_fir(&p, &fb, &ssrc, &seq) < 0);
            assert_true(yh_rtcp_parse_remb(&p, &fb, &bps, ssrcs, 8, &n) < 0);
            assert_true(yh_rtcp_parse_sdes_cname(&p, &ssrc, name, sizeof(name)) < 0);
            assert_true(yh_rtcp_parse_bye(&p, ssrcs, 8, &n) < 0);
            free(copy);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sr_vector),
        cmocka_unit_test(test_rr_vector),
        cmocka_unit_test(test_sr_rr_roundtrip),
        cmocka_unit_test(test_rr_hostile_count),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_compound),
        cmocka_unit_test(test_sdes_cname),
        cmocka_unit_test(test_bye),
        cmocka_unit_test(test_nack_vectors),
        cmocka_unit_test(test_nack_any_order),
        cmocka_unit_test(test_pli_fir),
        cmocka_unit_test(test_remb),
        cmocka_unit_test(test_truncation_all_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
