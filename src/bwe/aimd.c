#include "bwe/aimd.h"

#include <string.h>

#define BETA_NUM 85 /* decrease to 0.85 x acked (5.5) */
#define BETA_DEN 100
#define MULT_PER_S 0.08        /* eta: 8% a second far from congestion */
#define PACKET_BITS (1200 * 8) /* additive step: one packet per response time */
#define ADD_MIN_BPS_PER_S 4000
#define RESPONSE_EXTRA_US 100000 /* response time = RTT + 100 ms (libwebrtc) */
#define MAX_STEP_US 1000000
#define NEAR_LOW 80    /* percent of link_bps: from here on increase additively */
#define FAR_HIGH 150   /* percent of link_bps: above it the old capacity is stale */
#define LINK_SMOOTH 80 /* percent of the old link estimate kept per congestion */
#define LIMIT_NUM 3    /* never increase past 1.5 x acked + 10 kbps */
#define LIMIT_DEN 2
#define LIMIT_EXTRA_BPS 10000

void yh_bwe_aimd_init(yh_bwe_aimd_t *a, uint64_t start_bps, uint64_t min_bps, uint64_t max_bps)
{
    memset(a, 0, sizeof(*a));
    a->bps = start_bps;
    a->min_bps = min_bps;
    a->max_bps = max_bps;
    a->rtt_us = 100000;
    a->state = YH_BWE_RC_HOLD;
}

static uint64_t increase(yh_bwe_aimd_t *a, uint64_t acked_bps, int64_t dt_us)
{
    double s = (double)dt_us / 1e6;
    uint64_t bps = a->bps;
    /* Acked well above the old capacity: the bottleneck has moved. */
    if (a->link_bps &&
        (acked_bps * 100 > a->link_bps * FAR_HIGH || bps * 100 > a->link_bps * FAR_HIGH))
        a->link_bps = 0;
    if (a->link_bps && bps * 100 >= a->link_bps * NEAR_LOW) {
        double response_s = (double)(a->rtt_us + RESPONSE_EXTRA_US) / 1e6;
        double per_s = PACKET_BITS / response_s;
        if (per_s < ADD_MIN_BPS_PER_S)
            per_s = ADD_MIN_BPS_PER_S;
        bps += (uint64_t)(per_s * s);
    } else {
        double inc = (double)bps * MULT_PER_S * s;
        bps += (uint64_t)(inc < 1000 * s ? 1000 * s : inc);
    }
    /* Rising far past what is actually delivered would only build a queue
     * once the media catches up (libwebrtc: 1.5 x throughput + 10 kbps);
     * this limit stops increases, it never lowers the rate. */
    if (acked_bps) {
        uint64_t limit = acked_bps * LIMIT_NUM / LIMIT_DEN + LIMIT_EXTRA_BPS;
        if (bps > limit)
            bps = a->bps > limit ? a->bps : limit;
    }
    return bps;
}

static int decrease(yh_bwe_aimd_t *a, uint64_t acked_bps, int64_t now_us)
{
    /* One cut per response time: the feedback right after a cut still
     * shows the queue built before it. */
    if (a->decreased && now_us - a->last_decrease_us < a->rtt_us + RESPONSE_EXTRA_US)
        return 0;
    /* Just under what the path delivered drains the queue we built; a
     * throughput sample above the current rate (a burst, a probe) falls
     * back on the capacity seen at earlier congestion. Never raise. */
    uint64_t sample = acked_bps ? acked_bps : a->bps;
    uint64_t cut = sample * BETA_NUM / BETA_DEN;
    if (cut > a->bps && a->link_bps)
        cut = a->link_bps * BETA_NUM / BETA_DEN;
    if (cut < a->bps)
        a->bps = cut;
    a->link_bps =
        a->link_bps ? (a->link_bps * LINK_SMOOTH + sample * (100 - LINK_SMOOTH)) / 100 : sample;
    a->last_decrease_us = now_us;
    a->decreased = 1;
    a->state = YH_BWE_RC_HOLD;
    return 1;
}

int yh_bwe_aimd_update(yh_bwe_aimd_t *a, yh_bwe_usage_t usage, uint64_t acked_bps, int64_t now_us)
{
    int64_t dt = a->updated ? now_us - a->last_update_us : 0;
    if (dt < 0)
        dt = 0;
    if (dt > MAX_STEP_US)
        dt = MAX_STEP_US;
    a->updated = 1;
    a->last_update_us = now_us;
    /* State transitions (5.5, figure 2). */
    if (usage == YH_BWE_USAGE_OVER)
        a->state = YH_BWE_RC_DECREASE;
    else if (usage == YH_BWE_USAGE_UNDER)
        a->state = YH_BWE_RC_HOLD;
    else if (a->state == YH_BWE_RC_HOLD)
        a->state = YH_BWE_RC_INCREASE;
    else if (a->state == YH_BWE_RC_DECREASE)
        a->state = YH_BWE_RC_HOLD;
    int cut = 0;
    if (a->state == YH_BWE_RC_INCREASE)
        a->bps = increase(a, acked_bps, dt);
    else if (a->state == YH_BWE_RC_DECREASE)
        cut = decrease(a, acked_bps, now_us);
    if (a->bps < a->min_bps)
        a->bps = a->min_bps;
    if (a->bps > a->max_bps)
        a->bps = a->max_bps;
    return cut;
}

void yh_bwe_aimd_raise(yh_bwe_aimd_t *a, uint64_t bps)
{
    if (bps > a->max_bps)
        bps = a->max_bps;
    if (bps > a->bps)
        a->bps = bps;
}
