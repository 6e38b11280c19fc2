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
    yh_participant_t *p; /* NULL until joined (or waiting) */
    json_t *join_id;     /* the id of a join waiting for admission, owned */
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
    /* Roll call advances and coalesced count updates; freed in its close
     * callback. */
    uv_timer_t *ctl_timer;
    struct yh_store *store;              /* NULL: open mode only */
    const struct yh_auth_secret *secret; /* join tokens; NULL: refused */
    int no_adhoc;                        /* unknown numbers are not-found */
    /* TURN servers for joined.iceServers (yh_signal_set_ice_servers). */
    char turn_urls[YH_SIGNAL_MAX_TURN][YH_SIGNAL_TURN_URL_MAX];
    int n_turn;
    char turn_secret[YH_SIGNAL_TURN_SECRET_MAX + 1];
    int64_t turn_ttl_s;

    /* Scratch space for SDP work (large: never on the stack). */
    yh_sdp_t *sdp;
    yh_sdp_pub_t *pub;
    yh_sdp_sub_answer_t *sub_answer;
    yh_sdp_sub_slot_t *slots; /* YH_MEETING_MAX_SLOTS */
    char *buf;                /* YH_SIGNAL_SDP_BUF */
};

/* ---- objects.c: protocol objects and sending ---------------------------- */
json_t *yh_sig_participant_json(const yh_participant_t *p);
/* MEETING as `viewer` sees it (moderators also get the hand queue);
 * viewer NULL: the public view. */
json_t *yh_sig_meeting_json(const yh_meeting_t *m, const yh_participant_t *viewer);
json_t *yh_sig_track_json(const yh_meeting_track_t *t);
/* {"type": type} plus one member `key` (stolen value), or just the type. */
json_t *yh_sig_event(const char *type, const char *key, json_t *value);
/* Sends and releases `msg`. Connections that are closing or gone drop it. */
void yh_sig_send(yh_signal_conn_t *c, json_t *msg);
/* Sends `msg` (released) to every connected participant of `m` but
 * `except` (may be NULL). */
void yh_sig_broadcast(yh_meeting_t *m, const yh_participant_t *except, json_t *msg);
void yh_sig_send_error(yh_signal_conn_t *c, json_t *id, const char *code, const char *message);
/* Sends `msg` to one participant when connected (released either way). */
void yh_sig_send_to(yh_participant_t *p, json_t *msg);
/* Sends, then asks the connection's owner to close it with `code`. */
void yh_sig_send_close(yh_signal_conn_t *c, json_t *msg, int code, const char *reason);
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
/* Tells the media plane which cameras come first in receivers' downlinks:
 * the spotlighted participant's, or without a spotlight the active
 * speaker's. Call after either changes and after a track is added. */
void yh_sig_media_priorities(yh_signal_t *s, yh_meeting_t *m);
/* The media plane reported a transport failed or timed out. */
void yh_sig_media_transport_lost(yh_signal_t *s, uint32_t transport, const char *reason);
int yh_sig_media_set_muted(yh_signal_t *s, yh_meeting_track_t *t, int muted);

/* ---- restart.c: ICE restart of a media connection ------------------------ */
/* 1 when `pub` (a parsed offer) changes the ICE credentials of p's
 * existing publish connection. */
int yh_sig_pub_is_restart(const yh_participant_t *p, const yh_sdp_pub_t *pub);
/* Fresh server credentials (ufrag: YH_MEETING_ICE_UFRAG_LEN + 1 bytes,
 * pwd: YH_MEETING_ICE_PWD_LEN + 1). */
int yh_sig_ice_credentials(char *ufrag, char *pwd);
/* A publish offer was answered with local `ufrag`/`pwd`: records both
 * sides' credentials and, on a restart, gives them to the media plane. */
void yh_sig_pub_accepted(yh_signal_t *s, yh_participant_t *p, const yh_sdp_pub_t *pub,
                         const char *ufrag, const char *pwd);
/* restart-ice: new subscriber credentials for the next offer. */
int yh_sig_media_restart_ice(yh_signal_t *s, yh_participant_t *p, yh_sig_err_t *err);
/* Before a subscriber offer is written: a restart asked for gets new
 * local credentials now. 0 or YH_E*. */
int yh_sig_sub_offering(yh_participant_t *p);
/* A subscriber offer went out / its answer was accepted. */
void yh_sig_sub_offered(yh_signal_t *s, yh_participant_t *p);
void yh_sig_sub_answered(yh_signal_t *s, yh_participant_t *p, const yh_sdp_sub_answer_t *a);

/* audioMuted/videoMuted follow the microphone and camera tracks (muted
 * when there is none or it is muted); participant-updated goes to everyone
 * when they change. */
void yh_sig_refresh_flags(yh_participant_t *p);

/* ---- control.c: who sees what, mutes, roles, leaving --------------------- */
/* 1 when `viewer` sees `subject`'s participant entry (roles.h). */
int yh_sig_sees(const yh_participant_t *viewer, const yh_participant_t *subject);
/* Sends `msg` (released) to every connected admitted participant who sees
 * `subject`, but `except` (may be NULL). */
void yh_sig_broadcast_about(yh_meeting_t *m, const yh_participant_t *subject,
                            const yh_participant_t *except, json_t *msg);
/* Sends `msg` (released) to the connected moderators. */
void yh_sig_broadcast_moderators(yh_meeting_t *m, json_t *msg);
/* participant-updated {p} to everyone who sees p. */
void yh_sig_participant_updated(yh_participant_t *p);
/* meeting-updated to everyone, each with their view of MEETING. */
void yh_sig_meeting_updated(yh_meeting_t *m);
/* meeting-updated to the moderators only (the hand queue changed). */
void yh_sig_hands_updated(yh_meeting_t *m);
/* meeting-updated to those who see a count instead of entries, but
 * `except` (may be NULL): at once, or coalesced when one went out less
 * than a second ago (the control timer sends it then). */
void yh_sig_count_updated(yh_signal_t *s, yh_meeting_t *m, const yh_participant_t *except);
/* Brings a track's server mute (host mute, roll call, own mute) in line:
 * media plane, track-updated. Returns 1 when it changed. */
int yh_sig_track_apply(yh_signal_t *s, yh_meeting_track_t *t);
/* 1 when the server should drop `t`'s media now. */
int yh_sig_track_blocked(const yh_meeting_track_t *t);
/* Every track of `p`, then its audioMuted/videoMuted flags. */
void yh_sig_participant_apply(yh_signal_t *s, yh_participant_t *p);
void yh_sig_meeting_apply(yh_signal_t *s, yh_meeting_t *m);
/* A moderator's mute of `p`'s `source`: locked until ask-unmute or the
 * floor; the client is told with mute-request. */
void yh_sig_host_mute(yh_signal_t *s, yh_participant_t *p, yh_source_t source);
/* Changes a role with every consequence: visibility for attendees,
 * publish policy, moderator views, roll call; participant-updated. */
void yh_sig_set_role(yh_signal_t *s, yh_participant_t *p, yh_role_t role);
/* The publish policy changed from `old`: visibility, attendees' media. */
void yh_sig_policy_changed(yh_signal_t *s, yh_meeting_t *m, yh_publish_policy_t old);
/* An admitted participant is about to go: roll call. Called by
 * yh_sig_participant_remove. */
void yh_sig_before_leave(yh_signal_t *s, yh_participant_t *p);
/* After it went: spotlight, host transfer, hand queue, counts. */
void yh_sig_after_leave(yh_signal_t *s, yh_meeting_t *m, uint32_t num, yh_role_t role, int hand);
/* Ends the meeting: ended {} to everyone (admitted and waiting), their
 * connections closed, all participants removed. The meeting itself is
 * deleted by yh_sig_meeting_done. */
void yh_sig_meeting_end(yh_signal_t *s, yh_meeting_t *m);
/* A waiting participant enters (admit): joined to it, events to others. */
void yh_sig_admit(yh_signal_t *s, yh_participant_t *p);
/* The joined reply for `p` as it sees the meeting (no id). */
json_t *yh_sig_joined_json(const yh_signal_t *s, const yh_participant_t *p);
/* joined.iceServers for `p`: [] or one TURN entry with fresh credentials. */
json_t *yh_sig_ice_servers_json(const yh_signal_t *s, const yh_participant_t *p);
/* What is due at `now_us`: roll calls advance, coalesced count updates go
 * out; then the control timer is armed for the next. */
void yh_sig_tick(yh_signal_t *s, uint64_t now_us);
/* Arms the control timer for the earliest thing due (or stops it). */
void yh_sig_arm(yh_signal_t *s, uint64_t now_us);
/* The audio levels of a room (sfu listener), at `now_us`. */
void yh_sig_audio_levels(yh_signal_t *s, uint32_t room, const yh_sfu_level_t *levels, size_t n,
                         uint64_t now_us);

/* ---- floor.c: hands, floor, roll call -------------------------------------- */
void yh_sig_hand(yh_signal_t *s, yh_participant_t *p, int raised);
/* give-floor; exclusive revokes the other floor holders. */
void yh_sig_give_floor(yh_signal_t *s, yh_participant_t *p, int exclusive);
int yh_sig_rollcall_start(yh_signal_t *s, yh_participant_t *by, int interval_s, uint64_t now_us);
/* Moves to the next site now (stops when none is left). */
void yh_sig_rollcall_next(yh_signal_t *s, yh_meeting_t *m, uint64_t now_us);
void yh_sig_rollcall_stop(yh_signal_t *s, yh_meeting_t *m);
/* The control timer's callback (signal.c: guards re-entrancy). */
void yh_sig_ctl_timer_cb(uv_timer_t *t);
/* 1 when a running roll call keeps `p`'s audio muted. */
int yh_sig_rollcall_mutes(const yh_participant_t *p);

/* ---- moderate.c ------------------------------------------------------------ */
int yh_sig_moderate(yh_signal_t *s, yh_participant_t *p, const yh_sig_req_t *r, yh_sig_err_t *err);

/* ---- admission.c: entering a meeting, the store ------------------------------ */
typedef struct yh_sig_admission {
    yh_role_t role;
    int has_role; /* a signed token granted the role */
} yh_sig_admission_t;
/* Decides whether the join `r` may enter and as what (not-found, ended,
 * unauthorized, bad-passcode, locked, full); opens the meeting in memory,
 * with its stored settings, when needed. */
int yh_sig_admission(yh_signal_t *s, const yh_sig_req_t *r, yh_meeting_t **out,
                     yh_sig_admission_t *a, yh_sig_err_t *err);
/* 1 when the newcomer goes to the waiting room. */
int yh_sig_must_wait(const yh_meeting_t *m, const yh_sig_admission_t *a);
/* The store's meeting status (yh_store_status_t); no-op without store. */
void yh_sig_store_status(yh_signal_t *s, yh_meeting_t *m, int status);
/* Participation log rows: opened on admission, closed on leaving. */
void yh_sig_log_open(yh_signal_t *s, yh_participant_t *p);
void yh_sig_log_close(yh_signal_t *s, yh_participant_t *p);

/* ---- handlers.c ---------------------------------------------------------- */
/* Fills `err` and returns YH_EINVAL (handlers' failure path). */
int yh_sig_fail(yh_sig_err_t *err, const char *code, const char *msg);
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
