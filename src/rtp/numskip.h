/*
 * A numbering that stays continuous when some inputs are left out: the
 * output sequence numbers of a stream whose temporal layers the server
 * drops (RFC 7741 section 4.2: a receiver that sees a gap asks for it and
 * waits), and the VP8 picture ids of its frames (a decoder waits for every
 * picture id it has not seen).
 *
 * Inputs newer than any before map to input + offset; dropping one takes
 * it out of the numbering, so everything after it moves down by one. An
 * input older than the newest (reordered, or resent after a NACK) maps to
 * the number it had, or would have had, when it was newest: the drops
 * after it are remembered for the last `window` inputs. A drop of an
 * older input cannot take its number back (the numbers after it are
 * already out): the number stays a gap, and the input is only marked so
 * that neither it nor a NACK for its number maps any more. Fixed size, no
 * allocation.
 */
#ifndef YH_RTP_NUMSKIP_H
#define YH_RTP_NUMSKIP_H

#include <stdint.h>

#define YH_NUMSKIP_BITS 1024u

typedef struct yh_numskip {
    uint16_t mask;   /* the number space: 0xffff, 0x7fff or 0x7f */
    uint16_t window; /* inputs remembered: min(YH_NUMSKIP_BITS, half the space) */
    uint16_t known;  /* inputs at and before max_in that belong to this numbering */
    uint16_t max_in; /* the newest input, mapped or dropped */
    uint16_t offset; /* output = input + offset for inputs newer than max_in */
    int started;
    uint64_t drops[YH_NUMSKIP_BITS / 64]; /* bit i: input max_in - i was dropped */
    uint64_t late[YH_NUMSKIP_BITS / 64];  /* bit i: ... dropped after a newer one */
} yh_numskip_t;

/* An empty numbering in the space `mask` (2^k - 1, k = 7..16). */
void yh_numskip_init(yh_numskip_t *s, uint16_t mask);

/* (Re)starts the numbering: input `in` is the next one and maps to `out`;
 * everything older is forgotten (maps no more). */
void yh_numskip_start(yh_numskip_t *s, uint16_t in, uint16_t out);

/* Maps an input. Returns 0 with *out; YH_ENOTFOUND for an input that was
 * dropped; YH_ERANGE before the start or further back than the window;
 * YH_ESTATE before any start. */
int yh_numskip_map(yh_numskip_t *s, uint16_t in, uint16_t *out);

/* Leaves an input out of the numbering (see above for older inputs).
 * Returns 1 when it was removed, 0 when it stays a gap (or is not
 * remembered at all). */
int yh_numskip_drop(yh_numskip_t *s, uint16_t in);

/* The output an input mapped to, backwards (for NACK): 0 with *in, or
 * YH_ENOTFOUND when no remembered input maps to `out` (or the one that
 * would was dropped late). */
int yh_numskip_unmap(const yh_numskip_t *s, uint16_t out, uint16_t *in);

/* The number the next new input would get. */
uint16_t yh_numskip_next_out(const yh_numskip_t *s);

#endif
