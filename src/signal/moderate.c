/*
 * moderate {action, participant?, ...}: the hosts' and cohosts' controls
 * (docs/protocol.md "Moderation"). A table maps each action to the
 * permission it needs (meeting/roles.h), where its target is looked for,
 * and its handler. Checks run in a fixed order, so that an attendee learns
 * nothing about the meeting from a refused action: the permission first
 * (forbidden), then the target (bad-request), then the rule on the target
 * (forbidden).
 */
#include <stdio.h>

#include "base/clock.h"
#include "base/log.h"
#include "meeting/roles.h"
#include "signal/signal_int.h"

#define fail yh_sig_fail

/* Where the action's target is: none, an admitted participant, a
 * waiting one. */
enum { NONE = 0, ADMITTED, WAITING };

typedef int (*action_fn)(yh_signal_t *s, yh_participant_t *by, yh_participant_t *target,
                         const yh_sig_req_t *r, yh_sig_err_t *err);

static int a_mute(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t, const yh_sig_req_t *r,
                  yh_sig_err_t *err)
{
    yh_sig_host_mute(s, t, r->u.moderate.source);
    return 0;
}

/* Everyone but the moderators: microphones off, locked. */
static int a_mute_all(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t,
                      const yh_sig_req_t *r, yh_sig_err_t *err)
{
    for (yh_participant_t *p = by->meeting->head; p; p = p->next)
        if (!yh_role_moderates(p->role))
            yh_sig_host_mute(s, p, YH_SOURCE_MICROPHONE);
    return 0;
}

/* Unlocks a host mute and asks the client to unmute; it decides. */
static int a_ask_unmute(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t,
                        const yh_sig_req_t *r, yh_sig_err_t *err)
{
    yh_source_t src = r->u.moderate.source;
    t->host_muted &= (uint8_t)~YH_SOURCE_BIT(src);
    yh_sig_send_to(t, json_pack("{s:s, s:s, s:b}", "type", "mute-request", "source",
                                yh_source_str(src), "muted", 0));
    return 0;
}

static int a_remove(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t,
                    const yh_sig_req_t *r, yh_sig_err_t *err)
{
    yh_signal_conn_t *c = yh_sig_conn_of(t);
    yh_sig_send_close(c, json_pack("{s:s, s:s}", "type", "removed", "reason", "removed by a host"),
                      1000, "removed");
    yh_sig_participant_remove(s, t, "removed");
    return 0;
}

static int a_admit(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t, const yh_sig_req_t *r,
                   yh_sig_err_t *err)
{
    yh_sig_admit(s, t);
    return 0;
}

static int a_deny(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t, const yh_sig_req_t *r,
                  yh_sig_err_t *err)
{
    yh_signal_conn_t *c = yh_sig_conn_of(t);
    if (c) {
        /* The answer to the join that waited, with its id. */
        yh_sig_send_error(c, c->join_id, "denied", "a host did not let you in");
        json_decref(c->join_id);
        c->join_id = NULL;
    }
    yh_sig_participant_remove(s, t, "denied");
    return 0;
}

static int a_set_role(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t,
                      const yh_sig_req_t *r, yh_sig_err_t *err)
{
    yh_role_t role = r->u.moderate.role;
    yh_meeting_t *m = by->meeting;
    if (role == YH_ROLE_HOST && !yh_role_can(by->role, m->publish, YH_PERM_MOD_MAKE_HOST))
        return fail(err, "forbidden", "only the host may hand over the host role");
    yh_sig_set_role(s, t, role);
    /* Making another host hands the role over: the old host stays on as
     * a cohost. */
    if (role == YH_ROLE_HOST)
        yh_sig_set_role(s, by, YH_ROLE_COHOST);
    return 0;
}

static int a_spotlight(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t,
                       const yh_sig_req_t *r, yh_sig_err_t *err)
{
    uint32_t num = t ? t->num : 0;
    if (by->meeting->spotlight != num) {
        by->meeting->spotlight = num;
        yh_sig_media_priorities(s, by->meeting);
        yh_sig_meeting_updated(by->meeting);
    }
    return 0;
}

static int a_lock(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t, const yh_sig_req_t *r,
                  yh_sig_err_t *err)
{
    uint8_t locked = r->u.moderate.action == YH_MOD_LOCK;
    if (by->meeting->locked != locked) {
        by->meeting->locked = locked;
        yh_sig_meeting_updated(by->meeting);
    }
    return 0;
}

static int a_end(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t, const yh_sig_req_t *r,
                 yh_sig_err_t *err)
{
    yh_sig_meeting_end(s, by->meeting);
    return 0;
}

static int a_roll_call(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t,
                       const yh_sig_req_t *r, yh_sig_err_t *err)
{
    yh_meeting_t *m = by->meeting;
    uint64_t now = yh_now_us();
    switch (r->u.moderate.action) {
    case YH_MOD_ROLL_CALL_START:
        if (m->rollcall.current)
            return fail(err, "bad-request", "a roll call is already running");
        if (yh_sig_rollcall_start(s, by, r->u.moderate.interval, now) < 0)
            return fail(err, "bad-request", "no site to call: everyone here moderates");
        return 0;
    case YH_MOD_ROLL_CALL_NEXT:
        if (!m->rollcall.current)
            return fail(err, "bad-request", "no roll call is running");
        yh_sig_rollcall_next(s, m, now);
        return 0;
    default:
        yh_sig_rollcall_stop(s, m);
        return 0;
    }
}

static int a_give_floor(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t,
                        const yh_sig_req_t *r, yh_sig_err_t *err)
{
    yh_sig_give_floor(s, t, r->u.moderate.exclusive);
    return 0;
}

static int a_settings(yh_signal_t *s, yh_participant_t *by, yh_participant_t *t,
                      const yh_sig_req_t *r, yh_sig_err_t *err)
{
    yh_meeting_t *m = by->meeting;
    if (r->u.moderate.mute_on_entry >= 0)
        m->mute_on_entry = (uint8_t)r->u.moderate.mute_on_entry;
    if (r->u.moderate.waiting_room >= 0)
        m->waiting_room = (uint8_t)r->u.moderate.waiting_room;
    yh_publish_policy_t old = m->publish;
    if (r->u.moderate.publish >= 0)
        m->publish = (yh_publish_policy_t)r->u.moderate.publish;
    if (old != m->publish)
        yh_sig_policy_changed(s, m, old);
    yh_sig_meeting_updated(m);
    /* Turning the waiting room off lets everyone waiting in. */
    while (!m->waiting_room && m->wait_head)
        yh_sig_admit(s, m->wait_head);
    return 0;
}

static const struct {
    yh_perm_t perm;
    int target;   /* NONE, ADMITTED, WAITING */
    int not_self; /* the target may not be the moderator itself */
    action_fn fn;
} actions[YH_MOD__COUNT] = {
    [YH_MOD_MUTE] = {YH_PERM_MOD_MUTE, ADMITTED, 0, a_mute},
    [YH_MOD_MUTE_ALL] = {YH_PERM_MOD_MUTE, NONE, 0, a_mute_all},
    [YH_MOD_ASK_UNMUTE] = {YH_PERM_MOD_MUTE, ADMITTED, 0, a_ask_unmute},
    [YH_MOD_REMOVE] = {YH_PERM_MOD_REMOVE, ADMITTED, 1, a_remove},
    [YH_MOD_ADMIT] = {YH_PERM_MOD_ADMIT, WAITING, 0, a_admit},
    [YH_MOD_DENY] = {YH_PERM_MOD_ADMIT, WAITING, 0, a_deny},
    [YH_MOD_SET_ROLE] = {YH_PERM_MOD_SET_ROLE, ADMITTED, 1, a_set_role},
    [YH_MOD_SPOTLIGHT] = {YH_PERM_MOD_SPOTLIGHT, ADMITTED, 0, a_spotlight},
    [YH_MOD_LOCK] = {YH_PERM_MOD_LOCK, NONE, 0, a_lock},
    [YH_MOD_UNLOCK] = {YH_PERM_MOD_LOCK, NONE, 0, a_lock},
    [YH_MOD_END] = {YH_PERM_MOD_END, NONE, 0, a_end},
    [YH_MOD_ROLL_CALL_START] = {YH_PERM_MOD_ROLL_CALL, NONE, 0, a_roll_call},
    [YH_MOD_ROLL_CALL_STOP] = {YH_PERM_MOD_ROLL_CALL, NONE, 0, a_roll_call},
    [YH_MOD_ROLL_CALL_NEXT] = {YH_PERM_MOD_ROLL_CALL, NONE, 0, a_roll_call},
    [YH_MOD_GIVE_FLOOR] = {YH_PERM_MOD_GIVE_FLOOR, ADMITTED, 0, a_give_floor},
    [YH_MOD_SETTINGS] = {YH_PERM_MOD_SETTINGS, NONE, 0, a_settings},
};

int yh_sig_moderate(yh_signal_t *s, yh_participant_t *p, const yh_sig_req_t *r, yh_sig_err_t *err)
{
    yh_mod_action_t a = r->u.moderate.action;
    yh_meeting_t *m = p->meeting;
    char msg[YH_SIG_ERR_MAX];
    if (!yh_role_can(p->role, m->publish, actions[a].perm)) {
        snprintf(msg, sizeof msg, "'%s' is for %s", yh_sig_action_name(a),
                 a == YH_MOD_END ? "the host" : "hosts and cohosts");
        return fail(err, "forbidden", msg);
    }
    yh_participant_t *t = NULL;
    const char *id = r->u.moderate.participant;
    if (actions[a].target != NONE && id) {
        t = actions[a].target == WAITING ? yh_meeting_waiter_find(m, id)
                                         : yh_meeting_participant_find(m, id);
        if (!t)
            return fail(err, "bad-request",
                        actions[a].target == WAITING
                            ? "field 'participant' names nobody in the waiting room"
                            : "field 'participant' names no participant of this meeting");
    }
    if (t && actions[a].not_self && t == p)
        return fail(err, "bad-request", "not on yourself");
    if (t && actions[a].target == ADMITTED &&
        !yh_role_may_target(p->role, t->role, actions[a].perm))
        return fail(err, "forbidden", "a cohost may not do that to the host");
    YH_LOGI("signal", "%s: moderate %s%s%s", p->id, yh_sig_action_name(a), t ? " " : "",
            t ? t->id : "");
    return actions[a].fn(s, p, t, r, err);
}
