/*
 * Load mode: many participants in one process on one libuv loop. N
 * publishers and M subscribers join meetings <prefix>1..<prefix>R round
 * robin, at --ramp participants per second, stay --duration seconds once
 * all are started, then leave.
 *
 * The tool spends its CPU on transport, as a server's clients would: each
 * frame is encoded once (one VP8 and one Opus encoder for the process) and
 * the same payload bytes go out from every publisher, each with its own
 * SSRCs, sequence numbers, timestamps and SRTP keys, through its own
 * socket's send slots and one sendmmsg per socket per frame. Receivers
 * really unprotect SRTP (a packet that fails authentication is not
 * counted) and count with yt_count_sink; they do not decode.
 *
 * End-to-end delay: every load-mode RTP payload ends with a 12-byte
 * trailer, "YHTS" and the send time (64-bit microseconds, monotonic clock,
 * network order). The SFU forwards payloads untouched, so a receiver in
 * this process reads the trailer and the delay is exact. These payloads
 * are therefore not valid VP8/Opus for real decoders (browsers in a load
 * meeting will show garbage): load meetings are for load tools.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backend.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/rand.h"
#include "load_int.h"
#include "srtp/srtp.h"
#include "ws.h"

#define TICK_MS 20
#define FRAME_CHECK_MS 5
#define AUDIO_US 20000u
#define AUDIO_SAMPLES 960
#define LEAVE_GRACE_US 3000000u
#define KEYFRAME_MIN_US 250000u

/* ---- the timing trailer ---- */

static size_t add_trailer(uint8_t *payload, size_t len, uint64_t send_us)
{
    memcpy(payload + len, YT_TRAILER_MAGIC, 4);
    wr_be32(payload + len + 4, (uint32_t)(send_us >> 32));
    wr_be32(payload + len + 8, (uint32_t)send_us);
    return len + YT_TRAILER_LEN;
}

static void on_rtp(void *ctx, yt_session_t *s, yt_stream_t *st, const uint8_t *pkt, size_t len,
                   const yh_rtp_hdr_t *h, uint64_t now_us)
{
    member_t *m = ctx;
    load_t *L = m->L;
    const uint8_t *p = pkt + h->payload_off;
    size_t n = h->payload_len;
    L->rx_bytes += n;
    if (n < YT_TRAILER_LEN || memcmp(p + n - YT_TRAILER_LEN, YT_TRAILER_MAGIC, 4))
        return;
    uint64_t sent = (uint64_t)rd_be32(p + n - 8) << 32 | rd_be32(p + n - 4);
    if (sent > now_us)
        return;
    uint64_t b = (now_us - sent) / YT_DELAY_BUCKET_US;
    L->delay_hist[b < YT_DELAY_BUCKETS ? b : YT_DELAY_BUCKETS]++;
    L->delay_n++;
}

/* ---- sending the shared frames ---- */

typedef struct pctx {
    load_t *L;
    uint64_t send_us;
} pctx_t;

static void keep_payload(void *ctx, const uint8_t *payload, size_t len, int marker)
{
    pctx_t *c = ctx;
    load_t *L = c->L;
    if (L->n_pkts >= YT_MAX_FRAME_PKTS)
        return;
    frame_pkt_t *fp = &L->pkts[L->n_pkts++];
    memcpy(fp->data, payload, len);
    fp->len = add_trailer(fp->data, len, c->send_us);
    fp->marker = marker;
}

static void send_frame(load_t *L, yt_media_kind_t kind, uint32_t ts_nominal, uint64_t capture_us)
{
    for (int i = 0; i < L->n; i++) {
        member_t *m = &L->m[i];
        yt_peer_t *pub = m->s ? yt_session_pub_peer(m->s) : NULL;
        if (!pub || yt_peer_state(pub) != YT_PEER_CONNECTED || m->leaving)
            continue;
        uint32_t ts = ts_nominal + (kind == YT_KIND_VIDEO ? m->ts_video : m->ts_audio);
        for (size_t k = 0; k < L->n_pkts; k++)
            yt_peer_send_rtp(pub, kind, L->pkts[k].data, L->pkts[k].len, L->pkts[k].marker, ts,
                             capture_us);
        yt_peer_flush(pub);
    }
}

static void on_video(uv_timer_t *t)
{
    load_t *L = t->data;
    const uint8_t *data;
    size_t len;
    int kf;
    uint64_t now = yh_now_us();
    uint64_t due = (now - L->start_us) * (uint64_t)L->o->fps / 1000000u;
    if (L->video_frame && due < L->video_frame)
        return;
    L->video_frame = due + 1;
    uint64_t capture = L->start_us + due * 1000000u / (uint64_t)L->o->fps;
    if (yt_video_src_next(L->vsrc, capture, L->force_keyframe, &data, &len, &kf) < 0 || !len)
        return;
    L->force_keyframe = 0;
    L->n_pkts = 0;
    /* The delay counts from when the bytes leave, not from capture: the
     * encoder runs once for all publishers. */
    pctx_t c = {L, yh_now_us()};
    yt_vp8_packetize(&L->pkz, data, len, YT_RTP_MAX_PAYLOAD - YT_TRAILER_LEN, keep_payload, &c);
    send_frame(L, YT_KIND_VIDEO, (uint32_t)((capture - L->start_us) * 9 / 100), capture);
}

static void on_audio(uv_timer_t *t)
{
    load_t *L = t->data;
    const uint8_t *data;
    size_t len;
    uint64_t now = yh_now_us();
    uint64_t due = (now - L->start_us) / AUDIO_US;
    if (due > L->audio_frame + 5)
        L->audio_frame = due - 5;
    for (; L->audio_frame <= due; L->audio_frame++) {
        if (yt_audio_src_next(L->asrc, &data, &len) < 0 || len + YT_TRAILER_LEN > YT_PKT_MAX)
            continue;
        pctx_t c = {L, yh_now_us()};
        L->n_pkts = 0;
        keep_payload(&c, data, len, 0);
        send_frame(L, YT_KIND_AUDIO, (uint32_t)(L->audio_frame * AUDIO_SAMPLES),
                   L->start_us + L->audio_frame * AUDIO_US);
    }
}

/* ---- members ---- */

static void on_keyframe(void *ctx, yt_session_t *s)
{
    member_t *m = ctx;
    load_t *L = m->L;
    uint64_t now = yh_now_us();
    /* One encoder serves every publisher: during a ramp many ask at once. */
    if (now - L->last_keyframe_us >= KEYFRAME_MIN_US) {
        L->force_keyframe = 1;
        L->last_keyframe_us = now;
    }
}

static void on_done(void *ctx, yt_session_t *s, yt_err_class_t cls, const char *msg)
{
    member_t *m = ctx;
    m->done = 1;
    m->L->n_done++;
    if (cls != YT_ERR_NONE) {
        m->failed = 1;
        yt_load_error(m->L, m, msg);
    }
}

static int member_start(load_t *L, member_t *m)
{
    yt_session_config_t sc = {.loop = L->loop,
                              .backend = L->o->backend,
                              .backend_shared = L->ws,
                              .server = L->o->server,
                              .meeting = m->meeting_id,
                              .name = m->name,
                              .cert = L->cert,
                              .bind_ip = L->o->bind_ip,
                              .send_audio = m->publisher && L->o->audio,
                              .send_video = m->publisher && L->o->video,
                              .decode = 0};
    yt_session_listener_t sl = {.ctx = m, .keyframe = on_keyframe, .rtp = on_rtp, .done = on_done};
    m->started = 1;
    m->ts_video = yh_rand_u32();
    m->ts_audio = yh_rand_u32();
    if (yt_session_create(&sc, &sl, &m->s) < 0 || yt_session_start(m->s) < 0) {
        m->failed = m->done = 1;
        L->n_done++;
        yt_load_error(L, m, "cannot start (bad server URL or out of memory)");
        return -1;
    }
    return 0;
}

static void members_init(load_t *L)
{
    const yt_options_t *o = L->o;
    for (int i = 0; i < L->n; i++) {
        member_t *m = &L->m[i];
        m->L = L;
        m->publisher = i < o->publishers;
        int k = m->publisher ? i : i - o->publishers;
        m->meeting = k % o->meetings;
        snprintf(m->meeting_id, sizeof m->meeting_id, "%s%d", o->meeting_prefix, m->meeting + 1);
        snprintf(m->name, sizeof m->name, "%s-%d", m->publisher ? "pub" : "sub", k + 1);
        if (m->publisher)
            L->pubs_in[m->meeting]++;
    }
}

/* ---- time ---- */

static void begin_leave(load_t *L, uint64_t now)
{
    if (L->leaving)
        return;
    L->leaving = 1;
    L->leave_us = now;
    yt_load_update_connected(L);
    if (L->o->json)
        L->report = yt_load_report(L, now);
    for (int i = 0; i < L->n; i++) {
        member_t *m = &L->m[i];
        m->leaving = 1;
        if (m->s && !m->done)
            yt_session_leave(m->s);
    }
}

static void stop(load_t *L)
{
    uv_timer_stop(&L->tick);
    uv_timer_stop(&L->vtimer);
    uv_timer_stop(&L->atimer);
    uv_signal_stop(&L->sigint);
    uv_signal_stop(&L->sigterm);
    uv_stop(L->loop);
}

/* Starts the participants the ramp allows by now. */
static void ramp(load_t *L, uint64_t now)
{
    uint64_t allowed = 1 + (uint64_t)((double)(now - L->start_us) / 1e6 * L->o->ramp);
    while (L->n_started < L->n && (uint64_t)L->n_started < allowed)
        member_start(L, &L->m[L->n_started++]);
    if (L->n_started == L->n && !L->ramp_done_us) {
        L->ramp_done_us = now;
        L->rx_bytes_at_ramp = L->rx_bytes;
        L->end_us = now + (uint64_t)L->o->duration_s * 1000000u;
    }
}

static void on_tick(uv_timer_t *t)
{
    load_t *L = t->data;
    uint64_t now = yh_now_us();
    if (!L->leaving)
        ramp(L, now);
    for (int i = 0; i < L->n_started; i++)
        if (L->m[i].s && !L->m[i].done)
            yt_session_tick(L->m[i].s, now);
    if (!L->leaving && L->n_started == L->n && L->n_done == L->n)
        begin_leave(L, now); /* everybody failed early */
    if (L->leaving) {
        if (L->n_done == L->n_started || now - L->leave_us > LEAVE_GRACE_US)
            stop(L);
        return;
    }
    yt_load_status(L, now);
    if (L->end_us && now >= L->end_us)
        begin_leave(L, now);
}

static void on_signal(uv_signal_t *h, int signum)
{
    begin_leave(h->data, yh_now_us());
}

static int setup(load_t *L, uv_loop_t *loop)
{
    const yt_options_t *o = L->o;
    L->loop = loop;
    L->tty = isatty(2);
    L->n = o->publishers + o->subscribers;
    L->m = calloc((size_t)L->n, sizeof *L->m);
    L->pubs_in = calloc((size_t)o->meetings, sizeof *L->pubs_in);
    if (!L->m || !L->pubs_in)
        return YT_EXIT_OTHER;
    if (yh_srtp_global_init() < 0 || yh_dtls_cert_generate(&L->cert) < 0)
        return YT_EXIT_OTHER;
    if ((o->video &&
         yt_video_src_create(o->width, o->height, o->fps, o->video_kbps, &L->vsrc) < 0) ||
        (o->audio && yt_audio_src_create(o->audio_kbps * 1000, &L->asrc) < 0)) {
        fprintf(stderr, "yunhui-term: cannot start the encoders\n");
        return YT_EXIT_OTHER;
    }
    if (o->backend == &yt_backend_yunhui && yt_ws_ctx_create(loop, &L->ws) < 0)
        return YT_EXIT_OTHER;
    members_init(L);
    uv_timer_init(loop, &L->tick);
    uv_timer_init(loop, &L->vtimer);
    uv_timer_init(loop, &L->atimer);
    uv_signal_init(loop, &L->sigint);
    uv_signal_init(loop, &L->sigterm);
    L->tick.data = L->vtimer.data = L->atimer.data = L->sigint.data = L->sigterm.data = L;
    return 0;
}

static void close_handle(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void teardown(load_t *L)
{
    for (int i = 0; i < L->n_started; i++)
        yt_session_destroy(L->m[i].s);
    yt_ws_ctx_destroy(L->ws);
    uv_walk(L->loop, close_handle, NULL);
    uv_run(L->loop, UV_RUN_DEFAULT);
    uv_loop_close(L->loop);
    yt_video_src_destroy(L->vsrc);
    yt_audio_src_destroy(L->asrc);
    yh_dtls_cert_destroy(L->cert);
    free(L->m);
    free(L->pubs_in);
}

/* Every participant has one or two UDP sockets and a WebSocket. */
static void raise_fd_limit(int n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)(4 * n + 64)) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)(4 * n + 64) ? rl.rlim_max : (rlim_t)(4 * n + 64);
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int yt_load_run(const yt_options_t *o)
{
    uv_loop_t loop;
    load_t *L = calloc(1, sizeof *L);
    if (!L || uv_loop_init(&loop) < 0) {
        free(L);
        return YT_EXIT_OTHER;
    }
    L->o = o;
    raise_fd_limit(o->publishers + o->subscribers);
    int rc = setup(L, &loop);
    if (rc == 0) {
        L->start_us = yh_now_us();
        uv_timer_start(&L->tick, on_tick, 0, TICK_MS);
        if (L->vsrc)
            uv_timer_start(&L->vtimer, on_video, 0, FRAME_CHECK_MS);
        if (L->asrc)
            uv_timer_start(&L->atimer, on_audio, 0, FRAME_CHECK_MS);
        uv_signal_start(&L->sigint, on_signal, SIGINT);
        uv_signal_start(&L->sigterm, on_signal, SIGTERM);
        uv_run(&loop, UV_RUN_DEFAULT);
        rc = yt_exit_code(L->first_cls);
    }
    if (!o->quiet && L->tty && L->last_status_us)
        fputc('\n', stderr);
    if (L->report) {
        json_dumpf(L->report, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(L->report);
    }
    teardown(L);
    free(L);
    return rc;
}
