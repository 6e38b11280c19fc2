/*
 * The Yunhui signaling backend: docs/protocol.md over one WebSocket, the
 * same messages the web client (web/yunhui.js) sends. Replies are matched
 * by the integer ids we give our requests; everything else is an event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "base/err.h"
#include "ws.h"

#define MAX_OFFER_TRACKS 64

enum { REQ_JOIN = 1, REQ_PUBLISH, REQ_LEAVE, REQ_ANSWER, REQ_RESTART_ICE, REQ_FIRST_FREE };

struct yt_backend {
    yt_backend_config_t cfg;
    yt_backend_events_t ev;
    char *server, *meeting, *name, *passcode;
    yt_ws_t *ws;
    int open, joined, leaving, closed_sent, failed;
    uv_timer_t *defer; /* deferred `closed` */
};

static void emit_closed(yt_backend_t *b)
{
    if (b->closed_sent)
        return;
    b->closed_sent = 1;
    if (b->ev.closed)
        b->ev.closed(b->ev.ctx);
}

static void fail(yt_backend_t *b, yt_err_class_t cls, const char *msg)
{
    if (b->failed)
        return;
    b->failed = 1;
    if (b->ev.error)
        b->ev.error(b->ev.ctx, cls, msg);
}

static void close_ws(yt_backend_t *b)
{
    yt_ws_close(b->ws);
    b->ws = NULL;
    b->open = 0;
}

/* ---- outgoing ---- */

static int send_msg(yt_backend_t *b, json_t *msg)
{
    int rc = msg && b->ws ? yt_ws_send(b->ws, msg) : YH_ESTATE;
    json_decref(msg);
    return rc;
}

static void send_join(yt_backend_t *b)
{
    json_t *m =
        json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:s}}", "type", "join", "id", REQ_JOIN, "meeting",
                  b->meeting, "name", b->name, "client", "kind", "term", "version", "0.1.0");
    if (m && b->passcode)
        json_object_set_new(m, "passcode", json_string(b->passcode));
    send_msg(b, m);
}

/* ---- incoming ---- */

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* A refused join, in words a person can act on (docs/protocol.md,
 * "Error codes"). */
static void join_refused(yt_backend_t *b, const char *code, const char *message)
{
    static const struct {
        const char *code;
        const char *text;
    } tab[] = {
        {"not-found", "meeting %s not found"},
        {"bad-passcode", "bad passcode for meeting %s"},
        {"full", "meeting %s is full"},
        {"locked", "meeting %s is locked"},
        {"ended", "meeting %s has ended"},
        {"denied", "entry to meeting %s was denied"},
        {"unauthorized", "not allowed to join meeting %s"},
    };
    char line[512];
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        if (!strcmp(code, tab[i].code)) {
            snprintf(line, sizeof line, tab[i].text, b->meeting);
            fail(b, YT_ERR_REFUSED, line);
            return;
        }
    }
    snprintf(line, sizeof line, "join refused (%s): %s", code, message);
    fail(b, !strcmp(code, "bad-request") ? YT_ERR_REFUSED : YT_ERR_OTHER, line);
}

static void on_error(yt_backend_t *b, json_t *m)
{
    const char *code = str(m, "code"), *message = str(m, "message");
    json_int_t id = json_integer_value(json_object_get(m, "id"));
    char line[512];
    if (id == REQ_JOIN) {
        join_refused(b, code, message);
    } else if (!strcmp(code, "media-failed")) {
        snprintf(line, sizeof line, "the server dropped our media connection: %s", message);
        fail(b, YT_ERR_MEDIA, line);
    } else if (id == REQ_PUBLISH || id == REQ_ANSWER) {
        snprintf(line, sizeof line, "the server refused our %s: %s",
                 id == REQ_PUBLISH ? "publish offer" : "answer", message);
        fail(b, YT_ERR_MEDIA, line);
    } else {
        snprintf(line, sizeof line, "server error %s: %s", code, message);
        fail(b, YT_ERR_OTHER, line);
    }
}

static void on_track_obj(yt_backend_t *b, const json_t *t)
{
    const char *kind = str(t, "kind");
    if (!b->ev.track || !json_is_object(t) || !str(t, "id")[0])
        return;
    b->ev.track(b->ev.ctx, str(t, "id"), str(t, "participant"),
                !strcmp(kind, "video") ? YT_KIND_VIDEO : YT_KIND_AUDIO);
}

static void on_joined(yt_backend_t *b, json_t *m)
{
    size_t i;
    json_t *t;
    if (json_integer_value(json_object_get(m, "id")) != REQ_JOIN)
        return;
    b->joined = 1;
    /* Tracks first: the subscriber offer that carries them follows. */
    json_array_foreach(json_object_get(m, "tracks"), i, t) on_track_obj(b, t);
    if (b->ev.joined)
        b->ev.joined(b->ev.ctx, str(json_object_get(m, "self"), "id"));
}

static void on_answer(yt_backend_t *b, json_t *m)
{
    if (json_integer_value(json_object_get(m, "id")) == REQ_PUBLISH && b->ev.publish_answer)
        b->ev.publish_answer(b->ev.ctx, str(m, "sdp"));
}

static void on_offer(yt_backend_t *b, json_t *m)
{
    yt_sub_track_t tracks[MAX_OFFER_TRACKS];
    size_t i, n = 0;
    json_t *t;
    json_array_foreach(json_object_get(m, "tracks"), i, t)
    {
        if (n < MAX_OFFER_TRACKS && json_is_object(t)) {
            tracks[n].mid = str(t, "mid");
            tracks[n].track = str(t, "track");
            n++;
        }
    }
    if (b->ev.sub_offer)
        b->ev.sub_offer(b->ev.ctx, str(m, "sdp"), tracks, n);
}

static void on_ok(yt_backend_t *b, json_t *m)
{
    if (json_integer_value(json_object_get(m, "id")) == REQ_LEAVE && b->leaving) {
        close_ws(b);
        emit_closed(b);
    }
}

static void on_track_published(yt_backend_t *b, json_t *m)
{
    on_track_obj(b, json_object_get(m, "track"));
}

static void on_track_unpublished(yt_backend_t *b, json_t *m)
{
    if (b->ev.track_ended)
        b->ev.track_ended(b->ev.ctx, str(m, "id"));
}

static void on_participant_left(yt_backend_t *b, json_t *m)
{
    if (b->ev.participant_left)
        b->ev.participant_left(b->ev.ctx, str(m, "id"));
}

static void on_ping(yt_backend_t *b, json_t *m)
{
    send_msg(b, json_pack("{s:s}", "type", "pong"));
}

static const struct {
    const char *type;
    void (*fn)(yt_backend_t *b, json_t *m);
} handlers[] = {
    {"joined", on_joined},
    {"answer", on_answer},
    {"offer", on_offer},
    {"ok", on_ok},
    {"error", on_error},
    {"track-published", on_track_published},
    {"track-unpublished", on_track_unpublished},
    {"participant-left", on_participant_left},
    {"ping", on_ping},
};

static void ws_message(void *ctx, json_t *msg)
{
    yt_backend_t *b = ctx;
    const char *type = str(msg, "type");
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
        if (!strcmp(type, handlers[i].type)) {
            handlers[i].fn(b, msg);
            return;
        }
    }
}

static void ws_open(void *ctx)
{
    yt_backend_t *b = ctx;
    b->open = 1;
    send_join(b);
}

static void ws_closed(void *ctx, int opened, const char *why)
{
    yt_backend_t *b = ctx;
    char line[512];
    b->ws = NULL;
    b->open = 0;
    if (!opened) {
        snprintf(line, sizeof line, "cannot reach the server at %s: %s", b->server, why);
        fail(b, YT_ERR_UNREACHABLE, line);
    } else if (!b->leaving && !b->joined) {
        snprintf(line, sizeof line, "the server at %s closed the connection before joining",
                 b->server);
        fail(b, YT_ERR_UNREACHABLE, line);
    } else if (!b->leaving) {
        snprintf(line, sizeof line, "lost the signaling connection to the server at %s: %s",
                 b->server, why);
        fail(b, YT_ERR_UNREACHABLE, line);
    }
    emit_closed(b);
}

/* ---- operations ---- */

static int create(const yt_backend_config_t *cfg, const yt_backend_events_t *ev, yt_backend_t **out)
{
    yt_backend_t *b = calloc(1, sizeof *b);
    if (!b)
        return YH_ENOMEM;
    b->cfg = *cfg;
    b->ev = *ev;
    b->server = strdup(cfg->server ? cfg->server : "");
    b->meeting = strdup(cfg->meeting ? cfg->meeting : "");
    b->name = strdup(cfg->name ? cfg->name : "yunhui-term");
    b->passcode = cfg->passcode ? strdup(cfg->passcode) : NULL;
    b->defer = calloc(1, sizeof *b->defer);
    if (!b->server || !b->meeting || !b->name || (cfg->passcode && !b->passcode) || !b->defer) {
        free(b->defer);
        b->defer = NULL;
        yt_backend_yunhui.destroy(b);
        return YH_ENOMEM;
    }
    uv_timer_init(cfg->loop, b->defer);
    b->defer->data = b;
    *out = b;
    return 0;
}

static int join(yt_backend_t *b)
{
    yt_ws_listener_t l = {.ctx = b, .open = ws_open, .message = ws_message, .closed = ws_closed};
    if (b->ws)
        return YH_ESTATE;
    return yt_ws_connect(b->cfg.shared, b->server, &l, &b->ws);
}

/* No "tracks" list: sources default to microphone and camera by kind,
 * which is what the terminal sends. */
static int publish(yt_backend_t *b, const char *offer_sdp)
{
    return send_msg(
        b, json_pack("{s:s, s:i, s:s}", "type", "publish", "id", REQ_PUBLISH, "sdp", offer_sdp));
}

static int answer(yt_backend_t *b, const char *answer_sdp)
{
    return send_msg(
        b, json_pack("{s:s, s:i, s:s}", "type", "answer", "id", REQ_ANSWER, "sdp", answer_sdp));
}

static int restart_ice(yt_backend_t *b)
{
    return send_msg(b, json_pack("{s:s, s:i}", "type", "restart-ice", "id", REQ_RESTART_ICE));
}

static void on_defer(uv_timer_t *t)
{
    emit_closed(t->data);
}

static int leave(yt_backend_t *b)
{
    if (b->leaving)
        return 0;
    b->leaving = 1;
    if (b->open && b->joined &&
        send_msg(b, json_pack("{s:s, s:i}", "type", "leave", "id", REQ_LEAVE)) == 0)
        return 0; /* closed follows the ok */
    close_ws(b);
    uv_timer_start(b->defer, on_defer, 0, 0);
    return 0;
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void destroy(yt_backend_t *b)
{
    if (!b)
        return;
    close_ws(b);
    if (b->defer)
        uv_close((uv_handle_t *)b->defer, free_handle);
    free(b->server);
    free(b->meeting);
    free(b->name);
    free(b->passcode);
    free(b);
}

const yt_backend_ops_t yt_backend_yunhui = {
    .name = "yunhui",
    .create = create,
    .join = join,
    .publish = publish,
    .answer = answer,
    .restart_ice = restart_ice,
    .leave = leave,
    .destroy = destroy,
};
