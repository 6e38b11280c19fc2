/*
 * Internals of the store module, shared by its files; nobody else
 * includes this (or <sqlite3.h>).
 */
#ifndef YH_STORE_STORE_INT_H
#define YH_STORE_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

/* Every statement the module runs after open, prepared once. */
#define YH_STORE_STMTS(X)                                                                          \
    X(MEETING_INSERT, "INSERT INTO meetings(number,title,passcode,waiting_room,mute_on_entry,"     \
                      "publish,max_participants,starts_at,created_at,owner,adhoc,status) "         \
                      "VALUES(?,?,?,?,?,?,?,?,?,?,?,0)")                                           \
    X(MEETING_GET, "SELECT " YH_STORE_MEETING_COLS " FROM meetings WHERE number=?")                \
    X(MEETING_LIST, "SELECT " YH_STORE_MEETING_COLS " FROM meetings WHERE (?1<=0 OR owner=?1) "    \
                    "ORDER BY id DESC LIMIT ?2 OFFSET ?3")                                         \
    X(MEETING_STATUS, "UPDATE meetings SET status=?2, ended_at=?3 WHERE number=?1")                \
    X(MEETING_IDLE, "UPDATE meetings SET status=0 WHERE status=1")                                 \
    X(ACCOUNT_INSERT, "INSERT INTO accounts(user,hash,created_at) VALUES(?,?,?)")                  \
    X(ACCOUNT_LOOKUP, "SELECT id,hash FROM accounts WHERE user=?")                                 \
    X(ACCOUNT_NAME, "SELECT user FROM accounts WHERE id=?")                                        \
    X(PART_INSERT, "INSERT INTO participation(meeting,participant,name,role,client,join_ms) "      \
                   "VALUES(?,?,?,?,?,?)")                                                          \
    X(PART_GET, "SELECT join_ms, leave_ms IS NULL FROM participation WHERE id=?")                  \
    X(PART_CLOSE, "UPDATE participation SET leave_ms=?2 WHERE id=?1 AND leave_ms IS NULL")         \
    X(PART_CLOSE_ALL, "UPDATE participation SET leave_ms=MAX(join_ms,?1) WHERE leave_ms IS NULL")  \
    X(PART_COUNT_OPEN, "SELECT COUNT(*) FROM participation WHERE meeting=? AND leave_ms IS NULL")  \
    X(HEARTBEAT_SET, "INSERT INTO heartbeat(id,at_ms) VALUES(1,?1) "                               \
                     "ON CONFLICT(id) DO UPDATE SET at_ms=MAX(at_ms,?1)")                          \
    X(HEARTBEAT_GET, "SELECT at_ms FROM heartbeat WHERE id=1")                                     \
    X(USAGE_ROWS, "SELECT p.meeting, p.join_ms, COALESCE(p.leave_ms, ?3), m.title "                \
                  "FROM participation p LEFT JOIN meetings m ON m.number=p.meeting "               \
                  "WHERE p.join_ms < ?2 AND COALESCE(p.leave_ms, ?3) > ?1 "                        \
                  "ORDER BY p.meeting, p.join_ms")                                                 \
    X(STATS_MEETINGS, "SELECT status, COUNT(*) FROM meetings GROUP BY status")                     \
    X(STATS_OTHER, "SELECT (SELECT COUNT(*) FROM accounts), "                                      \
                   "(SELECT COUNT(*) FROM participation WHERE leave_ms IS NULL)")                  \
    X(BEGIN, "BEGIN IMMEDIATE")                                                                    \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")

#define YH_STORE_MEETING_COLS                                                                      \
    "id,number,title,passcode,waiting_room,mute_on_entry,publish,max_participants,starts_at,"      \
    "created_at,ended_at,owner,adhoc,status"

enum {
#define YH_STORE_STMT_ENUM(name, sql) YH_STMT_##name,
    YH_STORE_STMTS(YH_STORE_STMT_ENUM)
#undef YH_STORE_STMT_ENUM
        YH_STMT__COUNT
};

struct yh_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[YH_STMT__COUNT];
    int version;
};

/* The statement `id`, reset and with bindings cleared, ready to bind. */
sqlite3_stmt *yh__store_stmt(yh_store_t *st, int id);
/* Logs SQLite's message for a failed step of `what`; returns YH_EIO. */
int yh__store_fail(yh_store_t *st, const char *what);
/* Runs a statement that returns no rows (reset afterwards). */
int yh__store_exec(yh_store_t *st, sqlite3_stmt *s, const char *what);
/* Binds a string, or "" when NULL, truncated to `max` bytes at a UTF-8
 * character boundary. */
int yh__store_bind_text(sqlite3_stmt *s, int idx, const char *v, size_t max);
/* Copies column `col` as text into `out` (cap bytes), truncating. */
void yh__store_col_text(sqlite3_stmt *s, int col, char *out, size_t cap);

/* store_schema.c: brings an open database to the newest version. */
int yh__store_migrate(yh_store_t *st);

#endif
