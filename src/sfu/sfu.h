/*
 * The media plane as the control plane sees it. The control thread calls
 * these functions; each one copies its arguments into a command that a
 * media worker thread executes on its own loop, so the control thread never
 * touches packets and the packet path takes no lock. Events come back the
 * same way and are delivered on the control loop through the listener.
 *
 * Identifiers are chosen by the control plane (non-zero, unique per
 * process): transports, tracks and subscriptions. A room identifier scopes
 * routing: media never crosses rooms.
 */
#ifndef YH_SFU_SFU_H
#define YH_SFU_SFU_H

#include <stdint.h>
#include <uv.h>

#include "dtls/dtls.h"

#define YH_SFU_MAX_ANNOUNCE 4

typedef struct yh_sfu yh_sfu_t;

typedef struct yh_sfu_config {
    const char *bind_ip;  /* "0.0.0.0" or a specific address */
    uint16_t port;        /* the one UDP port for all media */
    const yh_dtls_cert_t *cert; /* shared read-only; outlives the sfu */
} yh_sfu_config_t;

typedef enum yh_sfu_tstate {
    YH_SFU_TRANSPORT_CONNECTED = 1, /* ICE selected + DTLS done: media flows */
    YH_SFU_TRANSPORT_FAILED = 2,    /* DTLS failure, fingerprint mismatch */
    YH_SFU_TRANSPORT_TIMEOUT = 3,   /* consent freshness expired (30 s) */
} yh_sfu_tstate_t;

/* The audio level of one track over the last report interval (RFC 6464
 * levels as sent by the publisher, averaged): `level` in -dBov (0 loudest,
 * 127 silence), `voice` the share of packets flagged as speech (0..100). */
typedef struct yh_sfu_level {
    uint32_t track;
    uint8_t level;
    uint8_t voice;
} yh_sfu_level_t;

#define YH_SFU_LEVEL_INTERVAL_MS 200
#define YH_SFU_MAX_LEVELS 64

typedef struct yh_sfu_listener {
    void *ctx;
    /* A transport changed state; `reason` is borrowed for the call. */
    void (*transport_state)(void *ctx, uint32_t transport, yh_sfu_tstate_t state,
                            const char *reason);
    /* Every YH_SFU_LEVEL_INTERVAL_MS for each room with audio arriving: the
     * levels of its audio tracks (unordered, at most YH_SFU_MAX_LEVELS,
     * borrowed for the call). Muted tracks are left out. May be NULL. */
    void (*audio_levels)(void *ctx, uint32_t room, const yh_sfu_level_t *levels, size_t n);
} yh_sfu_listener_t;

/* Starts the worker thread and binds the UDP port. */
int yh_sfu_start(uv_loop_t *control_loop, const yh_sfu_config_t *cfg,
                 const yh_sfu_listener_t *listener, yh_sfu_t **out);
/* Stops and joins the worker, freeing everything. Accepts NULL. */
void yh_sfu_stop(yh_sfu_t *s);
/* The UDP port actually bound (useful when config asked for 0). */
uint16_t yh_sfu_port(const yh_sfu_t *s);

typedef enum yh_sfu_kind { YH_SFU_AUDIO = 0, YH_SFU_VIDEO = 1 } yh_sfu_kind_t;
typedef enum yh_sfu_codec {
    YH_SFU_CODEC_OPUS = 1,
    YH_SFU_CODEC_VP8 = 2,
    YH_SFU_CODEC_H264 = 3,
} yh_sfu_codec_t;

/* Header extension ids on one transport, 0 when not negotiated. For a
 * publisher transport they are the ids the client's offer chose; for a
 * subscriber transport the ids the server's offer chose. */
typedef struct yh_sfu_ext_ids {
    uint8_t mid;
    uint8_t abs_send_time;
    uint8_t twcc;
    uint8_t audio_level;
    uint8_t rid;
    uint8_t repaired_rid;
    uint8_t playout_delay; /* subscriber video: the receiver's jitter buffer floor */
} yh_sfu_ext_ids_t;

typedef struct yh_sfu_transport_params {
    uint32_t id;
    uint32_t room;
    int publisher; /* 1: client sends media; 0: client receives */
    char local_ufrag[64];
    char local_pwd[64];
    char remote_ufrag[260];
    char remote_fp_alg[16];
    char remote_fp[YH_DTLS_FP_MAX];
    yh_dtls_role_t dtls_role; /* the server's role */
    yh_sfu_ext_ids_t ext;
    uint8_t twcc_feedback;    /* send TWCC feedback (publisher) */
} yh_sfu_transport_params_t;

int yh_sfu_transport_add(yh_sfu_t *s, const yh_sfu_transport_params_t *p);
/* ICE restart of transport `p->id`: its new local_ufrag, local_pwd and
 * remote_ufrag ("" while the remote side is not known yet) replace the
 * old ones; DTLS, SRTP, tracks, subscriptions and the current path stay
 * (the path moves when a check with the new credentials nominates
 * another). Other fields of `p` are ignored. */
int yh_sfu_transport_restart_ice(yh_sfu_t *s, const yh_sfu_transport_params_t *p);
/* Closes the transport at once (DTLS close_notify sent); its tracks and
 * subscriptions must be removed by the caller before or after. */
int yh_sfu_transport_remove(yh_sfu_t *s, uint32_t id);

#define YH_SFU_MAX_LAYERS 3
/* VP8 temporal layers (RFC 7741 TID, 2 bits); "all" lets every one pass. */
#define YH_SFU_MAX_TIDS 4
#define YH_SFU_TID_ALL (YH_SFU_MAX_TIDS - 1)
#define YH_SFU_RID_MAX 16

typedef struct yh_sfu_track_params {
    uint32_t id;
    uint32_t transport; /* the publisher transport it arrives on */
    yh_sfu_kind_t kind;
    char mid[33];
    uint32_t ssrc;      /* 0: learned from the mid header extension */
    uint32_t rtx_ssrc;  /* 0: none */
    uint8_t pt;
    uint8_t rtx_pt;     /* 0: none */
    /* Audio: RFC 2198 redundant packets carrying `pt` arrive with this
     * payload type too (besides plain ones with `pt`); 0: none. */
    uint8_t red_pt;
    yh_sfu_codec_t codec;
    uint32_t clock_rate;
    /* Simulcast: the rids of the layers, lowest first (0: one stream). The
     * layers' SSRCs are learned from the rid header extension. */
    uint8_t n_layers;
    char rids[YH_SFU_MAX_LAYERS][YH_SFU_RID_MAX + 1];
    uint8_t screen; /* a screen share: a receiver's downlink serves it first */
} yh_sfu_track_params_t;

int yh_sfu_track_add(yh_sfu_t *s, const yh_sfu_track_params_t *p);
int yh_sfu_track_remove(yh_sfu_t *s, uint32_t id);
/* A muted track's media is dropped by the server (host mute), and its
 * subscribers resume with a keyframe when it is unmuted. */
int yh_sfu_track_set_muted(yh_sfu_t *s, uint32_t id, int muted);
/* A priority video (the spotlight, the active speaker) gets the best layer
 * a receiver's downlink allows before other cameras share the rest. */
int yh_sfu_track_set_priority(yh_sfu_t *s, uint32_t id, int priority);

typedef struct yh_sfu_sub_params {
    uint32_t id;
    uint32_t transport; /* the subscriber transport */
    uint32_t track;
    uint32_t ssrc;      /* SSRC the subscriber sees (from the server's offer) */
    uint8_t pt;         /* payload type in the server's offer */
    /* RFC 4588 retransmissions and probe padding on their own SSRC, when
     * the subscriber's answer accepted RTX; 0: resend on `ssrc`. */
    uint32_t rtx_ssrc;
    uint8_t rtx_pt;
    /* Audio: the subscriber's answer kept RED (RFC 2198) at this payload
     * type, so redundant packets go out whole (their blocks renumbered to
     * `pt`); 0: only each packet's primary block goes out, as `pt`. */
    uint8_t red_pt;
} yh_sfu_sub_params_t;

int yh_sfu_subscribe(yh_sfu_t *s, const yh_sfu_sub_params_t *p);
int yh_sfu_unsubscribe(yh_sfu_t *s, uint32_t id);
/* The highest simulcast layer a subscription may receive (0 lowest);
 * -1 pauses its video (the receiver's tile is hidden). Switches happen at
 * keyframes of the new layer. `max_tid` is the highest VP8 temporal layer
 * (a frame-rate cap: with Chromium's three layers 0 is a quarter of the
 * frame rate, 1 half), YH_SFU_TID_ALL for no cap; it goes down at the
 * next frame and up at the next layer-sync frame, with no keyframe. */
int yh_sfu_sub_set_layer(yh_sfu_t *s, uint32_t id, int max_layer, int max_tid);

#endif
