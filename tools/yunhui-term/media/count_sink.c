/*
 * A counting receiver for load mode: RFC 3550 A.1 extended sequence numbers
 * (without the probation period), A.3 expected-minus-received loss and A.8
 * interarrival jitter, with no decoding and no per-packet cost beyond a few
 * additions.
 */
#include <string.h>

#include "media/media.h"

#define SEQ_MOD 65536u
#define MAX_DROPOUT 3000u
#define MAX_MISORDER 100u

void yt_count_sink_init(yt_count_sink_t *c, uint32_t clock_rate)
{
    memset(c, 0, sizeof(*c));
    c->clock_rate = clock_rate ? clock_rate : 90000u;
}

/* The arrival time in RTP timestamp units, modulo 2^32 (A.8). */
static uint32_t arrival_ticks(uint64_t us, uint32_t rate)
{
    uint64_t sec = us / 1000000u, rem = us % 1000000u;
    return (uint32_t)(sec * rate + rem * rate / 1000000u);
}

static uint32_t expected(const yt_count_sink_t *c)
{
    return c->cycles + c->max_seq - c->base_seq + 1u; /* modulo 2^32 */
}

/* A.1 update_seq. Returns 1 when the packet advanced the highest sequence
 * number, 0 otherwise. A jump beyond MAX_DROPOUT is taken as a sender
 * restart at once (there is no room for A.1's bad_seq in this struct); the
 * base is moved so the loss counted so far is kept. */
static int update_seq(yt_count_sink_t *c, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - c->max_seq);
    if (udelta < MAX_DROPOUT) {
        if (seq < c->max_seq)
            c->cycles += SEQ_MOD;
        c->max_seq = seq;
        return udelta != 0;
    }
    if (udelta <= SEQ_MOD - MAX_MISORDER) {
        uint32_t exp_before = expected(c);
        c->max_seq = seq;
        c->base_seq = c->cycles + seq - exp_before; /* expected becomes +1 */
        return 1;
    }
    return 0; /* late or duplicate */
}

void yt_count_sink_push(yt_count_sink_t *c, uint16_t seq, uint32_t ts, size_t len,
                        uint64_t arrival_us)
{
    int adv;
    if (!c->started) {
        c->started = 1;
        c->max_seq = seq;
        c->base_seq = seq;
        c->cycles = 0;
        adv = 2;
    } else {
        adv = update_seq(c, seq);
    }
    c->packets++;
    c->bytes += len;
    if (!adv)
        return; /* a late packet's transit says nothing about jitter */
    uint32_t transit = arrival_ticks(arrival_us, c->clock_rate) - ts;
    if (adv == 1) {
        int32_t d = (int32_t)(transit - c->last_transit);
        double ad = d < 0 ? -(double)d : (double)d;
        c->jitter += (ad - c->jitter) / 16.0;
    }
    c->last_transit = transit;
}

int64_t yt_count_sink_lost(const yt_count_sink_t *c)
{
    if (!c->started)
        return 0;
    return (int64_t)expected(c) - (int64_t)c->packets;
}
