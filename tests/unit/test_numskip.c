/*
 * Continuous numbering with inputs left out (rtp/numskip.h): fixed cases, a
 * randomized reordered stream checked against a brute-force reference, the
 * 15- and 7-bit VP8 picture-id spaces, restarts, and the drop bitmap's word
 * boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/err.h"
#include "rtp/numskip.h"

/*
 * The reference numbering. Inputs are absolute indices a >= 0 counted from
 * the start (wire value in0 + a). Input a maps to out0 + a minus the inputs
 * before it that were dropped while newest; a drop of an older input changes
 * nothing. Kept in plain arrays, no bitmap and no wrap.
 */
typedef struct {
    uint16_t mask, in0, out0;
    long max;         /* newest index, -1 before any */
    long ndrop;       /* drops while newest */
    uint8_t *dropped; /* [a]: dropped while newest */
    uint8_t *late;    /* [a]: dropped after a newer one (a gap, maps no more) */
    long *pre;        /* [a]: drops while newest among indices < a (a <= max) */
} ref_t;

static void ref_init(ref_t *r, uint16_t mask, uint16_t in0, uint16_t out0, long cap)
{
    *r = (ref_t){mask, in0, out0, -1, 0, calloc((size_t)cap, 1), calloc((size_t)cap, 1),
                 calloc((size_t)cap, sizeof(long))};
    assert_non_null(r->dropped);
    assert_non_null(r->late);
    assert_non_null(r->pre);
}

static void ref_free(ref_t *r)
{
    free(r->dropped);
    free(r->late);
    free(r->pre);
}

static uint16_t ref_in(const ref_t *r, long a)
{
    return (uint16_t)((unsigned long)(r->in0 + a) & r->mask);
}

static uint16_t ref_out(const ref_t *r, long a)
{
    return (uint16_t)((unsigned long)(r->out0 + a - r->pre[a]) & r->mask);
}

static void ref_newest(ref_t *r, long a, int drop)
{
    for (long k = r->max + 1; k <= a; k++)
        r->pre[k] = r->ndrop;
    if (drop) {
        r->dropped[a] = 1;
        r->ndrop++;
    }
    r->max = a;
}

static long window_of(uint16_t mask)
{
    long half = ((long)mask + 1) / 2;
    return half < YH_NUMSKIP_BITS ? half : YH_NUMSKIP_BITS;
}

/* What map() must return for an index at or before max (negative: before
 * the start). */
static int ref_expect(const ref_t *r, long a)
{
    long known = r->max + 1 < window_of(r->mask) ? r->max + 1 : window_of(r->mask);
    if (a < 0 || r->max - a >= known)
        return YH_ERANGE;
    return r->dropped[a] || r->late[a] ? YH_ENOTFOUND : 0;
}

/* map() and unmap() of the input at `age` agree with the reference. */
static void check_age(yh_numskip_t *s, const ref_t *r, long age)
{
    long a = r->max - age;
    uint16_t in = ref_in(r, a), out = 0xdead, back = 0xbeef;
    int want = ref_expect(r, a);
    assert_int_equal(yh_numskip_map(s, in, &out), want);
    if (want != 0)
        return;
    assert_int_equal(out, ref_out(r, a));
    assert_int_equal(yh_numskip_unmap(s, out, &back), 0);
    assert_int_equal(back, in);
}

/* Every remembered input, a few beyond, the next output, and the outputs
 * just below the oldest remembered one. */
static void check_window(yh_numskip_t *s, const ref_t *r)
{
    long half = ((long)r->mask + 1) / 2, w = window_of(r->mask);
    long last = w + 3 < half ? w + 3 : half - 1, kept = 0;
    for (long age = 0; age <= last; age++) {
        check_age(s, r, age);
        long a = r->max - age;
        kept += ref_expect(r, a) == 0 || (ref_expect(r, a) == YH_ENOTFOUND && r->late[a]);
    }
    uint16_t next = (uint16_t)((unsigned long)(r->out0 + r->max + 1 - r->ndrop) & r->mask), in;
    assert_int_equal(yh_numskip_next_out(s), next);
    assert_int_equal(yh_numskip_unmap(s, next, &in), YH_ENOTFOUND);
    for (long k = kept; k < kept + 4 && k < half; k++)
        assert_int_equal(yh_numskip_unmap(s, (uint16_t)((next - 1 - k) & r->mask), &in),
                         YH_ENOTFOUND);
}

static void test_basic(void **state)
{
    (void)state;
    yh_numskip_t s;
    uint16_t out, in;
    yh_numskip_init(&s, 0xffff);
    assert_int_equal(yh_numskip_map(&s, 1000, &out), YH_ESTATE);
    assert_int_equal(yh_numskip_drop(&s, 1000), 0);
    assert_int_equal(yh_numskip_unmap(&s, 5, &in), YH_ENOTFOUND);
    yh_numskip_start(&s, 1000, 5);
    assert_int_equal(yh_numskip_next_out(&s), 5);
    for (uint16_t i = 0; i < 10; i++) {
        assert_int_equal(yh_numskip_map(&s, (uint16_t)(1000 + i), &out), 0);
        assert_int_equal(out, 5 + i);
    }
    assert_int_equal(yh_numskip_drop(&s, 1010), 1);
    assert_int_equal(yh_numskip_drop(&s, 1011), 1);
    assert_int_equal(yh_numskip_next_out(&s), 15);
    assert_int_equal(yh_numskip_map(&s, 1012, &out), 0);
    assert_int_equal(out, 15);
    assert_int_equal(yh_numskip_next_out(&s), 16);
    assert_int_equal(yh_numskip_unmap(&s, 15, &in), 0);
    assert_int_equal(in, 1012);
    assert_int_equal(yh_numskip_unmap(&s, 14, &in), 0);
    assert_int_equal(in, 1009);
    assert_int_equal(yh_numskip_unmap(&s, 5, &in), 0);
    assert_int_equal(in, 1000);
    assert_int_equal(yh_numskip_unmap(&s, 16, &in), YH_ENOTFOUND);
    assert_int_equal(yh_numskip_unmap(&s, 4, &in), YH_ENOTFOUND);
    assert_int_equal(yh_numskip_map(&s, 1010, &out), YH_ENOTFOUND);
    assert_int_equal(yh_numskip_map(&s, 1011, &out), YH_ENOTFOUND);
    assert_int_equal(yh_numskip_map(&s, 999, &out), YH_ERANGE);
    /* Resends map to their first numbers; a late drop leaves the rest,
     * and the late input maps no more. */
    assert_int_equal(yh_numskip_map(&s, 1003, &out), 0);
    assert_int_equal(out, 8);
    assert_int_equal(yh_numskip_drop(&s, 1004), 0);
    assert_int_equal(yh_numskip_map(&s, 1004, &out), YH_ENOTFOUND);
    assert_int_equal(yh_numskip_unmap(&s, 9, &in), YH_ENOTFOUND);
    assert_int_equal(yh_numskip_next_out(&s), 16);
    assert_int_equal(yh_numskip_map(&s, 1013, &out), 0);
    assert_int_equal(out, 16);
}

/* splitmix64: fixed seeds, the same run everywhere. */
static long rng_below(uint64_t *x, long n)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (long)((z ^ (z >> 31)) % (uint64_t)n);
}

typedef struct {
    long key, a;
} arrival_t;

static int arrival_cmp(const void *p, const void *q)
{
    const arrival_t *x = p, *y = q;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->a > y->a) - (x->a < y->a);
}

/*
 * A stream of n inputs in frames of 1-5 packets, a third of the frames
 * dropped; each packet arrives up to `delay` positions late, 1 in 40 again
 * up to `dup` positions later (a resend). Every arrival of a dropped frame's
 * packet calls drop(), every other calls map(); both are checked against the
 * reference, and the outputs seen in order must have gaps exactly where a
 * dropped packet came after a newer one.
 */
static void run_model(uint16_t mask, uint64_t seed, long n, long delay, long dup)
{
    yh_numskip_t s;
    ref_t r;
    uint64_t x = seed;
    uint16_t in0 = (uint16_t)(mask - 20), out0 = (uint16_t)rng_below(&x, (long)mask + 1);
    uint8_t *fwd = malloc((size_t)n), *late_drop = calloc((size_t)n, 1);
    long *got = malloc((size_t)n * sizeof(long));
    arrival_t *ev = malloc((size_t)n * 2 * sizeof(arrival_t));
    assert_true(fwd && late_drop && got && ev);
    for (long a = 0; a < n;) {
        long len = 1 + rng_below(&x, 5), f = rng_below(&x, 3) != 0;
        for (long k = 0; k < len && a < n; k++, a++)
            fwd[a] = (uint8_t)f;
    }
    long nev = 0;
    for (long a = 0; a < n; a++) {
        ev[nev].a = a;
        ev[nev].key = a + rng_below(&x, delay + 1);
        nev++;
        if (rng_below(&x, 40) == 0) {
            ev[nev].a = a;
            ev[nev].key = ev[nev - 1].key + 1 + rng_below(&x, dup);
            nev++;
        }
    }
    qsort(ev, (size_t)nev, sizeof(*ev), arrival_cmp);
    memset(got, 0xff, (size_t)n * sizeof(long));
    ref_init(&r, mask, in0, out0, n);
    yh_numskip_init(&s, mask);
    yh_numskip_start(&s, in0, out0);
    long late_drops = 0, resends_out_of_window = 0;
    for (long e = 0; e < nev; e++) {
        long a = ev[e].a;
        uint16_t in = ref_in(&r, a), out = 0, back;
        if (!fwd[a]) {
            yh_numskip_t before;
            memcpy(&before, &s, sizeof(s));
            int newest = a > r.max;
            assert_int_equal(yh_numskip_drop(&s, in), newest);
            if (newest) {
                ref_newest(&r, a, 1);
            } else {
                /* Its number stays a gap; only the late mark changes. */
                assert_int_equal(before.max_in, s.max_in);
                assert_int_equal(before.offset, s.offset);
                assert_memory_equal(before.drops, s.drops, sizeof(s.drops));
                if (!r.dropped[a] && !late_drop[a]) {
                    late_drop[a] = 1;
                    r.late[a] = 1;
                    late_drops++;
                }
            }
        } else {
            if (a > r.max)
                ref_newest(&r, a, 0);
            int want = ref_expect(&r, a);
            assert_int_equal(yh_numskip_map(&s, in, &out), want);
            if (want == YH_ERANGE) {
                resends_out_of_window++;
                continue;
            }
            assert_int_equal(want, 0);
            assert_int_equal(out, ref_out(&r, a));
            if (got[a] >= 0)
                assert_int_equal(out, got[a]); /* (a) resends keep their number */
            got[a] = out;
            assert_int_equal(yh_numskip_unmap(&s, out, &back), 0); /* (c) */
            assert_int_equal(back, in);
        }
        /* Any remembered input, (d) for drops, and just past the window
         * (at most half the space back, or it would be new). */
        if (rng_below(&x, 8) == 0)
            check_age(&s, &r, rng_below(&x, window_of(mask) + (mask == 0x7f ? 1 : 4)));
    }
    /* (b) In input order the outputs rise by one, plus one per late drop. */
    long prev = -1, gaps = 0;
    for (long a = 0; a < n; a++) {
        if (!fwd[a])
            continue;
        assert_true(got[a] >= 0);
        if (prev >= 0) {
            long late = 0;
            for (long k = prev + 1; k < a; k++)
                late += late_drop[k];
            assert_int_equal((got[a] - got[prev]) & mask, 1 + late);
            gaps += late;
        }
        prev = a;
    }
    assert_true(late_drops > 0 && gaps > 0 && gaps <= late_drops);
    assert_true(mask != 0xffff || resends_out_of_window > 0);
    check_window(&s, &r);
    ref_free(&r);
    free(fwd);
    free(late_drop);
    free(got);
    free(ev);
}

static void test_late_packets_model(void **state)
{
    (void)state;
    run_model(0xffff, 1, 200000, 30, 1200); /* wraps 3 times; some resends too old */
    run_model(0x7fff, 2, 70000, 30, 900);
    run_model(0x7f, 3, 20000, 8, 40);
}

/* Temporal layers 0,2,1,2 with layer 2 left out: every other picture id. */
static void run_picture_ids(uint16_t mask, uint16_t in0, uint16_t out0, long n)
{
    yh_numskip_t s;
    ref_t r;
    uint16_t out;
    ref_init(&r, mask, in0, out0, n);
    yh_numskip_init(&s, mask);
    yh_numskip_start(&s, in0, out0);
    for (long a = 0; a < n; a++) {
        uint16_t in = ref_in(&r, a);
        if (a % 2) {
            assert_int_equal(yh_numskip_drop(&s, in), 1);
            ref_newest(&r, a, 1);
            continue;
        }
        assert_int_equal(yh_numskip_map(&s, in, &out), 0);
        assert_int_equal(out, (out0 + a / 2) & mask);
        ref_newest(&r, a, 0);
        if (a % 997 == 0)
            check_window(&s, &r);
    }
    check_window(&s, &r);
    ref_free(&r);
}

static void test_picture_id_spaces(void **state)
{
    (void)state;
    run_picture_ids(0x7fff, 0x7ff0, 0x7ffa, 3 * 0x8000 + 77);
    run_picture_ids(0x7f, 0x70, 0x7c, 1000);
    /* 7 bits: the window is 64 pictures; age 64 is neither new nor known. */
    yh_numskip_t s;
    uint16_t out;
    yh_numskip_init(&s, 0x7f);
    yh_numskip_start(&s, 0, 0);
    for (uint16_t i = 0; i < 200; i++)
        assert_int_equal(yh_numskip_map(&s, i & 0x7f, &out), 0);
    assert_int_equal(out, 199 & 0x7f);
    assert_int_equal(yh_numskip_map(&s, (199 - 63) & 0x7f, &out), 0);
    assert_int_equal(out, (199 - 63) & 0x7f);
    assert_int_equal(yh_numskip_map(&s, (199 - 64) & 0x7f, &out), YH_ERANGE);
    assert_int_equal(yh_numskip_next_out(&s), 200 & 0x7f);
}

static void test_restart_and_window(void **state)
{
    (void)state;
    yh_numskip_t s;
    uint16_t out, in;
    yh_numskip_init(&s, 0xffff);
    yh_numskip_start(&s, 100, 500);
    for (uint16_t i = 100; i < 110; i++)
        assert_int_equal(yh_numskip_map(&s, i, &out), 0);
    assert_int_equal(yh_numskip_drop(&s, 110), 1);
    yh_numskip_start(&s, 200, 900);
    assert_int_equal(yh_numskip_map(&s, 105, &out), YH_ERANGE);
    assert_int_equal(yh_numskip_map(&s, 110, &out), YH_ERANGE);
    assert_int_equal(yh_numskip_map(&s, 199, &out), YH_ERANGE);
    assert_int_equal(yh_numskip_unmap(&s, 505, &in), YH_ENOTFOUND);
    assert_int_equal(yh_numskip_next_out(&s), 900);
    assert_int_equal(yh_numskip_map(&s, 200, &out), 0);
    assert_int_equal(out, 900);
    assert_int_equal(yh_numskip_map(&s, 199, &out), YH_ERANGE);
    /* The newest inputs dropped: no number reaches back before the start. */
    assert_int_equal(yh_numskip_drop(&s, 201), 1);
    assert_int_equal(yh_numskip_drop(&s, 202), 1);
    assert_int_equal(yh_numskip_unmap(&s, 900, &in), 0);
    assert_int_equal(in, 200);
    assert_int_equal(yh_numskip_unmap(&s, 899, &in), YH_ENOTFOUND);
    assert_int_equal(yh_numskip_unmap(&s, 898, &in), YH_ENOTFOUND);
    /* A restart backwards, as after a reserve: 105 is now the next input. */
    yh_numskip_start(&s, 105, 901);
    assert_int_equal(yh_numskip_map(&s, 200, &out), 0);
    assert_int_equal(out, 996);
    assert_int_equal(yh_numskip_map(&s, 104, &out), YH_ERANGE);
    /* Only the last 1024 inputs are remembered. */
    yh_numskip_start(&s, 65000, 0);
    for (uint32_t i = 0; i < 1100; i++)
        assert_int_equal(yh_numskip_map(&s, (uint16_t)(65000 + i), &out), 0);
    uint16_t newest = (uint16_t)(65000 + 1099);
    assert_int_equal(yh_numskip_map(&s, (uint16_t)(newest - 1023), &out), 0);
    assert_int_equal(out, 1099 - 1023);
    assert_int_equal(yh_numskip_unmap(&s, 1099 - 1023, &in), 0);
    assert_int_equal(in, (uint16_t)(newest - 1023));
    assert_int_equal(yh_numskip_map(&s, (uint16_t)(newest - 1024), &out), YH_ERANGE);
    assert_int_equal(yh_numskip_unmap(&s, 1099 - 1024, &in), YH_ENOTFOUND);
    assert_int_equal(yh_numskip_map(&s, (uint16_t)(newest - 30000), &out), YH_ERANGE);
}

/* A new newest input, dropped or mapped, in both the module and the
 * reference. */
static void feed_newest(yh_numskip_t *s, ref_t *r, long a, int drop)
{
    uint16_t out;
    if (drop)
        assert_int_equal(yh_numskip_drop(s, ref_in(r, a)), 1);
    else
        assert_int_equal(yh_numskip_map(s, ref_in(r, a), &out), 0);
    ref_newest(r, a, drop);
}

/* Drops at ages 63, 64, 65, 127, 128 around the 64-bit words of the bitmap,
 * then jumps of 63, 64, 65, 128, 130 inputs, the window, and beyond. */
static void test_word_boundaries(void **state)
{
    (void)state;
    yh_numskip_t s;
    ref_t r;
    const long drop_ages[] = {63, 64, 65, 127, 128};
    ref_init(&r, 0xffff, 65400, 7, 8000);
    yh_numskip_init(&s, 0xffff);
    yh_numskip_start(&s, 65400, 7);
    for (long a = 0; a < 300; a++) {
        int drop = 0;
        for (size_t k = 0; k < sizeof(drop_ages) / sizeof(drop_ages[0]); k++)
            drop |= a == 299 - drop_ages[k];
        feed_newest(&s, &r, a, drop);
    }
    check_window(&s, &r);
    const long jumps[] = {63, 64, 65, 128, 130, 1023, 1, 1024, 2, 1025, 700, 64};
    for (size_t j = 0; j < sizeof(jumps) / sizeof(jumps[0]); j++) {
        long a = r.max + jumps[j];
        int drop = j % 3 == 1; /* some jumps land on a drop */
        feed_newest(&s, &r, a, drop);
        check_window(&s, &r);
        /* A few drops right after, so the next shift moves set bits. */
        for (long k = 1; k <= 3; k++) {
            assert_int_equal(yh_numskip_drop(&s, ref_in(&r, r.max + 1)), 1);
            ref_newest(&r, r.max + 1, 1);
        }
        check_window(&s, &r);
    }
    ref_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_late_packets_model),
        cmocka_unit_test(test_picture_id_spaces),
        cmocka_unit_test(test_restart_and_window),
        cmocka_unit_test(test_word_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
