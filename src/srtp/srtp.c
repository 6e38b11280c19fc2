/*
 * SRTP/SRTCP sessions (RFC 3711, RFC 7714) on OpenSSL's libcrypto. One
 * session per transport holds four transforms (RTP and RTCP, each way),
 * keyed once from the DTLS-exported master keys, and two tables of per-SSRC
 * state. Any SSRC is accepted: a publisher's new streams (simulcast layers,
 * RTX) need no set-up. An inbound stream is remembered only once one of its
 * packets authenticates. Outbound, a sequence number may be protected again
 * (retransmissions answering NACKs reuse the media SSRC and the old
 * number), so its index is estimated against the highest sent, as a
 * receiver would.
 *
 * Per packet nothing is allocated and no lock is taken: the IV is built on
 * the stack and the cipher contexts are only re-initialised with it.
 */
#include "srtp/srtp.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/err.h"
#include "srtp/srtp_int.h"

#define RTP_MIN_LEN 12 /* fixed header, RFC 3550 5.1 */
#define RTCP_MIN_LEN 8 /* header and sender SSRC, RFC 3550 6.4 */
#define MAX_PACKET_LEN 65535
#define MAX_SRTCP_INDEX 0x7fffffffu
#define SRTCP_E_BIT 0x80000000u

struct yh_srtp {
    yh_srtp_profile_t profile;
    int gcm;
    size_t tag_len;
    yh_srtp_xform_t *rtp_out, *rtcp_out, *rtp_in, *rtcp_in;
    yh_srtp_table_t in;  /* yh_srtp_in_stream_t */
    yh_srtp_table_t out; /* yh_srtp_out_stream_t */
};

static const struct profile {
    yh_srtp_profile_t id;
    const char *name;
    uint8_t key_len;
    uint8_t salt_len;
} profiles[] = {
    /* RFC 5764 4.1.2: AES-128 counter mode, HMAC-SHA1 with an 80-bit tag. */
    {YH_SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", 16, 14},
    /* RFC 7714 12: AES-128-GCM, 16-byte tag, 12-byte salt. */
    {YH_SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", 16, 12},
};

static const struct profile *find_profile(yh_srtp_profile_t id)
{
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        if (profiles[i].id == id)
            return &profiles[i];
    return NULL;
}

const char *yh_srtp_profile_name(yh_srtp_profile_t p)
{
    const struct profile *x = find_profile(p);
    return x ? x->name : "none";
}

int yh_srtp_profile_sizes(yh_srtp_profile_t p, uint8_t *key_len, uint8_t *salt_len)
{
    const struct profile *x = find_profile(p);
    if (!x)
        return YH_EUNSUPPORTED;
    *key_len = x->key_len;
    *salt_len = x->salt_len;
    return 0;
}

/* Nothing process-wide is left to set up (OpenSSL initialises itself);
 * kept so callers need not know. */
int yh_srtp_global_init(void)
{
    return 0;
}

/* RFC 3711 4.3 (RFC 7714 11 for GCM: same labels, 12-byte salts). */
static int derive(const struct profile *p, const uint8_t *key, const uint8_t *salt, int rtcp,
                  yh_srtp_session_keys_t *k)
{
    uint8_t base = rtcp ? YH_SRTP_LABEL_RTCP_KEY : YH_SRTP_LABEL_RTP_KEY;
    memset(k, 0, sizeof *k);
    int rc = yh_srtp_kdf(key, salt, p->salt_len, base, k->key, p->key_len);
    if (rc == 0)
        rc = yh_srtp_kdf(key, salt, p->salt_len, base + 2, k->salt, p->salt_len);
    if (rc == 0 && p->id == YH_SRTP_AES128_CM_SHA1_80)
        rc = yh_srtp_kdf(key, salt, p->salt_len, base + 1, k->auth, YH_SRTP_AUTH_KEY);
    return rc;
}

int yh_srtp_create(const yh_srtp_keys_t *keys, yh_srtp_t **out)
{
    if (!keys || !out)
        return YH_EINVAL;
    const struct profile *p = find_profile(keys->profile);
    if (!p)
        return YH_EUNSUPPORTED;
    if (keys->key_len != p->key_len || keys->salt_len != p->salt_len)
        return YH_EINVAL;

    yh_srtp_session_keys_t k[4]; /* local RTP, local RTCP, remote RTP, remote RTCP */
    int rc = derive(p, keys->local_key, keys->local_salt, 0, &k[0]);
    if (rc == 0)
        rc = derive(p, keys->local_key, keys->local_salt, 1, &k[1]);
    if (rc == 0)
        rc = derive(p, keys->remote_key, keys->remote_salt, 0, &k[2]);
    if (rc == 0)
        rc = derive(p, keys->remote_key, keys->remote_salt, 1, &k[3]);
    if (rc == 0)
        rc = yh_srtp_create_session(p->id, &k[0], &k[1], &k[2], &k[3], out);
    explicit_bzero(k, sizeof k);
    return rc;
}

int yh_srtp_create_session(yh_srtp_profile_t p, const yh_srtp_session_keys_t *local_rtp,
                           const yh_srtp_session_keys_t *local_rtcp,
                           const yh_srtp_session_keys_t *remote_rtp,
                           const yh_srtp_session_keys_t *remote_rtcp, yh_srtp_t **out)
{
    if (!find_profile(p))
        return YH_EUNSUPPORTED;
    yh_srtp_t *s = calloc(1, sizeof *s);
    if (!s)
        return YH_ENOMEM;
    s->profile = p;
    s->gcm = p == YH_SRTP_AEAD_AES_128_GCM;
    s->tag_len = s->gcm ? YH_SRTP_GCM_TAG : YH_SRTP_CM_TAG;
    yh_srtp_table_init(&s->in, sizeof(yh_srtp_in_stream_t));
    yh_srtp_table_init(&s->out, sizeof(yh_srtp_out_stream_t));
    int rc = yh_srtp_xform_create(p, local_rtp, 1, &s->rtp_out);
    if (rc == 0)
        rc = yh_srtp_xform_create(p, local_rtcp, 1, &s->rtcp_out);
    if (rc == 0)
        rc = yh_srtp_xform_create(p, remote_rtp, 0, &s->rtp_in);
    if (rc == 0)
        rc = yh_srtp_xform_create(p, remote_rtcp, 0, &s->rtcp_in);
    if (rc < 0) {
        yh_srtp_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

void yh_srtp_destroy(yh_srtp_t *s)
{
    if (!s)
        return;
    yh_srtp_xform_destroy(s->rtp_out);
    yh_srtp_xform_destroy(s->rtcp_out);
    yh_srtp_xform_destroy(s->rtp_in);
    yh_srtp_xform_destroy(s->rtcp_in);
    yh_srtp_table_free(&s->in);
    yh_srtp_table_free(&s->out);
    free(s);
}

void yh_srtp_stream_counts(const yh_srtp_t *s, size_t *in, size_t *out)
{
    *in = s->in.n;
    *out = s->out.n;
}

/* protect appends its trailer in place, so the room is checked first. */
static int check_protect(const uint8_t *pkt, const size_t *len, size_t cap, size_t min_len)
{
    if (!pkt || !len)
        return YH_EINVAL;
    if (*len < min_len)
        return YH_ETRUNC;
    if (*len > MAX_PACKET_LEN)
        return YH_ERANGE;
    if (cap < *len || cap - *len < YH_SRTP_MAX_OVERHEAD)
        return YH_ENOSPACE;
    if (pkt[0] >> 6 != 2) /* RTP and RTCP version 2 */
        return YH_EPARSE;
    return 0;
}

static int check_unprotect(const uint8_t *pkt, const size_t *len, size_t min_len)
{
    if (!pkt || !len)
        return YH_EINVAL;
    if (*len < min_len)
        return YH_ETRUNC;
    if (*len > MAX_PACKET_LEN)
        return YH_ERANGE;
    if (pkt[0] >> 6 != 2)
        return YH_EPARSE;
    return 0;
}

/* Length of the RTP header the cipher leaves clear and GCM authenticates:
 * fixed part, CSRCs and the extension (RFC 3550 5.1, 5.3.1). */
static int rtp_header_len(const uint8_t *p, size_t len, size_t *out)
{
    size_t hl = RTP_MIN_LEN + 4 * (size_t)(p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (hl + 4 > len)
            return YH_EPARSE;
        hl += 4 + 4 * (size_t)rd_be16(p + hl + 2);
    }
    if (hl > len)
        return YH_EPARSE;
    *out = hl;
    return 0;
}

static void xor_be32(uint8_t *p, uint32_t v)
{
    p[0] ^= (uint8_t)(v >> 24);
    p[1] ^= (uint8_t)(v >> 16);
    p[2] ^= (uint8_t)(v >> 8);
    p[3] ^= (uint8_t)v;
}

static void xor_be48(uint8_t *p, uint64_t v)
{
    xor_be32(p, (uint32_t)(v >> 16));
    p[4] ^= (uint8_t)(v >> 8);
    p[5] ^= (uint8_t)v;
}

/* RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), where
 * i is the 48-bit packet index, or the SRTCP index. */
static void cm_iv(uint8_t *iv, const uint8_t *salt, uint32_t ssrc, uint64_t idx)
{
    memcpy(iv, salt, 14);
    iv[14] = iv[15] = 0;
    xor_be32(iv + 4, ssrc);
    xor_be48(iv + 8, idx);
}

/* RFC 7714 8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt; 9.1 for
 * SRTCP: (0x0000 || SSRC || 0x0000 || 0 || SRTCP index) XOR salt, which is
 * the same with the index in place of ROC || SEQ. */
static void gcm_iv(uint8_t *iv, const uint8_t *salt, uint32_t ssrc, uint64_t idx)
{
    memcpy(iv, salt, 12);
    xor_be32(iv + 2, ssrc);
    xor_be48(iv + 6, idx);
}

/* Encrypts the payload and appends the tag (RFC 3711 3.1, RFC 7714 8). */
static int seal_rtp(yh_srtp_t *s, uint8_t *pkt, size_t hl, size_t *len, uint32_t ssrc, uint64_t idx)
{
    const uint8_t *salt = yh_srtp_xform_salt(s->rtp_out);
    if (s->gcm) {
        uint8_t iv[12];
        gcm_iv(iv, salt, ssrc, idx);
        int rc =
            yh_srtp_xform_seal(s->rtp_out, iv, pkt, hl, NULL, 0, pkt + hl, *len - hl, pkt + *len);
        if (rc < 0)
            return rc;
    } else {
        uint8_t iv[16], roc[4], mac[20];
        cm_iv(iv, salt, ssrc, idx);
        int rc = yh_srtp_xform_ctr(s->rtp_out, iv, pkt + hl, *len - hl);
        if (rc < 0)
            return rc;
        /* The tag covers the packet and the ROC (RFC 3711 4.2). */
        wr_be32(roc, (uint32_t)(idx >> 16));
        yh_srtp_xform_hmac(s->rtp_out, pkt, *len, roc, sizeof roc, mac);
        memcpy(pkt + *len, mac, YH_SRTP_CM_TAG);
    }
    *len += s->tag_len;
    return 0;
}

/* The outbound stream of `ssrc`, created on its first packet. */
static int out_stream(yh_srtp_t *s, uint32_t ssrc, yh_srtp_out_stream_t **out)
{
    yh_srtp_out_stream_t *st = yh_srtp_table_find(&s->out, ssrc);
    if (!st) {
        yh_srtp_out_stream_t fresh;
        memset(&fresh, 0, sizeof fresh);
        fresh.slot.ssrc = ssrc;
        int rc = yh_srtp_table_insert(&s->out, &fresh);
        if (rc < 0)
            return rc;
        st = yh_srtp_table_find(&s->out, ssrc);
    }
    *out = st;
    return 0;
}

int yh_srtp_is_aead(const yh_srtp_t *s)
{
    return s->gcm;
}

int yh_srtp_protect_rtp(yh_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap)
{
    size_t hl;
    int rc = check_protect(pkt, len, cap, RTP_MIN_LEN);
    if (rc == 0)
        rc = rtp_header_len(pkt, *len, &hl);
    if (rc < 0)
        return rc;
    uint32_t ssrc = rd_be32(pkt + 8);
    uint16_t seq = rd_be16(pkt + 2);
    yh_srtp_out_stream_t *st;
    rc = out_stream(s, ssrc, &st);
    if (rc < 0)
        return rc;
    /* The first packet starts with ROC 0 (RFC 3711 3.3.1); later ones,
     * retransmissions included, take the index nearest the highest sent. */
    int64_t idx = st->has_rtp ? yh_srtp_index_guess(st->rtp_top, seq) : seq;
    if (idx < 0)
        return YH_ERANGE;
    rc = seal_rtp(s, pkt, hl, len, ssrc, (uint64_t)idx);
    if (rc < 0)
        return rc;
    if (!st->has_rtp || (uint64_t)idx > st->rtp_top) {
        st->rtp_top = (uint64_t)idx;
        st->has_rtp = 1;
    }
    return 0;
}

/* Checks the tag and decrypts the payload; body_len excludes the tag. */
static int open_rtp(yh_srtp_t *s, uint8_t *pkt, size_t hl, size_t body_len, uint32_t ssrc,
                    uint64_t idx)
{
    const uint8_t *salt = yh_srtp_xform_salt(s->rtp_in);
    if (s->gcm) {
        uint8_t iv[12];
        gcm_iv(iv, salt, ssrc, idx);
        return yh_srtp_xform_open(s->rtp_in, iv, pkt, hl, NULL, 0, pkt + hl, body_len - hl,
                                  pkt + body_len);
    }
    uint8_t iv[16], roc[4];
    wr_be32(roc, (uint32_t)(idx >> 16));
    int rc = yh_srtp_xform_hmac_check(s->rtp_in, pkt, body_len, roc, sizeof roc, pkt + body_len,
                                      YH_SRTP_CM_TAG);
    if (rc < 0)
        return rc;
    cm_iv(iv, salt, ssrc, idx);
    return yh_srtp_xform_ctr(s->rtp_in, iv, pkt + hl, body_len - hl);
}

/* Records an authenticated packet in its stream, creating the stream. */
static int in_accept(yh_srtp_t *s, yh_srtp_in_stream_t *st, uint32_t ssrc, int rtcp, uint64_t idx)
{
    yh_srtp_in_stream_t fresh;
    yh_srtp_in_stream_t *at = st;
    if (!at) {
        memset(&fresh, 0, sizeof fresh);
        fresh.slot.ssrc = ssrc;
        at = &fresh;
    }
    if (rtcp)
        yh_srtp_rtcp_replay_mark(at, (uint32_t)idx);
    else
        yh_srtp_rtp_replay_mark(at, idx);
    return st ? 0 : yh_srtp_table_insert(&s->in, &fresh);
}

int yh_srtp_unprotect_rtp(yh_srtp_t *s, uint8_t *pkt, size_t *len)
{
    size_t hl;
    int rc = check_unprotect(pkt, len, RTP_MIN_LEN);
    if (rc == 0)
        rc = rtp_header_len(pkt, *len, &hl);
    if (rc < 0)
        return rc;
    if (*len - hl < s->tag_len)
        return YH_ETRUNC;
    size_t body_len = *len - s->tag_len;
    uint32_t ssrc = rd_be32(pkt + 8);
    uint16_t seq = rd_be16(pkt + 2);
    yh_srtp_in_stream_t *st = yh_srtp_table_find(&s->in, ssrc);
    int64_t idx = st && st->has_rtp ? yh_srtp_index_guess(st->rtp_top, seq) : seq;
    if (idx < 0)
        return YH_EINTEGRITY;
    /* Replays are dropped before spending a decryption on them. */
    if (st && yh_srtp_rtp_replay_check(st, (uint64_t)idx) < 0)
        return YH_EINTEGRITY;
    rc = open_rtp(s, pkt, hl, body_len, ssrc, (uint64_t)idx);
    if (rc == 0)
        rc = in_accept(s, st, ssrc, 0, (uint64_t)idx);
    if (rc < 0)
        return rc;
    *len = body_len;
    return 0;
}

/* RFC 3711 3.4: encrypted from octet 8 on, then E || index, then the tag
 * over all of it. RFC 7714 9.1: the AAD is the first 8 octets and E ||
 * index; the tag follows the ciphertext and E || index comes last. */
int yh_srtp_protect_rtcp(yh_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap)
{
    int rc = check_protect(pkt, len, cap, RTCP_MIN_LEN);
    if (rc < 0)
        return rc;
    uint32_t ssrc = rd_be32(pkt + 4);
    yh_srtp_out_stream_t *st;
    rc = out_stream(s, ssrc, &st);
    if (rc < 0)
        return rc;
    /* The index must never repeat under one key; at 2^31 packets it is
     * exhausted and the session has to be keyed again (RFC 3711 3.4, 9.2). */
    if (st->rtcp_next > MAX_SRTCP_INDEX)
        return YH_ELIMIT;
    uint32_t idx = st->rtcp_next;
    uint8_t word[YH_SRTP_SRTCP_WORD];
    wr_be32(word, SRTCP_E_BIT | idx);
    const uint8_t *salt = yh_srtp_xform_salt(s->rtcp_out);
    size_t n = *len;
    if (s->gcm) {
        uint8_t iv[12];
        gcm_iv(iv, salt, ssrc, idx);
        rc = yh_srtp_xform_seal(s->rtcp_out, iv, pkt, RTCP_MIN_LEN, word, sizeof word,
                                pkt + RTCP_MIN_LEN, n - RTCP_MIN_LEN, pkt + n);
        memcpy(pkt + n + YH_SRTP_GCM_TAG, word, sizeof word);
    } else {
        uint8_t iv[16], mac[20];
        cm_iv(iv, salt, ssrc, idx);
        rc = yh_srtp_xform_ctr(s->rtcp_out, iv, pkt + RTCP_MIN_LEN, n - RTCP_MIN_LEN);
        memcpy(pkt + n, word, sizeof word);
        yh_srtp_xform_hmac(s->rtcp_out, pkt, n + sizeof word, NULL, 0, mac);
        memcpy(pkt + n + sizeof word, mac, YH_SRTP_CM_TAG);
    }
    if (rc < 0)
        return rc;
    st->rtcp_next++;
    *len = n + s->tag_len + YH_SRTP_SRTCP_WORD;
    return 0;
}

/* Checks and decrypts an SRTCP packet whose trailer is already located.
 * With the E-bit clear nothing was encrypted, and GCM authenticates the
 * whole packet as AAD (RFC 7714 9.2). */
static int open_rtcp(yh_srtp_t *s, uint8_t *pkt, size_t body_len, const uint8_t *word,
                     const uint8_t *tag, uint32_t ssrc, uint32_t idx, int encrypted)
{
    const uint8_t *salt = yh_srtp_xform_salt(s->rtcp_in);
    if (s->gcm) {
        uint8_t iv[12];
        gcm_iv(iv, salt, ssrc, idx);
        if (!encrypted)
            return yh_srtp_xform_open(s->rtcp_in, iv, pkt, body_len, word, YH_SRTP_SRTCP_WORD, NULL,
                                      0, tag);
        return yh_srtp_xform_open(s->rtcp_in, iv, pkt, RTCP_MIN_LEN, word, YH_SRTP_SRTCP_WORD,
                                  pkt + RTCP_MIN_LEN, body_len - RTCP_MIN_LEN, tag);
    }
    /* The tag covers the packet up to and including E || index. */
    int rc = yh_srtp_xform_hmac_check(s->rtcp_in, pkt, body_len + YH_SRTP_SRTCP_WORD, NULL, 0, tag,
                                      YH_SRTP_CM_TAG);
    if (rc < 0 || !encrypted)
        return rc;
    uint8_t iv[16];
    cm_iv(iv, salt, ssrc, idx);
    return yh_srtp_xform_ctr(s->rtcp_in, iv, pkt + RTCP_MIN_LEN, body_len - RTCP_MIN_LEN);
}

int yh_srtp_unprotect_rtcp(yh_srtp_t *s, uint8_t *pkt, size_t *len)
{
    int rc = check_unprotect(pkt, len, RTCP_MIN_LEN);
    if (rc < 0)
        return rc;
    size_t trailer = s->tag_len + YH_SRTP_SRTCP_WORD;
    if (*len < RTCP_MIN_LEN + trailer)
        return YH_ETRUNC;
    size_t body_len = *len - trailer;
    const uint8_t *word, *tag;
    if (s->gcm) {
        tag = pkt + body_len;
        word = tag + YH_SRTP_GCM_TAG;
    } else {
        word = pkt + body_len;
        tag = word + YH_SRTP_SRTCP_WORD;
    }
    uint32_t w = rd_be32(word);
    uint32_t idx = w & MAX_SRTCP_INDEX;
    uint32_t ssrc = rd_be32(pkt + 4);
    yh_srtp_in_stream_t *st = yh_srtp_table_find(&s->in, ssrc);
    if (st && yh_srtp_rtcp_replay_check(st, idx) < 0)
        return YH_EINTEGRITY;
    rc = open_rtcp(s, pkt, body_len, word, tag, ssrc, idx, (w & SRTCP_E_BIT) != 0);
    if (rc == 0)
        rc = in_accept(s, st, ssrc, 1, idx);
    if (rc < 0)
        return rc;
    *len = body_len;
    return 0;
}
