/* The impairment model of yunhui-impair (see impair_core.h). */
#include "impair_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

void yh_impair_cfg_init(yh_impair_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->queue_ms = YH_IMPAIR_QUEUE_DEFAULT_MS;
}

/* Digits only (no sign, hex, exponent, inf or nan), then the range. */
static int parse_u32(const char *v, uint32_t max, uint32_t *out)
{
    if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 9)
        return YH_EPARSE;
    unsigned long x = strtoul(v, NULL, 10);
    if (x > max)
        return YH_ERANGE;
    *out = (uint32_t)x;
    return 0;
}

/* A percentage "12" or "2.5", 0..100. */
static int parse_pct(const char *v, double *out)
{
    if (!v || !*v || strspn(v, "0123456789.") != strlen(v) || strlen(v) > 12 ||
        strchr(v, '.') != strrchr(v, '.') || *v == '.')
        return YH_EPARSE;
    double x = strtod(v, NULL);
    if (x > 100.0)
        return YH_ERANGE;
    *out = x;
    return 0;
}

static int set_loss(yh_impair_cfg_t *c, const char *v)
{
    return parse_pct(v, &c->loss_pct);
}

/* "PCT:LEN_MS"; "0" alone turns bursts off. */
static int set_burst(yh_impair_cfg_t *c, const char *v)
{
    if (v && !strcmp(v, "0")) {
        c->burst_pct = 0;
        c->burst_len_ms = 0;
        return 0;
    }
    const char *colon = v ? strchr(v, ':') : NULL;
    char pct[16];
    if (!colon || (size_t)(colon - v) >= sizeof pct)
        return YH_EPARSE;
    memcpy(pct, v, (size_t)(colon - v));
    pct[colon - v] = '\0';
    double p;
    uint32_t len;
    int rc = parse_pct(pct, &p);
    if (!rc)
        rc = parse_u32(colon + 1, YH_IMPAIR_MAX_MS, &len);
    if (rc)
        return rc;
    if ((p > 0) != (len > 0))
        return YH_ERANGE; /* an outage needs both a share and a length */
    c->burst_pct = p;
    c->burst_len_ms = len;
    return 0;
}

static int set_delay(yh_impair_cfg_t *c, const char *v)
{
    return parse_u32(v, YH_IMPAIR_MAX_MS, &c->delay_ms);
}

static int set_jitter(yh_impair_cfg_t *c, const char *v)
{
    return parse_u32(v, YH_IMPAIR_MAX_MS, &c->jitter_ms);
}

static int set_rate(yh_impair_cfg_t *c, const char *v)
{
    return parse_u32(v, YH_IMPAIR_MAX_KBPS, &c->rate_kbps);
}

static int set_queue(yh_impair_cfg_t *c, const char *v)
{
    return parse_u32(v, YH_IMPAIR_MAX_MS, &c->queue_ms);
}

static int set_reorder(yh_impair_cfg_t *c, const char *v)
{
    if (!v || !strcmp(v, "1") || !strcmp(v, "on"))
        c->reorder = 1;
    else if (!strcmp(v, "0") || !strcmp(v, "off"))
        c->reorder = 0;
    else
        return YH_EPARSE;
    return 0;
}

static const struct {
    const char *name;
    int flag;
    int (*set)(yh_impair_cfg_t *c, const char *v);
} options[] = {
    {"loss", 0, set_loss},       {"burst-loss", 0, set_burst}, {"delay", 0, set_delay},
    {"jitter", 0, set_jitter},   {"rate", 0, set_rate},        {"queue", 0, set_queue},
    {"reorder", 1, set_reorder},
};

/* The option index for "[up-|down-]NAME" and which directions it sets. */
static int lookup(const char *name, int *first, int *last)
{
    *first = YH_IMPAIR_UP;
    *last = YH_IMPAIR_DOWN;
    if (!strncmp(name, "up-", 3)) {
        name += 3;
        *last = YH_IMPAIR_UP;
    } else if (!strncmp(name, "down-", 5)) {
        name += 5;
        *first = YH_IMPAIR_DOWN;
    }
    for (size_t i = 0; i < sizeof options / sizeof *options; i++)
        if (!strcmp(name, options[i].name))
            return (int)i;
    return YH_ENOTFOUND;
}

int yh_impair_cfg_is_flag(const char *name)
{
    int first, last, i = lookup(name, &first, &last);
    return i < 0 ? i : options[i].flag;
}

int yh_impair_cfg_set(yh_impair_cfg_t cfg[2], const char *name, const char *value)
{
    int first, last, i = lookup(name, &first, &last);
    if (i < 0)
        return i;
    yh_impair_cfg_t tmp[2] = {cfg[0], cfg[1]};
    for (int d = first; d <= last; d++) {
        int rc = options[i].set(&tmp[d], value);
        if (rc)
            return rc;
    }
    cfg[0] = tmp[0];
    cfg[1] = tmp[1];
    return 0;
}

/* xorshift64* (Vigna): fast, and the same sequence for the same --seed. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, 1). */
static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

void yh_impair_dir_init(yh_impair_dir_t *d, uint64_t seed, uint64_t now_us)
{
    memset(d, 0, sizeof *d);
    yh_impair_cfg_init(&d->cfg);
    /* splitmix64 finaliser so that nearby seeds give unrelated streams. */
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    d->rng = z ? z : 1;
    d->epoch_us = now_us;
}

void yh_impair_dir_configure(yh_impair_dir_t *d, const yh_impair_cfg_t *cfg, uint64_t now_us)
{
    if (cfg->burst_pct != d->cfg.burst_pct || cfg->burst_len_ms != d->cfg.burst_len_ms)
        d->epoch_us = now_us;
    d->cfg = *cfg;
}

static int in_outage(const yh_impair_dir_t *d, uint64_t now_us)
{
    const yh_impair_cfg_t *c = &d->cfg;
    if (c->burst_pct <= 0 || !c->burst_len_ms)
        return 0;
    uint64_t len = (uint64_t)c->burst_len_ms * 1000;
    uint64_t period = (uint64_t)((double)len * 100.0 / c->burst_pct);
    if (period <= len)
        return 1;
    return (now_us - d->epoch_us) % period < len;
}

/* Stage 3 on link l: *sent_us is when the rate-limited link has sent the
 * packet; -1 when its queue is full (tail drop). */
static int rate_stage(const yh_impair_cfg_t *c, yh_impair_link_t *l, uint64_t now_us, size_t len,
                      uint64_t *sent_us)
{
    *sent_us = now_us;
    if (!c->rate_kbps)
        return 0;
    uint64_t start = l->link_free_us > now_us ? l->link_free_us : now_us;
    if (start - now_us > (uint64_t)c->queue_ms * 1000)
        return -1;
    /* bits / kbps = milliseconds, so bytes * 8000 / kbps = microseconds. */
    l->link_free_us = start + (uint64_t)len * 8000 / c->rate_kbps;
    *sent_us = l->link_free_us;
    return 0;
}

int yh_impair_dir_admit(yh_impair_dir_t *d, yh_impair_link_t *l, uint64_t now_us, size_t len,
                        uint64_t *due_us)
{
    const yh_impair_cfg_t *c = &d->cfg;
    d->c.in++;
    d->c.bytes_in += len;
    if (in_outage(d, now_us)) {
        d->c.drop_burst++;
        return YH_IMPAIR_DROP_BURST;
    }
    if (c->loss_pct > 0 && rng_unit(&d->rng) * 100.0 < c->loss_pct) {
        d->c.drop_loss++;
        return YH_IMPAIR_DROP_LOSS;
    }
    uint64_t sent;
    if (rate_stage(c, l, now_us, len, &sent)) {
        d->c.drop_queue++;
        return YH_IMPAIR_DROP_QUEUE;
    }
    int64_t extra = (int64_t)c->delay_ms * 1000;
    if (c->jitter_ms) {
        int64_t j = (int64_t)c->jitter_ms * 1000;
        extra += (int64_t)(rng_unit(&d->rng) * (double)(2 * j + 1)) - j;
        if (extra < 0)
            extra = 0;
    }
    /* Order is kept per link: packets of different clients travel different
     * paths and never had an order between them. */
    uint64_t due = sent + (uint64_t)extra;
    if (!c->reorder && due < l->last_due_us)
        due = l->last_due_us;
    if (due > l->last_due_us)
        l->last_due_us = due;
    *due_us = due;
    return YH_IMPAIR_PASS;
}

uint32_t yh_impair_dir_queue_ms(const yh_impair_dir_t *d, const yh_impair_link_t *l,
                                uint64_t now_us)
{
    if (!d->cfg.rate_kbps || l->link_free_us <= now_us)
        return 0;
    return (uint32_t)((l->link_free_us - now_us) / 1000);
}
