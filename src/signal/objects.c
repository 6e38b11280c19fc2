/* The protocol's objects (PARTICIPANT, MEETING, TRACK) and sending. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "meeting/roles.h"
#include "signal/signal_int.h"

json_t *yh_sig_participant_json(const yh_participant_t *p)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s}", "id", p->id, "name", p->name, "role",
                     yh_role_str(p->role), "hand", p->hand, "audioMuted", p->audio_muted,
                     "videoMuted", p->video_muted, "joinedAt", p->joined_at);
}

static json_t *pid_or_null(uint32_t num)
{
    if (!num)
        return json_null();
    char id[16];
    snprintf(id, sizeof id, "p%u", (unsigned)num);
    return json_string(id);
}

/* The hand queue a moderator sees: ids in raise order. */
#define HANDS_MAX 256

static json_t *hands_json(const yh_meeting_t *m)
{
    const yh_participant_t *hands[HANDS_MAX];
    size_t n = yh_meeting_hands(m, hands, HANDS_MAX);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n && i < HANDS_MAX; i++)
        json_array_append_new(arr, json_string(hands[i]->id));
    return arr;
}

json_t *yh_sig_meeting_json(const yh_meeting_t *m, const yh_participant_t *viewer)
{
    json_t *rc = json_null();
    if (m->rollcall.current)
        rc = json_pack("{s:i, s:o}", "interval", (int)m->rollcall.interval_s, "current",
                       pid_or_null(m->rollcall.current));
    json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:s, s:b, s:o, s:o, s:I}", "number", m->number,
                          "title", m->title, "locked", m->locked, "waitingRoom", m->waiting_room,
                          "publish", yh_publish_str(m->publish), "muteOnEntry", m->mute_on_entry,
                          "spotlight", pid_or_null(m->spotlight), "rollCall", rc,
                          "participantCount", (json_int_t)m->n_participants);
    if (o && viewer && yh_role_can(viewer->role, m->publish, YH_PERM_SEE_QUEUE))
        json_object_set_new(o, "hands", hands_json(m));
    return o;
}

json_t *yh_sig_track_json(const yh_meeting_track_t *t)
{
    json_t *layers = json_array();
    for (unsigned i = 0; layers && i < t->n_layers; i++)
        json_array_append_new(layers, json_string(t->layers[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "id", t->id, "participant", t->owner->id,
                     "kind", t->kind == YH_KIND_AUDIO ? "audio" : "video", "source",
                     yh_source_str(t->source), "muted", t->muted, "layers", layers);
}

json_t *yh_sig_event(const char *type, const char *key, json_t *value)
{
    json_t *o = json_pack("{s:s}", "type", type);
    if (key) {
        if (o && value)
            json_object_set_new(o, key, value);
        else
            json_decref(value);
    }
    return o;
}

static char *dump(const json_t *msg, size_t *len)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    if (!text) {
        YH_LOGE("signal", "cannot serialize a message");
        return NULL;
    }
    *len = strlen(text);
    return text;
}

static void send_text(yh_signal_conn_t *c, const char *text, size_t len)
{
    if (!c || c->closing || c->dead)
        return;
    if (c->ops.send(c->ctx, text, len) < 0) {
        /* The owner closes a connection whose queue overflowed; stop
         * writing to it meanwhile. */
        c->closing = 1;
    }
}

void yh_sig_send(yh_signal_conn_t *c, json_t *msg)
{
    if (!msg)
        return;
    size_t len = 0;
    char *text = dump(msg, &len);
    if (text)
        send_text(c, text, len);
    free(text);
    json_decref(msg);
}

void yh_sig_broadcast(yh_meeting_t *m, const yh_participant_t *except, json_t *msg)
{
    if (!msg)
        return;
    size_t len = 0;
    char *text = dump(msg, &len);
    json_decref(msg);
    if (!text)
        return;
    for (yh_participant_t *p = m->head; p; p = p->next)
        if (p != except && p->conn)
            send_text(yh_sig_conn_of(p), text, len);
    free(text);
}

void yh_sig_send_error(yh_signal_conn_t *c, json_t *id, const char *code, const char *message)
{
    json_t *e = json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", message);
    if (!e) {
        /* A reason quoting client text may have been cut inside a UTF-8
         * sequence: fall back to its printable ASCII. */
        char safe[YH_SIG_ERR_MAX];
        snprintf(safe, sizeof safe, "%s", message);
        for (char *ch = safe; *ch; ch++)
            if ((unsigned char)*ch < 0x20 || (unsigned char)*ch >= 0x7f)
                *ch = '?';
        e = json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", safe);
    }
    if (e && id)
        json_object_set(e, "id", id);
    yh_sig_send(c, e);
}

void yh_sig_send_to(yh_participant_t *p, json_t *msg)
{
    if (p && p->conn)
        yh_sig_send(yh_sig_conn_of(p), msg);
    else
        json_decref(msg);
}

void yh_sig_send_close(yh_signal_conn_t *c, json_t *msg, int code, const char *reason)
{
    if (!c) {
        json_decref(msg);
        return;
    }
    yh_sig_send(c, msg);
    if (!c->closing && !c->dead) {
        c->closing = 1;
        c->ops.close(c->ctx, code, reason);
    }
}
