/*
 * libFuzzer target: iterate a compound RTCP packet and hand every packet to
 * every parser (each must refuse what is not its type). What parses is
 * rebuilt with the matching builder and parsed again: the values must
 * survive the round trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcp/rtcp.h"

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

static uint8_t out[1 << 18];

static yh_rtcp_pkt_t reparse(int len)
{
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    CHECK(len > 0);
    yh_rtcp_iter_init(&it, out, (size_t)len);
    CHECK(yh_rtcp_next(&it, &p) == 1 && p.len == (size_t)len);
    return p;
}

static int same_blocks(const yh_rtcp_report_block_t *a, const yh_rtcp_report_block_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i].ssrc != b[i].ssrc || a[i].fraction_lost != b[i].fraction_lost ||
            a[i].cumulative_lost != b[i].cumulative_lost ||
            a[i].ext_highest_seq != b[i].ext_highest_seq || a[i].jitter != b[i].jitter ||
            a[i].lsr != b[i].lsr || a[i].dlsr != b[i].dlsr)
            return 0;
    }
    return 1;
}

static void reports(const yh_rtcp_pkt_t *p)
{
    static yh_rtcp_sr_t sr, sr2;
    static yh_rtcp_rr_t rr, rr2;
    if (yh_rtcp_parse_sr(p, &sr) == 0) {
        yh_rtcp_pkt_t q = reparse(yh_rtcp_build_sr(out, sizeof(out), &sr));
        CHECK(yh_rtcp_parse_sr(&q, &sr2) == 0);
        CHECK(sr.ssrc == sr2.ssrc && sr.ntp == sr2.ntp && sr.rtp_ts == sr2.rtp_ts);
        CHECK(sr.packet_count == sr2.packet_count && sr.octet_count == sr2.octet_count);
        CHECK(sr.n_reports == sr2.n_reports && same_blocks(sr.reports, sr2.reports, sr.n_reports));
    }
    if (yh_rtcp_parse_rr(p, &rr) == 0) {
        yh_rtcp_pkt_t q = reparse(yh_rtcp_build_rr(out, sizeof(out), &rr));
        CHECK(yh_rtcp_parse_rr(&q, &rr2) == 0);
        CHECK(rr.ssrc == rr2.ssrc && rr.n_reports == rr2.n_reports);
        CHECK(same_blocks(rr.reports, rr2.reports, rr.n_reports));
    }
}

static void sdes_bye(const yh_rtcp_pkt_t *p)
{
    char name[256], name2[256];
    uint32_t ssrc, ssrc2, ssrcs[32], ssrcs2[32];
    size_t n, n2;
    if (yh_rtcp_parse_sdes_cname(p, &ssrc, name, sizeof(name)) == 0) {
        yh_rtcp_pkt_t q = reparse(yh_rtcp_build_sdes_cname(out, sizeof(out), ssrc, name));
        CHECK(yh_rtcp_parse_sdes_cname(&q, &ssrc2, name2, sizeof(name2)) == 0);
        CHECK(ssrc == ssrc2 && strcmp(name, name2) == 0);
    }
    if (yh_rtcp_parse_bye(p, ssrcs, 32, &n) == 0) {
        yh_rtcp_pkt_t q = reparse(yh_rtcp_build_bye(out, sizeof(out), ssrcs, n));
        CHECK(yh_rtcp_parse_bye(&q, ssrcs2, 32, &n2) == 0);
        CHECK(n == n2 && memcmp(ssrcs, ssrcs2, n * sizeof(ssrcs[0])) == 0);
    }
}

/* NACK: every lost number of the original is in the rebuilt packet. */
static void nack(const yh_rtcp_pkt_t *p)
{
    static uint16_t lost[YH_RTCP_MAX_NACK], lost2[YH_RTCP_MAX_NACK];
    yh_rtcp_fb_t fb, fb2;
    size_t n, n2;
    if (yh_rtcp_parse_nack(p, &fb, lost, YH_RTCP_MAX_NACK, &n) != 0)
        return;
    CHECK(n >= 1);
    yh_rtcp_pkt_t q =
        reparse(yh_rtcp_build_nack(out, sizeof(out), fb.sender_ssrc, fb.media_ssrc, lost, n));
    CHECK(yh_rtcp_parse_nack(&q, &fb2, lost2, YH_RTCP_MAX_NACK, &n2) == 0);
    CHECK(fb.sender_ssrc == fb2.sender_ssrc && fb.media_ssrc == fb2.media_ssrc && n2 <= n);
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < n2 && lost2[j] != lost[i])
            j++;
        CHECK(j < n2);
    }
}

static void psfb(const yh_rtcp_pkt_t *p)
{
    yh_rtcp_fb_t fb, fb2;
    uint32_t ssrc, ssrc2, ssrcs[YH_RTCP_MAX_REMB_SSRCS], ssrcs2[YH_RTCP_MAX_REMB_SSRCS];
    uint8_t seq, seq2;
    uint64_t bps, bps2;
    size_t n, n2;
    if (yh_rtcp_parse_pli(p, &fb) == 0) {
        yh_rtcp_pkt_t q =
            reparse(yh_rtcp_build_pli(out, sizeof(out), fb.sender_ssrc, fb.media_ssrc));
        CHECK(yh_rtcp_parse_pli(&q, &fb2) == 0 && fb2.media_ssrc == fb.media_ssrc);
    }
    if (yh_rtcp_parse_fir(p, &fb, &ssrc, &seq) == 0) {
        yh_rtcp_pkt_t q = reparse(yh_rtcp_build_fir(out, sizeof(out), fb.sender_ssrc, ssrc, seq));
        CHECK(yh_rtcp_parse_fir(&q, &fb2, &ssrc2, &seq2) == 0);
        CHECK(ssrc == ssrc2 && seq == seq2 && fb.sender_ssrc == fb2.sender_ssrc);
    }
    if (yh_rtcp_parse_remb(p, &fb, &bps, ssrcs, YH_RTCP_MAX_REMB_SSRCS, &n) == 0) {
        yh_rtcp_pkt_t q =
            reparse(yh_rtcp_build_remb(out, sizeof(out), fb.sender_ssrc, bps, ssrcs, n));
        CHECK(yh_rtcp_parse_remb(&q, &fb2, &bps2, ssrcs2, YH_RTCP_MAX_REMB_SSRCS, &n2) == 0);
        CHECK(bps == bps2 && n == n2 && memcmp(ssrcs, ssrcs2, n * sizeof(ssrcs[0])) == 0);
    }
}

/* TWCC: arrival times relative to the first received packet survive a
 * rebuild (the reference time itself may be re-chosen). */
static void twcc(const yh_rtcp_pkt_t *p)
{
    static yh_rtcp_twcc_pkt_t pk[YH_RTCP_MAX_TWCC], pk2[YH_RTCP_MAX_TWCC];
    static int64_t at[YH_RTCP_MAX_TWCC];
    yh_rtcp_twcc_t tw, tw2;
    if (yh_rtcp_parse_twcc(p, &tw, pk, YH_RTCP_MAX_TWCC) != 0)
        return;
    CHECK(tw.n <= tw.status_count && tw.n <= YH_RTCP_MAX_TWCC);
    if (tw.n < tw.status_count)
        return;
    /* Shift so the earliest arrival is not negative ("not received"). */
    int64_t t = 0, lowest = 0;
    for (size_t i = 0; i < tw.n; i++) {
        t += pk[i].delta_us;
        if (t < lowest)
            lowest = t;
    }
    t = -lowest;
    for (size_t i = 0; i < tw.n; i++)
        at[i] = pk[i].received ? (t += pk[i].delta_us) : -1;
    int len = yh_rtcp_build_twcc(out, sizeof(out), tw.fb.sender_ssrc, tw.fb.media_ssrc, tw.base_seq,
                                 at, tw.n, tw.fb_count);
    yh_rtcp_pkt_t q = reparse(len);
    CHECK(yh_rtcp_parse_twcc(&q, &tw2, pk2, YH_RTCP_MAX_TWCC) == 0);
    CHECK(tw2.n == tw.n && tw2.base_seq == tw.base_seq && tw2.fb_count == tw.fb_count);
    int64_t a = 0, b = 0;
    int first = 1;
    for (size_t i = 0; i < tw.n; i++) {
        CHECK(pk[i].received == pk2[i].received && pk[i].seq == pk2[i].seq);
        if (!pk[i].received)
            continue;
        a += pk[i].delta_us;
        b += pk2[i].delta_us;
        if (first) {
            b = a; /* align at the first received packet */
            first = 0;
        }
        CHECK(a == b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    size_t seen = 0;
    int rc;
    yh_rtcp_iter_init(&it, data, size);
    while ((rc = yh_rtcp_next(&it, &p)) == 1) {
        CHECK(p.data == data + seen && p.len >= 4 && p.len % 4 == 0);
        seen += p.len;
        reports(&p);
        sdes_bye(&p);
        nack(&p);
        psfb(&p);
        twcc(&p);
    }
    CHECK(rc <= 0 && seen <= size);
    return 0;
}
