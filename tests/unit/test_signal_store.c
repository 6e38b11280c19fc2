/*
 * Admission with a real store in a temporary directory: passcodes, tokens,
 * ended meetings, ad-hoc meetings and the participation log.
 */
#include "signal_fixture.h"

static json_t *join_with(fixture_t *fx, fake_t *f, const char *meeting, const char *extra)
{
    sendf(fx, f, "{\"type\":\"join\",\"id\":1,\"meeting\":\"%s\",\"client\":{\"kind\":\"web\"}%s}",
          meeting, extra);
    return f->msgs[f->n - 1];
}

static int open_rows(fixture_t *fx, const char *number)
{
    int n = -1;
    assert_int_equal(yh_store_participation_count_open(fx->store, number, &n), 0);
    return n;
}

static void test_store_admission(void **state)
{
    fixture_t *fx = *state;
    fake_t *x = fake_open(fx);
    join_with(fx, x, "123456789", "");
    assert_string_equal(err_code(x), "not-found");

    yh_store_meeting_new_t in = {
        .title = "Press conference",
        .passcode = "1234",
        .settings = {.waiting_room = 1, .publish = YH_STORE_PUBLISH_SPEAKERS},
    };
    char number[YH_STORE_NUMBER_LEN + 1];
    assert_int_equal(yh_store_meeting_create(fx->store, &in, number), 0);
    join_with(fx, x, number, "");
    assert_string_equal(err_code(x), "bad-passcode");
    join_with(fx, x, number, ",\"passcode\":\"4321\"");
    assert_string_equal(err_code(x), "bad-passcode");
    join_with(fx, x, number, ",\"token\":\"abc.def\"");
    assert_string_equal(err_code(x), "unauthorized");
    char tok[YH_AUTH_TOKEN_MAX], other[YH_AUTH_TOKEN_MAX];
    assert_int_equal(
        yh_auth_token_sign(&fx->secret, "987654321", "host", 3600, other, sizeof other), 0);
    char extra[400];
    snprintf(extra, sizeof extra, ",\"token\":\"%s\"", other);
    join_with(fx, x, number, extra);
    assert_string_equal(err_code(x), "unauthorized");
    assert_int_equal(yh_auth_token_sign_at(&fx->secret, number, "host", 1000, tok, sizeof tok), 0);
    snprintf(extra, sizeof extra, ",\"token\":\"%s\"", tok);
    join_with(fx, x, number, extra);
    assert_string_equal(err_code(x), "unauthorized"); /* expired */

    /* The host's link: in at once, as host, no passcode needed. */
    assert_int_equal(yh_auth_token_sign(&fx->secret, number, "host", 3600, tok, sizeof tok), 0);
    snprintf(extra, sizeof extra, ",\"token\":\"%s\"", tok);
    fake_t *h = fake_open(fx);
    json_t *j = join_with(fx, h, number, extra);
    assert_string_equal(type_of(j), "joined");
    assert_string_equal(str(json_object_get(j, "self"), "role"), "host");
    json_t *m = json_object_get(j, "meeting");
    assert_string_equal(str(m, "title"), "Press conference");
    assert_string_equal(str(m, "publish"), "speakers");
    assert_true(json_is_true(json_object_get(m, "waitingRoom")));
    yh_store_meeting_t sm;
    assert_int_equal(yh_store_meeting_get(fx->store, number, &sm), 0);
    assert_int_equal(sm.status, YH_STORE_LIVE);
    assert_int_equal(open_rows(fx, number), 1);

    /* A journalist with the passcode waits, and is let in. */
    join_with(fx, x, number, ",\"passcode\":\"1234\"");
    take(x, "waiting");
    assert_int_equal(open_rows(fx, number), 1); /* waiting is not taking part */
    snprintf(x->id, sizeof x->id, "%s",
             str(json_object_get(take(h, "waiting"), "participant"), "id"));
    moderate_ok(fx, h, "admit", target(x));
    take(x, "joined");
    assert_int_equal(open_rows(fx, number), 2);
    /* The interviewee's speaker link: waits too (only moderators skip it),
     * but may publish once in. */
    assert_int_equal(yh_auth_token_sign(&fx->secret, number, "speaker", 3600, tok, sizeof tok), 0);
    snprintf(extra, sizeof extra, ",\"token\":\"%s\"", tok);
    fake_t *sp = fake_open(fx);
    join_with(fx, sp, number, extra);
    take(sp, "waiting");
    moderate_ok(fx, h, "lock", "");
    /* Locked: the passcode is not enough, a signed link is. */
    fake_t *y = fake_open(fx);
    join_with(fx, y, number, ",\"passcode\":\"1234\"");
    assert_string_equal(err_code(y), "locked");

    /* End: the store says ended; joins are refused with `ended`. */
    moderate(fx, h, "end", "");
    take(sp, "ended");
    assert_int_equal(yh_store_meeting_get(fx->store, number, &sm), 0);
    assert_int_equal(sm.status, YH_STORE_ENDED);
    assert_int_equal(open_rows(fx, number), 0);
    join_with(fx, y, number, ",\"passcode\":\"1234\"");
    assert_string_equal(err_code(y), "ended");
}

static void test_store_adhoc(void **state)
{
    fixture_t *fx = *state;
    fx->s->no_adhoc = 0; /* the configuration allows ad-hoc meetings */
    fake_t *a = fake_open(fx);
    json_t *j = join_with(fx, a, "adhoc-1", "");
    assert_string_equal(str(json_object_get(j, "self"), "role"), "host");
    fake_t *b = fake_open(fx);
    join_with(fx, b, "adhoc-1", "");
    yh_store_meeting_t sm;
    assert_int_equal(yh_store_meeting_get(fx->store, "adhoc-1", &sm), 0);
    assert_true(sm.adhoc);
    assert_int_equal(sm.status, YH_STORE_LIVE);
    assert_int_equal(open_rows(fx, "adhoc-1"), 2);
    sendf(fx, b, "{\"type\":\"leave\",\"id\":2}");
    assert_int_equal(open_rows(fx, "adhoc-1"), 1);
    sendf(fx, a, "{\"type\":\"leave\",\"id\":2}");
    assert_int_equal(open_rows(fx, "adhoc-1"), 0);
    assert_null(yh_meeting_find(&fx->s->reg, "adhoc-1"));
    assert_int_equal(yh_store_meeting_get(fx->store, "adhoc-1", &sm), 0);
    assert_int_equal(sm.status, YH_STORE_SCHEDULED);
    /* Again: a fresh meeting under the same number. */
    join_with(fx, a, "adhoc-1", "");
    assert_string_equal(type_of(a->msgs[a->n - 1]), "joined");
    /* The public API: count and end. */
    assert_int_equal(yh_signal_meeting_count(fx->s, "adhoc-1"), 1);
    assert_int_equal(yh_signal_meeting_end(fx->s, "adhoc-1"), 0);
    take(a, "ended");
    assert_int_equal(yh_signal_meeting_count(fx->s, "adhoc-1"), 0);
    assert_int_equal(yh_store_meeting_get(fx->store, "adhoc-1", &sm), 0);
    assert_int_equal(sm.status, YH_STORE_ENDED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_admission, setup_store, teardown),
        cmocka_unit_test_setup_teardown(test_store_adhoc, setup_store, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
