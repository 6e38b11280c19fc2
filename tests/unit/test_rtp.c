/* RTP header parsing, header extensions (RFC 8285) and payload helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/bytes.h"
#include "base/err.h"
#include "rtp/red.h"
#include "rtp/rtp.h"

/* Parses a heap copy of exactly `len` bytes, so ASan sees any overread. */
static int parse_exact(const uint8_t *pkt, size_t len, yh_rtp_hdr_t *h)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, pkt, len);
    int rc = yh_rtp_parse(copy, len, h);
    free(copy);
    return rc;
}

/* Chrome video packet headers as captured (header only, no payload):
 * one-byte extensions abs-send-time (2), transport-cc (4), and id 13,
 * followed by one padding byte inside the extension block. */
static const uint8_t chrome_one_byte[] = {
    0x90, 0x2d, 0x1a, 0x5f, 0xd4, 0x09, 0x05, 0x49, 0xf7, 0xb1, 0x6e, 0x83, 0xbe, 0xde,
    0x00, 0x03, 0x22, 0xf3, 0x43, 0x50, 0x41, 0x00, 0x9b, 0xd2, 0x81, 0x00, 0x45, 0x00,
};

/* The same kind of packet with two-byte extensions (0x1000 profile) since
 * one element (id 13) is 33 bytes long. */
static const uint8_t chrome_two_byte[] = {
    0x90, 0x2d, 0x61, 0xc5, 0x95, 0x0a, 0x0f, 0xee, 0x8d, 0x38, 0x14, 0xe5, 0x10, 0x00,
    0x00, 0x11, 0x02, 0x03, 0x03, 0xf7, 0xae, 0x04, 0x02, 0x00, 0x02, 0x09, 0x01, 0x30,
    0x03, 0x01, 0x00, 0x06, 0x01, 0x02, 0x07, 0x0d, 0x01, 0x00, 0x01, 0x00, 0x07, 0x00,
    0x07, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x21, 0xc0, 0x00, 0x01, 0x80, 0x03,
    0x18, 0x7a, 0xaa, 0xf1, 0x30, 0xa0, 0xa0, 0x14, 0xd1, 0x41, 0x38, 0x23, 0x04, 0x60,
    0x08, 0x64, 0x22, 0x22, 0x26, 0x50, 0x09, 0xf0, 0x07, 0x70, 0x13, 0xf0, 0x0e, 0xf0,
};

/* V=2 P=1 X=0 CC=2, M=1 PT=111, two CSRCs, 5 payload bytes, 3 padding. */
static const uint8_t csrc_padded[] = {
    0xa2, 0xef, 0x12, 0x34, 0x00, 0x00, 0x10, 0x00, 0xca, 0xfe, 0xba, 0xbe, 0x11, 0x11,
    0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x01, 0x02, 0x03, 0x04, 0x05, 0x00, 0x00, 0x03,
};

static void test_parse_chrome_one_byte(void **state)
{
    (void)state;
    yh_rtp_hdr_t h;
    const uint8_t *d;
    size_t n;
    assert_int_equal(parse_exact(chrome_one_byte, sizeof(chrome_one_byte), &h), 0);
    assert_int_equal(h.pt, 45);
    assert_int_equal(h.marker, 0);
    assert_int_equal(h.seq, 6751);
    assert_int_equal(h.ts, 3557360969u);
    assert_int_equal(h.ssrc, 0xf7b16e83u);
    assert_int_equal(h.has_ext, 1);
    assert_int_equal(h.ext_profile, 0xBEDE);
    assert_int_equal(h.ext_off, 16);
    assert_int_equal(h.ext_len, 12);
    assert_int_equal(h.hdr_len, 28);
    assert_int_equal(h.payload_off, 28);
    assert_int_equal(h.payload_len, 0);

    assert_int_equal(yh_rtp_ext_find(chrome_one_byte, &h, 2, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(d, "\xf3\x43\x50", 3);
    uint16_t tseq;
    assert_int_equal(yh_rtp_ext_find(chrome_one_byte, &h, 4, &d, &n), 0);
    assert_int_equal(yh_rtp_ext_twcc_seq(d, n, &tseq), 0);
    assert_int_equal(tseq, 0x009b);
    assert_int_equal(yh_rtp_ext_find(chrome_one_byte, &h, 13, &d, &n), 0);
    assert_memory_equal(d, "\x81\x00\x45", 3);
    assert_int_equal(yh_rtp_ext_find(chrome_one_byte, &h, 1, &d, &n), YH_ENOTFOUND);
    assert_int_equal(yh_rtp_ext_find(chrome_one_byte, &h, 15, &d, &n), YH_ENOTFOUND);
    assert_int_equal(yh_rtp_ext_find(chrome_one_byte, &h, 0, &d, &n), YH_ENOTFOUND);
}

static void test_parse_chrome_two_byte(void **state)
{
    (void)state;
    yh_rtp_hdr_t h;
    const uint8_t *d;
    size_t n;
    assert_int_equal(parse_exact(chrome_two_byte, sizeof(chrome_two_byte), &h), 0);
    assert_int_equal(h.seq, 25029);
    assert_int_equal(h.ts, 2500464622u);
    assert_int_equal(h.ext_profile, 0x1000);
    assert_int_equal(h.ext_len, 68);
    assert_int_equal(h.payload_len, 0);
    assert_int_equal(yh_rtp_ext_find(chrome_two_byte, &h, 7, &d, &n), 0);
    assert_int_equal(n, 13);
    assert_int_equal(yh_rtp_ext_find(chrome_two_byte, &h, 13, &d, &n), 0);
    assert_int_equal(n, 33);
    assert_int_equal(d[0], 0xc0);
    assert_int_equal(d[32], 0xf0);
    assert_int_equal(yh_rtp_ext_find(chrome_two_byte, &h, 3, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0], 0);
    assert_int_equal(yh_rtp_ext_find(chrome_two_byte, &h, 5, &d, &n), YH_ENOTFOUND);
}

static void test_parse_csrc_padding(void **state)
{
    (void)state;
    yh_rtp_hdr_t h;
    assert_int_equal(parse_exact(csrc_padded, sizeof(csrc_padded), &h), 0);
    assert_int_equal(h.cc, 2);
    assert_int_equal(h.marker, 1);
    assert_int_equal(h.pt, 111);
    assert_int_equal(h.padding, 1);
    assert_int_equal(h.pad_len, 3);
    assert_int_equal(h.hdr_len, 20);
    assert_int_equal(h.payload_off, 20);
    assert_int_equal(h.payload_len, 5);
}

static void test_parse_errors(void **state)
{
    (void)state;
    yh_rtp_hdr_t h;
    uint8_t p[sizeof(csrc_padded)];

    memcpy(p, csrc_padded, sizeof(p));
    p[0] = (uint8_t)((p[0] & 0x3F) | 0x40); /* version 1 */
    assert_int_equal(parse_exact(p, sizeof(p), &h), YH_EPARSE);

    memcpy(p, csrc_padded, sizeof(p));
    p[sizeof(p) - 1] = 0; /* zero padding count */
    assert_int_equal(parse_exact(p, sizeof(p), &h), YH_EPARSE);
    p[sizeof(p) - 1] = 9; /* more padding than payload */
    assert_int_equal(parse_exact(p, sizeof(p), &h), YH_EPARSE);
    p[sizeof(p) - 1] = 8; /* all of the payload is padding: fine */
    assert_int_equal(parse_exact(p, sizeof(p), &h), 0);
    assert_int_equal(h.payload_len, 0);

    /* Padding bit with nothing after the header. */
    assert_int_equal(parse_exact(csrc_padded, 20, &h), YH_EPARSE);

    /* Extension length pointing past the end. */
    uint8_t e[sizeof(chrome_one_byte)];
    memcpy(e, chrome_one_byte, sizeof(e));
    e[15] = 4;
    assert_int_equal(parse_exact(e, sizeof(e), &h), YH_ETRUNC);
}

/* Every prefix shorter than the header fails; no prefix reads past its end. */
static void test_parse_truncation(void **state)
{
    (void)state;
    const struct {
        const uint8_t *p;
        size_t len, hdr;
    } v[] = {
        {chrome_one_byte, sizeof(chrome_one_byte), 28},
        {chrome_two_byte, sizeof(chrome_two_byte), sizeof(chrome_two_byte)},
        {csrc_padded, sizeof(csrc_padded), 20},
    };
    for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
        for (size_t len = 0; len < v[k].len; len++) {
            yh_rtp_hdr_t h;
            int rc = parse_exact(v[k].p, len, &h);
            if (len < v[k].hdr)
                assert_true(rc < 0);
            if (rc == 0)
                assert_true(h.payload_off + h.payload_len + h.pad_len == len);
        }
    }
}

/* RFC 8285 4.2: zero bytes are padding between elements; id 15 ends the
 * walk; an element running past the block is not returned. */
static void test_ext_one_byte_rules(void **state)
{
    (void)state;
    /* clang-format off */
    uint8_t p[] = {
        0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
        0xbe, 0xde, 0x00, 0x03,
        0x10, 0xaa,             /* id 1, 1 byte */
        0x00, 0x00,             /* padding */
        0x21, 0xbb, 0xcc,       /* id 2, 2 bytes */
        0xf0,                   /* id 15: stop */
        0x30, 0xdd, 0x00, 0x00, /* id 3, never reached */
    };
    /* clang-format on */
    yh_rtp_hdr_t h;
    const uint8_t *d;
    size_t n;
    assert_int_equal(parse_exact(p, sizeof(p), &h), 0);
    assert_int_equal(yh_rtp_ext_find(p, &h, 1, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0], 0xaa);
    assert_int_equal(yh_rtp_ext_find(p, &h, 2, &d, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(d[1], 0xcc);
    assert_int_equal(yh_rtp_ext_find(p, &h, 3, &d, &n), YH_ENOTFOUND);

    p[16] = 0x1f; /* id 1 claims 16 bytes: runs past the block */
    assert_int_equal(yh_rtp_ext_find(p, &h, 1, &d, &n), YH_ENOTFOUND);
    assert_int_equal(yh_rtp_ext_find(p, &h, 2, &d, &n), YH_ENOTFOUND);

    p[12] = 0x12; /* unknown profile: no elements */
    assert_int_equal(parse_exact(p, sizeof(p), &h), 0);
    assert_int_equal(yh_rtp_ext_find(p, &h, 2, &d, &n), YH_ENOTFOUND);
}

static void test_write_header_roundtrip(void **state)
{
    (void)state;
    yh_rtp_ext_elem_t ext[4];
    yh_rtp_ext_set_audio_level(&ext[0], 1, 42, 1);
    yh_rtp_ext_set_twcc_seq(&ext[1], 3, 0xBEEF);
    yh_rtp_ext_set_abs_send_time(&ext[2], 2, (uint64_t)1 << 32 | 0x80000000u); /* 1.5 s */
    yh_rtp_ext_set_string(&ext[3], 4, "video0");

    uint8_t buf[64];
    int n = yh_rtp_write_header(buf, sizeof(buf), 1, 96, 65535, 0xDEADBEEF, 0x01020304, ext, 4);
    /* 12 + 4 + (2 + 3 + 4 + 7 = 16) */
    assert_int_equal(n, 32);
    assert_memory_equal(buf, "\x90\xe0\xff\xff\xde\xad\xbe\xef\x01\x02\x03\x04\xbe\xde\x00\x04",
                        16);

    yh_rtp_hdr_t h;
    const uint8_t *d;
    size_t len;
    assert_int_equal(yh_rtp_parse(buf, (size_t)n, &h), 0);
    assert_int_equal(h.marker, 1);
    assert_int_equal(h.pt, 96);
    assert_int_equal(h.seq, 65535);
    assert_int_equal(h.ts, 0xDEADBEEF);
    assert_int_equal(h.ssrc, 0x01020304);
    assert_int_equal(h.hdr_len, 32);

    uint8_t level;
    int voice;
    assert_int_equal(yh_rtp_ext_find(buf, &h, 1, &d, &len), 0);
    assert_int_equal(yh_rtp_ext_audio_level(d, len, &level, &voice), 0);
    assert_int_equal(level, 42);
    assert_int_equal(voice, 1);

    uint16_t seq;
    assert_int_equal(yh_rtp_ext_find(buf, &h, 3, &d, &len), 0);
    assert_int_equal(yh_rtp_ext_twcc_seq(d, len, &seq), 0);
    assert_int_equal(seq, 0xBEEF);

    assert_int_equal(yh_rtp_ext_find(buf, &h, 2, &d, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(d, "\x06\x00\x00", 3);

    char s[8];
    assert_int_equal(yh_rtp_ext_find(buf, &h, 4, &d, &len), 0);
    assert_int_equal(yh_rtp_ext_string(d, len, s, sizeof(s)), 0);
    assert_string_equal(s, "video0");
    assert_int_equal(yh_rtp_ext_string(d, len, s, 6), YH_ENOSPACE);

    /* Every smaller buffer is refused. */
    for (size_t cap = 0; cap < 32; cap++)
        assert_int_equal(yh_rtp_write_header(buf, cap, 1, 96, 1, 2, 3, ext, 4), YH_ENOSPACE);
}

static void test_write_header_two_byte(void **state)
{
    (void)state;
    yh_rtp_ext_elem_t ext[2];
    yh_rtp_ext_set_string(&ext[0], 20, "abc"); /* id > 14 forces two-byte */
    yh_rtp_ext_set_twcc_seq(&ext[1], 1, 7);
    uint8_t buf[64];
    int n = yh_rtp_write_header(buf, sizeof(buf), 0, 100, 9, 10, 11, ext, 2);
    assert_int_equal(n, 12 + 4 + 12); /* 2+3 + 2+2 = 9, padded to 12 */
    yh_rtp_hdr_t h;
    const uint8_t *d;
    size_t len;
    assert_int_equal(yh_rtp_parse(buf, (size_t)n, &h), 0);
    assert_int_equal(h.ext_profile, 0x1000);
    assert_int_equal(yh_rtp_ext_find(buf, &h, 20, &d, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(d, "abc", 3);
    assert_int_equal(yh_rtp_ext_find(buf, &h, 1, &d, &len), 0);
    assert_int_equal(len, 2);

    /* No extensions: a bare 12-byte header with X clear. */
    assert_int_equal(yh_rtp_write_header(buf, 12, 0, 0, 1, 2, 3, NULL, 0), 12);
    assert_int_equal(buf[0], 0x80);

    /* Invalid elements. */
    ext[0].id = 0;
    assert_int_equal(yh_rtp_write_header(buf, sizeof(buf), 0, 0, 1, 2, 3, ext, 1), YH_EINVAL);
    ext[0].id = 1;
    ext[0].len = 17;
    assert_int_equal(yh_rtp_write_header(buf, sizeof(buf), 0, 0, 1, 2, 3, ext, 1), YH_EINVAL);
}

static void test_ext_values(void **state)
{
    (void)state;
    uint8_t level;
    int voice;
    uint16_t seq;
    char s[4];
    assert_int_equal(yh_rtp_ext_audio_level((const uint8_t *)"\x7f", 1, &level, &voice), 0);
    assert_int_equal(level, 127);
    assert_int_equal(voice, 0);
    assert_int_equal(yh_rtp_ext_audio_level(NULL, 0, &level, &voice), YH_ETRUNC);
    assert_int_equal(yh_rtp_ext_twcc_seq((const uint8_t *)"\x01", 1, &seq), YH_ETRUNC);
    /* NUL padding after the identifier is not part of it. */
    assert_int_equal(yh_rtp_ext_string((const uint8_t *)"h\0\0", 3, s, sizeof(s)), 0);
    assert_string_equal(s, "h");
    assert_int_equal(yh_rtp_ext_string((const uint8_t *)"q", 1, s, 0), YH_ENOSPACE);
}

/* Playout delay (http://www.webrtc.org/experiments/rtp-hdrext/playout-delay):
 * 3 bytes, MIN 12 bits then MAX 12 bits, in 10 ms units. */
static void test_ext_playout_delay(void **state)
{
    (void)state;
    static const struct {
        unsigned min_ms, max_ms;
        uint8_t b[3];
    } v[] = {
        {0, 10000, {0x00, 0x03, 0xE8}},     /* 0x000, 0x3E8 */
        {330, 10000, {0x02, 0x13, 0xE8}},   /* 0x021, 0x3E8 */
        {339, 10009, {0x02, 0x13, 0xE8}},   /* rounded down to 10 ms */
        {40950, 40950, {0xFF, 0xFF, 0xFF}}, /* the largest */
        {50000, 99999, {0xFF, 0xFF, 0xFF}}, /* clamped at 40950 ms */
        {400, 100, {0x02, 0x80, 0x28}},     /* max below min: raised to min */
        {400, 0, {0x02, 0x80, 0x28}},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        yh_rtp_ext_elem_t e;
        memset(&e, 0xAA, sizeof e);
        yh_rtp_ext_set_playout_delay(&e, 5, v[i].min_ms, v[i].max_ms);
        assert_int_equal(e.id, 5);
        assert_int_equal(e.len, 3);
        assert_memory_equal(e.data, v[i].b, 3);
    }

    /* Among the others a subscriber's video carries, it parses back. */
    yh_rtp_ext_elem_t ext[3];
    yh_rtp_ext_set_playout_delay(&ext[0], 5, 150, 10000);
    yh_rtp_ext_set_abs_send_time(&ext[1], 2, (uint64_t)1 << 32);
    yh_rtp_ext_set_twcc_seq(&ext[2], 3, 77);
    uint8_t buf[64];
    int n = yh_rtp_write_header(buf, sizeof(buf), 0, 100, 1, 2, 3, ext, 3);
    assert_int_equal(n, 12 + 4 + 12); /* 4 + 4 + 3 = 11, padded to 12 */
    yh_rtp_hdr_t h;
    const uint8_t *d;
    size_t len;
    assert_int_equal(yh_rtp_parse(buf, (size_t)n, &h), 0);
    assert_int_equal(h.ext_profile, 0xBEDE);
    assert_int_equal(yh_rtp_ext_find(buf, &h, 5, &d, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(d, "\x00\xF3\xE8", 3); /* 15, 1000 */
    uint16_t seq;
    assert_int_equal(yh_rtp_ext_find(buf, &h, 3, &d, &len), 0);
    assert_int_equal(yh_rtp_ext_twcc_seq(d, len, &seq), 0);
    assert_int_equal(seq, 77);
}

/* VP8 keyframe: X=1 S=1 PID=0; I (15-bit picture id 0x123), L
 * (TL0PICIDX 5), T (TID 1, Y 1); then a key frame tag (P=0) and the
 * 0x9d 0x01 0x2a start code. */
static const uint8_t vp8_key[] = {0x90, 0xe0, 0x81, 0x23, 0x05, 0x60,
                                  0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a};

static void test_vp8_desc(void **state)
{
    (void)state;
    yh_vp8_desc_t d;
    assert_int_equal(yh_vp8_parse_desc(vp8_key, sizeof(vp8_key), &d), 0);
    assert_int_equal(d.start, 1);
    assert_int_equal(d.partition, 0);
    assert_true(d.has_picture_id);
    assert_true(d.picture_id_15);
    assert_int_equal(d.picture_id, 0x123);
    assert_true(d.has_tl0picidx);
    assert_int_equal(d.tl0picidx, 5);
    assert_true(d.has_tid);
    assert_int_equal(d.tid, 1);
    assert_int_equal(d.layer_sync, 1);
    assert_int_equal(d.desc_len, 6);
    assert_int_equal(yh_vp8_is_keyframe(vp8_key, sizeof(vp8_key)), 1);

    /* 7-bit picture id, K only (KEYIDX byte present, no TID). */
    const uint8_t p7[] = {0x80, 0x90, 0x7f, 0x1f, 0x31};
    assert_int_equal(yh_vp8_parse_desc(p7, sizeof(p7), &d), 0);
    assert_false(d.picture_id_15);
    assert_int_equal(d.picture_id, 0x7f);
    assert_false(d.has_tid);
    assert_false(d.has_tl0picidx);
    assert_int_equal(d.desc_len, 4);

    /* No extension byte at all. */
    const uint8_t p1[] = {0x10, 0x50};
    assert_int_equal(yh_vp8_parse_desc(p1, sizeof(p1), &d), 0);
    assert_int_equal(d.desc_len, 1);
    assert_int_equal(yh_vp8_is_keyframe(p1, sizeof(p1)), 1);

    for (size_t len = 0; len < 6; len++) {
        assert_int_equal(yh_vp8_parse_desc(vp8_key, len, &d), YH_ETRUNC);
        assert_int_equal(yh_vp8_is_keyframe(vp8_key, len), 0);
    }
    /* The descriptor alone, with no VP8 payload byte: not a keyframe. */
    assert_int_equal(yh_vp8_is_keyframe(vp8_key, 6), 0);
}

static void test_vp8_not_key(void **state)
{
    (void)state;
    uint8_t p[sizeof(vp8_key)];
    memcpy(p, vp8_key, sizeof(p));
    p[6] |= 0x01; /* inter frame */
    assert_int_equal(yh_vp8_is_keyframe(p, sizeof(p)), 0);
    memcpy(p, vp8_key, sizeof(p));
    p[0] &= (uint8_t)~0x10; /* not the start of a partition */
    assert_int_equal(yh_vp8_is_keyframe(p, sizeof(p)), 0);
    memcpy(p, vp8_key, sizeof(p));
    p[0] |= 0x01; /* partition 1 */
    assert_int_equal(yh_vp8_is_keyframe(p, sizeof(p)), 0);
}

static void test_h264_keyframe(void **state)
{
    (void)state;
    const uint8_t idr[] = {0x65, 0x88, 0x84};
    const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1f};
    const uint8_t pframe[] = {0x41, 0x9a};
    /* STAP-A: SPS (4 bytes) + PPS (2 bytes). */
    const uint8_t stap_sps[] = {0x78, 0x00, 0x04, 0x67, 0x42, 0xc0, 0x1f, 0x00, 0x02, 0x68, 0xce};
    /* STAP-A: PPS + SEI only. */
    const uint8_t stap_none[] = {0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x06, 0x05};
    /* STAP-A whose second size runs past the end: the walk stops there. */
    const uint8_t stap_bad[] = {0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x09, 0x65, 0x00};
    const uint8_t fu_start_idr[] = {0x7c, 0x85, 0xb8};
    const uint8_t fu_mid_idr[] = {0x7c, 0x05, 0xb8};
    const uint8_t fu_start_p[] = {0x7c, 0x81, 0x9a};

    assert_int_equal(yh_h264_is_keyframe(idr, sizeof(idr)), 1);
    assert_int_equal(yh_h264_is_keyframe(sps, sizeof(sps)), 1);
    assert_int_equal(yh_h264_is_keyframe(pframe, sizeof(pframe)), 0);
    assert_int_equal(yh_h264_is_keyframe(stap_sps, sizeof(stap_sps)), 1);
    assert_int_equal(yh_h264_is_keyframe(stap_none, sizeof(stap_none)), 0);
    assert_int_equal(yh_h264_is_keyframe(stap_bad, sizeof(stap_bad)), 0);
    assert_int_equal(yh_h264_is_keyframe(fu_start_idr, sizeof(fu_start_idr)), 1);
    assert_int_equal(yh_h264_is_keyframe(fu_mid_idr, sizeof(fu_mid_idr)), 0);
    assert_int_equal(yh_h264_is_keyframe(fu_start_p, sizeof(fu_start_p)), 0);
    assert_int_equal(yh_h264_is_keyframe(fu_start_idr, 1), 0);
    assert_int_equal(yh_h264_is_keyframe(idr, 0), 0);
    for (size_t len = 0; len < sizeof(stap_sps); len++)
        assert_int_equal(yh_h264_is_keyframe(stap_sps, len), len >= 7 ? 1 : 0);
}

/* ---- RFC 2198 redundant audio ------------------------------------------ */

/* A Chromium RED packet as it leaves the encoder (SRTP removed): PT 63,
 * one-byte extensions audio level (id 1: voice, -36 dBov) and transport-cc
 * (id 3); the RED payload carries the previous 20 ms Opus frame
 * (timestamp offset 960 at 48 kHz, 6 bytes) and then the current one
 * (7 bytes), both PT 111, each starting with the Opus TOC byte 0x78. */
static const uint8_t chrome_red[] = {
    0x90, 0x3f, 0x2b, 0x11, 0x00, 0x01, 0x2c, 0x00, 0x5a, 0xc9, 0x2c, 0x35, /* RTP */
    0xbe, 0xde, 0x00, 0x02, 0x10, 0xa4, 0x31, 0x01, 0x7e, 0x00, 0x00, 0x00, /* exts */
    0xef, 0x0f, 0x00, 0x06,                                                 /* F=1 */
    0x6f,                                                                   /* F=0 */
    0x78, 0x0b, 0xe4, 0xc1, 0x36, 0xec,                                     /* t-960 */
    0x78, 0x0b, 0xe5, 0x02, 0x9f, 0x44, 0x1d,                               /* t */
};

/* yh_red_primary on a heap copy of exactly `len` bytes (ASan sees any
 * overread). */
static int red_exact(const uint8_t *p, size_t len, size_t *off, size_t *plen, uint8_t *pt)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, p, len);
    int rc = yh_red_primary(copy, len, off, plen, pt);
    free(copy);
    return rc;
}

static void test_red_chrome(void **state)
{
    (void)state;
    yh_rtp_hdr_t h;
    size_t off, plen;
    uint8_t pt;
    assert_int_equal(parse_exact(chrome_red, sizeof(chrome_red), &h), 0);
    assert_int_equal(h.pt, 63);
    assert_int_equal(h.payload_len, 18);
    const uint8_t *p = chrome_red + h.payload_off;
    assert_int_equal(red_exact(p, h.payload_len, &off, &plen, &pt), 1);
    assert_int_equal(pt, 111);
    assert_int_equal(off, 11);
    assert_int_equal(plen, 7);
    static const uint8_t primary[] = {0x78, 0x0b, 0xe5, 0x02, 0x9f, 0x44, 0x1d};
    assert_memory_equal(p + off, primary, sizeof(primary));
    /* The first header: timestamp offset 960, length 6. */
    assert_int_equal(rd_be24(p + 1) >> 10, 960);
    assert_int_equal(rd_be24(p + 1) & 0x3ff, 6);

    /* Two redundant frames (t-1920 of 3 bytes, t-960 of 2), then 4 bytes. */
    const uint8_t two[] = {0xef, 0x1e, 0x00, 0x03, 0xef, 0x0f, 0x00, 0x02, 0x6f,
                           0x78, 0x01, 0x02, 0x78, 0x03, 0x78, 0x04, 0x05, 0x06};
    assert_int_equal(red_exact(two, sizeof(two), &off, &plen, &pt), 2);
    assert_int_equal(off, 14);
    assert_int_equal(plen, 4);
    assert_int_equal(two[off + 1], 0x04);
}

static void test_red_primary_only(void **state)
{
    (void)state;
    size_t off, plen;
    uint8_t pt;
    /* The first packet of a stream: nothing earlier to repeat. */
    const uint8_t only[] = {0x6f, 0x78, 0x0b, 0xe4, 0xc1};
    assert_int_equal(red_exact(only, sizeof(only), &off, &plen, &pt), 0);
    assert_int_equal(off, 1);
    assert_int_equal(plen, 4);
    assert_int_equal(pt, 111);
    /* A final header alone: an empty primary block is still well formed. */
    assert_int_equal(red_exact(only, 1, &off, &plen, &pt), 0);
    assert_int_equal(plen, 0);
    /* Redundant blocks filling the payload exactly, empty primary. */
    const uint8_t full[] = {0xef, 0x0f, 0x00, 0x02, 0x6f, 0x78, 0x01};
    assert_int_equal(red_exact(full, sizeof(full), &off, &plen, &pt), 1);
    assert_int_equal(off, sizeof(full));
    assert_int_equal(plen, 0);
}

static void test_red_malformed(void **state)
{
    (void)state;
    size_t off, plen;
    uint8_t pt;
    const uint8_t cut_hdr[] = {0xef, 0x0f, 0x00};
    const uint8_t past_end[] = {0xef, 0x0f, 0x00, 0x40, 0x6f, 0x78, 0x01, 0x02};
    const uint8_t no_final[] = {0xef, 0x0f, 0x00, 0x00, 0xef, 0x0f, 0x00, 0x00};
    /* The block length takes the final header's byte. */
    const uint8_t eats_final[] = {0xef, 0x0f, 0x00, 0x01, 0x6f};
    assert_int_equal(red_exact(cut_hdr, 0, &off, &plen, &pt), YH_ETRUNC);
    assert_int_equal(red_exact(cut_hdr, sizeof(cut_hdr), &off, &plen, &pt), YH_ETRUNC);
    assert_int_equal(red_exact(past_end, sizeof(past_end), &off, &plen, &pt), YH_EPARSE);
    assert_int_equal(red_exact(no_final, sizeof(no_final), &off, &plen, &pt), YH_ETRUNC);
    assert_int_equal(red_exact(eats_final, sizeof(eats_final), &off, &plen, &pt), YH_EPARSE);
    /* Every cut of the Chromium payload: an error, or a primary that
     * ends exactly at the cut. */
    const uint8_t *p = chrome_red + 24;
    size_t full = sizeof(chrome_red) - 24;
    for (size_t len = 0; len <= full; len++) {
        int rc = red_exact(p, len, &off, &plen, &pt);
        if (len < 11)
            assert_true(rc < 0);
        else
            assert_true(rc == 1 && off == 11 && off + plen == len);
    }
}

static void test_red_map_pt(void **state)
{
    (void)state;
    uint8_t p[sizeof(chrome_red) - 24];
    size_t off, plen;
    uint8_t pt;
    memcpy(p, chrome_red + 24, sizeof(p));
    /* Firefox numbers Opus 109: both headers change, the F bits stay. */
    assert_int_equal(yh_red_map_pt(p, sizeof(p), 111, 109), 2);
    assert_int_equal(p[0], 0x80 | 109);
    assert_int_equal(p[4], 109);
    assert_memory_equal(p + 1, chrome_red + 25, 3);
    assert_int_equal(yh_red_primary(p, sizeof(p), &off, &plen, &pt), 1);
    assert_int_equal(pt, 109);
    assert_int_equal(yh_red_map_pt(p, sizeof(p), 111, 109), 0);
    assert_int_equal(yh_red_map_pt(p, sizeof(p), 109, 111), 2);
    assert_memory_equal(p, chrome_red + 24, sizeof(p));
    /* A malformed payload is left as it was. */
    uint8_t bad[] = {0xef, 0x0f, 0x00, 0x40, 0x6f, 0x78};
    assert_int_equal(yh_red_map_pt(bad, sizeof(bad), 111, 109), YH_EPARSE);
    assert_int_equal(bad[0], 0xef);
    assert_int_equal(bad[4], 0x6f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_chrome_one_byte),
        cmocka_unit_test(test_parse_chrome_two_byte),
        cmocka_unit_test(test_parse_csrc_padding),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_truncation),
        cmocka_unit_test(test_ext_one_byte_rules),
        cmocka_unit_test(test_write_header_roundtrip),
        cmocka_unit_test(test_write_header_two_byte),
        cmocka_unit_test(test_ext_values),
        cmocka_unit_test(test_ext_playout_delay),
        cmocka_unit_test(test_vp8_desc),
        cmocka_unit_test(test_vp8_not_key),
        cmocka_unit_test(test_h264_keyframe),
        cmocka_unit_test(test_red_chrome),
        cmocka_unit_test(test_red_primary_only),
        cmocka_unit_test(test_red_malformed),
        cmocka_unit_test(test_red_map_pt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
