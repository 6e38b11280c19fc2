/* Internals of load mode (load.c, load_report.c). */
#ifndef YT_LOAD_INT_H
#define YT_LOAD_INT_H

#include <stdint.h>

#include <uv.h>

#include "dtls/dtls.h"
#include "media/media.h"
#include "session.h"
#include "term.h"
#include "ws.h"

#define YT_TRAILER_MAGIC "YHTS"
#define YT_TRAILER_LEN 12
#define YT_DELAY_BUCKET_US 100
#define YT_DELAY_BUCKETS 50000 /* 0.1 ms buckets up to 5 s; one more for later */
#define YT_MAX_FRAME_PKTS 256
#define YT_PKT_MAX 1300
#define YT_MAX_ERRORS 8

typedef struct load load_t;

typedef struct member {
    load_t *L;
    int publisher;
    int meeting; /* 0-based */
    char meeting_id[24];
    char name[32];
    yt_session_t *s;
    int started, done, failed, leaving, connected;
    uint32_t ts_video, ts_audio; /* random RTP timestamp bases */
} member_t;

typedef struct frame_pkt {
    uint8_t data[YT_PKT_MAX];
    size_t len;
    int marker;
} frame_pkt_t;

struct load {
    const yt_options_t *o;
    uv_loop_t *loop;
    yt_ws_ctx_t *ws;
    yh_dtls_cert_t *cert;
    member_t *m;
    int n, n_started, n_done;
    int *pubs_in; /* publishers per meeting */
    uv_timer_t tick, vtimer, atimer;
    uv_signal_t sigint, sigterm;
    int tty, leaving;
    uint64_t start_us, ramp_done_us, end_us, leave_us, last_status_us;
    /* Shared media. */
    yt_video_src_t *vsrc;
    yt_audio_src_t *asrc;
    yt_vp8_packetizer_t pkz;
    frame_pkt_t pkts[YT_MAX_FRAME_PKTS];
    size_t n_pkts;
    uint64_t video_frame, audio_frame, last_keyframe_us;
    int force_keyframe;
    /* Receive figures. */
    uint64_t rx_bytes, rx_bytes_at_ramp;
    uint32_t delay_hist[YT_DELAY_BUCKETS + 1];
    uint64_t delay_n;
    char errors[YT_MAX_ERRORS][200];
    int n_errors;
    int first_cls; /* error class of the first failure */
    json_t *report;
};

/* load_report.c */
void yt_load_error(load_t *L, const member_t *m, const char *msg);
/* Evaluates each member's `connected` now. */
void yt_load_update_connected(load_t *L);
void yt_load_status(load_t *L, uint64_t now_us);
json_t *yt_load_report(load_t *L, uint64_t now_us);

#endif
