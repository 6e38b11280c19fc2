/* Shared fixture and helpers of the SDP unit tests (test_sdp*.c). */
#ifndef YH_TESTS_SDP_FIXTURE_H
#define YH_TESTS_SDP_FIXTURE_H

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

static __attribute__((unused)) const char *const local_ips[] = {"192.0.2.10", "0.0.0.0", "2001:db8::10"};

static __attribute__((unused)) const yh_sdp_local_t local = {
    .ice_ufrag = "srvU",
    .ice_pwd = "serverpassword0123456789",
    .fingerprint = FP_LOCAL,
    .ips = local_ips,
    .n_ips = 3,
    .port = 40000,
    .session_id = 4242,
};

static __attribute__((unused)) int setup(void **state)
{
    *state = calloc(1, sizeof(fixture_t));
    return *state ? 0 : -1;
}

static __attribute__((unused)) int teardown(void **state)
{
    free(*state);
    return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static __attribute__((unused)) char *load(const char *name)
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
static __attribute__((unused)) char *subst(const char *s, const char *from, const char *to)
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
static __attribute__((unused)) char *drop(const char *s, const char *prefix)
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

static __attribute__((unused)) int parse(fixture_t *f, yh_sdp_t *out, const char *text)
{
    return yh_sdp_parse(text, strlen(text), out, f->err, sizeof(f->err));
}

static __attribute__((unused)) void parse_ok(fixture_t *f, yh_sdp_t *out, const char *text)
{
    int rc = parse(f, out, text);
    if (rc != 0)
        fail_msg("parse failed: %d %s", rc, f->err);
}

static __attribute__((unused)) const yh_sdp_codec_t *codec(const yh_sdp_media_t *m, uint8_t pt)
{
    const yh_sdp_codec_t *k = yh_sdp_find_codec(m, pt);
    assert_non_null(k);
    return k;
}

/* Negotiates `offer_text`; the answer must parse back into f->back. */
static __attribute__((unused)) int negotiate(fixture_t *f, const char *offer_text)
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

static __attribute__((unused)) void negotiate_ok(fixture_t *f, const char *offer_text)
{
    int n = negotiate(f, offer_text);
    if (n <= 0)
        fail_msg("negotiation failed: %d %s", n, f->err);
}

/* ---- parsing the captures --------------------------------------------- */

/* What every answer we write must say, checked on the parsed-back text. */
static __attribute__((unused)) void check_answer_common(fixture_t *f)
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

static __attribute__((unused)) void make_slots(yh_sdp_sub_slot_t s[3])
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

#endif
