/*
 * Authentication primitives: argon2id password hashes (libargon2, included
 * here only), the server secret, and signed tokens.
 *
 * A token is base64url(payload) "." base64url(HMAC-SHA256(secret, payload))
 * without padding. The payload is text, "<kind>|<subject>|<role>|<exp>":
 *   kind    "j" for a join token (subject = meeting number, role = the role
 *           the link grants: host, cohost, speaker) or "s" for a host
 *           session after sign-in (subject = account id, role = "host");
 *           separate verify functions refuse the other kind, so a session
 *           can never pass as a join link and vice versa;
 *   exp     expiry, Unix seconds.
 * Verification recomputes the MAC and compares it in constant time
 * (CRYPTO_memcmp) before looking at the payload.
 *
 * Errors: YH_EINTEGRITY for a wrong password, a bad MAC or a malformed
 * token, YH_ERANGE for an expired one, YH_EINVAL for bad arguments.
 */
#ifndef YH_AUTH_AUTH_H
#define YH_AUTH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define YH_AUTH_SECRET_MIN 32 /* bytes of a usable secret */
#define YH_AUTH_SECRET_MAX 256
#define YH_AUTH_HASH_MAX 160   /* an encoded argon2id hash with its NUL */
#define YH_AUTH_TOKEN_MAX 256  /* a token with its NUL */
#define YH_AUTH_SUBJECT_MAX 20 /* bytes: a meeting number or account id */
#define YH_AUTH_ROLE_MAX 15

typedef struct yh_auth_secret {
    uint8_t key[YH_AUTH_SECRET_MAX];
    size_t len;
} yh_auth_secret_t;

/* ---- Passwords (argon2id, RFC 9106) ---- */

/* Hashes `password` with a fresh random salt into the PHC string form
 * "$argon2id$v=19$m=...,t=...,p=...$salt$hash" (`out` holds `cap` bytes,
 * YH_AUTH_HASH_MAX is enough). Takes tens of milliseconds on purpose. */
int yh_auth_password_hash(const char *password, size_t len, char *out, size_t cap);
/* 0 when `password` matches `encoded`, YH_EINTEGRITY when not (or when
 * `encoded` is not an argon2id hash). */
int yh_auth_password_verify(const char *encoded, const char *password, size_t len);

/* A valid hash nothing matches: verify against it when a user does not
 * exist, so that a miss costs as much time as a wrong password. */
const char *yh_auth_password_dummy_hash(void);

/* ---- The server secret ---- */

/* Loads the secret from `path`; when the file does not exist and `create`
 * is set, writes a new random one (64 hex characters, mode 0600; the
 * directory must exist). The file's bytes, less trailing white space, are
 * the key: at least YH_AUTH_SECRET_MIN of them, else YH_EINVAL. A file
 * readable by group or others is logged as a warning. */
int yh_auth_secret_load(const char *path, int create, yh_auth_secret_t *out);

/* ---- Tokens ---- */

/* A join token for `meeting` ([0-9A-Za-z_-]{1,20}) granting `role`
 * ([a-z]{1,15}), valid for `ttl_s` seconds from now. */
int yh_auth_token_sign(const yh_auth_secret_t *secret, const char *meeting, const char *role,
                       int64_t ttl_s, char *out, size_t cap);
/* Checks a join token; on success copies its meeting (YH_AUTH_SUBJECT_MAX
 * + 1 bytes) and role (YH_AUTH_ROLE_MAX + 1 bytes). */
int yh_auth_token_verify(const yh_auth_secret_t *secret, const char *token, char *meeting,
                         char *role);

/* A host session after sign-in, for account `account`. */
int yh_auth_session_sign(const yh_auth_secret_t *secret, int64_t account, int64_t ttl_s, char *out,
                         size_t cap);
int yh_auth_session_verify(const yh_auth_secret_t *secret, const char *token, int64_t *account);

/* The same with an explicit clock (Unix seconds), for tests. */
int yh_auth_token_sign_at(const yh_auth_secret_t *secret, const char *meeting, const char *role,
                          int64_t exp, char *out, size_t cap);
int yh_auth_token_verify_at(const yh_auth_secret_t *secret, const char *token, int64_t now,
                            char *meeting, char *role);
int yh_auth_session_sign_at(const yh_auth_secret_t *secret, int64_t account, int64_t exp, char *out,
                            size_t cap);
int yh_auth_session_verify_at(const yh_auth_secret_t *secret, const char *token, int64_t now,
                              int64_t *account);

/* Constant-time equality of two byte strings of possibly different
 * lengths: the time depends only on the longer length bound `max`
 * (inputs longer than `max` compare unequal). 1 equal, 0 not. */
int yh_auth_equal(const void *a, size_t alen, const void *b, size_t blen, size_t max);

/* ---- TURN REST credentials (draft-uberti-behave-turn-rest) ---- */

#define YH_AUTH_TURN_CRED_MAX 29 /* base64 of an HMAC-SHA1, with its NUL */

/* Time-limited TURN credentials for `user` (no ':'), valid for `ttl_s`
 * seconds from now, for a TURN server that shares `secret` (coturn's
 * static-auth-secret): `username` = "<expiry>:<user>" (`ucap` bytes),
 * `credential` = base64(HMAC-SHA1(secret, username)) (`ccap` bytes, at
 * least YH_AUTH_TURN_CRED_MAX). YH_ENOSPACE when a buffer is short. */
int yh_auth_turn_credential(const char *secret, size_t secret_len, const char *user, int64_t ttl_s,
                            char *username, size_t ucap, char *credential, size_t ccap);
/* The same with the expiry `exp` (Unix seconds) given, for tests. */
int yh_auth_turn_credential_at(const char *secret, size_t secret_len, const char *user, int64_t exp,
                               char *username, size_t ucap, char *credential, size_t ccap);

#endif
