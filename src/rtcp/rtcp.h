/*
 * RTCP compound packets (RFC 3550 section 6, RFC 4585, RFC 5104), REMB
 * (draft-alvestrand-rmcat-remb) and transport-wide congestion control
 * feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01).
 * Sans-I/O: parse views over caller buffers, build into caller buffers.
 * Builders return the bytes written or YH_ENOSPACE; several can be
 * concatenated into one compound packet.
 */
#ifndef YH_RTCP_RTCP_H
#define YH_RTCP_RTCP_H

#include <stddef.h>
#include <stdint.h>

enum {
    YH_RTCP_SR = 200,
    YH_RTCP_RR = 201,
    YH_RTCP_SDES = 202,
    YH_RTCP_BYE = 203,
    YH_RTCP_APP = 204,
    YH_RTCP_RTPFB = 205, /* fmt 1 NACK, 15 TWCC */
    YH_RTCP_PSFB = 206,  /* fmt 1 PLI, 4 FIR, 15 AFB (REMB) */
};

#define YH_RTCP_MAX_REPORTS 31
#define YH_RTCP_MAX_NACK 256   /* lost sequence numbers per parsed NACK packet */
#define YH_RTCP_MAX_REMB_SSRCS 16
#define YH_RTCP_MAX_TWCC 4096  /* packets per parsed TWCC feedback */

typedef struct yh_rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;
    int32_t cumulative_lost; /* 24-bit signed on the wire */
    uint32_t ext_highest_seq;
    uint32_t jitter;
    uint32_t lsr;
    uint32_t dlsr;
} yh_rtcp_report_block_t;

typedef struct yh_rtcp_sr {
    uint32_t ssrc;
    uint64_t ntp;
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
    uint8_t n_reports;
    yh_rtcp_report_block_t reports[YH_RTCP_MAX_REPORTS];
} yh_rtcp_sr_t;

typedef struct yh_rtcp_rr {
    uint32_t ssrc;
    uint8_t n_reports;
    yh_rtcp_report_block_t reports[YH_RTCP_MAX_REPORTS];
} yh_rtcp_rr_t;

/* One packet of a compound: the common header and its extent. */
typedef struct yh_rtcp_pkt {
    uint8_t pt;
    uint8_t count; /* RC / SC / FMT field */
    const uint8_t *data; /* whole packet including the 4-byte header */
    size_t len;
} yh_rtcp_pkt_t;

/* Iterates a compound packet. */
typedef struct yh_rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
} yh_rtcp_iter_t;

void yh_rtcp_iter_init(yh_rtcp_iter_t *it, const uint8_t *buf, size_t len);
/* 1 with the next packet, 0 at the end, YH_ETRUNC/YH_EPARSE on a bad
 * header (version, length beyond the buffer). */
int yh_rtcp_next(yh_rtcp_iter_t *it, yh_rtcp_pkt_t *pkt);

/* Feedback packets common header (RFC 4585 6.1). */
typedef struct yh_rtcp_fb {
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
} yh_rtcp_fb_t;

/* Parsers take one packet from yh_rtcp_next and return 0, YH_ETRUNC when
 * a length or count claims more than the packet holds, YH_EPARSE for a bad
 * field (padding, version), or YH_EUNSUPPORTED when the packet is of
 * another type / feedback message type (so a caller may try each). */
int yh_rtcp_parse_sr(const yh_rtcp_pkt_t *p, yh_rtcp_sr_t *sr);
int yh_rtcp_parse_rr(const yh_rtcp_pkt_t *p, yh_rtcp_rr_t *rr);
/* Generic NACK (RFC 4585 6.2.1): expands PID/BLP pairs into `lost`
 * (at most `cap`); *n receives the count. */
int yh_rtcp_parse_nack(const yh_rtcp_pkt_t *p, yh_rtcp_fb_t *fb, uint16_t *lost, size_t cap,
                       size_t *n);
int yh_rtcp_parse_pli(const yh_rtcp_pkt_t *p, yh_rtcp_fb_t *fb);
/* FIR (RFC 5104 4.3.1): the first FCI entry's SSRC and command sequence. */
int yh_rtcp_parse_fir(const yh_rtcp_pkt_t *p, yh_rtcp_fb_t *fb, uint32_t *ssrc, uint8_t *seq_nr);
/* REMB: bitrate in bps and the SSRCs it applies to (at most `cap`; *n
 * receives the count). YH_EUNSUPPORTED for another application-layer
 * feedback message. */
int yh_rtcp_parse_remb(const yh_rtcp_pkt_t *p, yh_rtcp_fb_t *fb, uint64_t *bitrate,
                       uint32_t *ssrcs, size_t cap, size_t *n);

/* SDES (RFC 3550 6.5): the first chunk carrying a CNAME item; copies the
 * name NUL-terminated into `cname`. Returns 0, YH_ENOTFOUND when no chunk
 * has one, YH_ENOSPACE when it does not fit `cap`, or a parse error. */
int yh_rtcp_parse_sdes_cname(const yh_rtcp_pkt_t *p, uint32_t *ssrc, char *cname, size_t cap);
/* BYE (RFC 3550 6.6): the leaving SSRCs (at most `cap`); *n receives the
 * count. An optional reason is ignored. */
int yh_rtcp_parse_bye(const yh_rtcp_pkt_t *p, uint32_t *ssrcs, size_t cap, size_t *n);

/* Transport-wide feedback, parsed. */
typedef struct yh_rtcp_twcc_pkt {
    uint16_t seq;
    uint8_t received;
    int64_t delta_us; /* receive delta from the previous received packet (or reference) */
} yh_rtcp_twcc_pkt_t;

typedef struct yh_rtcp_twcc {
    yh_rtcp_fb_t fb;
    uint16_t base_seq;
    uint16_t status_count;
    int32_t reference_time; /* 24-bit signed, multiples of 64 ms */
    uint8_t fb_count;
    size_t n; /* entries filled in `pkts` */
} yh_rtcp_twcc_t;

/* Fills pkts[0 .. min(status_count, cap) - 1] and sets tw->n to that
 * count; a caller seeing n < status_count got a prefix of the feedback. */
int yh_rtcp_parse_twcc(const yh_rtcp_pkt_t *p, yh_rtcp_twcc_t *tw, yh_rtcp_twcc_pkt_t *pkts,
                       size_t cap);

/* Builders. */
int yh_rtcp_build_sr(uint8_t *buf, size_t cap, const yh_rtcp_sr_t *sr);
int yh_rtcp_build_rr(uint8_t *buf, size_t cap, const yh_rtcp_rr_t *rr);
/* SDES with one CNAME chunk. */
int yh_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname);
int yh_rtcp_build_bye(uint8_t *buf, size_t cap, const uint32_t *ssrcs, size_t n);
/* NACK for the given lost sequence numbers, packed into PID/BLP pairs. */
int yh_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *lost, size_t n);
int yh_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
int yh_rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                      uint8_t seq_nr);
int yh_rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint64_t bitrate,
                       const uint32_t *ssrcs, size_t n);

/* Transport-wide feedback builder input: packets base_seq .. base_seq+n-1,
 * arrival_us[i] < 0 meaning not received. The reference time is derived
 * from the first received packet's arrival (multiples of 64 ms); deltas
 * are in 250 us units, large or negative deltas use the 2-byte form.
 * Returns bytes written, YH_ENOSPACE, or YH_ERANGE when a delta does not
 * fit 16 bits (the caller then splits the feedback). */
int yh_rtcp_build_twcc(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint16_t base_seq, const int64_t *arrival_us, size_t n,
                       uint8_t fb_count);

#endif
