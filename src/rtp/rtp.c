/*
 * RTP fixed header (RFC 3550 section 5.1) and header extensions (RFC 8285).
 * Parsing is a view over the caller's buffer: nothing is copied, and every
 * read is preceded by a length check against what the packet claims.
 */
#include "rtp/rtp.h"

#include <string.h>

#include "base/bytes.h"
#include "base/err.h"

#define RTP_FIXED_LEN 12
#define EXT_ONE_BYTE 0xBEDEu
#define EXT_TWO_BYTE 0x1000u /* RFC 8285 4.3: 0x100 then 4 "appbits" */

static int is_one_byte(uint16_t profile)
{
    return profile == EXT_ONE_BYTE;
}

static int is_two_byte(uint16_t profile)
{
    return (profile & 0xFFF0u) == EXT_TWO_BYTE;
}

int yh_rtp_parse(const uint8_t *buf, size_t len, yh_rtp_hdr_t *h)
{
    memset(h, 0, sizeof(*h));
    if (len < RTP_FIXED_LEN)
        return YH_ETRUNC;
    if (buf[0] >> 6 != 2)
        return YH_EPARSE;
    h->padding = (buf[0] >> 5) & 1;
    h->has_ext = (buf[0] >> 4) & 1;
    h->cc = buf[0] & 0x0F;
    h->marker = buf[1] >> 7;
    h->pt = buf[1] & 0x7F;
    h->seq = rd_be16(buf + 2);
    h->ts = rd_be32(buf + 4);
    h->ssrc = rd_be32(buf + 8);

    size_t off = RTP_FIXED_LEN + (size_t)h->cc * 4;
    if (off > len)
        return YH_ETRUNC;
    if (h->has_ext) {
        if (len - off < 4)
            return YH_ETRUNC;
        h->ext_profile = rd_be16(buf + off);
        h->ext_len = (size_t)rd_be16(buf + off + 2) * 4;
        h->ext_off = off + 4;
        if (h->ext_len > len - h->ext_off)
            return YH_ETRUNC;
        off = h->ext_off + h->ext_len;
    }
    h->hdr_len = off;

    size_t body = len - off;
    if (h->padding) {
        /* RFC 3550 5.1: the last octet counts the padding, itself included. */
        if (body == 0)
            return YH_EPARSE;
        h->pad_len = buf[len - 1];
        if (h->pad_len == 0 || h->pad_len > body)
            return YH_EPARSE;
        body -= h->pad_len;
    }
    h->payload_off = off;
    h->payload_len = body;
    return 0;
}

/* Walks the extension block for `id`. Malformed elements end the walk, as
 * RFC 8285 section 4.2 asks of receivers (the rest cannot be located). */
int yh_rtp_ext_find(const uint8_t *buf, const yh_rtp_hdr_t *h, uint8_t id, const uint8_t **data,
                    size_t *len)
{
    if (!h->has_ext || id == 0)
        return YH_ENOTFOUND;
    const uint8_t *p = buf + h->ext_off;
    size_t n = h->ext_len, i = 0;
    int one = is_one_byte(h->ext_profile);
    if (!one && !is_two_byte(h->ext_profile))
        return YH_ENOTFOUND;
    if (one && id > 14)
        return YH_ENOTFOUND;

    while (i < n) {
        size_t el_id, el_len;
        if (p[i] == 0) { /* padding byte between or after elements */
            i++;
            continue;
        }
        if (one) {
            el_id = p[i] >> 4;
            el_len = (size_t)(p[i] & 0x0F) + 1;
            if (el_id == 15) /* reserved: stop processing (RFC 8285 4.2) */
                break;
            i += 1;
        } else {
            if (n - i < 2)
                break;
            el_id = p[i];
            el_len = p[i + 1];
            i += 2;
        }
        if (el_len > n - i)
            break;
        if (el_id == id) {
            *data = p + i;
            *len = el_len;
            return 0;
        }
        i += el_len;
    }
    return YH_ENOTFOUND;
}

/* Size of the extension block body (before padding) or YH_EINVAL. */
static int ext_body_len(const yh_rtp_ext_elem_t *ext, size_t n, int *one_byte)
{
    size_t one = 0, two = 0;
    int fits_one = 1;
    for (size_t i = 0; i < n; i++) {
        if (ext[i].id == 0 || ext[i].len > sizeof(ext[i].data))
            return YH_EINVAL;
        if (ext[i].id > 14 || ext[i].len == 0)
            fits_one = 0;
        one += 1 + (size_t)ext[i].len;
        two += 2 + (size_t)ext[i].len;
    }
    *one_byte = fits_one;
    size_t body = fits_one ? one : two;
    if (body > 4 * 0xFFFFu)
        return YH_EINVAL;
    return (int)body;
}

int yh_rtp_write_header(uint8_t *out, size_t cap, uint8_t marker, uint8_t pt, uint16_t seq,
                        uint32_t ts, uint32_t ssrc, const yh_rtp_ext_elem_t *ext, size_t n)
{
    int one = 1;
    int body = n ? ext_body_len(ext, n, &one) : 0;
    if (body < 0)
        return body;
    size_t padded = ((size_t)body + 3) & ~(size_t)3;
    size_t total = RTP_FIXED_LEN + (n ? 4 + padded : 0);
    if (total > cap)
        return YH_ENOSPACE;

    out[0] = (uint8_t)(0x80 | (n ? 0x10 : 0));
    out[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7F));
    wr_be16(out + 2, seq);
    wr_be32(out + 4, ts);
    wr_be32(out + 8, ssrc);
    if (!n)
        return (int)total;

    wr_be16(out + 12, (uint16_t)(one ? EXT_ONE_BYTE : EXT_TWO_BYTE));
    wr_be16(out + 14, (uint16_t)(padded / 4));
    uint8_t *p = out + 16;
    for (size_t i = 0; i < n; i++) {
        if (one) {
            *p++ = (uint8_t)(ext[i].id << 4 | (ext[i].len - 1));
        } else {
            *p++ = ext[i].id;
            *p++ = ext[i].len;
        }
        memcpy(p, ext[i].data, ext[i].len);
        p += ext[i].len;
    }
    memset(p, 0, padded - (size_t)body);
    return (int)total;
}

int yh_rtp_ext_audio_level(const uint8_t *data, size_t len, uint8_t *level, int *voice)
{
    if (len < 1)
        return YH_ETRUNC;
    *voice = data[0] >> 7;
    *level = data[0] & 0x7F;
    return 0;
}

int yh_rtp_ext_twcc_seq(const uint8_t *data, size_t len, uint16_t *seq)
{
    if (len < 2)
        return YH_ETRUNC;
    *seq = rd_be16(data);
    return 0;
}

void yh_rtp_ext_set_twcc_seq(yh_rtp_ext_elem_t *e, uint8_t id, uint16_t seq)
{
    e->id = id;
    e->len = 2;
    wr_be16(e->data, seq);
}

/* abs-send-time keeps 6 bits of NTP seconds and 18 bits of fraction: bits
 * 37..14 of the 32.32 timestamp. */
void yh_rtp_ext_set_abs_send_time(yh_rtp_ext_elem_t *e, uint8_t id, uint64_t ntp)
{
    e->id = id;
    e->len = 3;
    wr_be24(e->data, (uint32_t)(ntp >> 14) & 0xFFFFFFu);
}

void yh_rtp_ext_set_audio_level(yh_rtp_ext_elem_t *e, uint8_t id, uint8_t level, int voice)
{
    e->id = id;
    e->len = 1;
    e->data[0] = (uint8_t)((voice ? 0x80 : 0) | (level & 0x7F));
}

/* Playout delay (http://www.webrtc.org/experiments/rtp-hdrext/playout-delay):
 * the receiver's minimum and maximum delay, 12 bits each in 10 ms units. */
void yh_rtp_ext_set_playout_delay(yh_rtp_ext_elem_t *e, uint8_t id, unsigned min_ms,
                                  unsigned max_ms)
{
    unsigned lo = min_ms / 10u > 0xFFFu ? 0xFFFu : min_ms / 10u;
    unsigned hi = max_ms / 10u > 0xFFFu ? 0xFFFu : max_ms / 10u;
    e->id = id;
    e->len = 3;
    wr_be24(e->data, (uint32_t)(lo << 12 | (hi < lo ? lo : hi)));
}

/* RFC 8843 / RFC 8852 identifiers are short tokens; a sender may pad the
 * element with NULs, so the string ends at the first one. */
int yh_rtp_ext_string(const uint8_t *data, size_t len, char *out, size_t cap)
{
    const uint8_t *nul = memchr(data, 0, len);
    size_t n = nul ? (size_t)(nul - data) : len;
    if (n >= cap)
        return YH_ENOSPACE;
    memcpy(out, data, n);
    out[n] = '\0';
    return 0;
}

void yh_rtp_ext_set_string(yh_rtp_ext_elem_t *e, uint8_t id, const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof(e->data))
        n = sizeof(e->data);
    e->id = id;
    e->len = (uint8_t)n;
    memcpy(e->data, s, n);
}
