/*
 * The pure layer of signaling: text -> validated request or protocol error
 * (src/signal/msg.c), and the meeting module's slot planning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "meeting/meeting.h"
#include "sfu/sfu.h"
#include "signal/msg.h"

static int parse(const char *text, yh_sig_req_t *r, yh_sig_err_t *e)
{
    return yh_sig_req_parse(text, strlen(text), r, e);
}

/* Expects a bad-request whose message contains `needle`. */
static void expect_error(const char *text, const char *needle, int fatal)
{
    yh_sig_req_t r;
    yh_sig_err_t e;
    int rc = parse(text, &r, &e);
    if (rc == 0)
        fail_msg("accepted: %s", text);
    assert_string_equal(e.code, "bad-request");
    if (!strstr(e.message, needle))
        fail_msg("message '%s' lacks '%s' (input %s)", e.message, needle, text);
    assert_int_equal(e.fatal, fatal);
    if (fatal)
        assert_int_equal(e.close_code, 1008);
    yh_sig_req_free(&r);
}

static void test_join_valid(void **state)
{
    (void)state;
    yh_sig_req_t r;
    yh_sig_err_t e;
    assert_int_equal(parse("{\"type\":\"join\",\"id\":7,\"meeting\":\"123-abc_Z\","
                           "\"name\":\"  Alice \\t\",\"client\":{\"kind\":\"web\"}}",
                           &r, &e),
                     0);
    assert_int_equal(r.type, YH_SIG_JOIN);
    assert_string_equal(r.u.join.meeting, "123-abc_Z");
    assert_string_equal(r.u.join.name, "Alice");
    assert_true(json_is_integer(r.id));
    assert_int_equal(json_integer_value(r.id), 7);
    yh_sig_req_free(&r);

    /* No name, or only blanks: "Guest". A string id is kept as given. */
    assert_int_equal(parse("{\"type\":\"join\",\"id\":\"a-1\",\"meeting\":\"1\"}", &r, &e), 0);
    assert_string_equal(r.u.join.name, "Guest");
    assert_string_equal(json_string_value(r.id), "a-1");
    yh_sig_req_free(&r);
    assert_int_equal(parse("{\"type\":\"join\",\"meeting\":\"1\",\"name\":\"   \"}", &r, &e), 0);
    assert_string_equal(r.u.join.name, "Guest");
    assert_null(r.id);
    yh_sig_req_free(&r);
}

static void test_join_name_limits(void **state)
{
    (void)state;
    /* 64 CJK characters (3 bytes each) pass, 65 do not: characters, not
     * bytes, are counted. */
    char name[65 * 3 + 1] = "";
    for (int i = 0; i < 64; i++)
        strcat(name, "\xe4\xba\x91"); /* 云 */
    char text[512];
    snprintf(text, sizeof text, "{\"type\":\"join\",\"meeting\":\"1\",\"name\":\"%s\"}", name);
    yh_sig_req_t r;
    yh_sig_err_t e;
    assert_int_equal(parse(text, &r, &e), 0);
    assert_int_equal(strlen(r.u.join.name), 64 * 3);
    yh_sig_req_free(&r);
    strcat(name, "\xe4\xba\x91");
    snprintf(text, sizeof text, "{\"type\":\"join\",\"meeting\":\"1\",\"name\":\"%s\"}", name);
    expect_error(text, "at most 64 characters", 0);
    expect_error("{\"type\":\"join\",\"meeting\":\"1\",\"name\":\"a\\u0007b\"}", "control", 0);
    expect_error("{\"type\":\"join\",\"meeting\":\"1\",\"name\":5}", "'name' must be a string", 0);
}

static void test_join_meeting_number(void **state)
{
    (void)state;
    expect_error("{\"type\":\"join\"}", "field 'meeting' is required", 0);
    expect_error("{\"type\":\"join\",\"meeting\":123}", "'meeting' must be a string", 0);
    expect_error("{\"type\":\"join\",\"meeting\":\"\"}", "meeting", 0);
    expect_error("{\"type\":\"join\",\"meeting\":\"123456789012345678901\"}", "meeting", 0);
    expect_error("{\"type\":\"join\",\"meeting\":\"12 34\"}", "[0-9A-Za-z_-]", 0);
    expect_error("{\"type\":\"join\",\"meeting\":\"../x\"}", "[0-9A-Za-z_-]", 0);
    expect_error("{\"type\":\"join\",\"meeting\":\"1\",\"client\":[]}", "'client'", 0);
    assert_true(yh_meeting_number_valid("12345678901234567890", 20));
}

static void test_envelope(void **state)
{
    (void)state;
    expect_error("{\"type\":\"join\"", "malformed JSON", 1);
    expect_error("not json", "malformed JSON", 1);
    expect_error("[1,2]", "JSON object", 1);
    expect_error("", "malformed JSON", 1);
    /* Duplicate keys could let one copy be checked and another used. */
    expect_error("{\"type\":\"hand\",\"type\":\"join\",\"meeting\":\"1\"}", "malformed", 1);
    expect_error("{\"id\":1}", "field 'type' is required", 0);
    expect_error("{\"type\":3}", "'type' must be a string", 0);
    expect_error("{\"type\":\"fly\",\"id\":2}", "unknown message type 'fly'", 0);
    expect_error("{\"type\":\"join\",\"id\":1.5,\"meeting\":\"1\"}", "'id'", 0);
    expect_error("{\"type\":\"join\",\"id\":{},\"meeting\":\"1\"}", "'id'", 0);
    /* Bytes quoted in a message stay printable ASCII. */
    yh_sig_req_t r;
    yh_sig_err_t e;
    assert_true(parse("{\"type\":\"\xe4\xba\x91\\n\",\"id\":3}", &r, &e) < 0);
    for (const char *c = e.message; *c; c++)
        assert_true(*c >= 0x20 && *c < 0x7f);
    /* The id of a rejected request is still there to echo. */
    assert_int_equal(json_integer_value(r.id), 3);
    yh_sig_req_free(&r);
}

static void test_publish(void **state)
{
    (void)state;
    yh_sig_req_t r;
    yh_sig_err_t e;
    assert_int_equal(parse("{\"type\":\"publish\",\"id\":2,\"sdp\":\"v=0\","
                           "\"tracks\":[{\"mid\":\"0\",\"source\":\"microphone\"},"
                           "{\"mid\":\"1\",\"source\":\"screen\"},{\"mid\":\"2\"}]}",
                           &r, &e),
                     0);
    assert_int_equal(r.u.publish.n_tracks, 3);
    assert_int_equal(r.u.publish.tracks[1].source, YH_SOURCE_SCREEN);
    assert_int_equal(r.u.publish.tracks[1].has_source, 1);
    assert_int_equal(r.u.publish.tracks[2].has_source, 0);
    assert_int_equal(r.u.publish.sdp_len, 3);
    yh_sig_req_free(&r);
    expect_error("{\"type\":\"publish\"}", "field 'sdp' is required", 0);
    expect_error("{\"type\":\"publish\",\"sdp\":\"\"}", "'sdp'", 0);
    expect_error("{\"type\":\"publish\",\"sdp\":\"x\",\"tracks\":{}}", "'tracks' must be an array",
                 0);
    expect_error("{\"type\":\"publish\",\"sdp\":\"x\",\"tracks\":[1]}", "tracks[0]", 0);
    expect_error("{\"type\":\"publish\",\"sdp\":\"x\",\"tracks\":[{\"mid\":\"0\",\"source\":"
                 "\"tv\"}]}",
                 "tracks[0].source", 0);
    expect_error(
        "{\"type\":\"publish\",\"sdp\":\"x\",\"tracks\":[{\"mid\":\"0\"},{\"mid\":\"0\"}]}",
        "twice", 0);
}

static void test_requests(void **state)
{
    (void)state;
    yh_sig_req_t r;
    yh_sig_err_t e;
    assert_int_equal(parse("{\"type\":\"mute\",\"source\":\"camera\",\"muted\":true}", &r, &e), 0);
    assert_int_equal(r.u.mute.source, YH_SOURCE_CAMERA);
    assert_int_equal(r.u.mute.muted, 1);
    yh_sig_req_free(&r);
    expect_error("{\"type\":\"mute\",\"source\":\"camera\",\"muted\":1}", "'muted'", 0);
    expect_error("{\"type\":\"mute\",\"muted\":false}", "'source' is required", 0);
    expect_error("{\"type\":\"hand\"}", "'raised' is required", 0);
    expect_error("{\"type\":\"unpublish\",\"mid\":7}", "'mid'", 0);
    expect_error("{\"type\":\"answer\"}", "'sdp'", 0);
    expect_error("{\"type\":\"resume\"}", "'resumeToken'", 0);
    expect_error("{\"type\":\"subscription\",\"track\":\"t1\",\"quality\":\"ultra\"}", "quality",
                 0);
    expect_error("{\"type\":\"moderate\"}", "'action'", 0);

    /* Chat: 1..4096 bytes, optional addressee (null = everyone). */
    static char text[4200];
    static char body[4098];
    memset(body, 'a', 4096);
    body[4096] = '\0';
    snprintf(text, sizeof text, "{\"type\":\"chat\",\"text\":\"%s\"}", body);
    assert_int_equal(parse(text, &r, &e), 0);
    assert_null(r.u.chat.to);
    yh_sig_req_free(&r);
    body[4096] = 'a';
    body[4097] = '\0';
    snprintf(text, sizeof text, "{\"type\":\"chat\",\"text\":\"%s\"}", body);
    expect_error(text, "'text'", 0);
    assert_int_equal(parse("{\"type\":\"chat\",\"text\":\"hi\",\"to\":null}", &r, &e), 0);
    assert_null(r.u.chat.to);
    yh_sig_req_free(&r);
    assert_int_equal(parse("{\"type\":\"chat\",\"text\":\"hi\",\"to\":\"p3\"}", &r, &e), 0);
    assert_string_equal(r.u.chat.to, "p3");
    yh_sig_req_free(&r);
    expect_error("{\"type\":\"chat\",\"text\":\"\"}", "'text'", 0);
    expect_error("{\"type\":\"chat\",\"text\":\"x\",\"to\":5}", "'to'", 0);
}

/* subscription: quality, tile size and frame rate, each optional. */
static void test_subscription(void **state)
{
    (void)state;
    yh_sig_req_t r;
    yh_sig_err_t e;
    assert_int_equal(parse("{\"type\":\"subscription\",\"track\":\"t4\"}", &r, &e), 0);
    assert_string_equal(r.u.subscription.track, "t4");
    assert_int_equal(r.u.subscription.quality, 3);
    assert_int_equal(r.u.subscription.width, 0);
    assert_int_equal(r.u.subscription.fps, 0);
    yh_sig_req_free(&r);
    assert_int_equal(parse("{\"type\":\"subscription\",\"track\":\"t4\",\"quality\":\"low\","
                           "\"width\":320,\"height\":180,\"fps\":15}",
                           &r, &e),
                     0);
    assert_int_equal(r.u.subscription.quality, 0);
    assert_int_equal(r.u.subscription.width, 320);
    assert_int_equal(r.u.subscription.height, 180);
    assert_int_equal(r.u.subscription.fps, 15);
    yh_sig_req_free(&r);
    /* The bounds, and null as "not given" like width and height. */
    assert_int_equal(parse("{\"type\":\"subscription\",\"track\":\"t4\",\"fps\":1}", &r, &e), 0);
    assert_int_equal(r.u.subscription.fps, 1);
    yh_sig_req_free(&r);
    assert_int_equal(parse("{\"type\":\"subscription\",\"track\":\"t4\",\"fps\":120}", &r, &e), 0);
    assert_int_equal(r.u.subscription.fps, 120);
    yh_sig_req_free(&r);
    assert_int_equal(parse("{\"type\":\"subscription\",\"track\":\"t4\",\"fps\":null}", &r, &e), 0);
    assert_int_equal(r.u.subscription.fps, 0);
    yh_sig_req_free(&r);
    static const char *const bad[] = {"0", "-5", "121", "15.0", "7.5", "\"15\"", "true", "[15]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"type\":\"subscription\",\"track\":\"t4\",\"fps\":%s}",
                 bad[i]);
        expect_error(text, "field 'fps' must be an integer 1..120", 0);
    }
    expect_error("{\"type\":\"subscription\",\"track\":\"t4\",\"width\":-1}", "'width'", 0);
    expect_error("{\"type\":\"subscription\",\"fps\":15}", "'track' is required", 0);
}

/* fps -> highest temporal layer: Chromium's three layers at 30 fps give
 * 7.5 (TID 0), 15 (TID <= 1) and 30 fps (all). */
static void test_fps_max_tid(void **state)
{
    (void)state;
    static const struct {
        int fps, tid;
    } cases[] = {
        {0, YH_SFU_TID_ALL},
        {120, YH_SFU_TID_ALL},
        {30, YH_SFU_TID_ALL},
        {24, YH_SFU_TID_ALL},
        {23, 1},
        {15, 1},
        {12, 1},
        {11, 0},
        {7, 0},
        {1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (yh_sig_fps_max_tid(cases[i].fps) != cases[i].tid)
            fail_msg("fps %d -> TID %d, expected %d", cases[i].fps,
                     yh_sig_fps_max_tid(cases[i].fps), cases[i].tid);
}

/* Slot planning: appended in order, reused only once the client has seen
 * the slot inactive, fresh SSRC on every use. */
/* join's passcode, token and client.kind are kept for admission. */
static void test_join_credentials(void **state)
{
    yh_sig_req_t r;
    yh_sig_err_t e;
    assert_int_equal(
        parse("{\"type\":\"join\",\"meeting\":\"1\",\"passcode\":\"2468\","
              "\"token\":\"a.b\",\"client\":{\"kind\":\"terminal\",\"version\":\"1\"}}",
              &r, &e),
        0);
    assert_string_equal(r.u.join.passcode, "2468");
    assert_string_equal(r.u.join.token, "a.b");
    assert_string_equal(r.u.join.client_kind, "terminal");
    yh_sig_req_free(&r);
    assert_int_equal(parse("{\"type\":\"join\",\"meeting\":\"1\",\"passcode\":null}", &r, &e), 0);
    assert_null(r.u.join.passcode);
    assert_null(r.u.join.token);
    assert_null(r.u.join.client_kind);
    yh_sig_req_free(&r);
    expect_error("{\"type\":\"join\",\"meeting\":\"1\",\"passcode\":1234}", "'passcode'", 0);
    expect_error("{\"type\":\"join\",\"meeting\":\"1\",\"client\":{\"kind\":7}}", "client.kind", 0);
    expect_error("{\"type\":\"join\",\"meeting\":\"1\",\"client\":{\"kind\":\"a-very-long-kind\"}}",
                 "client.kind", 0);
}

static void test_moderate(void **state)
{
    yh_sig_req_t r;
    yh_sig_err_t e;
    /* Every action by name; defaults where fields are optional. */
    static const struct {
        const char *text;
        yh_mod_action_t action;
    } ok[] = {
        {"\"action\":\"mute\",\"participant\":\"p1\"", YH_MOD_MUTE},
        {"\"action\":\"mute-all\"", YH_MOD_MUTE_ALL},
        {"\"action\":\"ask-unmute\",\"participant\":\"p1\",\"source\":\"camera\"",
         YH_MOD_ASK_UNMUTE},
        {"\"action\":\"remove\",\"participant\":\"p1\"", YH_MOD_REMOVE},
        {"\"action\":\"admit\",\"participant\":\"p1\"", YH_MOD_ADMIT},
        {"\"action\":\"deny\",\"participant\":\"p1\"", YH_MOD_DENY},
        {"\"action\":\"set-role\",\"participant\":\"p1\",\"role\":\"cohost\"", YH_MOD_SET_ROLE},
        {"\"action\":\"spotlight\",\"participant\":null", YH_MOD_SPOTLIGHT},
        {"\"action\":\"lock\"", YH_MOD_LOCK},
        {"\"action\":\"unlock\"", YH_MOD_UNLOCK},
        {"\"action\":\"end\"", YH_MOD_END},
        {"\"action\":\"roll-call-start\",\"interval\":120", YH_MOD_ROLL_CALL_START},
        {"\"action\":\"roll-call-stop\"", YH_MOD_ROLL_CALL_STOP},
        {"\"action\":\"roll-call-next\"", YH_MOD_ROLL_CALL_NEXT},
        {"\"action\":\"give-floor\",\"participant\":\"p1\",\"exclusive\":true", YH_MOD_GIVE_FLOOR},
        {"\"action\":\"settings\",\"publish\":\"speakers\"", YH_MOD_SETTINGS},
    };
    assert_int_equal(sizeof ok / sizeof ok[0], YH_MOD__COUNT);
    for (size_t i = 0; i < YH_MOD__COUNT; i++) {
        char text[256];
        snprintf(text, sizeof text, "{\"type\":\"moderate\",\"id\":1,%s}", ok[i].text);
        if (parse(text, &r, &e) != 0)
            fail_msg("refused %s: %s", text, e.message);
        assert_int_equal(r.u.moderate.action, ok[i].action);
        /* The table's name is the one parsed: "action":"<name>". */
        char name[32];
        assert_int_equal(sscanf(ok[i].text, "\"action\":\"%31[^\"]", name), 1);
        assert_string_equal(yh_sig_action_name(ok[i].action), name);
        yh_sig_req_free(&r);
    }
    assert_int_equal(
        parse("{\"type\":\"moderate\",\"action\":\"mute\",\"participant\":\"p9\"}", &r, &e), 0);
    assert_string_equal(r.u.moderate.participant, "p9");
    assert_int_equal(r.u.moderate.source, YH_SOURCE_MICROPHONE);
    yh_sig_req_free(&r);
    assert_int_equal(
        parse("{\"type\":\"moderate\",\"action\":\"give-floor\",\"participant\":\"p2\"}", &r, &e),
        0);
    assert_int_equal(r.u.moderate.exclusive, 0);
    yh_sig_req_free(&r);
    assert_int_equal(
        parse("{\"type\":\"moderate\",\"action\":\"settings\",\"muteOnEntry\":false}", &r, &e), 0);
    assert_int_equal(r.u.moderate.mute_on_entry, 0);
    assert_int_equal(r.u.moderate.waiting_room, -1);
    assert_int_equal(r.u.moderate.publish, -1);
    yh_sig_req_free(&r);
    assert_int_equal(
        parse("{\"type\":\"moderate\",\"action\":\"roll-call-start\",\"interval\":10}", &r, &e), 0);
    assert_int_equal(r.u.moderate.interval, 10);
    yh_sig_req_free(&r);

    /* Refusals, each naming the field. */
    expect_error("{\"type\":\"moderate\"}", "'action'", 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"fly\"}", "unknown moderate action 'fly'", 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"mute\"}", "'participant'", 0);
    expect_error(
        "{\"type\":\"moderate\",\"action\":\"mute\",\"participant\":\"p1\",\"source\":\"x\"}",
        "'source'", 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"set-role\",\"participant\":\"p1\"}", "'role'",
                 0);
    expect_error(
        "{\"type\":\"moderate\",\"action\":\"set-role\",\"participant\":\"p1\",\"role\":\"king\"}",
        "'role'", 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"spotlight\",\"participant\":5}",
                 "'participant'", 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"roll-call-start\"}", "'interval'", 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"roll-call-start\",\"interval\":9}", "10..120",
                 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"roll-call-start\",\"interval\":121}",
                 "10..120", 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"roll-call-start\",\"interval\":10.5}",
                 "10..120", 0);
    expect_error(
        "{\"type\":\"moderate\",\"action\":\"give-floor\",\"participant\":\"p1\",\"exclusive\":1}",
        "'exclusive'", 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"settings\"}", "settings", 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"settings\",\"publish\":\"all\"}", "'publish'",
                 0);
    expect_error("{\"type\":\"moderate\",\"action\":\"settings\",\"waitingRoom\":\"yes\"}",
                 "'waitingRoom'", 0);
}

static void test_slots(void **state)
{
    (void)state;
    yh_meetings_t reg;
    yh_meetings_init(&reg);
    yh_meeting_t *m = NULL;
    yh_participant_t *a = NULL, *b = NULL;
    assert_int_equal(yh_meeting_open(&reg, "42", &m), 0);
    assert_int_equal(yh_meeting_open(&reg, "42", &m), YH_EEXISTS);
    assert_int_equal(yh_meeting_participant_add(&reg, m, "A", &a), 0);
    assert_int_equal(yh_meeting_participant_add(&reg, m, "B", &b), 0);
    assert_int_equal(a->role, YH_ROLE_HOST);
    assert_int_equal(b->role, YH_ROLE_ATTENDEE);
    assert_string_equal(m->title, "Meeting 42");

    yh_meeting_track_t *mic = NULL, *cam = NULL, *cam2 = NULL;
    assert_int_equal(yh_meeting_track_add(&reg, a, &mic), 0);
    mic->kind = YH_KIND_AUDIO;
    assert_int_equal(yh_meeting_track_add(&reg, a, &cam), 0);
    cam->kind = YH_KIND_VIDEO;
    assert_int_equal(yh_meeting_slots_plan(b), 2);
    assert_int_equal(yh_meeting_slots_plan(a), 0); /* own tracks are not received */
    assert_int_equal(b->n_slots, 2);
    assert_string_equal(b->slots[0].mid, "0");
    assert_string_equal(b->slots[1].mid, "1");
    assert_int_equal(b->slots[1].track, cam->num);
    assert_true(yh_meeting_slots_changed(b));
    yh_meeting_slots_mark_offered(b);
    assert_false(yh_meeting_slots_changed(b));
    uint32_t old_ssrc = b->slots[1].ssrc;

    /* The camera goes while that offer is outstanding: the slot empties at
     * once, but is not reused before an offer has shown it inactive. */
    b->slots[1].sub_id = 99;
    assert_int_equal(yh_meeting_slots_drop(b, cam->num), 99);
    yh_meeting_track_remove(a, cam);
    assert_int_equal(yh_meeting_track_add(&reg, a, &cam2), 0);
    cam2->kind = YH_KIND_VIDEO;
    assert_int_equal(yh_meeting_slots_plan(b), 1);
    assert_int_equal(b->n_slots, 3);
    assert_int_equal(b->slots[2].track, cam2->num);
    yh_meeting_slots_mark_offered(b);

    /* Now slot 1 was offered inactive: the next video track reuses it. */
    yh_meeting_slots_drop(b, cam2->num);
    yh_meeting_track_remove(a, cam2);
    yh_meeting_slots_mark_offered(b);
    yh_meeting_track_t *cam3 = NULL;
    assert_int_equal(yh_meeting_track_add(&reg, a, &cam3), 0);
    cam3->kind = YH_KIND_VIDEO;
    assert_int_equal(yh_meeting_slots_plan(b), 1);
    assert_int_equal(b->n_slots, 3);
    assert_int_equal(b->slots[1].track, cam3->num);
    assert_int_not_equal(b->slots[1].ssrc, old_ssrc);
    assert_int_equal(yh_meeting_slots_active(b), 2);
    yh_meetings_free(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_valid),
        cmocka_unit_test(test_join_name_limits),
        cmocka_unit_test(test_join_meeting_number),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_publish),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_subscription),
        cmocka_unit_test(test_fps_max_tid),
        cmocka_unit_test(test_join_credentials),
        cmocka_unit_test(test_moderate),
        cmocka_unit_test(test_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
