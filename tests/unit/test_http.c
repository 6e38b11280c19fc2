/*
 * yh_http against a real client: the server runs on a libuv loop in a
 * second thread, bound to 127.0.0.1 on an ephemeral port; the test thread
 * speaks HTTP/1.1 and WebSocket (RFC 6455, masked client frames) over plain
 * blocking sockets. The listener echoes every message and understands a
 * few commands ("close:CODE", "flood", "ip", "user").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "http/http.h"

/* ---- server side ---------------------------------------------------- */

typedef struct srv {
    yh_http_t *http;
    uint16_t port;
    atomic_int opens, closes, messages, flood_limited, user_ok;
} srv_t;

static uv_loop_t loop;
static uv_async_t stop_async;
static pthread_t loop_thread;
static srv_t srv_a, srv_b; /* a: defaults; b: short ping/idle, small send queue */
static char tmpdir[64], webroot[96];
static int server_running;

static void on_open(void *ctx, yh_ws_t *ws)
{
    srv_t *s = ctx;
    yh_ws_set_user(ws, s);
    atomic_fetch_add(&s->opens, 1);
}

static void on_message(void *ctx, yh_ws_t *ws, const char *text, size_t len)
{
    srv_t *s = ctx;
    atomic_fetch_add(&s->messages, 1);
    if (len > 6 && !strncmp(text, "close:", 6)) {
        yh_ws_send(ws, "bye", 3);
        yh_ws_close(ws, atoi(text + 6), "test close");
        /* After yh_ws_close nothing more is queued. */
        if (yh_ws_send(ws, "late", 4) != YH_ESTATE)
            atomic_store(&s->user_ok, -1);
    } else if (len == 9 && !memcmp(text, "closelong", 9)) {
        /* An invalid code and a reason over 123 bytes of 3-byte characters. */
        char reason[256] = "a";
        for (int i = 0; i < 70; i++)
            strcat(reason, "\xe4\xba\x91"); /* 云 */
        yh_ws_close(ws, 1005, reason);
    } else if (len == 5 && !memcmp(text, "flood", 5)) {
        static char chunk[8192];
        memset(chunk, 'x', sizeof chunk);
        for (int i = 0; i < 10000; i++) {
            int rc = yh_ws_send(ws, chunk, sizeof chunk);
            if (rc == YH_ELIMIT) {
                atomic_store(&s->flood_limited, i);
                break;
            }
            if (rc)
                break;
        }
    } else if (len == 2 && !memcmp(text, "ip", 2)) {
        const char *ip = yh_ws_peer_ip(ws);
        yh_ws_send(ws, ip, strlen(ip));
    } else if (len == 4 && !memcmp(text, "user", 4)) {
        if (yh_ws_user(ws) == s)
            atomic_store(&s->user_ok, 1);
        yh_ws_send(ws, "user-ok", 7);
    } else {
        yh_ws_send(ws, text, len);
    }
}

static void on_close(void *ctx, yh_ws_t *ws)
{
    srv_t *s = ctx;
    atomic_fetch_add(&s->closes, 1);
}

static void on_stop(uv_async_t *a)
{
    uv_close((uv_handle_t *)a, NULL);
    uv_stop(&loop);
}

static void *loop_main(void *arg)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int make_server(srv_t *s, int ping, int idle, size_t send_queue)
{
    yh_http_config_t cfg = {
        .bind_ip = "127.0.0.1",
        .port = 0,
        .web_root = webroot,
        .max_message = 65536,
        .max_msgs_per_sec = 50,
        .ping_interval_s = ping,
        .idle_timeout_s = idle,
        .max_send_queue = send_queue,
    };
    yh_http_listener_t l = {s, on_open, on_message, on_close};
    if (yh_http_create(&loop, &cfg, &l, &s->http))
        return -1;
    s->port = yh_http_port(s->http);
    return s->port ? 0 : -1;
}

static int setup(void **state)
{
    yh_log_set_level(YH_LOG_WARN);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yh-http-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(webroot, sizeof webroot, "%s/web", tmpdir);
    mkdir(webroot, 0700);
    write_file(webroot, "index.html", "<!doctype html><title>yunhui</title>\n");
    write_file(webroot, "app.js", "export const answer = 42;\n");
    write_file(webroot, "style.css", "body { margin: 0 }\n");
    write_file(tmpdir, "secret.txt", "TOPSECRET\n");
    if (uv_loop_init(&loop) || uv_async_init(&loop, &stop_async, on_stop))
        return -1;
    if (make_server(&srv_a, 10, 30, 1 << 20) || make_server(&srv_b, 1, 2, 256 << 10))
        return -1;
    if (pthread_create(&loop_thread, NULL, loop_main, NULL))
        return -1;
    server_running = 1;
    return 0;
}

/* Stops the loop thread and destroys both servers from this thread (the
 * loop is not running anywhere then, as yh_http_destroy requires). */
static int stop_servers(void)
{
    if (!server_running)
        return 0;
    server_running = 0;
    uv_async_send(&stop_async);
    pthread_join(loop_thread, NULL);
    yh_http_destroy(srv_a.http);
    yh_http_destroy(srv_b.http);
    srv_a.http = srv_b.http = NULL;
    return uv_loop_close(&loop);
}

static int teardown(void **state)
{
    int rc = stop_servers();
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = -1;
    return rc;
}

#include "ws_client.h"

static void wait_for(atomic_int *v, int want)
{
    for (int i = 0; i < 500 && atomic_load(v) < want; i++)
        usleep(10000);
    assert_true(atomic_load(v) >= want);
}

/* ---- tests ---------------------------------------------------------- */

static void test_binds_loopback_only(void **state)
{
    /* /proc/net/tcp lists the listening socket (state 0A) with its local
     * address in hex: 0100007F is 127.0.0.1, not 00000000 (any). */
    FILE *f = fopen("/proc/net/tcp", "r");
    assert_non_null(f);
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned addr, port, st;
        if (sscanf(line, " %*d: %x:%x %*x:%*x %x", &addr, &port, &st) == 3 && st == 0x0A &&
            port == srv_a.port) {
            assert_int_equal(addr, 0x0100007F);
            found = 1;
        }
    }
    fclose(f);
    assert_true(found);
}

static void test_healthz(void **state)
{
    http_resp_t r;
    http_get(srv_a.port, "/healthz", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "content-type: application/json"));
    assert_int_equal(r.body_len, strlen("{\"status\":\"ok\"}"));
    assert_memory_equal(r.body, "{\"status\":\"ok\"}", r.body_len);
}

static void test_static_files(void **state)
{
    http_resp_t r;
    http_get(srv_a.port, "/", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "content-type: text/html"));
    assert_non_null(strstr(r.body, "<title>yunhui</title>"));

    http_get(srv_a.port, "/app.js", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "content-type: text/javascript"));
    assert_non_null(strstr(r.head, "cache-control: no-cache"));
    assert_string_equal(r.body, "export const answer = 42;\n");

    http_get(srv_a.port, "/style.css", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "content-type: text/css"));
}

static void test_unknown_path_404(void **state)
{
    http_resp_t r;
    http_get(srv_a.port, "/no-such-file.html", &r);
    assert_int_equal(r.status, 404);
    http_get(srv_a.port, "/healthz/extra", &r);
    assert_int_equal(r.status, 404);
    /* /ws is only a WebSocket endpoint; a plain GET finds no file. */
    http_get(srv_a.port, "/ws", &r);
    assert_int_equal(r.status, 404);
}

static void test_path_traversal_refused(void **state)
{
    static const char *const paths[] = {
        "/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/./../secret.txt",
        "/web/../../secret.txt", "/%2E%2E%2Fsecret.txt",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        http_resp_t r;
        http_get(srv_a.port, paths[i], &r);
        assert_int_not_equal(r.status, 200);
        assert_null(strstr(r.body, "TOPSECRET"));
    }
}

static void test_ws_echo(void **state)
{
    int fd = ws_connect(srv_a.port);
    ws_send_text(fd, "hello");
    expect_text(fd, "hello");
    ws_send_text(fd, "{\"type\":\"chat\",\"text\":\"你好，云会\"}");
    expect_text(fd, "{\"type\":\"chat\",\"text\":\"你好，云会\"}");
    /* A message in three fragments arrives as one (RFC 6455 section 5.4). */
    ws_send_frame(fd, 0, 0x1, "frag", 4);
    ws_send_frame(fd, 0, 0x0, "men", 3);
    ws_send_frame(fd, 1, 0x0, "ted", 3);
    expect_text(fd, "fragmented");
    ws_send_text(fd, "ip");
    expect_text(fd, "127.0.0.1");
    ws_send_text(fd, "user");
    expect_text(fd, "user-ok");
    assert_int_equal(atomic_load(&srv_a.user_ok), 1);
    /* yh_ws_close flushes what is queued, then closes with the code. */
    ws_send_text(fd, "close:4001");
    expect_text(fd, "bye");
    uint8_t buf[256];
    size_t len;
    assert_int_equal(ws_read(fd, buf, sizeof buf, &len), 0x8);
    assert_true(len >= 2);
    assert_int_equal(buf[0] << 8 | buf[1], 4001);
    assert_memory_equal(buf + 2, "test close", len - 2);
    /* Our close reply completes the handshake: the server closes TCP at
     * once rather than after its 5 s wait (RFC 6455 section 7.1.1). */
    uint8_t code[2] = {0x0f, 0xa1};
    ws_send_frame(fd, 1, 0x8, code, 2);
    uint64_t t0 = yh_now_us();
    assert_int_equal(recv(fd, buf, sizeof buf, 0), 0);
    assert_true(yh_now_us() - t0 < 1000000);
    close(fd);
}

static void test_ws_close_code_and_reason_sanitised(void **state)
{
    int fd = ws_connect(srv_a.port);
    ws_send_text(fd, "closelong");
    uint8_t buf[256];
    size_t len;
    assert_int_equal(ws_read(fd, buf, sizeof buf, &len), 0x8);
    /* 1005 may not be sent: 1000 instead; the reason is cut at a character
     * boundary within 123 bytes ("a" and 40 three-byte characters). */
    assert_int_equal(buf[0] << 8 | buf[1], 1000);
    assert_int_equal(len - 2, 121);
    assert_int_equal(buf[2], 'a');
    assert_memory_equal(buf + len - 3, "\xe4\xba\x91", 3);
    close(fd);
}

static void test_ws_max_size_message_passes(void **state)
{
    int fd = ws_connect(srv_a.port);
    char *big = malloc(65537);
    assert_non_null(big);
    memset(big, 'a', 65536);
    big[65536] = '\0';
    /* Exactly the limit, in two fragments. */
    ws_send_frame(fd, 0, 0x1, big, 40000);
    ws_send_frame(fd, 1, 0x0, big + 40000, 65536 - 40000);
    expect_text(fd, big);
    free(big);
    close(fd);
}

static void test_ws_too_large(void **state)
{
    char *big = malloc(65537);
    assert_non_null(big);
    memset(big, 'a', 65537);
    int fd = ws_connect(srv_a.port);
    ws_send_frame(fd, 1, 0x1, big, 65537);
    expect_error_then_close(fd, "too-large", 1009);
    close(fd);
    /* The same through fragments that are each small. */
    fd = ws_connect(srv_a.port);
    for (int i = 0; i < 3; i++)
        ws_send_frame(fd, i == 2, i ? 0x0 : 0x1, big, 30000);
    expect_error_then_close(fd, "too-large", 1009);
    close(fd);
    free(big);
}

static void test_ws_rate_refills(void **state)
{
    /* 45 messages, a second's pause, 45 more: under 50 per second. */
    int fd = ws_connect(srv_a.port);
    for (int round = 0; round < 2; round++) {
        if (round)
            usleep(1000000);
        for (int i = 0; i < 45; i++)
            ws_send_text(fd, "r");
        for (int i = 0; i < 45; i++)
            expect_text(fd, "r");
    }
    ws_send_text(fd, "done");
    expect_text(fd, "done");
    close(fd);
}

static void test_ws_rate_limit(void **state)
{
    int fd = ws_connect(srv_a.port);
    /* 60 messages at once: the bucket holds 50 (one second's worth). */
    for (int i = 0; i < 60; i++)
        ws_send_text(fd, "m");
    uint8_t buf[1024];
    size_t len;
    int echoes = 0, op;
    while ((op = ws_read(fd, buf, sizeof buf - 1, &len)) == 0x1 && len == 1 && buf[0] == 'm')
        echoes++;
    assert_true(echoes >= 50 && echoes < 60);
    assert_int_equal(op, 0x1);
    buf[len] = '\0';
    assert_non_null(strstr((char *)buf, "\"code\":\"rate-limited\""));
    assert_int_equal(ws_read(fd, buf, sizeof buf, &len), 0x8);
    assert_int_equal(buf[0] << 8 | buf[1], 1008);
    close(fd);
}

static void test_ws_binary_refused(void **state)
{
    int fd = ws_connect(srv_a.port);
    uint8_t bin[4] = {1, 2, 3, 4};
    ws_send_frame(fd, 1, 0x2, bin, sizeof bin);
    expect_error_then_close(fd, "bad-request", 1003);
    close(fd);
}

static void test_ws_other_path_refused(void **state)
{
    assert_int_equal(ws_connect_path(srv_a.port, "/"), -1);
    assert_int_equal(ws_connect_path(srv_a.port, "/wsx"), -1);
}

static void test_ws_send_queue_limit(void **state)
{
    int before = atomic_load(&srv_b.closes);
    int fd = ws_connect(srv_b.port);
    /* The listener queues 8 KiB messages until the 256 KiB queue is full;
     * the connection is then dropped instead of growing. */
    ws_send_text(fd, "flood");
    wait_for(&srv_b.closes, before + 1);
    int limited = atomic_load(&srv_b.flood_limited);
    assert_true(limited >= 30 && limited <= 32);
    close(fd);
}

static void test_ws_ping_and_idle_timeout(void **state)
{
    /* Server b pings after 1 s without proof of life and hangs up after 2. */
    int fd = ws_connect(srv_b.port);
    uint64_t t0 = yh_now_us();
    uint8_t buf[256];
    size_t len;
    int op, pings = 0;
    while ((op = ws_read(fd, buf, sizeof buf, &len)) == 0x9)
        pings++;
    uint64_t ms = (yh_now_us() - t0) / 1000;
    assert_true(pings >= 1);
    assert_true(op == -1 || op == 0x8);
    assert_true(ms >= 1500 && ms < 6000);
    close(fd);

    /* A client that answers pings stays connected past the idle timeout. */
    fd = ws_connect(srv_b.port);
    t0 = yh_now_us();
    struct timeval tv = {0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    pings = 0;
    while (yh_now_us() - t0 < 3500000) {
        op = ws_read(fd, buf, sizeof buf, &len);
        if (op == 0x9) {
            ws_send_frame(fd, 1, 0xA, buf, len);
            pings++;
        }
        assert_true(op == -1 || op == 0x9);
    }
    assert_true(pings >= 2);
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ws_send_text(fd, "still here");
    while ((op = ws_read(fd, buf, sizeof buf - 1, &len)) == 0x9)
        ws_send_frame(fd, 1, 0xA, buf, len);
    assert_int_equal(op, 0x1);
    assert_memory_equal(buf, "still here", len);
    close(fd);
}

/* Runs before the servers start, on a loop of its own. */
static void test_create_errors(void **state)
{
    uv_loop_t l;
    assert_int_equal(uv_loop_init(&l), 0);
    yh_http_config_t cfg = {.bind_ip = "not-an-ip", .web_root = "/nonexistent"};
    yh_http_t *h = (yh_http_t *)&l; /* must be reset to NULL on failure */
    assert_int_equal(yh_http_create(&l, &cfg, NULL, &h), YH_EINVAL);
    assert_null(h);

    /* A port already listened on cannot be taken. */
    cfg.bind_ip = "127.0.0.1";
    yh_http_t *first;
    assert_int_equal(yh_http_create(&l, &cfg, NULL, &first), 0);
    cfg.port = yh_http_port(first);
    assert_int_not_equal(cfg.port, 0);
    assert_int_equal(yh_http_create(&l, &cfg, NULL, &h), YH_EIO);
    assert_null(h);
    yh_http_destroy(first);
    yh_http_destroy(NULL);
    assert_int_equal(uv_loop_close(&l), 0);
}

/* Last: yh_http_destroy closes open connections, reporting each. */
static void test_destroy_closes_connections(void **state)
{
    int fd = ws_connect(srv_a.port);
    ws_send_text(fd, "x");
    expect_text(fd, "x");
    assert_int_equal(stop_servers(), 0);
    assert_int_equal(atomic_load(&srv_a.opens), atomic_load(&srv_a.closes));
    assert_int_equal(atomic_load(&srv_b.opens), atomic_load(&srv_b.closes));
    assert_true(atomic_load(&srv_a.opens) >= 7);
    uint8_t buf[64];
    size_t len;
    int op = ws_read(fd, buf, sizeof buf, &len);
    assert_true(op == -1 || op == 0x8);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest alone[] = {
        cmocka_unit_test(test_create_errors),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binds_loopback_only),
        cmocka_unit_test(test_healthz),
        cmocka_unit_test(test_static_files),
        cmocka_unit_test(test_unknown_path_404),
        cmocka_unit_test(test_path_traversal_refused),
        cmocka_unit_test(test_ws_echo),
        cmocka_unit_test(test_ws_close_code_and_reason_sanitised),
        cmocka_unit_test(test_ws_max_size_message_passes),
        cmocka_unit_test(test_ws_too_large),
        cmocka_unit_test(test_ws_rate_refills),
        cmocka_unit_test(test_ws_rate_limit),
        cmocka_unit_test(test_ws_binary_refused),
        cmocka_unit_test(test_ws_other_path_refused),
        cmocka_unit_test(test_ws_send_queue_limit),
        cmocka_unit_test(test_ws_ping_and_idle_timeout),
        cmocka_unit_test(test_destroy_closes_connections),
    };
    yh_log_set_level(YH_LOG_ERROR);
    int failed = cmocka_run_group_tests(alone, NULL, NULL);
    return failed + cmocka_run_group_tests(tests, setup, teardown);
}
