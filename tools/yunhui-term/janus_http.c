/*
 * Tiny HTTP/1.1 client for the Janus REST API (see janus_http.h).
 *
 * One yt_http_t owns at most one TCP connection at a time (conn_t, freed in
 * its close callback) and a timer that bounds the request in flight. A
 * request is written only when the previous response is complete. A request
 * that meets a kept-alive connection the server had already closed (EOF or
 * reset before any response byte) is retried once on a fresh connection.
 */
#include "janus_http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"

#define HEAD_MAX (16 * 1024)

/* ---- pure parsers ------------------------------------------------------- */

static const char *find_crlf(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n')
            return p;
    return NULL;
}

/* "name: value" with optional whitespace around value (RFC 9112 5.1). */
static void head_field(const char *line, size_t len, yt_http_head_t *h)
{
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    if (nlen == 14 && !strncasecmp(line, "content-length", 14)) {
        int64_t n = 0;
        size_t i = 0;
        for (; i < vlen && isdigit((unsigned char)v[i]) && n < ((int64_t)1 << 40); i++)
            n = n * 10 + (v[i] - '0');
        h->content_length = (i == vlen && vlen > 0) ? n : -2;
    } else if (nlen == 17 && !strncasecmp(line, "transfer-encoding", 17)) {
        h->chunked = vlen >= 7 && !strncasecmp(end - 7, "chunked", 7);
    } else if (nlen == 10 && !strncasecmp(line, "connection", 10)) {
        if (vlen == 5 && !strncasecmp(v, "close", 5))
            h->close = 1;
    }
}

int yt_http_head_parse(const char *buf, size_t len, yt_http_head_t *out)
{
    const char *end = buf + (len > HEAD_MAX ? HEAD_MAX : len);
    const char *eol = find_crlf(buf, end);
    if (!eol)
        return len >= HEAD_MAX ? YH_ELIMIT : 0;
    /* Status line: HTTP/1.x SP 3DIGIT SP reason (RFC 9112 4). */
    if (eol - buf < 12 || memcmp(buf, "HTTP/1.", 7) || buf[8] != ' ' ||
        !isdigit((unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
        !isdigit((unsigned char)buf[11]) || (eol - buf > 12 && buf[12] != ' '))
        return YH_EPARSE;
    memset(out, 0, sizeof *out);
    out->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    out->content_length = -1;
    out->close = buf[7] == '0';
    if (out->status < 100)
        return YH_EPARSE;
    for (const char *p = eol + 2;;) {
        const char *e = find_crlf(p, end);
        if (!e)
            return len >= HEAD_MAX ? YH_ELIMIT : 0;
        if (e == p)
            return out->content_length == -2 ? YH_EPARSE : (int)(e + 2 - buf);
        head_field(p, (size_t)(e - p), out);
        p = e + 2;
    }
}

/* Hex chunk size, then optional ";ext" up to CRLF. */
static int chunk_size(const char *p, const char *eol, size_t *size)
{
    size_t n = 0;
    const char *q = p;
    for (; q < eol && isxdigit((unsigned char)*q); q++) {
        if (n > (SIZE_MAX >> 4) || q - p >= 8)
            return YH_EPARSE;
        n = n * 16 + (size_t)(isdigit((unsigned char)*q) ? *q - '0' : (tolower(*q) - 'a' + 10));
    }
    if (q == p || (q < eol && *q != ';' && *q != ' ' && *q != '\t'))
        return YH_EPARSE;
    *size = n;
    return 0;
}

int yt_http_chunked_decode(const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
    const char *p = in, *end = in + len;
    size_t n = 0;
    for (;;) {
        const char *eol = find_crlf(p, end);
        if (!eol)
            return 0;
        size_t size;
        if (chunk_size(p, eol, &size) < 0)
            return YH_EPARSE;
        p = eol + 2;
        if (size == 0)
            break;
        if ((size_t)(end - p) < size + 2)
            return 0;
        if (size > cap - n)
            return YH_ENOSPACE;
        if (p[size] != '\r' || p[size + 1] != '\n')
            return YH_EPARSE;
        if (out)
            memmove(out + n, p, size);
        n += size;
        p += size + 2;
    }
    /* Trailer section: field lines up to an empty line (RFC 9112 7.1.2). */
    for (;;) {
        const char *eol = find_crlf(p, end);
        if (!eol)
            return 0;
        int empty = eol == p;
        p = eol + 2;
        if (empty)
            break;
    }
    *out_len = n;
    return (int)(p - in);
}

int yt_http_url_parse(const char *url, yt_http_url_t *out)
{
    memset(out, 0, sizeof *out);
    if (strncmp(url, "http://", 7))
        return YH_EUNSUPPORTED;
    const char *h = url + 7, *slash = strchr(h, '/');
    const char *hend = slash ? slash : h + strlen(h);
    const char *colon = memchr(h, ':', (size_t)(hend - h));
    size_t hlen = (size_t)((colon ? colon : hend) - h);
    if (hlen == 0 || hlen >= sizeof out->host)
        return YH_EPARSE;
    memcpy(out->host, h, hlen);
    out->port = 80;
    if (colon) {
        char *e;
        long p = strtol(colon + 1, &e, 10);
        if (e != hend || p < 1 || p > 65535)
            return YH_EPARSE;
        out->port = (uint16_t)p;
    }
    size_t plen = slash ? strlen(slash) : 0;
    while (plen > 0 && slash[plen - 1] == '/')
        plen--;
    if (plen >= sizeof out->path)
        return YH_EPARSE;
    if (plen)
        memcpy(out->path, slash, plen);
    return 0;
}

/* ---- the connection ----------------------------------------------------- */

typedef struct req {
    struct req *next;
    uint64_t timeout_ms;
    int retried;
    yt_http_done_fn done;
    void *ctx;
    size_t wire_len;
    char wire[]; /* the serialized request */
} req_t;

/* tcp comes first: the close callback frees the conn_t from its handle. */
typedef struct conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    struct yt_http *h;
    int used; /* carried a complete response before: may be stale */
} conn_t;

/* A write's buffer lives until its callback, whatever became of the request. */
typedef struct wbuf {
    uv_write_t w;
    char data[];
} wbuf_t;

struct yt_http {
    uv_loop_t *loop;
    struct sockaddr_in addr;
    char hostport[280];
    uv_timer_t timer; /* sends the request in flight, then bounds its wait */
    conn_t *conn;
    req_t *inflight, *head, *tail;
    char *rx; /* raw response bytes, decoded in place */
    size_t rx_len, rx_cap;
    int open_handles; /* timer + connections not yet closed */
    int busy, dead;
    int sent; /* the request in flight has been handed to the connection */
};

static void start_next(yt_http_t *h);

static void release(yt_http_t *h)
{
    if (h->dead && !h->busy && h->open_handles == 0) {
        free(h->rx);
        free(h);
    }
}

static void on_conn_close(uv_handle_t *hd)
{
    conn_t *c = (conn_t *)hd;
    yt_http_t *h = c->h;
    free(c);
    h->open_handles--;
    release(h);
}

static void on_timer_close(uv_handle_t *hd)
{
    yt_http_t *h = hd->data;
    h->open_handles--;
    release(h);
}

static void conn_close(yt_http_t *h)
{
    if (!h->conn)
        return;
    uv_close((uv_handle_t *)&h->conn->tcp, on_conn_close);
    h->conn = NULL;
}

static void queue_push_front(yt_http_t *h, req_t *r)
{
    r->next = h->head;
    h->head = r;
    if (!h->tail)
        h->tail = r;
}

/* Completes the request in flight. Returns -1 when the callback destroyed
 * h: the caller must then return without touching it. */
static int complete(yt_http_t *h, int status, const char *body, size_t len)
{
    req_t *r = h->inflight;
    h->inflight = NULL;
    h->rx_len = 0;
    uv_timer_stop(&h->timer);
    h->busy++;
    r->done(r->ctx, status, body ? body : "", body ? len : 0);
    h->busy--;
    free(r);
    if (h->dead) {
        release(h);
        return -1;
    }
    return 0;
}

static void fail(yt_http_t *h, int err)
{
    conn_close(h);
    if (h->inflight && complete(h, err, NULL, 0) < 0)
        return;
    start_next(h);
}

/* The server closed a kept-alive connection under our request before any
 * byte of the response: once, try again on a fresh connection. */
static void lost(yt_http_t *h, int err)
{
    int stale = h->conn && h->conn->used && h->rx_len == 0;
    if (stale && h->inflight && !h->inflight->retried) {
        h->inflight->retried = 1;
        conn_close(h);
        queue_push_front(h, h->inflight);
        h->inflight = NULL;
        start_next(h);
        return;
    }
    fail(h, err);
}

/* Reads go straight into rx, grown by doubling up to the response limit;
 * one spare byte is always kept for the terminating NUL. */
static void on_alloc(uv_handle_t *hd, size_t hint, uv_buf_t *buf)
{
    yt_http_t *h = ((conn_t *)hd)->h;
    (void)hint;
    if (h->rx_cap - h->rx_len < 4096 && h->rx_cap < YT_HTTP_MAX_RESPONSE + 1) {
        size_t cap = h->rx_cap ? h->rx_cap * 2 : 8192;
        if (cap > YT_HTTP_MAX_RESPONSE + 1)
            cap = YT_HTTP_MAX_RESPONSE + 1;
        char *p = realloc(h->rx, cap);
        if (p) {
            h->rx = p;
            h->rx_cap = cap;
        }
    }
    size_t room = h->rx_cap > h->rx_len + 1 ? h->rx_cap - h->rx_len - 1 : 0;
    *buf = uv_buf_init(room ? h->rx + h->rx_len : NULL, (unsigned)room);
}

/* The body's length when complete (in place in rx at *body), 0 when more
 * bytes are needed, or a negative YH_E*. *keep: connection reusable. */
static int body_ready(yt_http_t *h, const yt_http_head_t *hd, int hl, int eof, char **body,
                      size_t *blen, int *keep)
{
    char *b = h->rx + hl;
    size_t avail = h->rx_len - (size_t)hl;
    *body = b;
    *keep = !hd->close && !eof;
    if (hd->chunked) {
        int n = yt_http_chunked_decode(b, avail, NULL, YT_HTTP_MAX_RESPONSE, blen);
        if (n <= 0)
            return n < 0 ? n : (eof ? YH_ETRUNC : 0);
        yt_http_chunked_decode(b, avail, b, YT_HTTP_MAX_RESPONSE, blen);
        return 1;
    }
    if (hd->content_length >= 0) {
        if (avail < (uint64_t)hd->content_length)
            return eof ? YH_ETRUNC : 0;
        *blen = (size_t)hd->content_length;
        return 1;
    }
    /* No length: the body ends with the connection (RFC 9112 6.3). */
    *blen = avail;
    *keep = 0;
    return eof ? 1 : 0;
}

static void try_response(yt_http_t *h, int eof)
{
    yt_http_head_t hd;
    int hl = yt_http_head_parse(h->rx, h->rx_len, &hd);
    if (hl == 0 && eof)
        hl = YH_ETRUNC;
    if (hl <= 0) {
        if (hl < 0)
            fail(h, hl);
        return;
    }
    char *body;
    size_t blen = 0;
    int keep, rc = body_ready(h, &hd, hl, eof, &body, &blen, &keep);
    if (rc <= 0) {
        if (rc < 0)
            fail(h, rc);
        return;
    }
    body[blen] = '\0';
    if (keep)
        h->conn->used = 1;
    else
        conn_close(h);
    if (complete(h, hd.status, body, blen) < 0)
        return;
    start_next(h);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    conn_t *c = (conn_t *)s;
    yt_http_t *h = c->h;
    (void)buf;
    if (c != h->conn || n == 0)
        return;
    if (n == UV_ENOBUFS) {
        fail(h, YH_ELIMIT);
        return;
    }
    if (n < 0) {
        if (!h->inflight) /* idle connection closed by the server */
            conn_close(h);
        else if (n == UV_EOF && h->rx_len > 0)
            try_response(h, 1);
        else
            lost(h, YH_EIO);
        return;
    }
    if (!h->inflight) { /* bytes nobody asked for */
        conn_close(h);
        return;
    }
    h->rx_len += (size_t)n;
    try_response(h, 0);
}

static void on_write(uv_write_t *w, int status)
{
    (void)status; /* a failed write shows up as an error on read */
    free(w->data);
}

static void send_inflight(yt_http_t *h)
{
    req_t *r = h->inflight;
    wbuf_t *wb = malloc(sizeof *wb + r->wire_len);
    if (!wb) {
        fail(h, YH_ENOMEM);
        return;
    }
    memcpy(wb->data, r->wire, r->wire_len);
    wb->w.data = wb;
    uv_buf_t b = uv_buf_init(wb->data, (unsigned)r->wire_len);
    if (uv_write(&wb->w, (uv_stream_t *)&h->conn->tcp, &b, 1, on_write) < 0) {
        free(wb);
        lost(h, YH_EIO);
    }
}

static void on_connect(uv_connect_t *cr, int status)
{
    conn_t *c = cr->data;
    yt_http_t *h = c->h;
    if (c != h->conn) /* closed meanwhile */
        return;
    if (status < 0 || uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
        fail(h, YH_EIO);
        return;
    }
    send_inflight(h);
}

static int conn_open(yt_http_t *h)
{
    conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return YH_ENOMEM;
    c->h = h;
    c->creq.data = c;
    if (uv_tcp_init(h->loop, &c->tcp) < 0) {
        free(c);
        return YH_EIO;
    }
    h->open_handles++;
    h->conn = c;
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&h->addr, on_connect) < 0) {
        conn_close(h);
        return YH_EIO;
    }
    return 0;
}

/* The timer first sends the request just taken in flight (so nothing,
 * not even a failure, is reported from inside yt_http_request()), then
 * bounds the wait for its response. */
static void on_timer(uv_timer_t *t)
{
    yt_http_t *h = t->data;
    req_t *r = h->inflight;
    if (!r)
        return;
    if (!h->sent) {
        h->sent = 1;
        uv_timer_start(&h->timer, on_timer, r->timeout_ms, 0);
        int rc = 0;
        if (!h->conn)
            rc = conn_open(h);
        else
            send_inflight(h);
        if (rc < 0)
            fail(h, rc);
        return;
    }
    fail(h, YH_EAGAIN); /* timed out */
}

static void start_next(yt_http_t *h)
{
    if (h->inflight || !h->head || h->dead)
        return;
    req_t *r = h->head;
    h->head = r->next;
    if (!h->head)
        h->tail = NULL;
    h->inflight = r;
    h->rx_len = 0;
    h->sent = 0;
    uv_timer_start(&h->timer, on_timer, 0, 0);
}

int yt_http_create(uv_loop_t *loop, const yt_http_url_t *server, yt_http_t **out)
{
    yt_http_t *h = calloc(1, sizeof *h);
    if (!h)
        return YH_ENOMEM;
    if (uv_ip4_addr(server->host, server->port, &h->addr) < 0) {
        free(h);
        return YH_EINVAL; /* the bench addresses Janus by IPv4 literal */
    }
    h->loop = loop;
    snprintf(h->hostport, sizeof h->hostport, "%s:%u", server->host, (unsigned)server->port);
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    h->open_handles = 1;
    *out = h;
    return 0;
}

int yt_http_request(yt_http_t *h, const char *method, const char *path, const char *body,
                    uint64_t timeout_ms, yt_http_done_fn done, void *ctx)
{
    if (!h || h->dead)
        return YH_ESTATE;
    size_t blen = body ? strlen(body) : 0;
    size_t cap = strlen(method) + strlen(path) + strlen(h->hostport) + blen + 160;
    req_t *r = calloc(1, sizeof *r + cap);
    if (!r)
        return YH_ENOMEM;
    int n = snprintf(r->wire, cap,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, h->hostport, blen);
    if (n < 0 || (size_t)n + blen >= cap) {
        free(r);
        return YH_EINVAL;
    }
    memcpy(r->wire + n, body ? body : "", blen);
    r->wire_len = (size_t)n + blen;
    r->timeout_ms = timeout_ms;
    r->done = done;
    r->ctx = ctx;
    if (h->tail)
        h->tail->next = r;
    else
        h->head = r;
    h->tail = r;
    start_next(h);
    return 0;
}

void yt_http_destroy(yt_http_t *h)
{
    if (!h || h->dead)
        return;
    h->dead = 1;
    for (req_t *r = h->head, *next; r; r = next) {
        next = r->next;
        free(r);
    }
    h->head = h->tail = NULL;
    if (!h->busy) { /* inside a callback, complete() frees the one in flight */
        free(h->inflight);
        h->inflight = NULL;
    }
    conn_close(h);
    uv_close((uv_handle_t *)&h->timer, on_timer_close);
}
