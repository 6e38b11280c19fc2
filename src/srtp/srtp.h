/*
 * SRTP/SRTCP sessions of one DTLS-SRTP transport (RFC 3711, RFC 7714),
 * implemented here on OpenSSL's libcrypto (AES-GCM, AES-CTR, SHA-1):
 * profiles SRTP_AEAD_AES_128_GCM and SRTP_AES128_CM_HMAC_SHA1_80. A session
 * is used by one thread at a time; its packet functions neither allocate
 * (except on the first packet of a new SSRC) nor lock.
 */
#ifndef YH_SRTP_SRTP_H
#define YH_SRTP_SRTP_H

#include <stddef.h>
#include <stdint.h>

/* Bytes that protect may add to an RTP or RTCP packet (tag, SRTCP index). */
#define YH_SRTP_MAX_OVERHEAD 148

typedef enum yh_srtp_profile {
    YH_SRTP_NONE = 0,
    YH_SRTP_AES128_CM_SHA1_80 = 1,   /* RFC 5764 SRTP_AES128_CM_HMAC_SHA1_80 */
    YH_SRTP_AEAD_AES_128_GCM = 7,    /* RFC 7714 SRTP_AEAD_AES_128_GCM */
} yh_srtp_profile_t;

#define YH_SRTP_MAX_KEY 16
#define YH_SRTP_MAX_SALT 14

/* Keys exported from DTLS (RFC 5764 4.2): ours protect what we send,
 * the peer's unprotect what we receive. */
typedef struct yh_srtp_keys {
    yh_srtp_profile_t profile;
    uint8_t local_key[YH_SRTP_MAX_KEY];
    uint8_t local_salt[YH_SRTP_MAX_SALT];
    uint8_t remote_key[YH_SRTP_MAX_KEY];
    uint8_t remote_salt[YH_SRTP_MAX_SALT];
    uint8_t key_len;  /* 16 for both profiles */
    uint8_t salt_len; /* 14 for AES-CM, 12 for GCM */
} yh_srtp_keys_t;

typedef struct yh_srtp yh_srtp_t;

/* Once per process, before any session (thread-safe, idempotent). */
int yh_srtp_global_init(void);

/* Creates the inbound and outbound sessions. The inbound replay window is
 * 1024 packets (retransmissions arrive late); the outbound allows
 * retransmitting a sequence number already sent (RTX answers to NACKs).
 * Up to 256 SSRCs are remembered each way, the least recently used
 * forgotten past that. */
int yh_srtp_create(const yh_srtp_keys_t *keys, yh_srtp_t **out);
void yh_srtp_destroy(yh_srtp_t *s);
/* Whether the session's cipher is an AEAD (AES-GCM): protecting one index
 * twice with different bytes then reuses a nonce, which gives away the
 * authentication key; only an identical packet may be protected again. */
int yh_srtp_is_aead(const yh_srtp_t *s);

/* In place. `cap` is the buffer size: it must leave YH_SRTP_MAX_OVERHEAD
 * after *len. Returns 0 or YH_E*: YH_EINTEGRITY for auth/replay failures,
 * YH_ETRUNC for a packet too short for its header or trailer, YH_EPARSE for
 * a header that is not RTP/RTCP version 2 or promises more than *len,
 * YH_ENOSPACE for too little room. Unprotect reads nothing past *len; on
 * failure the packet's bytes are unspecified (GCM decrypts before the tag
 * is known to be good). */
int yh_srtp_protect_rtp(yh_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap);
int yh_srtp_unprotect_rtp(yh_srtp_t *s, uint8_t *pkt, size_t *len);
int yh_srtp_protect_rtcp(yh_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap);
int yh_srtp_unprotect_rtcp(yh_srtp_t *s, uint8_t *pkt, size_t *len);

const char *yh_srtp_profile_name(yh_srtp_profile_t p);
/* Master key and salt lengths of a profile (RFC 5764 4.1.2, RFC 7714 12):
 * 0, or YH_EUNSUPPORTED for a profile this module does not implement. */
int yh_srtp_profile_sizes(yh_srtp_profile_t p, uint8_t *key_len, uint8_t *salt_len);

#endif
