/*
 * Loss-based controller (draft-ietf-rmcat-gcc-02 section 6, libwebrtc's
 * classic SendSideBandwidthEstimation): below 2% loss the rate may grow by
 * 8% a second, above 10% it is cut by half the loss fraction (at most once
 * per 300 ms + RTT), in between it holds.
 */
#ifndef YH_BWE_LOSS_H
#define YH_BWE_LOSS_H

#include <stdint.h>

typedef struct yh_bwe_loss {
    uint64_t bps;
    int64_t last_update_us, last_decrease_us;
    uint8_t last_fraction; /* Q8, as in an RTCP report block */
    int updated, decreased;
} yh_bwe_loss_t;

void yh_bwe_loss_init(yh_bwe_loss_t *l, uint64_t start_bps);
/* One loss measurement: `fraction` lost in Q8 (RFC 3550 6.4.1). */
void yh_bwe_loss_update(yh_bwe_loss_t *l, uint8_t fraction, int64_t now_us, int64_t rtt_us);

#endif
