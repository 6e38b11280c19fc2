/*
 * One participant: backend events in, peer connections and streams out.
 * A fatal problem (refused join, ICE/DTLS failure, lost signaling) is
 * recorded once with its class and message; the session then leaves and
 * reports `done` with it.
 */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"

#define LEAVE_TIMEOUT_US 2000000u

typedef struct track_info {
    char id[YH_SDP_MSID_MAX + 1];
    char participant[YH_SDP_MSID_MAX + 1];
    yt_media_kind_t kind;
} track_info_t;

struct yt_session {
    yt_session_config_t cfg;
    yt_session_listener_t l;
    yt_backend_t *b;
    yt_peer_t *pub, *sub;
    char self[48];
    int joined, leaving, done, published;
    uint64_t leave_us;
    yt_err_class_t cls;
    char msg[512];
    track_info_t *tracks;
    size_t n_tracks, cap_tracks;
    yt_stream_t **streams;
    size_t n_streams, cap_streams;
    char *sdp; /* YT_SDP_CAP scratch for our offers and answers, while used */
};

static void fail(yt_session_t *s, yt_err_class_t cls, const char *msg)
{
    /* Once we leave, the server tears our connections down: not an error. */
    if (s->cls == YT_ERR_NONE && !s->leaving) {
        s->cls = cls;
        snprintf(s->msg, sizeof s->msg, "%s", msg);
    }
    yt_session_leave(s);
}

static void finish(yt_session_t *s)
{
    if (s->done)
        return;
    s->done = 1;
    if (s->l.done)
        s->l.done(s->l.ctx, s, s->cls, s->cls ? s->msg : "");
}

/* ---- tracks and streams ---- */

static const track_info_t *track_find(const yt_session_t *s, const char *id)
{
    for (size_t i = 0; i < s->n_tracks; i++)
        if (!strcmp(s->tracks[i].id, id))
            return &s->tracks[i];
    return NULL;
}

static void ev_track(void *ctx, const char *track, const char *participant, yt_media_kind_t kind)
{
    yt_session_t *s = ctx;
    if (track_find(s, track))
        return;
    if (s->n_tracks == s->cap_tracks) {
        size_t cap = s->cap_tracks ? 2 * s->cap_tracks : 8;
        track_info_t *t = realloc(s->tracks, cap * sizeof *t);
        if (!t)
            return;
        s->tracks = t;
        s->cap_tracks = cap;
    }
    track_info_t *t = &s->tracks[s->n_tracks++];
    snprintf(t->id, sizeof t->id, "%s", track);
    snprintf(t->participant, sizeof t->participant, "%s", participant);
    t->kind = kind;
    /* A stream may have started before we knew whose it is. */
    for (size_t i = 0; i < s->n_streams; i++)
        if (!strcmp(s->streams[i]->track, track) && !s->streams[i]->participant[0])
            snprintf(s->streams[i]->participant, sizeof s->streams[i]->participant, "%s",
                     participant);
}

static yt_stream_t *stream_new(yt_session_t *s, const yt_rx_stream_t *rx)
{
    if (s->n_streams == s->cap_streams) {
        size_t cap = s->cap_streams ? 2 * s->cap_streams : 8;
        yt_stream_t **v = realloc(s->streams, cap * sizeof *v);
        if (!v)
            return NULL;
        s->streams = v;
        s->cap_streams = cap;
    }
    yt_stream_t *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    snprintf(st->track, sizeof st->track, "%s", rx->track);
    const track_info_t *t = track_find(s, rx->track);
    if (t)
        snprintf(st->participant, sizeof st->participant, "%s", t->participant);
    st->kind = rx->kind;
    st->vp8 = rx->vp8;
    st->current = 1;
    yt_count_sink_init(&st->count, rx->clock);
    int rc = 0;
    if (s->cfg.decode && st->kind == YT_KIND_VIDEO && st->vp8)
        rc = yt_video_sink_create(&st->video);
    else if (s->cfg.decode && st->kind == YT_KIND_AUDIO)
        rc = yt_audio_sink_create(&st->audio);
    if (rc < 0) {
        free(st);
        return NULL;
    }
    s->streams[s->n_streams++] = st;
    return st;
}

static void stream_free(yt_stream_t *st)
{
    yt_video_sink_destroy(st->video);
    yt_audio_sink_destroy(st->audio);
    free(st);
}

/* ---- peer listener ---- */

static void peer_state(void *ctx, yt_peer_t *p, yt_peer_state_t st, const char *why)
{
    yt_session_t *s = ctx;
    if (st == YT_PEER_FAILED) {
        char line[400];
        snprintf(line, sizeof line, "%s connection: %s", p == s->pub ? "publish" : "receive",
                 why ? why : "failed");
        fail(s, YT_ERR_MEDIA, line);
    } else if (st == YT_PEER_CONNECTED && p == s->pub && s->l.media_ready) {
        s->l.media_ready(s->l.ctx, s);
    }
}

static void peer_rtp(void *ctx, yt_peer_t *p, yt_rx_stream_t *rx, const uint8_t *pkt, size_t len,
                     const yh_rtp_hdr_t *h, uint64_t now_us)
{
    yt_session_t *s = ctx;
    yt_stream_t *st = rx->user;
    if (!st)
        return;
    if (!st->first_us)
        st->first_us = now_us;
    yt_count_sink_push(&st->count, h->seq, h->ts, len, now_us);
    if (st->video || st->audio) {
        uint64_t capture = yt_peer_capture_us(rx, h->ts, now_us);
        if (capture > now_us)
            capture = 0; /* clocks disagree: no delay rather than a negative one */
        if (st->video) {
            yt_video_sink_push(st->video, pkt, len, now_us, capture);
            if (yt_video_sink_wants_keyframe(st->video))
                yt_peer_request_keyframe(p, rx, now_us);
            st->plis = rx->plis;
        } else {
            yt_audio_sink_push(st->audio, pkt, len, now_us, capture);
        }
    }
    if (s->l.rtp)
        s->l.rtp(s->l.ctx, s, st, pkt, len, h, now_us);
}

static void peer_keyframe(void *ctx, yt_peer_t *p)
{
    yt_session_t *s = ctx;
    if (s->l.keyframe)
        s->l.keyframe(s->l.ctx, s);
}

/* An m-section now carries another track (or none): the old stream is
 * kept for the report, a new one starts. */
static void peer_rx_changed(void *ctx, yt_peer_t *p, yt_rx_stream_t *rx)
{
    yt_session_t *s = ctx;
    yt_stream_t *old = rx->user;
    if (old)
        old->current = 0;
    rx->user = rx->active && rx->track[0] ? stream_new(s, rx) : NULL;
}

static int peer_new(yt_session_t *s, yt_peer_t **out)
{
    yt_peer_config_t pc = {.loop = s->cfg.loop,
                           .cert = s->cfg.cert,
                           .bind_ip = s->cfg.bind_ip,
                           .cname = s->cfg.name,
                           .test_video_ssrc = s->cfg.test_video_ssrc,
                           .test_bad_fingerprint = s->cfg.test_bad_fingerprint};
    yt_peer_listener_t pl = {.ctx = s,
                             .state = peer_state,
                             .rtp = peer_rtp,
                             .keyframe = peer_keyframe,
                             .rx_changed = peer_rx_changed};
    return yt_peer_create(&pc, &pl, out);
}

/* ---- backend events ---- */

/* Our publish offer (again, for an ICE restart: the same streams). */
static int send_offer(yt_session_t *s)
{
    int rc = (s->sdp = malloc(YT_SDP_CAP)) ? 0 : YH_ENOMEM;
    if (rc == 0)
        rc = yt_peer_write_offer(s->pub, s->cfg.send_audio, s->cfg.send_video, s->sdp, YT_SDP_CAP);
    if (rc >= 0)
        rc = s->cfg.backend->publish(s->b, s->sdp);
    free(s->sdp);
    s->sdp = NULL;
    return rc;
}

static void ev_joined(void *ctx, const char *self_id)
{
    yt_session_t *s = ctx;
    char line[160];
    s->joined = 1;
    snprintf(s->self, sizeof s->self, "%s", self_id);
    if (s->l.joined)
        s->l.joined(s->l.ctx, s);
    if (s->leaving || (!s->cfg.send_audio && !s->cfg.send_video))
        return;
    int rc = peer_new(s, &s->pub);
    if (rc == 0)
        rc = send_offer(s);
    if (rc < 0) {
        snprintf(line, sizeof line, "cannot publish: %s", yh_strerror(rc));
        fail(s, YT_ERR_OTHER, line);
    }
}

static void ev_publish_answer(void *ctx, const char *sdp)
{
    yt_session_t *s = ctx;
    char err[256] = "", line[400];
    if (!s->pub || s->leaving)
        return;
    if (yt_peer_apply_answer(s->pub, sdp, err, sizeof err) < 0) {
        snprintf(line, sizeof line, "bad publish answer from the server: %s", err);
        fail(s, YT_ERR_MEDIA, line);
    }
}

static void ev_sub_offer(void *ctx, const char *sdp, const yt_sub_track_t *tracks, size_t n)
{
    yt_session_t *s = ctx;
    char err[256] = "", line[400];
    if (s->leaving)
        return;
    if (!s->sub && peer_new(s, &s->sub) < 0) {
        fail(s, YT_ERR_OTHER, "cannot open a UDP socket for receiving");
        return;
    }
    s->sdp = malloc(YT_SDP_CAP);
    int len = s->sdp
                  ? yt_peer_apply_offer(s->sub, sdp, tracks, n, s->sdp, YT_SDP_CAP, err, sizeof err)
                  : YH_ENOMEM;
    if (len >= 0)
        s->cfg.backend->answer(s->b, s->sdp);
    free(s->sdp);
    s->sdp = NULL;
    if (len < 0) {
        snprintf(line, sizeof line, "cannot answer the server's offer: %s", err);
        fail(s, YT_ERR_MEDIA, line);
    }
}

static void ev_candidate(void *ctx, int conn, const char *line)
{
    yt_session_t *s = ctx;
    yt_peer_t *p = conn == 0 ? s->pub : s->sub;
    if (p)
        yt_peer_add_candidate(p, line);
}

static void ev_track_ended(void *ctx, const char *track)
{
    /* The next subscriber offer marks its m-section inactive. */
}

static void ev_participant_left(void *ctx, const char *participant)
{
}

static void ev_error(void *ctx, yt_err_class_t cls, const char *message)
{
    fail(ctx, cls, message);
}

static void ev_closed(void *ctx)
{
    yt_session_t *s = ctx;
    if (!s->leaving)
        fail(s, YT_ERR_OTHER, "signaling connection lost");
    finish(s);
}

/* ---- life cycle ---- */

int yt_session_create(const yt_session_config_t *cfg, const yt_session_listener_t *l,
                      yt_session_t **out)
{
    yt_session_t *s = calloc(1, sizeof *s);
    if (!s)
        return YH_ENOMEM;
    s->cfg = *cfg;
    s->l = *l;
    yt_backend_config_t bc = {.loop = cfg->loop,
                              .shared = cfg->backend_shared,
                              .server = cfg->server,
                              .meeting = cfg->meeting,
                              .name = cfg->name,
                              .passcode = cfg->passcode};
    yt_backend_events_t ev = {.ctx = s,
                              .joined = ev_joined,
                              .publish_answer = ev_publish_answer,
                              .sub_offer = ev_sub_offer,
                              .candidate = ev_candidate,
                              .track = ev_track,
                              .track_ended = ev_track_ended,
                              .participant_left = ev_participant_left,
                              .error = ev_error,
                              .closed = ev_closed};
    int rc = cfg->backend->create(&bc, &ev, &s->b);
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int yt_session_start(yt_session_t *s)
{
    return s->cfg.backend->join(s->b);
}

void yt_session_leave(yt_session_t *s)
{
    if (s->leaving)
        return;
    s->leaving = 1;
    s->leave_us = yh_now_us();
    s->cfg.backend->leave(s->b);
}

void yt_session_tick(yt_session_t *s, uint64_t now_us)
{
    if (s->done)
        return;
    if (s->leaving && now_us - s->leave_us > LEAVE_TIMEOUT_US) {
        finish(s);
        return;
    }
    if (s->pub)
        yt_peer_tick(s->pub, now_us);
    if (s->sub)
        yt_peer_tick(s->sub, now_us);
}

void yt_session_destroy(yt_session_t *s)
{
    if (!s)
        return;
    s->cfg.backend->destroy(s->b);
    yt_peer_destroy(s->pub);
    yt_peer_destroy(s->sub);
    for (size_t i = 0; i < s->n_streams; i++)
        stream_free(s->streams[i]);
    free(s->streams);
    free(s->tracks);
    free(s);
}

int yt_session_rebind(yt_session_t *s, int restart)
{
    int rc = 0;
    if (s->leaving)
        return YH_ESTATE;
    if (s->pub && (rc = yt_peer_rebind(s->pub)) == 0 && restart &&
        (rc = yt_peer_restart_ice(s->pub)) == 0)
        rc = send_offer(s);
    if (rc == 0 && s->sub && (rc = yt_peer_rebind(s->sub)) == 0 && restart) {
        if (!s->cfg.backend->restart_ice)
            return YH_EUNSUPPORTED;
        if ((rc = yt_peer_restart_ice(s->sub)) == 0)
            rc = s->cfg.backend->restart_ice(s->b);
    }
    return rc;
}

int yt_session_replay_check(yt_session_t *s)
{
    return s->pub ? yt_peer_replay_check(s->pub) : YH_ESTATE;
}

yt_peer_t *yt_session_pub_peer(yt_session_t *s)
{
    return s->pub;
}

yt_peer_t *yt_session_sub_peer(yt_session_t *s)
{
    return s->sub;
}

const char *yt_session_self_id(const yt_session_t *s)
{
    return s->self;
}

int yt_session_joined(const yt_session_t *s)
{
    return s->joined;
}

size_t yt_session_stream_count(const yt_session_t *s)
{
    return s->n_streams;
}

yt_stream_t *yt_session_stream(yt_session_t *s, size_t i)
{
    return i < s->n_streams ? s->streams[i] : NULL;
}
