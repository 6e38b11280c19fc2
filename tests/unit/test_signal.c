/*
 * The signaling dispatcher over fake connections, with no media plane
 * attached: joining, events, chat, hand, leaving, resume and expiry, and
 * the publish / subscribe offer-answer flow with real Chrome and Firefox
 * SDPs (tests/vectors/sdp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "base/clock.h"
#include "base/log.h"
#include "signal/signal_int.h"

#define MAX_MSGS 512
#define FP                                                                                         \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"   \
    "67:89"

typedef struct fake {
    yh_signal_conn_t *c;
    json_t *msgs[MAX_MSGS];
    size_t n, next;
    int close_code;
} fake_t;

typedef struct fixture {
    uv_loop_t loop;
    yh_signal_t *s;
} fixture_t;

static int f_send(void *ctx, const char *text, size_t len)
{
    fake_t *f = ctx;
    json_error_t e;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!o)
        fail_msg("server sent invalid JSON: %s", e.text);
    assert_true(json_is_string(json_object_get(o, "type")));
    assert_true(f->n < MAX_MSGS);
    f->msgs[f->n++] = o;
    return 0;
}

static void f_close(void *ctx, int code, const char *reason)
{
    fake_t *f = ctx;
    f->close_code = code;
}

static const yh_signal_conn_ops_t ops = {f_send, f_close};

static int setup_max(void **state, int max)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    uv_loop_init(&fx->loop);
    yh_signal_config_t cfg = {
        .candidate_ips = {"127.0.0.1"},
        .n_candidate_ips = 1,
        .media_port = 40000,
        .fingerprint = FP,
        .max_participants = max,
    };
    assert_int_equal(yh_signal_create(&fx->loop, &cfg, &fx->s), 0);
    *state = fx;
    return 0;
}

static int setup(void **state)
{
    yh_log_set_level(YH_LOG_WARN);
    return setup_max(state, 100);
}

static int setup_small(void **state)
{
    return setup_max(state, 2);
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    yh_signal_destroy(fx->s);
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    free(fx);
    return 0;
}

static fake_t *fake_open(fixture_t *fx)
{
    fake_t *f = calloc(1, sizeof *f);
    assert_int_equal(yh_signal_conn_open(fx->s, &ops, f, &f->c), 0);
    return f;
}

/* The connection goes away (f stays readable; free with fake_free). */
static void fake_lose(fixture_t *fx, fake_t *f)
{
    yh_signal_conn_closed(fx->s, f->c);
    f->c = NULL;
}

static void fake_free(fixture_t *fx, fake_t *f)
{
    if (f->c)
        fake_lose(fx, f);
    for (size_t i = 0; i < f->n; i++)
        json_decref(f->msgs[i]);
    free(f);
}

static void sendf(fixture_t *fx, fake_t *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void sendf(fixture_t *fx, fake_t *f, const char *fmt, ...)
{
    static char text[200000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    yh_signal_handle_text(fx->s, f->c, text, strlen(text));
}

static const char *type_of(const json_t *m)
{
    return json_string_value(json_object_get(m, "type"));
}

/* The next message not yet read, which must have `type`. */
static json_t *expect(fake_t *f, const char *type)
{
    if (f->next >= f->n)
        fail_msg("expected '%s', nothing received", type);
    json_t *m = f->msgs[f->next++];
    if (strcmp(type_of(m), type) != 0) {
        char *t = json_dumps(m, 0);
        fail_msg("expected '%s', got %.300s", type, t);
    }
    return m;
}

static void expect_none(fake_t *f)
{
    if (f->next < f->n) {
        char *t = json_dumps(f->msgs[f->next], 0);
        fail_msg("unexpected %.300s", t);
    }
}

static void drain(fake_t *f)
{
    f->next = f->n;
}

static const char *str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    if (!v)
        fail_msg("no string '%s'", key);
    return v;
}

static fake_t *join(fixture_t *fx, const char *meeting, const char *name)
{
    fake_t *f = fake_open(fx);
    sendf(fx, f, "{\"type\":\"join\",\"id\":1,\"meeting\":\"%s\",\"name\":\"%s\"}", meeting, name);
    expect(f, "joined");
    return f;
}

/* ---- SDP helpers ---------------------------------------------------------- */

static char *load_vector(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sdp/%s", YH_VECTORS_DIR, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[3][65536];
    static int k;
    char *b = buf[k++ % 3];
    size_t n = fread(b, 1, sizeof buf[0] - 1, fp);
    fclose(fp);
    b[n] = '\0';
    return b;
}

/* JSON string contents for `sdp` (CRLF and quotes escaped). */
static char *esc(const char *sdp)
{
    static char out[4][140000];
    static int k;
    char *o = out[k++ % 4], *w = o;
    for (const char *p = sdp; *p; p++) {
        if (*p == '\r') {
            *w++ = '\\';
            *w++ = 'r';
        } else if (*p == '\n') {
            *w++ = '\\';
            *w++ = 'n';
        } else if (*p == '"' || *p == '\\') {
            *w++ = '\\';
            *w++ = *p;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return o;
}

/* A browser-like answer to a subscriber offer: per m-section the first
 * codec, recvonly (inactive for inactive), rtcp-mux, setup active. */
static char *make_answer(const char *offer)
{
    static char out[65536];
    char mids[1024] = "";
    char media[60000] = "";
    const char *p = offer;
    char kind[16] = "", pt[8] = "", rtpmap[128] = "", mid[40] = "", dir[16] = "recvonly";
    int in_media = 0;
    for (;;) {
        const char *e = strstr(p, "\r\n");
        int last = e == NULL;
        char line[2048];
        size_t n = last ? strlen(p) : (size_t)(e - p);
        snprintf(line, sizeof line, "%.*s", (int)n, p);
        if (in_media && (last || strncmp(line, "m=", 2) == 0)) {
            size_t len = strlen(media);
            snprintf(media + len, sizeof media - len,
                     "m=%s 9 UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\n"
                     "a=ice-ufrag:Ab12\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
                     "a=fingerprint:sha-256 %s\r\na=setup:active\r\na=mid:%s\r\n"
                     "a=%s\r\na=rtcp-mux\r\na=rtpmap:%s\r\n",
                     kind, pt, FP, mid, dir, rtpmap);
            len = strlen(mids);
            snprintf(mids + len, sizeof mids - len, " %s", mid);
        }
        if (strncmp(line, "m=", 2) == 0) {
            in_media = 1;
            sscanf(line, "m=%15s %*s %*s %7s", kind, pt);
            strcpy(dir, "recvonly");
        } else if (strncmp(line, "a=mid:", 6) == 0) {
            snprintf(mid, sizeof mid, "%.32s", line + 6);
        } else if (strcmp(line, "a=inactive") == 0) {
            strcpy(dir, "inactive");
        } else if (strncmp(line, "a=rtpmap:", 9) == 0 && strncmp(line + 9, pt, strlen(pt)) == 0) {
            snprintf(rtpmap, sizeof rtpmap, "%.100s", line + 9);
        }
        if (last)
            break;
        p = e + 2;
    }
    snprintf(out, sizeof out,
             "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE%s\r\n"
             "a=msid-semantic: WMS\r\n%s",
             mids, media);
    return out;
}

static void publish(fixture_t *fx, fake_t *f, const char *vector, const char *tracks)
{
    sendf(fx, f, "{\"type\":\"publish\",\"id\":2,\"sdp\":\"%s\",\"tracks\":%s}",
          esc(load_vector(vector)), tracks);
}

/* ---- tests ---------------------------------------------------------------- */

/* With TURN configured, joined.iceServers carries one entry whose
 * credential is the TURN REST HMAC of "<expiry>:<participant id>". */
static void test_ice_servers(void **state)
{
    fixture_t *fx = *state;
    const char *urls[] = {"turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"};
    assert_int_equal(yh_signal_set_ice_servers(fx->s, urls, 2, NULL, 600), YH_EINVAL);
    assert_int_equal(yh_signal_set_ice_servers(fx->s, urls, 2, "s3cret", 600), 0);
    fake_t *a = fake_open(fx);
    int64_t before = (int64_t)time(NULL);
    sendf(fx, a, "{\"type\":\"join\",\"id\":1,\"meeting\":\"123456789\"}");
    json_t *j = expect(a, "joined");
    json_t *ice = json_object_get(j, "iceServers");
    assert_int_equal(json_array_size(ice), 1);
    json_t *e = json_array_get(ice, 0);
    assert_int_equal(json_array_size(json_object_get(e, "urls")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(e, "urls"), 1)), urls[1]);
    const char *user = str(e, "username"), *colon = strchr(user, ':');
    assert_non_null(colon);
    assert_string_equal(colon + 1, str(json_object_get(j, "self"), "id"));
    long long exp = strtoll(user, NULL, 10);
    assert_true(exp >= before + 600 && exp <= before + 602);
    char u2[64], cred[YH_AUTH_TURN_CRED_MAX];
    assert_int_equal(
        yh_auth_turn_credential_at("s3cret", 6, colon + 1, exp, u2, sizeof u2, cred, sizeof cred),
        0);
    assert_string_equal(u2, user);
    assert_string_equal(str(e, "credential"), cred);
    fake_free(fx, a);
}

static void test_join_and_events(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = fake_open(fx);
    sendf(fx, a, "{\"type\":\"join\",\"id\":1,\"meeting\":\"123456789\",\"name\":\" Alice \"}");
    json_t *j = expect(a, "joined");
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 1);
    json_t *self = json_object_get(j, "self");
    assert_string_equal(str(self, "name"), "Alice");
    assert_string_equal(str(self, "role"), "host");
    assert_true(str(self, "id")[0] == 'p');
    assert_true(json_is_true(json_object_get(self, "audioMuted")));
    assert_true(json_is_false(json_object_get(self, "hand")));
    assert_int_equal(strlen(str(self, "joinedAt")), 20);
    json_t *m = json_object_get(j, "meeting");
    assert_string_equal(str(m, "number"), "123456789");
    assert_string_equal(str(m, "title"), "Meeting 123456789");
    assert_string_equal(str(m, "publish"), "everyone");
    assert_true(json_is_null(json_object_get(m, "spotlight")));
    assert_true(json_is_null(json_object_get(m, "rollCall")));
    assert_int_equal(json_array_size(json_object_get(j, "participants")), 1);
    assert_int_equal(json_array_size(json_object_get(j, "tracks")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "iceServers")), 0);
    assert_int_equal(strlen(str(j, "resumeToken")), 24);
    expect_none(a); /* nothing published: no offer */

    fake_t *b = fake_open(fx);
    sendf(fx, b, "{\"type\":\"join\",\"id\":\"j\",\"meeting\":\"123456789\"}");
    j = expect(b, "joined");
    assert_string_equal(str(j, "id"), "j");
    assert_string_equal(str(json_object_get(j, "self"), "role"), "attendee");
    assert_string_equal(str(json_object_get(j, "self"), "name"), "Guest");
    assert_int_equal(json_array_size(json_object_get(j, "participants")), 2);
    json_t *ev = expect(a, "participant-joined");
    assert_string_equal(str(json_object_get(ev, "participant"), "id"),
                        str(json_object_get(j, "self"), "id"));
    expect_none(b);

    /* A second join on one connection is refused. */
    sendf(fx, b, "{\"type\":\"join\",\"id\":3,\"meeting\":\"123456789\"}");
    assert_string_equal(str(expect(b, "error"), "code"), "bad-request");
    fake_free(fx, a);
    fake_free(fx, b);
}

static void test_bad_input(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = fake_open(fx);
    sendf(fx, a, "{\"type\":\"hand\",\"id\":5,\"raised\":true}");
    json_t *e = expect(a, "error");
    assert_string_equal(str(e, "message"), "join first");
    assert_int_equal(json_integer_value(json_object_get(e, "id")), 5);
    sendf(fx, a, "{\"type\":\"teleport\",\"id\":\"x\"}");
    e = expect(a, "error");
    assert_string_equal(str(e, "code"), "bad-request");
    assert_string_equal(str(e, "message"), "unknown message type 'teleport'");
    assert_string_equal(str(e, "id"), "x");
    assert_int_equal(a->close_code, 0);
    sendf(fx, a, "{\"type\":\"join\",\"id\":1,\"meeting\":\"a b\"}");
    assert_string_equal(str(expect(a, "error"), "code"), "bad-request");
    /* Malformed JSON: error, then close 1008, then nothing more. */
    sendf(fx, a, "{\"type\":");
    expect(a, "error");
    assert_int_equal(a->close_code, 1008);
    sendf(fx, a, "{\"type\":\"join\",\"id\":1,\"meeting\":\"1\"}");
    expect_none(a);
    fake_free(fx, a);
    /* The candidate message is accepted and ignored, even before join. */
    fake_t *b = fake_open(fx);
    sendf(fx, b, "{\"type\":\"candidate\",\"id\":9,\"candidate\":{}}");
    assert_int_equal(json_integer_value(json_object_get(expect(b, "ok"), "id")), 9);
    fake_free(fx, b);
}

static void test_full(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m1", "A");
    fake_t *b = join(fx, "m1", "B");
    fake_t *c = fake_open(fx);
    sendf(fx, c, "{\"type\":\"join\",\"id\":1,\"meeting\":\"m1\"}");
    assert_string_equal(str(expect(c, "error"), "code"), "full");
    /* Another meeting is not affected. */
    sendf(fx, c, "{\"type\":\"join\",\"id\":1,\"meeting\":\"m2\"}");
    expect(c, "joined");
    fake_free(fx, a);
    fake_free(fx, b);
    fake_free(fx, c);
}

static void test_chat_hand_leave(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "77", "A");
    fake_t *b = join(fx, "77", "B");
    fake_t *c = join(fx, "77", "C");
    drain(a);
    drain(b);
    const char *bid = str(json_object_get(b->msgs[0], "self"), "id");
    const char *aid = str(json_object_get(a->msgs[0], "self"), "id");

    sendf(fx, a, "{\"type\":\"chat\",\"id\":4,\"text\":\"hello \\u4e91\"}");
    for (int i = 0; i < 3; i++) {
        fake_t *f = i == 0 ? a : i == 1 ? b : c;
        json_t *ev = expect(f, "chat");
        assert_string_equal(str(ev, "from"), aid);
        assert_true(json_is_null(json_object_get(ev, "to")));
        assert_string_equal(str(ev, "text"), "hello \xe4\xba\x91");
        assert_int_equal(strlen(str(ev, "at")), 20);
    }
    expect(a, "ok");

    /* A private message reaches the addressee and the sender only. */
    sendf(fx, a, "{\"type\":\"chat\",\"id\":5,\"text\":\"psst\",\"to\":\"%s\"}", bid);
    assert_string_equal(str(expect(b, "chat"), "to"), bid);
    expect(a, "chat");
    expect(a, "ok");
    expect_none(c);
    sendf(fx, a, "{\"type\":\"chat\",\"id\":6,\"text\":\"x\",\"to\":\"p999999\"}");
    assert_string_equal(str(expect(a, "error"), "code"), "bad-request");

    sendf(fx, b, "{\"type\":\"hand\",\"id\":7,\"raised\":true}");
    json_t *ev = expect(a, "participant-updated");
    assert_true(json_is_true(json_object_get(json_object_get(ev, "participant"), "hand")));
    /* The host also gets the hand queue. */
    ev = expect(a, "meeting-updated");
    assert_int_equal(json_array_size(json_object_get(json_object_get(ev, "meeting"), "hands")), 1);
    expect(c, "participant-updated");
    expect(b, "participant-updated");
    expect(b, "ok");

    /* Moderation is for hosts (test_signal_control.c has the rest). */
    sendf(fx, b, "{\"type\":\"moderate\",\"id\":8,\"action\":\"lock\"}");
    assert_string_equal(str(expect(b, "error"), "code"), "forbidden");

    sendf(fx, b, "{\"type\":\"leave\",\"id\":9}");
    expect(b, "ok");
    ev = expect(a, "participant-left");
    assert_string_equal(str(ev, "id"), bid);
    assert_string_equal(str(ev, "reason"), "left");
    expect(c, "participant-left");
    /* After leaving, requests need a new join. */
    sendf(fx, b, "{\"type\":\"hand\",\"id\":10,\"raised\":false}");
    assert_string_equal(str(expect(b, "error"), "message"), "join first");

    fake_free(fx, a);
    fake_free(fx, b);
    fake_free(fx, c);
    /* Lost connections keep their participants until they expire; then
     * the empty meeting is deleted. */
    assert_int_equal(fx->s->reg.n_meetings, 1);
    yh_signal_expire(fx->s, yh_now_us() + YH_SIGNAL_RESUME_US);
    assert_int_equal(fx->s->reg.n_meetings, 0);
}

static void test_resume_and_expiry(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "55", "A");
    fake_t *b = join(fx, "55", "B");
    drain(a);
    const char *token = str(a->msgs[0], "resumeToken");
    char aid[16];
    snprintf(aid, sizeof aid, "%s", str(json_object_get(a->msgs[0], "self"), "id"));

    fake_lose(fx, a);
    yh_signal_expire(fx->s, yh_now_us() + 5 * 1000000ull);
    expect_none(b); /* within 20 s nobody is told */

    fake_t *a2 = fake_open(fx);
    sendf(fx, a2, "{\"type\":\"resume\",\"id\":1,\"resumeToken\":\"%s\"}", token);
    json_t *j = expect(a2, "joined");
    assert_string_equal(str(json_object_get(j, "self"), "id"), aid);
    assert_int_equal(json_array_size(json_object_get(j, "participants")), 2);
    expect_none(b);

    fake_t *x = fake_open(fx);
    sendf(fx, x, "{\"type\":\"resume\",\"id\":1,\"resumeToken\":\"nope\"}");
    assert_string_equal(str(expect(x, "error"), "code"), "not-found");

    fake_lose(fx, a2);
    yh_signal_expire(fx->s, yh_now_us() + YH_SIGNAL_RESUME_US + 1000);
    json_t *ev = expect(b, "participant-left");
    assert_string_equal(str(ev, "id"), aid);
    assert_string_equal(str(ev, "reason"), "disconnected");
    /* The token died with the participant. */
    sendf(fx, x, "{\"type\":\"resume\",\"id\":2,\"resumeToken\":\"%s\"}", token);
    assert_string_equal(str(expect(x, "error"), "code"), "not-found");
    fake_free(fx, a);
    fake_free(fx, a2);
    fake_free(fx, b);
    fake_free(fx, x);
}

/* The whole media negotiation: publisher answer, track events, subscriber
 * offers and answers, mute, republish with one track less, leave. */
static void test_publish_subscribe(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "900", "A");
    fake_t *b = join(fx, "900", "B");
    drain(a);
    yh_participant_t *pa = a->c->p, *pb = b->c->p;

    publish(fx, a, "chrome-publish-offer.sdp",
            "[{\"mid\":\"0\",\"source\":\"microphone\"},{\"mid\":\"1\",\"source\":\"camera\"}]");
    /* A's own flags change: participant-updated, then the answer. */
    expect(a, "participant-updated");
    json_t *ans = expect(a, "answer");
    assert_int_equal(json_integer_value(json_object_get(ans, "id")), 2);
    const char *sdp = str(ans, "sdp");
    assert_non_null(strstr(sdp, "a=ice-lite"));
    assert_non_null(strstr(sdp, "127.0.0.1 40000 typ host"));
    assert_non_null(strstr(sdp, "a=setup:passive"));
    expect_none(a);

    json_t *t0 = json_object_get(expect(b, "track-published"), "track");
    json_t *t1 = json_object_get(expect(b, "track-published"), "track");
    assert_string_equal(str(t0, "kind"), "audio");
    assert_string_equal(str(t0, "source"), "microphone");
    assert_string_equal(str(t1, "kind"), "video");
    assert_string_equal(str(t1, "participant"), pa->id);
    json_t *pu = expect(b, "participant-updated");
    assert_true(json_is_false(json_object_get(json_object_get(pu, "participant"), "videoMuted")));
    json_t *offer = expect(b, "offer");
    json_t *tracks = json_object_get(offer, "tracks");
    assert_int_equal(json_array_size(tracks), 2);
    assert_string_equal(str(json_array_get(tracks, 0), "mid"), "0");
    assert_string_equal(str(json_array_get(tracks, 1), "track"), str(t1, "id"));
    const char *osdp = str(offer, "sdp");
    assert_non_null(strstr(osdp, "a=setup:actpass"));
    assert_non_null(strstr(osdp, pa->id)); /* msid stream = publisher */
    assert_true(pb->offer_outstanding);

    /* An answer that does not fit is refused; the offer stays open. */
    sendf(fx, b, "{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}");
    assert_string_equal(str(expect(b, "error"), "code"), "bad-request");
    sendf(fx, b, "{\"type\":\"answer\",\"sdp\":\"%s\"}", esc(make_answer(osdp)));
    expect_none(b);
    assert_false(pb->offer_outstanding);
    assert_int_not_equal(pb->sub_transport, 0);
    assert_int_not_equal(pb->slots[0].sub_id, 0);
    assert_int_not_equal(pb->slots[1].sub_id, 0);
    sendf(fx, b, "{\"type\":\"answer\",\"id\":3,\"sdp\":\"%s\"}", esc(make_answer(osdp)));
    assert_string_equal(str(expect(b, "error"), "message"), "no subscriber offer is outstanding");

    /* Broken SDP in publish. */
    sendf(fx, a, "{\"type\":\"publish\",\"id\":4,\"sdp\":\"hello\"}");
    json_t *err = expect(a, "error");
    assert_string_equal(str(err, "code"), "bad-request");
    assert_int_equal(json_integer_value(json_object_get(err, "id")), 4);

    /* Mute the camera: everyone sees the track and the participant change. */
    sendf(fx, a, "{\"type\":\"mute\",\"id\":5,\"source\":\"camera\",\"muted\":true}");
    json_t *tu = expect(b, "track-updated");
    assert_true(json_is_true(json_object_get(json_object_get(tu, "track"), "muted")));
    pu = expect(b, "participant-updated");
    assert_true(json_is_true(json_object_get(json_object_get(pu, "participant"), "videoMuted")));
    drain(a);

    /* A third participant joins: the tracks are in joined, then an offer. */
    fake_t *c = fake_open(fx);
    sendf(fx, c, "{\"type\":\"join\",\"id\":1,\"meeting\":\"900\"}");
    json_t *j = expect(c, "joined");
    assert_int_equal(json_array_size(json_object_get(j, "tracks")), 2);
    assert_true(
        json_is_true(json_object_get(json_array_get(json_object_get(j, "tracks"), 1), "muted")));
    assert_int_equal(json_array_size(json_object_get(expect(c, "offer"), "tracks")), 2);
    drain(a);
    drain(b);

    /* Unpublish the video: B's slot stops at once and the next offer shows
     * it inactive; C's offer is still outstanding, so C waits. */
    sendf(fx, a, "{\"type\":\"unpublish\",\"id\":6,\"mid\":\"1\"}");
    assert_string_equal(str(expect(b, "track-unpublished"), "id"), str(t1, "id"));
    assert_int_equal(pb->slots[1].sub_id, 0);
    offer = expect(b, "offer");
    assert_int_equal(json_array_size(json_object_get(offer, "tracks")), 1);
    assert_non_null(strstr(str(offer, "sdp"), "a=inactive"));
    expect(c, "track-unpublished");
    expect_none(c);
    drain(a);
    sendf(fx, a, "{\"type\":\"unpublish\",\"id\":7,\"mid\":\"1\"}");
    assert_string_equal(str(expect(a, "error"), "code"), "bad-request");
    sendf(fx, b, "{\"type\":\"answer\",\"sdp\":\"%s\"}", esc(make_answer(str(offer, "sdp"))));
    expect_none(b);

    /* Leaving takes the remaining track along. */
    sendf(fx, a, "{\"type\":\"leave\",\"id\":8}");
    assert_string_equal(str(expect(b, "track-unpublished"), "id"), str(t0, "id"));
    assert_string_equal(str(expect(b, "participant-left"), "reason"), "left");
    assert_int_equal(yh_meeting_slots_active(pb), 0);
    fake_free(fx, a);
    fake_free(fx, b);
    fake_free(fx, c);
}

/* Firefox's offer, a republish that drops video, and slot reuse. */
static void test_republish_and_reuse(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "901", "A");
    fake_t *b = join(fx, "901", "B");
    yh_participant_t *pb = b->c->p;
    drain(a);
    publish(fx, a, "firefox-publish-offer.sdp", "[]");
    expect(a, "participant-updated");
    assert_non_null(strstr(str(expect(a, "answer"), "sdp"), "a=ice-lite"));
    drain(b);
    json_t *offer = json_object_get(b->msgs[b->n - 1], "sdp");
    assert_non_null(offer);
    sendf(fx, b, "{\"type\":\"answer\",\"sdp\":\"%s\"}",
          esc(make_answer(json_string_value(offer))));
    expect_none(b);

    /* The same offer with the video m-section rejected (port 0). */
    char *ff = load_vector("firefox-publish-offer.sdp");
    char *v = strstr(ff, "m=video 9 ");
    assert_non_null(v);
    v[8] = '0';
    sendf(fx, a, "{\"type\":\"publish\",\"id\":3,\"sdp\":\"%s\"}", esc(ff));
    expect(a, "participant-updated");
    expect(a, "answer");
    expect(b, "track-unpublished");
    expect(b, "participant-updated");
    offer = json_object_get(expect(b, "offer"), "sdp");
    sendf(fx, b, "{\"type\":\"answer\",\"sdp\":\"%s\"}",
          esc(make_answer(json_string_value(offer))));

    /* Video again: a new track, shown in B's old (now inactive) slot. */
    publish(fx, a, "firefox-publish-offer.sdp", "[{\"mid\":\"1\",\"source\":\"screen\"}]");
    json_t *t = json_object_get(expect(b, "track-published"), "track");
    assert_string_equal(str(t, "source"), "screen");
    json_t *o = expect(b, "offer");
    json_t *tracks = json_object_get(o, "tracks");
    assert_int_equal(json_array_size(tracks), 2);
    assert_string_equal(str(json_array_get(tracks, 1), "mid"), "1");
    assert_string_equal(str(json_array_get(tracks, 1), "track"), str(t, "id"));
    assert_int_equal(pb->n_slots, 2);
    fake_free(fx, a);
    fake_free(fx, b);
}

/* The media plane reports a publisher transport failed. */
static void test_transport_lost(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "902", "A");
    fake_t *b = join(fx, "902", "B");
    yh_participant_t *pa = a->c->p;
    publish(fx, a, "chrome-publish-offer.sdp", "[]");
    drain(a);
    drain(b);
    yh_sfu_listener_t l;
    yh_signal_sfu_listener(fx->s, &l);
    l.transport_state(l.ctx, pa->pub_transport, YH_SFU_TRANSPORT_TIMEOUT, "consent expired");
    expect(b, "track-unpublished");
    expect(b, "track-unpublished");
    expect(a, "participant-updated"); /* audio and video muted again */
    json_t *e = expect(a, "error");
    assert_string_equal(str(e, "code"), "media-failed");
    assert_null(json_object_get(e, "id"));
    assert_int_equal(pa->pub_transport, 0);
    /* Unknown transports are ignored. */
    l.transport_state(l.ctx, 987654, YH_SFU_TRANSPORT_FAILED, "x");
    fake_free(fx, a);
    fake_free(fx, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_join_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ice_servers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_chat_hand_leave, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_subscribe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_republish_and_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_lost, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
