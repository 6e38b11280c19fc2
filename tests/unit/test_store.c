/*
 * store: a real SQLite database in a fresh temporary directory per test.
 * Migrations from empty and on re-open, WAL, meetings, numbers, accounts,
 * the participation log, crash recovery, and the usage report over
 * intervals whose sums, unions and peaks are worked out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "store/store.h"

#define MIN 60000LL
#define T0 1700000000000LL /* 2023-11-14T22:13:20Z */

typedef struct fixture {
    char dir[64];
    yh_store_t *st;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/yh-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    /* A directory that does not exist yet: open creates it. */
    strcat(f->dir, "/data");
    if (yh_store_open(f->dir, &f->st))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];
    yh_store_close(f->st);
    *strrchr(f->dir, '/') = '\0';
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc ? -1 : 0;
}

static void reopen(fixture_t *f)
{
    yh_store_close(f->st);
    f->st = NULL;
    assert_int_equal(yh_store_open(f->dir, &f->st), 0);
}

/* A raw SQLite query on the same file, for what the API does not show. */
static int64_t raw_int(fixture_t *f, const char *sql)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *s;
    snprintf(path, sizeof path, "%s/yunhui.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void raw_exec(fixture_t *f, const char *sql)
{
    char path[128];
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/yunhui.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_migrations(void **state)
{
    fixture_t *f = *state;
    struct stat st;
    assert_int_equal(yh_store_schema_version(f->st), 2);
    assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM migrations"), 2);
    /* WAL journal: the -wal file exists while the database is open. */
    char wal[128];
    snprintf(wal, sizeof wal, "%s/yunhui.db-wal", f->dir);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* Re-opening applies nothing again and keeps the data. */
    char num[YH_STORE_NUMBER_LEN + 1];
    yh_store_meeting_new_t in = {.title = "kept"};
    assert_int_equal(yh_store_meeting_create(f->st, &in, num), 0);
    reopen(f);
    assert_int_equal(yh_store_schema_version(f->st), 2);
    assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM migrations"), 2);
    yh_store_meeting_t m;
    assert_int_equal(yh_store_meeting_get(f->st, num, &m), 0);
    assert_string_equal(m.title, "kept");
    /* A database from a newer server is refused, not damaged. */
    yh_store_close(f->st);
    f->st = NULL;
    raw_exec(f, "INSERT INTO migrations(version,applied_at) VALUES(99,0)");
    assert_int_equal(yh_store_open(f->dir, &f->st), YH_EUNSUPPORTED);
    assert_null(f->st);
    raw_exec(f, "DELETE FROM migrations WHERE version=99");
    assert_int_equal(yh_store_open(f->dir, &f->st), 0);
}

static void test_meeting_crud(void **state)
{
    fixture_t *f = *state;
    char num[YH_STORE_NUMBER_LEN + 1];
    yh_store_meeting_new_t in = {
        .title = "Press interview",
        .passcode = "4711",
        .settings = {.waiting_room = 1,
                     .mute_on_entry = 1,
                     .publish = YH_STORE_PUBLISH_SPEAKERS,
                     .max_participants = 13},
        .starts_at = T0,
        .owner = 7,
    };
    assert_int_equal(yh_store_meeting_create(f->st, &in, num), 0);
    yh_store_meeting_t m;
    assert_int_equal(yh_store_meeting_get(f->st, num, &m), 0);
    assert_string_equal(m.number, num);
    assert_string_equal(m.title, "Press interview");
    assert_string_equal(m.passcode, "4711");
    assert_int_equal(m.settings.waiting_room, 1);
    assert_int_equal(m.settings.mute_on_entry, 1);
    assert_int_equal(m.settings.publish, YH_STORE_PUBLISH_SPEAKERS);
    assert_int_equal(m.settings.max_participants, 13);
    assert_int_equal(m.starts_at, T0);
    assert_int_equal(m.owner, 7);
    assert_int_equal(m.adhoc, 0);
    assert_int_equal(m.status, YH_STORE_SCHEDULED);
    assert_true(m.created_at > T0);

    assert_int_equal(yh_store_meeting_check_passcode(&m, "4711"), 0);
    assert_int_equal(yh_store_meeting_check_passcode(&m, "4712"), YH_EINTEGRITY);
    assert_int_equal(yh_store_meeting_check_passcode(&m, "47111"), YH_EINTEGRITY);
    assert_int_equal(yh_store_meeting_check_passcode(&m, ""), YH_EINTEGRITY);
    assert_int_equal(yh_store_meeting_check_passcode(&m, NULL), YH_EINTEGRITY);

    assert_int_equal(yh_store_meeting_set_status(f->st, num, YH_STORE_LIVE), 0);
    assert_int_equal(yh_store_meeting_get(f->st, num, &m), 0);
    assert_int_equal(m.status, YH_STORE_LIVE);
    assert_int_equal(yh_store_meeting_set_status(f->st, num, YH_STORE_ENDED), 0);
    assert_int_equal(yh_store_meeting_get(f->st, num, &m), 0);
    assert_int_equal(m.status, YH_STORE_ENDED);
    assert_true(m.ended_at > T0);
    /* Ended is final. */
    assert_int_equal(yh_store_meeting_set_status(f->st, num, YH_STORE_LIVE), YH_ESTATE);
    assert_int_equal(yh_store_meeting_set_status(f->st, num, YH_STORE_ENDED), 0);
    assert_int_equal(yh_store_meeting_set_status(f->st, "123", YH_STORE_LIVE), YH_ENOTFOUND);

    /* Defaults: a title from the number, no passcode. */
    yh_store_meeting_new_t bare = {0};
    char n2[YH_STORE_NUMBER_LEN + 1];
    assert_int_equal(yh_store_meeting_create(f->st, &bare, n2), 0);
    assert_int_equal(yh_store_meeting_get(f->st, n2, &m), 0);
    char want[32];
    snprintf(want, sizeof want, "Meeting %s", n2);
    assert_string_equal(m.title, want);
    assert_int_equal(yh_store_meeting_check_passcode(&m, NULL), 0);
    assert_int_equal(yh_store_meeting_check_passcode(&m, "anything"), 0);

    /* Unknown and malformed numbers. */
    assert_int_equal(yh_store_meeting_get(f->st, "999999999999", &m), YH_ENOTFOUND);
    assert_int_equal(yh_store_meeting_get(f->st, "1 OR 1=1", &m), YH_ENOTFOUND);

    /* Bad input. */
    char big[YH_STORE_TITLE_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    yh_store_meeting_new_t bad = {.title = big};
    assert_int_equal(yh_store_meeting_create(f->st, &bad, n2), YH_EINVAL);
    bad = (yh_store_meeting_new_t){.settings = {.waiting_room = 2}};
    assert_int_equal(yh_store_meeting_create(f->st, &bad, n2), YH_EINVAL);
    bad = (yh_store_meeting_new_t){.settings = {.max_participants = -1}};
    assert_int_equal(yh_store_meeting_create(f->st, &bad, n2), YH_EINVAL);
}

static void test_meeting_list(void **state)
{
    fixture_t *f = *state;
    char nums[5][YH_STORE_NUMBER_LEN + 1];
    for (int i = 0; i < 5; i++) {
        yh_store_meeting_new_t in = {.owner = i < 2 ? 3 : 0};
        assert_int_equal(yh_store_meeting_create(f->st, &in, nums[i]), 0);
    }
    yh_store_meeting_t *v;
    size_t n;
    assert_int_equal(yh_store_meeting_list(f->st, 0, 10, 0, &v, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(v[0].number, nums[4]); /* newest first */
    assert_string_equal(v[4].number, nums[0]);
    free(v);
    assert_int_equal(yh_store_meeting_list(f->st, 0, 2, 1, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].number, nums[3]);
    free(v);
    assert_int_equal(yh_store_meeting_list(f->st, 3, 10, 0, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].number, nums[1]);
    free(v);
    assert_int_equal(yh_store_meeting_list(f->st, 0, 10, 10, &v, &n), 0);
    assert_int_equal(n, 0);
    assert_null(v);
    assert_int_equal(yh_store_meeting_list(f->st, 0, 0, 0, &v, &n), YH_EINVAL);
    assert_int_equal(yh_store_meeting_list(f->st, 0, 1001, 0, &v, &n), YH_EINVAL);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_numbers(void **state)
{
    fixture_t *f = *state;
    enum { N = 300 };
    static char nums[N][YH_STORE_NUMBER_LEN + 1];
    yh_store_meeting_new_t in = {0};
    int first_digits[10] = {0};
    for (int i = 0; i < N; i++) {
        assert_int_equal(yh_store_meeting_create(f->st, &in, nums[i]), 0);
        assert_int_equal(strlen(nums[i]), 9);
        assert_int_equal(strspn(nums[i], "0123456789"), 9);
        assert_true(nums[i][0] != '0');
        first_digits[nums[i][0] - '0']++;
    }
    qsort(nums, N, sizeof nums[0], cmp_str);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(nums[i - 1], nums[i]);
    /* Spread over the leading digits (each expected ~33 of 300). */
    for (int d = 1; d <= 9; d++)
        assert_true(first_digits[d] > 5);

    /* Ad-hoc meetings: recorded once, with the number as given. */
    int created = -1;
    assert_int_equal(yh_store_meeting_ensure_adhoc(f->st, "room-1", &created), 0);
    assert_int_equal(created, 1);
    assert_int_equal(yh_store_meeting_ensure_adhoc(f->st, "room-1", &created), 0);
    assert_int_equal(created, 0);
    /* A created meeting's number is not replaced by an ad-hoc one. */
    assert_int_equal(yh_store_meeting_ensure_adhoc(f->st, nums[0], &created), 0);
    assert_int_equal(created, 0);
    yh_store_meeting_t m;
    assert_int_equal(yh_store_meeting_get(f->st, "room-1", &m), 0);
    assert_int_equal(m.adhoc, 1);
    assert_string_equal(m.title, "Meeting room-1");
    assert_int_equal(yh_store_meeting_get(f->st, nums[0], &m), 0);
    assert_int_equal(m.adhoc, 0);
    assert_int_equal(yh_store_meeting_ensure_adhoc(f->st, "bad number", NULL), YH_EINVAL);
    assert_int_equal(yh_store_meeting_ensure_adhoc(f->st, "", NULL), YH_EINVAL);
    assert_int_equal(yh_store_meeting_ensure_adhoc(f->st, "123456789012345678901", NULL),
                     YH_EINVAL);
}

static void test_accounts(void **state)
{
    fixture_t *f = *state;
    int64_t id = 0, got = 0;
    assert_int_equal(yh_store_account_create(f->st, "alice@example.org", "correct horse", &id), 0);
    assert_true(id > 0);
    assert_int_equal(yh_store_account_create(f->st, "alice@example.org", "other", NULL),
                     YH_EEXISTS);
    assert_int_equal(yh_store_account_create(f->st, "bad user", "pw", NULL), YH_EINVAL);
    assert_int_equal(yh_store_account_create(f->st, "bob", "", NULL), YH_EINVAL);
    assert_int_equal(yh_store_account_verify(f->st, "alice@example.org", "correct horse", &got), 0);
    assert_int_equal(got, id);
    assert_int_equal(yh_store_account_verify(f->st, "alice@example.org", "correct hors", &got),
                     YH_EINTEGRITY);
    assert_int_equal(yh_store_account_verify(f->st, "mallory", "correct horse", &got),
                     YH_EINTEGRITY);
    assert_int_equal(yh_store_account_verify(f->st, "", "x", &got), YH_EINTEGRITY);
    char user[YH_STORE_USER_MAX + 1], hash[160];
    assert_int_equal(yh_store_account_name(f->st, id, user), 0);
    assert_string_equal(user, "alice@example.org");
    assert_int_equal(yh_store_account_name(f->st, id + 1, user), YH_ENOTFOUND);
    assert_int_equal(yh_store_account_lookup(f->st, "alice@example.org", &got, hash, sizeof hash),
                     0);
    assert_memory_equal(hash, "$argon2id$", 10);
    assert_null(strstr(hash, "correct horse"));
    /* Survives a restart. */
    reopen(f);
    assert_int_equal(yh_store_account_verify(f->st, "alice@example.org", "correct horse", &got), 0);
    assert_int_equal(got, id);
}

static int64_t open_row(fixture_t *f, const char *meeting, const char *pid, int64_t join)
{
    int64_t row = 0;
    yh_store_participation_t p = {
        .meeting = meeting,
        .participant = pid,
        .name = "Name",
        .role = "attendee",
        .client = "web",
        .join_ms = join,
    };
    assert_int_equal(yh_store_participation_open(f->st, &p, &row), 0);
    assert_true(row > 0);
    return row;
}

/* A stay [a, b) in minutes after T0. */
static void stay(fixture_t *f, const char *meeting, int64_t a, int64_t b)
{
    int64_t row = open_row(f, meeting, "p1", T0 + a * MIN);
    assert_int_equal(yh_store_participation_close(f->st, row, T0 + b * MIN), 0);
}

static void test_participation(void **state)
{
    fixture_t *f = *state;
    int count = -1;
    int64_t r1 = open_row(f, "111111111", "p1", T0);
    int64_t r2 = open_row(f, "111111111", "p2", T0 + MIN);
    assert_int_equal(yh_store_participation_count_open(f->st, "111111111", &count), 0);
    assert_int_equal(count, 2);
    assert_int_equal(yh_store_participation_close(f->st, r1, T0 + 2 * MIN), 0);
    assert_int_equal(yh_store_participation_close(f->st, r1, T0 + 3 * MIN), YH_ESTATE);
    assert_int_equal(yh_store_participation_close(f->st, 9999, T0), YH_ENOTFOUND);
    /* A leave before the join (clock step) is clamped: zero length. */
    assert_int_equal(yh_store_participation_close(f->st, r2, T0), 0);
    assert_int_equal(raw_int(f, "SELECT leave_ms - join_ms FROM participation WHERE id=2"), 0);
    assert_int_equal(yh_store_participation_count_open(f->st, "111111111", &count), 0);
    assert_int_equal(count, 0);
    /* Over-long strings are cut at a character boundary, not refused. */
    char name[400];
    memset(name, 'a', sizeof name);
    memcpy(name + 255, "\xc3\xa9", 2); /* "é" across the 256-byte limit */
    name[sizeof name - 1] = '\0';
    yh_store_participation_t p = {
        .meeting = "m", .participant = "p3", .name = name, .role = "host", .join_ms = T0};
    int64_t r3;
    assert_int_equal(yh_store_participation_open(f->st, &p, &r3), 0);
    assert_int_equal(raw_int(f, "SELECT length(CAST(name AS BLOB)) FROM participation "
                                "WHERE id=3"),
                     255);
    p.meeting = "";
    assert_int_equal(yh_store_participation_open(f->st, &p, &r3), YH_EINVAL);

    /* Orderly shutdown closes what is open at the given time. */
    int64_t r4 = open_row(f, "222222222", "p4", T0 + 10 * MIN);
    char num[YH_STORE_NUMBER_LEN + 1];
    yh_store_meeting_new_t in = {0};
    assert_int_equal(yh_store_meeting_create(f->st, &in, num), 0);
    assert_int_equal(yh_store_meeting_set_status(f->st, num, YH_STORE_LIVE), 0);
    assert_int_equal(yh_store_participation_close_all(f->st, T0 + 12 * MIN), 0);
    assert_int_equal(yh_store_participation_close(f->st, r4, T0 + 20 * MIN), YH_ESTATE);
    assert_int_equal(raw_int(f, "SELECT leave_ms FROM participation WHERE id=4"), T0 + 12 * MIN);
    yh_store_meeting_t m;
    assert_int_equal(yh_store_meeting_get(f->st, num, &m), 0);
    assert_int_equal(m.status, YH_STORE_SCHEDULED);
}

static void test_crash_recovery(void **state)
{
    fixture_t *f = *state;
    /* The clock of this test is in the past: clear the heartbeat that
     * open wrote (now) so that the test's own times count. */
    char num[YH_STORE_NUMBER_LEN + 1];
    yh_store_meeting_new_t in = {0};
    assert_int_equal(yh_store_meeting_create(f->st, &in, num), 0);
    assert_int_equal(yh_store_meeting_set_status(f->st, num, YH_STORE_LIVE), 0);
    raw_exec(f, "UPDATE heartbeat SET at_ms=0");
    assert_int_equal(yh_store_heartbeat(f->st, T0 + 5 * MIN), 0);
    open_row(f, num, "p1", T0);
    open_row(f, num, "p2", T0 + 3 * MIN);
    stay(f, num, 1, 2);
    assert_int_equal(raw_int(f, "SELECT at_ms FROM heartbeat"), T0 + 5 * MIN);
    /* A join after the last heartbeat is proof of life too. */
    open_row(f, num, "p4", T0 + 7 * MIN);
    assert_int_equal(raw_int(f, "SELECT at_ms FROM heartbeat"), T0 + 7 * MIN);
    /* A crash: the process dies without close_all. */
    reopen(f);
    assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM participation WHERE leave_ms IS NULL"), 0);
    assert_int_equal(raw_int(f, "SELECT leave_ms FROM participation WHERE id=1"), T0 + 7 * MIN);
    assert_int_equal(raw_int(f, "SELECT leave_ms FROM participation WHERE id=2"), T0 + 7 * MIN);
    assert_int_equal(raw_int(f, "SELECT leave_ms FROM participation WHERE id=3"), T0 + 2 * MIN);
    assert_int_equal(raw_int(f, "SELECT leave_ms FROM participation WHERE id=4"), T0 + 7 * MIN);
    yh_store_meeting_t m;
    assert_int_equal(yh_store_meeting_get(f->st, num, &m), 0);
    assert_int_equal(m.status, YH_STORE_SCHEDULED);
    yh_store_usage_t u;
    assert_int_equal(yh_store_usage_query(f->st, T0, T0 + 60 * MIN, T0 + 60 * MIN, &u), 0);
    assert_int_equal(u.meetings, 1);
    assert_true(u.participant_minutes > 11.99 && u.participant_minutes < 12.01);
    assert_int_equal(u.peak_participants, 2); /* p1 with the 1..2 stay, then with p2 */
    yh_store_usage_free(&u);
    /* The heartbeat never goes backwards (reopen wrote "now"). */
    assert_int_equal(yh_store_heartbeat(f->st, T0), 0);
    assert_true(raw_int(f, "SELECT at_ms FROM heartbeat") > T0 + 7 * MIN);
    /* Nothing left to recover: a clean re-open closes nothing. */
    int recovered = -1;
    assert_int_equal(yh_store_recover(f->st, &recovered), 0);
    assert_int_equal(recovered, 0);
}

static void near(double got, double want)
{
    if (got < want - 1e-9 || got > want + 1e-9)
        fail_msg("got %f, want %f", got, want);
}

/* Meeting A: [0,10) [5,15) [20,25) and [15,20), which touches both ends
 * (half-open: no overlap); B: [8,12); C: [30,40). */
static void usage_fixture(fixture_t *f)
{
    stay(f, "aaaaaaaaa", 0, 10);
    stay(f, "aaaaaaaaa", 5, 15);
    stay(f, "aaaaaaaaa", 20, 25);
    stay(f, "aaaaaaaaa", 15, 20);
    stay(f, "bbbbbbbbb", 8, 12);
    stay(f, "ccccccccc", 30, 40);
}

static void test_usage_whole(void **state)
{
    fixture_t *f = *state;
    usage_fixture(f);
    yh_store_usage_t u;
    assert_int_equal(yh_store_usage_query(f->st, T0, T0 + 60 * MIN, T0 + 60 * MIN, &u), 0);
    assert_int_equal(u.meetings, 3);
    near(u.participant_minutes, 10 + 10 + 5 + 5 + 4 + 10);
    near(u.meeting_minutes, 25 + 4 + 10);
    assert_int_equal(u.peak_participants, 3); /* [8,10): A twice and B */
    assert_int_equal(u.n_meetings, 3);
    yh_store_usage_meeting_t *a = &u.by_meeting[0], *b = &u.by_meeting[1], *c = &u.by_meeting[2];
    assert_string_equal(a->number, "aaaaaaaaa");
    assert_string_equal(b->number, "bbbbbbbbb");
    assert_string_equal(c->number, "ccccccccc");
    assert_int_equal(a->sessions, 4);
    near(a->participant_minutes, 30);
    near(a->meeting_minutes, 25);
    assert_int_equal(a->peak_participants, 2);
    assert_int_equal(a->first_join_ms, T0);
    assert_int_equal(a->last_leave_ms, T0 + 25 * MIN);
    assert_int_equal(b->peak_participants, 1);
    near(c->meeting_minutes, 10);
    /* Not stored as meetings: the title is made from the number. */
    assert_string_equal(a->title, "Meeting aaaaaaaaa");
    yh_store_usage_free(&u);
}

static void test_usage_clipped(void **state)
{
    fixture_t *f = *state;
    usage_fixture(f);
    yh_store_usage_t u;
    /* Window [6, 22): A [6,10) [6,15) [20,22) [15,20); B [8,12); C out. */
    assert_int_equal(yh_store_usage_query(f->st, T0 + 6 * MIN, T0 + 22 * MIN, T0 + 60 * MIN, &u),
                     0);
    assert_int_equal(u.meetings, 2);
    near(u.participant_minutes, 4 + 9 + 2 + 5 + 4);
    near(u.meeting_minutes, 16 + 4);
    assert_int_equal(u.peak_participants, 3);
    assert_int_equal(u.by_meeting[0].first_join_ms, T0 + 6 * MIN);
    assert_int_equal(u.by_meeting[0].last_leave_ms, T0 + 22 * MIN);
    yh_store_usage_free(&u);
    /* Window ending exactly where C starts: C is not counted. */
    assert_int_equal(yh_store_usage_query(f->st, T0 + 25 * MIN, T0 + 30 * MIN, T0 + 60 * MIN, &u),
                     0);
    assert_int_equal(u.meetings, 0);
    assert_int_equal(u.peak_participants, 0);
    assert_null(u.by_meeting);
    yh_store_usage_free(&u);
    /* An open row counts until now, clipped by the window. */
    open_row(f, "ddddddddd", "p9", T0 + 50 * MIN);
    assert_int_equal(yh_store_usage_query(f->st, T0 + 45 * MIN, T0 + 60 * MIN, T0 + 55 * MIN, &u),
                     0);
    assert_int_equal(u.meetings, 1);
    near(u.participant_minutes, 5);
    yh_store_usage_free(&u);
    assert_int_equal(yh_store_usage_query(f->st, 10, 5, 0, &u), YH_EINVAL);
}

static void test_usage_csv(void **state)
{
    fixture_t *f = *state;
    char num[YH_STORE_NUMBER_LEN + 1];
    yh_store_meeting_new_t in = {.title = "=HYPERLINK(\"x\")"};
    assert_int_equal(yh_store_meeting_create(f->st, &in, num), 0);
    stay(f, num, 0, 3);
    stay(f, num, 1, 2);
    yh_store_usage_t u;
    assert_int_equal(yh_store_usage_query(f->st, T0, T0 + 60 * MIN, T0 + 60 * MIN, &u), 0);
    char *csv;
    size_t len;
    assert_int_equal(yh_store_usage_csv(&u, &csv, &len), 0);
    assert_int_equal(strlen(csv), len);
    char want[512];
    snprintf(want, sizeof want,
             "meeting,title,sessions,participant_minutes,meeting_minutes,peak_participants,"
             "first_join,last_leave\r\n"
             "\"%s\",\"'=HYPERLINK(\"\"x\"\")\",2,4.00,3.00,2,"
             "2023-11-14T22:13:20Z,2023-11-14T22:16:20Z\r\n"
             "\"total\",\"\",2,4.00,3.00,2,2023-11-14T22:13:20Z,2023-11-14T23:13:20Z\r\n",
             num);
    assert_string_equal(csv, want);
    free(csv);
    yh_store_usage_free(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meeting_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meeting_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_participation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_clipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_csv, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
