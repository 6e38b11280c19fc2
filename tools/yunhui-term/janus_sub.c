/*
 * The Janus backend's view of the room: remote publishers as they come and
 * go (feeds), the one multistream subscription that receives them all
 * (Janus serialises its offers, so one request is out at a time), and the
 * publisher handle's events.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "janus_int.h"

/* ---- feeds and the subscription -------------------------------------------- */

static void feeds_add(yt_backend_t *b, json_t *publishers)
{
    size_t i;
    json_t *p;
    json_array_foreach(publishers, i, p)
    {
        json_t *idj = json_object_get(p, "id");
        uint64_t id = (uint64_t)json_integer_value(idj);
        if (!json_is_integer(idj) || id == b->self_id)
            continue;
        feed_t *f = b->feeds;
        while (f && f->id != id)
            f = f->next;
        if (f || !(f = calloc(1, sizeof *f)))
            continue;
        f->id = id;
        f->next = b->feeds;
        b->feeds = f;
    }
}

static void feed_remove(yt_backend_t *b, uint64_t id)
{
    for (feed_t **pp = &b->feeds; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            feed_t *f = *pp;
            *pp = f->next;
            free(f);
            return;
        }
    }
}

static void sub_request_ack(yt_backend_t *b, json_t *reply)
{
    (void)b;
    (void)reply; /* the offer ("attached"/"updated") follows on the long poll */
}

static void sub_attached(yt_backend_t *b, json_t *reply)
{
    b->sub_handle = yt_janus_data_id(reply);
    b->sub_state = SUB_IDLE;
    if (!b->sub_handle) {
        yt_janus_fatal(b, YT_ERR_OTHER, "Janus: subscriber attach failed%s", "");
        return;
    }
    yt_janus_maybe_subscribe(b);
}

/* Asks for every feed not yet requested, in one join (first time) or
 * subscribe (after) request, when no offer/answer cycle is running. */
void yt_janus_maybe_subscribe(yt_backend_t *b)
{
    if (b->state != ST_JOINED || b->sub_state != SUB_IDLE)
        return;
    json_t *streams = json_array();
    for (feed_t *f = b->feeds; f; f = f->next)
        if (f->state == 0)
            json_array_append_new(streams, json_pack("{s:I}", "feed", (json_int_t)f->id));
    if (json_array_size(streams) == 0) {
        json_decref(streams);
        return;
    }
    if (!b->sub_handle) {
        json_decref(streams);
        b->sub_state = SUB_ATTACHING;
        json_t *m = json_pack("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom");
        if (yt_janus_api_post(b, 0, m, sub_attached) < 0)
            yt_janus_fatal(b, YT_ERR_OTHER, "Janus: cannot attach%s", "");
        return;
    }
    json_t *body = b->sub_joined
                       ? json_pack("{s:s, s:o}", "request", "subscribe", "streams", streams)
                       : json_pack("{s:s, s:s, s:I, s:I, s:o}", "request", "join", "ptype",
                                   "subscriber", "room", (json_int_t)b->room, "private_id",
                                   (json_int_t)b->private_id, "streams", streams);
    for (feed_t *f = b->feeds; f; f = f->next)
        if (f->state == 0)
            f->state = 1;
    b->sub_state = SUB_REQUESTED;
    if (yt_janus_plugin_msg(b, b->sub_handle, body, NULL, NULL, sub_request_ack) < 0)
        yt_janus_fatal(b, YT_ERR_OTHER, "Janus: cannot subscribe%s", "");
}

/* Reads the streams of a Janus subscriber offer ("attached"/"updated"):
 * the active audio and video m-sections, with the feed each carries. */
static size_t streams_parse(json_t *list, stream_t *out, size_t cap)
{
    size_t i, n = 0;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        const char *type = json_string_value(json_object_get(s, "type"));
        const char *mid = json_string_value(json_object_get(s, "mid"));
        const char *fmid = json_string_value(json_object_get(s, "feed_mid"));
        json_t *feed = json_object_get(s, "feed_id");
        json_t *active = json_object_get(s, "active");
        if (n == cap || !type || !mid || !fmid || !json_is_integer(feed) || json_is_false(active))
            continue;
        if (strcmp(type, "audio") && strcmp(type, "video"))
            continue;
        stream_t *t = &out[n++];
        uint64_t id = (uint64_t)json_integer_value(feed);
        snprintf(t->mid, sizeof t->mid, "%s", mid);
        snprintf(t->participant, sizeof t->participant, "%" PRIu64, id);
        snprintf(t->track, sizeof t->track, "%" PRIu64 ":%.16s", id, fmid);
        t->kind = type[0] == 'a' ? YT_KIND_AUDIO : YT_KIND_VIDEO;
    }
    return n;
}

static int has_track(const stream_t *s, size_t n, const char *track)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s[i].track, track))
            return 1;
    return 0;
}

/* Reports tracks gone and new against the previous offer, then hands the
 * offer to the session. A second offer while one is out waits its turn. */
static void sub_offer(yt_backend_t *b, json_t *d, json_t *jsep)
{
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    if (b->sub_state == SUB_OFFERED || b->sub_state == SUB_STARTING) {
        json_decref(b->queued_offer);
        b->queued_offer = json_pack("{s:O, s:O}", "data", d, "jsep", jsep);
        return;
    }
    stream_t *next = calloc(MAX_STREAMS, sizeof *next);
    yt_sub_track_t *tracks = calloc(MAX_STREAMS, sizeof *tracks);
    if (!sdp || !next || !tracks) {
        free(next);
        free(tracks);
        yt_janus_emit_error(b, YT_ERR_OTHER, "Janus: bad subscriber offer%s", "");
        return;
    }
    size_t n = streams_parse(json_object_get(d, "streams"), next, MAX_STREAMS);
    for (size_t i = 0; i < b->n_streams; i++)
        if (!has_track(next, n, b->streams[i].track))
            EMIT(b, track_ended, b->streams[i].track);
    for (size_t i = 0; i < n; i++) {
        if (!has_track(b->streams, b->n_streams, next[i].track))
            EMIT(b, track, next[i].track, next[i].participant, next[i].kind);
        tracks[i].mid = next[i].mid;
        tracks[i].track = next[i].track;
    }
    free(b->streams);
    b->streams = next;
    b->n_streams = n;
    for (feed_t *f = b->feeds; f; f = f->next)
        if (f->state == 1)
            f->state = 2;
    b->sub_state = SUB_OFFERED;
    b->sub_joined = 1;
    EMIT(b, sub_offer, sdp, tracks, n);
    free(tracks);
}

/* The offer/answer cycle is over: the next queued offer, or new feeds. */
static void sub_settled(yt_backend_t *b)
{
    b->sub_state = SUB_IDLE;
    json_t *q = b->queued_offer;
    b->queued_offer = NULL;
    if (q)
        sub_offer(b, json_object_get(q, "data"), json_object_get(q, "jsep"));
    else
        yt_janus_maybe_subscribe(b);
    json_decref(q);
}

void yt_janus_sub_event(yt_backend_t *b, json_t *d, json_t *jsep)
{
    const char *vr = json_string_value(json_object_get(d, "videoroom"));
    if (!vr)
        return;
    if (!strcmp(vr, "attached") || !strcmp(vr, "updated")) {
        if (jsep)
            sub_offer(b, d, jsep);
        else if (b->sub_state == SUB_REQUESTED)
            sub_settled(b);
        return;
    }
    if (strcmp(vr, "event"))
        return;
    if (json_object_get(d, "error_code")) {
        /* Typically 428 "No such feed": the publisher left meanwhile. */
        for (feed_t **pp = &b->feeds; *pp;) {
            feed_t *f = *pp;
            if (f->state == 1) {
                *pp = f->next;
                free(f);
            } else {
                pp = &f->next;
            }
        }
        if (b->sub_state == SUB_REQUESTED || b->sub_state == SUB_STARTING)
            sub_settled(b);
    } else if (json_object_get(d, "started") && b->sub_state == SUB_STARTING) {
        sub_settled(b);
    }
}

static void pub_joined(yt_backend_t *b, json_t *d)
{
    char id[24];
    b->self_id = (uint64_t)json_integer_value(json_object_get(d, "id"));
    b->private_id = (uint64_t)json_integer_value(json_object_get(d, "private_id"));
    b->state = ST_JOINED;
    feeds_add(b, json_object_get(d, "publishers"));
    snprintf(id, sizeof id, "%" PRIu64, b->self_id);
    EMIT(b, joined, id);
    yt_janus_maybe_subscribe(b);
}

/* Departures: "unpublished" then "leaving", each with a feed id (or "ok"
 * when it is about ourselves). */
static void pub_departure(yt_backend_t *b, json_t *d)
{
    json_t *gone = json_object_get(d, "unpublished");
    json_t *left = json_object_get(d, "leaving");
    if (json_is_integer(gone))
        feed_remove(b, (uint64_t)json_integer_value(gone));
    if (json_is_integer(left)) {
        char id[24];
        feed_remove(b, (uint64_t)json_integer_value(left));
        snprintf(id, sizeof id, "%" PRIu64, (uint64_t)json_integer_value(left));
        EMIT(b, participant_left, id);
    }
}

void yt_janus_pub_event(yt_backend_t *b, json_t *d, json_t *jsep)
{
    const char *vr = json_string_value(json_object_get(d, "videoroom"));
    if (!vr)
        return;
    if (!strcmp(vr, "joined")) {
        pub_joined(b, d);
        return;
    }
    if (strcmp(vr, "event"))
        return;
    const char *err = json_string_value(json_object_get(d, "error"));
    if (json_object_get(d, "error_code")) {
        if (b->state == ST_JOINING)
            yt_janus_fatal(b, YT_ERR_REFUSED, "Janus: %s", err);
        else
            yt_janus_emit_error(b, YT_ERR_OTHER, "Janus: %s", err);
        return;
    }
    const char *type = json_string_value(json_object_get(jsep, "type"));
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    if (type && sdp && !strcmp(type, "answer")) {
        EMIT(b, publish_answer, sdp);
        if (!b->pub_trickled++)
            yt_janus_trickle_done(b, b->pub_handle);
    }
    if (json_object_get(d, "publishers")) {
        feeds_add(b, json_object_get(d, "publishers"));
        yt_janus_maybe_subscribe(b);
    }
    pub_departure(b, d);
}
