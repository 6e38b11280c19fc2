/* Shared fixture of the signaling control tests: a dispatcher with fake
 * connections and no media plane (test_signal_control.c, test_signal_store.c). */
#ifndef YH_TESTS_SIGNAL_FIXTURE_H
#define YH_TESTS_SIGNAL_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "base/clock.h"
#include "base/log.h"
#include "signal/signal_int.h"
#include "store/store.h"

#define MAX_MSGS 1024
#define FP                                                                                         \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"   \
    "67:89"

typedef struct fake {
    yh_signal_conn_t *c;
    json_t *msgs[MAX_MSGS];
    uint8_t used[MAX_MSGS];
    size_t n;
    int close_code;
    char id[16]; /* participant id once joined */
} fake_t;

typedef struct fixture {
    uv_loop_t loop;
    yh_signal_t *s;
    fake_t *f[16];
    size_t n_f;
    yh_store_t *store;
    char dir[64];
    yh_auth_secret_t secret;
} fixture_t;

static __attribute__((unused)) int f_send(void *ctx, const char *text, size_t len)
{
    fake_t *f = ctx;
    json_error_t e;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!o)
        fail_msg("server sent invalid JSON: %s", e.text);
    assert_true(f->n < MAX_MSGS);
    f->msgs[f->n++] = o;
    return 0;
}

static __attribute__((unused)) void f_close(void *ctx, int code, const char *reason)
{
    ((fake_t *)ctx)->close_code = code;
}

static __attribute__((unused)) const yh_signal_conn_ops_t ops = {f_send, f_close};

static __attribute__((unused)) int setup_cfg(void **state, int no_adhoc)
{
    yh_log_set_level(YH_LOG_WARN);
    fixture_t *fx = calloc(1, sizeof *fx);
    uv_loop_init(&fx->loop);
    yh_signal_config_t cfg = {
        .candidate_ips = {"127.0.0.1"},
        .n_candidate_ips = 1,
        .media_port = 40000,
        .fingerprint = FP,
        .max_participants = 50,
        .no_adhoc = no_adhoc,
    };
    assert_int_equal(yh_signal_create(&fx->loop, &cfg, &fx->s), 0);
    *state = fx;
    return 0;
}

static __attribute__((unused)) int setup(void **state)
{
    return setup_cfg(state, 0);
}

/* With a store in a fresh directory and a token secret. */
static __attribute__((unused)) int setup_store(void **state)
{
    setup_cfg(state, 1);
    fixture_t *fx = *state;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/yh-test-control-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    assert_int_equal(yh_store_open(fx->dir, &fx->store), 0);
    memset(fx->secret.key, 0x5a, 48);
    fx->secret.len = 48;
    yh_signal_attach_store(fx->s, fx->store);
    yh_signal_attach_secret(fx->s, &fx->secret);
    return 0;
}

static __attribute__((unused)) int teardown(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; i < fx->n_f; i++) {
        fake_t *f = fx->f[i];
        if (f->c)
            yh_signal_conn_closed(fx->s, f->c);
        for (size_t k = 0; k < f->n; k++)
            json_decref(f->msgs[k]);
        free(f);
    }
    yh_signal_destroy(fx->s);
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    if (fx->store) {
        yh_store_close(fx->store);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
        assert_int_equal(system(cmd), 0);
    }
    free(fx);
    return 0;
}

/* ---- the fake client ------------------------------------------------------- */

static __attribute__((unused)) fake_t *fake_open(fixture_t *fx)
{
    fake_t *f = calloc(1, sizeof *f);
    assert_int_equal(yh_signal_conn_open(fx->s, &ops, f, &f->c), 0);
    fx->f[fx->n_f++] = f;
    return f;
}

static __attribute__((unused)) void sendf(fixture_t *fx, fake_t *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static __attribute__((unused)) void sendf(fixture_t *fx, fake_t *f, const char *fmt, ...)
{
    static char text[200000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    yh_signal_handle_text(fx->s, f->c, text, strlen(text));
}

static __attribute__((unused)) const char *type_of(const json_t *m)
{
    return json_string_value(json_object_get(m, "type"));
}

static __attribute__((unused)) const char *str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    if (!v)
        fail_msg("no string '%s'", key);
    return v;
}

/* The first unread message of `type` (marked read); fails when none. */
#define take(f, type) take_at((f), (type), __LINE__)

static __attribute__((unused)) json_t *take_at(fake_t *f, const char *type, int line)
{
    for (size_t i = 0; i < f->n; i++) {
        if (!f->used[i] && strcmp(type_of(f->msgs[i]), type) == 0) {
            f->used[i] = 1;
            return f->msgs[i];
        }
    }
    char seen[600] = "";
    for (size_t i = 0; i < f->n; i++)
        if (!f->used[i] && strlen(seen) < 500)
            snprintf(seen + strlen(seen), sizeof seen - strlen(seen), " %s", type_of(f->msgs[i]));
    if (getenv("YH_TEST_DUMP"))
        for (size_t i = 0; i < f->n; i++) {
            char *t = json_dumps(f->msgs[i], JSON_COMPACT);
            fprintf(stderr, "%c %.200s\n", f->used[i] ? ' ' : '*', t);
            free(t);
        }
    fail_msg("line %d: expected '%s'; unread:%s", line, type, seen);
    return NULL;
}

static __attribute__((unused)) size_t unread(const fake_t *f, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += !f->used[i] && strcmp(type_of(f->msgs[i]), type) == 0;
    return n;
}

static __attribute__((unused)) size_t unread_any(const fake_t *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += !f->used[i];
    return n;
}

static __attribute__((unused)) void drain(fake_t *f)
{
    memset(f->used, 1, f->n);
}

/* The error code of the reply to the last request (an error must come). */
static __attribute__((unused)) const char *err_code(fake_t *f)
{
    return str(take(f, "error"), "code");
}

static __attribute__((unused)) fake_t *join(fixture_t *fx, const char *meeting, const char *name)
{
    fake_t *f = fake_open(fx);
    sendf(fx, f, "{\"type\":\"join\",\"id\":1,\"meeting\":\"%s\",\"name\":\"%s\"}", meeting, name);
    json_t *j = take(f, "joined");
    snprintf(f->id, sizeof f->id, "%s", str(json_object_get(j, "self"), "id"));
    return f;
}

static __attribute__((unused)) yh_participant_t *part(fake_t *f)
{
    assert_non_null(f->c->p);
    return f->c->p;
}

static __attribute__((unused)) void moderate(fixture_t *fx, fake_t *f, const char *action, const char *extra)
{
    sendf(fx, f, "{\"type\":\"moderate\",\"id\":9,\"action\":\"%s\"%s%s}", action,
          extra[0] ? "," : "", extra);
}

static __attribute__((unused)) void moderate_ok(fixture_t *fx, fake_t *f, const char *action, const char *extra)
{
    moderate(fx, f, action, extra);
    if (unread(f, "error")) {
        char *t = json_dumps(take(f, "error"), 0);
        fail_msg("moderate %s: %s", action, t);
    }
    take(f, "ok");
}

/* ---- SDP ---------------------------------------------------------------------- */

static __attribute__((unused)) char *esc_vector(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sdp/%s", YH_VECTORS_DIR, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char raw[65536], out[140000];
    size_t n = fread(raw, 1, sizeof raw - 1, fp);
    fclose(fp);
    raw[n] = '\0';
    char *w = out;
    for (const char *p = raw; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            *w++ = '\\';
            *w++ = *p == '\r' ? 'r' : 'n';
        } else {
            if (*p == '"' || *p == '\\')
                *w++ = '\\';
            *w++ = *p;
        }
    }
    *w = '\0';
    return out;
}

/* Publishes Chrome's audio + video offer; `tracks` is the tracks array. */
static __attribute__((unused)) void publish(fixture_t *fx, fake_t *f, const char *vector, const char *tracks)
{
    sendf(fx, f, "{\"type\":\"publish\",\"id\":2,\"sdp\":\"%s\",\"tracks\":%s}", esc_vector(vector),
          tracks);
}

static __attribute__((unused)) yh_meeting_track_t *track_of(fake_t *f, yh_source_t src)
{
    for (yh_meeting_track_t *t = part(f)->tracks; t; t = t->next)
        if (t->source == src)
            return t;
    fail_msg("no track of source %d", (int)src);
    return NULL;
}

/* ---- permissions ---------------------------------------------------------------- */

/* "participant":"<id of f>" */
static __attribute__((unused)) const char *target(const fake_t *f)
{
    static char buf[4][64];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "\"participant\":\"%s\"", f->id);
    return b;
}

#endif
