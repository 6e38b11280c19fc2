/*
 * libFuzzer target for signed tokens (auth/token.c): every input is
 * verified as a join token and as a session with a fixed secret, at two
 * clocks. Inputs are also re-signed: when the input splits as
 * "<meeting>|<role>", a token is signed for it and must verify back to
 * the same fields, so the MAC check's success path is reached too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "base/err.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static const yh_auth_secret_t secret = {.key = "0123456789abcdef0123456789abcdef", .len = 32};

static void resign(const char *text)
{
    char meeting[64], tok[YH_AUTH_TOKEN_MAX];
    char m[YH_AUTH_SUBJECT_MAX + 1], r[YH_AUTH_ROLE_MAX + 1];
    const char *bar = strchr(text, '|');
    if (!bar || (size_t)(bar - text) >= sizeof meeting)
        return;
    memcpy(meeting, text, (size_t)(bar - text));
    meeting[bar - text] = '\0';
    if (yh_auth_token_sign_at(&secret, meeting, bar + 1, 2000000000, tok, sizeof tok))
        return;
    CHECK(yh_auth_token_verify_at(&secret, tok, 1999999999, m, r) == 0);
    CHECK(!strcmp(m, meeting) && !strcmp(r, bar + 1));
    CHECK(yh_auth_token_verify_at(&secret, tok, 2000000000, m, r) == YH_ERANGE);
    int64_t acct;
    CHECK(yh_auth_session_verify_at(&secret, tok, 1, &acct) == YH_EINTEGRITY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char m[YH_AUTH_SUBJECT_MAX + 1], r[YH_AUTH_ROLE_MAX + 1];
    int64_t acct = 0;
    int rc = yh_auth_token_verify_at(&secret, text, 1, m, r);
    if (rc == 0)
        CHECK(strlen(m) >= 1 && strlen(m) <= YH_AUTH_SUBJECT_MAX && strlen(r) >= 1);
    rc = yh_auth_token_verify_at(&secret, text, INT64_MAX, m, r);
    CHECK(rc != 0);
    if (yh_auth_session_verify_at(&secret, text, 1, &acct) == 0)
        CHECK(acct > 0);
    resign(text);
    free(text);
    return 0;
}
