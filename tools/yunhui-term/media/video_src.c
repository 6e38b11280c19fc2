/*
 * The terminal's camera: a moving VP8 test pattern encoded with libvpx in
 * real-time mode. The picture is scrolling colour bars over a moving luma
 * ramp, with the frame number and the capture time (milliseconds) drawn in
 * big blocky digits in the top-left corner, so a screenshot of any receiver
 * tells which frame it shows and how old it is.
 *
 * Encoder settings follow what a WebRTC sender uses for VP8 (one pass, CBR,
 * no lag, error resilient, keyframes only when asked, with a very long
 * automatic interval as a safety net).
 */
#include <stdlib.h>
#include <string.h>

#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "base/err.h"
#include "media/media.h"

#define KF_MAX_DIST 3000 /* frames: keyframes come on request (PLI) */
#define TEXT_COLS 8
#define TEXT_LINES 2
#define Y_BLACK 16
#define Y_WHITE 235
#define NOISE_SIZE 65536 /* a power of two */
#define NOISE_AMP 4       /* grain of +-4 luma steps */

struct yt_video_src {
    vpx_codec_ctx_t codec;
    vpx_codec_enc_cfg_t cfg;
    vpx_image_t *img;
    int codec_ready;
    int width, height;
    int64_t pts;
    uint64_t frame_no;
    uint32_t rng;
    int8_t noise[NOISE_SIZE];
};

/* 5x7 digits, one byte per row, bit 4 the leftmost column. */
static const uint8_t font[10][7] = {
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
};

/* SMPTE-like bars in BT.601 limited range: white, yellow, cyan, green,
 * magenta, red, blue, black. */
static const uint8_t bars[8][3] = {
    {235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34},
    {106, 202, 222}, {81, 90, 240},  {41, 240, 110}, {16, 128, 128},
};

static int text_unit(int height)
{
    return height / 60 > 1 ? height / 60 : 1;
}

void yt_video_src_glyph_pos(int width, int height, int line, int col, int *x, int *y, int *unit)
{
    (void)width;
    int u = text_unit(height);
    *unit = u;
    *x = 2 * u + col * 6 * u;
    *y = 2 * u + line * 9 * u;
}

static void fill_rect(uint8_t *plane, int stride, int pw, int ph, int x, int y, int w, int h,
                      uint8_t v)
{
    int x1 = x + w > pw ? pw : x + w, y1 = y + h > ph ? ph : y + h;
    for (int r = y < 0 ? 0 : y; r < y1; r++)
        if (x1 > x)
            memset(plane + (size_t)r * (size_t)stride + x, v, (size_t)(x1 - x));
}

/* Bars in the top two thirds scroll 4 px per frame; each bar row is built
 * once and copied, which keeps 640x480 well under a millisecond. */
static void draw_bars(vpx_image_t *img, uint64_t n, int bar_h)
{
    int w = (int)img->d_w, cw = (w + 1) / 2, barw = w / 8 > 0 ? w / 8 : 1;
    int off = (int)((n * 4) % (uint64_t)w);
    uint8_t *py = img->planes[0], *pu = img->planes[1], *pv = img->planes[2];
    for (int x = 0; x < w; x++)
        py[x] = bars[((x + off) / barw) % 8][0];
    for (int x = 0; x < cw; x++) {
        int b = ((2 * x + off) / barw) % 8;
        pu[x] = bars[b][1];
        pv[x] = bars[b][2];
    }
    for (int r = 1; r < bar_h; r++)
        memcpy(py + (size_t)r * (size_t)img->stride[0], py, (size_t)w);
    for (int r = 1; r < bar_h / 2; r++) {
        memcpy(pu + (size_t)r * (size_t)img->stride[1], pu, (size_t)cw);
        memcpy(pv + (size_t)r * (size_t)img->stride[2], pv, (size_t)cw);
    }
}

/* A diagonal luma ramp in the bottom third, moving 3 px per frame. */
static void draw_ramp(vpx_image_t *img, uint64_t n, int top)
{
    int w = (int)img->d_w, h = (int)img->d_h, cw = (w + 1) / 2, ch = (h + 1) / 2;
    unsigned shift = (unsigned)((n * 3) & 0xFF);
    for (int r = top; r < h; r++) {
        uint8_t *row = img->planes[0] + (size_t)r * (size_t)img->stride[0];
        for (int x = 0; x < w; x++)
            row[x] = (uint8_t)(Y_BLACK + (((unsigned)(x + r) + shift) & 0xFF) * 219u / 255u);
    }
    fill_rect(img->planes[1], img->stride[1], cw, ch, 0, top / 2, cw, ch, 128);
    fill_rect(img->planes[2], img->stride[2], cw, ch, 0, top / 2, cw, ch, 128);
}

static void draw_digit(vpx_image_t *img, int d, int x, int y, int u)
{
    for (int r = 0; r < 7; r++)
        for (int c = 0; c < 5; c++)
            if (font[d][r] & (0x10 >> c))
                fill_rect(img->planes[0], img->stride[0], (int)img->d_w, (int)img->d_h,
                          x + c * u, y + r * u, u, u, Y_WHITE);
}

/* Line 0: frame number; line 1: capture time in ms. Both zero-padded to
 * TEXT_COLS digits (the low digits, which are the ones that move). */
static void draw_text(vpx_image_t *img, uint64_t frame_no, uint64_t capture_us)
{
    int w = (int)img->d_w, h = (int)img->d_h, x, y, u;
    yt_video_src_glyph_pos(w, h, 0, 0, &x, &y, &u);
    int bw = 4 * u + TEXT_COLS * 6 * u - u, bh = 4 * u + TEXT_LINES * 9 * u - 2 * u;
    fill_rect(img->planes[0], img->stride[0], w, h, 0, 0, bw, bh, Y_BLACK);
    fill_rect(img->planes[1], img->stride[1], (w + 1) / 2, (h + 1) / 2, 0, 0, (bw + 1) / 2,
              (bh + 1) / 2, 128);
    fill_rect(img->planes[2], img->stride[2], (w + 1) / 2, (h + 1) / 2, 0, 0, (bw + 1) / 2,
              (bh + 1) / 2, 128);
    uint64_t vals[TEXT_LINES] = {frame_no, capture_us / 1000u};
    for (int line = 0; line < TEXT_LINES; line++) {
        uint64_t v = vals[line];
        for (int col = TEXT_COLS - 1; col >= 0; col--, v /= 10) {
            yt_video_src_glyph_pos(w, h, line, col, &x, &y, &u);
            draw_digit(img, (int)(v % 10), x, y, u);
        }
    }
}

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u; /* Numerical Recipes */
    return *state >> 8;
}

/* Camera-like grain: a synthetic picture alone compresses so well that
 * the encoder falls short of its target bitrate, and a load test would
 * then send less than it claims. The grain is a fixed random table read
 * at a new random offset each frame, so motion search cannot predict it. */
static void add_grain(yt_video_src_t *s)
{
    vpx_image_t *img = s->img;
    uint32_t off = lcg(&s->rng);
    for (unsigned r = 0; r < img->d_h; r++) {
        uint8_t *row = img->planes[0] + (size_t)r * (size_t)img->stride[0];
        uint32_t k = off + r * 977u;
        for (unsigned x = 0; x < img->d_w; x++) {
            int v = row[x] + s->noise[(k + x) & (NOISE_SIZE - 1)];
            row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

static void draw_frame(yt_video_src_t *s, uint64_t capture_us)
{
    vpx_image_t *img = s->img;
    int bar_h = ((int)img->d_h * 2 / 3) & ~1;
    draw_bars(img, s->frame_no, bar_h);
    draw_ramp(img, s->frame_no, bar_h);
    add_grain(s);
    draw_text(img, s->frame_no, capture_us);
}

static void set_cfg(vpx_codec_enc_cfg_t *cfg, int width, int height, int fps, int kbps)
{
    cfg->g_w = (unsigned)width;
    cfg->g_h = (unsigned)height;
    cfg->g_timebase.num = 1;
    cfg->g_timebase.den = fps;
    cfg->g_threads = 1;
    cfg->g_pass = VPX_RC_ONE_PASS;
    cfg->g_lag_in_frames = 0;
    cfg->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg->rc_end_usage = VPX_CBR;
    cfg->rc_target_bitrate = (unsigned)kbps;
    cfg->rc_dropframe_thresh = 0; /* every call yields a frame */
    cfg->rc_min_quantizer = 2;
    cfg->rc_max_quantizer = 56;
    cfg->rc_undershoot_pct = 100;
    cfg->rc_overshoot_pct = 15;
    cfg->rc_buf_initial_sz = 500;
    cfg->rc_buf_optimal_sz = 600;
    cfg->rc_buf_sz = 1000;
    cfg->kf_mode = VPX_KF_AUTO;
    cfg->kf_min_dist = 0;
    cfg->kf_max_dist = KF_MAX_DIST;
}

static int init_codec(yt_video_src_t *s)
{
    if (vpx_codec_enc_init(&s->codec, vpx_codec_vp8_cx(), &s->cfg, 0) != VPX_CODEC_OK)
        return YH_EUNSUPPORTED;
    s->codec_ready = 1;
    /* Speed 8 of 16: cheap enough for many streams per core; no denoiser
     * (the source is synthetic); one token partition as WebRTC sends;
     * keyframes capped at 9x a frame's budget (WebRTC's MaxIntraTarget). */
    if (vpx_codec_control(&s->codec, VP8E_SET_CPUUSED, 8) != VPX_CODEC_OK ||
        vpx_codec_control(&s->codec, VP8E_SET_NOISE_SENSITIVITY, 0) != VPX_CODEC_OK ||
        vpx_codec_control(&s->codec, VP8E_SET_STATIC_THRESHOLD, 1) != VPX_CODEC_OK ||
        vpx_codec_control(&s->codec, VP8E_SET_TOKEN_PARTITIONS, VP8_ONE_TOKENPARTITION) !=
            VPX_CODEC_OK ||
        vpx_codec_control(&s->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT, 900) != VPX_CODEC_OK)
        return YH_EUNSUPPORTED;
    return 0;
}

int yt_video_src_create(int width, int height, int fps, int bitrate_kbps, yt_video_src_t **out)
{
    int rc = YH_EINVAL;
    yt_video_src_t *s = NULL;
    *out = NULL;
    if (width < 16 || height < 16 || width > 4096 || height > 4096 || fps < 1 || fps > 120 ||
        bitrate_kbps < 10 || bitrate_kbps > 100000)
        goto fail;
    rc = YH_ENOMEM;
    if (!(s = calloc(1, sizeof(*s))))
        goto fail;
    s->width = width;
    s->height = height;
    s->rng = 0x59554E48u; /* fixed: every run sends the same grain */
    for (unsigned i = 0; i < NOISE_SIZE; i++)
        s->noise[i] = (int8_t)((int)(lcg(&s->rng) % (2 * NOISE_AMP + 1)) - NOISE_AMP);
    if (!(s->img = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, (unsigned)width, (unsigned)height, 32)))
        goto fail;
    rc = YH_EUNSUPPORTED;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &s->cfg, 0) != VPX_CODEC_OK)
        goto fail;
    set_cfg(&s->cfg, width, height, fps, bitrate_kbps);
    if ((rc = init_codec(s)) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    yt_video_src_destroy(s);
    return rc;
}

void yt_video_src_destroy(yt_video_src_t *s)
{
    if (!s)
        return;
    if (s->codec_ready)
        vpx_codec_destroy(&s->codec);
    vpx_img_free(s->img);
    free(s);
}

int yt_video_src_next(yt_video_src_t *s, uint64_t capture_us, int force_keyframe,
                      const uint8_t **data, size_t *len, int *keyframe)
{
    vpx_codec_iter_t iter = NULL;
    const vpx_codec_cx_pkt_t *pkt;
    *data = NULL;
    *len = 0;
    *keyframe = 0;
    draw_frame(s, capture_us);
    vpx_enc_frame_flags_t flags = force_keyframe ? VPX_EFLAG_FORCE_KF : 0;
    if (vpx_codec_encode(&s->codec, s->img, s->pts, 1, flags, VPX_DL_REALTIME) != VPX_CODEC_OK)
        return YH_EIO;
    s->pts++;
    s->frame_no++;
    /* No lag and no partition output: at most one frame packet per call.
     * Its buffer belongs to the encoder until the next encode. */
    while ((pkt = vpx_codec_get_cx_data(&s->codec, &iter))) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || *data)
            continue;
        *data = pkt->data.frame.buf;
        *len = pkt->data.frame.sz;
        *keyframe = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    }
    return 0;
}

void yt_video_src_set_bitrate(yt_video_src_t *s, int bitrate_kbps)
{
    if (bitrate_kbps < 10 || (unsigned)bitrate_kbps == s->cfg.rc_target_bitrate)
        return;
    s->cfg.rc_target_bitrate = (unsigned)bitrate_kbps;
    vpx_codec_enc_config_set(&s->codec, &s->cfg);
}
