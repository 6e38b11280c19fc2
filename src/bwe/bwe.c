#include "bwe/bwe.h"

#include <string.h>

#include "base/err.h"

#define REF_US 64000           /* TWCC reference time unit */
#define REF_HALF (1 << 23)     /* the field is 24 bits */
#define LOSS_SAMPLE_PACKETS 20 /* TWCC loss is judged over at least this many */
#define RECENT_SPAN_US 250000  /* "what arrived lately", cut to on overuse */
#define RECENT_MIN_PACKETS 4
#define OWD_WINDOW_US 5000000   /* the least one-way delay is kept over 5-10 s */
#define QUEUE_SEVERE_US 75000       /* a standing queue this long ... */
#define QUEUE_GROWTH_US 50000       /* ... that grew this much ... */
#define QUEUE_GROWTH_SPAN_US 250000 /* ... over this much of the arrivals */
#define QUEUE_IMPLAUSIBLE_US 2000000 /* more is a receiver clock jump */
#define QUEUED_US 10000              /* a packet that waited this long measures the bottleneck */
#define RECUT_WINDOW_US 2000000
#define RECUT_GROWTH_US 10000

/* The one-way delay as an unsigned key that orders like the signed value
 * (for yh_minwin, which keeps unsigned minima and takes 0 for none). */
static uint64_t owd_key(int64_t d)
{
    return (uint64_t)d ^ (1ull << 63);
}

static int64_t owd_value(uint64_t k)
{
    return (int64_t)(k ^ (1ull << 63));
}

void yh_bwe_init(yh_bwe_t *b, uint64_t start_bps, uint64_t min_bps, uint64_t max_bps)
{
    memset(b, 0, sizeof(*b));
    if (max_bps < min_bps)
        max_bps = min_bps;
    if (start_bps < min_bps)
        start_bps = min_bps;
    if (start_bps > max_bps)
        start_bps = max_bps;
    b->min_bps = min_bps;
    b->max_bps = max_bps;
    b->rtt_us = 100000;
    yh_bwe_sendhist_init(&b->hist);
    yh_bwe_trendline_init(&b->trend);
    yh_bwe_aimd_init(&b->aimd, start_bps, min_bps, max_bps);
    yh_bwe_loss_init(&b->loss, start_bps);
    yh_bwe_acked_init(&b->acked);
    yh_bwe_probe_init(&b->probe);
}

void yh_bwe_on_sent(yh_bwe_t *b, uint16_t twcc_seq, size_t size, uint64_t now_us, int is_probe)
{
    yh_bwe_sendhist_add(&b->hist, twcc_seq, size, (int64_t)now_us, is_probe);
    uint32_t sz = size > UINT16_MAX ? UINT16_MAX : (uint32_t)size;
    yh_bwe_probe_on_sent(&b->probe, twcc_seq, sz, (int64_t)now_us, is_probe);
}

void yh_bwe_tag_sent(yh_bwe_t *b, uint16_t twcc_seq, uint8_t tag, uint16_t value)
{
    yh_bwe_sent_t *e = yh_bwe_sendhist_find(&b->hist, twcc_seq);
    if (!e)
        return;
    e->tag = tag;
    e->tag_value = value;
}

int yh_bwe_sent_tag(yh_bwe_t *b, uint16_t twcc_seq, uint8_t *tag, uint16_t *value,
                    uint64_t *send_us)
{
    const yh_bwe_sent_t *e = yh_bwe_sendhist_find(&b->hist, twcc_seq);
    if (!e || !e->tag)
        return -1;
    *tag = e->tag;
    *value = e->tag_value;
    *send_us = (uint64_t)e->send_us;
    return 0;
}

/* The feedback's reference time in 64 ms ticks on an unwrapped line: the
 * 24-bit field wraps (and the parser reads it signed), so consecutive
 * values are taken as the nearest step. */
static int64_t unwrap_ref(const yh_bwe_t *b, int32_t ref)
{
    if (!b->have_ref)
        return ref;
    int32_t d = (int32_t)((uint32_t)(ref - b->last_ref) & 0xFFFFFF);
    if (d >= REF_HALF)
        d -= 2 * REF_HALF;
    return b->ref_ticks + d;
}

/* Whether a further cut would answer a queue that no longer grows: after
 * a cut, the delay trend keeps reading overuse for as long as its window
 * (a second or more of frames) holds the rise, and each cut lowers the
 * rate that the next is taken from, so one rise of the delay (a path 50 ms
 * longer) cut 1.65 Mbps to 1 Mbps in two steps. A short queue (under
 * 75 ms) that has not grown 10 ms since the last cut, within 2 s of it,
 * gets no other; a long or still growing one does. */
static int short_queue_stopped(const yh_bwe_t *b, int64_t now)
{
    return b->aimd.decreased && now - b->aimd.last_decrease_us < RECUT_WINDOW_US &&
           b->queue_us < QUEUE_SEVERE_US && b->queue_us <= b->cut_queue_us + RECUT_GROWTH_US;
}

static void combine_loss(yh_bwe_t *b, unsigned lost, unsigned total, int64_t now)
{
    b->fb_lost += lost;
    b->fb_total += total;
    if (b->fb_total < LOSS_SAMPLE_PACKETS)
        return;
    unsigned q = b->fb_lost * 256u / b->fb_total;
    uint8_t q8 = (uint8_t)(q > 255 ? 255 : q);
    yh_bwe_loss_update(&b->loss, q8, now, b->rtt_us);
    b->fb_lost = b->fb_total = 0;
}

/* Whether a queue of 75 ms or more has built within the last quarter
 * second of arrivals: a link suddenly far slower than what is sent. The
 * delay trend sees that too, but only after many send groups, and when
 * each group is a frame (no pacing) that takes half a second or more,
 * while every frame that overflows the bottleneck is lost. A path that
 * only became longer (a new route) looks the same for a quarter second:
 * one cut at most, as cuts are a response time apart. */
static int queue_built(yh_bwe_t *b)
{
    unsigned n = sizeof b->qhist / sizeof b->qhist[0];
    b->qhist[b->qhist_head].arrival_us = b->newest_arrival_us;
    b->qhist[b->qhist_head].queue_us = b->queue_us;
    b->qhist_head = (b->qhist_head + 1) % n;
    if (b->queue_us < QUEUE_SEVERE_US || b->queue_us >= QUEUE_IMPLAUSIBLE_US)
        return 0;
    int64_t least = b->queue_us;
    for (unsigned i = 0; i < n; i++) {
        int64_t age = b->newest_arrival_us - b->qhist[i].arrival_us;
        if (b->qhist[i].arrival_us && age >= 0 && age <= QUEUE_GROWTH_SPAN_US &&
            b->qhist[i].queue_us < least)
            least = b->qhist[i].queue_us;
    }
    return b->queue_us - least >= QUEUE_GROWTH_US;
}

/* The loss-based rate never runs ahead of the delay-based one, or a later
 * loss episode would take long to cut below it (libwebrtc caps it too). */
static void cap_loss(yh_bwe_t *b)
{
    if (b->loss.bps > b->aimd.bps)
        b->loss.bps = b->aimd.bps;
    if (b->loss.bps < b->min_bps)
        b->loss.bps = b->min_bps;
}

static void apply_probe(yh_bwe_t *b, int64_t now)
{
    uint64_t r = yh_bwe_probe_result(&b->probe, now);
    if (!r || b->trend.usage == YH_BWE_USAGE_OVER)
        return;
    yh_bwe_aimd_raise(&b->aimd, r);
    if (b->loss.last_fraction * 100u <= 10 * 256u && r > b->loss.bps)
        b->loss.bps = r > b->max_bps ? b->max_bps : r;
}

int yh_bwe_on_feedback(yh_bwe_t *b, const yh_rtcp_twcc_t *tw, const yh_rtcp_twcc_pkt_t *pkts,
                       size_t n, uint64_t now_us)
{
    if (!b || !tw || (n && !pkts))
        return YH_EINVAL;
    int64_t now = (int64_t)now_us;
    if (n > tw->n)
        n = tw->n;
    int64_t ref = unwrap_ref(b, tw->reference_time);
    int64_t arrival = ref * REF_US;
    unsigned lost = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        const yh_rtcp_twcc_pkt_t *p = &pkts[i];
        if (p->received)
            arrival += p->delta_us;
        yh_bwe_sent_t *e = yh_bwe_sendhist_find(&b->hist, p->seq);
        if (!e || (e->flags & YH_BWE_SENT_REPORTED))
            continue; /* unknown, too old, or a duplicate report */
        if (!p->received) {
            if (!(e->flags & YH_BWE_SENT_LOST)) {
                e->flags |= YH_BWE_SENT_LOST;
                lost++;
                total++;
                yh_bwe_probe_on_feedback(&b->probe, p->seq, e->size, -1);
            }
            continue;
        }
        e->flags |= YH_BWE_SENT_REPORTED;
        total++;
        int64_t owd = arrival - e->send_us;
        yh_minwin_add(&b->owd_min, owd_key(owd), now_us, OWD_WINDOW_US);
        b->queue_us = owd - owd_value(yh_minwin_get(&b->owd_min));
        b->newest_arrival_us = arrival;
        yh_bwe_acked_add(&b->acked, arrival, e->size, b->queue_us);
        yh_bwe_trendline_add(&b->trend, e->send_us, arrival);
        yh_bwe_probe_on_feedback(&b->probe, p->seq, e->size, arrival);
    }
    if (!total)
        return 0; /* nothing new: not even the reference time is taken */
    b->have_ref = 1;
    b->last_ref = tw->reference_time;
    b->ref_ticks = ref;
    combine_loss(b, lost, total, now);
    yh_bwe_usage_t usage = b->trend.usage;
    if (queue_built(b))
        usage = YH_BWE_USAGE_OVER;
    else if (usage == YH_BWE_USAGE_OVER && short_queue_stopped(b, now))
        usage = YH_BWE_USAGE_UNDER; /* hold: neither cut nor grow */
    uint64_t before = b->aimd.bps;
    /* While a queue stands the path delivers its capacity: a cut takes
     * what the queue delivered over the last quarter second when that is
     * less than the smoothed rate, which lags a new bottleneck by half a
     * second. Behind a long queue (75 ms), or one that grew by a quarter
     * of the time those packets took to arrive (they came at most 3/4 as
     * fast as they were sent). Not behind a short queue that stands
     * still: a path that only became longer looks the same, and the
     * media's own holes (a publisher's uplink stalling) would pass for a
     * slow link. */
    uint64_t acked = yh_bwe_acked_bps(&b->acked);
    yh_bwe_recent_t r;
    if (usage == YH_BWE_USAGE_OVER && b->queue_us >= QUEUED_US &&
        b->queue_us < QUEUE_IMPLAUSIBLE_US &&
        yh_bwe_acked_recent(&b->acked, RECENT_SPAN_US, RECENT_MIN_PACKETS, QUEUED_US, &r) == 0 &&
        (b->queue_us >= QUEUE_SEVERE_US || r.growth_us * 4 >= r.span_us) &&
        (!acked || r.bps < acked))
        acked = r.bps;
    if (yh_bwe_aimd_update(&b->aimd, usage, acked, now)) {
        b->cut_queue_us = b->queue_us;
        yh_bwe_probe_on_drop(&b->probe, before, b->aimd.bps, now);
    }
    apply_probe(b, now);
    cap_loss(b);
    return 0;
}

void yh_bwe_on_loss_report(yh_bwe_t *b, uint8_t fraction_lost, uint64_t now_us)
{
    yh_bwe_loss_update(&b->loss, fraction_lost, (int64_t)now_us, b->rtt_us);
    cap_loss(b);
}

void yh_bwe_set_rtt(yh_bwe_t *b, uint64_t rtt_us)
{
    if (rtt_us > 10000000)
        rtt_us = 10000000;
    b->rtt_us = (int64_t)rtt_us;
    b->aimd.rtt_us = (int64_t)rtt_us;
}

uint64_t yh_bwe_estimate(const yh_bwe_t *b)
{
    uint64_t e = b->aimd.bps < b->loss.bps ? b->aimd.bps : b->loss.bps;
    if (e < b->min_bps)
        e = b->min_bps;
    if (e > b->max_bps)
        e = b->max_bps;
    return e;
}

int yh_bwe_probe_wanted(yh_bwe_t *b, uint64_t now_us, uint64_t *probe_bps)
{
    int64_t now = (int64_t)now_us;
    /* A cluster whose feedback never came is closed here. */
    apply_probe(b, now);
    unsigned count;
    uint64_t pad;
    int congested = b->trend.usage == YH_BWE_USAGE_OVER || b->loss.last_fraction * 100u > 10 * 256u;
    int64_t last_cut = b->aimd.decreased ? b->aimd.last_decrease_us : INT64_MIN / 2;
    if (!yh_bwe_probe_start(&b->probe, now, yh_bwe_estimate(b), yh_bwe_acked_bps(&b->acked),
                            b->max_bps, last_cut, congested, &pad, &count))
        return 0;
    *probe_bps = pad;
    return (int)count;
}

void yh_bwe_get_stats(const yh_bwe_t *b, yh_bwe_stats_t *st)
{
    st->estimate_bps = yh_bwe_estimate(b);
    st->delay_bps = b->aimd.bps;
    st->loss_bps = b->loss.bps;
    st->acked_bps = yh_bwe_acked_bps(&b->acked);
    st->link_bps = b->aimd.link_bps;
    st->queue_us = b->queue_us;
    st->loss_q8 = b->loss.last_fraction;
    st->usage = b->trend.usage;
    st->threshold_ms = b->trend.threshold_ms;
    st->trend = b->trend.trend;
    st->probing = b->probe.active;
}
