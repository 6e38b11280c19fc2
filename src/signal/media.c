/*
 * The media side of signaling: a publisher's offer becomes an answer, a
 * transport and tracks in the media plane; the other participants' slots
 * become subscriber offers, and their answers become subscriptions
 * (PROTOCOL.md "Media: two peer connections per client").
 *
 * With no sfu attached every media-plane command is skipped and the rest
 * of the state is kept the same, which is what tests and the fuzzer use.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/rand.h"
#include "signal/signal_int.h"

#define SDP_ERR 160

/* ---- media-plane commands ---------------------------------------------- */

void yh_sig_sfu_unsubscribe(yh_signal_t *s, uint32_t sub)
{
    if (s->sfu && sub) {
        int rc = yh_sfu_unsubscribe(s->sfu, sub);
        if (rc < 0)
            YH_LOGW("signal", "unsubscribe %u: %s", (unsigned)sub, yh_strerror(rc));
    }
}

void yh_sig_sfu_transport_remove(yh_signal_t *s, uint32_t id)
{
    if (s->sfu && id) {
        int rc = yh_sfu_transport_remove(s->sfu, id);
        if (rc < 0)
            YH_LOGW("signal", "transport %u remove: %s", (unsigned)id, yh_strerror(rc));
    }
}

static void sfu_track_remove(yh_signal_t *s, uint32_t id)
{
    if (s->sfu) {
        int rc = yh_sfu_track_remove(s->sfu, id);
        if (rc < 0)
            YH_LOGW("signal", "track %u remove: %s", (unsigned)id, yh_strerror(rc));
    }
}

int yh_sig_media_set_muted(yh_signal_t *s, yh_meeting_track_t *t, int muted)
{
    t->muted = (uint8_t)(muted != 0);
    return s->sfu ? yh_sfu_track_set_muted(s->sfu, t->num, muted) : 0;
}

void yh_sig_local_params(yh_signal_t *s, const char *ufrag, const char *pwd, uint64_t session,
                         yh_sdp_local_t *l)
{
    memset(l, 0, sizeof *l);
    l->ice_ufrag = ufrag;
    l->ice_pwd = pwd;
    l->fingerprint = s->fingerprint;
    l->ips = s->ip_ptrs;
    l->n_ips = s->n_ips;
    l->port = s->media_port;
    l->answer_setup = YH_SDP_SETUP_PASSIVE;
    l->session_id = session;
    l->flags = YH_SDP_F_RTX | YH_SDP_F_RED;
}

int yh_sig_transport_params(yh_signal_t *s, yh_participant_t *p, int publisher,
                            const char *remote_ufrag, const yh_sdp_fingerprint_t *fp,
                            yh_sfu_transport_params_t *tp)
{
    memset(tp, 0, sizeof *tp);
    tp->id = yh_meetings_next_id(&s->reg);
    tp->room = p->meeting->room;
    tp->publisher = publisher;
    snprintf(tp->local_ufrag, sizeof tp->local_ufrag, "%s", publisher ? p->pub_ufrag : p->sub_ufrag);
    snprintf(tp->local_pwd, sizeof tp->local_pwd, "%s", publisher ? p->pub_pwd : p->sub_pwd);
    if (yh_sig_copy(tp->remote_ufrag, sizeof tp->remote_ufrag, remote_ufrag) < 0 ||
        yh_sig_copy(tp->remote_fp_alg, sizeof tp->remote_fp_alg, fp->alg) < 0 ||
        yh_sig_copy(tp->remote_fp, sizeof tp->remote_fp, fp->value) < 0)
        return YH_EUNSUPPORTED;
    return 0;
}

/* ---- participant flags ---------------------------------------------------- */

/* audioMuted/videoMuted follow the microphone and camera tracks: muted when
 * there is none or it is muted. Broadcasts participant-updated on change. */
void yh_sig_refresh_flags(yh_participant_t *p)
{
    uint8_t audio = 1, video = 1;
    for (yh_meeting_track_t *t = p->tracks; t; t = t->next) {
        if (t->source == YH_SOURCE_MICROPHONE && !t->muted)
            audio = 0;
        if (t->source == YH_SOURCE_CAMERA && !t->muted)
            video = 0;
    }
    if (audio == p->audio_muted && video == p->video_muted)
        return;
    p->audio_muted = audio;
    p->video_muted = video;
    yh_sig_participant_updated(p);
}

/* ---- publishing ------------------------------------------------------------ */

static void merge_ext(yh_sfu_ext_ids_t *dst, const yh_sdp_ext_ids_t *src)
{
    if (!dst->mid)
        dst->mid = src->mid;
    if (!dst->abs_send_time)
        dst->abs_send_time = src->abs_send_time;
    if (!dst->twcc)
        dst->twcc = src->twcc;
    if (!dst->audio_level)
        dst->audio_level = src->audio_level;
    if (!dst->rid)
        dst->rid = src->rid;
    if (!dst->repaired_rid)
        dst->repaired_rid = src->repaired_rid;
}

static int media_usable(const yh_sdp_pub_media_t *pm)
{
    return pm->accepted &&
           (pm->offer_dir == YH_SDP_DIR_SENDONLY || pm->offer_dir == YH_SDP_DIR_SENDRECV) &&
           (pm->kind == YH_SDP_KIND_AUDIO || pm->kind == YH_SDP_KIND_VIDEO);
}

static int pub_transport_create(yh_signal_t *s, yh_participant_t *p, const yh_sdp_pub_t *pub)
{
    yh_sfu_transport_params_t tp;
    if (yh_sig_transport_params(s, p, 1, pub->remote_ufrag, &pub->remote_fingerprint, &tp) < 0)
        return YH_EUNSUPPORTED;
    /* RFC 5763 section 5: the answerer's "passive" makes it the DTLS server. */
    tp.dtls_role = pub->local_setup == YH_SDP_SETUP_ACTIVE ? YH_DTLS_CLIENT : YH_DTLS_SERVER;
    for (unsigned i = 0; i < pub->n_media; i++) {
        const yh_sdp_pub_media_t *pm = &pub->media[i];
        if (!media_usable(pm))
            continue;
        merge_ext(&tp.ext, &pm->ext);
        if (pm->ext.twcc && (pm->codec.fb & YH_SDP_FB_TRANSPORT_CC))
            tp.twcc_feedback = 1;
    }
    if (s->sfu) {
        int rc = yh_sfu_transport_add(s->sfu, &tp);
        if (rc < 0)
            return rc;
    }
    p->pub_transport = tp.id;
    return 0;
}

static int codec_of(const char *name, yh_media_codec_t *out)
{
    static const struct {
        const char *name;
        yh_media_codec_t codec;
    } codecs[] = {{"opus", YH_CODEC_OPUS}, {"VP8", YH_CODEC_VP8}, {"H264", YH_CODEC_H264}};
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        if (strcasecmp(name, codecs[i].name) == 0) {
            *out = codecs[i].codec;
            return 0;
        }
    }
    return YH_EUNSUPPORTED;
}

static yh_sfu_codec_t sfu_codec(yh_media_codec_t c)
{
    return c == YH_CODEC_OPUS  ? YH_SFU_CODEC_OPUS
           : c == YH_CODEC_VP8 ? YH_SFU_CODEC_VP8
                               : YH_SFU_CODEC_H264;
}

/* The source a publish request gives a mid, or the default. */
static yh_source_t declared_source(const yh_sig_req_t *r, const yh_sdp_pub_media_t *pm)
{
    for (size_t i = 0; i < r->u.publish.n_tracks; i++) {
        const yh_sig_pub_track_t *pt = &r->u.publish.tracks[i];
        if (pt->has_source && strcmp(pt->mid, pm->mid) == 0)
            return pt->source;
    }
    return pm->kind == YH_SDP_KIND_AUDIO ? YH_SOURCE_MICROPHONE : YH_SOURCE_CAMERA;
}

static void track_fill(yh_meeting_track_t *t, const yh_sdp_pub_media_t *pm, yh_media_codec_t c,
                       const yh_sig_req_t *r)
{
    t->kind = pm->kind == YH_SDP_KIND_AUDIO ? YH_KIND_AUDIO : YH_KIND_VIDEO;
    t->source = declared_source(r, pm);
    snprintf(t->mid, sizeof t->mid, "%s", pm->mid);
    t->ssrc = pm->ssrc;
    t->pt = pm->codec.pt;
    t->codec = c;
    t->clock_rate = pm->codec.clock;
    snprintf(t->fmtp, sizeof t->fmtp, "%s", pm->codec.fmtp_truncated ? "" : pm->codec.fmtp);
    t->n_layers = 0;
    for (unsigned i = 0; i < pm->n_rids && t->n_layers < YH_MEETING_MAX_LAYERS; i++)
        snprintf(t->layers[t->n_layers++], sizeof t->layers[0], "%s", pm->rids[i]);
}

/* One new track from an accepted m-section; events go out at once. */
static int track_start(yh_signal_t *s, yh_participant_t *p, const yh_sdp_pub_media_t *pm,
                       const yh_sig_req_t *r)
{
    yh_media_codec_t codec;
    if (codec_of(pm->codec.name, &codec) < 0)
        return 0; /* the SDP module only accepts ours; ignore anything else */
    yh_meeting_track_t *t = NULL;
    int rc = yh_meeting_track_add(&s->reg, p, &t);
    if (rc < 0)
        return rc;
    track_fill(t, pm, codec, r);
    /* A source a host muted starts muted (mute-all, muteOnEntry). */
    if (p->host_muted & YH_SOURCE_BIT(t->source)) {
        t->self_muted = 1;
        t->by_host = 1;
    }
    t->muted = (uint8_t)yh_sig_track_blocked(t);
    if (s->sfu) {
        yh_sfu_track_params_t tp;
        memset(&tp, 0, sizeof tp);
        tp.id = t->num;
        tp.transport = p->pub_transport;
        tp.kind = t->kind == YH_KIND_AUDIO ? YH_SFU_AUDIO : YH_SFU_VIDEO;
        snprintf(tp.mid, sizeof tp.mid, "%s", t->mid);
        tp.ssrc = t->ssrc;
        tp.pt = t->pt;
        tp.rtx_ssrc = pm->rtx_ssrc;
        tp.rtx_pt = pm->rtx_pt;
        tp.red_pt = pm->red_pt;
        tp.codec = sfu_codec(codec);
        tp.clock_rate = t->clock_rate;
        tp.screen = t->source == YH_SOURCE_SCREEN;
        /* Simulcast layers in the offer's rid order, lowest first (q, h, f). */
        tp.n_layers = t->n_layers;
        for (unsigned l = 0; l < t->n_layers && l < YH_SFU_MAX_LAYERS; l++)
            snprintf(tp.rids[l], sizeof tp.rids[l], "%s", t->layers[l]);
        rc = yh_sfu_track_add(s->sfu, &tp);
        if (rc == 0 && t->muted && (rc = yh_sfu_track_set_muted(s->sfu, t->num, 1)) < 0)
            yh_sfu_track_remove(s->sfu, t->num);
        if (rc < 0) {
            yh_meeting_track_remove(p, t);
            return rc;
        }
    }
    yh_sig_media_priorities(s, p->meeting);
    yh_sig_broadcast(p->meeting, p, yh_sig_event("track-published", "track", yh_sig_track_json(t)));
    for (yh_participant_t *q = p->meeting->head; q; q = q->next)
        if (q != p)
            q->sub_dirty = 1;
    return 0;
}

static void track_stop(yh_signal_t *s, yh_participant_t *p, yh_meeting_track_t *t, int refresh)
{
    for (yh_participant_t *q = p->meeting->head; q; q = q->next) {
        if (q == p)
            continue;
        /* Unsubscribe at once: the track's media stops now, the offer that
         * shows its slot inactive may have to wait for an answer. */
        uint32_t sub = yh_meeting_slots_drop(q, t->num);
        yh_sig_sfu_unsubscribe(s, sub);
        q->sub_dirty = 1;
    }
    sfu_track_remove(s, t->num);
    yh_sig_broadcast(p->meeting, p, yh_sig_event("track-unpublished", "id", json_string(t->id)));
    yh_meeting_track_remove(p, t);
    if (refresh)
        yh_sig_refresh_flags(p);
}

void yh_sig_media_track_stop(yh_signal_t *s, yh_participant_t *p, yh_meeting_track_t *t)
{
    track_stop(s, p, t, 1);
}

void yh_sig_media_stop_all(yh_signal_t *s, yh_participant_t *p, int refresh)
{
    while (p->tracks)
        track_stop(s, p, p->tracks, 0);
    if (refresh)
        yh_sig_refresh_flags(p);
}

/* Tracks whose m-section is gone, rejected or no longer sending. */
static void stop_missing(yh_signal_t *s, yh_participant_t *p, const yh_sdp_pub_t *pub)
{
    yh_meeting_track_t *t = p->tracks;
    while (t) {
        yh_meeting_track_t *next = t->next;
        int keep = 0;
        for (unsigned i = 0; i < pub->n_media && !keep; i++)
            keep = strcmp(pub->media[i].mid, t->mid) == 0 && media_usable(&pub->media[i]);
        if (!keep)
            yh_sig_media_track_stop(s, p, t);
        t = next;
    }
}

/* One screen share per meeting: a new screen video track is refused while
 * someone else's (or another of one's own) is on. */
static int screen_busy(const yh_participant_t *p, const yh_sdp_pub_t *pub, const yh_sig_req_t *r)
{
    for (unsigned i = 0; i < pub->n_media; i++) {
        const yh_sdp_pub_media_t *pm = &pub->media[i];
        if (!media_usable(pm) || pm->kind != YH_SDP_KIND_VIDEO ||
            declared_source(r, pm) != YH_SOURCE_SCREEN || yh_meeting_track_by_mid(p, pm->mid))
            continue;
        for (const yh_participant_t *q = p->meeting->head; q; q = q->next)
            for (const yh_meeting_track_t *t = q->tracks; t; t = t->next)
                if (t->kind == YH_KIND_VIDEO && t->source == YH_SOURCE_SCREEN)
                    return 1;
    }
    return 0;
}

/* The answer to the parsed offer in s->sdp with our `ufrag`/`pwd`. */
static int pub_answer(yh_signal_t *s, yh_participant_t *p, const char *ufrag, const char *pwd,
                      yh_sig_err_t *err)
{
    char why[SDP_ERR] = "";
    yh_sdp_local_t local;
    yh_sig_local_params(s, ufrag, pwd, p->pub_session, &local);
    int rc = yh_sdp_pub_answer(s->sdp, &local, p->pub_version + 1, s->pub, s->buf,
                               YH_SIGNAL_SDP_BUF, why, sizeof why);
    if (rc < 0) {
        if (rc == YH_ENOSPACE)
            snprintf(why, sizeof why, "answer too large");
        snprintf(err->message, sizeof err->message, "unsupported SDP: %s", why);
    }
    return rc;
}

int yh_sig_media_publish(yh_signal_t *s, yh_participant_t *p, const yh_sig_req_t *r, json_t **reply,
                         yh_sig_err_t *err)
{
    char why[SDP_ERR] = "";
    err->code = "bad-request";
    int rc = yh_sdp_parse(r->u.publish.sdp, r->u.publish.sdp_len, s->sdp, why, sizeof why);
    if (rc < 0) {
        snprintf(err->message, sizeof err->message, "bad SDP: %s", why);
        return rc;
    }
    char ufrag[YH_MEETING_ICE_UFRAG_LEN + 1], pwd[YH_MEETING_ICE_PWD_LEN + 1];
    memcpy(ufrag, p->pub_ufrag, sizeof ufrag);
    memcpy(pwd, p->pub_pwd, sizeof pwd);
    if ((rc = pub_answer(s, p, ufrag, pwd, err)) < 0)
        return rc;
    /* An ICE restart is answered with new credentials of ours as well
     * (RFC 8839 section 4.4.1.1.2). */
    if (yh_sig_pub_is_restart(p, s->pub) &&
        ((rc = yh_sig_ice_credentials(ufrag, pwd)) < 0 ||
         (rc = pub_answer(s, p, ufrag, pwd, err)) < 0))
        return rc;
    if (screen_busy(p, s->pub, r)) {
        err->code = "busy";
        snprintf(err->message, sizeof err->message, "someone else is sharing a screen");
        return YH_EEXISTS;
    }
    p->pub_version++;
    yh_sig_pub_accepted(s, p, s->pub, ufrag, pwd);
    if (!p->pub_transport && (rc = pub_transport_create(s, p, s->pub)) < 0) {
        err->code = "internal";
        snprintf(err->message, sizeof err->message, "media plane: %s", yh_strerror(rc));
        return rc;
    }
    stop_missing(s, p, s->pub);
    for (unsigned i = 0; i < s->pub->n_media; i++) {
        const yh_sdp_pub_media_t *pm = &s->pub->media[i];
        if (!media_usable(pm) || yh_meeting_track_by_mid(p, pm->mid))
            continue;
        if ((rc = track_start(s, p, pm, r)) < 0)
            YH_LOGW("signal", "%s: track mid %s: %s", p->id, pm->mid, yh_strerror(rc));
    }
    yh_sig_refresh_flags(p);
    *reply = json_pack("{s:s, s:s}", "type", "answer", "sdp", s->buf);
    return 0;
}

int yh_sig_media_unpublish(yh_signal_t *s, yh_participant_t *p, const char *mid, yh_sig_err_t *err)
{
    yh_meeting_track_t *t = yh_meeting_track_by_mid(p, mid);
    if (!t) {
        err->code = "bad-request";
        snprintf(err->message, sizeof err->message, "no published track with mid '%.32s'", mid);
        return YH_ENOTFOUND;
    }
    yh_sig_media_track_stop(s, p, t);
    return 0;
}

void yh_sig_media_priorities(yh_signal_t *s, yh_meeting_t *m)
{
    uint32_t first = m->spotlight ? m->spotlight : m->speaker.top;
    for (yh_participant_t *q = m->head; q; q = q->next) {
        for (yh_meeting_track_t *t = q->tracks; t; t = t->next) {
            uint8_t want = t->kind == YH_KIND_VIDEO && t->source == YH_SOURCE_CAMERA &&
                           q->num == first;
            if (want == t->priority)
                continue;
            t->priority = want;
            if (s->sfu)
                yh_sfu_track_set_priority(s->sfu, t->num, want);
        }
    }
}
