/*
 * Who may do what: the one permission table of the meeting system. Every
 * check in the signaling layer asks yh_role_can(); nothing else compares
 * roles to decide a permission.
 *
 * The table has one row per role and one column per publish policy
 * (MEETING.publish): under "speakers" attendees lose publishing and the
 * view of other attendees (they see hosts, cohosts and speakers, and a
 * participant count).
 */
#ifndef YH_MEETING_ROLES_H
#define YH_MEETING_ROLES_H

#include "meeting/meeting.h"

typedef enum yh_perm {
    YH_PERM_PUBLISH = 0,      /* send media */
    YH_PERM_SEE_ALL,          /* see every participant entry, not a count */
    YH_PERM_CHAT,             /* chat to everyone */
    YH_PERM_CHAT_PRIVATE_ANY, /* private chat to anyone (else moderators only) */
    YH_PERM_SELF_UNMUTE,      /* lift a moderator's mute on oneself */
    YH_PERM_SKIP_WAITING,     /* enter past the waiting room */
    YH_PERM_SKIP_LOCK,        /* enter a locked meeting (with a token) */
    YH_PERM_SEE_QUEUE,        /* the hand queue and the waiting room */
    /* Moderation (moderate {action}). */
    YH_PERM_MOD_MUTE, /* mute, mute-all, ask-unmute */
    YH_PERM_MOD_REMOVE,
    YH_PERM_MOD_ADMIT, /* admit, deny */
    YH_PERM_MOD_SET_ROLE,
    YH_PERM_MOD_SPOTLIGHT,
    YH_PERM_MOD_LOCK, /* lock, unlock */
    YH_PERM_MOD_END,
    YH_PERM_MOD_ROLL_CALL,
    YH_PERM_MOD_GIVE_FLOOR,
    YH_PERM_MOD_SETTINGS,  /* waitingRoom, muteOnEntry, publish */
    YH_PERM_MOD_MAKE_HOST, /* set-role host (hands the host role over) */
    YH_PERM__COUNT
} yh_perm_t;

/* 1 when `role` has `perm` in a meeting with publish policy `policy`. */
int yh_role_can(yh_role_t role, yh_publish_policy_t policy, yh_perm_t perm);
/* 1 for hosts and cohosts. */
int yh_role_moderates(yh_role_t role);
/* 1 when an `actor` may apply a moderation `perm` to a `target`: a cohost
 * may not remove, mute or change the role of a host. (The actor's own
 * yh_role_can() is checked separately.) */
int yh_role_may_target(yh_role_t actor, yh_role_t target, yh_perm_t perm);
/* 1 when `viewer` sees `subject`'s participant entry under `policy`. */
int yh_role_sees(yh_role_t viewer, yh_role_t subject, yh_publish_policy_t policy);
/* The protocol name of a permission (tests, logs). */
const char *yh_perm_str(yh_perm_t perm);

#endif
