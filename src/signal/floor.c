/*
 * The floor on the signaling side: raised hands (a queue the moderators
 * see), give-floor (the press-interview flow: one journalist at a time
 * becomes a speaker), and the roll call of dispatch meetings (each site in
 * turn spotlighted and the only site heard).
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "meeting/roles.h"
#include "signal/signal_int.h"

void yh_sig_hand(yh_signal_t *s, yh_participant_t *p, int raised)
{
    if (!yh_meeting_hand_set(p->meeting, p, raised))
        return;
    yh_sig_participant_updated(p);
    yh_sig_hands_updated(p->meeting);
}

/* Lifts the moderators' mutes of `p`: media a host muted flows again (the
 * participant asked for the floor by raising a hand), and the client is
 * told to unmute locally too. */
static void lift_host_mutes(yh_signal_t *s, yh_participant_t *p)
{
    p->host_muted = 0;
    for (yh_meeting_track_t *t = p->tracks; t; t = t->next) {
        if (t->by_host) {
            t->self_muted = 0;
            t->by_host = 0;
        }
    }
    yh_sig_participant_apply(s, p);
    static const yh_source_t sources[] = {YH_SOURCE_MICROPHONE, YH_SOURCE_CAMERA};
    for (size_t i = 0; i < 2; i++)
        yh_sig_send_to(p, json_pack("{s:s, s:s, s:b}", "type", "mute-request", "source",
                                    yh_source_str(sources[i]), "muted", 0));
}

/* A floor holder gives the floor back: an attendee again. In a "speakers"
 * meeting that stops its media (yh_sig_set_role); where everyone may
 * publish, its microphone is muted by the host instead, so that the floor
 * really moves. */
static void revoke_floor(yh_signal_t *s, yh_participant_t *p)
{
    p->floor = 0;
    if (p->role == YH_ROLE_SPEAKER)
        yh_sig_set_role(s, p, YH_ROLE_ATTENDEE);
    if (yh_role_can(p->role, p->meeting->publish, YH_PERM_PUBLISH) && !yh_role_moderates(p->role))
        yh_sig_host_mute(s, p, YH_SOURCE_MICROPHONE);
}

void yh_sig_give_floor(yh_signal_t *s, yh_participant_t *p, int exclusive)
{
    yh_meeting_t *m = p->meeting;
    if (exclusive) {
        for (yh_participant_t *q = m->head; q; q = q->next)
            if (q != p && q->floor)
                revoke_floor(s, q);
    }
    p->floor = 1;
    int hand = yh_meeting_hand_set(m, p, 0);
    if (p->role == YH_ROLE_ATTENDEE)
        yh_sig_set_role(s, p, YH_ROLE_SPEAKER); /* sends participant-updated */
    else if (hand)
        yh_sig_participant_updated(p);
    if (hand)
        yh_sig_hands_updated(m);
    lift_host_mutes(s, p);
    YH_LOGI("signal", "meeting %s: %s has the floor%s", m->number, p->id,
            exclusive ? " (exclusive)" : "");
}

/* ---- roll call ----------------------------------------------------------------- */

int yh_sig_rollcall_mutes(const yh_participant_t *p)
{
    return p->num != p->meeting->rollcall.current;
}

/* Calls `site`: spotlight for everyone, the only site heard; the site is
 * asked to unmute. */
static void call_site(yh_signal_t *s, yh_meeting_t *m, yh_participant_t *site, uint64_t now_us)
{
    m->rollcall.current = site->num;
    m->rollcall.next_at_us = now_us + (uint64_t)m->rollcall.interval_s * 1000000u;
    m->spotlight = site->num;
    yh_sig_media_priorities(s, m);
    yh_sig_meeting_apply(s, m);
    yh_sig_meeting_updated(m);
    yh_sig_send_to(site, json_pack("{s:s, s:s, s:b}", "type", "mute-request", "source",
                                   "microphone", "muted", 0));
    yh_sig_arm(s, now_us);
}

int yh_sig_rollcall_start(yh_signal_t *s, yh_participant_t *by, int interval_s, uint64_t now_us)
{
    yh_meeting_t *m = by->meeting;
    yh_participant_t *first = yh_meeting_site_next(m, 0);
    if (!first)
        return YH_ENOTFOUND;
    m->rollcall.starter = by->num;
    m->rollcall.interval_s = (uint32_t)interval_s;
    YH_LOGI("signal", "meeting %s: roll call every %d s", m->number, interval_s);
    call_site(s, m, first, now_us);
    return 0;
}

void yh_sig_rollcall_next(yh_signal_t *s, yh_meeting_t *m, uint64_t now_us)
{
    if (!m->rollcall.current)
        return;
    yh_participant_t *next = yh_meeting_site_next(m, m->rollcall.current);
    if (!next) {
        yh_sig_rollcall_stop(s, m);
        return;
    }
    call_site(s, m, next, now_us);
}

void yh_sig_rollcall_stop(yh_signal_t *s, yh_meeting_t *m)
{
    if (!m->rollcall.current)
        return;
    memset(&m->rollcall, 0, sizeof m->rollcall);
    m->spotlight = 0;
    yh_sig_media_priorities(s, m);
    yh_sig_meeting_apply(s, m); /* every site's own state again */
    yh_sig_meeting_updated(m);
    yh_sig_arm(s, yh_now_us());
    YH_LOGI("signal", "meeting %s: roll call stopped", m->number);
}
