/*
 * Delay-based overuse detector (draft-ietf-rmcat-gcc-02 section 5, in the
 * trendline form libwebrtc uses): packets are grouped by send time into
 * 5 ms groups (5.2), the inter-group delay variation
 *   d(i) = (arrival(i) - arrival(i-1)) - (send(i) - send(i-1))
 * is accumulated and smoothed, and the slope of the smoothed delay over the
 * last YH_BWE_TREND_WINDOW groups is compared with an adaptive threshold
 * (5.4) to say whether the bottleneck queue grows (overuse), drains
 * (underuse) or stays (normal).
 */
#ifndef YH_BWE_TRENDLINE_H
#define YH_BWE_TRENDLINE_H

#include <stdint.h>

#define YH_BWE_TREND_WINDOW 20

typedef enum yh_bwe_usage {
    YH_BWE_USAGE_NORMAL = 0,
    YH_BWE_USAGE_OVER,
    YH_BWE_USAGE_UNDER,
} yh_bwe_usage_t;

/* A send-time group: packets sent within 5 ms of its first one, or that
 * arrived as a burst behind it. */
typedef struct yh_bwe_group {
    int64_t first_send_us, last_send_us;
    int64_t first_arrival_us, last_arrival_us;
    int used;
} yh_bwe_group_t;

typedef struct yh_bwe_trendline {
    yh_bwe_group_t cur, prev;
    /* Trendline state. */
    int64_t first_arrival_us;
    double accumulated_ms, smoothed_ms;
    double win_x[YH_BWE_TREND_WINDOW], win_y[YH_BWE_TREND_WINDOW];
    unsigned win_n, win_head, num_deltas;
    double trend, prev_trend;
    /* Detector state. */
    double threshold_ms, time_over_ms;
    int over_count;
    int64_t last_threshold_us;
    yh_bwe_usage_t usage;
} yh_bwe_trendline_t;

void yh_bwe_trendline_init(yh_bwe_trendline_t *t);
/* Feeds one received packet, in send order, with its send time (local
 * clock) and arrival time (the receiver's clock: only differences matter).
 * Returns the detector's state after it. */
yh_bwe_usage_t yh_bwe_trendline_add(yh_bwe_trendline_t *t, int64_t send_us, int64_t arrival_us);

#endif
