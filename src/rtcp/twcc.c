/*
 * Transport-wide congestion control feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1):
 *
 *   FB header | base seq | status count | reference time (24) | fb pkt count
 *   packet status chunks (16 bits each) | receive deltas | zero padding
 *
 * Status symbols: 0 not received, 1 received with a 1-byte delta (0..63.75
 * ms), 2 received with a 2-byte signed delta, 3 reserved. Deltas are in
 * 250 us units; the first is relative to the reference time (64 ms units),
 * each later one to the previous received packet.
 */
#include <string.h>

#include "base/bytes.h"
#include "base/err.h"
#include "rtcp/rtcp.h"
#include "rtcp/rtcp_priv.h"

#define FMT_TWCC 15
#define TWCC_FIXED_LEN 8 /* base seq, status count, reference time, fb count */
#define DELTA_US 250
#define REF_US 64000
#define TICKS_PER_REF (REF_US / DELTA_US)
#define MAX_RUN 0x1FFF /* 13-bit run length */
#define VEC1_SYMS 14   /* 1-bit status vector */
#define VEC2_SYMS 7    /* 2-bit status vector */
#define MAX_PACKET_LEN (4u * 65536u)

enum { SYM_LOST = 0, SYM_SMALL = 1, SYM_LARGE = 2, SYM_RESERVED = 3 };

/* Decodes one chunk into symbols for packets *i.. (stored while < cap).
 * Run-length: 0|S(2)|run(13); vectors: 1|0|14 x 1 bit, 1|1|7 x 2 bits. */
static int decode_chunk(uint16_t c, size_t count, size_t *i, yh_rtcp_twcc_pkt_t *pkts, size_t cap)
{
    size_t syms, bits;
    if (!(c & 0x8000)) {
        uint8_t s = (c >> 13) & 3;
        if (s == SYM_RESERVED)
            return YH_EPARSE;
        size_t run = c & MAX_RUN;
        for (size_t k = 0; k < run && *i < count; k++, (*i)++) {
            if (*i < cap)
                pkts[*i].received = s;
        }
        return 0;
    }
    bits = (c & 0x4000) ? 2 : 1;
    syms = bits == 2 ? VEC2_SYMS : VEC1_SYMS;
    for (size_t k = 0; k < syms && *i < count; k++, (*i)++) {
        uint8_t s = (uint8_t)((c >> (14 - bits * (k + 1))) & ((1u << bits) - 1));
        if (s == SYM_RESERVED)
            return YH_EPARSE;
        if (*i < cap)
            pkts[*i].received = s;
    }
    return 0;
}

int yh_rtcp_parse_twcc(const yh_rtcp_pkt_t *p, yh_rtcp_twcc_t *tw, yh_rtcp_twcc_pkt_t *pkts,
                       size_t cap)
{
    const uint8_t *b;
    size_t n;
    int rc = yh_rtcp__body(p, YH_RTCP_RTPFB, FMT_TWCC, &b, &n);
    if (rc < 0)
        return rc;
    if (n < YH_RTCP_FB_LEN + TWCC_FIXED_LEN)
        return YH_ETRUNC;
    memset(tw, 0, sizeof(*tw));
    yh_rtcp__read_fb(b, &tw->fb);
    tw->base_seq = rd_be16(b + 8);
    tw->status_count = rd_be16(b + 10);
    tw->reference_time = (int32_t)(rd_be24(b + 12) ^ 0x800000u) - 0x800000;
    tw->fb_count = b[15];

    yh_rd_t r;
    yh_rd_init(&r, b + 16, n - 16);
    size_t count = tw->status_count, i = 0;
    while (i < count) {
        uint16_t c;
        if (yh_rd_u16(&r, &c) < 0)
            return YH_ETRUNC;
        if ((rc = decode_chunk(c, count, &i, pkts, cap)) < 0)
            return rc;
    }

    /* Deltas follow in packet order; those past `cap` are not read. */
    size_t stored = count < cap ? count : cap;
    for (i = 0; i < stored; i++) {
        yh_rtcp_twcc_pkt_t *pk = &pkts[i];
        int64_t delta = 0;
        if (pk->received == SYM_SMALL) {
            uint8_t d8;
            if (yh_rd_u8(&r, &d8) < 0)
                return YH_ETRUNC;
            delta = d8;
        } else if (pk->received == SYM_LARGE) {
            uint16_t d16;
            if (yh_rd_u16(&r, &d16) < 0)
                return YH_ETRUNC;
            delta = (int16_t)d16;
        }
        pk->seq = (uint16_t)(tw->base_seq + i);
        pk->delta_us = delta * DELTA_US;
        pk->received = pk->received != SYM_LOST;
    }
    tw->n = stored;
    return 0;
}

/* Walks the builder's input in order, giving each packet's status symbol
 * and delta. A copy of the walker looks ahead without disturbing it. */
typedef struct walker {
    const int64_t *arrival_us;
    size_t n, i;
    int64_t prev_tick; /* 250 us ticks of the previous received packet */
} walker_t;

static uint8_t walk(walker_t *w, int64_t *delta)
{
    int64_t at = w->arrival_us[w->i++];
    if (at < 0)
        return SYM_LOST;
    /* Ticks on an absolute grid, so rounding never accumulates. */
    int64_t tick = at / DELTA_US;
    *delta = tick - w->prev_tick;
    w->prev_tick = tick;
    return *delta >= 0 && *delta <= 0xFF ? SYM_SMALL : SYM_LARGE;
}

/* Lookahead from the walker's position, without moving it: how many equal
 * symbols start here (up to max), and which symbol that is. */
static size_t run_length(const walker_t *w0, size_t max, uint8_t *sym)
{
    walker_t w = *w0;
    int64_t d;
    size_t r = 1;
    *sym = walk(&w, &d);
    while (r < max && w.i < w.n) {
        if (walk(&w, &d) != *sym)
            break;
        r++;
    }
    return r;
}

/* Whether none of the next `k` packets needs a 2-byte delta. */
static int fits_one_bit(const walker_t *w0, size_t k)
{
    walker_t w = *w0;
    int64_t d;
    for (size_t j = 0; j < k && w.i < w.n; j++) {
        if (walk(&w, &d) == SYM_LARGE)
            return 0;
    }
    return 1;
}

/* Chooses the next chunk: a run when 14 or more equal symbols follow (or
 * all the rest are equal), else a 1-bit vector when no large delta is among
 * the next 14, else a run of 7 or more, else a 2-bit vector. */
static uint16_t next_chunk(walker_t *w)
{
    uint8_t sym;
    int64_t d;
    size_t left = w->n - w->i;
    size_t run = run_length(w, MAX_RUN, &sym);
    uint16_t c;
    if (run >= VEC1_SYMS || run == left || (run >= VEC2_SYMS && !fits_one_bit(w, VEC1_SYMS))) {
        for (size_t k = 0; k < run; k++)
            walk(w, &d);
        return (uint16_t)((unsigned)sym << 13 | run);
    }
    if (fits_one_bit(w, VEC1_SYMS)) {
        c = 0x8000;
        for (size_t k = 0; k < VEC1_SYMS && w->i < w->n; k++)
            c |= (uint16_t)((unsigned)walk(w, &d) << (13 - k));
        return c;
    }
    c = 0xC000;
    for (size_t k = 0; k < VEC2_SYMS && w->i < w->n; k++)
        c |= (uint16_t)((unsigned)walk(w, &d) << (12 - 2 * k));
    return c;
}

/* First pass: the reference time, and whether every delta fits 16 bits. */
static int twcc_reference(const int64_t *arrival_us, size_t n, int64_t *ref)
{
    walker_t w = {arrival_us, n, 0, 0};
    int64_t d;
    *ref = 0;
    for (size_t i = 0; i < n; i++) {
        if (arrival_us[i] >= 0) {
            *ref = arrival_us[i] / REF_US;
            break;
        }
    }
    w.prev_tick = *ref * TICKS_PER_REF;
    while (w.i < n) {
        if (walk(&w, &d) != SYM_LOST && (d < INT16_MIN || d > INT16_MAX))
            return YH_ERANGE;
    }
    return 0;
}

int yh_rtcp_build_twcc(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint16_t base_seq, const int64_t *arrival_us, size_t n, uint8_t fb_count)
{
    int64_t ref, d;
    size_t off = YH_RTCP_HDR_LEN + YH_RTCP_FB_LEN + TWCC_FIXED_LEN;
    if (n > 0xFFFF)
        return YH_EINVAL;
    int rc = twcc_reference(arrival_us, n, &ref);
    if (rc < 0)
        return rc;
    if (off > cap)
        return YH_ENOSPACE;

    walker_t w = {arrival_us, n, 0, ref * TICKS_PER_REF};
    while (w.i < n) {
        if (cap - off < 2)
            return YH_ENOSPACE;
        wr_be16(buf + off, next_chunk(&w));
        off += 2;
    }
    w.i = 0;
    w.prev_tick = ref * TICKS_PER_REF;
    while (w.i < n) {
        uint8_t s = walk(&w, &d);
        size_t sz = s == SYM_SMALL ? 1 : s == SYM_LARGE ? 2 : 0;
        if (cap - off < sz)
            return YH_ENOSPACE;
        if (sz == 1)
            buf[off] = (uint8_t)d;
        else if (sz == 2)
            wr_be16(buf + off, (uint16_t)(int16_t)d);
        off += sz;
    }
    size_t pad = (4 - off % 4) % 4;
    if (cap - off < pad || off + pad > MAX_PACKET_LEN)
        return YH_ENOSPACE;
    memset(buf + off, 0, pad);
    off += pad;

    yh_rtcp__write_fb(buf, FMT_TWCC, YH_RTCP_RTPFB, off, sender_ssrc, media_ssrc);
    wr_be16(buf + 12, base_seq);
    wr_be16(buf + 14, (uint16_t)n);
    wr_be24(buf + 16, (uint32_t)ref & 0xFFFFFFu);
    buf[19] = fb_count;
    return (int)off;
}
