/*
 * The HTTP API (JSON) and /metrics, on the control thread. The routes:
 *
 *   POST   /api/login                   {user, password} -> host session token
 *   GET    /api/session                 (session) -> {id, user}
 *   POST   /api/logout                  (session) -> {ok} (sessions are stateless)
 *   POST   /api/meetings                (admin or session) -> 201 {number, hostToken, ...}
 *   GET    /api/meetings                (admin: all; session: own) ?limit=&offset=
 *   GET    /api/meetings/{number}       -> MEETING (passcode only for admin/owner)
 *   DELETE /api/meetings/{number}       (admin or owner) -> ends it
 *   POST   /api/meetings/{number}/tokens (admin or owner) {role, ttlSeconds?}
 *   GET    /api/usage?from=&to=&format=json|csv (admin)
 *   GET    /metrics                     Prometheus text
 *
 * Errors are {"error":{"code":"...","message":"..."}} with the matching
 * status. Every body is parsed with jansson and checked field by field
 * (api_parse.c, which the fuzzer drives).
 *
 * The store is used synchronously (SQLite on the control thread, off the
 * media path); only argon2 password checks run on the libuv thread pool.
 */
#ifndef YH_HTTP_API_H
#define YH_HTTP_API_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "auth/auth.h"
#include "http/http.h"
#include "store/store.h"

typedef struct yh_api yh_api_t;

typedef struct yh_api_config {
    yh_store_t *store;              /* borrowed; required */
    const yh_auth_secret_t *secret; /* borrowed; required */
    /* Bearer key of the admin routes; NULL or "" disables them (403). */
    const char *admin_key;
    /* Password checks go to this loop's thread pool; NULL runs them inline
     * (tests, fuzzing). */
    uv_loop_t *loop;
    yh_http_t *http;          /* for connection counts in /metrics; may be NULL */
    int64_t join_token_ttl_s; /* 0: 30 days */
    int64_t session_ttl_s;    /* 0: 12 hours */
    /* Told when a meeting is ended through the API, so that signaling can
     * send everyone in it away. May be NULL. */
    void (*meeting_ended)(void *ctx, const char *number);
    /* Participants in a meeting now, for GET /api/meetings/{number}. May
     * be NULL: the open rows of the participation log are counted. */
    int (*meeting_count)(void *ctx, const char *number);
    void *hook_ctx;
} yh_api_config_t;

int yh_api_create(const yh_api_config_t *cfg, yh_api_t **out);
/* Frees the API. Password checks still on the thread pool finish on the
 * loop later and free what is left then. Accepts NULL. */
void yh_api_destroy(yh_api_t *api);
/* Makes `api` the request handler of `h`. */
void yh_api_attach(yh_api_t *api, yh_http_t *h);

/* One response: `body` is malloc'd (free it), headers are static pairs
 * for yh_http_respond. */
typedef struct yh_api_response {
    int status;
    const char *content_type;
    char *body;
    size_t len;
    const char *headers[5];
    char allow[64]; /* storage for an "allow:" header value */
} yh_api_response_t;

/* Handles one request synchronously, the password check included (as with
 * loop == NULL). For tests and the fuzzer; the server goes through
 * yh_api_attach. Returns 0 (the response is always filled). */
int yh_api_handle(yh_api_t *api, const yh_http_req_view_t *rq, yh_api_response_t *resp);

#endif
