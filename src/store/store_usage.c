/*
 * The participation log (one row per stay of one participant in one
 * meeting) and the usage report computed from it: every stay is clipped
 * to the window, minutes are summed, the union of a meeting's stays is
 * its meeting-minutes, and a sweep over join/leave events gives the peak
 * of concurrent participants. Stays are half-open [join, leave): someone
 * leaving at the instant another joins is not a concurrency of two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "store/store_int.h"

#define MS_PER_MIN 60000.0

int yh_store_participation_open(yh_store_t *st, const yh_store_participation_t *p, int64_t *row)
{
    if (!st || !p || !p->meeting || !*p->meeting || !p->participant || p->join_ms < 0)
        return YH_EINVAL;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_PART_INSERT);
    int rc = 0;
    if ((rc = yh__store_bind_text(s, 1, p->meeting, YH_STORE_NUMBER_MAX)) ||
        (rc = yh__store_bind_text(s, 2, p->participant, YH_STORE_PID_MAX)) ||
        (rc = yh__store_bind_text(s, 3, p->name, YH_STORE_NAME_MAX)) ||
        (rc = yh__store_bind_text(s, 4, p->role, YH_STORE_ROLE_MAX)) ||
        (rc = yh__store_bind_text(s, 5, p->client, YH_STORE_KIND_MAX)))
        return rc;
    sqlite3_bind_int64(s, 6, p->join_ms);
    if ((rc = yh__store_exec(st, s, "open participation")))
        return rc;
    if (row)
        *row = sqlite3_last_insert_rowid(st->db);
    /* Every join and leave also proves the server alive: rows a crash
     * leaves open are then closed no earlier than the last of them. */
    return yh_store_heartbeat(st, p->join_ms);
}

int yh_store_participation_close(yh_store_t *st, int64_t row, int64_t leave_ms)
{
    if (!st)
        return YH_EINVAL;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_PART_GET);
    sqlite3_bind_int64(s, 1, row);
    int rc = sqlite3_step(s);
    int64_t join = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    int open = rc == SQLITE_ROW && sqlite3_column_int(s, 1);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE)
        return YH_ENOTFOUND;
    if (rc != SQLITE_ROW)
        return yh__store_fail(st, "read participation");
    if (!open)
        return YH_ESTATE;
    s = yh__store_stmt(st, YH_STMT_PART_CLOSE);
    sqlite3_bind_int64(s, 1, row);
    sqlite3_bind_int64(s, 2, leave_ms < join ? join : leave_ms);
    if ((rc = yh__store_exec(st, s, "close participation")))
        return rc;
    return yh_store_heartbeat(st, leave_ms);
}

int yh_store_participation_count_open(yh_store_t *st, const char *meeting, int *count)
{
    if (!st || !meeting || !count)
        return YH_EINVAL;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_PART_COUNT_OPEN);
    sqlite3_bind_text(s, 1, meeting, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : yh__store_fail(st, "count participants");
}

int yh_store_stats(yh_store_t *st, yh_store_stats_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_STATS_MEETINGS);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int status = sqlite3_column_int(s, 0);
        if (status >= 0 && status < 3)
            out->meetings[status] = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return yh__store_fail(st, "meeting stats");
    s = yh__store_stmt(st, YH_STMT_STATS_OTHER);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->accounts = sqlite3_column_int64(s, 0);
        out->participants_now = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : yh__store_fail(st, "stats");
}

/* ---- The report ---- */

typedef struct stay {
    int64_t start, end; /* clipped to the window, start < end or empty */
} stay_t;

typedef struct event {
    int64_t at;
    int delta; /* +1 join, -1 leave */
} event_t;

static int event_cmp(const void *a, const void *b)
{
    const event_t *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->delta - y->delta; /* leaves first: stays are half-open */
}

/* Peak of concurrent stays; `ev` has room for 2 * n events. */
static int peak_of(const stay_t *v, size_t n, event_t *ev)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].end <= v[i].start)
            continue;
        ev[k++] = (event_t){v[i].start, +1};
        ev[k++] = (event_t){v[i].end, -1};
    }
    qsort(ev, k, sizeof *ev, event_cmp);
    int cur = 0, peak = 0;
    for (size_t i = 0; i < k; i++) {
        cur += ev[i].delta;
        if (cur > peak)
            peak = cur;
    }
    return peak;
}

/* One meeting's stays, sorted by start (the query orders them). */
static void meeting_sum(yh_store_usage_meeting_t *m, const stay_t *v, size_t n, event_t *ev)
{
    int64_t covered = 0, run_start = 0, run_end = 0, total = 0;
    int have = 0;
    m->first_join_ms = n ? v[0].start : 0;
    for (size_t i = 0; i < n; i++) {
        total += v[i].end - v[i].start;
        if (v[i].end > m->last_leave_ms)
            m->last_leave_ms = v[i].end;
        if (have && v[i].start <= run_end) {
            if (v[i].end > run_end)
                run_end = v[i].end;
            continue;
        }
        if (have)
            covered += run_end - run_start;
        run_start = v[i].start;
        run_end = v[i].end;
        have = 1;
    }
    if (have)
        covered += run_end - run_start;
    m->sessions = (int)n;
    m->participant_minutes = (double)total / MS_PER_MIN;
    m->meeting_minutes = (double)covered / MS_PER_MIN;
    m->peak_participants = peak_of(v, n, ev);
}

typedef struct rows {
    stay_t *stay;
    size_t *meeting_of; /* index into out->by_meeting per stay */
    size_t n, cap;
} rows_t;

static int rows_push(rows_t *r, stay_t s, size_t meeting)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        stay_t *a = realloc(r->stay, cap * sizeof *a);
        if (a)
            r->stay = a;
        size_t *b = a ? realloc(r->meeting_of, cap * sizeof *b) : NULL;
        if (!b)
            return YH_ENOMEM;
        r->meeting_of = b;
        r->cap = cap;
    }
    r->stay[r->n] = s;
    r->meeting_of[r->n++] = meeting;
    return 0;
}

static int meeting_push(yh_store_usage_t *u, size_t *cap, sqlite3_stmt *s)
{
    if (u->n_meetings == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        yh_store_usage_meeting_t *a = realloc(u->by_meeting, c * sizeof *a);
        if (!a)
            return YH_ENOMEM;
        u->by_meeting = a;
        *cap = c;
    }
    yh_store_usage_meeting_t *m = &u->by_meeting[u->n_meetings++];
    memset(m, 0, sizeof *m);
    yh__store_col_text(s, 0, m->number, sizeof m->number);
    if (sqlite3_column_type(s, 3) == SQLITE_NULL)
        snprintf(m->title, sizeof m->title, "Meeting %s", m->number);
    else
        yh__store_col_text(s, 3, m->title, sizeof m->title);
    return 0;
}

/* Reads the clipped stays, grouped by meeting in query order. */
static int load(yh_store_t *st, yh_store_usage_t *u, int64_t now_ms, rows_t *r)
{
    size_t cap = 0;
    int rc = 0, step;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_USAGE_ROWS);
    sqlite3_bind_int64(s, 1, u->from_ms);
    sqlite3_bind_int64(s, 2, u->to_ms);
    sqlite3_bind_int64(s, 3, now_ms);
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *num = (const char *)sqlite3_column_text(s, 0);
        if (!u->n_meetings || strcmp(u->by_meeting[u->n_meetings - 1].number, num ? num : ""))
            rc = meeting_push(u, &cap, s);
        int64_t a = sqlite3_column_int64(s, 1), b = sqlite3_column_int64(s, 2);
        stay_t v = {a < u->from_ms ? u->from_ms : a, b > u->to_ms ? u->to_ms : b};
        if (v.end < v.start)
            v.end = v.start;
        if (!rc)
            rc = rows_push(r, v, u->n_meetings - 1);
    }
    sqlite3_reset(s);
    if (!rc && step != SQLITE_DONE)
        rc = yh__store_fail(st, "usage query");
    return rc;
}

static int first_join_cmp(const void *a, const void *b)
{
    const yh_store_usage_meeting_t *x = a, *y = b;
    if (x->first_join_ms != y->first_join_ms)
        return x->first_join_ms < y->first_join_ms ? -1 : 1;
    return strcmp(x->number, y->number);
}

int yh_store_usage_query(yh_store_t *st, int64_t from_ms, int64_t to_ms, int64_t now_ms,
                         yh_store_usage_t *out)
{
    rows_t r = {0};
    event_t *ev = NULL;
    memset(out, 0, sizeof *out);
    if (!st || from_ms > to_ms)
        return YH_EINVAL;
    out->from_ms = from_ms;
    out->to_ms = to_ms;
    int rc = load(st, out, now_ms, &r);
    if (!rc && r.n && !(ev = malloc(2 * r.n * sizeof *ev)))
        rc = YH_ENOMEM;
    for (size_t i = 0, j; !rc && i < r.n; i = j) {
        yh_store_usage_meeting_t *m = &out->by_meeting[r.meeting_of[i]];
        for (j = i; j < r.n && r.meeting_of[j] == r.meeting_of[i]; j++)
            ;
        meeting_sum(m, r.stay + i, j - i, ev);
        out->participant_minutes += m->participant_minutes;
        out->meeting_minutes += m->meeting_minutes;
    }
    if (!rc) {
        out->meetings = (int)out->n_meetings;
        out->peak_participants = r.n ? peak_of(r.stay, r.n, ev) : 0;
        if (out->n_meetings)
            qsort(out->by_meeting, out->n_meetings, sizeof *out->by_meeting, first_join_cmp);
    }
    free(ev);
    free(r.stay);
    free(r.meeting_of);
    if (rc)
        yh_store_usage_free(out);
    return rc;
}

void yh_store_usage_free(yh_store_usage_t *u)
{
    if (!u)
        return;
    free(u->by_meeting);
    u->by_meeting = NULL;
    u->n_meetings = 0;
}
