/*
 * The packet path of a media worker: RFC 7983 demultiplexing, ICE-lite
 * answers, DTLS, and for SRTP the forwarding of each publisher packet to
 * every subscription of its track with the subscriber's own SSRC, sequence
 * numbers, timestamps and header extensions. RTCP feedback from subscribers
 * becomes retransmissions (NACK) and rate-limited keyframe requests (PLI,
 * FIR); the worker originates receiver reports and TWCC feedback toward
 * publishers and translated sender reports toward subscribers.
 * Nothing here allocates: packets are written straight into send slots.
 */
#include <string.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "rtcp/rtcp.h"
#include "rtp/rtp.h"
#include "sfu/worker.h"
#include "stun/stun.h"

static yh_tp_t *tp_by_addr(yh_worker_t *w, const struct sockaddr *from)
{
    uint64_t key = yh_addr_hash(from);
    yh_tp_t *tp = yh_map_get(&w->by_addr, key ? key : 1);
    if (!tp)
        return NULL;
    const struct sockaddr *a = yh_transport_addr(tp->t);
    return a && yh_addr_equal(a, from) ? tp : NULL;
}

void yh_router_send_rtcp(yh_worker_t *w, yh_tp_t *tp, const uint8_t *pkt, size_t len)
{
    const struct sockaddr *to = yh_transport_addr(tp->t);
    if (!to || !tp->t->srtp || len + YH_SRTP_MAX_OVERHEAD > YH_UDP_BUFSZ)
        return;
    uint8_t *slot = yh_udp_slot(w->udp);
    memcpy(slot, pkt, len);
    if (yh_srtp_protect_rtcp(tp->t->srtp, slot, &len, YH_UDP_BUFSZ) < 0)
        return;
    yh_udp_commit(w->udp, len, to);
}

void yh_router_request_keyframe(yh_worker_t *w, yh_track_t *tr)
{
    if (!tr->tp || !tr->tp->t->srtp || !tr->p.ssrc) {
        tr->pli_pending = 1;
        return;
    }
    if (tr->last_pli_us && w->now_us - tr->last_pli_us < YH_SFU_PLI_INTERVAL_US) {
        tr->pli_pending = 1;
        return;
    }
    uint8_t pkt[16];
    int n = yh_rtcp_build_pli(pkt, sizeof pkt, YH_SFU_RTCP_SSRC, tr->p.ssrc);
    if (n > 0)
        yh_router_send_rtcp(w, tr->tp, pkt, (size_t)n);
    tr->last_pli_us = w->now_us;
    tr->pli_pending = 0;
}

/* Writes one packet for a subscriber: new header and extensions, the
 * publisher's payload, SRTP. `level` is the RFC 6464 byte or -1. */
static void emit(yh_worker_t *w, yh_sub_t *sub, const uint8_t *pkt, const yh_rtp_hdr_t *h,
                 uint16_t seq, uint32_t ts, int level)
{
    yh_tp_t *tp = sub->tp;
    const struct sockaddr *to = yh_transport_addr(tp->t);
    if (!to || !tp->t->srtp)
        return;
    yh_rtp_ext_elem_t ext[3];
    size_t n = 0;
    if (tp->p.ext.abs_send_time)
        yh_rtp_ext_set_abs_send_time(&ext[n++], tp->p.ext.abs_send_time, w->now_ntp);
    if (tp->p.ext.twcc)
        yh_rtp_ext_set_twcc_seq(&ext[n++], tp->p.ext.twcc, tp->twcc_out++);
    if (tp->p.ext.audio_level && level >= 0)
        yh_rtp_ext_set_audio_level(&ext[n++], tp->p.ext.audio_level, (uint8_t)(level & 0x7f),
                                   level >> 7);
    uint8_t *slot = yh_udp_slot(w->udp);
    int hl = yh_rtp_write_header(slot, YH_UDP_BUFSZ, h->marker, sub->p.pt, seq, ts, sub->p.ssrc,
                                 ext, n);
    size_t body = h->payload_len + h->pad_len;
    if (hl < 0 || (size_t)hl + body + YH_SRTP_MAX_OVERHEAD > YH_UDP_BUFSZ)
        return;
    memcpy(slot + hl, pkt + h->payload_off, body);
    if (h->pad_len)
        slot[0] |= 0x20;
    size_t len = (size_t)hl + body;
    if (yh_srtp_protect_rtp(tp->t->srtp, slot, &len, YH_UDP_BUFSZ) < 0)
        return;
    yh_udp_commit(w->udp, len, to);
    sub->packets++;
    sub->octets += (uint32_t)h->payload_len;
}

static void forward(yh_worker_t *w, yh_sub_t *sub, const uint8_t *pkt, const yh_rtp_hdr_t *h,
                    int keyframe, int level)
{
    if (!sub->tp || !sub->tp->t->srtp)
        return;
    yh_track_t *tr = sub->track;
    if (sub->need_keyframe) {
        /* A decoder can only start at a keyframe: anything before it would
         * be garbage to the subscriber. */
        if (!keyframe) {
            yh_router_request_keyframe(w, tr);
            return;
        }
        sub->need_keyframe = 0;
    }
    uint16_t seq;
    uint32_t ts;
    if (yh_rtp_rewriter_map(&sub->rw, h->seq, h->ts, tr->p.clock_rate, w->now_us, &seq, &ts) < 0)
        return;
    emit(w, sub, pkt, h, seq, ts, level);
}

static yh_track_t *find_track(yh_tp_t *tp, const uint8_t *buf, const yh_rtp_hdr_t *h)
{
    for (size_t i = 0; i < tp->tracks.n; i++) {
        yh_track_t *tr = tp->tracks.items[i];
        if (tr->p.ssrc == h->ssrc)
            return tr;
    }
    /* No a=ssrc in the offer: bind the SSRC through the MID extension
     * (RFC 8843 section 9.2). */
    const uint8_t *d;
    size_t dl;
    char mid[33];
    if (!tp->p.ext.mid || yh_rtp_ext_find(buf, h, tp->p.ext.mid, &d, &dl) < 0 ||
        yh_rtp_ext_string(d, dl, mid, sizeof mid) < 0)
        return NULL;
    for (size_t i = 0; i < tp->tracks.n; i++) {
        yh_track_t *tr = tp->tracks.items[i];
        /* Only the media payload type binds: RTX (probes, retransmissions)
         * carries the same MID on its own SSRC. */
        if (tr->p.ssrc == 0 && h->pt == tr->p.pt && strcmp(tr->p.mid, mid) == 0) {
            tr->p.ssrc = h->ssrc;
            return tr;
        }
    }
    return NULL;
}

/* Everything done with one media packet of a track, original or recovered:
 * statistics, the retransmission buffer, audio level, keyframe detection,
 * and forwarding to every subscription. */
static void on_media(yh_worker_t *w, yh_tp_t *tp, yh_track_t *tr, const uint8_t *buf, size_t len,
                     const yh_rtp_hdr_t *h)
{
    const uint8_t *d;
    size_t dl;
    yh_rtp_recvstats_update(&tr->stats, h->seq, h->ts, len, w->now_us);
    tr->receiving = 1;
    if (tr->rtx)
        yh_rtxbuf_put(tr->rtx, h->seq, buf, len, w->now_us);
    int level = -1, keyframe = 0;
    const uint8_t *payload = buf + h->payload_off;
    if (tr->p.kind == YH_SFU_AUDIO) {
        uint8_t lv;
        int voice;
        if (tp->p.ext.audio_level && yh_rtp_ext_find(buf, h, tp->p.ext.audio_level, &d, &dl) == 0 &&
            yh_rtp_ext_audio_level(d, dl, &lv, &voice) == 0) {
            level = (voice ? 0x80 : 0) | lv;
            tr->level_sum += lv;
            tr->level_count++;
            tr->voice_count += voice ? 1u : 0u;
        }
    } else if (tr->p.codec == YH_SFU_CODEC_VP8) {
        keyframe = yh_vp8_is_keyframe(payload, h->payload_len);
    } else if (tr->p.codec == YH_SFU_CODEC_H264) {
        keyframe = yh_h264_is_keyframe(payload, h->payload_len);
    }
    if (tr->muted)
        return;
    for (size_t i = 0; i < tr->subs.n; i++)
        forward(w, tr->subs.items[i], buf, h, keyframe, level);
}

static yh_track_t *find_rtx_track(yh_tp_t *tp, const uint8_t *buf, const yh_rtp_hdr_t *h)
{
    const uint8_t *d;
    size_t dl;
    char mid[33] = "";
    for (size_t i = 0; i < tp->tracks.n; i++) {
        yh_track_t *tr = tp->tracks.items[i];
        if (!tr->p.rtx_pt || h->pt != tr->p.rtx_pt)
            continue;
        if (tr->p.rtx_ssrc == h->ssrc)
            return tr;
        /* No FID group in the offer: bind the RTX SSRC by its MID. */
        if (!tr->p.rtx_ssrc && !mid[0] && tp->p.ext.mid &&
            yh_rtp_ext_find(buf, h, tp->p.ext.mid, &d, &dl) == 0)
            yh_rtp_ext_string(d, dl, mid, sizeof mid);
        if (!tr->p.rtx_ssrc && mid[0] && strcmp(tr->p.mid, mid) == 0) {
            tr->p.rtx_ssrc = h->ssrc;
            return tr;
        }
    }
    return NULL;
}

/* RFC 4588 section 4: an RTX packet carries the original sequence number
 * in its first two payload bytes. Only packets this server asked for are
 * unwrapped and forwarded; the rest (bandwidth probes that repeat packets
 * already received, padding) only counted for TWCC. */
static void on_rtx(yh_worker_t *w, yh_tp_t *tp, const uint8_t *buf, const yh_rtp_hdr_t *h)
{
    yh_track_t *tr = find_rtx_track(tp, buf, h);
    if (!tr || !tr->nack || h->payload_len < 2)
        return;
    uint16_t osn = rd_be16(buf + h->payload_off);
    if (!yh_nackgen_is_missing(tr->nack, osn))
        return;
    yh_nackgen_on_packet(tr->nack, osn, w->now_us);
    uint8_t *orig = w->rtx_scratch;
    int hl = yh_rtp_write_header(orig, sizeof w->rtx_scratch, h->marker, tr->p.pt, osn, h->ts,
                                 tr->p.ssrc, NULL, 0);
    size_t body = h->payload_len - 2;
    yh_rtp_hdr_t oh;
    if (hl < 0 || (size_t)hl + body > sizeof w->rtx_scratch)
        return;
    memcpy(orig + hl, buf + h->payload_off + 2, body);
    if (yh_rtp_parse(orig, (size_t)hl + body, &oh) == 0)
        on_media(w, tp, tr, orig, (size_t)hl + body, &oh);
}

static void on_rtp(yh_worker_t *w, yh_tp_t *tp, const uint8_t *buf, size_t len)
{
    yh_rtp_hdr_t h;
    if (!tp->p.publisher || yh_rtp_parse(buf, len, &h) < 0)
        return;
    const uint8_t *d;
    size_t dl;
    uint16_t tseq;
    if (tp->rec && tp->p.ext.twcc && yh_rtp_ext_find(buf, &h, tp->p.ext.twcc, &d, &dl) == 0 &&
        yh_rtp_ext_twcc_seq(d, dl, &tseq) == 0)
        yh_twcc_rec_add(tp->rec, tseq, w->now_us);
    yh_track_t *tr = find_track(tp, buf, &h);
    if (!tr) {
        on_rtx(w, tp, buf, &h);
        return;
    }
    if (h.pt != tr->p.pt)
        return;
    if (tr->nack)
        yh_nackgen_on_packet(tr->nack, h.seq, w->now_us);
    on_media(w, tp, tr, buf, len, &h);
}

static yh_sub_t *sub_by_ssrc(yh_tp_t *tp, uint32_t ssrc)
{
    for (size_t i = 0; i < tp->subs.n; i++) {
        yh_sub_t *sub = tp->subs.items[i];
        if (sub->p.ssrc == ssrc)
            return sub;
    }
    return NULL;
}

/* RFC 4585 6.2.1: answer a subscriber's NACK from the track's buffer. */
static void on_nack(yh_worker_t *w, yh_tp_t *tp, const yh_rtcp_pkt_t *p)
{
    yh_rtcp_fb_t fb;
    uint16_t lost[YH_RTCP_MAX_NACK];
    size_t n;
    if (yh_rtcp_parse_nack(p, &fb, lost, YH_RTCP_MAX_NACK, &n) < 0)
        return;
    yh_sub_t *sub = sub_by_ssrc(tp, fb.media_ssrc);
    if (!sub || !sub->track || !sub->track->rtx)
        return;
    for (size_t i = 0; i < n; i++) {
        uint16_t seq_in;
        const uint8_t *pkt;
        size_t len;
        uint64_t at;
        yh_rtp_hdr_t h;
        if (yh_rtp_rewriter_unmap_seq(&sub->rw, lost[i], &seq_in) < 0 ||
            yh_rtxbuf_get(sub->track->rtx, seq_in, &pkt, &len, &at) < 0 ||
            w->now_us - at > YH_SFU_RTX_MAX_AGE_US || yh_rtp_parse(pkt, len, &h) < 0)
            continue;
        emit(w, sub, pkt, &h, lost[i], h.ts + sub->rw.ts_offset, -1);
    }
}

static void on_keyframe_request(yh_worker_t *w, yh_tp_t *tp, uint32_t ssrc)
{
    yh_sub_t *sub = sub_by_ssrc(tp, ssrc);
    if (sub && sub->track && sub->track->p.kind == YH_SFU_VIDEO)
        yh_router_request_keyframe(w, sub->track);
}

static void on_sr(yh_worker_t *w, yh_tp_t *tp, const yh_rtcp_pkt_t *p)
{
    yh_rtcp_sr_t sr;
    if (!tp->p.publisher || yh_rtcp_parse_sr(p, &sr) < 0)
        return;
    for (size_t i = 0; i < tp->tracks.n; i++) {
        yh_track_t *tr = tp->tracks.items[i];
        if (tr->p.ssrc != sr.ssrc)
            continue;
        tr->has_sr = 1;
        tr->sr_ntp = sr.ntp;
        tr->sr_rtp = sr.rtp_ts;
        tr->sr_us = w->now_us;
        yh_rtp_recvstats_sr(&tr->stats, sr.ntp, w->now_us);
    }
}

static void on_rtcp(yh_worker_t *w, yh_tp_t *tp, const uint8_t *buf, size_t len)
{
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    yh_rtcp_fb_t fb;
    uint32_t ssrc;
    uint8_t fir_seq;
    yh_rtcp_iter_init(&it, buf, len);
    while (yh_rtcp_next(&it, &p) == 1) {
        if (p.pt == YH_RTCP_SR) {
            on_sr(w, tp, &p);
        } else if (p.pt == YH_RTCP_RTPFB && p.count == 1) {
            on_nack(w, tp, &p);
        } else if (p.pt == YH_RTCP_PSFB && p.count == 1) {
            if (yh_rtcp_parse_pli(&p, &fb) == 0)
                on_keyframe_request(w, tp, fb.media_ssrc);
        } else if (p.pt == YH_RTCP_PSFB && p.count == 4) {
            if (yh_rtcp_parse_fir(&p, &fb, &ssrc, &fir_seq) == 0)
                on_keyframe_request(w, tp, ssrc);
        }
    }
}

static void on_stun(yh_worker_t *w, const uint8_t *buf, size_t len, const struct sockaddr *from)
{
    yh_stun_msg_t msg;
    char ufrag[YH_ICE_UFRAG_MAX + 1];
    if (yh_stun_parse(buf, len, &msg) < 0 || msg.type != YH_STUN_BINDING_REQUEST ||
        yh_stun_username_local(&msg, ufrag, sizeof ufrag) < 0)
        return;
    yh_tp_t *tp = yh_map_get(&w->by_ufrag, yh_map_hash_str(ufrag));
    if (!tp || strcmp(tp->p.local_ufrag, ufrag) != 0)
        return;
    uint8_t resp[512];
    int moved = 0;
    int n = yh_transport_handle_stun(tp->t, buf, len, &msg, from, w->now_us, resp, sizeof resp,
                                     &moved);
    if (n <= 0)
        return;
    yh_udp_send(w->udp, resp, (size_t)n, from);
    if (moved)
        yh_worker_index_addr(w, tp);
}

void yh_router_datagram(yh_worker_t *w, uint8_t *buf, size_t len, const struct sockaddr *from)
{
    if (len < 2)
        return;
    uint8_t b = buf[0];
    /* RFC 7983 section 7: the first byte tells STUN, DTLS and SRTP apart. */
    if (b < 4) {
        on_stun(w, buf, len, from);
        return;
    }
    yh_tp_t *tp = tp_by_addr(w, from);
    if (!tp) {
        w->dropped_unknown++;
        return;
    }
    if (b >= 20 && b < 64) {
        yh_transport_handle_dtls(tp->t, buf, len);
    } else if (b >= 128 && b < 192 && tp->t->srtp) {
        /* RFC 5761 section 4: RTCP packet types 192-223 in the second byte. */
        if (buf[1] >= 192 && buf[1] <= 223) {
            if (yh_srtp_unprotect_rtcp(tp->t->srtp, buf, &len) == 0)
                on_rtcp(w, tp, buf, len);
        } else if (yh_srtp_unprotect_rtp(tp->t->srtp, buf, &len) == 0) {
            on_rtp(w, tp, buf, len);
        }
    }
}
