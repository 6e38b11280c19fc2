/*
 * DTLS-SRTP endpoint (RFC 5764, RFC 8827) with OpenSSL over memory BIOs:
 * datagrams go in through yh_dtls_handle and come out through the
 * listener's `send`, so the transport owns all I/O. The server offers
 * SRTP_AEAD_AES_128_GCM first, then SRTP_AES128_CM_SHA1_80.
 */
#ifndef YH_DTLS_DTLS_H
#define YH_DTLS_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "srtp/srtp.h"

/* "AB:CD:..." for SHA-256: 32 bytes as 95 characters. */
#define YH_DTLS_FP_MAX 128

/* An ECDSA P-256 self-signed certificate and its key, shared read-only by
 * every transport (and thread) of the process. */
typedef struct yh_dtls_cert yh_dtls_cert_t;

int yh_dtls_cert_generate(yh_dtls_cert_t **out);
void yh_dtls_cert_destroy(yh_dtls_cert_t *c);
/* SHA-256 fingerprint as uppercase hex pairs separated by ':' (the value
 * for "a=fingerprint:sha-256 ..."). Borrowed. */
const char *yh_dtls_cert_fingerprint(const yh_dtls_cert_t *c);

typedef enum yh_dtls_role { YH_DTLS_SERVER = 0, YH_DTLS_CLIENT = 1 } yh_dtls_role_t;

typedef struct yh_dtls_listener {
    void *ctx;
    /* An outgoing datagram (borrowed for the call). */
    void (*send)(void *ctx, const uint8_t *data, size_t len);
    /* Handshake done, remote fingerprint verified, keys exported. */
    void (*connected)(void *ctx, const yh_srtp_keys_t *keys);
    /* Handshake failed or fingerprint mismatch; `reason` is borrowed. */
    void (*failed)(void *ctx, const char *reason);
    /* The peer sent close_notify. */
    void (*closed)(void *ctx);
} yh_dtls_listener_t;

typedef struct yh_dtls yh_dtls_t;

/* `fp_alg` is the SDP hash name ("sha-256", also "sha-1", "sha-384",
 * "sha-512"); `fp_hex` the remote fingerprint as in SDP (case-insensitive).
 * The listener is copied; its callbacks run inside yh_dtls_start, _handle and
 * _on_timeout and must not destroy the endpoint. */
int yh_dtls_create(const yh_dtls_cert_t *cert, yh_dtls_role_t role, const char *fp_alg,
                   const char *fp_hex, const yh_dtls_listener_t *l, yh_dtls_t **out);
void yh_dtls_destroy(yh_dtls_t *d);

/* Datagram size the handshake is fragmented to (default
 * YH_DTLS_DEFAULT_MTU), at least YH_DTLS_MIN_MTU; before yh_dtls_start. */
#define YH_DTLS_DEFAULT_MTU 1200
#define YH_DTLS_MIN_MTU 256
int yh_dtls_set_mtu(yh_dtls_t *d, size_t mtu);

/* A client sends its ClientHello; a server does nothing. */
int yh_dtls_start(yh_dtls_t *d);
/* One incoming DTLS datagram. Returns 0 or YH_E* (the listener's `failed`
 * has then been called), or YH_ESTATE once the endpoint has failed or closed.
 * Application data is ignored; records that are not valid DTLS are dropped
 * silently (RFC 6347 4.1.2.7) and return 0. */
int yh_dtls_handle(yh_dtls_t *d, const uint8_t *data, size_t len);
/* Milliseconds until yh_dtls_on_timeout should be called, or -1. */
int64_t yh_dtls_timeout_ms(yh_dtls_t *d);
void yh_dtls_on_timeout(yh_dtls_t *d);
int yh_dtls_is_connected(const yh_dtls_t *d);
/* Sends close_notify (when connected) and stops the endpoint. */
void yh_dtls_shutdown(yh_dtls_t *d);

#endif
