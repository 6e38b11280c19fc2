/*
 * Internals shared by the Janus backend's files: janus.c (session,
 * requests, the long poll, the backend operations) and janus_sub.c (remote
 * publishers and the subscription).
 */
#ifndef YT_JANUS_INT_H
#define YT_JANUS_INT_H

#include <stdint.h>

#include <jansson.h>

#include "janus.h"
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

/* Events are never delivered after destroy(); a handler that destroys the
 * backend leaves it allocated until the outermost callback returns. */
#define EMIT(b, cb, ...)                                                                           \
    do {                                                                                           \
        if (!(b)->dead && (b)->ev.cb)                                                              \
            (b)->ev.cb((b)->ev.ctx, __VA_ARGS__);                                                  \
    } while (0)

/* janus.c */
int yt_janus_api_post(yt_backend_t *b, uint64_t handle, json_t *msg, reply_fn fn);
int yt_janus_plugin_msg(yt_backend_t *b, uint64_t handle, json_t *body, const char *sdp_type,
                        const char *sdp, reply_fn fn);
void yt_janus_fatal(yt_backend_t *b, yt_err_class_t cls, const char *fmt, const char *detail);
void yt_janus_emit_error(yt_backend_t *b, yt_err_class_t cls, const char *fmt, const char *detail);
void yt_janus_trickle_done(yt_backend_t *b, uint64_t handle);
/* The id in a reply's "data" (a session or handle), 0 when absent. */
uint64_t yt_janus_data_id(json_t *reply);

/* janus_sub.c */
void yt_janus_maybe_subscribe(yt_backend_t *b);
void yt_janus_sub_event(yt_backend_t *b, json_t *d, json_t *jsep);
void yt_janus_pub_event(yt_backend_t *b, json_t *d, json_t *jsep);

#endif
