/*
 * Sequence number and timestamp rewriting for one downstream stream.
 *
 * Output = input + offset (mod 2^16 and 2^32). The offsets are chosen when a
 * source starts so that its first packet continues the output right after
 * the highest packet sent so far. The timestamp offset stays fixed for the
 * life of the source; the sequence offset moves down by one with each
 * packet left out (numskip.c), and reordered and retransmitted packets map
 * to the same numbers as before.
 */
#include "rtp/rewrite.h"

#include <string.h>

#include "base/bytes.h"
#include "base/err.h"

void yh_rtp_rewriter_init(yh_rtp_rewriter_t *r)
{
    memset(r, 0, sizeof(*r));
    yh_numskip_init(&r->seq, 0xffff);
}

void yh_rtp_rewriter_switch(yh_rtp_rewriter_t *r)
{
    r->switching = 1;
}

/* elapsed_us * clock_rate / 1e6 modulo 2^32, without 64-bit overflow. */
static uint32_t us_to_ticks(uint64_t elapsed_us, uint32_t clock_rate)
{
    uint64_t sec = elapsed_us / 1000000u, rem = elapsed_us % 1000000u;
    return (uint32_t)(sec * clock_rate + rem * clock_rate / 1000000u);
}

static void start_source(yh_rtp_rewriter_t *r, uint16_t seq_in, uint32_t ts_in, uint32_t clock_rate,
                         uint64_t now_us)
{
    uint16_t seq_out = seq_in;
    if (!r->started) {
        r->ts_offset = 0;
    } else {
        uint64_t elapsed = now_us > r->last_out_us ? now_us - r->last_out_us : 0;
        uint32_t ticks = us_to_ticks(elapsed, clock_rate);
        if (ticks == 0)
            ticks = 1; /* never repeat the previous frame's timestamp */
        seq_out = (uint16_t)(r->max_seq_out + 1u);
        r->ts_offset = r->last_ts_out + ticks - ts_in;
    }
    yh_numskip_start(&r->seq, seq_in, seq_out);
    r->started = 1;
    r->switching = 0;
    r->max_seq_out = (uint16_t)(seq_out - 1u);
    r->last_ts_out = ts_in + r->ts_offset;
    r->last_out_us = now_us;
}

int yh_rtp_rewriter_map(yh_rtp_rewriter_t *r, uint16_t seq_in, uint32_t ts_in, uint32_t clock_rate,
                        uint64_t now_us, uint16_t *seq_out, uint32_t *ts_out)
{
    uint16_t s;
    if (!r->started || r->switching)
        start_source(r, seq_in, ts_in, clock_rate, now_us);
    if (yh_numskip_map(&r->seq, seq_in, &s) < 0)
        return YH_ERANGE;
    uint32_t t = ts_in + r->ts_offset;
    if (yh_seq_lt(r->max_seq_out, s)) {
        r->max_seq_out = s;
        r->last_ts_out = t;
        r->last_out_us = now_us;
    }
    *seq_out = s;
    *ts_out = t;
    return 0;
}

void yh_rtp_rewriter_drop(yh_rtp_rewriter_t *r, uint16_t seq_in)
{
    if (r->started && !r->switching)
        yh_numskip_drop(&r->seq, seq_in);
}

/* The reserved numbers follow the highest sent; the next new input comes
 * after them, and older inputs are forgotten (they would collide). */
int yh_rtp_rewriter_reserve(yh_rtp_rewriter_t *r, uint16_t n, uint16_t *first_out)
{
    if (!r->started || r->switching)
        return YH_ESTATE;
    *first_out = (uint16_t)(r->max_seq_out + 1);
    r->max_seq_out = (uint16_t)(r->max_seq_out + n);
    yh_numskip_start(&r->seq, (uint16_t)(r->seq.max_in + 1u), (uint16_t)(r->max_seq_out + 1u));
    return 0;
}

int yh_rtp_rewriter_unmap_seq(const yh_rtp_rewriter_t *r, uint16_t seq_out, uint16_t *seq_in)
{
    if (!r->started || yh_seq_lt(r->max_seq_out, seq_out))
        return YH_ENOTFOUND;
    return yh_numskip_unmap(&r->seq, seq_out, seq_in);
}
