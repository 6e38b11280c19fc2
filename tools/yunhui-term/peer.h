/*
 * One client peer connection of yunhui-term: its own UDP socket (batched
 * with net/udp.h, polled by one uv_poll), the controlling ICE agent
 * against the server's ICE-lite candidate, the DTLS client, SRTP, and the
 * RTP/RTCP of what we send (publish connection) or receive (subscribe
 * connection). Same layering as src/transport/ on the server: ICE decides
 * where bytes go, DTLS makes the keys, SRTP protects.
 *
 * The owner drives time: yt_peer_tick every ~20 ms (ICE checks and
 * consent, DTLS retransmissions, RTCP reports) and yt_peer_flush after
 * sending, so one sendmmsg carries a whole tick's packets. Listener
 * callbacks run inside yt_peer_tick and the socket's poll callback: they
 * must not destroy the peer.
 */
#ifndef YT_PEER_H
#define YT_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "backend.h"
#include "dtls/dtls.h"
#include "ice/ice.h"
#include "net/udp.h"
#include "rtp/recvstats.h"
#include "rtp/rtp.h"
#include "sdp/sdp.h"

#define YT_PEER_MAX_RX YH_SDP_MAX_MEDIA
#define YT_SDP_CAP 65536

typedef enum yt_peer_state {
    YT_PEER_NEW = 0,   /* no remote description yet */
    YT_PEER_CHECKING,  /* ICE checks */
    YT_PEER_DTLS,      /* ICE works, DTLS handshake */
    YT_PEER_CONNECTED, /* SRTP keys: media flows */
    YT_PEER_FAILED,
} yt_peer_state_t;

/* A stream we send (publish connection). */
typedef struct yt_tx_stream {
    int enabled;
    yt_media_kind_t kind;
    char mid[YH_SDP_MID_MAX + 1];
    uint32_t ssrc;
    uint16_t seq;
    uint8_t pt;
    uint32_t clock;
    yh_sdp_ext_ids_t ext;
    uint64_t packets, bytes;
    /* The last timestamp sent and its capture time, for sender reports. */
    uint32_t last_ts;
    uint64_t last_capture_us;
    int has_ts;
} yt_tx_stream_t;

/* A stream we receive: one m-section of the subscribe connection. */
typedef struct yt_rx_stream {
    int active; /* the server sends on it now */
    char mid[YH_SDP_MID_MAX + 1];
    char track[YH_SDP_MSID_MAX + 1];
    yt_media_kind_t kind;
    int vp8; /* video codec is VP8 (H.264 is received, not decoded) */
    uint8_t pt;
    uint32_t clock;
    uint32_t ssrc;
    yh_rtp_recvstats_t stats; /* for receiver reports */
    uint64_t packets;
    /* The server's last SR: maps RTP time to the sender's wall clock. */
    int has_sr;
    uint64_t sr_ntp;
    uint32_t sr_rtp;
    uint64_t last_pli_us;
    uint64_t plis;
    void *user; /* the owner's per-stream state */
} yt_rx_stream_t;

typedef struct yt_peer yt_peer_t;

typedef struct yt_peer_listener {
    void *ctx;
    /* CONNECTED, or FAILED with a one-line reason. */
    void (*state)(void *ctx, yt_peer_t *p, yt_peer_state_t st, const char *why);
    /* A decrypted RTP packet of a received stream (borrowed). */
    void (*rtp)(void *ctx, yt_peer_t *p, yt_rx_stream_t *rx, const uint8_t *pkt, size_t len,
                const yh_rtp_hdr_t *h, uint64_t now_us);
    /* The server asks for a keyframe of our video (PLI or FIR). */
    void (*keyframe)(void *ctx, yt_peer_t *p);
    /* A subscribe m-section now carries another track, or none (the owner
     * resets its per-stream state; rx->user survives). */
    void (*rx_changed)(void *ctx, yt_peer_t *p, yt_rx_stream_t *rx);
} yt_peer_listener_t;

typedef struct yt_peer_config {
    uv_loop_t *loop;
    const yh_dtls_cert_t *cert; /* shared, borrowed */
    const char *bind_ip;        /* local address, e.g. "0.0.0.0" */
    const char *cname;          /* a=ssrc cname and RTCP SDES */
    /* Test options (hostile clients): 0 for normal behaviour. */
    uint32_t test_video_ssrc;   /* send video with this SSRC */
    int test_bad_fingerprint;   /* our SDP names a certificate we do not have */
} yt_peer_config_t;

int yt_peer_create(const yt_peer_config_t *cfg, const yt_peer_listener_t *l, yt_peer_t **out);
/* Sends DTLS close_notify when connected, closes the socket; the memory
 * is freed once libuv has closed the poll handle. Accepts NULL. */
void yt_peer_destroy(yt_peer_t *p);

/* Publish connection: writes our offer (audio mid "0", video mid "1", the
 * ones enabled) into `buf`; returns its length or YH_E*. */
int yt_peer_write_offer(yt_peer_t *p, int audio, int video, char *buf, size_t cap);
/* Applies the server's answer and starts ICE. 0 or YH_E* with `err`. */
int yt_peer_apply_answer(yt_peer_t *p, const char *sdp, char *err, size_t err_cap);
/* Subscribe connection: applies a server offer (with the mid -> track
 * list) and writes our answer; starts ICE the first time. Returns the
 * answer length or YH_E* with `err`. */
int yt_peer_apply_offer(yt_peer_t *p, const char *sdp, const yt_sub_track_t *tracks, size_t n,
                        char *buf, size_t cap, char *err, size_t err_cap);

/* A trickled remote candidate ("candidate:..." line, RFC 8839) for a
 * server whose description listed none; the first usable one starts ICE.
 * 0, or YH_EPARSE / YH_EUNSUPPORTED (not UDP, other address family). */
int yt_peer_add_candidate(yt_peer_t *p, const char *line);

/* Sends one RTP packet of our `kind` stream: header with the negotiated PT,
 * our SSRC and sequence, abs-send-time, transport-wide sequence, mid and
 * (audio) level extensions; SRTP; into a send slot (yt_peer_flush sends).
 * `capture_us` is the monotonic capture time of timestamp `ts`.
 * YH_ESTATE before SRTP keys exist (the packet is dropped). */
int yt_peer_send_rtp(yt_peer_t *p, yt_media_kind_t kind, const uint8_t *payload, size_t len,
                     int marker, uint32_t ts, uint64_t capture_us);
void yt_peer_flush(yt_peer_t *p);
void yt_peer_tick(yt_peer_t *p, uint64_t now_us);

/* A rate-limited (one per 300 ms) PLI for a received video stream. */
void yt_peer_request_keyframe(yt_peer_t *p, yt_rx_stream_t *rx, uint64_t now_us);
/* The sender's capture time of RTP timestamp `ts` on our monotonic clock
 * (same host: the sender's NTP clock is ours), from the server's sender
 * report; 0 when no SR came yet. */
uint64_t yt_peer_capture_us(const yt_rx_stream_t *rx, uint32_t ts, uint64_t now_us);

/* The network changed: a new UDP socket on a new local port (a new
 * 5-tuple toward the server). ICE checks nominate the pair again from it
 * with the current credentials; DTLS and SRTP are kept. YH_EIO when no
 * socket could be opened (the old one stays). */
int yt_peer_rebind(yt_peer_t *p);
/* ICE restart (RFC 8445 section 9): new local credentials for the next
 * offer or answer; the agent restarts when the remote description with
 * the peer's new credentials is applied. */
int yt_peer_restart_ice(yt_peer_t *p);
/* Test: sends a copy of our last nominating check (USE-CANDIDATE) from a
 * fresh socket, as an attacker who captured it would replay it. YH_ESTATE
 * when no check was recorded yet. */
int yt_peer_replay_check(yt_peer_t *p);
/* Our local UDP port now. */
uint16_t yt_peer_port(const yt_peer_t *p);

yt_peer_state_t yt_peer_state(const yt_peer_t *p);
/* The one-line reason of a FAILED peer. */
const char *yt_peer_failure(const yt_peer_t *p);
const yt_tx_stream_t *yt_peer_tx(const yt_peer_t *p, yt_media_kind_t kind);
yt_rx_stream_t *yt_peer_rx(yt_peer_t *p, size_t i);
size_t yt_peer_rx_count(const yt_peer_t *p);
const yh_udp_stats_t *yt_peer_udp_stats(const yt_peer_t *p);

#endif
