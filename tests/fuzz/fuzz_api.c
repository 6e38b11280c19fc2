/*
 * libFuzzer target for the HTTP API: the body parsers (meeting, login,
 * token request), the time argument parser, and whole requests through
 * yh_api_handle against a real store in a temporary directory.
 *
 * Input: byte 0 picks the target. For whole requests (byte 0 >= 4),
 * byte 1 picks the method and the rest is "path\nauth\nargs\nbody" with
 * args separated by '&'; an auth line "A" becomes the admin key and "S" a
 * valid host session, so the handlers behind authentication are reached.
 * Sign-in is left out (its argon2 check costs 30 ms an input).
 *
 * Oracles: parsers return 0 or YH_EINVAL with a message and their
 * outputs inside the limits; every response has a status of 200-599 and,
 * when it is JSON, is one JSON object (errors: {"error":{code,message}}).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "http/api_int.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static const char *const methods[] = {"GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"};
static const yh_auth_secret_t secret = {.key = "0123456789abcdef0123456789abcdef", .len = 32};
static yh_store_t *store;
static yh_api_t *api;
static char dir[64];
static char session_auth[YH_AUTH_TOKEN_MAX + 8];

static void cleanup(void)
{
    char cmd[96];
    yh_api_destroy(api);
    yh_store_close(store);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd))
        return;
}

static void init(void)
{
    char tok[YH_AUTH_TOKEN_MAX];
    yh_log_set_level(YH_LOG_ERROR);
    snprintf(dir, sizeof dir, "/tmp/yh-fuzz-api-XXXXXX");
    CHECK(mkdtemp(dir));
    CHECK(yh_store_open(dir, &store) == 0);
    yh_api_config_t cfg = {.store = store, .secret = &secret, .admin_key = "fuzz-admin"};
    CHECK(yh_api_create(&cfg, &api) == 0);
    CHECK(yh_auth_session_sign(&secret, 1, 3600, tok, sizeof tok) == 0);
    snprintf(session_auth, sizeof session_auth, "Bearer %s", tok);
    atexit(cleanup);
}

static void parsers(int which, const char *body, size_t len)
{
    char err[YH_API_ERR_MAX] = "", title[YH_STORE_TITLE_MAX + 1], pass[YH_STORE_PASSCODE_MAX + 1];
    char user[YH_STORE_USER_MAX + 1], pw[YH_STORE_PASSWORD_MAX + 1], role[YH_AUTH_ROLE_MAX + 1];
    yh_store_meeting_new_t m;
    int64_t ttl = 0, ms;
    int rc;
    switch (which) {
    case 0:
        rc = yh_api_parse_meeting(body, len, &m, title, pass, err, sizeof err);
        if (!rc) {
            CHECK(!m.title || (strlen(m.title) >= 1 && strlen(m.title) <= YH_STORE_TITLE_MAX));
            CHECK(!m.passcode || strlen(m.passcode) <= YH_STORE_PASSCODE_MAX);
            CHECK(m.settings.max_participants >= 0 && m.starts_at >= 0);
        }
        break;
    case 1:
        rc = yh_api_parse_login(body, len, user, pw, err, sizeof err);
        if (!rc)
            CHECK(strlen(user) >= 1 && strlen(pw) >= 1);
        break;
    case 2:
        rc = yh_api_parse_token_request(body, len, role, &ttl, err, sizeof err);
        if (!rc)
            CHECK(strlen(role) >= 4 && (ttl == 0 || (ttl >= 60 && ttl <= YH_API_TTL_MAX)));
        break;
    default:
        rc = yh_api_parse_time(body, &ms);
        if (!rc) {
            char back[32];
            yh_api_format_time(ms, back);
            CHECK(ms >= 0);
        }
        return;
    }
    CHECK(rc == 0 || (rc == YH_EINVAL && err[0]));
}

static void check_response(const yh_api_response_t *r)
{
    CHECK(r->status >= 200 && r->status <= 599);
    CHECK(r->body || r->len == 0);
    if (strcmp(r->content_type, "application/json"))
        return;
    json_error_t je;
    json_t *j = json_loadb(r->body, r->len, 0, &je);
    CHECK(json_is_object(j));
    if (r->status >= 400) {
        json_t *e = json_object_get(j, "error");
        CHECK(json_is_string(json_object_get(e, "code")));
        CHECK(json_is_string(json_object_get(e, "message")));
    }
    json_decref(j);
}

/* Splits the next '\n'-terminated line off [*p, end) into a string. */
static char *line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);
    CHECK(s);
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = nl ? nl + 1 : end;
    return s;
}

static void request(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    char *path = line(&p, end), *auth = line(&p, end), *args = line(&p, end);
    yh_http_req_view_t v = {
        .method = methods[data[0] % 7], .path = path, .content_type = "", .host = "example.org"};
    v.authorization = !strcmp(auth, "A")   ? "Bearer fuzz-admin"
                      : !strcmp(auth, "S") ? session_auth
                                           : auth;
    for (char *save = NULL, *a = strtok_r(args, "&", &save); a && v.n_args < YH_HTTP_MAX_ARGS;
         a = strtok_r(NULL, "&", &save))
        v.args[v.n_args++] = a;
    char *body = malloc((size_t)(end - p) + 1);
    CHECK(body);
    memcpy(body, p, (size_t)(end - p));
    body[end - p] = '\0';
    v.body = body;
    v.body_len = (size_t)(end - p);
    if (!strstr(path, "login")) {
        yh_api_response_t r;
        CHECK(yh_api_handle(api, &v, &r) == 0);
        check_response(&r);
        free(r.body);
    }
    free(body);
    free(path);
    free(auth);
    free(args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store)
        init();
    if (size < 1)
        return 0;
    if (data[0] < 4) {
        /* NUL-terminated copy: the time parser takes a C string. */
        char *s = malloc(size);
        CHECK(s);
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        parsers(data[0], s, size - 1);
        free(s);
        return 0;
    }
    request(data + 1, size - 1);
    return 0;
}
