/*
 * SRTP/SRTCP sessions: the RFC 3711 Appendix B key derivation and AES-CM
 * keystream, the RFC 7714 16-17 AES-GCM packets, libsrtp's own
 * known-answer packets, interoperation both ways with libsrtp2 (the
 * reference in srtp_ref.c) across sequence wrap, reordering, loss and
 * retransmission, rejection of replays, tampering and truncation, the SSRC
 * table's bound, and zero heap allocations per packet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "base/bytes.h"
#include "base/err.h"
#include "srtp/srtp.h"
#include "srtp/srtp_int.h"
#include "srtp_fixture.h"
#include "srtp_ref.h"
#include "srtp_vectors.h"

/* test_<name>_aes_cm and test_<name>_gcm: `fn` run with each profile. */
#define BOTH_PROFILES(name, fn)                                                                    \
    static void test_##name##_aes_cm(void **state)                                                 \
    {                                                                                              \
        fn(YH_SRTP_AES128_CM_SHA1_80);                                                             \
    }                                                                                              \
    static void test_##name##_gcm(void **state)                                                    \
    {                                                                                              \
        fn(YH_SRTP_AEAD_AES_128_GCM);                                                              \
    }

/* Heap allocations, counted two ways: glibc's malloc replaced by counting
 * wrappers (not under AddressSanitizer, which owns malloc), and OpenSSL's
 * allocator hooks (installed first thing in main). */
static volatile long heap_allocs;

#if !defined(__SANITIZE_ADDRESS__)
#define COUNT_MALLOC 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

void *malloc(size_t n)
{
    heap_allocs++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    heap_allocs++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    heap_allocs++;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}
#else
#define COUNT_MALLOC 0
#endif

static int openssl_hooked;

static void *count_malloc(size_t n, const char *file, int line)
{
    heap_allocs++;
    return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
    heap_allocs++;
    return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
    free(p);
}

static void test_kdf_rfc3711(void **state)
{
    uint8_t mk[16], ms[14], want[94], got[94], got14[16];
    unhex(b3_master_key, mk, sizeof mk);
    assert_int_equal(unhex(b3_master_salt, ms, sizeof ms), 14);

    assert_int_equal(unhex(b3_cipher_key, want, sizeof want), 16);
    assert_int_equal(yh_srtp_kdf(mk, ms, 14, YH_SRTP_LABEL_RTP_KEY, got, 16), 0);
    assert_memory_equal(got, want, 16);
    assert_int_equal(unhex(b3_cipher_salt, want, sizeof want), 14);
    assert_int_equal(yh_srtp_kdf(mk, ms, 14, YH_SRTP_LABEL_RTP_SALT, got, 14), 0);
    assert_memory_equal(got, want, 14);
    assert_int_equal(unhex(b3_auth_key, want, sizeof want), 94);
    assert_int_equal(yh_srtp_kdf(mk, ms, 14, YH_SRTP_LABEL_RTP_AUTH, got, 94), 0);
    assert_memory_equal(got, want, 94);

    /* Another label is another key. */
    assert_int_equal(yh_srtp_kdf(mk, ms, 14, YH_SRTP_LABEL_RTCP_KEY, got, 16), 0);
    assert_memory_not_equal(got, want, 16);
    /* GCM's 12-byte master salt is padded with zeros on the right (as
     * libsrtp does; the interop tests check it against libsrtp). */
    ms[12] = ms[13] = 0;
    assert_int_equal(yh_srtp_kdf(mk, ms, 12, YH_SRTP_LABEL_RTP_KEY, got, 16), 0);
    assert_int_equal(yh_srtp_kdf(mk, ms, 14, YH_SRTP_LABEL_RTP_KEY, got14, 16), 0);
    assert_memory_equal(got, got14, 16);
    assert_int_equal(yh_srtp_kdf(mk, ms, 15, 0, got, 16), YH_EINVAL);
}

static void test_keystream_rfc3711(void **state)
{
    uint8_t key[16], salt[14], want[48];
    unhex(b2_session_key, key, sizeof key);
    unhex(b2_session_salt, salt, sizeof salt);
    /* The PRF is the AES-CM keystream: with label 0 the IV is the salt. */
    uint8_t *ks = malloc(B2_KEYSTREAM_LEN);
    assert_non_null(ks);
    assert_int_equal(yh_srtp_kdf(key, salt, 14, 0, ks, B2_KEYSTREAM_LEN), 0);
    unhex(b2_keystream_head, want, sizeof want);
    assert_memory_equal(ks, want, 48);
    unhex(b2_keystream_tail, want, sizeof want);
    assert_memory_equal(ks + B2_KEYSTREAM_LEN - 48, want, 48);
    free(ks);

    /* Through the packet path: SSRC 0 and index 0 make the IV the salt, so
     * a payload of zeros encrypts to the keystream (RFC 3711 4.1.1). */
    yh_srtp_t *s = session_from(YH_SRTP_AES128_CM_SHA1_80, b2_session_key, b2_session_salt);
    uint8_t pkt[CAP];
    memset(pkt, 0, sizeof pkt);
    pkt[0] = 0x80;
    size_t len = 12 + 48;
    assert_int_equal(yh_srtp_protect_rtp(s, pkt, &len, sizeof pkt), 0);
    assert_int_equal(len, 12 + 48 + YH_SRTP_CM_TAG);
    unhex(b2_keystream_head, want, sizeof want);
    assert_memory_equal(pkt + 12, want, 48);
    assert_int_equal(yh_srtp_unprotect_rtp(s, pkt, &len), 0);
    assert_int_equal(len, 60);
    for (size_t i = 12; i < len; i++)
        assert_int_equal(pkt[i], 0);
    yh_srtp_destroy(s);
}

static void test_gcm_rtp_rfc7714(void **state)
{
    uint8_t plain[64], srtp[80], pkt[CAP];
    size_t pl = unhex(gcm_rtp_plain_hex, plain, sizeof plain);
    size_t sl = unhex(gcm_rtp_srtp_hex, srtp, sizeof srtp);
    assert_int_equal(sl, pl + YH_SRTP_GCM_TAG);
    yh_srtp_t *s = session_from(YH_SRTP_AEAD_AES_128_GCM, gcm_session_key, gcm_session_salt);
    size_t len = pl;
    memcpy(pkt, plain, pl);
    assert_int_equal(yh_srtp_protect_rtp(s, pkt, &len, sizeof pkt), 0);
    assert_int_equal(len, sl);
    assert_memory_equal(pkt, srtp, sl);
    assert_int_equal(yh_srtp_unprotect_rtp(s, pkt, &len), 0);
    assert_int_equal(len, pl);
    assert_memory_equal(pkt, plain, pl);
    yh_srtp_destroy(s);
}

static void test_gcm_rtcp_rfc7714(void **state)
{
    uint8_t plain[64], srtcp[80], tagged[80], pkt[CAP];
    size_t pl = unhex(gcm_rtcp_plain_hex, plain, sizeof plain);
    size_t sl = unhex(gcm_rtcp_srtcp_hex, srtcp, sizeof srtcp);
    size_t tl = unhex(gcm_rtcp_tagged_hex, tagged, sizeof tagged);
    yh_srtp_t *tx = session_from(YH_SRTP_AEAD_AES_128_GCM, gcm_session_key, gcm_session_salt);
    yh_srtp_t *rx = session_from(YH_SRTP_AEAD_AES_128_GCM, gcm_session_key, gcm_session_salt);
    yh_srtp_t *rx2 = session_from(YH_SRTP_AEAD_AES_128_GCM, gcm_session_key, gcm_session_salt);

    /* Bring the sender's SRTCP index to the vector's. */
    size_t len;
    for (int i = 0; i < GCM_RTCP_INDEX; i++) {
        len = make_rtcp_rr(pkt, rd_be32(plain + 4));
        assert_int_equal(yh_srtp_protect_rtcp(tx, pkt, &len, sizeof pkt), 0);
    }
    assert_int_equal(rd_be32(pkt + len - 4), 0x80000000u | (GCM_RTCP_INDEX - 1));
    len = pl;
    memcpy(pkt, plain, pl);
    assert_int_equal(yh_srtp_protect_rtcp(tx, pkt, &len, sizeof pkt), 0);
    assert_int_equal(len, sl);
    assert_memory_equal(pkt, srtcp, sl);
    assert_int_equal(yh_srtp_unprotect_rtcp(rx, pkt, &len), 0);
    assert_int_equal(len, pl);
    assert_memory_equal(pkt, plain, pl);

    /* Authenticated only (E-bit clear): the whole packet is AAD. */
    len = tl;
    memcpy(pkt, tagged, tl);
    pkt[20] ^= 0x01;
    assert_int_equal(yh_srtp_unprotect_rtcp(rx2, pkt, &len), YH_EINTEGRITY);
    len = tl;
    memcpy(pkt, tagged, tl);
    assert_int_equal(yh_srtp_unprotect_rtcp(rx2, pkt, &len), 0);
    assert_int_equal(len, pl);
    assert_memory_equal(pkt, plain, pl);
    /* The same index again is a replay. */
    len = tl;
    memcpy(pkt, tagged, tl);
    assert_int_equal(yh_srtp_unprotect_rtcp(rx2, pkt, &len), YH_EINTEGRITY);
    yh_srtp_destroy(tx);
    yh_srtp_destroy(rx);
    yh_srtp_destroy(rx2);
}

static void known_answer(yh_srtp_profile_t p, const char *master_hex, const char *srtp_hex,
                         const char *srtcp_hex)
{
    uint8_t master[32], rtp[64], rtcp[64], srtp[64], srtcp[64], buf[CAP];
    unhex(master_hex, master, sizeof master);
    size_t rtp_len = unhex(lib_rtp_plain, rtp, sizeof rtp);
    size_t rtcp_len = unhex(lib_rtcp_plain, rtcp, sizeof rtcp);
    size_t srtp_len = unhex(srtp_hex, srtp, sizeof srtp);
    size_t srtcp_len = unhex(srtcp_hex, srtcp, sizeof srtcp);
    yh_srtp_keys_t k = same_keys(p, master);
    yh_srtp_t *tx, *rx;
    assert_int_equal(yh_srtp_create(&k, &tx), 0);
    assert_int_equal(yh_srtp_create(&k, &rx), 0);

    size_t len = rtp_len;
    memcpy(buf, rtp, len);
    assert_int_equal(yh_srtp_protect_rtp(tx, buf, &len, sizeof buf), 0);
    assert_int_equal(len, srtp_len);
    assert_memory_equal(buf, srtp, srtp_len);
    assert_int_equal(yh_srtp_unprotect_rtp(rx, buf, &len), 0);
    assert_int_equal(len, rtp_len);
    assert_memory_equal(buf, rtp, len);

    for (int i = 0; i < 2; i++) { /* SRTCP index 0, then the vector's 1 */
        len = rtcp_len;
        memcpy(buf, rtcp, len);
        assert_int_equal(yh_srtp_protect_rtcp(tx, buf, &len, sizeof buf), 0);
    }
    assert_int_equal(len, srtcp_len);
    assert_memory_equal(buf, srtcp, srtcp_len);
    assert_int_equal(yh_srtp_unprotect_rtcp(rx, buf, &len), 0);
    assert_int_equal(len, rtcp_len);
    assert_memory_equal(buf, rtcp, len);
    yh_srtp_destroy(tx);
    yh_srtp_destroy(rx);
}

static void test_known_answer_aes_cm(void **state)
{
    known_answer(YH_SRTP_AES128_CM_SHA1_80, lib_cm_master, lib_cm_srtp, lib_cm_srtcp);
}

static void test_known_answer_gcm(void **state)
{
    known_answer(YH_SRTP_AEAD_AES_128_GCM, lib_gcm_master, lib_gcm_srtp, lib_gcm_srtcp);
}

/* RFC 3711 Appendix A at its edges. */
static void test_index_guess(void **state)
{
    assert_int_equal(yh_srtp_index_guess(0xffff, 0), 0x10000);            /* ROC + 1 */
    assert_int_equal(yh_srtp_index_guess(0x10005, 65530), 0xfffa);        /* ROC - 1 */
    assert_int_equal(yh_srtp_index_guess(0x10005, 7), 0x10007);           /* same ROC */
    assert_int_equal(yh_srtp_index_guess(5, 65530), -1);                  /* before 0 */
    assert_int_equal(yh_srtp_index_guess(100, 100 + 32768), 100 + 32768); /* not > */
    assert_int_equal(yh_srtp_index_guess(100, 100 + 32769), -1);
    assert_int_equal(yh_srtp_index_guess(0x38000, 0), 0x30000);
    assert_int_equal(yh_srtp_index_guess(0x38001, 0), 0x40000);
    assert_int_equal(yh_srtp_index_guess(0xffffffffffffull, 1), -1); /* index exhausted */
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

BOTH_PROFILES(round_trip, round_trip)

static uint32_t lcg(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

enum { IO_PKTS = 2400, IO_BLOCK = 16, IO_LOSE_EVERY = 37, IO_RTX_AFTER = 200, IO_STREAMS = 3 };

typedef struct io_pkt {
    uint8_t buf[CAP];
    size_t len;
    int n; /* packet number */
} io_pkt_t;

/* Packet n of the run: three streams, one with CSRCs and an extension;
 * stream 0 wraps its sequence number about two thirds in, stream 1 early. */
static size_t io_plain(uint8_t *buf, int n)
{
    static const uint32_t ssrcs[IO_STREAMS] = {0x1111aaaa, 0x2222bbbb, 0x3333cccc};
    static const uint16_t first[IO_STREAMS] = {65000, 65500, 1000};
    int k = n % IO_STREAMS;
    uint16_t seq = (uint16_t)(first[k] + n / IO_STREAMS);
    size_t payload = (size_t)(n * 53) % 1201;
    return k == 1 ? make_rtp_ext(buf, seq, ssrcs[k], payload)
                  : make_rtp(buf, seq, ssrcs[k], payload);
}

static void io_send(const end_t *tx, int n, io_pkt_t *out)
{
    out->len = io_plain(out->buf, n);
    out->n = n;
    assert_int_equal(tx->protect_rtp(tx->s, out->buf, &out->len, sizeof out->buf), 0);
}

static void io_receive(const end_t *rx, io_pkt_t *p)
{
    uint8_t want[CAP];
    size_t want_len = io_plain(want, p->n);
    size_t len = p->len;
    assert_int_equal(rx->unprotect_rtp(rx->s, p->buf, &len), 0);
    assert_int_equal(len, want_len);
    assert_memory_equal(p->buf, want, len);
}

/* RTP from tx to rx, blocks delivered out of order, every 37th packet lost
 * and protected again 200 packets later (a NACK answered with the same SSRC
 * and sequence number, after the wrap for some), and replays refused. */
static void interop_rtp(const end_t *tx, const end_t *rx)
{
    static io_pkt_t block[IO_BLOCK], copy;
    int lost[IO_PKTS / IO_LOSE_EVERY + 1], nlost = 0, next_rtx = 0, replays = 0;
    uint32_t seed = 7;
    for (int base = 0; base < IO_PKTS; base += IO_BLOCK) {
        for (int j = 0; j < IO_BLOCK; j++)
            io_send(tx, base + j, &block[j]);
        for (int j = IO_BLOCK - 1; j > 0; j--) { /* Fisher-Yates */
            int r = (int)(lcg(&seed) % (uint32_t)(j + 1));
            io_pkt_t t = block[j];
            block[j] = block[r];
            block[r] = t;
        }
        for (int j = 0; j < IO_BLOCK; j++) {
            if (block[j].n % IO_LOSE_EVERY == 0) {
                lost[nlost++] = block[j].n;
                continue;
            }
            if (j == 3 && base % (4 * IO_BLOCK) == 0)
                copy = block[j];
            io_receive(rx, &block[j]);
            if (j == 3 && base % (4 * IO_BLOCK) == 0) {
                assert_int_equal(rx->unprotect_rtp(rx->s, copy.buf, &copy.len), YH_EINTEGRITY);
                replays++;
            }
        }
        while (next_rtx < nlost && lost[next_rtx] + IO_RTX_AFTER <= base) {
            io_send(tx, lost[next_rtx++], &copy);
            io_receive(rx, &copy);
        }
    }
    assert_true(next_rtx > 50 && replays > 30);
}

/* Runs `one_way` from our sessions to libsrtp2's, then back. */
static void both_ways(yh_srtp_profile_t p, void (*one_way)(const end_t *tx, const end_t *rx))
{
    end_t ours, ref;
    make_ends(p, &ours, &ref);
    one_way(&ours, &ref);
    one_way(&ref, &ours);
    free_ends(&ours, &ref);
}

static void test_interop_aes_cm(void **state)
{
    both_ways(YH_SRTP_AES128_CM_SHA1_80, interop_rtp);
}

static void test_interop_gcm(void **state)
{
    both_ways(YH_SRTP_AEAD_AES_128_GCM, interop_rtp);
}

/* `rx` unprotects `len` bytes of `pkt` into exactly `want`[0 .. wl). */
static void expect_rtcp(const end_t *rx, uint8_t *pkt, size_t len, const uint8_t *want, size_t wl)
{
    assert_int_equal(rx->unprotect_rtcp(rx->s, pkt, &len), 0);
    assert_int_equal(len, wl);
    assert_memory_equal(pkt, want, wl);
}

/* SRTCP compounds and lone RRs from two SSRCs, pairs swapped in delivery,
 * some lost, some replayed. */
static void interop_rtcp_one_way(const end_t *tx, const end_t *rx)
{
    uint8_t a[CAP], b[CAP], want[CAP];
    for (uint32_t n = 0; n < 400; n += 2) {
        size_t la, lb;
        uint32_t ssrc = 0xaaaa0000u + (n / 2) % 2;
        la = n % 10 ? make_rtcp_compound(a, ssrc, n) : make_rtcp_rr(a, ssrc);
        lb = make_rtcp_compound(b, ssrc, n + 1);
        assert_int_equal(tx->protect_rtcp(tx->s, a, &la, sizeof a), 0);
        assert_int_equal(tx->protect_rtcp(tx->s, b, &lb, sizeof b), 0);
        /* b first, then a (unless lost), then b again (a replay). */
        expect_rtcp(rx, b, lb, want, make_rtcp_compound(want, ssrc, n + 1));
        if (n % 14 != 0)
            expect_rtcp(rx, a, la, want,
                        n % 10 ? make_rtcp_compound(want, ssrc, n) : make_rtcp_rr(want, ssrc));
        size_t wl, l;
        if (n % 20 == 0) {
            wl = make_rtcp_compound(b, ssrc, n + 1);
            assert_int_equal(tx->protect_rtcp(tx->s, b, &wl, sizeof b), 0);
            memcpy(a, b, wl);
            l = wl;
            assert_int_equal(rx->unprotect_rtcp(rx->s, b, &l), 0);
            l = wl;
            assert_int_equal(rx->unprotect_rtcp(rx->s, a, &l), YH_EINTEGRITY);
        }
    }
}

static void test_interop_rtcp_aes_cm(void **state)
{
    both_ways(YH_SRTP_AES128_CM_SHA1_80, interop_rtcp_one_way);
}

static void test_interop_rtcp_gcm(void **state)
{
    both_ways(YH_SRTP_AEAD_AES_128_GCM, interop_rtcp_one_way);
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

    /* SRTCP tampering (header, E-bit, index) and replay. */
    len = make_rtcp_rr(pkt, 0xabcdef01);
    assert_int_equal(yh_srtp_protect_rtcp(a, pkt, &len, sizeof pkt), 0);
    size_t word = p == YH_SRTP_AEAD_AES_128_GCM ? len - 4 : len - 14;
    size_t bits[] = {5 * 8 + 7, word * 8, word * 8 + 31};
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        memcpy(copy, pkt, len);
        copy[bits[i] / 8] ^= (uint8_t)(0x80 >> bits[i] % 8);
        l2 = len;
        assert_int_equal(yh_srtp_unprotect_rtcp(b, copy, &l2), YH_EINTEGRITY);
    }
    memcpy(copy, pkt, len);
    l2 = len;
    assert_int_equal(yh_srtp_unprotect_rtcp(b, pkt, &len), 0);
    assert_int_equal(yh_srtp_unprotect_rtcp(b, copy, &l2), YH_EINTEGRITY);

    /* Too little room for the tag; too short to be a packet; not version 2. */
    len = make_rtp(pkt, 2, 0xabcdef01, 100);
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, len + YH_SRTP_MAX_OVERHEAD - 1),
                     YH_ENOSPACE);
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, len - 1), YH_ENOSPACE);
    pkt[0] = 0x40;
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), YH_EPARSE);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), YH_EPARSE);
    pkt[0] = 0x80;
    len = 11;
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), YH_ETRUNC);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), YH_ETRUNC);
    len = 7;
    assert_int_equal(yh_srtp_protect_rtcp(a, pkt, &len, sizeof pkt), YH_ETRUNC);
    assert_int_equal(yh_srtp_unprotect_rtcp(b, pkt, &len), YH_ETRUNC);
    len = 8; /* an RTCP header and SSRC, but no SRTCP index or tag */
    assert_int_equal(yh_srtp_unprotect_rtcp(b, pkt, &len), YH_ETRUNC);

    /* Header fields that promise more than the packet holds: 15 CSRCs, or
     * an extension past the end. */
    len = make_rtp(pkt, 3, 0xabcdef01, 4);
    pkt[0] = 0x8f;
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), YH_EPARSE);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), YH_EPARSE);
    len = make_rtp(pkt, 4, 0xabcdef01, 4);
    pkt[0] = 0x90;
    wr_be16(pkt + 12, 0xbede);
    wr_be16(pkt + 14, 200);
    len = 16;
    assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), YH_EPARSE);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), YH_EPARSE);

    /* None of it left an error on OpenSSL's per-thread queue, where the
     * DTLS code on the same thread would find it (SSL_get_error). */
    assert_int_equal(ERR_peek_error(), 0);
    yh_srtp_destroy(a);
    yh_srtp_destroy(b);
}

BOTH_PROFILES(rejects, rejects)

/* Every prefix of a valid packet is refused, read from a buffer of exactly
 * that size (so AddressSanitizer sees any read past *len); then the whole
 * packet still passes, the refusals having changed no state. */
static void truncated(yh_srtp_profile_t p)
{
    yh_srtp_t *a, *b;
    make_pair(p, &a, &b);
    uint8_t rtp[CAP], rtcp[CAP];
    size_t rtp_len = make_rtp_ext(rtp, 9, 0x77777777, 40);
    size_t rtcp_len = make_rtcp_compound(rtcp, 0x77777777, 1);
    assert_int_equal(yh_srtp_protect_rtp(a, rtp, &rtp_len, sizeof rtp), 0);
    assert_int_equal(yh_srtp_protect_rtcp(a, rtcp, &rtcp_len, sizeof rtcp), 0);
    for (int rtcp_kind = 0; rtcp_kind < 2; rtcp_kind++) {
        const uint8_t *src = rtcp_kind ? rtcp : rtp;
        size_t full = rtcp_kind ? rtcp_len : rtp_len;
        for (size_t n = 0; n <= full; n++) {
            uint8_t *exact = malloc(n ? n : 1);
            assert_non_null(exact);
            memcpy(exact, src, n);
            size_t len = n;
            int rc = rtcp_kind ? yh_srtp_unprotect_rtcp(b, exact, &len)
                               : yh_srtp_unprotect_rtp(b, exact, &len);
            if (n < full)
                assert_true(rc < 0);
            else
                assert_int_equal(rc, 0);
            free(exact);
        }
    }
    yh_srtp_destroy(a);
    yh_srtp_destroy(b);
}

BOTH_PROFILES(truncated, truncated)

/* Packets up to 1023 behind the newest are accepted once (late
 * retransmissions), older ones are not. The sender protects in order; the
 * network reorders. */
static void test_replay_window(void **state)
{
    yh_srtp_t *a, *b;
    make_pair(YH_SRTP_AEAD_AES_128_GCM, &a, &b);
    const uint16_t seqs[] = {3000 - 1100, 3000 - 1024, 3000 - 1023, 3000 - 1000, 3000};
    uint8_t pkt[5][CAP];
    size_t len[5];
    for (int i = 0; i < 5; i++) {
        len[i] = make_rtp(pkt[i], seqs[i], 0x0badcafe, 50);
        assert_int_equal(yh_srtp_protect_rtp(a, pkt[i], &len[i], sizeof pkt[i]), 0);
    }
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt[4], &len[4]), 0);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt[3], &len[3]), 0);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt[2], &len[2]), 0);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt[1], &len[1]), YH_EINTEGRITY);
    assert_int_equal(yh_srtp_unprotect_rtp(b, pkt[0], &len[0]), YH_EINTEGRITY);
    yh_srtp_destroy(a);
    yh_srtp_destroy(b);
}

/* A retransmission may protect a sequence number again; the receiver
 * still takes it only once. */
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

/* 300 SSRCs each way through tables of 256, with one SSRC used between
 * every two new ones: it is never the least recently used, so it keeps its
 * replay state; the evicted ones come back as new streams. */
static void test_many_ssrcs(void **state)
{
    end_t ours, ref;
    make_ends(YH_SRTP_AEAD_AES_128_GCM, &ours, &ref);
    const uint32_t hot = 0x0000abcd; /* sorts first */
    uint8_t pkt[CAP], last_hot[CAP];
    size_t len, hot_len = 0, in, out;
    uint16_t hot_seq = 1;
    for (int dir = 0; dir < 2; dir++) {
        const end_t *tx = dir ? &ref : &ours, *rx = dir ? &ours : &ref;
        for (uint32_t k = 0; k < 300; k++) {
            len = make_rtp(pkt, 100, 0x10000 + k * 7, 20);
            assert_int_equal(tx->protect_rtp(tx->s, pkt, &len, sizeof pkt), 0);
            assert_int_equal(rx->unprotect_rtp(rx->s, pkt, &len), 0);
            hot_len = make_rtp(last_hot, hot_seq++, hot, 20);
            assert_int_equal(tx->protect_rtp(tx->s, last_hot, &hot_len, sizeof last_hot), 0);
            memcpy(pkt, last_hot, hot_len);
            len = hot_len;
            assert_int_equal(rx->unprotect_rtp(rx->s, pkt, &len), 0);
        }
        /* An evicted stream starts again from its sequence number. */
        len = make_rtp(pkt, 101, 0x10000, 20);
        assert_int_equal(tx->protect_rtp(tx->s, pkt, &len, sizeof pkt), 0);
        assert_int_equal(rx->unprotect_rtp(rx->s, pkt, &len), 0);
    }
    yh_srtp_stream_counts(ours.s, &in, &out);
    assert_int_equal(in, YH_SRTP_MAX_STREAMS);
    assert_int_equal(out, YH_SRTP_MAX_STREAMS);
    /* The hot stream's last packet is still known as seen. */
    assert_int_equal(ours.unprotect_rtp(ours.s, last_hot, &hot_len), YH_EINTEGRITY);
    free_ends(&ours, &ref);
}

/* 10,000 packets each way per profile, RTCP, RTX repeats, forgeries and
 * replays included, with no heap allocation once the SSRCs are known. */
static void no_allocation(yh_srtp_profile_t p)
{
    yh_srtp_t *a, *b;
    long at_start = heap_allocs;
    make_pair(p, &a, &b);
    assert_true(heap_allocs > at_start); /* the counters count */
    static uint8_t pkt[CAP], old[CAP];
    size_t len, old_len = 0;
    for (int i = 0; i < 2; i++) { /* the first packets create the streams */
        len = make_rtp(pkt, (uint16_t)(64000 + i), 0x5eed0001, 1188);
        assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), 0);
        assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), 0);
        len = make_rtcp_compound(pkt, 0x5eed0001, 0);
        assert_int_equal(yh_srtp_protect_rtcp(a, pkt, &len, sizeof pkt), 0);
        assert_int_equal(yh_srtp_unprotect_rtcp(b, pkt, &len), 0);
    }
    long before = heap_allocs;
    for (int i = 2; i < 10000; i++) {
        len = make_rtp(pkt, (uint16_t)(64000 + i), 0x5eed0001, 1188);
        assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), 0);
        if (i % 100 == 50) {
            memcpy(old, pkt, len);
            old_len = len;
        }
        assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), 0);
        if (i % 100 == 60) {
            len = old_len; /* a replay, then a forgery */
            memcpy(pkt, old, len);
            assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), YH_EINTEGRITY);
            len = make_rtp(pkt, (uint16_t)(64000 + i + 5), 0x5eed0001, 1188);
            assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), 0);
            pkt[40] ^= 1;
            assert_int_equal(yh_srtp_unprotect_rtp(b, pkt, &len), YH_EINTEGRITY);
            len = make_rtp(pkt, (uint16_t)(64000 + i - 20), 0x5eed0001, 1188); /* RTX */
            assert_int_equal(yh_srtp_protect_rtp(a, pkt, &len, sizeof pkt), 0);
        }
        if (i % 10 == 0) {
            len = make_rtcp_compound(pkt, 0x5eed0001, (uint32_t)i);
            assert_int_equal(yh_srtp_protect_rtcp(a, pkt, &len, sizeof pkt), 0);
            assert_int_equal(yh_srtp_unprotect_rtcp(b, pkt, &len), 0);
        }
    }
    long allocs = heap_allocs - before;
    yh_srtp_destroy(a);
    yh_srtp_destroy(b);
    printf("no_allocation: %s: %ld heap allocations in 10000 packets (%s%s)\n",
           yh_srtp_profile_name(p), allocs, COUNT_MALLOC ? "malloc counted" : "",
           openssl_hooked ? (COUNT_MALLOC ? ", OpenSSL hooked" : "OpenSSL hooked") : "");
    assert_int_equal(allocs, 0);
}

static void test_no_allocation(void **state)
{
    assert_true(COUNT_MALLOC || openssl_hooked);
    no_allocation(YH_SRTP_AES128_CM_SHA1_80);
    no_allocation(YH_SRTP_AEAD_AES_128_GCM);
}

static void test_bad_keys(void **state)
{
    uint8_t master[32];
    yh_srtp_t *s = NULL;
    unhex(lib_gcm_master, master, sizeof master);
    yh_srtp_keys_t k = same_keys(YH_SRTP_AEAD_AES_128_GCM, master);
    k.salt_len = 14;
    assert_int_equal(yh_srtp_create(&k, &s), YH_EINVAL);
    k = same_keys(YH_SRTP_AES128_CM_SHA1_80, master);
    k.key_len = 32;
    assert_int_equal(yh_srtp_create(&k, &s), YH_EINVAL);
    k.profile = YH_SRTP_NONE;
    assert_int_equal(yh_srtp_create(&k, &s), YH_EUNSUPPORTED);
    k.profile = (yh_srtp_profile_t)2; /* SRTP_AES128_CM_HMAC_SHA1_32 */
    assert_int_equal(yh_srtp_create(&k, &s), YH_EUNSUPPORTED);
    assert_null(s);
    assert_int_equal(yh_srtp_create(NULL, &s), YH_EINVAL);
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

int main(void)
{
    /* Before anything can allocate through OpenSSL. */
    openssl_hooked = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kdf_rfc3711),
        cmocka_unit_test(test_keystream_rfc3711),
        cmocka_unit_test(test_gcm_rtp_rfc7714),
        cmocka_unit_test(test_gcm_rtcp_rfc7714),
        cmocka_unit_test(test_known_answer_aes_cm),
        cmocka_unit_test(test_known_answer_gcm),
        cmocka_unit_test(test_index_guess),
        cmocka_unit_test(test_round_trip_aes_cm),
        cmocka_unit_test(test_round_trip_gcm),
        cmocka_unit_test(test_interop_aes_cm),
        cmocka_unit_test(test_interop_gcm),
        cmocka_unit_test(test_interop_rtcp_aes_cm),
        cmocka_unit_test(test_interop_rtcp_gcm),
        cmocka_unit_test(test_rejects_aes_cm),
        cmocka_unit_test(test_rejects_gcm),
        cmocka_unit_test(test_truncated_aes_cm),
        cmocka_unit_test(test_truncated_gcm),
        cmocka_unit_test(test_replay_window),
        cmocka_unit_test(test_repeat_protect),
        cmocka_unit_test(test_many_ssrcs),
        cmocka_unit_test(test_no_allocation),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_profiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
