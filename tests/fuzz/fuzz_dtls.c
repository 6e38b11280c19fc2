/*
 * A server-role DTLS endpoint fed arbitrary datagrams: each input is a
 * sequence of datagrams, each behind a 2-byte big-endian length (a short
 * last one takes what is left). The certificate is made once; a fresh
 * endpoint per input. Seeds in corpus/fuzz_dtls/ hold a real ClientHello
 * and a real client flight.
 */
#include <stdint.h>
#include <stdlib.h>

#include "base/bytes.h"
#include "dtls/dtls.h"

/* Any well-formed SHA-256 fingerprint: the handshake cannot complete. */
#define PEER_FP                                                                                    \
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:"         \
    "CC:DD:EE:FF"

static size_t sent;

static void on_send(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)data;
    sent += len;
}

static void on_connected(void *ctx, const yh_srtp_keys_t *keys)
{
    (void)ctx;
    (void)keys;
    abort(); /* no fuzz input knows the matching private key */
}

static void on_failed(void *ctx, const char *reason)
{
    (void)ctx;
    (void)reason;
}

static void on_closed(void *ctx)
{
    (void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static yh_dtls_cert_t *cert;
    if (!cert && yh_dtls_cert_generate(&cert) < 0)
        abort();
    yh_dtls_listener_t l = {NULL, on_send, on_connected, on_failed, on_closed};
    yh_dtls_t *d;
    if (yh_dtls_create(cert, YH_DTLS_SERVER, "sha-256", PEER_FP, &l, &d) < 0)
        abort();
    (void)yh_dtls_start(d);
    while (size >= 2) {
        size_t n = rd_be16(data);
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        (void)yh_dtls_handle(d, data, n);
        (void)yh_dtls_timeout_ms(d);
        data += n;
        size -= n;
    }
    yh_dtls_on_timeout(d);
    yh_dtls_shutdown(d);
    yh_dtls_destroy(d);
    return 0;
}
