/*
 * yunhui-term: the native terminal and load generator of Yunhui. This file
 * is the command line only; single.c and load.c do the work.
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "base/log.h"
#include "janus.h"
#include "term.h"

#define VERSION "0.1.0"

static const char usage[] =
    "Usage: yunhui-term --meeting ID [options]            one participant\n"
    "       yunhui-term --load [options]                  load generator\n"
    "\n"
    "A native Yunhui client: it speaks the signaling protocol (docs/protocol.md)\n"
    "as the browser does, sends a VP8 test pattern (frame number and capture time\n"
    "drawn in) and Opus, decodes what it receives and reports per stream: packets,\n"
    "loss, jitter, bitrate, frame rate, resolution, freezes, end-to-end delay.\n"
    "\n"
    "Common options:\n"
    "  --server URL          signaling WebSocket (default ws://127.0.0.1:8080/ws)\n"
    "  --target NAME         server kind: yunhui (default) or janus (Janus VideoRoom;\n"
    "                        --server is then its HTTP API root, e.g.\n"
    "                        http://127.0.0.1:8088/janus)\n"
    "  --janus-url URL       same as --target janus --server URL\n"
    "  --duration SECONDS    run time, then leave (default 0: until Ctrl-C in single\n"
    "                        mode, 10 in load mode; at most 3600)\n"
    "  --json                print a machine-readable report on stdout at the end\n"
    "  --bind IP             local address of the media sockets (default 0.0.0.0)\n"
    "  --quiet               no status line on stderr\n"
    "  --verbose             debug logs on stderr\n"
    "  --help                this text;  --version  the version\n"
    "\n"
    "Single mode:\n"
    "  --meeting ID          meeting number to join (required)\n"
    "  --name NAME           display name (default yunhui-term)\n"
    "  --passcode P          meeting passcode\n"
    "  --no-video            do not send video\n"
    "  --no-audio            do not send audio\n"
    "  --recv-only           send nothing (no publish)\n"
    "  --width N             video width (default 640)\n"
    "  --height N            video height (default 480)\n"
    "  --fps N               video frame rate (default 30, 1..60)\n"
    "  --video-kbps N        VP8 target bitrate (default 1000)\n"
    "  --audio-kbps N        Opus bitrate (default 32)\n"
    "  --stats-file FILE     append the --json report as one line every second\n"
    "\n"
    "Test options (single mode; for tests of the server, not for meetings):\n"
    "  --test-ssrc N         send video with SSRC N (e.g. another participant's)\n"
    "  --test-bad-fingerprint  put a DTLS fingerprint in our SDP that is not our\n"
    "                        certificate's (the server must refuse the connection)\n"
    "  --test-rebind SECONDS move both connections to new local UDP ports (a new\n"
    "                        5-tuple) that many seconds after the start\n"
    "  --test-ice-restart    with --test-rebind: restart ICE too (new credentials)\n"
    "  --test-replay-check SECONDS  replay our last nominating ICE check from\n"
    "                        another port at that time (a captured check)\n"
    "\n"
    "Load mode (--load): many participants in one process on one event loop;\n"
    "every publisher sends the same pre-encoded frames (each with its own SSRCs,\n"
    "sequence numbers and SRTP keys); subscribers only receive and count after\n"
    "really decrypting SRTP. Load-mode payloads end with a 12-byte timing trailer\n"
    "(\"YHTS\" + send time) for end-to-end delay, so they are not for decoders.\n"
    "  --publishers N        participants that send audio and video (default 1)\n"
    "  --subscribers M       participants that only receive (default 10)\n"
    "  --meetings R          meetings, joined round-robin (default 1)\n"
    "  --meeting-prefix P    meeting numbers P1..PR (default load-)\n"
    "  --ramp PER_SECOND     participants started per second (default 20)\n"
    "  (at most 5000 participants; video/audio options above apply)\n"
    "\n"
    "Exit status: 0 ok, 2 usage, 3 server unreachable, 4 join refused (meeting\n"
    "not found, bad passcode, locked, full...), 5 ICE/DTLS or media failure,\n"
    "6 other errors. Errors are one line on stderr.\n";

enum {
    OPT_SERVER = 256,
    OPT_MEETING,
    OPT_NAME,
    OPT_PASSCODE,
    OPT_DURATION,
    OPT_JSON,
    OPT_BIND,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_NO_VIDEO,
    OPT_NO_AUDIO,
    OPT_RECV_ONLY,
    OPT_WIDTH,
    OPT_HEIGHT,
    OPT_FPS,
    OPT_VIDEO_KBPS,
    OPT_AUDIO_KBPS,
    OPT_LOAD,
    OPT_PUBLISHERS,
    OPT_SUBSCRIBERS,
    OPT_MEETINGS,
    OPT_PREFIX,
    OPT_RAMP,
    OPT_TARGET,
    OPT_JANUS_URL,
    OPT_STATS_FILE,
    OPT_TEST_SSRC,
    OPT_TEST_BAD_FP,
    OPT_TEST_REBIND,
    OPT_TEST_ICE_RESTART,
    OPT_TEST_REPLAY,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option longopts[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"meeting", required_argument, NULL, OPT_MEETING},
    {"name", required_argument, NULL, OPT_NAME},
    {"passcode", required_argument, NULL, OPT_PASSCODE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"json", no_argument, NULL, OPT_JSON},
    {"bind", required_argument, NULL, OPT_BIND},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"no-video", no_argument, NULL, OPT_NO_VIDEO},
    {"no-audio", no_argument, NULL, OPT_NO_AUDIO},
    {"recv-only", no_argument, NULL, OPT_RECV_ONLY},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"height", required_argument, NULL, OPT_HEIGHT},
    {"fps", required_argument, NULL, OPT_FPS},
    {"video-kbps", required_argument, NULL, OPT_VIDEO_KBPS},
    {"audio-kbps", required_argument, NULL, OPT_AUDIO_KBPS},
    {"load", no_argument, NULL, OPT_LOAD},
    {"publishers", required_argument, NULL, OPT_PUBLISHERS},
    {"subscribers", required_argument, NULL, OPT_SUBSCRIBERS},
    {"meetings", required_argument, NULL, OPT_MEETINGS},
    {"meeting-prefix", required_argument, NULL, OPT_PREFIX},
    {"ramp", required_argument, NULL, OPT_RAMP},
    {"target", required_argument, NULL, OPT_TARGET},
    {"janus-url", required_argument, NULL, OPT_JANUS_URL},
    {"stats-file", required_argument, NULL, OPT_STATS_FILE},
    {"test-ssrc", required_argument, NULL, OPT_TEST_SSRC},
    {"test-bad-fingerprint", no_argument, NULL, OPT_TEST_BAD_FP},
    {"test-rebind", required_argument, NULL, OPT_TEST_REBIND},
    {"test-ice-restart", no_argument, NULL, OPT_TEST_ICE_RESTART},
    {"test-replay-check", required_argument, NULL, OPT_TEST_REPLAY},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "yunhui-term: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see --help)\n");
    return YT_EXIT_USAGE;
}

/* A whole decimal number in [lo, hi]. */
static int number(const char *s, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static void defaults(yt_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->target = "yunhui";
    o->server = "ws://127.0.0.1:8080/ws";
    o->name = "yunhui-term";
    o->bind_ip = "0.0.0.0";
    o->duration_s = -1;
    o->audio = o->video = 1;
    o->width = 640;
    o->height = 480;
    o->fps = 30;
    o->video_kbps = 1000;
    o->audio_kbps = 32;
    o->publishers = 1;
    o->subscribers = 10;
    o->meetings = 1;
    o->meeting_prefix = "load-";
    o->ramp = 20;
}

/* Numeric options: name, bounds, where. */
static int set_number(yt_options_t *o, int opt, const char *arg)
{
    static const struct {
        int opt;
        const char *name;
        long lo, hi;
        size_t off;
    } tab[] = {
        {OPT_DURATION, "--duration", 0, YT_MAX_DURATION_S, offsetof(yt_options_t, duration_s)},
        {OPT_WIDTH, "--width", 16, 1920, offsetof(yt_options_t, width)},
        {OPT_HEIGHT, "--height", 16, 1080, offsetof(yt_options_t, height)},
        {OPT_FPS, "--fps", 1, 60, offsetof(yt_options_t, fps)},
        {OPT_VIDEO_KBPS, "--video-kbps", 50, 20000, offsetof(yt_options_t, video_kbps)},
        {OPT_AUDIO_KBPS, "--audio-kbps", 6, 510, offsetof(yt_options_t, audio_kbps)},
        {OPT_PUBLISHERS, "--publishers", 0, YT_MAX_PARTICIPANTS,
         offsetof(yt_options_t, publishers)},
        {OPT_SUBSCRIBERS, "--subscribers", 0, YT_MAX_PARTICIPANTS,
         offsetof(yt_options_t, subscribers)},
        {OPT_MEETINGS, "--meetings", 1, YT_MAX_MEETINGS, offsetof(yt_options_t, meetings)},
        {OPT_TEST_SSRC, "--test-ssrc", 1, 2147483647, offsetof(yt_options_t, test_ssrc)},
        {OPT_TEST_REBIND, "--test-rebind", 1, YT_MAX_DURATION_S,
         offsetof(yt_options_t, test_rebind_s)},
        {OPT_TEST_REPLAY, "--test-replay-check", 1, YT_MAX_DURATION_S,
         offsetof(yt_options_t, test_replay_s)},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        if (tab[i].opt != opt)
            continue;
        if (number(arg, tab[i].lo, tab[i].hi, (int *)((char *)o + tab[i].off)) < 0) {
            fprintf(stderr, "yunhui-term: %s wants a whole number from %ld to %ld, not '%s'\n",
                    tab[i].name, tab[i].lo, tab[i].hi, arg);
            return YT_EXIT_USAGE;
        }
        return 0;
    }
    return -1;
}

/* String options and flags: which field each sets. */
static const struct {
    int opt;
    size_t off;
} str_opts[] = {
    {OPT_SERVER, offsetof(yt_options_t, server)},
    {OPT_MEETING, offsetof(yt_options_t, meeting)},
    {OPT_NAME, offsetof(yt_options_t, name)},
    {OPT_PASSCODE, offsetof(yt_options_t, passcode)},
    {OPT_BIND, offsetof(yt_options_t, bind_ip)},
    {OPT_PREFIX, offsetof(yt_options_t, meeting_prefix)},
    {OPT_TARGET, offsetof(yt_options_t, target)},
    {OPT_STATS_FILE, offsetof(yt_options_t, stats_file)},
};

static const struct {
    int opt;
    size_t off;
    int value;
} flag_opts[] = {
    {OPT_JSON, offsetof(yt_options_t, json), 1},
    {OPT_QUIET, offsetof(yt_options_t, quiet), 1},
    {OPT_VERBOSE, offsetof(yt_options_t, verbose), 1},
    {OPT_NO_VIDEO, offsetof(yt_options_t, video), 0},
    {OPT_NO_AUDIO, offsetof(yt_options_t, audio), 0},
    {OPT_RECV_ONLY, offsetof(yt_options_t, video), 0},
    {OPT_RECV_ONLY, offsetof(yt_options_t, audio), 0},
    {OPT_LOAD, offsetof(yt_options_t, load), 1},
    {OPT_TEST_BAD_FP, offsetof(yt_options_t, test_bad_fingerprint), 1},
    {OPT_TEST_ICE_RESTART, offsetof(yt_options_t, test_ice_restart), 1},
};

static int set_option(yt_options_t *o, int opt, const char *arg)
{
    int rc = set_number(o, opt, arg), found = 0;
    if (rc >= 0)
        return rc;
    for (size_t i = 0; i < sizeof str_opts / sizeof str_opts[0]; i++)
        if (str_opts[i].opt == opt) {
            *(const char **)((char *)o + str_opts[i].off) = arg;
            return 0;
        }
    for (size_t i = 0; i < sizeof flag_opts / sizeof flag_opts[0]; i++)
        if (flag_opts[i].opt == opt) {
            *(int *)((char *)o + flag_opts[i].off) = flag_opts[i].value;
            found = 1;
        }
    if (found)
        return 0;
    if (opt == OPT_JANUS_URL) {
        o->target = "janus";
        o->server = arg;
        return 0;
    }
    if (opt == OPT_RAMP) {
        char *end;
        o->ramp = strtod(arg, &end);
        if (!*arg || *end || !(o->ramp >= 0.1 && o->ramp <= 1000))
            return bad("--ramp wants participants per second from 0.1 to 1000, not '%s'", arg);
        return 0;
    }
    return YT_EXIT_USAGE;
}

/* The signaling backends (backend.h), by --target name. */
static const struct {
    const char *name;
    const yt_backend_ops_t *ops;
} targets[] = {
    {"yunhui", &yt_backend_yunhui},
    {"janus", &yt_backend_janus},
};

static int check(yt_options_t *o)
{
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (!strcmp(o->target, targets[i].name))
            o->backend = targets[i].ops;
    if (!o->backend)
        return bad("--target wants yunhui or janus, not '%s'", o->target);
    if (o->load) {
        if (o->publishers + o->subscribers < 1 ||
            o->publishers + o->subscribers > YT_MAX_PARTICIPANTS)
            return bad("load mode wants 1 to 5000 participants in all%s", "");
        if (strlen(o->meeting_prefix) + 4 > 20)
            return bad("--meeting-prefix '%s' is too long", o->meeting_prefix);
        if (o->duration_s < 0)
            o->duration_s = 10;
        if (o->duration_s == 0)
            return bad("load mode wants a --duration of 1 s or more%s", "");
        return 0;
    }
    if (!o->meeting || !o->meeting[0])
        return bad("--meeting is required in single mode%s", "");
    if (o->duration_s < 0)
        o->duration_s = 0;
    return 0;
}

int main(int argc, char **argv)
{
    yt_options_t o;
    int opt;
    defaults(&o);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt == OPT_HELP) {
            fputs(usage, stdout);
            return YT_EXIT_OK;
        }
        if (opt == OPT_VERSION) {
            printf("yunhui-term %s\n", VERSION);
            return YT_EXIT_OK;
        }
        if (opt == '?')
            return bad("unknown option or missing value: %s", argv[optind - 1]);
        int rc = set_option(&o, opt, optarg);
        if (rc)
            return rc;
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    int rc = check(&o);
    if (rc)
        return rc;
    yh_log_set_level(o.verbose ? YH_LOG_DEBUG : YH_LOG_ERROR);
    return o.load ? yt_load_run(&o) : yt_single_run(&o);
}
