/*
 * Client-side SDP (yunhui-term): the publish offer must be accepted by the
 * server's own negotiation (yh_sdp_pub_answer) with the codecs, extension
 * ids and ssrcs we put in, and the server's answer must read back; the
 * answer to a server subscriber offer (yh_sdp_sub_write_offer) must pass
 * the server's check (yh_sdp_sub_check_answer) with us as DTLS client.
 * Candidate lines are parsed from real browser/server shapes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sdp/sdp.h"

#define CAP 65536
#define FP_CLIENT                                                                                  \
    "C6:7E:76:A2:7E:45:45:FD:2C:10:18:58:CB:2F:CA:06:86:35:08:44:F8:05:BA:2B:0C:85:77:0B:B5:94:"   \
    "43:2A"
#define FP_SERVER                                                                                  \
    "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:"   \
    "E8:F9"

typedef struct fixture {
    yh_sdp_t in, back;
    yh_sdp_pub_t pub;
    yh_sdp_sub_answer_t sub;
    yh_sdp_client_remote_t remote;
    char text[CAP], text2[CAP];
    char err[512];
} fixture_t;

static const char *const server_ips[] = {"127.0.0.1"};

static const yh_sdp_local_t server = {
    .ice_ufrag = "srvU",
    .ice_pwd = "serverpassword0123456789",
    .fingerprint = FP_SERVER,
    .ips = server_ips,
    .n_ips = 1,
    .port = 40000,
    .session_id = 4242,
};

static const yh_sdp_client_local_t client = {
    .ice_ufrag = "cliU",
    .ice_pwd = "clientpassword0123456789",
    .fingerprint = FP_CLIENT,
    .cname = "term-cname",
    .msid_stream = "term-stream",
    .session_id = 777,
};

static const yh_sdp_client_send_t sends[] = {
    {YH_SDP_KIND_AUDIO, "0", 0x11111111u, "term-audio"},
    {YH_SDP_KIND_VIDEO, "1", 0x22222222u, "term-video"},
};

static int setup(void **state)
{
    *state = calloc(1, sizeof(fixture_t));
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void parse(const char *text, int len, yh_sdp_t *out)
{
    char err[256] = "";
    assert_true(len > 0);
    int rc = yh_sdp_parse(text, (size_t)len, out, err, sizeof err);
    if (rc != 0)
        fail_msg("parse: %s\n%s", err, text);
}

static void test_offer_accepted_by_server(void **state)
{
    fixture_t *f = *state;
    int n = yh_sdp_client_write_offer(&client, 2, sends, 2, f->text, CAP);
    parse(f->text, n, &f->in);
    assert_false(f->in.ice_lite);
    int a = yh_sdp_pub_answer(&f->in, &server, 1, &f->pub, f->text2, CAP, f->err, sizeof f->err);
    if (a < 0)
        fail_msg("server refused our offer: %s", f->err);
    assert_int_equal(f->pub.n_media, 2);
    assert_string_equal(f->pub.remote_ufrag, "cliU");
    assert_string_equal(f->pub.remote_fingerprint.value, FP_CLIENT);
    assert_int_equal(f->pub.remote_setup, YH_SDP_SETUP_ACTPASS);
    assert_int_equal(f->pub.local_setup, YH_SDP_SETUP_PASSIVE);
    const yh_sdp_pub_media_t *au = &f->pub.media[0], *vi = &f->pub.media[1];
    assert_true(au->accepted && au->receiving && vi->accepted && vi->receiving);
    assert_int_equal(au->codec.pt, YH_SDP_PT_OPUS);
    assert_int_equal(vi->codec.pt, YH_SDP_PT_VP8);
    assert_int_equal(
        vi->codec.fb &
            (YH_SDP_FB_NACK | YH_SDP_FB_NACK_PLI | YH_SDP_FB_CCM_FIR | YH_SDP_FB_TRANSPORT_CC),
        YH_SDP_FB_NACK | YH_SDP_FB_NACK_PLI | YH_SDP_FB_CCM_FIR | YH_SDP_FB_TRANSPORT_CC);
    assert_int_equal(au->ext.audio_level, YH_SDP_CLIENT_EXT_AUDIO_LEVEL);
    assert_int_equal(au->ext.mid, YH_SDP_CLIENT_EXT_MID);
    assert_int_equal(vi->ext.twcc, YH_SDP_CLIENT_EXT_TWCC);
    assert_int_equal(vi->ext.abs_send_time, YH_SDP_CLIENT_EXT_ABS_SEND_TIME);
    assert_int_equal(au->ssrc, 0x11111111u);
    assert_int_equal(vi->ssrc, 0x22222222u);
    assert_string_equal(vi->cname, "term-cname");
    assert_string_equal(vi->msid_stream, "term-stream");
    assert_string_equal(vi->msid_track, "term-video");
    assert_true(au->rtcp_rsize);

    /* ...and the server's answer reads back on the client. */
    parse(f->text2, a, &f->back);
    assert_int_equal(
        yh_sdp_client_read_answer(&f->back, sends, 2, &f->remote, f->err, sizeof f->err), 0);
    assert_string_equal(f->remote.ice_ufrag, "srvU");
    assert_string_equal(f->remote.ice_pwd, "serverpassword0123456789");
    assert_string_equal(f->remote.fingerprint.value, FP_SERVER);
    assert_true(f->remote.ice_lite);
    assert_int_equal(f->remote.media[0].codec.pt, YH_SDP_PT_OPUS);
    assert_int_equal(f->remote.media[1].codec.pt, YH_SDP_PT_VP8);
    assert_int_equal(f->remote.media[0].ext.audio_level, YH_SDP_CLIENT_EXT_AUDIO_LEVEL);
    assert_int_equal(f->remote.media[1].ext.twcc, YH_SDP_CLIENT_EXT_TWCC);
    yh_sdp_candidate_t c[4];
    assert_int_equal(yh_sdp_candidates(f->text2, (size_t)a, c, 4), 1);
    assert_string_equal(c[0].ip, "127.0.0.1");
    assert_int_equal(c[0].port, 40000);
    assert_string_equal(c[0].type, "host");
}

static void test_offer_bad_input(void **state)
{
    fixture_t *f = *state;
    yh_sdp_client_send_t bad[2] = {sends[0], sends[1]};
    bad[1].mid = "0";
    assert_int_equal(yh_sdp_client_write_offer(&client, 1, bad, 2, f->text, CAP), YH_EINVAL);
    bad[1] = sends[1];
    bad[1].ssrc = 0;
    assert_int_equal(yh_sdp_client_write_offer(&client, 1, bad, 2, f->text, CAP), YH_EINVAL);
    bad[1] = sends[1];
    bad[1].msid_track = "two words";
    assert_int_equal(yh_sdp_client_write_offer(&client, 1, bad, 2, f->text, CAP), YH_EINVAL);
    assert_int_equal(yh_sdp_client_write_offer(&client, 1, sends, 0, f->text, CAP), YH_EINVAL);
    yh_sdp_client_local_t l = client;
    l.ice_ufrag = "a:b";
    assert_int_equal(yh_sdp_client_write_offer(&l, 1, sends, 2, f->text, CAP), YH_EINVAL);
    assert_int_equal(yh_sdp_client_write_offer(&client, 1, sends, 2, f->text, 200), YH_ENOSPACE);
}

/* The answer must fit what we offered. */
static void test_read_answer_mismatch(void **state)
{
    fixture_t *f = *state;
    int n = yh_sdp_client_write_offer(&client, 2, sends, 2, f->text, CAP);
    parse(f->text, n, &f->in);
    int a = yh_sdp_pub_answer(&f->in, &server, 1, &f->pub, f->text2, CAP, f->err, sizeof f->err);
    parse(f->text2, a, &f->back);
    /* Fewer streams than answered, and swapped mids. */
    assert_int_equal(
        yh_sdp_client_read_answer(&f->back, sends, 1, &f->remote, f->err, sizeof f->err),
        YH_EPARSE);
    yh_sdp_client_send_t swapped[2] = {sends[1], sends[0]};
    assert_int_equal(
        yh_sdp_client_read_answer(&f->back, swapped, 2, &f->remote, f->err, sizeof f->err),
        YH_EPARSE);
    /* A server that wants to be the DTLS client. */
    yh_sdp_local_t srv = server;
    srv.answer_setup = YH_SDP_SETUP_ACTIVE;
    a = yh_sdp_pub_answer(&f->in, &srv, 1, &f->pub, f->text2, CAP, f->err, sizeof f->err);
    parse(f->text2, a, &f->back);
    assert_int_equal(
        yh_sdp_client_read_answer(&f->back, sends, 2, &f->remote, f->err, sizeof f->err),
        YH_EUNSUPPORTED);
    assert_non_null(strstr(f->err, "setup"));
}

static yh_sdp_sub_slot_t slot(yh_sdp_kind_t kind, const char *mid, int active,
                              yh_sdp_codec_id_t codec, uint32_t ssrc, const char *track)
{
    yh_sdp_sub_slot_t s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    strcpy(s.mid, mid);
    s.active = (uint8_t)active;
    s.codec = codec;
    s.ssrc = ssrc;
    strcpy(s.cname, "p7");
    strcpy(s.msid_stream, "p7");
    strcpy(s.msid_track, track);
    return s;
}

static void test_answer_passes_server_check(void **state)
{
    fixture_t *f = *state;
    yh_sdp_sub_slot_t slots[4] = {
        slot(YH_SDP_KIND_AUDIO, "0", 1, YH_SDP_CODEC_OPUS, 1001, "t1"),
        slot(YH_SDP_KIND_VIDEO, "1", 1, YH_SDP_CODEC_VP8, 1002, "t2"),
        slot(YH_SDP_KIND_AUDIO, "2", 0, YH_SDP_CODEC_OPUS, 0, ""),
        slot(YH_SDP_KIND_VIDEO, "3", 1, YH_SDP_CODEC_H264, 1004, "t4"),
    };
    int n = yh_sdp_sub_write_offer(&server, 3, slots, 4, f->text, CAP);
    parse(f->text, n, &f->in);
    int a = yh_sdp_client_write_answer(&f->in, &client, 1, &f->remote, f->text2, CAP, f->err,
                                       sizeof f->err);
    if (a < 0)
        fail_msg("answer: %s", f->err);
    parse(f->text2, a, &f->back);
    int rc = yh_sdp_sub_check_answer(&f->back, slots, 4, &f->sub, f->err, sizeof f->err);
    if (rc != 0)
        fail_msg("server refused our answer: %s\n%s", f->err, f->text2);
    assert_int_equal(f->sub.remote_setup, YH_SDP_SETUP_ACTIVE);
    assert_int_equal(f->sub.local_setup, YH_SDP_SETUP_PASSIVE);
    assert_string_equal(f->sub.remote_ufrag, "cliU");
    assert_string_equal(f->sub.remote_fingerprint.value, FP_CLIENT);
    assert_int_equal(f->sub.media[0].dir, YH_SDP_DIR_RECVONLY);
    assert_int_equal(f->sub.media[2].dir, YH_SDP_DIR_INACTIVE);
    assert_int_equal(f->back.media[3].codecs[0].pt, YH_SDP_PT_H264);

    /* What the client learnt about the server's streams. */
    assert_true(f->remote.ice_lite);
    assert_string_equal(f->remote.ice_ufrag, "srvU");
    assert_int_equal(f->remote.n_media, 4);
    assert_true(f->remote.media[0].receiving);
    assert_int_equal(f->remote.media[0].ssrc, 1001);
    assert_int_equal(f->remote.media[1].ssrc, 1002);
    assert_string_equal(f->remote.media[1].msid_track, "t2");
    assert_string_equal(f->remote.media[1].msid_stream, "p7");
    assert_int_equal(f->remote.media[1].codec.pt, YH_SDP_PT_VP8);
    assert_true(f->remote.media[2].accepted);
    assert_false(f->remote.media[2].receiving);
    assert_int_equal(f->remote.media[0].ext.audio_level, YH_SDP_SUB_EXT_AUDIO_LEVEL);
    assert_int_equal(f->remote.media[1].ext.twcc, YH_SDP_SUB_EXT_TWCC);
    assert_int_equal(f->remote.media[1].ext.mid, YH_SDP_SUB_EXT_MID);
    assert_int_equal(f->remote.media[1].ext.abs_send_time, YH_SDP_SUB_EXT_ABS_SEND_TIME);
    assert_int_equal(f->back.media[1].codecs[0].fb & YH_SDP_FB_NACK_PLI, YH_SDP_FB_NACK_PLI);
}

/* A stopped m-section (port 0) stays, rejected, with its mid. */
static void test_answer_rejects_port_zero(void **state)
{
    fixture_t *f = *state;
    yh_sdp_sub_slot_t slots[2] = {
        slot(YH_SDP_KIND_AUDIO, "0", 1, YH_SDP_CODEC_OPUS, 1001, "t1"),
        slot(YH_SDP_KIND_VIDEO, "1", 1, YH_SDP_CODEC_VP8, 1002, "t2"),
    };
    int n = yh_sdp_sub_write_offer(&server, 3, slots, 2, f->text, CAP);
    /* Turn the video m-line into a stopped one. */
    char *m = strstr(f->text, "m=video 40000");
    assert_non_null(m);
    memcpy(m + 8, "    0", 5);
    parse(f->text, n, &f->in);
    assert_int_equal(f->in.media[1].port, 0);
    int a = yh_sdp_client_write_answer(&f->in, &client, 1, &f->remote, f->text2, CAP, f->err,
                                       sizeof f->err);
    parse(f->text2, a, &f->back);
    assert_int_equal(f->back.media[1].port, 0);
    assert_string_equal(f->back.media[1].mid, "1");
    assert_false(f->remote.media[1].accepted);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, slots, 2, &f->sub, f->err, sizeof f->err),
                     0);
    assert_int_equal(f->back.n_bundle, 1);
}

static void test_answer_refuses_bad_offer(void **state)
{
    fixture_t *f = *state;
    yh_sdp_sub_slot_t s = slot(YH_SDP_KIND_AUDIO, "0", 1, YH_SDP_CODEC_OPUS, 1001, "t1");
    int n = yh_sdp_sub_write_offer(&server, 3, &s, 1, f->text, CAP);
    char *p = strstr(f->text, "a=setup:actpass");
    assert_non_null(p);
    memcpy(p, "a=setup:active ", 15);
    parse(f->text, n, &f->in);
    assert_int_equal(yh_sdp_client_write_answer(&f->in, &client, 1, &f->remote, f->text2, CAP,
                                                f->err, sizeof f->err),
                     YH_EUNSUPPORTED);
    n = yh_sdp_sub_write_offer(&server, 3, &s, 1, f->text, CAP);
    p = strstr(f->text, "a=rtcp-mux\r\n");
    memcpy(p, "a=x-nomux ", 10);
    parse(f->text, n, &f->in);
    assert_int_equal(yh_sdp_client_write_answer(&f->in, &client, 1, &f->remote, f->text2, CAP,
                                                f->err, sizeof f->err),
                     YH_EUNSUPPORTED);
}

static void test_candidate_parse(void **state)
{
    yh_sdp_candidate_t c;
    const char *chrome = "candidate:842163049 1 udp 1677729535 192.0.2.3 61665 typ srflx raddr "
                         "10.0.1.1 rport 8998 generation 0 ufrag EsAw network-cost 999";
    assert_int_equal(yh_sdp_candidate_parse(chrome, strlen(chrome), &c), 0);
    assert_string_equal(c.foundation, "842163049");
    assert_int_equal(c.component, 1);
    assert_true(c.udp);
    assert_int_equal(c.priority, 1677729535u);
    assert_string_equal(c.ip, "192.0.2.3");
    assert_int_equal(c.port, 61665);
    assert_string_equal(c.type, "srflx");
    const char *v6 = "a=candidate:1 1 UDP 2130706431 2001:db8::10 40000 typ host\r\n";
    assert_int_equal(yh_sdp_candidate_parse(v6, strlen(v6), &c), 0);
    assert_string_equal(c.ip, "2001:db8::10");
    assert_true(c.udp);
    const char *tcp = "candidate:2 1 tcp 1518280447 192.0.2.3 9 typ host tcptype active";
    assert_int_equal(yh_sdp_candidate_parse(tcp, strlen(tcp), &c), 0);
    assert_false(c.udp);
    static const char *const bad[] = {
        "candidate:1 1 udp 1 abcd-ef.local 5000 typ host", /* mDNS name */
        "candidate:1 1 udp 1 192.0.2.1 0 typ host",        /* port 0 */
        "candidate:1 1 udp 1 192.0.2.1 70000 typ host",
        "candidate:1 0 udp 1 192.0.2.1 5000 typ host",
        "candidate:1 1 udp 99999999999 192.0.2.1 5000 typ host",
        "candidate:1 1 udp 1 192.0.2.1 5000 type host",
        "candidate:1 1 udp 1 192.0.2.1 5000 typ",
        "candidate:1 1 udp",
        "cand:1 1 udp 1 192.0.2.1 5000 typ host",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(yh_sdp_candidate_parse(bad[i], strlen(bad[i]), &c), YH_EPARSE);
    const char *longf = "candidate:0123456789012345678901234567890123456789 1 udp 1 192.0.2.1 "
                        "5000 typ host";
    assert_int_equal(yh_sdp_candidate_parse(longf, strlen(longf), &c), YH_ELIMIT);
}

static void test_candidates_collect(void **state)
{
    const char *text = "v=0\r\n"
                       "m=audio 1 UDP/TLS/RTP/SAVPF 111\r\n"
                       "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host\r\n"
                       "a=candidate:2 1 udp 300 192.0.2.2 5000 typ host\r\n"
                       "a=candidate:3 2 udp 900 192.0.2.3 5001 typ host\r\n"
                       "a=candidate:4 1 tcp 900 192.0.2.4 5000 typ host\r\n"
                       "a=candidate:5 1 udp 200 192.0.2.5 5000 typ host\n"
                       "m=video 1 UDP/TLS/RTP/SAVPF 96\r\n"
                       "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host\r\n"
                       "a=candidate:bad\r\n";
    yh_sdp_candidate_t c[8];
    assert_int_equal(yh_sdp_candidates(text, strlen(text), c, 8), 3);
    assert_string_equal(c[0].ip, "192.0.2.2");
    assert_string_equal(c[1].ip, "192.0.2.5");
    assert_string_equal(c[2].ip, "192.0.2.1");
    /* With room for two, the two best stay. */
    assert_int_equal(yh_sdp_candidates(text, strlen(text), c, 2), 2);
    assert_string_equal(c[0].ip, "192.0.2.2");
    assert_string_equal(c[1].ip, "192.0.2.5");
    assert_int_equal(yh_sdp_candidates(text, strlen(text), c, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offer_accepted_by_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offer_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_answer_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_passes_server_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_rejects_port_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_refuses_bad_offer, setup, teardown),
        cmocka_unit_test(test_candidate_parse),
        cmocka_unit_test(test_candidates_collect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
