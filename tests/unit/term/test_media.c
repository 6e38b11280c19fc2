/*
 * The terminal's media engine end to end: libvpx/libopus encoding of the
 * test signals, RFC 7741 packetization, and the receivers' reassembly,
 * decoding, loss handling and figures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <opus/opus.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "base/bytes.h"
#include "media/media.h"
#include "rtp/rtp.h"

/* cmocka 1.1.5 (Debian 12) has no assert_double_equal. */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

#define MAX_PKTS 8192
#define MAX_FRAMES 128
#define T0 1000000000ull /* arrival clock origin, us */
#define FRAME_US 33000ull

/* An encoded and packetized video stream, kept as RTP packets. */
typedef struct tpkt {
    uint8_t buf[YH_RTP_MAX_PACKET];
    size_t len;
    int frame;
} tpkt_t;

typedef struct stream {
    tpkt_t *pkts;
    size_t n;
    int frames;
    int key[MAX_FRAMES];
    size_t first[MAX_FRAMES], count[MAX_FRAMES], size[MAX_FRAMES];
    /* emit state */
    uint16_t seq;
    uint32_t ts;
    int cur;
} stream_t;

static void emit_rtp(void *ctx, const uint8_t *payload, size_t len, int marker)
{
    stream_t *s = ctx;
    assert_true(s->n < MAX_PKTS);
    tpkt_t *p = &s->pkts[s->n++];
    int h = yh_rtp_write_header(p->buf, sizeof(p->buf), (uint8_t)marker, 96, s->seq++, s->ts,
                                0x11223344u, NULL, 0);
    assert_true(h > 0);
    assert_true((size_t)h + len <= sizeof(p->buf));
    memcpy(p->buf + h, payload, len);
    p->len = (size_t)h + len;
    p->frame = s->cur;
    s->count[s->cur]++;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Encodes `frames` frames; `force_at` (or -1) gets a forced keyframe. */
static stream_t *make_stream(int w, int h, int kbps, int frames, size_t max_payload,
                             uint16_t first_seq, int force_at, double *enc_ms)
{
    stream_t *s = calloc(1, sizeof(*s));
    yt_video_src_t *src;
    yt_vp8_packetizer_t pk = {.picture_id = 0x7FF0}; /* wraps within the stream */
    assert_non_null(s);
    assert_true(frames <= MAX_FRAMES);
    s->pkts = calloc(MAX_PKTS, sizeof(*s->pkts));
    assert_non_null(s->pkts);
    s->seq = first_seq;
    assert_int_equal(yt_video_src_create(w, h, 30, kbps, &src), 0);
    double t = now_ms();
    for (int i = 0; i < frames; i++) {
        const uint8_t *data;
        size_t len;
        int key;
        assert_int_equal(yt_video_src_next(src, T0 + (uint64_t)i * FRAME_US, i == force_at, &data,
                                           &len, &key), 0);
        assert_true(len > 0);
        s->key[i] = key;
        s->size[i] = len;
        s->first[i] = s->n;
        s->cur = i;
        s->ts = 90000u + (uint32_t)i * 3000u;
        assert_int_equal(yt_vp8_packetize(&pk, data, len, max_payload, emit_rtp, s), 0);
    }
    if (enc_ms)
        *enc_ms = (now_ms() - t) / frames;
    s->frames = frames;
    yt_video_src_destroy(src);
    return s;
}

static void free_stream(stream_t *s)
{
    free(s->pkts);
    free(s);
}

static uint64_t arrival_of(int frame)
{
    return T0 + 20000u + (uint64_t)frame * FRAME_US;
}

/* Pushes packets [from, to) at their frame's arrival time, skipping `skip`. */
static void push_range(yt_video_sink_t *v, const stream_t *s, size_t from, size_t to, size_t skip)
{
    for (size_t i = from; i < to; i++)
        if (i != skip)
            yt_video_sink_push(v, s->pkts[i].buf, s->pkts[i].len, arrival_of(s->pkts[i].frame), 0);
}

/* ---- packetizer ---------------------------------------------------------- */

typedef struct capture {
    uint8_t data[8][YH_RTP_MAX_PACKET];
    size_t len[8];
    int marker[8];
    int n;
} capture_t;

static void emit_capture(void *ctx, const uint8_t *payload, size_t len, int marker)
{
    capture_t *c = ctx;
    assert_true(c->n < 8);
    memcpy(c->data[c->n], payload, len);
    c->len[c->n] = len;
    c->marker[c->n++] = marker;
}

static void test_packetize_descriptor(void **state)
{
    (void)state;
    static uint8_t frame[2500];
    static capture_t c;
    yt_vp8_packetizer_t p = {.picture_id = 0x7FFF};
    for (size_t i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i * 7);
    assert_int_equal(yt_vp8_packetize(&p, frame, sizeof(frame), 1100, emit_capture, &c), 0);
    /* 2500 bytes in fragments of at most 1096: three of 834, 833, 833. */
    assert_int_equal(c.n, 3);
    assert_int_equal(c.len[0], 838);
    assert_int_equal(c.len[1], 837);
    assert_int_equal(c.len[2], 837);
    const uint8_t first[4] = {0x90, 0x80, 0xFF, 0xFF}, rest[4] = {0x80, 0x80, 0xFF, 0xFF};
    assert_memory_equal(c.data[0], first, 4);
    assert_memory_equal(c.data[1], rest, 4);
    assert_memory_equal(c.data[2], rest, 4);
    assert_int_equal(c.marker[0] + c.marker[1], 0);
    assert_int_equal(c.marker[2], 1);
    assert_memory_equal(c.data[0] + 4, frame, 834);
    assert_memory_equal(c.data[2] + 4, frame + 834 + 833, 833);
    /* The project's parser reads it back: 15-bit id, S on the first only. */
    yh_vp8_desc_t d;
    assert_int_equal(yh_vp8_parse_desc(c.data[0], c.len[0], &d), 0);
    assert_int_equal(d.desc_len, 4);
    assert_true(d.start && d.has_picture_id && d.picture_id_15);
    assert_int_equal(d.picture_id, 0x7FFF);
    assert_int_equal(yh_vp8_parse_desc(c.data[1], c.len[1], &d), 0);
    assert_false(d.start);

    /* The picture id wraps to 0; a frame that fits is one packet. */
    assert_int_equal(p.picture_id, 0);
    c.n = 0;
    assert_int_equal(yt_vp8_packetize(&p, frame, 10, 1100, emit_capture, &c), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.len[0], 14);
    assert_int_equal(c.marker[0], 1);
    assert_int_equal(c.data[0][2], 0x80);
    assert_int_equal(c.data[0][3], 0x00);
    assert_int_equal(p.picture_id, 1);

    assert_true(yt_vp8_packetize(&p, frame, 0, 1100, emit_capture, &c) < 0);
    assert_true(yt_vp8_packetize(&p, frame, 10, 4, emit_capture, &c) < 0);
    assert_true(yt_vp8_packetize(&p, frame, 10, 4000, emit_capture, &c) < 0);
}

/* ---- video: the whole path ------------------------------------------------ */

static void test_video_in_order(void **state)
{
    (void)state;
    stream_t *s = make_stream(320, 240, 600, 60, 1100, 100, -1, NULL);
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    assert_true(s->key[0]);
    for (int i = 1; i < 60; i++)
        assert_false(s->key[i]); /* keyframes only on request */
    /* Every packet fits, fragments of a frame differ by at most a byte, and
     * the marker ends each frame. */
    for (int f = 0; f < 60; f++) {
        for (size_t i = s->first[f]; i < s->first[f] + s->count[f]; i++) {
            const tpkt_t *p = &s->pkts[i];
            assert_true(p->len - 12 <= 1100);
            assert_int_equal((p->buf[1] & 0x80) != 0, i == s->first[f] + s->count[f] - 1);
            assert_int_equal((p->buf[12] & 0x10) != 0, i == s->first[f]);
            size_t l0 = s->pkts[s->first[f]].len;
            assert_true(l0 - p->len <= 1);
        }
    }
    assert_int_equal(yt_video_sink_create(&v), 0);
    assert_int_equal(yt_video_sink_wants_keyframe(v), 1);
    push_range(v, s, 0, s->n, SIZE_MAX);
    yt_video_sink_stats(v, arrival_of(59), &st);
    assert_int_equal(st.frames_decoded, 60);
    assert_int_equal(st.frames_dropped, 0);
    assert_int_equal(st.width, 320);
    assert_int_equal(st.height, 240);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.packets, s->n);
    assert_int_equal(st.freezes, 0);
    assert_int_equal(yt_video_sink_wants_keyframe(v), 0);
    /* 33 ms arrivals against a 33.3 ms clock: each frame's first packet
     * moves the transit by 30 ticks, the rest of its packets (same time,
     * same timestamp) by none, so 0 < J < 30 ticks (0.333 ms). */
    assert_true(st.jitter_ms > 0.02 && st.jitter_ms < 0.334);
    assert_true(st.fps >= 29 && st.fps <= 31);
    assert_true(st.bitrate_kbps > 100);
    size_t bytes = 0;
    for (size_t i = 0; i < s->n; i++)
        bytes += s->pkts[i].len - 12;
    assert_int_equal(st.bytes, bytes);
    yt_video_sink_destroy(v);
    free_stream(s);
}

static void test_video_loss_needs_keyframe(void **state)
{
    (void)state;
    /* Small payloads so delta frames span several packets. */
    stream_t *s = make_stream(320, 240, 600, 60, 300, 5000, 40, NULL);
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    assert_true(s->key[40]);
    assert_true(s->count[10] >= 3);
    assert_false(s->key[10]);
    size_t lost = s->first[10] + 1;
    assert_int_equal(yt_video_sink_create(&v), 0);
    push_range(v, s, 0, s->first[40], lost);
    yt_video_sink_stats(v, arrival_of(39), &st);
    /* Frame 10 is incomplete; 11..39 reference it and are not decoded. */
    assert_int_equal(yt_video_sink_wants_keyframe(v), 1);
    assert_int_equal(st.frames_decoded, 10);
    assert_int_equal(st.frames_dropped, 30);
    assert_int_equal(st.lost, 1);
    push_range(v, s, s->first[40], s->n, SIZE_MAX);
    yt_video_sink_stats(v, arrival_of(59), &st);
    assert_int_equal(yt_video_sink_wants_keyframe(v), 0);
    assert_int_equal(st.frames_decoded, 30);
    assert_int_equal(st.frames_dropped, 30);
    /* The 31 frames not shown make one freeze of 31 x 33 ms. */
    assert_int_equal(st.freezes, 1);
    assert_int_equal(st.freeze_ms, 31 * 33);
    yt_video_sink_destroy(v);
    free_stream(s);
}

static void test_video_loss_detected_within_window(void **state)
{
    (void)state;
    stream_t *s = make_stream(320, 240, 600, 20, 300, 0, -1, NULL);
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    assert_int_equal(yt_video_sink_create(&v), 0);
    /* A lost packet is given up at most 50 ms after the packets behind it
     * came: two frames later at 33 ms a frame. */
    push_range(v, s, 0, s->first[11], s->first[10] + 1);
    assert_int_equal(yt_video_sink_wants_keyframe(v), 0);
    push_range(v, s, s->first[11], s->first[13], SIZE_MAX);
    assert_int_equal(yt_video_sink_wants_keyframe(v), 1);
    yt_video_sink_stats(v, arrival_of(12), &st);
    assert_int_equal(st.frames_decoded, 10);
    yt_video_sink_destroy(v);
    free_stream(s);
}

/* A hole between frames: when the picture ids on both sides follow on,
 * only a packet without media (padding) went missing and decoding goes
 * on; when a whole frame is gone, the next frames need a keyframe. */
static void test_video_gap_between_frames(void **state)
{
    (void)state;
    stream_t *s = make_stream(320, 240, 600, 30, 1100, 40000, -1, NULL);
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    assert_int_equal(yt_video_sink_create(&v), 0);
    for (size_t i = 0; i < s->n; i++) {
        tpkt_t p = s->pkts[i];
        if (i >= s->first[15]) /* one sequence number skipped before frame 15 */
            wr_be16(p.buf + 2, (uint16_t)(rd_be16(p.buf + 2) + 1));
        yt_video_sink_push(v, p.buf, p.len, arrival_of(p.frame), 0);
    }
    yt_video_sink_stats(v, arrival_of(29), &st);
    assert_int_equal(st.lost, 1);
    assert_int_equal(st.frames_decoded, 30);
    assert_int_equal(yt_video_sink_wants_keyframe(v), 0);
    yt_video_sink_destroy(v);

    assert_int_equal(yt_video_sink_create(&v), 0);
    push_range(v, s, 0, s->first[15], SIZE_MAX);
    push_range(v, s, s->first[16], s->n, SIZE_MAX);
    yt_video_sink_stats(v, arrival_of(29), &st);
    assert_int_equal(st.lost, (int64_t)s->count[15]);
    assert_int_equal(st.frames_decoded, 15);
    assert_int_equal(st.frames_dropped, 14); /* 16..29: seen, not decodable */
    assert_int_equal(yt_video_sink_wants_keyframe(v), 1);
    yt_video_sink_destroy(v);
    free_stream(s);
}

static void test_video_reorder(void **state)
{
    (void)state;
    stream_t *s = make_stream(320, 240, 600, 60, 300, 100, -1, NULL);
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    assert_true(s->count[20] >= 3);
    /* Frame 20 arrives as 0, 2, 1, ...; the last packet of frame 30 comes
     * after the first of frame 31. */
    size_t swap[2][2] = {{s->first[20] + 1, s->first[20] + 2}, {s->first[31] - 1, s->first[31]}};
    assert_int_equal(yt_video_sink_create(&v), 0);
    for (size_t i = 0; i < s->n; i++) {
        size_t j = i;
        for (int k = 0; k < 2; k++)
            if (i == swap[k][0] || i == swap[k][1])
                j = swap[k][0] + swap[k][1] - i;
        yt_video_sink_push(v, s->pkts[j].buf, s->pkts[j].len, arrival_of(s->pkts[j].frame), 0);
    }
    yt_video_sink_stats(v, arrival_of(59), &st);
    assert_int_equal(st.frames_decoded, 60);
    assert_int_equal(st.frames_dropped, 0);
    assert_int_equal(st.lost, 0);
    /* A duplicate changes nothing either. */
    yt_video_sink_push(v, s->pkts[s->n - 1].buf, s->pkts[s->n - 1].len, arrival_of(59), 0);
    yt_video_sink_stats(v, arrival_of(59), &st);
    assert_int_equal(st.frames_decoded, 60);
    assert_int_equal(st.frames_dropped, 0);
    yt_video_sink_destroy(v);
    free_stream(s);
}

static void test_video_seq_wrap(void **state)
{
    (void)state;
    stream_t *s = make_stream(320, 240, 600, 60, 1100, 65500, -1, NULL);
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    assert_true(s->n > 36); /* the sequence wraps inside the stream */
    assert_int_equal(yt_video_sink_create(&v), 0);
    push_range(v, s, 0, s->n, SIZE_MAX);
    yt_video_sink_stats(v, arrival_of(59), &st);
    assert_int_equal(st.frames_decoded, 60);
    assert_int_equal(st.lost, 0);
    yt_video_sink_destroy(v);

    /* A loss right at the wrap is seen as one loss. */
    assert_int_equal(yt_video_sink_create(&v), 0);
    push_range(v, s, 0, s->n, 36); /* sequence number 0 */
    yt_video_sink_stats(v, arrival_of(59), &st);
    assert_int_equal(st.lost, 1);
    assert_true(st.frames_dropped >= 1);
    yt_video_sink_destroy(v);
    free_stream(s);
}

/* All packets of frame f arrive at at[f]; capture times cap[f] (0: none). */
static void push_timed(yt_video_sink_t *v, const stream_t *s, const uint64_t *at,
                       const uint64_t *cap)
{
    for (size_t i = 0; i < s->n; i++) {
        int f = s->pkts[i].frame;
        yt_video_sink_push(v, s->pkts[i].buf, s->pkts[i].len, at[f], cap ? cap[f] : 0);
    }
}

static void test_video_freeze(void **state)
{
    (void)state;
    stream_t *s = make_stream(320, 240, 600, 60, 1100, 7, -1, NULL);
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    uint64_t at[60];
    /* 33 ms apart, frame 30 500 ms after frame 29 (a freeze: > 3 x 33 and
     * > 33 + 150), frame 45 170 ms after 44 (not one: < 33 + 150). */
    at[0] = T0;
    for (int f = 1; f < 60; f++)
        at[f] = at[f - 1] + (f == 30 ? 500000u : f == 45 ? 170000u : 33000u);
    assert_int_equal(yt_video_sink_create(&v), 0);
    push_timed(v, s, at, NULL);
    yt_video_sink_stats(v, at[59], &st);
    assert_int_equal(st.frames_decoded, 60);
    assert_int_equal(st.freezes, 1);
    assert_int_equal(st.freeze_ms, 500);
    yt_video_sink_destroy(v);
    free_stream(s);
}

static void test_video_delay(void **state)
{
    (void)state;
    stream_t *s = make_stream(320, 240, 600, 60, 1100, 7, -1, NULL);
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    uint64_t at[60], cap[60];
    /* Frame 0 has no capture time; the others are 40 ms old on arrival,
     * frame 50 100 ms old. */
    for (int f = 0; f < 60; f++) {
        at[f] = T0 + (uint64_t)f * FRAME_US;
        cap[f] = f == 0 ? 0 : at[f] - (f == 50 ? 100000u : 40000u);
    }
    assert_int_equal(yt_video_sink_create(&v), 0);
    push_timed(v, s, at, cap);
    yt_video_sink_stats(v, at[59], &st);
    assert_int_equal(st.delay_samples, 59);
    assert_near(st.delay_ms_mean, (58 * 40.0 + 100.0) / 59.0, 1e-9);
    /* The 99th percentile of 59 samples is the largest: 100 ms, reported
     * as its 1 ms bucket's upper edge. */
    assert_true(st.delay_ms_p99 >= 100.0 && st.delay_ms_p99 <= 101.0);
    yt_video_sink_destroy(v);
    free_stream(s);
}

static void test_video_bad_input(void **state)
{
    (void)state;
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    uint8_t p[64] = {0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x90, 0x80, 0x80};
    assert_int_equal(yt_video_sink_create(&v), 0);
    yt_video_sink_push(v, p, 3, T0, 0);  /* not RTP */
    yt_video_sink_push(v, p, 15, T0, 0); /* a truncated descriptor */
    p[1] |= 0x80;                        /* marker: the frame ends broken */
    p[3] = 2;
    yt_video_sink_push(v, p, 20, T0, 0);
    yt_video_sink_stats(v, T0, &st);
    assert_int_equal(st.packets, 2);
    assert_int_equal(st.frames_dropped, 1);
    /* A whole "keyframe" of zeros: libvpx refuses it. */
    p[3] = 3;
    p[7] = 2;
    p[15] = 0;
    yt_video_sink_push(v, p, sizeof(p), T0, 0);
    yt_video_sink_stats(v, T0, &st);
    assert_int_equal(st.packets, 3);
    assert_int_equal(st.frames_decoded, 0);
    assert_int_equal(st.frames_dropped, 2);
    assert_int_equal(yt_video_sink_wants_keyframe(v), 1);
    yt_video_sink_destroy(v);
}

/* ---- the test pattern ------------------------------------------------------ */

static const uint8_t font_ref[10][7] = {
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
};

/* Reads one digit off a decoded picture: samples each dot's centre and
 * returns the digit whose glyph matches all 35 dots, or -1. */
static int read_digit(const vpx_image_t *img, int line, int col)
{
    int x, y, u;
    yt_video_src_glyph_pos((int)img->d_w, (int)img->d_h, line, col, &x, &y, &u);
    for (int d = 0; d < 10; d++) {
        int match = 1;
        for (int r = 0; r < 7 && match; r++)
            for (int c = 0; c < 5 && match; c++) {
                int px = x + c * u + u / 2, py = y + r * u + u / 2;
                int bright = img->planes[0][py * img->stride[0] + px] > 128;
                match = bright == ((font_ref[d][r] >> (4 - c)) & 1);
            }
        if (match)
            return d;
    }
    return -1;
}

static void read_line(const vpx_image_t *img, int line, char out[9])
{
    for (int c = 0; c < 8; c++) {
        int d = read_digit(img, line, c);
        out[c] = d < 0 ? '?' : (char)('0' + d);
    }
    out[8] = 0;
}

static void test_pattern_digits(void **state)
{
    (void)state;
    yt_video_src_t *src;
    vpx_codec_ctx_t dec;
    const uint8_t *data;
    size_t len;
    int key;
    char text[9];
    /* Capture times 1234567.890 ms and 33 ms later. */
    const uint64_t cap[2] = {1234567890ull, 1234600890ull};
    const char *want[2][2] = {{"00000000", "01234567"}, {"00000001", "01234600"}};
    assert_int_equal(yt_video_src_create(320, 240, 30, 1500, &src), 0);
    assert_int_equal(vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), NULL, 0), VPX_CODEC_OK);
    for (int f = 0; f < 2; f++) {
        assert_int_equal(yt_video_src_next(src, cap[f], 0, &data, &len, &key), 0);
        assert_int_equal(key, f == 0);
        /* Moving bars and a ramp are real content, not a flat picture. */
        assert_true(len > (f == 0 ? 4000u : 500u));
        assert_int_equal(vpx_codec_decode(&dec, data, (unsigned)len, NULL, 0), VPX_CODEC_OK);
        vpx_codec_iter_t it = NULL;
        const vpx_image_t *img = vpx_codec_get_frame(&dec, &it);
        assert_non_null(img);
        assert_int_equal(img->d_w, 320);
        read_line(img, 0, text);
        assert_string_equal(text, want[f][0]);
        read_line(img, 1, text);
        assert_string_equal(text, want[f][1]);
    }
    vpx_codec_destroy(&dec);
    yt_video_src_destroy(src);
}

/* ---- audio ---------------------------------------------------------------- */

typedef struct apkt {
    uint8_t buf[YH_RTP_MAX_PACKET];
    size_t len;
} apkt_t;

static apkt_t *make_audio(int frames, uint16_t first_seq)
{
    apkt_t *p = calloc((size_t)frames, sizeof(*p));
    yt_audio_src_t *src;
    assert_non_null(p);
    assert_int_equal(yt_audio_src_create(32000, &src), 0);
    for (int i = 0; i < frames; i++) {
        const uint8_t *data;
        size_t len;
        assert_int_equal(yt_audio_src_next(src, &data, &len), 0);
        assert_true(len > 20); /* a tone, not silence or DTX */
        int h = yh_rtp_write_header(p[i].buf, sizeof(p[i].buf), i == 0, 111,
                                    (uint16_t)(first_seq + i), 4800u + (uint32_t)i * 960u,
                                    0xA0D10u, NULL, 0);
        assert_true(h > 0);
        memcpy(p[i].buf + h, data, len);
        p[i].len = (size_t)h + len;
    }
    yt_audio_src_destroy(src);
    return p;
}

/* The signal is a tone whose loudness swings at 4 Hz: over one second the
 * loudest 20 ms frame is several times the quietest. */
static void test_audio_signal(void **state)
{
    (void)state;
    apkt_t *p = make_audio(50, 0);
    int err;
    OpusDecoder *dec = opus_decoder_create(48000, 2, &err);
    static int16_t pcm[960 * 2];
    double lo = 1e30, hi = 0;
    assert_non_null(dec);
    for (int i = 0; i < 50; i++) {
        int n = opus_decode(dec, p[i].buf + 12, (opus_int32)(p[i].len - 12), pcm, 960, 0);
        assert_int_equal(n, 960);
        double e = 0;
        for (int k = 0; k < 2 * n; k++)
            e += (double)pcm[k] * pcm[k];
        if (i >= 5) { /* past the codec's start-up */
            lo = e < lo ? e : lo;
            hi = e > hi ? e : hi;
        }
    }
    assert_true(hi > 1e9);
    assert_true(hi > 10 * lo);
    opus_decoder_destroy(dec);
    free(p);
}

static void test_audio_concealment(void **state)
{
    (void)state;
    apkt_t *p = make_audio(50, 65530);
    yt_audio_sink_t *a;
    yt_rx_stats_t st;
    assert_int_equal(yt_audio_sink_create(&a), 0);
    for (int i = 0; i < 50; i++)
        if (i != 10)
            yt_audio_sink_push(a, p[i].buf, p[i].len, T0 + (uint64_t)i * 20000u,
                               T0 + (uint64_t)i * 20000u - 30000u);
    /* Figures over the second [T0, T0 + 1 s): the whole stream. */
    yt_audio_sink_stats(a, T0 + 1000000u, &st);
    /* frames_decoded counts frames decoded from packets that came (49);
     * the lost one is rebuilt from packet 11's FEC and counted as 20 ms
     * of concealment. */
    assert_int_equal(st.frames_decoded, 49);
    assert_int_equal(st.concealed_ms, 20);
    assert_int_equal(st.frames_dropped, 0);
    assert_int_equal(st.lost, 1);
    assert_int_equal(st.freezes, 0);
    assert_int_equal(st.delay_samples, 49);
    assert_near(st.delay_ms_mean, 30.0, 1e-9);
    assert_near(st.fps, 49.0, 1e-9);
    assert_true(st.bitrate_kbps > 25 && st.bitrate_kbps < 40);
    assert_true(st.jitter_ms < 0.01);
    /* The lost packet arriving late is ignored; a gap of three is 60 ms. */
    yt_audio_sink_push(a, p[10].buf, p[10].len, T0 + 50 * 20000u, 0);
    yt_audio_sink_stats(a, T0 + 50 * 20000u, &st);
    assert_int_equal(st.frames_decoded, 49);
    assert_int_equal(st.lost, 0);
    yt_audio_sink_destroy(a);

    assert_int_equal(yt_audio_sink_create(&a), 0);
    for (int i = 0; i < 50; i++)
        if (i < 20 || i > 22)
            yt_audio_sink_push(a, p[i].buf, p[i].len, T0 + (uint64_t)i * 20000u, 0);
    yt_audio_sink_stats(a, T0 + 49 * 20000u, &st);
    assert_int_equal(st.frames_decoded, 47);
    assert_int_equal(st.concealed_ms, 60);
    assert_int_equal(st.lost, 3);
    yt_audio_sink_destroy(a);
    free(p);
}

/* ---- count sink ------------------------------------------------------------ */

static void test_count_sink(void **state)
{
    (void)state;
    yt_count_sink_t c;
    /* 65530..3 with 65532 lost and 1 and 2 swapped: 9 of 10. */
    const uint16_t seqs[] = {65530, 65531, 65533, 65534, 65535, 0, 2, 1, 3};
    yt_count_sink_init(&c, 90000);
    assert_int_equal(yt_count_sink_lost(&c), 0);
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        uint32_t k = (uint16_t)(seqs[i] - 65530u);
        yt_count_sink_push(&c, seqs[i], 1000u + k * 3000u, 100, T0 + (uint64_t)k * 33333u);
    }
    assert_int_equal(c.packets, 9);
    assert_int_equal(c.bytes, 900);
    assert_int_equal(c.cycles, 65536);
    assert_int_equal(yt_count_sink_lost(&c), 1);
    /* A duplicate counts as received (RFC 3550 A.3 subtracts it). */
    yt_count_sink_push(&c, 3, 1000u + 9 * 3000u, 100, T0 + 9 * 33333u);
    assert_int_equal(yt_count_sink_lost(&c), 0);
    /* A sender restart far away keeps the loss so far. */
    yt_count_sink_push(&c, 40000, 5000000u, 100, T0 + 10 * 33333u);
    yt_count_sink_push(&c, 40002, 5000000u + 6000u, 100, T0 + 10 * 33333u + 66666u);
    assert_int_equal(yt_count_sink_lost(&c), 1);

    /* A.8 jitter: one packet 10 ms late (900 ticks) then back on time:
     * J = 900/16 = 56.25, then J += (900 - J)/16. */
    yt_count_sink_init(&c, 90000);
    yt_count_sink_push(&c, 1, 0, 100, T0);
    yt_count_sink_push(&c, 2, 3000, 100, T0 + 33333u + 10000u);
    assert_near(c.jitter, 900.0 / 16.0, 0.5);
    yt_count_sink_push(&c, 3, 6000, 100, T0 + 66667u);
    assert_near(c.jitter, 56.25 + (900.0 - 56.25) / 16.0, 0.5);
}

/* ---- cost ------------------------------------------------------------------ */

static void test_cost(void **state)
{
    (void)state;
    double enc_ms;
    stream_t *s = make_stream(640, 480, 1000, 90, 1100, 0, -1, &enc_ms);
    yt_video_sink_t *v;
    yt_rx_stats_t st;
    size_t bytes = 0;
    for (int f = 0; f < s->frames; f++)
        bytes += s->size[f];
    assert_int_equal(yt_video_sink_create(&v), 0);
    double t = now_ms();
    push_range(v, s, 0, s->n, SIZE_MAX);
    double dec_ms = (now_ms() - t) / s->frames;
    yt_video_sink_stats(v, arrival_of(s->frames - 1), &st);
    assert_int_equal(st.frames_decoded, (uint64_t)s->frames);
    printf("VP8 640x480@30 1000 kbps: encode %.2f ms/frame, receive+decode %.2f ms/frame, "
           "%.0f kbps produced, keyframe %zu bytes\n",
           enc_ms, dec_ms, (double)bytes * 8.0 * 30.0 / s->frames / 1000.0, s->size[0]);

    yt_audio_src_t *as;
    const uint8_t *data;
    size_t len, abytes = 0;
    assert_int_equal(yt_audio_src_create(32000, &as), 0);
    t = now_ms();
    for (int i = 0; i < 250; i++) {
        assert_int_equal(yt_audio_src_next(as, &data, &len), 0);
        abytes += len;
    }
    printf("Opus 48 kHz stereo 32 kbps: encode %.3f ms/frame, %.1f kbps produced\n",
           (now_ms() - t) / 250, (double)abytes * 8.0 / 5.0 / 1000.0);
    yt_audio_src_destroy(as);
    yt_video_sink_destroy(v);
    free_stream(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packetize_descriptor),
        cmocka_unit_test(test_video_in_order),
        cmocka_unit_test(test_video_loss_needs_keyframe),
        cmocka_unit_test(test_video_loss_detected_within_window),
        cmocka_unit_test(test_video_gap_between_frames),
        cmocka_unit_test(test_video_reorder),
        cmocka_unit_test(test_video_seq_wrap),
        cmocka_unit_test(test_video_freeze),
        cmocka_unit_test(test_video_delay),
        cmocka_unit_test(test_video_bad_input),
        cmocka_unit_test(test_pattern_digits),
        cmocka_unit_test(test_audio_signal),
        cmocka_unit_test(test_audio_concealment),
        cmocka_unit_test(test_count_sink),
        cmocka_unit_test(test_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
