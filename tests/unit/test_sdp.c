/* SDP parsing: real Chrome and Firefox captures, malformed input, limits. */
#include "sdp_fixture.h"

static void test_parse_chrome_offer(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-publish-offer.sdp");
    parse_ok(f, &f->sdp, t);
    yh_sdp_t *s = &f->sdp;
    assert_int_equal(s->n_media, 2);
    assert_true(s->has_bundle);
    assert_int_equal(s->n_bundle, 2);
    assert_string_equal(s->bundle[1], "1");
    assert_string_equal(s->origin_sess_id, "6812536666127552225");
    assert_false(s->ice_lite);

    const yh_sdp_media_t *a = &s->media[0], *v = &s->media[1];
    assert_int_equal(a->kind, YH_SDP_KIND_AUDIO);
    assert_string_equal(a->mid, "0");
    assert_int_equal(a->dir, YH_SDP_DIR_SENDONLY);
    assert_int_equal(a->port, 9);
    assert_string_equal(a->proto, "UDP/TLS/RTP/SAVPF");
    assert_true(a->rtcp_mux && a->rtcp_rsize);
    assert_string_equal(a->ice_ufrag, "hTif");
    assert_string_equal(a->ice_pwd, "7vgPC10eqNq71iAbqtQ1ePs3");
    assert_string_equal(a->fingerprint.alg, "sha-256");
    assert_int_equal(strlen(a->fingerprint.value), 95);
    assert_memory_equal(a->fingerprint.value, "42:7F:1C:B6", 11);
    assert_int_equal(a->setup, YH_SDP_SETUP_ACTPASS);
    assert_int_equal(a->n_codecs, 8);
    assert_int_equal(a->codecs[0].pt, 111); /* m= order is preference */
    const yh_sdp_codec_t *opus = codec(a, 111);
    assert_string_equal(opus->name, "opus");
    assert_int_equal(opus->clock, 48000);
    assert_int_equal(opus->channels, 2);
    assert_string_equal(opus->fmtp, "minptime=10;useinbandfec=1");
    assert_int_equal(opus->fb, YH_SDP_FB_TRANSPORT_CC);
    assert_string_equal(codec(a, 0)->name, "PCMU");
    assert_int_equal(yh_sdp_find_ext(a, YH_SDP_EXT_AUDIO_LEVEL), 1);
    assert_int_equal(yh_sdp_find_ext(a, YH_SDP_EXT_MID), 4);
    assert_int_equal(a->n_ssrcs, 1);
    assert_int_equal(a->ssrcs[0].ssrc, 1522320437u);
    assert_string_equal(a->ssrcs[0].cname, "9vfijFC8q0hyLARf");
    assert_string_equal(a->ssrcs[0].msid_track, "f2760a10-3a9b-4caf-80bd-d9f9f98c7cc9");
    assert_string_equal(a->msid_stream, "-");
    assert_string_equal(a->msid_track, "f2760a10-3a9b-4caf-80bd-d9f9f98c7cc9");

    assert_int_equal(v->kind, YH_SDP_KIND_VIDEO);
    assert_int_equal(v->n_codecs, 23);
    const yh_sdp_codec_t *vp8 = codec(v, 96);
    assert_string_equal(vp8->name, "VP8");
    assert_int_equal(vp8->clock, 90000);
    assert_int_equal(vp8->fb, YH_SDP_FB_NACK | YH_SDP_FB_NACK_PLI | YH_SDP_FB_CCM_FIR |
                                  YH_SDP_FB_GOOG_REMB | YH_SDP_FB_TRANSPORT_CC);
    assert_int_equal(vp8->apt, -1);
    assert_int_equal(codec(v, 97)->apt, 96);
    assert_string_equal(codec(v, 97)->name, "rtx");
    assert_string_equal(codec(v, 102)->name, "H264");
    assert_string_equal(codec(v, 102)->fmtp,
                        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
    assert_string_equal(codec(v, 108)->fmtp,
                        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
    assert_int_equal(yh_sdp_h264_match(codec(v, 108)->fmtp), 2);
    assert_int_equal(yh_sdp_h264_match(codec(v, 102)->fmtp), 1);
    assert_int_equal(yh_sdp_h264_match(codec(v, 104)->fmtp), 0); /* pm=0 */
    assert_int_equal(yh_sdp_h264_match(codec(v, 116)->fmtp), 0); /* main */
    assert_int_equal(v->n_exts, 11);
    assert_int_equal(yh_sdp_find_ext(v, YH_SDP_EXT_TWCC), 3);
    assert_int_equal(yh_sdp_find_ext(v, YH_SDP_EXT_RID), 10);
    assert_int_equal(yh_sdp_find_ext(v, YH_SDP_EXT_REPAIRED_RID), 11);
    assert_int_equal(yh_sdp_find_ext(v, "urn:ietf:params:rtp-hdrext:toffset"), 14);
    assert_int_equal(v->n_ssrcs, 2);
    assert_int_equal(v->n_ssrc_groups, 1);
    assert_string_equal(v->ssrc_groups[0].semantics, "FID");
    assert_int_equal(v->ssrc_groups[0].ssrcs[0], 3442598174u);
    assert_int_equal(v->ssrc_groups[0].ssrcs[1], 2992212606u);
    assert_false(v->simulcast.present);
    free(t);
}

static void test_parse_firefox_offer(void **state)
{
    fixture_t *f = *state;
    char *t = load("firefox-publish-offer.sdp");
    parse_ok(f, &f->sdp, t);
    const yh_sdp_media_t *a = &f->sdp.media[0], *v = &f->sdp.media[1];
    /* Session-level fingerprint, media-level ICE credentials. */
    assert_string_equal(f->sdp.fingerprint.alg, "sha-256");
    assert_string_equal(a->fingerprint.value, f->sdp.fingerprint.value);
    assert_string_equal(v->ice_ufrag, "ce48756c");
    assert_string_equal(v->ice_pwd, "77d77140e144b5c8847c82f004e15228");
    assert_int_equal(a->setup, YH_SDP_SETUP_ACTPASS);
    assert_int_equal(a->dir, YH_SDP_DIR_SENDONLY);
    const yh_sdp_codec_t *opus = codec(a, 109);
    assert_string_equal(opus->name, "opus");
    assert_int_equal(opus->channels, 2);
    assert_string_equal(opus->fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
    assert_int_equal(opus->fb, YH_SDP_FB_TRANSPORT_CC);
    assert_int_equal(codec(a, 9)->channels, 1);
    assert_int_equal(codec(a, 101)->clock, 8000);
    assert_string_equal(a->exts[1].uri, "urn:ietf:params:rtp-hdrext:csrc-audio-level");
    assert_int_equal(a->exts[1].dir, YH_SDP_DIR_RECVONLY);
    assert_int_equal(a->exts[1].id, 2);
    assert_string_equal(a->msid_track, "{c0fe5c75-4784-4b9c-8ead-0914b8c7b13c}");
    assert_string_equal(codec(v, 120)->name, "VP8");
    assert_int_equal(codec(v, 124)->apt, 120);
    assert_int_equal(codec(v, 120)->fb & YH_SDP_FB_NACK_PLI, YH_SDP_FB_NACK_PLI);
    assert_int_equal(yh_sdp_find_ext(v, YH_SDP_EXT_ABS_SEND_TIME), 4);
    assert_int_equal(v->n_ssrcs, 2);
    assert_int_equal(v->ssrc_groups[0].ssrcs[0], 4185167061u);
    assert_string_equal(v->ssrcs[1].cname, "{1bca4b87-b3f0-4c26-955b-227f75bd88f3}");
    free(t);
}

static void test_parse_simulcast_offers(void **state)
{
    fixture_t *f = *state;
    const char *names[] = {"chrome-publish-simulcast-offer.sdp",
                           "firefox-publish-simulcast-offer.sdp"};
    for (int i = 0; i < 2; i++) {
        char *t = load(names[i]);
        parse_ok(f, &f->sdp, t);
        const yh_sdp_media_t *v = &f->sdp.media[1];
        assert_int_equal(v->n_rids, 3);
        assert_string_equal(v->rids[0].id, "q");
        assert_string_equal(v->rids[1].id, "h");
        assert_string_equal(v->rids[2].id, "f");
        assert_int_equal(v->rids[2].dir, YH_SDP_DIR_SENDONLY);
        assert_true(v->simulcast.present);
        assert_int_equal(v->simulcast.n_send, 3);
        assert_int_equal(v->simulcast.n_recv, 0);
        assert_string_equal(v->simulcast.send[0], "q");
        assert_string_equal(v->simulcast.send[2], "f");
        assert_int_not_equal(yh_sdp_find_ext(v, YH_SDP_EXT_RID), 0);
        /* Chrome lists no ssrcs for simulcast; Firefox six with three FIDs. */
        assert_int_equal(v->n_ssrcs, i == 0 ? 0 : 6);
        assert_int_equal(v->n_ssrc_groups, i == 0 ? 0 : 3);
        free(t);
    }
}

static void test_parse_recv_answers(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-answer-recv.sdp");
    parse_ok(f, &f->sdp, t);
    assert_int_equal(f->sdp.media[0].setup, YH_SDP_SETUP_ACTIVE);
    assert_int_equal(f->sdp.media[1].dir, YH_SDP_DIR_RECVONLY);
    assert_string_equal(f->sdp.media[1].ice_ufrag, "pi6A");
    free(t);

    t = load("firefox-answer-recv.sdp");
    parse_ok(f, &f->sdp, t);
    /* A media-level direction wins over the session-level a=sendrecv. */
    assert_int_equal(f->sdp.media[0].dir, YH_SDP_DIR_RECVONLY);
    assert_int_equal(f->sdp.media[0].n_candidates, 1);
    assert_int_equal(f->sdp.media[0].port, 60243);
    assert_int_equal(f->sdp.media[1].setup, YH_SDP_SETUP_ACTIVE);
    assert_string_equal(f->sdp.media[1].fingerprint.alg, "sha-256");
    free(t);
}

static void test_parse_lf_only(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-publish-offer.sdp");
    char *lf = subst(t, "\r\n", "\n");
    parse_ok(f, &f->sdp, lf);
    parse_ok(f, &f->back, t);
    assert_int_equal(f->sdp.n_media, f->back.n_media);
    assert_int_equal(f->sdp.media[1].n_codecs, f->back.media[1].n_codecs);
    assert_string_equal(f->sdp.media[1].codecs[4].fmtp, f->back.media[1].codecs[4].fmtp);
    assert_string_equal(f->sdp.media[1].ice_pwd, f->back.media[1].ice_pwd);
    free(lf);
    free(t);
}

/* Less common forms: wildcard rtcp-fb, several fingerprints, simulcast
 * alternatives and pauses, the legacy "rid=" prefix, session defaults. */
static void test_parse_misc(void **state)
{
    fixture_t *f = *state;
    static const char text[] =
        "v=0\n"
        "o=- 1 2 IN IP4 0.0.0.0\n"
        "s=-\n"
        "a=inactive\n"
        "a=fingerprint:SHA-1 AA:BB\n"
        "a=fingerprint:sha-256 CC:DD\n"
        "a=fingerprint:sha-512 EE:FF\n"
        "a=extmap:1 urn:session:level:is:ignored\n"
        "m=video 0 UDP/TLS/RTP/SAVPF 96 97 0\n"
        "a=bundle-only\n"
        "a=mid:v\n"
        "a=rtpmap:96 VP8/90000\n"
        "a=rtcp-fb:* nack\n"
        "a=rtcp-fb:96 nack pli\n"
        "a=rtcp-fb:96 unknown-thing\n"
        "a=rtcp-fb:42 ccm fir\n"
        "a=extmap:5 urn:x:very:long:uri:0123456789012345678901234567890123456789012345678901"
        "23456789012345678901234567890123456789012345678901234567890123456789\n"
        "a=extmap:6 " YH_SDP_EXT_MID "\n"
        "a=rid:a send\n"
        "a=rid:b send\n"
        "a=simulcast:recv rid=x;~y send a,a2;~b\n"
        "a=msid:stream\n"
        "a=unknown-attribute:whatever\n"
        "m=audio 9 RTP/AVP 0\n"
        "a=sendrecv\n"
        "a=fingerprint:sha-384 11:22\n";
    parse_ok(f, &f->sdp, text);
    const yh_sdp_media_t *v = &f->sdp.media[0], *a = &f->sdp.media[1];
    assert_string_equal(f->sdp.fingerprint.alg, "sha-256");
    assert_string_equal(f->sdp.fingerprint.value, "CC:DD");
    assert_string_equal(v->fingerprint.value, "CC:DD");
    assert_string_equal(a->fingerprint.alg, "sha-384");
    assert_int_equal(v->dir, YH_SDP_DIR_INACTIVE);
    assert_int_equal(a->dir, YH_SDP_DIR_SENDRECV);
    assert_true(v->bundle_only);
    assert_int_equal(v->port, 0);
    assert_int_equal(codec(v, 96)->fb, YH_SDP_FB_NACK | YH_SDP_FB_NACK_PLI);
    assert_int_equal(codec(v, 97)->fb, YH_SDP_FB_NACK);
    assert_string_equal(codec(v, 0)->name, "PCMU");
    assert_int_equal(codec(v, 0)->clock, 8000);
    assert_int_equal(v->n_exts, 1);
    assert_int_equal(v->exts[0].id, 6);
    assert_true(v->simulcast.present);
    assert_int_equal(v->simulcast.n_send, 2);
    assert_string_equal(v->simulcast.send[0], "a");
    assert_string_equal(v->simulcast.send[1], "b");
    assert_int_equal(v->simulcast.n_recv, 2);
    assert_string_equal(v->simulcast.recv[0], "x");
    assert_string_equal(v->simulcast.recv[1], "y");
    assert_string_equal(v->msid_stream, "stream");
    assert_string_equal(v->msid_track, "");
    assert_int_equal(a->n_exts, 0);
}

/* ---- publisher negotiation -------------------------------------------- */


static void test_parse_errors(void **state)
{
    fixture_t *f = *state;
    static const struct {
        const char *text;
        int rc;
        const char *msg;
    } cases[] = {
        {"", YH_EPARSE, "empty"},
        {"\r\n\r\n", YH_EPARSE, "empty"},
        {"v=1\r\n", YH_EPARSE, "v=0"},
        {"x", YH_EPARSE, "<type>=<value>"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n", YH_EPARSE, "s="},
        {"v=0\r\ns=-\r\n", YH_EPARSE, "o="},
        {"v=0\r\no=- 1\r\ns=-\r\n", YH_EPARSE, "o="},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9", YH_EPARSE, "m-line"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP", YH_EPARSE, "formats"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 70000 RTP/AVP 0", YH_EPARSE, "port"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 128", YH_EPARSE, "payload"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU",
         YH_EPARSE, "clock"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:x PCMU/8000",
         YH_EPARSE, "payload"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\na=setup:bogus\r\n", YH_EPARSE, "setup"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\na=ice-ufrag:\r\n", YH_EPARSE, "ice-ufrag"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 RTP/AVP 96\r\na=extmap:0 urn:x\r\n",
         YH_EPARSE, "extmap"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 RTP/AVP 96\r\na=rid:q sideways\r\n",
         YH_EPARSE, "rid"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 RTP/AVP 96\r\na=simulcast:send\r\n",
         YH_EPARSE, "simulcast"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 RTP/AVP 96\r\na=ssrc:99999999999 "
         "cname:x\r\n",
         YH_EPARSE, "ssrc"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 RTP/AVP 96\r\na=ssrc-group:FID 1 2 3 4 "
         "5\r\n",
         YH_ELIMIT, "ssrc-group"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=mid:a\r\nm=audio 9 "
         "RTP/AVP 0\r\na=mid:a\r\n",
         YH_EPARSE, "duplicate"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\na=group:BUNDLE 0\r\n", YH_EPARSE, "BUNDLE"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=mid:"
         "0123456789012345678901234567890123\r\n",
         YH_ELIMIT, "a=mid"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = parse(f, &f->sdp, cases[i].text);
        if (rc != cases[i].rc || !strstr(f->err, cases[i].msg))
            fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", i, rc, f->err, cases[i].rc,
                     cases[i].msg);
        assert_int_equal(f->sdp.n_media, 0);
    }
    /* An embedded NUL inside the given length. */
    static const char nul[] = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\0\r\n";
    assert_int_equal(yh_sdp_parse(nul, sizeof(nul) - 1, &f->sdp, f->err, sizeof(f->err)),
                     YH_EPARSE);
    assert_non_null(strstr(f->err, "NUL"));
    assert_int_equal(yh_sdp_parse(NULL, 0, &f->sdp, NULL, 0), YH_EPARSE);
}

/* Cutting a real offer anywhere must never crash; cutting it inside its
 * m= line (before the format list) must fail. */
static void test_parse_truncated(void **state)
{
    fixture_t *f = *state;
    char *t = load("chrome-publish-offer.sdp");
    size_t len = strlen(t);
    for (size_t n = 0; n < len; n++)
        (void)yh_sdp_parse(t, n, &f->sdp, f->err, sizeof(f->err));
    const char *m = strstr(t, "m=audio 9 UDP/TLS/RTP/SAVPF");
    assert_int_not_equal(yh_sdp_parse(t, (size_t)(m - t) + 12, &f->sdp, f->err, sizeof(f->err)), 0);
    /* And flipping bytes (to garbage, NUL, CR or LF) never crashes either. */
    char *g = malloc(len);
    for (size_t i = 0; i < len; i += 7) {
        memcpy(g, t, len);
        g[i] = "\0\r\n:/ x~"[i % 8];
        (void)yh_sdp_parse(g, len, &f->sdp, f->err, sizeof(f->err));
        if (yh_sdp_parse(g, len, &f->sdp, NULL, 0) == 0)
            (void)yh_sdp_pub_answer(&f->sdp, &local, 1, &f->pub, f->text, sizeof(f->text), NULL, 0);
    }
    free(g);
    free(t);
}

static char *many_mlines(int n)
{
    char *s = malloc(64 + (size_t)n * 64);
    size_t len = (size_t)sprintf(s, "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
    for (int i = 0; i < n; i++)
        len += (size_t)sprintf(s + len, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:%d\r\n", i);
    return s;
}

static void test_parse_limits(void **state)
{
    fixture_t *f = *state;
    char *s = many_mlines(YH_SDP_MAX_MEDIA);
    parse_ok(f, &f->sdp, s);
    assert_int_equal(f->sdp.n_media, YH_SDP_MAX_MEDIA);
    free(s);
    s = many_mlines(YH_SDP_MAX_MEDIA + 1);
    assert_int_equal(parse(f, &f->sdp, s), YH_ELIMIT);
    assert_non_null(strstr(f->err, "too many m-lines"));
    free(s);

    /* 65 payload types on one m-line. */
    char line[1024] = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 RTP/AVP";
    for (int pt = 0; pt <= YH_SDP_MAX_CODECS; pt++)
        sprintf(line + strlen(line), " %d", pt);
    assert_int_equal(parse(f, &f->sdp, line), YH_ELIMIT);
    assert_non_null(strstr(f->err, "payload types"));

    /* 17 ssrcs. */
    char *big = malloc(YH_SDP_MAX_SIZE + 2);
    size_t len =
        (size_t)sprintf(big, "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 RTP/AVP 96\r\n");
    for (int i = 1; i <= YH_SDP_MAX_SSRCS + 1; i++)
        len += (size_t)sprintf(big + len, "a=ssrc:%d cname:x\r\n", i);
    assert_int_equal(parse(f, &f->sdp, big), YH_ELIMIT);
    assert_non_null(strstr(f->err, "ssrcs"));

    /* A line over YH_SDP_LINE_MAX, and a description over 64 KiB. */
    len = (size_t)sprintf(big, "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\na=x:");
    memset(big + len, 'y', YH_SDP_LINE_MAX);
    big[len + YH_SDP_LINE_MAX] = '\0';
    assert_int_equal(parse(f, &f->sdp, big), YH_ELIMIT);
    assert_non_null(strstr(f->err, "line longer"));
    memset(big, '\n', YH_SDP_MAX_SIZE + 1);
    memcpy(big, "v=0\n", 4);
    assert_int_equal(yh_sdp_parse(big, YH_SDP_MAX_SIZE + 1, &f->sdp, f->err, sizeof(f->err)),
                     YH_ELIMIT);
    assert_int_equal(yh_sdp_parse(big, YH_SDP_MAX_SIZE, &f->sdp, f->err, sizeof(f->err)),
                     YH_EPARSE); /* fits, but no o= */
    free(big);

    /* An over-long fmtp is kept cut and flagged; the codec is not chosen. */
    char *t = load("chrome-publish-offer.sdp");
    char longfmtp[400];
    memset(longfmtp, 'z', 300);
    strcpy(longfmtp + 300, ";useinbandfec=1");
    char *repl = malloc(strlen(longfmtp) + 64);
    sprintf(repl, "a=fmtp:96 x=%s\r\na=rtpmap:97", longfmtp);
    char *lf = subst(t, "a=rtpmap:97", repl);
    negotiate_ok(f, lf);
    assert_true(yh_sdp_find_codec(&f->sdp.media[1], 96)->fmtp_truncated);
    assert_int_equal(f->pub.media[1].codec.pt, 108);
    free(lf);
    free(repl);
    free(t);
}

static void test_helpers(void **state)
{
    char v[32];
    assert_int_equal(yh_sdp_fmtp_get("a=1; B=two ;c=3", "b", v, sizeof(v)), 0);
    assert_string_equal(v, "two");
    assert_int_equal(yh_sdp_fmtp_get("a=1;c=3", "b", v, sizeof(v)), YH_ENOTFOUND);
    assert_int_equal(yh_sdp_fmtp_get("aa=1", "a", v, sizeof(v)), YH_ENOTFOUND);
    assert_int_equal(yh_sdp_fmtp_get("a=12345", "a", v, 3), YH_ENOSPACE);
    assert_int_equal(yh_sdp_h264_match("packetization-mode=1;profile-level-id=42e01f"), 2);
    assert_int_equal(yh_sdp_h264_match("profile-level-id=42C01F;packetization-mode=1"), 2);
    assert_int_equal(yh_sdp_h264_match("packetization-mode=1"), 1); /* default 420010 */
    assert_int_equal(yh_sdp_h264_match("packetization-mode=1;profile-level-id=4d001f"), 0);
    assert_int_equal(yh_sdp_h264_match("packetization-mode=1;profile-level-id=42e0"), 0);
    assert_int_equal(yh_sdp_h264_match("profile-level-id=42e01f"), 0);
    assert_string_equal(yh_sdp_kind_str(YH_SDP_KIND_VIDEO), "video");
    assert_string_equal(yh_sdp_dir_str(YH_SDP_DIR_INACTIVE), "inactive");
    assert_string_equal(yh_sdp_setup_str(YH_SDP_SETUP_PASSIVE), "passive");
}

/* ---- subscriber -------------------------------------------------------- */


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_chrome_offer),
        cmocka_unit_test(test_parse_firefox_offer),
        cmocka_unit_test(test_parse_simulcast_offers),
        cmocka_unit_test(test_parse_recv_answers),
        cmocka_unit_test(test_parse_lf_only),
        cmocka_unit_test(test_parse_misc),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
