/*
 * The client's side of the SDP exchange, written as Chrome writes it so the
 * server sees what it sees from browsers: the publish offer (JSEP RFC 8829
 * section 5.2.1: sendonly m-sections, BUNDLE RFC 8843, rtcp-mux RFC 5761,
 * reduced-size RTCP RFC 5506, DTLS actpass RFC 8842 5.2), the check of the
 * server's answer, and the answer to the server's subscriber offers
 * (JSEP 5.3.1: same m-sections in order, recvonly, setup:active).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"

#define OPUS_FMTP "minptime=10;useinbandfec=1"

/* Local values end up verbatim in the text: one printable token each. */
static int token_ok(const char *s, size_t max)
{
    if (!s || !s[0] || strlen(s) > max)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

static int local_ok(const yh_sdp_client_local_t *l)
{
    return l && token_ok(l->ice_ufrag, YH_SDP_UFRAG_MAX) && !strchr(l->ice_ufrag, ':') &&
           token_ok(l->ice_pwd, YH_SDP_PWD_MAX) && token_ok(l->fingerprint, YH_SDP_FP_MAX) &&
           token_ok(l->cname, YH_SDP_CNAME_MAX) && token_ok(l->msid_stream, YH_SDP_MSID_MAX);
}

/* v=, o=, s=, t=, BUNDLE and msid-semantic; no ice-lite: the client is a
 * full agent (RFC 8839 5.3). */
static void write_session(yh_sdp_buf_t *b, const yh_sdp_client_local_t *l, uint64_t version,
                          const char *const *mids, size_t n, const char *wms)
{
    char group[YH_SDP_MAX_BUNDLE * (YH_SDP_MID_MAX + 1) + 1];
    size_t len = 0;
    yh_sdp__line(b, "v=0");
    yh_sdp__line(b, "o=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1", l->session_id, version);
    yh_sdp__line(b, "s=-");
    yh_sdp__line(b, "t=0 0");
    for (size_t i = 0; i < n && i < YH_SDP_MAX_BUNDLE; i++) {
        size_t k = strnlen(mids[i], YH_SDP_MID_MAX);
        group[len++] = ' ';
        memcpy(group + len, mids[i], k);
        len += k;
    }
    group[len] = '\0';
    if (n)
        yh_sdp__line(b, "a=group:BUNDLE%s", group);
    yh_sdp__line(b, "a=msid-semantic: WMS%s%s", wms ? " " : "", wms ? wms : "");
}

/* The transport block every m-section carries; no candidates: the server
 * is ICE-lite and learns our address from our checks (RFC 8445 2.5). */
static void write_transport(yh_sdp_buf_t *b, const yh_sdp_client_local_t *l, const char *setup)
{
    yh_sdp__line(b, "c=IN IP4 0.0.0.0");
    yh_sdp__line(b, "a=rtcp:9 IN IP4 0.0.0.0");
    yh_sdp__line(b, "a=ice-ufrag:%s", l->ice_ufrag);
    yh_sdp__line(b, "a=ice-pwd:%s", l->ice_pwd);
    yh_sdp__line(b, "a=ice-options:trickle");
    yh_sdp__line(b, "a=fingerprint:sha-256 %s", l->fingerprint);
    yh_sdp__line(b, "a=setup:%s", setup);
}

static void write_send(yh_sdp_buf_t *b, const yh_sdp_client_local_t *l,
                       const yh_sdp_client_send_t *s)
{
    int audio = s->kind == YH_SDP_KIND_AUDIO;
    unsigned pt = audio ? YH_SDP_PT_OPUS : YH_SDP_PT_VP8;
    yh_sdp__line(b, "m=%s 9 UDP/TLS/RTP/SAVPF %u", audio ? "audio" : "video", pt);
    write_transport(b, l, "actpass");
    yh_sdp__line(b, "a=mid:%s", s->mid);
    if (audio)
        yh_sdp__line(b, "a=extmap:%d %s", YH_SDP_CLIENT_EXT_AUDIO_LEVEL, YH_SDP_EXT_AUDIO_LEVEL);
    yh_sdp__line(b, "a=extmap:%d %s", YH_SDP_CLIENT_EXT_ABS_SEND_TIME, YH_SDP_EXT_ABS_SEND_TIME);
    yh_sdp__line(b, "a=extmap:%d %s", YH_SDP_CLIENT_EXT_TWCC, YH_SDP_EXT_TWCC);
    yh_sdp__line(b, "a=extmap:%d %s", YH_SDP_CLIENT_EXT_MID, YH_SDP_EXT_MID);
    yh_sdp__line(b, "a=sendonly");
    yh_sdp__line(b, "a=msid:%s %s", l->msid_stream, s->msid_track);
    yh_sdp__line(b, "a=rtcp-mux");
    yh_sdp__line(b, "a=rtcp-rsize");
    if (audio) {
        yh_sdp__line(b, "a=rtpmap:%u opus/48000/2", pt);
        yh_sdp__line(b, "a=rtcp-fb:%u transport-cc", pt);
        yh_sdp__line(b, "a=fmtp:%u %s", pt, OPUS_FMTP);
    } else {
        yh_sdp__line(b, "a=rtpmap:%u VP8/90000", pt);
        yh_sdp__line(b, "a=rtcp-fb:%u goog-remb", pt);
        yh_sdp__line(b, "a=rtcp-fb:%u transport-cc", pt);
        yh_sdp__line(b, "a=rtcp-fb:%u ccm fir", pt);
        yh_sdp__line(b, "a=rtcp-fb:%u nack", pt);
        yh_sdp__line(b, "a=rtcp-fb:%u nack pli", pt);
    }
    /* RFC 5576 section 4.1 / RFC 8830: the stream and its grouping. */
    yh_sdp__line(b, "a=ssrc:%" PRIu32 " cname:%s", s->ssrc, l->cname);
    yh_sdp__line(b, "a=ssrc:%" PRIu32 " msid:%s %s", s->ssrc, l->msid_stream, s->msid_track);
}

static int sends_ok(const yh_sdp_client_send_t *sends, size_t n)
{
    if (!sends || n == 0 || n > YH_SDP_MAX_MEDIA)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const yh_sdp_client_send_t *s = &sends[i];
        if ((s->kind != YH_SDP_KIND_AUDIO && s->kind != YH_SDP_KIND_VIDEO) || !s->ssrc ||
            !token_ok(s->mid, YH_SDP_MID_MAX) || !token_ok(s->msid_track, YH_SDP_MSID_MAX))
            return 0;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(sends[j].mid, s->mid))
                return 0;
    }
    return 1;
}

int yh_sdp_client_write_offer(const yh_sdp_client_local_t *local, uint64_t version,
                              const yh_sdp_client_send_t *sends, size_t n, char *buf, size_t cap)
{
    if (!local_ok(local) || !sends_ok(sends, n))
        return YH_EINVAL;
    const char *mids[YH_SDP_MAX_MEDIA] = {NULL};
    for (size_t i = 0; i < n; i++)
        mids[i] = sends[i].mid;
    yh_sdp_buf_t b;
    yh_sdp__buf_init(&b, buf, cap);
    write_session(&b, local, version, mids, n, local->msid_stream);
    for (size_t i = 0; i < n; i++)
        write_send(&b, local, &sends[i]);
    return yh_sdp__buf_finish(&b);
}

/* The extensions the client uses, by URI. */
static uint8_t *ext_slot(yh_sdp_ext_ids_t *ids, yh_sdp_kind_t kind, const char *uri)
{
    if (!strcmp(uri, YH_SDP_EXT_MID))
        return &ids->mid;
    if (!strcmp(uri, YH_SDP_EXT_TWCC))
        return &ids->twcc;
    if (!strcmp(uri, YH_SDP_EXT_ABS_SEND_TIME))
        return &ids->abs_send_time;
    if (kind == YH_SDP_KIND_AUDIO && !strcmp(uri, YH_SDP_EXT_AUDIO_LEVEL))
        return &ids->audio_level;
    return NULL;
}

static void take_exts(const yh_sdp_media_t *m, yh_sdp_ext_ids_t *ids)
{
    memset(ids, 0, sizeof *ids);
    for (uint8_t i = 0; i < m->n_exts; i++) {
        uint8_t *slot = ext_slot(ids, m->kind, m->exts[i].uri);
        if (slot && !*slot && m->exts[i].id <= 255 && m->exts[i].dir != YH_SDP_DIR_INACTIVE)
            *slot = (uint8_t)m->exts[i].id;
    }
}

/* The transport of an m-section: ICE credentials and a fingerprint. */
static int read_transport(const yh_sdp_media_t *t, yh_sdp_client_remote_t *out, char *err,
                          size_t err_cap)
{
    if (!t->ice_ufrag[0] || !t->ice_pwd[0])
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "no a=ice-ufrag/a=ice-pwd");
    if (strcmp(t->fingerprint.alg, "sha-256"))
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "no sha-256 a=fingerprint");
    strcpy(out->ice_ufrag, t->ice_ufrag);
    strcpy(out->ice_pwd, t->ice_pwd);
    out->fingerprint = t->fingerprint;
    out->setup = t->setup;
    return 0;
}

static int read_media(const yh_sdp_media_t *m, const yh_sdp_client_send_t *s,
                      yh_sdp_client_media_t *cm, unsigned i, char *err, size_t err_cap)
{
    if (strcmp(m->mid, s->mid))
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "answer m-line %u has mid \"%s\", not \"%s\"",
                            i, m->mid, s->mid);
    if (m->kind != s->kind)
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "answer m-line %u is %s", i, m->kind_str);
    strcpy(cm->mid, m->mid);
    cm->kind = m->kind;
    cm->accepted = m->port != 0;
    if (!cm->accepted)
        return 0;
    if (!m->rtcp_mux)
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "answer m-line %u has no rtcp-mux", i);
    if (m->dir != YH_SDP_DIR_RECVONLY)
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "answer m-line %u is %s, not recvonly",
                            i, yh_sdp_dir_str(m->dir));
    if (!m->n_codecs || !m->codecs[0].clock)
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "answer m-line %u has no codec", i);
    /* Only what we offered can come back (JSEP 5.3.1). */
    unsigned want = s->kind == YH_SDP_KIND_AUDIO ? YH_SDP_PT_OPUS : YH_SDP_PT_VP8;
    if (m->codecs[0].pt != want)
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "answer m-line %u chose PT %u", i,
                            (unsigned)m->codecs[0].pt);
    cm->codec = m->codecs[0];
    take_exts(m, &cm->ext);
    return 0;
}

int yh_sdp_client_read_answer(const yh_sdp_t *answer, const yh_sdp_client_send_t *sends, size_t n,
                              yh_sdp_client_remote_t *out, char *err, size_t err_cap)
{
    if (!answer || !out || !sends_ok(sends, n))
        return yh_sdp__fail(err, err_cap, YH_EINVAL, "no answer or offer");
    memset(out, 0, sizeof *out);
    if (answer->n_media != n)
        return yh_sdp__fail(err, err_cap, YH_EPARSE, "answer has %u m-lines, the offer had %zu",
                            (unsigned)answer->n_media, n);
    int first = -1;
    for (size_t i = 0; i < n; i++) {
        int rc =
            read_media(&answer->media[i], &sends[i], &out->media[i], (unsigned)i, err, err_cap);
        if (rc < 0)
            return rc;
        if (first < 0 && out->media[i].accepted)
            first = (int)i;
    }
    out->n_media = (uint8_t)n;
    out->ice_lite = answer->ice_lite;
    if (first < 0)
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "the server accepted no m-line");
    int rc = read_transport(&answer->media[first], out, err, err_cap);
    if (rc < 0)
        return rc;
    /* We offered actpass and only know the DTLS client role (RFC 8842
     * 5.3: the answerer passive makes us active). */
    if (out->setup != YH_SDP_SETUP_PASSIVE)
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "answer a=setup:%s (need passive)",
                            yh_sdp_setup_str(out->setup));
    return 0;
}

/* ---- answering the subscriber offer ---- */

static const yh_sdp_codec_t *known_codec(const yh_sdp_media_t *m)
{
    for (uint8_t i = 0; i < m->n_codecs; i++) {
        const yh_sdp_codec_t *k = &m->codecs[i];
        if (k->fmtp_truncated)
            continue;
        if (m->kind == YH_SDP_KIND_AUDIO && yh_sdp__ieq(k->name, "opus") && k->clock == 48000)
            return k;
        if (m->kind == YH_SDP_KIND_VIDEO && k->clock == 90000 &&
            (yh_sdp__ieq(k->name, "VP8") || yh_sdp__ieq(k->name, "H264")))
            return k;
    }
    return NULL;
}

/* Fills one entry of `out` from an offered m-section. */
static void choose(const yh_sdp_media_t *m, yh_sdp_client_media_t *cm)
{
    const yh_sdp_codec_t *k = known_codec(m);
    strcpy(cm->mid, m->mid);
    cm->kind = m->kind;
    cm->accepted = m->port != 0 && k && m->mid[0] && m->rtcp_mux &&
                   (m->kind == YH_SDP_KIND_AUDIO || m->kind == YH_SDP_KIND_VIDEO);
    if (!cm->accepted)
        return;
    cm->codec = *k;
    cm->receiving = m->dir == YH_SDP_DIR_SENDONLY || m->dir == YH_SDP_DIR_SENDRECV;
    take_exts(m, &cm->ext);
    if (m->n_ssrcs)
        cm->ssrc = m->ssrcs[0].ssrc;
    const char *st = m->msid_stream[0] || !m->n_ssrcs ? m->msid_stream : m->ssrcs[0].msid_stream;
    const char *tr = m->msid_stream[0] || !m->n_ssrcs ? m->msid_track : m->ssrcs[0].msid_track;
    strcpy(cm->msid_stream, st);
    strcpy(cm->msid_track, tr);
}

static void write_fb(yh_sdp_buf_t *b, uint8_t pt, unsigned fb)
{
    static const struct {
        unsigned bit;
        const char *text;
    } tab[] = {{YH_SDP_FB_GOOG_REMB, "goog-remb"},
               {YH_SDP_FB_TRANSPORT_CC, "transport-cc"},
               {YH_SDP_FB_CCM_FIR, "ccm fir"},
               {YH_SDP_FB_NACK, "nack"},
               {YH_SDP_FB_NACK_PLI, "nack pli"}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (fb & tab[i].bit)
            yh_sdp__line(b, "a=rtcp-fb:%u %s", (unsigned)pt, tab[i].text);
}

static void write_recv(yh_sdp_buf_t *b, const yh_sdp_client_local_t *l, const yh_sdp_media_t *m,
                       const yh_sdp_client_media_t *cm)
{
    if (!cm->accepted) {
        /* JSEP 5.3.1: a rejected m-section keeps its mid, port 0. */
        yh_sdp__line(b, "m=%s 0 %s %s", m->kind_str, m->proto, m->fmt0[0] ? m->fmt0 : "0");
        yh_sdp__line(b, "c=IN IP4 0.0.0.0");
        if (m->mid[0])
            yh_sdp__line(b, "a=mid:%s", m->mid);
        return;
    }
    const yh_sdp_codec_t *k = &cm->codec;
    yh_sdp__line(b, "m=%s 9 %s %u", m->kind_str, m->proto, (unsigned)k->pt);
    write_transport(b, l, "active");
    yh_sdp__line(b, "a=mid:%s", m->mid);
    for (uint8_t i = 0; i < m->n_exts; i++) {
        yh_sdp_ext_ids_t ids = cm->ext;
        uint8_t *slot = ext_slot(&ids, m->kind, m->exts[i].uri);
        if (slot && *slot == m->exts[i].id)
            yh_sdp__line(b, "a=extmap:%u %s", (unsigned)m->exts[i].id, m->exts[i].uri);
    }
    yh_sdp__line(b, "a=%s", cm->receiving ? "recvonly" : "inactive");
    yh_sdp__line(b, "a=rtcp-mux");
    if (m->rtcp_rsize)
        yh_sdp__line(b, "a=rtcp-rsize");
    if (k->channels > 1)
        yh_sdp__line(b, "a=rtpmap:%u %s/%u/%u", (unsigned)k->pt, k->name, (unsigned)k->clock,
                     (unsigned)k->channels);
    else
        yh_sdp__line(b, "a=rtpmap:%u %s/%u", (unsigned)k->pt, k->name, (unsigned)k->clock);
    write_fb(b, k->pt, k->fb);
    if (k->fmtp[0])
        yh_sdp__line(b, "a=fmtp:%u %s", (unsigned)k->pt, k->fmtp);
}

/* The offer's transport: credentials, fingerprint, and a setup that lets
 * us be the DTLS client (RFC 8842 5.3: actpass or passive). */
static int offer_transport(const yh_sdp_t *offer, int first, yh_sdp_client_remote_t *out, char *err,
                           size_t err_cap)
{
    int rc = read_transport(&offer->media[first], out, err, err_cap);
    if (rc < 0)
        return rc;
    if (out->setup != YH_SDP_SETUP_ACTPASS && out->setup != YH_SDP_SETUP_PASSIVE)
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "offer a=setup:%s (need actpass)",
                            yh_sdp_setup_str(out->setup));
    out->ice_lite = offer->ice_lite;
    return 0;
}

int yh_sdp_client_write_answer(const yh_sdp_t *offer, const yh_sdp_client_local_t *local,
                               uint64_t version, yh_sdp_client_remote_t *out, char *buf, size_t cap,
                               char *err, size_t err_cap)
{
    if (!offer || !out || !local_ok(local))
        return yh_sdp__fail(err, err_cap, YH_EINVAL, "no offer or bad local values");
    memset(out, 0, sizeof *out);
    const char *mids[YH_SDP_MAX_MEDIA] = {NULL};
    size_t n_acc = 0;
    int first = -1;
    for (uint8_t i = 0; i < offer->n_media; i++) {
        choose(&offer->media[i], &out->media[i]);
        if (!out->media[i].accepted)
            continue;
        if (first < 0)
            first = i;
        mids[n_acc++] = out->media[i].mid;
    }
    out->n_media = offer->n_media;
    if (first < 0)
        return yh_sdp__fail(err, err_cap, YH_EUNSUPPORTED, "offer has no usable m-line");
    int rc = offer_transport(offer, first, out, err, err_cap);
    if (rc < 0)
        return rc;
    yh_sdp_buf_t b;
    yh_sdp__buf_init(&b, buf, cap);
    write_session(&b, local, version, mids, n_acc, NULL);
    for (uint8_t i = 0; i < offer->n_media; i++)
        write_recv(&b, local, &offer->media[i], &out->media[i]);
    rc = yh_sdp__buf_finish(&b);
    if (rc < 0)
        return yh_sdp__fail(err, err_cap, rc, "answer does not fit in %zu bytes", cap);
    return rc;
}
