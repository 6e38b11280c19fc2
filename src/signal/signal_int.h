/*
 * Internals shared by the files of the signaling module: the server
 * object, connections, JSON object builders, sending helpers and the
 * media (SDP + SFU) side of the handlers.
 */
#ifndef YH_SIGNAL_SIGNAL_INT_H
#define YH_SIGNAL_SIGNAL_INT_H

#include <jansson.h>
#include <string.h>

#include "meeting/meeting.h"
#include "sdp/sdp.h"
#include "signal/msg.h"
#include "signal/signal.h"

#define YH_SIGNAL_RESUME_US (20u * 1000 * 1000) /* PROTOCOL.md: 20 s */
/* The largest SDP the server writes: a subscriber offer of 64 m-sections
 * is about 40 KiB. */
#define YH_SIGNAL_SDP_BUF (128 * 1024)

struct yh_signal_conn {
    yh_signal_t *s;
    yh_signal_conn_ops_t ops;
    void *ctx;
    yh_participant_t *p; /* NULL until joined */
    uint8_t closing;     /* a close was requested: ignore further input */
    uint8_t dead;        /* the transport is gone; freed after dispatch */
    yh_signal_conn_t *prev, *next;
};

struct yh_signal {
    uv_loop_t *loop;
    yh_sfu_t *sfu; /* NULL: media commands are skipped (tests, fuzzing) */
    /* Configuration, copied. */
    char ips[YH_SIGNAL_MAX_CANDIDATES][64];
    const char *ip_ptrs[YH_SIGNAL_MAX_CANDIDATES];
    size_t n_ips;
    uint16_t media_port;
    char fingerprint[YH_DTLS_FP_MAX];
    int max_participants;

    yh_meetings_t reg;
    yh_signal_conn_t *conns;
    int depth;         /* dispatch nesting: defer freeing connections */
    uv_timer_t *timer; /* resume expiry sweep; freed in its close cb */
    int timer_on;

    /* Scratch space for SDP work (large: never on the stack). */
    yh_sdp_t *sdp;
    yh_sdp_pub_t *pub;
    yh_sdp_sub_answer_t *sub_answer;
    yh_sdp_sub_slot_t *slots; /* YH_MEETING_MAX_SLOTS */
    char *buf;                /* YH_SIGNAL_SDP_BUF */
};

/* ---- objects.c: protocol objects and sending ---------------------------- */
json_t *yh_sig_participant_json(const yh_participant_t *p);
json_t *yh_sig_meeting_json(const yh_meeting_t *m);
json_t *yh_sig_track_json(const yh_meeting_track_t *t);
/* {"type": type} plus one member `key` (stolen value), or just the type. */
json_t *yh_sig_event(const char *type, const char *key, json_t *value);
/* Sends and releases `msg`. Connections that are closing or gone drop it. */
void yh_sig_send(yh_signal_conn_t *c, json_t *msg);
/* Sends `msg` (released) to every connected participant of `m` but
 * `except` (may be NULL). */
void yh_sig_broadcast(yh_meeting_t *m, const yh_participant_t *except, json_t *msg);
void yh_sig_send_error(yh_signal_conn_t *c, json_t *id, const char *code, const char *message);
/* Copies a NUL-terminated string; YH_ENOSPACE (dst emptied) if too long. */
static inline int yh_sig_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        dst[0] = '\0';
        return YH_ENOSPACE;
    }
    memcpy(dst, src, n + 1);
    return 0;
}
static inline yh_signal_conn_t *yh_sig_conn_of(const yh_participant_t *p)
{
    return (yh_signal_conn_t *)p->conn;
}

/* ---- media.c: publishing and subscribing -------------------------------- */
/* Handlers: 0 with *reply set (or NULL for "ok"), or YH_E* with `err`. */
int yh_sig_media_publish(yh_signal_t *s, yh_participant_t *p, const yh_sig_req_t *r, json_t **reply,
                         yh_sig_err_t *err);
int yh_sig_media_unpublish(yh_signal_t *s, yh_participant_t *p, const char *mid, yh_sig_err_t *err);
int yh_sig_media_answer(yh_signal_t *s, yh_participant_t *p, const yh_sig_req_t *r,
                        yh_sig_err_t *err);
/* Media-plane parameters of a participant's publisher (1) or subscriber (0)
 * transport: fresh id, room, local and remote ICE credentials, fingerprint.
 * YH_EUNSUPPORTED when a remote value does not fit. */
int yh_sig_transport_params(yh_signal_t *s, yh_participant_t *p, int publisher,
                            const char *remote_ufrag, const yh_sdp_fingerprint_t *fp,
                            yh_sfu_transport_params_t *tp);
void yh_sig_local_params(yh_signal_t *s, const char *ufrag, const char *pwd, uint64_t session,
                         yh_sdp_local_t *l);
void yh_sig_sfu_unsubscribe(yh_signal_t *s, uint32_t sub);
void yh_sig_sfu_transport_remove(yh_signal_t *s, uint32_t id);
/* Stops every published track of `p` (participant flags refreshed and
 * broadcast only when `refresh`). */
void yh_sig_media_stop_all(yh_signal_t *s, yh_participant_t *p, int refresh);
/* Stops one published track: media plane, others' slots, events. */
void yh_sig_media_track_stop(yh_signal_t *s, yh_participant_t *p, yh_meeting_track_t *t);
/* Everything media of a participant that is going away. */
void yh_sig_media_release(yh_signal_t *s, yh_participant_t *p);
/* Sends a subscriber offer to every connected participant of `m` whose
 * wanted state changed and who has no offer outstanding. */
void yh_sig_media_flush(yh_signal_t *s, yh_meeting_t *m);
/* The media plane reported a transport failed or timed out. */
void yh_sig_media_transport_lost(yh_signal_t *s, uint32_t transport, const char *reason);
int yh_sig_media_set_muted(yh_signal_t *s, yh_meeting_track_t *t, int muted);

/* audioMuted/videoMuted follow the microphone and camera tracks (muted
 * when there is none or it is muted); participant-updated goes to everyone
 * when they change. */
void yh_sig_refresh_flags(yh_participant_t *p);

/* ---- handlers.c ---------------------------------------------------------- */
/* Parses, validates and handles one message from `c`, replies, then sends
 * the subscriber offers the change calls for. */
void yh_sig_dispatch(yh_signal_t *s, yh_signal_conn_t *c, const char *text, size_t len);
/* After a change to `m`: deletes it when empty, else sends due offers. */
void yh_sig_meeting_done(yh_signal_t *s, yh_meeting_t *m);

/* ---- signal.c ------------------------------------------------------------ */
/* Removes a participant for good: media plane, track-unpublished and
 * participant-left {id, reason} to the others, state. The caller then
 * calls yh_sig_meeting_done on its meeting. */
void yh_sig_participant_remove(yh_signal_t *s, yh_participant_t *p, const char *reason);

#endif
