/*
 * RTP and RTCP of one client peer connection: our media out (RFC 3550
 * header, RFC 8285 extensions, SRTP), the server's media in (SRTP really
 * unprotected, so a damaged or missing packet counts as lost), receiver
 * reports and PLIs toward the server, sender reports for our streams, and
 * the server's keyframe requests and sender reports.
 */
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "peer_int.h"
#include "rtcp/rtcp.h"

/* An RFC 6464 level for our test signal: -30 dBov, voice. */
#define AUDIO_LEVEL 30

static size_t tx_exts(yt_peer_t *p, const yt_tx_stream_t *t, yh_rtp_ext_elem_t *ext)
{
    size_t n = 0;
    if (t->ext.abs_send_time)
        yh_rtp_ext_set_abs_send_time(&ext[n++], t->ext.abs_send_time, yh_ntp_now());
    if (t->ext.twcc)
        yh_rtp_ext_set_twcc_seq(&ext[n++], t->ext.twcc, p->twcc_seq++);
    if (t->ext.mid)
        yh_rtp_ext_set_string(&ext[n++], t->ext.mid, t->mid);
    if (t->ext.audio_level && t->kind == YT_KIND_AUDIO)
        yh_rtp_ext_set_audio_level(&ext[n++], t->ext.audio_level, AUDIO_LEVEL, 1);
    return n;
}

int yt_peer_send_rtp(yt_peer_t *p, yt_media_kind_t kind, const uint8_t *payload, size_t len,
                     int marker, uint32_t ts, uint64_t capture_us)
{
    yt_tx_stream_t *t = &p->tx[kind == YT_KIND_VIDEO];
    yh_rtp_ext_elem_t ext[4];
    if (!t->enabled || !p->srtp || p->state != YT_PEER_CONNECTED)
        return YH_ESTATE;
    size_t n = tx_exts(p, t, ext);
    uint8_t *slot = yh_udp_slot(p->udp);
    int hl = yh_rtp_write_header(slot, YH_UDP_BUFSZ, (uint8_t)(marker != 0), t->pt, t->seq, ts,
                                 t->ssrc, ext, n);
    if (hl < 0 || (size_t)hl + len + YH_SRTP_MAX_OVERHEAD > YH_UDP_BUFSZ)
        return YH_ENOSPACE;
    memcpy(slot + hl, payload, len);
    size_t plen = (size_t)hl + len;
    int rc = yh_srtp_protect_rtp(p->srtp, slot, &plen, YH_UDP_BUFSZ);
    if (rc < 0)
        return rc;
    yh_udp_commit(p->udp, plen, (const struct sockaddr *)&p->remote);
    t->seq++;
    t->packets++;
    t->bytes += len;
    t->last_ts = ts;
    t->last_capture_us = capture_us;
    t->has_ts = 1;
    return 0;
}

void yt__peer_send_rtcp(yt_peer_t *p, const uint8_t *pkt, size_t len)
{
    if (!p->srtp || len + YH_SRTP_MAX_OVERHEAD > YH_UDP_BUFSZ)
        return;
    uint8_t *slot = yh_udp_slot(p->udp);
    memcpy(slot, pkt, len);
    if (yh_srtp_protect_rtcp(p->srtp, slot, &len, YH_UDP_BUFSZ) == 0)
        yh_udp_commit(p->udp, len, (const struct sockaddr *)&p->remote);
}

void yt_peer_request_keyframe(yt_peer_t *p, yt_rx_stream_t *rx, uint64_t now_us)
{
    uint8_t pkt[16];
    if (!rx->active || rx->kind != YT_KIND_VIDEO ||
        (rx->last_pli_us && now_us - rx->last_pli_us < YT_PEER_PLI_MIN_US))
        return;
    int n = yh_rtcp_build_pli(pkt, sizeof pkt, p->rtcp_ssrc, rx->ssrc);
    if (n > 0)
        yt__peer_send_rtcp(p, pkt, (size_t)n);
    rx->last_pli_us = now_us;
    rx->plis++;
}

/* RTP time of `now` on a stream's clock, from the last packet's capture
 * time (RFC 3550 6.4.1: the SR timestamp is that of the NTP instant). */
static uint32_t rtp_now(const yt_tx_stream_t *t, uint64_t now_us)
{
    int64_t d = (int64_t)(now_us - t->last_capture_us);
    return t->last_ts + (uint32_t)(d * (int64_t)t->clock / 1000000);
}

static void send_sr(yt_peer_t *p, const yt_tx_stream_t *t, uint64_t now_us)
{
    uint8_t pkt[256];
    yh_rtcp_sr_t sr;
    memset(&sr, 0, sizeof sr);
    sr.ssrc = t->ssrc;
    sr.ntp = yh_ntp_now();
    sr.rtp_ts = rtp_now(t, now_us);
    sr.packet_count = (uint32_t)t->packets;
    sr.octet_count = (uint32_t)t->bytes;
    int n = yh_rtcp_build_sr(pkt, sizeof pkt, &sr);
    if (n <= 0)
        return;
    int m = yh_rtcp_build_sdes_cname(pkt + n, sizeof pkt - (size_t)n, t->ssrc, p->cname);
    yt__peer_send_rtcp(p, pkt, (size_t)n + (m > 0 ? (size_t)m : 0));
}

/* RFC 3550 6.4.2: one RR with a block per stream received. */
static void send_rr(yt_peer_t *p, uint64_t now_us)
{
    yh_rtcp_rr_t rr;
    uint8_t pkt[1024];
    memset(&rr, 0, sizeof rr);
    rr.ssrc = p->rtcp_ssrc;
    for (size_t i = 0; i < p->n_rx && rr.n_reports < YH_RTCP_MAX_REPORTS; i++) {
        yt_rx_stream_t *rx = &p->rx[i];
        if (rx->active && rx->packets)
            yh_rtp_recvstats_report(&rx->stats, rx->ssrc, now_us, &rr.reports[rr.n_reports++]);
    }
    if (!rr.n_reports)
        return;
    int n = yh_rtcp_build_rr(pkt, sizeof pkt, &rr);
    if (n <= 0)
        return;
    int m = yh_rtcp_build_sdes_cname(pkt + n, sizeof pkt - (size_t)n, p->rtcp_ssrc, p->cname);
    yt__peer_send_rtcp(p, pkt, (size_t)n + (m > 0 ? (size_t)m : 0));
}

void yt__peer_reports(yt_peer_t *p, uint64_t now_us)
{
    for (int k = 0; k < 2; k++)
        if (p->tx[k].enabled && p->tx[k].has_ts)
            send_sr(p, &p->tx[k], now_us);
    if (p->n_rx)
        send_rr(p, now_us);
}

uint64_t yt_peer_capture_us(const yt_rx_stream_t *rx, uint32_t ts, uint64_t now_us)
{
    if (!rx->has_sr || !rx->clock)
        return 0;
    /* NTP of `ts` = the SR's NTP + the RTP distance on the stream clock. */
    int64_t d = (int32_t)(ts - rx->sr_rtp);
    int64_t ntp_ts = (int64_t)rx->sr_ntp + d * 4294967296LL / (int64_t)rx->clock;
    int64_t age_ntp = (int64_t)yh_ntp_now() - ntp_ts;
    int64_t age_us = (int64_t)((__int128)age_ntp * 1000000 / 4294967296LL);
    /* A negative age (a timestamp after now) is a valid mapping too. */
    int64_t cap = (int64_t)now_us - age_us;
    return cap > 0 ? (uint64_t)cap : 0;
}

static yt_rx_stream_t *rx_by_ssrc(yt_peer_t *p, uint32_t ssrc)
{
    for (size_t i = 0; i < p->n_rx; i++)
        if (p->rx[i].active && p->rx[i].ssrc == ssrc)
            return &p->rx[i];
    return NULL;
}

static void on_rtp(yt_peer_t *p, const uint8_t *buf, size_t len, uint64_t now_us)
{
    yh_rtp_hdr_t h;
    if (yh_rtp_parse(buf, len, &h) < 0)
        return;
    yt_rx_stream_t *rx = rx_by_ssrc(p, h.ssrc);
    if (!rx || h.pt != rx->pt)
        return;
    yh_rtp_recvstats_update(&rx->stats, h.seq, h.ts, len, now_us);
    rx->packets++;
    if (p->l.rtp)
        p->l.rtp(p->l.ctx, p, rx, buf, len, &h, now_us);
}

static void on_sr(yt_peer_t *p, const yh_rtcp_pkt_t *pk, uint64_t now_us)
{
    yh_rtcp_sr_t sr;
    if (yh_rtcp_parse_sr(pk, &sr) < 0)
        return;
    yt_rx_stream_t *rx = rx_by_ssrc(p, sr.ssrc);
    if (!rx)
        return;
    rx->has_sr = 1;
    rx->sr_ntp = sr.ntp;
    rx->sr_rtp = sr.rtp_ts;
    yh_rtp_recvstats_sr(&rx->stats, sr.ntp, now_us);
}

static void on_rtcp(yt_peer_t *p, const uint8_t *buf, size_t len, uint64_t now_us)
{
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t pk;
    yh_rtcp_fb_t fb;
    uint32_t ssrc;
    uint8_t seq;
    uint32_t video = p->tx[YT_KIND_VIDEO].enabled ? p->tx[YT_KIND_VIDEO].ssrc : 0;
    yh_rtcp_iter_init(&it, buf, len);
    while (yh_rtcp_next(&it, &pk) == 1) {
        int kf = 0;
        if (pk.pt == YH_RTCP_SR)
            on_sr(p, &pk, now_us);
        else if (pk.pt == YH_RTCP_PSFB && pk.count == 1 && yh_rtcp_parse_pli(&pk, &fb) == 0)
            kf = video && fb.media_ssrc == video;
        else if (pk.pt == YH_RTCP_PSFB && pk.count == 4 &&
                 yh_rtcp_parse_fir(&pk, &fb, &ssrc, &seq) == 0)
            kf = video && ssrc == video;
        if (kf && p->l.keyframe)
            p->l.keyframe(p->l.ctx, p);
    }
}

void yt__peer_srtp(yt_peer_t *p, uint8_t *buf, size_t len, uint64_t now_us)
{
    /* RFC 5761 section 4: RTCP packet types 192-223 in the second byte. */
    if (buf[1] >= 192 && buf[1] <= 223) {
        if (yh_srtp_unprotect_rtcp(p->srtp, buf, &len) == 0)
            on_rtcp(p, buf, len, now_us);
        else
            p->srtp_errors++;
    } else if (yh_srtp_unprotect_rtp(p->srtp, buf, &len) == 0) {
        on_rtp(p, buf, len, now_us);
    } else {
        p->srtp_errors++;
    }
}
