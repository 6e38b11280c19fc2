/*
 * HTTPS/WSS and the security headers against real clients: the server
 * runs on a libuv loop in a second thread with both listeners on
 * 127.0.0.1 (ephemeral ports) and the self-signed certificate made by
 * yh_http_tls_selfsigned; the test thread speaks HTTP/1.1 over plain
 * sockets and over OpenSSL's client, which verifies the certificate
 * against itself as the one trust anchor and checks the name "localhost".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include "base/err.h"
#include "base/log.h"
#include "http/http.h"

static uv_loop_t loop;
static uv_async_t stop_async;
static pthread_t loop_thread;
static yh_http_t *http;
static uint16_t port, tls_port;
static char tmpdir[64], webroot[96], cert_path[128], key_path[128];
static const char *const ips[] = {"127.0.0.1", "192.0.2.7"};

/* ---- server side ---------------------------------------------------- */

static void on_message(void *ctx, yh_ws_t *ws, const char *text, size_t len)
{
    yh_ws_send(ws, text, len);
}

/* Stands in for the API: every /api request gets a small JSON answer. */
static void on_request(void *ctx, yh_http_req_t *req)
{
    static const char body[] = "{\"ok\":true}";
    yh_http_respond(req, 200, "application/json", body, sizeof body - 1, NULL);
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

static yh_http_config_t server_config(void)
{
    return (yh_http_config_t){
        .bind_ip = "127.0.0.1",
        .web_root = webroot,
        .https = 1,
        .tls_cert = cert_path,
        .tls_key = key_path,
    };
}

/* The web root and the certificate in a fresh directory. */
static int setup_files(void **state)
{
    yh_log_set_level(YH_LOG_WARN);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yh-https-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(webroot, sizeof webroot, "%s/web", tmpdir);
    snprintf(cert_path, sizeof cert_path, "%s/tls-cert.pem", tmpdir);
    snprintf(key_path, sizeof key_path, "%s/tls-key.pem", tmpdir);
    mkdir(webroot, 0700);
    char index[128];
    snprintf(index, sizeof index, "%s/index.html", webroot);
    FILE *f = fopen(index, "w");
    if (!f)
        return -1;
    fputs("<!doctype html><title>yunhui</title>\n", f);
    fclose(f);
    return yh_http_tls_selfsigned(cert_path, key_path, ips, 2) ? -1 : 0;
}

static int teardown_files(void **state)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) != 0 ? -1 : 0;
}

/* The shared server: both listeners on ephemeral ports. */
static int setup(void **state)
{
    if (setup_files(state))
        return -1;
    if (uv_loop_init(&loop) || uv_async_init(&loop, &stop_async, on_stop))
        return -1;
    yh_http_config_t cfg = server_config();
    yh_http_listener_t l = {NULL, NULL, on_message, NULL};
    if (yh_http_create(&loop, &cfg, &l, &http))
        return -1;
    yh_http_set_request_handler(http, on_request, NULL);
    port = yh_http_port(http);
    tls_port = yh_http_https_port(http);
    if (!port || !tls_port || port == tls_port)
        return -1;
    return pthread_create(&loop_thread, NULL, loop_main, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
    uv_async_send(&stop_async);
    pthread_join(loop_thread, NULL);
    yh_http_destroy(http);
    int rc = uv_loop_close(&loop);
    return teardown_files(state) || rc ? -1 : 0;
}

/* ---- client side ---------------------------------------------------- */

typedef struct conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl; /* NULL: plain TCP */
} conn_t;

static int tcp_connect(uint16_t p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* TLS 1.2 or later, the self-signed certificate as the only trust anchor
 * (PARTIAL_CHAIN: it is a leaf, not a CA), host name "localhost". */
static int tls_connect(conn_t *c, uint16_t p, const char *host)
{
    memset(c, 0, sizeof *c);
    c->fd = tcp_connect(p);
    c->ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(c->ctx);
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    assert_int_equal(SSL_CTX_load_verify_locations(c->ctx, cert_path, NULL), 1);
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(c->ctx), X509_V_FLAG_PARTIAL_CHAIN);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    c->ssl = SSL_new(c->ctx);
    assert_non_null(c->ssl);
    SSL_set_tlsext_host_name(c->ssl, host);
    SSL_set1_host(c->ssl, host);
    SSL_set_fd(c->ssl, c->fd);
    return SSL_connect(c->ssl) == 1 ? 0 : -1;
}

static void conn_close(conn_t *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
}

static void conn_write(conn_t *c, const void *buf, size_t len)
{
    if (c->ssl)
        assert_int_equal(SSL_write(c->ssl, buf, (int)len), (int)len);
    else
        assert_int_equal(send(c->fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static ssize_t conn_read(conn_t *c, void *buf, size_t cap)
{
    if (c->ssl) {
        int n = SSL_read(c->ssl, buf, (int)cap);
        return n > 0 ? n : -1;
    }
    return recv(c->fd, buf, cap, 0);
}

typedef struct resp {
    int status;
    char head[4096]; /* lower case */
    char body[4096];
} resp_t;

static void get(conn_t *c, const char *path, resp_t *r)
{
    char req[256], all[16384];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
    conn_write(c, req, (size_t)n);
    size_t len = 0;
    ssize_t k;
    while (len < sizeof all - 1 && (k = conn_read(c, all + len, sizeof all - 1 - len)) > 0)
        len += (size_t)k;
    all[len] = '\0';
    memset(r, 0, sizeof *r);
    char *end = strstr(all, "\r\n\r\n");
    assert_non_null(end);
    size_t hl = (size_t)(end - all);
    assert_true(hl < sizeof r->head);
    memcpy(r->head, all, hl);
    for (char *p = r->head; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    snprintf(r->body, sizeof r->body, "%s", end + 4);
    assert_int_equal(sscanf(all, "HTTP/1.1 %d", &r->status), 1);
}

static void get_plain(const char *path, resp_t *r)
{
    conn_t c = {.fd = tcp_connect(port)};
    get(&c, path, r);
    conn_close(&c);
}

static void get_tls(const char *path, resp_t *r)
{
    conn_t c;
    assert_int_equal(tls_connect(&c, tls_port, "localhost"), 0);
    get(&c, path, r);
    conn_close(&c);
}

static void assert_security_headers(const resp_t *r)
{
    assert_non_null(strstr(r->head, "\r\ncontent-security-policy: default-src 'self'; "
                                    "connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
                                    "media-src 'self' blob:; style-src 'self'; "
                                    "script-src 'self'; frame-ancestors 'none'\r\n"));
    assert_non_null(strstr(r->head, "\r\nx-frame-options: deny\r\n"));
    assert_non_null(strstr(r->head, "\r\nx-content-type-options: nosniff\r\n"));
    assert_non_null(strstr(r->head, "\r\nreferrer-policy: no-referrer\r\n"));
}

/* ---- tests ---------------------------------------------------------- */

static void test_healthz_over_tls(void **state)
{
    resp_t r;
    get_tls("/healthz", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    assert_security_headers(&r);
    get_tls("/", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<title>yunhui</title>"));
    /* The plain listener is a different port with the same routes. */
    get_plain("/healthz", &r);
    assert_int_equal(r.status, 200);
}

/* The certificate names localhost and the announced addresses; another
 * name fails verification, and plain HTTP on the TLS port gets no page. */
static void test_certificate(void **state)
{
    conn_t c;
    assert_int_equal(tls_connect(&c, tls_port, "localhost"), 0);
    X509 *peer = SSL_get1_peer_certificate(c.ssl);
    assert_non_null(peer);
    assert_int_equal(X509_check_ip_asc(peer, "192.0.2.7", 0), 1);
    assert_int_equal(X509_check_ip_asc(peer, "192.0.2.8", 0), 0);
    assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(peer)), EVP_PKEY_EC);
    assert_string_equal(SSL_get_version(c.ssl), "TLSv1.3");
    X509_free(peer);
    conn_close(&c);

    assert_int_equal(tls_connect(&c, tls_port, "example.com"), -1);
    assert_int_equal(SSL_get_verify_result(c.ssl), X509_V_ERR_HOSTNAME_MISMATCH);
    conn_close(&c);
    ERR_clear_error();

    conn_t p = {.fd = tcp_connect(tls_port)};
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    conn_write(&p, req, sizeof req - 1);
    char buf[256];
    ssize_t n = conn_read(&p, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    assert_null(strstr(buf, "{\"status\":\"ok\"}"));
    conn_close(&p);
}

static void test_security_headers(void **state)
{
    resp_t r;
    get_plain("/", &r);
    assert_int_equal(r.status, 200);
    assert_security_headers(&r);
    get_plain("/api/meetings/123", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"ok\":true}");
    assert_security_headers(&r);
    get_tls("/api/meetings", &r);
    assert_security_headers(&r);
    get_plain("/no-such-page.html", &r);
    assert_int_equal(r.status, 404);
    assert_security_headers(&r);
}

/* WSS: the upgrade and one echoed message over TLS. */
static void test_wss_echo(void **state)
{
    conn_t c;
    assert_int_equal(tls_connect(&c, tls_port, "localhost"), 0);
    static const char req[] = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: "
                              "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    conn_write(&c, req, sizeof req - 1);
    char head[1024];
    size_t len = 0;
    while (len < sizeof head - 1 && (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4))) {
        assert_int_equal(conn_read(&c, head + len, 1), 1);
        len++;
    }
    head[len] = '\0';
    assert_memory_equal(head, "HTTP/1.1 101", 12);
    assert_non_null(strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")); /* RFC 6455 1.3 */
    /* A masked text frame "Hello" (RFC 6455 section 5.7's example). */
    static const uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                    0x7f, 0x9f, 0x4d, 0x51, 0x58};
    conn_write(&c, frame, sizeof frame);
    uint8_t got[7];
    size_t n = 0;
    while (n < sizeof got) {
        ssize_t k = conn_read(&c, got + n, sizeof got - n);
        assert_true(k > 0);
        n += (size_t)k;
    }
    assert_memory_equal(got, "\x81\x05Hello", 7);
    conn_close(&c);
}

/* Kept while it covers the names; replaced when an address is new; the
 * key is never readable by others. */
static void test_selfsigned_files(void **state)
{
    char c2[160], k2[160];
    snprintf(c2, sizeof c2, "%s/c2.pem", tmpdir);
    snprintf(k2, sizeof k2, "%s/k2.pem", tmpdir);
    assert_int_equal(yh_http_tls_selfsigned(c2, k2, ips, 1), 0);
    struct stat st1, st2;
    assert_int_equal(stat(k2, &st1), 0);
    assert_int_equal(st1.st_mode & 0777, 0600);
    assert_int_equal(stat(c2, &st1), 0);
    assert_int_equal(st1.st_mode & 0777, 0600);
    assert_int_equal(yh_http_tls_selfsigned(c2, k2, ips, 1), 0);
    assert_int_equal(stat(c2, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino); /* not rewritten */

    assert_int_equal(yh_http_tls_selfsigned(c2, k2, ips, 2), 0);
    assert_int_equal(stat(c2, &st2), 0);
    assert_int_not_equal(st1.st_ino, st2.st_ino);
    FILE *f = fopen(c2, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    assert_int_equal(X509_check_ip_asc(x, "192.0.2.7", 0), 1);
    assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    X509_free(x);

    /* A key that does not belong to the certificate: a new pair. */
    char c3[160], k3[160];
    snprintf(c3, sizeof c3, "%s/c3.pem", tmpdir);
    snprintf(k3, sizeof k3, "%s/k3.pem", tmpdir);
    assert_int_equal(yh_http_tls_selfsigned(c3, k3, ips, 2), 0);
    assert_int_equal(yh_http_tls_selfsigned(c2, k3, ips, 2), 0);
    assert_int_equal(stat(c2, &st1), 0);
    assert_int_not_equal(st1.st_ino, st2.st_ino);
}

/* A taken HTTPS port fails the server, unless HTTPS is optional; a
 * certificate that cannot be loaded fails it too. */
static void test_https_port_taken(void **state)
{
    /* A port held by a plain socket. Run before the shared server
     * exists: two lws contexts with TLS at once leak an SSL_CTX in lws
     * 4.1 (the server has only ever one). */
    int busy = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(busy, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(busy, 1), 0);
    assert_int_equal(getsockname(busy, (struct sockaddr *)&sa, &sl), 0);
    uv_loop_t l2;
    assert_int_equal(uv_loop_init(&l2), 0);
    yh_http_config_t cfg = server_config();
    cfg.https_port = ntohs(sa.sin_port);
    yh_http_t *h = NULL;
    assert_int_equal(yh_http_create(&l2, &cfg, NULL, &h), YH_EIO);
    assert_null(h);
    cfg.https_optional = 1;
    assert_int_equal(yh_http_create(&l2, &cfg, NULL, &h), 0);
    assert_int_not_equal(yh_http_port(h), 0);
    assert_int_equal(yh_http_https_port(h), 0);
    yh_http_destroy(h);

    cfg = server_config();
    cfg.tls_cert = "/nonexistent/cert.pem";
    assert_int_not_equal(yh_http_create(&l2, &cfg, NULL, &h), 0);
    assert_null(h);
    cfg.tls_cert = NULL;
    assert_int_equal(yh_http_create(&l2, &cfg, NULL, &h), YH_EINVAL);
    assert_int_equal(uv_loop_close(&l2), 0);
    close(busy);
}

int main(void)
{
    const struct CMUnitTest alone[] = {
        cmocka_unit_test(test_https_port_taken),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz_over_tls), cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_security_headers), cmocka_unit_test(test_wss_echo),
        cmocka_unit_test(test_selfsigned_files),
    };
    int rc = cmocka_run_group_tests_name("https-setup", alone, setup_files, teardown_files);
    return rc | cmocka_run_group_tests_name("https", tests, setup, teardown);
}
