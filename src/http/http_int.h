/*
 * Internals shared by http.c (server, listening socket, HTTP routes) and
 * ws.c (one WebSocket connection). Not for other modules: they see only
 * http.h. This is the one place besides those two files that includes
 * libwebsockets.
 */
#ifndef YH_HTTP_HTTP_INT_H
#define YH_HTTP_HTTP_INT_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http/http.h"
#include "http/iplimit.h"

/* Defaults for configuration fields left 0. */
#define YH_HTTP_DEF_MAX_MESSAGE 65536
#define YH_HTTP_DEF_MSGS_PER_SEC 50
#define YH_HTTP_DEF_PING_S 10
#define YH_HTTP_DEF_IDLE_S 30
#define YH_HTTP_DEF_SEND_QUEUE (4u << 20)
#define YH_HTTP_DEF_WS_PER_IP 256
#define YH_HTTP_DEF_MSGS_PER_IP 1000

/* The close reason text travels in a control frame: at most 125 bytes
 * including the 2-byte code (RFC 6455 section 5.5). */
#define YH_WS_REASON_MAX 123

/* One queued outgoing text message, with LWS_PRE bytes of headroom so
 * lws_write can prepend the frame header in place. */
typedef struct yh_ws_msg {
    struct yh_ws_msg *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE + len */
} yh_ws_msg_t;

struct yh_ws {
    yh_http_t *h;
    struct lws *wsi;
    void *user;
    char peer_ip[64];
    struct yh_ws *prev, *next; /* h->conns */

    /* Receive: one message being reassembled, at most max_message bytes. */
    char *rx;
    size_t rx_len, rx_cap;
    /* Token bucket of whole messages, in millionths of a message. */
    uint64_t tokens;
    uint64_t tokens_at_us;
    /* The per-address state this connection counts in (NULL: trusted). */
    yh_ipslot_t *ipslot;
    /* Over the per-address connection limit: told so and closed, never
     * handed to the listener. */
    int refused;

    /* Send queue, written one message per writeable callback. */
    yh_ws_msg_t *head, *tail;
    size_t queued;

    /* Set by yh_ws_close or a protocol violation: input is ignored, the
     * queue is flushed, then the close frame carries close_code. */
    int closing;
    int close_sent;
    int close_code;
    char close_reason[YH_WS_REASON_MAX + 1];
    /* The peer stopped reading: the connection is killed without a flush. */
    int dropped;
};

/* One listening socket of ours; accepted connections are adopted into the
 * lws vhost `vh` (plain HTTP, or TLS when the vhost has a certificate). */
typedef struct yh_http_listen {
    yh_http_t *h;
    struct lws_vhost *vh;
    const char *scheme; /* "http" or "https", for logs */
    int fd;
    uint16_t port;
    uv_poll_t poll;
    uv_timer_t pause; /* backs off after EMFILE */
    int poll_started, pause_started;
} yh_http_listen_t;

struct yh_http {
    uv_loop_t *loop;
    yh_http_config_t cfg; /* string fields point at the copies below */
    char bind_ip[64];
    char *web_root;
    yh_http_listener_t l;

    /* Our own listening sockets: lws 4.1 neither binds the address given
     * as `iface` exactly nor supports port 0, so we accept and adopt.
     * `tls` is used only with cfg.https. */
    yh_http_listen_t plain, tls;
    char *tls_cert, *tls_key;

    struct lws_context *ctx;
    struct lws_context *ctx_watch; /* lws writes NULL when fully destroyed */
    lws_retry_bo_t retry;
    struct lws_protocols protocols[2];
    struct lws_http_mount mount_root, mount_healthz;

    yh_ws_t *conns;
    int n_conns;
    yh_iplimit_t iplimit;

    /* /api and /metrics (request.c) */
    struct lws_http_mount mount_api, mount_metrics;
    yh_http_request_fn on_request;
    void *request_ctx;
};

/* One HTTP request to the handler, from its headers to its response. */
enum { YH_REQ_READING, YH_REQ_HANDLER, YH_REQ_RESPONDING };

struct yh_http_req {
    struct lws *wsi; /* NULL once the connection is gone */
    int state;
    yh_http_req_view_t v;
    char method[8];
    char path[512];
    char auth[1024];
    char ctype[128];
    char host[256];
    char argbuf[2048];
    char *body;
    size_t body_len;
    /* Response: headers, then the body from resp + LWS_PRE in chunks. */
    int status;
    int headers_sent;
    int close_after; /* the body was not read to its end */
    char resp_ctype[64];
    char extra[512]; /* "name:\0value\0" pairs */
    size_t extra_len;
    unsigned char *resp;
    size_t resp_len, resp_off;
};

/* Per-lws-connection user space (lws allocates it for HTTP and WS alike). */
typedef struct yh_http_pss {
    yh_ws_t *ws;
    int healthz; /* HTTP: the /healthz body is pending */
    struct yh_http_req *req; /* HTTP: an /api or /metrics request */
} yh_http_pss_t;

/* request.c: /api and /metrics requests for the handler. */
/* 1 when the request's path is /api, /api/... or /metrics. */
int yh__req_is_api(struct lws *wsi);
int yh__req_begin(yh_http_t *h, struct lws *wsi, yh_http_pss_t *pss);
int yh__req_body(yh_http_pss_t *pss, const void *in, size_t len);
int yh__req_body_done(yh_http_t *h, yh_http_pss_t *pss);
/* 1: the request's response took the writeable callback (its return
 * value in *rc); 0: not ours. */
int yh__req_writeable(struct lws *wsi, yh_http_pss_t *pss, int *rc);
void yh__req_closed(yh_http_pss_t *pss);

/* ws.c: the WebSocket half of the protocol callback. */
int yh__ws_established(yh_http_t *h, struct lws *wsi, yh_http_pss_t *pss);
int yh__ws_receive(yh_ws_t *ws, const void *in, size_t len);
int yh__ws_writeable(yh_ws_t *ws);
int yh__ws_peer_closed(yh_ws_t *ws);
void yh__ws_closed(yh_http_pss_t *pss);

#endif
