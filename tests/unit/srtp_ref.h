/*
 * Test oracle: the SRTP session API of src/srtp/srtp.h implemented over
 * libsrtp2 (ssrc_any sessions, a 1024-packet inbound replay window, repeated
 * sequence numbers allowed outbound). Test and benchmark code only: it is
 * the only code that includes <srtp2/srtp.h>.
 */
#ifndef YH_TESTS_SRTP_REF_H
#define YH_TESTS_SRTP_REF_H

#include <stddef.h>
#include <stdint.h>

#include "srtp/srtp.h"

typedef struct yh_ref_srtp yh_ref_srtp_t;

int yh_ref_srtp_global_init(void);
int yh_ref_srtp_create(const yh_srtp_keys_t *keys, yh_ref_srtp_t **out);
void yh_ref_srtp_destroy(yh_ref_srtp_t *s);
/* In place, as yh_srtp_*: `cap` must leave YH_SRTP_MAX_OVERHEAD after *len. */
int yh_ref_srtp_protect_rtp(yh_ref_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap);
int yh_ref_srtp_unprotect_rtp(yh_ref_srtp_t *s, uint8_t *pkt, size_t *len);
int yh_ref_srtp_protect_rtcp(yh_ref_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap);
int yh_ref_srtp_unprotect_rtcp(yh_ref_srtp_t *s, uint8_t *pkt, size_t *len);

#endif
