/*
 * ICE-lite agent of one transport (RFC 8445 section 2.5 and 7.3, consent
 * freshness RFC 7675). The server never sends checks: it answers the
 * controlling peer's binding requests, learns the nominated 5-tuple and
 * expires the transport when checks stop. Sans-I/O: the caller gives the
 * packet, its source address and the time; the agent writes the response.
 */
#ifndef YH_ICE_ICE_H
#define YH_ICE_ICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stun/stun.h"

#define YH_ICE_UFRAG_MAX 256
#define YH_ICE_PWD_MAX 256
#define YH_ICE_CONSENT_TIMEOUT_US (30u * 1000000u)

typedef struct yh_ice_lite {
    char local_ufrag[YH_ICE_UFRAG_MAX + 1];
    char local_pwd[YH_ICE_PWD_MAX + 1];
    char remote_ufrag[YH_ICE_UFRAG_MAX + 1];
    /* The address media flows to: the last nominated 5-tuple (or the first
     * valid one before nomination, so media can start at once). */
    struct sockaddr_storage selected;
    int has_selected;
    int nominated;
    uint64_t last_check_us; /* last authenticated request: consent */
} yh_ice_lite_t;

enum {
    YH_ICE_RESULT_NONE = 0,      /* answered, nothing changed */
    YH_ICE_RESULT_SELECTED = 1,  /* `selected` was set or moved */
};

/* `remote_ufrag` may be "" when unknown (the check's USERNAME is then not
 * matched on the remote part). */
int yh_ice_lite_init(yh_ice_lite_t *ice, const char *local_ufrag, const char *local_pwd,
                     const char *remote_ufrag, uint64_t now_us);

/* Handles a parsed binding request from `from`. Checks USERNAME, MESSAGE-
 * INTEGRITY (YH_EINTEGRITY, no response written then: RFC 8445 7.3 says
 * drop silently) and writes the success response into `resp`.
 * Returns the response length (> 0) or YH_E*; sets *result. */
int yh_ice_lite_handle_request(yh_ice_lite_t *ice, const uint8_t *buf, size_t len,
                               const yh_stun_msg_t *msg, const struct sockaddr *from,
                               uint64_t now_us, uint8_t *resp, size_t resp_cap, int *result);

/* 1 when no authenticated check arrived for YH_ICE_CONSENT_TIMEOUT_US. */
int yh_ice_lite_expired(const yh_ice_lite_t *ice, uint64_t now_us);

#endif
