/*
 * Per-subscriber sequence number and timestamp rewriting. A downstream
 * stream keeps its own SSRC, and its sequence numbers and timestamps stay
 * continuous when the source behind it changes (another publisher, another
 * simulcast layer), so receivers' jitter buffers and decoders never see a
 * jump, and when packets of the source are left out (dropped temporal
 * layers). Out-of-order packets within the current source map
 * consistently, for the last YH_NUMSKIP_BITS input sequence numbers.
 */
#ifndef YH_RTP_REWRITE_H
#define YH_RTP_REWRITE_H

#include <stdint.h>

#include "rtp/numskip.h"

typedef struct yh_rtp_rewriter {
    int started;       /* a packet has been mapped */
    int switching;     /* next packet starts a new source */
    yh_numskip_t seq;  /* the current source's sequence numbers */
    uint32_t ts_offset;
    uint16_t max_seq_out; /* highest sequence number sent */
    uint32_t last_ts_out; /* timestamp of max_seq_out */
    uint64_t last_out_us; /* when max_seq_out was sent */
} yh_rtp_rewriter_t;

void yh_rtp_rewriter_init(yh_rtp_rewriter_t *r);

/* The next packet comes from a new source (or after a pause): continue the
 * output sequence at max+1 and advance the timestamp by the wall-clock time
 * elapsed at `clock_rate`. */
void yh_rtp_rewriter_switch(yh_rtp_rewriter_t *r);

/* Takes `n` output sequence numbers for packets of the server's own (such
 * as padding for bandwidth probes), right after the highest sent. Input
 * packets at or before the current highest can no longer be mapped or
 * unmapped afterwards (late packets are dropped, NACKs for them go
 * unanswered); timestamps are unaffected. Returns the first reserved
 * number; 0 reserved when nothing has been sent yet (returns YH_ESTATE). */
int yh_rtp_rewriter_reserve(yh_rtp_rewriter_t *r, uint16_t n, uint16_t *first_out);

/* Maps an input packet. Returns 0 with the output values, or YH_ERANGE for
 * a packet older than the current source's first packet, further back
 * than the window, or one that was left out (drop it). */
int yh_rtp_rewriter_map(yh_rtp_rewriter_t *r, uint16_t seq_in, uint32_t ts_in,
                        uint32_t clock_rate, uint64_t now_us, uint16_t *seq_out,
                        uint32_t *ts_out);

/* Leaves an input packet of the current source out of the numbering:
 * the packets after it move down by one. A packet older than the newest
 * seen leaves a gap instead (the numbers after it are already out). */
void yh_rtp_rewriter_drop(yh_rtp_rewriter_t *r, uint16_t seq_in);

/* Maps an output sequence number back to the current source's input one
 * (for NACK). Returns 0, or YH_ENOTFOUND when it predates the source. */
int yh_rtp_rewriter_unmap_seq(const yh_rtp_rewriter_t *r, uint16_t seq_out, uint16_t *seq_in);

#endif
