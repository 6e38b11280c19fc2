/*
 * One signaling WebSocket connection (RFC 6455) on libwebsockets: message
 * reassembly with a size limit, a per-connection message rate limit, and a
 * bounded send queue. Limits follow docs/protocol.md "Transport": a frame
 * over max_message gets an error then close 1009, more than
 * max_msgs_per_sec messages an error then close 1008, binary frames an
 * error then close 1003 (RFC 6455 section 7.4.1). Per client address
 * (iplimit.h): a connection over max_ws_per_ip gets an error then close
 * 1013 ("try again later") before the listener ever sees it, and the
 * connection whose message overflows the address's max_msgs_per_ip an
 * error then close 1008.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "http/http_int.h"

#define MOD "ws"
#define TOKEN_UNIT 1000000u /* one message, in the bucket's fixed point */
/* A reassembly buffer above this is released after each message so that
 * one big message does not pin memory for the connection's lifetime. */
#define RX_KEEP 8192
#define CLOSE_WAIT_S 5
/* RFC 6455 section 7.4.2 registry (IANA): "Try Again Later". */
#define CLOSE_TRY_AGAIN_LATER 1013
/* The opcode lws_write uses internally for close frames: lws 4.1 keeps it
 * out of the public enum ("handled by lws_close_reason") but accepts it. */
#define WRITE_CLOSE ((enum lws_write_protocol)4)

static void queue_free(yh_ws_t *ws)
{
    yh_ws_msg_t *m = ws->head;
    while (m) {
        yh_ws_msg_t *next = m->next;
        free(m);
        m = next;
    }
    ws->head = ws->tail = NULL;
    ws->queued = 0;
}

static int queue_push(yh_ws_t *ws, const char *text, size_t len)
{
    yh_ws_msg_t *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return YH_ENOMEM;
    m->next = NULL;
    m->len = len;
    if (len)
        memcpy(m->buf + LWS_PRE, text, len);
    if (ws->tail)
        ws->tail->next = m;
    else
        ws->head = m;
    ws->tail = m;
    ws->queued += len;
    return 0;
}

/* Stops taking input and arranges for the queue to drain, then the close
 * frame. lws_close_reason can only be used from the connection's own
 * callback, so the close happens in the writeable callback. */
static void begin_close(yh_ws_t *ws, int code, const char *reason)
{
    if (ws->closing || ws->dropped)
        return;
    ws->closing = 1;
    /* Codes that must not appear on the wire (RFC 6455 section 7.4.1)
     * become a plain normal closure. */
    int valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                (code >= 3000 && code <= 4999);
    ws->close_code = valid ? code : LWS_CLOSE_STATUS_NORMAL;
    /* At most YH_WS_REASON_MAX bytes, not cutting a UTF-8 sequence. */
    size_t n = reason ? strlen(reason) : 0;
    if (n > YH_WS_REASON_MAX) {
        n = YH_WS_REASON_MAX;
        while (n && ((unsigned char)reason[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(ws->close_reason, reason, n);
    ws->close_reason[n] = '\0';
    lws_callback_on_writable(ws->wsi);
}

/* Sends {"type":"error",...} and closes: the codes and texts are fixed
 * ASCII, so no JSON escaping is needed. */
static void fail(yh_ws_t *ws, int close_code, const char *code, const char *message)
{
    char text[256];
    int n = snprintf(text, sizeof text, "{\"type\":\"error\",\"code\":\"%s\",\"message\":\"%s\"}",
                     code, message);
    YH_LOGI(MOD, "%s: %s, closing %d", ws->peer_ip, message, close_code);
    if (n > 0 && (size_t)n < sizeof text && !ws->closing && !ws->dropped)
        queue_push(ws, text, (size_t)n); /* best effort: the close follows anyway */
    begin_close(ws, close_code, code);
}

/* Counts the connection in its address's limits; over the connection
 * limit it is refused: told why, closed, never shown to the listener. */
static void ip_admit(yh_ws_t *ws)
{
    yh_http_t *h = ws->h;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = (int)lws_get_socket_fd(ws->wsi);
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
        return; /* not an IP peer: nothing to count it under */
    int rc = yh_iplimit_open(&h->iplimit, (struct sockaddr *)&ss, yh_now_us(), &ws->ipslot);
    if (rc == YH_ELIMIT) {
        char msg[96];
        snprintf(msg, sizeof msg, "more than %d connections from this address",
                 h->cfg.max_ws_per_ip);
        ws->refused = 1;
        fail(ws, CLOSE_TRY_AGAIN_LATER, "too-many-connections", msg);
    }
}

int yh__ws_established(yh_http_t *h, struct lws *wsi, yh_http_pss_t *pss)
{
    yh_ws_t *ws = calloc(1, sizeof *ws);
    if (!ws)
        return -1;
    ws->h = h;
    ws->wsi = wsi;
    if (!lws_get_peer_simple(wsi, ws->peer_ip, sizeof ws->peer_ip))
        snprintf(ws->peer_ip, sizeof ws->peer_ip, "?");
    ws->tokens = (uint64_t)h->cfg.max_msgs_per_sec * TOKEN_UNIT;
    ws->tokens_at_us = yh_now_us();
    ws->next = h->conns;
    if (h->conns)
        h->conns->prev = ws;
    h->conns = ws;
    h->n_conns++;
    pss->ws = ws;
    YH_LOGD(MOD, "%s: open (%d connections)", ws->peer_ip, h->n_conns);
    ip_admit(ws);
    if (!ws->refused && h->l.ws_open)
        h->l.ws_open(h->l.ctx, ws);
    return 0;
}

/* Token bucket: max_msgs_per_sec tokens refilled per second, burst of one
 * second's worth. Returns 1 when a message may pass. */
static int bucket_take(yh_ws_t *ws)
{
    uint64_t rate = (uint64_t)ws->h->cfg.max_msgs_per_sec;
    uint64_t cap = rate * TOKEN_UNIT;
    uint64_t now = yh_now_us();
    uint64_t add = (now - ws->tokens_at_us) * rate;
    ws->tokens_at_us = now;
    ws->tokens = cap - ws->tokens < add ? cap : ws->tokens + add;
    if (ws->tokens < TOKEN_UNIT)
        return 0;
    ws->tokens -= TOKEN_UNIT;
    return 1;
}

static int rx_append(yh_ws_t *ws, const void *in, size_t len)
{
    size_t need = ws->rx_len + len + 1; /* +1: delivered NUL-terminated */
    if (need > ws->rx_cap) {
        size_t cap = ws->rx_cap ? ws->rx_cap : 1024;
        while (cap < need)
            cap *= 2;
        if (cap > ws->h->cfg.max_message + 1)
            cap = ws->h->cfg.max_message + 1;
        char *p = realloc(ws->rx, cap);
        if (!p)
            return YH_ENOMEM;
        ws->rx = p;
        ws->rx_cap = cap;
    }
    if (len)
        memcpy(ws->rx + ws->rx_len, in, len);
    ws->rx_len += len;
    return 0;
}

static void rx_deliver(yh_ws_t *ws)
{
    yh_http_t *h = ws->h;
    ws->rx[ws->rx_len] = '\0';
    size_t len = ws->rx_len;
    ws->rx_len = 0;
    if (h->l.ws_message)
        h->l.ws_message(h->l.ctx, ws, ws->rx, len);
    if (ws->rx_cap > RX_KEEP) {
        free(ws->rx);
        ws->rx = NULL;
        ws->rx_cap = 0;
    }
}

/* One chunk of a frame. lws hands over frames in pieces of at most the
 * protocol's rx_buffer_size; lws_is_final_fragment is true on the last
 * piece of the last frame of a message. */
int yh__ws_receive(yh_ws_t *ws, const void *in, size_t len)
{
    struct lws *wsi = ws->wsi;
    /* Any traffic proves the peer alive: restart the ping/idle timers. */
    lws_validity_confirmed(wsi);
    if (ws->closing || ws->dropped)
        return 0;
    if (lws_frame_is_binary(wsi)) {
        fail(ws, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "bad-request",
             "binary frames are not supported");
        return 0;
    }
    if (len > ws->h->cfg.max_message - ws->rx_len) {
        char msg[96];
        snprintf(msg, sizeof msg, "message larger than %zu bytes", ws->h->cfg.max_message);
        fail(ws, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "too-large", msg);
        return 0;
    }
    if (rx_append(ws, in, len)) {
        fail(ws, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "internal", "out of memory");
        return 0;
    }
    if (!lws_is_final_fragment(wsi))
        return 0;
    if (!bucket_take(ws)) {
        char msg[96];
        snprintf(msg, sizeof msg, "more than %d messages per second",
                 ws->h->cfg.max_msgs_per_sec);
        ws->rx_len = 0;
        fail(ws, LWS_CLOSE_STATUS_POLICY_VIOLATION, "rate-limited", msg);
        return 0;
    }
    if (!yh_iplimit_take(&ws->h->iplimit, ws->ipslot, yh_now_us())) {
        char msg[96];
        snprintf(msg, sizeof msg, "more than %d messages per second from this address",
                 ws->h->cfg.max_msgs_per_ip);
        ws->rx_len = 0;
        fail(ws, LWS_CLOSE_STATUS_POLICY_VIOLATION, "rate-limited", msg);
        return 0;
    }
    rx_deliver(ws);
    return 0;
}

/* Sends the close frame (RFC 6455 section 5.5.1) and waits for the peer's
 * (ws_peer_closed), at most CLOSE_WAIT_S. We write the frame ourselves:
 * after lws_close_reason and "return -1", lws 4.1 as packaged (built with
 * _DEBUG) closes a second time under libuv ("uv repeat test" in
 * lws_service_fd_tsi) and kills the socket before the frame goes out. */
static int send_close(yh_ws_t *ws)
{
    unsigned char buf[LWS_PRE + 2 + YH_WS_REASON_MAX];
    size_t rlen = strlen(ws->close_reason);
    buf[LWS_PRE] = (unsigned char)(ws->close_code >> 8);
    buf[LWS_PRE + 1] = (unsigned char)ws->close_code;
    memcpy(buf + LWS_PRE + 2, ws->close_reason, rlen);
    if (lws_write(ws->wsi, buf + LWS_PRE, 2 + rlen, WRITE_CLOSE) < 0)
        return -1;
    ws->close_sent = 1;
    lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK, CLOSE_WAIT_S);
    return 0;
}

int yh__ws_peer_closed(yh_ws_t *ws)
{
    /* Nonzero: lws closes at once instead of echoing the close frame,
     * which it would otherwise do (we already sent ours). */
    return ws->close_sent ? 1 : 0;
}

/* Writes one queued message; after the last one of a closing connection,
 * starts the close handshake. Returning -1 makes lws drop the connection. */
int yh__ws_writeable(yh_ws_t *ws)
{
    if (ws->dropped)
        return -1;
    yh_ws_msg_t *m = ws->head;
    if (m) {
        /* lws buffers what the socket does not take and reports the whole
         * length written; it then holds writeable callbacks until drained. */
        int n = lws_write(ws->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
        if (n < 0 || (size_t)n < m->len)
            return -1;
        ws->head = m->next;
        if (!ws->head)
            ws->tail = NULL;
        ws->queued -= m->len;
        free(m);
        if (ws->head || ws->closing)
            lws_callback_on_writable(ws->wsi);
        return 0;
    }
    if (ws->closing && !ws->close_sent)
        return send_close(ws);
    return 0;
}

void yh__ws_closed(yh_http_pss_t *pss)
{
    yh_ws_t *ws = pss->ws;
    if (!ws)
        return;
    pss->ws = NULL;
    yh_http_t *h = ws->h;
    if (ws->prev)
        ws->prev->next = ws->next;
    else
        h->conns = ws->next;
    if (ws->next)
        ws->next->prev = ws->prev;
    h->n_conns--;
    YH_LOGD(MOD, "%s: closed (%d connections)", ws->peer_ip, h->n_conns);
    /* The listener may still call yh_ws_send during ws_close: the
     * connection is marked dropped so nothing more is queued. */
    ws->dropped = 1;
    queue_free(ws);
    yh_iplimit_close(&h->iplimit, ws->ipslot);
    ws->ipslot = NULL;
    if (!ws->refused && h->l.ws_close)
        h->l.ws_close(h->l.ctx, ws);
    queue_free(ws);
    free(ws->rx);
    free(ws);
}

int yh_ws_send(yh_ws_t *ws, const char *text, size_t len)
{
    if (ws->closing || ws->dropped)
        return YH_ESTATE;
    size_t max = ws->h->cfg.max_send_queue;
    if (len > max || ws->queued > max - len) {
        /* A peer that stops reading must not grow our memory: drop it. The
         * close is asynchronous so that callers in any callback are safe. */
        YH_LOGW(MOD, "%s: send queue over %zu bytes, dropping", ws->peer_ip, max);
        ws->dropped = 1;
        queue_free(ws);
        lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return YH_ELIMIT;
    }
    int rc = queue_push(ws, text, len);
    if (rc)
        return rc;
    lws_callback_on_writable(ws->wsi);
    return 0;
}

void yh_ws_close(yh_ws_t *ws, int code, const char *reason)
{
    begin_close(ws, code, reason);
}

void yh_ws_set_user(yh_ws_t *ws, void *user)
{
    ws->user = user;
}

void *yh_ws_user(const yh_ws_t *ws)
{
    return ws->user;
}

const char *yh_ws_peer_ip(const yh_ws_t *ws)
{
    return ws->peer_ip;
}
