/*
 * Delay-based rate controller (draft-ietf-rmcat-gcc-02 section 5.5, with
 * libwebrtc's AimdRateControl refinements): a three-state machine driven
 * by the overuse detector. Increase is multiplicative (8% a second) while
 * the link's capacity is unknown and additive (about one packet per
 * response time) near the rate where congestion was last seen; on overuse
 * the rate drops to 0.85 x the acknowledged bitrate.
 */
#ifndef YH_BWE_AIMD_H
#define YH_BWE_AIMD_H

#include <stdint.h>

#include "bwe/trendline.h"

typedef enum yh_bwe_rc_state {
    YH_BWE_RC_HOLD = 0,
    YH_BWE_RC_INCREASE,
    YH_BWE_RC_DECREASE,
} yh_bwe_rc_state_t;

typedef struct yh_bwe_aimd {
    uint64_t bps, min_bps, max_bps;
    uint64_t link_bps; /* acked bitrate around the last congestion; 0 unknown */
    yh_bwe_rc_state_t state;
    int64_t last_update_us, last_decrease_us;
    int64_t rtt_us;
    int updated, decreased;
} yh_bwe_aimd_t;

void yh_bwe_aimd_init(yh_bwe_aimd_t *a, uint64_t start_bps, uint64_t min_bps, uint64_t max_bps);
/* One detector verdict; `acked_bps` 0 when unknown. Returns 1 when this
 * update decreased the rate. */
int yh_bwe_aimd_update(yh_bwe_aimd_t *a, yh_bwe_usage_t usage, uint64_t acked_bps, int64_t now_us);
/* Raises the rate to a measured probe result (never lowers it). */
void yh_bwe_aimd_raise(yh_bwe_aimd_t *a, uint64_t bps);

#endif
