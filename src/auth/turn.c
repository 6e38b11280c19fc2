/*
 * TURN REST credentials (draft-uberti-behave-turn-rest-00 section 2.2, the
 * "use-auth-secret" scheme of coturn): the username is
 * "<expiry, Unix seconds>:<user id>" and the password is
 * base64(HMAC-SHA1(shared secret, username)) in the standard alphabet with
 * padding (RFC 4648 section 4). The TURN server recomputes the HMAC and
 * refuses usernames whose time stamp has passed, so credentials handed to
 * a browser stop working on their own.
 */
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "base/err.h"

#define SHA1_LEN 20

int yh_auth_turn_credential_at(const char *secret, size_t secret_len, const char *user, int64_t exp,
                               char *username, size_t ucap, char *credential, size_t ccap)
{
    if (!secret || !secret_len || !user || !*user || exp < 0 || !username || !credential)
        return YH_EINVAL;
    /* The user id follows the first colon; coturn reads the time stamp up
     * to it, so the id itself may not contain one. */
    if (strchr(user, ':') || secret_len > INT32_MAX)
        return YH_EINVAL;
    int n = snprintf(username, ucap, "%" PRId64 ":%s", exp, user);
    if (n < 0 || (size_t)n >= ucap)
        return YH_ENOSPACE;
    if (ccap < YH_AUTH_TURN_CRED_MAX)
        return YH_ENOSPACE;
    uint8_t mac[SHA1_LEN];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), secret, (int)secret_len, (const uint8_t *)username, (size_t)n, mac,
              &mac_len) ||
        mac_len != SHA1_LEN)
        return YH_EIO;
    /* 20 bytes give 28 characters with one '=' of padding. */
    EVP_EncodeBlock((unsigned char *)credential, mac, SHA1_LEN);
    return 0;
}

int yh_auth_turn_credential(const char *secret, size_t secret_len, const char *user, int64_t ttl_s,
                            char *username, size_t ucap, char *credential, size_t ccap)
{
    if (ttl_s <= 0)
        return YH_EINVAL;
    return yh_auth_turn_credential_at(secret, secret_len, user, (int64_t)time(NULL) + ttl_s,
                                      username, ucap, credential, ccap);
}
