/*
 * RTCP compound packets and the RFC 3550 section 6 packet types: the common
 * header and compound iteration (6.1), SR (6.4.1), RR (6.4.2), SDES CNAME
 * (6.5) and BYE (6.6). Feedback messages are in rtcp_fb.c and twcc.c.
 */
#include "rtcp/rtcp.h"

#include <string.h>

#include "base/bytes.h"
#include "base/err.h"
#include "rtcp/rtcp_priv.h"

#define REPORT_BLOCK_LEN 24
#define SR_INFO_LEN 24 /* SSRC + NTP + RTP timestamp + packet and octet counts */
#define SDES_CNAME 1

void yh_rtcp_iter_init(yh_rtcp_iter_t *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->off = 0;
}

int yh_rtcp_next(yh_rtcp_iter_t *it, yh_rtcp_pkt_t *pkt)
{
    if (it->off >= it->len)
        return 0;
    const uint8_t *p = it->buf + it->off;
    size_t left = it->len - it->off;
    if (left < YH_RTCP_HDR_LEN)
        return YH_ETRUNC;
    if (p[0] >> 6 != 2)
        return YH_EPARSE;
    size_t n = ((size_t)rd_be16(p + 2) + 1) * 4;
    if (n > left)
        return YH_ETRUNC;
    pkt->pt = p[1];
    pkt->count = p[0] & 0x1F;
    pkt->data = p;
    pkt->len = n;
    it->off += n;
    return 1;
}

int yh_rtcp__body(const yh_rtcp_pkt_t *p, uint8_t pt, int fmt, const uint8_t **body, size_t *len)
{
    if (!p->data || p->len < YH_RTCP_HDR_LEN)
        return YH_ETRUNC;
    const uint8_t *d = p->data;
    if (d[0] >> 6 != 2)
        return YH_EPARSE;
    /* A view that disagrees with its own length field was not produced by
     * yh_rtcp_next: refuse it rather than guess which one is right. */
    if (((size_t)rd_be16(d + 2) + 1) * 4 != p->len)
        return YH_ETRUNC;
    if (d[1] != pt || (fmt != YH_RTCP_ANY_FMT && (d[0] & 0x1F) != fmt))
        return YH_EUNSUPPORTED;
    size_t n = p->len - YH_RTCP_HDR_LEN;
    if (d[0] & 0x20) {
        /* RFC 3550 6.4.1: the last octet counts the padding, itself included. */
        uint8_t pad = d[p->len - 1];
        if (pad == 0 || pad > n)
            return YH_EPARSE;
        n -= pad;
    }
    *body = d + YH_RTCP_HDR_LEN;
    *len = n;
    return 0;
}

void yh_rtcp__read_fb(const uint8_t *body, yh_rtcp_fb_t *fb)
{
    fb->sender_ssrc = rd_be32(body);
    fb->media_ssrc = rd_be32(body + 4);
}

void yh_rtcp__write_hdr(uint8_t *buf, uint8_t count, uint8_t pt, size_t total)
{
    buf[0] = (uint8_t)(0x80 | (count & 0x1F));
    buf[1] = pt;
    wr_be16(buf + 2, (uint16_t)(total / 4 - 1));
}

void yh_rtcp__write_fb(uint8_t *buf, uint8_t fmt, uint8_t pt, size_t total, uint32_t sender,
                       uint32_t media)
{
    yh_rtcp__write_hdr(buf, fmt, pt, total);
    wr_be32(buf + 4, sender);
    wr_be32(buf + 8, media);
}

/* Report blocks (6.4.1): cumulative loss is a 24-bit signed field. */
static void read_blocks(const uint8_t *p, uint8_t n, yh_rtcp_report_block_t *rb)
{
    for (uint8_t i = 0; i < n; i++, p += REPORT_BLOCK_LEN) {
        uint32_t lost = rd_be24(p + 5);
        rb[i].ssrc = rd_be32(p);
        rb[i].fraction_lost = p[4];
        rb[i].cumulative_lost = (int32_t)(lost ^ 0x800000u) - 0x800000;
        rb[i].ext_highest_seq = rd_be32(p + 8);
        rb[i].jitter = rd_be32(p + 12);
        rb[i].lsr = rd_be32(p + 16);
        rb[i].dlsr = rd_be32(p + 20);
    }
}

static void write_blocks(uint8_t *p, uint8_t n, const yh_rtcp_report_block_t *rb)
{
    for (uint8_t i = 0; i < n; i++, p += REPORT_BLOCK_LEN) {
        wr_be32(p, rb[i].ssrc);
        p[4] = rb[i].fraction_lost;
        wr_be24(p + 5, (uint32_t)rb[i].cumulative_lost & 0xFFFFFFu);
        wr_be32(p + 8, rb[i].ext_highest_seq);
        wr_be32(p + 12, rb[i].jitter);
        wr_be32(p + 16, rb[i].lsr);
        wr_be32(p + 20, rb[i].dlsr);
    }
}

int yh_rtcp_parse_sr(const yh_rtcp_pkt_t *p, yh_rtcp_sr_t *sr)
{
    const uint8_t *b;
    size_t n;
    int rc = yh_rtcp__body(p, YH_RTCP_SR, YH_RTCP_ANY_FMT, &b, &n);
    if (rc < 0)
        return rc;
    uint8_t count = p->data[0] & 0x1F;
    /* Anything after the blocks is a profile-specific extension: ignored. */
    if (n < SR_INFO_LEN + (size_t)count * REPORT_BLOCK_LEN)
        return YH_ETRUNC;
    sr->ssrc = rd_be32(b);
    sr->ntp = rd_be64(b + 4);
    sr->rtp_ts = rd_be32(b + 12);
    sr->packet_count = rd_be32(b + 16);
    sr->octet_count = rd_be32(b + 20);
    sr->n_reports = count;
    read_blocks(b + SR_INFO_LEN, count, sr->reports);
    return 0;
}

int yh_rtcp_parse_rr(const yh_rtcp_pkt_t *p, yh_rtcp_rr_t *rr)
{
    const uint8_t *b;
    size_t n;
    int rc = yh_rtcp__body(p, YH_RTCP_RR, YH_RTCP_ANY_FMT, &b, &n);
    if (rc < 0)
        return rc;
    uint8_t count = p->data[0] & 0x1F;
    if (n < 4 + (size_t)count * REPORT_BLOCK_LEN)
        return YH_ETRUNC;
    rr->ssrc = rd_be32(b);
    rr->n_reports = count;
    read_blocks(b + 4, count, rr->reports);
    return 0;
}

int yh_rtcp_build_sr(uint8_t *buf, size_t cap, const yh_rtcp_sr_t *sr)
{
    if (sr->n_reports > YH_RTCP_MAX_REPORTS)
        return YH_EINVAL;
    size_t total = YH_RTCP_HDR_LEN + SR_INFO_LEN + (size_t)sr->n_reports * REPORT_BLOCK_LEN;
    if (total > cap)
        return YH_ENOSPACE;
    yh_rtcp__write_hdr(buf, sr->n_reports, YH_RTCP_SR, total);
    wr_be32(buf + 4, sr->ssrc);
    wr_be64(buf + 8, sr->ntp);
    wr_be32(buf + 16, sr->rtp_ts);
    wr_be32(buf + 20, sr->packet_count);
    wr_be32(buf + 24, sr->octet_count);
    write_blocks(buf + 28, sr->n_reports, sr->reports);
    return (int)total;
}

int yh_rtcp_build_rr(uint8_t *buf, size_t cap, const yh_rtcp_rr_t *rr)
{
    if (rr->n_reports > YH_RTCP_MAX_REPORTS)
        return YH_EINVAL;
    size_t total = YH_RTCP_HDR_LEN + 4 + (size_t)rr->n_reports * REPORT_BLOCK_LEN;
    if (total > cap)
        return YH_ENOSPACE;
    yh_rtcp__write_hdr(buf, rr->n_reports, YH_RTCP_RR, total);
    wr_be32(buf + 4, rr->ssrc);
    write_blocks(buf + 8, rr->n_reports, rr->reports);
    return (int)total;
}

/* One chunk: SSRC, the CNAME item, then at least one null octet ending the
 * item list and padding to a 32-bit boundary (6.5). */
int yh_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname)
{
    size_t n = cname ? strlen(cname) : 0;
    if (!cname || n > 255)
        return YH_EINVAL;
    size_t items = (2 + n + 1 + 3) & ~(size_t)3;
    size_t total = YH_RTCP_HDR_LEN + 4 + items;
    if (total > cap)
        return YH_ENOSPACE;
    yh_rtcp__write_hdr(buf, 1, YH_RTCP_SDES, total);
    wr_be32(buf + 4, ssrc);
    buf[8] = SDES_CNAME;
    buf[9] = (uint8_t)n;
    memcpy(buf + 10, cname, n);
    memset(buf + 10 + n, 0, items - 2 - n);
    return (int)total;
}

/* Finds the CNAME item in one chunk's item list starting at *off; moves
 * *off past the chunk. Returns 1 found, 0 not in this chunk, or an error. */
static int sdes_chunk(const uint8_t *b, size_t n, size_t *off, const uint8_t **val, size_t *vlen)
{
    size_t i = *off + 4;
    int found = 0;
    for (;;) {
        if (i >= n)
            return YH_ETRUNC;
        if (b[i] == 0) /* end of the item list */
            break;
        if (n - i < 2 || b[i + 1] > n - i - 2)
            return YH_ETRUNC;
        if (b[i] == SDES_CNAME && !found) {
            *val = b + i + 2;
            *vlen = b[i + 1];
            found = 1;
        }
        i += 2 + (size_t)b[i + 1];
    }
    *off = (i + 4) & ~(size_t)3; /* the null octet(s) run to a 32-bit boundary */
    return found;
}

int yh_rtcp_parse_sdes_cname(const yh_rtcp_pkt_t *p, uint32_t *ssrc, char *cname, size_t cap)
{
    const uint8_t *b, *val = NULL;
    size_t n, vlen = 0, off = 0;
    int rc = yh_rtcp__body(p, YH_RTCP_SDES, YH_RTCP_ANY_FMT, &b, &n);
    if (rc < 0)
        return rc;
    uint8_t chunks = p->data[0] & 0x1F;
    for (uint8_t c = 0; c < chunks; c++) {
        if (n - off < 4)
            return YH_ETRUNC;
        uint32_t id = rd_be32(b + off);
        rc = sdes_chunk(b, n, &off, &val, &vlen);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            if (vlen >= cap)
                return YH_ENOSPACE;
            memcpy(cname, val, vlen);
            cname[vlen] = '\0';
            *ssrc = id;
            return 0;
        }
        if (off > n)
            return YH_ETRUNC;
    }
    return YH_ENOTFOUND;
}

int yh_rtcp_build_bye(uint8_t *buf, size_t cap, const uint32_t *ssrcs, size_t n)
{
    if (n > 31)
        return YH_EINVAL;
    size_t total = YH_RTCP_HDR_LEN + 4 * n;
    if (total > cap)
        return YH_ENOSPACE;
    yh_rtcp__write_hdr(buf, (uint8_t)n, YH_RTCP_BYE, total);
    for (size_t i = 0; i < n; i++)
        wr_be32(buf + 4 + 4 * i, ssrcs[i]);
    return (int)total;
}

int yh_rtcp_parse_bye(const yh_rtcp_pkt_t *p, uint32_t *ssrcs, size_t cap, size_t *n)
{
    const uint8_t *b;
    size_t len;
    int rc = yh_rtcp__body(p, YH_RTCP_BYE, YH_RTCP_ANY_FMT, &b, &len);
    if (rc < 0)
        return rc;
    size_t sc = p->data[0] & 0x1F;
    /* An optional reason (length octet + text) may follow the SSRCs. */
    if (len < 4 * sc)
        return YH_ETRUNC;
    *n = 0;
    for (size_t i = 0; i < sc && *n < cap; i++)
        ssrcs[(*n)++] = rd_be32(b + 4 * i);
    return 0;
}
