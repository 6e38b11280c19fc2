/*
 * A VP8 receiver: RTP packets -> frames (RFC 7741) -> libvpx decoder, with
 * the figures a conferencing client reports.
 *
 * Packets go through a small reorder window (REORDER_SLOTS packets, at most
 * MAX_WAIT_US of waiting) and leave it in sequence order; a hole that
 * outlives the window is declared lost. Frames are assembled in sequence
 * order: the packets of one frame share the RTP timestamp, the first has
 * S=1 and PID=0 (RFC 7741 4.2), the last the marker bit (RFC 7741 4.1). A
 * frame that misses a packet is dropped, and from then on only a keyframe
 * is decoded; wants_keyframe() tells the caller to send a PLI. A loss
 * between frames breaks the reference chain too, unless the picture ids on
 * both sides follow on (the lost packets were padding).
 *
 * Memory is fixed at creation: the window's packet copies and one frame
 * buffer of MAX_FRAME bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "base/bytes.h"
#include "base/err.h"
#include "media/media.h"
#include "media/rxstats.h"
#include "rtp/rtp.h"

#define REORDER_SLOTS 64       /* a power of two */
#define MAX_WAIT_US 50000u     /* longest wait for a missing packet */
#define MAX_LATE 3000          /* further behind than this is a restart */
#define MAX_FRAME (1u << 20)
#define VIDEO_HZ 90000u

typedef struct slot {
    int used;
    uint16_t seq;
    uint8_t marker;
    uint32_t ts;
    size_t len;
    uint64_t arrival_us, capture_us;
    uint8_t data[YH_RTP_MAX_PACKET];
} slot_t;

/* One packet on its way out of the window (borrowed payload). */
typedef struct rel {
    const uint8_t *p;
    size_t len;
    uint32_t ts;
    int marker;
    uint64_t capture_us;
} rel_t;

struct yt_video_sink {
    vpx_codec_ctx_t dec;
    int dec_ready;
    yt_rxstats_t st;
    /* Reorder window: slots hold sequence numbers expected+1..expected+63. */
    int started;
    uint16_t expected;
    int held;
    int gap; /* packets were declared lost before the next one released */
    slot_t slots[REORDER_SLOTS];
    /* Frame assembly. */
    int in_frame, broken, gap_pending, need_key;
    uint32_t frame_ts;
    size_t frame_len;
    uint64_t frame_capture_us;
    int cur_has_pid, have_last_pid;
    uint16_t cur_pid, last_pid, pid_mask;
    int width, height;
    uint8_t frame[MAX_FRAME];
};

int yt_video_sink_create(yt_video_sink_t **out)
{
    vpx_codec_dec_cfg_t cfg = {.threads = 1, .w = 0, .h = 0};
    yt_video_sink_t *v = calloc(1, sizeof(*v));
    *out = NULL;
    if (!v)
        return YH_ENOMEM;
    if (vpx_codec_dec_init(&v->dec, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
        free(v);
        return YH_EUNSUPPORTED;
    }
    v->dec_ready = 1;
    v->need_key = 1; /* nothing can be decoded before the first keyframe */
    yt_rxstats_init(&v->st, VIDEO_HZ);
    *out = v;
    return 0;
}

void yt_video_sink_destroy(yt_video_sink_t *v)
{
    if (!v)
        return;
    if (v->dec_ready)
        vpx_codec_destroy(&v->dec);
    free(v);
}

int yt_video_sink_wants_keyframe(yt_video_sink_t *v)
{
    return v->need_key;
}

static void drop_frame(yt_video_sink_t *v)
{
    v->st.frames_dropped++;
    v->need_key = 1;
}

/* A VP8 frame tag's bit 0 is the inverse keyframe flag (RFC 6386 9.1). */
static void decode_frame(yt_video_sink_t *v, uint64_t now_us)
{
    vpx_codec_iter_t iter = NULL;
    vpx_image_t *img, *shown = NULL;
    int key = v->frame_len >= 3 && (v->frame[0] & 0x01) == 0;
    if (!key && v->need_key) {
        v->st.frames_dropped++; /* undecodable: its references are gone */
        return;
    }
    if (vpx_codec_decode(&v->dec, v->frame, (unsigned)v->frame_len, NULL, 0) != VPX_CODEC_OK) {
        drop_frame(v);
        return;
    }
    while ((img = vpx_codec_get_frame(&v->dec, &iter)))
        shown = img;
    if (shown) {
        v->width = (int)shown->d_w;
        v->height = (int)shown->d_h;
    }
    if (key)
        v->need_key = 0;
    v->have_last_pid = v->cur_has_pid;
    v->last_pid = v->cur_pid;
    yt_rxstats_frame(&v->st, now_us, v->frame_capture_us, shown != NULL);
}

static void finish_frame(yt_video_sink_t *v, int complete, uint64_t now_us)
{
    v->in_frame = 0;
    if (!complete || v->broken)
        drop_frame(v);
    else
        decode_frame(v, now_us);
}

/* After a loss between frames the new frame still follows on when its
 * picture id is the last decoded one plus one (RFC 7741 4.2: the id
 * increments per picture and wraps). */
static int pid_follows(const yt_video_sink_t *v)
{
    return v->cur_has_pid && v->have_last_pid &&
           ((v->last_pid + 1u) & v->pid_mask) == v->cur_pid;
}

static void begin_frame(yt_video_sink_t *v, const rel_t *r, const yh_vp8_desc_t *d, int ok)
{
    v->in_frame = 1;
    v->frame_ts = r->ts;
    v->frame_len = 0;
    v->frame_capture_us = 0;
    v->broken = !(ok && d->start && d->partition == 0);
    v->cur_has_pid = ok && d->has_picture_id;
    v->cur_pid = d->picture_id;
    v->pid_mask = d->picture_id_15 ? 0x7FFF : 0x7F;
    if (v->gap_pending && !pid_follows(v))
        v->need_key = 1;
    v->gap_pending = 0;
}

/* Takes the next packet in sequence order. */
static void assemble(yt_video_sink_t *v, const rel_t *r, uint64_t now_us)
{
    yh_vp8_desc_t d;
    if (r->len == 0)
        return; /* padding only: a sequence number, no media; a gap stays pending */
    if (v->gap) {
        v->gap = 0;
        if (v->in_frame)
            v->broken = 1;
        else
            v->gap_pending = 1;
    }
    int ok = yh_vp8_parse_desc(r->p, r->len, &d) == 0 && d.desc_len < r->len;
    if (!ok)
        memset(&d, 0, sizeof(d));
    if (v->in_frame && r->ts != v->frame_ts)
        finish_frame(v, 0, now_us); /* its last packet never came */
    if (!v->in_frame)
        begin_frame(v, r, &d, ok);
    if (!ok) {
        v->broken = 1;
    } else if (!v->broken) {
        size_t n = r->len - d.desc_len;
        if (n > MAX_FRAME - v->frame_len) {
            v->broken = 1;
        } else {
            memcpy(v->frame + v->frame_len, r->p + d.desc_len, n);
            v->frame_len += n;
        }
    }
    if (r->capture_us)
        v->frame_capture_us = r->capture_us;
    if (r->marker)
        finish_frame(v, 1, now_us);
}

static slot_t *slot_of(yt_video_sink_t *v, uint16_t seq)
{
    slot_t *s = &v->slots[seq & (REORDER_SLOTS - 1)];
    return s->used && s->seq == seq ? s : NULL;
}

/* Releases held packets that continue the sequence. */
static void drain(yt_video_sink_t *v, uint64_t now_us)
{
    slot_t *s;
    while ((s = slot_of(v, v->expected))) {
        rel_t r = {s->data, s->len, s->ts, s->marker, s->capture_us};
        s->used = 0;
        v->held--;
        v->expected++;
        assemble(v, &r, now_us);
    }
}

/* Declares the hole before the earliest held packet lost. Returns 0 when
 * nothing is held past `expected` (which the window's invariant rules out;
 * the slots are then cleared rather than trusted). */
static int skip_hole(yt_video_sink_t *v)
{
    for (unsigned i = 1; i < REORDER_SLOTS; i++) {
        uint16_t seq = (uint16_t)(v->expected + i);
        if (slot_of(v, seq)) {
            v->expected = seq;
            v->gap = 1;
            return 1;
        }
    }
    for (unsigned i = 0; i < REORDER_SLOTS; i++)
        v->slots[i].used = 0;
    v->held = 0;
    return 0;
}

static void flush_all(yt_video_sink_t *v, uint64_t now_us)
{
    while (v->held > 0 && skip_hole(v))
        drain(v, now_us);
}

/* A hole is given up when some packet behind it has waited MAX_WAIT_US. */
static void expire(yt_video_sink_t *v, uint64_t now_us)
{
    while (v->held > 0) {
        uint64_t oldest = UINT64_MAX;
        for (unsigned i = 0; i < REORDER_SLOTS; i++)
            if (v->slots[i].used && v->slots[i].arrival_us < oldest)
                oldest = v->slots[i].arrival_us;
        if (now_us < oldest || now_us - oldest < MAX_WAIT_US)
            return;
        if (!skip_hole(v))
            return;
        drain(v, now_us);
    }
}

static void hold(yt_video_sink_t *v, const yh_rtp_hdr_t *h, const uint8_t *pkt,
                 uint64_t arrival_us, uint64_t capture_us)
{
    slot_t *s = &v->slots[h->seq & (REORDER_SLOTS - 1)];
    if (s->used)
        return; /* a duplicate: every other slot content is in the window */
    s->used = 1;
    s->seq = h->seq;
    s->marker = h->marker;
    s->ts = h->ts;
    s->len = h->payload_len;
    s->arrival_us = arrival_us;
    s->capture_us = capture_us;
    memcpy(s->data, pkt + h->payload_off, h->payload_len);
    v->held++;
}

void yt_video_sink_push(yt_video_sink_t *v, const uint8_t *pkt, size_t len, uint64_t arrival_us,
                        uint64_t capture_us)
{
    yh_rtp_hdr_t h;
    if (yh_rtp_parse(pkt, len, &h) < 0 || h.payload_len > YH_RTP_MAX_PACKET)
        return;
    yt_rxstats_packet(&v->st, h.seq, h.ts, h.payload_len, arrival_us);
    if (!v->started) {
        v->started = 1;
        v->expected = h.seq;
    }
    int d = yh_seq_diff(h.seq, v->expected);
    if (d < 0 && d >= -MAX_LATE)
        return; /* late (its hole was given up) or a duplicate */
    if (d < 0 || d >= REORDER_SLOTS) {
        /* Beyond the window, or a restart: release everything held. */
        flush_all(v, arrival_us);
        if (h.seq != v->expected)
            v->gap = 1;
        v->expected = h.seq;
        d = 0;
    }
    if (d == 0) {
        rel_t r = {pkt + h.payload_off, h.payload_len, h.ts, h.marker, capture_us};
        v->expected++;
        assemble(v, &r, arrival_us);
        drain(v, arrival_us);
    } else {
        hold(v, &h, pkt, arrival_us, capture_us);
    }
    expire(v, arrival_us);
}

void yt_video_sink_stats(yt_video_sink_t *v, uint64_t now_us, yt_rx_stats_t *out)
{
    expire(v, now_us);
    yt_rxstats_fill(&v->st, now_us, out);
    out->width = v->width;
    out->height = v->height;
}
