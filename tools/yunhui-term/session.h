/*
 * One participant of yunhui-term: the signaling state machine over a
 * backend (backend.h) and its two peer connections (peer.h). It joins,
 * publishes when it has media to send (offer, answer), answers every
 * subscriber offer, follows tracks and participants, and ends with leave.
 * Errors become one-line messages with an error class (an exit code).
 *
 * What it receives goes either to real decoders (libvpx, libopus: single
 * mode, to prove the media is real) or to counters (load mode); each
 * received track is one yt_stream_t, kept after it ends for the report.
 *
 * The owner drives time with yt_session_tick (~20 ms) and sends media
 * through yt_session_pub_peer once `media_ready` said the publish
 * connection is up.
 */
#ifndef YT_SESSION_H
#define YT_SESSION_H

#include <stdint.h>

#include <uv.h>

#include "backend.h"
#include "media/media.h"
#include "peer.h"

typedef struct yt_session yt_session_t;

/* One received track. */
typedef struct yt_stream {
    char participant[YH_SDP_MSID_MAX + 1];
    char track[YH_SDP_MSID_MAX + 1];
    yt_media_kind_t kind;
    int vp8;                /* video is VP8 (decoded); else counted only */
    int current;            /* an m-section carries it now */
    uint64_t first_us;      /* first packet */
    yt_video_sink_t *video; /* decode mode */
    yt_audio_sink_t *audio;
    yt_count_sink_t count; /* always kept: packets, loss, jitter */
    uint64_t plis;
} yt_stream_t;

typedef struct yt_session_listener {
    void *ctx;
    void (*joined)(void *ctx, yt_session_t *s);
    /* The publish connection carries media now. */
    void (*media_ready)(void *ctx, yt_session_t *s);
    /* The server asks for a keyframe of our video. */
    void (*keyframe)(void *ctx, yt_session_t *s);
    /* Every received RTP packet after decryption (load mode reads its
     * timing trailer here). */
    void (*rtp)(void *ctx, yt_session_t *s, yt_stream_t *st, const uint8_t *pkt, size_t len,
                const yh_rtp_hdr_t *h, uint64_t now_us);
    /* The session is over: left (cls YT_ERR_NONE) or failed with a
     * one-line message. The session may be destroyed from here. */
    void (*done)(void *ctx, yt_session_t *s, yt_err_class_t cls, const char *msg);
} yt_session_listener_t;

typedef struct yt_session_config {
    uv_loop_t *loop;
    const yt_backend_ops_t *backend;
    void *backend_shared;
    const char *server, *meeting, *name, *passcode;
    const yh_dtls_cert_t *cert;
    const char *bind_ip;
    int send_audio, send_video; /* both 0: receive only, no publish */
    int decode;                 /* 1: decode; 0: count only (load mode) */
    uint32_t test_video_ssrc;   /* test options of the peers (peer.h) */
    int test_bad_fingerprint;
} yt_session_config_t;

int yt_session_create(const yt_session_config_t *cfg, const yt_session_listener_t *l,
                      yt_session_t **out);
/* Connects and joins; everything else follows from events. */
int yt_session_start(yt_session_t *s);
/* Leaves politely (`done` follows, within 2 s even if the server is
 * silent). */
void yt_session_leave(yt_session_t *s);
void yt_session_tick(yt_session_t *s, uint64_t now_us);
void yt_session_destroy(yt_session_t *s);

/* The network changed (test option): both connections move to new local
 * ports; with `restart`, an ICE restart too (a new publish offer and
 * restart-ice). 0 or YH_E*. */
int yt_session_rebind(yt_session_t *s, int restart);
/* Test: replays our last nominating check of the publish connection from
 * another port. */
int yt_session_replay_check(yt_session_t *s);

/* The publish connection, NULL before `joined` or when receive-only. */
yt_peer_t *yt_session_pub_peer(yt_session_t *s);
yt_peer_t *yt_session_sub_peer(yt_session_t *s);
const char *yt_session_self_id(const yt_session_t *s);
int yt_session_joined(const yt_session_t *s);
size_t yt_session_stream_count(const yt_session_t *s);
yt_stream_t *yt_session_stream(yt_session_t *s, size_t i);

#endif
