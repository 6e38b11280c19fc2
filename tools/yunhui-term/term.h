/*
 * yunhui-term: options shared by the command line (main.c), single mode
 * (single.c), load mode (load.c) and the reports (report.c).
 */
#ifndef YT_TERM_H
#define YT_TERM_H

#include <stdint.h>

#include <jansson.h>

/* Exit codes (documented in --help). */
enum {
    YT_EXIT_OK = 0,
    YT_EXIT_USAGE = 2,
    YT_EXIT_UNREACHABLE = 3,
    YT_EXIT_REFUSED = 4,
    YT_EXIT_MEDIA = 5,
    YT_EXIT_OTHER = 6,
};

#define YT_MAX_DURATION_S 3600
#define YT_MAX_PARTICIPANTS 5000
#define YT_MAX_MEETINGS 1000
#define YT_RTP_MAX_PAYLOAD 1200

struct yt_backend_ops;

typedef struct yt_options {
    const char *target; /* "yunhui" or "janus" */
    const struct yt_backend_ops *backend;
    const char *server;
    const char *meeting;
    const char *name;
    const char *passcode;
    const char *bind_ip;
    int duration_s; /* 0: until SIGINT (single mode) */
    int json;
    int quiet;
    int verbose;
    int audio, video; /* what we send */
    int width, height, fps, video_kbps, audio_kbps;
    /* load mode */
    int load;
    int publishers, subscribers, meetings;
    const char *meeting_prefix;
    double ramp; /* participants started per second */
    /* Single mode: one compact JSON report line per second (live figures
     * for scripts), NULL for none. */
    const char *stats_file;
    /* Test options: hostile or moving clients (--help "Test options"). */
    int test_ssrc;            /* video SSRC, 0: random */
    int test_bad_fingerprint; /* SDP fingerprint not of our certificate */
    int test_rebind_s;        /* new local ports after this many seconds */
    int test_ice_restart;     /* ... with an ICE restart */
    int test_replay_s;        /* replay our nominating check at this time */
} yt_options_t;

/* What we sent (single mode). */
typedef struct yt_sent {
    uint64_t video_frames, keyframes, audio_frames;
    uint64_t video_packets, video_bytes, audio_packets, audio_bytes;
    uint64_t keyframe_requests;
} yt_sent_t;

int yt_single_run(const yt_options_t *o);
int yt_load_run(const yt_options_t *o);

/* An exit code for a backend error class. */
int yt_exit_code(int err_class);

#endif
