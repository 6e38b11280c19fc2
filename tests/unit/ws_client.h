/*
 * A WebSocket client for the HTTP tests (test_http.c, test_http_iplimit.c):
 * HTTP/1.1 and RFC 6455 (masked client frames) over plain blocking sockets
 * to 127.0.0.1, with cmocka assertions.
 */
#ifndef YH_TESTS_WS_CLIENT_H
#define YH_TESTS_WS_CLIENT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A TCP connection to 127.0.0.1:port from the loopback address `src`
 * (any 127.x.y.z is ours on Linux), or from 127.0.0.1 when NULL. */
static __attribute__((unused)) int tcp_connect_from(const char *src, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (src) {
        struct sockaddr_in la = {.sin_family = AF_INET};
        assert_int_equal(inet_pton(AF_INET, src, &la.sin_addr), 1);
        assert_int_equal(bind(fd, (struct sockaddr *)&la, sizeof la), 0);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static __attribute__((unused)) int tcp_connect(uint16_t port)
{
    return tcp_connect_from(NULL, port);
}

static __attribute__((unused)) void send_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Reads exactly len bytes; returns 0, or -1 on EOF, error or timeout. */
static __attribute__((unused)) int recv_all(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = recv(fd, p, len, 0);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

typedef struct http_resp {
    int status;
    char head[4096];
    char body[8192];
    size_t body_len;
} http_resp_t;

/* One request with "Connection: close"; the response is read to EOF. */
static __attribute__((unused)) void http_get(uint16_t port, const char *path, http_resp_t *r)
{
    int fd = tcp_connect(port);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    send_all(fd, req, (size_t)n);
    static char all[16384];
    size_t len = 0;
    ssize_t k;
    while (len < sizeof all - 1 && (k = recv(fd, all + len, sizeof all - 1 - len, 0)) > 0)
        len += (size_t)k;
    all[len] = '\0';
    close(fd);
    memset(r, 0, sizeof *r);
    char *end = strstr(all, "\r\n\r\n");
    assert_non_null(end);
    size_t hl = (size_t)(end - all);
    assert_true(hl < sizeof r->head);
    memcpy(r->head, all, hl);
    for (char *c = r->head; *c; c++) /* header names are case-insensitive */
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    r->body_len = len - hl - 4;
    assert_true(r->body_len < sizeof r->body);
    memcpy(r->body, end + 4, r->body_len);
    assert_int_equal(sscanf(all, "HTTP/1.1 %d", &r->status), 1);
}

/* RFC 6455 section 1.3's example key and its accept value. */
#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* Returns the connected socket, or -1 when the server refused the upgrade. */
static __attribute__((unused)) int ws_connect_path_from(const char *src, uint16_t port,
                                                        const char *path)
{
    int fd = tcp_connect_from(src, port);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: " WS_KEY "\r\n"
                     "Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1\r\n\r\n",
                     path);
    send_all(fd, req, (size_t)n);
    char resp[2048];
    size_t len = 0;
    /* Byte by byte so no frame data is consumed with the headers. */
    while (len < sizeof resp - 1 && (len < 4 || memcmp(resp + len - 4, "\r\n\r\n", 4))) {
        if (recv(fd, resp + len, 1, 0) != 1)
            break;
        len++;
    }
    resp[len] = '\0';
    if (strncmp(resp, "HTTP/1.1 101", 12) || !strstr(resp, WS_ACCEPT)) {
        close(fd);
        return -1;
    }
    return fd;
}

static __attribute__((unused)) int ws_connect_path(uint16_t port, const char *path)
{
    return ws_connect_path_from(NULL, port, path);
}

static __attribute__((unused)) int ws_connect(uint16_t port)
{
    int fd = ws_connect_path(port, "/ws");
    assert_true(fd >= 0);
    return fd;
}

/* One client frame: always masked (RFC 6455 section 5.3). */
static __attribute__((unused)) void ws_send_frame(int fd, int fin, int opcode, const void *data,
                                                  size_t len)
{
    uint8_t *f = malloc(len + 14);
    assert_non_null(f);
    size_t h = 0;
    f[h++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        f[h++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        f[h++] = 0x80 | 126;
        f[h++] = (uint8_t)(len >> 8);
        f[h++] = (uint8_t)len;
    } else {
        f[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            f[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    memcpy(f + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        f[h + i] = ((const uint8_t *)data)[i] ^ mask[i & 3];
    send_all(fd, f, h + len);
    free(f);
}

static __attribute__((unused)) void ws_send_text(int fd, const char *text)
{
    ws_send_frame(fd, 1, 0x1, text, strlen(text));
}

/* Reads one server frame (servers never mask) into buf (at most cap
 * bytes of payload). Returns its opcode, or -1 on EOF or timeout. */
static __attribute__((unused)) int ws_read(int fd, uint8_t *buf, size_t cap, size_t *len)
{
    uint8_t b0;
    if (recv_all(fd, &b0, 1))
        return -1;
    uint8_t b1;
    if (recv_all(fd, &b1, 1))
        return -1;
    assert_int_equal(b1 & 0x80, 0);
    uint64_t n = b1 & 0x7f;
    uint8_t h[8];
    if (n == 126) {
        if (recv_all(fd, h, 2))
            return -1;
        n = (uint64_t)h[0] << 8 | h[1];
    } else if (n == 127) {
        if (recv_all(fd, h, 8))
            return -1;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | h[i];
    }
    assert_true(n <= cap);
    if (recv_all(fd, buf, (size_t)n))
        return -1;
    *len = (size_t)n;
    assert_true(b0 & 0x80); /* the server sends whole messages */
    return b0 & 0x0f;
}

static __attribute__((unused)) void expect_text(int fd, const char *want)
{
    static uint8_t buf[131072];
    size_t len;
    assert_int_equal(ws_read(fd, buf, sizeof buf - 1, &len), 0x1);
    buf[len] = '\0';
    assert_string_equal((char *)buf, want);
}

/* An error message with the given code, then a close frame with `close`. */
static __attribute__((unused)) void expect_error_then_close(int fd, const char *code,
                                                            int close_code)
{
    uint8_t buf[1024];
    size_t len;
    int op;
    while ((op = ws_read(fd, buf, sizeof buf - 1, &len)) == 0x1) {
        buf[len] = '\0';
        if (strstr((char *)buf, "\"type\":\"error\""))
            break;
    }
    assert_int_equal(op, 0x1);
    char want[64];
    snprintf(want, sizeof want, "\"code\":\"%s\"", code);
    assert_non_null(strstr((char *)buf, want));
    assert_non_null(strstr((char *)buf, "\"message\":\""));
    assert_int_equal(ws_read(fd, buf, sizeof buf, &len), 0x8);
    assert_true(len >= 2);
    assert_int_equal(buf[0] << 8 | buf[1], close_code);
}

#endif
