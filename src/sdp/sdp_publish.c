/*
 * Publisher negotiation: the client offers what it sends, the server
 * answers what it receives (JSEP RFC 8829 section 5.3). Every accepted
 * m-section shares one ICE/DTLS transport (BUNDLE, RFC 8843) with rtcp-mux
 * (RFC 5761); a rejected one gets port 0 and keeps its mid, and stays out of
 * the BUNDLE group (RFC 8843 section 7.3.3, JSEP section 5.3.1).
 */
#include <stdio.h>
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"

#define OPUS_ANSWER_FMTP "minptime=10;useinbandfec=1"
#define VIDEO_FB                                                                                   \
    (YH_SDP_FB_NACK | YH_SDP_FB_NACK_PLI | YH_SDP_FB_CCM_FIR | YH_SDP_FB_GOOG_REMB |               \
     YH_SDP_FB_TRANSPORT_CC)

/* Where the id of an offered extension goes, NULL when the server does not
 * take it for this kind of media. */
static uint8_t *ext_slot(yh_sdp_ext_ids_t *ids, yh_sdp_kind_t kind, const char *uri)
{
    int video = kind == YH_SDP_KIND_VIDEO;
    if (!strcmp(uri, YH_SDP_EXT_MID))
        return &ids->mid;
    if (!strcmp(uri, YH_SDP_EXT_TWCC))
        return &ids->twcc;
    if (!strcmp(uri, YH_SDP_EXT_ABS_SEND_TIME))
        return &ids->abs_send_time;
    if (!video && !strcmp(uri, YH_SDP_EXT_AUDIO_LEVEL))
        return &ids->audio_level;
    if (video && !strcmp(uri, YH_SDP_EXT_RID))
        return &ids->rid;
    if (video && !strcmp(uri, YH_SDP_EXT_REPAIRED_RID))
        return &ids->repaired_rid;
    return NULL;
}

/* Extensions the client sends: "sendrecv" or "sendonly" from its side. */
static int ext_taken(const yh_sdp_ext_t *e)
{
    return e->id <= 255 && (e->dir == YH_SDP_DIR_SENDRECV || e->dir == YH_SDP_DIR_SENDONLY);
}

static void choose_exts(const yh_sdp_media_t *m, yh_sdp_pub_media_t *pm)
{
    for (uint8_t i = 0; i < m->n_exts; i++) {
        uint8_t *slot = ext_slot(&pm->ext, m->kind, m->exts[i].uri);
        if (slot && !*slot && ext_taken(&m->exts[i]))
            *slot = (uint8_t)m->exts[i].id;
    }
}

static const yh_sdp_codec_t *choose_audio(const yh_sdp_media_t *m)
{
    for (uint8_t i = 0; i < m->n_codecs; i++) {
        const yh_sdp_codec_t *k = &m->codecs[i];
        if (yh_sdp__ieq(k->name, "opus") && k->clock == 48000 && k->channels == 2 &&
            !k->fmtp_truncated)
            return k;
    }
    return NULL;
}

/* VP8 first; else H.264 packetization-mode=1, Constrained Baseline before
 * plain Baseline (what every browser decodes), each in offer order. */
static const yh_sdp_codec_t *choose_video(const yh_sdp_media_t *m)
{
    const yh_sdp_codec_t *h264[3] = {NULL, NULL, NULL};
    for (uint8_t i = 0; i < m->n_codecs; i++) {
        const yh_sdp_codec_t *k = &m->codecs[i];
        if (k->clock != 90000 || k->fmtp_truncated)
            continue;
        if (yh_sdp__ieq(k->name, "VP8"))
            return k;
        if (yh_sdp__ieq(k->name, "H264")) {
            int match = yh_sdp_h264_match(k->fmtp);
            if (!h264[match])
                h264[match] = k;
        }
    }
    return h264[2] ? h264[2] : h264[1];
}

/* The offer's sending streams: every ssrc that is not the second (repair)
 * member of a FID group, with its FID partner (RFC 5576 section 4.2). */
static void collect_streams(const yh_sdp_media_t *m, yh_sdp_pub_media_t *pm)
{
    for (uint8_t i = 0; i < m->n_ssrcs; i++) {
        uint32_t s = m->ssrcs[i].ssrc, rtx = 0;
        int repair = 0;
        for (uint8_t g = 0; g < m->n_ssrc_groups; g++) {
            const yh_sdp_ssrc_group_t *grp = &m->ssrc_groups[g];
            if (strcmp(grp->semantics, "FID") || grp->n_ssrcs < 2)
                continue;
            if (grp->ssrcs[1] == s)
                repair = 1;
            if (grp->ssrcs[0] == s)
                rtx = grp->ssrcs[1];
        }
        if (repair)
            continue;
        pm->streams[pm->n_streams].ssrc = s;
        pm->streams[pm->n_streams].rtx_ssrc = rtx;
        pm->n_streams++;
    }
    if (pm->n_streams) {
        pm->ssrc = pm->streams[0].ssrc;
        pm->rtx_ssrc = pm->streams[0].rtx_ssrc;
    }
}

/* Simulcast (RFC 8853): the send streams named by a=simulcast that an
 * a=rid:<id> send line defines. */
static void collect_rids(const yh_sdp_media_t *m, yh_sdp_pub_media_t *pm)
{
    if (m->kind != YH_SDP_KIND_VIDEO || !m->simulcast.present)
        return;
    for (uint8_t i = 0; i < m->simulcast.n_send; i++) {
        for (uint8_t j = 0; j < m->n_rids; j++) {
            if (m->rids[j].dir == YH_SDP_DIR_SENDONLY &&
                !strcmp(m->rids[j].id, m->simulcast.send[i])) {
                strcpy(pm->rids[pm->n_rids++], m->rids[j].id);
                break;
            }
        }
    }
}

static void identity(const yh_sdp_media_t *m, yh_sdp_pub_media_t *pm)
{
    const yh_sdp_ssrc_t *s = m->n_ssrcs ? &m->ssrcs[0] : NULL;
    if (s)
        strcpy(pm->cname, s->cname);
    if (m->msid_stream[0]) {
        strcpy(pm->msid_stream, m->msid_stream);
        strcpy(pm->msid_track, m->msid_track);
    } else if (s) {
        strcpy(pm->msid_stream, s->msid_stream);
        strcpy(pm->msid_track, s->msid_track);
    }
}

/* Decides one m-section; on rejection writes why into `why`. */
static int decide(const yh_sdp_media_t *m, yh_sdp_pub_media_t *pm, char *why, size_t cap)
{
    strcpy(pm->mid, m->mid);
    pm->kind = m->kind;
    pm->offer_dir = m->dir;
    if (m->port == 0 && !m->bundle_only)
        return yh_sdp__fail(why, cap, YH_EUNSUPPORTED, "m-line has port 0");
    if (m->kind != YH_SDP_KIND_AUDIO && m->kind != YH_SDP_KIND_VIDEO)
        return yh_sdp__fail(why, cap, YH_EUNSUPPORTED, "%s is not audio or video", m->kind_str);
    if (!m->mid[0])
        return yh_sdp__fail(why, cap, YH_EUNSUPPORTED, "no a=mid");
    if (strcmp(m->proto, "UDP/TLS/RTP/SAVPF") && strcmp(m->proto, "UDP/TLS/RTP/SAVP"))
        return yh_sdp__fail(why, cap, YH_EUNSUPPORTED, "proto %s", m->proto);
    const yh_sdp_codec_t *k = m->kind == YH_SDP_KIND_AUDIO ? choose_audio(m) : choose_video(m);
    if (!k)
        return yh_sdp__fail(why, cap, YH_EUNSUPPORTED, "%s",
                            m->kind == YH_SDP_KIND_AUDIO
                                ? "no opus/48000/2"
                                : "no VP8 nor H264 packetization-mode=1 baseline");
    pm->codec = *k;
    if (m->kind == YH_SDP_KIND_AUDIO) {
        pm->codec.fb = k->fb & YH_SDP_FB_TRANSPORT_CC;
        strcpy(pm->codec.fmtp, OPUS_ANSWER_FMTP);
    } else {
        pm->codec.fb = k->fb & VIDEO_FB;
    }
    pm->codec.apt = -1;
    pm->rtcp_rsize = m->rtcp_rsize;
    choose_exts(m, pm);
    collect_streams(m, pm);
    collect_rids(m, pm);
    identity(m, pm);
    pm->accepted = 1;
    pm->receiving = m->dir == YH_SDP_DIR_SENDONLY || m->dir == YH_SDP_DIR_SENDRECV;
    return 0;
}

static int in_bundle(const yh_sdp_t *offer, const char *mid)
{
    for (uint8_t i = 0; i < offer->n_bundle; i++)
        if (!strcmp(offer->bundle[i], mid))
            return 1;
    return 0;
}

/* Decides every m-section; returns the index of the first accepted one (the
 * transport's), or YH_EUNSUPPORTED with every reason in `err`. */
static int decide_all(const yh_sdp_t *offer, yh_sdp_pub_t *out, char *err, size_t err_cap)
{
    int first = -1;
    size_t used = 0;
    if (err && err_cap)
        err[0] = '\0';
    for (uint8_t i = 0; i < offer->n_media; i++) {
        const yh_sdp_media_t *m = &offer->media[i];
        yh_sdp_pub_media_t *pm = &out->media[i];
        char why[160];
        int rc = decide(m, pm, why, sizeof(why));
        /* One transport: without a BUNDLE group only the first m-section
         * can be taken; with one, only its members. */
        if (rc == 0 && offer->has_bundle && !in_bundle(offer, m->mid))
            rc = yh_sdp__fail(why, sizeof(why), YH_EUNSUPPORTED, "not in the BUNDLE group");
        else if (rc == 0 && !offer->has_bundle && first >= 0)
            rc = yh_sdp__fail(why, sizeof(why), YH_EUNSUPPORTED, "no BUNDLE group in the offer");
        if (rc != 0) {
            pm->accepted = pm->receiving = 0;
            if (err && used + 1 < err_cap) {
                int n = snprintf(err + used, err_cap - used, "%sm-line %u: %s",
                                 used ? "; " : "nothing acceptable: ", (unsigned)i, why);
                used += n > 0 ? (size_t)n : 0;
                if (used >= err_cap)
                    used = err_cap - 1;
            }
        } else if (first < 0) {
            first = i;
        }
    }
    out->n_media = offer->n_media;
    if (first < 0)
        return offer->n_media ? YH_EUNSUPPORTED
                              : yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "offer has no m-lines");
    if (err && err_cap)
        err[0] = '\0';
    return first;
}

/* RFC 4588: take the offer's rtx payload type associated with the chosen
 * video codec, so the client retransmits and probes on its own stream. */
static void choose_rtx(const yh_sdp_t *offer, yh_sdp_pub_t *out)
{
    for (uint8_t i = 0; i < out->n_media; i++) {
        yh_sdp_pub_media_t *pm = &out->media[i];
        if (!pm->accepted || pm->kind != YH_SDP_KIND_VIDEO)
            continue;
        const yh_sdp_media_t *m = &offer->media[i];
        for (uint8_t c = 0; c < m->n_codecs; c++) {
            const yh_sdp_codec_t *k = &m->codecs[c];
            if (!strcasecmp(k->name, "rtx") && k->clock == 90000 && k->apt == pm->codec.pt) {
                pm->rtx_pt = k->pt;
                break;
            }
        }
    }
}

/* An fmtp of RFC 2198 section 5 ("111/111": the primary's payload type,
 * then one per redundant generation) that names only `pt`. */
static int red_fmtp_only(const char *f, uint8_t pt)
{
    for (;;) {
        unsigned v = 0, digits = 0;
        while (*f >= '0' && *f <= '9' && digits < 3) {
            v = v * 10 + (unsigned)(*f++ - '0');
            digits++;
        }
        if (!digits || v != pt)
            return 0;
        if (*f == '\0')
            return 1;
        if (*f++ != '/')
            return 0;
    }
}

/* RFC 2198: take the offer's red/48000/2 carrying the chosen Opus, so the
 * client repeats each frame in the next packet. The server forwards the
 * blocks as they are, so redundancy of any other codec is left out. */
static void choose_red(const yh_sdp_t *offer, yh_sdp_pub_t *out)
{
    for (uint8_t i = 0; i < out->n_media; i++) {
        yh_sdp_pub_media_t *pm = &out->media[i];
        if (!pm->accepted || pm->kind != YH_SDP_KIND_AUDIO)
            continue;
        const yh_sdp_media_t *m = &offer->media[i];
        for (uint8_t c = 0; c < m->n_codecs; c++) {
            const yh_sdp_codec_t *k = &m->codecs[c];
            if (yh_sdp__ieq(k->name, "red") && k->clock == 48000 && k->channels == 2 &&
                !k->fmtp_truncated && k->pt != pm->codec.pt &&
                red_fmtp_only(k->fmtp, pm->codec.pt)) {
                pm->red_pt = k->pt;
                break;
            }
        }
    }
}

static int valid_sha256(const char *v)
{
    /* 32 hex pairs joined by ':' (RFC 8122 section 5). */
    if (strlen(v) != 95)
        return 0;
    for (int i = 0; i < 95; i++) {
        char ch = v[i];
        int hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
        if (i % 3 == 2 ? ch != ':' : !hex)
            return 0;
    }
    return 1;
}

/* The offer's transport, from the first accepted m-section (the BUNDLE
 * tag's, RFC 8843 section 7.2), plus rtcp-mux on every accepted one. */
static int check_transport(const yh_sdp_t *offer, const yh_sdp_local_t *local, int first,
                           yh_sdp_pub_t *out, char *err, size_t err_cap)
{
    const yh_sdp_media_t *t = &offer->media[first];
    if (!t->ice_ufrag[0] || !t->ice_pwd[0])
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "offer has no a=ice-ufrag/a=ice-pwd");
    if (!t->fingerprint.alg[0])
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "offer has no a=fingerprint");
    if (strcmp(t->fingerprint.alg, "sha-256"))
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED,
                            "offer has no sha-256 fingerprint (only %s)", t->fingerprint.alg);
    if (!valid_sha256(t->fingerprint.value))
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "malformed sha-256 fingerprint");
    /* RFC 5763 section 5: the offerer says actpass (or active); passive
     * and holdconn would leave nobody to start the handshake with us. */
    if (t->setup == YH_SDP_SETUP_NONE)
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "offer has no a=setup");
    if (t->setup != YH_SDP_SETUP_ACTPASS && t->setup != YH_SDP_SETUP_ACTIVE)
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED,
                            "a=setup:%s in the offer (need actpass or active)",
                            yh_sdp_setup_str(t->setup));
    for (uint8_t i = 0; i < offer->n_media; i++)
        if (out->media[i].accepted && !offer->media[i].rtcp_mux)
            return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED,
                                "m-line %u (mid %s) has no a=rtcp-mux", (unsigned)i,
                                offer->media[i].mid);
    strcpy(out->remote_ufrag, t->ice_ufrag);
    strcpy(out->remote_pwd, t->ice_pwd);
    out->remote_fingerprint = t->fingerprint;
    out->remote_setup = t->setup;
    out->local_setup =
        t->setup == YH_SDP_SETUP_ACTPASS && local->answer_setup == YH_SDP_SETUP_ACTIVE
            ? YH_SDP_SETUP_ACTIVE
            : YH_SDP_SETUP_PASSIVE;
    return 0;
}

static void write_fb(yh_sdp_buf_t *b, uint8_t pt, unsigned fb)
{
    /* Chrome's order, so diffs against its own answers stay small. */
    static const struct {
        unsigned bit;
        const char *text;
    } tab[] = {{YH_SDP_FB_GOOG_REMB, "goog-remb"},
               {YH_SDP_FB_TRANSPORT_CC, "transport-cc"},
               {YH_SDP_FB_CCM_FIR, "ccm fir"},
               {YH_SDP_FB_NACK, "nack"},
               {YH_SDP_FB_NACK_PLI, "nack pli"}};
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (fb & tab[i].bit)
            yh_sdp__line(b, "a=rtcp-fb:%u %s", (unsigned)pt, tab[i].text);
}

static void write_exts(yh_sdp_buf_t *b, const yh_sdp_media_t *m, const yh_sdp_pub_media_t *pm)
{
    yh_sdp_ext_ids_t ids = pm->ext;
    for (uint8_t i = 0; i < m->n_exts; i++) {
        const yh_sdp_ext_t *e = &m->exts[i];
        uint8_t *slot = ext_slot(&ids, m->kind, e->uri);
        if (!slot || *slot != e->id || !ext_taken(e))
            continue;
        *slot = 0; /* once per URI */
        /* RFC 8285 section 7: a "sendonly" offer is answered "recvonly". */
        yh_sdp__line(b, "a=extmap:%u%s %s", (unsigned)e->id,
                     e->dir == YH_SDP_DIR_SENDONLY ? "/recvonly" : "", e->uri);
    }
}

/* Where a publisher's send-side estimate starts (libwebrtc reads
 * x-google-start-bitrate from the answer's video fmtp; other browsers
 * ignore it). libwebrtc's own start is 300 kbps, and it gets past that
 * quickly only when its first probe succeeds; when the probe failed on a
 * busy machine (no probe burst reached the server) the estimate grew
 * about 8 % a second, and a camera's top simulcast layer came 32 s after
 * the join. From 1 Mbps the three layers of a 540p camera start at
 * once. On a slower uplink the first feedback shows a queue, and the
 * delay-based estimate comes down from there (not measured here). */
#define PUB_START_KBPS 1000

static void write_codec(yh_sdp_buf_t *b, const yh_sdp_codec_t *k, int video)
{
    if (k->channels > 1)
        yh_sdp__line(b, "a=rtpmap:%u %s/%u/%u", (unsigned)k->pt, k->name, (unsigned)k->clock,
                     (unsigned)k->channels);
    else
        yh_sdp__line(b, "a=rtpmap:%u %s/%u", (unsigned)k->pt, k->name, (unsigned)k->clock);
    write_fb(b, k->pt, k->fb);
    if (video)
        yh_sdp__line(b, "a=fmtp:%u %s%sx-google-start-bitrate=%u", (unsigned)k->pt, k->fmtp,
                     k->fmtp[0] ? ";" : "", PUB_START_KBPS);
    else if (k->fmtp[0])
        yh_sdp__line(b, "a=fmtp:%u %s", (unsigned)k->pt, k->fmtp);
}

static void write_media(yh_sdp_buf_t *b, const yh_sdp_media_t *m, const yh_sdp_pub_media_t *pm,
                        const yh_sdp_local_t *local, yh_sdp_setup_t setup)
{
    if (!pm->accepted) {
        yh_sdp__line(b, "m=%s 0 %s %s", m->kind_str, m->proto, m->fmt0);
        yh_sdp__line(b, "c=IN IP4 0.0.0.0");
        if (m->mid[0])
            yh_sdp__line(b, "a=mid:%s", m->mid);
        return;
    }
    /* RED goes first: libwebrtc sends it only when it precedes the codec
     * it carries (WebRtcVoiceSendChannel::SetSendCodecs). */
    if (pm->red_pt)
        yh_sdp__line(b, "m=%s %u %s %u %u", m->kind_str, (unsigned)local->port, m->proto,
                     (unsigned)pm->red_pt, (unsigned)pm->codec.pt);
    else if (pm->rtx_pt)
        yh_sdp__line(b, "m=%s %u %s %u %u", m->kind_str, (unsigned)local->port, m->proto,
                     (unsigned)pm->codec.pt, (unsigned)pm->rtx_pt);
    else
        yh_sdp__line(b, "m=%s %u %s %u", m->kind_str, (unsigned)local->port, m->proto,
                     (unsigned)pm->codec.pt);
    yh_sdp__write_conn(b, local);
    yh_sdp__write_transport(b, local, setup);
    yh_sdp__line(b, "a=mid:%s", m->mid);
    write_exts(b, m, pm);
    yh_sdp__line(b, "a=%s", pm->receiving ? "recvonly" : "inactive");
    yh_sdp__line(b, "a=rtcp-mux");
    if (pm->rtcp_rsize)
        yh_sdp__line(b, "a=rtcp-rsize");
    if (pm->red_pt) {
        /* The offer's own fmtp, already checked to name only the Opus PT. */
        const yh_sdp_codec_t *red = yh_sdp_find_codec(m, pm->red_pt);
        yh_sdp__line(b, "a=rtpmap:%u red/48000/2", (unsigned)pm->red_pt);
        if (red)
            yh_sdp__line(b, "a=fmtp:%u %s", (unsigned)pm->red_pt, red->fmtp);
    }
    write_codec(b, &pm->codec, m->kind == YH_SDP_KIND_VIDEO);
    if (pm->rtx_pt) {
        yh_sdp__line(b, "a=rtpmap:%u rtx/90000", (unsigned)pm->rtx_pt);
        yh_sdp__line(b, "a=fmtp:%u apt=%u", (unsigned)pm->rtx_pt, (unsigned)pm->codec.pt);
    }
    for (uint8_t i = 0; i < pm->n_rids; i++)
        yh_sdp__line(b, "a=rid:%s recv", pm->rids[i]);
    if (pm->n_rids) {
        char list[YH_SDP_MAX_RIDS * (YH_SDP_RID_MAX + 1) + 1] = "";
        for (uint8_t i = 0; i < pm->n_rids; i++) {
            if (i)
                strcat(list, ";");
            strcat(list, pm->rids[i]);
        }
        yh_sdp__line(b, "a=simulcast:recv %s", list);
    }
    yh_sdp__write_candidates(b, local);
}

static int write_answer(const yh_sdp_t *offer, const yh_sdp_local_t *local, uint64_t version,
                        const yh_sdp_pub_t *pub, char *buf, size_t cap)
{
    const char *mids[YH_SDP_MAX_MEDIA];
    size_t n = 0;
    for (uint8_t i = 0; i < pub->n_media; i++)
        if (pub->media[i].accepted && offer->has_bundle)
            mids[n++] = pub->media[i].mid;
    yh_sdp_buf_t b;
    yh_sdp__buf_init(&b, buf, cap);
    yh_sdp__write_session(&b, local, version, mids, n);
    for (uint8_t i = 0; i < pub->n_media; i++)
        write_media(&b, &offer->media[i], &pub->media[i], local, pub->local_setup);
    return yh_sdp__buf_finish(&b);
}

int yh_sdp_pub_answer(const yh_sdp_t *offer, const yh_sdp_local_t *local, uint64_t version,
                      yh_sdp_pub_t *out, char *buf, size_t cap, char *err, size_t err_cap)
{
    if (!offer || !out)
        return yh_sdp__fail(err, err_cap, YH_EINVAL, "no offer");
    int rc = yh_sdp__check_local(local, err, err_cap);
    if (rc != 0)
        return rc;
    memset(out, 0, sizeof(*out));
    int first = decide_all(offer, out, err, err_cap);
    if (first < 0)
        return first;
    rc = check_transport(offer, local, first, out, err, err_cap);
    if (rc != 0)
        return rc;
    if (local->flags & YH_SDP_F_RTX)
        choose_rtx(offer, out);
    if (local->flags & YH_SDP_F_RED)
        choose_red(offer, out);
    rc = write_answer(offer, local, version, out, buf, cap);
    if (rc < 0)
        return yh_sdp__fail(err, err_cap, rc, "answer does not fit in %zu bytes", cap);
    return rc;
}
