/*
 * SDP tests: real Chrome 156 / Firefox 153 captures (tests/vectors/sdp)
 * parsed field by field, publisher negotiation of each offer with the
 * answer parsed back, codec fallbacks and refusals, malformed and
 * oversized input, and the subscriber offer / answer round trip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "sdp/sdp.h"

#define ANSWER_CAP 65536
#define FP_LOCAL                                                                                   \
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"   \
    "88:99"

typedef struct fixture {
    yh_sdp_t sdp, back; /* a parsed input and a parsed output */
    yh_sdp_pub_t pub;
    yh_sdp_sub_answer_t sub;
    char text[ANSWER_CAP];
    char err[512];
} fixture_t;

static const char *const local_ips[] = {"192.0.2.10", "0.0.0.0", "2001:db8::10"};

static const yh_sdp_local_t local = {
    .ice_ufrag = "srvU",
    .ice_pwd = "serverpassword0123456789",
    .fingerprint = FP_LOCAL,
    .ips = local_ips,
    .n_ips = 3,
    .port = 40000,
    .session_id = 4242,
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

/* ---- helpers ---------------------------------------------------------- */

static char *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/sdp/%s", YH_VECTORS_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, YH_SDP_MAX_SIZE + 1);
    assert_non_null(buf);
    size_t n = fread(buf, 1, YH_SDP_MAX_SIZE, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Replaces every `from` with `to` (returns a new string). */
static char *subst(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
        n++;
    char *out = malloc(strlen(s) + n * (tl + 1) + 1), *o = out;
    assert_non_null(out);
    for (const char *p; (p = strstr(s, from)) != NULL; s = p + fl) {
        memcpy(o, s, (size_t)(p - s));
        o += p - s;
        memcpy(o, to, tl);
        o += tl;
    }
    strcpy(o, s);
    return out;
}

/* Drops every line that starts with `prefix`. */
static char *drop(const char *s, const char *prefix)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    assert_non_null(out);
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
        if (strncmp(s, prefix, strlen(prefix)) != 0) {
            memcpy(o, s, n);
            o += n;
        }
        s += n;
    }
    *o = '\0';
    return out;
}

static int parse(fixture_t *f, yh_sdp_t *out, const char *text)
{
    return yh_sdp_parse(text, strlen(text), out, f->err, sizeof(f->err));
}

static void parse_ok(fixture_t *f, yh_sdp_t *out, const char *text)
{
    int rc = parse(f, out, text);
    if (rc != 0)
        fail_msg("parse failed: %d %s", rc, f->err);
}

static const yh_sdp_codec_t *codec(const yh_sdp_media_t *m, uint8_t pt)
{
    const yh_sdp_codec_t *k = yh_sdp_find_codec(m, pt);
    assert_non_null(k);
    return k;
}

/* Negotiates `offer_text`; the answer must parse back into f->back. */
static int negotiate(fixture_t *f, const char *offer_text)
{
    parse_ok(f, &f->sdp, offer_text);
    int n = yh_sdp_pub_answer(&f->sdp, &local, 7, &f->pub, f->text, sizeof(f->text), f->err,
                              sizeof(f->err));
    if (n > 0) {
        assert_int_equal(strlen(f->text), (size_t)n);
        parse_ok(f, &f->back, f->text);
    }
    return n;
}

static void negotiate_ok(fixture_t *f, const char *offer_text)
{
    int n = negotiate(f, offer_text);
    if (n <= 0)
        fail_msg("negotiation failed: %d %s", n, f->err);
}

/* ---- parsing the captures --------------------------------------------- */

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

/* What every answer we write must say, checked on the parsed-back text. */
static void check_answer_common(fixture_t *f)
{
    const yh_sdp_t *b = &f->back;
    assert_true(b->ice_lite);
    assert_int_equal(b->n_media, f->sdp.n_media);
    assert_non_null(strstr(f->text, "a=msid-semantic: WMS\r\n"));
    assert_null(strstr(f->text, "\n\n"));
    for (uint8_t i = 0; i < b->n_media; i++) {
        const yh_sdp_media_t *m = &b->media[i];
        assert_string_equal(m->mid, f->sdp.media[i].mid);
        if (m->port == 0)
            continue;
        assert_int_equal(m->port, 40000);
        assert_int_equal(m->dir, YH_SDP_DIR_RECVONLY);
        assert_true(m->rtcp_mux);
        assert_string_equal(m->ice_ufrag, "srvU");
        assert_string_equal(m->ice_pwd, "serverpassword0123456789");
        assert_string_equal(m->fingerprint.alg, "sha-256");
        assert_string_equal(m->fingerprint.value, FP_LOCAL);
        assert_int_equal(m->setup, YH_SDP_SETUP_PASSIVE);
        assert_int_equal(m->n_candidates, 2); /* 0.0.0.0 is skipped */
        assert_true(m->end_of_candidates);
        assert_int_equal(m->n_codecs, 1);
        assert_int_equal(m->codecs[0].pt, f->pub.media[i].codec.pt);
        assert_non_null(yh_sdp_find_media(b, m->mid));
    }
    assert_non_null(
        strstr(f->text, "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host\r\n"));
    assert_non_null(
        strstr(f->text, "a=candidate:2 1 udp 2130706175 2001:db8::10 40000 typ host\r\n"));
    assert_non_null(strstr(f->text, "c=IN IP4 192.0.2.10\r\n"));
    assert_string_equal(f->pub.remote_fingerprint.alg, "sha-256");
    assert_int_equal(f->pub.remote_setup, YH_SDP_SETUP_ACTPASS);
    assert_int_equal(f->pub.local_setup, YH_SDP_SETUP_PASSIVE);
}

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
                                    "profile-level-id=42e01f\r\n"));
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

static void make_slots(yh_sdp_sub_slot_t s[3])
{
    memset(s, 0, 3 * sizeof(*s));
    s[0] = (yh_sdp_sub_slot_t){.kind = YH_SDP_KIND_AUDIO,
                               .mid = "0",
                               .active = 1,
                               .codec = YH_SDP_CODEC_OPUS,
                               .ssrc = 1001,
                               .cname = "yunhui",
                               .msid_stream = "p1",
                               .msid_track = "t1"};
    s[1] = (yh_sdp_sub_slot_t){.kind = YH_SDP_KIND_VIDEO,
                               .mid = "1",
                               .active = 1,
                               .codec = YH_SDP_CODEC_VP8,
                               .ssrc = 2002,
                               .cname = "yunhui",
                               .msid_stream = "p1",
                               .msid_track = "t2"};
    s[2] = (yh_sdp_sub_slot_t){
        .kind = YH_SDP_KIND_VIDEO, .mid = "2", .active = 0, .codec = YH_SDP_CODEC_H264};
}

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_chrome_offer),
        cmocka_unit_test(test_parse_firefox_offer),
        cmocka_unit_test(test_parse_simulcast_offers),
        cmocka_unit_test(test_parse_recv_answers),
        cmocka_unit_test(test_parse_lf_only),
        cmocka_unit_test(test_parse_misc),
        cmocka_unit_test(test_negotiate_chrome),
        cmocka_unit_test(test_negotiate_firefox),
        cmocka_unit_test(test_negotiate_simulcast),
        cmocka_unit_test(test_negotiate_h264),
        cmocka_unit_test(test_negotiate_refusals),
        cmocka_unit_test(test_negotiate_datachannel_and_dirs),
        cmocka_unit_test(test_negotiate_nospace),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_sub_offer),
        cmocka_unit_test(test_sub_answer),
        cmocka_unit_test(test_sub_answer_vectors),
    };
    /* The fixture (a few MiB of parsed descriptions) is shared by every
     * test, allocated once on the heap. */
    return cmocka_run_group_tests(tests, setup, teardown);
}
