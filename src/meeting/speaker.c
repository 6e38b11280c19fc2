/* Active speaker detection (speaker.h). */
#include "meeting/speaker.h"

#include <string.h>

void yh_speaker_init(yh_speaker_t *sp)
{
    memset(sp, 0, sizeof *sp);
}

static yh_speaker_entry_t *find(yh_speaker_t *sp, uint32_t who)
{
    for (size_t i = 0; i < sp->n; i++)
        if (sp->e[i].who == who)
            return &sp->e[i];
    return NULL;
}

/* An entry for `who`; when the table is full the quietest non-top entry
 * makes room, but only for a louder newcomer. NULL: no room. */
static yh_speaker_entry_t *slot(yh_speaker_t *sp, uint32_t who, float score, int *fresh)
{
    yh_speaker_entry_t *e = find(sp, who);
    *fresh = 0;
    if (e)
        return e;
    if (sp->n < YH_SPEAKER_MAX) {
        e = &sp->e[sp->n++];
    } else {
        for (size_t i = 0; i < sp->n; i++)
            if (sp->e[i].who != sp->top && (!e || sp->e[i].ema < e->ema))
                e = &sp->e[i];
        if (!e || e->ema >= score)
            return NULL;
    }
    memset(e, 0, sizeof *e);
    e->who = who;
    *fresh = 1;
    return e;
}

static void smooth(yh_speaker_t *sp, const yh_speaker_sample_t *s, size_t n)
{
    float round_score[YH_SPEAKER_MAX] = {0};
    for (size_t i = 0; i < n; i++) {
        if (s[i].who == 0)
            continue;
        unsigned level = s[i].level > 127 ? 127 : s[i].level;
        unsigned voice = s[i].voice > 100 ? 100 : s[i].voice;
        float score = (float)(127 - level) * (float)voice / 100.0f;
        int fresh = 0;
        yh_speaker_entry_t *e = slot(sp, s[i].who, score, &fresh);
        if (!e)
            continue;
        /* A fresh entry may reuse an evicted one's place: its score of
         * this round does not carry over. */
        size_t k = (size_t)(e - sp->e);
        if (fresh || score > round_score[k])
            round_score[k] = score;
    }
    for (size_t k = 0; k < sp->n; k++) {
        yh_speaker_entry_t *e = &sp->e[k];
        e->ema += YH_SPEAKER_ALPHA * (round_score[k] - e->ema);
        if (e->ema >= YH_SPEAKER_ON)
            e->speaking = 1;
        else if (e->ema < YH_SPEAKER_OFF)
            e->speaking = 0;
    }
    /* Forget the long silent, so that the table holds who may speak. */
    for (size_t k = 0; k < sp->n;) {
        if (sp->e[k].ema < 0.5f && !sp->e[k].speaking && sp->e[k].who != sp->top)
            sp->e[k] = sp->e[--sp->n];
        else
            k++;
    }
}

/* Applies the one-second rule to the loudest speaking challenger. */
static void pick_top(yh_speaker_t *sp, uint64_t now_us)
{
    const yh_speaker_entry_t *top = sp->top ? find(sp, sp->top) : NULL;
    const yh_speaker_entry_t *best = NULL;
    for (size_t k = 0; k < sp->n; k++) {
        const yh_speaker_entry_t *e = &sp->e[k];
        if (e->who != sp->top && e->speaking && (!best || e->ema > best->ema))
            best = e;
    }
    if (!top) {
        /* Nobody holds the floor: the first one speaking takes it now. */
        sp->top = best ? best->who : 0;
        sp->challenger = 0;
        return;
    }
    int clearly = best && (!top->speaking || best->ema >= top->ema + YH_SPEAKER_MARGIN);
    if (!clearly) {
        sp->challenger = 0;
        return;
    }
    if (sp->challenger != best->who) {
        sp->challenger = best->who;
        sp->challenger_since_us = now_us;
        return;
    }
    if (now_us - sp->challenger_since_us >= YH_SPEAKER_HOLD_US) {
        sp->top = best->who;
        sp->challenger = 0;
    }
}

static size_t make_list(const yh_speaker_t *sp, uint32_t *out)
{
    size_t n = 0;
    if (sp->top)
        out[n++] = sp->top;
    /* The others speaking, loudest first (selection: the table is small). */
    uint8_t used[YH_SPEAKER_MAX] = {0};
    while (n < YH_SPEAKER_LIST_MAX) {
        size_t best = YH_SPEAKER_MAX;
        for (size_t k = 0; k < sp->n; k++) {
            const yh_speaker_entry_t *e = &sp->e[k];
            if (used[k] || !e->speaking || e->who == sp->top)
                continue;
            if (best == YH_SPEAKER_MAX || e->ema > sp->e[best].ema)
                best = k;
        }
        if (best == YH_SPEAKER_MAX)
            break;
        used[best] = 1;
        out[n++] = sp->e[best].who;
    }
    return n;
}

int yh_speaker_update(yh_speaker_t *sp, const yh_speaker_sample_t *s, size_t n, uint64_t now_us,
                      uint32_t out[YH_SPEAKER_LIST_MAX], size_t *n_out)
{
    smooth(sp, s, n);
    pick_top(sp, now_us);
    size_t len = make_list(sp, out);
    *n_out = len;
    if (len == sp->n_sent && memcmp(out, sp->sent, len * sizeof out[0]) == 0)
        return 0;
    if (sp->any_event && now_us - sp->last_event_us < YH_SPEAKER_MIN_GAP_US)
        return 0; /* changed, but too soon: a later report sends it */
    memcpy(sp->sent, out, len * sizeof out[0]);
    sp->n_sent = len;
    sp->last_event_us = now_us;
    sp->any_event = 1;
    return 1;
}

void yh_speaker_forget(yh_speaker_t *sp, uint32_t who)
{
    yh_speaker_entry_t *e = find(sp, who);
    if (e)
        *e = sp->e[--sp->n];
    if (sp->top == who)
        sp->top = 0;
    if (sp->challenger == who)
        sp->challenger = 0;
}
