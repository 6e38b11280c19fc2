/*
 * Who may enter a meeting, and as what (PROTOCOL.md "Joining"): the
 * stored meeting (not-found, ended, passcode, settings), the signed join
 * token (role host, cohost or speaker; unauthorized when it does not
 * verify), the lock, the size limit, the waiting room. Also the store's
 * side of a meeting's life: status live / scheduled / ended and the
 * participation log.
 *
 * Without a store every number is an ad-hoc meeting opened by its first
 * join (open mode); with one, stored meetings come with their settings
 * and unknown numbers are opened ad hoc only when the configuration
 * allows it.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "base/log.h"
#include "meeting/roles.h"
#include "signal/signal_int.h"
#include "store/store.h"

#define fail yh_sig_fail

/* The role a join token grants, after checking it names this meeting. */
static int token_role(yh_signal_t *s, const char *token, const char *number, yh_sig_admission_t *a,
                      yh_sig_err_t *err)
{
    char meeting[YH_AUTH_SUBJECT_MAX + 1], role[YH_AUTH_ROLE_MAX + 1];
    if (!s->secret)
        return fail(err, "unauthorized", "this server does not accept tokens");
    int rc = yh_auth_token_verify(s->secret, token, meeting, role);
    if (rc == YH_ERANGE)
        return fail(err, "unauthorized", "the token has expired");
    if (rc < 0 || strcmp(meeting, number) != 0 || yh_role_parse(role, &a->role) < 0)
        return fail(err, "unauthorized", "the token is not valid for this meeting");
    a->has_role = 1;
    return 0;
}

static void apply_settings(yh_meeting_t *m, const yh_store_meeting_t *sm)
{
    snprintf(m->title, sizeof m->title, "%s", sm->title);
    m->waiting_room = (uint8_t)(sm->settings.waiting_room != 0);
    m->mute_on_entry = (uint8_t)(sm->settings.mute_on_entry != 0);
    m->publish = sm->settings.publish == YH_STORE_PUBLISH_SPEAKERS ? YH_PUBLISH_SPEAKERS
                                                                   : YH_PUBLISH_EVERYONE;
    m->max_participants = sm->settings.max_participants > 0 ? sm->settings.max_participants : 0;
    m->from_store = (uint8_t)!sm->adhoc;
}

/* The stored meeting behind a join: 0 with *found 1 (and *sm filled) or 0
 * (an ad-hoc number), or an error for the client. */
static int store_lookup(yh_signal_t *s, const yh_sig_req_t *r, yh_store_meeting_t *sm, int *found,
                        yh_sig_err_t *err)
{
    const char *number = r->u.join.meeting;
    *found = 0;
    int rc = yh_store_meeting_get(s->store, number, sm);
    if (rc == YH_ENOTFOUND) {
        if (s->no_adhoc)
            return fail(err, "not-found", "no meeting has this number");
        /* Recorded so that the participation log and usage name it. */
        if (yh_store_meeting_ensure_adhoc(s->store, number, NULL) < 0 ||
            yh_store_meeting_get(s->store, number, sm) < 0)
            return fail(err, "internal", "the meeting store failed");
    } else if (rc < 0) {
        return fail(err, "internal", "the meeting store failed");
    }
    *found = 1;
    if (sm->status == YH_STORE_ENDED)
        return fail(err, "ended", "the meeting has ended");
    return 0;
}

static int check_entry(yh_signal_t *s, const yh_meeting_t *m, const yh_sig_admission_t *a,
                       yh_sig_err_t *err)
{
    if (m->locked && !(a->has_role && yh_role_can(a->role, m->publish, YH_PERM_SKIP_LOCK)))
        return fail(err, "locked", "the meeting is locked");
    size_t max = m->max_participants > 0 ? (size_t)m->max_participants : 0;
    if (s->max_participants > 0 && (max == 0 || (size_t)s->max_participants < max))
        max = (size_t)s->max_participants;
    if (max > 0 && m->n_participants + m->n_waiting >= max)
        return fail(err, "full", "the meeting is full");
    return 0;
}

int yh_sig_admission(yh_signal_t *s, const yh_sig_req_t *r, yh_meeting_t **out,
                     yh_sig_admission_t *a, yh_sig_err_t *err)
{
    const char *number = r->u.join.meeting;
    memset(a, 0, sizeof *a);
    a->role = YH_ROLE_ATTENDEE;
    yh_store_meeting_t sm;
    int found = 0;
    if (s->store && store_lookup(s, r, &sm, &found, err) < 0)
        return YH_EINVAL;
    if (!s->store && s->no_adhoc)
        return fail(err, "not-found", "no meeting has this number");
    if (r->u.join.token && r->u.join.token[0] && token_role(s, r->u.join.token, number, a, err) < 0)
        return YH_EINVAL;
    /* A signed link is an invitation: it stands in for the passcode. */
    if (found && !a->has_role && yh_store_meeting_check_passcode(&sm, r->u.join.passcode) < 0)
        return fail(err, "bad-passcode", "wrong passcode");
    yh_meeting_t *m = yh_meeting_find(&s->reg, number);
    if (!m) {
        if (yh_meeting_open(&s->reg, number, &m) < 0)
            return fail(err, "internal", "cannot open the meeting");
        if (found)
            apply_settings(m, &sm);
        yh_sig_store_status(s, m, YH_STORE_LIVE);
    }
    if (check_entry(s, m, a, err) < 0) {
        yh_sig_meeting_done(s, m); /* closes a meeting opened for nothing */
        return YH_EINVAL;
    }
    /* Ad hoc: the first one in runs the meeting. */
    if (!a->has_role && m->n_participants == 0 && !m->from_store)
        a->role = YH_ROLE_HOST;
    *out = m;
    return 0;
}

int yh_sig_must_wait(const yh_meeting_t *m, const yh_sig_admission_t *a)
{
    if (!m->waiting_room || yh_role_can(a->role, m->publish, YH_PERM_SKIP_WAITING))
        return 0;
    /* An ad-hoc meeting nobody runs yet is entered at once (the first one
     * in runs it); a stored one waits for its host. */
    return m->n_participants > 0 || m->from_store;
}

void yh_sig_store_status(yh_signal_t *s, yh_meeting_t *m, int status)
{
    if (!s->store)
        return;
    int rc = yh_store_meeting_set_status(s->store, m->number, (yh_store_status_t)status);
    /* An ended meeting stays ended; an unknown one was never stored. */
    if (rc < 0 && rc != YH_ESTATE && rc != YH_ENOTFOUND)
        YH_LOGW("signal", "meeting %s: store status: %s", m->number, yh_strerror(rc));
}

void yh_sig_log_open(yh_signal_t *s, yh_participant_t *p)
{
    if (!s->store || p->log_row)
        return;
    yh_store_participation_t row = {
        .meeting = p->meeting->number,
        .participant = p->id,
        .name = p->name,
        .role = yh_role_str(p->role),
        .client = p->client_kind,
        .join_ms = yh_store_now_ms(),
    };
    int rc = yh_store_participation_open(s->store, &row, &p->log_row);
    if (rc < 0) {
        p->log_row = 0;
        YH_LOGW("signal", "%s: participation log: %s", p->id, yh_strerror(rc));
    }
}

void yh_sig_log_close(yh_signal_t *s, yh_participant_t *p)
{
    if (!s->store || !p->log_row)
        return;
    int rc = yh_store_participation_close(s->store, p->log_row, yh_store_now_ms());
    if (rc < 0)
        YH_LOGW("signal", "%s: participation log: %s", p->id, yh_strerror(rc));
    p->log_row = 0;
}
