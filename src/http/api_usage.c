/*
 * /api/usage (JSON or CSV), /metrics (Prometheus text format 0.0.4),
 * host sign-in (/api/login) and /api/session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "http/api_int.h"

#define MOD "api"
#define DEFAULT_WINDOW_MS (30LL * 86400 * 1000)
#define METRICS_MAX 4096

static int time_arg(yh_api_call_t *c, const char *name, int64_t def, int64_t *out)
{
    const char *v = yh__api_arg(c, name);
    *out = def;
    if (!v || !*v)
        return 0;
    if (yh_api_parse_time(v, out) == 0)
        return 0;
    yh__api_error(c, 400, "bad-request",
                  "argument '%s' must be an RFC 3339 time, a date (YYYY-MM-DD) or Unix seconds",
                  name);
    return 1;
}

static json_t *usage_json(const yh_store_usage_t *u)
{
    char from[32], to[32], a[32], b[32];
    json_t *per = json_array();
    for (size_t i = 0; per && i < u->n_meetings; i++) {
        const yh_store_usage_meeting_t *m = &u->by_meeting[i];
        yh_api_format_time(m->first_join_ms, a);
        yh_api_format_time(m->last_leave_ms, b);
        json_array_append_new(per,
                              json_pack("{s:s,s:s,s:i,s:f,s:f,s:i,s:s,s:s}", "number", m->number,
                                        "title", m->title, "sessions", m->sessions,
                                        "participantMinutes", m->participant_minutes,
                                        "meetingMinutes", m->meeting_minutes, "peakParticipants",
                                        m->peak_participants, "firstJoin", a, "lastLeave", b));
    }
    yh_api_format_time(u->from_ms, from);
    yh_api_format_time(u->to_ms, to);
    return json_pack("{s:s,s:s,s:i,s:f,s:f,s:i,s:o}", "from", from, "to", to, "meetings",
                     u->meetings, "participantMinutes", u->participant_minutes, "meetingMinutes",
                     u->meeting_minutes, "peakParticipants", u->peak_participants, "byMeeting",
                     per);
}

int yh__api_usage(yh_api_call_t *c)
{
    int64_t now = yh_store_now_ms(), from, to;
    yh_store_usage_t u;
    if (yh__api_need_admin(c) || time_arg(c, "to", now, &to) ||
        time_arg(c, "from", to - DEFAULT_WINDOW_MS, &from))
        return 0;
    const char *fmt = yh__api_arg(c, "format");
    if (fmt && strcmp(fmt, "json") && strcmp(fmt, "csv"))
        return yh__api_error(c, 400, "bad-request", "argument 'format' must be json or csv");
    if (from > to)
        return yh__api_error(c, 400, "bad-request", "'from' is after 'to'");
    int rc = yh_store_usage_query(c->api->cfg.store, from, to, now, &u);
    if (rc)
        return yh__api_error(c, 500, "internal", "the usage query failed: %s", yh_strerror(rc));
    if (fmt && !strcmp(fmt, "csv")) {
        char *csv;
        size_t len;
        rc = yh_store_usage_csv(&u, &csv, &len);
        yh_store_usage_free(&u);
        if (rc)
            return yh__api_error(c, 500, "internal", "out of memory");
        free(c->resp->body);
        c->resp->body = csv;
        c->resp->len = len;
        c->resp->status = 200;
        c->resp->content_type = "text/csv; charset=utf-8; header=present";
        c->resp->headers[0] = "content-disposition:";
        c->resp->headers[1] = "attachment; filename=\"yunhui-usage.csv\"";
        return 0;
    }
    json_t *j = usage_json(&u);
    yh_store_usage_free(&u);
    return yh__api_json(c, 200, j);
}

int yh__api_metrics(yh_api_call_t *c)
{
    yh_store_stats_t st;
    yh_api_t *api = c->api;
    char *b = malloc(METRICS_MAX);
    if (!b)
        return yh__api_error(c, 500, "internal", "out of memory");
    if (yh_store_stats(api->cfg.store, &st))
        memset(&st, 0, sizeof st);
    int n = snprintf(
        b, METRICS_MAX,
        "# HELP yunhui_up 1 while the server answers.\n# TYPE yunhui_up gauge\nyunhui_up 1\n"
        "# HELP yunhui_websocket_connections Signaling connections open now.\n"
        "# TYPE yunhui_websocket_connections gauge\nyunhui_websocket_connections %d\n"
        "# HELP yunhui_participants Participants in meetings now (participation log).\n"
        "# TYPE yunhui_participants gauge\nyunhui_participants %lld\n"
        "# HELP yunhui_meetings Stored meetings by status.\n# TYPE yunhui_meetings gauge\n"
        "yunhui_meetings{status=\"scheduled\"} %lld\nyunhui_meetings{status=\"live\"} %lld\n"
        "yunhui_meetings{status=\"ended\"} %lld\n"
        "# HELP yunhui_host_accounts Host accounts.\n# TYPE yunhui_host_accounts gauge\n"
        "yunhui_host_accounts %lld\n"
        "# HELP yunhui_api_responses_total HTTP API responses by status class.\n"
        "# TYPE yunhui_api_responses_total counter\n"
        "yunhui_api_responses_total{class=\"2xx\"} %llu\n"
        "yunhui_api_responses_total{class=\"4xx\"} %llu\n"
        "yunhui_api_responses_total{class=\"5xx\"} %llu\n",
        api->cfg.http ? yh_http_ws_count(api->cfg.http) : 0, (long long)st.participants_now,
        (long long)st.meetings[0], (long long)st.meetings[1], (long long)st.meetings[2],
        (long long)st.accounts, (unsigned long long)api->by_class[2],
        (unsigned long long)api->by_class[4], (unsigned long long)api->by_class[5]);
    free(c->resp->body);
    c->resp->body = b;
    c->resp->len = n > 0 && n < METRICS_MAX ? (size_t)n : 0;
    c->resp->status = 200;
    c->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 0;
}

int yh__api_session(yh_api_call_t *c)
{
    char user[YH_STORE_USER_MAX + 1];
    if (c->who != YH_WHO_HOST)
        return yh__api_error(c, 401, "unauthorized", "this needs a host session token");
    if (yh_store_account_name(c->api->cfg.store, c->account, user))
        return yh__api_error(c, 401, "unauthorized", "the account no longer exists");
    return yh__api_json(c, 200, json_pack("{s:I,s:s}", "id", (json_int_t)c->account, "user", user));
}

/* Sessions are stateless signed tokens: signing out is the client
 * forgetting its token. The route exists so that a client can say so
 * without a 404 (a revocation list would go here). */
int yh__api_logout(yh_api_call_t *c)
{
    if (c->who != YH_WHO_HOST)
        return yh__api_error(c, 401, "unauthorized", "this needs a host session token");
    return yh__api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

int yh__api_login_begin(yh_api_call_t *c, yh_api_login_t *lg)
{
    char err[YH_API_ERR_MAX];
    memset(lg, 0, sizeof *lg);
    if (yh_api_parse_login(c->rq->body, c->rq->body_len, lg->user, lg->password, err, sizeof err)) {
        yh__api_error(c, 400, "bad-request", "%s", err);
        return 0;
    }
    int rc = yh_store_account_lookup(c->api->cfg.store, lg->user, &lg->account, lg->hash,
                                     sizeof lg->hash);
    if (rc == YH_ENOTFOUND) {
        /* Still hash, so an unknown user costs what a wrong password does. */
        lg->account = 0;
        snprintf(lg->hash, sizeof lg->hash, "%s", yh_auth_password_dummy_hash());
    } else if (rc) {
        yh__api_error(c, 500, "internal", "the account store failed: %s", yh_strerror(rc));
        return 0;
    }
    return 1;
}

/* Runs on a thread-pool thread: touches nothing but `lg`. */
void yh__api_login_check(yh_api_login_t *lg)
{
    lg->verdict = yh_auth_password_verify(lg->hash, lg->password, strlen(lg->password));
}

int yh__api_login_finish(yh_api_call_t *c, yh_api_login_t *lg)
{
    char tok[YH_AUTH_TOKEN_MAX], exp[32];
    if (lg->verdict == YH_ENOMEM)
        return yh__api_error(c, 503, "busy", "no memory for the password check; try again");
    if (lg->verdict || lg->account <= 0) {
        YH_LOGI(MOD, "failed sign-in for \"%s\"", lg->user);
        return yh__api_error(c, 401, "unauthorized", "wrong user name or password");
    }
    int64_t ttl = c->api->cfg.session_ttl_s;
    int rc = yh_auth_session_sign(c->api->cfg.secret, lg->account, ttl, tok, sizeof tok);
    if (rc)
        return yh__api_error(c, 500, "internal", "cannot sign a session: %s", yh_strerror(rc));
    yh_api_format_time((yh_store_now_ms() / 1000 + ttl) * 1000, exp);
    return yh__api_json(c, 200,
                        json_pack("{s:s,s:s,s:I,s:s}", "token", tok, "user", lg->user, "id",
                                  (json_int_t)lg->account, "expiresAt", exp));
}
