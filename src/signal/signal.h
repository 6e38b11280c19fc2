/*
 * Signaling: the WebSocket JSON protocol of docs/protocol.md on the control
 * thread. Owns meetings, participants, their tracks and subscriptions, and
 * drives the media plane (sfu.h) and SDP negotiation (sdp.h).
 */
#ifndef YH_SIGNAL_SIGNAL_H
#define YH_SIGNAL_SIGNAL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http/http.h"
#include "sfu/sfu.h"

#define YH_SIGNAL_MAX_CANDIDATES 4
#define YH_SIGNAL_MAX_TURN 4
#define YH_SIGNAL_TURN_URL_MAX 256    /* bytes of a TURN URL with its NUL */
#define YH_SIGNAL_TURN_SECRET_MAX 512 /* bytes of the shared secret */

typedef struct yh_signal yh_signal_t;
/* The meeting store (store/store.h); signaling only borrows it. */
typedef struct yh_store yh_store_t;
/* The server secret that signs join tokens (auth/auth.h). */
typedef struct yh_auth_secret yh_auth_secret_t;

typedef struct yh_signal_config {
    /* Host candidate addresses the server puts in its SDP (the announced
     * addresses when behind NAT), and the media UDP port. */
    const char *candidate_ips[YH_SIGNAL_MAX_CANDIDATES];
    int n_candidate_ips;
    uint16_t media_port;
    const char *fingerprint; /* SHA-256 of the DTLS certificate, "AB:CD:.." */
    int max_participants;    /* per meeting, 0: no limit */
    /* 1: a number that is not a stored meeting is not-found. 0 (the
     * default): it is opened ad hoc by its first join (open mode). */
    int no_adhoc;
} yh_signal_config_t;

int yh_signal_create(uv_loop_t *loop, const yh_signal_config_t *cfg, yh_signal_t **out);
/* The media plane to drive; set once, before the first connection. */
void yh_signal_attach_sfu(yh_signal_t *s, yh_sfu_t *sfu);
/* The store of meetings, passcodes, settings and the participation log;
 * set once, before the first connection. NULL (the default): open mode
 * only, every meeting number is opened ad hoc by its first join. */
void yh_signal_attach_store(yh_signal_t *s, yh_store_t *store);
/* The secret to verify join tokens with (borrowed; outlives `s`). NULL
 * (the default): a join with a token is refused as unauthorized. */
void yh_signal_attach_secret(yh_signal_t *s, const yh_auth_secret_t *secret);
/* TURN servers for joined.iceServers: one entry {urls, username,
 * credential} with credentials of the TURN REST scheme (auth/auth.h,
 * yh_auth_turn_credential) for the participant's id, valid `ttl_s`
 * seconds; the TURN server must share `secret`. Copies everything; call
 * before the first connection. n_urls 0 (the default): iceServers is []. */
int yh_signal_set_ice_servers(yh_signal_t *s, const char *const *urls, int n_urls,
                              const char *secret, int64_t ttl_s);
/* Ends meeting `number` if it is live (DELETE /api/meetings/{number}):
 * everyone gets `ended {}` and is disconnected, and the store marks it
 * ended. YH_ENOTFOUND when nobody is in it (the store is not touched
 * then). */
int yh_signal_meeting_end(yh_signal_t *s, const char *number);
/* Participants in meeting `number` now (admitted, not waiting); 0 when it
 * is not live. */
size_t yh_signal_meeting_count(yh_signal_t *s, const char *number);
/* Listener structs to hand to yh_http_create and yh_sfu_start. */
void yh_signal_http_listener(yh_signal_t *s, yh_http_listener_t *out);
void yh_signal_sfu_listener(yh_signal_t *s, yh_sfu_listener_t *out);
/* Frees all state without sending anything (call after yh_http_destroy and
 * yh_sfu_stop). The sweep timer is closed; its memory is released by the
 * loop's next iteration. Accepts NULL. */
void yh_signal_destroy(yh_signal_t *s);

/*
 * The protocol over an abstract connection. The WebSocket listener above is
 * a thin adapter over these; tests and the fuzzer use them directly with a
 * fake connection (and no sfu attached: media commands are then skipped,
 * all other state is kept the same).
 */
typedef struct yh_signal_conn yh_signal_conn_t;

typedef struct yh_signal_conn_ops {
    /* Queues one text message (borrowed for the call). Negative: the
     * connection is unusable (it is then closed by its owner). */
    int (*send)(void *ctx, const char *text, size_t len);
    /* Flushes what is queued, then closes with a WebSocket close code.
     * yh_signal_conn_closed follows when the connection is really gone. */
    void (*close)(void *ctx, int code, const char *reason);
} yh_signal_conn_ops_t;

/* A new connection; `ops` is copied. */
int yh_signal_conn_open(yh_signal_t *s, const yh_signal_conn_ops_t *ops, void *ctx,
                        yh_signal_conn_t **out);
/* One complete text message received on `c` (borrowed for the call). */
void yh_signal_handle_text(yh_signal_t *s, yh_signal_conn_t *c, const char *text, size_t len);
/* The connection is gone; `c` is invalid after the call. Its participant
 * stays (media alive) for 20 s so that the client can "resume". */
void yh_signal_conn_closed(yh_signal_t *s, yh_signal_conn_t *c);
/* Removes the participants whose connection was lost 20 s or more before
 * `now_us` (yh_now_us clock). The timer calls it once a second. */
void yh_signal_expire(yh_signal_t *s, uint64_t now_us);

#endif
