#include "rtp/nackgen.h"

#include <string.h>

#include "base/bytes.h"
#include "base/err.h"

void yh_nackgen_init(yh_nackgen_t *g)
{
    memset(g, 0, sizeof *g);
}

static void drop_at(yh_nackgen_t *g, size_t i)
{
    memmove(&g->items[i], &g->items[i + 1], (g->n - i - 1) * sizeof g->items[0]);
    g->n--;
}

static void add_missing(yh_nackgen_t *g, uint16_t seq, uint64_t now_us)
{
    if (g->n == YH_NACKGEN_MAX)
        drop_at(g, 0); /* the oldest is the least likely to be useful */
    g->items[g->n++] = (yh_nackgen_item_t){.seq = seq, .first_us = now_us};
}

int yh_nackgen_on_packet(yh_nackgen_t *g, uint16_t seq, uint64_t now_us)
{
    if (!g->started) {
        g->started = 1;
        g->max_seq = seq;
        return 0;
    }
    int diff = yh_seq_diff(seq, g->max_seq);
    if (diff > 0) {
        if (diff > YH_NACKGEN_MAX_JUMP) {
            g->n = 0; /* the sender restarted or jumped: nothing to recover */
        } else {
            for (uint16_t s = (uint16_t)(g->max_seq + 1); s != seq; s++)
                add_missing(g, s, now_us);
        }
        g->max_seq = seq;
        return 0;
    }
    for (size_t i = 0; i < g->n; i++) {
        if (g->items[i].seq == seq) {
            uint64_t ms = (now_us - g->items[i].first_us) / 100000u;
            g->recovered[ms < 4 ? ms : 4]++;
            drop_at(g, i);
            return 1;
        }
    }
    return 0;
}

int yh_nackgen_is_missing(const yh_nackgen_t *g, uint16_t seq)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->items[i].seq == seq)
            return 1;
    return 0;
}

int yh_nackgen_asked_at(const yh_nackgen_t *g, uint16_t seq, uint64_t *us)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->items[i].seq == seq && g->items[i].asked_us) {
            *us = g->items[i].asked_us;
            return 0;
        }
    return YH_ENOTFOUND;
}

size_t yh_nackgen_collect(yh_nackgen_t *g, uint64_t now_us, uint64_t retry_us, uint16_t *out,
                          size_t cap)
{
    size_t n = 0, i = 0;
    while (i < g->n) {
        yh_nackgen_item_t *it = &g->items[i];
        if (now_us - it->first_us > YH_NACKGEN_MAX_AGE_US || it->tries >= YH_NACKGEN_MAX_TRIES) {
            g->given_up++;
            drop_at(g, i);
            continue;
        }
        if (n < cap && (it->last_us == 0 || now_us - it->last_us >= retry_us)) {
            out[n++] = it->seq;
            if (!it->asked_us)
                it->asked_us = now_us;
            it->last_us = now_us;
            it->tries++;
        }
        i++;
    }
    return n;
}
