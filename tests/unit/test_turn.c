/*
 * TURN REST credentials against values computed independently with
 * Python's hmac module:
 *   base64.b64encode(hmac.new(secret, username, hashlib.sha1).digest())
 * plus the expiry format, the clock, and the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "base/err.h"

static void test_vectors(void **state)
{
    char user[64], cred[YH_AUTH_TURN_CRED_MAX];
    assert_int_equal(yh_auth_turn_credential_at("north-wind-7f3a", 15, "p1", 1700000000, user,
                                                sizeof user, cred, sizeof cred),
                     0);
    assert_string_equal(user, "1700000000:p1");
    assert_string_equal(cred, "0ucWXy6P3vmY1y+FLFYkMovnegE=");

    const char *k = "0123456789abcdef0123456789abcdef";
    assert_int_equal(yh_auth_turn_credential_at(k, strlen(k), "alice_42", 2000000000, user,
                                                sizeof user, cred, sizeof cred),
                     0);
    assert_string_equal(user, "2000000000:alice_42");
    assert_string_equal(cred, "nqP8Akah1ZVP2UP0/JwCe0cGApE=");
    assert_int_equal(strlen(cred), YH_AUTH_TURN_CRED_MAX - 1);

    /* One bit of the secret changes the credential. */
    assert_int_equal(yh_auth_turn_credential_at("north-wind-7f3b", 15, "p1", 1700000000, user,
                                                sizeof user, cred, sizeof cred),
                     0);
    assert_string_not_equal(cred, "0ucWXy6P3vmY1y+FLFYkMovnegE=");
}

/* The username is "<now + ttl>:<id>", decimal seconds, no padding. */
static void test_expiry(void **state)
{
    char user[64], cred[YH_AUTH_TURN_CRED_MAX];
    int64_t before = (int64_t)time(NULL);
    assert_int_equal(
        yh_auth_turn_credential("s3cret", 6, "p7", 86400, user, sizeof user, cred, sizeof cred), 0);
    int64_t after = (int64_t)time(NULL);
    char *colon = strchr(user, ':');
    assert_non_null(colon);
    assert_string_equal(colon + 1, "p7");
    char *end;
    long long exp = strtoll(user, &end, 10);
    assert_ptr_equal(end, colon);
    assert_true(exp >= before + 86400 && exp <= after + 86400);
    assert_int_equal(colon - user, 10); /* 10 digits until 2286 */
}

static void test_refusals(void **state)
{
    char user[64], cred[YH_AUTH_TURN_CRED_MAX];
    assert_int_equal(yh_auth_turn_credential("s", 1, "p1", 0, user, sizeof user, cred, sizeof cred),
                     YH_EINVAL);
    assert_int_equal(
        yh_auth_turn_credential_at("", 0, "p1", 1, user, sizeof user, cred, sizeof cred),
        YH_EINVAL);
    assert_int_equal(
        yh_auth_turn_credential_at("s", 1, "", 1, user, sizeof user, cred, sizeof cred), YH_EINVAL);
    /* A colon in the id would shift coturn's split of the username. */
    assert_int_equal(
        yh_auth_turn_credential_at("s", 1, "a:b", 1, user, sizeof user, cred, sizeof cred),
        YH_EINVAL);
    /* "1700000000:p1" needs 14 bytes. */
    assert_int_equal(
        yh_auth_turn_credential_at("s", 1, "p1", 1700000000, user, 13, cred, sizeof cred),
        YH_ENOSPACE);
    assert_int_equal(
        yh_auth_turn_credential_at("s", 1, "p1", 1700000000, user, 14, cred, sizeof cred), 0);
    assert_int_equal(yh_auth_turn_credential_at("s", 1, "p1", 1700000000, user, sizeof user, cred,
                                                sizeof cred - 1),
                     YH_ENOSPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
