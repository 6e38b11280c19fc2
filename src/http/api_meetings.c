/*
 * /api/meetings: create (admin or signed-in host), list, read, end, and
 * signed join links that carry a role.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "http/api_int.h"

#define MOD "api"
#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define OFFSET_MAX 1000000

/* Absolute links when the Host header looks like a host name or address
 * (it comes from the client, so anything else gets a relative link). */
static void join_url(const yh_api_call_t *c, const char *number, const char *token, char *out,
                     size_t cap)
{
    const char *host = c->rq->host;
    size_t n = host ? strlen(host) : 0;
    int ok =
        n > 0 && n < 200 &&
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;
    snprintf(out, cap, "%s%s/?m=%s%s%s", ok ? "http://" : "", ok ? host : "", number,
             token ? "&token=" : "", token ? token : "");
}

static json_t *time_or_null(int64_t ms)
{
    char t[32];
    yh_api_format_time(ms, t);
    return t[0] ? json_string(t) : json_null();
}

static int is_owner(const yh_api_call_t *c, const yh_store_meeting_t *m)
{
    return c->who == YH_WHO_ADMIN || (c->who == YH_WHO_HOST && m->owner == c->account);
}

/* MEETING as the API shows it; the passcode only to its owner or admin. */
static json_t *meeting_json(yh_api_call_t *c, const yh_store_meeting_t *m)
{
    int here = 0;
    const yh_api_config_t *cfg = &c->api->cfg;
    if (cfg->meeting_count)
        here = cfg->meeting_count(cfg->hook_ctx, m->number);
    else if (yh_store_participation_count_open(cfg->store, m->number, &here))
        here = 0;
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:b,s:b,s:s,s:i,s:o,s:o,s:o,s:b,s:b,s:i}", "number", m->number,
                  "title", m->title, "status", yh_store_status_name(m->status), "waitingRoom",
                  m->settings.waiting_room, "muteOnEntry", m->settings.mute_on_entry, "publish",
                  yh_store_publish_name(m->settings.publish), "maxParticipants",
                  m->settings.max_participants, "startsAt", time_or_null(m->starts_at), "createdAt",
                  time_or_null(m->created_at), "endedAt", time_or_null(m->ended_at), "hasPasscode",
                  m->passcode[0] != '\0', "adhoc", m->adhoc, "participants", here);
    if (o && is_owner(c, m))
        json_object_set_new(o, "passcode", m->passcode[0] ? json_string(m->passcode) : json_null());
    return o;
}

/* The meeting of the path, or the 404/500 is written and 1. */
static int load(yh_api_call_t *c, yh_store_meeting_t *m)
{
    int rc = yh_store_meeting_get(c->api->cfg.store, c->number, m);
    if (rc == YH_ENOTFOUND)
        yh__api_error(c, 404, "not-found", "no meeting %s", c->number);
    else if (rc)
        yh__api_error(c, 500, "internal", "the meeting store failed: %s", yh_strerror(rc));
    return rc != 0;
}

static int need_owner(yh_api_call_t *c, const yh_store_meeting_t *m)
{
    if (is_owner(c, m))
        return 0;
    yh__api_error(c, 403, "forbidden", "meeting %s belongs to another host", m->number);
    return 1;
}

static int sign_join(yh_api_call_t *c, const char *number, const char *role, int64_t ttl, char *out)
{
    int rc = yh_auth_token_sign(c->api->cfg.secret, number, role, ttl, out, YH_AUTH_TOKEN_MAX);
    if (rc)
        yh__api_error(c, 500, "internal", "cannot sign a token: %s", yh_strerror(rc));
    return rc;
}

int yh__api_meeting_create(yh_api_call_t *c)
{
    char title[YH_STORE_TITLE_MAX + 1], pass[YH_STORE_PASSCODE_MAX + 1], err[YH_API_ERR_MAX];
    char number[YH_STORE_NUMBER_LEN + 1], host_tok[YH_AUTH_TOKEN_MAX], spk_tok[YH_AUTH_TOKEN_MAX];
    char url[512], host_url[768];
    yh_store_meeting_new_t in;
    yh_store_meeting_t m;
    if (yh__api_need_host(c))
        return 0;
    if (yh_api_parse_meeting(c->rq->body, c->rq->body_len, &in, title, pass, err, sizeof err))
        return yh__api_error(c, 400, "bad-request", "%s", err);
    in.owner = c->who == YH_WHO_HOST ? c->account : 0;
    int rc = yh_store_meeting_create(c->api->cfg.store, &in, number);
    if (!rc)
        rc = yh_store_meeting_get(c->api->cfg.store, number, &m);
    if (rc)
        return yh__api_error(c, 500, "internal", "the meeting store failed: %s", yh_strerror(rc));
    int64_t ttl = c->api->cfg.join_token_ttl_s;
    if (sign_join(c, number, "host", ttl, host_tok) ||
        sign_join(c, number, "speaker", ttl, spk_tok))
        return 0;
    join_url(c, number, NULL, url, sizeof url);
    join_url(c, number, host_tok, host_url, sizeof host_url);
    YH_LOGI(MOD, "meeting %s created by %s", number,
            c->who == YH_WHO_ADMIN ? "the admin" : "a host");
    return yh__api_json(c, 201,
                        json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "number", number, "hostToken",
                                  host_tok, "speakerToken", spk_tok, "joinUrl", url, "hostUrl",
                                  host_url, "meeting", meeting_json(c, &m)));
}

/* A non-negative decimal query argument up to `max`; `def` when absent. */
static int arg_uint(yh_api_call_t *c, const char *name, int def, int min, int max, int *out)
{
    const char *v = yh__api_arg(c, name);
    *out = def;
    if (!v)
        return 0;
    long n = 0;
    size_t len = strlen(v);
    if (len < 1 || len > 7 || strspn(v, "0123456789") != len || (n = strtol(v, NULL, 10)) < min ||
        n > max) {
        yh__api_error(c, 400, "bad-request", "argument '%s' must be an integer from %d to %d", name,
                      min, max);
        return 1;
    }
    *out = (int)n;
    return 0;
}

int yh__api_meeting_list(yh_api_call_t *c)
{
    int limit, offset;
    yh_store_meeting_t *v;
    size_t n;
    if (yh__api_need_host(c) || arg_uint(c, "limit", LIST_DEFAULT, 1, LIST_MAX, &limit) ||
        arg_uint(c, "offset", 0, 0, OFFSET_MAX, &offset))
        return 0;
    int64_t owner = c->who == YH_WHO_HOST ? c->account : 0;
    int rc = yh_store_meeting_list(c->api->cfg.store, owner, limit, offset, &v, &n);
    if (rc)
        return yh__api_error(c, 500, "internal", "the meeting store failed: %s", yh_strerror(rc));
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, meeting_json(c, &v[i]));
    free(v);
    return yh__api_json(c, 200, json_pack("{s:o}", "meetings", arr));
}

int yh__api_meeting_get(yh_api_call_t *c)
{
    yh_store_meeting_t m;
    if (load(c, &m))
        return 0;
    return yh__api_json(c, 200, meeting_json(c, &m));
}

int yh__api_meeting_end(yh_api_call_t *c)
{
    yh_store_meeting_t m;
    if (yh__api_need_host(c) || load(c, &m) || need_owner(c, &m))
        return 0;
    int was_ended = m.status == YH_STORE_ENDED;
    int rc = yh_store_meeting_set_status(c->api->cfg.store, m.number, YH_STORE_ENDED);
    if (!rc)
        rc = yh_store_meeting_get(c->api->cfg.store, m.number, &m);
    if (rc)
        return yh__api_error(c, 500, "internal", "the meeting store failed: %s", yh_strerror(rc));
    if (!was_ended) {
        YH_LOGI(MOD, "meeting %s ended through the API", m.number);
        if (c->api->cfg.meeting_ended)
            c->api->cfg.meeting_ended(c->api->cfg.hook_ctx, m.number);
    }
    return yh__api_json(c, 200, meeting_json(c, &m));
}

int yh__api_meeting_token(yh_api_call_t *c)
{
    char role[YH_AUTH_ROLE_MAX + 1], err[YH_API_ERR_MAX], tok[YH_AUTH_TOKEN_MAX], url[768];
    char exp[32];
    yh_store_meeting_t m;
    int64_t ttl = c->api->cfg.join_token_ttl_s;
    if (yh__api_need_host(c) || load(c, &m) || need_owner(c, &m))
        return 0;
    if (m.status == YH_STORE_ENDED)
        return yh__api_error(c, 409, "ended", "meeting %s has ended", m.number);
    if (yh_api_parse_token_request(c->rq->body, c->rq->body_len, role, &ttl, err, sizeof err))
        return yh__api_error(c, 400, "bad-request", "%s", err);
    if (sign_join(c, m.number, role, ttl, tok))
        return 0;
    join_url(c, m.number, tok, url, sizeof url);
    yh_api_format_time((yh_store_now_ms() / 1000 + ttl) * 1000, exp);
    return yh__api_json(c, 200,
                        json_pack("{s:s,s:s,s:s,s:s}", "token", tok, "role", role, "expiresAt", exp,
                                  "joinUrl", url));
}
