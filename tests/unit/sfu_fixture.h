/*
 * The SFU unit tests' harness (test_sfu*.c): a real worker on a loopback
 * UDP port, and clients built from the project's own STUN, DTLS and SRTP
 * modules that connect to it, publish VP8 and receive what it forwards.
 */
#ifndef YH_TESTS_SFU_FIXTURE_H
#define YH_TESTS_SFU_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/rand.h"
#include "dtls/dtls.h"
#include "rtcp/rtcp.h"
#include "rtp/rtp.h"
#include "sfu/sfu.h"
#include "srtp/srtp.h"
#include "stun/stun.h"

typedef struct client {
    int fd;
    struct sockaddr_in srv;
    char srv_ufrag[16], srv_pwd[32], ufrag[16];
    yh_dtls_t *dtls;
    yh_srtp_t *srtp;
    int ice_ok;
    uint8_t last[2048];
    size_t last_len;
} client_t;

static yh_dtls_cert_t *cert;
static yh_sfu_t *sfu;
static uv_loop_t loop;
static int connected_events;
static yh_sfu_level_t last_level;
static uint32_t last_level_room;

static __attribute__((unused)) void on_levels(void *ctx, uint32_t room,
                                              const yh_sfu_level_t *levels, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        if (levels[i].track == 11) {
            last_level = levels[i];
            last_level_room = room;
        }
}

static __attribute__((unused)) void on_state(void *ctx, uint32_t id, yh_sfu_tstate_t st,
                                             const char *reason)
{
    (void)ctx;
    (void)id;
    (void)reason;
    if (st == YH_SFU_TRANSPORT_CONNECTED)
        connected_events++;
}

static __attribute__((unused)) void cl_send(void *ctx, const uint8_t *d, size_t n)
{
    client_t *c = ctx;
    sendto(c->fd, d, n, 0, (struct sockaddr *)&c->srv, sizeof c->srv);
}

static __attribute__((unused)) void cl_connected(void *ctx, const yh_srtp_keys_t *k)
{
    client_t *c = ctx;
    assert_int_equal(yh_srtp_create(k, &c->srtp), 0);
}

static __attribute__((unused)) void cl_failed(void *ctx, const char *reason)
{
    (void)ctx;
    fail_msg("client DTLS failed: %s", reason);
}

static __attribute__((unused)) void cl_closed(void *ctx)
{
    (void)ctx;
}

static __attribute__((unused)) void client_open(client_t *c, uint16_t port)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_DGRAM, 0);
    /* As the server's: with the default (about 90 datagrams) a test thread
     * that a busy machine keeps off the CPU for a moment loses what the
     * worker sent meanwhile, and the tests take every packet as sent. */
    int size = 4 << 20;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(c->fd, (struct sockaddr *)&me, sizeof me), 0);
    c->srv = (struct sockaddr_in){
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    yh_rand_ice_chars(c->srv_ufrag, 8);
    yh_rand_ice_chars(c->srv_pwd, 24);
    yh_rand_ice_chars(c->ufrag, 8);
}

/* Receives one datagram within `ms`, running the control loop meanwhile. */
static __attribute__((unused)) int client_recv(client_t *c, int ms)
{
    uint64_t end = yh_now_us() + (uint64_t)ms * 1000;
    while (yh_now_us() < end) {
        uv_run(&loop, UV_RUN_NOWAIT);
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, 10) <= 0)
            continue;
        ssize_t n = recv(c->fd, c->last, sizeof c->last, 0);
        if (n > 0) {
            c->last_len = (size_t)n;
            return 1;
        }
    }
    return 0;
}

static __attribute__((unused)) void client_connect(client_t *c, yh_dtls_role_t client_role)
{
    char user[64];
    snprintf(user, sizeof user, "%s:%s", c->srv_ufrag, c->ufrag);
    yh_dtls_listener_t l = {c, cl_send, cl_connected, cl_failed, cl_closed};
    assert_int_equal(
        yh_dtls_create(cert, client_role, "sha-256", yh_dtls_cert_fingerprint(cert), &l, &c->dtls),
        0);
    for (int attempt = 0; attempt < 300 && !c->srtp; attempt++) {
        if (!c->ice_ok) {
            uint8_t req[256], txid[12];
            yh_rand_bytes(txid, sizeof txid);
            int n = yh_stun_build_binding_request(req, sizeof req, txid, user, c->srv_pwd,
                                                  0x6e7f1eff, 1, 42, 1);
            assert_true(n > 0);
            cl_send(c, req, (size_t)n);
        }
        if (!client_recv(c, 20)) {
            if (c->ice_ok && yh_dtls_timeout_ms(c->dtls) == 0)
                yh_dtls_on_timeout(c->dtls);
            continue;
        }
        if (c->last[0] < 4) {
            yh_stun_msg_t m;
            if (yh_stun_parse(c->last, c->last_len, &m) > 0 && m.type == YH_STUN_BINDING_SUCCESS &&
                yh_stun_check_integrity(c->last, c->last_len, &m, c->srv_pwd, strlen(c->srv_pwd)) ==
                    0 &&
                !c->ice_ok) {
                c->ice_ok = 1;
                yh_dtls_start(c->dtls);
            }
        } else if (c->last[0] >= 20 && c->last[0] < 64) {
            yh_dtls_handle(c->dtls, c->last, c->last_len);
        }
    }
    assert_non_null(c->srtp);
}

static __attribute__((unused)) void client_close(client_t *c)
{
    yh_dtls_destroy(c->dtls);
    yh_srtp_destroy(c->srtp);
    close(c->fd);
}

static __attribute__((unused)) void add_transport(uint32_t id, client_t *c, int publisher,
                                                  uint8_t playout_delay)
{
    yh_sfu_transport_params_t p = {
        .id = id, .room = 1, .publisher = publisher, .dtls_role = YH_DTLS_SERVER};
    snprintf(p.local_ufrag, sizeof p.local_ufrag, "%s", c->srv_ufrag);
    snprintf(p.local_pwd, sizeof p.local_pwd, "%s", c->srv_pwd);
    snprintf(p.remote_ufrag, sizeof p.remote_ufrag, "%s", c->ufrag);
    snprintf(p.remote_fp_alg, sizeof p.remote_fp_alg, "sha-256");
    snprintf(p.remote_fp, sizeof p.remote_fp, "%s", yh_dtls_cert_fingerprint(cert));
    p.ext.abs_send_time = 2;
    p.ext.twcc = 3;
    p.ext.audio_level = 1;
    p.ext.mid = 4;
    p.ext.rid = 5;
    p.ext.playout_delay = playout_delay;
    assert_int_equal(yh_sfu_transport_add(sfu, &p), 0);
}

/* A VP8 packet: descriptor with S=1 PID=0, then a frame header whose P bit
 * (bit 0) is 0 for a keyframe. */
static __attribute__((unused)) size_t vp8_packet(uint8_t *buf, uint16_t seq, uint32_t ts, int key)
{
    int n = yh_rtp_write_header(buf, 1500, 1, 96, seq, ts, 1111, NULL, 0);
    uint8_t *p = buf + n;
    p[0] = 0x10;
    p[1] = key ? 0x00 : 0x01;
    for (int i = 2; i < 100; i++)
        p[i] = (uint8_t)(seq + i);
    return (size_t)n + 100;
}

static __attribute__((unused)) void publish(client_t *a, uint16_t seq, uint32_t ts, int key)
{
    uint8_t pkt[2048];
    size_t len = vp8_packet(pkt, seq, ts, key);
    assert_int_equal(yh_srtp_protect_rtp(a->srtp, pkt, &len, sizeof pkt), 0);
    cl_send(a, pkt, len);
}

/* Waits for an RTP packet at `b`; returns its parsed header in *h. */
static __attribute__((unused)) int recv_rtp(client_t *b, yh_rtp_hdr_t *h, int ms)
{
    while (client_recv(b, ms)) {
        if (b->last[0] < 128 || (b->last[1] >= 192 && b->last[1] <= 223))
            continue;
        size_t len = b->last_len;
        if (yh_srtp_unprotect_rtp(b->srtp, b->last, &len) < 0)
            continue;
        b->last_len = len;
        return yh_rtp_parse(b->last, len, h) == 0;
    }
    return 0;
}

/* Waits for the next SRTCP packet at `a` that authenticates: 1 with it
 * unprotected in a->last (*len bytes), or 0 when none came. */
static __attribute__((unused)) int recv_srtcp(client_t *a, int ms, size_t *len)
{
    while (client_recv(a, ms)) {
        if (a->last[0] < 128 || a->last[1] < 192 || a->last[1] > 223)
            continue;
        *len = a->last_len;
        if (yh_srtp_unprotect_rtcp(a->srtp, a->last, len) == 0)
            return 1;
    }
    return 0;
}

/* Waits for an RTCP packet at `a` that `match` accepts; every packet of
 * each compound datagram is offered, with `arg`. */
static __attribute__((unused)) int
recv_rtcp_match(client_t *a, int ms, int (*match)(const yh_rtcp_pkt_t *p, void *arg), void *arg)
{
    size_t len;
    while (recv_srtcp(a, ms, &len)) {
        yh_rtcp_iter_t it;
        yh_rtcp_pkt_t p;
        yh_rtcp_iter_init(&it, a->last, len);
        while (yh_rtcp_next(&it, &p) == 1)
            if (match(&p, arg))
                return 1;
    }
    return 0;
}

static __attribute__((unused)) int rtcp_type_is(const yh_rtcp_pkt_t *p, void *arg)
{
    const uint8_t *want = arg;
    return p->pt == want[0] && p->count == want[1];
}

/* Waits for an RTCP packet of type `pt` (feedback format `fmt`) at `a`. */
static __attribute__((unused)) int recv_rtcp(client_t *a, uint8_t pt, uint8_t fmt, int ms)
{
    uint8_t want[2] = {pt, fmt};
    return recv_rtcp_match(a, ms, rtcp_type_is, want);
}

static __attribute__((unused)) void send_rtcp(client_t *c, uint8_t *pkt, size_t len)
{
    uint8_t buf[2048];
    memcpy(buf, pkt, len);
    assert_int_equal(yh_srtp_protect_rtcp(c->srtp, buf, &len, sizeof buf), 0);
    cl_send(c, buf, len);
}

/* A subscriber's transport-wide feedback, as a browser sends it
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): the arrivals of
 * packets from `base` on (-1: lost), sent every 100 ms or when half full. */
#define FB_MAX 256
typedef struct fb {
    int started;
    uint16_t base;
    size_t n;
    int64_t arr[FB_MAX];
    uint8_t count;
    uint64_t next_us;
} fb_t;

/* Notes transport-wide sequence number `tseq` as arrived at `at` (-1:
 * lost) for the next feedback. */
static __attribute__((unused)) void fb_note(fb_t *f, uint16_t tseq, int64_t at)
{
    if (!f->started) {
        f->started = 1;
        f->base = tseq;
    }
    size_t i = (uint16_t)(tseq - f->base);
    if (i >= FB_MAX)
        return; /* late, already reported as lost */
    for (; f->n <= i; f->n++)
        f->arr[f->n] = -1;
    f->arr[i] = at;
}

/* Sends the feedback from subscriber `b` about its stream `media_ssrc`
 * when it is due. */
static __attribute__((unused)) void fb_tick(fb_t *f, client_t *b, uint32_t media_ssrc,
                                            uint64_t now)
{
    if (now < f->next_us && f->n < FB_MAX / 2)
        return;
    f->next_us = now + 100000;
    if (!f->n)
        return;
    uint8_t pkt[1500];
    int n = yh_rtcp_build_twcc(pkt, sizeof pkt, 5555, media_ssrc, f->base, f->arr, f->n,
                               f->count++);
    assert_true(n > 0);
    send_rtcp(b, pkt, (size_t)n);
    f->base = (uint16_t)(f->base + f->n);
    f->n = 0;
}

/* One turn of a test's own event loop: the worker's loop once, then up
 * to `ms` for either client to have a datagram. Returns which do: 1 for
 * `a`, 2 for `b`, or both. */
static __attribute__((unused)) int pair_poll(client_t *a, client_t *b, int ms)
{
    uv_run(&loop, UV_RUN_NOWAIT);
    struct pollfd p[2] = {{.fd = a->fd, .events = POLLIN}, {.fd = b->fd, .events = POLLIN}};
    if (poll(p, 2, ms) <= 0)
        return 0;
    return (p[0].revents & POLLIN ? 1 : 0) | (p[1].revents & POLLIN ? 2 : 0);
}

/* Publisher `a` on transport t->transport, subscriber `b` on s->transport
 * (with the playout-delay extension under id `playout_delay`, 0: none),
 * the track and the subscription added, both connected. */
static __attribute__((unused)) void pair_open(client_t *a, client_t *b,
                                              const yh_sfu_track_params_t *t,
                                              const yh_sfu_sub_params_t *s, uint8_t playout_delay)
{
    client_open(a, yh_sfu_port(sfu));
    client_open(b, yh_sfu_port(sfu));
    add_transport(t->transport, a, 1, 0);
    add_transport(s->transport, b, 0, playout_delay);
    assert_int_equal(yh_sfu_track_add(sfu, t), 0);
    assert_int_equal(yh_sfu_subscribe(sfu, s), 0);
    client_connect(a, YH_DTLS_CLIENT);
    client_connect(b, YH_DTLS_CLIENT);
}

static __attribute__((unused)) int setup(void **state)
{
    (void)state;
    yh_srtp_global_init();
    uv_loop_init(&loop);
    if (yh_dtls_cert_generate(&cert) < 0)
        return -1;
    yh_sfu_config_t cfg = {.bind_ip = "127.0.0.1", .port = 0, .cert = cert};
    yh_sfu_listener_t l = {.ctx = NULL, .transport_state = on_state, .audio_levels = on_levels};
    return yh_sfu_start(&loop, &cfg, &l, &sfu);
}

static __attribute__((unused)) int teardown(void **state)
{
    (void)state;
    yh_sfu_stop(sfu);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    yh_dtls_cert_destroy(cert);
    return 0;
}

#endif
