#include "bwe/acked.h"

#include <string.h>

#define WINDOW_US 300000 /* long enough to hold ~9 video frames */
#define STALE_US 5000000 /* a gap this long (or a clock jump) restarts the measurement */

void yh_bwe_acked_init(yh_bwe_acked_t *a)
{
    memset(a, 0, sizeof(*a));
}

static void keep_recent(yh_bwe_acked_t *a, int64_t arrival_us, uint32_t size, int64_t queue_us)
{
    a->recent[a->head].arrival_us = arrival_us;
    a->recent[a->head].size = size;
    a->recent[a->head].queue_us = queue_us < 0           ? 0
                                  : queue_us > INT32_MAX ? INT32_MAX
                                                         : (int32_t)queue_us;
    a->head = (a->head + 1) % YH_BWE_ACKED_RECENT;
    if (a->n_recent < YH_BWE_ACKED_RECENT)
        a->n_recent++;
}

void yh_bwe_acked_add(yh_bwe_acked_t *a, int64_t arrival_us, uint32_t size, int64_t queue_us)
{
    keep_recent(a, arrival_us, size, queue_us);
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

int yh_bwe_acked_recent(const yh_bwe_acked_t *a, int64_t span_us, unsigned min_packets,
                        int64_t queued_us, yh_bwe_recent_t *out)
{
    if (!a->n_recent)
        return -1;
    unsigned last = (a->head + YH_BWE_ACKED_RECENT - 1) % YH_BWE_ACKED_RECENT;
    if (a->recent[last].queue_us < queued_us)
        return -1;
    int64_t newest = a->recent[last].arrival_us, oldest = newest;
    int64_t oldest_queue = a->recent[last].queue_us;
    uint64_t bytes = 0; /* all but the oldest packet's: it opens the span */
    unsigned n = 1;
    for (unsigned k = 1; k < a->n_recent; k++) {
        unsigned i = (last + YH_BWE_ACKED_RECENT - k) % YH_BWE_ACKED_RECENT;
        int64_t t = a->recent[i].arrival_us;
        if (t > newest || newest - t > span_us || a->recent[i].queue_us < queued_us)
            break; /* out of the span, before the queue, or a receiver clock jump */
        bytes += a->recent[(i + 1) % YH_BWE_ACKED_RECENT].size;
        oldest = t;
        oldest_queue = a->recent[i].queue_us;
        n++;
    }
    if (n < min_packets || (newest - oldest) * 4 < span_us)
        return -1;
    out->span_us = newest - oldest;
    out->bps = bytes * 8 * 1000000 / (uint64_t)out->span_us;
    out->growth_us = a->recent[last].queue_us - oldest_queue;
    return 0;
}
