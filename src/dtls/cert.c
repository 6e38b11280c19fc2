/*
 * The process's DTLS identity (RFC 8827 6.5): an ECDSA P-256 key and a
 * self-signed certificate, authenticated by the SHA-256 fingerprint the
 * SDP carries rather than by any CA, and the SSL_CTX every endpoint uses.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/rand.h"
#include "dtls/dtls_internal.h"

#define CERT_CN "yunhui"
/* Valid from a day ago, so a peer whose clock lags still accepts it
 * (browsers ignore validity for fingerprint-authenticated certificates,
 * other stacks may not), for 30 days. */
#define NOT_BEFORE_S (-24L * 3600)
#define NOT_AFTER_S (30L * 24 * 3600)
/* Server preference order (OpenSSL's server picks the first of its own list
 * the client offers): AEAD first, RFC 7714. */
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
/* ECDHE with AES-GCM only: RFC 8827 6.5 requires
 * TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 of every WebRTC endpoint; the RSA
 * ones serve a peer with an RSA certificate when we are the client. One
 * record protection for all also gives dtls.c a fixed minimum size of a
 * protected record (YH_DTLS__GCM_OVERHEAD). */
#define CIPHERS                                                                                    \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                                 \
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"

static int make_cert(yh_dtls_cert_t *c)
{
    uint64_t serial;
    if (yh_rand_bytes(&serial, sizeof serial) < 0)
        return YH_EIO;
    /* Positive, non-zero and at most 8 octets (RFC 5280 4.1.2.2). */
    serial = serial >> 1 | 1;

    c->key = EVP_EC_gen("P-256");
    c->x509 = X509_new();
    if (!c->key || !c->x509)
        return YH_ECRYPTO;
    X509 *x = c->x509;
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_set_version(x, X509_VERSION_3) ||
        !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), NOT_BEFORE_S) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), NOT_AFTER_S) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)CERT_CN, -1,
                                    -1, 0) ||
        !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, c->key) ||
        X509_sign(x, c->key, EVP_sha256()) <= 0)
        return YH_ECRYPTO;
    return 0;
}

static int make_fingerprint(yh_dtls_cert_t *c)
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (X509_digest(c->x509, EVP_sha256(), md, &n) != 1 || 3 * n > sizeof c->fp)
        return YH_ECRYPTO;
    char *o = c->fp;
    for (unsigned i = 0; i < n; i++) {
        if (i > 0)
            *o++ = ':';
        *o++ = hex[md[i] >> 4];
        *o++ = hex[md[i] & 15];
    }
    *o = '\0';
    return 0;
}

static int make_ctx(yh_dtls_cert_t *c)
{
    SSL_CTX *ctx = c->ctx = SSL_CTX_new(DTLS_method());
    if (!ctx)
        return YH_ENOMEM;
    /* SSL_CTX_set_tlsext_use_srtp returns 0 on success. */
    if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) ||
        SSL_CTX_use_certificate(ctx, c->x509) != 1 || SSL_CTX_use_PrivateKey(ctx, c->key) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1 || SSL_CTX_set_cipher_list(ctx, CIPHERS) != 1 ||
        SSL_CTX_set_tlsext_use_srtp(ctx, SRTP_PROFILES) != 0)
        return YH_ECRYPTO;
    /* Both roles demand the peer's certificate (RFC 5763 5); the chain is
     * not verified against any CA, only its leaf against the SDP
     * fingerprint, during the handshake (yh_dtls__verify_peer). */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, yh_dtls__verify_peer, NULL);
    /* Every connection is a fresh full handshake: no resumption (which would
     * skip the fingerprint check), no renegotiation, and the MTU is ours to
     * set, not a socket's to query. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU);
    /* Each transport keeps its SSL object for its whole life; release the
     * record buffers between uses so idle connections stay small. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    return 0;
}

int yh_dtls_cert_generate(yh_dtls_cert_t **out)
{
    if (!out)
        return YH_EINVAL;
    yh_dtls_cert_t *c = calloc(1, sizeof *c);
    if (!c)
        return YH_ENOMEM;
    int rc = make_cert(c);
    if (rc == 0)
        rc = make_fingerprint(c);
    if (rc == 0)
        rc = make_ctx(c);
    if (rc < 0)
        goto fail;
    *out = c;
    return 0;

fail:
    yh_dtls_cert_destroy(c);
    return rc;
}

void yh_dtls_cert_destroy(yh_dtls_cert_t *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    X509_free(c->x509);
    EVP_PKEY_free(c->key);
    free(c);
}

const char *yh_dtls_cert_fingerprint(const yh_dtls_cert_t *c)
{
    return c->fp;
}
