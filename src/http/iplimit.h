/*
 * Signaling limits per client address, on top of the per-connection ones
 * in ws.c: at most `max_conns` WebSocket connections at once and a token
 * bucket of `max_msgs_per_sec` messages (a burst of one second's worth)
 * shared by all connections of one address. An IPv4 address is one
 * client; IPv6 clients are counted per /64, since one host commonly owns
 * a whole /64 (RFC 4291 section 2.5.1) and could otherwise take a fresh
 * address per connection. Trusted networks (a reverse proxy, a load
 * generator on loopback) are not limited.
 *
 * No I/O and no clock of its own: tests drive it with any time. Used on
 * the control thread only.
 */
#ifndef YH_HTTP_IPLIMIT_H
#define YH_HTTP_IPLIMIT_H

#include <stdint.h>
#include <sys/socket.h>

#include "base/map.h"
#include "net/ipnet.h"

#define YH_IPLIMIT_MAX_TRUSTED 16

typedef struct yh_iplimit_config {
    int max_conns;        /* per address; <= 0: no limit */
    int max_msgs_per_sec; /* per address; <= 0: no limit */
    /* "IP" or "IP/PREFIX" strings, at most YH_IPLIMIT_MAX_TRUSTED. */
    const char *const *trusted;
    int n_trusted;
} yh_iplimit_config_t;

/* The state of one address, shared by its connections. */
typedef struct yh_ipslot {
    uint64_t key;
    int conns;
    uint64_t tokens; /* millionths of a message */
    uint64_t tokens_at_us;
} yh_ipslot_t;

typedef struct yh_iplimit {
    int max_conns, max_msgs_per_sec;
    yh_ipnet_t trusted[YH_IPLIMIT_MAX_TRUSTED];
    int n_trusted;
    yh_map_t slots; /* key -> yh_ipslot_t*, while the address has connections */
} yh_iplimit_t;

/* 0, or YH_EINVAL for a network that does not parse or too many. */
int yh_iplimit_init(yh_iplimit_t *t, const yh_iplimit_config_t *cfg);
void yh_iplimit_free(yh_iplimit_t *t);

/* Counts a new connection from `peer`. 0 with *out the address's slot
 * (NULL for a trusted address), YH_ELIMIT when it has max_conns already,
 * YH_ENOMEM. */
int yh_iplimit_open(yh_iplimit_t *t, const struct sockaddr *peer, uint64_t now_us,
                    yh_ipslot_t **out);
/* The connection counted in `slot` is gone (NULL: nothing to do). */
void yh_iplimit_close(yh_iplimit_t *t, yh_ipslot_t *slot);
/* 1 when one more message of the address may pass at `now_us` (always
 * for NULL), 0 when its bucket is empty. */
int yh_iplimit_take(const yh_iplimit_t *t, yh_ipslot_t *slot, uint64_t now_us);
/* Connections counted now for `peer`'s address (for tests and logs). */
int yh_iplimit_count(const yh_iplimit_t *t, const struct sockaddr *peer);

#endif
