/*
 * The HTTP server: libwebsockets on the caller's libuv loop (a "foreign"
 * loop to lws). Routes: "/" serves files of web_root (an lws file mount,
 * which canonicalises "/../" away and answers 404 for what is not there),
 * "/healthz" answers {"status":"ok"}, "/ws" upgrades to the signaling
 * WebSocket handled in ws.c, "/api" and "/metrics" go with their body to
 * the request handler (request.c).
 *
 * We own the listening socket and hand each accepted connection to lws
 * (lws_adopt_socket_vhost): in lws 4.1 `iface = "127.0.0.1"` still binds
 * every interface and port 0 means "do not listen", while the server must
 * bind exactly the configured address and tests need an ephemeral port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "http/http_int.h"
#include "net/addr.h"

#define MOD "http"
#define PROTOCOL_NAME "yunhui"
#define ACCEPT_BATCH 64
#define ACCEPT_PAUSE_MS 500
#define DRAIN_BUDGET 10000

/* Content types by file suffix: ES modules need a JavaScript MIME type
 * (HTML "fetch a module script" refuses others). */
static const struct lws_protocol_vhost_options mime_json = {NULL, NULL, ".json",
                                                            "application/json"};
static const struct lws_protocol_vhost_options mime_png = {&mime_json, NULL, ".png", "image/png"};
static const struct lws_protocol_vhost_options mime_svg = {&mime_png, NULL, ".svg",
                                                           "image/svg+xml"};
static const struct lws_protocol_vhost_options mime_html = {&mime_svg, NULL, ".html",
                                                            "text/html; charset=utf-8"};
static const struct lws_protocol_vhost_options mime_css = {&mime_html, NULL, ".css",
                                                           "text/css; charset=utf-8"};
static const struct lws_protocol_vhost_options mime_mjs = {&mime_css, NULL, ".mjs",
                                                           "text/javascript; charset=utf-8"};
static const struct lws_protocol_vhost_options mime_js = {&mime_mjs, NULL, ".js",
                                                          "text/javascript; charset=utf-8"};

/* Sent with every response (lws adds a vhost's list to each status line
 * it writes: files, /healthz, /api, errors). The web client has no build
 * step and no versioned file names, so browsers must revalidate on each
 * load. The rest keeps pages from being framed (clickjacking), content
 * from being sniffed into another type, URLs (meeting numbers, tokens)
 * from leaking in Referer, and scripts to our own files (CSP Level 3). */
static const struct lws_protocol_vhost_options hdr_referrer = {NULL, NULL,
                                                               "referrer-policy:", "no-referrer"};
static const struct lws_protocol_vhost_options hdr_nosniff = {&hdr_referrer, NULL,
                                                              "x-content-type-options:", "nosniff"};
static const struct lws_protocol_vhost_options hdr_frame = {&hdr_nosniff, NULL,
                                                            "x-frame-options:", "DENY"};
static const struct lws_protocol_vhost_options hdr_csp = {&hdr_frame, NULL,
                                                          "content-security-policy:", YH_HTTP_CSP};
static const struct lws_protocol_vhost_options hdr_cache = {&hdr_csp, NULL,
                                                            "cache-control:", "no-cache"};

static const char healthz_body[] = "{\"status\":\"ok\"}";

static void lws_log_emit(int level, const char *line)
{
    /* lws prefixes "[date time] X: "; our logger adds its own stamp. */
    const char *p = strstr(line, "] ");
    p = p ? p + 2 : line;
    if (p[0] && p[1] == ':' && p[2] == ' ')
        p += 3;
    size_t n = strlen(p);
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    int yl = level & LLL_ERR ? YH_LOG_ERROR : level & LLL_WARN ? YH_LOG_WARN : YH_LOG_DEBUG;
    yh_log(yl, "lws", "%.*s", (int)n, p);
}

static int healthz_begin(struct lws *wsi, yh_http_pss_t *pss)
{
    uint8_t buf[LWS_PRE + 512];
    uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json",
                                    sizeof healthz_body - 1, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    pss->healthz = 1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int healthz_body_write(struct lws *wsi, yh_http_pss_t *pss)
{
    uint8_t buf[LWS_PRE + sizeof healthz_body];
    if (!pss->healthz)
        return 0;
    pss->healthz = 0;
    memcpy(buf + LWS_PRE, healthz_body, sizeof healthz_body - 1);
    if (lws_write(wsi, buf + LWS_PRE, sizeof healthz_body - 1, LWS_WRITE_HTTP_FINAL) < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Requests reaching the callback mounts: "GET /healthz", and /api and
 * /metrics for the request handler (request.c). */
static int on_http(struct lws *wsi, yh_http_pss_t *pss)
{
    char uri[32];
    if (yh__req_is_api(wsi))
        return yh__req_begin(lws_context_user(lws_get_context(wsi)), wsi, pss);
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) > 0 && !strcmp(uri, "/healthz"))
        return healthz_begin(wsi, pss);
    if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* The WebSocket upgrade is accepted on "/ws" only. Browsers send no
 * subprotocol, so this protocol is the vhost's first (default) one. */
static int ws_filter(struct lws *wsi)
{
    char uri[8];
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) > 0 && !strcmp(uri, "/ws"))
        return 0;
    return 1;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    yh_http_pss_t *pss = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(wsi, pss);
    case LWS_CALLBACK_HTTP_BODY:
        return pss ? yh__req_body(pss, in, len) : -1;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return pss ? yh__req_body_done(lws_context_user(lws_get_context(wsi)), pss) : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        int rc;
        if (pss && yh__req_writeable(wsi, pss, &rc))
            return rc;
        return healthz_body_write(wsi, pss);
    }
    case LWS_CALLBACK_CLOSED_HTTP:
        yh__req_closed(pss);
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return ws_filter(wsi);
    case LWS_CALLBACK_ESTABLISHED:
        return yh__ws_established(lws_context_user(lws_get_context(wsi)), wsi, pss);
    case LWS_CALLBACK_RECEIVE:
        return pss && pss->ws ? yh__ws_receive(pss->ws, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return pss && pss->ws ? yh__ws_writeable(pss->ws) : -1;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        return pss && pss->ws ? yh__ws_peer_closed(pss->ws) : 0;
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        if (pss) {
            yh__req_closed(pss);
            yh__ws_closed(pss);
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static void listen_start(yh_http_listen_t *l);

static void on_accept_pause(uv_timer_t *t)
{
    listen_start(t->data);
}

static void on_accept(uv_poll_t *p, int status, int events)
{
    yh_http_listen_t *l = p->data;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* The pending connection stays queued; retrying at once
                 * would spin, so stop polling for a moment. */
                YH_LOGW(MOD, "accept: %s; pausing", strerror(errno));
                uv_poll_stop(&l->poll);
                uv_timer_start(&l->pause, on_accept_pause, ACCEPT_PAUSE_MS, 0);
            }
            return;
        }
        /* On failure lws closes the descriptor itself. On a vhost with a
         * certificate the TLS handshake comes first. */
        if (!lws_adopt_socket_vhost(l->vh, fd))
            YH_LOGW(MOD, "could not adopt a connection");
    }
}

static void listen_start(yh_http_listen_t *l)
{
    uv_poll_start(&l->poll, UV_READABLE, on_accept);
}

/* Binds bind_ip:port; an `optional` listener's failure is only a warning. */
static int listen_open(yh_http_t *h, yh_http_listen_t *l, uint16_t port, int optional)
{
    struct sockaddr_storage ss;
    if (yh_addr_parse(h->bind_ip, port, &ss)) {
        YH_LOGE(MOD, "bad bind address \"%s\"", h->bind_ip);
        return YH_EINVAL;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return YH_EIO;
    l->fd = fd;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t sl = sizeof ss;
    if (bind(fd, (struct sockaddr *)&ss, yh_addr_len((struct sockaddr *)&ss)) ||
        listen(fd, SOMAXCONN) || getsockname(fd, (struct sockaddr *)&ss, &sl)) {
        yh_log(optional ? YH_LOG_WARN : YH_LOG_ERROR, MOD, "%s: listen on %s port %u: %s%s",
               l->scheme, h->bind_ip, port, strerror(errno),
               optional ? "; serving without it" : "");
        return YH_EIO;
    }
    char as[YH_ADDR_STRLEN];
    yh_addr_str((struct sockaddr *)&ss, as, sizeof as);
    l->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                       : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (uv_poll_init_socket(h->loop, &l->poll, fd))
        return YH_EIO;
    l->poll.data = l;
    l->poll_started = 1;
    uv_timer_init(h->loop, &l->pause);
    l->pause.data = l;
    l->pause_started = 1;
    listen_start(l);
    YH_LOGI(MOD, "%s: listening on %s", l->scheme, as);
    return 0;
}

/* Closes what listen_open opened (the handles close asynchronously). */
static void listen_close(yh_http_listen_t *l)
{
    if (l->poll_started)
        uv_close((uv_handle_t *)&l->poll, NULL);
    if (l->pause_started)
        uv_close((uv_handle_t *)&l->pause, NULL);
    l->poll_started = l->pause_started = 0;
}

static void listen_free_fd(yh_http_listen_t *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    l->port = 0;
}

static void config_defaults(yh_http_t *h, const yh_http_config_t *cfg)
{
    h->cfg = *cfg;
    if (!h->cfg.max_message)
        h->cfg.max_message = YH_HTTP_DEF_MAX_MESSAGE;
    if (h->cfg.max_msgs_per_sec <= 0)
        h->cfg.max_msgs_per_sec = YH_HTTP_DEF_MSGS_PER_SEC;
    if (h->cfg.ping_interval_s <= 0)
        h->cfg.ping_interval_s = YH_HTTP_DEF_PING_S;
    if (h->cfg.idle_timeout_s <= 0)
        h->cfg.idle_timeout_s = YH_HTTP_DEF_IDLE_S;
    if (h->cfg.idle_timeout_s < h->cfg.ping_interval_s)
        h->cfg.idle_timeout_s = h->cfg.ping_interval_s;
    if (!h->cfg.max_send_queue)
        h->cfg.max_send_queue = YH_HTTP_DEF_SEND_QUEUE;
    if (!h->cfg.max_ws_per_ip)
        h->cfg.max_ws_per_ip = YH_HTTP_DEF_WS_PER_IP;
    if (!h->cfg.max_msgs_per_ip)
        h->cfg.max_msgs_per_ip = YH_HTTP_DEF_MSGS_PER_IP;
    h->cfg.trusted = NULL; /* parsed into h->iplimit; not kept */
    snprintf(h->bind_ip, sizeof h->bind_ip, "%s", cfg->bind_ip ? cfg->bind_ip : "0.0.0.0");
    h->cfg.bind_ip = h->bind_ip;
}

/* One vhost that does not listen (connections are adopted), with the
 * routes and the WebSocket keepalive; with `tls`, the certificate and
 * HTTP/1.1 only in ALPN (the WebSocket upgrade is an HTTP/1.1 one). */
static struct lws_vhost *vhost_create(yh_http_t *h, struct lws_context_creation_info *info, int tls)
{
    info->vhost_name = tls ? "yunhui-tls" : "yunhui";
    info->port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info->protocols = h->protocols;
    info->mounts = &h->mount_root;
    info->headers = &hdr_cache;
    info->retry_and_idle_policy = &h->retry;
    info->ssl_cert_filepath = tls ? h->tls_cert : NULL;
    info->ssl_private_key_filepath = tls ? h->tls_key : NULL;
    info->alpn = tls ? "http/1.1" : NULL;
    struct lws_vhost *vh = lws_create_vhost(h->ctx, info);
    if (!vh && tls)
        YH_LOGE(MOD, "https: cannot use certificate %s with key %s", h->tls_cert, h->tls_key);
    return vh;
}

static void mounts_init(yh_http_t *h)
{
    h->protocols[0] = (struct lws_protocols){
        .name = PROTOCOL_NAME,
        .callback = callback,
        .per_session_data_size = sizeof(yh_http_pss_t),
        .rx_buffer_size = 4096, /* per connection; larger messages arrive in pieces */
    };
    h->mount_healthz = (struct lws_http_mount){
        .mountpoint = "/healthz",
        .mountpoint_len = 8,
        .origin = PROTOCOL_NAME,
        .origin_protocol = LWSMPRO_CALLBACK,
    };
    /* /api and /metrics: the request handler's (request.c). */
    h->mount_metrics = (struct lws_http_mount){
        .mount_next = &h->mount_healthz,
        .mountpoint = "/metrics",
        .mountpoint_len = 8,
        .origin = PROTOCOL_NAME,
        .origin_protocol = LWSMPRO_CALLBACK,
    };
    h->mount_api = (struct lws_http_mount){
        .mount_next = &h->mount_metrics,
        .mountpoint = "/api",
        .mountpoint_len = 4,
        .origin = PROTOCOL_NAME,
        .origin_protocol = LWSMPRO_CALLBACK,
    };
    h->mount_root = (struct lws_http_mount){
        .mount_next = &h->mount_api,
        .mountpoint = "/",
        .mountpoint_len = 1,
        .origin = h->web_root,
        .def = "index.html",
        .extra_mimetypes = &mime_js,
        /* Without these lws sends "no-store" next to our "no-cache"; with
         * them, "must-revalidate", so browsers may keep files and
         * revalidate them by ETag (304) on every use. */
        .cache_max_age = 1,
        .cache_reusable = 1,
        .cache_revalidate = 1,
        .origin_protocol = LWSMPRO_FILE,
    };
}

/* The lws side: a context on our loop and a vhost per listener, sharing
 * the routes, with the WebSocket keepalive: a PING after ping_interval_s
 * without proof of life (a PONG or, see ws.c, any message), hang-up after
 * idle_timeout_s. */
static int lws_setup(yh_http_t *h)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[1] = {h->loop};
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8 |
                   LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    /* The server verifies no peer certificates: the system CA store is
     * not loaded (it would only cost memory). */
    if (h->cfg.https)
        info.options |=
            LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    info.foreign_loops = loops;
    info.pcontext = &h->ctx_watch;
    info.user = h;
    h->ctx = lws_create_context(&info);
    if (!h->ctx)
        return YH_EIO;
    h->ctx_watch = h->ctx;
    mounts_init(h);
    h->retry = (lws_retry_bo_t){
        .secs_since_valid_ping = (uint16_t)h->cfg.ping_interval_s,
        .secs_since_valid_hangup = (uint16_t)h->cfg.idle_timeout_s,
    };
    if (!(h->plain.vh = vhost_create(h, &info, 0)))
        return YH_EIO;
    if (h->cfg.https && !(h->tls.vh = vhost_create(h, &info, 1)))
        return YH_EINVAL;
    return 0;
}

/* HTTP, then HTTPS when configured; an optional HTTPS listener that
 * cannot bind is closed again and the server goes on without it. */
static int listeners_open(yh_http_t *h)
{
    int rc = listen_open(h, &h->plain, h->cfg.port, 0);
    if (rc || !h->cfg.https)
        return rc;
    rc = listen_open(h, &h->tls, h->cfg.https_port, h->cfg.https_optional);
    if (rc && h->cfg.https_optional) {
        listen_close(&h->tls);
        listen_free_fd(&h->tls);
        return 0;
    }
    return rc;
}

int yh_http_create(uv_loop_t *loop, const yh_http_config_t *cfg,
                   const yh_http_listener_t *listener, yh_http_t **out)
{
    int rc = YH_ENOMEM;
    *out = NULL;
    yh_http_t *h = calloc(1, sizeof *h);
    if (!h)
        return YH_ENOMEM;
    h->loop = loop;
    h->plain = (yh_http_listen_t){.h = h, .scheme = "http", .fd = -1};
    h->tls = (yh_http_listen_t){.h = h, .scheme = "https", .fd = -1};
    config_defaults(h, cfg);
    yh_iplimit_config_t icfg = {
        .max_conns = h->cfg.max_ws_per_ip,
        .max_msgs_per_sec = h->cfg.max_msgs_per_ip,
        .trusted = cfg->trusted,
        .n_trusted = cfg->n_trusted,
    };
    if ((rc = yh_iplimit_init(&h->iplimit, &icfg)) < 0) {
        YH_LOGE(MOD, "bad trusted network in the configuration");
        goto fail;
    }
    rc = YH_ENOMEM;
    if (listener)
        h->l = *listener;
    char real[PATH_MAX];
    const char *root = cfg->web_root ? cfg->web_root : "web";
    if (!realpath(root, real)) {
        YH_LOGW(MOD, "web root %s: %s", root, strerror(errno));
        snprintf(real, sizeof real, "%s", root);
    }
    if (!(h->web_root = strdup(real)))
        goto fail;
    h->cfg.web_root = h->web_root;
    if (h->cfg.https) {
        rc = YH_EINVAL;
        if (!cfg->tls_cert || !cfg->tls_key)
            goto fail;
        rc = YH_ENOMEM;
        if (!(h->tls_cert = strdup(cfg->tls_cert)) || !(h->tls_key = strdup(cfg->tls_key)))
            goto fail;
    }
    h->cfg.tls_cert = h->tls_cert;
    h->cfg.tls_key = h->tls_key;

    lws_set_log_level(LLL_ERR | LLL_WARN | (yh_log_enabled(YH_LOG_DEBUG) ? LLL_NOTICE : 0),
                      lws_log_emit);
    if ((rc = lws_setup(h)) || (rc = listeners_open(h)))
        goto fail;
    *out = h;
    return 0;
fail:
    yh_http_destroy(h);
    return rc;
}

static void walk_closing(uv_handle_t *handle, void *arg)
{
    if (uv_is_closing(handle))
        *(int *)arg = 1;
}

/* Runs the loop until every handle being closed has had its close
 * callback: lws closes its handles asynchronously. */
static void drain(uv_loop_t *loop)
{
    for (int i = 0; i < DRAIN_BUDGET; i++) {
        int closing = 0;
        uv_walk(loop, walk_closing, &closing);
        if (!closing)
            return;
        uv_run(loop, UV_RUN_NOWAIT);
    }
    YH_LOGW(MOD, "handles still closing after shutdown");
}

void yh_http_destroy(yh_http_t *h)
{
    if (!h)
        return;
    listen_close(&h->plain);
    listen_close(&h->tls);
    if (h->ctx) {
        /* On a foreign loop the first call closes every connection
         * (LWS_CALLBACK_CLOSED, hence ws_close, for each) and starts
         * closing lws' handles; once those are closed the second call
         * frees the context and clears ctx_watch. */
        lws_context_destroy(h->ctx);
        drain(h->loop);
        if (h->ctx_watch)
            lws_context_destroy(h->ctx);
        drain(h->loop);
        if (h->ctx_watch)
            YH_LOGW(MOD, "lws context not finalised");
    } else {
        drain(h->loop);
    }
    listen_free_fd(&h->plain);
    listen_free_fd(&h->tls);
    yh_iplimit_free(&h->iplimit);
    free(h->web_root);
    free(h->tls_cert);
    free(h->tls_key);
    free(h);
}

uint16_t yh_http_port(const yh_http_t *h)
{
    return h->plain.port;
}

uint16_t yh_http_https_port(const yh_http_t *h)
{
    return h->tls.port;
}
