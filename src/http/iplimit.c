/*
 * Per-address signaling limits (iplimit.h). Slots live in a map from a
 * 64-bit key that is exact for what is counted: an IPv4 address is
 * 2^32 + the address, an IPv6 client its /64 prefix, so no two clients
 * share a budget by accident.
 */
#include "http/iplimit.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/err.h"

#define TOKEN_UNIT 1000000u /* one message, in the bucket's fixed point */

int yh_iplimit_init(yh_iplimit_t *t, const yh_iplimit_config_t *cfg)
{
    memset(t, 0, sizeof *t);
    yh_map_init(&t->slots);
    t->max_conns = cfg->max_conns > 0 ? cfg->max_conns : 0;
    t->max_msgs_per_sec = cfg->max_msgs_per_sec > 0 ? cfg->max_msgs_per_sec : 0;
    if (cfg->n_trusted < 0 || cfg->n_trusted > YH_IPLIMIT_MAX_TRUSTED)
        return YH_EINVAL;
    for (int i = 0; i < cfg->n_trusted; i++)
        if (yh_ipnet_parse(cfg->trusted[i], &t->trusted[i]) < 0)
            return YH_EINVAL;
    t->n_trusted = cfg->n_trusted;
    return 0;
}

void yh_iplimit_free(yh_iplimit_t *t)
{
    for (size_t i = 0; i < t->slots.cap; i++)
        if (t->slots.keys[i])
            free(t->slots.vals[i]);
    yh_map_free(&t->slots);
}

/* 0 for a trusted address or one of another family. */
static uint64_t key_of(const yh_iplimit_t *t, const struct sockaddr *peer)
{
    uint8_t a[16];
    if (yh_ipnet_bytes(peer, a) < 0)
        return 0;
    for (int i = 0; i < t->n_trusted; i++)
        if (yh_ipnet_match(&t->trusted[i], peer))
            return 0;
    if (yh_ipnet_is_v4(a))
        return (1ull << 32) | rd_be32(a + 12);
    uint64_t k = (uint64_t)rd_be32(a) << 32 | rd_be32(a + 4);
    return k ? k : 1;
}

int yh_iplimit_open(yh_iplimit_t *t, const struct sockaddr *peer, uint64_t now_us,
                    yh_ipslot_t **out)
{
    *out = NULL;
    uint64_t key = key_of(t, peer);
    if (!key || (!t->max_conns && !t->max_msgs_per_sec))
        return 0;
    yh_ipslot_t *s = yh_map_get(&t->slots, key);
    if (s && t->max_conns && s->conns >= t->max_conns)
        return YH_ELIMIT;
    if (!s) {
        if (!(s = calloc(1, sizeof *s)))
            return YH_ENOMEM;
        s->key = key;
        s->tokens = (uint64_t)t->max_msgs_per_sec * TOKEN_UNIT;
        s->tokens_at_us = now_us;
        if (yh_map_put(&t->slots, key, s) < 0) {
            free(s);
            return YH_ENOMEM;
        }
    }
    s->conns++;
    *out = s;
    return 0;
}

void yh_iplimit_close(yh_iplimit_t *t, yh_ipslot_t *slot)
{
    if (!slot || --slot->conns > 0)
        return;
    /* The bucket goes with the last connection: a new one starts full,
     * which costs an attacker a new handshake per burst. */
    yh_map_del(&t->slots, slot->key);
    free(slot);
}

int yh_iplimit_take(const yh_iplimit_t *t, yh_ipslot_t *s, uint64_t now_us)
{
    if (!s || !t->max_msgs_per_sec)
        return 1;
    uint64_t rate = (uint64_t)t->max_msgs_per_sec;
    uint64_t cap = rate * TOKEN_UNIT;
    uint64_t add = now_us > s->tokens_at_us ? (now_us - s->tokens_at_us) * rate : 0;
    if (now_us > s->tokens_at_us)
        s->tokens_at_us = now_us;
    s->tokens = cap - s->tokens < add ? cap : s->tokens + add;
    if (s->tokens < TOKEN_UNIT)
        return 0;
    s->tokens -= TOKEN_UNIT;
    return 1;
}

int yh_iplimit_count(const yh_iplimit_t *t, const struct sockaddr *peer)
{
    uint64_t key = key_of(t, peer);
    const yh_ipslot_t *s = key ? yh_map_get(&t->slots, key) : NULL;
    return s ? s->conns : 0;
}
