/*
 * The floor: raised hands in raise order, and the order in which a roll
 * call visits the sites. Pure list logic over a meeting's participants.
 */
#include "meeting/meeting.h"

#include "meeting/roles.h"

int yh_meeting_hand_set(yh_meeting_t *m, yh_participant_t *p, int raised)
{
    raised = raised != 0;
    if (p->hand == raised)
        return 0;
    p->hand = (uint8_t)raised;
    /* A fresh stamp per raise: lowering and raising again goes to the back
     * of the queue. */
    p->hand_seq = raised ? ++m->hand_counter : 0;
    return 1;
}

size_t yh_meeting_hands(const yh_meeting_t *m, const yh_participant_t **out, size_t cap)
{
    /* Selection by stamp: the queue is short and this runs on a change of
     * it, never per packet. */
    size_t total = 0;
    for (const yh_participant_t *p = m->head; p; p = p->next)
        total += p->hand;
    uint64_t last = 0;
    for (size_t n = 0; n < cap && n < total; n++) {
        const yh_participant_t *best = NULL;
        for (const yh_participant_t *p = m->head; p; p = p->next)
            if (p->hand && p->hand_seq > last && (!best || p->hand_seq < best->hand_seq))
                best = p;
        if (!best)
            break;
        out[n] = best;
        last = best->hand_seq;
    }
    return total;
}

int yh_meeting_is_site(const yh_participant_t *p)
{
    return !p->waiting && !yh_role_moderates(p->role);
}

yh_participant_t *yh_meeting_site_next(const yh_meeting_t *m, uint32_t after)
{
    const yh_participant_t *from = yh_meeting_participant_by_num(m, after);
    yh_participant_t *p = from ? from->next : m->head;
    /* One pass over the list, wrapping once past the end. */
    for (size_t i = 0; i <= m->n_participants; i++) {
        if (!p)
            p = m->head;
        if (!p)
            return NULL;
        if (yh_meeting_is_site(p))
            return p;
        p = p->next;
    }
    return NULL;
}
