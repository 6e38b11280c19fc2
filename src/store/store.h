/*
 * Persistence: meetings, host accounts and the participation log in one
 * SQLite database (<data dir>/yunhui.db, WAL journal). This is the only
 * module that includes <sqlite3.h>.
 *
 * Threading: every function is synchronous and is called on the control
 * thread (the libuv loop of http/ and signal/), never from a media worker:
 * that is what keeps SQLite off the media path. A yh_store_t is not
 * thread-safe. Statements are prepared once at open.
 *
 * Schema: numbered migrations (store_schema.c) run inside a transaction at
 * open; the applied version is kept in table schema_version. Opening a
 * database written by a newer server fails with YH_EUNSUPPORTED.
 *
 * Times are Unix wall-clock milliseconds (int64_t); yh_store_now_ms()
 * gives the current one. Strings in structs are NUL-terminated copies.
 *
 * Errors: 0 or a negative YH_E* code. YH_ENOTFOUND for an unknown meeting
 * or account, YH_EEXISTS for a duplicate user name, YH_EINVAL for input
 * outside the limits below, YH_EINTEGRITY for a wrong password or
 * passcode, YH_EIO for a database failure (logged with SQLite's message).
 */
#ifndef YH_STORE_STORE_H
#define YH_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#define YH_STORE_NUMBER_LEN 9      /* digits of a created meeting's number */
#define YH_STORE_NUMBER_MAX 20     /* ad-hoc numbers: [0-9A-Za-z_-]{1,20} */
#define YH_STORE_TITLE_MAX 200     /* bytes of a meeting title */
#define YH_STORE_PASSCODE_MAX 64   /* bytes of a meeting passcode */
#define YH_STORE_USER_MAX 64       /* bytes of a host user name */
#define YH_STORE_PASSWORD_MAX 1024 /* bytes of a password */
#define YH_STORE_PID_MAX 31        /* bytes of a participant id ("p12") */
#define YH_STORE_NAME_MAX 256      /* bytes of a participant display name */
#define YH_STORE_ROLE_MAX 15       /* "host", "cohost", "speaker", "attendee" */
#define YH_STORE_KIND_MAX 15       /* client kind: "web", "terminal", "load" */

/* How often the caller should call yh_store_heartbeat (a uv timer on the
 * control loop; main.c runs it). After a crash, participation rows left
 * open are closed at the last heartbeat, so at most this much is lost. */
#define YH_STORE_HEARTBEAT_MS 30000

typedef struct yh_store yh_store_t;

/* Creates `dir` (mode 0700) when missing, opens or creates yunhui.db in
 * it, applies pending migrations and recovers from a crash (see
 * yh_store_recover). */
int yh_store_open(const char *dir, yh_store_t **out);
/* Closes the database. Does not close open participation rows: call
 * yh_store_participation_close_all first on an orderly shutdown. Accepts
 * NULL. */
void yh_store_close(yh_store_t *st);
/* The schema version the database is at (for tests and logs). */
int yh_store_schema_version(yh_store_t *st);
int64_t yh_store_now_ms(void);

/* ---- Meetings ---- */

typedef enum yh_store_status {
    YH_STORE_SCHEDULED = 0, /* created, nobody in it now */
    YH_STORE_LIVE,          /* at least one participant is in it */
    YH_STORE_ENDED,         /* ended by DELETE or a host: cannot be joined */
} yh_store_status_t;

typedef enum yh_store_publish {
    YH_STORE_PUBLISH_EVERYONE = 0,
    YH_STORE_PUBLISH_SPEAKERS, /* only host, cohost and speaker publish */
} yh_store_publish_t;

typedef struct yh_store_settings {
    int waiting_room;  /* 0/1 */
    int mute_on_entry; /* 0/1 */
    yh_store_publish_t publish;
    int max_participants; /* 0: the server's limit */
} yh_store_settings_t;

typedef struct yh_store_meeting {
    int64_t id; /* row id */
    char number[YH_STORE_NUMBER_MAX + 1];
    char title[YH_STORE_TITLE_MAX + 1];
    /* Kept in plain text so an admin can read it back, and compared in
     * constant time (yh_store_meeting_check_passcode). "" = none. */
    char passcode[YH_STORE_PASSCODE_MAX + 1];
    yh_store_settings_t settings;
    int64_t starts_at; /* scheduled start, 0 = none */
    int64_t created_at;
    int64_t ended_at; /* 0 unless status is ENDED */
    int64_t owner;    /* host account id that created it, 0 = admin API */
    int adhoc;        /* 1: opened by a first join in open mode */
    yh_store_status_t status;
} yh_store_meeting_t;

typedef struct yh_store_meeting_new {
    const char *title;    /* 1..YH_STORE_TITLE_MAX bytes; NULL or "" =>
                           * "Meeting <number>" */
    const char *passcode; /* NULL or "" = none; at most YH_STORE_PASSCODE_MAX */
    yh_store_settings_t settings;
    int64_t starts_at; /* 0 = none */
    int64_t owner;     /* 0 = admin API */
} yh_store_meeting_new_t;

/* Creates a meeting with a fresh random 9-digit number (first digit 1-9,
 * unique among all meetings ever stored); the number is written to
 * `number` (YH_STORE_NUMBER_LEN + 1 bytes). Status SCHEDULED. */
int yh_store_meeting_create(yh_store_t *st, const yh_store_meeting_new_t *in,
                            char number[YH_STORE_NUMBER_LEN + 1]);
/* Open mode: records the ad-hoc meeting `number` ([0-9A-Za-z_-]{1,20})
 * with default settings if no meeting has that number, so the
 * participation log and usage report can name it. 0 also when it exists;
 * `*created` (may be NULL) says which. */
int yh_store_meeting_ensure_adhoc(yh_store_t *st, const char *number, int *created);
/* YH_ENOTFOUND when no meeting has that number. */
int yh_store_meeting_get(yh_store_t *st, const char *number, yh_store_meeting_t *out);
/* Sets the status (ENDED also stamps ended_at = now). Ending is final:
 * moving an ENDED meeting to another status is YH_ESTATE. */
int yh_store_meeting_set_status(yh_store_t *st, const char *number, yh_store_status_t status);
/* 0 when the meeting has no passcode or `passcode` matches (constant time
 * in the passcode's content), else YH_EINTEGRITY. `passcode` may be NULL. */
int yh_store_meeting_check_passcode(const yh_store_meeting_t *m, const char *passcode);
/* Meetings newest first, at most `limit` (1..1000), skipping `offset`;
 * owner > 0 keeps only that account's meetings. *out is malloc'd (free()
 * it), *n its length; both empty when there are none. */
int yh_store_meeting_list(yh_store_t *st, int64_t owner, int limit, int offset,
                          yh_store_meeting_t **out, size_t *n);

const char *yh_store_status_name(yh_store_status_t s);   /* "scheduled"... */
const char *yh_store_publish_name(yh_store_publish_t p); /* "everyone"... */
/* Names back to values: 0 or YH_EINVAL. */
int yh_store_publish_parse(const char *name, yh_store_publish_t *out);

/* ---- Host accounts ---- */

/* Creates a host account; the password (1..YH_STORE_PASSWORD_MAX bytes)
 * is stored as an argon2id hash (auth.h). User names are 1..64 bytes of
 * [A-Za-z0-9._@-]. YH_EEXISTS when taken. Slow on purpose (hashing). */
int yh_store_account_create(yh_store_t *st, const char *user, const char *password, int64_t *id);
/* 0 and the account id when the password is right; YH_EINTEGRITY when the
 * user is unknown or the password wrong (the same code, and an unknown user
 * still costs one hash, so callers cannot tell them apart). */
int yh_store_account_verify(yh_store_t *st, const char *user, const char *password, int64_t *id);
/* For callers that verify off the loop (the HTTP API hashes on the uv
 * thread pool): the account id and its encoded argon2id hash (`hash` holds
 * `cap` bytes; YH_AUTH_HASH_MAX of auth.h is enough). YH_ENOTFOUND for an
 * unknown user. */
int yh_store_account_lookup(yh_store_t *st, const char *user, int64_t *id, char *hash, size_t cap);
/* The user name of an account (`user` holds YH_STORE_USER_MAX + 1). */
int yh_store_account_name(yh_store_t *st, int64_t id, char *user);

/* ---- Participation log ---- */

typedef struct yh_store_participation {
    const char *meeting;     /* meeting number (need not be a stored meeting) */
    const char *participant; /* participant id, e.g. "p12" (unique per process only) */
    const char *name;        /* display name */
    const char *role;        /* "host", "cohost", "speaker", "attendee" */
    const char *client;      /* client kind: "web", "terminal", "load"; NULL = "" */
    int64_t join_ms;
} yh_store_participation_t;

/* Writes a row for someone who just joined; its id goes to *row. Strings
 * over their limits are truncated, not refused: the log must not fail a
 * join. */
int yh_store_participation_open(yh_store_t *st, const yh_store_participation_t *p, int64_t *row);
/* Stamps the leave time of a row (a leave before the join is clamped to
 * the join). Closing a closed row is YH_ESTATE, an unknown one
 * YH_ENOTFOUND. */
int yh_store_participation_close(yh_store_t *st, int64_t row, int64_t leave_ms);
/* Orderly shutdown: closes every open row at `now_ms`, moves LIVE meetings
 * back to SCHEDULED and records the heartbeat. */
int yh_store_participation_close_all(yh_store_t *st, int64_t now_ms);
/* Number of open rows of a meeting (people in it now, by the log). */
int yh_store_participation_count_open(yh_store_t *st, const char *meeting, int *count);

/* Records that the server was alive at `now_ms` (it never moves back).
 * Call every YH_STORE_HEARTBEAT_MS from a uv timer on the control loop;
 * opening and closing participation rows records it too. */
int yh_store_heartbeat(yh_store_t *st, int64_t now_ms);
/* Crash recovery, run by yh_store_open: rows still open (the server died
 * without close_all) are closed at the last heartbeat (but not before
 * their join), and LIVE meetings go back to SCHEDULED. `*recovered` (may
 * be NULL) gets the number of rows closed. */
int yh_store_recover(yh_store_t *st, int *recovered);

/* Counts for /metrics. */
typedef struct yh_store_stats {
    int64_t meetings[3]; /* by yh_store_status_t */
    int64_t accounts;
    int64_t participants_now; /* open participation rows */
} yh_store_stats_t;
int yh_store_stats(yh_store_t *st, yh_store_stats_t *out);

/* ---- Usage statistics ---- */

typedef struct yh_store_usage_meeting {
    char number[YH_STORE_NUMBER_MAX + 1];
    char title[YH_STORE_TITLE_MAX + 1];
    int sessions; /* participation rows overlapping the window */
    double participant_minutes;
    double meeting_minutes; /* time with at least one participant */
    int peak_participants;  /* most at the same time */
    int64_t first_join_ms;  /* clipped to the window */
    int64_t last_leave_ms;  /* clipped; open rows count until now */
} yh_store_usage_meeting_t;

typedef struct yh_store_usage {
    int64_t from_ms, to_ms;
    int meetings; /* meetings with a participant in the window */
    double participant_minutes;
    double meeting_minutes;               /* sum over meetings */
    int peak_participants;                /* most at the same time, all meetings together */
    yh_store_usage_meeting_t *by_meeting; /* n_meetings, by first join */
    size_t n_meetings;
} yh_store_usage_t;

/* Usage in the window [from_ms, to_ms): every interval is clipped to it;
 * rows still open count until `now_ms`. Fill then yh_store_usage_free. */
int yh_store_usage_query(yh_store_t *st, int64_t from_ms, int64_t to_ms, int64_t now_ms,
                         yh_store_usage_t *out);
void yh_store_usage_free(yh_store_usage_t *u);
/* The report as CSV (RFC 4180: CRLF lines, quoted fields): a header line,
 * one line per meeting, then a "total" line. *out is malloc'd and
 * NUL-terminated; *len excludes the NUL. */
int yh_store_usage_csv(const yh_store_usage_t *u, char **out, size_t *len);

#endif
