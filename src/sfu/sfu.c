/*
 * The control plane's handle on the media worker: commands copied into a
 * lock-free queue, executed on the worker thread; events coming back on
 * the control loop. Also owns the lifecycle of transports, tracks and
 * subscriptions inside the worker.
 */
#include "sfu/sfu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "sfu/worker.h"

typedef enum {
    CMD_TRANSPORT_ADD,
    CMD_TRANSPORT_REMOVE,
    CMD_TRANSPORT_ICE,
    CMD_TRACK_ADD,
    CMD_TRACK_REMOVE,
    CMD_TRACK_MUTE,
    CMD_TRACK_PRIORITY,
    CMD_SUB_ADD,
    CMD_SUB_REMOVE,
    CMD_SUB_LAYER,
    CMD_STOP,
} cmd_type_t;

typedef struct cmd {
    cmd_type_t type;
    uint32_t id;
    int flag;
    int flag2;
    union {
        yh_sfu_transport_params_t tp;
        yh_sfu_track_params_t track;
        yh_sfu_sub_params_t sub;
    } u;
} cmd_t;

typedef struct event {
    enum { EV_TRANSPORT, EV_LEVELS } type;
    uint32_t transport;
    yh_sfu_tstate_t state;
    char reason[96];
    uint32_t room;
    size_t n_levels;
    yh_sfu_level_t levels[];
} event_t;

struct yh_sfu {
    yh_worker_t w;
    uv_async_t event_async;
    yh_sfu_listener_t listener;
    int started;
};

void yh_worker_clock(yh_worker_t *w)
{
    w->now_us = yh_now_us();
    w->now_ntp = yh_ntp_now();
}

/* ---- vectors ---------------------------------------------------------- */

int yh_vec_push(yh_vec_t *v, void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        void **items = realloc(v->items, cap * sizeof *items);
        if (!items)
            return YH_ENOMEM;
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = item;
    return 0;
}

void yh_vec_remove(yh_vec_t *v, void *item)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i] == item) {
            v->items[i] = v->items[--v->n];
            return;
        }
    }
}

void yh_vec_free(yh_vec_t *v)
{
    free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
}

/* ---- events (worker -> control) --------------------------------------- */

void yh_worker_report(yh_worker_t *w, yh_tp_t *tp, yh_sfu_tstate_t st, const char *reason)
{
    if (tp->reported)
        return;
    if (st != YH_SFU_TRANSPORT_CONNECTED)
        tp->reported = 1;
    event_t *e = calloc(1, sizeof *e);
    if (!e)
        return;
    e->type = EV_TRANSPORT;
    e->transport = tp->p.id;
    e->state = st;
    snprintf(e->reason, sizeof e->reason, "%s", reason ? reason : "");
    if (yh_spsc_push(&w->events, e) < 0) {
        YH_LOGW("sfu", "event queue full, dropping transport %u state", tp->p.id);
        free(e);
        return;
    }
    uv_async_send(w->event_async);
}

void yh_worker_levels(yh_worker_t *w, uint32_t room, const yh_sfu_level_t *levels, size_t n)
{
    event_t *e = calloc(1, sizeof *e + n * sizeof *levels);
    if (!e)
        return;
    e->type = EV_LEVELS;
    e->room = room;
    e->n_levels = n;
    memcpy(e->levels, levels, n * sizeof *levels);
    if (yh_spsc_push(&w->events, e) < 0) {
        free(e); /* levels are advisory: the next interval brings fresh ones */
        return;
    }
    uv_async_send(w->event_async);
}

static void on_events(uv_async_t *a)
{
    yh_sfu_t *s = a->data;
    event_t *e;
    while ((e = yh_spsc_pop(&s->w.events))) {
        if (e->type == EV_TRANSPORT && s->listener.transport_state)
            s->listener.transport_state(s->listener.ctx, e->transport, e->state, e->reason);
        else if (e->type == EV_LEVELS && s->listener.audio_levels)
            s->listener.audio_levels(s->listener.ctx, e->room, e->levels, e->n_levels);
        free(e);
    }
}

/* ---- transports ------------------------------------------------------- */

void yh_worker_index_addr(yh_worker_t *w, yh_tp_t *tp)
{
    if (tp->addr_key && yh_map_get(&w->by_addr, tp->addr_key) == tp)
        yh_map_del(&w->by_addr, tp->addr_key);
    tp->addr_key = 0;
    const struct sockaddr *a = yh_transport_addr(tp->t);
    if (!a)
        return;
    uint64_t key = yh_addr_hash(a);
    tp->addr_key = key ? key : 1;
    yh_map_put(&w->by_addr, tp->addr_key, tp);
}

static void tp_send(void *ctx, yh_transport_t *t, const uint8_t *data, size_t len)
{
    yh_worker_t *w = ctx;
    const struct sockaddr *a = yh_transport_addr(t);
    if (a)
        yh_udp_send(w->udp, data, len, a);
}

static void tp_connected(void *ctx, yh_transport_t *t)
{
    yh_worker_report(ctx, t->user, YH_SFU_TRANSPORT_CONNECTED, "connected");
}

static void tp_failed(void *ctx, yh_transport_t *t, const char *reason)
{
    YH_LOGW("sfu", "transport %u failed: %s", ((yh_tp_t *)t->user)->p.id, reason);
    yh_worker_report(ctx, t->user, YH_SFU_TRANSPORT_FAILED, reason);
}

static void transport_add(yh_worker_t *w, const yh_sfu_transport_params_t *p)
{
    if (yh_map_get(&w->tps, p->id)) {
        YH_LOGW("sfu", "transport %u exists", p->id);
        return;
    }
    yh_tp_t *tp = calloc(1, sizeof *tp);
    if (!tp)
        return;
    tp->p = *p;
    yh_transport_config_t cfg = {
        .local_ufrag = p->local_ufrag,
        .local_pwd = p->local_pwd,
        .remote_ufrag = p->remote_ufrag,
        .cert = w->cert,
        .role = p->dtls_role,
        .fp_alg = p->remote_fp_alg,
        .fp = p->remote_fp,
    };
    yh_transport_listener_t l = {
        .ctx = w, .send = tp_send, .connected = tp_connected, .failed = tp_failed};
    if (p->publisher && p->twcc_feedback) {
        tp->rec = malloc(sizeof *tp->rec);
        if (tp->rec)
            yh_twcc_rec_init(tp->rec);
    }
    if (!p->publisher && p->ext.twcc) {
        tp->bwe = malloc(sizeof *tp->bwe);
        if (tp->bwe)
            yh_bwe_init(tp->bwe, YH_SFU_BWE_START_BPS, YH_SFU_BWE_MIN_BPS, YH_SFU_BWE_MAX_BPS);
    }
    if (yh_transport_create(&cfg, &l, w->now_us, &tp->t) < 0) {
        YH_LOGW("sfu", "transport %u: create failed", p->id);
        /* The control plane learns of it as of any other failure. */
        yh_worker_report(w, tp, YH_SFU_TRANSPORT_FAILED, "transport setup failed");
        free(tp->rec);
        free(tp->bwe);
        free(tp);
        return;
    }
    tp->t->user = tp;
    tp->ufrag_key = yh_map_hash_str(p->local_ufrag);
    yh_map_put(&w->tps, p->id, tp);
    yh_map_put(&w->by_ufrag, tp->ufrag_key, tp);
    yh_vec_push(&w->tp_list, tp);
}

static void transport_restart_ice(yh_worker_t *w, const yh_sfu_transport_params_t *p)
{
    yh_tp_t *tp = yh_map_get(&w->tps, p->id);
    if (!tp)
        return;
    if (yh_transport_ice_restart(tp->t, p->local_ufrag, p->local_pwd, p->remote_ufrag) < 0) {
        YH_LOGW("sfu", "transport %u: ICE restart with bad credentials", p->id);
        return;
    }
    /* Binding requests find the transport by its local ufrag. */
    if (yh_map_get(&w->by_ufrag, tp->ufrag_key) == tp)
        yh_map_del(&w->by_ufrag, tp->ufrag_key);
    snprintf(tp->p.local_ufrag, sizeof tp->p.local_ufrag, "%s", p->local_ufrag);
    snprintf(tp->p.local_pwd, sizeof tp->p.local_pwd, "%s", p->local_pwd);
    snprintf(tp->p.remote_ufrag, sizeof tp->p.remote_ufrag, "%s", p->remote_ufrag);
    tp->ufrag_key = yh_map_hash_str(tp->p.local_ufrag);
    yh_map_put(&w->by_ufrag, tp->ufrag_key, tp);
    YH_LOGI("sfu", "transport %u: ICE restart", p->id);
}

static void transport_free(yh_worker_t *w, yh_tp_t *tp)
{
    yh_map_del(&w->tps, tp->p.id);
    if (yh_map_get(&w->by_ufrag, tp->ufrag_key) == tp)
        yh_map_del(&w->by_ufrag, tp->ufrag_key);
    if (tp->addr_key && yh_map_get(&w->by_addr, tp->addr_key) == tp)
        yh_map_del(&w->by_addr, tp->addr_key);
    yh_vec_remove(&w->tp_list, tp);
    for (size_t i = 0; i < tp->tracks.n; i++)
        ((yh_track_t *)tp->tracks.items[i])->tp = NULL;
    for (size_t i = 0; i < tp->subs.n; i++)
        ((yh_sub_t *)tp->subs.items[i])->tp = NULL;
    yh_transport_destroy(tp->t);
    yh_vec_free(&tp->tracks);
    yh_vec_free(&tp->subs);
    free(tp->rec);
    free(tp->bwe);
    free(tp);
}

/* ---- tracks and subscriptions ----------------------------------------- */

static int layer_init(yh_layer_t *l, const yh_sfu_track_params_t *p)
{
    /* About one second of media: video ~ 300 packets/s at 3 Mbps. */
    l->rtx = yh_rtxbuf_create(p->kind == YH_SFU_VIDEO ? 512 : 64, YH_RTP_MAX_PACKET);
    if (!l->rtx)
        return YH_ENOMEM;
    yh_rtp_recvstats_init(&l->stats, p->clock_rate);
    if (p->kind == YH_SFU_VIDEO) {
        l->nack = malloc(sizeof *l->nack);
        if (!l->nack)
            return YH_ENOMEM;
        yh_nackgen_init(l->nack);
    }
    return 0;
}

static void track_destroy(yh_track_t *tr)
{
    for (int i = 0; i < YH_SFU_MAX_LAYERS; i++) {
        yh_rtxbuf_destroy(tr->layers[i].rtx);
        free(tr->layers[i].nack);
    }
    yh_vec_free(&tr->subs);
    free(tr);
}

static void track_add(yh_worker_t *w, const yh_sfu_track_params_t *p)
{
    yh_tp_t *tp = yh_map_get(&w->tps, p->transport);
    if (!tp || yh_map_get(&w->tracks, p->id)) {
        YH_LOGW("sfu", "track %u: no transport %u or duplicate", p->id, p->transport);
        return;
    }
    yh_track_t *tr = calloc(1, sizeof *tr);
    if (!tr)
        return;
    tr->p = *p;
    tr->tp = tp;
    tr->n_layers = p->n_layers > 0 && p->n_layers <= YH_SFU_MAX_LAYERS ? p->n_layers : 1;
    if (p->n_layers > YH_SFU_MAX_LAYERS)
        tr->p.n_layers = YH_SFU_MAX_LAYERS;
    for (int i = 0; i < tr->n_layers; i++) {
        if (layer_init(&tr->layers[i], p) < 0) {
            track_destroy(tr);
            return;
        }
    }
    if (!p->n_layers) {
        tr->layers[0].ssrc = p->ssrc;
        tr->layers[0].rtx_ssrc = p->rtx_ssrc;
    }
    yh_map_put(&w->tracks, p->id, tr);
    yh_vec_push(&tp->tracks, tr);
}

static void sub_detach(yh_sub_t *sub)
{
    if (sub->track)
        yh_vec_remove(&sub->track->subs, sub);
    if (sub->tp)
        yh_vec_remove(&sub->tp->subs, sub);
    sub->track = NULL;
    sub->tp = NULL;
}

static void track_free(yh_worker_t *w, yh_track_t *tr)
{
    yh_map_del(&w->tracks, tr->p.id);
    if (tr->tp)
        yh_vec_remove(&tr->tp->tracks, tr);
    for (size_t i = 0; i < tr->subs.n; i++)
        ((yh_sub_t *)tr->subs.items[i])->track = NULL;
    track_destroy(tr);
}

static void track_mute(yh_worker_t *w, uint32_t id, int muted)
{
    yh_track_t *tr = yh_map_get(&w->tracks, id);
    if (!tr || tr->muted == !!muted)
        return;
    tr->muted = !!muted;
    for (size_t i = 0; i < tr->subs.n; i++) {
        yh_sub_t *sub = tr->subs.items[i];
        /* Resume with continuous numbering and a decodable picture. */
        yh_rtp_rewriter_switch(&sub->rw);
        sub->need_keyframe = tr->p.kind == YH_SFU_VIDEO;
        sub->vp8_switch = 1;
    }
    if (!muted && tr->p.kind == YH_SFU_VIDEO)
        for (int l = 0; l < tr->n_layers; l++)
            yh_router_request_keyframe(w, tr, l);
}

/* The smallest mark (1-255) no other subscription of `tp` carries, 0 when
 * all are taken: its packets then go without one. */
static uint8_t free_tag(const yh_tp_t *tp)
{
    uint8_t used[32] = {0};
    for (size_t i = 0; i < tp->subs.n; i++) {
        uint8_t t = ((const yh_sub_t *)tp->subs.items[i])->tag;
        used[t / 8] |= (uint8_t)(1u << (t % 8));
    }
    for (unsigned t = 1; t < 256; t++)
        if (!(used[t / 8] & (1u << (t % 8))))
            return (uint8_t)t;
    return 0;
}

static void sub_add(yh_worker_t *w, const yh_sfu_sub_params_t *p)
{
    yh_tp_t *tp = yh_map_get(&w->tps, p->transport);
    yh_track_t *tr = yh_map_get(&w->tracks, p->track);
    if (!tp || !tr || yh_map_get(&w->subs, p->id)) {
        YH_LOGW("sfu", "subscription %u: missing transport/track or duplicate", p->id);
        return;
    }
    yh_sub_t *sub = calloc(1, sizeof *sub);
    if (!sub)
        return;
    sub->p = *p;
    sub->tp = tp;
    sub->track = tr;
    yh_rtp_rewriter_init(&sub->rw);
    sub->cur = -1;
    sub->max_layer = YH_SFU_MAX_LAYERS - 1;
    sub->bwe_layer = YH_SFU_MAX_LAYERS - 1;
    sub->max_tid = sub->bwe_tid = sub->tid_cur = YH_SFU_TID_ALL;
    yh_numskip_init(&sub->pid, 0x7fff);
    yh_map_put(&w->subs, p->id, sub);
    sub->tag = free_tag(tp);
    yh_vec_push(&tp->subs, sub);
    yh_vec_push(&tr->subs, sub);
}

static void sub_free(yh_worker_t *w, yh_sub_t *sub)
{
    yh_map_del(&w->subs, sub->p.id);
    sub_detach(sub);
    free(sub);
}

/* ---- the worker thread ------------------------------------------------- */

static void run_cmd(yh_worker_t *w, cmd_t *c)
{
    void *obj;
    switch (c->type) {
    case CMD_TRANSPORT_ADD:
        transport_add(w, &c->u.tp);
        break;
    case CMD_TRANSPORT_REMOVE:
        if ((obj = yh_map_get(&w->tps, c->id)))
            transport_free(w, obj);
        break;
    case CMD_TRANSPORT_ICE:
        transport_restart_ice(w, &c->u.tp);
        break;
    case CMD_TRACK_ADD:
        track_add(w, &c->u.track);
        break;
    case CMD_TRACK_REMOVE:
        if ((obj = yh_map_get(&w->tracks, c->id)))
            track_free(w, obj);
        break;
    case CMD_TRACK_PRIORITY: {
        yh_track_t *tr = yh_map_get(&w->tracks, c->id);
        if (tr)
            tr->priority = !!c->flag;
        break;
    }
    case CMD_TRACK_MUTE:
        track_mute(w, c->id, c->flag);
        break;
    case CMD_SUB_ADD:
        sub_add(w, &c->u.sub);
        break;
    case CMD_SUB_REMOVE:
        if ((obj = yh_map_get(&w->subs, c->id)))
            sub_free(w, obj);
        break;
    case CMD_SUB_LAYER:
        if ((obj = yh_map_get(&w->subs, c->id))) {
            yh_sub_t *sub = obj;
            sub->max_tid = c->flag2 < 0 ? 0 : c->flag2 > YH_SFU_TID_ALL ? YH_SFU_TID_ALL : c->flag2;
            yh_forward_set_limits(w, sub, c->flag, sub->bwe_layer);
        }
        break;
    case CMD_STOP:
        w->stopping = 1;
        break;
    }
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

static void worker_shutdown(yh_worker_t *w)
{
    while (w->subs.n) {
        for (size_t i = 0; i < w->subs.cap; i++)
            if (w->subs.keys[i]) {
                sub_free(w, w->subs.vals[i]);
                break;
            }
    }
    while (w->tracks.n) {
        for (size_t i = 0; i < w->tracks.cap; i++)
            if (w->tracks.keys[i]) {
                track_free(w, w->tracks.vals[i]);
                break;
            }
    }
    while (w->tp_list.n)
        transport_free(w, w->tp_list.items[0]);
    yh_udp_flush(w->udp);
    uv_poll_stop(&w->poll);
    uv_timer_stop(&w->tick);
    uv_close((uv_handle_t *)&w->poll, close_cb);
    uv_close((uv_handle_t *)&w->tick, close_cb);
    uv_close((uv_handle_t *)&w->cmd_async, close_cb);
}

static void on_cmds(uv_async_t *a)
{
    yh_worker_t *w = a->data;
    yh_worker_clock(w);
    cmd_t *c;
    while (!w->stopping && (c = yh_spsc_pop(&w->cmds))) {
        run_cmd(w, c);
        free(c);
    }
    yh_udp_flush(w->udp);
    if (w->stopping)
        worker_shutdown(w);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    yh_worker_t *w = p->data;
    if (status < 0 || !(events & UV_READABLE))
        return;
    /* Bounded so timers and commands are served under any load. */
    for (int round = 0; round < 16; round++) {
        int n = yh_udp_recv(w->udp);
        if (n <= 0)
            break;
        yh_worker_clock(w);
        for (int i = 0; i < n; i++) {
            w->rx_us = w->udp->rx_us[i]; /* never after now_us: read before the clock */
            if (w->now_us - w->rx_us > w->rx_lag_max_us)
                w->rx_lag_max_us = w->now_us - w->rx_us;
            yh_router_datagram(w, w->udp->rbuf[i], w->udp->rmsg[i].msg_len,
                               (const struct sockaddr *)&w->udp->raddr[i]);
        }
        yh_udp_flush(w->udp);
        if (n < YH_UDP_BATCH)
            break;
    }
}

static void on_tick(uv_timer_t *t)
{
    yh_worker_t *w = t->data;
    yh_worker_clock(w);
    yh_router_tick(w);
    yh_udp_flush(w->udp);
}

static void worker_main(void *arg)
{
    yh_worker_t *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* ---- public API (control thread) -------------------------------------- */

static int push(yh_sfu_t *s, cmd_t *c)
{
    if (yh_spsc_push(&s->w.cmds, c) < 0) {
        free(c);
        return YH_EAGAIN;
    }
    uv_async_send(&s->w.cmd_async);
    return 0;
}

static cmd_t *cmd_new(cmd_type_t type, uint32_t id)
{
    cmd_t *c = calloc(1, sizeof *c);
    if (c) {
        c->type = type;
        c->id = id;
    }
    return c;
}

int yh_sfu_start(uv_loop_t *control_loop, const yh_sfu_config_t *cfg,
                 const yh_sfu_listener_t *listener, yh_sfu_t **out)
{
    yh_sfu_t *s = calloc(1, sizeof *s);
    if (!s)
        return YH_ENOMEM;
    yh_worker_t *w = &s->w;
    int rc = YH_ENOMEM;
    s->listener = *listener;
    w->cert = cfg->cert;
    w->udp = malloc(sizeof *w->udp);
    w->twcc_scratch = malloc(YH_RTCP_MAX_TWCC * sizeof *w->twcc_scratch);
    if (!w->udp || !w->twcc_scratch || yh_spsc_init(&w->cmds, 65536) < 0 ||
        yh_spsc_init(&w->events, 65536) < 0)
        goto fail;
    rc = yh_udp_open(w->udp, cfg->bind_ip ? cfg->bind_ip : "0.0.0.0", cfg->port);
    if (rc < 0)
        goto fail;
    yh_map_init(&w->by_ufrag);
    yh_map_init(&w->by_addr);
    yh_map_init(&w->tps);
    yh_map_init(&w->tracks);
    yh_map_init(&w->subs);
    yh_worker_clock(w);
    rc = YH_EIO;
    if (uv_loop_init(&w->loop) < 0)
        goto fail;
    uv_async_init(&w->loop, &w->cmd_async, on_cmds);
    w->cmd_async.data = w;
    uv_poll_init(&w->loop, &w->poll, w->udp->fd);
    w->poll.data = w;
    uv_poll_start(&w->poll, UV_READABLE, on_readable);
    uv_timer_init(&w->loop, &w->tick);
    w->tick.data = w;
    uv_timer_start(&w->tick, on_tick, 20, 20);
    uv_async_init(control_loop, &s->event_async, on_events);
    s->event_async.data = s;
    w->event_async = &s->event_async;
    if (uv_thread_create(&w->thread, worker_main, w) < 0)
        goto fail;
    s->started = 1;
    YH_LOGI("sfu", "media worker on udp port %u", w->udp->port);
    *out = s;
    return 0;
fail:
    if (w->udp)
        yh_udp_close(w->udp);
    free(w->udp);
    free(w->twcc_scratch);
    yh_spsc_free(&w->cmds);
    yh_spsc_free(&w->events);
    free(s);
    return rc;
}

static void free_cb(uv_handle_t *h)
{
    free(h->data);
}

void yh_sfu_stop(yh_sfu_t *s)
{
    if (!s)
        return;
    yh_worker_t *w = &s->w;
    cmd_t *c = cmd_new(CMD_STOP, 0);
    while (c && yh_spsc_push(&w->cmds, c) < 0)
        uv_sleep(1);
    uv_async_send(&w->cmd_async);
    uv_thread_join(&w->thread);
    uv_loop_close(&w->loop);
    while ((c = yh_spsc_pop(&w->cmds)))
        free(c);
    event_t *e;
    while ((e = yh_spsc_pop(&w->events)))
        free(e);
    /* The event async lives on the control loop; the caller runs that loop
     * once more to finish closing it, so `s` is freed in its close callback. */
    s->event_async.data = s;
    uv_close((uv_handle_t *)&s->event_async, free_cb);
    yh_map_free(&w->by_ufrag);
    yh_map_free(&w->by_addr);
    yh_map_free(&w->tps);
    yh_map_free(&w->tracks);
    yh_map_free(&w->subs);
    yh_vec_free(&w->tp_list);
    yh_udp_close(w->udp);
    free(w->udp);
    free(w->twcc_scratch);
    yh_spsc_free(&w->cmds);
    yh_spsc_free(&w->events);
}

uint16_t yh_sfu_port(const yh_sfu_t *s)
{
    return s->w.udp->port;
}

int yh_sfu_transport_add(yh_sfu_t *s, const yh_sfu_transport_params_t *p)
{
    cmd_t *c = cmd_new(CMD_TRANSPORT_ADD, p->id);
    if (!c)
        return YH_ENOMEM;
    c->u.tp = *p;
    return push(s, c);
}

int yh_sfu_transport_restart_ice(yh_sfu_t *s, const yh_sfu_transport_params_t *p)
{
    cmd_t *c = cmd_new(CMD_TRANSPORT_ICE, p->id);
    if (!c)
        return YH_ENOMEM;
    c->u.tp = *p;
    return push(s, c);
}

int yh_sfu_transport_remove(yh_sfu_t *s, uint32_t id)
{
    cmd_t *c = cmd_new(CMD_TRANSPORT_REMOVE, id);
    return c ? push(s, c) : YH_ENOMEM;
}

int yh_sfu_track_add(yh_sfu_t *s, const yh_sfu_track_params_t *p)
{
    cmd_t *c = cmd_new(CMD_TRACK_ADD, p->id);
    if (!c)
        return YH_ENOMEM;
    c->u.track = *p;
    return push(s, c);
}

int yh_sfu_track_remove(yh_sfu_t *s, uint32_t id)
{
    cmd_t *c = cmd_new(CMD_TRACK_REMOVE, id);
    return c ? push(s, c) : YH_ENOMEM;
}

int yh_sfu_track_set_muted(yh_sfu_t *s, uint32_t id, int muted)
{
    cmd_t *c = cmd_new(CMD_TRACK_MUTE, id);
    if (!c)
        return YH_ENOMEM;
    c->flag = muted;
    return push(s, c);
}

int yh_sfu_track_set_priority(yh_sfu_t *s, uint32_t id, int priority)
{
    cmd_t *c = cmd_new(CMD_TRACK_PRIORITY, id);
    if (!c)
        return YH_ENOMEM;
    c->flag = priority;
    return push(s, c);
}

int yh_sfu_subscribe(yh_sfu_t *s, const yh_sfu_sub_params_t *p)
{
    cmd_t *c = cmd_new(CMD_SUB_ADD, p->id);
    if (!c)
        return YH_ENOMEM;
    c->u.sub = *p;
    return push(s, c);
}

int yh_sfu_sub_set_layer(yh_sfu_t *s, uint32_t id, int max_layer, int max_tid)
{
    cmd_t *c = cmd_new(CMD_SUB_LAYER, id);
    if (!c)
        return YH_ENOMEM;
    c->flag = max_layer;
    c->flag2 = max_tid;
    return push(s, c);
}

int yh_sfu_unsubscribe(yh_sfu_t *s, uint32_t id)
{
    cmd_t *c = cmd_new(CMD_SUB_REMOVE, id);
    return c ? push(s, c) : YH_ENOMEM;
}
