/*
 * An Opus receiver (RFC 7587: one Opus packet per RTP packet, 48 kHz RTP
 * clock). Packets are decoded as they arrive; there is no jitter buffer, as
 * a load-testing terminal plays nothing out. A gap in sequence numbers is
 * concealed the way a receiver would: the frame just before the packet
 * that ended the gap is rebuilt from that packet's in-band FEC (LBRR, RFC
 * 6716 2.1.7; libopus falls back to PLC when the packet carries none), the
 * earlier ones by packet-loss concealment. Concealment is counted in
 * concealed_ms; frames_decoded counts frames decoded from packets that
 * arrived, not concealed ones. A packet from behind (late, after its frame
 * was concealed) is counted in the RTP figures and otherwise ignored.
 */
#include <stdlib.h>

#include <opus/opus.h>

#include "base/bytes.h"
#include "base/err.h"
#include "media/media.h"
#include "media/rxstats.h"
#include "rtp/rtp.h"

#define RATE 48000
#define CHANNELS 2
#define MAX_FRAME_SAMPLES 5760 /* 120 ms, Opus's longest packet */
#define DEFAULT_FRAME 960
#define MAX_CONCEAL 50         /* frames (1 s at 20 ms); a longer gap is a restart */
#define MAX_LATE 3000

struct yt_audio_sink {
    OpusDecoder *dec;
    yt_rxstats_t st;
    int started;
    uint16_t expected;
    int frame_samples; /* of the last decoded packet: the size of a missing one */
    int16_t pcm[MAX_FRAME_SAMPLES * CHANNELS];
};

int yt_audio_sink_create(yt_audio_sink_t **out)
{
    int err = 0;
    yt_audio_sink_t *a = calloc(1, sizeof(*a));
    *out = NULL;
    if (!a)
        return YH_ENOMEM;
    a->dec = opus_decoder_create(RATE, CHANNELS, &err);
    if (!a->dec || err != OPUS_OK) {
        yt_audio_sink_destroy(a);
        return YH_EUNSUPPORTED;
    }
    a->frame_samples = DEFAULT_FRAME;
    yt_rxstats_init(&a->st, RATE);
    *out = a;
    return 0;
}

void yt_audio_sink_destroy(yt_audio_sink_t *a)
{
    if (!a)
        return;
    if (a->dec)
        opus_decoder_destroy(a->dec);
    free(a);
}

/* Conceals `missing` frames before `p`: PLC for all but the last, FEC from
 * `p` (when there is one) for the last. */
static void conceal(yt_audio_sink_t *a, int missing, const uint8_t *p, size_t len)
{
    for (int i = 0; i < missing; i++) {
        int last = i == missing - 1 && p != NULL;
        int n = opus_decode(a->dec, last ? p : NULL, last ? (opus_int32)len : 0, a->pcm,
                            a->frame_samples, last);
        if (n > 0)
            a->st.concealed_samples += (uint64_t)n;
    }
}

void yt_audio_sink_push(yt_audio_sink_t *a, const uint8_t *pkt, size_t len, uint64_t arrival_us,
                        uint64_t capture_us)
{
    yh_rtp_hdr_t h;
    if (yh_rtp_parse(pkt, len, &h) < 0)
        return;
    yt_rxstats_packet(&a->st, h.seq, h.ts, h.payload_len, arrival_us);
    if (!a->started) {
        a->started = 1;
        a->expected = h.seq;
    }
    int d = yh_seq_diff(h.seq, a->expected);
    if (d < 0 && d >= -MAX_LATE)
        return;
    const uint8_t *p = pkt + h.payload_off;
    if (d > 0 && d <= MAX_CONCEAL)
        conceal(a, d, h.payload_len ? p : NULL, h.payload_len);
    else if (d != 0)
        opus_decoder_ctl(a->dec, OPUS_RESET_STATE); /* a restart: nothing to conceal */
    a->expected = (uint16_t)(h.seq + 1);
    if (h.payload_len == 0)
        return; /* padding: no frame */
    int n = opus_decode(a->dec, p, (opus_int32)h.payload_len, a->pcm, MAX_FRAME_SAMPLES, 0);
    if (n < 0) {
        a->st.frames_dropped++;
        return;
    }
    a->frame_samples = n;
    yt_rxstats_frame(&a->st, arrival_us, capture_us, 0);
}

void yt_audio_sink_stats(yt_audio_sink_t *a, uint64_t now_us, yt_rx_stats_t *out)
{
    yt_rxstats_fill(&a->st, now_us, out);
}
