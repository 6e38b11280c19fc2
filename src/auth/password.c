/*
 * Password hashing with argon2id (RFC 9106) through libargon2, the one
 * file that includes <argon2.h>. The cost is OWASP's argon2id baseline
 * (19 MiB, 2 passes, 1 lane): with one lane libargon2 starts no threads,
 * and the HTTP API runs verification on the libuv thread pool so the
 * control loop never waits for it.
 */
#include <argon2.h>
#include <string.h>

#include "auth/auth.h"
#include "base/err.h"
#include "base/rand.h"

#define T_COST 2
#define M_COST_KIB 19456
#define LANES 1
#define SALT_LEN 16
#define HASH_LEN 32

/* The hash of a password nobody knows (a fixed, meaningless string). */
static const char dummy_hash[] = "$argon2id$v=19$m=19456,t=2,p=1$jUOOZYr8kvJEtXDtuqve4Q$"
                                 "QzPLhOZ7Da6YfrATfWGgWA8rQGpe+tjwCQcraHROqoI";

const char *yh_auth_password_dummy_hash(void)
{
    return dummy_hash;
}

int yh_auth_password_hash(const char *password, size_t len, char *out, size_t cap)
{
    uint8_t salt[SALT_LEN];
    if (!password || !out || len > UINT32_MAX)
        return YH_EINVAL;
    if (argon2_encodedlen(T_COST, M_COST_KIB, LANES, SALT_LEN, HASH_LEN, Argon2_id) > cap)
        return YH_ENOSPACE;
    if (yh_rand_bytes(salt, sizeof salt))
        return YH_ECRYPTO;
    int rc = argon2id_hash_encoded(T_COST, M_COST_KIB, LANES, password, len, salt, SALT_LEN,
                                   HASH_LEN, out, cap);
    if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
        return YH_ENOMEM;
    return rc == ARGON2_OK ? 0 : YH_ECRYPTO;
}

int yh_auth_password_verify(const char *encoded, const char *password, size_t len)
{
    if (!encoded || !password || len > UINT32_MAX)
        return YH_EINVAL;
    /* Only our own kind of hash: argon2_verify would also take argon2i/d. */
    if (strncmp(encoded, "$argon2id$", 10))
        return YH_EINTEGRITY;
    int rc = argon2id_verify(encoded, password, len);
    if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
        return YH_ENOMEM;
    /* libargon2 compares the digests in constant time itself. */
    return rc == ARGON2_OK ? 0 : YH_EINTEGRITY;
}
