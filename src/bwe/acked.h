/*
 * Acknowledged bitrate: what the subscriber's TWCC feedback says actually
 * arrived, measured over windows of the receiver's arrival clock and
 * smoothed. The rate controller never increases far beyond it
 * (draft-ietf-rmcat-gcc-02 5.5). On overuse it decreases to a fraction of
 * what arrived lately: while a queue builds the path delivers its
 * capacity, and the smoothed rate would still remember the rate before
 * the bottleneck appeared for half a second and more.
 */
#ifndef YH_BWE_ACKED_H
#define YH_BWE_ACKED_H

#include <stdint.h>

#define YH_BWE_ACKED_RECENT 128 /* packets kept for the recent rate */

typedef struct yh_bwe_acked {
    int64_t win_start_us; /* arrival clock */
    uint64_t win_bytes;
    uint64_t bps; /* 0 until the first window closes */
    int started;
    /* The last packets reported received, in arrival order. */
    struct {
        int64_t arrival_us;
        uint32_t size;
        int32_t queue_us; /* how long it waited behind a queue */
    } recent[YH_BWE_ACKED_RECENT];
    unsigned n_recent, head; /* head: where the next one goes */
} yh_bwe_acked_t;

void yh_bwe_acked_init(yh_bwe_acked_t *a);
/* One packet reported received, at `arrival_us` on the receiver's clock,
 * after waiting `queue_us` behind a queue on the way (the caller judges). */
void yh_bwe_acked_add(yh_bwe_acked_t *a, int64_t arrival_us, uint32_t size, int64_t queue_us);
/* The smoothed acknowledged bitrate, 0 while unknown. */
uint64_t yh_bwe_acked_bps(const yh_bwe_acked_t *a);
/* What a standing queue delivered lately. */
typedef struct yh_bwe_recent {
    uint64_t bps;      /* the packets' rate of arrival */
    int64_t span_us;   /* over this much of the arrival clock */
    int64_t growth_us; /* how much longer the newest waited than the oldest */
} yh_bwe_recent_t;

/* The newest packets that all waited `queued_us` or more, over at most
 * `span_us` of arrivals (or the packets kept when they span less). A busy
 * bottleneck delivers its capacity; arrivals before the queue stood, or
 * across the hole a longer route leaves, say nothing about it. A queue
 * that grew while they arrived tells a bottleneck from a longer route,
 * where packets arrive as they were sent. -1 when fewer than
 * `min_packets` qualify or they span under a quarter of `span_us` (too
 * few to say). */
int yh_bwe_acked_recent(const yh_bwe_acked_t *a, int64_t span_us, unsigned min_packets,
                        int64_t queued_us, yh_bwe_recent_t *out);

#endif
