#include "bwe/probe.h"

#include <stddef.h>
#include <string.h>

#include "base/bytes.h"

#define MIN_PACKETS 15
#define MIN_DURATION_US 60000 /* a cluster lasts at least this long at its rate */
#define PERIODIC_US 4000000       /* stable and below max: probe this often */
#define FURTHER_US 1000000        /* after a probe that found room */
#define STABLE_US 3000000         /* no cut for this long counts as stable */
#define RECOVER_US 1000000        /* after a large drop, wait this long ... */
#define RECOVER_WINDOW_US 5000000 /* ... but no longer than this */
#define LARGE_DROP 66             /* percent: a drop below this of before is large */
#define TIMEOUT_US 1000000        /* a cluster not fully reported by then is judged as is */
#define MIN_RECEIVED 80           /* percent of the cluster that must arrive */
#define FURTHER_FRACTION 70       /* percent of the target a result must reach to go on */

void yh_bwe_probe_init(yh_bwe_probe_t *p)
{
    memset(p, 0, sizeof(*p));
}

static void open_cluster(yh_bwe_probe_t *p, int64_t now_us, uint64_t target, uint64_t acked,
                         uint64_t *pad_bps, unsigned *count)
{
    /* Media keeps flowing during the cluster; padding fills the rest, but
     * at least a quarter of the target so the cluster is measurable. */
    uint64_t pad = target > acked ? target - acked : 0;
    if (pad < target / 4)
        pad = target / 4;
    uint64_t n = pad * MIN_DURATION_US / 1000000 / (YH_BWE_PROBE_PKT_SIZE * 8);
    if (n < MIN_PACKETS)
        n = MIN_PACKETS;
    if (n > YH_BWE_PROBE_MAX_PACKETS)
        n = YH_BWE_PROBE_MAX_PACKETS;
    memset(&p->active, 0, sizeof(*p) - offsetof(yh_bwe_probe_t, active));
    p->active = 1;
    p->target_bps = target;
    p->want = (unsigned)n;
    p->last_start_us = now_us;
    p->started_once = 1;
    *pad_bps = pad;
    *count = (unsigned)n;
}

int yh_bwe_probe_start(yh_bwe_probe_t *p, int64_t now_us, uint64_t est_bps, uint64_t acked_bps,
                       uint64_t max_bps, int64_t last_decrease_us, int congested, uint64_t *pad_bps,
                       unsigned *count)
{
    if (p->active || congested || est_bps >= max_bps)
        return 0;
    uint64_t target = 2 * est_bps;
    int64_t since = now_us - p->last_start_us;
    if (p->pre_drop_bps && now_us - p->drop_us >= RECOVER_US) {
        /* Recovering from a large drop: try the rate that worked before,
         * the congestion may have been someone else's passing burst. */
        int recent = now_us - p->drop_us <= RECOVER_WINDOW_US;
        target = p->pre_drop_bps < 2 * est_bps ? p->pre_drop_bps : 2 * est_bps;
        p->pre_drop_bps = 0;
        if (!recent || target <= est_bps)
            return 0;
    } else if (p->started_once) {
        int stable = now_us - last_decrease_us >= STABLE_US;
        if (!(p->further && since >= FURTHER_US) && !(stable && since >= PERIODIC_US))
            return 0;
    }
    if (target > max_bps)
        target = max_bps;
    open_cluster(p, now_us, target, acked_bps, pad_bps, count);
    return 1;
}

void yh_bwe_probe_on_sent(yh_bwe_probe_t *p, uint16_t seq, uint32_t size, int64_t now_us,
                          int is_probe)
{
    if (!p->active || p->probes_sent >= p->want)
        return;
    if (!p->sent) {
        if (!is_probe)
            return;
        p->first_seq = seq;
        p->first_send_us = now_us;
    }
    p->sent++;
    p->sent_bytes += size;
    /* Senders on a timer send in bursts: the last burst ends the span. */
    if (p->sent > 1 && now_us == p->last_send_us)
        p->last_burst_bytes += size;
    else
        p->last_burst_bytes = size;
    p->last_send_us = now_us;
    if (is_probe)
        p->probes_sent++;
}

void yh_bwe_probe_on_feedback(yh_bwe_probe_t *p, uint16_t seq, uint32_t size, int64_t arrival_us)
{
    if (!p->active || !p->sent)
        return;
    int32_t off = yh_seq_diff(seq, p->first_seq);
    if (off < 0 || (unsigned)off >= p->sent)
        return;
    p->reported++;
    if (arrival_us < 0)
        return;
    if (!p->received || arrival_us < p->first_arrival_us) {
        p->first_arrival_us = arrival_us;
        p->first_arrival_size = size;
    }
    if (!p->received || arrival_us > p->last_arrival_us)
        p->last_arrival_us = arrival_us;
    p->received++;
    p->recv_bytes += size;
}

/* Rate over the cluster (ProbeBitrateEstimator): the send rate leaves out
 * the last burst (packets sent at the same instant as the last one), the
 * receive rate the first packet, because an interval holds one packet (or
 * burst) less than its endpoints. */
static uint64_t measure(const yh_bwe_probe_t *p)
{
    if (p->sent < 5 || p->received * 100 < p->sent * MIN_RECEIVED)
        return 0;
    int64_t send_span = p->last_send_us - p->first_send_us;
    int64_t recv_span = p->last_arrival_us - p->first_arrival_us;
    if (send_span <= 0 || recv_span <= 0)
        return 0;
    double send = (double)(p->sent_bytes - p->last_burst_bytes) * 8e6 / (double)send_span;
    double recv = (double)(p->recv_bytes - p->first_arrival_size) * 8e6 / (double)recv_span;
    if (recv > 2 * send)
        return 0; /* arrivals compressed beyond belief: not a measurement */
    if (recv < 0.9 * send)
        return (uint64_t)(0.95 * recv); /* the path delivered less: that is its rate */
    return (uint64_t)(send < recv ? send : recv);
}

uint64_t yh_bwe_probe_result(yh_bwe_probe_t *p, int64_t now_us)
{
    if (!p->active)
        return 0;
    int done = p->probes_sent >= p->want && p->reported >= p->sent;
    if (!done && now_us - p->last_start_us < TIMEOUT_US)
        return 0;
    p->active = 0;
    uint64_t r = measure(p);
    p->further = r && r * 100 >= p->target_bps * FURTHER_FRACTION;
    return r;
}

void yh_bwe_probe_on_drop(yh_bwe_probe_t *p, uint64_t before, uint64_t after, int64_t now_us)
{
    p->further = 0;
    if (after * 100 < before * LARGE_DROP) {
        p->pre_drop_bps = before;
        p->drop_us = now_us;
    }
}
