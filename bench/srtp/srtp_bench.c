/*
 * bench_srtp: nanoseconds per packet for SRTP protect and unprotect of
 * 1200- and 200-byte RTP packets, both profiles, Yunhui's implementation
 * (src/srtp) against libsrtp2 (tests/unit/srtp_ref.c) in the same run.
 * Each figure is the best of several rounds of N packets (the machine is
 * shared), protected and unprotected in batches of 64 that stay in cache.
 * Usage: bench_srtp [packets-per-round]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/bytes.h"
#include "srtp/srtp.h"
#include "srtp_ref.h"

#define CAP (1500 + YH_SRTP_MAX_OVERHEAD)
#define ROUNDS 5
#define BATCH 64

typedef struct impl {
    const char *name;
    void *tx, *rx;
    int (*protect)(void *s, uint8_t *pkt, size_t *len, size_t cap);
    int (*unprotect)(void *s, uint8_t *pkt, size_t *len);
} impl_t;

static int ours_protect(void *s, uint8_t *pkt, size_t *len, size_t cap)
{
    return yh_srtp_protect_rtp(s, pkt, len, cap);
}

static int ours_unprotect(void *s, uint8_t *pkt, size_t *len)
{
    return yh_srtp_unprotect_rtp(s, pkt, len);
}

static int ref_protect(void *s, uint8_t *pkt, size_t *len, size_t cap)
{
    return yh_ref_srtp_protect_rtp(s, pkt, len, cap);
}

static int ref_unprotect(void *s, uint8_t *pkt, size_t *len)
{
    return yh_ref_srtp_unprotect_rtp(s, pkt, len);
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static size_t make_rtp(uint8_t *buf, uint16_t seq, size_t size)
{
    buf[0] = 0x90; /* with a one-byte header extension, as browsers send */
    buf[1] = 96;
    wr_be16(buf + 2, seq);
    wr_be32(buf + 4, (uint32_t)seq * 3000u);
    wr_be32(buf + 8, 0x12345678);
    wr_be16(buf + 12, 0xbede);
    wr_be16(buf + 14, 1);
    wr_be32(buf + 16, 0x10aabb00);
    for (size_t i = 20; i < size; i++)
        buf[i] = (uint8_t)(i * 31 + seq);
    return size;
}

static yh_srtp_keys_t keys_for(yh_srtp_profile_t p, int flip)
{
    yh_srtp_keys_t k;
    memset(&k, 0, sizeof k);
    k.profile = p;
    yh_srtp_profile_sizes(p, &k.key_len, &k.salt_len);
    for (int i = 0; i < YH_SRTP_MAX_KEY; i++) {
        k.local_key[i] = (uint8_t)(flip ? i * 13 + 5 : i * 7 + 1);
        k.remote_key[i] = (uint8_t)(flip ? i * 7 + 1 : i * 13 + 5);
    }
    for (int i = 0; i < YH_SRTP_MAX_SALT; i++) {
        k.local_salt[i] = (uint8_t)(flip ? i * 11 + 9 : i * 3 + 2);
        k.remote_salt[i] = (uint8_t)(flip ? i * 3 + 2 : i * 11 + 9);
    }
    return k;
}

/* One round of n packets, in batches small enough to stay in cache (as a
 * server's send batch does): protect a batch, then unprotect it. */
static int round_trip(const impl_t *im, uint8_t *pkts, size_t *lens, int n, size_t size,
                      uint16_t seq0, double *prot_ns, double *unprot_ns)
{
    uint8_t tmpl[CAP];
    double prot = 0, unprot = 0;
    for (int b = 0; b < n; b += BATCH) {
        int m = n - b < BATCH ? n - b : BATCH;
        double t0 = now_ns();
        for (int i = 0; i < m; i++) {
            uint8_t *p = pkts + (size_t)i * CAP;
            lens[i] = make_rtp(tmpl, (uint16_t)(seq0 + b + i), size);
            memcpy(p, tmpl, size);
            if (im->protect(im->tx, p, &lens[i], CAP) != 0)
                return -1;
        }
        double t1 = now_ns();
        for (int i = 0; i < m; i++)
            if (im->unprotect(im->rx, pkts + (size_t)i * CAP, &lens[i]) != 0)
                return -1;
        double t2 = now_ns();
        prot += t1 - t0;
        unprot += t2 - t1;
    }
    *prot_ns = prot / n;
    *unprot_ns = unprot / n;
    return 0;
}

/* The cost of building the plaintext, taken off the protect figure. */
static double fill_cost(uint8_t *pkts, int n, size_t size)
{
    uint8_t tmpl[CAP];
    double t0 = now_ns();
    for (int i = 0; i < n; i++) {
        make_rtp(tmpl, (uint16_t)i, size);
        memcpy(pkts + (size_t)(i % BATCH) * CAP, tmpl, size);
    }
    return (now_ns() - t0) / n;
}

static int bench(yh_srtp_profile_t p, size_t size, int n, uint8_t *pkts, size_t *lens)
{
    yh_srtp_keys_t ka = keys_for(p, 0), kb = keys_for(p, 1);
    yh_srtp_t *ot, *orx;
    yh_ref_srtp_t *rt, *rrx;
    if (yh_srtp_create(&ka, &ot) || yh_srtp_create(&kb, &orx) || yh_ref_srtp_create(&ka, &rt) ||
        yh_ref_srtp_create(&kb, &rrx))
        return -1;
    impl_t impls[2] = {
        {"yunhui", ot, orx, ours_protect, ours_unprotect},
        {"libsrtp2", rt, rrx, ref_protect, ref_unprotect},
    };
    double best[2][2] = {{1e18, 1e18}, {1e18, 1e18}};
    double fill = 1e18;
    uint16_t seq = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < 2; i++) {
            double pr, un;
            if (round_trip(&impls[i], pkts, lens, n, size, seq, &pr, &un) < 0) {
                fprintf(stderr, "%s failed\n", impls[i].name);
                return -1;
            }
            best[i][0] = pr < best[i][0] ? pr : best[i][0];
            best[i][1] = un < best[i][1] ? un : best[i][1];
        }
        double f = fill_cost(pkts, n, size);
        fill = f < fill ? f : fill;
        seq = (uint16_t)(seq + n);
    }
    const char *ops[2] = {"protect", "unprotect"};
    for (int op = 0; op < 2; op++) {
        double ours = best[0][op] - (op == 0 ? fill : 0);
        double ref = best[1][op] - (op == 0 ? fill : 0);
        printf("%-24s %5zu  %-9s  %9.0f  %9.0f  %6.2f\n", yh_srtp_profile_name(p), size, ops[op],
               ours, ref, ref / ours);
    }
    yh_srtp_destroy(ot);
    yh_srtp_destroy(orx);
    yh_ref_srtp_destroy(rt);
    yh_ref_srtp_destroy(rrx);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    if (n < 1 || n > 60000) {
        fprintf(stderr, "usage: bench_srtp [packets-per-round, 1..60000]\n");
        return 2;
    }
    if (yh_srtp_global_init() < 0 || yh_ref_srtp_global_init() < 0)
        return 1;
    uint8_t *pkts = malloc((size_t)BATCH * CAP);
    size_t *lens = malloc((size_t)BATCH * sizeof *lens);
    if (!pkts || !lens)
        return 1;
    printf("bench_srtp: ns per RTP packet, best of %d rounds of %d packets in batches of %d\n",
           ROUNDS, n, BATCH);
    printf("%-24s %5s  %-9s  %9s  %9s  %6s\n", "profile", "bytes", "op", "yunhui", "libsrtp2",
           "ratio");
    const yh_srtp_profile_t ps[] = {YH_SRTP_AEAD_AES_128_GCM, YH_SRTP_AES128_CM_SHA1_80};
    const size_t sizes[] = {1200, 200};
    int rc = 0;
    for (size_t i = 0; i < 2 && rc == 0; i++)
        for (size_t j = 0; j < 2 && rc == 0; j++)
            rc = bench(ps[i], sizes[j], n, pkts, lens);
    free(pkts);
    free(lens);
    return rc < 0 ? 1 : 0;
}
