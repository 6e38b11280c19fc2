/* The permission table (roles.h). */
#include "meeting/roles.h"

#define P(x) (1u << YH_PERM_##x)

/* What every role may do whatever the policy. */
#define MODERATION                                                                                 \
    (P(MOD_MUTE) | P(MOD_REMOVE) | P(MOD_ADMIT) | P(MOD_SET_ROLE) | P(MOD_SPOTLIGHT) |             \
     P(MOD_LOCK) | P(MOD_ROLL_CALL) | P(MOD_GIVE_FLOOR) | P(MOD_SETTINGS))
#define MODERATOR                                                                                  \
    (P(PUBLISH) | P(SEE_ALL) | P(CHAT) | P(CHAT_PRIVATE_ANY) | P(SELF_UNMUTE) | P(SKIP_WAITING) |  \
     P(SKIP_LOCK) | P(SEE_QUEUE) | MODERATION)

/*
 * Rows: roles; columns: MEETING.publish "everyone", "speakers".
 * - Only the host ends the meeting for all and hands the host role over
 *   (Zoom's rule: a cohost cannot end the meeting or make a host).
 * - Speakers and hosts skip a lock only when they come with a signed
 *   token: the lock keeps out the unannounced, not the invited.
 * - Attendees may always chat privately, but only to moderators.
 */
static const unsigned table[4][2] = {
    [YH_ROLE_HOST] = {MODERATOR | P(MOD_END) | P(MOD_MAKE_HOST),
                      MODERATOR | P(MOD_END) | P(MOD_MAKE_HOST)},
    [YH_ROLE_COHOST] = {MODERATOR, MODERATOR},
    [YH_ROLE_SPEAKER] = {P(PUBLISH) | P(SEE_ALL) | P(CHAT) | P(CHAT_PRIVATE_ANY) | P(SKIP_LOCK),
                         P(PUBLISH) | P(SEE_ALL) | P(CHAT) | P(CHAT_PRIVATE_ANY) | P(SKIP_LOCK)},
    [YH_ROLE_ATTENDEE] = {P(PUBLISH) | P(SEE_ALL) | P(CHAT), P(CHAT)},
};

int yh_role_can(yh_role_t role, yh_publish_policy_t policy, yh_perm_t perm)
{
    if ((unsigned)role > YH_ROLE_ATTENDEE || (unsigned)perm >= YH_PERM__COUNT)
        return 0;
    unsigned col = policy == YH_PUBLISH_SPEAKERS ? 1 : 0;
    return (table[role][col] >> perm) & 1u;
}

int yh_role_moderates(yh_role_t role)
{
    return role == YH_ROLE_HOST || role == YH_ROLE_COHOST;
}

int yh_role_may_target(yh_role_t actor, yh_role_t target, yh_perm_t perm)
{
    if (actor == YH_ROLE_HOST || target != YH_ROLE_HOST)
        return 1;
    return perm != YH_PERM_MOD_REMOVE && perm != YH_PERM_MOD_MUTE && perm != YH_PERM_MOD_SET_ROLE;
}

int yh_role_sees(yh_role_t viewer, yh_role_t subject, yh_publish_policy_t policy)
{
    return subject != YH_ROLE_ATTENDEE || yh_role_can(viewer, policy, YH_PERM_SEE_ALL);
}

const char *yh_perm_str(yh_perm_t perm)
{
    static const char *const names[YH_PERM__COUNT] = {
        "publish",   "see-all",   "chat", "chat-private-any", "self-unmute", "skip-waiting",
        "skip-lock", "see-queue", "mute", "remove",           "admit",       "set-role",
        "spotlight", "lock",      "end",  "roll-call",        "give-floor",  "settings",
        "make-host",
    };
    return (unsigned)perm < YH_PERM__COUNT ? names[perm] : "?";
}
