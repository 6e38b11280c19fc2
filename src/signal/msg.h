/*
 * Client -> server messages of the signaling protocol (docs/protocol.md):
 * text in, a validated request or a protocol error out. Pure: no sockets,
 * no meeting state, so it can be unit-tested and fuzzed on its own.
 *
 * Validation is table-driven: each message type names its parser, which
 * checks the type and bounds of every field it reads. A handler then only
 * sees values that are present, well typed and within bounds.
 */
#ifndef YH_SIGNAL_MSG_H
#define YH_SIGNAL_MSG_H

#include <jansson.h>
#include <stddef.h>

#include "meeting/meeting.h"

typedef enum yh_sig_type {
    YH_SIG_JOIN = 0,
    YH_SIG_RESUME,
    YH_SIG_PUBLISH,
    YH_SIG_UNPUBLISH,
    YH_SIG_ANSWER,
    YH_SIG_CANDIDATE,
    YH_SIG_SUBSCRIPTION,
    YH_SIG_MUTE,
    YH_SIG_HAND,
    YH_SIG_CHAT,
    YH_SIG_LEAVE,
    YH_SIG_MODERATE,
    YH_SIG_RESTART_ICE,
    YH_SIG__COUNT
} yh_sig_type_t;

/* moderate {action}: hosts' and cohosts' controls (docs/protocol.md). */
typedef enum yh_mod_action {
    YH_MOD_MUTE = 0,
    YH_MOD_MUTE_ALL,
    YH_MOD_ASK_UNMUTE,
    YH_MOD_REMOVE,
    YH_MOD_ADMIT,
    YH_MOD_DENY,
    YH_MOD_SET_ROLE,
    YH_MOD_SPOTLIGHT,
    YH_MOD_LOCK,
    YH_MOD_UNLOCK,
    YH_MOD_END,
    YH_MOD_ROLL_CALL_START,
    YH_MOD_ROLL_CALL_STOP,
    YH_MOD_ROLL_CALL_NEXT,
    YH_MOD_GIVE_FLOOR,
    YH_MOD_SETTINGS,
    YH_MOD__COUNT
} yh_mod_action_t;

#define YH_SIG_ROLL_CALL_MIN 10 /* seconds */
#define YH_SIG_ROLL_CALL_MAX 120
#define YH_SIG_CLIENT_KIND_MAX 15

#define YH_SIG_MAX_PUB_TRACKS 64
#define YH_SIG_NAME_CHARS 64 /* display name, characters */
#define YH_SIG_CHAT_MAX 4096 /* chat text, bytes */
#define YH_SIG_SDP_MAX 65536 /* an SDP, bytes */
#define YH_SIG_ERR_MAX 200

typedef struct yh_sig_pub_track {
    const char *mid;
    yh_source_t source;
    int has_source;
} yh_sig_pub_track_t;

/* A validated request. Strings are borrowed from `root`, which the request
 * owns: release it with yh_sig_req_free. */
typedef struct yh_sig_req {
    yh_sig_type_t type;
    json_t *root;
    json_t *id; /* borrowed; NULL when the request carries none */
    union {
        struct {
            const char *meeting;
            char name[YH_MEETING_NAME_MAX + 1]; /* trimmed; "Guest" if empty */
            const char *passcode;               /* NULL: none given */
            const char *token;                  /* NULL: none given */
            const char *client_kind;            /* NULL: none given */
        } join;
        struct {
            const char *token;
        } resume;
        struct {
            const char *sdp;
            size_t sdp_len;
            yh_sig_pub_track_t tracks[YH_SIG_MAX_PUB_TRACKS];
            size_t n_tracks;
        } publish;
        struct {
            const char *mid;
        } unpublish;
        struct {
            const char *track;
            int quality;       /* -1 off, 0 low, 1 medium, 2 high; 3 when not given */
            int width, height; /* 0 when not given */
            int fps;           /* 1..120; 0 when not given */
        } subscription;
        struct {
            const char *sdp;
            size_t sdp_len;
        } answer;
        struct {
            yh_source_t source;
            int muted;
        } mute;
        struct {
            int raised;
        } hand;
        struct {
            const char *text;
            const char *to; /* NULL: everyone */
        } chat;
        struct {
            yh_mod_action_t action;
            const char *participant; /* NULL when absent or null */
            yh_source_t source;      /* mute, ask-unmute; microphone by default */
            yh_role_t role;          /* set-role */
            int interval;            /* roll-call-start, seconds */
            int exclusive;           /* give-floor; 0 by default */
            /* settings: -1 when absent. */
            int waiting_room, mute_on_entry, publish;
        } moderate;
    } u;
} yh_sig_req_t;

/* A protocol error to send back. `fatal` asks the caller to close the
 * connection with `close_code` after sending it. */
typedef struct yh_sig_err {
    const char *code; /* "bad-request", ... (static) */
    char message[YH_SIG_ERR_MAX];
    int fatal;
    int close_code;
} yh_sig_err_t;

/* Parses and validates one text message. Returns 0 with `req` filled, or
 * YH_EPARSE with `err` filled; in both cases release `req` with
 * yh_sig_req_free (on error `req->id` still holds the id to echo when the
 * message had a valid one). */
int yh_sig_req_parse(const char *text, size_t len, yh_sig_req_t *req, yh_sig_err_t *err);
void yh_sig_req_free(yh_sig_req_t *req);

/* The protocol name of a type ("join", ...) and of a moderate action. */
const char *yh_sig_type_name(yh_sig_type_t t);
const char *yh_sig_action_name(yh_mod_action_t a);

/* The highest VP8 temporal layer (RFC 7741 TID) a subscription's `fps`
 * wish allows, YH_SFU_TID_ALL for no cap (also for 0: not given). */
int yh_sig_fps_max_tid(int fps);

/* Trims ASCII white space and checks a display name: UTF-8 (already
 * guaranteed by the JSON parser), no control characters, at most
 * YH_SIG_NAME_CHARS characters. An empty name becomes "Guest". Returns 0 or
 * YH_EINVAL with a reason in `why`. */
int yh_sig_name_normalize(const char *in, size_t len, char *out, size_t cap, const char **why);

#endif
