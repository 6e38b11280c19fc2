/* SDP negotiation: publisher answers and subscriber offers and answers. */
#include "sdp_fixture.h"

static void test_negotiate_chrome(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-publish-offer.sdp");
    negotiate_ok(f, t);
    check_answer_common(f);
    assert_int_equal(f->back.n_bundle, 2);
    assert_string_equal(f->pub.remote_ufrag, "hTif");
    assert_string_equal(f->pub.remote_pwd, "7vgPC10eqNq71iAbqtQ1ePs3");
    assert_int_equal(f->pub.n_media, 2);

    const yh_sdp_pub_media_t *a = &f->pub.media[0], *v = &f->pub.media[1];
    assert_true(a->accepted && a->receiving);
    assert_int_equal(a->codec.pt, 111);
    assert_string_equal(a->codec.fmtp, "minptime=10;useinbandfec=1");
    assert_int_equal(a->codec.fb, YH_SDP_FB_TRANSPORT_CC);
    assert_int_equal(a->ext.audio_level, 1);
    assert_int_equal(a->ext.abs_send_time, 2);
    assert_int_equal(a->ext.twcc, 3);
    assert_int_equal(a->ext.mid, 4);
    assert_int_equal(a->ext.rid, 0);
    assert_int_equal(a->ssrc, 1522320437u);
    assert_string_equal(a->cname, "9vfijFC8q0hyLARf");
    assert_string_equal(a->msid_track, "f2760a10-3a9b-4caf-80bd-d9f9f98c7cc9");

    assert_int_equal(v->codec.pt, 96);
    assert_string_equal(v->codec.name, "VP8");
    assert_int_equal(v->rtx_pt, 0);
    assert_int_equal(v->ext.rid, 10);
    assert_int_equal(v->ext.repaired_rid, 11);
    assert_int_equal(v->ext.audio_level, 0);
    assert_int_equal(v->ssrc, 3442598174u);
    assert_int_equal(v->rtx_ssrc, 2992212606u);
    assert_int_equal(v->n_streams, 1);
    assert_int_equal(v->n_rids, 0);

    const yh_sdp_media_t *bv = &f->back.media[1];
    assert_int_equal(bv->codecs[0].fb, YH_SDP_FB_NACK | YH_SDP_FB_NACK_PLI | YH_SDP_FB_CCM_FIR |
                                           YH_SDP_FB_GOOG_REMB | YH_SDP_FB_TRANSPORT_CC);
    assert_int_equal(bv->n_exts, 5);
    assert_int_equal(yh_sdp_find_ext(bv, "urn:ietf:params:rtp-hdrext:toffset"), 0);
    assert_int_equal(yh_sdp_find_ext(&f->back.media[0], YH_SDP_EXT_AUDIO_LEVEL), 1);
    assert_null(strstr(f->text, "rtx"));
    assert_null(strstr(f->text, "a=ssrc"));
    assert_true(f->back.media[1].rtcp_rsize);
    /* Chromium's send-side estimate starts at 1 Mbps: VP8 has no fmtp of
     * its own, so the parameter is the whole line; audio gets none. */
    assert_non_null(strstr(f->text, "a=fmtp:96 x-google-start-bitrate=1000\r\n"));
    assert_string_equal(bv->codecs[0].fmtp, "x-google-start-bitrate=1000");
    const char *start = strstr(f->text, "x-google-start-bitrate");
    assert_true(start > strstr(f->text, "m=video"));
    assert_null(strstr(start + 1, "x-google-start-bitrate"));

    /* The server may also choose to be the DTLS client. */
    yh_sdp_local_t act = local;
    act.answer_setup = YH_SDP_SETUP_ACTIVE;
    assert_true(yh_sdp_pub_answer(&f->sdp, &act, 8, &f->pub, f->text, sizeof(f->text), f->err,
                                  sizeof(f->err)) > 0);
    assert_int_equal(f->pub.local_setup, YH_SDP_SETUP_ACTIVE);
    assert_non_null(strstr(f->text, "a=setup:active\r\n"));
    assert_null(strstr(f->text, "a=setup:passive"));

    /* With RTX enabled the offer's rtx for VP8 (97, apt=96) is accepted. */
    yh_sdp_local_t rtx = local;
    rtx.flags = YH_SDP_F_RTX;
    assert_true(yh_sdp_pub_answer(&f->sdp, &rtx, 9, &f->pub, f->text, sizeof(f->text), f->err,
                                  sizeof(f->err)) > 0);
    assert_int_equal(f->pub.media[1].rtx_pt, 97);
    assert_int_equal(f->pub.media[0].rtx_pt, 0);
    assert_non_null(strstr(f->text, "m=video 40000 UDP/TLS/RTP/SAVPF 96 97\r\n"));
    assert_non_null(strstr(f->text, "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"));
    assert_int_equal(yh_sdp_parse(f->text, strlen(f->text), &f->back, f->err, sizeof(f->err)), 0);
    assert_int_equal(f->back.media[1].n_codecs, 2);
    free(t);
}

static void test_negotiate_firefox(void **state)
{
    fixture_t *f = *state;
    char *t = load("firefox-publish-offer.sdp");
    negotiate_ok(f, t);
    check_answer_common(f);
    const yh_sdp_pub_media_t *a = &f->pub.media[0], *v = &f->pub.media[1];
    assert_int_equal(a->codec.pt, 109);
    assert_int_equal(a->ext.audio_level, 1);
    assert_int_equal(a->ext.mid, 3);
    assert_int_equal(a->ext.twcc, 7);
    assert_int_equal(a->ext.abs_send_time, 0);
    assert_false(a->rtcp_rsize);
    assert_int_equal(v->codec.pt, 120);
    assert_int_equal(v->ext.abs_send_time, 4);
    assert_int_equal(v->ssrc, 4185167061u);
    assert_int_equal(v->rtx_ssrc, 3011873733u);
    /* csrc-audio-level (recvonly on Firefox's side) is not ours to take. */
    assert_null(strstr(f->text, "csrc-audio-level"));
    assert_string_equal(f->pub.remote_ufrag, "ce48756c");
    free(t);
}

static void test_negotiate_simulcast(void **state)
{
    fixture_t *f = *state;
    const char *names[] = {"chrome-publish-simulcast-offer.sdp",
                           "firefox-publish-simulcast-offer.sdp"};
    for (int i = 0; i < 2; i++) {
        char *t = load(names[i]);
        negotiate_ok(f, t);
        check_answer_common(f);
        const yh_sdp_pub_media_t *v = &f->pub.media[1];
        assert_int_equal(v->n_rids, 3);
        assert_string_equal(v->rids[0], "q");
        assert_string_equal(v->rids[1], "h");
        assert_string_equal(v->rids[2], "f");
        assert_int_equal(v->ext.rid, i == 0 ? 10 : 9);
        assert_int_equal(v->ext.repaired_rid, i == 0 ? 11 : 10);
        assert_int_equal(f->pub.media[0].n_rids, 0);
        const yh_sdp_media_t *bv = &f->back.media[1];
        assert_int_equal(bv->n_rids, 3);
        assert_int_equal(bv->rids[0].dir, YH_SDP_DIR_RECVONLY);
        assert_true(bv->simulcast.present);
        assert_int_equal(bv->simulcast.n_recv, 3);
        assert_string_equal(bv->simulcast.recv[1], "h");
        assert_non_null(strstr(f->text, "a=simulcast:recv q;h;f\r\n"));
        if (i == 0) {
            assert_int_equal(v->ssrc, 0);
        } else {
            /* Firefox: a sendonly extmap is answered recvonly. */
            assert_non_null(strstr(f->text, "a=extmap:9/recvonly " YH_SDP_EXT_RID "\r\n"));
            assert_int_equal(v->n_streams, 3);
            assert_int_equal(v->streams[1].ssrc, 742351082u);
            assert_int_equal(v->streams[1].rtx_ssrc, 1506624446u);
        }
        free(t);
    }
}

static void test_negotiate_h264(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-publish-offer.sdp");
    char *no_vp8 = subst(t, "VP8/90000", "VP7/90000");
    negotiate_ok(f, no_vp8);
    /* Constrained Baseline (42e01f, PT 108) beats the earlier Baseline. */
    assert_int_equal(f->pub.media[1].codec.pt, 108);
    assert_string_equal(f->pub.media[1].codec.name, "H264");
    assert_int_equal(yh_sdp_h264_match(f->back.media[1].codecs[0].fmtp), 2);
    assert_non_null(strstr(f->text, "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;"
                                    "profile-level-id=42e01f;x-google-start-bitrate=1000\r\n"));
    char *no_cb = subst(no_vp8, "profile-level-id=42e01f", "profile-level-id=640c1f");
    negotiate_ok(f, no_cb);
    assert_int_equal(f->pub.media[1].codec.pt, 102); /* 42001f, pm=1 */
    free(no_cb);
    free(no_vp8);
    free(t);
}

static void test_negotiate_refusals(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-publish-offer.sdp");
    struct {
        char *text;
        int rc;
        const char *msg;
    } cases[] = {
        {NULL, YH_EUNSUPPORTED, "nothing acceptable"},
        {drop(t, "a=ice-ufrag"), YH_EPARSE, "ice-ufrag"},
        {drop(t, "a=ice-pwd"), YH_EPARSE, "ice-pwd"},
        {drop(t, "a=fingerprint"), YH_EPARSE, "fingerprint"},
        {subst(t, "a=fingerprint:sha-256", "a=fingerprint:sha-1"), YH_EUNSUPPORTED, "sha-256"},
        {drop(t, "a=rtcp-mux"), YH_EUNSUPPORTED, "rtcp-mux"},
        {subst(t, "a=setup:actpass", "a=setup:passive"), YH_EUNSUPPORTED, "setup"},
        {drop(t, "a=setup"), YH_EPARSE, "no a=setup"},
        {subst(t, "a=setup:actpass", "a=setup:active"), 0, NULL},
        {subst(t, "42:7F:1C", "42:7F1C"), YH_EPARSE, "fingerprint"},
    };
    /* Video with no VP8 and only packetization-mode=0 H.264, audio with
     * no Opus: nothing acceptable, with a reason per m-line. */
    char *x = subst(t, "opus/48000", "opas/48000"), *y = subst(x, "VP8/", "VP7/");
    cases[0].text = subst(y, "packetization-mode=1", "packetization-mode=0");
    free(x);
    free(y);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int n = negotiate(f, cases[i].text);
        if (cases[i].msg == NULL) {
            /* An "active" offer is accepted; the answer is passive. */
            if (n <= 0 || f->pub.remote_setup != YH_SDP_SETUP_ACTIVE ||
                f->pub.local_setup != YH_SDP_SETUP_PASSIVE)
                fail_msg("case %zu: active offer: %d %s", i, n, f->err);
            free(cases[i].text);
            continue;
        }
        if (n != cases[i].rc)
            fail_msg("case %zu: got %d (%s), want %d", i, n, f->err, cases[i].rc);
        assert_non_null(strstr(f->err, cases[i].msg));
        free(cases[i].text);
    }
    /* Unsupported codecs in one m-line only: that one is rejected. */
    char *no_opus = subst(t, "opus/48000", "opas/48000");
    negotiate_ok(f, no_opus);
    assert_false(f->pub.media[0].accepted);
    assert_true(f->pub.media[1].accepted);
    assert_non_null(strstr(f->text, "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n"));
    assert_int_equal(f->back.media[0].port, 0);
    assert_string_equal(f->back.media[0].mid, "0");
    assert_int_equal(f->back.n_bundle, 1);
    assert_string_equal(f->back.bundle[0], "1");
    free(no_opus);
    free(t);
}

static void test_negotiate_datachannel_and_dirs(void **state)
{
    fixture_t *f = *state;
    char *t = load("firefox-publish-offer.sdp");
    char *dc = malloc(strlen(t) + 256);
    sprintf(dc,
            "%sm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
            "a=sendrecv\r\na=mid:2\r\na=sctp-port:5000\r\n",
            t);
    char *grp = subst(dc, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2");
    char *dirs = subst(grp, "a=sendonly\r\nm=video", "a=inactive\r\nm=video");
    negotiate_ok(f, dirs);
    check_answer_common(f);
    assert_non_null(strstr(f->text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    assert_non_null(strstr(f->text, "a=group:BUNDLE 0 1\r\n"));
    assert_false(f->pub.media[2].accepted);
    assert_int_equal(f->back.media[2].kind, YH_SDP_KIND_APPLICATION);
    assert_string_equal(f->back.media[2].mid, "2");
    free(dirs);
    /* A recvonly (here: inactive) offer stays accepted, answered inactive. */
    dirs = subst(grp, "a=sendonly\r\na=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=extmap:4",
                 "a=recvonly\r\na=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=extmap:4");
    negotiate_ok(f, dirs);
    assert_true(f->pub.media[1].accepted);
    assert_false(f->pub.media[1].receiving);
    assert_int_equal(f->back.media[1].dir, YH_SDP_DIR_INACTIVE);
    assert_int_equal(f->back.media[1].port, 40000);
    free(dirs);
    /* Without a BUNDLE group only the first m-line can be taken. */
    char *nob = drop(t, "a=group:BUNDLE");
    negotiate_ok(f, nob);
    assert_true(f->pub.media[0].accepted);
    assert_false(f->pub.media[1].accepted);
    assert_null(strstr(f->text, "a=group:BUNDLE"));
    free(nob);
    free(grp);
    free(dc);
    free(t);
}

static void test_negotiate_nospace(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-publish-offer.sdp");
    parse_ok(f, &f->sdp, t);
    int full = yh_sdp_pub_answer(&f->sdp, &local, 1, &f->pub, f->text, sizeof(f->text), NULL, 0);
    assert_true(full > 0);
    for (size_t cap = 0; cap <= (size_t)full; cap += (cap < 64 ? 1 : 97))
        assert_int_equal(
            yh_sdp_pub_answer(&f->sdp, &local, 1, &f->pub, f->text, cap, f->err, sizeof(f->err)),
            YH_ENOSPACE);
    assert_int_equal(
        yh_sdp_pub_answer(&f->sdp, &local, 1, &f->pub, f->text, (size_t)full + 1, NULL, 0), full);
    yh_sdp_local_t bad = local;
    bad.ice_ufrag = "a b";
    assert_int_equal(yh_sdp_pub_answer(&f->sdp, &bad, 1, &f->pub, f->text, sizeof(f->text), f->err,
                                       sizeof(f->err)),
                     YH_EINVAL);
    free(t);
}

/* ---- malformed input and limits --------------------------------------- */

static void test_sub_offer(void **state)
{
    fixture_t *f = *state;
    yh_sdp_sub_slot_t s[3];
    make_slots(s);
    int n = yh_sdp_sub_write_offer(&local, 3, s, 3, f->text, sizeof(f->text));
    assert_true(n > 0);
    assert_int_equal(strlen(f->text), (size_t)n);
    parse_ok(f, &f->sdp, f->text);
    const yh_sdp_t *o = &f->sdp;
    assert_true(o->ice_lite);
    assert_string_equal(o->origin_sess_id, "4242");
    assert_string_equal(o->origin_sess_version, "3");
    assert_int_equal(o->n_bundle, 3);
    assert_string_equal(o->bundle[2], "2");
    assert_int_equal(o->n_media, 3);
    for (int i = 0; i < 3; i++) {
        const yh_sdp_media_t *m = &o->media[i];
        assert_int_equal(m->setup, YH_SDP_SETUP_ACTPASS);
        assert_true(m->rtcp_mux && m->rtcp_rsize && m->end_of_candidates);
        assert_string_equal(m->ice_ufrag, "srvU");
        assert_string_equal(m->fingerprint.value, FP_LOCAL);
        assert_int_equal(m->port, 40000);
        assert_int_equal(m->n_codecs, 1);
        assert_int_equal(yh_sdp_find_ext(m, YH_SDP_EXT_ABS_SEND_TIME), 2);
        assert_int_equal(yh_sdp_find_ext(m, YH_SDP_EXT_TWCC), 3);
        assert_int_equal(yh_sdp_find_ext(m, YH_SDP_EXT_MID), 4);
        assert_int_equal(m->codecs[0].fb & YH_SDP_FB_TRANSPORT_CC, YH_SDP_FB_TRANSPORT_CC);
    }
    const yh_sdp_media_t *a = &o->media[0], *v = &o->media[1], *x = &o->media[2];
    assert_int_equal(a->dir, YH_SDP_DIR_SENDONLY);
    assert_int_equal(yh_sdp_find_ext(a, YH_SDP_EXT_AUDIO_LEVEL), 1);
    assert_int_equal(yh_sdp_find_ext(v, YH_SDP_EXT_AUDIO_LEVEL), 0);
    /* The receiver's playout floor is raised on video only, an inactive
     * video section included (it may become active in a later offer). */
    assert_int_equal(yh_sdp_find_ext(a, YH_SDP_EXT_PLAYOUT_DELAY), 0);
    assert_int_equal(yh_sdp_find_ext(v, YH_SDP_EXT_PLAYOUT_DELAY), YH_SDP_SUB_EXT_PLAYOUT_DELAY);
    assert_int_equal(yh_sdp_find_ext(x, YH_SDP_EXT_PLAYOUT_DELAY), YH_SDP_SUB_EXT_PLAYOUT_DELAY);
    assert_int_equal(YH_SDP_SUB_EXT_PLAYOUT_DELAY, 5);
    assert_int_equal(a->codecs[0].pt, YH_SDP_PT_OPUS);
    assert_string_equal(a->codecs[0].fmtp, "minptime=10;useinbandfec=1");
    assert_int_equal(a->codecs[0].channels, 2);
    assert_int_equal(a->ssrcs[0].ssrc, 1001);
    assert_string_equal(a->ssrcs[0].cname, "yunhui");
    assert_string_equal(a->ssrcs[0].msid_track, "t1");
    assert_string_equal(a->msid_stream, "p1");
    assert_int_equal(v->codecs[0].pt, YH_SDP_PT_VP8);
    assert_string_equal(v->codecs[0].name, "VP8");
    assert_int_equal(v->codecs[0].fb, YH_SDP_FB_NACK | YH_SDP_FB_NACK_PLI | YH_SDP_FB_CCM_FIR |
                                          YH_SDP_FB_TRANSPORT_CC);
    assert_int_equal(x->dir, YH_SDP_DIR_INACTIVE);
    assert_int_equal(x->kind, YH_SDP_KIND_VIDEO);
    assert_int_equal(x->n_ssrcs, 0);
    assert_string_equal(x->msid_track, "");
    assert_int_equal(x->codecs[0].pt, YH_SDP_PT_H264);
    assert_int_equal(yh_sdp_h264_match(x->codecs[0].fmtp), 2);

    /* Buffer too small at every length, bad slots refused. */
    for (size_t cap = 0; cap <= (size_t)n; cap += 53)
        assert_int_equal(yh_sdp_sub_write_offer(&local, 3, s, 3, f->text, cap), YH_ENOSPACE);
    strcpy(s[2].mid, "1");
    assert_int_equal(yh_sdp_sub_write_offer(&local, 3, s, 3, f->text, sizeof(f->text)), YH_EINVAL);
    make_slots(s);
    s[1].ssrc = 0;
    assert_int_equal(yh_sdp_sub_write_offer(&local, 3, s, 3, f->text, sizeof(f->text)), YH_EINVAL);
    make_slots(s);
    s[0].codec = YH_SDP_CODEC_VP8; /* video codec on an audio slot */
    assert_int_equal(yh_sdp_sub_write_offer(&local, 3, s, 3, f->text, sizeof(f->text)), YH_EINVAL);
    make_slots(s);
    strcpy(s[1].msid_track, "t 2");
    assert_int_equal(yh_sdp_sub_write_offer(&local, 3, s, 3, f->text, sizeof(f->text)), YH_EINVAL);
    assert_int_equal(yh_sdp_sub_write_offer(&local, 3, s, 0, f->text, sizeof(f->text)), YH_EINVAL);
}

static char *browser_answer(const char *offer, const char *setup);

/* RFC 4588 toward subscribers: a video slot with an RTX SSRC offers
 * rtx/90000 with apt and an FID group; an answer that keeps the format
 * enables it, one that drops it does not. */
static void test_sub_offer_rtx(void **state)
{
    fixture_t *f = *state;
    yh_sdp_sub_slot_t s[3];
    make_slots(s);
    s[1].rtx_ssrc = 2003;
    s[0].rtx_ssrc = 1002; /* audio: no RTX format, ignored */
    int n = yh_sdp_sub_write_offer(&local, 3, s, 3, f->text, sizeof(f->text));
    assert_true(n > 0);
    assert_non_null(strstr(f->text, "m=video 40000 UDP/TLS/RTP/SAVPF 96 97\r\n"));
    assert_non_null(strstr(f->text, "m=video 40000 UDP/TLS/RTP/SAVPF 102\r\n"));
    assert_null(strstr(f->text, "a=ssrc:1002"));
    char *offer = strdup(f->text);
    parse_ok(f, &f->sdp, offer);
    const yh_sdp_media_t *v = &f->sdp.media[1];
    assert_int_equal(v->n_codecs, 2);
    assert_int_equal(v->codecs[1].pt, YH_SDP_PT_VP8_RTX);
    assert_string_equal(v->codecs[1].name, "rtx");
    assert_int_equal(v->codecs[1].apt, YH_SDP_PT_VP8);
    assert_int_equal(v->n_ssrc_groups, 1);
    assert_string_equal(v->ssrc_groups[0].semantics, "FID");
    assert_int_equal(f->sdp.media[0].n_codecs, 1);

    char *ans = browser_answer(offer, "a=setup:active");
    parse_ok(f, &f->back, ans);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 3, &f->sub, f->err, sizeof(f->err)), 0);
    assert_false(f->sub.media[0].rtx);
    assert_true(f->sub.media[1].rtx);
    assert_false(f->sub.media[2].rtx);
    char *m_line = subst(ans, "SAVPF 96 97", "SAVPF 96");
    char *rtpmap = drop(m_line, "a=rtpmap:97");
    char *no_rtx = drop(rtpmap, "a=fmtp:97");
    parse_ok(f, &f->back, no_rtx);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 3, &f->sub, f->err, sizeof(f->err)), 0);
    assert_false(f->sub.media[1].rtx);
    free(m_line);
    free(rtpmap);
    free(no_rtx);
    free(ans);
    free(offer);
}

/* Turns our offer into the answer a browser would give: its own ICE and
 * DTLS parameters, recvonly, no ssrcs, no ICE-lite. */
static char *browser_answer(const char *offer, const char *setup)
{
    char *a = drop(offer, "a=ice-lite");
    char *b = drop(a, "a=ssrc");
    char *c = drop(b, "a=candidate");
    char *d = subst(c, "a=sendonly", "a=recvonly");
    char *e = subst(d, "a=setup:actpass", setup);
    char *g = subst(e, "a=ice-ufrag:srvU", "a=ice-ufrag:brws");
    char *h = subst(g, FP_LOCAL,
                    "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:"
                    "9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0");
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
    free(g);
    return h;
}

static void test_sub_answer(void **state)
{
    fixture_t *f = *state;
    yh_sdp_sub_slot_t s[3];
    make_slots(s);
    int n = yh_sdp_sub_write_offer(&local, 1, s, 3, f->text, sizeof(f->text));
    assert_true(n > 0);
    char *offer = strdup(f->text);
    char *ans = browser_answer(offer, "a=setup:active");
    parse_ok(f, &f->back, ans);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 3, &f->sub, f->err, sizeof(f->err)), 0);
    assert_string_equal(f->sub.remote_ufrag, "brws");
    assert_string_equal(f->sub.remote_fingerprint.alg, "sha-256");
    assert_memory_equal(f->sub.remote_fingerprint.value, "12:34", 5);
    assert_int_equal(f->sub.remote_setup, YH_SDP_SETUP_ACTIVE);
    assert_int_equal(f->sub.local_setup, YH_SDP_SETUP_PASSIVE);
    assert_int_equal(f->sub.n_media, 3);
    assert_true(f->sub.media[0].accepted && f->sub.media[2].accepted);
    assert_int_equal(f->sub.media[1].dir, YH_SDP_DIR_RECVONLY);
    assert_int_equal(f->sub.media[2].dir, YH_SDP_DIR_INACTIVE);
    free(ans);

    ans = browser_answer(offer, "a=setup:passive");
    parse_ok(f, &f->back, ans);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 3, &f->sub, f->err, sizeof(f->err)), 0);
    assert_int_equal(f->sub.local_setup, YH_SDP_SETUP_ACTIVE);
    free(ans);

    /* A rejected m-line (port 0) is reported, not an error. */
    char *base = browser_answer(offer, "a=setup:active");
    char *rej =
        subst(base, "m=video 40000 UDP/TLS/RTP/SAVPF 102", "m=video 0 UDP/TLS/RTP/SAVPF 102");
    parse_ok(f, &f->back, rej);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 3, &f->sub, f->err, sizeof(f->err)), 0);
    assert_false(f->sub.media[2].accepted);
    free(rej);

    struct {
        char *text;
        const char *msg;
    } bad[] = {
        {subst(base, "a=setup:active", "a=setup:actpass"), "setup"},
        {drop(base, "a=rtcp-mux"), "rtcp-mux"},
        {drop(base, "a=ice-pwd"), "ice-pwd"},
        {drop(base, "a=fingerprint"), "fingerprint"},
        {subst(base, "a=mid:2", "a=mid:9"), "mid"},
        {subst(base, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1"), "BUNDLE"},
        {subst(base, " 40000 UDP", " 0 UDP"), "accepts no m-line"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse(f, &f->back, bad[i].text);
        if (rc == 0)
            rc = yh_sdp_sub_check_answer(&f->back, s, 3, &f->sub, f->err, sizeof(f->err));
        if (rc >= 0 || !strstr(f->err, bad[i].msg))
            fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, rc, f->err, bad[i].msg);
        free(bad[i].text);
    }
    /* Fewer m-lines than offered. */
    parse_ok(f, &f->back, base);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 2, &f->sub, f->err, sizeof(f->err)),
                     YH_EPARSE);
    assert_non_null(strstr(f->err, "m-lines"));
    free(base);
    free(offer);
}

static void test_sub_answer_vectors(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-answer-recv.sdp");
    parse_ok(f, &f->back, t);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, NULL, 0, &f->sub, f->err, sizeof(f->err)),
                     0);
    assert_string_equal(f->sub.remote_ufrag, "pi6A");
    assert_string_equal(f->sub.remote_pwd, "yTcTYyx67EjW+6tlUgH5jVUK");
    assert_int_equal(f->sub.local_setup, YH_SDP_SETUP_PASSIVE);
    assert_int_equal(f->sub.n_media, 2);
    assert_string_equal(f->sub.media[1].mid, "1");
    assert_true(f->sub.media[1].accepted);
    free(t);

    t = load("firefox-answer-recv.sdp");
    parse_ok(f, &f->back, t);
    /* With slots that match its mids and kinds. */
    yh_sdp_sub_slot_t s[3];
    make_slots(s);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 2, &f->sub, f->err, sizeof(f->err)), 0);
    assert_string_equal(f->sub.remote_ufrag, "4c74bce0");
    assert_memory_equal(f->sub.remote_fingerprint.value, "00:86:7E", 8);
    assert_int_equal(f->sub.remote_setup, YH_SDP_SETUP_ACTIVE);
    assert_int_equal(f->sub.media[0].dir, YH_SDP_DIR_RECVONLY);
    free(t);
}

/* ---- RFC 2198 redundant audio ----------------------------------------- */

/* Answers `t` with RED enabled; the answer parses back into f->back. */
static int negotiate_red(fixture_t *f, const char *t)
{
    yh_sdp_local_t red = local;
    red.flags = YH_SDP_F_RED;
    parse_ok(f, &f->sdp, t);
    int n = yh_sdp_pub_answer(&f->sdp, &red, 7, &f->pub, f->text, sizeof(f->text), f->err,
                              sizeof(f->err));
    if (n > 0)
        parse_ok(f, &f->back, f->text);
    return n;
}

/* Chromium offers red/48000/2 with "111/111"; the answer takes it and
 * lists it before Opus, or libwebrtc would not send it. */
static void test_negotiate_red(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-publish-offer.sdp");
    assert_true(negotiate_red(f, t) > 0);
    assert_int_equal(f->pub.media[0].red_pt, 63);
    assert_int_equal(f->pub.media[0].codec.pt, 111);
    assert_int_equal(f->pub.media[1].red_pt, 0); /* red/90000 of video is not taken */
    assert_non_null(strstr(f->text, "m=audio 40000 UDP/TLS/RTP/SAVPF 63 111\r\n"));
    assert_non_null(strstr(f->text, "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"));
    assert_non_null(strstr(f->text, "m=video 40000 UDP/TLS/RTP/SAVPF 96\r\n"));
    const yh_sdp_media_t *a = &f->back.media[0];
    assert_int_equal(a->n_codecs, 2);
    assert_int_equal(a->codecs[0].pt, 63);
    assert_string_equal(a->codecs[0].name, "red");
    assert_int_equal(a->codecs[0].channels, 2);
    assert_int_equal(a->codecs[1].pt, 111);
    assert_string_equal(a->codecs[1].name, "opus");
    assert_int_equal(a->codecs[1].fb, YH_SDP_FB_TRANSPORT_CC);
    assert_int_equal(f->back.media[1].n_codecs, 1);

    /* Without the flag: no RED, as before. */
    negotiate_ok(f, t);
    assert_int_equal(f->pub.media[0].red_pt, 0);
    assert_null(strstr(f->text, "red/"));

    /* Another Opus PT: the fmtp must name that one. */
    char *a1 = subst(t, "a=rtpmap:111 opus", "a=rtpmap:109 opus");
    char *a2 = subst(a1, "a=fmtp:111 minptime", "a=fmtp:109 minptime");
    char *a3 = subst(a2, "a=rtcp-fb:111 ", "a=rtcp-fb:109 ");
    char *ff = subst(a3, "SAVPF 111 63", "SAVPF 109 63");
    char *ff_red = subst(ff, "a=fmtp:63 111/111", "a=fmtp:63 109/109");
    assert_true(negotiate_red(f, ff) > 0); /* "111/111" no longer names Opus */
    assert_int_equal(f->pub.media[0].codec.pt, 109);
    assert_int_equal(f->pub.media[0].red_pt, 0);
    assert_non_null(strstr(f->text, "m=audio 40000 UDP/TLS/RTP/SAVPF 109\r\n"));
    assert_true(negotiate_red(f, ff_red) > 0);
    assert_int_equal(f->pub.media[0].red_pt, 63);
    assert_non_null(strstr(f->text, "m=audio 40000 UDP/TLS/RTP/SAVPF 63 109\r\n"));
    assert_non_null(strstr(f->text, "a=fmtp:63 109/109\r\n"));

    /* fmtp variants: two redundant generations are fine; anything naming
     * another codec, or not a list of PTs, is left out. */
    const struct {
        const char *fmtp;
        int taken;
    } cases[] = {
        {"a=fmtp:63 111/111/111", 1}, {"a=fmtp:63 111", 1},     {"a=fmtp:63 111/0", 0},
        {"a=fmtp:63 0/111", 0},       {"a=fmtp:63 111/", 0},    {"a=fmtp:63 1111/111", 0},
        {"a=fmtp:63 111//111", 0},    {"a=fmtp:63 111;x=1", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *v = subst(t, "a=fmtp:63 111/111", cases[i].fmtp);
        assert_true(negotiate_red(f, v) > 0);
        if ((f->pub.media[0].red_pt != 0) != cases[i].taken)
            fail_msg("case %zu (%s): red_pt %u", i, cases[i].fmtp, f->pub.media[0].red_pt);
        free(v);
    }
    /* red/48000 without channels, or at 8000 Hz, is not Chromium's. */
    char *mono = subst(t, "red/48000/2", "red/48000");
    assert_true(negotiate_red(f, mono) > 0);
    assert_int_equal(f->pub.media[0].red_pt, 0);
    free(mono);
    free(ff_red);
    free(ff);
    free(a3);
    free(a2);
    free(a1);
    free(t);
}

/* The subscriber offer carries RED after Opus on audio slots; the answer
 * says whether the client kept it. */
static void test_sub_offer_red(void **state)
{
    fixture_t *f = *state;
    yh_sdp_sub_slot_t s[3];
    make_slots(s);
    yh_sdp_local_t red = local;
    red.flags = YH_SDP_F_RED;
    assert_true(yh_sdp_sub_write_offer(&red, 3, s, 3, f->text, sizeof(f->text)) > 0);
    assert_non_null(strstr(f->text, "m=audio 40000 UDP/TLS/RTP/SAVPF 111 63\r\n"));
    assert_non_null(strstr(f->text, "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"));
    assert_non_null(strstr(f->text, "m=video 40000 UDP/TLS/RTP/SAVPF 96\r\n"));
    char *offer = strdup(f->text);
    parse_ok(f, &f->sdp, offer);
    assert_int_equal(f->sdp.media[0].n_codecs, 2);
    assert_int_equal(f->sdp.media[0].codecs[1].pt, YH_SDP_PT_RED);
    assert_string_equal(f->sdp.media[0].codecs[1].fmtp, "111/111");
    assert_int_equal(f->sdp.media[1].n_codecs, 1);

    /* A browser keeps it. */
    char *ans = browser_answer(offer, "a=setup:active");
    parse_ok(f, &f->back, ans);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 3, &f->sub, f->err, sizeof(f->err)), 0);
    assert_true(f->sub.media[0].red);
    assert_false(f->sub.media[1].red);
    /* An answer without it: no RED for that subscription. */
    char *m_line = subst(ans, "SAVPF 111 63", "SAVPF 111");
    char *rtpmap = drop(m_line, "a=rtpmap:63");
    char *no_red = drop(rtpmap, "a=fmtp:63");
    parse_ok(f, &f->back, no_red);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 3, &f->sub, f->err, sizeof(f->err)), 0);
    assert_false(f->sub.media[0].red);

    /* yunhui-term answers with the first codec it knows, Opus alone. */
    static yh_sdp_client_remote_t remote;
    const yh_sdp_client_local_t term = {.ice_ufrag = "cliU",
                                        .ice_pwd = "clientpassword0123456789",
                                        .fingerprint = FP_LOCAL,
                                        .cname = "term",
                                        .msid_stream = "term",
                                        .session_id = 1};
    int n = yh_sdp_client_write_answer(&f->sdp, &term, 1, &remote, f->text, sizeof(f->text), f->err,
                                       sizeof(f->err));
    assert_true(n > 0);
    assert_int_equal(remote.media[0].codec.pt, YH_SDP_PT_OPUS);
    assert_null(strstr(f->text, "red/"));
    parse_ok(f, &f->back, f->text);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 3, &f->sub, f->err, sizeof(f->err)), 0);
    assert_true(f->sub.media[0].accepted);
    assert_false(f->sub.media[0].red);

    /* Chromium's own recvonly answer keeps red/48000/2 at 63 after Opus. */
    char *chrome = load("chrome-answer-recv.sdp");
    parse_ok(f, &f->back, chrome);
    assert_int_equal(yh_sdp_sub_check_answer(&f->back, s, 2, &f->sub, f->err, sizeof(f->err)), 0);
    assert_true(f->sub.media[0].red);
    assert_false(f->sub.media[1].red);
    free(chrome);
    free(m_line);
    free(rtpmap);
    free(no_red);
    free(ans);
    free(offer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiate_chrome),
        cmocka_unit_test(test_negotiate_firefox),
        cmocka_unit_test(test_negotiate_simulcast),
        cmocka_unit_test(test_negotiate_h264),
        cmocka_unit_test(test_negotiate_refusals),
        cmocka_unit_test(test_negotiate_datachannel_and_dirs),
        cmocka_unit_test(test_negotiate_nospace),
        cmocka_unit_test(test_sub_offer),
        cmocka_unit_test(test_sub_answer),
        cmocka_unit_test(test_sub_offer_rtx),
        cmocka_unit_test(test_sub_answer_vectors),
        cmocka_unit_test(test_negotiate_red),
        cmocka_unit_test(test_sub_offer_red),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
