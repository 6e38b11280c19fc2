/*
 * The signaling backend of one yunhui-term participant: how it joins a
 * meeting, publishes its media and receives the others' on one kind of
 * server. The media side (peer.c) only ever sees SDP text and the events
 * below, so a backend for another SFU (the Janus VideoRoom plugin over its
 * HTTP or WebSocket API, for side-by-side benchmarks) plugs in here without
 * touching peer.c, session.c's media code or load.c.
 *
 * The Yunhui protocol backend (docs/protocol.md, backend_yunhui.c) is the
 * first implementation.
 *
 * Contract
 * --------
 * - Everything runs on the caller's libuv loop. No call blocks. Results come
 *   back as events on that loop, never from inside the call that caused
 *   them, so a caller may destroy the backend from any event handler.
 * - Flow: create() then join(). events.joined() says the participant is in
 *   the meeting (with its own participant id). To send media the session
 *   calls publish() with a complete SDP offer (no trickle: all it needs is
 *   in the text) and gets events.publish_answer() with the answer. Whenever
 *   the set of streams this participant should receive changes the backend
 *   delivers events.sub_offer() (SDP offer plus the mid -> track mapping);
 *   the session replies with answer(). At most one subscriber offer is
 *   outstanding at a time; a backend whose server sends an offer per remote
 *   publisher (Janus without multistream) merges or serialises them.
 * - Each of the two connections (publish, subscribe) is one BUNDLEd
 *   ICE/DTLS-SRTP transport with rtcp-mux. The session is always the ICE
 *   controlling agent and the DTLS client: its publish offer says actpass
 *   (the server answers passive), its subscribe answer says active.
 * - Remote candidates: when the server's SDP carries none (trickle ICE),
 *   events.candidate() delivers "candidate:..." lines later, per connection.
 * - Tracks: events.track() tells whose a received track is and its kind; it
 *   may come before or after the offer that carries it. track_ended() and
 *   participant_left() report departures.
 * - Errors: events.error() with a YT_ERR_* class and a one-line message a
 *   person can act on ("meeting not found", "bad passcode"...). Classes
 *   UNREACHABLE and REFUSED are fatal (nothing more follows but closed());
 *   MEDIA says the server dropped one of our connections.
 * - leave() says goodbye politely; events.closed() follows once the
 *   signaling connection is gone (also after a loss of connection).
 *   destroy() may be called at any time after create(), from events too;
 *   no event follows it.
 */
#ifndef YT_BACKEND_H
#define YT_BACKEND_H

#include <stddef.h>

#include <uv.h>

/* Error classes; each maps to one exit code of the tool (see main.c). */
typedef enum yt_err_class {
    YT_ERR_NONE = 0,
    YT_ERR_UNREACHABLE = 3, /* no signaling connection */
    YT_ERR_REFUSED = 4,     /* join refused: not found, bad passcode, full, locked... */
    YT_ERR_MEDIA = 5,       /* ICE or DTLS failure, or the server dropped our media */
    YT_ERR_OTHER = 6,       /* protocol violations, internal errors */
} yt_err_class_t;

typedef enum yt_media_kind { YT_KIND_AUDIO = 0, YT_KIND_VIDEO = 1 } yt_media_kind_t;

/* One m-section of a subscriber offer that carries a track. */
typedef struct yt_sub_track {
    const char *mid;
    const char *track; /* the server's track id */
} yt_sub_track_t;

typedef struct yt_backend_events {
    void *ctx;
    void (*joined)(void *ctx, const char *self_id);
    void (*publish_answer)(void *ctx, const char *sdp);
    void (*sub_offer)(void *ctx, const char *sdp, const yt_sub_track_t *tracks, size_t n);
    /* conn: 0 publish, 1 subscribe. `line` is "candidate:..." (RFC 8839). */
    void (*candidate)(void *ctx, int conn, const char *line);
    void (*track)(void *ctx, const char *track, const char *participant, yt_media_kind_t kind);
    void (*track_ended)(void *ctx, const char *track);
    void (*participant_left)(void *ctx, const char *participant);
    void (*error)(void *ctx, yt_err_class_t cls, const char *message);
    void (*closed)(void *ctx);
} yt_backend_events_t;

typedef struct yt_backend_config {
    uv_loop_t *loop;
    void *shared;       /* process-wide backend state (e.g. the lws context) */
    const char *server; /* URL, e.g. ws://127.0.0.1:8080/ws */
    const char *meeting;
    const char *name;
    const char *passcode; /* NULL: none */
} yt_backend_config_t;

typedef struct yt_backend yt_backend_t;

typedef struct yt_backend_ops {
    const char *name; /* "yunhui", later "janus" */
    /* Copies cfg strings and the events struct. */
    int (*create)(const yt_backend_config_t *cfg, const yt_backend_events_t *ev,
                  yt_backend_t **out);
    int (*join)(yt_backend_t *b);
    /* Sending m-sections: audio is the microphone, video the camera. */
    int (*publish)(yt_backend_t *b, const char *offer_sdp);
    int (*answer)(yt_backend_t *b, const char *answer_sdp);
    /* Asks for an ICE restart of the subscribe connection: a new offer
     * with new server credentials follows as sub_offer(). NULL when the
     * server kind has no such request. */
    int (*restart_ice)(yt_backend_t *b);
    int (*leave)(yt_backend_t *b);
    void (*destroy)(yt_backend_t *b);
} yt_backend_ops_t;

/* The Yunhui protocol backend (backend_yunhui.c). `cfg->shared` is a
 * yt_ws_ctx_t (ws.h). */
extern const yt_backend_ops_t yt_backend_yunhui;

#endif
