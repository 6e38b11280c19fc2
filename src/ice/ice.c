/*
 * ICE-lite agent (RFC 8445 2.5, 7.3; consent freshness RFC 7675). A lite
 * agent is always controlled and sends no checks of its own: it answers
 * authenticated binding requests, takes the first checked address so media
 * can flow at once, and follows USE-CANDIDATE nominations.
 *
 * Requests that fail authentication, or lack USERNAME or MESSAGE-INTEGRITY,
 * are dropped without a response (YH_EINTEGRITY) rather than answered with
 * 400/401 (RFC 8445 7.3 / RFC 5389 10.1.2): a lite server gains nothing from
 * telling an unauthenticated sender why, and silence gives no reflection.
 */
#include "ice/ice.h"

#include <string.h>

#include "base/err.h"
#include "base/str.h"
#include "net/addr.h"

int yh_ice_lite_init(yh_ice_lite_t *ice, const char *local_ufrag, const char *local_pwd,
                     const char *remote_ufrag, uint64_t now_us)
{
    int rc;

    if (ice == NULL || local_ufrag == NULL || local_pwd == NULL)
        return YH_EINVAL;
    if (remote_ufrag == NULL)
        remote_ufrag = "";
    /* The ufrags are joined by ':' in USERNAME (RFC 8445 7.2.2), and
     * ice-char (RFC 8839 5.4) has no ':'. */
    if (local_ufrag[0] == '\0' || local_pwd[0] == '\0' || strchr(local_ufrag, ':') != NULL ||
        strchr(remote_ufrag, ':') != NULL)
        return YH_EINVAL;
    memset(ice, 0, sizeof *ice);
    rc = yh_str_copy(ice->local_ufrag, YH_ICE_UFRAG_MAX, local_ufrag);
    if (rc == 0)
        rc = yh_str_copy(ice->local_pwd, YH_ICE_PWD_MAX, local_pwd);
    if (rc == 0)
        rc = yh_str_copy(ice->remote_ufrag, YH_ICE_UFRAG_MAX, remote_ufrag);
    if (rc < 0) {
        memset(ice, 0, sizeof *ice);
        return rc;
    }
    /* Consent starts at creation: a transport nobody checks expires. */
    ice->last_check_us = now_us;
    return 0;
}

int yh_ice_lite_restart(yh_ice_lite_t *ice, const char *local_ufrag, const char *local_pwd,
                        const char *remote_ufrag)
{
    yh_ice_lite_t next;
    if (ice == NULL)
        return YH_EINVAL;
    int rc = yh_ice_lite_init(&next, local_ufrag, local_pwd, remote_ufrag, ice->last_check_us);
    if (rc < 0)
        return rc;
    /* Only the credentials change: the path, its nomination, consent and
     * the replay history stay. */
    memcpy(ice->local_ufrag, next.local_ufrag, sizeof ice->local_ufrag);
    memcpy(ice->local_pwd, next.local_pwd, sizeof ice->local_pwd);
    memcpy(ice->remote_ufrag, next.remote_ufrag, sizeof ice->remote_ufrag);
    return 0;
}

/* Replay check: 1 when this transaction id was seen from another address
 * (a replay), else 0, remembering it when it is new. */
static int replayed(yh_ice_lite_t *ice, const yh_stun_msg_t *msg, const struct sockaddr *from)
{
    uint64_t h = yh_addr_hash(from);
    unsigned n = ice->seen_next < YH_ICE_SEEN_TXIDS ? ice->seen_next : YH_ICE_SEEN_TXIDS;
    for (unsigned i = 0; i < n; i++) {
        if (memcmp(ice->seen_txid[i], msg->txid, 12) != 0)
            continue;
        if (ice->seen_from[i] == h)
            return 0; /* a retransmission */
        ice->replays++;
        return 1;
    }
    /* A free-running count: it would take 2^32 checks to wrap. */
    unsigned slot = ice->seen_next++ % YH_ICE_SEEN_TXIDS;
    memcpy(ice->seen_txid[slot], msg->txid, 12);
    ice->seen_from[slot] = h;
    return 0;
}

/* USERNAME of a request to us is "our_ufrag:their_ufrag" (RFC 8445 7.2.2);
 * their part is checked only once we know it from the offer. */
static int username_ok(const yh_ice_lite_t *ice, const yh_stun_msg_t *msg)
{
    size_t l = strlen(ice->local_ufrag), r = strlen(ice->remote_ufrag);
    const uint8_t *u = msg->username;
    size_t n = msg->username_len;

    if (u == NULL || n < l + 1 || memcmp(u, ice->local_ufrag, l) != 0 || u[l] != ':')
        return 0;
    if (r == 0)
        return 1;
    return n == l + 1 + r && memcmp(u + l + 1, ice->remote_ufrag, r) == 0;
}

/* Error response protected with our password (RFC 5389 10.1.2: a response
 * to an authenticated request carries MESSAGE-INTEGRITY). For 420 the
 * UNKNOWN-ATTRIBUTES list is mandatory (RFC 5389 7.3.1). */
static int respond_error(const yh_ice_lite_t *ice, const yh_stun_msg_t *msg, uint16_t code,
                         const char *reason, uint8_t *resp, size_t cap)
{
    yh_stun_builder_t b;
    uint8_t list[2 * YH_STUN_MAX_UNKNOWN];
    size_t n = msg->unknown_count < YH_STUN_MAX_UNKNOWN ? msg->unknown_count : YH_STUN_MAX_UNKNOWN;

    yh_stun_build_begin(&b, resp, cap, YH_STUN_BINDING_ERROR, msg->txid);
    yh_stun_add_error(&b, code, reason);
    if (code == 420) {
        for (size_t i = 0; i < n; i++) {
            list[2 * i] = (uint8_t)(msg->unknown[i] >> 8);
            list[2 * i + 1] = (uint8_t)msg->unknown[i];
        }
        yh_stun_add_bytes(&b, YH_STUN_ATTR_UNKNOWN_ATTRIBUTES, list, 2 * n);
    }
    yh_stun_add_integrity(&b, ice->local_pwd, strlen(ice->local_pwd));
    yh_stun_add_fingerprint(&b);
    return yh_stun_build_finish(&b);
}

/*
 * The first authenticated check selects its source so media can start
 * before nomination; a nomination (USE-CANDIDATE, RFC 8445 7.3.1.5) moves
 * the selection to its source, which also follows a peer that changed
 * address (ICE restart, mobility). Returns 1 when `selected` changed.
 */
static int update_selected(yh_ice_lite_t *ice, const struct sockaddr *from, int use_candidate)
{
    int move = !ice->has_selected ||
               (use_candidate && !yh_addr_equal((const struct sockaddr *)&ice->selected, from));

    if (use_candidate)
        ice->nominated = 1;
    if (!move)
        return 0;
    memset(&ice->selected, 0, sizeof ice->selected);
    memcpy(&ice->selected, from, yh_addr_len(from));
    ice->has_selected = 1;
    return 1;
}

int yh_ice_lite_handle_request(yh_ice_lite_t *ice, const uint8_t *buf, size_t len,
                               const yh_stun_msg_t *msg, const struct sockaddr *from,
                               uint64_t now_us, uint8_t *resp, size_t resp_cap, int *result)
{
    int rc, n;

    if (result != NULL)
        *result = YH_ICE_RESULT_NONE;
    if (ice == NULL || buf == NULL || msg == NULL || from == NULL || resp == NULL)
        return YH_EINVAL;
    if (msg->type != YH_STUN_BINDING_REQUEST)
        return YH_EPARSE;
    if (from->sa_family != AF_INET && from->sa_family != AF_INET6)
        return YH_EINVAL;
    if (msg->username == NULL || msg->integrity_off == 0 || !username_ok(ice, msg))
        return YH_EINTEGRITY;
    rc = yh_stun_check_integrity(buf, len, msg, ice->local_pwd, strlen(ice->local_pwd));
    if (rc < 0)
        return rc == YH_ENOTFOUND ? YH_EINTEGRITY : rc;
    /* Only authenticated requests enter the history, so junk cannot push
     * real ones out of it. */
    if (replayed(ice, msg, from))
        return YH_EEXISTS;

    if (msg->has_unknown_required) {
        n = respond_error(ice, msg, 420, "Unknown Attribute", resp, resp_cap);
    } else if (msg->has_controlled && !msg->has_controlling) {
        /* A lite agent is always controlled (RFC 8445 6.1.1): a peer that
         * also claims the controlled role gets 487 and switches, as if our
         * tie-breaker were the largest (7.3.1.1). */
        n = respond_error(ice, msg, 487, "Role Conflict", resp, resp_cap);
    } else {
        n = yh_stun_build_binding_success(resp, resp_cap, msg->txid, from, ice->local_pwd);
        if (n > 0 && update_selected(ice, from, msg->use_candidate) && result != NULL)
            *result = YH_ICE_RESULT_SELECTED;
    }
    if (n < 0)
        return n;
    /* Consent freshness (RFC 7675): a lite agent sends no checks of its
     * own, so every authenticated request counts as the peer's consent. */
    ice->last_check_us = now_us;
    return n;
}

int yh_ice_lite_expired(const yh_ice_lite_t *ice, uint64_t now_us)
{
    if (ice == NULL)
        return 1;
    return now_us >= ice->last_check_us && now_us - ice->last_check_us >= YH_ICE_CONSENT_TIMEOUT_US;
}
