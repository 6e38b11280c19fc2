/*
 * The Janus backend's HTTP/1.1 client: response head and chunked body
 * parsing on a response captured from Janus 1.1.2 (libmicrohttpd), byte by
 * byte arrival, malformed input, and the client against a scripted
 * loopback server (keep-alive reuse, a server that drops a kept-alive
 * connection, a server that never answers, destroy from a callback).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "base/err.h"
#include "janus_http.h"

/* POST /janus {"janus":"create","transaction":"abc"} to Janus 1.1.2. */
static const char janus_create[] =
    "HTTP/1.1 200 OK\r\nDate: Sun, 29 Nov 2026 16:03:24 GMT\r\nContent-Type: application/json\r\n"
    "Access-Control-Allow-Origin: *\r\nAccess-Control-Max-Age: 86400\r\n"
    "Transfer-Encoding: chunked\r\n\r\n"
    "4C\r\n{\"janus\": \"success\", \"transaction\": \"abc\", \"data\": {\"id\": 8649577867526579}}"
    "\r\n0\r\n\r\n";
static const char janus_body[] =
    "{\"janus\": \"success\", \"transaction\": \"abc\", \"data\": {\"id\": 8649577867526579}}";

static void test_janus_response(void **state)
{
    (void)state;
    yt_http_head_t h;
    size_t len = sizeof janus_create - 1, blen = 0;
    int hl = yt_http_head_parse(janus_create, len, &h);
    assert_int_equal(hl, strstr(janus_create, "\r\n\r\n") + 4 - janus_create);
    assert_int_equal(h.status, 200);
    assert_true(h.chunked);
    assert_int_equal(h.content_length, -1);
    assert_false(h.close);
    char out[256];
    int n = yt_http_chunked_decode(janus_create + hl, len - (size_t)hl, out, sizeof out, &blen);
    assert_int_equal(n, (int)(len - (size_t)hl));
    assert_int_equal(blen, sizeof janus_body - 1);
    assert_memory_equal(out, janus_body, blen);
}

/* Every proper prefix is incomplete, never an error or a wrong body. */
static void test_byte_by_byte(void **state)
{
    (void)state;
    size_t len = sizeof janus_create - 1, blen;
    yt_http_head_t h;
    int hl = yt_http_head_parse(janus_create, len, &h);
    for (size_t i = 0; i < len; i++) {
        if (i < (size_t)hl) {
            assert_int_equal(yt_http_head_parse(janus_create, i, &h), 0);
            continue;
        }
        assert_int_equal(yt_http_chunked_decode(janus_create + hl, i - (size_t)hl, NULL, 1024, &blen), 0);
    }
}

static void test_in_place(void **state)
{
    (void)state;
    char buf[] = "3\r\nabc\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    size_t blen = 0, len = strlen(buf);
    int n = yt_http_chunked_decode(buf, len, NULL, 1024, &blen);
    assert_int_equal(n, (int)(len - 4));
    assert_int_equal(blen, 19);
    assert_int_equal(yt_http_chunked_decode(buf, len, buf, 1024, &blen), n);
    assert_memory_equal(buf, "abc0123456789abcdef", 19);
}

static void test_length_and_close(void **state)
{
    (void)state;
    yt_http_head_t h;
    const char *a = "HTTP/1.1 404 Not Found\r\nContent-Length:  12 \r\nConnection: close\r\n\r\n";
    assert_int_equal(yt_http_head_parse(a, strlen(a), &h), (int)strlen(a));
    assert_int_equal(h.status, 404);
    assert_int_equal(h.content_length, 12);
    assert_true(h.close);
    assert_false(h.chunked);
    const char *b = "HTTP/1.0 200\r\n\r\n"; /* reason phrase may be absent */
    assert_int_equal(yt_http_head_parse(b, strlen(b), &h), (int)strlen(b));
    assert_true(h.close);
}

static void test_malformed(void **state)
{
    (void)state;
    yt_http_head_t h;
    size_t blen;
    char out[8];
    const char *bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(yt_http_head_parse(bad[i], strlen(bad[i]), &h), YH_EPARSE);
    assert_int_equal(yt_http_chunked_decode("zz\r\n", 4, NULL, 8, &blen), YH_EPARSE);
    assert_int_equal(yt_http_chunked_decode("\r\n", 2, NULL, 8, &blen), YH_EPARSE);
    assert_int_equal(yt_http_chunked_decode("2\r\nabX\r\n", 8, NULL, 8, &blen), YH_EPARSE);
    assert_int_equal(yt_http_chunked_decode("fffffffff\r\n", 11, NULL, 8, &blen), YH_EPARSE);
    assert_int_equal(yt_http_chunked_decode("9\r\n123456789\r\n0\r\n\r\n", 19, out, 8, &blen),
                     YH_ENOSPACE);
    char *big = malloc(20000);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big + 20, 'a', 20000 - 20);
    assert_int_equal(yt_http_head_parse(big, 20000, &h), YH_ELIMIT);
    free(big);
}

static void test_url(void **state)
{
    (void)state;
    yt_http_url_t u;
    assert_int_equal(yt_http_url_parse("http://198.18.0.2:8088/janus/", &u), 0);
    assert_string_equal(u.host, "198.18.0.2");
    assert_int_equal(u.port, 8088);
    assert_string_equal(u.path, "/janus");
    assert_int_equal(yt_http_url_parse("http://10.0.0.1", &u), 0);
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "");
    assert_int_equal(yt_http_url_parse("https://a/janus", &u), YH_EUNSUPPORTED);
    assert_int_equal(yt_http_url_parse("http://a:0/", &u), YH_EPARSE);
    assert_int_equal(yt_http_url_parse("http://a:99999/", &u), YH_EPARSE);
    assert_int_equal(yt_http_url_parse("http://:80/", &u), YH_EPARSE);
}

/* ---- the client against a scripted loopback server ------------------------ */

enum { SRV_KEEP, SRV_DROP_AFTER_ONE, SRV_SILENT };

typedef struct srv_conn {
    uv_tcp_t tcp;
    struct server *s;
    char buf[4096];
    size_t len;
    int n; /* requests seen on this connection */
} srv_conn_t;

typedef struct server {
    uv_tcp_t listener;
    int mode;
    int accepted, requests;
    char last_path[64];
} server_t;

typedef struct result {
    int calls, status[8];
    char body[8][64];
    yt_http_t *destroy_on_call;
} result_t;

static void srv_close_cb(uv_handle_t *h) { free(h); }

static void srv_write_cb(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void srv_reply(srv_conn_t *c)
{
    server_t *s = c->s;
    static const char resp[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5\r\nhello\r\n0\r\n\r\n";
    s->requests++;
    sscanf(c->buf, "%*s %63s", s->last_path);
    if (s->mode == SRV_SILENT)
        return;
    if (s->mode == SRV_DROP_AFTER_ONE && ++c->n > 1) {
        /* As a server closing an idle kept-alive connection just as the
         * client sends on it: the request is dropped unanswered. */
        uv_close((uv_handle_t *)&c->tcp, srv_close_cb);
        return;
    }
    uv_write_t *w = malloc(sizeof *w);
    uv_buf_t b = uv_buf_init((char *)resp, sizeof resp - 1);
    uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, srv_write_cb);
}

static void srv_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    srv_conn_t *c = (srv_conn_t *)h;
    (void)hint;
    *b = uv_buf_init(c->buf + c->len, (unsigned)(sizeof c->buf - c->len - 1));
}

static void srv_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    srv_conn_t *c = (srv_conn_t *)st;
    (void)b;
    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)st))
            uv_close((uv_handle_t *)st, srv_close_cb);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    char *end = strstr(c->buf, "\r\n\r\n");
    const char *cl = strstr(c->buf, "Content-Length: ");
    if (!end || !cl || c->len < (size_t)(end + 4 - c->buf) + (size_t)atoi(cl + 16))
        return;
    srv_reply(c);
    c->len = 0;
}

static void srv_accept(uv_stream_t *l, int status)
{
    server_t *s = l->data;
    srv_conn_t *c = calloc(1, sizeof *c);
    assert_int_equal(status, 0);
    c->s = s;
    uv_tcp_init(l->loop, &c->tcp);
    assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    s->accepted++;
    uv_read_start((uv_stream_t *)&c->tcp, srv_alloc, srv_read);
}

static uint16_t srv_start(uv_loop_t *loop, server_t *s, int mode)
{
    struct sockaddr_in a;
    int len = sizeof a;
    memset(s, 0, sizeof *s);
    s->mode = mode;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&s->listener, (struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&s->listener, 8, srv_accept), 0);
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static void close_all(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, h->type == UV_TCP && h->data == NULL ? srv_close_cb : NULL);
}

/* Runs until `calls` callbacks came (bounded), then closes everything. */
static void run_until(uv_loop_t *loop, const result_t *r, int calls)
{
    for (int i = 0; i < 100000 && r->calls < calls; i++)
        uv_run(loop, UV_RUN_ONCE);
    assert_int_equal(r->calls, calls);
}

static void close_loop(uv_loop_t *loop)
{
    uv_walk(loop, close_all, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

static void on_done(void *ctx, int status, const char *body, size_t len)
{
    result_t *r = ctx;
    assert_true(r->calls < 8);
    r->status[r->calls] = status;
    snprintf(r->body[r->calls], sizeof r->body[0], "%.*s", (int)len, body);
    r->calls++;
    if (r->destroy_on_call && r->calls == 2)
        yt_http_destroy(r->destroy_on_call); /* the third request never completes */
}

static yt_http_t *client(uv_loop_t *loop, uint16_t port)
{
    yt_http_url_t u;
    char url[64];
    yt_http_t *h;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/janus", (unsigned)port);
    assert_int_equal(yt_http_url_parse(url, &u), 0);
    assert_int_equal(yt_http_create(loop, &u, &h), 0);
    return h;
}

static void test_client_keepalive(void **state)
{
    (void)state;
    uv_loop_t loop;
    server_t s;
    result_t r = {0};
    uv_loop_init(&loop);
    yt_http_t *h = client(&loop, srv_start(&loop, &s, SRV_KEEP));
    r.destroy_on_call = h;
    for (int i = 0; i < 3; i++)
        assert_int_equal(yt_http_request(h, "POST", "/janus/1", "{}", 2000, on_done, &r), 0);
    assert_int_equal(r.calls, 0); /* never from inside the request call */
    run_until(&loop, &r, 2);
    for (int i = 0; i < 10; i++) /* the destroyed client's third request stays unanswered */
        uv_run(&loop, UV_RUN_NOWAIT);
    close_loop(&loop);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.status[0], 200);
    assert_string_equal(r.body[1], "hello");
    assert_int_equal(s.accepted, 1); /* both on one kept-alive connection */
    assert_string_equal(s.last_path, "/janus/1");
}

static void test_client_stale_connection(void **state)
{
    (void)state;
    uv_loop_t loop;
    server_t s;
    result_t r = {0};
    uv_loop_init(&loop);
    yt_http_t *h = client(&loop, srv_start(&loop, &s, SRV_DROP_AFTER_ONE));
    assert_int_equal(yt_http_request(h, "GET", "/janus/info", NULL, 2000, on_done, &r), 0);
    run_until(&loop, &r, 1);
    /* The server drops the kept-alive connection under the next request,
     * which is retried once on a fresh connection. */
    assert_int_equal(yt_http_request(h, "GET", "/janus/info", NULL, 2000, on_done, &r), 0);
    run_until(&loop, &r, 2);
    yt_http_destroy(h);
    close_loop(&loop);
    assert_int_equal(r.status[1], 200);
    assert_string_equal(r.body[1], "hello");
    assert_int_equal(s.accepted, 2);
    assert_int_equal(s.requests, 3);
}

static void test_client_timeout_and_refused(void **state)
{
    (void)state;
    uv_loop_t loop;
    server_t s;
    result_t r = {0};
    uv_loop_init(&loop);
    uint16_t port = srv_start(&loop, &s, SRV_SILENT);
    yt_http_t *h = client(&loop, port);
    assert_int_equal(yt_http_request(h, "POST", "/janus", "{}", 100, on_done, &r), 0);
    run_until(&loop, &r, 1);
    assert_int_equal(r.status[0], YH_EAGAIN);
    assert_int_equal(s.requests, 1);
    yt_http_destroy(h);
    /* Once the listener is closed, connecting is refused. */
    uv_close((uv_handle_t *)&s.listener, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    h = client(&loop, port);
    assert_int_equal(yt_http_request(h, "POST", "/janus", "{}", 1000, on_done, &r), 0);
    run_until(&loop, &r, 2);
    assert_int_equal(r.status[1], YH_EIO);
    yt_http_destroy(h);
    close_loop(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_janus_response),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_length_and_close),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_client_keepalive),
        cmocka_unit_test(test_client_stale_connection),
        cmocka_unit_test(test_client_timeout_and_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
