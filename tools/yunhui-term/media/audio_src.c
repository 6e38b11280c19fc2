/*
 * The terminal's microphone: Opus (RFC 6716) at 48 kHz stereo in 20 ms
 * frames of a speech-like signal, a 440 Hz tone with its octave whose
 * loudness swings at 4 Hz, about the syllable rate of speech. Silence would
 * let the encoder shrink every frame to a few bytes and hide real costs.
 *
 * In-band FEC is on with a 10 % expected loss, as browsers send Opus
 * (RFC 7587 useinbandfec=1), so receivers can recover a lost frame from the
 * next packet.
 */
#include <math.h>
#include <stdlib.h>

#include <opus/opus.h>

#include "base/err.h"
#include "media/media.h"

#define RATE 48000
#define CHANNELS 2
#define FRAME 960          /* 20 ms */
#define MAX_PACKET 1500    /* above Opus's 1275-byte maximum per frame */
#define TONE_HZ 440.0
#define SYLLABLE_HZ 4.0

struct yt_audio_src {
    OpusEncoder *enc;
    uint64_t sample;          /* samples generated so far */
    int16_t pcm[FRAME * CHANNELS];
    uint8_t out[MAX_PACKET];
};

int yt_audio_src_create(int bitrate_bps, yt_audio_src_t **out)
{
    int rc = YH_EINVAL, err = 0;
    yt_audio_src_t *s = NULL;
    *out = NULL;
    if (bitrate_bps < 6000 || bitrate_bps > 510000)
        goto fail;
    rc = YH_ENOMEM;
    if (!(s = calloc(1, sizeof(*s))))
        goto fail;
    rc = YH_EUNSUPPORTED;
    if (!(s->enc = opus_encoder_create(RATE, CHANNELS, OPUS_APPLICATION_VOIP, &err)) ||
        err != OPUS_OK)
        goto fail;
    if (opus_encoder_ctl(s->enc, OPUS_SET_BITRATE(bitrate_bps)) != OPUS_OK ||
        opus_encoder_ctl(s->enc, OPUS_SET_INBAND_FEC(1)) != OPUS_OK ||
        opus_encoder_ctl(s->enc, OPUS_SET_PACKET_LOSS_PERC(10)) != OPUS_OK)
        goto fail;
    *out = s;
    return 0;
fail:
    yt_audio_src_destroy(s);
    return rc;
}

void yt_audio_src_destroy(yt_audio_src_t *s)
{
    if (!s)
        return;
    if (s->enc)
        opus_encoder_destroy(s->enc);
    free(s);
}

/* Phases are taken modulo one period from the sample counter, so the
 * signal stays exact however long the terminal runs. */
static void synth(yt_audio_src_t *s)
{
    const double two_pi = 6.283185307179586;
    for (int i = 0; i < FRAME; i++, s->sample++) {
        uint64_t n = s->sample;
        double tone = (double)(n % (RATE * 10u)) * TONE_HZ / RATE; /* 440 Hz: whole in 10 s */
        double env = (double)(n % (RATE / 4u)) * SYLLABLE_HZ / RATE;
        double a = 0.55 - 0.45 * cos(two_pi * env);
        double v = a * (0.7 * sin(two_pi * tone) + 0.2 * sin(2.0 * two_pi * tone));
        int16_t x = (int16_t)lrint(v * 12000.0);
        s->pcm[2 * i] = x;
        s->pcm[2 * i + 1] = x;
    }
}

int yt_audio_src_next(yt_audio_src_t *s, const uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    synth(s);
    opus_int32 n = opus_encode(s->enc, s->pcm, FRAME, s->out, (opus_int32)sizeof(s->out));
    if (n < 0)
        return YH_EIO;
    *data = s->out;
    *len = (size_t)n;
    return 0;
}
