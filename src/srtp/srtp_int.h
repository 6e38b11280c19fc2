/*
 * Internals of the SRTP module, shared by its files (srtp.c: packets and
 * sessions; srtp_crypto.c: key derivation and the OpenSSL contexts;
 * srtp_stream.c: per-SSRC state) and by its unit test, which checks the key
 * derivation and the transforms against the RFC vectors with session keys
 * given directly.
 */
#ifndef YH_SRTP_SRTP_INT_H
#define YH_SRTP_SRTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "srtp/srtp.h"

#define YH_SRTP_CM_TAG 10       /* HMAC-SHA1-80 (RFC 3711 5.2) */
#define YH_SRTP_GCM_TAG 16      /* RFC 7714 12 */
#define YH_SRTP_AUTH_KEY 20     /* HMAC-SHA1 session key, RFC 3711 8.2 */
#define YH_SRTP_SRTCP_WORD 4    /* E-bit and SRTCP index, RFC 3711 3.4 */
#define YH_SRTP_MAX_STREAMS 256 /* SSRCs remembered per direction */

/* Retransmissions answer NACKs up to about a second late; at video rates
 * that is several hundred packets behind the newest (RFC 3711 3.3.2 lets
 * the receiver choose the window). RTCP comes a few times a second. */
#define YH_SRTP_RTP_WINDOW 1024
#define YH_SRTP_RTCP_WINDOW 128

/* RFC 3711 4.3.1 key derivation labels. */
enum {
    YH_SRTP_LABEL_RTP_KEY = 0,
    YH_SRTP_LABEL_RTP_AUTH = 1,
    YH_SRTP_LABEL_RTP_SALT = 2,
    YH_SRTP_LABEL_RTCP_KEY = 3,
    YH_SRTP_LABEL_RTCP_AUTH = 4,
    YH_SRTP_LABEL_RTCP_SALT = 5,
};

/* The AES-CM PRF of RFC 3711 4.3.3 with a key derivation rate of 0: `n`
 * bytes of AES-128 counter-mode keystream from IV (salt XOR label<<48)<<16.
 * A salt shorter than 14 bytes (GCM's 12, RFC 7714 11) is padded with zeros
 * on the right. */
int yh_srtp_kdf(const uint8_t *master_key, const uint8_t *master_salt, size_t salt_len,
                uint8_t label, uint8_t *out, size_t n);

/* Session keys of one direction and one protocol (RTP or RTCP). */
typedef struct yh_srtp_session_keys {
    uint8_t key[YH_SRTP_MAX_KEY];
    uint8_t salt[YH_SRTP_MAX_SALT]; /* the first 12 for GCM */
    uint8_t auth[YH_SRTP_AUTH_KEY]; /* AES-CM only */
} yh_srtp_session_keys_t;

/* One transform: an OpenSSL cipher context keyed once, the session salt,
 * and for AES-CM the HMAC-SHA1 state after the padded key. Opaque outside
 * srtp_crypto.c. Not thread-safe: one per session direction. */
typedef struct yh_srtp_xform yh_srtp_xform_t;

int yh_srtp_xform_create(yh_srtp_profile_t p, const yh_srtp_session_keys_t *k, int encrypt,
                         yh_srtp_xform_t **out);
void yh_srtp_xform_destroy(yh_srtp_xform_t *x);
const uint8_t *yh_srtp_xform_salt(const yh_srtp_xform_t *x);

/* AES-CM: XORs `n` bytes of keystream from the 16-byte `iv` into buf. */
int yh_srtp_xform_ctr(yh_srtp_xform_t *x, const uint8_t *iv, uint8_t *buf, size_t n);
/* HMAC-SHA1 over a || b; writes the 20-byte MAC. */
void yh_srtp_xform_hmac(yh_srtp_xform_t *x, const uint8_t *a, size_t alen, const uint8_t *b,
                        size_t blen, uint8_t *mac);
/* Compares the first tag_len bytes of that MAC with `tag` in constant time:
 * 0 or YH_EINTEGRITY. */
int yh_srtp_xform_hmac_check(yh_srtp_xform_t *x, const uint8_t *a, size_t alen, const uint8_t *b,
                             size_t blen, const uint8_t *tag, size_t tag_len);
/* AES-GCM with a 12-byte iv: the AAD is aad1 || aad2 (either may be empty),
 * buf is transformed in place. seal writes the 16-byte tag; open checks it
 * and returns YH_EINTEGRITY on a mismatch (buf is then garbage). */
int yh_srtp_xform_seal(yh_srtp_xform_t *x, const uint8_t *iv, const uint8_t *aad1, size_t aad1_len,
                       const uint8_t *aad2, size_t aad2_len, uint8_t *buf, size_t n, uint8_t *tag);
int yh_srtp_xform_open(yh_srtp_xform_t *x, const uint8_t *iv, const uint8_t *aad1, size_t aad1_len,
                       const uint8_t *aad2, size_t aad2_len, uint8_t *buf, size_t n,
                       const uint8_t *tag);

/* Per-SSRC state. Both kinds start with a yh_srtp_slot_t so one table
 * serves them. */
typedef struct yh_srtp_slot {
    uint32_t ssrc;
    uint32_t used; /* table clock at the last use, for LRU eviction */
} yh_srtp_slot_t;

/* What we receive from one SSRC (RFC 3711 3.3.1, 3.3.2). */
typedef struct yh_srtp_in_stream {
    yh_srtp_slot_t slot;
    uint8_t has_rtp;
    uint8_t has_rtcp;
    uint32_t rtcp_top; /* highest SRTCP index accepted */
    uint64_t rtp_top;  /* highest 48-bit packet index accepted (ROC << 16 | SEQ) */
    uint64_t rtp_win[YH_SRTP_RTP_WINDOW / 64];   /* bit i: rtp_top - i seen */
    uint64_t rtcp_win[YH_SRTP_RTCP_WINDOW / 64]; /* bit i: rtcp_top - i seen */
} yh_srtp_in_stream_t;

/* What we send as one SSRC. */
typedef struct yh_srtp_out_stream {
    yh_srtp_slot_t slot;
    uint8_t has_rtp;
    uint32_t rtcp_next; /* SRTCP index of the next packet (RFC 3711 3.4) */
    uint64_t rtp_top;   /* highest 48-bit packet index sent */
} yh_srtp_out_stream_t;

/* A bounded table of streams sorted by SSRC. It grows (allocates) only when
 * a new SSRC is inserted; lookups neither allocate nor lock. */
typedef struct yh_srtp_table {
    uint8_t *items;
    size_t item_size;
    size_t n, cap;
    size_t last; /* index of the last hit, tried first */
    uint32_t clock;
} yh_srtp_table_t;

void yh_srtp_table_init(yh_srtp_table_t *t, size_t item_size);
void yh_srtp_table_free(yh_srtp_table_t *t);
/* The stream of `ssrc`, or NULL. Marks it used. */
void *yh_srtp_table_find(yh_srtp_table_t *t, uint32_t ssrc);
/* Copies `item` (whose slot names a new SSRC) into the table, evicting the
 * least recently used stream when YH_SRTP_MAX_STREAMS are there. Pointers
 * from earlier finds are invalid afterwards. */
int yh_srtp_table_insert(yh_srtp_table_t *t, const void *item);

/* RFC 3711 3.3.1 and Appendix A: the packet index of `seq` given the
 * highest index so far. Negative when it would fall before index 0. */
int64_t yh_srtp_index_guess(uint64_t top, uint16_t seq);

/* Replay windows: check says whether `idx` is new (0) or a replay or too
 * old (YH_EINTEGRITY); mark records it after authentication. */
int yh_srtp_rtp_replay_check(const yh_srtp_in_stream_t *st, uint64_t idx);
void yh_srtp_rtp_replay_mark(yh_srtp_in_stream_t *st, uint64_t idx);
int yh_srtp_rtcp_replay_check(const yh_srtp_in_stream_t *st, uint32_t idx);
void yh_srtp_rtcp_replay_mark(yh_srtp_in_stream_t *st, uint32_t idx);

/* Creates a session from session keys rather than master keys (the RFC
 * 7714 16-17 vectors give those). */
int yh_srtp_create_session(yh_srtp_profile_t p, const yh_srtp_session_keys_t *local_rtp,
                           const yh_srtp_session_keys_t *local_rtcp,
                           const yh_srtp_session_keys_t *remote_rtp,
                           const yh_srtp_session_keys_t *remote_rtcp, yh_srtp_t **out);
/* Streams held per direction, for the eviction test. */
void yh_srtp_stream_counts(const yh_srtp_t *s, size_t *in, size_t *out);

#endif
