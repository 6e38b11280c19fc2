/*
 * The cryptography of SRTP on OpenSSL's libcrypto: the AES-CM key
 * derivation (RFC 3711 4.3.3), AES-128 counter mode (RFC 3711 4.1.1),
 * HMAC-SHA1 (RFC 3711 4.2.1) and AES-128-GCM (RFC 7714 8-9).
 *
 * Every cipher context is created and keyed once per session; per packet
 * only its IV is set again (EVP_CipherInit_ex with NULL cipher and key),
 * which in OpenSSL 3 neither allocates nor takes a lock.
 *
 * HMAC-SHA1 keeps the SHA-1 states after the inner and outer padded keys
 * and copies them per packet, through the low-level SHA1_* functions
 * (deprecated in OpenSSL 3, but still the only allocation-free way): in
 * OpenSSL 3.0, EVP_MAC_init with a reused key, EVP_DigestInit_ex and
 * EVP_MD_CTX_copy_ex each allocate a fresh provider context, two
 * malloc/free pairs per packet, and measured ~15 % slower than the copy.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "srtp/srtp_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base/err.h"

#define AES_BLOCK 16
#define SHA1_BLOCK 64
#define SHA1_LEN 20

struct yh_srtp_xform {
    EVP_CIPHER_CTX *ctx;
    int gcm;
    uint8_t salt[YH_SRTP_MAX_SALT];
    SHA_CTX inner; /* after (key XOR ipad), RFC 2104 */
    SHA_CTX outer; /* after (key XOR opad) */
};

int yh_srtp_kdf(const uint8_t *master_key, const uint8_t *master_salt, size_t salt_len,
                uint8_t label, uint8_t *out, size_t n)
{
    if (!master_key || !master_salt || !out || salt_len > YH_SRTP_MAX_SALT || n > INT_MAX)
        return YH_EINVAL;
    /* x = key_id XOR master_salt, key_id = label || r with r = 0 (KDR 0):
     * the label lands on octet 7 of the 14-octet salt; the counter block
     * is x * 2^16 (RFC 3711 4.3.1, 4.3.3). */
    uint8_t iv[AES_BLOCK] = {0};
    memcpy(iv, master_salt, salt_len);
    iv[7] ^= label;
    memset(out, 0, n);

    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0;
    int ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, master_key, iv) &&
             EVP_EncryptUpdate(c, out, &outl, out, (int)n);
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(iv, sizeof iv);
    return ok ? 0 : YH_ECRYPTO;
}

static void hmac_init(yh_srtp_xform_t *x, const uint8_t *key)
{
    uint8_t pad[SHA1_BLOCK];
    memset(pad, 0x36, sizeof pad);
    for (size_t i = 0; i < YH_SRTP_AUTH_KEY; i++)
        pad[i] ^= key[i];
    SHA1_Init(&x->inner);
    SHA1_Update(&x->inner, pad, sizeof pad);
    memset(pad, 0x5c, sizeof pad);
    for (size_t i = 0; i < YH_SRTP_AUTH_KEY; i++)
        pad[i] ^= key[i];
    SHA1_Init(&x->outer);
    SHA1_Update(&x->outer, pad, sizeof pad);
    OPENSSL_cleanse(pad, sizeof pad);
}

int yh_srtp_xform_create(yh_srtp_profile_t p, const yh_srtp_session_keys_t *k, int encrypt,
                         yh_srtp_xform_t **out)
{
    if (p != YH_SRTP_AES128_CM_SHA1_80 && p != YH_SRTP_AEAD_AES_128_GCM)
        return YH_EUNSUPPORTED;
    yh_srtp_xform_t *x = calloc(1, sizeof *x);
    if (!x)
        return YH_ENOMEM;
    x->gcm = p == YH_SRTP_AEAD_AES_128_GCM;
    x->ctx = EVP_CIPHER_CTX_new();
    if (!x->ctx) {
        free(x);
        return YH_ENOMEM;
    }
    /* Counter mode is its own inverse, so AES-CM always encrypts. GCM's IV
     * length stays at its default of 12 octets (RFC 7714 8.1). */
    const EVP_CIPHER *c = x->gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr();
    if (!EVP_CipherInit_ex(x->ctx, c, NULL, k->key, NULL, x->gcm ? encrypt : 1)) {
        yh_srtp_xform_destroy(x);
        return YH_ECRYPTO;
    }
    memcpy(x->salt, k->salt, sizeof x->salt);
    if (!x->gcm)
        hmac_init(x, k->auth);
    *out = x;
    return 0;
}

void yh_srtp_xform_destroy(yh_srtp_xform_t *x)
{
    if (!x)
        return;
    EVP_CIPHER_CTX_free(x->ctx); /* cleanses the key schedule */
    OPENSSL_cleanse(x, sizeof *x);
    free(x);
}

const uint8_t *yh_srtp_xform_salt(const yh_srtp_xform_t *x)
{
    return x->salt;
}

int yh_srtp_xform_ctr(yh_srtp_xform_t *x, const uint8_t *iv, uint8_t *buf, size_t n)
{
    int outl;
    if (n > INT_MAX)
        return YH_ERANGE;
    if (n == 0)
        return 0;
    if (!EVP_EncryptInit_ex(x->ctx, NULL, NULL, NULL, iv) ||
        !EVP_EncryptUpdate(x->ctx, buf, &outl, buf, (int)n))
        return YH_ECRYPTO;
    return 0;
}

void yh_srtp_xform_hmac(yh_srtp_xform_t *x, const uint8_t *a, size_t alen, const uint8_t *b,
                        size_t blen, uint8_t *mac)
{
    uint8_t inner[SHA1_LEN];
    SHA_CTX c = x->inner;
    SHA1_Update(&c, a, alen);
    if (blen)
        SHA1_Update(&c, b, blen);
    SHA1_Final(inner, &c);
    c = x->outer;
    SHA1_Update(&c, inner, sizeof inner);
    SHA1_Final(mac, &c);
}

int yh_srtp_xform_hmac_check(yh_srtp_xform_t *x, const uint8_t *a, size_t alen, const uint8_t *b,
                             size_t blen, const uint8_t *tag, size_t tag_len)
{
    uint8_t mac[SHA1_LEN];
    yh_srtp_xform_hmac(x, a, alen, b, blen, mac);
    /* Constant time, so the tag cannot be guessed byte by byte. */
    return CRYPTO_memcmp(mac, tag, tag_len) == 0 ? 0 : YH_EINTEGRITY;
}

/* Sets the IV and feeds both parts of the associated data. */
static int gcm_start(EVP_CIPHER_CTX *ctx, const uint8_t *iv, const uint8_t *aad1, size_t aad1_len,
                     const uint8_t *aad2, size_t aad2_len)
{
    int outl;
    if (aad1_len > INT_MAX || aad2_len > INT_MAX)
        return YH_ERANGE;
    if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1))
        return YH_ECRYPTO;
    if (aad1_len && !EVP_CipherUpdate(ctx, NULL, &outl, aad1, (int)aad1_len))
        return YH_ECRYPTO;
    if (aad2_len && !EVP_CipherUpdate(ctx, NULL, &outl, aad2, (int)aad2_len))
        return YH_ECRYPTO;
    return 0;
}

int yh_srtp_xform_seal(yh_srtp_xform_t *x, const uint8_t *iv, const uint8_t *aad1, size_t aad1_len,
                       const uint8_t *aad2, size_t aad2_len, uint8_t *buf, size_t n, uint8_t *tag)
{
    uint8_t none[AES_BLOCK];
    int outl;
    if (n > INT_MAX)
        return YH_ERANGE;
    int rc = gcm_start(x->ctx, iv, aad1, aad1_len, aad2, aad2_len);
    if (rc < 0)
        return rc;
    if (n && !EVP_EncryptUpdate(x->ctx, buf, &outl, buf, (int)n))
        return YH_ECRYPTO;
    if (!EVP_EncryptFinal_ex(x->ctx, none, &outl) ||
        !EVP_CIPHER_CTX_ctrl(x->ctx, EVP_CTRL_AEAD_GET_TAG, YH_SRTP_GCM_TAG, tag))
        return YH_ECRYPTO;
    return 0;
}

int yh_srtp_xform_open(yh_srtp_xform_t *x, const uint8_t *iv, const uint8_t *aad1, size_t aad1_len,
                       const uint8_t *aad2, size_t aad2_len, uint8_t *buf, size_t n,
                       const uint8_t *tag)
{
    uint8_t want[YH_SRTP_GCM_TAG], none[AES_BLOCK];
    int outl;
    if (n > INT_MAX)
        return YH_ERANGE;
    int rc = gcm_start(x->ctx, iv, aad1, aad1_len, aad2, aad2_len);
    if (rc < 0)
        return rc;
    if (n && !EVP_DecryptUpdate(x->ctx, buf, &outl, buf, (int)n))
        return YH_ECRYPTO;
    memcpy(want, tag, sizeof want); /* the control takes a mutable pointer */
    if (!EVP_CIPHER_CTX_ctrl(x->ctx, EVP_CTRL_AEAD_SET_TAG, YH_SRTP_GCM_TAG, want))
        return YH_ECRYPTO;
    return EVP_DecryptFinal_ex(x->ctx, none, &outl) > 0 ? 0 : YH_EINTEGRITY;
}
