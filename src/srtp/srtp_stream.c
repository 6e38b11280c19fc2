/*
 * Per-SSRC state of an SRTP session: a bounded table of streams sorted by
 * SSRC, the packet index estimate (RFC 3711 3.3.1) and the replay windows
 * (RFC 3711 3.3.2). Nothing here allocates except inserting a new SSRC.
 */
#include "srtp/srtp_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

#define FIRST_CAP 4

static yh_srtp_slot_t *slot_at(const yh_srtp_table_t *t, size_t i)
{
    return (yh_srtp_slot_t *)(void *)(t->items + i * t->item_size);
}

void yh_srtp_table_init(yh_srtp_table_t *t, size_t item_size)
{
    memset(t, 0, sizeof *t);
    t->item_size = item_size;
}

void yh_srtp_table_free(yh_srtp_table_t *t)
{
    free(t->items);
    yh_srtp_table_init(t, t->item_size);
}

/* Binary search: 1 and the position of `ssrc`, or 0 and where it would go. */
static int search(const yh_srtp_table_t *t, uint32_t ssrc, size_t *at)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (slot_at(t, mid)->ssrc < ssrc)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return lo < t->n && slot_at(t, lo)->ssrc == ssrc;
}

void *yh_srtp_table_find(yh_srtp_table_t *t, uint32_t ssrc)
{
    size_t i = t->last;
    /* Packets come in runs of one SSRC (a video frame), so the last hit
     * usually answers without the search. */
    if (i >= t->n || slot_at(t, i)->ssrc != ssrc) {
        if (!search(t, ssrc, &i))
            return NULL;
        t->last = i;
    }
    yh_srtp_slot_t *s = slot_at(t, i);
    s->used = ++t->clock;
    return s;
}

/* The table is full: forget the stream unused for longest. A peer that
 * cycles through more SSRCs than YH_SRTP_MAX_STREAMS (browsers use a few per
 * media section) loses the oldest one's state: inbound its replay window
 * (its old packets would be accepted once more), outbound its ROC (rebuilt
 * from the next sequence number as if it were 0). Bounded memory per peer
 * matters more; and inbound streams are only added for packets that
 * authenticated, so only a holder of the keys can make us evict. */
static void evict_lru(yh_srtp_table_t *t)
{
    size_t victim = 0;
    uint32_t oldest = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t age = t->clock - slot_at(t, i)->used; /* wraps like the clock */
        if (age >= oldest) {
            oldest = age;
            victim = i;
        }
    }
    memmove(t->items + victim * t->item_size, t->items + (victim + 1) * t->item_size,
            (t->n - victim - 1) * t->item_size);
    t->n--;
}

static int grow(yh_srtp_table_t *t)
{
    size_t cap = t->cap ? t->cap * 2 : FIRST_CAP;
    if (cap > YH_SRTP_MAX_STREAMS)
        cap = YH_SRTP_MAX_STREAMS;
    uint8_t *items = realloc(t->items, cap * t->item_size);
    if (!items)
        return YH_ENOMEM;
    t->items = items;
    t->cap = cap;
    return 0;
}

int yh_srtp_table_insert(yh_srtp_table_t *t, const void *item)
{
    const yh_srtp_slot_t *in = item;
    size_t at;
    if (search(t, in->ssrc, &at))
        return YH_EEXISTS;
    if (t->n == YH_SRTP_MAX_STREAMS) {
        evict_lru(t);
        search(t, in->ssrc, &at);
    } else if (t->n == t->cap) {
        int rc = grow(t);
        if (rc < 0)
            return rc;
    }
    memmove(t->items + (at + 1) * t->item_size, t->items + at * t->item_size,
            (t->n - at) * t->item_size);
    memcpy(t->items + at * t->item_size, item, t->item_size);
    slot_at(t, at)->used = ++t->clock;
    t->n++;
    t->last = at;
    return 0;
}

int64_t yh_srtp_index_guess(uint64_t top, uint16_t seq)
{
    /* Appendix A, literally: v is ROC - 1, ROC or ROC + 1, whichever puts
     * the index nearest s_l. */
    const int32_t half = 32768;
    int64_t roc = (int64_t)(top >> 16);
    int32_t s_l = (int32_t)(top & 0xffff), s = seq;
    int64_t v = roc;
    if (s_l < half) {
        if (s - s_l > half)
            v = roc - 1;
    } else if (s_l - half > s) {
        v = roc + 1;
    }
    if (v < 0 || v > (int64_t)UINT32_MAX)
        return -1; /* before the first packet, or past the 48-bit index */
    return v << 16 | s;
}

/* Bit i of a window stands for index top - i. */
static int window_check(int has, uint64_t top, const uint64_t *w, uint64_t size, uint64_t idx)
{
    if (!has || idx > top)
        return 0;
    uint64_t d = top - idx;
    if (d >= size)
        return YH_EINTEGRITY; /* older than the window: RFC 3711 3.3.2 drops it */
    return (w[d / 64] >> (d % 64)) & 1 ? YH_EINTEGRITY : 0;
}

/* Moves every bit d places up (older), dropping what falls off. */
static void window_shift(uint64_t *w, size_t words, uint64_t d)
{
    if (d >= words * 64) {
        memset(w, 0, words * sizeof *w);
        return;
    }
    size_t ws = (size_t)(d / 64);
    unsigned bs = (unsigned)(d % 64);
    for (size_t i = words; i-- > 0;) {
        uint64_t v = i >= ws ? w[i - ws] << bs : 0;
        if (bs && i >= ws + 1)
            v |= w[i - ws - 1] >> (64 - bs);
        w[i] = v;
    }
}

static void window_mark(uint8_t *has, uint64_t *top, uint64_t *w, size_t words, uint64_t idx)
{
    if (!*has) {
        memset(w, 0, words * sizeof *w);
        *top = idx;
        *has = 1;
    } else if (idx > *top) {
        window_shift(w, words, idx - *top);
        *top = idx;
    }
    uint64_t d = *top - idx;
    w[d / 64] |= (uint64_t)1 << (d % 64);
}

int yh_srtp_rtp_replay_check(const yh_srtp_in_stream_t *st, uint64_t idx)
{
    return window_check(st->has_rtp, st->rtp_top, st->rtp_win, YH_SRTP_RTP_WINDOW, idx);
}

void yh_srtp_rtp_replay_mark(yh_srtp_in_stream_t *st, uint64_t idx)
{
    window_mark(&st->has_rtp, &st->rtp_top, st->rtp_win, YH_SRTP_RTP_WINDOW / 64, idx);
}

int yh_srtp_rtcp_replay_check(const yh_srtp_in_stream_t *st, uint32_t idx)
{
    return window_check(st->has_rtcp, st->rtcp_top, st->rtcp_win, YH_SRTP_RTCP_WINDOW, idx);
}

void yh_srtp_rtcp_replay_mark(yh_srtp_in_stream_t *st, uint32_t idx)
{
    uint64_t top = st->rtcp_top;
    window_mark(&st->has_rtcp, &top, st->rtcp_win, YH_SRTP_RTCP_WINDOW / 64, idx);
    st->rtcp_top = (uint32_t)top;
}
