/*
 * Probing: a short cluster of extra packets (RTX or padding) sent at a rate
 * above the estimate, whose delivery rate as the receiver's feedback shows
 * it tells how much room the path has (libwebrtc's ProbeController and
 * ProbeBitrateEstimator, simplified). The measurement covers every packet
 * sent during the cluster, media included, so the caller only adds padding.
 */
#ifndef YH_BWE_PROBE_H
#define YH_BWE_PROBE_H

#include <stdint.h>

/* Packet size the suggested count assumes: an RTP padding-only packet
 * (255 bytes of padding, the most one padding byte can count, plus header
 * and SRTP tag) is about this on the wire. */
#define YH_BWE_PROBE_PKT_SIZE 300
#define YH_BWE_PROBE_MAX_PACKETS 96 /* per cluster */

typedef struct yh_bwe_probe {
    /* Scheduling. */
    int64_t last_start_us;
    int started_once;
    int further;           /* the last probe found room: probe again soon */
    uint64_t pre_drop_bps; /* estimate before the last large drop, 0 none */
    int64_t drop_us;
    /* The cluster in flight. */
    int active;
    uint64_t target_bps; /* total rate the cluster aims at */
    unsigned want, probes_sent;
    unsigned sent, received, reported; /* packets in the cluster's seq range */
    uint16_t first_seq;
    int64_t first_send_us, last_send_us;
    uint64_t sent_bytes;
    uint32_t last_burst_bytes; /* sent at last_send_us */
    int64_t first_arrival_us, last_arrival_us;
    uint32_t first_arrival_size;
    uint64_t recv_bytes;
} yh_bwe_probe_t;

void yh_bwe_probe_init(yh_bwe_probe_t *p);
/* Whether to start a cluster now. On 1 the cluster is open: *pad_bps is the
 * padding rate to add and *count the packets (of YH_BWE_PROBE_PKT_SIZE). */
int yh_bwe_probe_start(yh_bwe_probe_t *p, int64_t now_us, uint64_t est_bps, uint64_t acked_bps,
                       uint64_t max_bps, int64_t last_decrease_us, int congested, uint64_t *pad_bps,
                       unsigned *count);
/* Every packet sent (the cluster spans from its first probe packet to its
 * last one). */
void yh_bwe_probe_on_sent(yh_bwe_probe_t *p, uint16_t seq, uint32_t size, int64_t now_us,
                          int is_probe);
/* Feedback for one packet: whether it belongs to the cluster is decided
 * here. arrival_us < 0: reported lost. */
void yh_bwe_probe_on_feedback(yh_bwe_probe_t *p, uint16_t seq, uint32_t size, int64_t arrival_us);
/* Closes the cluster when all of it is reported (or it timed out) and
 * returns its measured rate in bps, 0 when there is no (valid) result. */
uint64_t yh_bwe_probe_result(yh_bwe_probe_t *p, int64_t now_us);
/* The rate controller cut the estimate from `before` to `after`. */
void yh_bwe_probe_on_drop(yh_bwe_probe_t *p, uint64_t before, uint64_t after, int64_t now_us);

#endif
