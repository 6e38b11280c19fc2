/*
 * The terminal's media engine: real encoded media to send and real decoding
 * of what arrives, with the receive-side figures a conferencing client
 * reports. No sockets, no clocks of its own: callers pass capture and
 * arrival times (microseconds, monotonic).
 */
#ifndef YT_MEDIA_MEDIA_H
#define YT_MEDIA_MEDIA_H

#include <stddef.h>
#include <stdint.h>

/* ---- sending ------------------------------------------------------------ */

/* A moving VP8 test pattern (libvpx, realtime, CBR): each frame shows its
 * frame number and capture time as a pattern a person can read. */
typedef struct yt_video_src yt_video_src_t;

int yt_video_src_create(int width, int height, int fps, int bitrate_kbps, yt_video_src_t **out);
void yt_video_src_destroy(yt_video_src_t *s);
/* Encodes the next frame. *data is borrowed until the next call (or
 * destroy). Frame dropping is off, so *len is 0 only if libvpx emits no
 * frame. */
int yt_video_src_next(yt_video_src_t *s, uint64_t capture_us, int force_keyframe,
                      const uint8_t **data, size_t *len, int *keyframe);
void yt_video_src_set_bitrate(yt_video_src_t *s, int bitrate_kbps);
/* Where the pattern draws its digits (for tests and screenshot checks):
 * line 0 is the frame number, line 1 the capture time in ms, each 8 digits
 * (zero-padded, the low 8 digits); digit `col` of `line` is a 5x7 dot glyph
 * whose top-left corner is (*x, *y), each dot *unit x *unit pixels, white
 * (Y 235) on a black box (Y 16). */
void yt_video_src_glyph_pos(int width, int height, int line, int col, int *x, int *y, int *unit);

/* Opus (libopus, 48 kHz stereo, 20 ms frames) of a speech-like signal
 * (a tone with syllable-rate amplitude modulation). */
typedef struct yt_audio_src yt_audio_src_t;

int yt_audio_src_create(int bitrate_bps, yt_audio_src_t **out);
void yt_audio_src_destroy(yt_audio_src_t *s);
int yt_audio_src_next(yt_audio_src_t *s, const uint8_t **data, size_t *len);

/* RTP payloads of one VP8 frame (RFC 7741): descriptor with a 15-bit
 * picture id (advanced per frame) and S/PID bits; payloads at most
 * `max_payload` bytes. `emit` is called per packet, in order; `marker` is 1
 * on the last packet of the frame. */
typedef struct yt_vp8_packetizer {
    uint16_t picture_id;
} yt_vp8_packetizer_t;

typedef void (*yt_payload_fn)(void *ctx, const uint8_t *payload, size_t len, int marker);
int yt_vp8_packetize(yt_vp8_packetizer_t *p, const uint8_t *frame, size_t len,
                     size_t max_payload, yt_payload_fn emit, void *ctx);

/* ---- receiving ---------------------------------------------------------- */

/* Figures of one received stream. Freeze as in webrtc-stats: an
 * inter-frame gap >= max(3 x mean frame interval, mean + 150 ms), the mean
 * over the last 30 intervals, once 5 are known. `bytes` and the
 * bitrate count RTP payload bytes (bytesReceived). bitrate_kbps and fps
 * cover the one second that ends at the last 100 ms boundary before `now`.
 * delay_ms_p99 is the upper edge of a 1 ms bucket (2000 = "2 s or more").
 * Audio: frames_decoded counts frames decoded from packets that arrived;
 * frames rebuilt by FEC or PLC count only in concealed_ms. */
typedef struct yt_rx_stats {
    uint64_t packets;
    uint64_t bytes;
    int64_t lost;             /* expected - received (RFC 3550 A.3) */
    double jitter_ms;         /* RFC 3550 A.8 */
    uint64_t frames_decoded;  /* video frames or audio frames */
    uint64_t frames_dropped;  /* incomplete or undecodable */
    int width, height;        /* of the last decoded video frame */
    uint64_t freezes;
    uint64_t freeze_ms;       /* total duration of freezes */
    uint64_t max_frame_gap_ms; /* video: the longest time without a new frame */
    uint64_t concealed_ms;    /* audio: packet-loss concealment */
    double delay_ms_mean;     /* end to end (capture -> decoded), when known */
    double delay_ms_p99;
    uint64_t delay_samples;
    double bitrate_kbps;      /* over the last second */
    double fps;               /* over the last second */
} yt_rx_stats_t;

/* A video receiver: reassembles VP8 frames from RTP payloads (by sequence
 * number and marker; a frame with a gap is dropped and a keyframe is then
 * needed), decodes them with libvpx and keeps the figures. */
typedef struct yt_video_sink yt_video_sink_t;

int yt_video_sink_create(yt_video_sink_t **out);
void yt_video_sink_destroy(yt_video_sink_t *v);
/* One RTP packet (the whole packet, header included, already decrypted).
 * `capture_us` is the sender's capture time of this frame on our monotonic
 * clock when the caller can tell (same host, from RTCP SR mapping), else 0. */
void yt_video_sink_push(yt_video_sink_t *v, const uint8_t *pkt, size_t len, uint64_t arrival_us,
                        uint64_t capture_us);
/* 1 when the decoder needs a keyframe (the caller sends a PLI, rate-limited):
 * before the first keyframe and after any loss that broke the reference
 * chain. A missing packet is given up when 64 later ones are held or one of
 * them has waited 50 ms (checked on push and on stats). */
int yt_video_sink_wants_keyframe(yt_video_sink_t *v);
void yt_video_sink_stats(yt_video_sink_t *v, uint64_t now_us, yt_rx_stats_t *out);

typedef struct yt_audio_sink yt_audio_sink_t;

int yt_audio_sink_create(yt_audio_sink_t **out);
void yt_audio_sink_destroy(yt_audio_sink_t *a);
void yt_audio_sink_push(yt_audio_sink_t *a, const uint8_t *pkt, size_t len, uint64_t arrival_us,
                        uint64_t capture_us);
void yt_audio_sink_stats(yt_audio_sink_t *a, uint64_t now_us, yt_rx_stats_t *out);

/* A receiver that only counts (load mode): RTP statistics without decoding. */
typedef struct yt_count_sink {
    int started;
    uint16_t max_seq;
    uint32_t cycles;
    uint32_t base_seq;
    uint64_t packets, bytes;
    double jitter;       /* in timestamp units */
    uint32_t last_transit;
    uint32_t clock_rate;
} yt_count_sink_t;

void yt_count_sink_init(yt_count_sink_t *c, uint32_t clock_rate);
void yt_count_sink_push(yt_count_sink_t *c, uint16_t seq, uint32_t ts, size_t len,
                        uint64_t arrival_us);
/* Expected minus received so far. */
int64_t yt_count_sink_lost(const yt_count_sink_t *c);

#endif
