#include "bwe/loss.h"

#include <string.h>

/* Thresholds in percent, compared as fraction/256 like libwebrtc does:
 * up to 2% (5/256) the rate may grow, over 10% (26/256 and more) it is cut. */
#define LOW_LOSS_PCT 2
#define HIGH_LOSS_PCT 10
#define GROWTH_PER_S 0.08
#define GROWTH_MIN_BPS 1000 /* per second, so a tiny rate still moves */
#define DECREASE_GAP_US 300000
#define MAX_STEP_US 1000000

void yh_bwe_loss_init(yh_bwe_loss_t *l, uint64_t start_bps)
{
    memset(l, 0, sizeof(*l));
    l->bps = start_bps;
}

void yh_bwe_loss_update(yh_bwe_loss_t *l, uint8_t fraction, int64_t now_us, int64_t rtt_us)
{
    int64_t dt = l->updated ? now_us - l->last_update_us : 0;
    if (dt < 0)
        dt = 0;
    if (dt > MAX_STEP_US)
        dt = MAX_STEP_US;
    l->updated = 1;
    l->last_update_us = now_us;
    l->last_fraction = fraction;
    if (fraction * 100u <= LOW_LOSS_PCT * 256u) {
        double s = (double)dt / 1e6;
        l->bps += (uint64_t)((double)l->bps * GROWTH_PER_S * s + GROWTH_MIN_BPS * s);
    } else if (fraction * 100u > HIGH_LOSS_PCT * 256u) {
        /* 6: As(tk) = As(tk-1) * (1 - 0.5 fl(tk)), once per RTT-ish so
         * reports of the same loss episode do not compound. */
        if (l->decreased && now_us - l->last_decrease_us < DECREASE_GAP_US + rtt_us)
            return;
        l->bps = l->bps * (512u - fraction) / 512u;
        l->last_decrease_us = now_us;
        l->decreased = 1;
    }
}
