/*
 * Sequence number and timestamp rewriting for one downstream stream.
 *
 * Output = input + offset (mod 2^16 and 2^32). The offsets are chosen when a
 * source starts so that its first packet continues the output right after
 * the highest packet sent so far, and stay fixed for the life of the source,
 * so reordered and retransmitted packets map to the same numbers as before.
 */
#include "rtp/rewrite.h"

#include <string.h>

#include "base/bytes.h"
#include "base/err.h"

/* How far behind the newest input packet the "first packet of the source"
 * mark may lag. Comparisons are modulo 2^16, so the mark has to follow a
 * long-running source or, after 2^15 packets, every packet would look older
 * than it. Anything this far behind is far too old to forward anyway. */
#define SOURCE_WINDOW 0x4000u

void yh_rtp_rewriter_init(yh_rtp_rewriter_t *r)
{
    memset(r, 0, sizeof(*r));
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
    if (!r->started) {
        r->seq_offset = 0;
        r->ts_offset = 0;
    } else {
        uint64_t elapsed = now_us > r->last_out_us ? now_us - r->last_out_us : 0;
        uint32_t ticks = us_to_ticks(elapsed, clock_rate);
        if (ticks == 0)
            ticks = 1; /* never repeat the previous frame's timestamp */
        r->seq_offset = (uint16_t)(r->max_seq_out + 1u - seq_in);
        r->ts_offset = r->last_ts_out + ticks - ts_in;
    }
    r->started = 1;
    r->switching = 0;
    r->first_seq_in = seq_in;
    r->max_seq_out = (uint16_t)(seq_in + r->seq_offset);
    r->last_ts_out = ts_in + r->ts_offset;
    r->last_out_us = now_us;
}

int yh_rtp_rewriter_map(yh_rtp_rewriter_t *r, uint16_t seq_in, uint32_t ts_in, uint32_t clock_rate,
                        uint64_t now_us, uint16_t *seq_out, uint32_t *ts_out)
{
    if (!r->started || r->switching) {
        start_source(r, seq_in, ts_in, clock_rate, now_us);
    } else if (yh_seq_lt(seq_in, r->first_seq_in)) {
        return YH_ERANGE;
    }
    uint16_t s = (uint16_t)(seq_in + r->seq_offset);
    uint32_t t = ts_in + r->ts_offset;
    if (yh_seq_lt(r->max_seq_out, s)) {
        r->max_seq_out = s;
        r->last_ts_out = t;
        r->last_out_us = now_us;
        if ((uint16_t)(seq_in - r->first_seq_in) > SOURCE_WINDOW)
            r->first_seq_in = (uint16_t)(seq_in - SOURCE_WINDOW);
    }
    *seq_out = s;
    *ts_out = t;
    return 0;
}

int yh_rtp_rewriter_reserve(yh_rtp_rewriter_t *r, uint16_t n, uint16_t *first_out)
{
    if (!r->started || r->switching)
        return YH_ESTATE;
    uint16_t max_in = (uint16_t)(r->max_seq_out - r->seq_offset);
    *first_out = (uint16_t)(r->max_seq_out + 1);
    r->seq_offset = (uint16_t)(r->seq_offset + n);
    r->max_seq_out = (uint16_t)(r->max_seq_out + n);
    r->first_seq_in = (uint16_t)(max_in + 1);
    return 0;
}

int yh_rtp_rewriter_unmap_seq(const yh_rtp_rewriter_t *r, uint16_t seq_out, uint16_t *seq_in)
{
    if (!r->started || yh_seq_lt(r->max_seq_out, seq_out))
        return YH_ENOTFOUND;
    uint16_t in = (uint16_t)(seq_out - r->seq_offset);
    if (yh_seq_lt(in, r->first_seq_in))
        return YH_ENOTFOUND;
    *seq_in = in;
    return 0;
}
