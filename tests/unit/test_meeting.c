/*
 * Meeting control logic with no signaling around it: the permission
 * table, the hand queue, the roll call's order of sites, the waiting
 * list, and active speaker detection fed with synthetic RFC 6464 levels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "meeting/meeting.h"
#include "meeting/roles.h"
#include "meeting/speaker.h"

/* ---- permissions ---------------------------------------------------------- */

static void test_roles_table(void **state)
{
    const yh_publish_policy_t E = YH_PUBLISH_EVERYONE, S = YH_PUBLISH_SPEAKERS;
    /* Every moderation permission: hosts and cohosts only, both policies. */
    static const yh_perm_t mod[] = {
        YH_PERM_MOD_MUTE,      YH_PERM_MOD_REMOVE,     YH_PERM_MOD_ADMIT,
        YH_PERM_MOD_SET_ROLE,  YH_PERM_MOD_SPOTLIGHT,  YH_PERM_MOD_LOCK,
        YH_PERM_MOD_ROLL_CALL, YH_PERM_MOD_GIVE_FLOOR, YH_PERM_MOD_SETTINGS,
    };
    for (size_t i = 0; i < sizeof mod / sizeof mod[0]; i++) {
        for (int pol = 0; pol < 2; pol++) {
            yh_publish_policy_t p = pol ? S : E;
            assert_true(yh_role_can(YH_ROLE_HOST, p, mod[i]));
            assert_true(yh_role_can(YH_ROLE_COHOST, p, mod[i]));
            assert_false(yh_role_can(YH_ROLE_SPEAKER, p, mod[i]));
            assert_false(yh_role_can(YH_ROLE_ATTENDEE, p, mod[i]));
        }
    }
    /* Ending and handing over the host role: the host alone. */
    assert_true(yh_role_can(YH_ROLE_HOST, E, YH_PERM_MOD_END));
    assert_false(yh_role_can(YH_ROLE_COHOST, E, YH_PERM_MOD_END));
    assert_true(yh_role_can(YH_ROLE_HOST, S, YH_PERM_MOD_MAKE_HOST));
    assert_false(yh_role_can(YH_ROLE_COHOST, S, YH_PERM_MOD_MAKE_HOST));
    /* Publishing and seeing everyone: attendees lose both under speakers. */
    assert_true(yh_role_can(YH_ROLE_ATTENDEE, E, YH_PERM_PUBLISH));
    assert_false(yh_role_can(YH_ROLE_ATTENDEE, S, YH_PERM_PUBLISH));
    assert_true(yh_role_can(YH_ROLE_SPEAKER, S, YH_PERM_PUBLISH));
    assert_true(yh_role_can(YH_ROLE_ATTENDEE, E, YH_PERM_SEE_ALL));
    assert_false(yh_role_can(YH_ROLE_ATTENDEE, S, YH_PERM_SEE_ALL));
    assert_true(yh_role_sees(YH_ROLE_ATTENDEE, YH_ROLE_SPEAKER, S));
    assert_true(yh_role_sees(YH_ROLE_ATTENDEE, YH_ROLE_HOST, S));
    assert_false(yh_role_sees(YH_ROLE_ATTENDEE, YH_ROLE_ATTENDEE, S));
    assert_true(yh_role_sees(YH_ROLE_SPEAKER, YH_ROLE_ATTENDEE, S));
    assert_true(yh_role_sees(YH_ROLE_ATTENDEE, YH_ROLE_ATTENDEE, E));
    /* Chat: everyone publicly; privately to anyone except attendees. */
    assert_true(yh_role_can(YH_ROLE_ATTENDEE, S, YH_PERM_CHAT));
    assert_false(yh_role_can(YH_ROLE_ATTENDEE, E, YH_PERM_CHAT_PRIVATE_ANY));
    assert_true(yh_role_can(YH_ROLE_SPEAKER, E, YH_PERM_CHAT_PRIVATE_ANY));
    /* A host's mute holds for everyone but moderators. */
    assert_true(yh_role_can(YH_ROLE_COHOST, E, YH_PERM_SELF_UNMUTE));
    assert_false(yh_role_can(YH_ROLE_SPEAKER, E, YH_PERM_SELF_UNMUTE));
    /* Waiting room and lock. */
    assert_true(yh_role_can(YH_ROLE_COHOST, E, YH_PERM_SKIP_WAITING));
    assert_false(yh_role_can(YH_ROLE_SPEAKER, E, YH_PERM_SKIP_WAITING));
    assert_true(yh_role_can(YH_ROLE_SPEAKER, E, YH_PERM_SKIP_LOCK));
    assert_false(yh_role_can(YH_ROLE_ATTENDEE, E, YH_PERM_SKIP_LOCK));
    /* Out-of-range values are refused, not read past the table. */
    assert_false(yh_role_can((yh_role_t)9, E, YH_PERM_CHAT));
    assert_false(yh_role_can(YH_ROLE_HOST, E, YH_PERM__COUNT));
    assert_string_equal(yh_perm_str(YH_PERM_MOD_GIVE_FLOOR), "give-floor");
}

static void test_roles_targets(void **state)
{
    /* A cohost may not remove, mute or re-role the host. */
    assert_false(yh_role_may_target(YH_ROLE_COHOST, YH_ROLE_HOST, YH_PERM_MOD_REMOVE));
    assert_false(yh_role_may_target(YH_ROLE_COHOST, YH_ROLE_HOST, YH_PERM_MOD_SET_ROLE));
    assert_false(yh_role_may_target(YH_ROLE_COHOST, YH_ROLE_HOST, YH_PERM_MOD_MUTE));
    assert_true(yh_role_may_target(YH_ROLE_COHOST, YH_ROLE_HOST, YH_PERM_MOD_SPOTLIGHT));
    assert_true(yh_role_may_target(YH_ROLE_COHOST, YH_ROLE_COHOST, YH_PERM_MOD_REMOVE));
    assert_true(yh_role_may_target(YH_ROLE_HOST, YH_ROLE_HOST, YH_PERM_MOD_SET_ROLE));
    yh_role_t r;
    assert_int_equal(yh_role_parse("cohost", &r), 0);
    assert_int_equal(r, YH_ROLE_COHOST);
    assert_int_not_equal(yh_role_parse("admin", &r), 0);
    yh_publish_policy_t pol;
    assert_int_equal(yh_publish_parse("speakers", &pol), 0);
    assert_int_equal(pol, YH_PUBLISH_SPEAKERS);
    assert_string_equal(yh_publish_str(pol), "speakers");
    assert_int_not_equal(yh_publish_parse("nobody", &pol), 0);
}

/* ---- hands, sites, waiting ------------------------------------------------- */

typedef struct world {
    yh_meetings_t reg;
    yh_meeting_t *m;
    yh_participant_t *p[6];
} world_t;

static int world_setup(void **state)
{
    static world_t w;
    memset(&w, 0, sizeof w);
    yh_meetings_init(&w.reg);
    assert_int_equal(yh_meeting_open(&w.reg, "42", &w.m), 0);
    static const char *names[] = {"host", "a", "b", "c", "d", "e"};
    for (int i = 0; i < 6; i++)
        assert_int_equal(yh_meeting_participant_add(&w.reg, w.m, names[i], &w.p[i]), 0);
    *state = &w;
    return 0;
}

static int world_teardown(void **state)
{
    world_t *w = *state;
    yh_meetings_free(&w->reg);
    return 0;
}

static void test_hand_queue(void **state)
{
    world_t *w = *state;
    const yh_participant_t *q[8];
    assert_int_equal(yh_meeting_hands(w->m, q, 8), 0);
    /* Raise order, not joining order. */
    assert_int_equal(yh_meeting_hand_set(w->m, w->p[3], 1), 1);
    assert_int_equal(yh_meeting_hand_set(w->m, w->p[1], 1), 1);
    assert_int_equal(yh_meeting_hand_set(w->m, w->p[5], 1), 1);
    assert_int_equal(yh_meeting_hand_set(w->m, w->p[1], 1), 0); /* no change */
    assert_int_equal(yh_meeting_hands(w->m, q, 8), 3);
    assert_ptr_equal(q[0], w->p[3]);
    assert_ptr_equal(q[1], w->p[1]);
    assert_ptr_equal(q[2], w->p[5]);
    /* Lowering and raising again goes to the back. */
    assert_int_equal(yh_meeting_hand_set(w->m, w->p[3], 0), 1);
    assert_int_equal(yh_meeting_hand_set(w->m, w->p[3], 1), 1);
    assert_int_equal(yh_meeting_hands(w->m, q, 8), 3);
    assert_ptr_equal(q[0], w->p[1]);
    assert_ptr_equal(q[2], w->p[3]);
    /* A small buffer gets the head of the queue and the full count. */
    assert_int_equal(yh_meeting_hands(w->m, q, 1), 3);
    assert_ptr_equal(q[0], w->p[1]);
}

static void test_site_order(void **state)
{
    world_t *w = *state;
    /* p[0] is the host, p[2] a cohost: both are not sites. */
    w->p[2]->role = YH_ROLE_COHOST;
    assert_false(yh_meeting_is_site(w->p[0]));
    assert_false(yh_meeting_is_site(w->p[2]));
    assert_true(yh_meeting_is_site(w->p[1]));
    assert_ptr_equal(yh_meeting_site_next(w->m, 0), w->p[1]);
    assert_ptr_equal(yh_meeting_site_next(w->m, w->p[1]->num), w->p[3]);
    assert_ptr_equal(yh_meeting_site_next(w->m, w->p[3]->num), w->p[4]);
    assert_ptr_equal(yh_meeting_site_next(w->m, w->p[5]->num), w->p[1]); /* wraps */
    /* From a moderator: the next site after it. */
    assert_ptr_equal(yh_meeting_site_next(w->m, w->p[2]->num), w->p[3]);
    /* An unknown number starts over. */
    assert_ptr_equal(yh_meeting_site_next(w->m, 999999), w->p[1]);
    /* A lone site follows itself; no site at all gives NULL. */
    for (int i = 3; i < 6; i++)
        w->p[i]->role = YH_ROLE_COHOST;
    assert_ptr_equal(yh_meeting_site_next(w->m, w->p[1]->num), w->p[1]);
    w->p[1]->role = YH_ROLE_HOST;
    assert_null(yh_meeting_site_next(w->m, 0));
}

static void test_waiting_list(void **state)
{
    world_t *w = *state;
    yh_participant_t *x = NULL, *y = NULL;
    assert_int_equal(yh_meeting_waiter_add(&w->reg, w->m, "x", &x), 0);
    assert_int_equal(yh_meeting_waiter_add(&w->reg, w->m, "y", &y), 0);
    assert_int_equal(w->m->n_waiting, 2);
    assert_int_equal(w->m->n_participants, 6);
    assert_true(x->waiting);
    assert_int_equal(x->role, YH_ROLE_ATTENDEE);
    /* Waiting participants are not participants yet. */
    assert_null(yh_meeting_participant_find(w->m, x->id));
    assert_ptr_equal(yh_meeting_waiter_find(w->m, y->id), y);
    assert_false(yh_meeting_is_site(x));
    yh_meeting_waiter_admit(w->m, y);
    assert_false(y->waiting);
    assert_ptr_equal(w->m->tail, y);
    assert_int_equal(w->m->n_participants, 7);
    assert_int_equal(w->m->n_waiting, 1);
    assert_ptr_equal(yh_meeting_participant_by_num(w->m, y->num), y);
    yh_meeting_participant_remove(w->m, x);
    assert_int_equal(w->m->n_waiting, 0);
    assert_null(w->m->wait_head);
    assert_ptr_equal(yh_meetings_find_room(&w->reg, w->m->room), w->m);
}

/* ---- active speaker ----------------------------------------------------------- */

#define TICK 200000u /* a report every 200 ms */

typedef struct run {
    yh_speaker_t sp;
    uint64_t now;
    uint32_t last[YH_SPEAKER_LIST_MAX];
    size_t n_last;
    int events;
    uint64_t event_at[64];
} run_t;

/* One report with two participants' levels (-dBov, voice 100%); level 127
 * is silence. */
static void feed(run_t *r, uint8_t level1, uint8_t level2)
{
    yh_speaker_sample_t s[2] = {{1, level1, level1 < 127 ? 100 : 0},
                                {2, level2, level2 < 127 ? 100 : 0}};
    r->now += TICK;
    uint32_t out[YH_SPEAKER_LIST_MAX];
    size_t n = 0;
    if (yh_speaker_update(&r->sp, s, 2, r->now, out, &n)) {
        if (r->events < 64)
            r->event_at[r->events] = r->now;
        r->events++;
        memcpy(r->last, out, n * sizeof out[0]);
        r->n_last = n;
    }
}

static void test_speaker_basic(void **state)
{
    run_t r;
    memset(&r, 0, sizeof r);
    yh_speaker_init(&r.sp);
    /* Silence: no event. */
    for (int i = 0; i < 10; i++)
        feed(&r, 127, 127);
    assert_int_equal(r.events, 0);
    /* 1 speaks at -30 dBov: it becomes the speaker within a second. */
    for (int i = 0; i < 5; i++)
        feed(&r, 30, 127);
    assert_int_equal(r.events, 1);
    assert_int_equal(r.n_last, 1);
    assert_int_equal(r.last[0], 1);
    /* 1 falls silent: it stays top (the list does not change). */
    for (int i = 0; i < 20; i++)
        feed(&r, 127, 127);
    assert_int_equal(r.events, 1);
    /* Steady noise the client's VAD rejects (voice 0) never counts. */
    yh_speaker_sample_t noise = {2, 40, 0};
    uint32_t out[YH_SPEAKER_LIST_MAX];
    size_t n;
    for (int i = 0; i < 20; i++) {
        r.now += TICK;
        assert_int_equal(yh_speaker_update(&r.sp, &noise, 1, r.now, out, &n), 0);
    }
}

static void test_speaker_hysteresis(void **state)
{
    run_t r;
    memset(&r, 0, sizeof r);
    yh_speaker_init(&r.sp);
    for (int i = 0; i < 10; i++)
        feed(&r, 30, 127);
    assert_int_equal(r.last[0], 1);
    int before = r.events;
    /* 2 talks as loud as 1 (within the margin): 2 joins the list second,
     * but 1 keeps the top, however long it lasts. */
    for (int i = 0; i < 25; i++)
        feed(&r, 30, 28);
    assert_int_equal(r.n_last, 2);
    assert_int_equal(r.last[0], 1);
    assert_int_equal(r.last[1], 2);
    assert_int_equal(r.events, before + 1);
    /* 2 is clearly louder (20 dB): not at once... */
    before = r.events;
    uint64_t louder_since = r.now;
    for (int i = 0; i < 3; i++)
        feed(&r, 50, 10);
    assert_int_equal(r.last[0], 1);
    /* ...but after about a second. */
    for (int i = 0; i < 10; i++)
        feed(&r, 50, 10);
    assert_int_equal(r.last[0], 2);
    assert_true(r.events > before);
    uint64_t took = r.event_at[r.events - 1] - louder_since;
    assert_true(took >= YH_SPEAKER_HOLD_US);
    assert_true(took <= YH_SPEAKER_HOLD_US + 6 * TICK);

    /* Flapping input (alternating every report) changes the top at most
     * once per second and never sends more than 2 events per second. */
    for (int i = 0; i < 50; i++)
        feed(&r, i % 2 ? 10 : 60, i % 2 ? 60 : 10);
    for (int i = 1; i < r.events && i < 64; i++)
        assert_true(r.event_at[i] - r.event_at[i - 1] >= YH_SPEAKER_MIN_GAP_US);
}

static void test_speaker_forget_and_rate(void **state)
{
    run_t r;
    memset(&r, 0, sizeof r);
    yh_speaker_init(&r.sp);
    for (int i = 0; i < 10; i++)
        feed(&r, 30, 127);
    int before = r.events;
    /* The top leaves: with the next report the list is empty... */
    yh_speaker_forget(&r.sp, 1);
    feed(&r, 127, 127);
    assert_int_equal(r.events, before + 1);
    assert_int_equal(r.n_last, 0);
    /* ...and the next one speaking takes over at once (nobody holds the
     * top), but not within 500 ms of the last event. */
    feed(&r, 127, 20);
    feed(&r, 127, 20);
    assert_int_equal(r.n_last, 0);
    for (int i = 0; i < 3; i++)
        feed(&r, 127, 20);
    assert_int_equal(r.n_last, 1);
    assert_int_equal(r.last[0], 2);
    /* Samples for participant 0 (unknown track) are ignored; the table
     * holds at most YH_SPEAKER_MAX participants. */
    yh_speaker_sample_t many[40];
    for (uint32_t i = 0; i < 40; i++)
        many[i] = (yh_speaker_sample_t){i, 40, 100};
    uint32_t out[YH_SPEAKER_LIST_MAX];
    size_t n;
    for (int k = 0; k < 10; k++) {
        r.now += TICK;
        yh_speaker_update(&r.sp, many, 40, r.now, out, &n);
        assert_true(r.sp.n <= YH_SPEAKER_MAX);
        assert_true(n <= YH_SPEAKER_LIST_MAX);
    }
    for (size_t i = 0; i < r.sp.n; i++)
        assert_int_not_equal(r.sp.e[i].who, 0);
}

/* The order behind the top flips every report: events still come at most
 * every 500 ms, and each carries the current order. */
static void test_speaker_rate_limit(void **state)
{
    yh_speaker_t sp;
    yh_speaker_init(&sp);
    uint64_t now = 0, last_event = 0;
    int events = 0;
    uint32_t out[YH_SPEAKER_LIST_MAX];
    size_t n;
    for (int i = 0; i < 100; i++) {
        /* 1 loud throughout; 2 and 3 swap between -20 and -35 dBov, an
         * ema difference that flips every other report or so. */
        int odd = (i / 2) % 2;
        yh_speaker_sample_t s[3] = {{1, 5, 100}, {2, odd ? 20 : 35, 100}, {3, odd ? 35 : 20, 100}};
        now += TICK;
        if (yh_speaker_update(&sp, s, 3, now, out, &n)) {
            if (events > 0)
                assert_true(now - last_event >= YH_SPEAKER_MIN_GAP_US);
            last_event = now;
            events++;
            assert_int_equal(out[0], 1);
        }
    }
    /* Changes were many (every ~2 reports), events about 2 per second. */
    assert_true(events >= 15);
    assert_true(events <= (int)(100 * TICK / YH_SPEAKER_MIN_GAP_US) + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_table),
        cmocka_unit_test(test_roles_targets),
        cmocka_unit_test_setup_teardown(test_hand_queue, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_site_order, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_waiting_list, world_setup, world_teardown),
        cmocka_unit_test(test_speaker_basic),
        cmocka_unit_test(test_speaker_hysteresis),
        cmocka_unit_test(test_speaker_forget_and_rate),
        cmocka_unit_test(test_speaker_rate_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
