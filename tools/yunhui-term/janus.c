/*
 * The Janus VideoRoom backend (see janus.h for how the backend contract
 * maps onto Janus). Requests go out one at a time on one HTTP connection,
 * so the handler for each reply is kept in a FIFO ring; asynchronous
 * plugin results ("joined", jsep answers and offers) come back on the long
 * poll, matched by the handle that sent them.
 *
 * Janus API: https://janus.conf.meetecho.com/docs/rest.html, VideoRoom
 * requests: https://janus.conf.meetecho.com/docs/videoroom.html (1.x,
 * multistream subscriptions).
 */
#include "janus.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/err.h"
#include "janus_http.h"

#define KEEPALIVE_MS 15000
#define REQ_TIMEOUT_MS 15000
#define POLL_TIMEOUT_MS 45000 /* Janus answers an idle long poll after 30 s */
#define POLL_MAX_FAILURES 3
#define MAX_REPLIES 32 /* requests in flight or queued on the request connection */
#define MAX_STREAMS 512
#define ROOM_PUBLISHERS 100

typedef void (*reply_fn)(yt_backend_t *b, json_t *reply);

/* A remote publisher: 0 to request, 1 requested, 2 in the subscription. */
typedef struct feed {
    uint64_t id;
    int state;
    struct feed *next;
} feed_t;

/* One active m-section of the current subscription. */
typedef struct stream {
    char mid[16];
    char track[48];
    char participant[24];
    yt_media_kind_t kind;
} stream_t;

enum { ST_NEW, ST_JOINING, ST_JOINED, ST_LEAVING, ST_CLOSED };
/* The subscription's offer/answer cycle; Janus's offers are serialised. */
enum { SUB_IDLE, SUB_ATTACHING, SUB_REQUESTED, SUB_OFFERED, SUB_STARTING };

struct yt_backend {
    uv_loop_t *loop;
    yt_backend_events_t ev;
    yt_http_url_t url;
    uint64_t room;
    char name[128];
    yt_http_t *req, *poll;
    uv_timer_t keepalive;
    int timer_open;
    reply_fn replies[MAX_REPLIES];
    unsigned r_head, r_count;
    uint64_t session, pub_handle, sub_handle, self_id, private_id;
    int state, sub_state, sub_joined, pub_trickled, sub_trickled;
    json_t *queued_offer; /* a Janus offer that came while one was out */
    feed_t *feeds;
    stream_t *streams;
    size_t n_streams;
    unsigned txn;
    int busy, dead, poll_failures;
};

static void poll_next(yt_backend_t *b);
static void maybe_subscribe(yt_backend_t *b);

/* ---- lifetime ------------------------------------------------------------ */

static void release(yt_backend_t *b)
{
    if (!b->dead || b->busy || b->timer_open)
        return;
    json_decref(b->queued_offer);
    for (feed_t *f = b->feeds, *next; f; f = next) {
        next = f->next;
        free(f);
    }
    free(b->streams);
    free(b);
}

static void on_timer_close(uv_handle_t *h)
{
    yt_backend_t *b = h->data;
    b->timer_open = 0;
    release(b);
}

/* Events are never delivered after destroy(); a handler that destroys the
 * backend leaves it allocated until the outermost callback returns. */
#define EMIT(b, cb, ...)                                \
    do {                                                \
        if (!(b)->dead && (b)->ev.cb)                   \
            (b)->ev.cb((b)->ev.ctx, __VA_ARGS__);       \
    } while (0)

static void emit_closed(yt_backend_t *b)
{
    if (!b->dead && b->ev.closed)
        b->ev.closed(b->ev.ctx);
}

static void emit_error(yt_backend_t *b, yt_err_class_t cls, const char *fmt, const char *detail)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, detail ? detail : "");
    EMIT(b, error, cls, msg);
}

/* ---- requests ------------------------------------------------------------ */

static void on_reply(void *ctx, int status, const char *body, size_t len);

/* POSTs `msg` (consumed) to the API root, the session or a handle (0 for
 * none) with a fresh transaction; `fn` gets the parsed reply. */
static int api_post(yt_backend_t *b, uint64_t handle, json_t *msg, reply_fn fn)
{
    char path[320], txn[24];
    int rc = YH_ESTATE;
    if (b->dead || !b->req || b->r_count == MAX_REPLIES || !msg)
        goto out;
    snprintf(txn, sizeof txn, "t%u", ++b->txn);
    json_object_set_new(msg, "transaction", json_string(txn));
    if (!b->session)
        snprintf(path, sizeof path, "%s", b->url.path[0] ? b->url.path : "/");
    else if (!handle)
        snprintf(path, sizeof path, "%s/%" PRIu64, b->url.path, b->session);
    else
        snprintf(path, sizeof path, "%s/%" PRIu64 "/%" PRIu64, b->url.path, b->session, handle);
    char *text = json_dumps(msg, JSON_COMPACT);
    rc = text ? yt_http_request(b->req, "POST", path, text, REQ_TIMEOUT_MS, on_reply, b) : YH_ENOMEM;
    free(text);
    if (rc == 0)
        b->replies[(b->r_head + b->r_count++) % MAX_REPLIES] = fn;
out:
    json_decref(msg);
    return rc;
}

/* A plugin message on `handle`, with a jsep when `sdp_type` is not NULL. */
static int plugin_msg(yt_backend_t *b, uint64_t handle, json_t *body, const char *sdp_type,
                      const char *sdp, reply_fn fn)
{
    json_t *m = json_pack("{s:s, s:o}", "janus", "message", "body", body);
    if (m && sdp_type)
        json_object_set_new(m, "jsep", json_pack("{s:s, s:s}", "type", sdp_type, "sdp", sdp));
    return api_post(b, handle, m, fn);
}

static void ignore_reply(yt_backend_t *b, json_t *reply)
{
    (void)b;
    (void)reply;
}

/* After leave() or a fatal error: the session is destroyed, then closed. */
static void closed_reply(yt_backend_t *b, json_t *reply)
{
    (void)reply;
    b->state = ST_CLOSED;
    emit_closed(b);
}

static void on_deferred_closed(uv_timer_t *t)
{
    yt_backend_t *b = t->data;
    b->state = ST_CLOSED;
    b->busy++;
    emit_closed(b);
    b->busy--;
    release(b);
}

/* Destroys the Janus session (which hangs up and detaches its handles);
 * closed() follows its reply, or comes from the loop when there is no
 * session to destroy. */
static void close_session(yt_backend_t *b)
{
    if (b->state >= ST_LEAVING)
        return;
    b->state = ST_LEAVING;
    uv_timer_stop(&b->keepalive);
    if (b->session && api_post(b, 0, json_pack("{s:s}", "janus", "destroy"), closed_reply) == 0)
        return;
    uv_timer_start(&b->keepalive, on_deferred_closed, 0, 0);
}

static void fatal(yt_backend_t *b, yt_err_class_t cls, const char *fmt, const char *detail)
{
    if (b->state >= ST_LEAVING)
        return;
    emit_error(b, cls, fmt, detail);
    close_session(b);
}

static const char *error_reason(json_t *j)
{
    const char *r = json_string_value(json_object_get(json_object_get(j, "error"), "reason"));
    return r ? r : "unknown error";
}

/* Every reply on the request connection: pops its handler from the ring. */
static void on_reply(void *ctx, int status, const char *body, size_t len)
{
    yt_backend_t *b = ctx;
    reply_fn fn = b->replies[b->r_head];
    b->r_head = (b->r_head + 1) % MAX_REPLIES;
    b->r_count--;
    b->busy++;
    json_t *j = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
    const char *type = json_string_value(json_object_get(j, "janus"));
    char why[64];
    if (status < 0)
        snprintf(why, sizeof why, "%s", yh_strerror(status));
    else
        snprintf(why, sizeof why, "HTTP %d", status);
    if (status != 200) {
        if (fn == closed_reply)
            fn(b, NULL);
        else
            fatal(b, YT_ERR_UNREACHABLE, "Janus API unreachable (%s)", why);
    } else if (!type) {
        if (fn == closed_reply)
            fn(b, NULL);
        else
            fatal(b, YT_ERR_OTHER, "Janus API: bad reply%s", "");
    } else if (!strcmp(type, "error") && fn != closed_reply) {
        fatal(b, b->state == ST_JOINED ? YT_ERR_OTHER : YT_ERR_REFUSED, "Janus: %s",
              error_reason(j));
    } else {
        fn(b, j);
    }
    json_decref(j);
    b->busy--;
    release(b);
}

/* ---- joining --------------------------------------------------------------- */

static uint64_t data_id(json_t *reply)
{
    json_t *id = json_object_get(json_object_get(reply, "data"), "id");
    return json_is_integer(id) ? (uint64_t)json_integer_value(id) : 0;
}

/* The VideoRoom's answer inside a synchronous plugin reply or an event. */
static json_t *plugin_data(json_t *j)
{
    return json_object_get(json_object_get(j, "plugindata"), "data");
}

static void on_keepalive(uv_timer_t *t)
{
    yt_backend_t *b = t->data;
    if (b->state == ST_JOINING || b->state == ST_JOINED)
        api_post(b, 0, json_pack("{s:s}", "janus", "keepalive"), ignore_reply);
}

static void joined_ack(yt_backend_t *b, json_t *reply)
{
    (void)b;
    (void)reply; /* "ack": "joined" follows on the long poll */
}

static void room_created(yt_backend_t *b, json_t *reply)
{
    json_t *d = plugin_data(reply);
    json_t *code = json_object_get(d, "error_code");
    if (code && json_integer_value(code) != 427) { /* 427: room exists already */
        fatal(b, YT_ERR_REFUSED, "Janus: cannot create room: %s",
              json_string_value(json_object_get(d, "error")));
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:I, s:s}", "request", "join", "ptype", "publisher",
                             "room", (json_int_t)b->room, "display", b->name);
    if (plugin_msg(b, b->pub_handle, body, NULL, NULL, joined_ack) < 0)
        fatal(b, YT_ERR_OTHER, "Janus: cannot send join%s", "");
}

static void pub_attached(yt_backend_t *b, json_t *reply)
{
    b->pub_handle = data_id(reply);
    json_t *body = json_pack("{s:s, s:I, s:i, s:b, s:b, s:s, s:s, s:i, s:i}", "request", "create",
                             "room", (json_int_t)b->room, "publishers", ROOM_PUBLISHERS,
                             "permanent", 0, "notify_joining", 0, "audiocodec", "opus",
                             "videocodec", "vp8", "bitrate", 0, "fir_freq", 0);
    if (!b->pub_handle || plugin_msg(b, b->pub_handle, body, NULL, NULL, room_created) < 0)
        fatal(b, YT_ERR_OTHER, "Janus: attach failed%s", "");
}

static void session_created(yt_backend_t *b, json_t *reply)
{
    b->session = data_id(reply);
    if (!b->session) {
        fatal(b, YT_ERR_OTHER, "Janus: no session id%s", "");
        return;
    }
    uv_timer_start(&b->keepalive, on_keepalive, KEEPALIVE_MS, KEEPALIVE_MS);
    poll_next(b);
    json_t *m = json_pack("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom");
    if (api_post(b, 0, m, pub_attached) < 0)
        fatal(b, YT_ERR_OTHER, "Janus: cannot attach%s", "");
}

/* Tells Janus no more candidates of ours will come (half trickle: Janus,
 * ICE-lite, learns our address from the checks themselves). */
static void trickle_done(yt_backend_t *b, uint64_t handle)
{
    json_t *m = json_pack("{s:s, s:{s:b}}", "janus", "trickle", "candidate", "completed", 1);
    api_post(b, handle, m, ignore_reply);
}

/* ---- feeds and the subscription -------------------------------------------- */

static void feeds_add(yt_backend_t *b, json_t *publishers)
{
    size_t i;
    json_t *p;
    json_array_foreach(publishers, i, p) {
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
    b->sub_handle = data_id(reply);
    b->sub_state = SUB_IDLE;
    if (!b->sub_handle) {
        fatal(b, YT_ERR_OTHER, "Janus: subscriber attach failed%s", "");
        return;
    }
    maybe_subscribe(b);
}

/* Asks for every feed not yet requested, in one join (first time) or
 * subscribe (after) request, when no offer/answer cycle is running. */
static void maybe_subscribe(yt_backend_t *b)
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
        if (api_post(b, 0, m, sub_attached) < 0)
            fatal(b, YT_ERR_OTHER, "Janus: cannot attach%s", "");
        return;
    }
    json_t *body = b->sub_joined
        ? json_pack("{s:s, s:o}", "request", "subscribe", "streams", streams)
        : json_pack("{s:s, s:s, s:I, s:I, s:o}", "request", "join", "ptype", "subscriber", "room",
                    (json_int_t)b->room, "private_id", (json_int_t)b->private_id, "streams",
                    streams);
    for (feed_t *f = b->feeds; f; f = f->next)
        if (f->state == 0)
            f->state = 1;
    b->sub_state = SUB_REQUESTED;
    if (plugin_msg(b, b->sub_handle, body, NULL, NULL, sub_request_ack) < 0)
        fatal(b, YT_ERR_OTHER, "Janus: cannot subscribe%s", "");
}

/* Reads the streams of a Janus subscriber offer ("attached"/"updated"):
 * the active audio and video m-sections, with the feed each carries. */
static size_t streams_parse(json_t *list, stream_t *out, size_t cap)
{
    size_t i, n = 0;
    json_t *s;
    json_array_foreach(list, i, s) {
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
        emit_error(b, YT_ERR_OTHER, "Janus: bad subscriber offer%s", "");
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
        maybe_subscribe(b);
    json_decref(q);
}

static void sub_event(yt_backend_t *b, json_t *d, json_t *jsep)
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
    maybe_subscribe(b);
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

static void pub_event(yt_backend_t *b, json_t *d, json_t *jsep)
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
            fatal(b, YT_ERR_REFUSED, "Janus: %s", err);
        else
            emit_error(b, YT_ERR_OTHER, "Janus: %s", err);
        return;
    }
    const char *type = json_string_value(json_object_get(jsep, "type"));
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    if (type && sdp && !strcmp(type, "answer")) {
        EMIT(b, publish_answer, sdp);
        if (!b->pub_trickled++)
            trickle_done(b, b->pub_handle);
    }
    if (json_object_get(d, "publishers")) {
        feeds_add(b, json_object_get(d, "publishers"));
        maybe_subscribe(b);
    }
    pub_departure(b, d);
}

/* ---- the long poll ---------------------------------------------------------- */

static void trickle_in(yt_backend_t *b, uint64_t sender, json_t *cand)
{
    const char *line = json_string_value(json_object_get(cand, "candidate"));
    if (!line)
        return; /* {"completed": true} */
    if (!strncmp(line, "a=", 2))
        line += 2;
    EMIT(b, candidate, sender == b->sub_handle ? 1 : 0, line);
}

static void handle_event(yt_backend_t *b, json_t *e)
{
    const char *type = json_string_value(json_object_get(e, "janus"));
    uint64_t sender = (uint64_t)json_integer_value(json_object_get(e, "sender"));
    if (!type)
        return;
    if (!strcmp(type, "event")) {
        json_t *d = plugin_data(e), *jsep = json_object_get(e, "jsep");
        if (sender && sender == b->pub_handle)
            pub_event(b, d, jsep);
        else if (sender && sender == b->sub_handle)
            sub_event(b, d, jsep);
    } else if (!strcmp(type, "hangup") && b->state == ST_JOINED) {
        emit_error(b, YT_ERR_MEDIA, "Janus hung up a connection: %s",
                   json_string_value(json_object_get(e, "reason")));
    } else if (!strcmp(type, "trickle")) {
        trickle_in(b, sender, json_object_get(e, "candidate"));
    } else if (!strcmp(type, "timeout")) {
        fatal(b, YT_ERR_UNREACHABLE, "Janus: session timed out%s", "");
    } else if (!strcmp(type, "error")) {
        fatal(b, YT_ERR_UNREACHABLE, "Janus: %s", error_reason(e));
    }
    /* webrtcup, media, slowlink, detached, keepalive: nothing to do. */
}

static void on_poll(void *ctx, int status, const char *body, size_t len)
{
    yt_backend_t *b = ctx;
    b->busy++;
    json_t *j = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
    if (!j) {
        /* A dropped connection or a timeout: try again, but not forever. */
        if (++b->poll_failures >= POLL_MAX_FAILURES)
            fatal(b, YT_ERR_UNREACHABLE, "lost the Janus event poll (%s)",
                  status < 0 ? yh_strerror(status) : "bad reply");
        else
            poll_next(b);
    } else {
        b->poll_failures = 0;
        if (json_is_array(j)) {
            size_t i;
            json_t *e;
            json_array_foreach(j, i, e) {
                if (b->dead || b->state >= ST_LEAVING)
                    break;
                handle_event(b, e);
            }
        } else {
            handle_event(b, j);
        }
        poll_next(b);
    }
    json_decref(j);
    b->busy--;
    release(b);
}

static void poll_next(yt_backend_t *b)
{
    char path[320];
    if (b->dead || b->state >= ST_LEAVING || !b->poll)
        return;
    snprintf(path, sizeof path, "%s/%" PRIu64 "?maxev=16", b->url.path, b->session);
    if (yt_http_request(b->poll, "GET", path, NULL, POLL_TIMEOUT_MS, on_poll, b) < 0)
        fatal(b, YT_ERR_OTHER, "Janus: cannot poll%s", "");
}

/* ---- the backend operations ------------------------------------------------- */

/* A decimal meeting id is the room number; anything else is hashed
 * (FNV-1a folded to 52 bits: Janus room ids must fit a JSON number). */
static uint64_t room_of(const char *meeting)
{
    char *end;
    unsigned long long n = strtoull(meeting, &end, 10);
    if (*meeting && !*end && n > 0 && n < (1ULL << 52))
        return n;
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = meeting; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    return (h & ((1ULL << 52) - 1)) | 1;
}

static int jb_create(const yt_backend_config_t *cfg, const yt_backend_events_t *ev,
                     yt_backend_t **out)
{
    yt_backend_t *b = calloc(1, sizeof *b);
    if (!b)
        return YH_ENOMEM;
    int rc = yt_http_url_parse(cfg->server ? cfg->server : "", &b->url);
    if (rc < 0 || !cfg->meeting)
        goto fail;
    rc = yt_http_create(cfg->loop, &b->url, &b->req);
    if (rc == 0)
        rc = yt_http_create(cfg->loop, &b->url, &b->poll);
    if (rc < 0)
        goto fail;
    b->loop = cfg->loop;
    b->ev = *ev;
    b->room = room_of(cfg->meeting);
    snprintf(b->name, sizeof b->name, "%s", cfg->name ? cfg->name : "yunhui-term");
    uv_timer_init(cfg->loop, &b->keepalive);
    b->keepalive.data = b;
    b->timer_open = 1;
    *out = b;
    return 0;
fail:
    yt_http_destroy(b->req);
    yt_http_destroy(b->poll);
    free(b);
    return rc < 0 ? rc : YH_EINVAL;
}

static int jb_join(yt_backend_t *b)
{
    if (b->state != ST_NEW)
        return YH_ESTATE;
    b->state = ST_JOINING;
    return api_post(b, 0, json_pack("{s:s}", "janus", "create"), session_created);
}

static void publish_ack(yt_backend_t *b, json_t *reply)
{
    (void)b;
    (void)reply; /* the answer comes as "configured" on the long poll */
}

/* Janus answers an actpass offer with "active" (Janus the DTLS client);
 * the session is always the client, so it offers "active" instead. */
static char *sdp_setup_active(const char *sdp)
{
    static const char from[] = "a=setup:actpass", to[] = "a=setup:active";
    char *out = malloc(strlen(sdp) + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = sdp; *p;) {
        if (!strncmp(p, from, sizeof from - 1)) {
            memcpy(o, to, sizeof to - 1);
            o += sizeof to - 1;
            p += sizeof from - 1;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static int jb_publish(yt_backend_t *b, const char *offer_sdp)
{
    if (b->state != ST_JOINED)
        return YH_ESTATE;
    char *sdp = sdp_setup_active(offer_sdp);
    if (!sdp)
        return YH_ENOMEM;
    json_t *body = json_pack("{s:s}", "request", "publish");
    int rc = plugin_msg(b, b->pub_handle, body, "offer", sdp, publish_ack);
    free(sdp);
    return rc;
}

static void start_ack(yt_backend_t *b, json_t *reply)
{
    (void)b;
    (void)reply; /* "started" follows on the long poll */
}

static int jb_answer(yt_backend_t *b, const char *answer_sdp)
{
    if (b->state != ST_JOINED || b->sub_state != SUB_OFFERED)
        return YH_ESTATE;
    json_t *body = json_pack("{s:s}", "request", "start");
    int rc = plugin_msg(b, b->sub_handle, body, "answer", answer_sdp, start_ack);
    if (rc < 0)
        return rc;
    b->sub_state = SUB_STARTING;
    if (!b->sub_trickled++)
        trickle_done(b, b->sub_handle);
    return 0;
}

static int jb_leave(yt_backend_t *b)
{
    close_session(b);
    return 0;
}

static void jb_destroy(yt_backend_t *b)
{
    if (!b || b->dead)
        return;
    b->dead = 1;
    yt_http_destroy(b->req);
    yt_http_destroy(b->poll);
    b->req = b->poll = NULL;
    uv_close((uv_handle_t *)&b->keepalive, on_timer_close);
}

const yt_backend_ops_t yt_backend_janus = {
    .name = "janus",
    .create = jb_create,
    .join = jb_join,
    .publish = jb_publish,
    .answer = jb_answer,
    .leave = jb_leave,
    .destroy = jb_destroy,
};
