/*
 * The subscriber connection, which the server owns (PROTOCOL.md
 * "Subscribing"): one m-section per received track, offers written from
 * the participant's slots, at most one offer outstanding, changes folded
 * into the next offer once the answer is in.
 */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/rand.h"
#include "signal/signal_int.h"

#define SDP_ERR 160

static uint8_t slot_pt(yh_media_codec_t c)
{
    return c == YH_CODEC_OPUS ? YH_SDP_PT_OPUS : c == YH_CODEC_VP8 ? YH_SDP_PT_VP8 : YH_SDP_PT_H264;
}

static uint8_t slot_rtx_pt(yh_media_codec_t c)
{
    return c == YH_CODEC_VP8 ? YH_SDP_PT_VP8_RTX : c == YH_CODEC_H264 ? YH_SDP_PT_H264_RTX : 0;
}

static yh_sdp_codec_id_t slot_codec(yh_media_codec_t c)
{
    return c == YH_CODEC_OPUS  ? YH_SDP_CODEC_OPUS
           : c == YH_CODEC_VP8 ? YH_SDP_CODEC_VP8
                               : YH_SDP_CODEC_H264;
}

/* Fills s->slots from p's wanted state, or from what its last offer said
 * (`offered`: the slots that offer had, a prefix since slots are only ever
 * appended). Returns the number of slots. */
static size_t build_slots(yh_signal_t *s, const yh_participant_t *p, int offered)
{
    size_t n = 0;
    while (n < p->n_slots && (!offered || p->slots[n].offered))
        n++;
    for (size_t i = 0; i < n; i++) {
        const yh_meeting_slot_t *sl = &p->slots[i];
        yh_sdp_sub_slot_t *o = &s->slots[i];
        memset(o, 0, sizeof *o);
        o->kind = sl->kind == YH_KIND_AUDIO ? YH_SDP_KIND_AUDIO : YH_SDP_KIND_VIDEO;
        snprintf(o->mid, sizeof o->mid, "%s", sl->mid);
        o->codec = slot_codec(sl->codec);
        uint32_t track = offered ? sl->offered_track : sl->track;
        o->active = offered ? sl->offered_active : sl->active;
        if (!o->active)
            continue;
        o->ssrc = offered ? sl->offered_ssrc : sl->ssrc;
        if (o->kind == YH_SDP_KIND_VIDEO)
            o->rtx_ssrc = YH_MEETING_RTX_SSRC(o->ssrc);
        /* Stream id and CNAME name the publisher, so that a client can
         * group one participant's audio and video (RFC 8830, RFC 7022). */
        snprintf(o->cname, sizeof o->cname, "p%u", (unsigned)sl->publisher);
        snprintf(o->msid_stream, sizeof o->msid_stream, "p%u", (unsigned)sl->publisher);
        snprintf(o->msid_track, sizeof o->msid_track, "t%u", (unsigned)track);
        const yh_meeting_track_t *t = yh_meeting_track_find(p->meeting, track);
        if (t)
            snprintf(o->fmtp, sizeof o->fmtp, "%s", t->fmtp);
    }
    return n;
}

static json_t *offer_tracks(const yh_participant_t *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < p->n_slots; i++) {
        const yh_meeting_slot_t *sl = &p->slots[i];
        if (!sl->active)
            continue;
        char tid[16];
        snprintf(tid, sizeof tid, "t%u", (unsigned)sl->track);
        json_array_append_new(arr, json_pack("{s:s, s:s}", "mid", sl->mid, "track", tid));
    }
    return arr;
}

static void send_offer(yh_signal_t *s, yh_participant_t *p)
{
    yh_meeting_slots_plan(p);
    /* A restart needs an offer even when no track changed. */
    if (!yh_meeting_slots_changed(p) && p->sub_restart != 1)
        return;
    size_t n = build_slots(s, p, 0);
    if (n == 0 || yh_sig_sub_offering(p) < 0)
        return;
    yh_sdp_local_t local;
    yh_sig_local_params(s, p->sub_ufrag, p->sub_pwd, p->sub_session, &local);
    int len =
        yh_sdp_sub_write_offer(&local, p->sub_version + 1, s->slots, n, s->buf, YH_SIGNAL_SDP_BUF);
    if (len < 0) {
        YH_LOGE("signal", "%s: cannot write subscriber offer: %s", p->id, yh_strerror(len));
        return;
    }
    p->sub_version++;
    json_t *msg =
        json_pack("{s:s, s:s, s:o}", "type", "offer", "sdp", s->buf, "tracks", offer_tracks(p));
    yh_sig_send(yh_sig_conn_of(p), msg);
    yh_meeting_slots_mark_offered(p);
    p->offer_outstanding = 1;
    yh_sig_sub_offered(s, p);
}

void yh_sig_media_flush(yh_signal_t *s, yh_meeting_t *m)
{
    if (!m)
        return;
    for (yh_participant_t *p = m->head; p; p = p->next) {
        if (!p->conn || !p->sub_dirty || p->offer_outstanding)
            continue;
        p->sub_dirty = 0;
        send_offer(s, p);
    }
}

static int sub_transport_create(yh_signal_t *s, yh_participant_t *p, const yh_sdp_sub_answer_t *a)
{
    yh_sfu_transport_params_t tp;
    if (yh_sig_transport_params(s, p, 0, a->remote_ufrag, &a->remote_fingerprint, &tp) < 0)
        return YH_EUNSUPPORTED;
    /* The server offered actpass; an "active" answer leaves it the DTLS
     * server (RFC 5763 section 5). */
    tp.dtls_role = a->local_setup == YH_SDP_SETUP_ACTIVE ? YH_DTLS_CLIENT : YH_DTLS_SERVER;
    tp.ext.mid = YH_SDP_SUB_EXT_MID;
    tp.ext.abs_send_time = YH_SDP_SUB_EXT_ABS_SEND_TIME;
    tp.ext.twcc = YH_SDP_SUB_EXT_TWCC;
    tp.ext.audio_level = YH_SDP_SUB_EXT_AUDIO_LEVEL;
    tp.ext.playout_delay = YH_SDP_SUB_EXT_PLAYOUT_DELAY;
    if (s->sfu) {
        int rc = yh_sfu_transport_add(s->sfu, &tp);
        if (rc < 0)
            return rc;
    }
    p->sub_transport = tp.id;
    return 0;
}

static void subscribe_slots(yh_signal_t *s, yh_participant_t *p, const yh_sdp_sub_answer_t *a,
                            size_t n)
{
    for (size_t i = 0; i < n; i++) {
        yh_meeting_slot_t *sl = &p->slots[i];
        /* Only what this answer answers: the slot still shows the offered
         * track (it may have left meanwhile) and the client accepted it. */
        if (!sl->offered_active || sl->sub_id || !sl->track || sl->track != sl->offered_track)
            continue;
        if (i >= a->n_media || !a->media[i].accepted)
            continue;
        yh_sfu_sub_params_t sp = {
            .id = yh_meetings_next_id(&s->reg),
            .transport = p->sub_transport,
            .track = sl->track,
            .ssrc = sl->offered_ssrc,
            .pt = slot_pt(sl->codec),
        };
        if (a->media[i].rtx) {
            sp.rtx_ssrc = YH_MEETING_RTX_SSRC(sl->offered_ssrc);
            sp.rtx_pt = slot_rtx_pt(sl->codec);
        }
        if (a->media[i].red)
            sp.red_pt = YH_SDP_PT_RED;
        if (s->sfu) {
            int rc = yh_sfu_subscribe(s->sfu, &sp);
            if (rc < 0) {
                YH_LOGW("signal", "%s: subscribe to t%u: %s", p->id, (unsigned)sl->track,
                        yh_strerror(rc));
                continue;
            }
        }
        sl->sub_id = sp.id;
    }
}

int yh_sig_media_answer(yh_signal_t *s, yh_participant_t *p, const yh_sig_req_t *r,
                        yh_sig_err_t *err)
{
    char why[SDP_ERR] = "";
    err->code = "bad-request";
    if (!p->offer_outstanding) {
        snprintf(err->message, sizeof err->message, "no subscriber offer is outstanding");
        return YH_ESTATE;
    }
    int rc = yh_sdp_parse(r->u.answer.sdp, r->u.answer.sdp_len, s->sdp, why, sizeof why);
    if (rc < 0) {
        snprintf(err->message, sizeof err->message, "bad SDP: %s", why);
        return rc;
    }
    size_t n = build_slots(s, p, 1);
    rc = yh_sdp_sub_check_answer(s->sdp, s->slots, n, s->sub_answer, why, sizeof why);
    if (rc < 0) {
        snprintf(err->message, sizeof err->message, "answer does not fit the offer: %s", why);
        return rc;
    }
    p->offer_outstanding = 0;
    yh_sig_sub_answered(s, p, s->sub_answer);
    if (!p->sub_transport && (rc = sub_transport_create(s, p, s->sub_answer)) < 0) {
        err->code = "internal";
        snprintf(err->message, sizeof err->message, "media plane: %s", yh_strerror(rc));
        return rc;
    }
    subscribe_slots(s, p, s->sub_answer, n);
    return 0;
}

static void forget_subscriber(yh_signal_t *s, yh_participant_t *p)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        yh_sig_sfu_unsubscribe(s, p->slots[i].sub_id);
        p->slots[i].sub_id = 0;
    }
    yh_sig_sfu_transport_remove(s, p->sub_transport);
    p->sub_transport = 0;
}

void yh_sig_media_release(yh_signal_t *s, yh_participant_t *p)
{
    forget_subscriber(s, p);
    yh_sig_media_stop_all(s, p, 0);
    yh_sig_sfu_transport_remove(s, p->pub_transport);
    p->pub_transport = 0;
}

void yh_sig_media_transport_lost(yh_signal_t *s, uint32_t transport, const char *reason)
{
    int publisher = 0;
    yh_participant_t *p = yh_meetings_find_transport(&s->reg, transport, &publisher);
    if (!p)
        return;
    YH_LOGI("signal", "%s: %s transport %u lost: %s", p->id, publisher ? "publisher" : "subscriber",
            (unsigned)transport, reason ? reason : "");
    if (publisher) {
        yh_sig_media_stop_all(s, p, 1);
        yh_sig_sfu_transport_remove(s, p->pub_transport);
        p->pub_transport = 0;
        /* The client publishes again on a new connection: new credentials
         * for the new transport. */
        yh_rand_ice_chars(p->pub_ufrag, YH_MEETING_ICE_UFRAG_LEN);
        yh_rand_ice_chars(p->pub_pwd, YH_MEETING_ICE_PWD_LEN);
        char msg[YH_SIG_ERR_MAX];
        snprintf(msg, sizeof msg, "publishing connection lost: %s", reason ? reason : "failed");
        yh_sig_send_error(yh_sig_conn_of(p), NULL, "media-failed", msg);
    } else {
        forget_subscriber(s, p);
        /* The next answer creates the transport again and restores every
         * subscription of the slots it answers. With no offer outstanding,
         * send one now. */
        if (!p->offer_outstanding) {
            for (size_t i = 0; i < p->n_slots; i++)
                p->slots[i].offered = 0;
            p->sub_dirty = 1;
        }
    }
    yh_sig_media_flush(s, p->meeting);
}
