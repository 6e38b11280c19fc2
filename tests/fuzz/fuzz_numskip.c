/*
 * libFuzzer target: the continuous numbering (rtp/numskip.h) driven by a
 * script. The first byte picks the space (16-bit sequence numbers, 15- or
 * 7-bit picture ids); then each operation is one byte (low two bits: start,
 * map, drop, unmap) and a 16-bit value, start taking a second one.
 *
 * Checked after every step: outputs stay in the space; an input maps to
 * the same result (number, or dropped) every time while it is remembered,
 * until the next start; unmap(map(x)) == x and map(unmap(y)) == y; a new
 * input takes the next number (plus the inputs it skipped); a drop that
 * returns 0 only marks the input (it maps no more), and a map of an old
 * input changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "rtp/numskip.h"

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

/* The last result of map() per input, valid while gen matches and the
 * input is younger than the window. */
typedef struct {
    uint32_t gen;
    int rc;
    uint16_t out;
    uint64_t age_at; /* age when recorded minus the advance so far */
} rec_t;

static rec_t recs[65536];
static uint32_t gen;

static uint16_t dist(uint16_t mask, uint16_t a, uint16_t b)
{
    return (uint16_t)((a - b) & mask);
}

static void do_map(yh_numskip_t *s, uint16_t v, uint64_t *adv)
{
    yh_numskip_t before;
    memcpy(&before, s, sizeof(*s));
    uint16_t in = v & s->mask, out = 0, back;
    int rc = yh_numskip_map(s, in, &out);
    if (!before.started) {
        CHECK(rc == YH_ESTATE);
        return;
    }
    CHECK(rc == 0 || rc == YH_ENOTFOUND || rc == YH_ERANGE);
    uint16_t d = dist(s->mask, s->max_in, before.max_in);
    if (d == 0) { /* an old input: nothing moves */
        CHECK(memcmp(&before, s, sizeof(*s)) == 0);
    } else {
        CHECK(rc == 0 && s->max_in == in);
        CHECK(out == ((yh_numskip_next_out(&before) + d - 1u) & s->mask));
        CHECK(yh_numskip_next_out(s) == ((out + 1u) & s->mask));
        *adv += d;
    }
    if (rc == YH_ERANGE)
        return;
    rec_t *r = &recs[in];
    uint64_t age = dist(s->mask, s->max_in, in);
    if (r->gen == gen && age < s->window && r->age_at + *adv == age) {
        CHECK(rc == r->rc);
        CHECK(rc != 0 || out == r->out);
    }
    r->gen = gen;
    r->rc = rc;
    r->out = out;
    r->age_at = age - *adv;
    if (rc != 0)
        return;
    CHECK(out <= s->mask);
    CHECK(yh_numskip_unmap(s, out, &back) == 0 && back == in);
}

static void do_drop(yh_numskip_t *s, uint16_t v, uint64_t *adv)
{
    yh_numskip_t before;
    memcpy(&before, s, sizeof(*s));
    int rc = yh_numskip_drop(s, v);
    CHECK(rc == 0 || rc == 1);
    if (rc == 0) {
        /* Nothing but the late mark moves: a remembered input maps no
         * more, and its number stays a gap. */
        CHECK(before.max_in == s->max_in && before.offset == s->offset &&
              before.known == s->known && memcmp(before.drops, s->drops, sizeof s->drops) == 0);
        uint16_t in = v & s->mask;
        if (s->started && dist(s->mask, s->max_in, in) < s->known) {
            recs[in].gen = 0;
            do_map(s, v, adv);
            CHECK(recs[in].rc == YH_ENOTFOUND);
        }
        return;
    }
    /* The inputs it skipped keep their numbers; it takes none. */
    uint16_t d = dist(s->mask, s->max_in, before.max_in);
    CHECK(s->max_in == (v & s->mask));
    CHECK(yh_numskip_next_out(s) == ((yh_numskip_next_out(&before) + d - 1u) & s->mask));
    *adv += d;
    do_map(s, v, adv); /* records it as dropped */
    CHECK(recs[v & s->mask].rc == YH_ENOTFOUND);
}

static void do_unmap(yh_numskip_t *s, uint16_t v)
{
    uint16_t in, out;
    if (yh_numskip_unmap(s, v, &in) != 0)
        return;
    CHECK(in <= s->mask);
    yh_numskip_t copy;
    memcpy(&copy, s, sizeof(copy));
    CHECK(yh_numskip_map(&copy, in, &out) == 0 && out == (v & s->mask));
    CHECK(memcmp(&copy, s, sizeof(copy)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t masks[] = {0xffff, 0x7fff, 0x7f};
    if (size < 1)
        return 0;
    yh_numskip_t s;
    uint64_t adv = 0;
    yh_numskip_init(&s, masks[data[0] % 3]);
    CHECK(s.mask == masks[data[0] % 3]);
    gen++;
    for (size_t i = 1; i + 3 <= size;) {
        uint8_t op = data[i] & 3;
        uint16_t v = (uint16_t)(data[i + 1] << 8 | data[i + 2]);
        i += 3;
        switch (op) {
        case 0:
            if (i + 2 > size)
                return 0;
            yh_numskip_start(&s, v, (uint16_t)(data[i] << 8 | data[i + 1]));
            i += 2;
            gen++;
            CHECK(yh_numskip_next_out(&s) == ((data[i - 2] << 8 | data[i - 1]) & s.mask));
            break;
        case 1:
            do_map(&s, v, &adv);
            break;
        case 2:
            do_drop(&s, v, &adv);
            break;
        default:
            do_unmap(&s, v);
            break;
        }
        CHECK(yh_numskip_next_out(&s) <= s.mask);
    }
    return 0;
}
