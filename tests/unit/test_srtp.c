/*
 * SRTP/SRTCP sessions: libsrtp's own known-answer packets for both
 * profiles (so the key||salt layout and policies are the standard ones),
 * round trips, the replay window, RTX repeats, and rejection of bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/bytes.h"
#include "base/err.h"
#include "srtp/srtp.h"

#define CAP (1500 + YH_SRTP_MAX_OVERHEAD)

/* From libsrtp's test/srtp_driver.c (srtp_validate, srtp_validate_gcm):
 * one RTP and one RTCP packet of SSRC 0xcafebabe under a fixed key. */
static const uint8_t cm_key[30] = {
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
    0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t gcm_key[28] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
    0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};
static const uint8_t rtp_plain[28] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t rtcp_plain[24] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t cm_rtp_cipher[38] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
    0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
    0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
static const uint8_t cm_rtcp_cipher[38] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4,
    0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00,
    0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
};
static const uint8_t gcm_rtp_cipher[44] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
    0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
    0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
};
static const uint8_t gcm_rtcp_cipher[44] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a,
    0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3,
    0xb4, 0x46, 0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01,
};

/* Both directions under the same master key and salt. */
static yh_srtp_keys_t same_keys(yh_srtp_profile_t p, const uint8_t *master)
{
    yh_srtp_keys_t k;
    memset(&k, 0, sizeof k);
    k.profile = p;
    assert_int_equal(yh_srtp_profile_sizes(p, &k.key_len, &k.salt_len), 0);
    memcpy(k.local_key, master, k.key_len);
    memcpy(k.remote_key, master, k.key_len);
    memcpy(k.local_salt, master + k.key_len, k.salt_len);
    memcpy(k.remote_salt, master + k.key_len, k.salt_len);
    return k;
}

/* Two ends of one call: a's local keys are b's remote ones. */
static void make_pair(yh_srtp_profile_t p, yh_srtp_t **a, yh_srtp_t **b)
{
    yh_srtp_keys_t ka;
    memset(&ka, 0, sizeof ka);
    ka.profile = p;
    assert_int_equal(yh_srtp_profile_sizes(p, &ka.key_len, &ka.salt_len), 0);
    for (int i = 0; i < YH_SRTP_MAX_KEY; i++) {
        ka.local_key[i] = (uint8_t)(i * 7 + 1);
        ka.remote_key[i] = (uint8_t)(i * 13 + 5);
    }
    for (int i = 0; i < YH_SRTP_MAX_SALT; i++) {
        ka.local_salt[i] = (uint8_t)(i * 3 + 2);
        ka.remote_salt[i] = (uint8_t)(i * 11 + 9);
    }
    yh_srtp_keys_t kb = ka;
    memcpy(kb.local_key, ka.remote_key, sizeof kb.local_key);
    memcpy(kb.remote_key, ka.local_key, sizeof kb.remote_key);
    memcpy(kb.local_salt, ka.remote_salt, sizeof kb.local_salt);
    memcpy(kb.remote_salt, ka.local_salt, sizeof kb.remote_salt);
    assert_int_equal(yh_srtp_create(&ka, a), 0);
    assert_int_equal(yh_srtp_create(&kb, b), 0);
}

static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t payload)
{
    buf[0] = 0x80;
    buf[1] = 96;
    wr_be16(buf + 2, seq);
    wr_be32(buf + 4, (uint32_t)seq * 3000u);
    wr_be32(buf + 8, ssrc);
    for (size_t i = 0; i < payload; i++)
        buf[12 + i] = (uint8_t)(i ^ seq);
    return 12 + payload;
}

static size_t make_rtcp_rr(uint8_t *buf, uint32_t ssrc)
{
    buf[0] = 0x80; /* RR with no report blocks */
    buf[1] = 201;
    wr_be16(buf + 2, 1);
    wr_be32(buf + 4, ssrc);
    return 8;
}

static void known_answer(yh_srtp_profile_t p, const uint8_t *master, const uint8_t *rtp_cipher,
                         size_t rtp_len, const uint8_t *rtcp_cipher, size_t rtcp_len)
{
    yh_srtp_keys_t k = same_keys(p, master);
    yh_srtp_t *tx, *rx;
    assert_int_equal(yh_srtp_create(&k, &tx), 0);
    assert_int_equal(yh_srtp_create(&k, &rx), 0);

    uint8_t buf[CAP];
    size_t len = sizeof rtp_plain;
    memcpy(buf, rtp_plain, len);
    assert_int_equal(yh_srtp_protect_rtp(tx, buf, &len, sizeof buf), 0);
    assert_int_equal(len, rtp_len);
    assert_memory_equal(buf, rtp_cipher, rtp_len);
    assert_int_equal(yh_srtp_unprotect_rtp(rx, buf, &len), 0);
    assert_int_equal(len, sizeof rtp_plain);
    assert_memory_equal(buf, rtp_plain, len);

    len = sizeof rtcp_plain;
    memcpy(buf, rtcp_plain, len);
    assert_int_equal(yh_srtp_protect_rtcp(tx, buf, &len, sizeof buf), 0);
    assert_int_equal(len, rtcp_len);
    assert_memory_equal(buf, rtcp_cipher, rtcp_len);
    assert_int_equal(yh_srtp_unprotect_rtcp(rx, buf, &len), 0);
    assert_int_equal(len, sizeof rtcp_plain);
    assert_memory_equal(buf, rtcp_plain, len);

    yh_srtp_destroy(tx);
    yh_srtp_destroy(rx);
}

static void test_known_answer_aes_cm(void **state)
{
    known_answer(YH_SRTP_AES128_CM_SHA1_80, cm_key, cm_rtp_cipher, sizeof cm_rtp_cipher,
                 cm_rtcp_cipher, sizeof cm_rtcp_cipher);
}

static void test_known_answer_gcm(void **state)
{
    known_answer(YH_SRTP_AEAD_AES_128_GCM, gcm_key, gcm_rtp_cipher, sizeof gcm_rtp_cipher,
                 gcm_rtcp_cipher, sizeof gcm_rtcp_cipher);
}

static void round_trip(yh_srtp_profile_t p)
{
    yh_srtp_t *a, *b;
    make_pair(p, &a, &b);
    uint8_t pkt[CAP], ref[CAP];
    for (uint16_t seq = 65000; seq != 200; seq++) { /* across the wrap */
        size_t len = make_rtp(pkt, seq, 0x11223344, 1188), plain = len;
        memcpy(ref, pkt, len);
        assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), 0);
        assert_true(len > plain && len - plain <= YH_SRTP_MAX_OVERHEAD);
        assert_memory_not_equal(pkt + 12, ref + 12, 32);
        assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), 0);
        assert_int_equal(len, plain);
        assert_memory_equal(pkt, ref, len);
    }
    /* The other direction, a second SSRC, and RTCP both ways. */
    size_t len = make_rtp(pkt, 7, 0x55667788, 100), plain = len;
    memcpy(ref, pkt, len);
    assert_int_equal(yh_srtp_protect_rtp(b, pkt, &len, sizeof pkt), 0);
    assert_int_equal(yh_srtp_unprotect_rtp(a, pkt, &len), 0);
    assert_memory_equal(pkt, ref, plain);
    for (int i = 0; i < 3; i++) {
        len = plain = make_rtcp_rr(pkt, 0x11223344);
        memcpy(ref, pkt, len);
        assert_int_equal(yh_srtp_protect_rtcp(i == 1 ? b : a, pkt, &len, sizeof pkt), 0);
        assert_int_equal(yh_srtp_unprotect_rtcp(i == 1 ? a : b, pkt, &len), 0);
        assert_int_equal(len, plain);
        assert_memory_equal(pkt, ref, len);
    }
    yh_srtp_destroy(a);
    yh_srtp_destroy(b);
}

static void test_round_trip_aes_cm(void **state)
{
    round_trip(YH_SRTP_AES128_CM_SHA1_80);
}

static void test_round_trip_gcm(void **state)
{
    round_trip(YH_SRTP_AEAD_AES_128_GCM);
}

static void rejects(yh_srtp_profile_t p)
{
    yh_srtp_t *a, *b;
    make_pair(p, &a, &b);
    uint8_t pkt[CAP], copy[CAP];

    /* A flipped bit anywhere, header or payload or tag. */
    size_t len = make_rtp(pkt, 1, 0xabcdef01, 200);
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), 0);
    size_t at[] = {3, 20, len - 1};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        size_t l2 = len;
        memcpy(copy, pkt, len);
        copy[at[i]] ^= 0x01;
        assert_int_equal(yh_srtp_unprotect_rtp(b, copy, &l2), YH_EINTEGRITY);
    }
    /* The right key in the wrong direction. */
    size_t l2 = len;
    memcpy(copy, pkt, len);
    assert_int_equal(yh_srtp_unprotect_rtp(a, copy, &l2), YH_EINTEGRITY);
    /* Accepted once, then a replay. */
    l2 = len;
    memcpy(copy, pkt, len);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), 0);
    assert_int_equal(yh_srtp_unprotect_rtp(b, copy, &l2), YH_EINTEGRITY);

    /* SRTCP tampering and replay. */
    len = make_rtcp_rr(pkt, 0xabcdef01);
    assert_int_equal(yh_srtp_protect_rtcp(a, pkt, &len, sizeof pkt), 0);
    memcpy(copy, pkt, len);
    copy[5] ^= 0x80;
    l2 = len;
    assert_int_equal(yh_srtp_unprotect_rtcp(b, copy, &l2), YH_EINTEGRITY);
    memcpy(copy, pkt, len);
    l2 = len;
    assert_int_equal(yh_srtp_unprotect_rtcp(b, pkt, &len), 0);
    assert_int_equal(yh_srtp_unprotect_rtcp(b, copy, &l2), YH_EINTEGRITY);

    /* Too little room for the tag; too short to be a packet. */
    len = make_rtp(pkt, 2, 0xabcdef01, 100);
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, len + YH_SRTP_MAX_OVERHEAD - 1),
                     YH_ENOSPACE);
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, len - 1), YH_ENOSPACE);
    len = 11;
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), YH_ETRUNC);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), YH_ETRUNC);
    len = 7;
    assert_int_equal(yh_srtp_protect_rtcp(a, pkt, &len, sizeof pkt), YH_ETRUNC);
    assert_int_equal(yh_srtp_unprotect_rtcp(b, pkt, &len), YH_ETRUNC);
    len = 8; /* an RTCP header and SSRC, but no SRTCP index or tag */
    assert_true(yh_srtp_unprotect_rtcp(b, pkt, &len) < 0);

    /* Header fields that promise more than the packet holds: 15 CSRCs, or
     * an extension past the end. */
    len = make_rtp(pkt, 3, 0xabcdef01, 4);
    pkt[0] = 0x8f;
    assert_true(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt) < 0);
    assert_true(yh_srtp_unprotect_rtp(b, pkt, &len) < 0);
    len = make_rtp(pkt, 4, 0xabcdef01, 4);
    pkt[0] = 0x90;
    wr_be16(pkt + 12, 0xbede);
    wr_be16(pkt + 14, 200);
    len = 16;
    assert_true(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt) < 0);
    assert_true(yh_srtp_unprotect_rtp(b, pkt, &len) < 0);

    yh_srtp_destroy(a);
    yh_srtp_destroy(b);
}

static void test_rejects_aes_cm(void **state)
{
    rejects(YH_SRTP_AES128_CM_SHA1_80);
}

static void test_rejects_gcm(void **state)
{
    rejects(YH_SRTP_AEAD_AES_128_GCM);
}

/* Packets up to 1023 behind the newest are accepted once (late
 * retransmissions), older ones are not. The sender protects in order; the
 * network reorders. */
static void test_replay_window(void **state)
{
    yh_srtp_t *a, *b;
    make_pair(YH_SRTP_AEAD_AES_128_GCM, &a, &b);
    const uint16_t seqs[] = {3000 - 1100, 3000 - 1023, 3000 - 1000, 3000};
    uint8_t pkt[4][CAP];
    size_t len[4];
    for (int i = 0; i < 4; i++) {
        len[i] = make_rtp(pkt[i], seqs[i], 0x0badcafe, 50);
        assert_int_equal(yh_srtp_protect_rtp(a, pkt[i], &len[i], sizeof pkt[i]), 0);
    }
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt[3], &len[3]), 0);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt[2], &len[2]), 0);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt[1], &len[1]), 0);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt[0], &len[0]), YH_EINTEGRITY);
    yh_srtp_destroy(a);
    yh_srtp_destroy(b);
}

/* A retransmission may protect a sequence number again (allow_repeat_tx);
 * the receiver still takes it only once. */
static void test_repeat_protect(void **state)
{
    yh_srtp_t *a, *b;
    make_pair(YH_SRTP_AES128_CM_SHA1_80, &a, &b);
    uint8_t p1[CAP], p2[CAP];
    size_t l1 = make_rtp(p1, 42, 0x01020304, 300), l2 = make_rtp(p2, 42, 0x01020304, 300);
    assert_int_equal(yh_srtp_protect_rtp(a, p1, &l1, sizeof p1), 0);
    assert_int_equal(yh_srtp_protect_rtp(a, p2, &l2, sizeof p2), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(p1, p2, l1);
    assert_int_equal(yh_srtp_unprotect_rtp(b, p2, &l2), 0);
    assert_int_equal(yh_srtp_unprotect_rtp(b, p1, &l1), YH_EINTEGRITY);
    yh_srtp_destroy(a);
    yh_srtp_destroy(b);
}

static void test_bad_keys(void **state)
{
    yh_srtp_t *s = NULL;
    yh_srtp_keys_t k = same_keys(YH_SRTP_AEAD_AES_128_GCM, gcm_key);
    k.salt_len = 14;
    assert_int_equal(yh_srtp_create(&k, &s), YH_EINVAL);
    k = same_keys(YH_SRTP_AES128_CM_SHA1_80, cm_key);
    k.key_len = 32;
    assert_int_equal(yh_srtp_create(&k, &s), YH_EINVAL);
    k.profile = YH_SRTP_NONE;
    assert_int_equal(yh_srtp_create(&k, &s), YH_EUNSUPPORTED);
    k.profile = (yh_srtp_profile_t)2; /* SRTP_AES128_CM_HMAC_SHA1_32 */
    assert_int_equal(yh_srtp_create(&k, &s), YH_EUNSUPPORTED);
    assert_null(s);
    yh_srtp_destroy(NULL);
}

static void test_profiles(void **state)
{
    uint8_t kl = 0, sl = 0;
    assert_int_equal(yh_srtp_profile_sizes(YH_SRTP_AES128_CM_SHA1_80, &kl, &sl), 0);
    assert_int_equal(kl, 16);
    assert_int_equal(sl, 14);
    assert_int_equal(yh_srtp_profile_sizes(YH_SRTP_AEAD_AES_128_GCM, &kl, &sl), 0);
    assert_int_equal(kl, 16);
    assert_int_equal(sl, 12);
    assert_int_equal(yh_srtp_profile_sizes(YH_SRTP_NONE, &kl, &sl), YH_EUNSUPPORTED);
    assert_string_equal(yh_srtp_profile_name(YH_SRTP_AEAD_AES_128_GCM), "SRTP_AEAD_AES_128_GCM");
    assert_string_equal(yh_srtp_profile_name(YH_SRTP_AES128_CM_SHA1_80), "SRTP_AES128_CM_SHA1_80");
    assert_string_equal(yh_srtp_profile_name(YH_SRTP_NONE), "none");
    assert_int_equal(yh_srtp_global_init(), 0);
    assert_int_equal(yh_srtp_global_init(), 0);
}

/* A rough figure, not an assertion: protect per 1200-byte packet. */
static void test_timing(void **state)
{
    const yh_srtp_profile_t ps[] = {YH_SRTP_AES128_CM_SHA1_80, YH_SRTP_AEAD_AES_128_GCM};
    for (size_t i = 0; i < 2; i++) {
        yh_srtp_t *a, *b;
        make_pair(ps[i], &a, &b);
        uint8_t pkt[CAP];
        const int n = 20000;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int j = 0; j < n; j++) {
            size_t len = make_rtp(pkt, (uint16_t)j, 0x99999999, 1188);
            assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), 0);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / n;
        printf("timing: %s protect 1200-byte RTP: %.0f ns/packet (%.0f packets/s)\n",
               yh_srtp_profile_name(ps[i]), ns, 1e9 / ns);
        yh_srtp_destroy(a);
        yh_srtp_destroy(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer_aes_cm),
        cmocka_unit_test(test_known_answer_gcm),
        cmocka_unit_test(test_round_trip_aes_cm),
        cmocka_unit_test(test_round_trip_gcm),
        cmocka_unit_test(test_rejects_aes_cm),
        cmocka_unit_test(test_rejects_gcm),
        cmocka_unit_test(test_replay_window),
        cmocka_unit_test(test_repeat_protect),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
