/*
 * The minimum of samples over a sliding time window, kept in two fixed
 * halves (the current window and the one before it), so it costs two
 * words and never allocates. A round trip measured from requests that can
 * be lost or answered late only ever errs long; the window's minimum is the
 * round trip, and a path that became slower shows within two windows.
 */
#ifndef YH_BASE_MINWIN_H
#define YH_BASE_MINWIN_H

#include <stdint.h>

typedef struct yh_minwin {
    uint64_t cur, prev; /* minima of the current and the previous window; 0: none */
    uint64_t start_us;  /* when the current window began */
    int started;
} yh_minwin_t;

/* Adds a sample (nonzero) taken at `now_us`; windows last `window_us`. */
static inline void yh_minwin_add(yh_minwin_t *m, uint64_t v, uint64_t now_us, uint64_t window_us)
{
    if (!v)
        return;
    if (!m->started || now_us - m->start_us >= window_us) {
        /* A window with no samples in between leaves nothing behind. */
        m->prev = m->started && now_us - m->start_us < 2 * window_us ? m->cur : 0;
        m->cur = v;
        m->start_us = now_us;
        m->started = 1;
    } else if (v < m->cur) {
        m->cur = v;
    }
}

/* The minimum over the last one to two windows, or 0 when there is none. */
static inline uint64_t yh_minwin_get(const yh_minwin_t *m)
{
    return m->prev && m->prev < m->cur ? m->prev : m->cur;
}

#endif
