/*
 * Meeting control on the signaling side: who sees which participant
 * entries (publish policy "speakers" hides attendees from attendees), the
 * server's mutes (own mute, host mute, roll call), role changes and their
 * consequences, and what happens when a participant goes or the meeting
 * ends. Permissions come from meeting/roles.h only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "meeting/roles.h"
#include "signal/signal_int.h"
#include "store/store.h"

/* ---- visibility and events --------------------------------------------- */

int yh_sig_sees(const yh_participant_t *viewer, const yh_participant_t *subject)
{
    return viewer == subject || yh_role_sees(viewer->role, subject->role, viewer->meeting->publish);
}

static int counts_only(const yh_participant_t *viewer)
{
    return !yh_role_can(viewer->role, viewer->meeting->publish, YH_PERM_SEE_ALL);
}

static int moderates(const yh_participant_t *p)
{
    return yh_role_can(p->role, p->meeting->publish, YH_PERM_SEE_QUEUE);
}

void yh_sig_broadcast_about(yh_meeting_t *m, const yh_participant_t *subject,
                            const yh_participant_t *except, json_t *msg)
{
    if (!msg)
        return;
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    size_t len = strlen(text);
    for (yh_participant_t *q = m->head; q; q = q->next) {
        yh_signal_conn_t *c = yh_sig_conn_of(q);
        if (q == except || !c || c->closing || c->dead || !yh_sig_sees(q, subject))
            continue;
        if (c->ops.send(c->ctx, text, len) < 0)
            c->closing = 1;
    }
    free(text);
}

void yh_sig_broadcast_moderators(yh_meeting_t *m, json_t *msg)
{
    for (yh_participant_t *q = m->head; q; q = q->next)
        if (q->conn && moderates(q))
            yh_sig_send_to(q, json_incref(msg));
    json_decref(msg);
}

void yh_sig_participant_updated(yh_participant_t *p)
{
    yh_sig_broadcast_about(
        p->meeting, p, NULL,
        yh_sig_event("participant-updated", "participant", yh_sig_participant_json(p)));
}

static void meeting_updated_if(yh_meeting_t *m, int (*want)(const yh_participant_t *),
                               const yh_participant_t *except)
{
    /* Two views at most: the moderators' (with the hand queue) and the
     * others'; each is serialized once. */
    json_t *views[2] = {NULL, NULL};
    for (yh_participant_t *q = m->head; q; q = q->next) {
        if (!q->conn || q == except || (want && !want(q)))
            continue;
        int k = moderates(q);
        if (!views[k])
            views[k] = yh_sig_event("meeting-updated", "meeting", yh_sig_meeting_json(m, q));
        yh_sig_send_to(q, json_incref(views[k]));
    }
    json_decref(views[0]);
    json_decref(views[1]);
}

void yh_sig_meeting_updated(yh_meeting_t *m)
{
    meeting_updated_if(m, NULL, NULL);
}

void yh_sig_hands_updated(yh_meeting_t *m)
{
    meeting_updated_if(m, moderates, NULL);
}

#define COUNT_GAP_US 1000000u

void yh_sig_count_updated(yh_signal_t *s, yh_meeting_t *m, const yh_participant_t *except)
{
    uint64_t now = yh_now_us();
    if (m->count_sent_us && now - m->count_sent_us < COUNT_GAP_US) {
        if (!m->count_dirty) {
            m->count_dirty = 1;
            yh_sig_arm(s, now);
        }
        return;
    }
    m->count_sent_us = now;
    m->count_dirty = 0;
    meeting_updated_if(m, counts_only, except);
}

/* ---- the control timer ------------------------------------------------------ */

void yh_sig_arm(yh_signal_t *s, uint64_t now_us)
{
    if (!s->ctl_timer)
        return;
    uint64_t next = 0;
    for (const yh_meeting_t *m = s->reg.head; m; m = m->next) {
        if (m->rollcall.current && (!next || m->rollcall.next_at_us < next))
            next = m->rollcall.next_at_us;
        if (m->count_dirty && (!next || m->count_sent_us + COUNT_GAP_US < next))
            next = m->count_sent_us + COUNT_GAP_US;
    }
    if (!next) {
        uv_timer_stop(s->ctl_timer);
        return;
    }
    uint64_t ms = next > now_us ? (next - now_us + 999) / 1000 : 0;
    uv_timer_start(s->ctl_timer, yh_sig_ctl_timer_cb, ms, 0);
}

void yh_sig_tick(yh_signal_t *s, uint64_t now_us)
{
    for (yh_meeting_t *m = s->reg.head; m; m = m->next) {
        if (m->rollcall.current && m->rollcall.next_at_us <= now_us) {
            yh_sig_rollcall_next(s, m, now_us);
            yh_sig_media_flush(s, m);
        }
        if (m->count_dirty && now_us - m->count_sent_us >= COUNT_GAP_US) {
            m->count_sent_us = now_us;
            m->count_dirty = 0;
            meeting_updated_if(m, counts_only, NULL);
        }
    }
    yh_sig_arm(s, now_us);
}

json_t *yh_sig_joined_json(const yh_signal_t *s, const yh_participant_t *p)
{
    const yh_meeting_t *m = p->meeting;
    json_t *participants = json_array();
    json_t *tracks = json_array();
    for (const yh_participant_t *q = m->head; q; q = q->next) {
        if (!yh_sig_sees(p, q))
            continue;
        json_array_append_new(participants, yh_sig_participant_json(q));
        if (q == p)
            continue;
        for (const yh_meeting_track_t *t = q->tracks; t; t = t->next)
            json_array_append_new(tracks, yh_sig_track_json(t));
    }
    json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:s}", "type", "joined", "self",
                          yh_sig_participant_json(p), "meeting", yh_sig_meeting_json(m, p),
                          "participants", participants, "tracks", tracks, "iceServers",
                          yh_sig_ice_servers_json(s, p), "resumeToken", p->resume_token);
    if (o && moderates(p)) {
        json_t *waiting = json_array();
        for (const yh_participant_t *w = m->wait_head; w; w = w->next)
            json_array_append_new(waiting, yh_sig_participant_json(w));
        json_object_set_new(o, "waiting", waiting);
    }
    return o;
}

/* ---- mutes ------------------------------------------------------------------ */

/* The one rule for what the server drops: the publisher's own (or a host's)
 * mute, except that a roll call decides alone for the sites' audio. */
int yh_sig_track_blocked(const yh_meeting_track_t *t)
{
    const yh_participant_t *p = t->owner;
    if (t->self_muted)
        return 1;
    if (t->kind == YH_KIND_AUDIO && p->meeting->rollcall.current && yh_meeting_is_site(p))
        return yh_sig_rollcall_mutes(p);
    return 0;
}

int yh_sig_track_apply(yh_signal_t *s, yh_meeting_track_t *t)
{
    int want = yh_sig_track_blocked(t);
    if (want == t->muted)
        return 0;
    int rc = yh_sig_media_set_muted(s, t, want);
    if (rc < 0)
        YH_LOGW("signal", "%s: mute %s: %s", t->owner->id, t->id, yh_strerror(rc));
    yh_sig_broadcast(t->owner->meeting, NULL,
                     yh_sig_event("track-updated", "track", yh_sig_track_json(t)));
    return 1;
}

void yh_sig_participant_apply(yh_signal_t *s, yh_participant_t *p)
{
    for (yh_meeting_track_t *t = p->tracks; t; t = t->next)
        yh_sig_track_apply(s, t);
    yh_sig_refresh_flags(p);
}

void yh_sig_meeting_apply(yh_signal_t *s, yh_meeting_t *m)
{
    for (yh_participant_t *p = m->head; p; p = p->next)
        yh_sig_participant_apply(s, p);
}

static json_t *mute_request(yh_source_t source, int muted)
{
    return json_pack("{s:s, s:s, s:b}", "type", "mute-request", "source", yh_source_str(source),
                     "muted", muted);
}

void yh_sig_host_mute(yh_signal_t *s, yh_participant_t *p, yh_source_t source)
{
    p->host_muted |= (uint8_t)YH_SOURCE_BIT(source);
    for (yh_meeting_track_t *t = p->tracks; t; t = t->next) {
        if (t->source != source || t->self_muted)
            continue;
        t->self_muted = 1;
        t->by_host = 1;
    }
    yh_sig_participant_apply(s, p);
    yh_sig_send_to(p, mute_request(source, 1));
}

/* ---- roles ------------------------------------------------------------------- */

/* Entry changes for one (viewer, subject) pair whose visibility flipped. */
static void show_or_hide(yh_participant_t *viewer, yh_participant_t *subject, int shown)
{
    if (shown)
        yh_sig_send_to(viewer, yh_sig_event("participant-joined", "participant",
                                            yh_sig_participant_json(subject)));
    else
        yh_sig_send_to(viewer, json_pack("{s:s, s:s, s:s}", "type", "participant-left", "id",
                                         subject->id, "reason", "hidden"));
}

void yh_sig_set_role(yh_signal_t *s, yh_participant_t *p, yh_role_t role)
{
    yh_meeting_t *m = p->meeting;
    yh_role_t old = p->role;
    if (old == role)
        return;
    int was_mod = moderates(p);
    p->role = role;
    /* Per pair: who saw p and whom p saw under the old role, against the
     * new one. The entry itself is serialized once. */
    json_t *upd = yh_sig_event("participant-updated", "participant", yh_sig_participant_json(p));
    for (yh_participant_t *q = m->head; q; q = q->next) {
        if (q == p)
            continue;
        int q_saw_p = yh_role_sees(q->role, old, m->publish);
        int q_sees_p = yh_role_sees(q->role, role, m->publish);
        int p_saw_q = yh_role_sees(old, q->role, m->publish);
        int p_sees_q = yh_role_sees(role, q->role, m->publish);
        if (q_saw_p && q_sees_p)
            yh_sig_send_to(q, json_incref(upd));
        else if (q_saw_p != q_sees_p)
            show_or_hide(q, p, q_sees_p);
        if (p_saw_q != p_sees_q)
            show_or_hide(p, q, p_sees_q);
    }
    yh_sig_send_to(p, upd);
    if (role == YH_ROLE_ATTENDEE)
        p->floor = 0;
    /* Attendees of a "speakers" meeting stop sending. */
    if (!yh_role_can(role, m->publish, YH_PERM_PUBLISH) && p->tracks)
        yh_sig_media_stop_all(s, p, 1);
    if (was_mod != moderates(p)) {
        /* A new moderator learns the queues; a former one loses them. */
        yh_sig_send_to(p, yh_sig_event("meeting-updated", "meeting", yh_sig_meeting_json(m, p)));
        for (yh_participant_t *w = m->wait_head; w && !was_mod; w = w->next)
            yh_sig_send_to(p, yh_sig_event("waiting", "participant", yh_sig_participant_json(w)));
    }
    if (m->rollcall.current == p->num && !yh_meeting_is_site(p))
        yh_sig_rollcall_next(s, m, yh_now_us());
    yh_sig_participant_apply(s, p);
    YH_LOGI("signal", "%s is now %s", p->id, yh_role_str(role));
}

void yh_sig_policy_changed(yh_signal_t *s, yh_meeting_t *m, yh_publish_policy_t old)
{
    yh_publish_policy_t now = m->publish;
    for (yh_participant_t *v = m->head; v; v = v->next) {
        for (yh_participant_t *q = m->head; q; q = q->next) {
            if (q == v)
                continue;
            int before = yh_role_sees(v->role, q->role, old);
            int after = yh_role_sees(v->role, q->role, now);
            if (before != after)
                show_or_hide(v, q, after);
        }
    }
    for (yh_participant_t *p = m->head; p; p = p->next)
        if (p->tracks && !yh_role_can(p->role, now, YH_PERM_PUBLISH))
            yh_sig_media_stop_all(s, p, 1);
}

/* ---- leaving and ending -------------------------------------------------------- */

void yh_sig_before_leave(yh_signal_t *s, yh_participant_t *p)
{
    yh_meeting_t *m = p->meeting;
    if (!m->rollcall.current)
        return;
    if (m->rollcall.starter == p->num) {
        yh_sig_rollcall_stop(s, m);
    } else if (m->rollcall.current == p->num) {
        /* Call the next site now; with none but p left, stop. */
        yh_participant_t *next = yh_meeting_site_next(m, p->num);
        if (!next || next == p)
            yh_sig_rollcall_stop(s, m);
        else
            yh_sig_rollcall_next(s, m, yh_now_us());
    }
}

/* The host left: a cohost takes over, else the longest present. */
static void host_transfer(yh_signal_t *s, yh_meeting_t *m)
{
    yh_participant_t *heir = NULL;
    for (yh_participant_t *q = m->head; q; q = q->next) {
        if (q->role == YH_ROLE_HOST)
            return;
        if (q->role == YH_ROLE_COHOST && !heir)
            heir = q;
    }
    if (!heir)
        heir = m->head;
    if (heir) {
        YH_LOGI("signal", "meeting %s: %s takes over as host", m->number, heir->id);
        yh_sig_set_role(s, heir, YH_ROLE_HOST);
    }
}

void yh_sig_after_leave(yh_signal_t *s, yh_meeting_t *m, uint32_t num, yh_role_t role, int hand)
{
    yh_speaker_forget(&m->speaker, num);
    if (role == YH_ROLE_HOST)
        host_transfer(s, m);
    if (m->spotlight == num) {
        m->spotlight = 0;
        yh_sig_media_priorities(s, m);
        yh_sig_meeting_updated(m);
    } else if (hand) {
        yh_sig_hands_updated(m);
    }
    yh_sig_count_updated(s, m, NULL);
}

void yh_sig_meeting_end(yh_signal_t *s, yh_meeting_t *m)
{
    YH_LOGI("signal", "meeting %s ended", m->number);
    yh_sig_store_status(s, m, YH_STORE_ENDED);
    m->rollcall.current = 0;
    m->count_dirty = 0;
    /* Everyone is told and let go first, so that taking the media down
     * sends nothing more. */
    json_t *ev = json_pack("{s:s}", "type", "ended");
    yh_participant_t *lists[2] = {m->head, m->wait_head};
    for (int k = 0; k < 2; k++) {
        for (yh_participant_t *p = lists[k]; p; p = p->next) {
            yh_signal_conn_t *c = yh_sig_conn_of(p);
            if (!c)
                continue;
            yh_sig_send_close(c, json_incref(ev), 1000, "meeting ended");
            c->p = NULL;
            p->conn = NULL;
        }
    }
    json_decref(ev);
    while (m->head) {
        yh_sig_log_close(s, m->head);
        yh_sig_media_release(s, m->head);
        yh_meeting_participant_remove(m, m->head);
    }
    while (m->wait_head)
        yh_meeting_participant_remove(m, m->wait_head);
}

/* muteOnEntry: attendees and speakers come in with the microphone muted
 * by the host. */
static void entry_mutes(yh_signal_t *s, yh_participant_t *p)
{
    if (p->meeting->mute_on_entry && !yh_role_moderates(p->role))
        yh_sig_host_mute(s, p, YH_SOURCE_MICROPHONE);
}

void yh_sig_admit(yh_signal_t *s, yh_participant_t *p)
{
    yh_meeting_t *m = p->meeting;
    yh_meeting_waiter_admit(m, p);
    yh_signal_conn_t *c = yh_sig_conn_of(p);
    json_t *reply = yh_sig_joined_json(s, p);
    if (reply && c && c->join_id)
        json_object_set(reply, "id", c->join_id);
    if (c) {
        json_decref(c->join_id);
        c->join_id = NULL;
    }
    yh_sig_send_to(p, reply);
    yh_sig_broadcast_about(
        m, p, p, yh_sig_event("participant-joined", "participant", yh_sig_participant_json(p)));
    yh_sig_count_updated(s, m, p);
    entry_mutes(s, p);
    yh_sig_log_open(s, p);
    p->sub_dirty = 1;
    YH_LOGI("signal", "%s admitted to meeting %s as %s", p->id, m->number, yh_role_str(p->role));
}

/* ---- active speaker ------------------------------------------------------------- */

void yh_sig_audio_levels(yh_signal_t *s, uint32_t room, const yh_sfu_level_t *levels, size_t n,
                         uint64_t now_us)
{
    yh_meeting_t *m = yh_meetings_find_room(&s->reg, room);
    if (!m)
        return;
    yh_speaker_sample_t samples[YH_SFU_MAX_LEVELS];
    size_t k = 0;
    for (size_t i = 0; i < n && k < YH_SFU_MAX_LEVELS; i++) {
        const yh_meeting_track_t *t = yh_meeting_track_find(m, levels[i].track);
        if (!t || t->kind != YH_KIND_AUDIO)
            continue;
        samples[k++] = (yh_speaker_sample_t){t->owner->num, levels[i].level, levels[i].voice};
    }
    uint32_t ids[YH_SPEAKER_LIST_MAX];
    size_t n_ids = 0;
    if (!yh_speaker_update(&m->speaker, samples, k, now_us, ids, &n_ids))
        return;
    yh_sig_media_priorities(s, m);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n_ids; i++) {
        const yh_participant_t *p = yh_meeting_participant_by_num(m, ids[i]);
        if (p)
            json_array_append_new(arr, json_string(p->id));
    }
    yh_sig_broadcast(m, NULL, yh_sig_event("active-speaker", "ids", arr));
}
