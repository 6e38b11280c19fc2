/*
 * The WebSocket adapter: http's connections become signaling connections.
 * Kept apart from signal.c so that tests and the fuzzer, which drive
 * signaling over fake connections, do not link the HTTP server.
 */
#include <string.h>

#include "signal/signal_int.h"

static int ws_send(void *ctx, const char *text, size_t len)
{
    return yh_ws_send(ctx, text, len);
}

static void ws_close_req(void *ctx, int code, const char *reason)
{
    yh_ws_close(ctx, code, reason);
}

static const yh_signal_conn_ops_t ws_ops = {ws_send, ws_close_req};

static void on_ws_open(void *ctx, yh_ws_t *ws)
{
    yh_signal_conn_t *c = NULL;
    if (yh_signal_conn_open(ctx, &ws_ops, ws, &c) < 0) {
        yh_ws_close(ws, 1011, "out of memory");
        return;
    }
    yh_ws_set_user(ws, c);
}

static void on_ws_message(void *ctx, yh_ws_t *ws, const char *text, size_t len)
{
    yh_signal_handle_text(ctx, yh_ws_user(ws), text, len);
}

static void on_ws_close(void *ctx, yh_ws_t *ws)
{
    yh_signal_conn_t *c = yh_ws_user(ws);
    yh_ws_set_user(ws, NULL);
    yh_signal_conn_closed(ctx, c);
}

void yh_signal_http_listener(yh_signal_t *s, yh_http_listener_t *out)
{
    memset(out, 0, sizeof *out);
    out->ctx = s;
    out->ws_open = on_ws_open;
    out->ws_message = on_ws_message;
    out->ws_close = on_ws_close;
}
