/*
 * yunhui-impair relay: the sockets around the impairment model. Datagrams
 * from clients arriving at the listen socket go to the upstream (the server)
 * from one socket per client address, so the server sees a distinct 5-tuple
 * per client; what the upstream sends to that socket goes back to the client
 * from the listen socket. A client's socket is opened on its first datagram
 * and closed after `idle_ms` without traffic either way. Each client has
 * its own link state (yh_impair_link_t) per direction, so the rate limit is
 * its own access link, reset when the slot is reused.
 *
 * Every datagram is held in a fixed pool of buffers until the time the model
 * (impair_core.h) gave it, ordered by a binary min-heap on that time and one
 * libuv timer; nothing is allocated per packet. When the pool is empty the
 * datagram is dropped and counted (drop_pool). Sends use uv_udp_try_send: a
 * full socket buffer drops the datagram (drop_send), as a router would.
 */
#ifndef YH_IMPAIR_RELAY_H
#define YH_IMPAIR_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "impair_core.h"

#define YH_IMPAIR_SLOT 2048 /* largest datagram relayed; bigger ones are dropped */

typedef struct yh_impair_relay yh_impair_relay_t;

typedef struct {
    struct sockaddr_storage listen;   /* port 0: any free port */
    struct sockaddr_storage upstream; /* the server */
    struct sockaddr_storage control;  /* used when has_control */
    int has_control;
    yh_impair_cfg_t cfg[2]; /* [YH_IMPAIR_UP], [YH_IMPAIR_DOWN] */
    uint64_t seed;
    uint32_t pool_size;   /* packet buffers; 0: 8192 */
    uint32_t max_clients; /* 0: 1024 */
    uint32_t idle_ms;     /* 0: 60000 */
} yh_impair_opts_t;

/* Binds the sockets and starts relaying on `loop`. 0 or a YH_E* code. */
int yh_impair_relay_create(uv_loop_t *loop, const yh_impair_opts_t *opts, yh_impair_relay_t **out);
/* Closes every handle; the relay frees itself once the loop has run their
 * close callbacks (run the loop after this). Accepts NULL. */
void yh_impair_relay_close(yh_impair_relay_t *r);

enum { YH_IMPAIR_SOCK_LISTEN, YH_IMPAIR_SOCK_CONTROL };
/* The bound address of the listen or control socket. */
int yh_impair_relay_addr(const yh_impair_relay_t *r, int which, struct sockaddr_storage *out);

/* Runs a control command as if it came from the control socket and writes
 * the JSON reply. 0 or the parse error (the reply says why). */
int yh_impair_relay_command(yh_impair_relay_t *r, const char *cmd, size_t len, char *reply,
                            size_t cap);

#endif
