/*
 * Receive-side figures shared by the video and audio sinks (internal to the
 * media engine): RTP loss and jitter (RFC 3550 A.1, A.3, A.8, through
 * src/rtp/recvstats), freezes as webrtc-stats defines them, end-to-end delay
 * with a fixed histogram, and bitrate/frame rate over the last second.
 * Fixed size: nothing is allocated per packet or per frame.
 */
#ifndef YT_MEDIA_RXSTATS_H
#define YT_MEDIA_RXSTATS_H

#include <stdint.h>

#include "media/media.h"
#include "rtp/recvstats.h"

#define YT_RX_IVL_WINDOW 30      /* inter-frame intervals averaged for freezes */
#define YT_RX_DELAY_BUCKETS 2000 /* 1 ms buckets up to 2 s, then one overflow */
#define YT_RX_RATE_SLOTS 16      /* 100 ms rate buckets (10 used + spare) */

typedef struct yt_rx_rate_slot {
    uint64_t idx; /* absolute 100 ms bucket number + 1; 0 = empty */
    uint64_t bytes;
    uint32_t frames;
} yt_rx_rate_slot_t;

typedef struct yt_rxstats {
    yh_rtp_recvstats_t rtp;
    uint64_t packets, bytes;
    uint64_t frames_decoded, frames_dropped;
    uint64_t concealed_samples; /* audio, at 48 kHz */
    /* Freezes: intervals between rendered frames. */
    int have_last_frame;
    uint64_t last_frame_us;
    uint32_t ivl[YT_RX_IVL_WINDOW];
    int ivl_n, ivl_pos;
    uint64_t ivl_sum;
    uint64_t freezes, freeze_us;
    uint64_t max_ivl_us; /* the longest interval between rendered frames */
    /* Delay: capture -> decode. */
    uint32_t delay_hist[YT_RX_DELAY_BUCKETS + 1];
    uint64_t delay_n, delay_sum_us;
    yt_rx_rate_slot_t rate[YT_RX_RATE_SLOTS];
} yt_rxstats_t;

void yt_rxstats_init(yt_rxstats_t *s, uint32_t clock_rate);
/* One RTP packet: `payload_bytes` excludes the RTP header and padding
 * (bytesReceived in webrtc-stats, RFC 3550 6.4.1). */
void yt_rxstats_packet(yt_rxstats_t *s, uint16_t seq, uint32_t ts, size_t payload_bytes,
                       uint64_t arrival_us);
/* One decoded (rendered) frame at `now_us`; `capture_us` 0 when unknown.
 * `freezes` 0 for audio. */
void yt_rxstats_frame(yt_rxstats_t *s, uint64_t now_us, uint64_t capture_us, int freezes);
void yt_rxstats_fill(const yt_rxstats_t *s, uint64_t now_us, yt_rx_stats_t *out);

#endif
