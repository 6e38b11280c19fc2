/*
 * A tiny HTTP/1.1 client on a libuv TCP handle, for the Janus backend
 * (janus.c): small JSON requests to one server, one keep-alive connection
 * per yt_http_t, requests queued and sent one at a time (no pipelining, so
 * a long poll gets its own yt_http_t). Plain HTTP only; Janus's REST API in
 * the benchmarks is on a private address.
 *
 * The response parsers are pure functions over buffers (RFC 9112 sections 4
 * and 7.1) so they can be tested without sockets.
 */
#ifndef YT_JANUS_HTTP_H
#define YT_JANUS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* Largest response (head plus body) accepted; Janus events carry SDP of at
 * most a few dozen m-sections. */
#define YT_HTTP_MAX_RESPONSE (1024 * 1024)

typedef struct yt_http_head {
    int status;             /* 100..599 */
    int64_t content_length; /* -1 when absent */
    int chunked;            /* Transfer-Encoding: chunked */
    int close;              /* Connection: close, or HTTP/1.0 */
} yt_http_head_t;

/* Parses a response head (status line and header fields up to the blank
 * line) at the start of buf. Returns the head's length, 0 when the blank
 * line has not arrived yet, YH_EPARSE on a malformed head, YH_ELIMIT past
 * 16 KiB of head. */
int yt_http_head_parse(const char *buf, size_t len, yt_http_head_t *out);

/* Decodes a complete chunked body (RFC 9112 section 7.1) from in[0..len)
 * into out (capacity cap). Returns the number of input bytes the body took
 * (through the last chunk and trailer section), 0 when incomplete,
 * YH_EPARSE when malformed, YH_ENOSPACE when the body exceeds cap.
 * *out_len is the decoded length (set only when complete). out may be NULL
 * (only check and measure) or equal to in (decode in place: the output
 * never overtakes the input). Decoding writes as it goes, so a caller that
 * decodes in place checks with out == NULL first. */
int yt_http_chunked_decode(const char *in, size_t len, char *out, size_t cap, size_t *out_len);

/* "http://host[:port][/path]" with a numeric IPv4 host (the bench's
 * namespace address) or a name getaddrinfo resolves synchronously.
 * Path without trailing slash ("" when absent). */
typedef struct yt_http_url {
    char host[256];
    uint16_t port;
    char path[256];
} yt_http_url_t;

int yt_http_url_parse(const char *url, yt_http_url_t *out);

/* ---- the connection ------------------------------------------------------ */

typedef struct yt_http yt_http_t;

/* status: the HTTP status, or a negative YH_E* when the request failed
 * (connection refused or lost, timeout, malformed response). body is
 * NUL-terminated and borrowed for the duration of the call. The callback
 * may destroy the yt_http_t. */
typedef void (*yt_http_done_fn)(void *ctx, int status, const char *body, size_t len);

int yt_http_create(uv_loop_t *loop, const yt_http_url_t *server, yt_http_t **out);
/* Queues a request; `body` (JSON, may be NULL for GET) is copied. The
 * response comes later through `done`, never from inside this call.
 * `timeout_ms` bounds the wait for the whole response once sent. */
int yt_http_request(yt_http_t *h, const char *method, const char *path, const char *body,
                    uint64_t timeout_ms, yt_http_done_fn done, void *ctx);
/* Drops queued requests without calling them back; frees once libuv has
 * closed the handles. Accepts NULL. */
void yt_http_destroy(yt_http_t *h);

#endif
