/*
 * auth: argon2id against the reference implementation's vector, our own
 * hashes, the server secret file, and signed tokens against HMAC-SHA256
 * tokens computed independently (Python's hmac module), with expiry,
 * tampering and kind confusion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "base/err.h"

/* phc-winner-argon2 src/test.c: "password", salt "somesalt", t=2, 64 MiB. */
static const char ref_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
                               "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

/* Tokens computed with Python: base64url(p) "." base64url(hmac_sha256(k, p))
 * for k = "0123456789abcdef0123456789abcdef". */
static const char ref_join[] =
    "anwxMjM0NTY3ODl8aG9zdHwyMDAwMDAwMDAw.uPe_gQCVqRpRCczonkIy2WaRKWbdOhCrhkiXTvp2wlA";
static const char ref_session[] =
    "c3w0Mnxob3N0fDIwMDAwMDAwMDA.mQUwpSiKymI38xn27tNdC6Y5hjU9rzDT9d60cG_TNs0";

static yh_auth_secret_t ref_secret(void)
{
    yh_auth_secret_t s = {.len = 32};
    memcpy(s.key, "0123456789abcdef0123456789abcdef", 32);
    return s;
}

static void test_argon2_reference(void **state)
{
    assert_int_equal(yh_auth_password_verify(ref_hash, "password", 8), 0);
    assert_int_equal(yh_auth_password_verify(ref_hash, "passwore", 8), YH_EINTEGRITY);
    assert_int_equal(yh_auth_password_verify(ref_hash, "password", 7), YH_EINTEGRITY);
    /* Only argon2id: the same vector relabelled argon2i is refused. */
    assert_int_equal(yh_auth_password_verify(ref_hash + 0, "", 0), YH_EINTEGRITY);
    assert_int_equal(yh_auth_password_verify("$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
                                             "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
                                             "password", 8),
                     YH_EINTEGRITY);
    assert_int_equal(yh_auth_password_verify("garbage", "password", 8), YH_EINTEGRITY);
}

static void test_argon2_own(void **state)
{
    char a[YH_AUTH_HASH_MAX], b[YH_AUTH_HASH_MAX];
    assert_int_equal(yh_auth_password_hash("s3cret pw", 9, a, sizeof a), 0);
    assert_int_equal(yh_auth_password_hash("s3cret pw", 9, b, sizeof b), 0);
    assert_memory_equal(a, "$argon2id$v=19$", 15);
    assert_string_not_equal(a, b); /* fresh salt each time */
    assert_int_equal(yh_auth_password_verify(a, "s3cret pw", 9), 0);
    assert_int_equal(yh_auth_password_verify(b, "s3cret pw", 9), 0);
    assert_int_equal(yh_auth_password_verify(a, "s3cret pW", 9), YH_EINTEGRITY);
    /* Flipping one character of the digest breaks it. */
    size_t n = strlen(a);
    a[n - 2] = a[n - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(yh_auth_password_verify(a, "s3cret pw", 9), YH_EINTEGRITY);
    assert_int_equal(yh_auth_password_hash("x", 1, b, 40), YH_ENOSPACE);
    /* The dummy is a real hash that the empty password does not match. */
    assert_int_equal(yh_auth_password_verify(yh_auth_password_dummy_hash(), "", 0), YH_EINTEGRITY);
}

static void test_token_reference(void **state)
{
    yh_auth_secret_t s = ref_secret();
    char tok[YH_AUTH_TOKEN_MAX], meeting[YH_AUTH_SUBJECT_MAX + 1], role[YH_AUTH_ROLE_MAX + 1];
    assert_int_equal(yh_auth_token_sign_at(&s, "123456789", "host", 2000000000, tok, sizeof tok),
                     0);
    assert_string_equal(tok, ref_join);
    assert_int_equal(yh_auth_token_verify_at(&s, ref_join, 1999999999, meeting, role), 0);
    assert_string_equal(meeting, "123456789");
    assert_string_equal(role, "host");
    int64_t acct = 0;
    assert_int_equal(yh_auth_session_sign_at(&s, 42, 2000000000, tok, sizeof tok), 0);
    assert_string_equal(tok, ref_session);
    assert_int_equal(yh_auth_session_verify_at(&s, ref_session, 1700000000, &acct), 0);
    assert_int_equal(acct, 42);
}

static void test_token_expiry_and_kind(void **state)
{
    yh_auth_secret_t s = ref_secret();
    char m[YH_AUTH_SUBJECT_MAX + 1], r[YH_AUTH_ROLE_MAX + 1];
    int64_t acct;
    /* Valid strictly before exp. */
    assert_int_equal(yh_auth_token_verify_at(&s, ref_join, 2000000000, m, r), YH_ERANGE);
    assert_int_equal(yh_auth_token_verify_at(&s, ref_join, 2100000000, m, r), YH_ERANGE);
    /* A session is not a join link and a join link is not a session. */
    assert_int_equal(yh_auth_token_verify_at(&s, ref_session, 1, m, r), YH_EINTEGRITY);
    assert_int_equal(yh_auth_session_verify_at(&s, ref_join, 1, &acct), YH_EINTEGRITY);
    /* The wall-clock versions: a fresh token verifies, ttl 0 is refused. */
    char tok[YH_AUTH_TOKEN_MAX];
    assert_int_equal(yh_auth_token_sign(&s, "abc_-9", "speaker", 60, tok, sizeof tok), 0);
    assert_int_equal(yh_auth_token_verify(&s, tok, m, r), 0);
    assert_string_equal(m, "abc_-9");
    assert_string_equal(r, "speaker");
    assert_int_equal(yh_auth_token_sign(&s, "abc", "host", 0, tok, sizeof tok), YH_EINVAL);
    assert_int_equal(yh_auth_token_sign(&s, "abc", "host", 10, tok, 20), YH_ENOSPACE);
}

static void test_token_tamper(void **state)
{
    yh_auth_secret_t s = ref_secret();
    char m[YH_AUTH_SUBJECT_MAX + 1], r[YH_AUTH_ROLE_MAX + 1];
    char t[sizeof ref_join];
    /* Every single-character change anywhere is refused. */
    for (size_t i = 0; i < sizeof ref_join - 1; i++) {
        memcpy(t, ref_join, sizeof t);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_not_equal(yh_auth_token_verify_at(&s, t, 1, m, r), 0);
    }
    /* Truncated, extended, padded, no dot, two dots, empty. */
    memcpy(t, ref_join, sizeof t);
    t[sizeof t - 2] = '\0';
    assert_int_equal(yh_auth_token_verify_at(&s, t, 1, m, r), YH_EINTEGRITY);
    char longer[sizeof ref_join + 2];
    snprintf(longer, sizeof longer, "%s=", ref_join);
    assert_int_equal(yh_auth_token_verify_at(&s, longer, 1, m, r), YH_EINTEGRITY);
    assert_int_equal(yh_auth_token_verify_at(&s, "abc", 1, m, r), YH_EINTEGRITY);
    assert_int_equal(yh_auth_token_verify_at(&s, "a.b.c", 1, m, r), YH_EINTEGRITY);
    assert_int_equal(yh_auth_token_verify_at(&s, "", 1, m, r), YH_EINTEGRITY);
    /* Another secret. */
    yh_auth_secret_t other = s;
    other.key[0] ^= 1;
    assert_int_equal(yh_auth_token_verify_at(&other, ref_join, 1, m, r), YH_EINTEGRITY);
    /* A short secret is refused for signing and verifying. */
    other.len = 31;
    char tok[YH_AUTH_TOKEN_MAX];
    assert_int_equal(yh_auth_token_sign_at(&other, "1", "host", 5, tok, sizeof tok), YH_EINVAL);
    assert_int_equal(yh_auth_token_verify_at(&other, ref_join, 1, m, r), YH_EINVAL);
    /* Bad subjects and roles are refused at signing. */
    assert_int_equal(yh_auth_token_sign_at(&s, "a|b", "host", 5, tok, sizeof tok), YH_EINVAL);
    assert_int_equal(yh_auth_token_sign_at(&s, "", "host", 5, tok, sizeof tok), YH_EINVAL);
    assert_int_equal(yh_auth_token_sign_at(&s, "123456789012345678901", "host", 5, tok, sizeof tok),
                     YH_EINVAL);
    assert_int_equal(yh_auth_token_sign_at(&s, "1", "Host", 5, tok, sizeof tok), YH_EINVAL);
}

static void test_secret_file(void **state)
{
    char dir[] = "/tmp/yh-auth-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/secret", dir);
    yh_auth_secret_t a, b;
    assert_int_equal(yh_auth_secret_load(path, 0, &a), YH_ENOTFOUND);
    assert_int_equal(yh_auth_secret_load(path, 1, &a), 0);
    assert_int_equal(a.len, 64);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Loading again gives the same key: tokens survive a restart. */
    assert_int_equal(yh_auth_secret_load(path, 1, &b), 0);
    assert_int_equal(b.len, a.len);
    assert_memory_equal(a.key, b.key, a.len);
    /* An operator's file: trailing newline dropped; too short refused. */
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "short\n", 6), 6);
    close(fd);
    assert_int_equal(yh_auth_secret_load(path, 1, &b), YH_EINVAL);
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef\r\n", 34), 34);
    close(fd);
    assert_int_equal(yh_auth_secret_load(path, 0, &b), 0);
    assert_int_equal(b.len, 32);
    unlink(path);
    rmdir(dir);
}

static void test_equal(void **state)
{
    assert_true(yh_auth_equal("abc", 3, "abc", 3, 64));
    assert_false(yh_auth_equal("abc", 3, "abd", 3, 64));
    assert_false(yh_auth_equal("abc", 3, "abcd", 4, 64));
    assert_false(yh_auth_equal("abc", 3, "ab", 2, 64));
    assert_true(yh_auth_equal("", 0, "", 0, 64));
    /* Over the bound never matches, even when equal. */
    assert_false(yh_auth_equal("abcd", 4, "abcd", 4, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argon2_reference),
        cmocka_unit_test(test_argon2_own),
        cmocka_unit_test(test_token_reference),
        cmocka_unit_test(test_token_expiry_and_kind),
        cmocka_unit_test(test_token_tamper),
        cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
