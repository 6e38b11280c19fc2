/*
 * Signed tokens: base64url(payload) "." base64url(HMAC-SHA256(secret,
 * payload)) (RFC 4648 section 5 alphabet, no padding; HMAC per RFC 2104).
 * The MAC is checked, in constant time, before any field of the payload is
 * trusted; decoding is strict (no padding, zero trailing bits) so each
 * payload has exactly one token text.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "base/err.h"

#define MAC_LEN 32
#define PAYLOAD_MAX 96 /* "j|" + 20 + "|" + 15 + "|" + 20 digits, with room */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encodes `len` bytes; returns characters written (NUL added) or
 * YH_ENOSPACE. */
static int b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
    if (need + 1 > cap)
        return YH_ENOSPACE;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (n > 2)
            v |= in[i + 2];
        for (size_t k = 0; k <= n; k++)
            out[o++] = b64url[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = '\0';
    return (int)o;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes exactly `len` characters into at most `cap` bytes; returns the
 * byte count or YH_EINTEGRITY for anything non-canonical. */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > cap)
        return YH_EINTEGRITY;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return YH_EINTEGRITY;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return acc ? YH_EINTEGRITY : (int)o; /* leftover bits must be zero */
}

static int mac_compute(const yh_auth_secret_t *s, const uint8_t *msg, size_t len,
                       uint8_t out[MAC_LEN])
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), s->key, (int)s->len, msg, len, out, &n) || n != MAC_LEN)
        return YH_ECRYPTO;
    return 0;
}

static int is_subject(const char *s, size_t len)
{
    if (len < 1 || len > YH_AUTH_SUBJECT_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int is_role(const char *s, size_t len)
{
    if (len < 1 || len > YH_AUTH_ROLE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return 0;
    return 1;
}

static int sign(const yh_auth_secret_t *s, char kind, const char *subject, const char *role,
                int64_t exp, char *out, size_t cap)
{
    char payload[PAYLOAD_MAX];
    uint8_t mac[MAC_LEN];
    if (!s || s->len < YH_AUTH_SECRET_MIN || s->len > YH_AUTH_SECRET_MAX || !out || !subject ||
        !role || !is_subject(subject, strlen(subject)) || !is_role(role, strlen(role)) || exp < 0)
        return YH_EINVAL;
    int n = snprintf(payload, sizeof payload, "%c|%s|%s|%lld", kind, subject, role, (long long)exp);
    if (n < 0 || (size_t)n >= sizeof payload)
        return YH_EINVAL;
    int rc = mac_compute(s, (const uint8_t *)payload, (size_t)n, mac);
    if (rc)
        return rc;
    int p = b64_encode((const uint8_t *)payload, (size_t)n, out, cap);
    if (p < 0 || (size_t)p + 2 > cap)
        return YH_ENOSPACE;
    out[p] = '.';
    return b64_encode(mac, MAC_LEN, out + p + 1, cap - (size_t)p - 1) < 0 ? YH_ENOSPACE : 0;
}

typedef struct fields {
    char kind;
    char subject[YH_AUTH_SUBJECT_MAX + 1];
    char role[YH_AUTH_ROLE_MAX + 1];
    int64_t exp;
} fields_t;

/* "<kind>|<subject>|<role>|<exp>", every part checked. */
static int payload_parse(const char *p, size_t len, fields_t *f)
{
    const char *end = p + len, *a, *b;
    if (len < 2 || p[1] != '|' || (p[0] != 'j' && p[0] != 's'))
        return YH_EINTEGRITY;
    f->kind = p[0];
    a = memchr(p + 2, '|', (size_t)(end - (p + 2)));
    if (!a || !is_subject(p + 2, (size_t)(a - (p + 2))))
        return YH_EINTEGRITY;
    b = memchr(a + 1, '|', (size_t)(end - (a + 1)));
    if (!b || !is_role(a + 1, (size_t)(b - (a + 1))))
        return YH_EINTEGRITY;
    size_t dl = (size_t)(end - (b + 1));
    if (dl < 1 || dl > 18)
        return YH_EINTEGRITY;
    int64_t exp = 0;
    for (const char *d = b + 1; d < end; d++) {
        if (*d < '0' || *d > '9')
            return YH_EINTEGRITY;
        exp = exp * 10 + (*d - '0');
    }
    memcpy(f->subject, p + 2, (size_t)(a - (p + 2)));
    f->subject[a - (p + 2)] = '\0';
    memcpy(f->role, a + 1, (size_t)(b - (a + 1)));
    f->role[b - (a + 1)] = '\0';
    f->exp = exp;
    return 0;
}

static int verify(const yh_auth_secret_t *s, const char *token, int64_t now, char kind, fields_t *f)
{
    uint8_t payload[PAYLOAD_MAX], mac[MAC_LEN + 3], want[MAC_LEN];
    if (!s || s->len < YH_AUTH_SECRET_MIN || s->len > YH_AUTH_SECRET_MAX || !token)
        return YH_EINVAL;
    size_t len = strnlen(token, YH_AUTH_TOKEN_MAX);
    const char *dot = memchr(token, '.', len);
    if (len >= YH_AUTH_TOKEN_MAX || !dot)
        return YH_EINTEGRITY;
    int pl = b64_decode(token, (size_t)(dot - token), payload, sizeof payload);
    int ml = b64_decode(dot + 1, len - (size_t)(dot + 1 - token), mac, sizeof mac);
    if (pl < 0 || ml != MAC_LEN)
        return YH_EINTEGRITY;
    int rc = mac_compute(s, payload, (size_t)pl, want);
    if (rc)
        return rc;
    if (CRYPTO_memcmp(mac, want, MAC_LEN))
        return YH_EINTEGRITY;
    if ((rc = payload_parse((const char *)payload, (size_t)pl, f)))
        return rc;
    if (f->kind != kind)
        return YH_EINTEGRITY;
    return f->exp <= now ? YH_ERANGE : 0;
}

int yh_auth_token_sign_at(const yh_auth_secret_t *secret, const char *meeting, const char *role,
                          int64_t exp, char *out, size_t cap)
{
    return sign(secret, 'j', meeting, role, exp, out, cap);
}

int yh_auth_token_verify_at(const yh_auth_secret_t *secret, const char *token, int64_t now,
                            char *meeting, char *role)
{
    fields_t f;
    int rc = verify(secret, token, now, 'j', &f);
    if (rc)
        return rc;
    if (meeting)
        strcpy(meeting, f.subject);
    if (role)
        strcpy(role, f.role);
    return 0;
}

int yh_auth_session_sign_at(const yh_auth_secret_t *secret, int64_t account, int64_t exp, char *out,
                            size_t cap)
{
    char subject[24];
    if (account <= 0)
        return YH_EINVAL;
    snprintf(subject, sizeof subject, "%lld", (long long)account);
    return sign(secret, 's', subject, "host", exp, out, cap);
}

int yh_auth_session_verify_at(const yh_auth_secret_t *secret, const char *token, int64_t now,
                              int64_t *account)
{
    fields_t f;
    int rc = verify(secret, token, now, 's', &f);
    if (rc)
        return rc;
    int64_t id = 0;
    size_t n = strlen(f.subject);
    if (n > 18)
        return YH_EINTEGRITY;
    for (size_t i = 0; i < n; i++) {
        if (f.subject[i] < '0' || f.subject[i] > '9')
            return YH_EINTEGRITY;
        id = id * 10 + (f.subject[i] - '0');
    }
    if (id <= 0)
        return YH_EINTEGRITY;
    if (account)
        *account = id;
    return 0;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

int yh_auth_token_sign(const yh_auth_secret_t *secret, const char *meeting, const char *role,
                       int64_t ttl_s, char *out, size_t cap)
{
    if (ttl_s <= 0)
        return YH_EINVAL;
    return yh_auth_token_sign_at(secret, meeting, role, now_s() + ttl_s, out, cap);
}

int yh_auth_token_verify(const yh_auth_secret_t *secret, const char *token, char *meeting,
                         char *role)
{
    return yh_auth_token_verify_at(secret, token, now_s(), meeting, role);
}

int yh_auth_session_sign(const yh_auth_secret_t *secret, int64_t account, int64_t ttl_s, char *out,
                         size_t cap)
{
    if (ttl_s <= 0)
        return YH_EINVAL;
    return yh_auth_session_sign_at(secret, account, now_s() + ttl_s, out, cap);
}

int yh_auth_session_verify(const yh_auth_secret_t *secret, const char *token, int64_t *account)
{
    return yh_auth_session_verify_at(secret, token, now_s(), account);
}

int yh_auth_equal(const void *a, size_t alen, const void *b, size_t blen, size_t max)
{
    const uint8_t *x = a, *y = b;
    /* Walk `max` bytes of both whatever their lengths, so the time leaks
     * neither where they differ nor how long the secret one is. */
    uint8_t diff = (uint8_t)(alen != blen) | (uint8_t)(alen > max) | (uint8_t)(blen > max);
    for (size_t i = 0; i < max; i++) {
        uint8_t cx = i < alen ? x[i] : 0, cy = i < blen ? y[i] : 0;
        diff |= cx ^ cy;
    }
    return diff == 0;
}
