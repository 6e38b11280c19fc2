/*
 * The dispatcher and the request handlers (docs/protocol.md). Parsing and
 * field validation happened in msg.c; a handler sees a well-formed request
 * and either fills a specific reply, leaves it NULL for {"type":"ok"}, or
 * fails with a protocol error.
 */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "signal/signal_int.h"

typedef int (*handler_fn)(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r,
                          json_t **reply, yh_sig_err_t *err);

static int fail(yh_sig_err_t *err, const char *code, const char *msg)
{
    err->code = code;
    snprintf(err->message, sizeof err->message, "%s", msg);
    return YH_EINVAL;
}

static json_t *joined_json(const yh_participant_t *p)
{
    const yh_meeting_t *m = p->meeting;
    json_t *participants = json_array();
    json_t *tracks = json_array();
    for (const yh_participant_t *q = m->head; q; q = q->next) {
        json_array_append_new(participants, yh_sig_participant_json(q));
        if (q == p)
            continue;
        for (const yh_meeting_track_t *t = q->tracks; t; t = t->next)
            json_array_append_new(tracks, yh_sig_track_json(t));
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:[], s:s}", "type", "joined", "self",
                     yh_sig_participant_json(p), "meeting", yh_sig_meeting_json(m), "participants",
                     participants, "tracks", tracks, "iceServers", "resumeToken", p->resume_token);
}

static int h_join(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                  yh_sig_err_t *err)
{
    if (c->p)
        return fail(err, "bad-request", "already joined");
    yh_meeting_t *m = yh_meeting_find(&s->reg, r->u.join.meeting);
    if (m && s->max_participants > 0 && m->n_participants >= (size_t)s->max_participants)
        return fail(err, "full", "the meeting is full");
    /* Open mode: the first join opens the meeting. */
    if (!m && yh_meeting_open(&s->reg, r->u.join.meeting, &m) < 0)
        return fail(err, "internal", "cannot open the meeting");
    yh_participant_t *p = NULL;
    if (yh_meeting_participant_add(&s->reg, m, r->u.join.name, &p) < 0) {
        if (m->n_participants == 0)
            yh_meeting_close(&s->reg, m);
        return fail(err, "internal", "cannot add the participant");
    }
    p->conn = c;
    c->p = p;
    YH_LOGI("signal", "%s joined meeting %s as %s", p->id, m->number, yh_role_str(p->role));
    yh_sig_broadcast(m, p,
                     yh_sig_event("participant-joined", "participant", yh_sig_participant_json(p)));
    /* The dispatcher sends the reply first, then the first subscriber
     * offer when others already publish. */
    p->sub_dirty = 1;
    *reply = joined_json(p);
    return 0;
}

static int h_resume(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                    yh_sig_err_t *err)
{
    if (c->p)
        return fail(err, "bad-request", "already joined");
    yh_participant_t *p = yh_meetings_find_token(&s->reg, r->u.resume.token);
    if (!p)
        return fail(err, "not-found", "unknown or expired resume token");
    yh_signal_conn_t *old = yh_sig_conn_of(p);
    if (old && old != c) {
        /* The client lost the old connection before the server noticed. */
        old->p = NULL;
        if (!old->closing && !old->dead) {
            old->closing = 1;
            old->ops.close(old->ctx, 1000, "resumed on another connection");
        }
    }
    p->conn = c;
    c->p = p;
    p->away_since_us = 0;
    /* An offer sent to the lost connection may never have arrived: write
     * the next one afresh, even if nothing changed. */
    if (p->offer_outstanding) {
        p->offer_outstanding = 0;
        for (size_t i = 0; i < p->n_slots; i++)
            p->slots[i].offered = 0;
    }
    p->sub_dirty = 1;
    YH_LOGI("signal", "%s resumed", p->id);
    *reply = joined_json(p);
    return 0;
}

static int h_leave(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                   yh_sig_err_t *err)
{
    yh_sig_participant_remove(s, c->p, "left");
    return 0;
}

static int h_publish(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                     yh_sig_err_t *err)
{
    return yh_sig_media_publish(s, c->p, r, reply, err);
}

static int h_unpublish(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                       yh_sig_err_t *err)
{
    return yh_sig_media_unpublish(s, c->p, r->u.unpublish.mid, err);
}

static int h_answer(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                    yh_sig_err_t *err)
{
    return yh_sig_media_answer(s, c->p, r, err);
}

/* ICE-lite: the server never needs the client's candidates. */
static int h_ignore(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                    yh_sig_err_t *err)
{
    return 0;
}

static int h_mute(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                  yh_sig_err_t *err)
{
    yh_participant_t *p = c->p;
    for (yh_meeting_track_t *t = p->tracks; t; t = t->next) {
        if (t->source != r->u.mute.source || t->muted == (r->u.mute.muted != 0))
            continue;
        int rc = yh_sig_media_set_muted(s, t, r->u.mute.muted);
        if (rc < 0)
            YH_LOGW("signal", "%s: mute %s: %s", p->id, t->id, yh_strerror(rc));
        yh_sig_broadcast(p->meeting, NULL,
                         yh_sig_event("track-updated", "track", yh_sig_track_json(t)));
    }
    yh_sig_refresh_flags(p);
    return 0;
}

static int h_hand(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                  yh_sig_err_t *err)
{
    yh_participant_t *p = c->p;
    p->hand = (uint8_t)(r->u.hand.raised != 0);
    yh_sig_broadcast(
        p->meeting, NULL,
        yh_sig_event("participant-updated", "participant", yh_sig_participant_json(p)));
    return 0;
}

static int h_chat(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                  yh_sig_err_t *err)
{
    yh_participant_t *p = c->p;
    yh_participant_t *to = NULL;
    if (r->u.chat.to && !(to = yh_meeting_participant_find(p->meeting, r->u.chat.to)))
        return fail(err, "bad-request", "field 'to' names no participant of this meeting");
    char at[32];
    yh_meeting_rfc3339_now(at, sizeof at);
    json_t *ev =
        json_pack("{s:s, s:s, s:o, s:s, s:s}", "type", "chat", "from", p->id, "to",
                  to ? json_string(to->id) : json_null(), "text", r->u.chat.text, "at", at);
    if (!to) {
        yh_sig_broadcast(p->meeting, NULL, ev);
    } else {
        if (to != p && to->conn)
            yh_sig_send(yh_sig_conn_of(to), json_incref(ev));
        yh_sig_send(c, ev);
    }
    return 0;
}

static int h_todo(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                  yh_sig_err_t *err)
{
    return fail(err, "bad-request", "not implemented yet");
}

/* The dispatch table, indexed by message type (msg.h). */
static const struct {
    handler_fn fn;
    int needs_join;
} handlers[YH_SIG__COUNT] = {
    [YH_SIG_JOIN] = {h_join, 0},           [YH_SIG_RESUME] = {h_resume, 0},
    [YH_SIG_PUBLISH] = {h_publish, 1},     [YH_SIG_UNPUBLISH] = {h_unpublish, 1},
    [YH_SIG_ANSWER] = {h_answer, 1},       [YH_SIG_CANDIDATE] = {h_ignore, 0},
    [YH_SIG_SUBSCRIPTION] = {h_ignore, 1}, [YH_SIG_MUTE] = {h_mute, 1},
    [YH_SIG_HAND] = {h_hand, 1},           [YH_SIG_CHAT] = {h_chat, 1},
    [YH_SIG_LEAVE] = {h_leave, 1},         [YH_SIG_MODERATE] = {h_todo, 1},
};

void yh_sig_meeting_done(yh_signal_t *s, yh_meeting_t *m)
{
    if (!m)
        return;
    if (m->n_participants == 0) {
        YH_LOGI("signal", "meeting %s closed", m->number);
        yh_meeting_close(&s->reg, m);
        return;
    }
    yh_sig_media_flush(s, m);
}

void yh_sig_dispatch(yh_signal_t *s, yh_signal_conn_t *c, const char *text, size_t len)
{
    yh_sig_req_t r;
    yh_sig_err_t e;
    if (yh_sig_req_parse(text, len, &r, &e) < 0) {
        yh_sig_send_error(c, r.id, e.code, e.message);
        if (e.fatal && !c->closing && !c->dead) {
            c->closing = 1;
            c->ops.close(c->ctx, e.close_code, "malformed message");
        }
        yh_sig_req_free(&r);
        return;
    }
    if (handlers[r.type].needs_join && !c->p) {
        yh_sig_send_error(c, r.id, "bad-request", "join first");
        yh_sig_req_free(&r);
        return;
    }
    yh_meeting_t *before = c->p ? c->p->meeting : NULL;
    json_t *reply = NULL;
    memset(&e, 0, sizeof e);
    if (handlers[r.type].fn(s, c, &r, &reply, &e) < 0) {
        yh_sig_send_error(c, r.id, e.code ? e.code : "bad-request", e.message);
    } else {
        if (!reply && r.id)
            reply = json_pack("{s:s}", "type", "ok");
        if (reply && r.id)
            json_object_set(reply, "id", r.id);
        yh_sig_send(c, reply);
    }
    yh_meeting_t *after = c->p ? c->p->meeting : NULL;
    if (after && after != before)
        yh_sig_meeting_done(s, after);
    yh_sig_meeting_done(s, before);
    yh_sig_req_free(&r);
}
