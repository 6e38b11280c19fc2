/*
 * yunhui-term's peer connection against the server's own transport
 * (src/transport: ICE-lite, DTLS server, SRTP) over real loopback UDP on a
 * libuv loop, with the SDP exchanged through the server's negotiation:
 * - publish: the peer's offer, the server's answer; ICE connects, DTLS
 *   runs with us as client, our RTP arrives decrypted with the negotiated
 *   PT, SSRC and extensions; the server's PLI becomes a keyframe request;
 * - subscribe: the server's offer, our answer (checked by the server);
 *   the server's RTP reaches the right receive stream, its SR maps RTP
 *   time to our clock, and our PLI reaches the server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "base/clock.h"
#include "base/err.h"
#include "net/addr.h"
#include "peer.h"
#include "rtcp/rtcp.h"
#include "srtp/srtp.h"
#include "transport/transport.h"

#define SRV_UFRAG "srvU"
#define SRV_PWD "serverpassword0123456789"
#define SDP_CAP 65536

typedef struct world {
    uv_loop_t loop;
    uv_timer_t tick, guard;
    uv_poll_t spoll;
    yh_udp_t *sudp;
    yh_dtls_cert_t *ccert, *scert;
    yh_transport_t *t;
    yt_peer_t *peer;
    int peer_connected, server_connected, keyframes, peer_rtp, timed_out;
    int server_rtp, server_pli;
    uint8_t last_pt;
    uint32_t last_ssrc;
    char last_mid[33];
    yt_rx_stream_t *last_rx;
    int (*until)(struct world *w);
    char sdp[SDP_CAP], answer[SDP_CAP];
} world_t;

/* ---- the server side: one transport on its own socket ---- */

static void server_rtp(world_t *w, uint8_t *buf, size_t len)
{
    if (buf[1] >= 192 && buf[1] <= 223) {
        if (yh_srtp_unprotect_rtcp(w->t->srtp, buf, &len) != 0)
            return;
        yh_rtcp_iter_t it;
        yh_rtcp_pkt_t p;
        yh_rtcp_iter_init(&it, buf, len);
        while (yh_rtcp_next(&it, &p) == 1)
            w->server_pli += p.pt == YH_RTCP_PSFB && p.count == 1;
        return;
    }
    yh_rtp_hdr_t h;
    const uint8_t *d;
    size_t dl;
    assert_int_equal(yh_srtp_unprotect_rtp(w->t->srtp, buf, &len), 0);
    assert_int_equal(yh_rtp_parse(buf, len, &h), 0);
    w->server_rtp++;
    w->last_pt = h.pt;
    w->last_ssrc = h.ssrc;
    if (yh_rtp_ext_find(buf, &h, YH_SDP_CLIENT_EXT_MID, &d, &dl) == 0)
        yh_rtp_ext_string(d, dl, w->last_mid, sizeof w->last_mid);
}

static void server_readable(uv_poll_t *h, int status, int events)
{
    world_t *w = h->data;
    int n = yh_udp_recv(w->sudp);
    for (int i = 0; i < n; i++) {
        uint8_t *buf = w->sudp->rbuf[i];
        size_t len = w->sudp->rmsg[i].msg_len;
        const struct sockaddr *from = (const struct sockaddr *)&w->sudp->raddr[i];
        yh_stun_msg_t msg;
        uint8_t resp[512];
        int moved;
        if (buf[0] < 4 && yh_stun_parse(buf, len, &msg) > 0) {
            int r = yh_transport_handle_stun(w->t, buf, len, &msg, from, yh_now_us(), resp,
                                             sizeof resp, &moved);
            if (r > 0)
                yh_udp_send(w->sudp, resp, (size_t)r, from);
        } else if (buf[0] >= 20 && buf[0] < 64) {
            yh_transport_handle_dtls(w->t, buf, len);
        } else if (buf[0] >= 128 && buf[0] < 192 && w->t->srtp) {
            server_rtp(w, buf, len);
        }
    }
    yh_udp_flush(w->sudp);
}

static void t_send(void *ctx, yh_transport_t *t, const uint8_t *data, size_t len)
{
    world_t *w = ctx;
    yh_udp_send(w->sudp, data, len, yh_transport_addr(t));
}

static void t_connected(void *ctx, yh_transport_t *t)
{
    ((world_t *)ctx)->server_connected = 1;
}

static void t_failed(void *ctx, yh_transport_t *t, const char *reason)
{
    fail_msg("server transport failed: %s", reason);
}

/* Server RTP or RTCP toward the peer. */
static void server_send(world_t *w, const uint8_t *pkt, size_t len, int rtcp)
{
    uint8_t buf[1500];
    memcpy(buf, pkt, len);
    int rc = rtcp ? yh_srtp_protect_rtcp(w->t->srtp, buf, &len, sizeof buf)
                  : yh_srtp_protect_rtp(w->t->srtp, buf, &len, sizeof buf);
    assert_int_equal(rc, 0);
    yh_udp_send(w->sudp, buf, len, yh_transport_addr(w->t));
    yh_udp_flush(w->sudp);
}

/* ---- the peer's listener ---- */

static void p_state(void *ctx, yt_peer_t *p, yt_peer_state_t st, const char *why)
{
    if (st == YT_PEER_FAILED)
        fail_msg("peer failed: %s", why);
    ((world_t *)ctx)->peer_connected = st == YT_PEER_CONNECTED;
}

static void p_rtp(void *ctx, yt_peer_t *p, yt_rx_stream_t *rx, const uint8_t *pkt, size_t len,
                  const yh_rtp_hdr_t *h, uint64_t now_us)
{
    world_t *w = ctx;
    w->peer_rtp++;
    w->last_rx = rx;
}

static void p_keyframe(void *ctx, yt_peer_t *p)
{
    ((world_t *)ctx)->keyframes++;
}

/* ---- the loop ---- */

static void on_tick(uv_timer_t *t)
{
    world_t *w = t->data;
    yt_peer_tick(w->peer, yh_now_us());
    if (w->t)
        yh_transport_tick(w->t, yh_now_us());
    yh_udp_flush(w->sudp);
    if (w->until(w))
        uv_stop(&w->loop);
}

static void on_guard(uv_timer_t *t)
{
    world_t *w = t->data;
    w->timed_out = 1;
    uv_stop(&w->loop);
}

static void run_until(world_t *w, int (*until)(world_t *w))
{
    w->until = until;
    w->timed_out = 0;
    uv_timer_start(&w->guard, on_guard, 5000, 0);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&w->guard);
    assert_false(w->timed_out);
}

static int both_connected(world_t *w)
{
    return w->peer_connected && w->server_connected;
}

static int got_server_rtp(world_t *w)
{
    return w->server_rtp > 0;
}

static int got_keyframe(world_t *w)
{
    return w->keyframes > 0;
}

static int got_peer_rtp(world_t *w)
{
    return w->peer_rtp > 0;
}

static int got_server_pli(world_t *w)
{
    return w->server_pli > 0;
}

static world_t *world_new(void)
{
    world_t *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    assert_int_equal(yh_srtp_global_init(), 0);
    assert_int_equal(yh_dtls_cert_generate(&w->ccert), 0);
    assert_int_equal(yh_dtls_cert_generate(&w->scert), 0);
    w->sudp = calloc(1, sizeof *w->sudp);
    assert_int_equal(yh_udp_open(w->sudp, "127.0.0.1", 0), 0);
    uv_poll_init_socket(&w->loop, &w->spoll, w->sudp->fd);
    w->spoll.data = w;
    uv_poll_start(&w->spoll, UV_READABLE, server_readable);
    uv_timer_init(&w->loop, &w->tick);
    uv_timer_init(&w->loop, &w->guard);
    w->tick.data = w->guard.data = w;
    uv_timer_start(&w->tick, on_tick, 10, 10);
    yt_peer_config_t pc = {
        .loop = &w->loop, .cert = w->ccert, .bind_ip = "127.0.0.1", .cname = "test"};
    yt_peer_listener_t pl = {.ctx = w, .state = p_state, .rtp = p_rtp, .keyframe = p_keyframe};
    assert_int_equal(yt_peer_create(&pc, &pl, &w->peer), 0);
    return w;
}

static void close_cb(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void world_free(world_t *w)
{
    yt_peer_destroy(w->peer);
    yh_transport_destroy(w->t);
    uv_walk(&w->loop, close_cb, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&w->loop), 0);
    yh_udp_close(w->sudp);
    free(w->sudp);
    yh_dtls_cert_destroy(w->ccert);
    yh_dtls_cert_destroy(w->scert);
    free(w);
}

static yh_sdp_local_t server_local(world_t *w, const char *const *ips)
{
    yh_sdp_local_t l = {.ice_ufrag = SRV_UFRAG,
                        .ice_pwd = SRV_PWD,
                        .fingerprint = yh_dtls_cert_fingerprint(w->scert),
                        .ips = ips,
                        .n_ips = 1,
                        .port = w->sudp->port,
                        .session_id = 5};
    return l;
}

static void server_transport(world_t *w, const char *remote_ufrag, const char *fp)
{
    yh_transport_config_t tc = {.local_ufrag = SRV_UFRAG,
                                .local_pwd = SRV_PWD,
                                .remote_ufrag = remote_ufrag,
                                .cert = w->scert,
                                .role = YH_DTLS_SERVER,
                                .fp_alg = "sha-256",
                                .fp = fp};
    yh_transport_listener_t tl = {
        .ctx = w, .send = t_send, .connected = t_connected, .failed = t_failed};
    assert_int_equal(yh_transport_create(&tc, &tl, yh_now_us(), &w->t), 0);
}

static void test_publish(void **state)
{
    world_t *w = world_new();
    static const char *const ips[] = {"127.0.0.1"};
    yh_sdp_local_t l = server_local(w, ips);
    static yh_sdp_t offer;
    static yh_sdp_pub_t pub;
    char err[256];
    int n = yt_peer_write_offer(w->peer, 1, 1, w->sdp, SDP_CAP);
    assert_true(n > 0);
    assert_int_equal(yh_sdp_parse(w->sdp, (size_t)n, &offer, err, sizeof err), 0);
    assert_true(yh_sdp_pub_answer(&offer, &l, 1, &pub, w->answer, SDP_CAP, err, sizeof err) > 0);
    server_transport(w, pub.remote_ufrag, pub.remote_fingerprint.value);
    assert_int_equal(yt_peer_apply_answer(w->peer, w->answer, err, sizeof err), 0);
    run_until(w, both_connected);
    assert_int_equal(yt_peer_state(w->peer), YT_PEER_CONNECTED);

    /* Our video: PT 96, our SSRC, the mid extension. */
    const yt_tx_stream_t *vt = yt_peer_tx(w->peer, YT_KIND_VIDEO);
    const uint8_t payload[] = {0x90, 0x80, 0x01, 0x10, 0x02, 0x03};
    assert_int_equal(
        yt_peer_send_rtp(w->peer, YT_KIND_VIDEO, payload, sizeof payload, 1, 9000, yh_now_us()), 0);
    yt_peer_flush(w->peer);
    run_until(w, got_server_rtp);
    assert_int_equal(w->last_pt, 96);
    assert_int_equal(w->last_ssrc, vt->ssrc);
    assert_string_equal(w->last_mid, "1");
    assert_int_equal(vt->packets, 1);

    /* The server asks for a keyframe. */
    uint8_t pli[16];
    int m = yh_rtcp_build_pli(pli, sizeof pli, 1, vt->ssrc);
    server_send(w, pli, (size_t)m, 1);
    run_until(w, got_keyframe);
    world_free(w);
}

static void test_subscribe(void **state)
{
    world_t *w = world_new();
    static const char *const ips[] = {"127.0.0.1"};
    yh_sdp_local_t l = server_local(w, ips);
    static yh_sdp_t answer;
    static yh_sdp_sub_answer_t checked;
    char err[256];
    yh_sdp_sub_slot_t slots[2];
    memset(slots, 0, sizeof slots);
    slots[0].kind = YH_SDP_KIND_AUDIO;
    strcpy(slots[0].mid, "0");
    slots[0].codec = YH_SDP_CODEC_OPUS;
    slots[1].kind = YH_SDP_KIND_VIDEO;
    strcpy(slots[1].mid, "1");
    slots[1].codec = YH_SDP_CODEC_VP8;
    for (int i = 0; i < 2; i++) {
        slots[i].active = 1;
        slots[i].ssrc = 5000u + (uint32_t)i;
        strcpy(slots[i].cname, "p9");
        strcpy(slots[i].msid_stream, "p9");
        strcpy(slots[i].msid_track, i ? "t2" : "t1");
    }
    assert_true(yh_sdp_sub_write_offer(&l, 1, slots, 2, w->sdp, SDP_CAP) > 0);
    yt_sub_track_t tracks[2] = {{"0", "t1"}, {"1", "t2"}};
    int n = yt_peer_apply_offer(w->peer, w->sdp, tracks, 2, w->answer, SDP_CAP, err, sizeof err);
    assert_true(n > 0);
    assert_int_equal(yh_sdp_parse(w->answer, (size_t)n, &answer, err, sizeof err), 0);
    assert_int_equal(yh_sdp_sub_check_answer(&answer, slots, 2, &checked, err, sizeof err), 0);
    assert_int_equal(checked.local_setup, YH_SDP_SETUP_PASSIVE);
    server_transport(w, checked.remote_ufrag, checked.remote_fingerprint.value);
    run_until(w, both_connected);
    assert_int_equal(yt_peer_rx_count(w->peer), 2);
    assert_string_equal(yt_peer_rx(w->peer, 1)->track, "t2");

    /* A sender report, then a video packet of the second slot. */
    uint64_t now = yh_now_us();
    yh_rtcp_sr_t sr;
    memset(&sr, 0, sizeof sr);
    sr.ssrc = 5001;
    sr.ntp = yh_ntp_from_us(now);
    sr.rtp_ts = 90000;
    uint8_t pkt[256];
    int m = yh_rtcp_build_sr(pkt, sizeof pkt, &sr);
    server_send(w, pkt, (size_t)m, 1);
    m = yh_rtp_write_header(pkt, sizeof pkt, 1, 96, 7, 90000 + 900, 5001, NULL, 0);
    memset(pkt + m, 0, 10);
    server_send(w, pkt, (size_t)m + 10, 0);
    run_until(w, got_peer_rtp);
    yt_rx_stream_t *rx = w->last_rx;
    assert_non_null(rx);
    assert_string_equal(rx->mid, "1");
    assert_int_equal(rx->kind, YT_KIND_VIDEO);
    assert_true(rx->has_sr);
    /* RTP time 90000 + 900 is 10 ms after the SR's instant, 90000 - 900
     * 10 ms before. */
    uint64_t cap = yt_peer_capture_us(rx, 90000 + 900, yh_now_us());
    assert_true(cap > now + 9000 && cap < now + 11000);
    cap = yt_peer_capture_us(rx, 90000 - 900, yh_now_us());
    assert_true(cap > now - 11000 && cap < now - 9000);

    yt_peer_request_keyframe(w->peer, rx, yh_now_us());
    yt_peer_flush(w->peer);
    run_until(w, got_server_pli);
    world_free(w);
}

static uint64_t restart_us;

/* The server's path is the peer's current socket. */
static int server_follows(world_t *w)
{
    const struct sockaddr_in *a = (const void *)yh_transport_addr(w->t);
    return a && ntohs(a->sin_port) == yt_peer_port(w->peer) && w->server_rtp > 0;
}

/* A check with the new credentials was accepted since the restart. */
static int restarted(world_t *w)
{
    return w->t->ice.last_check_us > restart_us && server_follows(w);
}

/* A published connection moves to a new local port (mobility), first
 * with the same credentials, then with an ICE restart: the server's path
 * follows, DTLS and SRTP go on. */
static void test_rebind_and_restart(void **state)
{
    world_t *w = world_new();
    static const char *const ips[] = {"127.0.0.1"};
    yh_sdp_local_t l = server_local(w, ips);
    static yh_sdp_t offer;
    static yh_sdp_pub_t pub;
    char err[256];
    const uint8_t payload[] = {0x90, 0x80, 0x01, 0x10, 0x02, 0x03};
    int n = yt_peer_write_offer(w->peer, 1, 1, w->sdp, SDP_CAP);
    assert_int_equal(yh_sdp_parse(w->sdp, (size_t)n, &offer, err, sizeof err), 0);
    assert_true(yh_sdp_pub_answer(&offer, &l, 1, &pub, w->answer, SDP_CAP, err, sizeof err) > 0);
    server_transport(w, pub.remote_ufrag, pub.remote_fingerprint.value);
    assert_int_equal(yt_peer_apply_answer(w->peer, w->answer, err, sizeof err), 0);
    run_until(w, both_connected);

    /* New port, same credentials: the peer nominates again from it. */
    uint16_t old_port = yt_peer_port(w->peer);
    assert_int_equal(yt_peer_rebind(w->peer), 0);
    assert_int_not_equal(yt_peer_port(w->peer), old_port);
    w->server_rtp = 0;
    yt_peer_send_rtp(w->peer, YT_KIND_VIDEO, payload, sizeof payload, 1, 9000, yh_now_us());
    yt_peer_flush(w->peer);
    run_until(w, server_follows);
    /* Packets sent before the server moved may be lost; later ones come
     * through the same SRTP session. */
    w->server_rtp = 0;
    yt_peer_send_rtp(w->peer, YT_KIND_VIDEO, payload, sizeof payload, 1, 12000, yh_now_us());
    yt_peer_flush(w->peer);
    run_until(w, got_server_rtp);

    /* An answer with other server credentials that we did not ask for is
     * a new connection, not ours. */
    char bogus[SDP_CAP];
    snprintf(bogus, sizeof bogus, "%s", w->answer);
    char *u = strstr(bogus, "a=ice-ufrag:" SRV_UFRAG);
    assert_non_null(u);
    memcpy(u + 12, "srvX", 4);
    assert_int_equal(yt_peer_apply_answer(w->peer, bogus, err, sizeof err), YH_EUNSUPPORTED);

    /* ICE restart with a new port: new credentials on both sides. */
    assert_int_equal(yt_peer_rebind(w->peer), 0);
    assert_int_equal(yt_peer_restart_ice(w->peer), 0);
    n = yt_peer_write_offer(w->peer, 1, 1, w->sdp, SDP_CAP);
    assert_int_equal(yh_sdp_parse(w->sdp, (size_t)n, &offer, err, sizeof err), 0);
    char old_ufrag[YH_SDP_UFRAG_MAX + 1];
    snprintf(old_ufrag, sizeof old_ufrag, "%s", pub.remote_ufrag);
    l.ice_ufrag = "srv2";
    l.ice_pwd = "newserverpassword0123456";
    assert_true(yh_sdp_pub_answer(&offer, &l, 2, &pub, w->answer, SDP_CAP, err, sizeof err) > 0);
    assert_string_not_equal(pub.remote_ufrag, old_ufrag);
    assert_int_equal(yh_transport_ice_restart(w->t, l.ice_ufrag, l.ice_pwd, pub.remote_ufrag), 0);
    restart_us = yh_now_us();
    assert_int_equal(yt_peer_apply_answer(w->peer, w->answer, err, sizeof err), 0);
    w->server_rtp = 0;
    yt_peer_send_rtp(w->peer, YT_KIND_VIDEO, payload, sizeof payload, 1, 15000, yh_now_us());
    yt_peer_flush(w->peer);
    run_until(w, restarted);
    w->server_rtp = 0;
    yt_peer_send_rtp(w->peer, YT_KIND_VIDEO, payload, sizeof payload, 1, 18000, yh_now_us());
    yt_peer_flush(w->peer);
    run_until(w, got_server_rtp);
    assert_int_equal(yt_peer_state(w->peer), YT_PEER_CONNECTED);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish),
        cmocka_unit_test(test_subscribe),
        cmocka_unit_test(test_rebind_and_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
