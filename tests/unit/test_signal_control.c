/*
 * Meeting control through the signaling dispatcher, over fake connections
 * and with no media plane: every moderate action and every refusal, the
 * waiting room, lock, end, roles, the floor and the hand queue, roll call,
 * publish policy "speakers", chat permissions, screen share and active
 * speaker.
 */
#include "signal_fixture.h"

/* An attendee trying each moderate action gets forbidden, with valid
 * fields, whatever the target; so does a cohost for the host's own. */
static void test_forbidden(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m1", "Host");
    fake_t *b = join(fx, "m1", "Att");
    fake_t *c = join(fx, "m1", "Co");
    char target[64];
    snprintf(target, sizeof target, "\"participant\":\"%s\"", a->id);
    static const struct {
        const char *action;
        const char *extra; /* %s: the target */
    } all[] = {
        {"mute", "%s,\"source\":\"microphone\""},
        {"mute-all", ""},
        {"ask-unmute", "%s"},
        {"remove", "%s"},
        {"admit", "%s"},
        {"deny", "%s"},
        {"set-role", "%s,\"role\":\"speaker\""},
        {"spotlight", "%s"},
        {"lock", ""},
        {"unlock", ""},
        {"end", ""},
        {"roll-call-start", "\"interval\":10"},
        {"roll-call-stop", ""},
        {"roll-call-next", ""},
        {"give-floor", "%s,\"exclusive\":true"},
        {"settings", "\"waitingRoom\":true"},
    };
    assert_int_equal(sizeof all / sizeof all[0], YH_MOD__COUNT);
    drain(a);
    for (size_t i = 0; i < YH_MOD__COUNT; i++) {
        char extra[128];
        snprintf(extra, sizeof extra, all[i].extra, target);
        moderate(fx, b, all[i].action, extra);
        json_t *e = take(b, "error");
        assert_string_equal(str(e, "code"), "forbidden");
        assert_int_equal(json_integer_value(json_object_get(e, "id")), 9);
    }
    /* Nothing happened: the host heard nothing. */
    assert_int_equal(unread_any(a), 0);
    assert_false(part(a)->meeting->locked);
    assert_int_equal(part(a)->meeting->n_participants, 3);

    /* A cohost moderates, but not the host and not end / make-host. */
    char pc[80];
    snprintf(pc, sizeof pc, "\"participant\":\"%s\",\"role\":\"cohost\"", c->id);
    moderate_ok(fx, a, "set-role", pc);
    assert_int_equal(part(c)->role, YH_ROLE_COHOST);
    moderate(fx, c, "remove", target);
    assert_string_equal(err_code(c), "forbidden");
    moderate(fx, c, "mute", target);
    assert_string_equal(err_code(c), "forbidden");
    snprintf(pc, sizeof pc, "\"participant\":\"%s\",\"role\":\"attendee\"", a->id);
    moderate(fx, c, "set-role", pc);
    assert_string_equal(err_code(c), "forbidden");
    moderate(fx, c, "end", "");
    assert_string_equal(err_code(c), "forbidden");
    char pb[80];
    snprintf(pb, sizeof pb, "\"participant\":\"%s\",\"role\":\"host\"", b->id);
    moderate(fx, c, "set-role", pb);
    assert_string_equal(err_code(c), "forbidden");
    moderate_ok(fx, c, "lock", "");
    /* Bad fields are bad-request before any permission check; a target
     * that does not exist is bad-request for a moderator. */
    moderate(fx, b, "mute", "");
    assert_string_equal(err_code(b), "bad-request");
    moderate(fx, c, "fly", "");
    assert_string_equal(err_code(c), "bad-request");
    moderate(fx, c, "mute", "\"participant\":\"p999\"");
    assert_string_equal(err_code(c), "bad-request");
    moderate(fx, a, "roll-call-start", "\"interval\":9");
    assert_string_equal(err_code(a), "bad-request");
    moderate(fx, a, "roll-call-start", "\"interval\":121");
    assert_string_equal(err_code(a), "bad-request");
    moderate(fx, a, "remove", target); /* oneself */
    assert_string_equal(err_code(a), "bad-request");
    moderate(fx, a, "settings", "");
    assert_string_equal(err_code(a), "bad-request");
}

/* ---- mutes ------------------------------------------------------------------------ */

static void test_host_mute(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m2", "Host");
    fake_t *b = join(fx, "m2", "B");
    fake_t *c = join(fx, "m2", "C");
    publish(fx, b, "chrome-publish-offer.sdp", "[]");
    take(b, "answer");
    yh_meeting_track_t *mic = track_of(b, YH_SOURCE_MICROPHONE);
    assert_false(mic->muted);
    drain(a);
    drain(b);
    drain(c);

    char tb[64];
    snprintf(tb, sizeof tb, "\"participant\":\"%s\"", b->id);
    moderate_ok(fx, a, "mute", tb); /* source defaults to the microphone */
    assert_true(mic->muted);
    json_t *mr = take(b, "mute-request");
    assert_string_equal(str(mr, "source"), "microphone");
    assert_true(json_is_true(json_object_get(mr, "muted")));
    json_t *tu = take(c, "track-updated");
    assert_true(json_is_true(json_object_get(json_object_get(tu, "track"), "muted")));
    json_t *pu = take(c, "participant-updated");
    assert_true(json_is_true(json_object_get(json_object_get(pu, "participant"), "audioMuted")));
    assert_int_equal(unread(c, "mute-request"), 0); /* only to the participant */

    /* The participant cannot lift it... */
    sendf(fx, b, "{\"type\":\"mute\",\"id\":3,\"source\":\"microphone\",\"muted\":false}");
    assert_string_equal(err_code(b), "forbidden");
    assert_true(mic->muted);
    /* ...until asked: then it decides. */
    moderate_ok(fx, a, "ask-unmute", tb);
    mr = take(b, "mute-request");
    assert_true(json_is_false(json_object_get(mr, "muted")));
    assert_true(mic->muted); /* nothing flows before the participant agrees */
    sendf(fx, b, "{\"type\":\"mute\",\"id\":4,\"source\":\"microphone\",\"muted\":false}");
    take(b, "ok");
    assert_false(mic->muted);
    tu = take(c, "track-updated");
    assert_false(json_is_true(json_object_get(json_object_get(tu, "track"), "muted")));

    /* Camera mute by the host. */
    snprintf(tb, sizeof tb, "\"participant\":\"%s\",\"source\":\"camera\"", b->id);
    moderate_ok(fx, a, "mute", tb);
    assert_true(track_of(b, YH_SOURCE_CAMERA)->muted);
    assert_false(mic->muted);

    /* mute-all: everyone but moderators, microphones; the host publishes
     * too and stays heard. */
    publish(fx, a, "firefox-publish-offer.sdp", "[]");
    take(a, "answer");
    moderate_ok(fx, a, "mute-all", "");
    assert_true(mic->muted);
    assert_false(track_of(a, YH_SOURCE_MICROPHONE)->muted);
    assert_true(part(c)->host_muted & YH_SOURCE_BIT(YH_SOURCE_MICROPHONE));
    assert_int_equal(unread(c, "mute-request"), 1);
    /* A moderator lifts a host mute on itself. */
    char pc[80];
    snprintf(pc, sizeof pc, "\"participant\":\"%s\",\"role\":\"cohost\"", c->id);
    moderate_ok(fx, a, "set-role", pc);
    snprintf(pc, sizeof pc, "\"participant\":\"%s\"", c->id);
    moderate_ok(fx, a, "mute", pc);
    sendf(fx, c, "{\"type\":\"mute\",\"id\":5,\"source\":\"microphone\",\"muted\":false}");
    take(c, "ok");
}

static void test_mute_on_entry(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m3", "Host");
    moderate_ok(fx, a, "settings", "\"muteOnEntry\":true");
    json_t *mu = take(a, "meeting-updated");
    assert_true(json_is_true(json_object_get(json_object_get(mu, "meeting"), "muteOnEntry")));
    fake_t *b = join(fx, "m3", "B");
    /* joined first, then the mute-request. */
    assert_string_equal(type_of(b->msgs[0]), "joined");
    assert_string_equal(type_of(b->msgs[1]), "mute-request");
    publish(fx, b, "chrome-publish-offer.sdp", "[{\"mid\":\"0\",\"source\":\"microphone\"}]");
    take(b, "answer");
    assert_true(track_of(b, YH_SOURCE_MICROPHONE)->muted);
    assert_false(track_of(b, YH_SOURCE_CAMERA)->muted);
    json_t *tp = take(a, "track-published");
    assert_true(json_is_true(json_object_get(json_object_get(tp, "track"), "muted")));
}


/* ---- waiting room, lock, end, remove ---------------------------------------------- */

static void test_waiting_room(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m4", "Host");
    moderate_ok(fx, a, "settings", "\"waitingRoom\":true");
    drain(a);
    fake_t *b = fake_open(fx);
    sendf(fx, b, "{\"type\":\"join\",\"id\":\"jb\",\"meeting\":\"m4\",\"name\":\"Bea\"}");
    json_t *w = take(b, "waiting");
    assert_string_equal(str(w, "id"), "jb");
    json_t *ev = take(a, "waiting");
    json_t *wp = json_object_get(ev, "participant");
    assert_string_equal(str(wp, "name"), "Bea");
    snprintf(b->id, sizeof b->id, "%s", str(wp, "id"));
    /* Waiting: nothing but leave. */
    sendf(fx, b, "{\"type\":\"chat\",\"id\":2,\"text\":\"let me in\"}");
    assert_string_equal(str(take(b, "error"), "message"), "waiting to be admitted");
    assert_int_equal(part(a)->meeting->n_participants, 1);
    assert_int_equal(part(a)->meeting->n_waiting, 1);

    /* A late host sees who waits in its joined reply. */
    moderate_ok(fx, a, "admit", target(b));
    json_t *j = take(b, "joined");
    assert_string_equal(str(j, "id"), "jb"); /* the id of the join */
    assert_string_equal(str(json_object_get(j, "self"), "id"), b->id);
    assert_null(json_object_get(j, "waiting")); /* attendees do not see it */
    assert_string_equal(str(json_object_get(take(a, "participant-joined"), "participant"), "id"),
                        b->id);

    /* Deny: the waiting client gets `denied` as the answer to its join. */
    fake_t *c = fake_open(fx);
    sendf(fx, c, "{\"type\":\"join\",\"id\":7,\"meeting\":\"m4\",\"name\":\"Cy\"}");
    take(c, "waiting");
    snprintf(c->id, sizeof c->id, "%s",
             str(json_object_get(take(a, "waiting"), "participant"), "id"));
    moderate(fx, b, "admit", target(c)); /* an attendee may not */
    assert_string_equal(err_code(b), "forbidden");
    moderate_ok(fx, a, "deny", target(c));
    json_t *e = take(c, "error");
    assert_string_equal(str(e, "code"), "denied");
    assert_int_equal(json_integer_value(json_object_get(e, "id")), 7);
    json_t *left = take(a, "participant-left");
    assert_string_equal(str(left, "reason"), "denied");
    assert_int_equal(unread(b, "participant-left"), 0); /* only moderators knew */
    moderate(fx, a, "admit", target(c));                /* gone */
    assert_string_equal(err_code(a), "bad-request");
    assert_null(c->c->p);

    /* Waiting and then gone: the hosts hear of it; no resume. */
    fake_t *d = fake_open(fx);
    sendf(fx, d, "{\"type\":\"join\",\"id\":1,\"meeting\":\"m4\"}");
    take(d, "waiting");
    fake_t *e2 = fake_open(fx);
    sendf(fx, e2, "{\"type\":\"join\",\"id\":1,\"meeting\":\"m4\"}");
    take(e2, "waiting");
    take(a, "waiting");
    take(a, "waiting");
    yh_signal_conn_closed(fx->s, d->c);
    d->c = NULL;
    assert_string_equal(str(take(a, "participant-left"), "reason"), "disconnected");
    assert_int_equal(part(a)->meeting->n_waiting, 1);
    /* A cohost made now learns who waits. */
    char pc[80];
    snprintf(pc, sizeof pc, "%s,\"role\":\"cohost\"", target(b));
    drain(b);
    moderate_ok(fx, a, "set-role", pc);
    assert_int_equal(unread(b, "waiting"), 1);
    /* Turning the waiting room off lets everyone in. */
    moderate_ok(fx, a, "settings", "\"waitingRoom\":false");
    take(e2, "joined");
    assert_int_equal(part(a)->meeting->n_waiting, 0);
    assert_int_equal(part(a)->meeting->n_participants, 3);
}

static void test_lock_end_remove(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m5", "Host");
    fake_t *b = join(fx, "m5", "B");
    fake_t *c = join(fx, "m5", "C");
    moderate_ok(fx, a, "lock", "");
    json_t *mu = take(b, "meeting-updated");
    assert_true(json_is_true(json_object_get(json_object_get(mu, "meeting"), "locked")));
    fake_t *x = fake_open(fx);
    sendf(fx, x, "{\"type\":\"join\",\"id\":1,\"meeting\":\"m5\"}");
    assert_string_equal(err_code(x), "locked");
    moderate_ok(fx, a, "unlock", "");
    sendf(fx, x, "{\"type\":\"join\",\"id\":1,\"meeting\":\"m5\"}");
    take(x, "joined");
    snprintf(x->id, sizeof x->id, "%s", part(x)->id);

    /* Remove: removed {reason}, closed; the others see participant-left. */
    drain(c);
    moderate_ok(fx, a, "remove", target(x));
    json_t *rm = take(x, "removed");
    assert_non_null(json_object_get(rm, "reason"));
    assert_int_equal(x->close_code, 1000);
    json_t *left = take(c, "participant-left");
    assert_string_equal(str(left, "id"), x->id);
    assert_string_equal(str(left, "reason"), "removed");
    assert_int_equal(part(a)->meeting->n_participants, 3);

    /* End: ended {} to everyone, closed, the meeting gone (the caller's
     * connection closes too, so its `ok` is not sent). */
    moderate(fx, a, "end", "");
    for (int i = 0; i < 3; i++) {
        fake_t *f = i == 0 ? a : i == 1 ? b : c;
        json_t *ended = take(f, "ended");
        assert_int_equal(json_object_size(ended), 1);
        assert_int_equal(f->close_code, 1000);
        assert_null(f->c->p);
    }
    assert_null(yh_meeting_find(&fx->s->reg, "m5"));
    assert_int_equal(yh_signal_meeting_end(fx->s, "m5"), YH_ENOTFOUND);
}

/* Downlink priority: the spotlighted participant's camera (not its
 * microphone), cleared with the spotlight and moved with it. */
static void test_video_priority(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m9", "Host");
    fake_t *b = join(fx, "m9", "B");
    fake_t *c = join(fx, "m9", "C");
    publish(fx, b, "chrome-publish-offer.sdp", "[]");
    take(b, "answer");
    publish(fx, c, "chrome-publish-offer.sdp", "[]");
    take(c, "answer");
    yh_meeting_track_t *bcam = track_of(b, YH_SOURCE_CAMERA);
    yh_meeting_track_t *ccam = track_of(c, YH_SOURCE_CAMERA);
    assert_false(bcam->priority || ccam->priority);
    moderate_ok(fx, a, "spotlight", target(b));
    assert_true(bcam->priority);
    assert_false(ccam->priority);
    assert_false(track_of(b, YH_SOURCE_MICROPHONE)->priority);
    moderate_ok(fx, a, "spotlight", target(c));
    assert_false(bcam->priority);
    assert_true(ccam->priority);
    moderate_ok(fx, a, "spotlight", "\"participant\":null");
    assert_false(bcam->priority || ccam->priority);
}

/* ---- roles, host transfer, spotlight ------------------------------------------------- */

static void test_roles_and_transfer(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m6", "Host");
    fake_t *b = join(fx, "m6", "B");
    fake_t *c = join(fx, "m6", "C");
    fake_t *d = join(fx, "m6", "D");
    char arg[96];
    snprintf(arg, sizeof arg, "%s,\"role\":\"speaker\"", target(b));
    drain(d);
    moderate_ok(fx, a, "set-role", arg);
    json_t *pu = take(d, "participant-updated");
    assert_string_equal(str(json_object_get(pu, "participant"), "role"), "speaker");
    snprintf(arg, sizeof arg, "%s,\"role\":\"boss\"", target(b));
    moderate(fx, a, "set-role", arg);
    assert_string_equal(err_code(a), "bad-request");
    snprintf(arg, sizeof arg, "%s,\"role\":\"speaker\"", target(a));
    moderate(fx, a, "set-role", arg); /* not on oneself */
    assert_string_equal(err_code(a), "bad-request");

    /* Handing over the host role: the old host stays as a cohost. */
    snprintf(arg, sizeof arg, "%s,\"role\":\"host\"", target(c));
    moderate_ok(fx, a, "set-role", arg);
    assert_int_equal(part(c)->role, YH_ROLE_HOST);
    assert_int_equal(part(a)->role, YH_ROLE_COHOST);

    /* Spotlight: everyone sees it; cleared when the participant goes. */
    drain(d);
    moderate_ok(fx, a, "spotlight", target(b));
    json_t *mu = take(d, "meeting-updated");
    assert_string_equal(str(json_object_get(mu, "meeting"), "spotlight"), b->id);
    assert_null(json_object_get(json_object_get(mu, "meeting"), "hands")); /* not for D */
    sendf(fx, b, "{\"type\":\"leave\",\"id\":3}");
    mu = take(d, "meeting-updated");
    assert_true(json_is_null(json_object_get(json_object_get(mu, "meeting"), "spotlight")));
    moderate_ok(fx, a, "spotlight", target(d));
    moderate_ok(fx, a, "spotlight", "\"participant\":null");
    assert_int_equal(part(a)->meeting->spotlight, 0);

    /* The host leaves: the cohost (A) takes over, before D who came
     * later... */
    drain(d);
    sendf(fx, c, "{\"type\":\"leave\",\"id\":4}");
    assert_int_equal(part(a)->role, YH_ROLE_HOST);
    pu = take(d, "participant-updated");
    assert_string_equal(str(json_object_get(pu, "participant"), "id"), a->id);
    /* ...and with no cohost, the longest present does. */
    sendf(fx, a, "{\"type\":\"leave\",\"id\":5}");
    assert_int_equal(part(d)->role, YH_ROLE_HOST);
}

/* ---- the floor, publish policy "speakers" --------------------------------------------- */

static void test_press_interview(void **state)
{
    fixture_t *fx = *state;
    fake_t *h = join(fx, "m7", "Host");
    moderate_ok(fx, h, "settings", "\"publish\":\"speakers\"");
    fake_t *j1 = join(fx, "m7", "J1");
    fake_t *j2 = join(fx, "m7", "J2");
    fake_t *j3 = join(fx, "m7", "J3");
    /* Attendees see the host and themselves, and a count. */
    json_t *jr = j3->msgs[0];
    assert_int_equal(json_array_size(json_object_get(jr, "participants")), 2);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(jr, "meeting"), "participantCount")), 4);
    assert_int_equal(unread(j1, "participant-joined"), 0);
    /* J2 and J3 came within a second of J1: one count update, a second
     * after the last one went out (the control timer). */
    assert_int_equal(unread(j1, "meeting-updated"), 0);
    yh_sig_tick(fx->s, yh_now_us() + 500000);
    assert_int_equal(unread(j1, "meeting-updated"), 0);
    yh_sig_tick(fx->s, yh_now_us() + 1100000);
    assert_int_equal(unread(j1, "meeting-updated"), 1);
    assert_int_equal(unread(j2, "meeting-updated"), 1);
    json_t *mu = take(j1, "meeting-updated");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(mu, "meeting"), "participantCount")), 4);
    yh_sig_tick(fx->s, yh_now_us() + 3000000);
    assert_int_equal(unread(j1, "meeting-updated"), 0);
    assert_int_equal(unread(h, "participant-joined"), 3); /* the host sees everyone */

    /* An attendee may not publish. */
    publish(fx, j1, "chrome-publish-offer.sdp", "[]");
    assert_string_equal(err_code(j1), "forbidden");
    assert_null(part(j1)->tracks);

    /* Hands: the host sees the raise order. */
    drain(h);
    sendf(fx, j2, "{\"type\":\"hand\",\"id\":3,\"raised\":true}");
    sendf(fx, j1, "{\"type\":\"hand\",\"id\":3,\"raised\":true}");
    assert_int_equal(unread(j3, "participant-updated"), 0); /* attendees' hands are private */
    take(h, "meeting-updated");
    mu = take(h, "meeting-updated");
    json_t *hands = json_object_get(json_object_get(mu, "meeting"), "hands");
    assert_int_equal(json_array_size(hands), 2);
    assert_string_equal(json_string_value(json_array_get(hands, 0)), j2->id);
    assert_string_equal(json_string_value(json_array_get(hands, 1)), j1->id);

    /* The floor to J2: speaker, hand down, visible to all, may publish. */
    drain(j3);
    drain(j2);
    char arg[96];
    snprintf(arg, sizeof arg, "%s,\"exclusive\":true", target(j2));
    moderate_ok(fx, h, "give-floor", arg);
    assert_int_equal(part(j2)->role, YH_ROLE_SPEAKER);
    assert_false(part(j2)->hand);
    json_t *pj = take(j3, "participant-joined");
    assert_string_equal(str(json_object_get(pj, "participant"), "role"), "speaker");
    json_t *self = take(j2, "participant-updated");
    assert_string_equal(str(json_object_get(self, "participant"), "role"), "speaker");
    publish(fx, j2, "chrome-publish-offer.sdp", "[]");
    take(j2, "answer");
    assert_int_equal(unread(j3, "track-published"), 2);
    mu = NULL;
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(type_of(h->msgs[i]), "meeting-updated") == 0)
            mu = h->msgs[i];
    hands = json_object_get(json_object_get(mu, "meeting"), "hands");
    assert_int_equal(json_array_size(hands), 1);
    assert_string_equal(json_string_value(json_array_get(hands, 0)), j1->id);

    /* The floor to J1, exclusively: J2 is an attendee again, its media
     * ends for everyone and it is hidden from the attendees again. */
    drain(j3);
    snprintf(arg, sizeof arg, "%s,\"exclusive\":true", target(j1));
    moderate_ok(fx, h, "give-floor", arg);
    assert_int_equal(part(j1)->role, YH_ROLE_SPEAKER);
    assert_int_equal(part(j2)->role, YH_ROLE_ATTENDEE);
    assert_false(part(j2)->floor);
    assert_null(part(j2)->tracks);
    assert_int_equal(unread(j3, "track-unpublished"), 2);
    json_t *hidden = take(j3, "participant-left");
    assert_string_equal(str(hidden, "id"), j2->id);
    assert_string_equal(str(hidden, "reason"), "hidden");
    take(j3, "participant-joined"); /* J1 appears */

    /* Not exclusive: both keep the floor. */
    snprintf(arg, sizeof arg, "%s", target(j3));
    moderate_ok(fx, h, "give-floor", arg);
    assert_int_equal(part(j1)->role, YH_ROLE_SPEAKER);
    assert_int_equal(part(j3)->role, YH_ROLE_SPEAKER);

    /* Back to "everyone": attendees see each other again. */
    drain(j2);
    moderate_ok(fx, h, "settings", "\"publish\":\"everyone\"");
    assert_int_equal(unread(j2, "participant-joined"), 0); /* everyone else is visible */
    publish(fx, j2, "chrome-publish-offer.sdp", "[]");
    take(j2, "answer");
}

/* Where everyone publishes, an exclusive floor mutes the previous holder's
 * microphone instead; the floor lifts the host's mutes. */
static void test_floor_everyone(void **state)
{
    fixture_t *fx = *state;
    fake_t *h = join(fx, "m8", "Host");
    fake_t *a = join(fx, "m8", "A");
    fake_t *b = join(fx, "m8", "B");
    publish(fx, a, "chrome-publish-offer.sdp", "[]");
    publish(fx, b, "chrome-publish-offer.sdp", "[]");
    moderate_ok(fx, h, "mute-all", "");
    assert_true(track_of(a, YH_SOURCE_MICROPHONE)->muted);
    moderate_ok(fx, h, "give-floor", target(a));
    assert_false(track_of(a, YH_SOURCE_MICROPHONE)->muted);
    assert_int_equal(part(a)->host_muted, 0);
    assert_true(track_of(b, YH_SOURCE_MICROPHONE)->muted);
    char arg[96];
    snprintf(arg, sizeof arg, "%s,\"exclusive\":true", target(b));
    moderate_ok(fx, h, "give-floor", arg);
    assert_false(track_of(b, YH_SOURCE_MICROPHONE)->muted);
    assert_true(track_of(a, YH_SOURCE_MICROPHONE)->muted);
    assert_int_equal(part(a)->role, YH_ROLE_ATTENDEE);
    assert_non_null(part(a)->tracks); /* still publishing, muted */
}

/* ---- roll call -------------------------------------------------------------------------- */

static const char *rollcall_current(const json_t *mu)
{
    json_t *rc = json_object_get(json_object_get(mu, "meeting"), "rollCall");
    return json_is_null(rc) ? NULL : str(rc, "current");
}

static json_t *last_of(fake_t *f, const char *type)
{
    json_t *m = NULL;
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(type_of(f->msgs[i]), type) == 0)
            m = f->msgs[i];
    assert_non_null(m);
    drain(f);
    return m;
}

static void test_roll_call(void **state)
{
    fixture_t *fx = *state;
    fake_t *h = join(fx, "m9", "Dispatcher");
    fake_t *s1 = join(fx, "m9", "Site 1");
    fake_t *s2 = join(fx, "m9", "Site 2");
    fake_t *s3 = join(fx, "m9", "Site 3");
    publish(fx, h, "chrome-publish-offer.sdp", "[]");
    publish(fx, s1, "chrome-publish-offer.sdp", "[]");
    publish(fx, s2, "firefox-publish-offer.sdp", "[]");
    yh_meeting_track_t *m1 = track_of(s1, YH_SOURCE_MICROPHONE);
    yh_meeting_track_t *m2 = track_of(s2, YH_SOURCE_MICROPHONE);
    yh_meeting_track_t *c1 = track_of(s1, YH_SOURCE_CAMERA);
    drain(s3);

    moderate(fx, h, "roll-call-next", "");
    assert_string_equal(err_code(h), "bad-request");
    moderate_ok(fx, h, "roll-call-start", "\"interval\":10");
    json_t *mu = last_of(s3, "meeting-updated");
    json_t *rc = json_object_get(json_object_get(mu, "meeting"), "rollCall");
    assert_int_equal(json_integer_value(json_object_get(rc, "interval")), 10);
    assert_string_equal(rollcall_current(mu), s1->id);
    assert_string_equal(str(json_object_get(mu, "meeting"), "spotlight"), s1->id);
    /* The site called is heard; the other sites not; the host always;
     * video is untouched. */
    assert_false(m1->muted);
    assert_true(m2->muted);
    assert_false(c1->muted);
    assert_false(track_of(h, YH_SOURCE_MICROPHONE)->muted);
    assert_int_equal(unread(s1, "mute-request"), 1);
    moderate(fx, h, "roll-call-start", "\"interval\":10");
    assert_string_equal(err_code(h), "bad-request");
    /* A site not called may not unmute itself. */
    sendf(fx, s2, "{\"type\":\"mute\",\"id\":5,\"source\":\"microphone\",\"muted\":false}");
    assert_string_equal(err_code(s2), "forbidden");

    /* next: at once. */
    moderate_ok(fx, h, "roll-call-next", "");
    assert_string_equal(rollcall_current(last_of(s3, "meeting-updated")), s2->id);
    assert_true(m1->muted);
    assert_false(m2->muted);

    /* The timer: nothing before the interval, the next site after it. */
    uint64_t now = yh_now_us();
    yh_sig_tick(fx->s, now + 5 * 1000000ull);
    assert_int_equal(part(h)->meeting->rollcall.current, part(s2)->num);
    yh_sig_tick(fx->s, now + 11 * 1000000ull);
    assert_string_equal(rollcall_current(last_of(s3, "meeting-updated")), s3->id);
    assert_true(m2->muted);
    /* It wraps around to the first site. */
    yh_sig_tick(fx->s, now + 22 * 1000000ull);
    assert_int_equal(part(h)->meeting->rollcall.current, part(s1)->num);

    /* The site called leaves: the next one is called at once. */
    sendf(fx, s1, "{\"type\":\"leave\",\"id\":6}");
    assert_string_equal(rollcall_current(last_of(s3, "meeting-updated")), s2->id);

    /* stop: spotlight cleared, everyone's own state again. */
    moderate_ok(fx, h, "roll-call-stop", "");
    mu = last_of(s3, "meeting-updated");
    assert_null(rollcall_current(mu));
    assert_true(json_is_null(json_object_get(json_object_get(mu, "meeting"), "spotlight")));
    assert_false(m2->muted);

    /* It stops when the host who started it leaves. */
    moderate_ok(fx, h, "roll-call-start", "\"interval\":120");
    assert_true(m2->muted == 0);
    assert_int_not_equal(part(s2)->meeting->rollcall.current, 0);
    sendf(fx, h, "{\"type\":\"leave\",\"id\":7}");
    assert_int_equal(part(s2)->meeting->rollcall.current, 0);
    assert_false(m2->muted);
}

/* ---- chat, screen share, active speaker ---------------------------------------------------- */

static void test_chat_permissions(void **state)
{
    fixture_t *fx = *state;
    fake_t *h = join(fx, "m10", "Host");
    fake_t *a = join(fx, "m10", "A");
    fake_t *b = join(fx, "m10", "B");
    /* Attendees: privately to hosts only. */
    sendf(fx, a, "{\"type\":\"chat\",\"id\":2,\"text\":\"hi\",\"to\":\"%s\"}", b->id);
    assert_string_equal(err_code(a), "forbidden");
    assert_int_equal(unread(b, "chat"), 0);
    sendf(fx, a, "{\"type\":\"chat\",\"id\":3,\"text\":\"question\",\"to\":\"%s\"}", h->id);
    json_t *ch = take(h, "chat");
    assert_string_equal(str(ch, "to"), h->id);
    assert_string_equal(str(ch, "name"), "A");
    take(a, "chat");
    /* Hosts and speakers: to anyone. */
    sendf(fx, h, "{\"type\":\"chat\",\"id\":4,\"text\":\"answer\",\"to\":\"%s\"}", a->id);
    take(a, "chat");
    char arg[96];
    snprintf(arg, sizeof arg, "%s,\"role\":\"speaker\"", target(b));
    moderate_ok(fx, h, "set-role", arg);
    sendf(fx, b, "{\"type\":\"chat\",\"id\":5,\"text\":\"psst\",\"to\":\"%s\"}", a->id);
    take(b, "ok");
    /* Everyone may chat to everyone. */
    drain(b);
    sendf(fx, a, "{\"type\":\"chat\",\"id\":6,\"text\":\"all\"}");
    ch = take(b, "chat");
    assert_true(json_is_null(json_object_get(ch, "to")));
    take(h, "chat");
}

static void test_screen_share(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m11", "A");
    fake_t *b = join(fx, "m11", "B");
    publish(fx, a, "chrome-publish-offer.sdp", "[{\"mid\":\"1\",\"source\":\"screen\"}]");
    take(a, "answer");
    json_t *tp = NULL;
    while ((tp = take(b, "track-published")) &&
           strcmp(str(json_object_get(tp, "track"), "kind"), "video") != 0)
        ;
    assert_string_equal(str(json_object_get(tp, "track"), "source"), "screen");
    /* A second screen share in the meeting is refused as busy; nothing
     * of that publish is kept. */
    publish(fx, b, "chrome-publish-offer.sdp", "[{\"mid\":\"1\",\"source\":\"screen\"}]");
    assert_string_equal(err_code(b), "busy");
    assert_null(part(b)->tracks);
    assert_int_equal(part(b)->pub_transport, 0);
    /* Camera and microphone are fine. */
    publish(fx, b, "chrome-publish-offer.sdp", "[]");
    take(b, "answer");
    /* Once A stops sharing, B may. */
    sendf(fx, a, "{\"type\":\"unpublish\",\"id\":3,\"mid\":\"1\"}");
    take(a, "ok");
    assert_int_equal(unread(a, "error"), 0);
}

static void test_active_speaker(void **state)
{
    fixture_t *fx = *state;
    fake_t *a = join(fx, "m12", "A");
    fake_t *b = join(fx, "m12", "B");
    fake_t *c = join(fx, "m12", "C");
    publish(fx, a, "chrome-publish-offer.sdp", "[]");
    publish(fx, b, "chrome-publish-offer.sdp", "[]");
    drain(c);
    yh_sfu_level_t lv[3] = {
        {track_of(a, YH_SOURCE_MICROPHONE)->num, 127, 0},
        {track_of(b, YH_SOURCE_MICROPHONE)->num, 25, 100},
        {track_of(b, YH_SOURCE_CAMERA)->num, 25, 100}, /* not audio: ignored */
    };
    uint32_t room = part(a)->meeting->room;
    uint64_t now = 1000000;
    for (int i = 0; i < 10; i++)
        yh_sig_audio_levels(fx->s, room, lv, 3, now += 200000);
    yh_sig_audio_levels(fx->s, room + 1000, lv, 3, now); /* unknown room */
    assert_int_equal(unread(c, "active-speaker"), 1);
    json_t *ids = json_object_get(take(c, "active-speaker"), "ids");
    assert_int_equal(json_array_size(ids), 1);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), b->id);
    /* Without a spotlight the active speaker's camera comes first. */
    assert_true(track_of(b, YH_SOURCE_CAMERA)->priority);
    assert_false(track_of(a, YH_SOURCE_CAMERA)->priority);
    /* The listener is wired. */
    yh_sfu_listener_t l;
    yh_signal_sfu_listener(fx->s, &l);
    assert_non_null(l.audio_levels);
}

/* ---- with a store ------------------------------------------------------------------------- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forbidden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_mute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mute_on_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiting_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_end_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles_and_transfer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_video_priority, setup, teardown),
        cmocka_unit_test_setup_teardown(test_press_interview, setup, teardown),
        cmocka_unit_test_setup_teardown(test_floor_everyone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roll_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_screen_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_active_speaker, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
