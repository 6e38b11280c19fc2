#include "transport/transport.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"

static void on_dtls_send(void *ctx, const uint8_t *data, size_t len)
{
    yh_transport_t *t = ctx;
    if (t->ice.has_selected)
        t->l.send(t->l.ctx, t, data, len);
}

static void on_dtls_connected(void *ctx, const yh_srtp_keys_t *keys)
{
    yh_transport_t *t = ctx;
    int rc = yh_srtp_create(keys, &t->srtp);
    if (rc < 0) {
        t->state = YH_TRANSPORT_FAILED;
        t->l.failed(t->l.ctx, t, "SRTP session setup failed");
        return;
    }
    YH_LOGI("transport", "%s DTLS-SRTP connected (%s)", t->ice.local_ufrag,
            yh_srtp_profile_name(keys->profile));
    t->state = YH_TRANSPORT_CONNECTED;
    t->l.connected(t->l.ctx, t);
}

static void on_dtls_failed(void *ctx, const char *reason)
{
    yh_transport_t *t = ctx;
    if (t->state == YH_TRANSPORT_FAILED)
        return;
    t->state = YH_TRANSPORT_FAILED;
    t->l.failed(t->l.ctx, t, reason);
}

static void on_dtls_closed(void *ctx)
{
    on_dtls_failed(ctx, "peer closed DTLS");
}

int yh_transport_create(const yh_transport_config_t *cfg, const yh_transport_listener_t *l,
                        uint64_t now_us, yh_transport_t **out)
{
    yh_transport_t *t = calloc(1, sizeof *t);
    if (!t)
        return YH_ENOMEM;
    t->l = *l;
    int rc = yh_ice_lite_init(&t->ice, cfg->local_ufrag, cfg->local_pwd, cfg->remote_ufrag,
                              now_us);
    if (rc < 0)
        goto fail;
    yh_dtls_listener_t dl = {
        .ctx = t,
        .send = on_dtls_send,
        .connected = on_dtls_connected,
        .failed = on_dtls_failed,
        .closed = on_dtls_closed,
    };
    rc = yh_dtls_create(cfg->cert, cfg->role, cfg->fp_alg, cfg->fp, &dl, &t->dtls);
    if (rc < 0)
        goto fail;
    *out = t;
    return 0;
fail:
    free(t);
    return rc;
}

void yh_transport_destroy(yh_transport_t *t)
{
    if (!t)
        return;
    /* A settled transport has no DTLS left to say close_notify with; the
     * client learns of the end through signaling or consent. */
    if (t->dtls && t->state == YH_TRANSPORT_CONNECTED)
        yh_dtls_shutdown(t->dtls);
    yh_dtls_destroy(t->dtls);
    yh_srtp_destroy(t->srtp);
    free(t);
}

int yh_transport_handle_stun(yh_transport_t *t, const uint8_t *buf, size_t len,
                             const yh_stun_msg_t *msg, const struct sockaddr *from,
                             uint64_t now_us, uint8_t *resp, size_t cap, int *moved)
{
    int result = YH_ICE_RESULT_NONE;
    int n = yh_ice_lite_handle_request(&t->ice, buf, len, msg, from, now_us, resp, cap, &result);
    *moved = result == YH_ICE_RESULT_SELECTED;
    /* As DTLS client the handshake starts once ICE has a path (RFC 8842). */
    if (n > 0 && t->ice.has_selected && !t->dtls_started) {
        t->dtls_started = 1;
        if (yh_dtls_start(t->dtls) < 0)
            on_dtls_failed(t, "DTLS start failed");
    }
    return n;
}

int yh_transport_ice_restart(yh_transport_t *t, const char *local_ufrag, const char *local_pwd,
                             const char *remote_ufrag)
{
    return yh_ice_lite_restart(&t->ice, local_ufrag, local_pwd, remote_ufrag);
}

int yh_transport_handle_dtls(yh_transport_t *t, const uint8_t *buf, size_t len)
{
    if (t->state == YH_TRANSPORT_FAILED)
        return YH_ESTATE;
    if (!t->dtls)
        return 0; /* settled: late handshake or alert records are moot */
    return yh_dtls_handle(t->dtls, buf, len);
}

void yh_transport_tick(yh_transport_t *t, uint64_t now_us)
{
    (void)now_us;
    if (t->state != YH_TRANSPORT_NEW || !t->dtls)
        return;
    int64_t ms = yh_dtls_timeout_ms(t->dtls);
    if (ms == 0)
        yh_dtls_on_timeout(t->dtls);
}

int yh_transport_expired(const yh_transport_t *t, uint64_t now_us)
{
    return yh_ice_lite_expired(&t->ice, now_us);
}

void yh_transport_settle(yh_transport_t *t)
{
    if (t->state != YH_TRANSPORT_CONNECTED || !t->dtls)
        return;
    yh_dtls_destroy(t->dtls);
    t->dtls = NULL;
}
