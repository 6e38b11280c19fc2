/*
 * Test oracle: SRTP/SRTCP over libsrtp2, the module's former
 * implementation, kept so the tests and bench/srtp can check ours against
 * an independent one. A session pair per transport: the inbound
 * session matches any SSRC (ssrc_any_inbound) so a publisher's new streams
 * (simulcast layers, RTX) need no set-up; the outbound one matches any SSRC
 * we send (ssrc_any_outbound) and allows repeating a sequence number,
 * because an RTX-less retransmission resends the very same packet.
 */
#include "srtp_ref.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "base/err.h"

/* Retransmissions answer NACKs up to about a second late; at video rates
 * that is several hundred packets behind the newest (RFC 3711 3.3.2 lets
 * the receiver choose the window). */
#define REPLAY_WINDOW 1024
#define RTP_MIN_LEN 12 /* fixed header, RFC 3550 5.1 */
#define RTCP_MIN_LEN 8 /* header and sender SSRC, RFC 3550 6.4 */
#define MAX_PACKET_LEN 65535

struct yh_ref_srtp {
    srtp_t in;
    srtp_t out;
};

typedef void (*policy_fn)(srtp_crypto_policy_t *p);

static const struct profile {
    yh_srtp_profile_t id;
    uint8_t key_len;
    uint8_t salt_len;
    policy_fn rtp;
    policy_fn rtcp;
} profiles[] = {
    /* RFC 5764 4.1.2: AES-128 counter mode, HMAC-SHA1 with an 80-bit tag. */
    {YH_SRTP_AES128_CM_SHA1_80, 16, 14, srtp_crypto_policy_set_rtp_default,
     srtp_crypto_policy_set_rtcp_default},
    /* RFC 7714 12: AES-128-GCM, 16-byte tag, 12-byte salt. */
    {YH_SRTP_AEAD_AES_128_GCM, 16, 12, srtp_crypto_policy_set_aes_gcm_128_16_auth,
     srtp_crypto_policy_set_aes_gcm_128_16_auth},
};

static const struct profile *find_profile(yh_srtp_profile_t id)
{
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        if (profiles[i].id == id)
            return &profiles[i];
    return NULL;
}

static int map_status(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        return YH_EINTEGRITY;
    case srtp_err_status_bad_param: /* what libsrtp says of a malformed header */
        return YH_EPARSE;
    case srtp_err_status_alloc_fail:
        return YH_ENOMEM;
    default:
        return YH_ECRYPTO;
    }
}

/* srtp_init() registers libsrtp's ciphers in a process-wide table; after
 * that, sessions only read it, so workers may create them concurrently. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result; /* written once, inside init_once */

static void init_library(void)
{
    init_result = map_status(srtp_init());
}

int yh_ref_srtp_global_init(void)
{
    if (pthread_once(&init_once, init_library) != 0)
        return YH_ECRYPTO;
    return init_result;
}

static int session_create(const struct profile *p, const uint8_t *key, const uint8_t *salt,
                          srtp_ssrc_type_t dir, srtp_t *out)
{
    /* libsrtp takes the master key and salt as one buffer, key first. */
    uint8_t master[YH_SRTP_MAX_KEY + YH_SRTP_MAX_SALT];
    memcpy(master, key, p->key_len);
    memcpy(master + p->key_len, salt, p->salt_len);

    srtp_policy_t pol;
    memset(&pol, 0, sizeof pol);
    p->rtp(&pol.rtp);
    p->rtcp(&pol.rtcp);
    pol.ssrc.type = dir;
    pol.key = master;
    pol.window_size = REPLAY_WINDOW;
    pol.allow_repeat_tx = dir == ssrc_any_outbound;
    pol.next = NULL;

    srtp_err_status_t st = srtp_create(out, &pol);
    explicit_bzero(master, sizeof master);
    if (st != srtp_err_status_ok) {
        *out = NULL;
        return map_status(st);
    }
    return 0;
}

int yh_ref_srtp_create(const yh_srtp_keys_t *keys, yh_ref_srtp_t **out)
{
    if (!keys || !out)
        return YH_EINVAL;
    const struct profile *p = find_profile(keys->profile);
    if (!p)
        return YH_EUNSUPPORTED;
    if (keys->key_len != p->key_len || keys->salt_len != p->salt_len)
        return YH_EINVAL;
    int rc = yh_ref_srtp_global_init();
    if (rc < 0)
        return rc;

    yh_ref_srtp_t *s = calloc(1, sizeof *s);
    if (!s)
        return YH_ENOMEM;
    rc = session_create(p, keys->remote_key, keys->remote_salt, ssrc_any_inbound, &s->in);
    if (rc < 0)
        goto fail;
    rc = session_create(p, keys->local_key, keys->local_salt, ssrc_any_outbound, &s->out);
    if (rc < 0)
        goto fail;
    *out = s;
    return 0;

fail:
    yh_ref_srtp_destroy(s);
    return rc;
}

void yh_ref_srtp_destroy(yh_ref_srtp_t *s)
{
    if (!s)
        return;
    if (s->in)
        srtp_dealloc(s->in);
    if (s->out)
        srtp_dealloc(s->out);
    free(s);
}

/* libsrtp appends its trailer without being told the buffer size, so the
 * room is checked here; it also takes the length as an int. */
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
    return 0;
}

typedef srtp_err_status_t (*transform_fn)(srtp_t ctx, void *pkt, int *len);

static int transform(transform_fn fn, srtp_t ctx, uint8_t *pkt, size_t *len)
{
    int n = (int)*len;
    int rc = map_status(fn(ctx, pkt, &n));
    if (rc < 0)
        return rc;
    *len = (size_t)n;
    return 0;
}

int yh_ref_srtp_protect_rtp(yh_ref_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap)
{
    int rc = check_protect(pkt, len, cap, RTP_MIN_LEN);
    return rc < 0 ? rc : transform(srtp_protect, s->out, pkt, len);
}

int yh_ref_srtp_unprotect_rtp(yh_ref_srtp_t *s, uint8_t *pkt, size_t *len)
{
    int rc = check_unprotect(pkt, len, RTP_MIN_LEN);
    return rc < 0 ? rc : transform(srtp_unprotect, s->in, pkt, len);
}

int yh_ref_srtp_protect_rtcp(yh_ref_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap)
{
    int rc = check_protect(pkt, len, cap, RTCP_MIN_LEN);
    return rc < 0 ? rc : transform(srtp_protect_rtcp, s->out, pkt, len);
}

int yh_ref_srtp_unprotect_rtcp(yh_ref_srtp_t *s, uint8_t *pkt, size_t *len)
{
    int rc = check_unprotect(pkt, len, RTCP_MIN_LEN);
    return rc < 0 ? rc : transform(srtp_unprotect_rtcp, s->in, pkt, len);
}
