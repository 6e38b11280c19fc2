/*
 * The dispatcher and the request handlers (docs/protocol.md). Parsing and
 * field validation happened in msg.c; a handler sees a well-formed request
 * and either fills a specific reply, leaves it NULL for {"type":"ok"}, or
 * fails with a protocol error.
 */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "meeting/roles.h"
#include "signal/signal_int.h"
#include "store/store.h"

typedef int (*handler_fn)(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r,
                          json_t **reply, yh_sig_err_t *err);

int yh_sig_fail(yh_sig_err_t *err, const char *code, const char *msg)
{
    err->code = code;
    snprintf(err->message, sizeof err->message, "%s", msg);
    return YH_EINVAL;
}

#define fail yh_sig_fail

static void set_client_kind(yh_participant_t *p, const yh_sig_req_t *r)
{
    if (r->u.join.client_kind)
        snprintf(p->client_kind, sizeof p->client_kind, "%s", r->u.join.client_kind);
}

static int join_wait(yh_signal_t *s, yh_signal_conn_t *c, yh_meeting_t *m, const yh_sig_req_t *r,
                     const yh_sig_admission_t *a, json_t **reply, yh_sig_err_t *err)
{
    yh_participant_t *p = NULL;
    if (yh_meeting_waiter_add(&s->reg, m, r->u.join.name, &p) < 0)
        return fail(err, "internal", "cannot add the participant");
    p->role = a->role;
    set_client_kind(p, r);
    p->conn = c;
    c->p = p;
    c->join_id = r->id ? json_incref(r->id) : NULL;
    YH_LOGI("signal", "%s waits to enter meeting %s", p->id, m->number);
    yh_sig_broadcast_moderators(m,
                                yh_sig_event("waiting", "participant", yh_sig_participant_json(p)));
    *reply = json_pack("{s:s}", "type", "waiting");
    return 0;
}

static int h_join(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                  yh_sig_err_t *err)
{
    if (c->p)
        return fail(err, "bad-request", "already joined");
    yh_sig_admission_t a;
    yh_meeting_t *m = NULL;
    if (yh_sig_admission(s, r, &m, &a, err) < 0)
        return YH_EINVAL;
    if (yh_sig_must_wait(m, &a))
        return join_wait(s, c, m, r, &a, reply, err);
    yh_participant_t *p = NULL;
    if (yh_meeting_participant_add(&s->reg, m, r->u.join.name, &p) < 0) {
        yh_sig_meeting_done(s, m);
        return fail(err, "internal", "cannot add the participant");
    }
    p->role = a.role;
    set_client_kind(p, r);
    p->conn = c;
    c->p = p;
    YH_LOGI("signal", "%s joined meeting %s as %s", p->id, m->number, yh_role_str(p->role));
    yh_sig_broadcast_about(
        m, p, p, yh_sig_event("participant-joined", "participant", yh_sig_participant_json(p)));
    yh_sig_count_updated(s, m, p);
    /* muteOnEntry: the microphone is muted by the host from the start;
     * the client hears of it right after joined. */
    if (m->mute_on_entry && !yh_role_moderates(p->role)) {
        p->host_muted |= (uint8_t)YH_SOURCE_BIT(YH_SOURCE_MICROPHONE);
        p->tell_muted = 1;
    }
    yh_sig_log_open(s, p);
    /* The dispatcher sends the reply first, then the first subscriber
     * offer when others already publish. */
    p->sub_dirty = 1;
    *reply = yh_sig_joined_json(s, p);
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
    *reply = yh_sig_joined_json(s, p);
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
    yh_participant_t *p = c->p;
    if (!yh_role_can(p->role, p->meeting->publish, YH_PERM_PUBLISH))
        return fail(err, "forbidden", "only hosts and speakers may publish in this meeting");
    return yh_sig_media_publish(s, p, r, reply, err);
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

static int h_restart_ice(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r,
                         json_t **reply, yh_sig_err_t *err)
{
    return yh_sig_media_restart_ice(s, c->p, err);
}

/* ICE-lite: the server never needs the client's candidates. */
static int h_ignore(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                    yh_sig_err_t *err)
{
    return 0;
}

/* Adaptive stream: the receiver's wish for one track becomes the highest
 * simulcast layer it may get (layers are q, h, f: about 1/4, 1/2 and full
 * size). A size of 0 or no size leaves the layer to `quality`. Its frame
 * rate (`fps`) becomes the highest VP8 temporal layer (yh_sig_fps_max_tid). */
static int layer_for(int quality, int width, int height)
{
    int by_size = 2;
    if (width || height) {
        int big = width > height * 16 / 9 ? width * 9 / 16 : height;
        by_size = big <= 200 ? 0 : big <= 400 ? 1 : 2;
    }
    return quality < by_size ? quality : by_size;
}

static int h_subscription(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r,
                          json_t **reply, yh_sig_err_t *err)
{
    yh_participant_t *p = c->p;
    const char *id = r->u.subscription.track;
    for (size_t i = 0; i < p->n_slots; i++) {
        yh_meeting_slot_t *sl = &p->slots[i];
        char tid[16];
        snprintf(tid, sizeof tid, "t%u", (unsigned)sl->track);
        if (!sl->active || !sl->track || strcmp(tid, id) != 0)
            continue;
        if (s->sfu && sl->sub_id)
            yh_sfu_sub_set_layer(s->sfu, sl->sub_id,
                                 layer_for(r->u.subscription.quality, r->u.subscription.width,
                                           r->u.subscription.height),
                                 yh_sig_fps_max_tid(r->u.subscription.fps));
        return 0;
    }
    return fail(err, "not-found", "no such track in your subscriptions");
}

static int h_mute(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                  yh_sig_err_t *err)
{
    yh_participant_t *p = c->p;
    yh_meeting_t *m = p->meeting;
    yh_source_t src = r->u.mute.source;
    if (!r->u.mute.muted) {
        /* A host's mute holds until a moderator asks to unmute (or gives
         * the floor); moderators may lift it themselves. */
        if ((p->host_muted & YH_SOURCE_BIT(src)) &&
            !yh_role_can(p->role, m->publish, YH_PERM_SELF_UNMUTE))
            return fail(err, "forbidden", "muted by the host: wait to be asked to unmute");
        if (src == YH_SOURCE_MICROPHONE && m->rollcall.current && yh_meeting_is_site(p) &&
            yh_sig_rollcall_mutes(p))
            return fail(err, "forbidden", "a roll call is in progress: wait for your turn");
    }
    for (yh_meeting_track_t *t = p->tracks; t; t = t->next) {
        if (t->source != src)
            continue;
        t->self_muted = (uint8_t)(r->u.mute.muted != 0);
        t->by_host = 0;
    }
    yh_sig_participant_apply(s, p);
    return 0;
}

static int h_hand(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                  yh_sig_err_t *err)
{
    yh_sig_hand(s, c->p, r->u.hand.raised);
    return 0;
}

static int h_chat(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                  yh_sig_err_t *err)
{
    yh_participant_t *p = c->p;
    yh_meeting_t *m = p->meeting;
    yh_participant_t *to = NULL;
    if (!yh_role_can(p->role, m->publish, YH_PERM_CHAT))
        return fail(err, "forbidden", "you may not chat in this meeting");
    if (r->u.chat.to && !(to = yh_meeting_participant_find(m, r->u.chat.to)))
        return fail(err, "bad-request", "field 'to' names no participant of this meeting");
    if (to && to != p && !yh_role_moderates(to->role) &&
        !yh_role_can(p->role, m->publish, YH_PERM_CHAT_PRIVATE_ANY))
        return fail(err, "forbidden", "attendees may chat privately to hosts only");
    char at[32];
    yh_meeting_rfc3339_now(at, sizeof at);
    /* `name` lets those who do not see the sender's entry (attendees of
     * a "speakers" meeting) show who wrote. */
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "type", "chat", "from", p->id, "name", p->name,
                  "to", to ? json_string(to->id) : json_null(), "text", r->u.chat.text, "at", at);
    if (!to) {
        yh_sig_broadcast(m, NULL, ev);
    } else {
        if (to != p)
            yh_sig_send_to(to, json_incref(ev));
        yh_sig_send(c, ev);
    }
    return 0;
}

static int h_moderate(yh_signal_t *s, yh_signal_conn_t *c, const yh_sig_req_t *r, json_t **reply,
                      yh_sig_err_t *err)
{
    return yh_sig_moderate(s, c->p, r, err);
}

/* What a request needs: nothing, a participant (admitted or waiting), or
 * an admitted participant. */
enum { ANY = 0, JOINED_OR_WAITING, ADMITTED };

/* The dispatch table, indexed by message type (msg.h). */
static const struct {
    handler_fn fn;
    int needs;
} handlers[YH_SIG__COUNT] = {
    [YH_SIG_JOIN] = {h_join, ANY},
    [YH_SIG_RESUME] = {h_resume, ANY},
    [YH_SIG_PUBLISH] = {h_publish, ADMITTED},
    [YH_SIG_UNPUBLISH] = {h_unpublish, ADMITTED},
    [YH_SIG_ANSWER] = {h_answer, ADMITTED},
    [YH_SIG_CANDIDATE] = {h_ignore, ANY},
    [YH_SIG_SUBSCRIPTION] = {h_subscription, ADMITTED},
    [YH_SIG_MUTE] = {h_mute, ADMITTED},
    [YH_SIG_HAND] = {h_hand, ADMITTED},
    [YH_SIG_CHAT] = {h_chat, ADMITTED},
    [YH_SIG_LEAVE] = {h_leave, JOINED_OR_WAITING},
    [YH_SIG_MODERATE] = {h_moderate, ADMITTED},
    [YH_SIG_RESTART_ICE] = {h_restart_ice, ADMITTED},
};

void yh_sig_meeting_done(yh_signal_t *s, yh_meeting_t *m)
{
    if (!m)
        return;
    /* An open-mode meeting nobody runs any more: whoever waits longest
     * comes in and runs it, as the first join would. */
    if (m->n_participants == 0 && m->wait_head && !m->from_store) {
        m->wait_head->role = YH_ROLE_HOST;
        yh_sig_admit(s, m->wait_head);
    }
    if (m->n_participants == 0 && m->n_waiting == 0) {
        YH_LOGI("signal", "meeting %s closed", m->number);
        yh_sig_store_status(s, m, YH_STORE_SCHEDULED); /* an ended one stays ended */
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
    if (handlers[r.type].needs != ANY && !c->p) {
        yh_sig_send_error(c, r.id, "bad-request", "join first");
        yh_sig_req_free(&r);
        return;
    }
    if (handlers[r.type].needs == ADMITTED && c->p->waiting) {
        yh_sig_send_error(c, r.id, "bad-request", "waiting to be admitted");
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
        if (c->p && c->p->tell_muted) {
            c->p->tell_muted = 0;
            yh_sig_send(c, json_pack("{s:s, s:s, s:b}", "type", "mute-request", "source",
                                     "microphone", "muted", 1));
        }
    }
    yh_meeting_t *after = c->p ? c->p->meeting : NULL;
    if (after && after != before)
        yh_sig_meeting_done(s, after);
    yh_sig_meeting_done(s, before);
    yh_sig_req_free(&r);
}
