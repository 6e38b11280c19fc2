/*
 * Receive statistics for receiver report blocks, after RFC 3550 appendix A.
 *
 * Sequence tracking follows A.1 without the probation period: the first
 * packet starts the stream. A jump of more than MAX_DROPOUT ahead (or more
 * than MAX_MISORDER behind) is taken as a restart of the sender only when
 * the packet after it follows on, as in A.1.
 */
#include "rtp/recvstats.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000u
#define MAX_MISORDER 100u

void yh_rtp_recvstats_init(yh_rtp_recvstats_t *s, uint32_t clock_rate)
{
    memset(s, 0, sizeof(*s));
    s->clock_rate = clock_rate;
}

static void init_seq(yh_rtp_recvstats_t *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
}

/* A.1 update_seq. Returns 1 when the packet advanced max_seq, 2 when it
 * restarted the sequence, 0 for a duplicate or reordered packet, and -1
 * when it is dropped as invalid. */
static int update_seq(yh_rtp_recvstats_t *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    int advanced = 0;
    if (udelta < MAX_DROPOUT) {
        if (seq < s->max_seq)
            s->cycles += RTP_SEQ_MOD; /* wrapped */
        advanced = udelta != 0;
        s->max_seq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
        /* A very large jump: accept it only if the next packet follows. */
        if (seq != s->bad_seq) {
            s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
            return -1;
        }
        init_seq(s, seq);
        advanced = 2;
    }
    s->received++;
    return advanced;
}

/* The arrival time in RTP timestamp units, modulo 2^32 (A.8). */
static uint32_t arrival_ticks(uint64_t us, uint32_t rate)
{
    uint64_t sec = us / 1000000u, rem = us % 1000000u;
    return (uint32_t)(sec * rate + rem * rate / 1000000u);
}

void yh_rtp_recvstats_update(yh_rtp_recvstats_t *s, uint16_t seq, uint32_t ts, size_t bytes,
                             uint64_t arrival_us)
{
    int adv;
    if (!s->started) {
        init_seq(s, seq);
        s->started = 1;
        s->received = 1;
        adv = 2;
    } else {
        adv = update_seq(s, seq);
    }
    if (adv < 0)
        return;
    s->bytes += bytes;
    /* Reordered, duplicated or retransmitted packets are counted, but their
     * transit time says nothing about network jitter. */
    if (adv == 0)
        return;

    /* A.8: J += (|D| - J) / 16 with D the change in relative transit. */
    uint32_t transit = arrival_ticks(arrival_us, s->clock_rate) - ts;
    if (adv == 1) {
        int32_t d = (int32_t)(transit - s->transit);
        double ad = d < 0 ? -(double)d : (double)d;
        s->jitter += (ad - s->jitter) / 16.0;
    }
    s->transit = transit;
}

void yh_rtp_recvstats_sr(yh_rtp_recvstats_t *s, uint64_t ntp, uint64_t now_us)
{
    s->last_sr_ntp_mid = (uint32_t)(ntp >> 16);
    s->last_sr_us = now_us;
}

static int32_t clamp24(int64_t v)
{
    if (v > 0x7FFFFF)
        return 0x7FFFFF;
    if (v < -0x800000)
        return -0x800000;
    return (int32_t)v;
}

void yh_rtp_recvstats_report(yh_rtp_recvstats_t *s, uint32_t ssrc, uint64_t now_us,
                             yh_rtcp_report_block_t *rb)
{
    memset(rb, 0, sizeof(*rb));
    rb->ssrc = ssrc;
    /* LSR 0 means "no SR yet", and DLSR is then 0 too (RFC 3550 6.4.1). */
    rb->lsr = s->last_sr_ntp_mid;
    if (rb->lsr && now_us > s->last_sr_us) {
        uint64_t d = (now_us - s->last_sr_us) * 65536u / 1000000u;
        rb->dlsr = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    }
    if (!s->started)
        return;

    /* A.3 */
    uint32_t ext_max = s->cycles + s->max_seq;
    int64_t expected = (int64_t)ext_max - (int64_t)s->base_seq + 1;
    int64_t lost = expected - (int64_t)s->received;
    int64_t expected_interval = expected - (int64_t)s->expected_prior;
    int64_t received_interval = (int64_t)s->received - (int64_t)s->received_prior;
    int64_t lost_interval = expected_interval - received_interval;
    s->expected_prior = (uint32_t)expected;
    s->received_prior = s->received;

    rb->ext_highest_seq = ext_max;
    rb->cumulative_lost = clamp24(lost);
    if (expected_interval > 0 && lost_interval > 0) {
        int64_t f = (lost_interval << 8) / expected_interval;
        rb->fraction_lost = (uint8_t)(f > 255 ? 255 : f);
    }
    rb->jitter = (uint32_t)s->jitter;
}
