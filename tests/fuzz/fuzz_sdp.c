/*
 * libFuzzer target for the SDP module. Each input is parsed; a parsed
 * description is checked for the model's bounds, negotiated as a publisher
 * offer (an answer we write must parse back, with as many m-lines and
 * ICE-lite), run through the subscriber answer check, and its mids are
 * reused as subscriber slots whose offer must parse back too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "sdp/sdp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#define FP                                                                                         \
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"   \
    "88:99"

static const char *const ips[] = {"192.0.2.1", "2001:db8::1"};
static const yh_sdp_local_t local = {
    .ice_ufrag = "fuzz",
    .ice_pwd = "fuzzpassword0123456789",
    .fingerprint = FP,
    .ips = ips,
    .n_ips = 2,
    .port = 3478,
    .session_id = 1,
    .flags = YH_SDP_F_RTX | YH_SDP_F_RED,
};

/* Fuzzer-owned scratch, too big for the stack (a harness, not the server). */
static yh_sdp_t sdp, back;
static yh_sdp_pub_t pub;
static yh_sdp_sub_answer_t sub;
static yh_sdp_sub_slot_t slots[YH_SDP_MAX_MEDIA];
static char out[YH_SDP_MAX_SIZE];

static void check_model(const yh_sdp_t *s)
{
    CHECK(s->n_media <= YH_SDP_MAX_MEDIA && s->n_bundle <= YH_SDP_MAX_BUNDLE);
    CHECK(strlen(s->ice_ufrag) <= YH_SDP_UFRAG_MAX);
    for (uint8_t i = 0; i < s->n_media; i++) {
        const yh_sdp_media_t *m = &s->media[i];
        CHECK(m->n_codecs <= YH_SDP_MAX_CODECS && m->n_exts <= YH_SDP_MAX_EXTS);
        CHECK(m->n_ssrcs <= YH_SDP_MAX_SSRCS && m->n_rids <= YH_SDP_MAX_RIDS);
        CHECK(m->n_ssrc_groups <= YH_SDP_MAX_SSRC_GROUPS);
        CHECK(strlen(m->mid) <= YH_SDP_MID_MAX && strlen(m->fingerprint.value) <= YH_SDP_FP_MAX);
        for (uint8_t k = 0; k < m->n_codecs; k++)
            CHECK(strlen(m->codecs[k].fmtp) <= YH_SDP_FMTP_MAX && m->codecs[k].pt <= 127);
    }
}

static void run_publish(void)
{
    char err[256];
    int n = yh_sdp_pub_answer(&sdp, &local, 2, &pub, out, sizeof(out), err, sizeof(err));
    if (n < 0) {
        CHECK(err[0] != '\0');
        return;
    }
    CHECK(strlen(out) == (size_t)n);
    int rc = yh_sdp_parse(out, (size_t)n, &back, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "our answer does not parse: %s\n%s", err, out);
        abort();
    }
    CHECK(back.ice_lite && back.n_media == sdp.n_media);
    /* One codec, plus RTX for video or RED (listed first) for audio. */
    for (uint8_t i = 0; i < back.n_media; i++) {
        const yh_sdp_pub_media_t *pm = &pub.media[i];
        if (!pm->accepted)
            continue;
        CHECK(back.media[i].n_codecs == 1 + (pm->rtx_pt != 0) + (pm->red_pt != 0));
        CHECK(!pm->red_pt || (pm->kind == YH_SDP_KIND_AUDIO && !pm->rtx_pt &&
                              back.media[i].codecs[0].pt == pm->red_pt &&
                              back.media[i].codecs[1].pt == pm->codec.pt));
    }
}

static void run_subscribe(void)
{
    char err[256];
    size_t n = 0;
    for (uint8_t i = 0; i < sdp.n_media; i++) {
        const yh_sdp_media_t *m = &sdp.media[i];
        yh_sdp_sub_slot_t *s = &slots[n++];
        memset(s, 0, sizeof(*s));
        s->kind = m->kind == YH_SDP_KIND_AUDIO ? YH_SDP_KIND_AUDIO : YH_SDP_KIND_VIDEO;
        s->codec = s->kind == YH_SDP_KIND_AUDIO ? YH_SDP_CODEC_OPUS
                   : (i & 1)                    ? YH_SDP_CODEC_H264
                                                : YH_SDP_CODEC_VP8;
        memcpy(s->mid, m->mid, sizeof(s->mid));
        s->active = m->n_ssrcs > 0;
        if (s->active) {
            s->ssrc = m->ssrcs[0].ssrc;
            memcpy(s->cname, m->ssrcs[0].cname, sizeof(s->cname));
            memcpy(s->msid_stream, m->msid_stream, sizeof(s->msid_stream));
            memcpy(s->msid_track, m->msid_track, sizeof(s->msid_track));
        }
    }
    int len = yh_sdp_sub_write_offer(&local, 9, slots, n, out, sizeof(out));
    if (len < 0)
        return; /* bad slots (empty or duplicate mids, no cname, ...) */
    if (yh_sdp_parse(out, (size_t)len, &back, err, sizeof(err)) != 0) {
        fprintf(stderr, "our offer does not parse: %s\n%s", err, out);
        abort();
    }
    CHECK(back.n_media == n && back.n_bundle == n && back.ice_lite);
    /* Our own offer is no valid answer (actpass). */
    CHECK(yh_sdp_sub_check_answer(&back, slots, n, &sub, err, sizeof(err)) < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    err[0] = 'x';
    int rc = yh_sdp_parse((const char *)data, size, &sdp, err, sizeof(err));
    if (rc != 0) {
        CHECK(rc < 0 && err[0] != '\0' && memchr(err, '\0', sizeof(err)));
        return 0;
    }
    check_model(&sdp);
    run_publish();
    (void)yh_sdp_sub_check_answer(&sdp, NULL, 0, &sub, err, sizeof(err));
    run_subscribe();
    return 0;
}
