/*
 * Controlling ICE agent of a client facing an ICE-lite server (RFC 8445
 * 6.1.1, consent freshness RFC 7675). One candidate pair: our socket and
 * the server's host candidate. The agent nominates on its first check and
 * keeps the pair alive afterwards; it never learns more candidates, which
 * is all a lite server offers (RFC 8445 2.5).
 */
#include <string.h>

#include "base/err.h"
#include "base/str.h"
#include "base/rand.h"
#include "ice/ice.h"
#include "net/addr.h"

#define RTO_FIRST_US 100000u
#define RTO_MAX_US 1600000u
#define CONSENT_MIN_US 4000000u /* RFC 7675 5.1: 5 s, randomised 0.8..1.2 */
#define CONSENT_SPAN_US 2000000u

/* Peer-reflexive type preference (RFC 8445 5.1.2.2: 110), the highest
 * local preference, component 1: what 7.1.1 says PRIORITY carries. */
#define PRFLX_PRIORITY ((110u << 24) | (65535u << 8) | 255u)

int yh_ice_client_init(yh_ice_client_t *c, const char *local_ufrag, const char *local_pwd,
                       const char *remote_ufrag, const char *remote_pwd,
                       const struct sockaddr *remote, uint64_t now_us)
{
    int rc;

    if (!c || !local_ufrag || !local_pwd || !remote_ufrag || !remote_pwd || !remote)
        return YH_EINVAL;
    if (remote->sa_family != AF_INET && remote->sa_family != AF_INET6)
        return YH_EINVAL;
    /* ice-char has no ':' (RFC 8839 5.4); it separates the ufrags. */
    if (!local_ufrag[0] || !remote_ufrag[0] || !local_pwd[0] || !remote_pwd[0] ||
        strchr(local_ufrag, ':') || strchr(remote_ufrag, ':'))
        return YH_EINVAL;
    memset(c, 0, sizeof *c);
    rc = yh_str_copy(c->local_ufrag, YH_ICE_UFRAG_MAX, local_ufrag);
    if (rc == 0)
        rc = yh_str_copy(c->local_pwd, YH_ICE_PWD_MAX, local_pwd);
    if (rc == 0)
        rc = yh_str_copy(c->remote_ufrag, YH_ICE_UFRAG_MAX, remote_ufrag);
    if (rc == 0)
        rc = yh_str_copy(c->remote_pwd, YH_ICE_PWD_MAX, remote_pwd);
    if (rc < 0) {
        memset(c, 0, sizeof *c);
        return rc;
    }
    memcpy(c->username, remote_ufrag, strlen(remote_ufrag));
    c->username[strlen(remote_ufrag)] = ':';
    memcpy(c->username + strlen(remote_ufrag) + 1, local_ufrag, strlen(local_ufrag) + 1);
    memcpy(&c->remote, remote, yh_addr_len(remote));
    if (yh_rand_bytes(&c->tiebreaker, sizeof c->tiebreaker) < 0)
        return YH_EIO;
    c->priority = PRFLX_PRIORITY;
    c->state = YH_ICE_CLIENT_CHECKING;
    c->started_us = now_us;
    c->next_us = now_us;
    return 0;
}

/* Connecting gives up after YH_ICE_CLIENT_CONNECT_US; a connected pair
 * loses consent YH_ICE_CONSENT_TIMEOUT_US after its last success
 * (RFC 7675 5.1). */
static void check_timeouts(yh_ice_client_t *c, uint64_t now_us)
{
    if (c->state == YH_ICE_CLIENT_CHECKING && now_us - c->started_us >= YH_ICE_CLIENT_CONNECT_US)
        c->state = YH_ICE_CLIENT_FAILED;
    else if (c->state == YH_ICE_CLIENT_CONNECTED &&
             now_us - c->last_ok_us >= YH_ICE_CONSENT_TIMEOUT_US)
        c->state = YH_ICE_CLIENT_FAILED;
}

int yh_ice_client_poll(yh_ice_client_t *c, uint64_t now_us, uint8_t *buf, size_t cap)
{
    if (!c || !buf)
        return YH_EINVAL;
    check_timeouts(c, now_us);
    if (c->state == YH_ICE_CLIENT_FAILED || now_us < c->next_us)
        return 0;
    if (!c->pending) {
        /* A new transaction; retransmissions reuse its id (RFC 5389 7.2.1). */
        if (yh_rand_bytes(c->txid, sizeof c->txid) < 0)
            return YH_EIO;
        c->pending = 1;
        c->rto_us = RTO_FIRST_US;
    }
    /* Nominate on every check until the pair works: the lite peer then
     * selects it on the first one that arrives (RFC 8445 7.3.1.5). */
    int n =
        yh_stun_build_binding_request(buf, cap, c->txid, c->username, c->remote_pwd, c->priority, 1,
                                      c->tiebreaker, c->state == YH_ICE_CLIENT_CHECKING);
    if (n < 0)
        return n;
    c->next_us = now_us + c->rto_us;
    c->rto_us = c->rto_us * 2 > RTO_MAX_US ? RTO_MAX_US : c->rto_us * 2;
    c->checks_sent++;
    return n;
}

uint64_t yh_ice_client_next_us(const yh_ice_client_t *c, uint64_t now_us)
{
    if (!c || c->state == YH_ICE_CLIENT_FAILED)
        return UINT64_MAX;
    return c->next_us > now_us ? c->next_us - now_us : 0;
}

static int response_ok(const yh_ice_client_t *c, const uint8_t *buf, size_t len,
                       const yh_stun_msg_t *msg, const struct sockaddr *from)
{
    if (msg->type != YH_STUN_BINDING_SUCCESS && msg->type != YH_STUN_BINDING_ERROR)
        return YH_EPARSE;
    if (!c->pending || memcmp(msg->txid, c->txid, sizeof c->txid) != 0)
        return YH_ENOTFOUND;
    /* RFC 8445 7.2.5.2.1: the response must come from where the request
     * went (symmetric transport addresses). */
    if (!yh_addr_equal(from, (const struct sockaddr *)&c->remote))
        return YH_ENOTFOUND;
    if (msg->integrity_off == 0)
        return YH_EINTEGRITY;
    int rc = yh_stun_check_integrity(buf, len, msg, c->remote_pwd, strlen(c->remote_pwd));
    return rc == YH_ENOTFOUND ? YH_EINTEGRITY : rc;
}

int yh_ice_client_handle_response(yh_ice_client_t *c, const uint8_t *buf, size_t len,
                                  const yh_stun_msg_t *msg, const struct sockaddr *from,
                                  uint64_t now_us)
{
    if (!c || !buf || !msg || !from)
        return YH_EINVAL;
    if (c->state == YH_ICE_CLIENT_FAILED)
        return YH_ESTATE;
    int rc = response_ok(c, buf, len, msg, from);
    if (rc < 0)
        return rc;
    c->pending = 0;
    if (msg->type == YH_STUN_BINDING_ERROR) {
        /* 487: the peer is controlling too, which a lite server never is
         * (RFC 8445 7.2.5.1); switching roles would not help. Other errors
         * end this transaction; the next check goes out after one RTO. */
        if (msg->has_error && msg->error_code == 487) {
            c->state = YH_ICE_CLIENT_FAILED;
            return YH_ESTATE;
        }
        c->next_us = now_us + RTO_FIRST_US;
        return YH_ICE_CLIENT_EV_NONE;
    }
    if (msg->has_xor_mapped)
        c->mapped = msg->xor_mapped;
    c->responses_ok++;
    c->last_ok_us = now_us;
    c->next_us = now_us + CONSENT_MIN_US + yh_rand_u32() % CONSENT_SPAN_US;
    if (c->state == YH_ICE_CLIENT_CHECKING) {
        c->state = YH_ICE_CLIENT_CONNECTED;
        return YH_ICE_CLIENT_EV_CONNECTED;
    }
    return YH_ICE_CLIENT_EV_NONE;
}

/* USERNAME of a request to us is "our_ufrag:their_ufrag" (RFC 8445 7.2.2). */
static int username_ok(const yh_ice_client_t *c, const yh_stun_msg_t *msg)
{
    size_t l = strlen(c->local_ufrag), r = strlen(c->remote_ufrag);

    return msg->username && msg->username_len == l + 1 + r &&
           memcmp(msg->username, c->local_ufrag, l) == 0 && msg->username[l] == ':' &&
           memcmp(msg->username + l + 1, c->remote_ufrag, r) == 0;
}

int yh_ice_client_handle_request(yh_ice_client_t *c, const uint8_t *buf, size_t len,
                                 const yh_stun_msg_t *msg, const struct sockaddr *from,
                                 uint8_t *resp, size_t cap)
{
    if (!c || !buf || !msg || !from || !resp)
        return YH_EINVAL;
    if (msg->type != YH_STUN_BINDING_REQUEST)
        return YH_EPARSE;
    if (msg->integrity_off == 0 || !username_ok(c, msg))
        return YH_EINTEGRITY;
    int rc = yh_stun_check_integrity(buf, len, msg, c->local_pwd, strlen(c->local_pwd));
    if (rc < 0)
        return rc == YH_ENOTFOUND ? YH_EINTEGRITY : rc;
    return yh_stun_build_binding_success(resp, cap, msg->txid, from, c->local_pwd);
}
