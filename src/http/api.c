/*
 * The HTTP API's front: the route table, who is asking (admin key or host
 * session, both Bearer tokens compared in constant time), error and JSON
 * responses, and the password check of /api/login on the thread pool.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "http/api_int.h"

#define MOD "api"
#define ADMIN_KEY_MAX 512
#define MAX_INFLIGHT_LOGINS 8

typedef enum { P_END, P_LIT, P_NUMBER } part_t;

/* A route: method, path as parts ("meetings", {number}, "tokens"). */
typedef struct route {
    const char *method;
    const char *path[4]; /* literal segments; NULL where {number} goes */
    int n;
    int (*handler)(yh_api_call_t *c);
} route_t;

static int login_sync(yh_api_call_t *c);

static const route_t routes[] = {
    {"POST", {"api", "login"}, 2, login_sync},
    {"GET", {"api", "session"}, 2, yh__api_session},
    {"POST", {"api", "logout"}, 2, yh__api_logout},
    {"POST", {"api", "meetings"}, 2, yh__api_meeting_create},
    {"GET", {"api", "meetings"}, 2, yh__api_meeting_list},
    {"GET", {"api", "meetings", NULL}, 3, yh__api_meeting_get},
    {"DELETE", {"api", "meetings", NULL}, 3, yh__api_meeting_end},
    {"POST", {"api", "meetings", NULL, "tokens"}, 4, yh__api_meeting_token},
    {"GET", {"api", "usage"}, 2, yh__api_usage},
    {"GET", {"metrics"}, 1, yh__api_metrics},
};

#define N_ROUTES (sizeof routes / sizeof *routes)

int yh__api_error(yh_api_call_t *c, int status, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    if (status == 401) {
        c->resp->headers[0] = "www-authenticate:";
        c->resp->headers[1] = "Bearer";
    }
    return yh__api_json(c, status, o);
}

int yh__api_json(yh_api_call_t *c, int status, json_t *obj)
{
    yh_api_response_t *r = c->resp;
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    free(r->body);
    if (!text) {
        static const char oom[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        r->body = malloc(sizeof oom);
        status = 500;
        if (r->body)
            memcpy(r->body, oom, sizeof oom);
        r->len = r->body ? sizeof oom - 1 : 0;
    } else {
        r->body = text;
        r->len = strlen(text);
    }
    r->status = status;
    r->content_type = "application/json";
    return 0;
}

int yh__api_need_admin(yh_api_call_t *c)
{
    if (c->who == YH_WHO_ADMIN)
        return 0;
    if (!c->api->admin_key)
        yh__api_error(c, 403, "forbidden",
                      "the admin API is disabled: start the server with --admin-key "
                      "or YUNHUI_ADMIN_KEY");
    else if (c->who == YH_WHO_HOST)
        yh__api_error(c, 403, "forbidden", "this needs the admin key");
    else
        yh__api_error(c, 401, "unauthorized", "this needs 'Authorization: Bearer <admin key>'");
    return 1;
}

int yh__api_need_host(yh_api_call_t *c)
{
    if (c->who == YH_WHO_ADMIN || c->who == YH_WHO_HOST)
        return 0;
    if (!c->api->admin_key)
        yh__api_error(c, 403, "forbidden",
                      "the admin API is disabled (start the server with --admin-key or "
                      "YUNHUI_ADMIN_KEY); a signed-in host may use this with its session token");
    else
        yh__api_error(c, 401, "unauthorized",
                      "this needs 'Authorization: Bearer <admin key or host session token>'");
    return 1;
}

const char *yh__api_arg(const yh_api_call_t *c, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < c->rq->n_args; i++) {
        const char *a = c->rq->args[i];
        if (!strncmp(a, name, n) && a[n] == '=')
            return a + n + 1;
    }
    return NULL;
}

/* Bearer token: the admin key, else a host session; anything else given
 * is YH_WHO_BAD (401) rather than silently anonymous. */
static void identify(yh_api_call_t *c)
{
    const char *h = c->rq->authorization;
    c->who = YH_WHO_NONE;
    if (!h || !*h)
        return;
    c->who = YH_WHO_BAD;
    if (strncasecmp(h, "Bearer ", 7))
        return;
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    size_t n = strlen(tok);
    yh_api_t *api = c->api;
    if (api->admin_key && yh_auth_equal(tok, n, api->admin_key, api->admin_len, ADMIN_KEY_MAX)) {
        c->who = YH_WHO_ADMIN;
        return;
    }
    if (yh_auth_session_verify(api->cfg.secret, tok, &c->account) == 0)
        c->who = YH_WHO_HOST;
}

/* Splits "/api/meetings/123" against a route; 1 on a match. */
static int path_match(const route_t *r, const char *path, yh_api_call_t *c)
{
    const char *p = path;
    for (int i = 0; i < r->n; i++) {
        if (*p != '/')
            return 0;
        p++;
        size_t len = strcspn(p, "/");
        if (r->path[i]) {
            if (strlen(r->path[i]) != len || strncmp(p, r->path[i], len))
                return 0;
        } else {
            if (!yh_api_is_number(p, len))
                return 0;
            memcpy(c->number, p, len);
            c->number[len] = '\0';
        }
        p += len;
    }
    return *p == '\0' || (p[0] == '/' && p[1] == '\0');
}

/* Finds the route; writes 404 or 405 itself when there is none. */
static const route_t *route_find(yh_api_call_t *c)
{
    char *allow = c->resp->allow;
    const char *path = c->rq->path;
    int path_known = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!path_match(&routes[i], path, c))
            continue;
        if (!strcmp(routes[i].method, c->rq->method))
            return &routes[i];
        size_t used = strlen(allow);
        if (used + strlen(routes[i].method) + 3 < sizeof c->resp->allow)
            snprintf(allow + used, sizeof c->resp->allow - used, "%s%s", path_known ? ", " : "",
                     routes[i].method);
        path_known = 1;
    }
    if (!path_known) {
        yh__api_error(c, 404, "not-found", "no such resource: %.100s", path);
        return NULL;
    }
    yh__api_error(c, 405, "method-not-allowed", "%s is not allowed here (allowed: %s)",
                  c->rq->method, allow);
    c->resp->headers[0] = "allow:";
    c->resp->headers[1] = allow;
    return NULL;
}

static void count(yh_api_t *api, const yh_api_response_t *r)
{
    int cls = r->status / 100;
    if (cls >= 1 && cls <= 5)
        api->by_class[cls]++;
}

static int login_sync(yh_api_call_t *c)
{
    yh_api_login_t lg;
    if (yh__api_login_begin(c, &lg)) {
        yh__api_login_check(&lg);
        yh__api_login_finish(c, &lg);
    }
    memset(&lg, 0, sizeof lg); /* the password */
    return 0;
}

int yh_api_handle(yh_api_t *api, const yh_http_req_view_t *rq, yh_api_response_t *resp)
{
    yh_api_call_t c = {.api = api, .rq = rq, .resp = resp};
    memset(resp, 0, sizeof *resp);
    const route_t *r = route_find(&c);
    if (r) {
        identify(&c);
        /* A bad token is refused everywhere but at sign-in, where a stale
         * session in the browser must not block getting a new one. */
        if (c.who == YH_WHO_BAD && r->handler != login_sync)
            yh__api_error(&c, 401, "unauthorized", "the bearer token is invalid or expired");
        else
            r->handler(&c);
    }
    count(api, resp);
    return 0;
}

/* ---- The server side: requests from http, logins on the thread pool ---- */

typedef struct login_work {
    uv_work_t w;
    yh_api_t *api;
    yh_http_req_t *req;
    yh_api_login_t lg;
} login_work_t;

static void send_response(yh_http_req_t *req, yh_api_response_t *r)
{
    yh_http_respond(req, r->status, r->content_type, r->body, r->len, r->headers);
    free(r->body);
    r->body = NULL;
}

static void login_work(uv_work_t *w)
{
    login_work_t *lw = w->data;
    yh__api_login_check(&lw->lg);
}

static void login_done(uv_work_t *w, int status)
{
    login_work_t *lw = w->data;
    yh_api_t *api = lw->api;
    yh_api_response_t resp = {0};
    api->inflight--;
    if (api->destroyed) {
        /* The server is shutting down: the connection is gone too. */
        yh_http_respond(lw->req, 503, "application/json", "", 0, NULL);
    } else {
        yh_api_call_t c = {.api = api, .rq = yh_http_req_view(lw->req), .resp = &resp};
        if (status)
            yh__api_error(&c, 500, "internal", "the password check did not run");
        else
            yh__api_login_finish(&c, &lw->lg);
        count(api, &resp);
        send_response(lw->req, &resp);
    }
    memset(&lw->lg, 0, sizeof lw->lg); /* the password */
    free(lw);
    if (api->destroyed && api->inflight == 0) {
        free(api->admin_key);
        free(api);
    }
}

/* POST /api/login with a loop: parse and look up here, hash there. */
static int login_async(yh_api_t *api, yh_http_req_t *req, const yh_http_req_view_t *rq)
{
    yh_api_response_t resp = {0};
    yh_api_call_t c = {.api = api, .rq = rq, .resp = &resp};
    login_work_t *lw = NULL;
    if (api->inflight >= MAX_INFLIGHT_LOGINS) {
        yh__api_error(&c, 503, "busy", "too many sign-ins at once; try again");
    } else if (!(lw = calloc(1, sizeof *lw))) {
        yh__api_error(&c, 500, "internal", "out of memory");
    } else if (yh__api_login_begin(&c, &lw->lg)) {
        lw->w.data = lw;
        lw->api = api;
        lw->req = req;
        if (uv_queue_work(api->cfg.loop, &lw->w, login_work, login_done) == 0) {
            api->inflight++;
            return 0;
        }
        yh__api_error(&c, 500, "internal", "cannot queue the password check");
    }
    if (lw)
        memset(&lw->lg, 0, sizeof lw->lg);
    free(lw);
    count(api, &resp);
    send_response(req, &resp);
    return 0;
}

static void on_request(void *ctx, yh_http_req_t *req)
{
    yh_api_t *api = ctx;
    const yh_http_req_view_t *rq = yh_http_req_view(req);
    if (api->cfg.loop && !strcmp(rq->method, "POST") &&
        (!strcmp(rq->path, "/api/login") || !strcmp(rq->path, "/api/login/"))) {
        login_async(api, req, rq);
        return;
    }
    yh_api_response_t resp;
    yh_api_handle(api, rq, &resp);
    if (resp.status >= 500)
        YH_LOGW(MOD, "%s %s: %d", rq->method, rq->path, resp.status);
    send_response(req, &resp);
}

int yh_api_create(const yh_api_config_t *cfg, yh_api_t **out)
{
    *out = NULL;
    if (!cfg->store || !cfg->secret)
        return YH_EINVAL;
    yh_api_t *api = calloc(1, sizeof *api);
    if (!api)
        return YH_ENOMEM;
    api->cfg = *cfg;
    if (!api->cfg.join_token_ttl_s)
        api->cfg.join_token_ttl_s = 30 * 86400;
    if (!api->cfg.session_ttl_s)
        api->cfg.session_ttl_s = 12 * 3600;
    if (cfg->admin_key && *cfg->admin_key) {
        api->admin_len = strlen(cfg->admin_key);
        int too_long = api->admin_len > ADMIN_KEY_MAX;
        if (too_long || !(api->admin_key = strdup(cfg->admin_key))) {
            free(api);
            return too_long ? YH_EINVAL : YH_ENOMEM;
        }
    }
    api->cfg.admin_key = api->admin_key;
    *out = api;
    return 0;
}

void yh_api_destroy(yh_api_t *api)
{
    if (!api)
        return;
    if (api->inflight) {
        api->destroyed = 1; /* the last login_done frees it */
        return;
    }
    free(api->admin_key);
    free(api);
}

void yh_api_attach(yh_api_t *api, yh_http_t *h)
{
    yh_http_set_request_handler(h, on_request, api);
}
