/*
 * Opening the database: WAL journal (readers never block the writer, and
 * a commit is one append to the log), synchronous=NORMAL (in WAL mode a
 * power loss can lose the last commits but never corrupts), a busy
 * timeout for a second process such as `yunhui --add-host` writing at the
 * same time, then migrations, prepared statements and crash recovery.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/err.h"
#include "base/log.h"
#include "store/store_int.h"

#define MOD "store"
#define BUSY_TIMEOUT_MS 2000

static const char *const stmt_sql[YH_STMT__COUNT] = {
#define YH_STORE_STMT_SQL(name, sql) sql,
    YH_STORE_STMTS(YH_STORE_STMT_SQL)
#undef YH_STORE_STMT_SQL
};

int64_t yh_store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sqlite3_stmt *yh__store_stmt(yh_store_t *st, int id)
{
    sqlite3_stmt *s = st->stmt[id];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

int yh__store_fail(yh_store_t *st, const char *what)
{
    YH_LOGE(MOD, "%s: %s", what, sqlite3_errmsg(st->db));
    return YH_EIO;
}

int yh__store_exec(yh_store_t *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : yh__store_fail(st, what);
}

int yh__store_bind_text(sqlite3_stmt *s, int idx, const char *v, size_t max)
{
    if (!v)
        v = "";
    size_t n = strnlen(v, max + 1);
    if (n > max) {
        n = max;
        /* Do not cut a UTF-8 sequence: back up over continuation bytes. */
        while (n && ((unsigned char)v[n] & 0xC0) == 0x80)
            n--;
    }
    return sqlite3_bind_text(s, idx, v, (int)n, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : YH_ENOMEM;
}

void yh__store_col_text(sqlite3_stmt *s, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(s, col) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(out, t, n);
    out[n] = '\0';
}

static int pragma(yh_store_t *st, const char *sql, const char *want)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return yh__store_fail(st, sql);
    int rc = sqlite3_step(s);
    int ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
    if (ok && want && rc == SQLITE_ROW) {
        const char *got = (const char *)sqlite3_column_text(s, 0);
        if (!got || strcmp(got, want)) {
            YH_LOGE(MOD, "%s gave \"%s\"", sql, got ? got : "(null)");
            ok = 0;
        }
    }
    sqlite3_finalize(s);
    return ok ? 0 : YH_EIO;
}

static int db_open(yh_store_t *st, const char *dir)
{
    if (mkdir(dir, 0700) && errno != EEXIST) {
        YH_LOGE(MOD, "data directory %s: %s", dir, strerror(errno));
        return YH_EIO;
    }
    size_t len = strlen(dir) + sizeof "/yunhui.db";
    char *path = malloc(len);
    if (!path)
        return YH_ENOMEM;
    snprintf(path, len, "%s/yunhui.db", dir);
    int rc = sqlite3_open_v2(
        path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        YH_LOGE(MOD, "open %s: %s", path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
        free(path);
        return rc == SQLITE_NOMEM ? YH_ENOMEM : YH_EIO;
    }
    YH_LOGI(MOD, "database %s", path);
    free(path);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 1);
    if ((rc = pragma(st, "PRAGMA journal_mode=WAL", "wal")) ||
        (rc = pragma(st, "PRAGMA synchronous=NORMAL", NULL)) ||
        (rc = pragma(st, "PRAGMA foreign_keys=ON", NULL)))
        return rc;
    return 0;
}

static int prepare_all(yh_store_t *st)
{
    for (int i = 0; i < YH_STMT__COUNT; i++) {
        if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                               NULL) != SQLITE_OK)
            return yh__store_fail(st, stmt_sql[i]);
    }
    return 0;
}

int yh_store_open(const char *dir, yh_store_t **out)
{
    int rc, recovered = 0;
    *out = NULL;
    if (!dir || !*dir)
        return YH_EINVAL;
    yh_store_t *st = calloc(1, sizeof *st);
    if (!st)
        return YH_ENOMEM;
    if ((rc = db_open(st, dir)) || (rc = yh__store_migrate(st)) || (rc = prepare_all(st)) ||
        (rc = yh_store_recover(st, &recovered)) || (rc = yh_store_heartbeat(st, yh_store_now_ms())))
        goto fail;
    if (recovered)
        YH_LOGW(MOD, "closed %d participation rows left open by an unclean shutdown", recovered);
    *out = st;
    return 0;
fail:
    yh_store_close(st);
    return rc;
}

void yh_store_close(yh_store_t *st)
{
    if (!st)
        return;
    for (int i = 0; i < YH_STMT__COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    /* The last connection to close checkpoints the WAL into the database
     * file and removes it. */
    if (st->db && sqlite3_close(st->db) != SQLITE_OK)
        YH_LOGW(MOD, "close: %s", sqlite3_errmsg(st->db));
    free(st);
}

int yh_store_schema_version(yh_store_t *st)
{
    return st->version;
}

int yh_store_heartbeat(yh_store_t *st, int64_t now_ms)
{
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_HEARTBEAT_SET);
    sqlite3_bind_int64(s, 1, now_ms);
    return yh__store_exec(st, s, "heartbeat");
}

/* Transactions around multi-statement changes. */
static int tx(yh_store_t *st, int id, const char *what)
{
    return yh__store_exec(st, yh__store_stmt(st, id), what);
}

int yh_store_recover(yh_store_t *st, int *recovered)
{
    int64_t last = 0;
    int rc = tx(st, YH_STMT_BEGIN, "begin recovery");
    if (rc)
        return rc;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_HEARTBEAT_GET);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        last = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = yh__store_fail(st, "read heartbeat");
        goto fail;
    }
    /* MAX(join_ms, last): a row opened after the last heartbeat gets zero
     * length rather than a negative one. */
    s = yh__store_stmt(st, YH_STMT_PART_CLOSE_ALL);
    sqlite3_bind_int64(s, 1, last);
    if ((rc = yh__store_exec(st, s, "close open rows")))
        goto fail;
    if (recovered)
        *recovered = sqlite3_changes(st->db);
    if ((rc = tx(st, YH_STMT_MEETING_IDLE, "reset live meetings")) ||
        (rc = tx(st, YH_STMT_COMMIT, "commit recovery")))
        goto fail;
    return 0;
fail:
    tx(st, YH_STMT_ROLLBACK, "rollback");
    return rc;
}

int yh_store_participation_close_all(yh_store_t *st, int64_t now_ms)
{
    int rc = tx(st, YH_STMT_BEGIN, "begin shutdown");
    if (rc)
        return rc;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_PART_CLOSE_ALL);
    sqlite3_bind_int64(s, 1, now_ms);
    if ((rc = yh__store_exec(st, s, "close open rows")) ||
        (rc = tx(st, YH_STMT_MEETING_IDLE, "reset live meetings")) ||
        (rc = yh_store_heartbeat(st, now_ms)) || (rc = tx(st, YH_STMT_COMMIT, "commit shutdown")))
        goto fail;
    return 0;
fail:
    tx(st, YH_STMT_ROLLBACK, "rollback");
    return rc;
}
