/* Meetings and participants: the registry, joining and leaving. */
#include "meeting/meeting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/rand.h"

void yh_meetings_init(yh_meetings_t *reg)
{
    memset(reg, 0, sizeof *reg);
}

static void free_tracks(yh_participant_t *p)
{
    yh_meeting_track_t *t = p->tracks;
    while (t) {
        yh_meeting_track_t *next = t->next;
        free(t);
        t = next;
    }
    p->tracks = NULL;
}

static void free_list(yh_participant_t *p)
{
    while (p) {
        yh_participant_t *pnext = p->next;
        free_tracks(p);
        free(p);
        p = pnext;
    }
}

void yh_meetings_free(yh_meetings_t *reg)
{
    if (!reg)
        return;
    yh_meeting_t *m = reg->head;
    while (m) {
        yh_meeting_t *mnext = m->next;
        free_list(m->head);
        free_list(m->wait_head);
        free(m);
        m = mnext;
    }
    reg->head = NULL;
    reg->n_meetings = 0;
}

uint32_t yh_meetings_next_id(yh_meetings_t *reg)
{
    reg->counter++;
    if (reg->counter == 0)
        reg->counter = 1;
    return reg->counter;
}

int yh_meeting_number_valid(const char *number, size_t len)
{
    if (!number || len < 1 || len > YH_MEETING_NUMBER_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = number[i];
        int ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 c == '_' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

yh_meeting_t *yh_meeting_find(yh_meetings_t *reg, const char *number)
{
    for (yh_meeting_t *m = reg->head; m; m = m->next)
        if (strcmp(m->number, number) == 0)
            return m;
    return NULL;
}

int yh_meeting_open(yh_meetings_t *reg, const char *number, yh_meeting_t **out)
{
    size_t len = strlen(number);
    if (!yh_meeting_number_valid(number, len))
        return YH_EINVAL;
    if (yh_meeting_find(reg, number))
        return YH_EEXISTS;
    yh_meeting_t *m = calloc(1, sizeof *m);
    if (!m)
        return YH_ENOMEM;
    memcpy(m->number, number, len + 1);
    snprintf(m->title, sizeof m->title, "Meeting %s", number);
    m->room = yh_meetings_next_id(reg);
    yh_speaker_init(&m->speaker);
    m->next = reg->head;
    if (reg->head)
        reg->head->prev = m;
    reg->head = m;
    reg->n_meetings++;
    *out = m;
    return 0;
}

void yh_meeting_close(yh_meetings_t *reg, yh_meeting_t *m)
{
    if (!m)
        return;
    if (m->prev)
        m->prev->next = m->next;
    else
        reg->head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    reg->n_meetings--;
    /* Normally empty by now; never leak what a caller left behind. */
    free_list(m->head);
    free_list(m->wait_head);
    free(m);
}

yh_meeting_t *yh_meetings_find_room(const yh_meetings_t *reg, uint32_t room)
{
    for (yh_meeting_t *m = reg->head; m; m = m->next)
        if (m->room == room)
            return m;
    return NULL;
}

void yh_meeting_rfc3339_now(char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 && cap > 0)
        out[0] = '\0';
}

static uint64_t rand_u64(void)
{
    return (uint64_t)yh_rand_u32() << 32 | yh_rand_u32();
}

/* A fresh participant, linked nowhere yet. */
static int participant_new(yh_meetings_t *reg, const char *name, yh_participant_t **out)
{
    size_t nlen = strlen(name);
    if (nlen > YH_MEETING_NAME_MAX)
        return YH_ERANGE;
    yh_participant_t *p = calloc(1, sizeof *p);
    if (!p)
        return YH_ENOMEM;
    int rc = yh_rand_ice_chars(p->resume_token, YH_MEETING_TOKEN_LEN);
    if (rc == 0)
        rc = yh_rand_ice_chars(p->pub_ufrag, YH_MEETING_ICE_UFRAG_LEN);
    if (rc == 0)
        rc = yh_rand_ice_chars(p->pub_pwd, YH_MEETING_ICE_PWD_LEN);
    if (rc == 0)
        rc = yh_rand_ice_chars(p->sub_ufrag, YH_MEETING_ICE_UFRAG_LEN);
    if (rc == 0)
        rc = yh_rand_ice_chars(p->sub_pwd, YH_MEETING_ICE_PWD_LEN);
    if (rc < 0) {
        free(p);
        return rc;
    }
    p->num = yh_meetings_next_id(reg);
    snprintf(p->id, sizeof p->id, "p%u", (unsigned)p->num);
    memcpy(p->name, name, nlen + 1);
    p->role = YH_ROLE_ATTENDEE;
    p->audio_muted = 1;
    p->video_muted = 1;
    yh_meeting_rfc3339_now(p->joined_at, sizeof p->joined_at);
    /* o= session ids are random 62-bit numbers (RFC 8866 section 5.2 asks
     * for them to be globally unique; JSEP keeps them below 2^63). */
    p->pub_session = rand_u64() >> 2;
    p->sub_session = rand_u64() >> 2;
    *out = p;
    return 0;
}

static void link_tail(yh_participant_t **head, yh_participant_t **tail, yh_participant_t *p)
{
    p->next = NULL;
    p->prev = *tail;
    if (*tail)
        (*tail)->next = p;
    else
        *head = p;
    *tail = p;
}

static void unlink_from(yh_participant_t **head, yh_participant_t **tail, yh_participant_t *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        *head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        *tail = p->prev;
    p->prev = p->next = NULL;
}

int yh_meeting_participant_add(yh_meetings_t *reg, yh_meeting_t *m, const char *name,
                               yh_participant_t **out)
{
    yh_participant_t *p = NULL;
    int rc = participant_new(reg, name, &p);
    if (rc < 0)
        return rc;
    /* Open mode: the first one in runs the meeting (PROTOCOL.md roles). */
    p->role = m->n_participants == 0 ? YH_ROLE_HOST : YH_ROLE_ATTENDEE;
    p->meeting = m;
    link_tail(&m->head, &m->tail, p);
    m->n_participants++;
    *out = p;
    return 0;
}

int yh_meeting_waiter_add(yh_meetings_t *reg, yh_meeting_t *m, const char *name,
                          yh_participant_t **out)
{
    yh_participant_t *p = NULL;
    int rc = participant_new(reg, name, &p);
    if (rc < 0)
        return rc;
    p->waiting = 1;
    p->meeting = m;
    link_tail(&m->wait_head, &m->wait_tail, p);
    m->n_waiting++;
    *out = p;
    return 0;
}

void yh_meeting_waiter_admit(yh_meeting_t *m, yh_participant_t *p)
{
    if (!p->waiting)
        return;
    unlink_from(&m->wait_head, &m->wait_tail, p);
    m->n_waiting--;
    p->waiting = 0;
    /* Present from now on: joinedAt is the admission. */
    yh_meeting_rfc3339_now(p->joined_at, sizeof p->joined_at);
    link_tail(&m->head, &m->tail, p);
    m->n_participants++;
}

void yh_meeting_participant_remove(yh_meeting_t *m, yh_participant_t *p)
{
    if (!p)
        return;
    if (p->waiting) {
        unlink_from(&m->wait_head, &m->wait_tail, p);
        m->n_waiting--;
    } else {
        unlink_from(&m->head, &m->tail, p);
        m->n_participants--;
    }
    free_tracks(p);
    free(p);
}

yh_participant_t *yh_meeting_participant_find(const yh_meeting_t *m, const char *id)
{
    for (yh_participant_t *p = m->head; p; p = p->next)
        if (strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

yh_participant_t *yh_meeting_participant_by_num(const yh_meeting_t *m, uint32_t num)
{
    if (num == 0)
        return NULL;
    for (yh_participant_t *p = m->head; p; p = p->next)
        if (p->num == num)
            return p;
    return NULL;
}

yh_participant_t *yh_meeting_waiter_find(const yh_meeting_t *m, const char *id)
{
    for (yh_participant_t *p = m->wait_head; p; p = p->next)
        if (strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

/* Compares in constant time, so response timing does not reveal how much
 * of a guessed token was right. Both are YH_MEETING_TOKEN_LEN long. */
static int token_equal(const char *a, const char *b)
{
    unsigned diff = 0;
    for (size_t i = 0; i < YH_MEETING_TOKEN_LEN; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}

yh_participant_t *yh_meetings_find_token(const yh_meetings_t *reg, const char *token)
{
    if (strlen(token) != YH_MEETING_TOKEN_LEN)
        return NULL;
    for (yh_meeting_t *m = reg->head; m; m = m->next)
        for (yh_participant_t *p = m->head; p; p = p->next)
            if (token_equal(p->resume_token, token))
                return p;
    return NULL;
}

yh_participant_t *yh_meetings_find_transport(const yh_meetings_t *reg, uint32_t transport,
                                             int *publisher)
{
    if (transport == 0)
        return NULL;
    for (yh_meeting_t *m = reg->head; m; m = m->next) {
        for (yh_participant_t *p = m->head; p; p = p->next) {
            if (p->pub_transport == transport || p->sub_transport == transport) {
                *publisher = p->pub_transport == transport;
                return p;
            }
        }
    }
    return NULL;
}

const char *yh_role_str(yh_role_t r)
{
    static const char *const names[] = {"host", "cohost", "speaker", "attendee"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "attendee";
}

int yh_role_parse(const char *s, yh_role_t *out)
{
    for (unsigned i = 0; i <= YH_ROLE_ATTENDEE; i++) {
        if (strcmp(s, yh_role_str((yh_role_t)i)) == 0) {
            *out = (yh_role_t)i;
            return 0;
        }
    }
    return YH_EINVAL;
}

const char *yh_publish_str(yh_publish_policy_t p)
{
    return p == YH_PUBLISH_SPEAKERS ? "speakers" : "everyone";
}

int yh_publish_parse(const char *s, yh_publish_policy_t *out)
{
    if (strcmp(s, "everyone") == 0)
        *out = YH_PUBLISH_EVERYONE;
    else if (strcmp(s, "speakers") == 0)
        *out = YH_PUBLISH_SPEAKERS;
    else
        return YH_EINVAL;
    return 0;
}

static const char *const source_names[] = {"microphone", "camera", "screen"};

const char *yh_source_str(yh_source_t s)
{
    return (unsigned)s < 3 ? source_names[s] : "camera";
}

int yh_source_parse(const char *s, yh_source_t *out)
{
    for (unsigned i = 0; i < 3; i++) {
        if (strcmp(s, source_names[i]) == 0) {
            *out = (yh_source_t)i;
            return 0;
        }
    }
    return YH_EINVAL;
}
