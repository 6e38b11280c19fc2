/*
 * yunhui-impair core: the impairment model of the relay, with no I/O. A
 * datagram arriving at time `now` is either dropped (random loss, a burst
 * outage, a full queue) or given the single time at which it leaves the
 * relay; the relay (impair_relay.c) only holds it until then.
 *
 * Stages, in the order a packet meets them (as on a real path: loss and
 * outages at the link, then the bottleneck queue, then propagation):
 *   1. burst outage: periodic. With --burst-loss PCT:LEN_MS the period is
 *      P = LEN_MS * 100 / PCT and everything arriving in [k*P, k*P + LEN_MS)
 *      after the setting took effect is dropped (PCT 10, LEN 200: a 200 ms
 *      outage every 2 s). Periodic rather than Gilbert-Elliott so that a
 *      bench run shows the same outages every time.
 *   2. random loss: each remaining packet independently with --loss PCT.
 *   3. rate limit: a serialising link of --rate KBPS. A packet starts when
 *      the link has sent everything before it; if that wait exceeds --queue
 *      MS it is dropped instead (tail drop). This is a token bucket one
 *      packet deep: no burst above the rate passes.
 *   4. delay and jitter: release = sent + DELAY + uniform[-JITTER, +JITTER]
 *      (not below 0), then, unless --reorder, raised to the previous
 *      release on the same link so the order never changes (which makes the
 *      mean delay a little higher than DELAY when jitter is large).
 *
 * Settings, the random stream, the burst period and the counters belong to
 * a direction (yh_impair_dir_t), shared by all clients. Stages 3 and 4 run
 * on a link (yh_impair_link_t): one client's own access link in one
 * direction. A capped downlink is the receiver's last mile, not a shared
 * core link, so one client's queue must not delay or tail-drop another
 * client's packets (a publisher's keyframe requests behind a receiver's
 * video, say).
 */
#ifndef YH_IMPAIR_CORE_H
#define YH_IMPAIR_CORE_H

#include <stddef.h>
#include <stdint.h>

enum { YH_IMPAIR_UP = 0, YH_IMPAIR_DOWN = 1 }; /* client->server, server->client */

#define YH_IMPAIR_QUEUE_DEFAULT_MS 100
#define YH_IMPAIR_MAX_MS 60000
#define YH_IMPAIR_MAX_KBPS 10000000

typedef struct {
    double loss_pct;       /* random loss, 0..100 */
    double burst_pct;      /* share of time in outage, 0 (off)..100 */
    uint32_t burst_len_ms; /* length of each outage */
    uint32_t delay_ms;
    uint32_t jitter_ms;
    uint32_t rate_kbps; /* 0: unlimited */
    uint32_t queue_ms;  /* longest wait before the rate-limited link */
    int reorder;        /* jitter may reorder packets */
} yh_impair_cfg_t;

typedef struct {
    uint64_t in, out, bytes_in, bytes_out;
    uint64_t drop_loss, drop_burst, drop_queue; /* decided here */
    uint64_t drop_pool, drop_send, drop_gone;   /* decided by the relay */
} yh_impair_counters_t;

/* One direction: settings and counters shared by every client. */
typedef struct {
    yh_impair_cfg_t cfg;
    uint64_t rng;      /* xorshift64* state, never 0 */
    uint64_t epoch_us; /* burst periods count from here */
    yh_impair_counters_t c;
} yh_impair_dir_t;

/* One client's link in one direction (stages 3 and 4); all zero is an idle
 * link. */
typedef struct {
    uint64_t link_free_us; /* when the rate-limited link has sent its queue */
    uint64_t last_due_us;  /* latest release so far on this link, to keep FIFO */
} yh_impair_link_t;

enum { YH_IMPAIR_PASS = 0, YH_IMPAIR_DROP_LOSS, YH_IMPAIR_DROP_BURST, YH_IMPAIR_DROP_QUEUE };

/* No impairment, queue at its default. */
void yh_impair_cfg_init(yh_impair_cfg_t *cfg);

/* Sets one option "[up-|down-]NAME" (NAME: loss, burst-loss, delay, jitter,
 * rate, queue, reorder) in cfg[2]; without a prefix both directions. `value`
 * is the text after it (for reorder: NULL, "1", "0", "on" or "off"). 0 or
 * YH_ENOTFOUND (no such option) / YH_EPARSE / YH_ERANGE; cfg is unchanged on
 * error. */
int yh_impair_cfg_set(yh_impair_cfg_t cfg[2], const char *name, const char *value);
/* 1 when the option takes no value (reorder), 0 when it needs one,
 * YH_ENOTFOUND when there is no such option. */
int yh_impair_cfg_is_flag(const char *name);

void yh_impair_dir_init(yh_impair_dir_t *d, uint64_t seed, uint64_t now_us);
/* New settings from `now_us` on; packets already admitted keep their times.
 * The burst period restarts when the burst setting changes. */
void yh_impair_dir_configure(yh_impair_dir_t *d, const yh_impair_cfg_t *cfg, uint64_t now_us);
/* The fate of a `len`-byte datagram arriving at `now_us` on link `l` (one
 * client's, in d's direction): YH_IMPAIR_PASS with *due_us set, or a
 * YH_IMPAIR_DROP_* reason. Counts it in d. */
int yh_impair_dir_admit(yh_impair_dir_t *d, yh_impair_link_t *l, uint64_t now_us, size_t len,
                        uint64_t *due_us);
/* Milliseconds of data waiting for link l's rate limit at `now_us`, under
 * d's settings. */
uint32_t yh_impair_dir_queue_ms(const yh_impair_dir_t *d, const yh_impair_link_t *l,
                                uint64_t now_us);

/* Control commands, one per datagram: whitespace-separated tokens, applied
 * in order to a copy of cfg[2] that replaces it only when all are valid:
 *   [up-|down-]OPTION VALUE   as on the command line (reorder: VALUE optional)
 *   clear                     every option back to its default, both ways
 *   stats                     reply with the statistics (flag in *actions)
 *   zero                      reset the counters (flag in *actions)
 * 0 or a negative YH_E* code with a message in err. */
enum { YH_IMPAIR_ACT_STATS = 1, YH_IMPAIR_ACT_ZERO = 2 };
#define YH_IMPAIR_CTL_MAX 512
int yh_impair_ctl_parse(const char *line, size_t len, yh_impair_cfg_t cfg[2], int *actions,
                        char *err, size_t err_cap);

/* The settings and counters of d[0] (up) and d[1] (down) as one JSON object;
 * held[2] counts the packets the relay holds per direction, queue_ms[2] is
 * the longest link queue among the clients per direction. Bytes written
 * (without the NUL) or YH_ENOSPACE. */
int yh_impair_stats_json(const yh_impair_dir_t *d, const uint32_t *held, const uint32_t *queue_ms,
                         uint32_t clients, char *out, size_t cap);

#endif
