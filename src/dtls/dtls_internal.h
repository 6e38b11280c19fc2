/* What cert.c and dtls.c share: the certificate object and the SSL_CTX
 * built around it. Not for other modules. */
#ifndef YH_DTLS_DTLS_INTERNAL_H
#define YH_DTLS_DTLS_INTERNAL_H

#include <openssl/ssl.h>

#include "dtls/dtls.h"

struct yh_dtls_cert {
    EVP_PKEY *key;
    X509 *x509;
    /* One context for both roles (DTLS_method serves client and server; the
     * role is set per SSL). Built with the certificate, before any worker
     * thread exists, and only read afterwards: SSL_new() on a shared
     * SSL_CTX is thread-safe in OpenSSL 3. */
    SSL_CTX *ctx;
    char fp[YH_DTLS_FP_MAX];
};

/* Every cipher suite we allow is AES-GCM: a protected record body holds at
 * least the explicit nonce and the tag (RFC 5288 3). */
#define YH_DTLS__GCM_OVERHEAD (8 + 16)

/* Certificate check installed on the SSL_CTX (SSL_CTX_set_cert_verify_callback);
 * defined in dtls.c, where the expected fingerprint lives. */
int yh_dtls__verify_peer(X509_STORE_CTX *xs, void *arg);

#endif
