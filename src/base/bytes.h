/*
 * Big-endian accessors for peer data. Every read of a packet goes through
 * these after the caller has checked the length; the *_at variants check the
 * length themselves and return YH_ETRUNC, for parsers that walk untrusted
 * buffers.
 */
#ifndef YH_BASE_BYTES_H
#define YH_BASE_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

static inline uint16_t rd_be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd_be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t rd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t rd_be64(const uint8_t *p)
{
    return (uint64_t)rd_be32(p) << 32 | rd_be32(p + 4);
}

static inline void wr_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void wr_be24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

static inline void wr_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void wr_be64(uint8_t *p, uint64_t v)
{
    wr_be32(p, (uint32_t)(v >> 32));
    wr_be32(p + 4, (uint32_t)v);
}

/* Bounds-checked reader over an untrusted buffer. */
typedef struct yh_rd {
    const uint8_t *p;
    size_t len;
    size_t off;
} yh_rd_t;

static inline void yh_rd_init(yh_rd_t *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
}

static inline size_t yh_rd_left(const yh_rd_t *r)
{
    return r->len - r->off;
}

static inline int yh_rd_u8(yh_rd_t *r, uint8_t *v)
{
    if (yh_rd_left(r) < 1)
        return YH_ETRUNC;
    *v = r->p[r->off++];
    return 0;
}

static inline int yh_rd_u16(yh_rd_t *r, uint16_t *v)
{
    if (yh_rd_left(r) < 2)
        return YH_ETRUNC;
    *v = rd_be16(r->p + r->off);
    r->off += 2;
    return 0;
}

static inline int yh_rd_u32(yh_rd_t *r, uint32_t *v)
{
    if (yh_rd_left(r) < 4)
        return YH_ETRUNC;
    *v = rd_be32(r->p + r->off);
    r->off += 4;
    return 0;
}

static inline int yh_rd_skip(yh_rd_t *r, size_t n)
{
    if (yh_rd_left(r) < n)
        return YH_ETRUNC;
    r->off += n;
    return 0;
}

/* Sequence-number arithmetic (RFC 3550 A.1 style, wrap-aware). */
static inline int yh_seq_lt(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(a - b) < 0;
}

static inline int16_t yh_seq_diff(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(a - b);
}

#endif
