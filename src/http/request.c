/*
 * HTTP requests to /api and /metrics on libwebsockets: the request line,
 * a few headers, the query arguments and a body of at most
 * YH_HTTP_MAX_BODY bytes are collected into a yh_http_req_t, handed to the
 * request handler, and its response is written back over one or more
 * writeable callbacks (lws allows one write per callback).
 *
 * Ownership: the connection's per-session data points at its request. From
 * the handler call until yh_http_respond the handler owns it too; if the
 * connection closes in between, the request is only detached (wsi = NULL)
 * and yh_http_respond frees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "http/http_int.h"

#define MOD "http"
#define CHUNK 16384

static const struct {
    enum lws_token_indexes tok;
    const char *name;
} methods[] = {
    {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_PATCH_URI, "PATCH"},
    {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},
};

static const char err_not_found[] =
    "{\"error\":{\"code\":\"not-found\",\"message\":\"no such resource\"}}";
static const char err_too_large[] =
    "{\"error\":{\"code\":\"too-large\",\"message\":\"request body over 65536 bytes\"}}";
static const char err_chunked[] =
    "{\"error\":{\"code\":\"length-required\",\"message\":\"send the body with a "
    "Content-Length, not chunked\"}}";
static const char err_bad_header[] = "{\"error\":{\"code\":\"bad-request\",\"message\":\"malformed "
                                     "or too long request line or header\"}}";

int yh__req_is_api(struct lws *wsi)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        int n = lws_hdr_total_length(wsi, methods[i].tok);
        if (n <= 0)
            continue;
        char *uri = malloc((size_t)n + 1);
        int api = uri && lws_hdr_copy(wsi, uri, n + 1, methods[i].tok) >= 0 &&
                  (!strcmp(uri, "/api") || !strncmp(uri, "/api/", 5) || !strcmp(uri, "/metrics"));
        free(uri);
        return api;
    }
    return 0;
}

static void req_free(yh_http_req_t *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->resp);
    free(r);
}

void yh_http_set_request_handler(yh_http_t *h, yh_http_request_fn fn, void *ctx)
{
    h->on_request = fn;
    h->request_ctx = ctx;
}

const yh_http_req_view_t *yh_http_req_view(const yh_http_req_t *req)
{
    return &req->v;
}

int yh_http_ws_count(const yh_http_t *h)
{
    return h->n_conns;
}

static int set_extra(yh_http_req_t *r, const char *const *headers)
{
    r->extra_len = 0;
    for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2) {
        size_t a = strlen(headers[i]) + 1, b = strlen(headers[i + 1]) + 1;
        if (r->extra_len + a + b > sizeof r->extra)
            return YH_ENOSPACE;
        memcpy(r->extra + r->extra_len, headers[i], a);
        memcpy(r->extra + r->extra_len + a, headers[i + 1], b);
        r->extra_len += a + b;
    }
    return 0;
}

int yh_http_respond(yh_http_req_t *req, int status, const char *content_type, const char *body,
                    size_t len, const char *const *headers)
{
    if (!req)
        return YH_EINVAL;
    if (!req->wsi || req->state == YH_REQ_RESPONDING) {
        /* Gone (freed here), or answered twice (a handler bug: ignored). */
        if (!req->wsi)
            req_free(req);
        return YH_ESTATE;
    }
    free(req->resp);
    req->resp = malloc(LWS_PRE + len + 1);
    if (!req->resp || set_extra(req, headers)) {
        YH_LOGE(MOD, "no memory for a %zu-byte response", len);
        status = 500;
        len = 0;
        content_type = "application/json";
        free(req->resp);
        req->extra_len = 0;
        if (!(req->resp = malloc(LWS_PRE + 1))) {
            /* Not even that: drop the connection; closing frees the
             * request because it is no longer the handler's. */
            req->state = YH_REQ_READING;
            lws_set_timeout(req->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
            return YH_ENOMEM;
        }
    }
    if (len)
        memcpy(req->resp + LWS_PRE, body, len);
    req->resp_len = len;
    req->resp_off = 0;
    req->status = status;
    snprintf(req->resp_ctype, sizeof req->resp_ctype, "%s",
             content_type ? content_type : "application/json");
    req->state = YH_REQ_RESPONDING;
    lws_callback_on_writable(req->wsi);
    return 0;
}

static void respond_now(yh_http_req_t *r, int status, const char *json, int close_after)
{
    r->close_after = close_after;
    r->state = YH_REQ_HANDLER;
    yh_http_respond(r, status, "application/json", json, strlen(json), NULL);
}

/* Copies a header; 0 when absent, -1 when it does not fit. */
static int copy_hdr(struct lws *wsi, enum lws_token_indexes tok, char *out, int cap)
{
    out[0] = '\0';
    int total = lws_hdr_total_length(wsi, tok);
    if (total <= 0)
        return 0;
    if (total >= cap)
        return -1;
    return lws_hdr_copy(wsi, out, cap, tok) < 0 ? -1 : 0;
}

/* "name=value" query fragments, already URL-decoded by lws. */
static int copy_args(struct lws *wsi, yh_http_req_t *r)
{
    size_t used = 0;
    for (int i = 0; i < YH_HTTP_MAX_ARGS; i++) {
        if (used >= sizeof r->argbuf)
            return -1;
        int n = lws_hdr_copy_fragment(wsi, r->argbuf + used, (int)(sizeof r->argbuf - used),
                                      WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            return lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) > 0 ? -1 : 0;
        r->v.args[r->v.n_args++] = r->argbuf + used;
        used += (size_t)n + 1;
    }
    return lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, YH_HTTP_MAX_ARGS) > 0 ? -1 : 0;
}

static int read_request_line(struct lws *wsi, yh_http_req_t *r)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        if (lws_hdr_total_length(wsi, methods[i].tok) <= 0)
            continue;
        snprintf(r->method, sizeof r->method, "%s", methods[i].name);
        if (copy_hdr(wsi, methods[i].tok, r->path, sizeof r->path))
            return -1;
        break;
    }
    if (!r->method[0] || copy_hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, r->auth, sizeof r->auth) ||
        copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, r->ctype, sizeof r->ctype) ||
        copy_hdr(wsi, WSI_TOKEN_HOST, r->host, sizeof r->host) || copy_args(wsi, r))
        return -1;
    r->v.method = r->method;
    r->v.path = r->path;
    r->v.authorization = r->auth;
    r->v.content_type = r->ctype;
    r->v.host = r->host;
    r->v.body = "";
    return 0;
}

static void dispatch(yh_http_t *h, yh_http_req_t *r)
{
    r->state = YH_REQ_HANDLER;
    if (r->body)
        r->v.body = r->body;
    r->v.body_len = r->body_len;
    if (!h->on_request) {
        respond_now(r, 404, err_not_found, 0);
        return;
    }
    h->on_request(h->request_ctx, r);
}

/* A body follows when Content-Length is positive. lws 4.1 does not
 * de-chunk request bodies, so a chunked one is refused (-2: 411 Length
 * Required, RFC 9110 section 15.5.12). */
static int body_expected(struct lws *wsi, long long *clen)
{
    char buf[32];
    *clen = 0;
    if (copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, buf, sizeof buf))
        return -1;
    if (buf[0]) {
        char *end;
        *clen = strtoll(buf, &end, 10);
        if (*end || *clen < 0)
            return -1;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        return -2;
    return *clen > 0;
}

int yh__req_begin(yh_http_t *h, struct lws *wsi, yh_http_pss_t *pss)
{
    yh__req_closed(pss);
    yh_http_req_t *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->wsi = wsi;
    pss->req = r;
    long long clen = 0;
    int body = 0;
    if (read_request_line(wsi, r) || (body = body_expected(wsi, &clen)) == -1) {
        respond_now(r, 400, err_bad_header, 1);
        return 0;
    }
    if (body == -2) {
        respond_now(r, 411, err_chunked, 1);
        return 0;
    }
    if (clen > YH_HTTP_MAX_BODY) {
        respond_now(r, 413, err_too_large, 1);
        return 0;
    }
    if (body &&
        (!strcmp(r->method, "POST") || !strcmp(r->method, "PUT") || !strcmp(r->method, "PATCH"))) {
        r->state = YH_REQ_READING;
        return 0;
    }
    dispatch(h, r);
    return 0;
}

int yh__req_body(yh_http_pss_t *pss, const void *in, size_t len)
{
    yh_http_req_t *r = pss->req;
    if (!r || r->state != YH_REQ_READING)
        return 0; /* e.g. the rest of a refused body */
    if (r->body_len + len > YH_HTTP_MAX_BODY) {
        respond_now(r, 413, err_too_large, 1);
        return 0;
    }
    char *b = realloc(r->body, r->body_len + len + 1);
    if (!b)
        return -1;
    memcpy(b + r->body_len, in, len);
    r->body = b;
    r->body_len += len;
    b[r->body_len] = '\0';
    return 0;
}

int yh__req_body_done(yh_http_t *h, yh_http_pss_t *pss)
{
    if (pss->req && pss->req->state == YH_REQ_READING)
        dispatch(h, pss->req);
    return 0;
}

static int write_headers(struct lws *wsi, yh_http_req_t *r)
{
    uint8_t buf[LWS_PRE + 2048];
    uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, (unsigned int)r->status, r->resp_ctype, r->resp_len, &p,
                                    end))
        return -1;
    for (size_t o = 0; o < r->extra_len;) {
        const char *name = r->extra + o, *value = name + strlen(name) + 1;
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                        (const unsigned char *)value, (int)strlen(value), &p, end))
            return -1;
        o = (size_t)(value + strlen(value) + 1 - r->extra);
    }
    if (r->close_after && lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                                       (const unsigned char *)"close", 5, &p, end))
        return -1;
    return lws_finalize_write_http_header(wsi, start, &p, end) ? -1 : 0;
}

int yh__req_writeable(struct lws *wsi, yh_http_pss_t *pss, int *rc)
{
    yh_http_req_t *r = pss->req;
    if (!r || r->state != YH_REQ_RESPONDING)
        return 0;
    *rc = 0;
    if (!r->headers_sent) {
        r->headers_sent = 1;
        if (write_headers(wsi, r)) {
            *rc = -1;
            return 1;
        }
        if (r->resp_len) {
            lws_callback_on_writable(wsi);
            return 1;
        }
    } else {
        size_t n = r->resp_len - r->resp_off;
        int final = n <= CHUNK;
        if (!final)
            n = CHUNK;
        if (lws_write(wsi, r->resp + LWS_PRE + r->resp_off, n,
                      final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n) {
            *rc = -1;
            return 1;
        }
        r->resp_off += n;
        if (!final) {
            lws_callback_on_writable(wsi);
            return 1;
        }
    }
    int close_after = r->close_after;
    req_free(r);
    pss->req = NULL;
    *rc = close_after || lws_http_transaction_completed(wsi) ? -1 : 0;
    return 1;
}

void yh__req_closed(yh_http_pss_t *pss)
{
    yh_http_req_t *r = pss ? pss->req : NULL;
    if (!r)
        return;
    pss->req = NULL;
    if (r->state == YH_REQ_HANDLER)
        r->wsi = NULL; /* the handler still holds it; respond frees it */
    else
        req_free(r);
}
