/*
 * Active speaker detection from RFC 6464 client-to-mixer audio levels, as
 * the media plane reports them (sfu.h: per audio track every 200 ms, mean
 * level in -dBov and the share of packets flagged as voice).
 *
 * Pure: samples and the time go in, a list of participant numbers comes
 * out when a `active-speaker` event is due. Per participant:
 *   score   = (127 - level) * voice / 100   (dB above -127 dBov, weighted by
 *             the voice share, so steady noise the client's VAD rejects
 *             does not count)
 *   ema    += 0.35 * (score - ema)          (each report; absent tracks
 *             count as silence)
 *   speaking: ema rises to 72 (-55 dBov) and stays so until it falls
 *             below 62 (hysteresis, no flapping at the threshold).
 * The top speaker changes only when another participant has been clearly
 * louder (6 dB above the top's ema, or the top has stopped speaking) for a
 * whole second. The list is the top speaker first (kept while silent,
 * until someone else takes over), then the others speaking, loudest
 * first. An event is due when the list changed and the last one went out
 * at least 500 ms ago (at most 2 per second).
 */
#ifndef YH_MEETING_SPEAKER_H
#define YH_MEETING_SPEAKER_H

#include <stddef.h>
#include <stdint.h>

#define YH_SPEAKER_MAX 32     /* participants followed per meeting */
#define YH_SPEAKER_LIST_MAX 8 /* ids in an event */
#define YH_SPEAKER_ALPHA 0.35f
#define YH_SPEAKER_ON 72.0f
#define YH_SPEAKER_OFF 62.0f
#define YH_SPEAKER_MARGIN 6.0f
#define YH_SPEAKER_HOLD_US 1000000u
#define YH_SPEAKER_MIN_GAP_US 500000u

typedef struct yh_speaker_sample {
    uint32_t who;  /* participant number */
    uint8_t level; /* -dBov, 0 loudest, 127 silence */
    uint8_t voice; /* 0..100 % */
} yh_speaker_sample_t;

typedef struct yh_speaker_entry {
    uint32_t who;
    float ema;
    uint8_t speaking;
} yh_speaker_entry_t;

typedef struct yh_speaker {
    yh_speaker_entry_t e[YH_SPEAKER_MAX];
    size_t n;
    uint32_t top;        /* the dominant speaker, 0: none yet */
    uint32_t challenger; /* clearly louder than top since challenger_since */
    uint64_t challenger_since_us;
    uint32_t sent[YH_SPEAKER_LIST_MAX]; /* the last list sent */
    size_t n_sent;
    uint64_t last_event_us;
    uint8_t any_event; /* an event went out already */
} yh_speaker_t;

void yh_speaker_init(yh_speaker_t *sp);
/*
 * Feeds one report (`n` samples, a participant may appear more than once:
 * its loudest counts) at monotonic time `now_us`. Returns 1 when an event
 * is due, with the list in `out` (`*n_out` ids, at most
 * YH_SPEAKER_LIST_MAX); else 0.
 */
int yh_speaker_update(yh_speaker_t *sp, const yh_speaker_sample_t *s, size_t n, uint64_t now_us,
                      uint32_t out[YH_SPEAKER_LIST_MAX], size_t *n_out);
/* A participant left: it leaves the list with the next event. */
void yh_speaker_forget(yh_speaker_t *sp, uint32_t who);

#endif
