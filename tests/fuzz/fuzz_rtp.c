/*
 * libFuzzer target: RTP parse, every header extension id, the extension
 * value helpers and the VP8 / H.264 / RED (RFC 2198) payload helpers.
 * Beyond "no crash", it checks that the parsed extents add up, that the
 * extensions found survive a rebuild by yh_rtp_write_header, and that a
 * RED payload keeps its block layout when its payload types are remapped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/red.h"
#include "rtp/rtp.h"

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

/* The primary block lies inside the payload and ends at its end; the
 * remapped copy has the same layout with the primary's PT changed. */
static void red(const uint8_t *p, size_t len)
{
    size_t off, plen, off2, plen2;
    uint8_t pt, pt2, copy[2048];
    int n = yh_red_primary(p, len, &off, &plen, &pt);
    if (n < 0 || len > sizeof(copy))
        return;
    CHECK(off >= 1 && off <= len && off + plen == len && pt < 128);
    CHECK((size_t)n * 4 + 1 <= off);
    memcpy(copy, p, len);
    int changed = yh_red_map_pt(copy, len, pt, (uint8_t)(pt ^ 0x55));
    CHECK(changed >= 1 && changed <= n + 1);
    CHECK(yh_red_primary(copy, len, &off2, &plen2, &pt2) == n);
    CHECK(off2 == off && plen2 == plen && pt2 == (pt ^ 0x55));
    CHECK(memcmp(copy + off, p + off, plen) == 0);
}

static void payload_helpers(const uint8_t *p, size_t len)
{
    red(p, len);
    yh_vp8_desc_t d;
    if (yh_vp8_parse_desc(p, len, &d) == 0)
        CHECK(d.desc_len <= len);
    int key = yh_vp8_is_keyframe(p, len);
    CHECK(key == 0 || key == 1);
    key = yh_h264_is_keyframe(p, len);
    CHECK(key == 0 || key == 1);
}

static void ext_values(const uint8_t *data, size_t len)
{
    uint8_t level;
    int voice;
    uint16_t seq;
    char s[32];
    (void)yh_rtp_ext_audio_level(data, len, &level, &voice);
    (void)yh_rtp_ext_twcc_seq(data, len, &seq);
    if (yh_rtp_ext_string(data, len, s, sizeof(s)) == 0)
        CHECK(strlen(s) <= len);
}

/* Rebuilds a header with the elements found and finds them again. */
static void rebuild(const yh_rtp_hdr_t *h, const yh_rtp_ext_elem_t *el, size_t n)
{
    uint8_t out[12 + 4 + YH_RTP_MAX_EXT_ELEMS * 18 + 4];
    int len =
        yh_rtp_write_header(out, sizeof(out), h->marker, h->pt, h->seq, h->ts, h->ssrc, el, n);
    CHECK(len > 0);
    yh_rtp_hdr_t h2;
    CHECK(yh_rtp_parse(out, (size_t)len, &h2) == 0);
    CHECK(h2.seq == h->seq && h2.ts == h->ts && h2.ssrc == h->ssrc && h2.pt == h->pt);
    CHECK(h2.marker == h->marker && h2.payload_len == 0);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *d;
        size_t dl;
        CHECK(yh_rtp_ext_find(out, &h2, el[i].id, &d, &dl) == 0);
        CHECK(dl == el[i].len && memcmp(d, el[i].data, dl) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yh_rtp_hdr_t h;
    if (yh_rtp_parse(data, size, &h) != 0) {
        payload_helpers(data, size);
        return 0;
    }
    CHECK(h.payload_off == h.hdr_len);
    CHECK(h.payload_off + h.payload_len + h.pad_len == size);
    CHECK(!h.has_ext || h.ext_off + h.ext_len <= h.hdr_len);

    yh_rtp_ext_elem_t el[YH_RTP_MAX_EXT_ELEMS];
    size_t n = 0;
    for (unsigned id = 0; id < 256; id++) {
        const uint8_t *d;
        size_t len;
        if (yh_rtp_ext_find(data, &h, (uint8_t)id, &d, &len) != 0)
            continue;
        CHECK(d >= data + h.ext_off && d + len <= data + h.ext_off + h.ext_len);
        ext_values(d, len);
        if (len <= sizeof(el[0].data) && n < YH_RTP_MAX_EXT_ELEMS) {
            el[n].id = (uint8_t)id;
            el[n].len = (uint8_t)len;
            memcpy(el[n].data, d, len);
            n++;
        }
    }
    rebuild(&h, el, n);
    payload_helpers(data + h.payload_off, h.payload_len);
    return 0;
}
