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
#include "janus_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/err.h"

static void poll_next(yt_backend_t *b);

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

static void emit_closed(yt_backend_t *b)
{
    if (!b->dead && b->ev.closed)
        b->ev.closed(b->ev.ctx);
}

void yt_janus_emit_error(yt_backend_t *b, yt_err_class_t cls, const char *fmt, const char *detail)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, detail ? detail : "");
    EMIT(b, error, cls, msg);
}

/* ---- requests ------------------------------------------------------------ */

static void on_reply(void *ctx, int status, const char *body, size_t len);

/* POSTs `msg` (consumed) to the API root, the session or a handle (0 for
 * none) with a fresh transaction; `fn` gets the parsed reply. */
int yt_janus_api_post(yt_backend_t *b, uint64_t handle, json_t *msg, reply_fn fn)
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
    rc =
        text ? yt_http_request(b->req, "POST", path, text, REQ_TIMEOUT_MS, on_reply, b) : YH_ENOMEM;
    free(text);
    if (rc == 0)
        b->replies[(b->r_head + b->r_count++) % MAX_REPLIES] = fn;
out:
    json_decref(msg);
    return rc;
}

/* A plugin message on `handle`, with a jsep when `sdp_type` is not NULL. */
int yt_janus_plugin_msg(yt_backend_t *b, uint64_t handle, json_t *body, const char *sdp_type,
                        const char *sdp, reply_fn fn)
{
    json_t *m = json_pack("{s:s, s:o}", "janus", "message", "body", body);
    if (m && sdp_type)
        json_object_set_new(m, "jsep", json_pack("{s:s, s:s}", "type", sdp_type, "sdp", sdp));
    return yt_janus_api_post(b, handle, m, fn);
}

static void ignore_reply(yt_backend_t *b, json_t *reply)
{
    (void)b;
    (void)reply;
}

/* After leave() or a yt_janus_fatal error: the session is destroyed, then closed. */
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
    if (b->session &&
        yt_janus_api_post(b, 0, json_pack("{s:s}", "janus", "destroy"), closed_reply) == 0)
        return;
    uv_timer_start(&b->keepalive, on_deferred_closed, 0, 0);
}

void yt_janus_fatal(yt_backend_t *b, yt_err_class_t cls, const char *fmt, const char *detail)
{
    if (b->state >= ST_LEAVING)
        return;
    yt_janus_emit_error(b, cls, fmt, detail);
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
            yt_janus_fatal(b, YT_ERR_UNREACHABLE, "Janus API unreachable (%s)", why);
    } else if (!type) {
        if (fn == closed_reply)
            fn(b, NULL);
        else
            yt_janus_fatal(b, YT_ERR_OTHER, "Janus API: bad reply%s", "");
    } else if (!strcmp(type, "error") && fn != closed_reply) {
        yt_janus_fatal(b, b->state == ST_JOINED ? YT_ERR_OTHER : YT_ERR_REFUSED, "Janus: %s",
                       error_reason(j));
    } else {
        fn(b, j);
    }
    json_decref(j);
    b->busy--;
    release(b);
}

/* ---- joining --------------------------------------------------------------- */

uint64_t yt_janus_data_id(json_t *reply)
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
        yt_janus_api_post(b, 0, json_pack("{s:s}", "janus", "keepalive"), ignore_reply);
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
        yt_janus_fatal(b, YT_ERR_REFUSED, "Janus: cannot create room: %s",
                       json_string_value(json_object_get(d, "error")));
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:I, s:s}", "request", "join", "ptype", "publisher",
                             "room", (json_int_t)b->room, "display", b->name);
    if (yt_janus_plugin_msg(b, b->pub_handle, body, NULL, NULL, joined_ack) < 0)
        yt_janus_fatal(b, YT_ERR_OTHER, "Janus: cannot send join%s", "");
}

static void pub_attached(yt_backend_t *b, json_t *reply)
{
    b->pub_handle = yt_janus_data_id(reply);
    json_t *body = json_pack("{s:s, s:I, s:i, s:b, s:b, s:s, s:s, s:i, s:i}", "request", "create",
                             "room", (json_int_t)b->room, "publishers", ROOM_PUBLISHERS,
                             "permanent", 0, "notify_joining", 0, "audiocodec", "opus",
                             "videocodec", "vp8", "bitrate", 0, "fir_freq", 0);
    if (!b->pub_handle || yt_janus_plugin_msg(b, b->pub_handle, body, NULL, NULL, room_created) < 0)
        yt_janus_fatal(b, YT_ERR_OTHER, "Janus: attach failed%s", "");
}

static void session_created(yt_backend_t *b, json_t *reply)
{
    b->session = yt_janus_data_id(reply);
    if (!b->session) {
        yt_janus_fatal(b, YT_ERR_OTHER, "Janus: no session id%s", "");
        return;
    }
    uv_timer_start(&b->keepalive, on_keepalive, KEEPALIVE_MS, KEEPALIVE_MS);
    poll_next(b);
    json_t *m = json_pack("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom");
    if (yt_janus_api_post(b, 0, m, pub_attached) < 0)
        yt_janus_fatal(b, YT_ERR_OTHER, "Janus: cannot attach%s", "");
}

/* Tells Janus no more candidates of ours will come (half trickle: Janus,
 * ICE-lite, learns our address from the checks themselves). */
void yt_janus_trickle_done(yt_backend_t *b, uint64_t handle)
{
    json_t *m = json_pack("{s:s, s:{s:b}}", "janus", "trickle", "candidate", "completed", 1);
    yt_janus_api_post(b, handle, m, ignore_reply);
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
            yt_janus_pub_event(b, d, jsep);
        else if (sender && sender == b->sub_handle)
            yt_janus_sub_event(b, d, jsep);
    } else if (!strcmp(type, "hangup") && b->state == ST_JOINED) {
        yt_janus_emit_error(b, YT_ERR_MEDIA, "Janus hung up a connection: %s",
                            json_string_value(json_object_get(e, "reason")));
    } else if (!strcmp(type, "trickle")) {
        trickle_in(b, sender, json_object_get(e, "candidate"));
    } else if (!strcmp(type, "timeout")) {
        yt_janus_fatal(b, YT_ERR_UNREACHABLE, "Janus: session timed out%s", "");
    } else if (!strcmp(type, "error")) {
        yt_janus_fatal(b, YT_ERR_UNREACHABLE, "Janus: %s", error_reason(e));
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
            yt_janus_fatal(b, YT_ERR_UNREACHABLE, "lost the Janus event poll (%s)",
                           status < 0 ? yh_strerror(status) : "bad reply");
        else
            poll_next(b);
    } else {
        b->poll_failures = 0;
        if (json_is_array(j)) {
            size_t i;
            json_t *e;
            json_array_foreach(j, i, e)
            {
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
        yt_janus_fatal(b, YT_ERR_OTHER, "Janus: cannot poll%s", "");
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
    return yt_janus_api_post(b, 0, json_pack("{s:s}", "janus", "create"), session_created);
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
    int rc = yt_janus_plugin_msg(b, b->pub_handle, body, "offer", sdp, publish_ack);
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
    int rc = yt_janus_plugin_msg(b, b->sub_handle, body, "answer", answer_sdp, start_ack);
    if (rc < 0)
        return rc;
    b->sub_state = SUB_STARTING;
    if (!b->sub_trickled++)
        yt_janus_trickle_done(b, b->sub_handle);
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
