/*
 * WebSocket client connections carrying JSON text frames, on libwebsockets
 * driven by the caller's libuv loop (a "foreign" loop to lws). One context
 * serves every connection of the process (load mode opens thousands).
 * Outgoing messages are queued and written when lws says the socket is
 * writable, one frame per callback, as lws requires.
 */
#ifndef YT_WS_H
#define YT_WS_H

#include <jansson.h>
#include <uv.h>

typedef struct yt_ws_ctx yt_ws_ctx_t;
typedef struct yt_ws yt_ws_t;

int yt_ws_ctx_create(uv_loop_t *loop, yt_ws_ctx_t **out);
/* Closes every connection still open (without callbacks) and runs the loop
 * until lws has closed its handles. */
void yt_ws_ctx_destroy(yt_ws_ctx_t *c);

typedef struct yt_ws_listener {
    void *ctx;
    void (*open)(void *ctx);
    /* One parsed JSON object (borrowed for the call). Text that is not a
     * JSON object is dropped. */
    void (*message)(void *ctx, json_t *msg);
    /* The connection is gone; `opened` says whether it ever opened, `why`
     * is a one-line reason. The yt_ws_t is freed after this returns. */
    void (*closed)(void *ctx, int opened, const char *why);
} yt_ws_listener_t;

/* Starts connecting to a ws:// or wss:// URL. Callbacks never run inside
 * this call: a connection that fails at once reports `closed` from the
 * loop. YH_EINVAL for a URL that is not ws(s)://host[:port]/path. */
int yt_ws_connect(yt_ws_ctx_t *c, const char *url, const yt_ws_listener_t *l, yt_ws_t **out);
/* Queues `msg` as one text frame. YH_ESTATE when closed or closing,
 * YH_ELIMIT when 256 messages are already queued. */
int yt_ws_send(yt_ws_t *w, const json_t *msg);
/* Closes (normal closure, 1000) after the queued messages; no callback
 * runs afterwards and the object is freed by lws' close. */
void yt_ws_close(yt_ws_t *w);

#endif
