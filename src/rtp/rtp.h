/*
 * RTP packets (RFC 3550 section 5.1) and header extensions (RFC 8285).
 * Sans-I/O: parse views over caller buffers and write into caller buffers.
 */
#ifndef YH_RTP_RTP_H
#define YH_RTP_RTP_H

#include <stddef.h>
#include <stdint.h>

#define YH_RTP_MAX_PACKET 1500
#define YH_RTP_MAX_EXT_ELEMS 16

/* A parsed RTP header: offsets index into the parsed buffer. */
typedef struct yh_rtp_hdr {
    uint8_t padding;   /* P bit */
    uint8_t has_ext;   /* X bit */
    uint8_t cc;        /* CSRC count */
    uint8_t marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    size_t hdr_len;     /* fixed header + CSRCs + extension block */
    uint16_t ext_profile; /* 0xBEDE one-byte, 0x100X two-byte, else other */
    size_t ext_off;     /* offset of the extension body (after the 4-byte header) */
    size_t ext_len;     /* extension body length in bytes */
    size_t payload_off;
    size_t payload_len; /* excluding padding */
    uint8_t pad_len;
} yh_rtp_hdr_t;

/* Parses an RTP packet of `len` bytes; checks version 2, CSRC and extension
 * lengths, padding. Returns 0 or YH_ETRUNC/YH_EPARSE. */
int yh_rtp_parse(const uint8_t *buf, size_t len, yh_rtp_hdr_t *h);

/* Finds the RFC 8285 element `id` (one-byte or two-byte form).
 * Returns 0 with *data and *len borrowed from `buf`, or YH_ENOTFOUND. */
int yh_rtp_ext_find(const uint8_t *buf, const yh_rtp_hdr_t *h, uint8_t id,
                    const uint8_t **data, size_t *len);

/* One element to write. */
typedef struct yh_rtp_ext_elem {
    uint8_t id;   /* 1..14 for the one-byte form, 1..255 two-byte */
    uint8_t len;  /* 1..16 (one-byte form) */
    uint8_t data[16];
} yh_rtp_ext_elem_t;

/* Writes a header: V=2, no padding, no CSRCs, the given fields and an
 * extension block built from `ext` (one-byte form when every element fits,
 * else two-byte; none when n == 0). Returns header bytes, YH_ENOSPACE, or
 * YH_EINVAL for an element with id 0 or len > 16. */
int yh_rtp_write_header(uint8_t *out, size_t cap, uint8_t marker, uint8_t pt, uint16_t seq,
                        uint32_t ts, uint32_t ssrc, const yh_rtp_ext_elem_t *ext, size_t n);

/* Header extension values. */
/* urn:ietf:params:rtp-hdrext:ssrc-audio-level (RFC 6464): level 0..127 -dBov, voice flag. */
int yh_rtp_ext_audio_level(const uint8_t *data, size_t len, uint8_t *level, int *voice);
/* transport-wide-cc-extensions-01: 16-bit sequence number. */
int yh_rtp_ext_twcc_seq(const uint8_t *data, size_t len, uint16_t *seq);
void yh_rtp_ext_set_twcc_seq(yh_rtp_ext_elem_t *e, uint8_t id, uint16_t seq);
/* abs-send-time: 6.18 fixed-point seconds, 24 bits, from an NTP timestamp. */
void yh_rtp_ext_set_abs_send_time(yh_rtp_ext_elem_t *e, uint8_t id, uint64_t ntp);
void yh_rtp_ext_set_audio_level(yh_rtp_ext_elem_t *e, uint8_t id, uint8_t level, int voice);
/* The playout-delay extension (WebRTC): minimum and maximum in ms, sent in
 * 10 ms units, each at most 40950 ms; max is raised to min if below. */
void yh_rtp_ext_set_playout_delay(yh_rtp_ext_elem_t *e, uint8_t id, unsigned min_ms,
                                  unsigned max_ms);
/* sdes:mid / rid / repaired-rid: copies the string (NUL-terminated) into out;
 * it ends at the first NUL of the element. YH_ENOSPACE when it does not fit.
 * The setter keeps at most 16 bytes of `s`. */
int yh_rtp_ext_string(const uint8_t *data, size_t len, char *out, size_t cap);
void yh_rtp_ext_set_string(yh_rtp_ext_elem_t *e, uint8_t id, const char *s);

/* Keyframe detection on a payload (after the RTP header). 1 yes, 0 no. */
int yh_vp8_is_keyframe(const uint8_t *payload, size_t len);
/* H.264 (RFC 6184): an IDR or SPS in a single NAL, STAP-A, or the first
 * fragment of an FU-A. */
int yh_h264_is_keyframe(const uint8_t *payload, size_t len);

/* VP8 payload descriptor (RFC 7741 section 4.2). */
typedef struct yh_vp8_desc {
    uint8_t start;        /* S bit */
    uint8_t partition;    /* PID */
    int has_picture_id;
    int picture_id_15;    /* 15-bit (M bit) or 7-bit */
    uint16_t picture_id;
    int has_tl0picidx;
    uint8_t tl0picidx;
    int has_tid;
    uint8_t tid;
    uint8_t layer_sync;
    size_t desc_len;      /* bytes of descriptor before the VP8 payload */
} yh_vp8_desc_t;
int yh_vp8_parse_desc(const uint8_t *payload, size_t len, yh_vp8_desc_t *d);
/* yh_vp8_is_keyframe on a descriptor already parsed from `payload`. */
int yh_vp8_desc_is_keyframe(const yh_vp8_desc_t *d, const uint8_t *payload, size_t len);

#endif
