/*
 * Internals of the HTTP API shared by api*.c, and the pure parsers that
 * the unit tests and tests/fuzz/fuzz_api.c call directly.
 */
#ifndef YH_HTTP_API_INT_H
#define YH_HTTP_API_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/api.h"

#define YH_API_ERR_MAX 160
#define YH_API_TTL_MAX (366LL * 86400) /* a join link lives at most a year */

/* ---- Parsers (api_parse.c): pure, no store, no clock ---- */

/* The body of POST /api/meetings. title and passcode point into `title`
 * and `passcode` (YH_STORE_TITLE_MAX + 1 and YH_STORE_PASSCODE_MAX + 1
 * bytes). YH_EINVAL with a message naming the field in `err`. */
int yh_api_parse_meeting(const char *body, size_t len, yh_store_meeting_new_t *out, char *title,
                         char *passcode, char *err, size_t errcap);
/* The body of POST /api/login. */
int yh_api_parse_login(const char *body, size_t len, char user[YH_STORE_USER_MAX + 1],
                       char password[YH_STORE_PASSWORD_MAX + 1], char *err, size_t errcap);
/* The body of POST /api/meetings/{n}/tokens: role host, cohost or speaker;
 * ttlSeconds 60..YH_API_TTL_MAX, *ttl_s untouched when absent. */
int yh_api_parse_token_request(const char *body, size_t len, char role[YH_AUTH_ROLE_MAX + 1],
                               int64_t *ttl_s, char *err, size_t errcap);
/* A time argument: RFC 3339 ("2025-05-01T08:00:00Z", "...+08:00",
 * fractions of a second allowed), a date ("2025-05-01", midnight UTC) or
 * Unix seconds ("1746086400"). Years 1970-9999. */
int yh_api_parse_time(const char *s, int64_t *ms);
/* RFC 3339 UTC with seconds; "" for 0. */
void yh_api_format_time(int64_t ms, char out[32]);
/* A path segment that can be a meeting number. */
int yh_api_is_number(const char *s, size_t len);

/* ---- The request being handled ---- */

enum { YH_WHO_NONE, YH_WHO_ADMIN, YH_WHO_HOST, YH_WHO_BAD };

struct yh_api {
    yh_api_config_t cfg;
    char *admin_key;
    size_t admin_len;
    int inflight;         /* password checks on the thread pool */
    int destroyed;        /* yh_api_destroy ran while some were in flight */
    uint64_t by_class[6]; /* responses by status class, [1] = 1xx ... [5] = 5xx */
};

typedef struct yh_api_call {
    yh_api_t *api;
    const yh_http_req_view_t *rq;
    char number[YH_STORE_NUMBER_MAX + 1]; /* the {number} of the path, if any */
    int who;
    int64_t account; /* YH_WHO_HOST */
    yh_api_response_t *resp;
} yh_api_call_t;

/* Fill c->resp; both return 0 so handlers can `return yh__api_error(...)`. */
int yh__api_error(yh_api_call_t *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int yh__api_json(yh_api_call_t *c, int status, json_t *obj); /* steals obj */
/* 0 when the caller is the admin; else the 401/403 is written and 1. */
int yh__api_need_admin(yh_api_call_t *c);
/* 0 when the caller is the admin or a signed-in host. */
int yh__api_need_host(yh_api_call_t *c);
/* The value of query argument `name`, or NULL. */
const char *yh__api_arg(const yh_api_call_t *c, const char *name);

/* Handlers (api_meetings.c, api_usage.c). */
int yh__api_meeting_create(yh_api_call_t *c);
int yh__api_meeting_list(yh_api_call_t *c);
int yh__api_meeting_get(yh_api_call_t *c);
int yh__api_meeting_end(yh_api_call_t *c);
int yh__api_meeting_token(yh_api_call_t *c);
int yh__api_usage(yh_api_call_t *c);
int yh__api_metrics(yh_api_call_t *c);
int yh__api_session(yh_api_call_t *c);
int yh__api_logout(yh_api_call_t *c);
/* Login in two halves so the argon2 check can run elsewhere: parse and
 * look up (control thread), then answer from the check's result. */
typedef struct yh_api_login {
    char user[YH_STORE_USER_MAX + 1];
    char password[YH_STORE_PASSWORD_MAX + 1];
    char hash[YH_AUTH_HASH_MAX];
    int64_t account; /* 0: unknown user (the check uses the dummy hash) */
    int verdict;     /* yh_auth_password_verify's result */
} yh_api_login_t;
/* 1 when the check must run (lg filled); 0 when the response is written. */
int yh__api_login_begin(yh_api_call_t *c, yh_api_login_t *lg);
void yh__api_login_check(yh_api_login_t *lg);
int yh__api_login_finish(yh_api_call_t *c, yh_api_login_t *lg);

#endif
