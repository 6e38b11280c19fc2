/*
 * HTTP API without sockets: the time and body parsers on hand-checked
 * values, and whole requests through yh_api_handle against a real store
 * (auth, routing, status codes, error bodies).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "http/api_int.h"

static const yh_auth_secret_t secret = {.key = "0123456789abcdef0123456789abcdef", .len = 32};

static void test_parse_time(void **state)
{
    int64_t ms = -1;
    /* 2025-05-01T00:00:00Z is 1746057600 (date -ud @1746057600). */
    assert_int_equal(yh_api_parse_time("2025-05-01", &ms), 0);
    assert_int_equal(ms, 1746057600000LL);
    assert_int_equal(yh_api_parse_time("2025-05-01T08:00:00Z", &ms), 0);
    assert_int_equal(ms, 1746086400000LL);
    assert_int_equal(yh_api_parse_time("2025-05-01T08:00:00+08:00", &ms), 0);
    assert_int_equal(ms, 1746057600000LL);
    assert_int_equal(yh_api_parse_time("2025-05-01T08:00:00 08:00", &ms), 0); /* '+' as ' ' */
    assert_int_equal(ms, 1746057600000LL);
    assert_int_equal(yh_api_parse_time("2025-04-30T22:30:00.999-01:30", &ms), 0);
    assert_int_equal(ms, 1746057600000LL);
    assert_int_equal(yh_api_parse_time("1746086400", &ms), 0);
    assert_int_equal(ms, 1746086400000LL);
    assert_int_equal(yh_api_parse_time("2024-02-29", &ms), 0); /* leap year */
    const char *bad[] = {"",
                         "yesterday",
                         "2025-02-29",
                         "2025-13-01",
                         "2025-00-10",
                         "2025-04-31",
                         "1969-12-31",
                         "2025-05-01T24:00:00Z",
                         "2025-05-01T08:00:00",
                         "2025-05-01T08:00Z",
                         "2025-05-01T08:00:00.Z",
                         "2025-05-01T08:00:00Zx",
                         "2025-5-1",
                         "12345678901234",
                         "-5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (yh_api_parse_time(bad[i], &ms) == 0)
            fail_msg("\"%s\" parsed", bad[i]);
    char out[32];
    yh_api_format_time(1746086400123LL, out);
    assert_string_equal(out, "2025-05-01T08:00:00Z");
    yh_api_format_time(0, out);
    assert_string_equal(out, "");
}

static void test_parse_meeting(void **state)
{
    yh_store_meeting_new_t m;
    char title[YH_STORE_TITLE_MAX + 1], pass[YH_STORE_PASSCODE_MAX + 1], err[YH_API_ERR_MAX];
    const char ok[] = "{\"title\":\"  Weekly \",\"passcode\":\"a1!\",\"waitingRoom\":true,"
                      "\"publish\":\"speakers\",\"maxParticipants\":9,\"startsAt\":null}";
    assert_int_equal(yh_api_parse_meeting(ok, strlen(ok), &m, title, pass, err, sizeof err), 0);
    assert_string_equal(m.title, "Weekly"); /* trimmed */
    assert_string_equal(m.passcode, "a1!");
    assert_int_equal(m.settings.waiting_room, 1);
    assert_int_equal(m.settings.publish, YH_STORE_PUBLISH_SPEAKERS);
    assert_int_equal(m.settings.max_participants, 9);
    assert_int_equal(yh_api_parse_meeting("", 0, &m, title, pass, err, sizeof err), 0);
    assert_null(m.title);
    assert_null(m.passcode);
    static const struct {
        const char *body, *msg;
    } bad[] = {
        {"{\"title\":\"a\\u0007b\"}", "control characters"},
        {"{\"title\":\"   \"}", "'title' must be 1 to 200 bytes"},
        {"{\"passcode\":\"with space\"}", "printable ASCII"},
        {"{\"passcode\":7}", "'passcode' must be a string"},
        {"{\"muteOnEntry\":1}", "'muteOnEntry' must be true or false"},
        {"{\"maxParticipants\":1.5}", "'maxParticipants' must be an integer"},
        {"{\"maxParticipants\":100001}", "'maxParticipants' must be an integer"},
        {"{\"startsAt\":12}", "'startsAt'"},
        {"{\"a\":1,\"a\":2}", "malformed JSON"},
        {"{\"title\":\"x\"} trailing", "malformed JSON"},
        {"\"text\"", "malformed JSON"},
        {"[1]", "JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(yh_api_parse_meeting(bad[i].body, strlen(bad[i].body), &m, title, pass,
                                              err, sizeof err),
                         YH_EINVAL);
        if (!strstr(err, bad[i].msg))
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].body, err, bad[i].msg);
    }
}

typedef struct fixture {
    char dir[64];
    yh_store_t *st;
    yh_api_t *api;
    int ended; /* meeting_ended hook calls */
} fixture_t;

static void on_ended(void *ctx, const char *number)
{
    ((fixture_t *)ctx)->ended++;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/yh-api-XXXXXX");
    if (!mkdtemp(f->dir) || yh_store_open(f->dir, &f->st))
        return -1;
    yh_api_config_t cfg = {.store = f->st,
                           .secret = &secret,
                           .admin_key = "k3y",
                           .meeting_ended = on_ended,
                           .hook_ctx = f};
    if (yh_api_create(&cfg, &f->api))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[96];
    yh_api_destroy(f->api);
    yh_store_close(f->st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc ? -1 : 0;
}

/* One request; returns the status, the body parsed in *out (or NULL). */
static int req(fixture_t *f, const char *method, const char *path, const char *auth,
               const char *body, json_t **out)
{
    yh_http_req_view_t v = {.method = method,
                            .path = path,
                            .authorization = auth ? auth : "",
                            .content_type = "",
                            .host = "",
                            .body = body ? body : "",
                            .body_len = body ? strlen(body) : 0};
    yh_api_response_t r;
    assert_int_equal(yh_api_handle(f->api, &v, &r), 0);
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    if (!strcmp(r.content_type, "application/json")) {
        assert_true(json_is_object(j));
        if (r.status >= 400)
            assert_true(json_is_string(json_object_get(json_object_get(j, "error"), "code")));
    }
    free(r.body);
    if (out)
        *out = j;
    else
        json_decref(j);
    return r.status;
}

static const char *code_of(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"), "code"));
}

static void test_requests(void **state)
{
    fixture_t *f = *state;
    json_t *j;
    assert_int_equal(req(f, "POST", "/api/meetings", NULL, "{}", &j), 401);
    assert_string_equal(code_of(j), "unauthorized");
    json_decref(j);
    assert_int_equal(req(f, "POST", "/api/meetings", "Bearer k3y ", "{}", NULL), 401);
    assert_int_equal(req(f, "POST", "/api/meetings", "Basic k3y", "{}", NULL), 401);
    assert_int_equal(req(f, "POST", "/api/meetings", "Bearer k3y", "{\"title\":\"T\"}", &j), 201);
    char number[16];
    snprintf(number, sizeof number, "%s", json_string_value(json_object_get(j, "number")));
    char token[YH_AUTH_TOKEN_MAX];
    snprintf(token, sizeof token, "%s", json_string_value(json_object_get(j, "hostToken")));
    json_decref(j);
    char m[YH_AUTH_SUBJECT_MAX + 1], r[YH_AUTH_ROLE_MAX + 1];
    assert_int_equal(yh_auth_token_verify(&secret, token, m, r), 0);
    assert_string_equal(m, number);
    assert_string_equal(r, "host");

    char path[64];
    snprintf(path, sizeof path, "/api/meetings/%s", number);
    assert_int_equal(req(f, "GET", path, NULL, NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "T");
    json_decref(j);
    assert_int_equal(req(f, "DELETE", path, NULL, NULL, NULL), 401);
    assert_int_equal(req(f, "DELETE", path, "Bearer k3y", NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ended");
    json_decref(j);
    assert_int_equal(req(f, "DELETE", path, "Bearer k3y", NULL, NULL), 200);
    assert_int_equal(f->ended, 1); /* told once */
    snprintf(path, sizeof path, "/api/meetings/%s/tokens", number);
    assert_int_equal(req(f, "POST", path, "Bearer k3y", "{\"role\":\"speaker\"}", &j), 409);
    json_decref(j);

    assert_int_equal(req(f, "PATCH", "/api/meetings", "Bearer k3y", NULL, &j), 405);
    assert_string_equal(code_of(j), "method-not-allowed");
    json_decref(j);
    assert_int_equal(req(f, "GET", "/api/meetings/", "Bearer k3y", NULL, NULL), 200);
    assert_int_equal(req(f, "GET", "/api", NULL, NULL, NULL), 404);
    assert_int_equal(req(f, "GET", "/api/meetings/a/b", NULL, NULL, NULL), 404);
    assert_int_equal(req(f, "GET", "/api/meetings?x", NULL, NULL, NULL), 404);
    assert_int_equal(req(f, "GET", "/metrics", NULL, NULL, NULL), 200);
}

static void test_sessions(void **state)
{
    fixture_t *f = *state;
    int64_t alice, bob;
    assert_int_equal(yh_store_account_create(f->st, "alice", "pw-a", &alice), 0);
    assert_int_equal(yh_store_account_create(f->st, "bob", "pw-b", &bob), 0);
    json_t *j;
    assert_int_equal(
        req(f, "POST", "/api/login", NULL, "{\"user\":\"alice\",\"password\":\"pw-b\"}", NULL),
        401);
    /* A stale token does not block signing in. */
    assert_int_equal(req(f, "POST", "/api/login", "Bearer stale",
                         "{\"user\":\"alice\",\"password\":\"pw-a\"}", &j),
                     200);
    char auth_a[YH_AUTH_TOKEN_MAX + 8], auth_b[YH_AUTH_TOKEN_MAX + 8];
    snprintf(auth_a, sizeof auth_a, "Bearer %s", json_string_value(json_object_get(j, "token")));
    json_decref(j);
    char tok[YH_AUTH_TOKEN_MAX];
    assert_int_equal(yh_auth_session_sign(&secret, bob, 60, tok, sizeof tok), 0);
    snprintf(auth_b, sizeof auth_b, "Bearer %s", tok);

    assert_int_equal(req(f, "POST", "/api/meetings", auth_a, NULL, &j), 201);
    char path[64];
    snprintf(path, sizeof path, "/api/meetings/%s",
             json_string_value(json_object_get(j, "number")));
    json_decref(j);
    /* Only its owner (or the admin) sees the passcode and may end it. */
    assert_int_equal(req(f, "GET", path, auth_b, NULL, &j), 200);
    assert_null(json_object_get(j, "passcode"));
    json_decref(j);
    assert_int_equal(req(f, "GET", path, auth_a, NULL, &j), 200);
    assert_true(json_is_null(json_object_get(j, "passcode")));
    json_decref(j);
    assert_int_equal(req(f, "DELETE", path, auth_b, NULL, NULL), 403);
    assert_int_equal(req(f, "GET", "/api/meetings", auth_b, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "meetings")), 0);
    json_decref(j);
    assert_int_equal(req(f, "GET", "/api/usage", auth_a, NULL, NULL), 403);
    assert_int_equal(req(f, "DELETE", path, auth_a, NULL, NULL), 200);
    assert_int_equal(req(f, "GET", "/api/session", auth_a, NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "user")), "alice");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_parse_meeting),
        cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
