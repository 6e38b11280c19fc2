/*
 * Subscriber side: the server is the offerer (JSEP RFC 8829 section 5.2)
 * on the connection that carries media to a client. One m-section per
 * received track, in a stable order; a slot whose track is gone stays, with
 * its mid, as a=inactive, so m-sections are reused and never removed
 * (RFC 8829 section 5.2.2 forbids reordering or removing them anyway).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"

static const struct {
    const char *name;
    uint8_t pt;
    uint8_t rtx_pt; /* RFC 4588 retransmission format, 0: none */
    uint32_t clock;
    uint8_t channels;
    const char *fmtp; /* default */
    yh_sdp_kind_t kind;
} codecs[] = {
    [YH_SDP_CODEC_OPUS] = {"opus", YH_SDP_PT_OPUS, 0, 48000, 2, "minptime=10;useinbandfec=1",
                           YH_SDP_KIND_AUDIO},
    [YH_SDP_CODEC_VP8] = {"VP8", YH_SDP_PT_VP8, YH_SDP_PT_VP8_RTX, 90000, 0, "",
                          YH_SDP_KIND_VIDEO},
    [YH_SDP_CODEC_H264] = {"H264", YH_SDP_PT_H264, YH_SDP_PT_H264_RTX, 90000, 0,
                           "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
                           YH_SDP_KIND_VIDEO},
};

/* RTX is offered on a video slot that has an RTX SSRC. */
static int with_rtx(const yh_sdp_sub_slot_t *s)
{
    return s->rtx_ssrc && codecs[s->codec].rtx_pt;
}

/* RED (RFC 2198) is offered after Opus: a receiver decodes every format
 * it accepted, and a client that knows only Opus (yunhui-term) answers
 * with the first one it knows. */
static int with_red(const yh_sdp_local_t *local, const yh_sdp_sub_slot_t *s)
{
    return (local->flags & YH_SDP_F_RED) && s->codec == YH_SDP_CODEC_OPUS;
}

/* Slot strings land verbatim in the text: one token each, printable. */
static int word_ok(const char *s, size_t cap, int allow_space)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < ' ' || ch >= 0x7f || (ch == ' ' && !allow_space))
            return 0;
    }
    return 1;
}

static int check_slot(const yh_sdp_sub_slot_t *s, const yh_sdp_sub_slot_t *slots, size_t idx)
{
    if ((unsigned)s->codec >= sizeof(codecs) / sizeof(codecs[0]) ||
        codecs[s->codec].kind != s->kind)
        return YH_EINVAL;
    if (!s->mid[0] || !word_ok(s->mid, sizeof(s->mid), 0) || !word_ok(s->fmtp, sizeof(s->fmtp), 0))
        return YH_EINVAL;
    for (size_t j = 0; j < idx; j++)
        if (!strncmp(slots[j].mid, s->mid, sizeof(s->mid)))
            return YH_EINVAL;
    if (!s->active)
        return 0;
    if (s->ssrc == 0 || !s->cname[0] || !s->msid_track[0] ||
        !word_ok(s->cname, sizeof(s->cname), 0) ||
        !word_ok(s->msid_stream, sizeof(s->msid_stream), 0) ||
        !word_ok(s->msid_track, sizeof(s->msid_track), 0))
        return YH_EINVAL;
    return 0;
}

static void write_exts(yh_sdp_buf_t *b, yh_sdp_kind_t kind)
{
    if (kind == YH_SDP_KIND_AUDIO)
        yh_sdp__line(b, "a=extmap:%d %s", YH_SDP_SUB_EXT_AUDIO_LEVEL, YH_SDP_EXT_AUDIO_LEVEL);
    yh_sdp__line(b, "a=extmap:%d %s", YH_SDP_SUB_EXT_ABS_SEND_TIME, YH_SDP_EXT_ABS_SEND_TIME);
    yh_sdp__line(b, "a=extmap:%d %s", YH_SDP_SUB_EXT_TWCC, YH_SDP_EXT_TWCC);
    yh_sdp__line(b, "a=extmap:%d %s", YH_SDP_SUB_EXT_MID, YH_SDP_EXT_MID);
    if (kind == YH_SDP_KIND_VIDEO)
        yh_sdp__line(b, "a=extmap:%d %s", YH_SDP_SUB_EXT_PLAYOUT_DELAY, YH_SDP_EXT_PLAYOUT_DELAY);
}

static void write_codec(yh_sdp_buf_t *b, const yh_sdp_local_t *local, const yh_sdp_sub_slot_t *s)
{
    unsigned pt = codecs[s->codec].pt;
    if (codecs[s->codec].channels)
        yh_sdp__line(b, "a=rtpmap:%u %s/%u/%u", pt, codecs[s->codec].name,
                     (unsigned)codecs[s->codec].clock, (unsigned)codecs[s->codec].channels);
    else
        yh_sdp__line(b, "a=rtpmap:%u %s/%u", pt, codecs[s->codec].name,
                     (unsigned)codecs[s->codec].clock);
    if (s->kind == YH_SDP_KIND_VIDEO) {
        yh_sdp__line(b, "a=rtcp-fb:%u transport-cc", pt);
        yh_sdp__line(b, "a=rtcp-fb:%u ccm fir", pt);
        yh_sdp__line(b, "a=rtcp-fb:%u nack", pt);
        yh_sdp__line(b, "a=rtcp-fb:%u nack pli", pt);
    } else {
        yh_sdp__line(b, "a=rtcp-fb:%u transport-cc", pt);
    }
    const char *fmtp = s->fmtp[0] ? s->fmtp : codecs[s->codec].fmtp;
    if (fmtp[0])
        yh_sdp__line(b, "a=fmtp:%u %s", pt, fmtp);
    if (with_rtx(s)) {
        /* RFC 4588 section 8.6: rtx/clock with apt naming the original. */
        unsigned rtx = codecs[s->codec].rtx_pt;
        yh_sdp__line(b, "a=rtpmap:%u rtx/%u", rtx, (unsigned)codecs[s->codec].clock);
        yh_sdp__line(b, "a=fmtp:%u apt=%u", rtx, pt);
    }
    if (with_red(local, s)) {
        /* RFC 2198 section 5: the primary's format, then the redundant one. */
        yh_sdp__line(b, "a=rtpmap:%u red/48000/2", (unsigned)YH_SDP_PT_RED);
        yh_sdp__line(b, "a=fmtp:%u %u/%u", (unsigned)YH_SDP_PT_RED, pt, pt);
    }
}

static void write_slot(yh_sdp_buf_t *b, const yh_sdp_local_t *local, const yh_sdp_sub_slot_t *s)
{
    const char *stream = s->msid_stream[0] ? s->msid_stream : "-";
    if (with_rtx(s) || with_red(local, s))
        yh_sdp__line(b, "m=%s %u UDP/TLS/RTP/SAVPF %u %u", yh_sdp_kind_str(s->kind),
                     (unsigned)local->port, (unsigned)codecs[s->codec].pt,
                     (unsigned)(with_rtx(s) ? codecs[s->codec].rtx_pt : YH_SDP_PT_RED));
    else
        yh_sdp__line(b, "m=%s %u UDP/TLS/RTP/SAVPF %u", yh_sdp_kind_str(s->kind),
                     (unsigned)local->port, (unsigned)codecs[s->codec].pt);
    yh_sdp__write_conn(b, local);
    /* RFC 8842 section 5.2: the offerer says actpass. */
    yh_sdp__write_transport(b, local, YH_SDP_SETUP_ACTPASS);
    yh_sdp__line(b, "a=mid:%s", s->mid);
    write_exts(b, s->kind);
    yh_sdp__line(b, "a=%s", s->active ? "sendonly" : "inactive");
    if (s->active)
        yh_sdp__line(b, "a=msid:%s %s", stream, s->msid_track);
    yh_sdp__line(b, "a=rtcp-mux");
    yh_sdp__line(b, "a=rtcp-rsize");
    write_codec(b, local, s);
    if (s->active) {
        /* RFC 5576 section 4.2: FID pairs the original with its RTX. */
        if (with_rtx(s))
            yh_sdp__line(b, "a=ssrc-group:FID %u %u", (unsigned)s->ssrc, (unsigned)s->rtx_ssrc);
        yh_sdp__line(b, "a=ssrc:%u cname:%s", (unsigned)s->ssrc, s->cname);
        yh_sdp__line(b, "a=ssrc:%u msid:%s %s", (unsigned)s->ssrc, stream, s->msid_track);
        if (with_rtx(s)) {
            yh_sdp__line(b, "a=ssrc:%u cname:%s", (unsigned)s->rtx_ssrc, s->cname);
            yh_sdp__line(b, "a=ssrc:%u msid:%s %s", (unsigned)s->rtx_ssrc, stream, s->msid_track);
        }
    }
    yh_sdp__write_candidates(b, local);
}

int yh_sdp_sub_write_offer(const yh_sdp_local_t *local, uint64_t version,
                           const yh_sdp_sub_slot_t *slots, size_t n_slots, char *buf, size_t cap)
{
    if (yh_sdp__check_local(local, NULL, 0) != 0 || !slots || n_slots == 0 ||
        n_slots > YH_SDP_MAX_MEDIA)
        return YH_EINVAL;
    const char *mids[YH_SDP_MAX_MEDIA];
    for (size_t i = 0; i < n_slots; i++) {
        if (check_slot(&slots[i], slots, i) != 0)
            return YH_EINVAL;
        mids[i] = slots[i].mid;
    }
    yh_sdp_buf_t b;
    yh_sdp__buf_init(&b, buf, cap);
    yh_sdp__write_session(&b, local, version, mids, n_slots);
    for (size_t i = 0; i < n_slots; i++)
        write_slot(&b, local, &slots[i]);
    return yh_sdp__buf_finish(&b);
}

/* The answer's transport from its first accepted m-section (with BUNDLE
 * the tag, RFC 8843 section 7.3.1); the DTLS roles follow RFC 8842 5.3. */
static int answer_transport(const yh_sdp_media_t *t, yh_sdp_sub_answer_t *out, char *err,
                            size_t err_cap)
{
    if (!t->ice_ufrag[0] || !t->ice_pwd[0])
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "answer has no a=ice-ufrag/a=ice-pwd");
    if (!t->fingerprint.alg[0])
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "answer has no a=fingerprint");
    if (strcmp(t->fingerprint.alg, "sha-256") && strcmp(t->fingerprint.alg, "sha-384") &&
        strcmp(t->fingerprint.alg, "sha-512") && strcmp(t->fingerprint.alg, "sha-1"))
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "fingerprint hash %s not supported",
                            t->fingerprint.alg);
    if (t->setup == YH_SDP_SETUP_ACTIVE)
        out->local_setup = YH_SDP_SETUP_PASSIVE;
    else if (t->setup == YH_SDP_SETUP_PASSIVE)
        out->local_setup = YH_SDP_SETUP_ACTIVE;
    else
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "answer a=setup:%s (need active or passive)",
                            yh_sdp_setup_str(t->setup));
    strcpy(out->remote_ufrag, t->ice_ufrag);
    strcpy(out->remote_pwd, t->ice_pwd);
    out->remote_fingerprint = t->fingerprint;
    out->remote_setup = t->setup;
    return 0;
}

static int in_group(const yh_sdp_t *sdp, const char *mid)
{
    for (uint8_t i = 0; i < sdp->n_bundle; i++)
        if (!strcmp(sdp->bundle[i], mid))
            return 1;
    return 0;
}

/* Whether the answer kept the offered RTX format with its apt (RFC 4588
 * section 8.6): only then may retransmissions use the RTX SSRC. */
static int answers_rtx(const yh_sdp_media_t *m, const yh_sdp_sub_slot_t *s)
{
    for (uint8_t c = 0; c < m->n_codecs; c++)
        if (m->codecs[c].pt == codecs[s->codec].rtx_pt && !strcasecmp(m->codecs[c].name, "rtx") &&
            m->codecs[c].apt == codecs[s->codec].pt)
            return 1;
    return 0;
}

/* Whether the answer kept the offered RED format for Opus: only then
 * may packets go out with redundancy. */
static int answers_red(const yh_sdp_media_t *m, const yh_sdp_sub_slot_t *s)
{
    if (s->codec != YH_SDP_CODEC_OPUS)
        return 0;
    const yh_sdp_codec_t *k = yh_sdp_find_codec(m, YH_SDP_PT_RED);
    return k && !strcasecmp(k->name, "red") && k->clock == 48000;
}

/* Per m-section checks; returns the first accepted index or an error. */
static int answer_media(const yh_sdp_t *a, const yh_sdp_sub_slot_t *slots, size_t n_slots,
                        yh_sdp_sub_answer_t *out, char *err, size_t err_cap)
{
    int first = -1;
    if (slots && a->n_media != n_slots)
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "answer has %u m-lines, the offer had %zu",
                            (unsigned)a->n_media, n_slots);
    for (uint8_t i = 0; i < a->n_media; i++) {
        const yh_sdp_media_t *m = &a->media[i];
        if (slots && strncmp(m->mid, slots[i].mid, sizeof(m->mid)))
            return yh_sdp__fail(err, err_cap, YH_EPARSE,
                                "answer m-line %u has mid \"%s\", offer \"%s\"", (unsigned)i,
                                m->mid, slots[i].mid);
        strcpy(out->media[i].mid, m->mid);
        out->media[i].dir = m->dir;
        out->media[i].accepted = m->port != 0;
        out->media[i].rtx = slots && with_rtx(&slots[i]) && answers_rtx(m, &slots[i]);
        out->media[i].red = slots && answers_red(m, &slots[i]);
        if (!out->media[i].accepted)
            continue;
        if (!m->rtcp_mux)
            return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "answer m-line %u has no a=rtcp-mux",
                                (unsigned)i);
        /* We offered one BUNDLE group; an accepted m-section outside it
         * would need its own transport, which the server does not have. */
        if (a->has_bundle ? !in_group(a, m->mid) : first >= 0)
            return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "answer m-line %u is not BUNDLEd",
                                (unsigned)i);
        if (first < 0)
            first = i;
    }
    out->n_media = a->n_media;
    if (first < 0)
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "answer accepts no m-line");
    return first;
}

int yh_sdp_sub_check_answer(const yh_sdp_t *answer, const yh_sdp_sub_slot_t *slots, size_t n_slots,
                            yh_sdp_sub_answer_t *out, char *err, size_t err_cap)
{
    if (!answer || !out)
        return yh_sdp__fail(err, err_cap, YH_EINVAL, "no answer");
    memset(out, 0, sizeof(*out));
    int first = answer_media(answer, slots, n_slots, out, err, err_cap);
    if (first < 0)
        return first;
    return answer_transport(&answer->media[first], out, err, err_cap);
}
