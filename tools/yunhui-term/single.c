/*
 * Single mode: one participant that sends a VP8 test pattern (frame number
 * and capture time drawn in) and Opus, decodes what it receives, shows a
 * status line once a second and, with --json, prints the final report.
 * Media timing comes from libuv timers: a frame every 1/fps, audio every
 * 20 ms; RTP timestamps follow the capture clock.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/rand.h"
#include "dtls/dtls.h"
#include "media/media.h"
#include "report.h"
#include "session.h"
#include "srtp/srtp.h"
#include "term.h"
#include "ws.h"

#define TICK_MS 20
#define AUDIO_MS 20
#define AUDIO_SAMPLES 960 /* 20 ms at 48 kHz (RFC 7587 4.1: clock 48000) */

typedef struct single {
    const yt_options_t *o;
    uv_loop_t *loop;
    yt_ws_ctx_t *ws;
    yh_dtls_cert_t *cert;
    yt_session_t *s;
    yt_video_src_t *vsrc;
    yt_audio_src_t *asrc;
    yt_vp8_packetizer_t pkz;
    uv_timer_t tick, vtimer, atimer;
    uv_signal_t sigint, sigterm;
    uint64_t start_us, end_us, last_status_us;
    int media_on, force_keyframe, done, tty, leaving;
    uint32_t audio_ts, ts_base_video;
    uint64_t audio_start_us, audio_frame, video_start_us, video_frame;
    yt_sent_t sent;
    int exit_code;
    char errmsg[512];
    json_t *report;
    FILE *stats; /* --stats-file */
    uint64_t last_stats_us;
    json_t *test; /* what the test options did, for the report */
    int rebound, replayed;
} single_t;

int yt_exit_code(int cls)
{
    switch (cls) {
    case YT_ERR_NONE:
        return YT_EXIT_OK;
    case YT_ERR_UNREACHABLE:
        return YT_EXIT_UNREACHABLE;
    case YT_ERR_REFUSED:
        return YT_EXIT_REFUSED;
    case YT_ERR_MEDIA:
        return YT_EXIT_MEDIA;
    default:
        return YT_EXIT_OTHER;
    }
}

/* ---- sending ---- */

typedef struct vctx {
    single_t *m;
    yt_peer_t *pub;
    uint32_t ts;
    uint64_t capture_us;
} vctx_t;

static void emit_video(void *ctx, const uint8_t *payload, size_t len, int marker)
{
    vctx_t *v = ctx;
    if (yt_peer_send_rtp(v->pub, YT_KIND_VIDEO, payload, len, marker, v->ts, v->capture_us) == 0) {
        v->m->sent.video_packets++;
        v->m->sent.video_bytes += len;
    }
}

/* Frame n is captured at video_start + n / fps; a late timer encodes the
 * frame due now and skips the ones it missed (as a camera would). */
static void on_video(uv_timer_t *t)
{
    single_t *m = t->data;
    yt_peer_t *pub = yt_session_pub_peer(m->s);
    const uint8_t *data;
    size_t len;
    int kf;
    if (!m->media_on || !pub || yt_peer_state(pub) != YT_PEER_CONNECTED)
        return;
    uint64_t now = yh_now_us();
    if (!m->video_start_us)
        m->video_start_us = now;
    uint64_t due = (now - m->video_start_us) * (uint64_t)m->o->fps / 1000000u;
    if (m->video_frame && due < m->video_frame)
        return;
    m->video_frame = due + 1;
    uint64_t capture = m->video_start_us + due * 1000000u / (uint64_t)m->o->fps;
    if (yt_video_src_next(m->vsrc, capture, m->force_keyframe, &data, &len, &kf) < 0 || !len)
        return;
    m->force_keyframe = 0;
    /* RFC 3550 5.1 / RFC 7741 4.1: a 90 kHz clock sampled at capture. */
    vctx_t v = {m, pub, m->ts_base_video + (uint32_t)((capture - m->start_us) * 9 / 100), capture};
    yt_vp8_packetize(&m->pkz, data, len, YT_RTP_MAX_PAYLOAD, emit_video, &v);
    yt_peer_flush(pub);
    m->sent.video_frames++;
    m->sent.keyframes += kf != 0;
}

/* Audio frame n is captured at audio_start + n * 20 ms and has RTP time
 * n * 960: the timestamps follow the capture clock exactly, however late
 * the timer fires (RFC 3550 5.1); late frames go out together. */
static void send_audio_frame(single_t *m, yt_peer_t *pub, uint64_t capture_us)
{
    const uint8_t *data;
    size_t len;
    if (yt_audio_src_next(m->asrc, &data, &len) < 0)
        return;
    uint32_t ts = m->audio_ts + (uint32_t)(m->audio_frame * AUDIO_SAMPLES);
    if (yt_peer_send_rtp(pub, YT_KIND_AUDIO, data, len, 0, ts, capture_us) == 0) {
        m->sent.audio_packets++;
        m->sent.audio_bytes += len;
    }
    m->sent.audio_frames++;
}

static void on_audio(uv_timer_t *t)
{
    single_t *m = t->data;
    yt_peer_t *pub = yt_session_pub_peer(m->s);
    if (!m->media_on || !pub || yt_peer_state(pub) != YT_PEER_CONNECTED)
        return;
    uint64_t now = yh_now_us();
    if (!m->audio_start_us)
        m->audio_start_us = now;
    uint64_t due = (now - m->audio_start_us) / (AUDIO_MS * 1000u);
    /* After a stall of more than 100 ms, skip ahead instead of bursting. */
    if (due > m->audio_frame + 5)
        m->audio_frame = due - 5;
    for (; m->audio_frame <= due; m->audio_frame++)
        send_audio_frame(m, pub, m->audio_start_us + m->audio_frame * AUDIO_MS * 1000u);
    yt_peer_flush(pub);
}

/* ---- session events ---- */

static void s_media_ready(void *ctx, yt_session_t *s)
{
    single_t *m = ctx;
    m->media_on = 1;
    m->force_keyframe = 1;
}

static void s_keyframe(void *ctx, yt_session_t *s)
{
    single_t *m = ctx;
    m->force_keyframe = 1;
    m->sent.keyframe_requests++;
}

static void close_all(single_t *m)
{
    uv_timer_stop(&m->tick);
    uv_timer_stop(&m->vtimer);
    uv_timer_stop(&m->atimer);
    uv_signal_stop(&m->sigint);
    uv_signal_stop(&m->sigterm);
    uv_stop(m->loop);
}

static void s_done(void *ctx, yt_session_t *s, yt_err_class_t cls, const char *msg)
{
    single_t *m = ctx;
    uint64_t now = yh_now_us();
    m->done = 1;
    m->exit_code = yt_exit_code(cls);
    snprintf(m->errmsg, sizeof m->errmsg, "%s", msg ? msg : "");
    if (m->o->json && !m->report)
        m->report = yt_report_single(s, m->o, &m->sent, (double)(now - m->start_us) / 1e6, now);
    if (m->report && cls != YT_ERR_NONE) {
        json_object_set_new(m->report, "error", json_string(m->errmsg));
        json_object_set_new(m->report, "exit_code", json_integer(m->exit_code));
    }
    close_all(m);
}

/* ---- time and signals ---- */

/* Our own end (duration, signal): the report is taken now, before the
 * server stops sending to us on `leave`. */
static void begin_leave(single_t *m)
{
    uint64_t now = yh_now_us();
    if (m->leaving)
        return;
    m->leaving = 1;
    m->media_on = 0;
    if (m->o->json && !m->report)
        m->report = yt_report_single(m->s, m->o, &m->sent, (double)(now - m->start_us) / 1e6, now);
    yt_session_leave(m->s);
}

static void status(single_t *m, uint64_t now)
{
    char line[1024];
    if (m->o->quiet || now - m->last_status_us < 1000000u)
        return;
    m->last_status_us = now;
    yt_report_status(m->s, m->o, &m->sent, (double)(now - m->start_us) / 1e6, now, line,
                     sizeof line);
    yt_report_status_print(line, m->tty);
}

/* --stats-file: the report as one line, every second. */
static void stats_line(single_t *m, uint64_t now)
{
    if (!m->stats || now - m->last_stats_us < 1000000u)
        return;
    m->last_stats_us = now;
    json_t *r = yt_report_single(m->s, m->o, &m->sent, (double)(now - m->start_us) / 1e6, now);
    if (!r)
        return;
    json_object_set(r, "test", m->test);
    json_dumpf(r, m->stats, JSON_COMPACT);
    fputc('\n', m->stats);
    fflush(m->stats);
    json_decref(r);
}

/* --test-rebind and --test-replay-check, each once, at their time. */
static void test_hooks(single_t *m, uint64_t now)
{
    const yt_options_t *o = m->o;
    double at = (double)(now - m->start_us) / 1e6;
    yt_peer_t *pub = yt_session_pub_peer(m->s);
    if (o->test_rebind_s && !m->rebound && at >= o->test_rebind_s) {
        m->rebound = 1;
        int old_port = pub ? yt_peer_port(pub) : 0;
        int rc = yt_session_rebind(m->s, o->test_ice_restart);
        json_object_set_new(m->test, "rebind",
                            json_pack("{s:f, s:i, s:i, s:b, s:s}", "at_s", at, "old_port",
                                      old_port, "new_port", pub ? yt_peer_port(pub) : 0,
                                      "ice_restart", o->test_ice_restart, "result",
                                      rc < 0 ? yh_strerror(rc) : "ok"));
    }
    if (o->test_replay_s && !m->replayed && at >= o->test_replay_s) {
        m->replayed = 1;
        int rc = yt_session_replay_check(m->s);
        json_object_set_new(m->test, "replay_check",
                            json_pack("{s:f, s:s}", "at_s", at, "result",
                                      rc < 0 ? yh_strerror(rc) : "ok"));
    }
}

static void on_tick(uv_timer_t *t)
{
    single_t *m = t->data;
    uint64_t now = yh_now_us();
    yt_session_tick(m->s, now);
    if (m->done)
        return;
    test_hooks(m, now);
    stats_line(m, now);
    status(m, now);
    if (m->end_us && now >= m->end_us)
        begin_leave(m);
}

static void on_signal(uv_signal_t *h, int signum)
{
    begin_leave(h->data);
}

static int media_create(single_t *m)
{
    const yt_options_t *o = m->o;
    if (o->video && yt_video_src_create(o->width, o->height, o->fps, o->video_kbps, &m->vsrc) < 0) {
        fprintf(stderr, "yunhui-term: cannot start the VP8 encoder (%dx%d@%d)\n", o->width,
                o->height, o->fps);
        return YH_EINVAL;
    }
    if (o->audio && yt_audio_src_create(o->audio_kbps * 1000, &m->asrc) < 0) {
        fprintf(stderr, "yunhui-term: cannot start the Opus encoder\n");
        return YH_EINVAL;
    }
    return 0;
}

static void timers_start(single_t *m)
{
    uv_timer_init(m->loop, &m->tick);
    uv_timer_init(m->loop, &m->vtimer);
    uv_timer_init(m->loop, &m->atimer);
    uv_signal_init(m->loop, &m->sigint);
    uv_signal_init(m->loop, &m->sigterm);
    m->tick.data = m->vtimer.data = m->atimer.data = m->sigint.data = m->sigterm.data = m;
    uv_timer_start(&m->tick, on_tick, TICK_MS, TICK_MS);
    if (m->vsrc)
        uv_timer_start(&m->vtimer, on_video, 0, 5);
    if (m->asrc)
        uv_timer_start(&m->atimer, on_audio, 0, AUDIO_MS / 4);
    uv_signal_start(&m->sigint, on_signal, SIGINT);
    uv_signal_start(&m->sigterm, on_signal, SIGTERM);
}

static void close_handle(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Frees everything; lws and our handles close through the loop. */
static void teardown(single_t *m)
{
    yt_session_destroy(m->s);
    m->s = NULL;
    yt_ws_ctx_destroy(m->ws);
    uv_walk(m->loop, close_handle, NULL);
    uv_run(m->loop, UV_RUN_DEFAULT);
    uv_loop_close(m->loop);
    yt_video_src_destroy(m->vsrc);
    yt_audio_src_destroy(m->asrc);
    yh_dtls_cert_destroy(m->cert);
}

static int setup(single_t *m, uv_loop_t *loop)
{
    const yt_options_t *o = m->o;
    m->loop = loop;
    m->tty = isatty(2);
    if (yh_srtp_global_init() < 0 || yh_dtls_cert_generate(&m->cert) < 0) {
        fprintf(stderr, "yunhui-term: cannot set up DTLS-SRTP\n");
        return YT_EXIT_OTHER;
    }
    if (media_create(m) < 0)
        return YT_EXIT_OTHER;
    if (o->stats_file && !(m->stats = fopen(o->stats_file, "w"))) {
        fprintf(stderr, "yunhui-term: cannot write %s\n", o->stats_file);
        return YT_EXIT_USAGE;
    }
    if (o->backend == &yt_backend_yunhui && yt_ws_ctx_create(loop, &m->ws) < 0) {
        fprintf(stderr, "yunhui-term: cannot create the WebSocket client\n");
        return YT_EXIT_OTHER;
    }
    yt_session_config_t sc = {.loop = loop,
                              .backend = o->backend,
                              .backend_shared = m->ws,
                              .server = o->server,
                              .meeting = o->meeting,
                              .name = o->name,
                              .passcode = o->passcode,
                              .cert = m->cert,
                              .bind_ip = o->bind_ip,
                              .send_audio = o->audio,
                              .send_video = o->video,
                              .decode = 1,
                              .test_video_ssrc = (uint32_t)o->test_ssrc,
                              .test_bad_fingerprint = o->test_bad_fingerprint};
    yt_session_listener_t sl = {
        .ctx = m, .media_ready = s_media_ready, .keyframe = s_keyframe, .done = s_done};
    if (yt_session_create(&sc, &sl, &m->s) < 0 || yt_session_start(m->s) < 0) {
        fprintf(stderr, "yunhui-term: bad server URL %s for target %s\n", o->server, o->target);
        return YT_EXIT_USAGE;
    }
    return 0;
}

int yt_single_run(const yt_options_t *o)
{
    single_t m;
    uv_loop_t loop;
    memset(&m, 0, sizeof m);
    m.o = o;
    if (uv_loop_init(&loop) < 0)
        return YT_EXIT_OTHER;
    m.test = json_object();
    m.ts_base_video = yh_rand_u32();
    m.audio_ts = yh_rand_u32();
    int rc = setup(&m, &loop);
    if (rc == 0) {
        m.start_us = yh_now_us();
        m.end_us = o->duration_s ? m.start_us + (uint64_t)o->duration_s * 1000000u : 0;
        timers_start(&m);
        uv_run(&loop, UV_RUN_DEFAULT);
        rc = m.exit_code;
    }
    if (!o->quiet && m.tty && m.last_status_us)
        fputc('\n', stderr);
    if (m.errmsg[0])
        fprintf(stderr, "yunhui-term: %s\n", m.errmsg);
    if (m.report) {
        if (json_object_size(m.test))
            json_object_set(m.report, "test", m.test);
        json_dumpf(m.report, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(m.report);
    }
    teardown(&m);
    if (m.stats)
        fclose(m.stats);
    json_decref(m.test);
    return rc;
}
