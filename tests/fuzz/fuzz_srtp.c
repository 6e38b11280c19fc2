/*
 * libFuzzer target: SRTP sessions under fixed keys fed arbitrary packets.
 * Input: one byte choosing the profile (bit 0: GCM), then records of
 * {op, length, bytes}. Each record is either unprotected as it is (from a
 * buffer of exactly its size, so a read past *len is caught), or made into
 * an RTP/RTCP version 2 packet, protected by the peer and unprotected: that
 * must give back the packet (or refuse a replay), and a copy with one bit
 * flipped must be refused. State carries over between records, so sequence
 * wraps, replays and many SSRCs are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "srtp/srtp.h"

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

#define MAX_PKT 4096

enum { OP_RTCP = 1, OP_PROTECT = 2, OP_TAMPER = 4 };

static void make_keys(yh_srtp_profile_t p, yh_srtp_keys_t *a, yh_srtp_keys_t *b)
{
    memset(a, 0, sizeof *a);
    a->profile = p;
    CHECK(yh_srtp_profile_sizes(p, &a->key_len, &a->salt_len) == 0);
    for (int i = 0; i < YH_SRTP_MAX_KEY; i++) {
        a->local_key[i] = (uint8_t)(i * 7 + 1);
        a->remote_key[i] = (uint8_t)(i * 13 + 5);
    }
    for (int i = 0; i < YH_SRTP_MAX_SALT; i++) {
        a->local_salt[i] = (uint8_t)(i * 3 + 2);
        a->remote_salt[i] = (uint8_t)(i * 11 + 9);
    }
    *b = *a;
    memcpy(b->local_key, a->remote_key, sizeof b->local_key);
    memcpy(b->remote_key, a->local_key, sizeof b->remote_key);
    memcpy(b->local_salt, a->remote_salt, sizeof b->local_salt);
    memcpy(b->remote_salt, a->local_salt, sizeof b->remote_salt);
}

static int unprotect(yh_srtp_t *s, int rtcp, uint8_t *pkt, size_t *len)
{
    return rtcp ? yh_srtp_unprotect_rtcp(s, pkt, len) : yh_srtp_unprotect_rtp(s, pkt, len);
}

static void raw(yh_srtp_t *rx, int rtcp, const uint8_t *data, size_t n)
{
    uint8_t *exact = malloc(n ? n : 1);
    CHECK(exact);
    memcpy(exact, data, n);
    size_t len = n;
    if (unprotect(rx, rtcp, exact, &len) == 0)
        CHECK(len < n);
    free(exact);
}

static void round_trip(yh_srtp_t *tx, yh_srtp_t *rx, uint8_t op, const uint8_t *data, size_t n)
{
    static uint8_t plain[MAX_PKT], buf[MAX_PKT + YH_SRTP_MAX_OVERHEAD], copy[sizeof buf];
    int rtcp = op & OP_RTCP;
    memcpy(plain, data, n);
    if (n)
        plain[0] = (uint8_t)((plain[0] & 0x3f) | 0x80);
    memcpy(buf, plain, n);
    size_t len = n;
    int rc = rtcp ? yh_srtp_protect_rtcp(tx, buf, &len, sizeof buf)
                  : yh_srtp_protect_rtp(tx, buf, &len, sizeof buf);
    if (rc < 0)
        return;
    CHECK(len > n && len - n <= YH_SRTP_MAX_OVERHEAD);
    size_t sent = len;
    memcpy(copy, buf, sent);
    rc = unprotect(rx, rtcp, buf, &len);
    /* Refused only as a replay or as older than the window. */
    CHECK(rc == 0 || rc == YH_EINTEGRITY);
    if (rc == 0)
        CHECK(len == n && memcmp(buf, plain, n) == 0);
    if (op & OP_TAMPER) {
        size_t bit = ((size_t)op * 2654435761u + n) % (sent * 8);
        copy[bit / 8] ^= (uint8_t)(1u << bit % 8);
        len = sent;
        CHECK(unprotect(rx, rtcp, copy, &len) < 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    yh_srtp_profile_t p = data[0] & 1 ? YH_SRTP_AEAD_AES_128_GCM : YH_SRTP_AES128_CM_SHA1_80;
    yh_srtp_keys_t ka, kb;
    yh_srtp_t *tx = NULL, *rx = NULL;
    make_keys(p, &ka, &kb);
    CHECK(yh_srtp_create(&ka, &tx) == 0 && yh_srtp_create(&kb, &rx) == 0);
    data++;
    size--;
    while (size >= 2) {
        uint8_t op = data[0];
        size_t n = data[1] | (size_t)(op >> 4) << 8; /* up to 4095 */
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        if (op & OP_PROTECT)
            round_trip(tx, rx, op, data, n);
        else
            raw(rx, op & OP_RTCP, data, n);
        data += n;
        size -= n;
    }
    yh_srtp_destroy(tx);
    yh_srtp_destroy(rx);
    return 0;
}
