/*
 * The schema as numbered migrations. Each runs once, in its own
 * transaction together with the row that records it in `migrations`, so a
 * crash mid-way leaves the database at the previous version. Migrations are
 * only ever appended: a released one is never edited.
 */
#include <stdio.h>
#include <time.h>

#include "base/err.h"
#include "base/log.h"
#include "store/store_int.h"

#define MOD "store"

static const char *const migrations[] = {
    /* 1: meetings and host accounts. */
    "CREATE TABLE meetings ("
    " id INTEGER PRIMARY KEY,"
    " number TEXT NOT NULL UNIQUE,"
    " title TEXT NOT NULL,"
    " passcode TEXT NOT NULL DEFAULT '',"
    " waiting_room INTEGER NOT NULL DEFAULT 0,"
    " mute_on_entry INTEGER NOT NULL DEFAULT 0,"
    " publish INTEGER NOT NULL DEFAULT 0,"
    " max_participants INTEGER NOT NULL DEFAULT 0,"
    " starts_at INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " ended_at INTEGER NOT NULL DEFAULT 0,"
    " owner INTEGER NOT NULL DEFAULT 0,"
    " adhoc INTEGER NOT NULL DEFAULT 0,"
    " status INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX meetings_owner ON meetings(owner);"
    "CREATE TABLE accounts ("
    " id INTEGER PRIMARY KEY,"
    " user TEXT NOT NULL UNIQUE,"
    " hash TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);",

    /* 2: the participation log and the liveness heartbeat that bounds
     * rows a crash left open. */
    "CREATE TABLE participation ("
    " id INTEGER PRIMARY KEY,"
    " meeting TEXT NOT NULL,"
    " participant TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " client TEXT NOT NULL,"
    " join_ms INTEGER NOT NULL,"
    " leave_ms INTEGER);"
    "CREATE INDEX participation_join ON participation(join_ms);"
    "CREATE INDEX participation_open ON participation(meeting) WHERE leave_ms IS NULL;"
    "CREATE TABLE heartbeat ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " at_ms INTEGER NOT NULL);",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof *migrations))

static int exec(yh_store_t *st, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    YH_LOGE(MOD, "%s: %s", what, msg ? msg : sqlite3_errmsg(st->db));
    sqlite3_free(msg);
    return YH_EIO;
}

static int current_version(yh_store_t *st, int *version)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "SELECT COALESCE(MAX(version),0) FROM migrations", -1, &s,
                           NULL) != SQLITE_OK)
        return yh__store_fail(st, "read schema version");
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : yh__store_fail(st, "read schema version");
}

/* One step, with the version read inside the write transaction: a second
 * server opening the same database meanwhile waits, then sees the step
 * done. Sets *version to the version after the step. */
static int step(yh_store_t *st, int *version)
{
    char record[128];
    int rc = exec(st, "BEGIN IMMEDIATE", "begin migration");
    if (rc)
        return rc;
    if ((rc = current_version(st, version)))
        goto fail;
    if (*version > N_MIGRATIONS) {
        YH_LOGE(MOD, "database schema %d is newer than this server's %d", *version, N_MIGRATIONS);
        rc = YH_EUNSUPPORTED;
        goto fail;
    }
    if (*version < N_MIGRATIONS) {
        int v = *version + 1;
        snprintf(record, sizeof record,
                 "INSERT INTO migrations(version,applied_at) VALUES(%d,%lld)", v,
                 (long long)time(NULL));
        if ((rc = exec(st, migrations[v - 1], "migration")) ||
            (rc = exec(st, record, "record migration"))) {
            YH_LOGE(MOD, "migration %d failed; the database stays at %d", v, v - 1);
            goto fail;
        }
        YH_LOGI(MOD, "applied schema migration %d", v);
        *version = v;
    }
    if ((rc = exec(st, "COMMIT", "commit migration")))
        goto fail;
    return 0;
fail:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int yh__store_migrate(yh_store_t *st)
{
    int version = 0;
    int rc = exec(st,
                  "CREATE TABLE IF NOT EXISTS migrations ("
                  " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                  "create migrations table");
    do {
        if (rc || (rc = step(st, &version)))
            return rc;
    } while (version < N_MIGRATIONS);
    st->version = version;
    return 0;
}
