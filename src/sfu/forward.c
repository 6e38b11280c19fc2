/*
 * Writing one publisher packet for one subscriber: which simulcast layer it
 * receives (switching only at a keyframe of the new layer), sequence number
 * and timestamp rewriting, VP8 picture id continuity, new header
 * extensions, SRTP, straight into a send slot; RFC 2198 redundant audio
 * whole or reduced to its primary block. Also retransmissions answering a
 * subscriber's NACK from the layer's buffer.
 */
#include <string.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/rand.h"
#include "rtp/red.h"
#include "rtp/rtp.h"
#include "sfu/worker.h"

#define LAYER_ACTIVE_US 500000u     /* silence that ends a layer, at most ... */
#define LAYER_ACTIVE_MIN_US 250000u /* ... and at least */
#define SMOOTH_FPS10 65             /* x10: frames a second that still move */

/* The layer a subscriber should receive: the highest one still arriving
 * within its limit, else the lowest one arriving. */
static int limit_of(const yh_sub_t *sub)
{
    return sub->max_layer < sub->bwe_layer ? sub->max_layer : sub->bwe_layer;
}

/* A publisher stops sending a simulcast layer when its own estimate no
 * longer covers it: a layer is taken for gone once three of its frame
 * intervals (at least a quarter second) pass without a packet, so its
 * subscribers move to a lower one before the picture has stood still long. */
static uint64_t layer_silence_us(const yh_layer_t *L)
{
    unsigned fps10 = L->n_tids ? L->tid_fps10[L->n_tids - 1] : 0;
    uint64_t us = fps10 ? 3u * 10000000u / fps10 : LAYER_ACTIVE_US;
    if (us < LAYER_ACTIVE_MIN_US)
        return LAYER_ACTIVE_MIN_US;
    return us > LAYER_ACTIVE_US ? LAYER_ACTIVE_US : us;
}

static int pick_target(const yh_worker_t *w, const yh_sub_t *sub, const yh_track_t *tr)
{
    int best = -1, lowest = -1, limit = limit_of(sub);
    for (int l = 0; l < tr->n_layers; l++) {
        const yh_layer_t *L = &tr->layers[l];
        if (!L->ssrc || w->now_us - L->last_packet_us > layer_silence_us(L))
            continue;
        if (lowest < 0)
            lowest = l;
        if (l <= limit)
            best = l;
    }
    return best >= 0 ? best : lowest;
}

/* The layer to switch down to from `layer`, or -1 when none is arriving. */
static int lower_target(const yh_worker_t *w, const yh_sub_t *sub, const yh_track_t *tr, int layer)
{
    int t = pick_target(w, sub, tr);
    return t >= 0 && t < layer ? t : -1;
}

/* RFC 7741 section 4.2: the output picture id of a packet (numskip.c keeps
 * it continuous across switches and dropped frames), or -1 when the packet
 * has none; YH_ERANGE when its picture is too old or was dropped. A new
 * source's first packet restarts the numbering right after the last
 * picture sent, in the source's picture-id width. */
static int vp8_pid_out(yh_sub_t *sub, int pid, uint16_t mask, int resend, int *out)
{
    uint16_t o;
    *out = -1;
    if (pid < 0)
        return 0;
    if ((sub->vp8_switch || !sub->vp8_started) && !resend) {
        uint16_t next = sub->vp8_started ? yh_numskip_next_out(&sub->pid) : (uint16_t)pid;
        if (sub->pid.mask != mask)
            yh_numskip_init(&sub->pid, mask);
        yh_numskip_start(&sub->pid, (uint16_t)pid, (uint16_t)(next & mask));
    }
    if (yh_numskip_map(&sub->pid, (uint16_t)pid, &o) < 0)
        return YH_ERANGE;
    *out = o;
    return 0;
}

/* Leaves a dropped frame's picture id out of the numbering. */
static void vp8_pid_drop(yh_sub_t *sub, int pid)
{
    if (sub->vp8_started && !sub->vp8_switch && pid >= 0)
        yh_numskip_drop(&sub->pid, (uint16_t)pid);
}

/* Writes the picture id from vp8_pid_out and moves TL0PICIDX by an
 * offset fixed at each switch, so the decoder sees one sequence. `p` is
 * the copy in the send slot. */
static void vp8_rewrite(yh_sub_t *sub, uint8_t *p, size_t len, int pid, int resend)
{
    if (len < 2 || !(p[0] & 0x80))
        return;
    uint8_t x = p[1];
    size_t off = 2;
    int restart = sub->vp8_switch || !sub->vp8_started;
    if (x & 0x80) {
        if (off >= len)
            return;
        int wide = p[off] & 0x80;
        if (wide && off + 2 > len)
            return;
        if (pid >= 0 && wide)
            wr_be16(p + off, (uint16_t)(0x8000 | pid));
        else if (pid >= 0)
            p[off] = (uint8_t)(pid & 0x7f);
        off += wide ? 2 : 1;
    }
    if (x & 0x40 && off < len) {
        if (restart && !resend)
            sub->tl0_offset = sub->vp8_started ? (uint8_t)(sub->last_tl0 + 1 - p[off]) : 0;
        p[off] = (uint8_t)(p[off] + sub->tl0_offset);
        if (!resend)
            sub->last_tl0 = p[off];
    }
    if (!resend) {
        sub->vp8_started = 1;
        sub->vp8_switch = 0;
    }
}

/* The next sequence number on the subscription's RTX stream (RFC 4588
 * section 4: its own random start). */
static uint16_t rtx_next_seq(yh_sub_t *sub)
{
    if (!sub->rtx_started) {
        sub->rtx_seq = (uint16_t)yh_rand_u32();
        sub->rtx_started = 1;
    }
    return sub->rtx_seq++;
}

/* Header extensions every packet to a subscriber carries; returns the
 * count and the transport-wide sequence number used. */
static size_t write_exts(yh_worker_t *w, yh_tp_t *tp, const yh_sub_t *sub,
                         yh_rtp_ext_elem_t ext[4], int level, uint16_t *twcc_seq)
{
    size_t n = 0;
    /* Video carries the receiver's playout floor (reports.c), always, so
     * that lifting it reaches the receiver too; the maximum is the
     * receiver's default (10 s). */
    if (tp->p.ext.playout_delay && sub && sub->track && sub->track->p.kind == YH_SFU_VIDEO)
        yh_rtp_ext_set_playout_delay(&ext[n++], tp->p.ext.playout_delay, sub->playout_ms, 10000);
    if (tp->p.ext.abs_send_time)
        yh_rtp_ext_set_abs_send_time(&ext[n++], tp->p.ext.abs_send_time, w->now_ntp);
    *twcc_seq = tp->twcc_out;
    if (tp->p.ext.twcc)
        yh_rtp_ext_set_twcc_seq(&ext[n++], tp->p.ext.twcc, tp->twcc_out++);
    if (tp->p.ext.audio_level && level >= 0)
        yh_rtp_ext_set_audio_level(&ext[n++], tp->p.ext.audio_level, (uint8_t)(level & 0x7f),
                                   level >> 7);
    return n;
}

/* RFC 2198 toward one subscriber. One that negotiated RED gets the packet
 * whole (emit renumbers it); one that did not gets the primary block alone
 * as a plain packet of the track's codec: `v` becomes a copy of `h` whose
 * payload is that block, which emit copies like any payload. */
static const yh_rtp_hdr_t *red_view(const yh_sub_t *sub, const yh_rtp_hdr_t *h, size_t off,
                                    size_t len, yh_rtp_hdr_t *v)
{
    if (sub->p.red_pt)
        return h;
    *v = *h;
    v->pt = sub->track->p.pt;
    v->payload_off += off;
    v->payload_len = len;
    v->pad_len = 0;
    return v;
}

/* Writes one packet for a subscriber: new header and extensions, the
 * publisher's payload, SRTP. `level` is the RFC 6464 byte or -1. A
 * retransmission (`resend`) goes out as RTX (RFC 4588 section 4: the
 * original sequence number, then the payload) when the subscriber
 * negotiated it, else as the original packet again. A RED packet (PT of
 * the track's RED) goes out with the subscriber's RED PT, its blocks
 * renumbered when the subscriber numbers the codec differently. */
static void emit(yh_worker_t *w, yh_sub_t *sub, const uint8_t *pkt, const yh_rtp_hdr_t *h,
                 uint16_t seq, uint32_t ts, int level, int resend, int pid)
{
    yh_tp_t *tp = sub->tp;
    const struct sockaddr *to = yh_transport_addr(tp->t);
    if (!to || !tp->t->srtp)
        return;
    const yh_track_t *tr = sub->track;
    int rtx = resend && sub->p.rtx_ssrc;
    /* Without RTX a resend reuses the packet's own SRTP index under a new
     * header (another transport-wide number): with AES-GCM that is a
     * reused nonce, so such a subscriber gets no resends then. */
    if (resend && !rtx && yh_srtp_is_aead(tp->t->srtp))
        return;
    int red = tr && tr->p.red_pt && h->pt == tr->p.red_pt && sub->p.red_pt;
    uint8_t pt = red ? sub->p.red_pt : sub->p.pt;
    yh_rtp_ext_elem_t ext[4];
    uint16_t twcc_seq;
    size_t n = write_exts(w, tp, sub, ext, level, &twcc_seq);
    uint8_t *slot = yh_udp_slot(w->udp);
    int hl =
        rtx ? yh_rtp_write_header(slot, YH_UDP_BUFSZ, h->marker, sub->p.rtx_pt, rtx_next_seq(sub),
                                  ts, sub->p.rtx_ssrc, ext, n)
            : yh_rtp_write_header(slot, YH_UDP_BUFSZ, h->marker, pt, seq, ts, sub->p.ssrc, ext, n);
    size_t osn = rtx ? 2 : 0;
    size_t body = h->payload_len + h->pad_len;
    if (hl < 0 || (size_t)hl + osn + body + YH_SRTP_MAX_OVERHEAD > YH_UDP_BUFSZ)
        return;
    if (rtx)
        wr_be16(slot + hl, seq);
    memcpy(slot + hl + osn, pkt + h->payload_off, body);
    if (h->pad_len)
        slot[0] |= 0x20;
    if (tr && tr->p.codec == YH_SFU_CODEC_VP8)
        vp8_rewrite(sub, slot + hl + osn, h->payload_len, pid, resend);
    if (red && sub->p.pt != tr->p.pt &&
        yh_red_map_pt(slot + hl + osn, h->payload_len, tr->p.pt, sub->p.pt) < 0)
        return;
    size_t len = (size_t)hl + osn + body;
    if (yh_srtp_protect_rtp(tp->t->srtp, slot, &len, YH_UDP_BUFSZ) < 0)
        return;
    yh_udp_commit(w->udp, len, to);
    int video = tr && tr->p.kind == YH_SFU_VIDEO;
    if (tp->bwe && tp->p.ext.twcc) {
        yh_bwe_on_sent(tp->bwe, twcc_seq, len, w->now_us, 0);
        if (video && sub->tag)
            yh_bwe_tag_sent(tp->bwe, twcc_seq, sub->tag, seq);
    }
    if (video && rtx) {
        sub->resent[seq % YH_SUB_RESENT].seq = seq;
        sub->resent[seq % YH_SUB_RESENT].us = w->now_us;
    }
    sub->packets++;
    sub->octets += (uint32_t)h->payload_len;
}

/* The fewest temporal layers of `L` that still move the picture: about 7
 * frames a second (the base alone on a 30 fps camera, two of three on a
 * 15 fps one, whose base alone is 3.75 fps: a freeze at every frame). */
int yh_forward_smooth_tid(const yh_layer_t *L)
{
    for (int t = 0; t + 1 < L->n_tids; t++)
        if (L->tid_fps10[t] >= SMOOTH_FPS10)
            return t;
    return L->n_tids > 1 ? L->n_tids - 1 : 0;
}

/* The temporal layers the current layer may pass: the receiver's cap,
 * and the estimate's. While a switch down to a lower simulcast layer
 * waits for its keyframe, only the fewest that keep the picture moving go
 * on, which cuts the rate at once without a stall; behind a hard
 * bottleneck (reports.c) only the base. */
static int tid_limit(const yh_sub_t *sub)
{
    int bwe = YH_SFU_TID_ALL;
    if (sub->cur == sub->bwe_layer)
        bwe = sub->bwe_tid;
    else if (sub->cur > sub->bwe_layer) /* waiting for the lower layer's keyframe */
        bwe = sub->wait_base ? 0 : yh_forward_smooth_tid(&sub->track->layers[sub->cur]);
    return bwe < sub->max_tid ? bwe : sub->max_tid;
}

static int frame_find(const yh_sub_t *sub, uint32_t ts)
{
    for (int i = 0; i < sub->frame_n; i++)
        if (sub->frame_ts[i] == ts)
            return i;
    return -1;
}

/* Whether this packet's frame goes to the subscriber. Decided once per
 * frame, at its first packet to arrive, so reordered packets of a frame
 * share the verdict. The limit goes down at any new frame; it goes up only
 * at a layer-sync frame (RFC 7741 4.2, Y bit: it references nothing above
 * the base layer) or a keyframe, since a frame of a higher temporal layer
 * may reference earlier frames of its layer the receiver never got. */
static int temporal_pass(yh_sub_t *sub, const yh_rtp_hdr_t *h, const yh_pkt_info_t *pi,
                         uint16_t *prev)
{
    int i = frame_find(sub, h->ts);
    *prev = (uint16_t)(h->seq - 1u);
    if (i >= 0) {
        if (yh_seq_lt(sub->frame_seq[i], h->seq)) {
            *prev = sub->frame_seq[i];
            sub->frame_seq[i] = h->seq;
        }
        return sub->frame_fwd[i];
    }
    uint32_t newest = sub->frame_ts[(sub->frame_next + YH_SUB_FRAMES - 1) % YH_SUB_FRAMES];
    if (!sub->frame_n || (int32_t)(h->ts - newest) > 0) {
        int want = tid_limit(sub);
        if (pi->keyframe || want < sub->tid_cur)
            sub->tid_cur = want;
        else if (want > sub->tid_cur && pi->sync && pi->tid > sub->tid_cur && pi->tid <= want)
            sub->tid_cur = pi->tid == want ? want : pi->tid;
    }
    int fwd = pi->tid <= sub->tid_cur;
    sub->frame_ts[sub->frame_next] = h->ts;
    sub->frame_fwd[sub->frame_next] = (uint8_t)fwd;
    sub->frame_seq[sub->frame_next] = h->seq;
    sub->frame_next = (uint8_t)((sub->frame_next + 1) % YH_SUB_FRAMES);
    if (sub->frame_n < YH_SUB_FRAMES)
        sub->frame_n++;
    return fwd;
}

/* A new source starts: its frames are decided afresh. */
static void frames_reset(yh_sub_t *sub)
{
    sub->frame_n = 0;
    sub->frame_next = 0;
    sub->tid_cur = tid_limit(sub);
}

/* A switch down can start from the lower layer's last keyframe instead of
 * a new one, when that keyframe came within REPLAY_MAX_AGE_US and every
 * packet from it up to `end` (exclusive) is still in the layer's buffer:
 * they go out now, as if they had just arrived. With Chromium's simulcast
 * one keyframe request brings a keyframe on every layer, and Chromium
 * ignores another request within 300 ms of the last one it answered: a
 * second switch soon after a first (f -> h, then on to q as the estimate
 * keeps falling) waited half a second for the retry of a request while
 * q's keyframe had come 80 ms before. A late replayed frame costs a few
 * kB (the lowest layers' rate); not for switches up (or the first
 * layer), where the frames since the keyframe could be 100 kB at once.
 * Returns 1 when the subscriber is on `layer` now. */
#define REPLAY_MAX_AGE_US 500000u
#define REPLAY_MAX_PACKETS 96u
static int replay_keyframe(yh_worker_t *w, yh_sub_t *sub, int layer, uint16_t end)
{
    yh_track_t *tr = sub->track;
    const yh_layer_t *L = &tr->layers[layer];
    const uint8_t *pkt;
    size_t len;
    uint64_t at;
    yh_rtp_hdr_t h;
    yh_pkt_info_t pi;
    uint16_t n = (uint16_t)(end - L->key_seq);
    if (sub->replaying || !L->has_key || !L->rtx || sub->cur < 0 || layer >= sub->cur ||
        w->now_us - L->key_us > REPLAY_MAX_AGE_US || !n || n > REPLAY_MAX_PACKETS)
        return 0;
    if (yh_rtxbuf_get(L->rtx, L->key_seq, &pkt, &len, &at) < 0 || yh_rtp_parse(pkt, len, &h) < 0)
        return 0;
    yh_router_video_info(tr, pkt + h.payload_off, h.payload_len, &pi);
    if (!pi.keyframe)
        return 0;
    for (uint16_t i = 1; i < n; i++)
        if (yh_rtxbuf_get(L->rtx, (uint16_t)(L->key_seq + i), &pkt, &len, &at) < 0)
            return 0; /* a hole the publisher has not filled yet */
    sub->replaying = 1;
    for (uint16_t i = 0; i < n; i++) {
        if (yh_rtxbuf_get(L->rtx, (uint16_t)(L->key_seq + i), &pkt, &len, &at) < 0 ||
            yh_rtp_parse(pkt, len, &h) < 0)
            break;
        yh_router_video_info(tr, pkt + h.payload_off, h.payload_len, &pi);
        yh_forward(w, sub, layer, pkt, &h, &pi);
    }
    sub->replaying = 0;
    if (sub->cur == layer)
        YH_LOGD("switch", "sub %u: layer %d started from its keyframe of %llu ms ago (%u packets)",
                sub->p.id, layer, (unsigned long long)((w->now_us - L->key_us) / 1000u),
                (unsigned)n);
    return sub->cur == layer;
}

/* Layer selection: 1 to go on with this packet, 0 to skip it. */
static int select_layer(yh_worker_t *w, yh_sub_t *sub, int layer, uint16_t seq, int keyframe)
{
    yh_track_t *tr = sub->track;
    int down;
    if (layer != sub->cur) {
        /* Another layer: taken only when it is the target and this packet
         * starts a keyframe, because a decoder can only start there. */
        if (layer != pick_target(w, sub, tr))
            return 0;
        if (!keyframe) {
            /* This packet follows the replayed ones when that works. */
            if (seq == tr->layers[layer].stats.max_seq && replay_keyframe(w, sub, layer, seq))
                return 1;
            yh_router_request_keyframe(w, tr, layer);
            return 0;
        }
        if (sub->cur >= 0)
            yh_rtp_rewriter_switch(&sub->rw);
        YH_LOGD("switch", "sub %u: layer %d -> %d at its keyframe, %llu ms after the limit changed",
                sub->p.id, sub->cur, layer,
                (unsigned long long)(sub->limit_us ? (w->now_us - sub->limit_us) / 1000u : 0));
        sub->cur = layer;
        sub->drop_now = 0;
        sub->need_keyframe = 0;
        sub->vp8_switch = 1;
        frames_reset(sub);
    } else if (sub->drop_now && sub->bwe_layer < layer &&
               (down = lower_target(w, sub, tr, layer)) >= 0) {
        /* Even this layer's base alone exceeds the estimate: sending on
         * until the new layer's keyframe arrives would only fill the
         * bottleneck's queue and delay that keyframe behind it, so the
         * picture holds still for those few hundred ms instead. A milder
         * cut keeps the smooth switch, with the base layer only. */
        if (!replay_keyframe(w, sub, down, (uint16_t)(tr->layers[down].stats.max_seq + 1u)))
            yh_router_request_keyframe(w, tr, down);
        return 0;
    } else if (sub->need_keyframe) {
        if (!keyframe) {
            yh_router_request_keyframe(w, tr, layer);
            return 0;
        }
        sub->need_keyframe = 0;
        frames_reset(sub);
    }
    return 1;
}

void yh_forward_set_limits(yh_worker_t *w, yh_sub_t *sub, int max_layer, int bwe_layer)
{
    int was = limit_of(sub);
    if (max_layer != sub->max_layer || bwe_layer != sub->bwe_layer)
        sub->limit_us = w->now_us;
    sub->max_layer = max_layer < -1                   ? -1
                     : max_layer >= YH_SFU_MAX_LAYERS ? YH_SFU_MAX_LAYERS - 1
                                                      : max_layer;
    sub->bwe_layer = bwe_layer < -1                   ? -1
                     : bwe_layer >= YH_SFU_MAX_LAYERS ? YH_SFU_MAX_LAYERS - 1
                                                      : bwe_layer;
    if (limit_of(sub) < 0 && was >= 0) {
        /* Paused: resume later with continuous numbering at a keyframe. */
        yh_rtp_rewriter_switch(&sub->rw);
        sub->need_keyframe = sub->track && sub->track->p.kind == YH_SFU_VIDEO;
        sub->vp8_switch = 1;
    }
    /* A switch starts now, from the layer's last keyframe when that can
     * be replayed, else its keyframe is asked for now: waiting for the
     * target layer's next packet would add up to a frame interval (67 ms
     * at 15 fps) to a switch down, while the old layer overflows the
     * bottleneck or the picture stands still. */
    yh_track_t *tr = sub->track;
    int t = tr && tr->p.kind == YH_SFU_VIDEO && limit_of(sub) >= 0 ? pick_target(w, sub, tr) : -1;
    if (t < 0 || (t == sub->cur && !sub->need_keyframe))
        return;
    if (!replay_keyframe(w, sub, t, (uint16_t)(tr->layers[t].stats.max_seq + 1u)))
        yh_router_request_keyframe(w, tr, t);
}

void yh_forward(yh_worker_t *w, yh_sub_t *sub, int layer, const uint8_t *pkt, const yh_rtp_hdr_t *h,
                const yh_pkt_info_t *pi)
{
    yh_track_t *tr = sub->track;
    int vp8 = tr->p.codec == YH_SFU_CODEC_VP8 && tr->p.kind == YH_SFU_VIDEO, pid = -1;
    if (!sub->tp || !sub->tp->t->srtp || limit_of(sub) < 0 ||
        !select_layer(w, sub, layer, h->seq, pi->keyframe))
        return;
    uint16_t prev;
    if (pi->tid >= 0 && !temporal_pass(sub, h, pi, &prev)) {
        /* Taken out of the numbering, so the receiver sees no gap; so are
         * the inputs not yet seen between it and the frame's previous
         * packet, which are of the same frame (late or lost). */
        if ((uint16_t)(h->seq - prev) > 64u)
            prev = (uint16_t)(h->seq - 1u);
        while (prev != h->seq)
            yh_rtp_rewriter_drop(&sub->rw, ++prev);
        if (vp8)
            vp8_pid_drop(sub, pi->pid);
        return;
    }
    if (vp8 && vp8_pid_out(sub, pi->pid, pi->pid_mask, 0, &pid) < 0)
        return;
    uint16_t seq, newest = sub->rw.max_seq_out;
    uint32_t ts;
    int was_on = sub->rw.started && !sub->rw.switching;
    if (yh_rtp_rewriter_map(&sub->rw, h->seq, h->ts, tr->p.clock_rate, w->now_us, &seq, &ts) < 0)
        return;
    yh_rtp_hdr_t v;
    const yh_rtp_hdr_t *hp = pi->red ? red_view(sub, h, pi->red_off, pi->red_len, &v) : h;
    emit(w, sub, pkt, hp, seq, ts, pi->level, 0, pid);
    /* A video packet behind newer ones (in practice the publisher's
     * retransmission of one lost on the way up) is late already: the
     * receiver saw the gap a while ago and its frame is waiting. Lost
     * again on the way down it would take another round trip, past the
     * playout floor, so a copy follows on the RTX stream (a new SRTP
     * index: the same one twice is refused). Costs the uplink's loss rate. */
    if (was_on && tr->p.kind == YH_SFU_VIDEO && sub->p.rtx_ssrc && yh_seq_lt(seq, newest))
        emit(w, sub, pkt, hp, seq, ts, pi->level, 1, pid);
}

/* RFC 3550 5.1: a packet of padding only (the last byte counts the
 * padding), carrying the transport-wide sequence number the estimator
 * measures. The largest padding one byte can describe is 255 bytes. */
unsigned yh_forward_padding(yh_worker_t *w, yh_sub_t *sub, unsigned n)
{
    yh_tp_t *tp = sub->tp;
    const struct sockaddr *to = tp ? yh_transport_addr(tp->t) : NULL;
    uint16_t first = 0;
    /* On the RTX stream padding takes nothing from the media's numbers
     * (RFC 4588 leaves padding-only packets to the sender); without one
     * the numbers come from the media stream's rewriter. */
    int rtx = sub->p.rtx_ssrc != 0;
    if (!to || !tp->t->srtp || !tp->p.ext.twcc || !n ||
        (!rtx && yh_rtp_rewriter_reserve(&sub->rw, (uint16_t)n, &first) < 0))
        return 0;
    for (unsigned i = 0; i < n; i++) {
        yh_rtp_ext_elem_t ext[4];
        uint16_t twcc_seq;
        size_t ne = write_exts(w, tp, NULL, ext, -1, &twcc_seq);
        uint8_t *slot = yh_udp_slot(w->udp);
        int hl = rtx ? yh_rtp_write_header(slot, YH_UDP_BUFSZ, 0, sub->p.rtx_pt, rtx_next_seq(sub),
                                           sub->rw.last_ts_out, sub->p.rtx_ssrc, ext, ne)
                     : yh_rtp_write_header(slot, YH_UDP_BUFSZ, 0, sub->p.pt, (uint16_t)(first + i),
                                           sub->rw.last_ts_out, sub->p.ssrc, ext, ne);
        if (hl < 0)
            return i;
        memset(slot + hl, 0, 254);
        slot[hl + 254] = 255;
        slot[0] |= 0x20;
        size_t len = (size_t)hl + 255;
        if (yh_srtp_protect_rtp(tp->t->srtp, slot, &len, YH_UDP_BUFSZ) < 0)
            return i;
        yh_udp_commit(w->udp, len, to);
        yh_bwe_on_sent(tp->bwe, twcc_seq, len, w->now_us, 1);
    }
    return n;
}

#define STANDING_QUEUE_US 25000
int yh_forward_queue_standing(const yh_tp_t *tp)
{
    yh_bwe_stats_t bs = {0};
    if (tp->bwe)
        yh_bwe_get_stats(tp->bwe, &bs);
    return bs.queue_us >= STANDING_QUEUE_US;
}

/* Packet `seq` of the subscription's numbering again, from the current
 * layer's buffer, on its RTX stream: 0 when sent, 1 when it may not be
 * (its picture id or RED block does not map), -1 when it is not kept
 * (never got here, evicted) or too old to be played.
 *
 * With `clear` set (no queue in the way) it goes twice when one copy is
 * likely not enough: when it is asked for well after a round trip (the
 * first answer, or the request, was lost), as the frame has waited two
 * round trips and a third would miss the playout floor; and on a path
 * that loses DOUBLE_LOSS_PCT or more before repair, where a lost copy
 * costs a round trip on a packet that has already cost one (and a frame
 * of many packets often has one such). A second copy costs the loss rate
 * again. Behind a queue the request is late because the packet waited,
 * and the loss is the bottleneck's, which a second copy only feeds. */
#define REASK_SLACK_US 20000u
#define DOUBLE_LOSS_PCT 2u
static int resend_one(yh_worker_t *w, yh_sub_t *sub, uint16_t seq, int clear)
{
    const yh_track_t *tr = sub->track;
    const yh_rtxbuf_t *buf = tr->layers[sub->cur].rtx;
    uint16_t seq_in;
    const uint8_t *pkt;
    size_t len;
    uint64_t at;
    yh_rtp_hdr_t h;
    if (yh_rtp_rewriter_unmap_seq(&sub->rw, seq, &seq_in) < 0 ||
        yh_rtxbuf_get(buf, seq_in, &pkt, &len, &at) < 0 ||
        w->now_us - at > YH_SFU_RTX_MAX_AGE_US || yh_rtp_parse(pkt, len, &h) < 0)
        return -1;
    int pid = -1;
    yh_vp8_desc_t d;
    if (tr->p.codec == YH_SFU_CODEC_VP8 &&
        yh_vp8_parse_desc(pkt + h.payload_off, h.payload_len, &d) == 0 && d.has_picture_id &&
        vp8_pid_out(sub, d.picture_id, d.picture_id_15 ? 0x7fff : 0x7f, 1, &pid) < 0)
        return 1;
    const yh_rtp_hdr_t *hp = &h;
    yh_rtp_hdr_t v;
    size_t off, plen;
    uint8_t pt;
    if (tr->p.red_pt && h.pt == tr->p.red_pt) {
        if (yh_red_primary(pkt + h.payload_off, h.payload_len, &off, &plen, &pt) < 0)
            return 1;
        hp = red_view(sub, &h, off, plen, &v);
    }
    int late = sub->tp->rtt_us && w->now_us - at > sub->tp->rtt_us * 3 / 2 + REASK_SLACK_US;
    int twice = clear && (late || sub->tp->raw_loss_pct >= DOUBLE_LOSS_PCT);
    for (int k = 0; k < 1 + twice; k++)
        emit(w, sub, pkt, hp, seq, h.ts + sub->rw.ts_offset, -1, 1, pid);
    return 0;
}

/* RFC 4585 6.2.1: answer a subscriber's NACK from the current layer's
 * buffer, skipping what is too old to be played. A layer being dropped
 * at once for a lower one (select_layer) is not repaired: behind the
 * bottleneck that caused the drop, its retransmissions would queue ahead
 * of the lower layer's keyframe, and the receiver starts over from that
 * keyframe anyway. */
void yh_forward_resend(yh_worker_t *w, yh_sub_t *sub, const uint16_t *seqs, size_t n)
{
    yh_track_t *tr = sub->track;
    if (!tr || sub->cur < 0 || !tr->layers[sub->cur].rtx || !sub->tp)
        return;
    sub->nacked += (uint32_t)n;
    if (sub->drop_now) {
        sub->nack_missed += (uint32_t)n;
        return;
    }
    int clear = !yh_forward_queue_standing(sub->tp);
    for (size_t i = 0; i < n; i++)
        if (resend_one(w, sub, seqs[i], clear) < 0)
            sub->nack_missed++;
}

/* A receiver NACKs what it misses, but a NACK can be lost as well, and
 * Chromium asks again only while it still wants the packet: once a later
 * frame is complete without it (a frame no other refers to, as those of
 * the upper temporal layers), it stops asking and skips that frame when
 * its turn comes, a freeze of a few frames. In bench/quality scenario 1
 * five of six freezes followed a packet lost on the way down that was
 * never asked for. So a video packet the transport-wide feedback reports
 * lost is resent (resend_one: twice on a lossy path), unless a resend of
 * it left after it did (a NACK came first; a copy sent with it, as for a
 * late packet, does not count). Not behind a queue: there the loss is the
 * bottleneck's. */
void yh_forward_on_lost(yh_worker_t *w, yh_tp_t *tp, uint16_t twcc_seq)
{
    uint8_t tag;
    uint16_t seq;
    uint64_t sent;
    if (!tp->bwe || yh_bwe_sent_tag(tp->bwe, twcc_seq, &tag, &seq, &sent) < 0)
        return;
    yh_sub_t *sub = NULL;
    for (size_t i = 0; i < tp->subs.n && !sub; i++)
        if (((yh_sub_t *)tp->subs.items[i])->tag == tag)
            sub = tp->subs.items[i];
    if (!sub || !sub->track || sub->cur < 0 || !sub->track->layers[sub->cur].rtx ||
        !sub->p.rtx_ssrc || sub->drop_now)
        return;
    unsigned k = seq % YH_SUB_RESENT;
    if ((sub->resent[k].seq == seq && sub->resent[k].us > sent) || yh_forward_queue_standing(tp))
        return;
    if (resend_one(w, sub, seq, 1) == 0)
        sub->fb_resent++;
}
