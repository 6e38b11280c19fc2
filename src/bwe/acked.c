#include "bwe/acked.h"

#include <string.h>

#define WINDOW_US 300000 /* long enough to hold ~9 video frames */
#define STALE_US 5000000 /* a gap this long (or a clock jump) restarts the measurement */

void yh_bwe_acked_init(yh_bwe_acked_t *a)
{
    memset(a, 0, sizeof(*a));
}

void yh_bwe_acked_add(yh_bwe_acked_t *a, int64_t arrival_us, uint32_t size)
{
    if (a->started && arrival_us < a->win_start_us && a->win_start_us - arrival_us <= STALE_US) {
        /* Reordered feedback: the bytes arrived recently, count them. */
        a->win_bytes += size;
        return;
    }
    if (!a->started || arrival_us < a->win_start_us || arrival_us - a->win_start_us > STALE_US) {
        /* First packet, or a receiver clock jump: start a fresh window
         * rather than divide by nonsense. */
        a->started = 1;
        a->win_start_us = arrival_us;
        a->win_bytes = size;
        return;
    }
    int64_t span = arrival_us - a->win_start_us;
    if (span >= WINDOW_US) {
        uint64_t rate = a->win_bytes * 8 * 1000000 / (uint64_t)span;
        /* Half old, half new: one window of cross traffic or a probe burst
         * moves it, but not all the way. */
        a->bps = a->bps ? (a->bps + rate) / 2 : rate;
        a->win_start_us = arrival_us;
        a->win_bytes = 0;
    }
    a->win_bytes += size;
}

uint64_t yh_bwe_acked_bps(const yh_bwe_acked_t *a)
{
    return a->bps;
}
