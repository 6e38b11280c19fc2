/*
 * The worker's periodic duties (every tick, 20 ms): DTLS retransmission
 * timers, consent expiry, pending keyframe requests, TWCC feedback toward
 * publishers (every 100 ms), receiver reports toward publishers and
 * translated sender reports toward subscribers (every second).
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "rtcp/rtcp.h"
#include "sfu/worker.h"

#define TWCC_INTERVAL_US 100000u
#define ALLOC_INTERVAL_US 500000u
#define REPORT_INTERVAL_US 1000000u

static void send_twcc(yh_worker_t *w, yh_tp_t *tp)
{
    uint8_t pkt[1200];
    uint32_t media = tp->tracks.n ? ((yh_track_t *)tp->tracks.items[0])->layers[0].ssrc : 0;
    /* Several packets when much arrived since the last feedback. */
    for (int i = 0; i < 8; i++) {
        int n = yh_twcc_rec_build(tp->rec, pkt, sizeof pkt, YH_SFU_RTCP_SSRC, media);
        if (n <= 0)
            break;
        yh_router_send_rtcp(w, tp, pkt, (size_t)n);
    }
}

/* Uplink loss: ask the publisher for what is missing (RFC 4585 6.2.1). A
 * video packet given up on (a second of retries) never reaches the
 * subscribers, whose decoders then wait for it until they ask for a
 * keyframe themselves (Chromium after 3 s): one is asked for at once. */
void yh_router_send_nack(yh_worker_t *w, yh_tp_t *tp, yh_track_t *tr, int layer)
{
    yh_layer_t *L = &tr->layers[layer];
    uint16_t lost[64];
    uint32_t given_up = L->nack->given_up;
    size_t n = yh_nackgen_collect(L->nack, w->now_us, YH_SFU_NACK_RETRY_US, lost, 64);
    if (L->nack->given_up != given_up && tr->p.kind == YH_SFU_VIDEO) {
        YH_LOGD("repair", "track %u layer %d: uplink packet given up, keyframe asked for",
                tr->p.id, layer);
        yh_router_request_keyframe(w, tr, layer);
    }
    if (!n || !L->ssrc)
        return;
    uint8_t pkt[512];
    int len = yh_rtcp_build_nack(pkt, sizeof pkt, YH_SFU_RTCP_SSRC, L->ssrc, lost, n);
    if (len > 0)
        yh_router_send_rtcp(w, tp, pkt, (size_t)len);
}

/* RFC 3550 6.4.2: one RR carrying a block per stream received. */
#define RR_LOST_FRESH_US 5000000u

/* The worst loss an audio track's listeners reported lately. The server
 * ends RTCP at itself, so without this a publisher's Opus encoder, which
 * sizes its in-band FEC (RFC 6716 section 2.1.7) from the receiver
 * report's fraction lost, would never learn of loss on the way to the
 * listeners and leave FEC off; audio has no retransmission to fall back
 * on. The price is FEC bits for everyone while one listener loses. */
static uint8_t listeners_lost(const yh_worker_t *w, const yh_track_t *tr)
{
    uint8_t worst = 0;
    for (size_t i = 0; i < tr->subs.n; i++) {
        const yh_sub_t *sub = tr->subs.items[i];
        if (sub->rr_lost_us && w->now_us - sub->rr_lost_us < RR_LOST_FRESH_US &&
            sub->rr_lost > worst)
            worst = sub->rr_lost;
    }
    return worst;
}

static void send_rr(yh_worker_t *w, yh_tp_t *tp)
{
    static const size_t max = YH_RTCP_MAX_REPORTS;
    yh_rtcp_rr_t rr = {.ssrc = YH_SFU_RTCP_SSRC};
    for (size_t i = 0; i < tp->tracks.n; i++) {
        yh_track_t *tr = tp->tracks.items[i];
        for (int l = 0; l < tr->n_layers && rr.n_reports < max; l++) {
            yh_layer_t *L = &tr->layers[l];
            if (!L->receiving)
                continue;
            yh_rtcp_report_block_t *rb = &rr.reports[rr.n_reports++];
            yh_rtp_recvstats_report(&L->stats, L->ssrc, w->now_us, rb);
            if (tr->p.kind == YH_SFU_AUDIO) {
                uint8_t down = listeners_lost(w, tr);
                if (down > rb->fraction_lost)
                    rb->fraction_lost = down;
            }
        }
    }
    if (!rr.n_reports)
        return;
    uint8_t pkt[1024];
    int n = yh_rtcp_build_rr(pkt, sizeof pkt, &rr);
    if (n > 0) {
        int m = yh_rtcp_build_sdes_cname(pkt + n, sizeof pkt - (size_t)n, YH_SFU_RTCP_SSRC,
                                         "yunhui");
        yh_router_send_rtcp(w, tp, pkt, (size_t)n + (m > 0 ? (size_t)m : 0));
    }
}

/* The publisher's sender report, moved onto the subscriber's SSRC and
 * timestamp base, so the receiver can line audio and video up again. */
static void send_sr(yh_worker_t *w, yh_sub_t *sub)
{
    yh_track_t *tr = sub->track;
    if (!tr || sub->cur < 0 || !tr->layers[sub->cur].has_sr || !sub->rw.started)
        return;
    const yh_layer_t *L = &tr->layers[sub->cur];
    uint64_t elapsed = w->now_us - L->sr_us;
    yh_rtcp_sr_t sr = {
        .ssrc = sub->p.ssrc,
        .ntp = L->sr_ntp + (elapsed << 32) / 1000000u,
        .rtp_ts = L->sr_rtp + (uint32_t)(elapsed * tr->p.clock_rate / 1000000u) +
                  sub->rw.ts_offset,
        .packet_count = sub->packets,
        .octet_count = sub->octets,
    };
    uint8_t pkt[256];
    int n = yh_rtcp_build_sr(pkt, sizeof pkt, &sr);
    if (n <= 0)
        return;
    int m = yh_rtcp_build_sdes_cname(pkt + n, sizeof pkt - (size_t)n, sub->p.ssrc, "yunhui");
    yh_router_send_rtcp(w, sub->tp, pkt, (size_t)n + (m > 0 ? (size_t)m : 0));
    sub->sr_mid = (uint32_t)(sr.ntp >> 16);
    sub->sr_us = w->now_us;
}

#define PROBE_TICKS 3u /* a cluster is spread over this many 20 ms ticks */

/* Bandwidth probes toward a subscriber (bwe/probe.c): padding packets on
 * one of its video streams, as many as the estimator asks for, in equal
 * bursts on consecutive ticks so the cluster spans a measurable time. */
static void send_probe(yh_worker_t *w, yh_tp_t *tp)
{
    if (!tp->probe_left) {
        uint64_t bps = 0;
        int count = yh_bwe_probe_wanted(tp->bwe, w->now_us, &bps);
        if (count <= 0)
            return;
        tp->probe_left = (unsigned)count;
        tp->probe_per_tick = ((unsigned)count + PROBE_TICKS - 1) / PROBE_TICKS;
    }
    for (size_t i = 0; i < tp->subs.n; i++) {
        yh_sub_t *sub = tp->subs.items[i];
        if (!sub->track || sub->track->p.kind != YH_SFU_VIDEO || sub->cur < 0 ||
            sub->need_keyframe || !sub->rw.started || sub->max_layer < 0 || sub->bwe_layer < 0)
            continue;
        unsigned n = tp->probe_left < tp->probe_per_tick ? tp->probe_left : tp->probe_per_tick;
        unsigned sent = yh_forward_padding(w, sub, n);
        tp->probe_left = sent ? tp->probe_left - sent : 0;
        return;
    }
    tp->probe_left = 0; /* no video stream to carry it */
}

static void tick_transport(yh_worker_t *w, yh_tp_t *tp, int twcc_due, int report_due)
{
    yh_transport_tick(tp->t, w->now_us);
    if (yh_transport_expired(tp->t, w->now_us)) {
        yh_worker_report(w, tp, YH_SFU_TRANSPORT_TIMEOUT, "ICE consent expired");
        return;
    }
    if (!tp->t->srtp)
        return;
    for (size_t i = 0; i < tp->tracks.n; i++) {
        yh_track_t *tr = tp->tracks.items[i];
        for (int l = 0; l < tr->n_layers; l++) {
            if (tr->layers[l].pli_pending)
                yh_router_request_keyframe(w, tr, l);
            if (tr->layers[l].nack)
                yh_router_send_nack(w, tp, tr, l);
        }
    }
    if (twcc_due && tp->rec)
        send_twcc(w, tp);
    if (tp->bwe && tp->bwe_fed)
        send_probe(w, tp);
    if (!report_due)
        return;
    if (tp->p.publisher)
        send_rr(w, tp);
    for (size_t i = 0; i < tp->subs.n; i++)
        send_sr(w, tp->subs.items[i]);
}

/* One report per room of its audio tracks' mean levels over the interval;
 * the control thread decides who is speaking. Rooms are few per worker, so
 * a linear pass per room over the transports is fine at 5 Hz. */
static void report_levels(yh_worker_t *w)
{
    yh_sfu_level_t levels[YH_SFU_MAX_LEVELS];
    uint32_t done_rooms[64];
    size_t n_done = 0;
    for (size_t i = 0; i < w->tp_list.n; i++) {
        yh_tp_t *first = w->tp_list.items[i];
        uint32_t room = first->p.room;
        int seen = 0;
        for (size_t k = 0; k < n_done; k++)
            seen |= done_rooms[k] == room;
        if (seen || !first->p.publisher)
            continue;
        size_t n = 0;
        for (size_t j = i; j < w->tp_list.n; j++) {
            yh_tp_t *tp = w->tp_list.items[j];
            if (tp->p.room != room || !tp->p.publisher)
                continue;
            for (size_t t = 0; t < tp->tracks.n; t++) {
                yh_track_t *tr = tp->tracks.items[t];
                if (tr->level_count && !tr->muted && n < YH_SFU_MAX_LEVELS)
                    levels[n++] = (yh_sfu_level_t){
                        .track = tr->p.id,
                        .level = (uint8_t)(tr->level_sum / tr->level_count),
                        .voice = (uint8_t)(100u * tr->voice_count / tr->level_count)};
                tr->level_sum = tr->level_count = tr->voice_count = 0;
            }
        }
        if (n_done < sizeof done_rooms / sizeof done_rooms[0])
            done_rooms[n_done++] = room;
        if (n)
            yh_worker_levels(w, room, levels, n);
    }
}

/* `--log-level debug`, once a second: how loss was repaired on each leg,
 * cumulative. Uplink: the server's gaps by how long they took to fill
 * (NACK and retransmission) and those given up; downlink: what each
 * subscriber NACKed and what of that could not be resent. */
static void trace_repair(const yh_worker_t *w)
{
    if (!yh_log_enabled(YH_LOG_DEBUG))
        return;
    for (size_t i = 0; i < w->tp_list.n; i++) {
        const yh_tp_t *tp = w->tp_list.items[i];
        for (size_t t = 0; t < tp->tracks.n; t++) {
            const yh_track_t *tr = tp->tracks.items[t];
            for (int l = 0; l < tr->n_layers; l++) {
                const yh_nackgen_t *g = tr->layers[l].nack;
                if (!g)
                    continue;
                YH_LOGD("repair", "track %u layer %d up: filled in <100/200/300/400/more ms "
                                  "%u/%u/%u/%u/%u, given up %u; rtt %llu ms",
                        tr->p.id, l, g->recovered[0], g->recovered[1], g->recovered[2],
                        g->recovered[3], g->recovered[4], g->given_up,
                        (unsigned long long)(tr->rtt_up_us / 1000));
            }
        }
        for (size_t s = 0; s < tp->subs.n; s++) {
            const yh_sub_t *sub = tp->subs.items[s];
            if (sub->nacked || sub->fb_resent)
                YH_LOGD("repair",
                        "sub %u down: NACKed %u, not resent %u; resent unasked after feedback "
                        "%u; rtt %llu ms",
                        sub->p.id, sub->nacked, sub->nack_missed, sub->fb_resent,
                        (unsigned long long)(tp->rtt_us / 1000));
        }
    }
}

/* Layer bitrates, measured over one-second windows, for the allocator. */
static void measure_rates(yh_worker_t *w, uint64_t window_us)
{
    trace_repair(w);
    for (size_t i = 0; i < w->tp_list.n; i++) {
        yh_tp_t *tp = w->tp_list.items[i];
        for (size_t t = 0; t < tp->tracks.n; t++) {
            yh_track_t *tr = tp->tracks.items[t];
            tr->up_loss_pct =
                (uint8_t)(tr->up_pkts ? 100u * tr->up_missing / (tr->up_pkts + tr->up_missing) : 0);
            tr->up_pkts = tr->up_missing = 0;
            for (int l = 0; l < tr->n_layers; l++) {
                yh_layer_t *L = &tr->layers[l];
                uint64_t sum = 0, frames = 0;
                L->bps = (uint32_t)(L->window_bytes * 8u * 1000000u / window_us);
                L->window_bytes = 0;
                L->n_tids = 1;
                for (int k = 0; k < YH_SFU_MAX_TIDS; k++) {
                    sum += L->window_tid_bytes[k];
                    if (L->window_tid_bytes[k])
                        L->n_tids = (uint8_t)(k + 1);
                    frames += L->window_tid_frames[k];
                    L->tid_bps[k] = (uint32_t)(sum * 8u * 1000000u / window_us);
                    L->tid_fps10[k] = (uint16_t)(frames * 10000000u / window_us);
                    L->window_tid_bytes[k] = 0;
                    L->window_tid_frames[k] = 0;
                }
            }
        }
    }
}

/* Shares a subscriber's downlink estimate among its subscriptions: audio
 * first, then video layers (bwe/allocator.c); see apply_layer for when a
 * new layer takes effect. */
#define RESUME_TRIAL_US 3000000u

/* A paused stream sends nothing the estimator could measure, so video is
 * paused only when not even half the lowest layer fits, and a paused one
 * gets its lowest layer back for a trial every few seconds. */
static int pause_or_lowest(const yh_worker_t *w, yh_sub_t *sub, const yh_alloc_sub_t *a,
                           uint64_t est)
{
    int lowest = -1;
    for (int l = 0; l < a->n_layers && lowest < 0; l++)
        if (a->layer_bps[l])
            lowest = l;
    if (lowest < 0)
        return YH_ALLOC_PAUSED;
    if (est * 2 >= a->layer_bps[lowest])
        return lowest;
    if (sub->bwe_layer >= 0) {
        sub->paused_us = w->now_us;
        return YH_ALLOC_PAUSED;
    }
    return w->now_us - sub->paused_us >= RESUME_TRIAL_US ? lowest : YH_ALLOC_PAUSED;
}

/* One choice for a video: a simulcast layer with its temporal layers up to
 * `tid` (YH_SFU_TID_ALL: all). Compared as one number, layer first. */
typedef struct yh_step {
    int8_t layer, tid;
} yh_step_t;

#define STEP_VALUE(layer, tid) ((layer) * YH_SFU_MAX_TIDS + (tid))
#define AUDIO_VALUE STEP_VALUE(YH_SFU_MAX_LAYERS - 1, YH_SFU_TID_ALL)

static int value_of(const yh_step_t *st, int k)
{
    return k < 0 ? -1 : STEP_VALUE(st[k].layer, st[k].tid);
}

static int cur_value(const yh_sub_t *sub)
{
    return sub->bwe_layer < 0 ? -1 : STEP_VALUE(sub->bwe_layer, sub->bwe_tid);
}

/* The lowest TID whose frame rate is worth a step: about 7 fps on the
 * lowest simulcast layer, and on higher ones 10 fps and nearly half the
 * full rate, so a larger picture never comes at a stutter when a smaller one
 * could be smooth. With Chromium's three temporal layers on a 30 fps
 * camera that is 7.5, 15 and 30 fps on the lowest layer, 15 and 30 above;
 * on a 15 fps one, 7.5 and 15, and 15 above. */
#define MIN_FPS10 65       /* the lowest layer (7.5 fps, measured with jitter) */
#define MIN_UPPER_FPS10 100 /* higher layers */

static int lowest_tid(const yh_layer_t *L, int hi, int first)
{
    unsigned min = first ? MIN_FPS10 : L->tid_fps10[hi] * 45u / 100u;
    if (min < (first ? MIN_FPS10 : MIN_UPPER_FPS10))
        min = first ? MIN_FPS10 : MIN_UPPER_FPS10;
    for (int t = 0; t < hi; t++)
        if (L->tid_fps10[t] >= min)
            return t;
    return hi;
}

/* The steps of a video, cheapest first, bounded by the receiver's caps.
 * Returns the count. */
static int video_steps(const yh_sub_t *sub, const yh_track_t *tr, yh_alloc_sub_t *x, yh_step_t *st)
{
    int n = 0, top = -1, first = 1;
    for (int l = 0; l < tr->n_layers; l++) {
        const yh_layer_t *L = &tr->layers[l];
        if (!L->bps)
            continue;
        int nt = L->n_tids ? L->n_tids : 1;
        int hi = nt - 1 < sub->max_tid ? nt - 1 : sub->max_tid;
        int lo = lowest_tid(L, hi, first);
        first = 0;
        for (int t = lo; t <= hi && n < YH_ALLOC_MAX_LAYERS; t++) {
            st[n] = (yh_step_t){(int8_t)l, (int8_t)(t == nt - 1 ? YH_SFU_TID_ALL : t)};
            /* Priced at least as the step below: a larger picture at a
             * lower frame rate can cost less than a smaller one at full
             * rate, and the allocator steps up only to dearer choices. */
            x->layer_bps[n] =
                n && L->tid_bps[t] < x->layer_bps[n - 1] ? x->layer_bps[n - 1] : L->tid_bps[t];
            if (l <= sub->max_layer)
                top = n;
            n++;
        }
    }
    x->n_layers = (uint8_t)n;
    x->max_layer = (int8_t)(sub->max_layer < 0 ? YH_ALLOC_PAUSED : top);
    return n;
}

/* `--log-level debug`: the estimate and each video's step rates, the
 * choice, and what applies and is forwarded now, every allocation, for
 * tuning on real links. */
static void trace_allocation(const yh_tp_t *tp, const yh_alloc_sub_t *a, yh_sub_t *const *subs,
                             yh_step_t (*st)[YH_ALLOC_MAX_LAYERS], size_t n)
{
    if (!yh_log_enabled(YH_LOG_DEBUG))
        return;
    yh_bwe_stats_t st_bwe;
    yh_bwe_get_stats(tp->bwe, &st_bwe);
    char line[512];
    size_t off = 0;
    for (size_t i = 0; i < n && off < sizeof line - 64; i++) {
        if (a[i].kind == YH_ALLOC_AUDIO || !a[i].n_layers)
            continue;
        int k = a[i].layer;
        const yh_sub_t *sub = subs[i];
        off += (size_t)snprintf(line + off, sizeof line - off, " [");
        for (int j = 0; j < a[i].n_layers && off < sizeof line - 96; j++)
            off += (size_t)snprintf(line + off, sizeof line - off, "%s%u", j ? "/" : "",
                                    a[i].layer_bps[j] / 1000);
        off += (size_t)snprintf(line + off, sizeof line - off,
                                " k -> %d.%d; at %d.%d fwd %d.%d playout %u]",
                                k < 0 ? -1 : st[i][k].layer, k < 0 ? -1 : st[i][k].tid,
                                sub->bwe_layer, sub->bwe_tid, sub->cur, sub->tid_cur,
                                sub->playout_ms);
    }
    line[off] = 0;
    YH_LOGD("bwe", "tp %u est %llu delay %llu loss %llu acked %llu link %llu usage %d%s%s",
            tp->p.id, (unsigned long long)(st_bwe.estimate_bps / 1000),
            (unsigned long long)(st_bwe.delay_bps / 1000),
            (unsigned long long)(st_bwe.loss_bps / 1000),
            (unsigned long long)(st_bwe.acked_bps / 1000),
            (unsigned long long)(st_bwe.link_bps / 1000), (int)st_bwe.usage,
            st_bwe.probing ? " probing" : "", line);
}

/* What the allocation `x` gives the subscription, as a step value, with
 * audio always on and the pause rules above. */
static int step_wanted(const yh_worker_t *w, yh_sub_t *sub, const yh_alloc_sub_t *x,
                       const yh_step_t *st, uint64_t est)
{
    if (x->kind == YH_ALLOC_AUDIO)
        return AUDIO_VALUE;
    if (x->layer == YH_ALLOC_PAUSED && sub->max_layer < 0)
        return cur_value(sub); /* paused by the receiver, not by us */
    if (x->layer == YH_ALLOC_PAUSED)
        return value_of(st, pause_or_lowest(w, sub, x, est));
    return value_of(st, x->layer);
}

#define UP_HOLD_MIN 2     /* allocations (of 500 ms) an upswitch waits */
#define UP_HOLD_MAX 16
#define FLAP_US 10000000u /* a drop this soon after going up doubles the wait */
#define CALM_US 20000000u /* this long without a drop resets it */

/* A mild cut, where the current simulcast layer would still get 70 % of
 * its rate, first sheds that layer's upper temporal layers (down to about
 * 7 fps, when that fits), and the switch to the lower layer follows only
 * if the allocations of the next two seconds still want it: that switch
 * costs a keyframe the receiver waits for, and under loss the keyframe's
 * repair makes the wait longer. An estimate that only dipped (a path that
 * became longer reads as a queue for a moment; the probe after a cut
 * tells) leaves the picture as it was. Returns 1 when it held. */
#define MILD_PCT 70
#define MILD_ROUNDS 4
#define MILD_QUEUE_MAX_US 100000
#define MILD_LOSS_MAX_PCT 10

/* Not mild whatever the numbers say: a long queue or heavy loss is a
 * bottleneck that has only begun to show (the first cut after a cap takes
 * a rate from before it), and so is an estimate that fell to under half
 * at once in the last second (yh_router_tick). That first cut comes from
 * what the growing queue delivered, and the newest packet reported has
 * often waited less than MILD_QUEUE_MAX_US by then: in bench/quality
 * scenario 2 the switch went f -> h there, and 180 ms later on to q, each
 * with its keyframe to wait for. */
#define FELL_HARD_US 1000000u
static int hard_bottleneck(const yh_tp_t *tp, uint64_t now_us)
{
    yh_bwe_stats_t bs;
    yh_bwe_get_stats(tp->bwe, &bs);
    return bs.queue_us >= MILD_QUEUE_MAX_US || bs.loss_q8 * 100u > MILD_LOSS_MAX_PCT * 256u ||
           (tp->fell_us && now_us - tp->fell_us < FELL_HARD_US);
}

static int mild_cut(const yh_worker_t *w, yh_sub_t *sub, int layer, uint64_t est)
{
    const yh_track_t *tr = sub->track;
    if (tr->p.kind != YH_SFU_VIDEO || layer < 0 || sub->bwe_layer < 0 ||
        layer >= sub->bwe_layer || sub->cur != sub->bwe_layer) {
        sub->mild_rounds = 0;
        return 0;
    }
    const yh_layer_t *L = &tr->layers[sub->bwe_layer];
    int t = yh_forward_smooth_tid(L);
    if (hard_bottleneck(sub->tp, w->now_us) || !L->bps || est * 100 < (uint64_t)L->bps * MILD_PCT ||
        L->tid_bps[t] > est || sub->mild_rounds++ >= MILD_ROUNDS) {
        sub->mild_rounds = 0;
        return 0;
    }
    sub->bwe_tid = t + 1 >= L->n_tids ? YH_SFU_TID_ALL : t;
    return 1;
}

/* Lower steps apply at once; a higher one after two allocations in a row
 * allowed it, or for a higher simulcast layer up_hold. A receiver whose
 * estimate keeps dropping it to a lower simulcast layer right after an
 * upswitch waits longer each time (up to 8 s), so a link that can only
 * just carry a layer is not switched back and forth every few seconds
 * (each simulcast switch costs a keyframe; a temporal one nothing). */
static void apply_step(yh_worker_t *w, yh_sub_t *sub, int want, uint64_t est)
{
    int cur = cur_value(sub);
    int layer = want < 0 ? -1 : want / YH_SFU_MAX_TIDS;
    int spatial_up = layer > sub->bwe_layer;
    if (!sub->up_hold || (sub->down_us && w->now_us - sub->down_us > CALM_US))
        sub->up_hold = UP_HOLD_MIN;
    /* Only a simulcast switch costs a keyframe: the damping is for those. */
    if (want > cur && ++sub->up_rounds < (spatial_up ? sub->up_hold : UP_HOLD_MIN))
        return;
    sub->up_rounds = 0;
    if (mild_cut(w, sub, layer, est))
        return;
    if (spatial_up) {
        sub->up_us = w->now_us;
    } else if (layer < sub->bwe_layer && sub->track->p.kind == YH_SFU_VIDEO) {
        if (sub->up_us && w->now_us - sub->up_us < FLAP_US && sub->up_hold < UP_HOLD_MAX)
            sub->up_hold *= 2;
        sub->down_us = w->now_us;
    }
    /* Only a layer whose base alone exceeds the whole estimate stops
     * before the lower layer's keyframe (forward.c): below that its base
     * layer goes on meanwhile. */
    sub->drop_now =
        sub->cur >= 0 && layer < sub->cur && sub->track->layers[sub->cur].tid_bps[0] > est;
    /* Behind a hard bottleneck only the base layer waits for the lower
     * layer's keyframe: every byte more delays that keyframe. */
    sub->wait_base = sub->cur >= 0 && layer < sub->cur && hard_bottleneck(sub->tp, w->now_us);
    sub->bwe_tid = want < 0 ? YH_SFU_TID_ALL : want % YH_SFU_MAX_TIDS;
    if (layer != sub->bwe_layer) {
        YH_LOGD("switch", "sub %u: estimate %llu kbps limits layer %d -> %d (at %d)%s%s", sub->p.id,
                (unsigned long long)(est / 1000), sub->bwe_layer, layer, sub->cur,
                sub->drop_now ? ", dropped now" : "", sub->wait_base ? ", base only" : "");
        yh_forward_set_limits(w, sub, sub->max_layer, layer);
    }
}

/* The receiver's playout floor (the playout-delay extension's minimum),
 * while there is loss on the video's path: a packet lost on a leg comes
 * back a round trip of that leg later (a NACK and the retransmission), and
 * one lost again half as much later again, so the floor leaves 1.5 round
 * trips of each lossy leg, plus a frame or two, before a frame is due. A
 * picture that is later but smooth beats one that freezes each time a
 * packet is lost. It only grows while the loss lasts, is removed 20 s
 * after it stops, and is never above 400 ms.
 *
 * Looked at on every tick: the receiver's delay grows toward a new floor
 * gradually (Chromium: by at most 100 ms a second, or by a frame's
 * lateness), so each tick of delay in setting it is a tick of loss met
 * without it. Loss is LOSSY_PCT of LOSS_MIN_PACKETS or more, or
 * LOSS_FIRST_N losses in fewer (at the start of a loss the window need
 * not fill first).
 *
 * Loss on the way down behind a queue, or within a second of a switch
 * down by the estimate, is the bottleneck's: the lower layer ends it, and
 * waiting would only add delay (after a 500 kbps cap it held the floor at
 * 300-370 ms for 20 s).
 *
 * It goes up by PLAYOUT_STEP_MS at a time, one step every PLAYOUT_STEP_US:
 * Chromium moves its delay to a new floor at once on the next frame that
 * comes late (and at a loss's start most do), so playback stops for the
 * whole rise. All at once (0 to 360 ms in bench/quality scenario 1) that
 * was a freeze of 578 ms at the loss's start; a step of 100 ms stays under
 * the freeze threshold (a gap of 150 ms more than a frame interval). */
#define LOSSY_PCT 1u
#define LOSS_MIN_PACKETS 50u
#define LOSS_FIRST_N 2u
#define LOSSY_HOLD_US 20000000u
#define PLAYOUT_MAX_MS 400u
#define RTT_UNKNOWN_US 100000u
#define CONGESTED_AFTER_DOWN_US 1000000u
#define PLAYOUT_STEP_MS 100u
#define PLAYOUT_STEP_US 500000u

static int lossy(uint32_t lost, uint32_t packets)
{
    return lost >= LOSS_FIRST_N ||
           (packets >= LOSS_MIN_PACKETS && lost * 100u >= packets * LOSSY_PCT);
}

static void update_playout(const yh_worker_t *w, yh_sub_t *sub)
{
    const yh_track_t *tr = sub->track;
    /* Loss before repair: receiver reports count retransmitted packets as
     * received, so NACKs tell it: the subscriber's, and the server's own
     * toward the publisher (its gaps, in the last rate window or the
     * current one). */
    uint32_t pk = sub->packets - sub->loss_packets, nk = sub->nacked - sub->loss_nacked;
    int down = lossy(nk, pk);
    if (down || pk >= LOSS_MIN_PACKETS) { /* a low-rate video spans several rounds */
        sub->loss_packets = sub->packets;
        sub->loss_nacked = sub->nacked;
    }
    if (down && sub->down_us && w->now_us - sub->down_us < CONGESTED_AFTER_DOWN_US)
        down = 0;
    if (down && yh_forward_queue_standing(sub->tp))
        down = 0;
    int up = tr->up_loss_pct >= LOSSY_PCT || lossy(tr->up_missing, tr->up_pkts + tr->up_missing);
    if (down || up)
        sub->lossy_us = w->now_us;
    if (!sub->lossy_us || w->now_us - sub->lossy_us > LOSSY_HOLD_US) {
        sub->playout_ms = 0;
        return;
    }
    if (!up && !down)
        return; /* holding: keep the last floor */
    uint64_t up_rtt = tr->rtt_up_us ? tr->rtt_up_us : RTT_UNKNOWN_US;
    uint64_t down_rtt = sub->tp->rtt_us ? sub->tp->rtt_us : RTT_UNKNOWN_US;
    uint64_t ms = (3 * ((up ? up_rtt : 0) + (down ? down_rtt : 0)) / 2 + 50000u) / 1000u;
    if (ms > PLAYOUT_MAX_MS)
        ms = PLAYOUT_MAX_MS;
    /* Only up while the loss lasts: each change moves the receiver's
     * playout, and one leg's loss can miss a window. */
    if (ms <= sub->playout_ms || (sub->playout_us && w->now_us - sub->playout_us < PLAYOUT_STEP_US))
        return;
    if (ms > sub->playout_ms + PLAYOUT_STEP_MS)
        ms = sub->playout_ms + PLAYOUT_STEP_MS;
    sub->playout_ms = (unsigned)ms;
    sub->playout_us = w->now_us;
}

void yh_router_allocate(yh_worker_t *w, yh_tp_t *tp)
{
    yh_alloc_sub_t a[YH_ALLOC_MAX_SUBS], up[YH_ALLOC_MAX_SUBS];
    yh_step_t st[YH_ALLOC_MAX_SUBS][YH_ALLOC_MAX_LAYERS];
    yh_sub_t *subs[YH_ALLOC_MAX_SUBS];
    size_t n = 0;
    for (size_t i = 0; i < tp->subs.n && n < YH_ALLOC_MAX_SUBS; i++) {
        yh_sub_t *sub = tp->subs.items[i];
        yh_track_t *tr = sub->track;
        if (!tr || tr->muted)
            continue;
        yh_alloc_sub_t *x = &a[n];
        memset(x, 0, sizeof *x);
        x->kind = tr->p.kind == YH_SFU_AUDIO ? YH_ALLOC_AUDIO
                  : tr->p.screen               ? YH_ALLOC_SCREEN
                                               : YH_ALLOC_VIDEO;
        x->priority = (uint8_t)tr->priority;
        if (x->kind == YH_ALLOC_AUDIO) {
            x->n_layers = 1;
            x->max_layer = (int8_t)sub->max_layer;
            x->layer_bps[0] = tr->layers[0].bps;
        } else if (!video_steps(sub, tr, x, st[n])) {
            continue; /* nothing measured yet: leave it as it is */
        }
        if (!x->layer_bps[0])
            continue;
        subs[n++] = sub;
    }
    uint64_t used = 0, est = yh_bwe_estimate(tp->bwe);
    if (!n)
        return;
    /* A dead band against flapping on an estimate that saws around one
     * step's rate: going down takes the whole estimate, going up needs
     * 20 % to spare. A higher simulcast layer starts with a keyframe,
     * several frames' worth in one burst: on a link that only just fits
     * the layer it overflows the bottleneck's queue, the estimate falls
     * and the switch is undone a second later. Behind a hard bottleneck
     * (a long queue, heavy loss) going down needs the 20 % too: the
     * estimate has only begun to fall (the first cuts take rates from
     * before the bottleneck), a layer that only just fits leaves the
     * queue standing, and each layer tried on the way down costs a
     * keyframe to wait for. */
    memcpy(up, a, n * sizeof a[0]);
    uint64_t down_est = hard_bottleneck(tp, w->now_us) ? est * 5 / 6 : est;
    if (yh_bwe_allocate(down_est, a, n, &used) < 0 ||
        yh_bwe_allocate(est * 5 / 6, up, n, &used) < 0)
        return;
    trace_allocation(tp, a, subs, st, n);
    for (size_t i = 0; i < n; i++) {
        yh_sub_t *sub = subs[i];
        int want = step_wanted(w, sub, &a[i], st[i], est);
        if (want >= cur_value(sub)) {
            int higher = step_wanted(w, sub, &up[i], st[i], est);
            want = higher > cur_value(sub) ? higher : cur_value(sub);
        }
        apply_step(w, sub, want, est);
    }
}

/* Packets dropped without a word per packet (a flood would fill the log)
 * get one line a second while they keep coming. */
static void log_drops(yh_worker_t *w)
{
    if (w->dropped_unknown == w->logged_unknown && w->dropped_red == w->logged_red)
        return;
    YH_LOGI("sfu", "dropped in the last second: %llu datagrams from unknown addresses, %llu "
                   "malformed RED packets",
            (unsigned long long)(w->dropped_unknown - w->logged_unknown),
            (unsigned long long)(w->dropped_red - w->logged_red));
    w->logged_unknown = w->dropped_unknown;
    w->logged_red = w->dropped_red;
}

/* How late the worker read datagrams: TWCC reports the kernel's arrival
 * times, so a busy worker does not look like a queue to the publishers. */
static void log_lag(yh_worker_t *w)
{
    if (w->rx_lag_max_us >= 5000)
        YH_LOGD("sfu", "longest wait to be read in the last second: %llu us",
                (unsigned long long)w->rx_lag_max_us);
    w->rx_lag_max_us = 0;
}

/* An allocation round when one is due, or when the estimate fell by a
 * quarter since the last: a new bottleneck is acted on at once, as the
 * next round could be half a second of queueing away. */
static void allocate_if(yh_worker_t *w, yh_tp_t *tp, int due)
{
    if (!tp->bwe || !tp->bwe_fed || !tp->t->srtp)
        return;
    uint64_t est = yh_bwe_estimate(tp->bwe);
    if (!due && est * 4 >= tp->alloc_est * 3)
        return;
    if (est * 2 < tp->alloc_est)
        tp->fell_us = w->now_us;
    tp->alloc_est = est;
    yh_router_allocate(w, tp);
}

/* Right after the estimate took in feedback or a receiver report rather
 * than at the next tick: up to 20 ms sooner, while a bottleneck's queue
 * fills at the rate the layer exceeds it by. */
void yh_router_estimate_changed(yh_worker_t *w, yh_tp_t *tp)
{
    allocate_if(w, tp, 0);
}

void yh_router_tick(yh_worker_t *w)
{
    if (w->now_us - w->last_rate_us >= 1000000u) {
        measure_rates(w, w->last_rate_us ? w->now_us - w->last_rate_us : 1000000u);
        w->last_rate_us = w->now_us;
    }
    int alloc_due = w->now_us - w->last_alloc_us >= ALLOC_INTERVAL_US;
    if (alloc_due)
        w->last_alloc_us = w->now_us;
    for (size_t i = 0; i < w->tp_list.n; i++)
        allocate_if(w, w->tp_list.items[i], alloc_due);
    if (w->now_us - w->last_level_us >= YH_SFU_LEVEL_INTERVAL_MS * 1000u) {
        w->last_level_us = w->now_us;
        report_levels(w);
    }
    int twcc_due = w->now_us - w->last_twcc_us >= TWCC_INTERVAL_US;
    int report_due = w->now_us - w->last_report_us >= REPORT_INTERVAL_US;
    if (twcc_due)
        w->last_twcc_us = w->now_us;
    if (report_due) {
        w->last_report_us = w->now_us;
        log_drops(w);
        log_lag(w);
    }
    for (size_t i = 0; i < w->tp_list.n; i++) {
        yh_tp_t *tp = w->tp_list.items[i];
        for (size_t k = 0; k < tp->subs.n; k++) {
            yh_sub_t *sub = tp->subs.items[k];
            if (sub->track && sub->track->p.kind == YH_SFU_VIDEO && !sub->track->muted)
                update_playout(w, sub);
        }
        tick_transport(w, tp, twcc_due, report_due);
    }
}
