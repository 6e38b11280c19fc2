/*
 * The HTTP side of the server, on libwebsockets running on the control
 * thread's libuv loop: static files of web/ at "/", the signaling WebSocket
 * at "/ws", "/healthz". Other modules see WebSocket connections only through
 * this interface, never libwebsockets itself.
 *
 * The same routes are served on a second, TLS listener (HTTPS and WSS)
 * when configured: browsers grant camera and microphone only to secure
 * origins, which plain HTTP is only on localhost. Every HTTP response
 * carries the security headers below (CSP, no framing, no sniffing, no
 * referrer).
 */
#ifndef YH_HTTP_HTTP_H
#define YH_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct yh_http yh_http_t;
typedef struct yh_ws yh_ws_t; /* one WebSocket connection, owned by http */

typedef struct yh_http_listener {
    void *ctx;
    /* A WebSocket connection was opened. */
    void (*ws_open)(void *ctx, yh_ws_t *ws);
    /* One complete text message (reassembled from fragments), at most
     * max_message bytes, borrowed for the call. */
    void (*ws_message)(void *ctx, yh_ws_t *ws, const char *text, size_t len);
    /* The connection is gone (closed by either side or timed out); `ws` is
     * invalid after this call returns. */
    void (*ws_close)(void *ctx, yh_ws_t *ws);
} yh_http_listener_t;

typedef struct yh_http_config {
    const char *bind_ip;     /* e.g. "0.0.0.0" or "127.0.0.1" */
    uint16_t port;           /* 0 picks a free port (see yh_http_port) */
    const char *web_root;    /* directory served at "/" */
    size_t max_message;      /* 65536: larger => error + close 1009 */
    int max_msgs_per_sec;    /* 50: more => error + close 1008 */
    int ping_interval_s;     /* 10 */
    int idle_timeout_s;      /* 30: nothing received => close */
    size_t max_send_queue;   /* bytes queued to one connection before it is dropped */
    /* Per client address (IPv4 address, IPv6 /64), all its connections
     * together: more than max_ws_per_ip connections at once => the new
     * one gets an error, then close 1013; more than max_msgs_per_ip
     * messages per second => error + close 1008 of the connection whose
     * message overflowed. Negative: no limit. Addresses inside one of the
     * `trusted` networks ("IP" or "IP/PREFIX", at most 16) are not
     * limited by these two. */
    int max_ws_per_ip;       /* 256 */
    int max_msgs_per_ip;     /* 1000 */
    const char *const *trusted;
    int n_trusted;
    /* HTTPS + WSS on bind_ip too (the same routes), when `https` is set. */
    int https;
    uint16_t https_port;  /* 0 picks a free port (see yh_http_https_port) */
    const char *tls_cert; /* PEM file: the certificate, then any chain */
    const char *tls_key;  /* PEM file: its private key */
    /* 1: if the HTTPS port cannot be bound, warn and serve HTTP only. */
    int https_optional;
} yh_http_config_t;
/* Numeric fields left 0 take the defaults in the comments (send queue:
 * 4 MiB); bind_ip NULL means "0.0.0.0". The listening sockets bind exactly
 * bind_ip (IPv4 or IPv6 literal). Strings are copied; a trusted network
 * that does not parse fails yh_http_create with YH_EINVAL. */

int yh_http_create(uv_loop_t *loop, const yh_http_config_t *cfg,
                   const yh_http_listener_t *listener, yh_http_t **out);
/* Closes every connection (ws_close is called for each) and the listener.
 * Call it outside uv_run of the loop (e.g. after uv_stop made uv_run
 * return): it runs the loop itself until lws' handles are closed. Accepts
 * NULL. */
void yh_http_destroy(yh_http_t *h);
uint16_t yh_http_port(const yh_http_t *h);
/* The HTTPS port, 0 when HTTPS is off. */
uint16_t yh_http_https_port(const yh_http_t *h);

/* The headers every HTTP response carries, as "name:" / value pairs
 * (for tests and documentation). The Content-Security-Policy allows only
 * the server's own scripts, styles and connections (plus ws:/wss: for the
 * signaling socket, data:/blob: images and blob: media) and no framing. */
#define YH_HTTP_CSP                                                                                \
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "                \
    "media-src 'self' blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"

/* A self-signed certificate for HTTPS on a LAN: makes sure `cert_path`
 * and `key_path` (mode 0600) hold an ECDSA P-256 certificate valid for
 * "localhost" and each of `ips` (subjectAltName). An existing pair is
 * kept while it covers those names and is valid for at least another day;
 * otherwise a new one replaces it. The directory must exist. */
int yh_http_tls_selfsigned(const char *cert_path, const char *key_path, const char *const *ips,
                           int n_ips);

/* Queues one text message (copied). YH_ELIMIT when the connection's send
 * queue is full (the connection is then dropped; ws_close follows later),
 * YH_ESTATE after yh_ws_close or once the connection is going away. */
int yh_ws_send(yh_ws_t *ws, const char *text, size_t len);
/* Flushes what is queued, then closes with `code` (e.g. 1000, 1008). */
void yh_ws_close(yh_ws_t *ws, int code, const char *reason);
void yh_ws_set_user(yh_ws_t *ws, void *user);
void *yh_ws_user(const yh_ws_t *ws);
/* The peer's IP address as text (borrowed). */
const char *yh_ws_peer_ip(const yh_ws_t *ws);

/*
 * HTTP requests to "/api", "/api/..." and "/metrics" go, with their body
 * (at most YH_HTTP_MAX_BODY bytes, else 413), to one request handler. The
 * handler answers with yh_http_respond, at once or later (after work on
 * the thread pool); until then the request is the handler's to keep. If
 * the connection goes away meanwhile, yh_http_respond just frees it.
 * Without a handler these paths answer 404.
 */
#define YH_HTTP_MAX_BODY 65536
#define YH_HTTP_MAX_ARGS 16

typedef struct yh_http_req yh_http_req_t;

typedef struct yh_http_req_view {
    const char *method;        /* "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD" */
    const char *path;          /* URL-decoded, without the query: "/api/meetings/1" */
    const char *authorization; /* the header's value, "" when absent */
    const char *content_type;  /* "" when absent */
    const char *host;          /* the Host header, "" when absent */
    /* Query arguments, each "name=value" URL-decoded, in order. */
    const char *args[YH_HTTP_MAX_ARGS];
    int n_args;
    const char *body; /* NUL-terminated copy; body_len excludes the NUL */
    size_t body_len;
} yh_http_req_view_t;

typedef void (*yh_http_request_fn)(void *ctx, yh_http_req_t *req);

/* Sets the handler (NULL: none); call before requests arrive. */
void yh_http_set_request_handler(yh_http_t *h, yh_http_request_fn fn, void *ctx);
/* The request's fields, valid until yh_http_respond. */
const yh_http_req_view_t *yh_http_req_view(const yh_http_req_t *req);
/* Answers and releases `req` (do not use it afterwards). `body` is copied.
 * `headers` is NULL or a NULL-terminated list of name/value pairs, names
 * lower case with a trailing colon ("www-authenticate:", "Bearer").
 * Returns 0, or YH_ESTATE when the connection was already gone (the
 * request is released either way). */
int yh_http_respond(yh_http_req_t *req, int status, const char *content_type, const char *body,
                    size_t len, const char *const *headers);
/* WebSocket connections open now (for /metrics). */
int yh_http_ws_count(const yh_http_t *h);

#endif
