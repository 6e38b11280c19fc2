/*
 * Receive statistics of one incoming RTP stream for receiver reports:
 * extended highest sequence number, cumulative and interval loss, and
 * interarrival jitter (RFC 3550 appendix A.1, A.3, A.8).
 */
#ifndef YH_RTP_RECVSTATS_H
#define YH_RTP_RECVSTATS_H

#include <stdint.h>

#include "rtcp/rtcp.h"

typedef struct yh_rtp_recvstats {
    uint32_t clock_rate;
    int started;
    uint16_t max_seq;
    uint32_t cycles;
    uint32_t base_seq;
    uint32_t bad_seq;
    uint32_t probation;
    uint32_t received;
    uint32_t expected_prior;
    uint32_t received_prior;
    uint32_t transit;
    double jitter;
    uint64_t bytes;
    /* For LSR/DLSR: middle 32 bits of the last SR's NTP time and when it came. */
    uint32_t last_sr_ntp_mid;
    uint64_t last_sr_us;
} yh_rtp_recvstats_t;

void yh_rtp_recvstats_init(yh_rtp_recvstats_t *s, uint32_t clock_rate);
/* Records a packet with its RTP timestamp and arrival time. */
void yh_rtp_recvstats_update(yh_rtp_recvstats_t *s, uint16_t seq, uint32_t ts, size_t bytes,
                             uint64_t arrival_us);
/* Records a sender report from this stream's source. */
void yh_rtp_recvstats_sr(yh_rtp_recvstats_t *s, uint64_t ntp, uint64_t now_us);
/* Fills a report block for `ssrc` and starts a new interval. */
void yh_rtp_recvstats_report(yh_rtp_recvstats_t *s, uint32_t ssrc, uint64_t now_us,
                             yh_rtcp_report_block_t *rb);

#endif
