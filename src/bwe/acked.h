/*
 * Acknowledged bitrate: what the subscriber's TWCC feedback says actually
 * arrived, measured over windows of the receiver's arrival clock and
 * smoothed. The rate controller decreases to a fraction of it on overuse
 * and never increases far beyond it (draft-ietf-rmcat-gcc-02 5.5).
 */
#ifndef YH_BWE_ACKED_H
#define YH_BWE_ACKED_H

#include <stdint.h>

typedef struct yh_bwe_acked {
    int64_t win_start_us; /* arrival clock */
    uint64_t win_bytes;
    uint64_t bps; /* 0 until the first window closes */
    int started;
} yh_bwe_acked_t;

void yh_bwe_acked_init(yh_bwe_acked_t *a);
/* One packet reported received, at `arrival_us` on the receiver's clock. */
void yh_bwe_acked_add(yh_bwe_acked_t *a, int64_t arrival_us, uint32_t size);
/* The smoothed acknowledged bitrate, 0 while unknown. */
uint64_t yh_bwe_acked_bps(const yh_bwe_acked_t *a);

#endif
