/*
 * The usage report as CSV (RFC 4180): CRLF line ends, every text field
 * quoted with inner quotes doubled. A title that begins like a spreadsheet
 * formula (= + - @) gets a leading apostrophe so opening the file cannot
 * run it (OWASP "CSV injection").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "store/store.h"

/* Bytes for one line: two quoted fields of at most 2x their size, the
 * numbers and two timestamps. */
#define LINE_MAX_BYTES (2 * (YH_STORE_TITLE_MAX + YH_STORE_NUMBER_MAX) + 256)

static const char header[] = "meeting,title,sessions,participant_minutes,meeting_minutes,"
                             "peak_participants,first_join,last_leave\r\n";

static size_t put_quoted(char *p, const char *s, int guard)
{
    size_t o = 0;
    p[o++] = '"';
    if (guard && (*s == '=' || *s == '+' || *s == '-' || *s == '@'))
        p[o++] = '\'';
    for (; *s; s++) {
        if (*s == '"')
            p[o++] = '"';
        p[o++] = *s;
    }
    p[o++] = '"';
    return o;
}

static void rfc3339(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        out[0] = '\0';
}

static size_t put_line(char *p, const char *number, const char *title, int sessions, double pm,
                       double mm, int peak, int64_t first, int64_t last)
{
    char a[32], b[32];
    size_t o = put_quoted(p, number, 0);
    p[o++] = ',';
    o += put_quoted(p + o, title, 1);
    rfc3339(first, a);
    rfc3339(last, b);
    o += (size_t)snprintf(p + o, LINE_MAX_BYTES - o, ",%d,%.2f,%.2f,%d,%s,%s\r\n", sessions, pm, mm,
                          peak, a, b);
    return o;
}

int yh_store_usage_csv(const yh_store_usage_t *u, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    size_t cap = sizeof header + (u->n_meetings + 1) * LINE_MAX_BYTES;
    char *buf = malloc(cap);
    if (!buf)
        return YH_ENOMEM;
    size_t o = sizeof header - 1;
    memcpy(buf, header, o);
    int sessions = 0;
    for (size_t i = 0; i < u->n_meetings; i++) {
        const yh_store_usage_meeting_t *m = &u->by_meeting[i];
        sessions += m->sessions;
        o += put_line(buf + o, m->number, m->title, m->sessions, m->participant_minutes,
                      m->meeting_minutes, m->peak_participants, m->first_join_ms, m->last_leave_ms);
    }
    o += put_line(buf + o, "total", "", sessions, u->participant_minutes, u->meeting_minutes,
                  u->peak_participants, u->from_ms, u->to_ms);
    buf[o] = '\0';
    *out = buf;
    *len = o;
    return 0;
}
