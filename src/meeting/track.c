/*
 * Published tracks and the subscriber slots that show them to the other
 * participants. Slots follow the SDP module's rules for the subscriber
 * connection (sdp.h): m-sections are appended, never removed, and an
 * inactive one may carry a later track of the same kind.
 */
#include "meeting/meeting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/rand.h"

int yh_meeting_track_add(yh_meetings_t *reg, yh_participant_t *p, yh_meeting_track_t **out)
{
    yh_meeting_track_t *t = calloc(1, sizeof *t);
    if (!t)
        return YH_ENOMEM;
    t->num = yh_meetings_next_id(reg);
    snprintf(t->id, sizeof t->id, "t%u", (unsigned)t->num);
    t->owner = p;
    yh_meeting_track_t **tail = &p->tracks;
    while (*tail)
        tail = &(*tail)->next;
    *tail = t;
    *out = t;
    return 0;
}

yh_meeting_track_t *yh_meeting_track_by_mid(const yh_participant_t *p, const char *mid)
{
    for (yh_meeting_track_t *t = p->tracks; t; t = t->next)
        if (strcmp(t->mid, mid) == 0)
            return t;
    return NULL;
}

yh_meeting_track_t *yh_meeting_track_find(const yh_meeting_t *m, uint32_t num)
{
    for (yh_participant_t *p = m->head; p; p = p->next)
        for (yh_meeting_track_t *t = p->tracks; t; t = t->next)
            if (t->num == num)
                return t;
    return NULL;
}

void yh_meeting_track_remove(yh_participant_t *p, yh_meeting_track_t *t)
{
    for (yh_meeting_track_t **pp = &p->tracks; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            free(t);
            return;
        }
    }
}

size_t yh_meeting_track_count(const yh_meeting_t *m)
{
    size_t n = 0;
    for (yh_participant_t *p = m->head; p; p = p->next)
        for (yh_meeting_track_t *t = p->tracks; t; t = t->next)
            n++;
    return n;
}

static yh_meeting_slot_t *slot_of_track(yh_participant_t *p, uint32_t track)
{
    for (size_t i = 0; i < p->n_slots; i++)
        if (p->slots[i].track == track)
            return &p->slots[i];
    return NULL;
}

/* A slot the client has already seen inactive (or never seen at all), so
 * giving it a new track starts a fresh receiver on the client. */
static yh_meeting_slot_t *free_slot(yh_participant_t *p, yh_media_kind_t kind)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        yh_meeting_slot_t *s = &p->slots[i];
        if (s->track == 0 && s->kind == kind && !s->offered_active && s->sub_id == 0)
            return s;
    }
    if (p->n_slots >= YH_MEETING_MAX_SLOTS)
        return NULL;
    yh_meeting_slot_t *s = &p->slots[p->n_slots];
    memset(s, 0, sizeof *s);
    snprintf(s->mid, sizeof s->mid, "%u", (unsigned)p->n_slots);
    s->kind = kind;
    p->n_slots++;
    return s;
}

/* Even, so that the RTX SSRC paired with it (YH_MEETING_RTX_SSRC, odd)
 * can never be another slot's. */
static uint32_t fresh_ssrc(const yh_participant_t *p)
{
    for (;;) {
        uint32_t v = yh_rand_u32() & ~1u;
        int clash = v == 0;
        for (size_t i = 0; i < p->n_slots && !clash; i++)
            clash = p->slots[i].ssrc == v || p->slots[i].offered_ssrc == v;
        if (!clash)
            return v;
    }
}

size_t yh_meeting_slots_plan(yh_participant_t *p)
{
    size_t changed = 0;
    for (yh_participant_t *q = p->meeting->head; q; q = q->next) {
        if (q == p)
            continue;
        for (yh_meeting_track_t *t = q->tracks; t; t = t->next) {
            if (slot_of_track(p, t->num))
                continue;
            yh_meeting_slot_t *s = free_slot(p, t->kind);
            if (!s)
                continue;
            s->track = t->num;
            s->publisher = q->num;
            s->codec = t->codec;
            s->ssrc = fresh_ssrc(p);
            s->active = 1;
            changed++;
        }
    }
    return changed;
}

uint32_t yh_meeting_slots_drop(yh_participant_t *p, uint32_t track)
{
    if (track == 0)
        return 0;
    yh_meeting_slot_t *s = slot_of_track(p, track);
    if (!s)
        return 0;
    uint32_t sub = s->sub_id;
    s->track = 0;
    s->publisher = 0;
    s->active = 0;
    s->sub_id = 0;
    return sub;
}

int yh_meeting_slots_changed(const yh_participant_t *p)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        const yh_meeting_slot_t *s = &p->slots[i];
        if (!s->offered || s->active != s->offered_active)
            return 1;
        if (s->active && (s->track != s->offered_track || s->ssrc != s->offered_ssrc))
            return 1;
    }
    return 0;
}

void yh_meeting_slots_mark_offered(yh_participant_t *p)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        yh_meeting_slot_t *s = &p->slots[i];
        s->offered = 1;
        s->offered_active = s->active;
        s->offered_track = s->active ? s->track : 0;
        s->offered_ssrc = s->active ? s->ssrc : 0;
    }
}

size_t yh_meeting_slots_active(const yh_participant_t *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_slots; i++)
        n += p->slots[i].active;
    return n;
}
