/*
 * The packet path of a media worker: RFC 7983 demultiplexing, ICE-lite
 * answers, DTLS, and for SRTP each publisher packet matched to its track
 * and simulcast layer, recorded, and handed to every subscription
 * (forward.c). RTCP feedback from subscribers becomes retransmissions
 * (NACK) and rate-limited keyframe requests (PLI, FIR); publishers' RTX
 * fills gaps the worker asked for. Nothing here allocates.
 */
#include <string.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "rtcp/rtcp.h"
#include "rtp/red.h"
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

void yh_router_request_keyframe(yh_worker_t *w, yh_track_t *tr, int layer)
{
    yh_layer_t *L = &tr->layers[layer];
    if (!tr->tp || !tr->tp->t->srtp || !L->ssrc) {
        L->pli_pending = 1;
        return;
    }
    if (L->last_pli_us && w->now_us - L->last_pli_us < YH_SFU_PLI_INTERVAL_US) {
        L->pli_pending = 1;
        return;
    }
    uint8_t pkt[16];
    int n = yh_rtcp_build_pli(pkt, sizeof pkt, YH_SFU_RTCP_SSRC, L->ssrc);
    if (n > 0)
        yh_router_send_rtcp(w, tr->tp, pkt, (size_t)n);
    L->last_pli_us = w->now_us;
    L->pli_pending = 0;
    YH_LOGD("keyframe", "track %u layer %d: asked for", tr->p.id, layer);
}

static int ext_string(const uint8_t *buf, const yh_rtp_hdr_t *h, uint8_t id, char *out,
                      size_t cap)
{
    const uint8_t *d;
    size_t dl;
    out[0] = '\0';
    return id && yh_rtp_ext_find(buf, h, id, &d, &dl) == 0 &&
           yh_rtp_ext_string(d, dl, out, cap) == 0 && out[0];
}

static int rid_index(const yh_track_t *tr, const char *rid)
{
    for (int l = 0; l < tr->n_layers && l < tr->p.n_layers; l++)
        if (strcmp(tr->p.rids[l], rid) == 0)
            return l;
    return -1;
}

/* Binds an unknown SSRC to a track's layer through the MID and RID (or
 * repaired RID for RTX) header extensions (RFC 8843 9.2, RFC 8852). */
static yh_track_t *bind_ssrc(yh_tp_t *tp, const uint8_t *buf, const yh_rtp_hdr_t *h, int *layer,
                             int *rtx)
{
    char mid[33], rid[YH_SFU_RID_MAX + 1];
    int has_mid = ext_string(buf, h, tp->p.ext.mid, mid, sizeof mid);
    for (size_t i = 0; i < tp->tracks.n; i++) {
        yh_track_t *tr = tp->tracks.items[i];
        int media = h->pt == tr->p.pt || (tr->p.red_pt && h->pt == tr->p.red_pt);
        int repair = tr->p.rtx_pt && h->pt == tr->p.rtx_pt;
        if ((!media && !repair) || (has_mid && strcmp(tr->p.mid, mid) != 0))
            continue;
        int l = 0;
        if (tr->p.n_layers) {
            uint8_t id = media ? tp->p.ext.rid : tp->p.ext.repaired_rid;
            if (!ext_string(buf, h, id, rid, sizeof rid) || (l = rid_index(tr, rid)) < 0)
                continue;
        } else if (!has_mid) {
            continue;
        }
        yh_layer_t *L = &tr->layers[l];
        uint32_t *slot = media ? &L->ssrc : &L->rtx_ssrc;
        if (*slot)
            continue;
        *slot = h->ssrc;
        *layer = l;
        *rtx = repair;
        return tr;
    }
    return NULL;
}

/* The track and layer of an RTP packet, by SSRC or by binding it. */
static yh_track_t *classify(yh_tp_t *tp, const uint8_t *buf, const yh_rtp_hdr_t *h, int *layer,
                            int *rtx)
{
    for (size_t i = 0; i < tp->tracks.n; i++) {
        yh_track_t *tr = tp->tracks.items[i];
        for (int l = 0; l < tr->n_layers; l++) {
            if (tr->layers[l].ssrc == h->ssrc || (tr->layers[l].rtx_ssrc == h->ssrc && h->ssrc)) {
                *layer = l;
                *rtx = tr->layers[l].ssrc != h->ssrc;
                return tr;
            }
        }
    }
    return bind_ssrc(tp, buf, h, layer, rtx);
}

/* RFC 2198: where the primary block of a RED packet is, for subscribers
 * that take it alone. Every block must fit and the primary must be the
 * track's codec; anything else is dropped (counted, not logged: it would
 * repeat for every packet). */
static int red_primary(yh_worker_t *w, const yh_track_t *tr, const uint8_t *payload,
                       const yh_rtp_hdr_t *h, yh_pkt_info_t *pi)
{
    uint8_t pt;
    if (!tr->p.red_pt || h->pt != tr->p.red_pt)
        return 0;
    if (yh_red_primary(payload, h->payload_len, &pi->red_off, &pi->red_len, &pt) < 0 ||
        pt != tr->p.pt) {
        w->dropped_red++;
        return -1;
    }
    pi->red = 1;
    return 0;
}

void yh_router_video_info(const yh_track_t *tr, const uint8_t *payload, size_t len,
                          yh_pkt_info_t *pi)
{
    *pi = (yh_pkt_info_t){.level = -1, .tid = -1, .pid = -1};
    if (tr->p.codec != YH_SFU_CODEC_VP8) {
        pi->keyframe = yh_h264_is_keyframe(payload, len);
        return;
    }
    yh_vp8_desc_t vd;
    if (yh_vp8_parse_desc(payload, len, &vd) < 0)
        return;
    pi->keyframe = yh_vp8_desc_is_keyframe(&vd, payload, len);
    pi->tid = vd.has_tid ? vd.tid : -1;
    pi->sync = vd.layer_sync;
    pi->pid = vd.has_picture_id ? vd.picture_id : -1;
    pi->pid_mask = vd.picture_id_15 ? 0x7fff : 0x7f;
}

/* Everything done with one media packet of a layer, original or recovered:
 * statistics, the retransmission buffer, audio level, keyframe detection,
 * and forwarding to every subscription. */
static void on_media(yh_worker_t *w, yh_tp_t *tp, yh_track_t *tr, int layer, const uint8_t *buf,
                     size_t len, const yh_rtp_hdr_t *h)
{
    yh_layer_t *L = &tr->layers[layer];
    const uint8_t *d;
    size_t dl;
    yh_rtp_recvstats_update(&L->stats, h->seq, h->ts, len, w->now_us);
    L->receiving = 1;
    L->last_packet_us = w->now_us;
    L->window_bytes += len;
    if (L->rtx)
        yh_rtxbuf_put(L->rtx, h->seq, buf, len, w->now_us);
    yh_pkt_info_t pi = {.keyframe = 1, .level = -1, .tid = -1, .pid = -1}; /* audio: anywhere */
    const uint8_t *payload = buf + h->payload_off;
    if (tr->p.kind == YH_SFU_AUDIO) {
        uint8_t lv;
        int voice;
        if (tp->p.ext.audio_level && yh_rtp_ext_find(buf, h, tp->p.ext.audio_level, &d, &dl) == 0 &&
            yh_rtp_ext_audio_level(d, dl, &lv, &voice) == 0) {
            pi.level = (voice ? 0x80 : 0) | lv;
            tr->level_sum += lv;
            tr->level_count++;
            tr->voice_count += voice ? 1u : 0u;
        }
        if (red_primary(w, tr, payload, h, &pi) < 0)
            return;
    } else {
        yh_router_video_info(tr, payload, h->payload_len, &pi);
    }
    /* A keyframe answers every request made before it: one still pending
     * (held back by the interval) would bring another, on every layer
     * with Chromium's simulcast, half a second after the switch it was
     * for. Its first packet is where a switch to the layer may start
     * (forward.c, replay_keyframe). */
    if (pi.keyframe && tr->p.kind == YH_SFU_VIDEO) {
        L->pli_pending = 0;
        if (!L->has_key || (int32_t)(h->ts - L->key_ts) > 0 ||
            (h->ts == L->key_ts && yh_seq_lt(h->seq, L->key_seq))) {
            L->has_key = 1;
            L->key_seq = h->seq;
            L->key_ts = h->ts;
            L->key_us = w->now_us;
        }
        YH_LOGD("keyframe", "track %u layer %d: arrived, %llu ms after the last request", tr->p.id,
                layer,
                (unsigned long long)(L->last_pli_us ? (w->now_us - L->last_pli_us) / 1000u : 0));
    }
    L->window_tid_bytes[pi.tid > 0 ? pi.tid : 0] += len;
    L->window_tid_frames[pi.tid > 0 ? pi.tid : 0] += h->marker;
    if (tr->muted)
        return;
    for (size_t i = 0; i < tr->subs.n; i++)
        yh_forward(w, tr->subs.items[i], layer, buf, h, &pi);
}

/* A sample is longer than the round trip when a request or its answer was
 * lost and a retry was answered, and shorter when the publisher happened
 * to repeat the packet unasked (Chromium probes with copies of recent
 * packets on RTX); the median of the last few is neither. */
static void add_rtt_up(yh_track_t *tr, uint64_t us)
{
    uint32_t *v = tr->rtt_up_samples, sorted[YH_SFU_RTT_SAMPLES];
    v[tr->rtt_up_n++ % YH_SFU_RTT_SAMPLES] = (uint32_t)us;
    unsigned n = tr->rtt_up_n < YH_SFU_RTT_SAMPLES ? tr->rtt_up_n : YH_SFU_RTT_SAMPLES;
    for (unsigned i = 0; i < n; i++) { /* insertion sort: a handful */
        unsigned j = i;
        for (; j > 0 && sorted[j - 1] > v[i]; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = v[i];
    }
    tr->rtt_up_us = sorted[n / 2];
}

/* RFC 4588 section 4: an RTX packet carries the original sequence number
 * in its first two payload bytes. Only packets this server asked for are
 * unwrapped and forwarded; the rest (bandwidth probes that repeat packets
 * already received, padding) only counted for TWCC. */
static void on_rtx(yh_worker_t *w, yh_tp_t *tp, yh_track_t *tr, int layer, const uint8_t *buf,
                   const yh_rtp_hdr_t *h)
{
    yh_layer_t *L = &tr->layers[layer];
    if (!L->nack || h->payload_len < 2 || !L->ssrc)
        return;
    uint16_t osn = rd_be16(buf + h->payload_off);
    uint64_t asked;
    if (!yh_nackgen_is_missing(L->nack, osn))
        return;
    /* First NACK to retransmission: the publisher's round trip, for the
     * subscribers' playout floor (reports.c). */
    if (yh_nackgen_asked_at(L->nack, osn, &asked) == 0 && w->now_us - asked < 2000000u)
        add_rtt_up(tr, w->now_us - asked);
    yh_nackgen_on_packet(L->nack, osn, w->now_us);
    uint8_t *orig = w->rtx_scratch;
    int hl = yh_rtp_write_header(orig, sizeof w->rtx_scratch, h->marker, tr->p.pt, osn, h->ts,
                                 L->ssrc, NULL, 0);
    size_t body = h->payload_len - 2;
    yh_rtp_hdr_t oh;
    if (hl < 0 || (size_t)hl + body > sizeof w->rtx_scratch)
        return;
    memcpy(orig + hl, buf + h->payload_off + 2, body);
    if (yh_rtp_parse(orig, (size_t)hl + body, &oh) == 0)
        on_media(w, tp, tr, layer, orig, (size_t)hl + body, &oh);
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
        yh_twcc_rec_add(tp->rec, tseq, w->rx_us);
    int layer = 0, rtx = 0;
    yh_track_t *tr = classify(tp, buf, &h, &layer, &rtx);
    if (!tr)
        return;
    if (rtx) {
        on_rtx(w, tp, tr, layer, buf, &h);
        return;
    }
    if (h.pt != tr->p.pt && (!tr->p.red_pt || h.pt != tr->p.red_pt))
        return;
    yh_nackgen_t *g = tr->layers[layer].nack;
    if (g) {
        size_t missing = g->n;
        yh_nackgen_on_packet(g, h.seq, w->now_us);
        tr->up_pkts++;
        if (g->n > missing) { /* a gap: ask at once, not at the next tick */
            tr->up_missing += (uint32_t)(g->n - missing);
            yh_router_send_nack(w, tp, tr, layer);
        }
    }
    on_media(w, tp, tr, layer, buf, len, &h);
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

static void on_nack(yh_worker_t *w, yh_tp_t *tp, const yh_rtcp_pkt_t *p)
{
    yh_rtcp_fb_t fb;
    uint16_t lost[YH_RTCP_MAX_NACK];
    size_t n;
    if (yh_rtcp_parse_nack(p, &fb, lost, YH_RTCP_MAX_NACK, &n) < 0)
        return;
    yh_sub_t *sub = sub_by_ssrc(tp, fb.media_ssrc);
    if (sub)
        yh_forward_resend(w, sub, lost, n);
}

static void on_keyframe_request(yh_worker_t *w, yh_tp_t *tp, uint32_t ssrc)
{
    yh_sub_t *sub = sub_by_ssrc(tp, ssrc);
    if (sub && sub->track && sub->track->p.kind == YH_SFU_VIDEO && sub->cur >= 0)
        yh_router_request_keyframe(w, sub->track, sub->cur);
}

static void on_sr(yh_worker_t *w, yh_tp_t *tp, const yh_rtcp_pkt_t *p)
{
    yh_rtcp_sr_t sr;
    if (!tp->p.publisher || yh_rtcp_parse_sr(p, &sr) < 0)
        return;
    for (size_t i = 0; i < tp->tracks.n; i++) {
        yh_track_t *tr = tp->tracks.items[i];
        for (int l = 0; l < tr->n_layers; l++) {
            yh_layer_t *L = &tr->layers[l];
            if (L->ssrc != sr.ssrc)
                continue;
            L->has_sr = 1;
            L->sr_ntp = sr.ntp;
            L->sr_rtp = sr.rtp_ts;
            L->sr_us = w->now_us;
            yh_rtp_recvstats_sr(&L->stats, sr.ntp, w->now_us);
        }
    }
}

/* Transport-wide feedback from a subscriber feeds its downlink estimate,
 * and tells which packets to resend unasked (forward.c) and how lossy the
 * path is before repair: receiver reports count a retransmitted packet as
 * received. The loss is measured over windows of RAW_LOSS_WINDOW packets;
 * it goes up within one once RAW_LOSS_FIRST_N losses show more. */
#define RAW_LOSS_WINDOW 200u
#define RAW_LOSS_FIRST_N 3u
static void on_twcc(yh_worker_t *w, yh_tp_t *tp, const yh_rtcp_pkt_t *p)
{
    yh_rtcp_twcc_t tw;
    if (!tp->bwe || yh_rtcp_parse_twcc(p, &tw, w->twcc_scratch, YH_RTCP_MAX_TWCC) < 0)
        return;
    if (yh_bwe_on_feedback(tp->bwe, &tw, w->twcc_scratch, tw.n, w->now_us) == 0)
        tp->bwe_fed = 1;
    yh_router_estimate_changed(w, tp); /* before the resends: a layer may stop */
    for (size_t i = 0; i < tw.n; i++)
        if (!w->twcc_scratch[i].received) {
            tp->fb_lost++;
            yh_forward_on_lost(w, tp, w->twcc_scratch[i].seq);
        }
    tp->fb_pkts += (uint32_t)tw.n;
    if (!tp->fb_pkts)
        return;
    uint8_t pct = (uint8_t)(tp->fb_lost * 100u / tp->fb_pkts);
    if (tp->fb_pkts >= RAW_LOSS_WINDOW) {
        tp->raw_loss_pct = pct;
        tp->fb_pkts = tp->fb_lost = 0;
    } else if (tp->fb_lost >= RAW_LOSS_FIRST_N && pct > tp->raw_loss_pct) {
        tp->raw_loss_pct = pct; /* a loss that began: no need to wait for the window */
    }
}

/* A subscriber's receiver report: the worst loss among its streams for the
 * loss-based estimate, and the round-trip time from LSR/DLSR (RFC 3550
 * 6.4.1) of our translated sender reports. */
static void on_rr(yh_worker_t *w, yh_tp_t *tp, const yh_rtcp_pkt_t *p)
{
    yh_rtcp_rr_t rr;
    if (!tp->bwe || yh_rtcp_parse_rr(p, &rr) < 0 || !rr.n_reports)
        return;
    uint8_t worst = 0;
    for (uint8_t i = 0; i < rr.n_reports; i++) {
        const yh_rtcp_report_block_t *rb = &rr.reports[i];
        yh_sub_t *sub = sub_by_ssrc(tp, rb->ssrc);
        if (!sub)
            continue;
        sub->rr_lost = rb->fraction_lost;
        sub->rr_lost_us = w->now_us;
        if (rb->fraction_lost > worst)
            worst = rb->fraction_lost;
        /* LSR echoes the publisher's clock (send_sr translates its
         * report), not ours: the round trip is timed from when that
         * report left, RFC 3550 6.4.1's A - LSR - DLSR on one clock. */
        if (rb->lsr && rb->lsr == sub->sr_mid && sub->sr_us) {
            uint64_t held = (uint64_t)rb->dlsr * 1000000u / 65536u;
            uint64_t since = w->now_us - sub->sr_us;
            if (since >= held && since - held < 5000000u) {
                tp->rtt_us = since - held;
                yh_bwe_set_rtt(tp->bwe, tp->rtt_us);
            }
        }
    }
    yh_bwe_on_loss_report(tp->bwe, worst, w->now_us);
    yh_router_estimate_changed(w, tp);
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
        } else if (p.pt == YH_RTCP_RR) {
            on_rr(w, tp, &p);
        } else if (p.pt == YH_RTCP_RTPFB && p.count == 15) {
            on_twcc(w, tp, &p);
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
        int rtcp = buf[1] >= 192 && buf[1] <= 223;
        int ok = rtcp ? yh_srtp_unprotect_rtcp(tp->t->srtp, buf, &len) == 0
                      : yh_srtp_unprotect_rtp(tp->t->srtp, buf, &len) == 0;
        if (!ok)
            return;
        if (tp->t->dtls)
            yh_transport_settle(tp->t);
        if (rtcp)
            on_rtcp(w, tp, buf, len);
        else
            on_rtp(w, tp, buf, len);
    }
}
