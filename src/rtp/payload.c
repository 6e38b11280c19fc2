/*
 * Video payload headers the router needs to look into: the VP8 payload
 * descriptor (RFC 7741 section 4.2) and H.264 NAL unit types (RFC 6184
 * section 5). Only enough is parsed to find keyframes and layer indices.
 */
#include "rtp/rtp.h"

#include <string.h>

#include "base/bytes.h"
#include "base/err.h"

/*
 *  RFC 7741 4.2:        X|R|N|S|R| PID      first octet
 *  X set:               I|L|T|K| RSV        extension octet
 *  I set:               M| PictureID (7 or 15 bits)
 *  L set:               TL0PICIDX
 *  T or K set:          TID|Y| KEYIDX
 */
int yh_vp8_parse_desc(const uint8_t *payload, size_t len, yh_vp8_desc_t *d)
{
    yh_rd_t r;
    uint8_t b, x = 0;
    memset(d, 0, sizeof(*d));
    yh_rd_init(&r, payload, len);
    if (yh_rd_u8(&r, &b) < 0)
        return YH_ETRUNC;
    d->start = (b >> 4) & 1;
    d->partition = b & 0x07;
    if ((b & 0x80) && yh_rd_u8(&r, &x) < 0)
        return YH_ETRUNC;
    if (x & 0x80) {
        d->has_picture_id = 1;
        if (yh_rd_u8(&r, &b) < 0)
            return YH_ETRUNC;
        d->picture_id = b & 0x7F;
        if (b & 0x80) {
            uint8_t lo;
            if (yh_rd_u8(&r, &lo) < 0)
                return YH_ETRUNC;
            d->picture_id_15 = 1;
            d->picture_id = (uint16_t)((b & 0x7F) << 8 | lo);
        }
    }
    if (x & 0x40) {
        d->has_tl0picidx = 1;
        if (yh_rd_u8(&r, &d->tl0picidx) < 0)
            return YH_ETRUNC;
    }
    if (x & 0x30) {
        if (yh_rd_u8(&r, &b) < 0)
            return YH_ETRUNC;
        if (x & 0x20) {
            d->has_tid = 1;
            d->tid = b >> 6;
            d->layer_sync = (b >> 5) & 1;
        }
    }
    d->desc_len = r.off;
    return 0;
}

/* A keyframe starts in the first partition's first packet (S=1, PID=0) and
 * its VP8 frame header has P (inverse key frame flag, RFC 6386 9.1) clear. */
int yh_vp8_desc_is_keyframe(const yh_vp8_desc_t *d, const uint8_t *payload, size_t len)
{
    return d->desc_len < len && d->start && d->partition == 0 &&
           (payload[d->desc_len] & 0x01) == 0;
}

int yh_vp8_is_keyframe(const uint8_t *payload, size_t len)
{
    yh_vp8_desc_t d;
    return yh_vp8_parse_desc(payload, len, &d) == 0 && yh_vp8_desc_is_keyframe(&d, payload, len);
}

enum { NAL_IDR = 5, NAL_SPS = 7, NAL_STAP_A = 24, NAL_FU_A = 28 };

static int nal_is_key(uint8_t type)
{
    return type == NAL_IDR || type == NAL_SPS;
}

/* STAP-A (RFC 6184 5.7.1): after the STAP-A octet, 16-bit sizes each
 * followed by one NAL unit. */
static int stap_a_has_key(const uint8_t *p, size_t len)
{
    size_t off = 1;
    while (len - off >= 2) {
        size_t n = rd_be16(p + off);
        off += 2;
        if (n == 0 || n > len - off)
            return 0;
        if (nal_is_key(p[off] & 0x1F))
            return 1;
        off += n;
    }
    return 0;
}

int yh_h264_is_keyframe(const uint8_t *payload, size_t len)
{
    if (len < 1)
        return 0;
    uint8_t type = payload[0] & 0x1F;
    if (type == NAL_STAP_A)
        return stap_a_has_key(payload, len);
    if (type == NAL_FU_A) {
        /* FU header (RFC 6184 5.8): S|E|R|Type. */
        return len >= 2 && (payload[1] & 0x80) && nal_is_key(payload[1] & 0x1F);
    }
    return nal_is_key(type);
}
