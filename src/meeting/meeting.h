/*
 * Meetings, participants, their published tracks and their subscriber
 * slots: the state of the control plane, with no JSON, no sockets and no
 * media commands. The signaling layer (signal/) reads and changes it and
 * turns every change into protocol events and media-plane commands.
 *
 * Ownership: a yh_meetings_t registry owns its meetings; a meeting owns its
 * participants; a participant owns its tracks and slots. Pointers handed
 * out are borrowed and stay valid until the object is removed.
 *
 * Identifiers: participants are "p<n>", tracks "t<n>", and meetings carry
 * a numeric room id for the media plane; every number comes from one
 * counter of the registry, so ids are unique in the process and a track's
 * number doubles as its media-plane id.
 */
#ifndef YH_MEETING_MEETING_H
#define YH_MEETING_MEETING_H

#include <stddef.h>
#include <stdint.h>

#include "meeting/speaker.h"

#define YH_MEETING_NUMBER_MAX 20 /* characters of a meeting number */
#define YH_MEETING_NAME_MAX 256  /* bytes of a display name (64 characters) */
#define YH_MEETING_MID_MAX 32
#define YH_MEETING_FMTP_MAX 255
#define YH_MEETING_MAX_LAYERS 3 /* simulcast rids q, h, f */
#define YH_MEETING_RID_MAX 32
/* Subscriber m-sections per participant: the SDP module's m-line limit. */
#define YH_MEETING_MAX_SLOTS 64
#define YH_MEETING_TOKEN_LEN 24 /* resume token characters */
#define YH_MEETING_ICE_UFRAG_LEN 8
#define YH_MEETING_ICE_PWD_LEN 24
/* A client's ice-ufrag / ice-pwd: at most 256 characters (RFC 8839 5.4). */
#define YH_MEETING_ICE_REMOTE_MAX 256

typedef enum yh_role {
    YH_ROLE_HOST = 0,
    YH_ROLE_COHOST,
    YH_ROLE_SPEAKER,
    YH_ROLE_ATTENDEE,
} yh_role_t;

typedef enum yh_source {
    YH_SOURCE_MICROPHONE = 0,
    YH_SOURCE_CAMERA,
    YH_SOURCE_SCREEN,
} yh_source_t;

typedef enum yh_media_kind { YH_KIND_AUDIO = 0, YH_KIND_VIDEO = 1 } yh_media_kind_t;

/* MEETING.publish: who may send media. */
typedef enum yh_publish_policy {
    YH_PUBLISH_EVERYONE = 0,
    YH_PUBLISH_SPEAKERS, /* hosts, cohosts and speakers only */
} yh_publish_policy_t;

/* Bits of yh_participant_t.host_muted, one per source. */
#define YH_SOURCE_BIT(src) (1u << (unsigned)(src))

typedef enum yh_media_codec {
    YH_CODEC_OPUS = 0,
    YH_CODEC_VP8,
    YH_CODEC_H264,
} yh_media_codec_t;

typedef struct yh_meeting yh_meeting_t;
typedef struct yh_participant yh_participant_t;

typedef struct yh_meeting_track {
    uint32_t num; /* media-plane track id */
    char id[16];  /* "t<num>" */
    yh_participant_t *owner;
    yh_media_kind_t kind;
    yh_source_t source;
    /* `muted` is what the media plane does (media dropped) and what TRACK
     * shows; `self_muted` what the publisher asked for. The server adds
     * host mutes and roll call on top (signal/control.c). */
    uint8_t muted;
    uint8_t self_muted;
    uint8_t by_host;                  /* self_muted was set by a moderator (host mute) */
    uint8_t priority;                 /* camera of the spotlight or active speaker */
    char mid[YH_MEETING_MID_MAX + 1]; /* on the publisher connection */
    uint32_t ssrc;                    /* 0: learned from the mid extension */
    uint8_t pt;
    yh_media_codec_t codec;
    uint32_t clock_rate;
    char fmtp[YH_MEETING_FMTP_MAX + 1]; /* mirrored in subscriber offers */
    uint8_t n_layers;
    char layers[YH_MEETING_MAX_LAYERS][YH_MEETING_RID_MAX + 1];
    struct yh_meeting_track *next;
} yh_meeting_track_t;

/*
 * One m-section of a participant's subscriber connection. `track`, `ssrc`
 * and `active` are the wanted state; the offered_* fields are what the
 * last offer sent said, so an answer is applied to what it answers even
 * when the wanted state moved on meanwhile.
 */
/* A subscriber slot's SSRC is even; its RTX stream (RFC 4588) uses the
 * odd one above it. */
#define YH_MEETING_RTX_SSRC(ssrc) ((uint32_t)(ssrc) | 1u)

typedef struct yh_meeting_slot {
    char mid[4];
    yh_media_kind_t kind;
    yh_media_codec_t codec;
    uint32_t track; /* 0: none (the slot is inactive) */
    uint32_t ssrc;
    uint8_t active;
    uint8_t offered; /* written in an offer at least once */
    uint8_t offered_active;
    uint32_t offered_track;
    uint32_t offered_ssrc;
    uint32_t publisher; /* participant number of the track's owner */
    uint32_t sub_id;    /* media-plane subscription, 0: none */
} yh_meeting_slot_t;

struct yh_participant {
    uint32_t num;
    char id[16]; /* "p<num>" */
    char name[YH_MEETING_NAME_MAX + 1];
    yh_role_t role;
    uint8_t hand;
    uint8_t audio_muted, video_muted;
    uint8_t waiting;      /* in the waiting room: on the meeting's waiting list */
    uint8_t floor;        /* holds the floor (give-floor) */
    uint8_t host_muted;   /* YH_SOURCE_BIT()s a moderator muted */
    uint8_t tell_muted;   /* mute-request due after the joined reply */
    uint64_t hand_seq;    /* raise order while `hand` is up (meeting counter) */
    char client_kind[16]; /* join's client.kind, "" when not given */
    int64_t log_row;      /* participation log row (store), 0: none */
    char joined_at[32];   /* RFC 3339, UTC */
    char resume_token[YH_MEETING_TOKEN_LEN + 1];
    yh_meeting_t *meeting;
    void *conn;             /* the signaling connection; NULL while away */
    uint64_t away_since_us; /* monotonic time the connection was lost */

    /* Publisher connection (client sends). Transport 0: not created. */
    uint32_t pub_transport;
    char pub_ufrag[YH_MEETING_ICE_UFRAG_LEN + 1];
    char pub_pwd[YH_MEETING_ICE_PWD_LEN + 1];
    uint64_t pub_session, pub_version;
    /* The client's ICE credentials in its last offer: new ones on the
     * same transport are an ICE restart (RFC 8839 section 4.4.1.1.1). */
    char pub_remote_ufrag[YH_MEETING_ICE_REMOTE_MAX + 1];
    char pub_remote_pwd[YH_MEETING_ICE_REMOTE_MAX + 1];
    yh_meeting_track_t *tracks; /* in publishing order */

    /* Subscriber connection (server offers). */
    uint32_t sub_transport;
    char sub_ufrag[YH_MEETING_ICE_UFRAG_LEN + 1];
    char sub_pwd[YH_MEETING_ICE_PWD_LEN + 1];
    uint64_t sub_session, sub_version;
    yh_meeting_slot_t slots[YH_MEETING_MAX_SLOTS];
    size_t n_slots;
    uint8_t offer_outstanding; /* an offer was sent, no answer yet */
    uint8_t sub_dirty;         /* the wanted state changed since */
    /* ICE restart of the subscriber transport (restart-ice): 1 asked for
     * (new local credentials, an offer is due), 2 in the outstanding
     * offer. The client's credentials in its last answer: */
    uint8_t sub_restart;
    char sub_remote_ufrag[YH_MEETING_ICE_REMOTE_MAX + 1];

    yh_participant_t *prev, *next;
};

/* A roll call (dispatch meetings): `current` is the site being called,
 * 0 when no roll call runs. */
typedef struct yh_rollcall {
    uint32_t current;    /* participant number */
    uint32_t starter;    /* the moderator who started it */
    uint32_t interval_s; /* 10..120 */
    uint64_t next_at_us; /* monotonic time of the next automatic advance */
} yh_rollcall_t;

#define YH_MEETING_TITLE_MAX 200

struct yh_meeting {
    char number[YH_MEETING_NUMBER_MAX + 1];
    char title[YH_MEETING_TITLE_MAX + 1];
    uint32_t room; /* media-plane room id */
    /* Admitted participants in joining order (the longest present first). */
    yh_participant_t *head, *tail;
    size_t n_participants;
    /* The waiting room, in arrival order. */
    yh_participant_t *wait_head, *wait_tail;
    size_t n_waiting;

    /* Settings and controls (MEETING). */
    uint8_t locked;
    uint8_t waiting_room;
    uint8_t mute_on_entry;
    uint8_t from_store;   /* a stored meeting, not an ad-hoc one */
    int max_participants; /* the meeting's own limit, 0: the server's */
    yh_publish_policy_t publish;
    uint32_t spotlight; /* participant number, 0: none */
    yh_rollcall_t rollcall;
    uint64_t hand_counter;
    /* participantCount updates for those who see counts are coalesced to
     * one a second (large webinars). */
    uint64_t count_sent_us;
    uint8_t count_dirty;
    yh_speaker_t speaker; /* active-speaker detection */

    yh_meeting_t *prev, *next;
};

typedef struct yh_meetings {
    yh_meeting_t *head;
    size_t n_meetings;
    uint32_t counter; /* last number handed out */
} yh_meetings_t;

void yh_meetings_init(yh_meetings_t *reg);
/* Frees every meeting, participant and track (no events). */
void yh_meetings_free(yh_meetings_t *reg);
/* A fresh number from the registry's counter (never 0). */
uint32_t yh_meetings_next_id(yh_meetings_t *reg);

/* 1 when `number` is 1..20 characters of [0-9A-Za-z_-]. */
int yh_meeting_number_valid(const char *number, size_t len);
yh_meeting_t *yh_meeting_find(yh_meetings_t *reg, const char *number);
/* Opens a meeting (open mode: anyone may create one by joining). */
int yh_meeting_open(yh_meetings_t *reg, const char *number, yh_meeting_t **out);
/* Deletes a meeting, which must have no participants (admitted or
 * waiting) left. */
void yh_meeting_close(yh_meetings_t *reg, yh_meeting_t *m);
yh_meeting_t *yh_meetings_find_room(const yh_meetings_t *reg, uint32_t room);

/* Adds a participant: role host for the first, attendee after; fresh
 * resume token and ICE credentials; audio and video muted until published. */
int yh_meeting_participant_add(yh_meetings_t *reg, yh_meeting_t *m, const char *name,
                               yh_participant_t **out);
/* Adds a participant to the waiting room (`waiting` set, not counted in
 * n_participants, no role decided yet: attendee). */
int yh_meeting_waiter_add(yh_meetings_t *reg, yh_meeting_t *m, const char *name,
                          yh_participant_t **out);
/* Moves a waiting participant to the end of the admitted list. */
void yh_meeting_waiter_admit(yh_meeting_t *m, yh_participant_t *p);
/* Unlinks and frees `p` (admitted or waiting) with its tracks; the caller
 * has already told the media plane and the other participants. */
void yh_meeting_participant_remove(yh_meeting_t *m, yh_participant_t *p);
/* Admitted participants only; by id or by number. NULL if none. */
yh_participant_t *yh_meeting_participant_find(const yh_meeting_t *m, const char *id);
yh_participant_t *yh_meeting_participant_by_num(const yh_meeting_t *m, uint32_t num);
yh_participant_t *yh_meeting_waiter_find(const yh_meeting_t *m, const char *id);
/* Searches every meeting (resume tokens, transport ids). NULL if none. */
yh_participant_t *yh_meetings_find_token(const yh_meetings_t *reg, const char *token);
yh_participant_t *yh_meetings_find_transport(const yh_meetings_t *reg, uint32_t transport,
                                             int *publisher);

/* Appends a track to `p` (fields filled by the caller after the call,
 * except the ids and owner). */
int yh_meeting_track_add(yh_meetings_t *reg, yh_participant_t *p, yh_meeting_track_t **out);
yh_meeting_track_t *yh_meeting_track_by_mid(const yh_participant_t *p, const char *mid);
yh_meeting_track_t *yh_meeting_track_find(const yh_meeting_t *m, uint32_t num);
void yh_meeting_track_remove(yh_participant_t *p, yh_meeting_track_t *t);
size_t yh_meeting_track_count(const yh_meeting_t *m);

/*
 * Subscriber slots. yh_meeting_slots_plan brings p's wanted state in line
 * with every track of the other participants: a track without a slot gets
 * an inactive slot of its kind that the last offer already showed inactive
 * (so the client sees it stop before it is reused), else a new slot; each
 * use gets a fresh random SSRC. Returns the number of slots changed; a
 * track that finds no room (YH_MEETING_MAX_SLOTS) is skipped.
 */
size_t yh_meeting_slots_plan(yh_participant_t *p);
/* Clears the slot showing `track` (no-op if none). Returns the slot's
 * subscription id (0 if none) for the caller to cancel. */
uint32_t yh_meeting_slots_drop(yh_participant_t *p, uint32_t track);
/* 1 when the wanted state differs from what the last offer said. */
int yh_meeting_slots_changed(const yh_participant_t *p);
/* Records the wanted state as offered (an offer was just sent). */
void yh_meeting_slots_mark_offered(yh_participant_t *p);
size_t yh_meeting_slots_active(const yh_participant_t *p);

/* ---- floor.c: hands, floor and roll call order (pure) ------------------ */
/* Raises (stamps the raise order) or lowers a hand. Returns 1 on change. */
int yh_meeting_hand_set(yh_meeting_t *m, yh_participant_t *p, int raised);
/* The raised hands in raise order: fills up to `cap` pointers, returns how
 * many hands are up (may exceed cap). */
size_t yh_meeting_hands(const yh_meeting_t *m, const yh_participant_t **out, size_t cap);
/* A roll-call site: an admitted participant who does not moderate. */
int yh_meeting_is_site(const yh_participant_t *p);
/* The site that follows participant number `after` in joining order,
 * wrapping around; `after` 0 or gone: the first site. NULL: no site. A
 * lone site follows itself. */
yh_participant_t *yh_meeting_site_next(const yh_meeting_t *m, uint32_t after);

const char *yh_role_str(yh_role_t r);
/* 0 and the role in *out, or YH_EINVAL. */
int yh_role_parse(const char *s, yh_role_t *out);
const char *yh_publish_str(yh_publish_policy_t p);
int yh_publish_parse(const char *s, yh_publish_policy_t *out);
const char *yh_source_str(yh_source_t s);
/* 0 and the source in *out, or YH_EINVAL. */
int yh_source_parse(const char *s, yh_source_t *out);
/* Writes the current UTC time as RFC 3339 ("2024-05-01T12:00:00Z"). */
void yh_meeting_rfc3339_now(char *out, size_t cap);

#endif
