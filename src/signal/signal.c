/*
 * The signaling server object: configuration, connections, the WebSocket
 * and media-plane listeners, and the expiry of participants whose
 * connection was lost (PROTOCOL.md: media stays alive 20 s for "resume").
 *
 * Re-entrancy: sending on a connection may make its owner close it at once
 * (a full send queue), which calls back into yh_signal_conn_closed. Every
 * entry point therefore counts itself in `depth`, and a connection that
 * goes away meanwhile is only marked dead; it is freed when the outermost
 * entry point returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "base/clock.h"
#include "base/log.h"
#include "signal/signal_int.h"

static void enter(yh_signal_t *s)
{
    s->depth++;
}

static void leave(yh_signal_t *s)
{
    if (--s->depth > 0)
        return;
    yh_signal_conn_t *c = s->conns;
    while (c) {
        yh_signal_conn_t *next = c->next;
        if (c->dead) {
            if (c->prev)
                c->prev->next = c->next;
            else
                s->conns = c->next;
            if (c->next)
                c->next->prev = c->prev;
            json_decref(c->join_id);
            free(c);
        }
        c = next;
    }
}

static void on_timer(uv_timer_t *t)
{
    yh_signal_t *s = t->data;
    if (s)
        yh_signal_expire(s, yh_now_us());
}

static void timer_free(uv_handle_t *h)
{
    free(h);
}

void yh_sig_ctl_timer_cb(uv_timer_t *t)
{
    yh_signal_t *s = t->data;
    if (!s)
        return;
    enter(s);
    yh_sig_tick(s, yh_now_us());
    leave(s);
}

/* A libuv timer that does not keep the loop alive by itself. */
static uv_timer_t *timer_new(uv_loop_t *loop, yh_signal_t *s)
{
    uv_timer_t *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    uv_timer_init(loop, t);
    t->data = s;
    uv_unref((uv_handle_t *)t);
    return t;
}

static void timer_close(uv_timer_t *t)
{
    if (t) {
        t->data = NULL;
        uv_close((uv_handle_t *)t, timer_free);
    }
}

static int copy_config(yh_signal_t *s, const yh_signal_config_t *cfg)
{
    if (!cfg->fingerprint || !cfg->fingerprint[0] ||
        strlen(cfg->fingerprint) >= sizeof s->fingerprint)
        return YH_EINVAL;
    strcpy(s->fingerprint, cfg->fingerprint);
    int n = cfg->n_candidate_ips;
    if (n < 0 || n > YH_SIGNAL_MAX_CANDIDATES)
        return YH_EINVAL;
    for (int i = 0; i < n; i++) {
        if (!cfg->candidate_ips[i] || strlen(cfg->candidate_ips[i]) >= sizeof s->ips[0])
            return YH_EINVAL;
        strcpy(s->ips[i], cfg->candidate_ips[i]);
        s->ip_ptrs[i] = s->ips[i];
    }
    s->n_ips = (size_t)n;
    s->media_port = cfg->media_port;
    s->max_participants = cfg->max_participants;
    s->no_adhoc = cfg->no_adhoc;
    return 0;
}

int yh_signal_create(uv_loop_t *loop, const yh_signal_config_t *cfg, yh_signal_t **out)
{
    if (!loop || !cfg || !out)
        return YH_EINVAL;
    yh_signal_t *s = calloc(1, sizeof *s);
    if (!s)
        return YH_ENOMEM;
    int rc = copy_config(s, cfg);
    if (rc < 0)
        goto fail;
    s->loop = loop;
    yh_meetings_init(&s->reg);
    s->sdp = malloc(sizeof *s->sdp);
    s->pub = malloc(sizeof *s->pub);
    s->sub_answer = malloc(sizeof *s->sub_answer);
    s->slots = calloc(YH_MEETING_MAX_SLOTS, sizeof *s->slots);
    s->buf = malloc(YH_SIGNAL_SDP_BUF);
    rc = YH_ENOMEM;
    if (!s->sdp || !s->pub || !s->sub_answer || !s->slots || !s->buf)
        goto fail;
    /* Neither the sweep nor the roll call may keep the loop running at
     * shutdown. */
    if (!(s->timer = timer_new(loop, s)) || !(s->ctl_timer = timer_new(loop, s)))
        goto fail;
    *out = s;
    return 0;
fail:
    yh_signal_destroy(s);
    return rc;
}

void yh_signal_attach_sfu(yh_signal_t *s, yh_sfu_t *sfu)
{
    s->sfu = sfu;
}

void yh_signal_attach_store(yh_signal_t *s, yh_store_t *store)
{
    s->store = store;
}

void yh_signal_attach_secret(yh_signal_t *s, const yh_auth_secret_t *secret)
{
    s->secret = secret;
}

int yh_signal_set_ice_servers(yh_signal_t *s, const char *const *urls, int n_urls,
                              const char *secret, int64_t ttl_s)
{
    if (n_urls < 0 || n_urls > YH_SIGNAL_MAX_TURN ||
        (n_urls &&
         (!secret || !*secret || strlen(secret) > YH_SIGNAL_TURN_SECRET_MAX || ttl_s <= 0)))
        return YH_EINVAL;
    for (int i = 0; i < n_urls; i++)
        if (!urls[i] || strlen(urls[i]) >= YH_SIGNAL_TURN_URL_MAX)
            return YH_EINVAL;
    for (int i = 0; i < n_urls; i++)
        strcpy(s->turn_urls[i], urls[i]);
    s->n_turn = n_urls;
    snprintf(s->turn_secret, sizeof s->turn_secret, "%s", n_urls ? secret : "");
    s->turn_ttl_s = ttl_s;
    return 0;
}

/* draft-uberti-behave-turn-rest-00 section 2.2: the credentials are
 * computed afresh for each joined (and resumed), so a resumed client also
 * gets a new expiry. */
json_t *yh_sig_ice_servers_json(const yh_signal_t *s, const yh_participant_t *p)
{
    json_t *arr = json_array();
    if (!arr || !s->n_turn)
        return arr;
    char user[32 + sizeof p->id], cred[YH_AUTH_TURN_CRED_MAX];
    int rc = yh_auth_turn_credential(s->turn_secret, strlen(s->turn_secret), p->id, s->turn_ttl_s,
                                     user, sizeof user, cred, sizeof cred);
    json_t *urls = json_array();
    if (rc || !urls) {
        YH_LOGW("signal", "%s: no TURN credentials: %s", p->id, yh_strerror(rc));
        json_decref(urls);
        return arr;
    }
    for (int i = 0; i < s->n_turn; i++)
        json_array_append_new(urls, json_string(s->turn_urls[i]));
    json_array_append_new(
        arr, json_pack("{s:o, s:s, s:s}", "urls", urls, "username", user, "credential", cred));
    return arr;
}

int yh_signal_meeting_end(yh_signal_t *s, const char *number)
{
    yh_meeting_t *m = yh_meeting_find(&s->reg, number);
    if (!m)
        return YH_ENOTFOUND;
    enter(s);
    yh_sig_meeting_end(s, m);
    yh_sig_meeting_done(s, m);
    leave(s);
    return 0;
}

size_t yh_signal_meeting_count(yh_signal_t *s, const char *number)
{
    const yh_meeting_t *m = yh_meeting_find(&s->reg, number);
    return m ? m->n_participants : 0;
}

void yh_signal_destroy(yh_signal_t *s)
{
    if (!s)
        return;
    yh_signal_conn_t *c = s->conns;
    while (c) {
        yh_signal_conn_t *next = c->next;
        json_decref(c->join_id);
        free(c);
        c = next;
    }
    yh_meetings_free(&s->reg);
    timer_close(s->timer);
    timer_close(s->ctl_timer);
    free(s->sdp);
    free(s->pub);
    free(s->sub_answer);
    free(s->slots);
    free(s->buf);
    explicit_bzero(s->turn_secret, sizeof s->turn_secret);
    free(s);
}

/* ---- connections ----------------------------------------------------------- */

int yh_signal_conn_open(yh_signal_t *s, const yh_signal_conn_ops_t *ops, void *ctx,
                        yh_signal_conn_t **out)
{
    yh_signal_conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return YH_ENOMEM;
    c->s = s;
    c->ops = *ops;
    c->ctx = ctx;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    *out = c;
    return 0;
}

void yh_signal_handle_text(yh_signal_t *s, yh_signal_conn_t *c, const char *text, size_t len)
{
    if (!c || c->closing || c->dead)
        return;
    enter(s);
    yh_sig_dispatch(s, c, text, len);
    leave(s);
}

void yh_signal_conn_closed(yh_signal_t *s, yh_signal_conn_t *c)
{
    if (!c || c->dead)
        return;
    enter(s);
    c->dead = 1;
    yh_participant_t *p = c->p;
    if (p && p->waiting) {
        /* Nobody waits without a connection: no resume from the waiting
         * room. */
        yh_meeting_t *m = p->meeting;
        yh_sig_participant_remove(s, p, "disconnected");
        yh_sig_meeting_done(s, m);
    } else if (p) {
        c->p = NULL;
        p->conn = NULL;
        p->away_since_us = yh_now_us();
        YH_LOGI("signal", "%s lost its connection; kept %u s for resume", p->id,
                YH_SIGNAL_RESUME_US / 1000000);
        if (s->timer && !s->timer_on) {
            uv_timer_start(s->timer, on_timer, 1000, 1000);
            s->timer_on = 1;
        }
    }
    leave(s);
}

void yh_sig_participant_remove(yh_signal_t *s, yh_participant_t *p, const char *reason)
{
    yh_meeting_t *m = p->meeting;
    yh_signal_conn_t *c = yh_sig_conn_of(p);
    if (p->waiting) {
        YH_LOGI("signal", "%s left the waiting room of %s (%s)", p->id, m->number, reason);
        yh_sig_broadcast_moderators(m, json_pack("{s:s, s:s, s:s}", "type", "participant-left",
                                                 "id", p->id, "reason", reason));
        if (c)
            c->p = NULL;
        yh_meeting_participant_remove(m, p);
        return;
    }
    YH_LOGI("signal", "%s left meeting %s (%s)", p->id, m->number, reason);
    yh_sig_before_leave(s, p);
    yh_sig_log_close(s, p);
    yh_sig_media_release(s, p);
    json_t *ev =
        json_pack("{s:s, s:s, s:s}", "type", "participant-left", "id", p->id, "reason", reason);
    yh_sig_broadcast_about(m, p, p, ev);
    if (c)
        c->p = NULL;
    uint32_t num = p->num;
    yh_role_t role = p->role;
    int hand = p->hand;
    yh_meeting_participant_remove(m, p);
    yh_sig_after_leave(s, m, num, role, hand);
}

void yh_signal_expire(yh_signal_t *s, uint64_t now_us)
{
    enter(s);
    size_t away = 0;
    yh_meeting_t *m = s->reg.head;
    while (m) {
        yh_meeting_t *mnext = m->next;
        int changed = 0;
        yh_participant_t *p = m->head;
        while (p) {
            yh_participant_t *pnext = p->next;
            if (!p->conn) {
                if (now_us >= p->away_since_us &&
                    now_us - p->away_since_us >= YH_SIGNAL_RESUME_US) {
                    yh_sig_participant_remove(s, p, "disconnected");
                    changed = 1;
                } else {
                    away++;
                }
            }
            p = pnext;
        }
        if (changed)
            yh_sig_meeting_done(s, m);
        m = mnext;
    }
    if (away == 0 && s->timer_on) {
        uv_timer_stop(s->timer);
        s->timer_on = 0;
    }
    leave(s);
}

/* ---- listeners ----------------------------------------------------------------- */

static void on_transport_state(void *ctx, uint32_t transport, yh_sfu_tstate_t state,
                               const char *reason)
{
    yh_signal_t *s = ctx;
    if (state == YH_SFU_TRANSPORT_CONNECTED) {
        YH_LOGD("signal", "transport %u connected", (unsigned)transport);
        return;
    }
    if (state != YH_SFU_TRANSPORT_FAILED && state != YH_SFU_TRANSPORT_TIMEOUT)
        return;
    enter(s);
    yh_sig_media_transport_lost(s, transport,
                                reason                              ? reason
                                : state == YH_SFU_TRANSPORT_TIMEOUT ? "timeout"
                                                                    : "failed");
    leave(s);
}

static void on_audio_levels(void *ctx, uint32_t room, const yh_sfu_level_t *levels, size_t n)
{
    yh_signal_t *s = ctx;
    enter(s);
    yh_sig_audio_levels(s, room, levels, n, yh_now_us());
    leave(s);
}

void yh_signal_sfu_listener(yh_signal_t *s, yh_sfu_listener_t *out)
{
    memset(out, 0, sizeof *out);
    out->ctx = s;
    out->transport_state = on_transport_state;
    out->audio_levels = on_audio_levels;
}
