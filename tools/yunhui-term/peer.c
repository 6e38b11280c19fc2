/*
 * One client peer connection: socket, ICE (controlling, against the
 * server's lite agent), DTLS client and the SDP that sets them up. The
 * RTP/RTCP side is in peer_rtp.c.
 *
 * The UDP object (net/udp.h) carries 64 receive and 64 send buffers
 * (256 KiB). Load mode opens thousands of peers, so it is mapped
 * privately and the buffer pages yh_udp_open zeroed are given back at
 * once (MADV_DONTNEED keeps them zero-filled on demand): a peer costs only
 * the buffers its traffic really touches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/rand.h"
#include "net/addr.h"
#include "peer_int.h"

#define RECV_BATCHES 8

yh_udp_t *yt__peer_udp_alloc(void)
{
    void *m =
        mmap(NULL, sizeof(yh_udp_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

void yt__peer_udp_free(yh_udp_t *u)
{
    munmap(u, sizeof(yh_udp_t));
}

static void udp_trim(yh_udp_t *u)
{
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)u->rbuf + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t b = ((uintptr_t)u->rbuf + sizeof u->rbuf) & ~((uintptr_t)page - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
    a = ((uintptr_t)u->sbuf + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    b = ((uintptr_t)u->sbuf + sizeof u->sbuf) & ~((uintptr_t)page - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

static void set_state(yt_peer_t *p, yt_peer_state_t st, const char *why)
{
    if (p->state == st || p->state == YT_PEER_FAILED)
        return;
    p->state = st;
    if (why)
        snprintf(p->failure, sizeof p->failure, "%s", why);
    if ((st == YT_PEER_CONNECTED || st == YT_PEER_FAILED) && p->l.state)
        p->l.state(p->l.ctx, p, st, why);
}

/* ---- DTLS listener ---- */

static void dtls_send(void *ctx, const uint8_t *data, size_t len)
{
    yt_peer_t *p = ctx;
    yh_udp_send(p->udp, data, len, (const struct sockaddr *)&p->remote);
}

static void dtls_connected(void *ctx, const yh_srtp_keys_t *keys)
{
    yt_peer_t *p = ctx;
    if (yh_srtp_create(keys, &p->srtp) < 0) {
        set_state(p, YT_PEER_FAILED, "DTLS failed: SRTP session setup failed");
        return;
    }
    set_state(p, YT_PEER_CONNECTED, NULL);
}

static void dtls_failed(void *ctx, const char *reason)
{
    char why[200];
    snprintf(why, sizeof why, "DTLS failed: %s", reason);
    set_state(ctx, YT_PEER_FAILED, why);
}

static void dtls_closed(void *ctx)
{
    set_state(ctx, YT_PEER_FAILED, "DTLS failed: the server closed the association");
}

/* ---- datagrams ---- */

static void start_dtls(yt_peer_t *p, uint64_t now_us)
{
    /* RFC 8842: the DTLS client starts once ICE has a working pair. */
    set_state(p, YT_PEER_DTLS, NULL);
    p->dtls_started_us = now_us;
    if (yh_dtls_start(p->dtls) < 0)
        set_state(p, YT_PEER_FAILED, "DTLS failed: cannot start the handshake");
}

static void on_stun(yt_peer_t *p, const uint8_t *buf, size_t len, const struct sockaddr *from,
                    uint64_t now_us)
{
    yh_stun_msg_t msg;
    uint8_t resp[512];
    if (!p->have_remote || yh_stun_parse(buf, len, &msg) < 0)
        return;
    if (msg.type == YH_STUN_BINDING_REQUEST) {
        /* Only a full ICE peer checks us; answer it all the same. */
        int n = yh_ice_client_handle_request(&p->ice, buf, len, &msg, from, resp, sizeof resp);
        if (n > 0)
            yh_udp_send(p->udp, resp, (size_t)n, from);
        return;
    }
    int ev = yh_ice_client_handle_response(&p->ice, buf, len, &msg, from, now_us);
    if (ev == YH_ICE_CLIENT_EV_CONNECTED && p->state == YT_PEER_CHECKING)
        start_dtls(p, now_us);
    else if (ev == YH_ESTATE)
        set_state(p, YT_PEER_FAILED, "ICE failed: role conflict with the server");
}

static void datagram(yt_peer_t *p, uint8_t *buf, size_t len, const struct sockaddr *from,
                     uint64_t now_us)
{
    if (len < 2)
        return;
    uint8_t b = buf[0];
    /* RFC 7983 section 7: the first byte tells STUN, DTLS and SRTP apart. */
    if (b < 4) {
        on_stun(p, buf, len, from, now_us);
        return;
    }
    if (!p->have_remote || !yh_addr_equal(from, (const struct sockaddr *)&p->remote))
        return;
    if (b >= 20 && b < 64 && p->dtls)
        yh_dtls_handle(p->dtls, buf, len);
    else if (b >= 128 && b < 192 && p->srtp)
        yt__peer_srtp(p, buf, len, now_us);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
    yt_peer_t *p = h->data;
    if (status < 0)
        return;
    uint64_t now = yh_now_us();
    for (int b = 0; b < RECV_BATCHES; b++) {
        int n = yh_udp_recv(p->udp);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++)
            datagram(p, p->udp->rbuf[i], p->udp->rmsg[i].msg_len,
                     (const struct sockaddr *)&p->udp->raddr[i], now);
        if (n < YH_UDP_BATCH)
            break;
    }
    yh_udp_flush(p->udp);
}

/* ---- life cycle ---- */

int yt_peer_create(const yt_peer_config_t *cfg, const yt_peer_listener_t *l, yt_peer_t **out)
{
    yt_peer_t *p = calloc(1, sizeof *p);
    if (!p)
        return YH_ENOMEM;
    p->loop = cfg->loop;
    p->l = *l;
    p->cert = cfg->cert;
    snprintf(p->cname, sizeof p->cname, "%s", cfg->cname ? cfg->cname : "yunhui-term");
    snprintf(p->bind_ip, sizeof p->bind_ip, "%s", cfg->bind_ip ? cfg->bind_ip : "0.0.0.0");
    p->test_video_ssrc = cfg->test_video_ssrc;
    if (cfg->test_bad_fingerprint) {
        /* Test: the first hex digit changed, so the certificate we show in
         * DTLS does not match (RFC 8122 section 5: the peer must refuse). */
        snprintf(p->test_fp, sizeof p->test_fp, "%s", yh_dtls_cert_fingerprint(p->cert));
        p->test_fp[0] = p->test_fp[0] == '0' ? '1' : '0';
    }
    if (yh_rand_ice_chars(p->ufrag, 8) < 0 || yh_rand_ice_chars(p->pwd, 24) < 0 ||
        yh_rand_ice_chars(p->stream_id, 16) < 0)
        goto fail;
    /* '+' and '/' are ice-chars but not msid token characters (RFC 8830). */
    for (char *s = p->stream_id; *s; s++)
        if (*s == '+' || *s == '/')
            *s = 'x';
    p->session_id = ((uint64_t)yh_rand_u32() << 31) | yh_rand_u32();
    p->rtcp_ssrc = yh_rand_u32() | 1;
    if (!(p->udp = yt__peer_udp_alloc()))
        goto fail;
    const char *ip = cfg->bind_ip ? cfg->bind_ip : "0.0.0.0";
    p->v6 = strchr(ip, ':') != NULL;
    if (yh_udp_open(p->udp, ip, 0) < 0)
        goto fail;
    udp_trim(p->udp);
    if (uv_poll_init_socket(p->loop, &p->poll, p->udp->fd) < 0)
        goto fail;
    p->poll.data = p;
    p->poll_started = 1;
    uv_poll_start(&p->poll, UV_READABLE, on_readable);
    *out = p;
    return 0;
fail:
    if (p->udp) {
        yh_udp_close(p->udp);
        munmap(p->udp, sizeof(yh_udp_t));
    }
    free(p);
    return YH_EIO;
}

static void on_poll_closed(uv_handle_t *h)
{
    yt_peer_t *p = h->data;
    munmap(p->udp, sizeof(yh_udp_t));
    free(p);
}

void yt_peer_destroy(yt_peer_t *p)
{
    if (!p)
        return;
    if (p->dtls && p->state == YT_PEER_CONNECTED) {
        yh_dtls_shutdown(p->dtls);
        yh_udp_flush(p->udp);
    }
    yh_dtls_destroy(p->dtls);
    yh_srtp_destroy(p->srtp);
    p->dtls = NULL;
    p->srtp = NULL;
    uv_poll_stop(&p->poll);
    yh_udp_close(p->udp);
    uv_close((uv_handle_t *)&p->poll, on_poll_closed);
}

/* ---- starting ICE and DTLS from a remote description ---- */

/* Our socket is IPv4 or IPv6: a candidate of the other family is useless. */
static int usable(const yt_peer_t *p, const yh_sdp_candidate_t *c, struct sockaddr_storage *out)
{
    return c->udp && c->component == 1 && (strchr(c->ip, ':') != NULL) == p->v6 &&
           yh_addr_parse(c->ip, c->port, out) == 0;
}

/* ICE and DTLS start once the server's credentials and one of its
 * candidates are known. */
int yt__peer_ice_init(yt_peer_t *p, uint64_t now_us)
{
    return yh_ice_client_init(&p->ice, p->ufrag, p->pwd, p->remote_ufrag, p->remote_pwd,
                              (const struct sockaddr *)&p->remote, now_us);
}

static int begin_ice(yt_peer_t *p, char *err, size_t err_cap)
{
    uint64_t now = yh_now_us();
    int rc = yt__peer_ice_init(p, now);
    if (rc < 0) {
        snprintf(err, err_cap, "bad ICE credentials from the server");
        return rc;
    }
    yh_dtls_listener_t dl = {.ctx = p,
                             .send = dtls_send,
                             .connected = dtls_connected,
                             .failed = dtls_failed,
                             .closed = dtls_closed};
    rc = yh_dtls_create(p->cert, YH_DTLS_CLIENT, p->remote_fp.alg, p->remote_fp.value, &dl,
                        &p->dtls);
    if (rc < 0) {
        snprintf(err, err_cap, "cannot create the DTLS endpoint: %s", yh_strerror(rc));
        return rc;
    }
    p->have_remote = 1;
    yt_peer_tick(p, now);
    return 0;
}

/* A description on a running transport: the same credentials on both
 * sides are a plain renegotiation; new ones after our yt_peer_restart_ice
 * restart the agent on the same candidate, DTLS and SRTP kept. */
static int renegotiate(yt_peer_t *p, const yh_sdp_client_remote_t *r, char *err, size_t err_cap)
{
    int remote_new = strcmp(p->remote_ufrag, r->ice_ufrag) || strcmp(p->remote_pwd, r->ice_pwd);
    int local_new = p->have_remote && strcmp(p->ice.local_ufrag, p->ufrag);
    if (!remote_new && !local_new)
        return 0;
    if (remote_new && !p->restarting) {
        snprintf(err, err_cap, "the server restarted the media connection");
        return YH_EUNSUPPORTED;
    }
    if (remote_new)
        p->restarting = 0;
    snprintf(p->remote_ufrag, sizeof p->remote_ufrag, "%s", r->ice_ufrag);
    snprintf(p->remote_pwd, sizeof p->remote_pwd, "%s", r->ice_pwd);
    if (p->have_remote && yt__peer_ice_init(p, yh_now_us()) < 0) {
        snprintf(err, err_cap, "bad ICE credentials from the server");
        return YH_EINVAL;
    }
    return 0;
}

static int start(yt_peer_t *p, const yh_sdp_client_remote_t *r, const char *sdp, char *err,
                 size_t err_cap)
{
    yh_sdp_candidate_t c[4];
    if (p->started)
        return renegotiate(p, r, err, err_cap);
    snprintf(p->remote_ufrag, sizeof p->remote_ufrag, "%s", r->ice_ufrag);
    snprintf(p->remote_pwd, sizeof p->remote_pwd, "%s", r->ice_pwd);
    p->remote_fp = r->fingerprint;
    p->started = 1;
    p->started_us = yh_now_us();
    p->state = YT_PEER_CHECKING;
    size_t n = yh_sdp_candidates(sdp, strlen(sdp), c, 4);
    for (size_t i = 0; i < n; i++)
        if (usable(p, &c[i], &p->remote))
            return begin_ice(p, err, err_cap);
    return 0; /* trickle ICE: yt_peer_add_candidate brings one */
}

int yt_peer_add_candidate(yt_peer_t *p, const char *line)
{
    yh_sdp_candidate_t c;
    char err[160];
    if (!line || yh_sdp_candidate_parse(line, strlen(line), &c) < 0)
        return YH_EPARSE;
    if (!p->started || p->have_remote || p->state == YT_PEER_FAILED)
        return 0; /* one pair is all a client needs */
    if (!usable(p, &c, &p->remote))
        return YH_EUNSUPPORTED;
    int rc = begin_ice(p, err, sizeof err);
    if (rc < 0)
        set_state(p, YT_PEER_FAILED, err);
    return rc;
}

/* ---- SDP ---- */

static void local_desc(const yt_peer_t *p, yh_sdp_client_local_t *l)
{
    l->ice_ufrag = p->ufrag;
    l->ice_pwd = p->pwd;
    l->fingerprint = yh_dtls_cert_fingerprint(p->cert);
    if (p->test_fp[0])
        l->fingerprint = p->test_fp;
    l->cname = p->cname;
    l->msid_stream = p->stream_id;
    l->session_id = p->session_id;
}

static void tx_init(const yt_peer_t *p, yt_tx_stream_t *t, yt_media_kind_t kind)
{
    memset(t, 0, sizeof *t);
    t->enabled = 1;
    t->kind = kind;
    strcpy(t->mid, kind == YT_KIND_AUDIO ? "0" : "1");
    t->ssrc = yh_rand_u32() | 1;
    if (kind == YT_KIND_VIDEO && p->test_video_ssrc)
        t->ssrc = p->test_video_ssrc;
    t->seq = (uint16_t)yh_rand_u32();
    t->pt = kind == YT_KIND_AUDIO ? YH_SDP_PT_OPUS : YH_SDP_PT_VP8;
    t->clock = kind == YT_KIND_AUDIO ? 48000 : 90000;
}

/* The streams of our offer, in m-line order. */
static size_t sends_of(const yt_peer_t *p, yh_sdp_client_send_t *s, char tracks[2][48])
{
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        const yt_tx_stream_t *t = &p->tx[k];
        if (!t->enabled)
            continue;
        snprintf(tracks[n], 48, "%s-%s", p->stream_id, k == YT_KIND_AUDIO ? "audio" : "video");
        s[n].kind = k == YT_KIND_AUDIO ? YH_SDP_KIND_AUDIO : YH_SDP_KIND_VIDEO;
        s[n].mid = t->mid;
        s[n].ssrc = t->ssrc;
        s[n].msid_track = tracks[n];
        n++;
    }
    return n;
}

int yt_peer_write_offer(yt_peer_t *p, int audio, int video, char *buf, size_t cap)
{
    yh_sdp_client_local_t l;
    yh_sdp_client_send_t s[2];
    char tracks[2][48];
    if (!audio && !video)
        return YH_EINVAL;
    if (audio && !p->tx[YT_KIND_AUDIO].enabled)
        tx_init(p, &p->tx[YT_KIND_AUDIO], YT_KIND_AUDIO);
    if (video && !p->tx[YT_KIND_VIDEO].enabled)
        tx_init(p, &p->tx[YT_KIND_VIDEO], YT_KIND_VIDEO);
    local_desc(p, &l);
    return yh_sdp_client_write_offer(&l, ++p->sdp_version, s, sends_of(p, s, tracks), buf, cap);
}

int yt_peer_apply_answer(yt_peer_t *p, const char *sdp, char *err, size_t err_cap)
{
    yh_sdp_client_send_t s[2];
    char tracks[2][48];
    yh_sdp_t *a = malloc(sizeof *a);
    yh_sdp_client_remote_t *r = malloc(sizeof *r);
    int rc = YH_ENOMEM;
    if (!a || !r)
        goto out;
    size_t n = sends_of(p, s, tracks);
    rc = yh_sdp_parse(sdp, strlen(sdp), a, err, err_cap);
    if (rc == 0)
        rc = yh_sdp_client_read_answer(a, s, n, r, err, err_cap);
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < r->n_media; i++) {
        yt_tx_stream_t *t = &p->tx[r->media[i].kind == YH_SDP_KIND_AUDIO ? 0 : 1];
        t->enabled = r->media[i].accepted;
        t->pt = r->media[i].codec.pt;
        t->ext = r->media[i].ext;
    }
    rc = start(p, r, sdp, err, err_cap);
out:
    free(a);
    free(r);
    return rc;
}

static const char *track_of(const char *mid, const yt_sub_track_t *tracks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tracks[i].mid && !strcmp(tracks[i].mid, mid))
            return tracks[i].track;
    return "";
}

/* Updates one receive slot from the answered m-section. */
static void rx_update(yt_peer_t *p, yt_rx_stream_t *rx, const yh_sdp_client_media_t *m,
                      const char *track)
{
    int active = m->accepted && m->receiving && m->ssrc;
    int changed = rx->active != active || rx->ssrc != m->ssrc || strcmp(rx->track, track);
    snprintf(rx->mid, sizeof rx->mid, "%s", m->mid);
    rx->kind = m->kind == YH_SDP_KIND_VIDEO ? YT_KIND_VIDEO : YT_KIND_AUDIO;
    rx->vp8 = strcasecmp(m->codec.name, "VP8") == 0;
    rx->pt = m->codec.pt;
    rx->clock = m->codec.clock ? m->codec.clock : 90000;
    if (!changed)
        return;
    rx->active = active;
    rx->ssrc = m->ssrc;
    snprintf(rx->track, sizeof rx->track, "%s", track);
    yh_rtp_recvstats_init(&rx->stats, rx->clock);
    rx->packets = 0;
    rx->has_sr = 0;
    rx->last_pli_us = 0;
    if (p->l.rx_changed)
        p->l.rx_changed(p->l.ctx, p, rx);
}

int yt_peer_apply_offer(yt_peer_t *p, const char *sdp, const yt_sub_track_t *tracks, size_t n,
                        char *buf, size_t cap, char *err, size_t err_cap)
{
    yh_sdp_client_local_t l;
    yh_sdp_t *o = malloc(sizeof *o);
    yh_sdp_client_remote_t *r = malloc(sizeof *r);
    int rc = YH_ENOMEM, len = 0;
    if (!o || !r)
        goto out;
    local_desc(p, &l);
    rc = yh_sdp_parse(sdp, strlen(sdp), o, err, err_cap);
    if (rc == 0)
        rc = len = yh_sdp_client_write_answer(o, &l, ++p->sdp_version, r, buf, cap, err, err_cap);
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < r->n_media && i < YT_PEER_MAX_RX; i++)
        rx_update(p, &p->rx[i], &r->media[i], track_of(r->media[i].mid, tracks, n));
    if (r->n_media > p->n_rx)
        p->n_rx = r->n_media;
    rc = start(p, r, sdp, err, err_cap);
out:
    free(o);
    free(r);
    return rc < 0 ? rc : len;
}

/* ---- time ---- */

static void check_failures(yt_peer_t *p, uint64_t now_us)
{
    char why[200], as[YH_ADDR_STRLEN];
    if (yh_ice_client_state(&p->ice) == YH_ICE_CLIENT_FAILED) {
        yh_addr_str((const struct sockaddr *)&p->remote, as, sizeof as);
        if (p->state == YT_PEER_CHECKING)
            snprintf(why, sizeof why, "ICE failed: no answer to connectivity checks from %s", as);
        else
            snprintf(why, sizeof why, "ICE failed: the server at %s stopped answering (consent)",
                     as);
        set_state(p, YT_PEER_FAILED, why);
    } else if (p->state == YT_PEER_DTLS && now_us - p->dtls_started_us > YT_PEER_DTLS_TIMEOUT_US) {
        set_state(p, YT_PEER_FAILED, "DTLS failed: handshake timed out");
    }
}

void yt_peer_tick(yt_peer_t *p, uint64_t now_us)
{
    uint8_t buf[600];
    if (!p->started || p->state == YT_PEER_FAILED)
        return;
    if (!p->have_remote) {
        if (now_us - p->started_us > YT_PEER_CANDIDATE_TIMEOUT_US)
            set_state(p, YT_PEER_FAILED, "ICE failed: the server gave no usable candidate");
        return;
    }
    int nominating = yh_ice_client_state(&p->ice) == YH_ICE_CLIENT_CHECKING;
    int n = yh_ice_client_poll(&p->ice, now_us, buf, sizeof buf);
    if (n > 0)
        yh_udp_send(p->udp, buf, (size_t)n, (const struct sockaddr *)&p->remote);
    if (n > 0 && nominating && (size_t)n <= sizeof p->last_check) {
        memcpy(p->last_check, buf, (size_t)n);
        p->last_check_len = (size_t)n;
    }
    check_failures(p, now_us);
    if (p->state == YT_PEER_DTLS && p->dtls && yh_dtls_timeout_ms(p->dtls) == 0)
        yh_dtls_on_timeout(p->dtls);
    if (p->state == YT_PEER_CONNECTED && now_us - p->last_report_us >= YT_PEER_REPORT_US) {
        p->last_report_us = now_us;
        yt__peer_reports(p, now_us);
    }
    yh_udp_flush(p->udp);
}

void yt_peer_flush(yt_peer_t *p)
{
    yh_udp_flush(p->udp);
}

yt_peer_state_t yt_peer_state(const yt_peer_t *p)
{
    return p->state;
}

const char *yt_peer_failure(const yt_peer_t *p)
{
    return p->failure;
}

const yt_tx_stream_t *yt_peer_tx(const yt_peer_t *p, yt_media_kind_t kind)
{
    return &p->tx[kind == YT_KIND_VIDEO];
}

yt_rx_stream_t *yt_peer_rx(yt_peer_t *p, size_t i)
{
    return i < p->n_rx ? &p->rx[i] : NULL;
}

size_t yt_peer_rx_count(const yt_peer_t *p)
{
    return p->n_rx;
}

const yh_udp_stats_t *yt_peer_udp_stats(const yt_peer_t *p)
{
    return &p->udp->stats;
}
