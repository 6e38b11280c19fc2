/*
 * Meetings: creation with a random 9-digit number, lookup, status and
 * listing, and the passcode check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rand.h"
#include "store/store_int.h"

#define MOD "store"
#define NUMBER_ATTEMPTS 32
#define LIST_MAX 1000

static const char *const status_names[] = {"scheduled", "live", "ended"};
static const char *const publish_names[] = {"everyone", "speakers"};

const char *yh_store_status_name(yh_store_status_t s)
{
    return (unsigned)s < 3 ? status_names[s] : "unknown";
}

const char *yh_store_publish_name(yh_store_publish_t p)
{
    return (unsigned)p < 2 ? publish_names[p] : "unknown";
}

int yh_store_publish_parse(const char *name, yh_store_publish_t *out)
{
    for (int i = 0; i < 2; i++) {
        if (name && !strcmp(name, publish_names[i])) {
            *out = (yh_store_publish_t)i;
            return 0;
        }
    }
    return YH_EINVAL;
}

static int is_number(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (len < 1 || len > YH_STORE_NUMBER_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Uniform in 100000000..999999999: rejection sampling avoids the modulo
 * bias of 2^32 % 900000000. */
static void random_number(char out[YH_STORE_NUMBER_LEN + 1])
{
    const uint32_t span = 900000000u, limit = UINT32_MAX - UINT32_MAX % span;
    uint32_t r;
    do
        r = yh_rand_u32();
    while (r >= limit);
    snprintf(out, YH_STORE_NUMBER_LEN + 1, "%u", 100000000u + r % span);
}

static int settings_valid(const yh_store_settings_t *s)
{
    return (s->waiting_room == 0 || s->waiting_room == 1) &&
           (s->mute_on_entry == 0 || s->mute_on_entry == 1) &&
           (s->publish == YH_STORE_PUBLISH_EVERYONE || s->publish == YH_STORE_PUBLISH_SPEAKERS) &&
           s->max_participants >= 0 && s->max_participants <= 100000;
}

/* One INSERT; SQLITE_CONSTRAINT_UNIQUE on the number is YH_EEXISTS. */
static int insert(yh_store_t *st, const char *number, const char *title,
                  const yh_store_meeting_new_t *in, int adhoc)
{
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_MEETING_INSERT);
    const yh_store_settings_t *set = &in->settings;
    sqlite3_bind_text(s, 1, number, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, in->passcode ? in->passcode : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 4, set->waiting_room);
    sqlite3_bind_int(s, 5, set->mute_on_entry);
    sqlite3_bind_int(s, 6, (int)set->publish);
    sqlite3_bind_int(s, 7, set->max_participants);
    sqlite3_bind_int64(s, 8, in->starts_at);
    sqlite3_bind_int64(s, 9, yh_store_now_ms());
    sqlite3_bind_int64(s, 10, in->owner);
    sqlite3_bind_int(s, 11, adhoc);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
        return YH_EEXISTS;
    return yh__store_fail(st, "insert meeting");
}

int yh_store_meeting_create(yh_store_t *st, const yh_store_meeting_new_t *in,
                            char number[YH_STORE_NUMBER_LEN + 1])
{
    char title[YH_STORE_TITLE_MAX + 1], num[YH_STORE_NUMBER_LEN + 1];
    if (!st || !in || !number || !settings_valid(&in->settings) || in->starts_at < 0 ||
        in->owner < 0)
        return YH_EINVAL;
    if (in->title && strlen(in->title) > YH_STORE_TITLE_MAX)
        return YH_EINVAL;
    if (in->passcode && strlen(in->passcode) > YH_STORE_PASSCODE_MAX)
        return YH_EINVAL;
    for (int i = 0; i < NUMBER_ATTEMPTS; i++) {
        random_number(num);
        if (in->title && *in->title)
            snprintf(title, sizeof title, "%s", in->title);
        else
            snprintf(title, sizeof title, "Meeting %s", num);
        int rc = insert(st, num, title, in, 0);
        if (rc == 0) {
            memcpy(number, num, sizeof num);
            return 0;
        }
        if (rc != YH_EEXISTS)
            return rc;
    }
    /* 32 collisions in a row: the 900 million numbers are nearly used up. */
    YH_LOGE(MOD, "no free meeting number after %d attempts", NUMBER_ATTEMPTS);
    return YH_ELIMIT;
}

int yh_store_meeting_ensure_adhoc(yh_store_t *st, const char *number, int *created)
{
    char title[YH_STORE_TITLE_MAX + 1];
    yh_store_meeting_new_t in = {0};
    if (created)
        *created = 0;
    if (!st || !is_number(number))
        return YH_EINVAL;
    snprintf(title, sizeof title, "Meeting %s", number);
    int rc = insert(st, number, title, &in, 1);
    if (rc == YH_EEXISTS)
        return 0;
    if (rc == 0 && created)
        *created = 1;
    return rc;
}

static void row_read(sqlite3_stmt *s, yh_store_meeting_t *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(s, 0);
    yh__store_col_text(s, 1, m->number, sizeof m->number);
    yh__store_col_text(s, 2, m->title, sizeof m->title);
    yh__store_col_text(s, 3, m->passcode, sizeof m->passcode);
    m->settings.waiting_room = sqlite3_column_int(s, 4) != 0;
    m->settings.mute_on_entry = sqlite3_column_int(s, 5) != 0;
    m->settings.publish =
        sqlite3_column_int(s, 6) == 1 ? YH_STORE_PUBLISH_SPEAKERS : YH_STORE_PUBLISH_EVERYONE;
    m->settings.max_participants = sqlite3_column_int(s, 7);
    m->starts_at = sqlite3_column_int64(s, 8);
    m->created_at = sqlite3_column_int64(s, 9);
    m->ended_at = sqlite3_column_int64(s, 10);
    m->owner = sqlite3_column_int64(s, 11);
    m->adhoc = sqlite3_column_int(s, 12) != 0;
    int status = sqlite3_column_int(s, 13);
    m->status = status == 1 ? YH_STORE_LIVE : status == 2 ? YH_STORE_ENDED : YH_STORE_SCHEDULED;
}

int yh_store_meeting_get(yh_store_t *st, const char *number, yh_store_meeting_t *out)
{
    if (!st || !out || !number)
        return YH_EINVAL;
    if (!is_number(number))
        return YH_ENOTFOUND;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_MEETING_GET);
    sqlite3_bind_text(s, 1, number, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        row_read(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? YH_ENOTFOUND : yh__store_fail(st, "get meeting");
}

int yh_store_meeting_set_status(yh_store_t *st, const char *number, yh_store_status_t status)
{
    yh_store_meeting_t m;
    if ((unsigned)status > YH_STORE_ENDED)
        return YH_EINVAL;
    int rc = yh_store_meeting_get(st, number, &m);
    if (rc)
        return rc;
    if (m.status == YH_STORE_ENDED)
        return status == YH_STORE_ENDED ? 0 : YH_ESTATE;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_MEETING_STATUS);
    sqlite3_bind_text(s, 1, number, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, (int)status);
    sqlite3_bind_int64(s, 3, status == YH_STORE_ENDED ? yh_store_now_ms() : 0);
    return yh__store_exec(st, s, "set meeting status");
}

int yh_store_meeting_check_passcode(const yh_store_meeting_t *m, const char *passcode)
{
    size_t want = strnlen(m->passcode, sizeof m->passcode);
    if (want == 0)
        return 0;
    const char *got = passcode ? passcode : "";
    size_t glen = strnlen(got, YH_STORE_PASSCODE_MAX + 1);
    return yh_auth_equal(m->passcode, want, got, glen, YH_STORE_PASSCODE_MAX) ? 0 : YH_EINTEGRITY;
}

int yh_store_meeting_list(yh_store_t *st, int64_t owner, int limit, int offset,
                          yh_store_meeting_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!st || limit < 1 || limit > LIST_MAX || offset < 0)
        return YH_EINVAL;
    yh_store_meeting_t *v = calloc((size_t)limit, sizeof *v);
    if (!v)
        return YH_ENOMEM;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_MEETING_LIST);
    sqlite3_bind_int64(s, 1, owner);
    sqlite3_bind_int(s, 2, limit);
    sqlite3_bind_int(s, 3, offset);
    size_t k = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && k < (size_t)limit)
        row_read(s, &v[k++]);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        free(v);
        return yh__store_fail(st, "list meetings");
    }
    if (k == 0) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = k;
    return 0;
}
