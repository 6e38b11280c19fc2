/*
 * ICE restart in signaling (docs/protocol.md "ICE restart"): a publish
 * offer with new ICE credentials on the same connection is answered with
 * new server credentials and keeps every track; restart-ice makes the next
 * subscriber offer carry new server credentials, with no track change.
 */
#include "signal_fixture.h"

/* The value of the first "a=<attr>:" line of an SDP ("" when none). */
static const char *sdp_attr(const char *sdp, const char *attr)
{
    static char out[4][300];
    static int k;
    char *o = out[k++ % 4], key[40];
    snprintf(key, sizeof key, "a=%s:", attr);
    const char *p = strstr(sdp, key);
    o[0] = '\0';
    if (p) {
        p += strlen(key);
        size_t n = strcspn(p, "\r\n");
        snprintf(o, sizeof out[0], "%.*s", (int)n, p);
    }
    return o;
}

/* Every occurrence of `from` in `s` replaced with `to` (same length). */
static char *replace_all(const char *s, const char *from, const char *to)
{
    static char ring[2][140000];
    static int k;
    char *out = ring[k++ % 2];
    snprintf(out, sizeof ring[0], "%s", s);
    assert_int_equal(strlen(from), strlen(to));
    for (char *p = strstr(out, from); p; p = strstr(p + 1, from))
        memcpy(p, to, strlen(to));
    return out;
}

/* A browser's answer to a subscriber offer, with our ICE credentials:
 * per m-section the offer's first codec, recvonly (or inactive). */
static char *sub_answer(const char *offer, const char *ufrag)
{
    static char out[65536];
    char mids[1024] = "", media[60000] = "", kind[16] = "", pt[8] = "", rtpmap[128] = "";
    char mid[40] = "", dir[16] = "recvonly";
    int in_media = 0;
    for (const char *p = offer;;) {
        const char *e = strstr(p, "\r\n");
        char line[2048];
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(line, sizeof line, "%.*s", (int)n, p);
        if (in_media && (!e || !strncmp(line, "m=", 2))) {
            size_t len = strlen(media);
            snprintf(media + len, sizeof media - len,
                     "m=%s 9 UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\n"
                     "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 %s\r\n"
                     "a=setup:active\r\na=mid:%s\r\na=%s\r\na=rtcp-mux\r\na=rtpmap:%s\r\n",
                     kind, pt, ufrag, FP, mid, dir, rtpmap);
            len = strlen(mids);
            snprintf(mids + len, sizeof mids - len, " %s", mid);
        }
        if (!strncmp(line, "m=", 2)) {
            in_media = 1;
            sscanf(line, "m=%15s %*s %*s %7s", kind, pt);
            strcpy(dir, "recvonly");
        } else if (!strncmp(line, "a=mid:", 6)) {
            snprintf(mid, sizeof mid, "%.32s", line + 6);
        } else if (!strcmp(line, "a=inactive")) {
            strcpy(dir, "inactive");
        } else if (!strncmp(line, "a=rtpmap:", 9) && !strncmp(line + 9, pt, strlen(pt))) {
            snprintf(rtpmap, sizeof rtpmap, "%.100s", line + 9);
        }
        if (!e)
            break;
        p = e + 2;
    }
    snprintf(out, sizeof out,
             "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE%s\r\n%s", mids,
             media);
    return out;
}

/* JSON string contents of an SDP (CRLF escaped; ours has no quotes). */
static char *esc(const char *sdp)
{
    static char out[140000];
    char *w = out;
    for (const char *p = sdp; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            *w++ = '\\';
            *w++ = *p == '\r' ? 'r' : 'n';
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return out;
}

static void test_publish_restart(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "restart1", "A");
    publish(fx, a, "chrome-publish-offer.sdp", "[]");
    char ufrag1[64], pwd1[64];
    const char *sdp = str(take(a, "answer"), "sdp");
    snprintf(ufrag1, sizeof ufrag1, "%s", sdp_attr(sdp, "ice-ufrag"));
    snprintf(pwd1, sizeof pwd1, "%s", sdp_attr(sdp, "ice-pwd"));
    assert_true(strlen(ufrag1) >= 4 && strlen(pwd1) >= 22);
    fake_t *b = join(fx, "restart1", "B");
    take(b, "offer");
    drain(a);
    uint32_t transport = part(a)->pub_transport;

    /* The same offer again: the same credentials, nothing restarts. */
    publish(fx, a, "chrome-publish-offer.sdp", "[]");
    sdp = str(take(a, "answer"), "sdp");
    assert_string_equal(sdp_attr(sdp, "ice-ufrag"), ufrag1);
    assert_string_equal(sdp_attr(sdp, "ice-pwd"), pwd1);

    /* New client credentials (pc.restartIce()): new server ones. */
    const char *offer =
        replace_all(esc_vector("chrome-publish-offer.sdp"), "ice-ufrag:hTif", "ice-ufrag:Rst2");
    offer = replace_all(offer, "7vgPC10eqNq71iAbqtQ1ePs3", "9NewPwdForTheRestart0000");
    sendf(fx, a, "{\"type\":\"publish\",\"id\":3,\"sdp\":\"%s\"}", offer);
    sdp = str(take(a, "answer"), "sdp");
    assert_string_not_equal(sdp_attr(sdp, "ice-ufrag"), ufrag1);
    assert_string_not_equal(sdp_attr(sdp, "ice-pwd"), pwd1);
    assert_string_equal(sdp_attr(sdp, "ice-ufrag"), part(a)->pub_ufrag);
    assert_string_equal(part(a)->pub_remote_ufrag, "Rst2");
    /* Same connection, same tracks: the others hear nothing. */
    assert_int_equal(part(a)->pub_transport, transport);
    assert_non_null(track_of(a, YH_SOURCE_MICROPHONE));
    assert_non_null(track_of(a, YH_SOURCE_CAMERA));
    assert_int_equal(unread_any(b), 0);

    /* Only the password changing is a restart too. */
    char ufrag2[64];
    snprintf(ufrag2, sizeof ufrag2, "%s", part(a)->pub_ufrag);
    offer = replace_all(offer, "9NewPwdForTheRestart0000", "9NewPwdForTheRestart1111");
    sendf(fx, a, "{\"type\":\"publish\",\"id\":4,\"sdp\":\"%s\"}", offer);
    sdp = str(take(a, "answer"), "sdp");
    assert_string_not_equal(sdp_attr(sdp, "ice-ufrag"), ufrag2);
    assert_int_equal(unread_any(b), 0);
}

static void test_subscriber_restart(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "restart2", "A");
    publish(fx, a, "chrome-publish-offer.sdp", "[]");
    take(a, "answer");
    fake_t *b = join(fx, "restart2", "B");
    /* Nothing to restart before the receiving connection exists. */
    sendf(fx, b, "{\"type\":\"restart-ice\",\"id\":5}");
    assert_string_equal(err_code(b), "bad-request");
    json_t *o1 = take(b, "offer");
    char s1[64];
    snprintf(s1, sizeof s1, "%s", sdp_attr(str(o1, "sdp"), "ice-ufrag"));
    sendf(fx, b, "{\"type\":\"answer\",\"id\":6,\"sdp\":\"%s\"}",
          esc(sub_answer(str(o1, "sdp"), "Cli1")));
    take(b, "ok");
    assert_string_equal(part(b)->sub_remote_ufrag, "Cli1");

    /* restart-ice: ok, then an offer with new credentials and the same
     * tracks. */
    sendf(fx, b, "{\"type\":\"restart-ice\",\"id\":7}");
    take(b, "ok");
    json_t *o2 = take(b, "offer");
    const char *sdp2 = str(o2, "sdp");
    assert_string_not_equal(sdp_attr(sdp2, "ice-ufrag"), s1);
    assert_string_equal(sdp_attr(sdp2, "ice-ufrag"), part(b)->sub_ufrag);
    assert_int_equal(json_array_size(json_object_get(o2, "tracks")), 2);
    /* A second request meanwhile changes nothing more. */
    sendf(fx, b, "{\"type\":\"restart-ice\",\"id\":8}");
    take(b, "ok");
    assert_int_equal(unread(b, "offer"), 0);
    /* The client answers with its new credentials. */
    sendf(fx, b, "{\"type\":\"answer\",\"id\":9,\"sdp\":\"%s\"}", esc(sub_answer(sdp2, "Cli2")));
    take(b, "ok");
    assert_string_equal(part(b)->sub_remote_ufrag, "Cli2");
    assert_int_equal(part(b)->sub_restart, 0);
    assert_int_equal(unread_any(b), 0);
    assert_int_equal(unread(a, "offer"), 0);

    /* Asked while an offer is outstanding: that one is answered with the
     * old credentials, the restart offer follows the answer. */
    char s2[64];
    snprintf(s2, sizeof s2, "%s", part(b)->sub_ufrag);
    sendf(fx, a, "{\"type\":\"unpublish\",\"id\":10,\"mid\":\"1\"}");
    json_t *o3 = take(b, "offer");
    assert_string_equal(sdp_attr(str(o3, "sdp"), "ice-ufrag"), s2);
    sendf(fx, b, "{\"type\":\"restart-ice\",\"id\":11}");
    take(b, "ok");
    assert_int_equal(unread(b, "offer"), 0);
    sendf(fx, b, "{\"type\":\"answer\",\"id\":12,\"sdp\":\"%s\"}",
          esc(sub_answer(str(o3, "sdp"), "Cli2")));
    take(b, "ok");
    json_t *o4 = take(b, "offer");
    assert_string_not_equal(sdp_attr(str(o4, "sdp"), "ice-ufrag"), s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscriber_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
