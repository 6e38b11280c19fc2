/*
 * Status line and the single-mode JSON report. Figures come from the
 * decoders (media/) where a stream is decoded, else from the RTP counter
 * every stream keeps (RFC 3550 A.3 loss, A.8 jitter).
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void yt_report_stream_stats(yt_stream_t *st, uint64_t now_us, yt_rx_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (st->video) {
        yt_video_sink_stats(st->video, now_us, out);
        return;
    }
    if (st->audio) {
        yt_audio_sink_stats(st->audio, now_us, out);
        return;
    }
    out->packets = st->count.packets;
    out->bytes = st->count.bytes;
    out->lost = yt_count_sink_lost(&st->count);
    out->jitter_ms = st->count.clock_rate ? st->count.jitter * 1000.0 / st->count.clock_rate : 0;
}

static double mean_kbps(const yt_stream_t *st, const yt_rx_stats_t *r, uint64_t now_us)
{
    if (!st->first_us || now_us <= st->first_us)
        return 0;
    return (double)r->bytes * 8.0 / ((double)(now_us - st->first_us) / 1000.0);
}

static double round1(double v)
{
    return isfinite(v) ? round(v * 10.0) / 10.0 : 0;
}

static json_t *stream_json(yt_stream_t *st, uint64_t now_us)
{
    yt_rx_stats_t r;
    yt_report_stream_stats(st, now_us, &r);
    json_t *j = json_object();
    json_object_set_new(j, "participant", json_string(st->participant));
    json_object_set_new(j, "track", json_string(st->track));
    json_object_set_new(j, "kind", json_string(st->kind == YT_KIND_VIDEO ? "video" : "audio"));
    json_object_set_new(j, "codec",
                        json_string(st->kind == YT_KIND_AUDIO ? "opus"
                                    : st->vp8                 ? "VP8"
                                                              : "H264"));
    json_object_set_new(j, "decoded", json_boolean(st->video || st->audio));
    json_object_set_new(j, "packets", json_integer((json_int_t)r.packets));
    json_object_set_new(j, "bytes", json_integer((json_int_t)r.bytes));
    json_object_set_new(j, "lost", json_integer((json_int_t)r.lost));
    json_object_set_new(j, "jitter_ms", json_real(round1(r.jitter_ms)));
    json_object_set_new(j, "bitrate_kbps", json_real(round1(r.bitrate_kbps)));
    json_object_set_new(j, "bitrate_kbps_mean", json_real(round1(mean_kbps(st, &r, now_us))));
    json_object_set_new(j, "fps", json_real(round1(r.fps)));
    json_object_set_new(j, "frames_decoded", json_integer((json_int_t)r.frames_decoded));
    json_object_set_new(j, "frames_dropped", json_integer((json_int_t)r.frames_dropped));
    json_object_set_new(j, "width", json_integer(r.width));
    json_object_set_new(j, "height", json_integer(r.height));
    json_object_set_new(j, "freezes", json_integer((json_int_t)r.freezes));
    json_object_set_new(j, "freeze_ms", json_integer((json_int_t)r.freeze_ms));
    json_object_set_new(j, "max_frame_gap_ms", json_integer((json_int_t)r.max_frame_gap_ms));
    json_object_set_new(j, "concealed_ms", json_integer((json_int_t)r.concealed_ms));
    json_object_set_new(j, "delay_ms_mean",
                        r.delay_samples ? json_real(round1(r.delay_ms_mean)) : json_null());
    json_object_set_new(j, "delay_ms_p99",
                        r.delay_samples ? json_real(round1(r.delay_ms_p99)) : json_null());
    json_object_set_new(j, "delay_samples", json_integer((json_int_t)r.delay_samples));
    json_object_set_new(j, "plis", json_integer((json_int_t)st->plis));
    json_object_set_new(j, "current", json_boolean(st->current));
    return j;
}

static json_t *sent_json(yt_session_t *s, const yt_options_t *o, const yt_sent_t *sent)
{
    json_t *j = json_object();
    yt_peer_t *pub = yt_session_pub_peer(s);
    json_object_set_new(j, "published", json_boolean(pub != NULL));
    json_object_set_new(j, "video",
                        json_pack("{s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:I}", "frames",
                                  (json_int_t)sent->video_frames, "keyframes",
                                  (json_int_t)sent->keyframes, "packets",
                                  (json_int_t)sent->video_packets, "bytes",
                                  (json_int_t)sent->video_bytes, "width", o->video ? o->width : 0,
                                  "height", o->video ? o->height : 0, "fps", o->video ? o->fps : 0,
                                  "keyframe_requests", (json_int_t)sent->keyframe_requests));
    json_object_set_new(j, "audio",
                        json_pack("{s:I, s:I, s:I}", "frames", (json_int_t)sent->audio_frames,
                                  "packets", (json_int_t)sent->audio_packets, "bytes",
                                  (json_int_t)sent->audio_bytes));
    return j;
}

json_t *yt_report_single(yt_session_t *s, const yt_options_t *o, const yt_sent_t *sent,
                         double duration_s, uint64_t now_us)
{
    json_t *streams = json_array();
    for (size_t i = 0; i < yt_session_stream_count(s); i++)
        json_array_append_new(streams, stream_json(yt_session_stream(s, i), now_us));
    json_t *j = json_object();
    json_object_set_new(j, "mode", json_string("single"));
    json_object_set_new(j, "self", json_string(yt_session_self_id(s)));
    json_object_set_new(j, "meeting", json_string(o->meeting));
    json_object_set_new(j, "duration_s", json_real(round1(duration_s)));
    json_object_set_new(j, "sent", sent_json(s, o, sent));
    json_object_set_new(j, "streams", streams);
    return j;
}

/* "p2 v 640x480 29.8fps 980k lost 0 45ms" for one current stream. */
static size_t stream_brief(yt_stream_t *st, uint64_t now_us, char *buf, size_t cap)
{
    yt_rx_stats_t r;
    char delay[24] = "";
    yt_report_stream_stats(st, now_us, &r);
    if (r.delay_samples)
        snprintf(delay, sizeof delay, " %.0fms", r.delay_ms_mean);
    int n;
    if (st->kind == YT_KIND_VIDEO)
        n = snprintf(buf, cap, " | %s v %dx%d %.0ffps %.0fk lost %lld%s", st->participant, r.width,
                     r.height, r.fps, r.bitrate_kbps, (long long)r.lost, delay);
    else
        n = snprintf(buf, cap, " | %s a %.0fk lost %lld%s", st->participant, r.bitrate_kbps,
                     (long long)r.lost, delay);
    return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

static const char *peer_word(yt_peer_t *p)
{
    static const char *const words[] = {"new", "ice", "dtls", "up", "failed"};
    return p ? words[yt_peer_state(p)] : "-";
}

void yt_report_status(yt_session_t *s, const yt_options_t *o, const yt_sent_t *sent,
                      double elapsed_s, uint64_t now_us, char *buf, size_t cap)
{
    size_t len = 0;
    int n =
        snprintf(buf, cap, "%5.0fs %s %s pub %s sub %s | sent v %llu a %llu", elapsed_s, o->meeting,
                 yt_session_joined(s) ? yt_session_self_id(s) : "joining",
                 peer_word(yt_session_pub_peer(s)), peer_word(yt_session_sub_peer(s)),
                 (unsigned long long)sent->video_frames, (unsigned long long)sent->audio_frames);
    len = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
    for (size_t i = 0; i < yt_session_stream_count(s) && len + 1 < cap; i++) {
        yt_stream_t *st = yt_session_stream(s, i);
        if (st->current)
            len += stream_brief(st, now_us, buf + len, cap - len);
    }
}

void yt_report_status_print(const char *line, int tty)
{
    if (tty)
        fprintf(stderr, "\r%s\033[K", line);
    else
        fprintf(stderr, "%s\n", line);
    fflush(stderr);
}
