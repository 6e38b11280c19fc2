/*
 * Feedback messages (RFC 4585 section 6): generic NACK (6.2.1), PLI
 * (6.3.1), FIR (RFC 5104 4.3.1) and REMB (draft-alvestrand-rmcat-remb-03,
 * an application-layer feedback message, RFC 4585 6.4).
 */
#include "rtcp/rtcp.h"

#include "base/bytes.h"
#include "base/err.h"
#include "rtcp/rtcp_priv.h"

enum {
    FMT_NACK = 1,
    FMT_PLI = 1,
    FMT_FIR = 4,
    FMT_AFB = 15,
};

#define NACK_ITEM_LEN 4
#define FIR_ITEM_LEN 8
#define REMB_MAX_MANTISSA 0x3FFFFu /* 18 bits */

/* Checks type and length of a feedback packet and reads its SSRCs. */
static int fb_body(const yh_rtcp_pkt_t *p, uint8_t pt, uint8_t fmt, size_t min_fci,
                   yh_rtcp_fb_t *fb, const uint8_t **fci, size_t *fci_len)
{
    const uint8_t *b;
    size_t n;
    int rc = yh_rtcp__body(p, pt, fmt, &b, &n);
    if (rc < 0)
        return rc;
    if (n < YH_RTCP_FB_LEN + min_fci)
        return YH_ETRUNC;
    yh_rtcp__read_fb(b, fb);
    *fci = b + YH_RTCP_FB_LEN;
    *fci_len = n - YH_RTCP_FB_LEN;
    return 0;
}

int yh_rtcp_parse_nack(const yh_rtcp_pkt_t *p, yh_rtcp_fb_t *fb, uint16_t *lost, size_t cap,
                       size_t *n)
{
    const uint8_t *fci;
    size_t len;
    int rc = fb_body(p, YH_RTCP_RTPFB, FMT_NACK, NACK_ITEM_LEN, fb, &fci, &len);
    if (rc < 0)
        return rc;
    *n = 0;
    for (size_t off = 0; len - off >= NACK_ITEM_LEN && *n < cap; off += NACK_ITEM_LEN) {
        uint16_t pid = rd_be16(fci + off);
        uint16_t blp = rd_be16(fci + off + 2);
        lost[(*n)++] = pid;
        /* Bit i of the BLP reports pid + i + 1 lost as well. */
        for (unsigned i = 0; i < 16 && *n < cap; i++) {
            if (blp & (1u << i))
                lost[(*n)++] = (uint16_t)(pid + i + 1);
        }
    }
    return 0;
}

/* Packs lost sequence numbers into PID/BLP items: each item covers its PID
 * and the 16 numbers after it. Ascending (wrap-aware) input packs tightly;
 * any order still reports every number. */
int yh_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *lost, size_t n)
{
    size_t off = YH_RTCP_HDR_LEN + YH_RTCP_FB_LEN;
    if (n == 0)
        return YH_EINVAL;
    for (size_t i = 0; i < n;) {
        uint16_t pid = lost[i++], blp = 0;
        for (; i < n; i++) {
            uint16_t d = (uint16_t)(lost[i] - pid);
            if (d > 16)
                break;
            if (d > 0)
                blp |= (uint16_t)(1u << (d - 1));
        }
        if (cap < NACK_ITEM_LEN || off > cap - NACK_ITEM_LEN || off >= 4u * 65536u)
            return YH_ENOSPACE;
        wr_be16(buf + off, pid);
        wr_be16(buf + off + 2, blp);
        off += NACK_ITEM_LEN;
    }
    yh_rtcp__write_fb(buf, FMT_NACK, YH_RTCP_RTPFB, off, sender_ssrc, media_ssrc);
    return (int)off;
}

int yh_rtcp_parse_pli(const yh_rtcp_pkt_t *p, yh_rtcp_fb_t *fb)
{
    const uint8_t *fci;
    size_t len;
    return fb_body(p, YH_RTCP_PSFB, FMT_PLI, 0, fb, &fci, &len);
}

int yh_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    size_t total = YH_RTCP_HDR_LEN + YH_RTCP_FB_LEN;
    if (total > cap)
        return YH_ENOSPACE;
    yh_rtcp__write_fb(buf, FMT_PLI, YH_RTCP_PSFB, total, sender_ssrc, media_ssrc);
    return (int)total;
}

int yh_rtcp_parse_fir(const yh_rtcp_pkt_t *p, yh_rtcp_fb_t *fb, uint32_t *ssrc, uint8_t *seq_nr)
{
    const uint8_t *fci;
    size_t len;
    int rc = fb_body(p, YH_RTCP_PSFB, FMT_FIR, FIR_ITEM_LEN, fb, &fci, &len);
    if (rc < 0)
        return rc;
    *ssrc = rd_be32(fci);
    *seq_nr = fci[4];
    return 0;
}

/* RFC 5104 4.3.1.2: the header's media source SSRC is 0; the target SSRC
 * goes in the FCI entry. */
int yh_rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                      uint8_t seq_nr)
{
    size_t total = YH_RTCP_HDR_LEN + YH_RTCP_FB_LEN + FIR_ITEM_LEN;
    if (total > cap)
        return YH_ENOSPACE;
    yh_rtcp__write_fb(buf, FMT_FIR, YH_RTCP_PSFB, total, sender_ssrc, 0);
    wr_be32(buf + 12, media_ssrc);
    wr_be32(buf + 16, (uint32_t)seq_nr << 24);
    return (int)total;
}

/*
 * REMB FCI: 'R' 'E' 'M' 'B', then Num SSRC (8 bits), BR Exp (6 bits),
 * BR Mantissa (18 bits), then Num SSRC SSRCs. Bitrate = mantissa << exp.
 */
int yh_rtcp_parse_remb(const yh_rtcp_pkt_t *p, yh_rtcp_fb_t *fb, uint64_t *bitrate, uint32_t *ssrcs,
                       size_t cap, size_t *n)
{
    const uint8_t *fci;
    size_t len;
    int rc = fb_body(p, YH_RTCP_PSFB, FMT_AFB, 8, fb, &fci, &len);
    if (rc < 0)
        return rc;
    if (rd_be32(fci) != 0x52454D42u) /* "REMB"; other AFB messages exist */
        return YH_EUNSUPPORTED;
    size_t num = fci[4];
    unsigned exp = fci[5] >> 2;
    uint64_t mantissa = (uint64_t)(fci[5] & 0x03) << 16 | rd_be16(fci + 6);
    if (len - 8 < 4 * num)
        return YH_ETRUNC;
    if ((mantissa << exp) >> exp != mantissa) /* does not fit 64 bits */
        return YH_EPARSE;
    *bitrate = mantissa << exp;
    *n = 0;
    for (size_t i = 0; i < num && *n < cap; i++)
        ssrcs[(*n)++] = rd_be32(fci + 8 + 4 * i);
    return 0;
}

int yh_rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint64_t bitrate,
                       const uint32_t *ssrcs, size_t n)
{
    if (n > 255)
        return YH_EINVAL;
    size_t total = YH_RTCP_HDR_LEN + YH_RTCP_FB_LEN + 8 + 4 * n;
    if (total > cap)
        return YH_ENOSPACE;
    /* The smallest exponent keeps the most precision. */
    unsigned exp = 0;
    while ((bitrate >> exp) > REMB_MAX_MANTISSA)
        exp++;
    uint32_t mantissa = (uint32_t)(bitrate >> exp);
    yh_rtcp__write_fb(buf, FMT_AFB, YH_RTCP_PSFB, total, sender_ssrc, 0);
    wr_be32(buf + 12, 0x52454D42u);
    buf[16] = (uint8_t)n;
    buf[17] = (uint8_t)(exp << 2 | mantissa >> 16);
    wr_be16(buf + 18, (uint16_t)mantissa);
    for (size_t i = 0; i < n; i++)
        wr_be32(buf + 20 + 4 * i, ssrcs[i]);
    return (int)total;
}
