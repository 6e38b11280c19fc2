/*
 * libwebsockets client connections on a foreign libuv loop. lws may call
 * back from inside lws_client_connect_via_info (a refused connection), so
 * connects are started from a zero timer on the loop: the owner never sees
 * a callback inside yt_ws_connect. lws owns the wsi; ours is attached as
 * its opaque user data and freed when lws closes it.
 */
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "base/err.h"

#define MAX_QUEUE 256
#define MAX_MESSAGE (1u << 20)
#define DRAIN_BUDGET 10000

struct yt_ws_ctx {
    uv_loop_t *loop;
    struct lws_context *lws;
    struct lws_context *watch; /* cleared by lws once the context is gone */
    struct lws_protocols protocols[2];
    uv_timer_t kick;
    yt_ws_t *pending;    /* connects not started yet */
    yt_ws_t *connecting; /* inside lws_client_connect_via_info */
    int connecting_gone;
    int destroying;
};

struct yt_ws {
    yt_ws_ctx_t *c;
    struct lws *wsi;
    yt_ws_listener_t l;
    yt_ws_t *next_pending;
    int opened, released, in_pending;
    /* URL pieces (lws keeps pointers to them while connecting). */
    char host[256], path[512], hosthdr[300];
    int port, ssl;
    unsigned char *q[MAX_QUEUE];
    size_t qlen[MAX_QUEUE];
    unsigned qhead, qcount;
    char *rx;
    size_t rx_len, rx_cap;
    int rx_overflow;
};

static void ws_free(yt_ws_t *w)
{
    while (w->qcount) {
        free(w->q[w->qhead]);
        w->qhead = (w->qhead + 1) % MAX_QUEUE;
        w->qcount--;
    }
    free(w->rx);
    free(w);
}

/* The end of a connection: tell the owner (unless it let go), free. */
static void ws_gone(yt_ws_t *w, const char *why)
{
    if (w->c->connecting == w)
        w->c->connecting_gone = 1;
    if (w->wsi)
        lws_set_opaque_user_data(w->wsi, NULL);
    w->wsi = NULL;
    if (!w->released && !w->c->destroying && w->l.closed)
        w->l.closed(w->l.ctx, w->opened, why);
    ws_free(w);
}

static void deliver(yt_ws_t *w)
{
    json_error_t e;
    json_t *msg = json_loadb(w->rx, w->rx_len, JSON_REJECT_DUPLICATES, &e);
    if (msg && json_is_object(msg) && !w->released && w->l.message)
        w->l.message(w->l.ctx, msg);
    json_decref(msg);
}

static int on_receive(yt_ws_t *w, struct lws *wsi, const void *in, size_t len)
{
    if (w->rx_len + len > MAX_MESSAGE) {
        w->rx_overflow = 1;
    } else if (!w->rx_overflow) {
        if (w->rx_len + len > w->rx_cap) {
            size_t cap = w->rx_cap ? w->rx_cap : 4096;
            while (cap < w->rx_len + len)
                cap *= 2;
            char *p = realloc(w->rx, cap);
            if (!p)
                return -1;
            w->rx = p;
            w->rx_cap = cap;
        }
        memcpy(w->rx + w->rx_len, in, len);
        w->rx_len += len;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;
    if (!w->rx_overflow)
        deliver(w);
    w->rx_len = 0;
    w->rx_overflow = 0;
    return 0;
}

/* One frame per writable callback (lws_write may not be called twice). */
static int on_writable(yt_ws_t *w, struct lws *wsi)
{
    if (w->qcount) {
        unsigned char *m = w->q[w->qhead];
        size_t len = w->qlen[w->qhead];
        w->qhead = (w->qhead + 1) % MAX_QUEUE;
        w->qcount--;
        int n = lws_write(wsi, m + LWS_PRE, len, LWS_WRITE_TEXT);
        free(m);
        if (n < (int)len)
            return -1;
        if (w->qcount || w->released)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (w->released) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    yt_ws_t *w = lws_get_opaque_user_data(wsi);
    char why[160];
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!w)
            return -1;
        w->opened = 1;
        if (w->qcount || w->released)
            lws_callback_on_writable(wsi);
        if (!w->released && w->l.open)
            w->l.open(w->l.ctx);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return w ? on_receive(w, wsi, in, len) : -1;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return w ? on_writable(w, wsi) : -1;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (w) {
            snprintf(why, sizeof why, "%.*s", in ? (int)len : 0, in ? (const char *)in : "");
            ws_gone(w, why[0] ? why : "connection failed");
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        if (w)
            ws_gone(w, w->opened ? "connection closed" : "connection failed");
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static void start(yt_ws_t *w)
{
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = w->c->lws;
    i.address = w->host;
    i.port = w->port;
    i.path = w->path;
    i.host = w->hosthdr;
    i.origin = w->hosthdr;
    i.ssl_connection = w->ssl ? LCCSCF_USE_SSL : 0;
    i.local_protocol_name = w->c->protocols[0].name;
    i.opaque_user_data = w;
    i.pwsi = &w->wsi;
    /* A refused connection may be reported (and `w` freed) inside. */
    yt_ws_ctx_t *c = w->c;
    c->connecting = w;
    c->connecting_gone = 0;
    struct lws *wsi = lws_client_connect_via_info(&i);
    int gone = c->connecting_gone;
    c->connecting = NULL;
    if (!wsi && !gone) {
        w->wsi = NULL;
        ws_gone(w, "cannot start the connection");
    }
}

static void on_kick(uv_timer_t *t)
{
    yt_ws_ctx_t *c = t->data;
    while (c->pending) {
        yt_ws_t *w = c->pending;
        c->pending = w->next_pending;
        w->in_pending = 0;
        if (w->released)
            ws_free(w);
        else
            start(w);
    }
}

static void lws_quiet(int level, const char *line)
{
    if (getenv("YT_LWS_LOG"))
        fprintf(stderr, "lws: %s", line);
}

int yt_ws_ctx_create(uv_loop_t *loop, yt_ws_ctx_t **out)
{
    yt_ws_ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return YH_ENOMEM;
    c->loop = loop;
    c->protocols[0] = (struct lws_protocols){
        .name = "yunhui-term",
        .callback = callback,
        .rx_buffer_size = 65536,
    };
    lws_set_log_level(getenv("YT_LWS_LOG") ? LLL_ERR | LLL_WARN | LLL_NOTICE : 0, lws_quiet);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[1] = {loop};
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = c->protocols;
    info.pcontext = &c->watch;
    info.timeout_secs = 10;
    /* Load mode holds thousands of connections. */
    info.fd_limit_per_thread = 0;
    c->lws = lws_create_context(&info);
    if (!c->lws) {
        free(c);
        return YH_EIO;
    }
    c->watch = c->lws;
    uv_timer_init(loop, &c->kick);
    c->kick.data = c;
    *out = c;
    return 0;
}

static void walk_closing(uv_handle_t *h, void *arg)
{
    if (uv_is_closing(h))
        *(int *)arg = 1;
}

static void drain(uv_loop_t *loop)
{
    for (int i = 0; i < DRAIN_BUDGET; i++) {
        int closing = 0;
        uv_walk(loop, walk_closing, &closing);
        if (!closing)
            return;
        uv_run(loop, UV_RUN_NOWAIT);
    }
}

void yt_ws_ctx_destroy(yt_ws_ctx_t *c)
{
    if (!c)
        return;
    c->destroying = 1;
    while (c->pending) {
        yt_ws_t *w = c->pending;
        c->pending = w->next_pending;
        ws_free(w);
    }
    uv_close((uv_handle_t *)&c->kick, NULL);
    /* As in src/http/http.c: on a foreign loop the first destroy closes the
     * connections and lws' handles, the second frees the context. */
    lws_context_destroy(c->lws);
    drain(c->loop);
    if (c->watch)
        lws_context_destroy(c->lws);
    drain(c->loop);
    free(c);
}

/* ws://host[:port]/path or wss://...; IPv6 literals in brackets. */
static int parse_url(yt_ws_t *w, const char *url)
{
    char tmp[768];
    const char *prot, *ads, *path;
    int port;
    if (strlen(url) >= sizeof tmp)
        return YH_EINVAL;
    strcpy(tmp, url);
    if (lws_parse_uri(tmp, &prot, &ads, &port, &path))
        return YH_EINVAL;
    if (!strcmp(prot, "ws"))
        w->ssl = 0;
    else if (!strcmp(prot, "wss"))
        w->ssl = 1;
    else
        return YH_EINVAL;
    if (!ads[0] || strlen(ads) >= sizeof w->host || strlen(path) + 2 > sizeof w->path)
        return YH_EINVAL;
    strcpy(w->host, ads);
    w->port = port;
    snprintf(w->path, sizeof w->path, "/%s", path);
    snprintf(w->hosthdr, sizeof w->hosthdr, "%s:%d", ads, port);
    return 0;
}

int yt_ws_connect(yt_ws_ctx_t *c, const char *url, const yt_ws_listener_t *l, yt_ws_t **out)
{
    yt_ws_t *w = calloc(1, sizeof *w);
    if (!w)
        return YH_ENOMEM;
    w->c = c;
    w->l = *l;
    if (parse_url(w, url) < 0) {
        free(w);
        return YH_EINVAL;
    }
    w->next_pending = c->pending;
    w->in_pending = 1;
    c->pending = w;
    uv_timer_start(&c->kick, on_kick, 0, 0);
    *out = w;
    return 0;
}

int yt_ws_send(yt_ws_t *w, const json_t *msg)
{
    if (!w || w->released)
        return YH_ESTATE;
    if (w->qcount >= MAX_QUEUE)
        return YH_ELIMIT;
    char *text = json_dumps(msg, JSON_COMPACT);
    if (!text)
        return YH_ENOMEM;
    size_t len = strlen(text);
    unsigned char *m = malloc(LWS_PRE + len);
    if (!m) {
        free(text);
        return YH_ENOMEM;
    }
    memcpy(m + LWS_PRE, text, len);
    free(text);
    unsigned slot = (w->qhead + w->qcount) % MAX_QUEUE;
    w->q[slot] = m;
    w->qlen[slot] = len;
    w->qcount++;
    if (w->wsi && w->opened)
        lws_callback_on_writable(w->wsi);
    return 0;
}

void yt_ws_close(yt_ws_t *w)
{
    if (!w || w->released)
        return;
    w->released = 1;
    if (w->in_pending)
        return; /* freed by on_kick */
    if (w->wsi && w->opened)
        lws_callback_on_writable(w->wsi);
    else if (w->wsi)
        lws_set_timeout(w->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}
