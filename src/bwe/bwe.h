/*
 * Downlink bandwidth estimator for one subscriber transport: send-side
 * congestion control in the manner of Google Congestion Control
 * (draft-ietf-rmcat-gcc-02) driven by transport-wide feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01).
 *
 * The worker records every packet it sends with its transport-wide
 * sequence number (yh_bwe_on_sent), hands over each parsed TWCC feedback
 * (yh_bwe_on_feedback) and each receiver report's fraction lost
 * (yh_bwe_on_loss_report), asks yh_bwe_probe_wanted on its tick, and reads
 * yh_bwe_estimate for the allocator. The estimate is
 *   clamp(min(delay-based, loss-based), min_bps, max_bps).
 *
 * Sans-I/O: times are the caller's microsecond clock, nothing allocates,
 * and the whole state is one embeddable struct of about 19 KiB.
 */
#ifndef YH_BWE_BWE_H
#define YH_BWE_BWE_H

#include <stddef.h>
#include <stdint.h>

#include "base/minwin.h"
#include "bwe/acked.h"
#include "bwe/aimd.h"
#include "bwe/loss.h"
#include "bwe/probe.h"
#include "bwe/sendhist.h"
#include "bwe/trendline.h"
#include "rtcp/rtcp.h"

typedef struct yh_bwe {
    uint64_t min_bps, max_bps;
    int64_t rtt_us;
    yh_bwe_sendhist_t hist;
    yh_bwe_trendline_t trend;
    yh_bwe_aimd_t aimd;
    yh_bwe_loss_t loss;
    yh_bwe_acked_t acked;
    yh_bwe_probe_t probe;
    /* Loss counted from TWCC feedback until enough packets for a sample. */
    unsigned fb_lost, fb_total;
    /* One-way delay (arrival - send, the two clocks' offset included) at
     * its least over 5-10 s, and above that least for the newest packet
     * reported: the standing queue. */
    yh_minwin_t owd_min;
    int64_t queue_us, newest_arrival_us;
    int64_t cut_queue_us; /* the queue when the rate was last cut */
    /* The queue at the newest arrival of each of the last feedbacks. */
    struct {
        int64_t arrival_us, queue_us;
    } qhist[16];
    unsigned qhist_head;
    /* Receiver reference-time unwrapping (24-bit field, 64 ms units). */
    int have_ref;
    int32_t last_ref;
    int64_t ref_ticks;
} yh_bwe_t;

/* A snapshot for statistics and /metrics. */
typedef struct yh_bwe_stats {
    uint64_t estimate_bps, delay_bps, loss_bps, acked_bps, link_bps;
    int64_t queue_us; /* the standing queue at the newest packet reported */
    uint8_t loss_q8;  /* the last loss sample, of 256 */
    yh_bwe_usage_t usage;
    double threshold_ms, trend;
    int probing;
} yh_bwe_stats_t;

/* min_bps <= start_bps <= max_bps (start is clamped into range). */
void yh_bwe_init(yh_bwe_t *b, uint64_t start_bps, uint64_t min_bps, uint64_t max_bps);
/* Every RTP packet (media, RTX, padding) sent on the transport, with its
 * transport-wide sequence number and its size on the wire. `is_probe`
 * marks packets sent to answer yh_bwe_probe_wanted. */
void yh_bwe_on_sent(yh_bwe_t *b, uint16_t twcc_seq, size_t size, uint64_t now_us, int is_probe);
/* Marks the packet just recorded under `twcc_seq` with the caller's `tag`
 * (not 0) and `value`, for yh_bwe_sent_tag: which stream and packet it
 * was, so feedback that reports it lost can be acted on. */
void yh_bwe_tag_sent(yh_bwe_t *b, uint16_t twcc_seq, uint8_t tag, uint16_t value);
/* The mark and send time of packet `twcc_seq`: 0, or -1 when it carries
 * none or is no longer remembered. */
int yh_bwe_sent_tag(yh_bwe_t *b, uint16_t twcc_seq, uint8_t *tag, uint16_t *value,
                    uint64_t *send_us);
/* One parsed TWCC feedback: `tw` and pkts[0 .. n-1] as filled by
 * yh_rtcp_parse_twcc (n is capped at tw->n). Borrowed. Duplicate,
 * reordered and empty feedback is harmless. Returns 0 or YH_EINVAL. */
int yh_bwe_on_feedback(yh_bwe_t *b, const yh_rtcp_twcc_t *tw, const yh_rtcp_twcc_pkt_t *pkts,
                       size_t n, uint64_t now_us);
/* The fraction lost of a receiver report block (RFC 3550 6.4.1, Q8). */
void yh_bwe_on_loss_report(yh_bwe_t *b, uint8_t fraction_lost, uint64_t now_us);
/* Round-trip time when known (from RR LSR/DLSR); 100 ms is assumed. */
void yh_bwe_set_rtt(yh_bwe_t *b, uint64_t rtt_us);
uint64_t yh_bwe_estimate(const yh_bwe_t *b);
/* Whether to probe now. Returns the number of probe packets (of about
 * YH_BWE_PROBE_PKT_SIZE bytes each) to send on top of the media over about
 * 60 ms (evenly, or in equal bursts on 20 ms ticks), which is *probe_bps
 * of padding; each is reported with is_probe = 1; 0 when no probe is
 * wanted. A returned cluster is open:
 * no further one is suggested until it is measured or times out (1 s). */
int yh_bwe_probe_wanted(yh_bwe_t *b, uint64_t now_us, uint64_t *probe_bps);
void yh_bwe_get_stats(const yh_bwe_t *b, yh_bwe_stats_t *st);

#endif
