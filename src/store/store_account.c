/*
 * Host accounts: user name and argon2id hash (auth.h does the hashing;
 * the store only keeps the encoded string).
 */
#include <string.h>

#include "auth/auth.h"
#include "base/err.h"
#include "store/store_int.h"

static int is_user(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    if (n < 1 || n > YH_STORE_USER_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = u[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '.' || c == '_' || c == '@' || c == '-'))
            return 0;
    }
    return 1;
}

int yh_store_account_create(yh_store_t *st, const char *user, const char *password, int64_t *id)
{
    char hash[YH_AUTH_HASH_MAX];
    size_t plen = password ? strlen(password) : 0;
    if (!st || !is_user(user) || plen < 1 || plen > YH_STORE_PASSWORD_MAX)
        return YH_EINVAL;
    int rc = yh_auth_password_hash(password, plen, hash, sizeof hash);
    if (rc)
        return rc;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_ACCOUNT_INSERT);
    sqlite3_bind_text(s, 1, user, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, yh_store_now_ms());
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
        return YH_EEXISTS;
    if (rc != SQLITE_DONE)
        return yh__store_fail(st, "insert account");
    if (id)
        *id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

int yh_store_account_lookup(yh_store_t *st, const char *user, int64_t *id, char *hash, size_t cap)
{
    if (!st || !hash || cap < 2)
        return YH_EINVAL;
    if (!is_user(user))
        return YH_ENOTFOUND;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_ACCOUNT_LOOKUP);
    sqlite3_bind_text(s, 1, user, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        if (id)
            *id = sqlite3_column_int64(s, 0);
        yh__store_col_text(s, 1, hash, cap);
    }
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? YH_ENOTFOUND : yh__store_fail(st, "look up account");
}

int yh_store_account_verify(yh_store_t *st, const char *user, const char *password, int64_t *id)
{
    char hash[YH_AUTH_HASH_MAX];
    int64_t found = 0;
    if (!st || !password)
        return YH_EINVAL;
    int rc = yh_store_account_lookup(st, user, &found, hash, sizeof hash);
    if (rc && rc != YH_ENOTFOUND)
        return rc;
    int bad = rc == YH_ENOTFOUND;
    size_t plen = strnlen(password, YH_STORE_PASSWORD_MAX + 1);
    rc = yh_auth_password_verify(bad ? yh_auth_password_dummy_hash() : hash, password, plen);
    if (rc == YH_ENOMEM)
        return rc;
    if (bad || rc || plen > YH_STORE_PASSWORD_MAX)
        return YH_EINTEGRITY;
    if (id)
        *id = found;
    return 0;
}

int yh_store_account_name(yh_store_t *st, int64_t id, char *user)
{
    if (!st || !user)
        return YH_EINVAL;
    sqlite3_stmt *s = yh__store_stmt(st, YH_STMT_ACCOUNT_NAME);
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        yh__store_col_text(s, 0, user, YH_STORE_USER_MAX + 1);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? YH_ENOTFOUND : yh__store_fail(st, "account name");
}
