/*
 * Receive-side figures of one stream. Loss and jitter come from the
 * project's RFC 3550 receiver statistics; the rest follows webrtc-stats
 * (RTCInboundRtpStreamStats: framesDecoded, freezeCount, totalFreezesDuration,
 * concealedSamples, bytesReceived).
 */
#include "media/rxstats.h"

#include <string.h>

#define RATE_BUCKET_US 100000u
#define RATE_WINDOW 10u /* buckets: one second */
#define FREEZE_MIN_SAMPLES 5
#define FREEZE_MIN_INCREASE_US 150000u

void yt_rxstats_init(yt_rxstats_t *s, uint32_t clock_rate)
{
    memset(s, 0, sizeof(*s));
    yh_rtp_recvstats_init(&s->rtp, clock_rate);
}

static yt_rx_rate_slot_t *rate_slot(yt_rxstats_t *s, uint64_t now_us)
{
    uint64_t idx = now_us / RATE_BUCKET_US + 1;
    yt_rx_rate_slot_t *r = &s->rate[idx % YT_RX_RATE_SLOTS];
    if (r->idx != idx) {
        r->idx = idx;
        r->bytes = 0;
        r->frames = 0;
    }
    return r;
}

void yt_rxstats_packet(yt_rxstats_t *s, uint16_t seq, uint32_t ts, size_t payload_bytes,
                       uint64_t arrival_us)
{
    s->packets++;
    s->bytes += payload_bytes;
    rate_slot(s, arrival_us)->bytes += payload_bytes;
    yh_rtp_recvstats_update(&s->rtp, seq, ts, payload_bytes, arrival_us);
}

/* webrtc-stats freezeCount: an inter-frame interval at least
 * max(3 x mean, mean + 150 ms), the mean taken over the recent intervals
 * before this one. A freeze interval is kept out of the mean so that one
 * long stall does not hide the next. */
static void track_freeze(yt_rxstats_t *s, uint64_t now_us)
{
    if (!s->have_last_frame || now_us < s->last_frame_us) {
        s->have_last_frame = 1;
        s->last_frame_us = now_us;
        return;
    }
    uint64_t d = now_us - s->last_frame_us;
    s->last_frame_us = now_us;
    if (d > s->max_ivl_us)
        s->max_ivl_us = d;
    if (s->ivl_n >= FREEZE_MIN_SAMPLES) {
        uint64_t mean = s->ivl_sum / (uint64_t)s->ivl_n;
        uint64_t lim = 3 * mean > mean + FREEZE_MIN_INCREASE_US ? 3 * mean
                                                                  : mean + FREEZE_MIN_INCREASE_US;
        if (d >= lim) {
            s->freezes++;
            s->freeze_us += d;
            return;
        }
    }
    uint32_t v = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    if (s->ivl_n == YT_RX_IVL_WINDOW)
        s->ivl_sum -= s->ivl[s->ivl_pos];
    else
        s->ivl_n++;
    s->ivl[s->ivl_pos] = v;
    s->ivl_sum += v;
    s->ivl_pos = (s->ivl_pos + 1) % YT_RX_IVL_WINDOW;
}

void yt_rxstats_frame(yt_rxstats_t *s, uint64_t now_us, uint64_t capture_us, int freezes)
{
    s->frames_decoded++;
    rate_slot(s, now_us)->frames++;
    if (freezes)
        track_freeze(s, now_us);
    if (capture_us) {
        /* Clocks of one host: a capture time after the decode is a caller
         * mistake or clock step, taken as zero delay. */
        uint64_t d = now_us > capture_us ? now_us - capture_us : 0;
        uint64_t b = d / 1000u;
        s->delay_hist[b < YT_RX_DELAY_BUCKETS ? b : YT_RX_DELAY_BUCKETS]++;
        s->delay_n++;
        s->delay_sum_us += d;
    }
}

/* The 99th percentile as the upper edge of the 1 ms bucket holding the
 * ceil(0.99 n)-th smallest sample; 2000 ms when it lies beyond the table. */
static double delay_p99_ms(const yt_rxstats_t *s)
{
    uint64_t rank = (s->delay_n * 99 + 99) / 100, acc = 0;
    for (unsigned b = 0; b < YT_RX_DELAY_BUCKETS; b++) {
        acc += s->delay_hist[b];
        if (acc >= rank)
            return (double)(b + 1);
    }
    return (double)YT_RX_DELAY_BUCKETS;
}

/* Rates over the ten whole 100 ms buckets before the current one: exactly
 * one second, at most 100 ms old. */
static void fill_rates(const yt_rxstats_t *s, uint64_t now_us, yt_rx_stats_t *out)
{
    uint64_t cur = now_us / RATE_BUCKET_US + 1, bytes = 0, frames = 0;
    for (unsigned i = 0; i < YT_RX_RATE_SLOTS; i++) {
        const yt_rx_rate_slot_t *r = &s->rate[i];
        if (r->idx && r->idx < cur && r->idx + RATE_WINDOW >= cur) {
            bytes += r->bytes;
            frames += r->frames;
        }
    }
    out->bitrate_kbps = (double)bytes * 8.0 / 1000.0;
    out->fps = (double)frames;
}

void yt_rxstats_fill(const yt_rxstats_t *s, uint64_t now_us, yt_rx_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    out->packets = s->packets;
    out->bytes = s->bytes;
    if (s->rtp.started) {
        /* A.3: expected = extended highest - base + 1. */
        int64_t ext_max = (int64_t)s->rtp.cycles + s->rtp.max_seq;
        out->lost = ext_max - (int64_t)s->rtp.base_seq + 1 - (int64_t)s->rtp.received;
        out->jitter_ms = s->rtp.jitter * 1000.0 / (double)s->rtp.clock_rate;
    }
    out->frames_decoded = s->frames_decoded;
    out->frames_dropped = s->frames_dropped;
    out->freezes = s->freezes;
    out->freeze_ms = s->freeze_us / 1000u;
    out->max_frame_gap_ms = s->max_ivl_us / 1000u;
    out->concealed_ms = s->concealed_samples / 48u;
    if (s->delay_n) {
        out->delay_ms_mean = (double)s->delay_sum_us / (double)s->delay_n / 1000.0;
        out->delay_ms_p99 = delay_p99_ms(s);
    }
    out->delay_samples = s->delay_n;
    fill_rates(s, now_us, out);
}
