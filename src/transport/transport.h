/*
 * One peer connection on the server side: the ICE-lite agent, the DTLS-SRTP
 * handshake and the SRTP sessions glued together (the same layering as
 * curl's connection filters: ICE decides where bytes go, DTLS makes the
 * keys, SRTP protects). The worker owns the socket; this object only sees
 * datagrams and tells its listener what to send and when it is connected.
 */
#ifndef YH_TRANSPORT_TRANSPORT_H
#define YH_TRANSPORT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dtls/dtls.h"
#include "ice/ice.h"
#include "srtp/srtp.h"

typedef enum yh_transport_state {
    YH_TRANSPORT_NEW = 0,
    YH_TRANSPORT_CONNECTED = 1,
    YH_TRANSPORT_FAILED = 2,
} yh_transport_state_t;

typedef struct yh_transport yh_transport_t;

typedef struct yh_transport_listener {
    void *ctx;
    /* Send a datagram to the transport's selected address. */
    void (*send)(void *ctx, yh_transport_t *t, const uint8_t *data, size_t len);
    void (*connected)(void *ctx, yh_transport_t *t);
    void (*failed)(void *ctx, yh_transport_t *t, const char *reason);
} yh_transport_listener_t;

typedef struct yh_transport_config {
    const char *local_ufrag;
    const char *local_pwd;
    const char *remote_ufrag;
    const yh_dtls_cert_t *cert;
    yh_dtls_role_t role;
    const char *fp_alg;
    const char *fp;
} yh_transport_config_t;

struct yh_transport {
    yh_ice_lite_t ice;
    yh_dtls_t *dtls;
    yh_srtp_t *srtp;
    yh_transport_state_t state;
    int dtls_started;
    yh_transport_listener_t l;
    void *user; /* the owner's object */
};

int yh_transport_create(const yh_transport_config_t *cfg, const yh_transport_listener_t *l,
                        uint64_t now_us, yh_transport_t **out);
/* Sends DTLS close_notify when connected, then frees. Accepts NULL. */
void yh_transport_destroy(yh_transport_t *t);

/* A binding request for this transport (already parsed). Writes the
 * response into `resp`; returns its length or YH_E*; *moved is set when the
 * selected address changed (the caller re-indexes its 5-tuple map). */
int yh_transport_handle_stun(yh_transport_t *t, const uint8_t *buf, size_t len,
                             const yh_stun_msg_t *msg, const struct sockaddr *from,
                             uint64_t now_us, uint8_t *resp, size_t cap, int *moved);
/* ICE restart: new credentials (yh_ice_lite_restart); DTLS, SRTP and the
 * selected address are kept. */
int yh_transport_ice_restart(yh_transport_t *t, const char *local_ufrag, const char *local_pwd,
                             const char *remote_ufrag);
int yh_transport_handle_dtls(yh_transport_t *t, const uint8_t *buf, size_t len);
/* The peer sent media or RTCP that authenticated with the exported keys,
 * so it finished the handshake (RFC 5764 section 4.1: a peer only has
 * keys after the last flight): the DTLS endpoint (an OpenSSL connection,
 * its buffers and the peer's certificate, tens of KiB) is freed. Later
 * DTLS records are ignored and no close_notify is sent on destroy. */
void yh_transport_settle(yh_transport_t *t);
/* Drives DTLS retransmission timers. */
void yh_transport_tick(yh_transport_t *t, uint64_t now_us);
/* 1 when ICE consent expired. */
int yh_transport_expired(const yh_transport_t *t, uint64_t now_us);

static inline const struct sockaddr *yh_transport_addr(const yh_transport_t *t)
{
    return t->ice.has_selected ? (const struct sockaddr *)&t->ice.selected : NULL;
}

#endif
