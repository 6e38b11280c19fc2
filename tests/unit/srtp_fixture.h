/*
 * Shared helpers of the SRTP unit test: hex vectors, key pairs, packet
 * builders, and one interface over our sessions and libsrtp2's.
 */
#ifndef YH_TESTS_SRTP_FIXTURE_H
#define YH_TESTS_SRTP_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/bytes.h"
#include "srtp/srtp.h"
#include "srtp/srtp_int.h"
#include "srtp_ref.h"

#define CAP (1500 + YH_SRTP_MAX_OVERHEAD)

/* Parses hex digits, skipping spaces; returns the byte count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int half = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else
            continue;
        if (half < 0) {
            half = v;
            continue;
        }
        assert_true(n < cap);
        out[n++] = (uint8_t)(half << 4 | v);
        half = -1;
    }
    assert_int_equal(half, -1);
    return n;
}

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

/* Keys of the two ends of one call: a's local keys are b's remote ones. */
static void pair_keys(yh_srtp_profile_t p, yh_srtp_keys_t *ka, yh_srtp_keys_t *kb)
{
    memset(ka, 0, sizeof *ka);
    ka->profile = p;
    assert_int_equal(yh_srtp_profile_sizes(p, &ka->key_len, &ka->salt_len), 0);
    for (int i = 0; i < YH_SRTP_MAX_KEY; i++) {
        ka->local_key[i] = (uint8_t)(i * 7 + 1);
        ka->remote_key[i] = (uint8_t)(i * 13 + 5);
    }
    for (int i = 0; i < YH_SRTP_MAX_SALT; i++) {
        ka->local_salt[i] = (uint8_t)(i * 3 + 2);
        ka->remote_salt[i] = (uint8_t)(i * 11 + 9);
    }
    *kb = *ka;
    memcpy(kb->local_key, ka->remote_key, sizeof kb->local_key);
    memcpy(kb->remote_key, ka->local_key, sizeof kb->remote_key);
    memcpy(kb->local_salt, ka->remote_salt, sizeof kb->local_salt);
    memcpy(kb->remote_salt, ka->local_salt, sizeof kb->remote_salt);
}

static void make_pair(yh_srtp_profile_t p, yh_srtp_t **a, yh_srtp_t **b)
{
    yh_srtp_keys_t ka, kb;
    pair_keys(p, &ka, &kb);
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

/* RTP with two CSRCs and a one-byte-header extension of two words
 * (RFC 8285), all of it left clear and authenticated. */
static size_t make_rtp_ext(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t payload)
{
    buf[0] = 0x92;
    buf[1] = 0x80 | 111;
    wr_be16(buf + 2, seq);
    wr_be32(buf + 4, (uint32_t)seq * 960u);
    wr_be32(buf + 8, ssrc);
    wr_be32(buf + 12, 0xc5c5c5c5);
    wr_be32(buf + 16, 0xd6d6d6d6);
    wr_be16(buf + 20, 0xbede);
    wr_be16(buf + 22, 2);
    wr_be32(buf + 24, 0x10ff2201);
    wr_be32(buf + 28, 0x02000000 | seq);
    for (size_t i = 0; i < payload; i++)
        buf[32 + i] = (uint8_t)(i * 5 + seq);
    return 32 + payload;
}

static size_t make_rtcp_rr(uint8_t *buf, uint32_t ssrc)
{
    buf[0] = 0x80; /* RR with no report blocks */
    buf[1] = 201;
    wr_be16(buf + 2, 1);
    wr_be32(buf + 4, ssrc);
    return 8;
}

/* A compound packet: SR, SDES CNAME, and a generic NACK. */
static size_t make_rtcp_compound(uint8_t *buf, uint32_t ssrc, uint32_t n)
{
    buf[0] = 0x80;
    buf[1] = 200;
    wr_be16(buf + 2, 6);
    wr_be32(buf + 4, ssrc);
    wr_be64(buf + 8, 0xe1e2e3e4e5e6e7e8ull + n);
    wr_be32(buf + 16, n * 3000u);
    wr_be32(buf + 20, n);
    wr_be32(buf + 24, n * 1000u);
    buf[28] = 0x81;
    buf[29] = 202;
    wr_be16(buf + 30, 3);
    wr_be32(buf + 32, ssrc);
    buf[36] = 1;
    buf[37] = 6;
    memcpy(buf + 38, "yunhui", 6);
    buf[44] = buf[45] = buf[46] = buf[47] = 0;
    buf[48] = 0x81;
    buf[49] = 205;
    wr_be16(buf + 50, 3);
    wr_be32(buf + 52, ssrc);
    wr_be32(buf + 56, 0x11223344);
    wr_be16(buf + 60, (uint16_t)n);
    wr_be16(buf + 62, 0x0005);
    return 64;
}

static void session_keys(const char *key, const char *salt, yh_srtp_session_keys_t *k)
{
    memset(k, 0, sizeof *k);
    assert_int_equal(unhex(key, k->key, sizeof k->key), 16);
    unhex(salt, k->salt, sizeof k->salt);
    for (int i = 0; i < YH_SRTP_AUTH_KEY; i++)
        k->auth[i] = (uint8_t)(0xa0 + i);
}

static yh_srtp_t *session_from(yh_srtp_profile_t p, const char *key, const char *salt)
{
    yh_srtp_session_keys_t k;
    yh_srtp_t *s = NULL;
    session_keys(key, salt, &k);
    assert_int_equal(yh_srtp_create_session(p, &k, &k, &k, &k, &s), 0);
    return s;
}

/* One end of a call: ours or libsrtp's. */
typedef struct end {
    void *s;
    int (*protect_rtp)(void *s, uint8_t *pkt, size_t *len, size_t cap);
    int (*unprotect_rtp)(void *s, uint8_t *pkt, size_t *len);
    int (*protect_rtcp)(void *s, uint8_t *pkt, size_t *len, size_t cap);
    int (*unprotect_rtcp)(void *s, uint8_t *pkt, size_t *len);
} end_t;

#define WRAP(prefix, type)                                                                         \
    static int prefix##_p_rtp(void *s, uint8_t *p, size_t *l, size_t c)                            \
    {                                                                                              \
        return prefix##_protect_rtp((type *)s, p, l, c);                                           \
    }                                                                                              \
    static int prefix##_u_rtp(void *s, uint8_t *p, size_t *l)                                      \
    {                                                                                              \
        return prefix##_unprotect_rtp((type *)s, p, l);                                            \
    }                                                                                              \
    static int prefix##_p_rtcp(void *s, uint8_t *p, size_t *l, size_t c)                           \
    {                                                                                              \
        return prefix##_protect_rtcp((type *)s, p, l, c);                                          \
    }                                                                                              \
    static int prefix##_u_rtcp(void *s, uint8_t *p, size_t *l)                                     \
    {                                                                                              \
        return prefix##_unprotect_rtcp((type *)s, p, l);                                           \
    }
WRAP(yh_srtp, yh_srtp_t)
WRAP(yh_ref_srtp, yh_ref_srtp_t)

/* Ours with keys a, libsrtp with the mirror keys b. */
static void make_ends(yh_srtp_profile_t p, end_t *ours, end_t *ref)
{
    yh_srtp_keys_t ka, kb;
    pair_keys(p, &ka, &kb);
    yh_srtp_t *o;
    yh_ref_srtp_t *r;
    assert_int_equal(yh_srtp_create(&ka, &o), 0);
    assert_int_equal(yh_ref_srtp_create(&kb, &r), 0);
    *ours = (end_t){o, yh_srtp_p_rtp, yh_srtp_u_rtp, yh_srtp_p_rtcp, yh_srtp_u_rtcp};
    *ref = (end_t){r, yh_ref_srtp_p_rtp, yh_ref_srtp_u_rtp, yh_ref_srtp_p_rtcp, yh_ref_srtp_u_rtcp};
}

static void free_ends(end_t *ours, end_t *ref)
{
    yh_srtp_destroy(ours->s);
    yh_ref_srtp_destroy(ref->s);
}

#endif
