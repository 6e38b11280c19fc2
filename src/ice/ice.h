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
/* Transaction ids remembered against replays (see handle_request). */
#define YH_ICE_SEEN_TXIDS 32

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
    /* The last YH_ICE_SEEN_TXIDS authenticated requests: transaction id
     * and a hash of the address it came from (a ring). */
    uint8_t seen_txid[YH_ICE_SEEN_TXIDS][12];
    uint64_t seen_from[YH_ICE_SEEN_TXIDS];
    unsigned seen_next;
    uint64_t replays; /* requests dropped as replays */
} yh_ice_lite_t;

enum {
    YH_ICE_RESULT_NONE = 0,      /* answered, nothing changed */
    YH_ICE_RESULT_SELECTED = 1,  /* `selected` was set or moved */
};

/* `remote_ufrag` may be "" when unknown (the check's USERNAME is then not
 * matched on the remote part). */
int yh_ice_lite_init(yh_ice_lite_t *ice, const char *local_ufrag, const char *local_pwd,
                     const char *remote_ufrag, uint64_t now_us);

/* ICE restart (RFC 8445 section 9): new local and remote credentials
 * from a new offer/answer exchange. Requests with the old ones no longer
 * authenticate; the selected address and consent are kept, so media goes
 * on flowing on the old path until a check with the new credentials
 * nominates a (possibly new) one. `remote_ufrag` "" leaves the remote
 * part unchecked until a later call gives it. YH_EINVAL as init. */
int yh_ice_lite_restart(yh_ice_lite_t *ice, const char *local_ufrag, const char *local_pwd,
                        const char *remote_ufrag);

/* Handles a parsed binding request from `from`. Checks USERNAME, MESSAGE-
 * INTEGRITY (YH_EINTEGRITY, no response written then: RFC 8445 7.3 says
 * drop silently) and writes the success response into `resp`.
 * A request whose transaction id was already seen from another address
 * is a replay of a captured check (MESSAGE-INTEGRITY does not cover the
 * source address): dropped with YH_EEXISTS, nothing answered or moved.
 * The same id from the same address is a retransmission and is answered
 * (RFC 5389 section 7.3.1).
 * Returns the response length (> 0) or YH_E*; sets *result. */
int yh_ice_lite_handle_request(yh_ice_lite_t *ice, const uint8_t *buf, size_t len,
                               const yh_stun_msg_t *msg, const struct sockaddr *from,
                               uint64_t now_us, uint8_t *resp, size_t resp_cap, int *result);

/* 1 when no authenticated check arrived for YH_ICE_CONSENT_TIMEOUT_US. */
int yh_ice_lite_expired(const yh_ice_lite_t *ice, uint64_t now_us);

/* ---- Controlling client agent -------------------------------------------
 *
 * The other side of ICE-lite (RFC 8445 section 6.1.1: against a lite peer
 * the full agent is controlling): a client such as yunhui-term checks the
 * server's one host candidate, nominates it at once (USE-CANDIDATE on every
 * check until a success, RFC 8445 8.1.1 "aggressive" style, which a lite
 * peer accepts) and keeps consent with a check every ~5 s (RFC 7675 5.1,
 * randomised 4..6 s). Sans-I/O: the caller asks yh_ice_client_poll for the
 * next request to send and passes responses in. Checks are retransmitted
 * with an RTO of 100 ms doubling to 1.6 s (RFC 8445 14.3 lets a WebRTC
 * agent use a short RTO); connecting fails after YH_ICE_CLIENT_CONNECT_US
 * without a success, consent after YH_ICE_CONSENT_TIMEOUT_US.
 */

#define YH_ICE_CLIENT_CONNECT_US (10u * 1000000u)

typedef enum yh_ice_client_state {
    YH_ICE_CLIENT_CHECKING = 0,
    YH_ICE_CLIENT_CONNECTED = 1,
    YH_ICE_CLIENT_FAILED = 2,
} yh_ice_client_state_t;

typedef struct yh_ice_client {
    char local_ufrag[YH_ICE_UFRAG_MAX + 1];
    char local_pwd[YH_ICE_PWD_MAX + 1];
    char remote_ufrag[YH_ICE_UFRAG_MAX + 1];
    char remote_pwd[YH_ICE_PWD_MAX + 1];
    /* "remote_ufrag:local_ufrag" (RFC 8445 7.2.2). */
    char username[2 * YH_ICE_UFRAG_MAX + 2];
    struct sockaddr_storage remote; /* the checked candidate */
    uint64_t tiebreaker;
    uint32_t priority; /* PRIORITY of our checks: peer-reflexive, 7.1.1 */
    yh_ice_client_state_t state;
    /* The transaction in flight. */
    int pending;
    uint8_t txid[12];
    uint32_t rto_us;
    uint64_t next_us;      /* when to (re)send */
    uint64_t started_us;   /* of the current round of checks */
    uint64_t last_ok_us;   /* last authenticated success: consent */
    struct sockaddr_storage mapped; /* XOR-MAPPED-ADDRESS of the last success */
    uint64_t checks_sent, responses_ok;
} yh_ice_client_t;

/* `remote` is the peer's candidate (the server's host address). The
 * credentials are those of our SDP and of the peer's. */
int yh_ice_client_init(yh_ice_client_t *c, const char *local_ufrag, const char *local_pwd,
                       const char *remote_ufrag, const char *remote_pwd,
                       const struct sockaddr *remote, uint64_t now_us);

/* Writes the binding request due at `now_us` into `buf`: returns its
 * length, 0 when nothing is due, or YH_E*. Also moves the state to FAILED
 * when connecting or consent timed out (check yh_ice_client_state). */
int yh_ice_client_poll(yh_ice_client_t *c, uint64_t now_us, uint8_t *buf, size_t cap);

/* Microseconds until yh_ice_client_poll has something to do. */
uint64_t yh_ice_client_next_us(const yh_ice_client_t *c, uint64_t now_us);

enum {
    YH_ICE_CLIENT_EV_NONE = 0,
    YH_ICE_CLIENT_EV_CONNECTED = 1, /* the first success: media may flow */
};

/* A parsed binding success or error response from `from`. Responses to
 * another transaction, from another address, or without a valid
 * MESSAGE-INTEGRITY (keyed with the remote password, RFC 8445 7.2.5.2.1)
 * are ignored with YH_ENOTFOUND / YH_EINTEGRITY. A 487 (role conflict)
 * fails the agent: we are always controlling against a lite peer.
 * Returns YH_ICE_CLIENT_EV_* or YH_E*. */
int yh_ice_client_handle_response(yh_ice_client_t *c, const uint8_t *buf, size_t len,
                                  const yh_stun_msg_t *msg, const struct sockaddr *from,
                                  uint64_t now_us);

/* A binding request from a full peer (not from a lite one): checks USERNAME
 * "local:remote" and MESSAGE-INTEGRITY with our password and writes the
 * success response. Returns its length or YH_E*. */
int yh_ice_client_handle_request(yh_ice_client_t *c, const uint8_t *buf, size_t len,
                                 const yh_stun_msg_t *msg, const struct sockaddr *from,
                                 uint8_t *resp, size_t cap);

static inline yh_ice_client_state_t yh_ice_client_state(const yh_ice_client_t *c)
{
    return c->state;
}

#endif
