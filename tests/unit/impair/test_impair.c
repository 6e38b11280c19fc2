/*
 * yunhui-impair: the model (pure, deterministic with a seed), the control
 * parser (good and bad commands), and the relay in-process on a real libuv
 * loop with real UDP sockets on 127.0.0.1: a "server" socket behind it and
 * "client" sockets in front. Timing checks are one-sided or generous.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "impair_core.h"
#include "impair_relay.h"

/* ---- the model ---- */

static void test_parse_options(void **state)
{
    yh_impair_cfg_t c[2];
    yh_impair_cfg_init(&c[0]);
    yh_impair_cfg_init(&c[1]);
    assert_int_equal(yh_impair_cfg_set(c, "loss", "2.5"), 0);
    assert_true(c[0].loss_pct == 2.5 && c[1].loss_pct == 2.5);
    assert_int_equal(yh_impair_cfg_set(c, "down-rate", "300"), 0);
    assert_int_equal(c[1].rate_kbps, 300);
    assert_int_equal(c[0].rate_kbps, 0);
    assert_int_equal(yh_impair_cfg_set(c, "up-burst-loss", "10:200"), 0);
    assert_true(c[0].burst_pct == 10 && c[0].burst_len_ms == 200 && c[1].burst_pct == 0);
    assert_int_equal(yh_impair_cfg_set(c, "reorder", NULL), 0);
    assert_true(c[0].reorder && c[1].reorder);
    assert_int_equal(yh_impair_cfg_is_flag("up-reorder"), 1);
    assert_int_equal(yh_impair_cfg_is_flag("jitter"), 0);
    assert_int_equal(yh_impair_cfg_is_flag("listen"), YH_ENOTFOUND);
    assert_int_equal(c[0].queue_ms, YH_IMPAIR_QUEUE_DEFAULT_MS);
}

static void test_ctl_parse_good(void **state)
{
    yh_impair_cfg_t c[2];
    int act;
    char err[128];
    yh_impair_cfg_init(&c[0]);
    yh_impair_cfg_init(&c[1]);
    const char *cmd = "down-rate 500 up-delay 40\tjitter 5 reorder off stats\n";
    assert_int_equal(yh_impair_ctl_parse(cmd, strlen(cmd), c, &act, err, sizeof err), 0);
    assert_int_equal(act, YH_IMPAIR_ACT_STATS);
    assert_int_equal(c[1].rate_kbps, 500);
    assert_int_equal(c[0].delay_ms, 40);
    assert_int_equal(c[1].delay_ms, 0);
    assert_int_equal(c[0].jitter_ms, 5);
    cmd = "clear loss 5 zero";
    assert_int_equal(yh_impair_ctl_parse(cmd, strlen(cmd), c, &act, err, sizeof err), 0);
    assert_int_equal(act, YH_IMPAIR_ACT_ZERO);
    assert_int_equal(c[1].rate_kbps, 0);
    assert_int_equal(c[0].delay_ms, 0);
    assert_true(c[0].loss_pct == 5 && c[1].loss_pct == 5);
    cmd = "reorder";
    assert_int_equal(yh_impair_ctl_parse(cmd, strlen(cmd), c, &act, err, sizeof err), 0);
    assert_true(c[0].reorder);
}

static void test_ctl_parse_bad(void **state)
{
    static const char *const bad[] = {
        "",
        "   ",
        "loss",
        "loss abc",
        "loss 101",
        "loss -1",
        "loss 1e2",
        "loss nan",
        "loss 1.2.3",
        "loss .5",
        "rate -5",
        "rate 0x10",
        "rate 99999999",
        "delay 60001",
        "foo 1",
        "up-down-rate 5",
        "upload 5",
        "burst-loss 10",
        "burst-loss 10:",
        "burst-loss :5",
        "burst-loss 10:0",
        "burst-loss 0:100",
        "reorder maybe 1",
        "jitter 5 bogus",
        "loss 5 delay",
        "queue 1234567890",
        "stats\x01",
    };
    yh_impair_cfg_t c[2];
    char err[128];
    int act;
    yh_impair_cfg_init(&c[0]);
    yh_impair_cfg_init(&c[1]);
    c[1].rate_kbps = 77;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        int rc = yh_impair_ctl_parse(bad[i], strlen(bad[i]), c, &act, err, sizeof err);
        if (rc >= 0)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(err[0] != '\0');
        /* Nothing applied: not even the valid tokens before the bad one. */
        assert_true(c[0].loss_pct == 0 && c[0].delay_ms == 0 && c[1].rate_kbps == 77);
    }
    char big[YH_IMPAIR_CTL_MAX + 2];
    memset(big, ' ', sizeof big);
    memcpy(big, "stats", 5);
    assert_int_equal(yh_impair_ctl_parse(big, sizeof big, c, &act, err, sizeof err), YH_ELIMIT);
    /* A NUL inside the datagram is not a terminator. */
    assert_int_equal(yh_impair_ctl_parse("loss 5\0x", 8, c, &act, err, sizeof err), YH_EPARSE);
    /* The longest command that fits: alternating one-character tokens. */
    char many[YH_IMPAIR_CTL_MAX];
    for (size_t i = 0; i < sizeof many; i++)
        many[i] = i % 2 ? ' ' : 'x';
    assert_true(yh_impair_ctl_parse(many, sizeof many, c, &act, err, sizeof err) < 0);
}

static void test_model_jitter_keeps_order(void **state)
{
    yh_impair_dir_t d;
    yh_impair_link_t l = {0};
    yh_impair_cfg_t c;
    yh_impair_cfg_init(&c);
    c.delay_ms = 20;
    c.jitter_ms = 15;
    yh_impair_dir_init(&d, 7, 0);
    yh_impair_dir_configure(&d, &c, 0);
    uint64_t prev = 0, due, sum = 0;
    for (uint64_t t = 0; t < 10000; t++) {
        assert_int_equal(yh_impair_dir_admit(&d, &l, t * 1000, 100, &due), YH_IMPAIR_PASS);
        assert_true(due >= prev);
        assert_true(due >= t * 1000 + 5000);
        sum += due - t * 1000;
        prev = due;
    }
    /* Keeping order only raises delays: the mean is at least DELAY. */
    assert_true(sum / 10000 >= 20000 && sum / 10000 < 35000);

    c.reorder = 1;
    yh_impair_dir_init(&d, 7, 0);
    l = (yh_impair_link_t){0};
    yh_impair_dir_configure(&d, &c, 0);
    int reordered = 0;
    prev = 0;
    for (uint64_t t = 0; t < 1000; t++) {
        yh_impair_dir_admit(&d, &l, t * 1000, 100, &due);
        reordered += due < prev;
        prev = due;
    }
    assert_true(reordered > 0);
}

static void test_model_burst_is_periodic(void **state)
{
    yh_impair_dir_t d;
    yh_impair_link_t l = {0};
    yh_impair_cfg_t c;
    yh_impair_cfg_init(&c);
    c.burst_pct = 10;
    c.burst_len_ms = 100; /* 100 ms out of every 1000 ms */
    yh_impair_dir_init(&d, 1, 0);
    yh_impair_dir_configure(&d, &c, 5000000);
    uint64_t due;
    for (uint64_t t = 0; t < 10000; t++) {
        uint64_t now = 5000000 + t * 1000;
        int rc = yh_impair_dir_admit(&d, &l, now, 100, &due);
        int expect = (t % 1000) < 100 ? YH_IMPAIR_DROP_BURST : YH_IMPAIR_PASS;
        assert_int_equal(rc, expect);
    }
    assert_int_equal(d.c.drop_burst, 1000);
}

static void test_model_rate_tail_drop(void **state)
{
    yh_impair_dir_t d;
    yh_impair_link_t l = {0};
    yh_impair_cfg_t c;
    yh_impair_cfg_init(&c);
    c.rate_kbps = 1000; /* 1000-byte packet: 8 ms on the link */
    c.queue_ms = 100;
    yh_impair_dir_init(&d, 1, 0);
    yh_impair_dir_configure(&d, &c, 0);
    uint64_t due, last = 0;
    int pass = 0;
    for (uint64_t t = 0; t < 1000; t++) { /* 8 Mbit/s offered for 1 s */
        if (yh_impair_dir_admit(&d, &l, t * 1000, 1000, &due) == YH_IMPAIR_PASS) {
            pass++;
            assert_true(due <= t * 1000 + 108000); /* waited at most the queue */
            last = due;
        }
    }
    /* 1 s at the rate is 125 packets, plus what the queue holds at the end. */
    assert_in_range(pass, 125, 125 + 14);
    assert_int_equal(d.c.drop_queue, 1000 - pass);
    assert_in_range(last, 1000000, 1120000);
    assert_in_range(yh_impair_dir_queue_ms(&d, &l, 999000), 95, 108);
}

/* Two clients' links in one direction under one rate limit: a full queue on
 * the first (a receiver's capped downlink) neither delays nor drops what the
 * second gets (the publisher's keyframe requests), while the first keeps its
 * own FIFO and tail drop. The direction's counters see both. */
static void test_model_links_do_not_share_queue(void **state)
{
    yh_impair_dir_t d;
    yh_impair_link_t l1 = {0}, l2 = {0};
    yh_impair_cfg_t c;
    yh_impair_cfg_init(&c);
    c.rate_kbps = 300; /* 1200 bytes: 32 ms on the link; 100 bytes: 2666 us */
    c.queue_ms = 200;
    const uint64_t t0 = 1000000;
    yh_impair_dir_init(&d, 1, 0);
    yh_impair_dir_configure(&d, &c, 0);
    uint64_t due;
    int pass = 0;
    /* Waits of 0, 32, .., 192 ms fit the 200 ms queue; the 8th would wait
     * 224 ms and is dropped. */
    while (yh_impair_dir_admit(&d, &l1, t0, 1200, &due) == YH_IMPAIR_PASS) {
        pass++;
        assert_int_equal(due, t0 + (uint64_t)pass * 32000);
        assert_true(pass < 100);
    }
    assert_int_equal(pass, 7);
    assert_int_equal(yh_impair_dir_queue_ms(&d, &l1, t0), 224);
    assert_int_equal(yh_impair_dir_queue_ms(&d, &l2, t0), 0);

    /* Link 2 at the same instant: only its own serialisation time. */
    assert_int_equal(yh_impair_dir_admit(&d, &l2, t0, 100, &due), YH_IMPAIR_PASS);
    assert_int_equal(due, t0 + 2666);
    assert_int_equal(yh_impair_dir_queue_ms(&d, &l2, t0), 2);
    assert_int_equal(yh_impair_dir_queue_ms(&d, &l1, t0), 224);

    /* Link 1 is still full now, and 32 ms later takes one more behind its
     * queue, in order. */
    assert_int_equal(yh_impair_dir_admit(&d, &l1, t0, 1200, &due), YH_IMPAIR_DROP_QUEUE);
    assert_int_equal(yh_impair_dir_admit(&d, &l1, t0 + 32000, 1200, &due), YH_IMPAIR_PASS);
    assert_int_equal(due, t0 + 8 * 32000);

    assert_int_equal(d.c.in, 7 + 1 + 1 + 1 + 1);
    assert_int_equal(d.c.bytes_in, 10 * 1200 + 100);
    assert_int_equal(d.c.drop_queue, 2);
}

/* Without --reorder order is kept per link: a long delay on one client's
 * packet does not hold back a later packet of another client. */
static void test_model_links_keep_own_order(void **state)
{
    yh_impair_dir_t d;
    yh_impair_link_t l1 = {0}, l2 = {0};
    yh_impair_cfg_t c;
    yh_impair_cfg_init(&c);
    c.delay_ms = 500;
    yh_impair_dir_init(&d, 1, 0);
    yh_impair_dir_configure(&d, &c, 0);
    uint64_t due;
    assert_int_equal(yh_impair_dir_admit(&d, &l1, 1000, 100, &due), YH_IMPAIR_PASS);
    assert_int_equal(due, 501000);
    c.delay_ms = 0;
    yh_impair_dir_configure(&d, &c, 2000);
    assert_int_equal(yh_impair_dir_admit(&d, &l2, 2000, 100, &due), YH_IMPAIR_PASS);
    assert_int_equal(due, 2000);
    assert_int_equal(yh_impair_dir_admit(&d, &l1, 2000, 100, &due), YH_IMPAIR_PASS);
    assert_int_equal(due, 501000); /* raised to keep link 1's order */
}

/* ---- the relay on a loop ---- */

typedef struct {
    uint64_t n, bytes, min_delay_us, max_delay_us;
    uint32_t next_seq;
    int out_of_order;
    char tags[4];      /* distinct tags seen */
    uint16_t ports[4]; /* distinct source ports seen (server side) */
} rec_t;

typedef struct {
    uv_loop_t loop;
    yh_impair_relay_t *relay;
    int srv, cli[2], ctl;
    int echo;
    struct sockaddr_storage listen, control;
    rec_t srv_rec, cli_rec[2];
} fx_t;

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int udp_sock(struct sockaddr_in *bound)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big); /* may fail: not root */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    if (bound)
        *bound = a;
    return fd;
}

static fx_t *fx_start(const char *impair, uint32_t pool, uint32_t idle_ms)
{
    static fx_t fx;
    memset(&fx, 0, sizeof fx);
    assert_int_equal(uv_loop_init(&fx.loop), 0);
    struct sockaddr_in srv;
    fx.srv = udp_sock(&srv);
    yh_impair_opts_t o;
    memset(&o, 0, sizeof o);
    yh_impair_cfg_init(&o.cfg[0]);
    yh_impair_cfg_init(&o.cfg[1]);
    struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    memcpy(&o.listen, &lo, sizeof lo);
    memcpy(&o.control, &lo, sizeof lo);
    memcpy(&o.upstream, &srv, sizeof srv);
    o.has_control = 1;
    o.seed = 42;
    o.pool_size = pool;
    o.idle_ms = idle_ms;
    assert_int_equal(yh_impair_relay_create(&fx.loop, &o, &fx.relay), 0);
    assert_int_equal(yh_impair_relay_addr(fx.relay, YH_IMPAIR_SOCK_LISTEN, &fx.listen), 0);
    assert_int_equal(yh_impair_relay_addr(fx.relay, YH_IMPAIR_SOCK_CONTROL, &fx.control), 0);
    char reply[4096];
    if (impair)
        assert_int_equal(
            yh_impair_relay_command(fx.relay, impair, strlen(impair), reply, sizeof reply), 0);
    fx.cli[0] = udp_sock(NULL);
    fx.cli[1] = udp_sock(NULL);
    fx.ctl = udp_sock(NULL);
    fx.srv_rec.min_delay_us = fx.cli_rec[0].min_delay_us = fx.cli_rec[1].min_delay_us = ~0ull;
    return &fx;
}

static void fx_stop(fx_t *fx)
{
    yh_impair_relay_close(fx->relay);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    close(fx->srv);
    close(fx->cli[0]);
    close(fx->cli[1]);
    close(fx->ctl);
}

/* Payload: seq (4), send time in us (8), tag (1), padding. */
static void send_pkt(fx_t *fx, int cli, uint32_t seq, char tag, size_t len)
{
    uint8_t b[1500] = {0};
    uint64_t t = mono_us();
    memcpy(b, &seq, 4);
    memcpy(b + 4, &t, 8);
    b[12] = (uint8_t)tag;
    ssize_t n =
        sendto(fx->cli[cli], b, len, 0, (struct sockaddr *)&fx->listen, sizeof(struct sockaddr_in));
    assert_int_equal(n, (ssize_t)len);
}

static void record(rec_t *r, const uint8_t *b, ssize_t n, uint16_t port)
{
    uint32_t seq;
    uint64_t t, now = mono_us();
    memcpy(&seq, b, 4);
    memcpy(&t, b + 4, 8);
    r->n++;
    r->bytes += (uint64_t)n;
    r->out_of_order += seq < r->next_seq;
    r->next_seq = seq + 1;
    uint64_t delay = now - t;
    r->min_delay_us = delay < r->min_delay_us ? delay : r->min_delay_us;
    r->max_delay_us = delay > r->max_delay_us ? delay : r->max_delay_us;
    for (int i = 0; i < 4 && r->tags[i] != (char)b[12]; i++)
        if (!r->tags[i]) {
            r->tags[i] = (char)b[12];
            break;
        }
    for (int i = 0; i < 4 && r->ports[i] != port; i++)
        if (!r->ports[i]) {
            r->ports[i] = port;
            break;
        }
}

/* Drains one socket into its record; the server echoes when fx->echo. */
static int drain(fx_t *fx, int fd, rec_t *r)
{
    uint8_t b[2048];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    int got = 0;
    ssize_t n;
    while ((n = recvfrom(fd, b, sizeof b, 0, (struct sockaddr *)&from, &fl)) >= 13) {
        record(r, b, n, ntohs(from.sin_port));
        if (fd == fx->srv && fx->echo)
            sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&from, fl);
        got = 1;
        fl = sizeof from;
    }
    return got;
}

/* Runs the relay's loop and drains every socket for `ms` milliseconds. */
static void pump(fx_t *fx, int ms)
{
    uint64_t end = mono_us() + (uint64_t)ms * 1000;
    do {
        uv_run(&fx->loop, UV_RUN_NOWAIT);
        int got = drain(fx, fx->srv, &fx->srv_rec);
        got |= drain(fx, fx->cli[0], &fx->cli_rec[0]);
        got |= drain(fx, fx->cli[1], &fx->cli_rec[1]);
        if (!got)
            usleep(200);
    } while (mono_us() < end);
}

/* A number from the relay's stats: dir "up"/"down" (or NULL), key. */
static long long stat_of(fx_t *fx, const char *dir, const char *key)
{
    char reply[4096];
    assert_int_equal(yh_impair_relay_command(fx->relay, "stats", 5, reply, sizeof reply), 0);
    json_t *j = json_loads(reply, 0, NULL);
    assert_non_null(j);
    json_t *o = dir ? json_object_get(j, dir) : j;
    long long v = json_integer_value(json_object_get(o, key));
    json_decref(j);
    return v;
}

static void test_relay_passthrough_in_order(void **state)
{
    fx_t *fx = fx_start(NULL, 0, 0);
    for (uint32_t i = 0; i < 1000; i++) {
        send_pkt(fx, 0, i, 'a', 200);
        if (i % 50 == 49)
            pump(fx, 2);
    }
    pump(fx, 100);
    assert_int_equal(fx->srv_rec.n, 1000);
    assert_int_equal(fx->srv_rec.out_of_order, 0);
    assert_int_equal(fx->srv_rec.bytes, 200000);
    assert_int_equal(stat_of(fx, "up", "out"), 1000);
    assert_int_equal(stat_of(fx, NULL, "clients"), 1);
    fx_stop(fx);
}

static void test_relay_random_loss(void **state)
{
    fx_t *fx = fx_start("loss 20", 0, 0);
    for (uint32_t i = 0; i < 5000; i++) {
        send_pkt(fx, 0, i, 'a', 100);
        if (i % 100 == 99)
            pump(fx, 2);
    }
    pump(fx, 100);
    print_message("loss 20: %llu of 5000 passed\n", (unsigned long long)fx->srv_rec.n);
    /* 20% +- 3% of 5000. */
    assert_in_range(fx->srv_rec.n, 3850, 4150);
    assert_int_equal(stat_of(fx, "up", "drop_loss"), 5000 - (long long)fx->srv_rec.n);
    assert_int_equal(fx->srv_rec.out_of_order, 0);
    fx_stop(fx);
}

static void test_relay_delay(void **state)
{
    fx_t *fx = fx_start("up-delay 50", 0, 0);
    for (uint32_t i = 0; i < 20; i++) {
        send_pkt(fx, 0, i, 'a', 100);
        pump(fx, 5);
    }
    pump(fx, 200);
    assert_int_equal(fx->srv_rec.n, 20);
    print_message("delay 50: %llu..%llu us\n", (unsigned long long)fx->srv_rec.min_delay_us,
                  (unsigned long long)fx->srv_rec.max_delay_us);
    assert_true(fx->srv_rec.min_delay_us >= 45000);
    assert_true(fx->srv_rec.max_delay_us < 1000000);
    fx_stop(fx);
}

static void test_relay_rate_limit(void **state)
{
    fx_t *fx = fx_start("rate 1000 queue 100", 0, 0);
    /* Offer 2 Mbit/s (1000-byte packets every 4 ms) for 2 s; count what the
     * server receives in those 2 s. */
    uint64_t start = mono_us();
    uint32_t sent = 0;
    while (mono_us() - start < 2000000) {
        while (sent * 4000ull <= mono_us() - start)
            send_pkt(fx, 0, sent++, 'a', 1000);
        pump(fx, 1);
    }
    uint64_t bytes = fx->srv_rec.bytes;
    pump(fx, 300);
    print_message("rate 1000: %llu bytes in 2 s, %u sent\n", (unsigned long long)bytes, sent);
    /* 1000 kbit/s over 2 s is 250000 bytes; +-25%. */
    assert_in_range(bytes, 187500, 312500);
    long long dq = stat_of(fx, "up", "drop_queue");
    assert_true(dq > (long long)sent / 4);
    assert_int_equal(fx->srv_rec.n + (uint64_t)dq, sent);
    fx_stop(fx);
}

/* Sends a command to the control socket and waits for the JSON reply. */
static json_t *control(fx_t *fx, const char *cmd)
{
    sendto(fx->ctl, cmd, strlen(cmd), 0, (struct sockaddr *)&fx->control,
           sizeof(struct sockaddr_in));
    char b[4096];
    for (int i = 0; i < 1000; i++) {
        uv_run(&fx->loop, UV_RUN_NOWAIT);
        ssize_t n = recv(fx->ctl, b, sizeof b - 1, 0);
        if (n > 0) {
            b[n] = '\0';
            json_t *j = json_loads(b, 0, NULL);
            assert_non_null(j);
            return j;
        }
        usleep(1000);
    }
    fail_msg("no reply to \"%s\"", cmd);
    return NULL;
}

static void test_relay_control_changes_loss(void **state)
{
    fx_t *fx = fx_start(NULL, 0, 0);
    uint32_t seq = 0;
    for (int i = 0; i < 200; i++)
        send_pkt(fx, 0, seq++, 'a', 100);
    pump(fx, 50);
    assert_int_equal(fx->srv_rec.n, 200);

    json_t *j = control(fx, "loss 100");
    assert_true(json_is_true(json_object_get(j, "ok")));
    json_decref(j);
    for (int i = 0; i < 200; i++)
        send_pkt(fx, 0, seq++, 'a', 100);
    pump(fx, 50);
    assert_int_equal(fx->srv_rec.n, 200);

    j = control(fx, "bogus 1");
    assert_true(json_is_false(json_object_get(j, "ok")));
    assert_non_null(json_string_value(json_object_get(j, "error")));
    json_decref(j);

    j = control(fx, "clear stats");
    json_t *up = json_object_get(j, "up");
    assert_int_equal(json_integer_value(json_object_get(up, "drop_loss")), 200);
    assert_int_equal(json_integer_value(json_object_get(up, "in")), 400);
    json_decref(j);
    for (int i = 0; i < 200; i++)
        send_pkt(fx, 0, seq++, 'a', 100);
    pump(fx, 50);
    assert_int_equal(fx->srv_rec.n, 400);
    fx_stop(fx);
}

static void test_relay_two_clients(void **state)
{
    fx_t *fx = fx_start("down-delay 10", 0, 0);
    fx->echo = 1;
    for (uint32_t i = 0; i < 50; i++) {
        send_pkt(fx, 0, i, 'a', 100);
        send_pkt(fx, 1, i, 'b', 100);
        pump(fx, 1);
    }
    pump(fx, 100);
    assert_int_equal(fx->srv_rec.n, 100);
    /* The server saw two source ports, one per client. */
    assert_true(fx->srv_rec.ports[0] && fx->srv_rec.ports[1] && !fx->srv_rec.ports[2]);
    for (int c = 0; c < 2; c++) {
        assert_int_equal(fx->cli_rec[c].n, 50);
        assert_int_equal(fx->cli_rec[c].tags[0], c ? 'b' : 'a');
        assert_int_equal(fx->cli_rec[c].tags[1], 0);
        assert_int_equal(fx->cli_rec[c].out_of_order, 0);
        /* Replies come from the listen socket. */
        assert_int_equal(fx->cli_rec[c].ports[0],
                         ntohs(((struct sockaddr_in *)&fx->listen)->sin_port));
    }
    assert_int_equal(stat_of(fx, NULL, "clients"), 2);
    fx_stop(fx);
}

/* The downlink cap is each client's own: client 0's echoes fill its 200 ms
 * queue and are tail-dropped, and client 1's echo, sent after, still comes
 * back at once (behind a shared queue it would wait ~200 ms or be dropped). */
static void test_relay_capped_downlink_per_client(void **state)
{
    fx_t *fx = fx_start("down-rate 300 down-queue 200", 0, 0);
    fx->echo = 1;
    for (uint32_t i = 0; i < 30; i++)
        send_pkt(fx, 0, i, 'a', 1200);
    pump(fx, 20);
    assert_int_equal(fx->srv_rec.n, 30);
    /* The longest client queue: at most 7 packets of 32 ms, draining. */
    long long q = stat_of(fx, "down", "queue_ms");
    assert_true(q > 0 && q <= 224);
    send_pkt(fx, 1, 0, 'b', 100);
    pump(fx, 400);
    print_message("client 1 behind client 0's full downlink: %llu us\n",
                  (unsigned long long)fx->cli_rec[1].max_delay_us);
    assert_int_equal(fx->cli_rec[1].n, 1);
    assert_true(fx->cli_rec[1].max_delay_us < 100000);
    /* Client 0 got what its queue held, in order; the rest was dropped. */
    assert_in_range(fx->cli_rec[0].n, 7, 10);
    assert_int_equal(fx->cli_rec[0].out_of_order, 0);
    assert_int_equal(stat_of(fx, "down", "drop_queue"), 30 - (long long)fx->cli_rec[0].n);
    assert_int_equal(stat_of(fx, "down", "in"), 31);
    assert_int_equal(stat_of(fx, "down", "queue_ms"), 0);
    fx_stop(fx);
}

static void test_relay_idle_client_expires(void **state)
{
    fx_t *fx = fx_start(NULL, 0, 100);
    send_pkt(fx, 0, 0, 'a', 100);
    pump(fx, 20);
    assert_int_equal(stat_of(fx, NULL, "clients"), 1);
    pump(fx, 300);
    assert_int_equal(stat_of(fx, NULL, "clients"), 0);
    /* The client comes back with a new upstream socket. */
    send_pkt(fx, 0, 1, 'a', 100);
    pump(fx, 20);
    assert_int_equal(fx->srv_rec.n, 2);
    assert_true(fx->srv_rec.ports[1] != 0);
    fx_stop(fx);
}

static void test_relay_pool_exhaustion(void **state)
{
    fx_t *fx = fx_start("delay 100", 16, 0);
    for (uint32_t i = 0; i < 100; i++)
        send_pkt(fx, 0, i, 'a', 100);
    pump(fx, 50);
    assert_int_equal(stat_of(fx, "up", "held"), 16);
    pump(fx, 150);
    assert_int_equal(fx->srv_rec.n, 16);
    assert_int_equal(stat_of(fx, "up", "drop_pool"), 84);
    /* The pool is whole again. */
    for (uint32_t i = 100; i < 110; i++)
        send_pkt(fx, 0, i, 'a', 100);
    pump(fx, 200);
    assert_int_equal(fx->srv_rec.n, 26);
    fx_stop(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_options),
        cmocka_unit_test(test_ctl_parse_good),
        cmocka_unit_test(test_ctl_parse_bad),
        cmocka_unit_test(test_model_jitter_keeps_order),
        cmocka_unit_test(test_model_burst_is_periodic),
        cmocka_unit_test(test_model_rate_tail_drop),
        cmocka_unit_test(test_model_links_do_not_share_queue),
        cmocka_unit_test(test_model_links_keep_own_order),
        cmocka_unit_test(test_relay_passthrough_in_order),
        cmocka_unit_test(test_relay_random_loss),
        cmocka_unit_test(test_relay_delay),
        cmocka_unit_test(test_relay_rate_limit),
        cmocka_unit_test(test_relay_control_changes_loss),
        cmocka_unit_test(test_relay_two_clients),
        cmocka_unit_test(test_relay_capped_downlink_per_client),
        cmocka_unit_test(test_relay_idle_client_expires),
        cmocka_unit_test(test_relay_pool_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
