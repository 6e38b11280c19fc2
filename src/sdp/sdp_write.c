/*
 * Text output shared by the publisher answer and the subscriber offer: a
 * bounded buffer and the session and transport lines the server writes the
 * same way every time (JSEP RFC 8829 section 5.2.1 layout, in the order
 * Chrome uses so that the text looks like what browsers already accept).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"

void yh_sdp__buf_init(yh_sdp_buf_t *b, char *p, size_t cap)
{
    b->p = p;
    b->cap = cap;
    b->len = 0;
    b->overflow = !p || cap == 0;
    if (!b->overflow)
        p[0] = '\0';
}

void yh_sdp__line(yh_sdp_buf_t *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, room, fmt, ap);
    va_end(ap);
    /* +2 for the CRLF, and one byte must stay for the NUL. */
    if (n < 0 || (size_t)n + 2 >= room) {
        b->overflow = 1;
        b->p[b->len] = '\0';
        return;
    }
    b->len += (size_t)n;
    memcpy(b->p + b->len, "\r\n", 3);
    b->len += 2;
}

int yh_sdp__buf_finish(yh_sdp_buf_t *b)
{
    if (b->overflow)
        return YH_ENOSPACE;
    if (b->len > (size_t)INT32_MAX)
        return YH_ENOSPACE;
    return (int)b->len;
}

void yh_sdp__write_session(yh_sdp_buf_t *b, const yh_sdp_local_t *local, uint64_t version,
                           const char *const *mids, size_t n_mids)
{
    yh_sdp__line(b, "v=0");
    yh_sdp__line(b, "o=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1", local->session_id, version);
    yh_sdp__line(b, "s=-");
    yh_sdp__line(b, "t=0 0");
    /* RFC 8839 section 5.3: ice-lite is a session-level attribute. */
    yh_sdp__line(b, "a=ice-lite");
    if (n_mids > 0) {
        char group[YH_SDP_MAX_BUNDLE * (YH_SDP_MID_MAX + 1) + 1];
        size_t len = 0;
        for (size_t i = 0; i < n_mids && i < YH_SDP_MAX_BUNDLE; i++) {
            size_t n = strnlen(mids[i], YH_SDP_MID_MAX);
            group[len++] = ' ';
            memcpy(group + len, mids[i], n);
            len += n;
        }
        group[len] = '\0';
        yh_sdp__line(b, "a=group:BUNDLE%s", group);
    }
    yh_sdp__line(b, "a=msid-semantic: WMS");
}

static int usable_ip(const char *ip)
{
    return ip && ip[0] && strcmp(ip, "0.0.0.0") != 0 && strcmp(ip, "::") != 0;
}

/* The i-th written candidate address, NULL past the end. Announced
 * addresses come first: they are what a peer behind the Internet reaches. */
static const char *cand_ip(const yh_sdp_local_t *local, size_t i)
{
    size_t k = 0;
    for (size_t j = 0; j < local->n_announced_ips; j++)
        if (usable_ip(local->announced_ips[j]) && k++ == i)
            return local->announced_ips[j];
    for (size_t j = 0; j < local->n_ips; j++)
        if (usable_ip(local->ips[j]) && k++ == i)
            return local->ips[j];
    return NULL;
}

void yh_sdp__write_conn(yh_sdp_buf_t *b, const yh_sdp_local_t *local)
{
    const char *ip = cand_ip(local, 0);
    if (!ip)
        ip = "0.0.0.0";
    yh_sdp__line(b, "c=IN %s %s", strchr(ip, ':') ? "IP6" : "IP4", ip);
}

void yh_sdp__write_transport(yh_sdp_buf_t *b, const yh_sdp_local_t *local, yh_sdp_setup_t setup)
{
    yh_sdp__line(b, "a=ice-ufrag:%s", local->ice_ufrag);
    yh_sdp__line(b, "a=ice-pwd:%s", local->ice_pwd);
    yh_sdp__line(b, "a=fingerprint:sha-256 %s", local->fingerprint);
    yh_sdp__line(b, "a=setup:%s", yh_sdp_setup_str(setup));
}

/* RFC 8445 section 5.1.2.1: priority = 2^24 * type pref (126 for host) +
 * 2^8 * local pref + (256 - component id); local preference falls with
 * each address so the first one is preferred. */
void yh_sdp__write_candidates(yh_sdp_buf_t *b, const yh_sdp_local_t *local)
{
    const char *ip;
    for (size_t i = 0; i < 256 && (ip = cand_ip(local, i)) != NULL; i++) {
        uint32_t prio = (126u << 24) | ((uint32_t)(65535 - i) << 8) | 255u;
        yh_sdp__line(b, "a=candidate:%zu 1 udp %" PRIu32 " %s %u typ host", i + 1, prio, ip,
                     (unsigned)local->port);
    }
    yh_sdp__line(b, "a=end-of-candidates");
}

/* Local values end up verbatim in the text: anything that could break a
 * line (or the grammar of the attribute) is refused. */
static int token_ok(const char *s, size_t max)
{
    if (!s || !s[0] || strlen(s) > max)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

int yh_sdp__check_local(const yh_sdp_local_t *local, char *err, size_t err_cap)
{
    if (!local)
        return yh_sdp__fail(err, err_cap, YH_EINVAL, "no local parameters");
    if (!token_ok(local->ice_ufrag, YH_SDP_UFRAG_MAX) || !token_ok(local->ice_pwd, YH_SDP_PWD_MAX))
        return yh_sdp__fail(err, err_cap, YH_EINVAL, "bad local ICE ufrag or pwd");
    if (!token_ok(local->fingerprint, YH_SDP_FP_MAX))
        return yh_sdp__fail(err, err_cap, YH_EINVAL, "bad local fingerprint");
    for (size_t i = 0; i < local->n_ips; i++)
        if (!token_ok(local->ips[i], YH_SDP_IP_MAX))
            return yh_sdp__fail(err, err_cap, YH_EINVAL, "bad local address");
    for (size_t i = 0; i < local->n_announced_ips; i++)
        if (!token_ok(local->announced_ips[i], YH_SDP_IP_MAX))
            return yh_sdp__fail(err, err_cap, YH_EINVAL, "bad announced address");
    if (!cand_ip(local, 0) || local->port == 0)
        return yh_sdp__fail(err, err_cap, YH_EINVAL, "no usable local address or port");
    return 0;
}
