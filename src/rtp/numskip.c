/*
 * Continuous numbering with inputs left out (see numskip.h).
 *
 * For an input `in` at age i = max_in - in, its output is
 *     in + offset + (drops among the i inputs newer than it),
 * because every drop after it moved `offset` down by one. The drops of the
 * last `window` inputs are a bitmap indexed by age, shifted as max_in
 * advances, so a late packet costs a popcount and nothing is allocated.
 */
#include "rtp/numskip.h"

#include <string.h>

#include "base/err.h"

#define WORDS (YH_NUMSKIP_BITS / 64u)

static uint16_t dist(const yh_numskip_t *s, uint16_t a, uint16_t b)
{
    return (uint16_t)((a - b) & s->mask);
}

static uint16_t half(const yh_numskip_t *s)
{
    return (uint16_t)(((uint32_t)s->mask + 1u) / 2u);
}

void yh_numskip_init(yh_numskip_t *s, uint16_t mask)
{
    memset(s, 0, sizeof(*s));
    s->mask = mask < 0x7f ? 0x7f : mask;
    s->window = half(s) < YH_NUMSKIP_BITS ? half(s) : (uint16_t)YH_NUMSKIP_BITS;
}

void yh_numskip_start(yh_numskip_t *s, uint16_t in, uint16_t out)
{
    memset(s->drops, 0, sizeof(s->drops));
    memset(s->late, 0, sizeof(s->late));
    s->max_in = (uint16_t)((in - 1u) & s->mask);
    s->offset = dist(s, out, in);
    s->known = 0;
    s->started = 1;
}

/* Every age in `bits` grows by d. */
static void shift(uint64_t *bits, unsigned d)
{
    unsigned ws = d / 64u, bs = d % 64u;
    for (unsigned j = WORDS; j-- > 0;) {
        uint64_t v = 0;
        if (j >= ws) {
            v = bits[j - ws] << bs;
            if (bs && j > ws)
                v |= bits[j - ws - 1] >> (64u - bs);
        }
        bits[j] = v;
    }
}

/* max_in moves `d` inputs ahead. */
static void advance(yh_numskip_t *s, uint16_t d)
{
    s->max_in = (uint16_t)((s->max_in + d) & s->mask);
    s->known = (uint16_t)(s->known + d < s->window ? s->known + d : s->window);
    if (d >= s->window) {
        memset(s->drops, 0, sizeof(s->drops));
        memset(s->late, 0, sizeof(s->late));
        return;
    }
    shift(s->drops, d);
    shift(s->late, d);
}

static int bit(const uint64_t *bits, unsigned age)
{
    return (int)((bits[age / 64u] >> (age % 64u)) & 1u);
}

/* Drops among ages [0, age). */
static unsigned drops_before(const yh_numskip_t *s, unsigned age)
{
    unsigned n = 0, j = 0;
    for (; j < age / 64u; j++)
        n += (unsigned)__builtin_popcountll(s->drops[j]);
    if (age % 64u)
        n += (unsigned)__builtin_popcountll(s->drops[j] & ((1ull << (age % 64u)) - 1u));
    return n;
}

static int is_newer(const yh_numskip_t *s, uint16_t in)
{
    uint16_t d = dist(s, in, s->max_in);
    return d != 0 && d < half(s);
}

int yh_numskip_map(yh_numskip_t *s, uint16_t in, uint16_t *out)
{
    if (!s->started)
        return YH_ESTATE;
    in &= s->mask;
    if (is_newer(s, in)) {
        advance(s, dist(s, in, s->max_in));
        *out = (uint16_t)((in + s->offset) & s->mask);
        return 0;
    }
    unsigned age = dist(s, s->max_in, in);
    if (age >= s->known)
        return YH_ERANGE;
    if (bit(s->drops, age) || bit(s->late, age))
        return YH_ENOTFOUND;
    *out = (uint16_t)((in + s->offset + drops_before(s, age)) & s->mask);
    return 0;
}

int yh_numskip_drop(yh_numskip_t *s, uint16_t in)
{
    in &= s->mask;
    if (!s->started)
        return 0;
    if (!is_newer(s, in)) {
        unsigned age = dist(s, s->max_in, in);
        if (age < s->known)
            s->late[age / 64u] |= 1ull << (age % 64u);
        return 0;
    }
    advance(s, dist(s, in, s->max_in));
    s->drops[0] |= 1u;
    s->offset = (uint16_t)((s->offset - 1u) & s->mask);
    return 1;
}

/* The k-th input not dropped, counting back from max_in (k = 0 is the
 * newest), maps to max_in + offset - k: ages are walked a word at a time. */
int yh_numskip_unmap(const yh_numskip_t *s, uint16_t out, uint16_t *in)
{
    if (!s->started)
        return YH_ENOTFOUND;
    unsigned k = dist(s, (uint16_t)(s->max_in + s->offset), out);
    if (k >= half(s) || k >= s->known)
        return YH_ENOTFOUND;
    for (unsigned base = 0; base < s->known; base += 64u) {
        unsigned n = s->known - base < 64u ? s->known - base : 64u;
        uint64_t valid = n == 64u ? ~0ull : (1ull << n) - 1u;
        uint64_t kept = ~s->drops[base / 64u] & valid;
        unsigned c = (unsigned)__builtin_popcountll(kept);
        if (k >= c) {
            k -= c;
            continue;
        }
        for (unsigned b = 0; b < n; b++) {
            if (!((kept >> b) & 1u))
                continue;
            if (k-- == 0) {
                if (bit(s->late, base + b))
                    return YH_ENOTFOUND;
                *in = (uint16_t)((s->max_in - base - b) & s->mask);
                return 0;
            }
        }
    }
    return YH_ENOTFOUND;
}

uint16_t yh_numskip_next_out(const yh_numskip_t *s)
{
    return (uint16_t)((s->max_in + 1u + s->offset) & s->mask);
}
