/*
 * STUN codec (RFC 5389 / RFC 8489): parsing with every length checked,
 * MESSAGE-INTEGRITY (15.4) with HMAC-SHA1 from OpenSSL, FINGERPRINT (15.5)
 * with zlib's CRC-32, and a builder that writes into a caller buffer.
 * Nothing here allocates except OpenSSL, for its MAC context per HMAC:
 * checks arrive a few times a second per peer, not per media packet.
 */
#include "stun/stun.h"

#include <netinet/in.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <zlib.h>

#include "base/bytes.h"
#include "base/err.h"

#define FINGERPRINT_XOR 0x5354554eu /* "STUN", RFC 5389 15.5 */
#define MI_LEN 20                   /* HMAC-SHA1 */
#define FP_LEN 4
#define ATTR_HDR 4
/* The header length field is 16 bits and bodies are 4-byte aligned. */
#define MAX_BODY 65532u
/* ERROR-CODE reason phrase: at most 127 characters, 763 bytes (15.6). */
#define MAX_REASON 763u

enum { STAGE_ATTRS, STAGE_INTEGRITY, STAGE_FINGERPRINT };

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/*
 * HMAC-SHA1 of a 20-byte header followed by `body`. The header is passed
 * apart so the checker can hash a copy whose length field is adjusted
 * (15.4) without touching the caller's const buffer.
 */
static int hmac_sha1(const void *key, size_t key_len, const uint8_t *hdr, const uint8_t *body,
                     size_t body_len, uint8_t out[MI_LEN])
{
    static const uint8_t empty_key[1];
    char digest[] = "SHA1";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    size_t out_len = 0;
    int rc = YH_ECRYPTO;

    /* OpenSSL reads a NULL key as "keep the previous key"; an empty
     * password is a valid (if weak) key of length zero. */
    if (key == NULL || key_len == 0) {
        key = empty_key;
        key_len = 0;
    }
    if (ctx == NULL || !EVP_MAC_init(ctx, key, key_len, params))
        goto fail;
    if (!EVP_MAC_update(ctx, hdr, YH_STUN_HEADER_LEN) || !EVP_MAC_update(ctx, body, body_len))
        goto fail;
    if (!EVP_MAC_final(ctx, out, &out_len, MI_LEN) || out_len != MI_LEN)
        goto fail;
    rc = 0;
fail:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return rc;
}

/* CRC-32 of everything before the FINGERPRINT attribute, XOR "STUN". */
static uint32_t fingerprint(const uint8_t *buf, size_t fp_off)
{
    return (uint32_t)crc32(0L, buf, (uInt)fp_off) ^ FINGERPRINT_XOR;
}

int yh_stun_is_stun(const uint8_t *buf, size_t len)
{
    /* RFC 5389 6 and 7.3; the demultiplexer (RFC 7983) only needs the first
     * byte, this also rejects anything that cannot be one whole message. */
    return buf != NULL && len >= YH_STUN_HEADER_LEN && (buf[0] & 0xC0) == 0 &&
           rd_be32(buf + 4) == YH_STUN_MAGIC && (rd_be16(buf + 2) & 3) == 0 &&
           (size_t)rd_be16(buf + 2) + YH_STUN_HEADER_LEN == len;
}

/* XOR-MAPPED-ADDRESS (RFC 5389 15.2): port XOR the cookie's top half,
 * IPv4 XOR the cookie, IPv6 XOR cookie || transaction ID. */
static int parse_xor_address(const uint8_t *hdr, const uint8_t *v, size_t n,
                             struct sockaddr_storage *out)
{
    uint16_t port;

    if (n < 4)
        return YH_EPARSE;
    port = (uint16_t)(rd_be16(v + 2) ^ (YH_STUN_MAGIC >> 16));
    memset(out, 0, sizeof *out);
    if (v[1] == 0x01 && n == 8) {
        struct sockaddr_in *a = (struct sockaddr_in *)out;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(rd_be32(v + 4) ^ YH_STUN_MAGIC);
        return 0;
    }
    if (v[1] == 0x02 && n == 20) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        for (size_t i = 0; i < 16; i++)
            a->sin6_addr.s6_addr[i] = v[4 + i] ^ hdr[4 + i];
        return 0;
    }
    return YH_EPARSE;
}

/* ERROR-CODE (RFC 5389 15.6): class 3..6 in 3 bits, number 0..99. */
static int parse_error_code(const uint8_t *v, size_t n, uint16_t *code)
{
    unsigned cls, num;

    if (n < 4 || n > 4 + MAX_REASON)
        return YH_EPARSE;
    cls = v[2] & 0x07;
    num = v[3];
    if (cls < 3 || cls > 6 || num > 99)
        return YH_EPARSE;
    *code = (uint16_t)(cls * 100 + num);
    return 0;
}

static void note_unknown(yh_stun_msg_t *msg, uint16_t type)
{
    /* RFC 5389 7.3: only comprehension-required types (< 0x8000) matter. */
    if (type >= 0x8000)
        return;
    msg->has_unknown_required = 1;
    if (msg->unknown_count < YH_STUN_MAX_UNKNOWN)
        msg->unknown[msg->unknown_count++] = type;
}

/* One attribute before MESSAGE-INTEGRITY (or MI itself) at `off`. Of a
 * repeated attribute only the first is used (RFC 5389 15). */
static int take_attr(yh_stun_msg_t *msg, const uint8_t *buf, size_t off, uint16_t type, size_t n)
{
    const uint8_t *v = buf + off + ATTR_HDR;

    switch (type) {
    case YH_STUN_ATTR_USERNAME:
        if (n > YH_STUN_MAX_USERNAME)
            return YH_EPARSE;
        if (msg->username == NULL) {
            msg->username = v;
            msg->username_len = n;
        }
        return 0;
    case YH_STUN_ATTR_MESSAGE_INTEGRITY:
        if (n != MI_LEN)
            return YH_EPARSE;
        msg->integrity_off = off;
        return 0;
    case YH_STUN_ATTR_PRIORITY:
        if (n != 4)
            return YH_EPARSE;
        if (!msg->has_priority)
            msg->priority = rd_be32(v);
        msg->has_priority = 1;
        return 0;
    case YH_STUN_ATTR_USE_CANDIDATE:
        if (n != 0)
            return YH_EPARSE;
        msg->use_candidate = 1;
        return 0;
    case YH_STUN_ATTR_ICE_CONTROLLING:
    case YH_STUN_ATTR_ICE_CONTROLLED:
        if (n != 8)
            return YH_EPARSE;
        if (!msg->has_controlling && !msg->has_controlled)
            msg->tiebreaker = rd_be64(v);
        if (type == YH_STUN_ATTR_ICE_CONTROLLING)
            msg->has_controlling = 1;
        else
            msg->has_controlled = 1;
        return 0;
    case YH_STUN_ATTR_XOR_MAPPED_ADDRESS:
        if (msg->has_xor_mapped)
            return 0;
        msg->has_xor_mapped = 1;
        return parse_xor_address(buf, v, n, &msg->xor_mapped);
    case YH_STUN_ATTR_ERROR_CODE:
        if (msg->has_error)
            return 0;
        msg->has_error = 1;
        return parse_error_code(v, n, &msg->error_code);
    case YH_STUN_ATTR_MAPPED_ADDRESS:
    case YH_STUN_ATTR_UNKNOWN_ATTRIBUTES:
        return 0; /* understood, not needed by ICE */
    default:
        note_unknown(msg, type);
        return 0;
    }
}

static int parse_header(const uint8_t *buf, size_t len, yh_stun_msg_t *msg)
{
    size_t body;

    if (len < YH_STUN_HEADER_LEN)
        return YH_ETRUNC;
    if ((buf[0] & 0xC0) != 0 || rd_be32(buf + 4) != YH_STUN_MAGIC)
        return YH_EPARSE;
    body = rd_be16(buf + 2);
    if (body & 3)
        return YH_EPARSE;
    if (len < YH_STUN_HEADER_LEN + body)
        return YH_ETRUNC;
    if (len > YH_STUN_HEADER_LEN + body)
        return YH_EPARSE;
    msg->type = rd_be16(buf);
    msg->length = (uint16_t)body;
    memcpy(msg->txid, buf + 8, sizeof msg->txid);
    return 0;
}

int yh_stun_parse(const uint8_t *buf, size_t len, yh_stun_msg_t *msg)
{
    size_t off = YH_STUN_HEADER_LEN, fp_off = 0;
    int rc;

    if (buf == NULL || msg == NULL)
        return YH_EINVAL;
    memset(msg, 0, sizeof *msg);
    rc = parse_header(buf, len, msg);
    if (rc < 0)
        return rc;
    while (off < len) {
        uint16_t type, n;

        if (len - off < ATTR_HDR)
            return YH_ETRUNC;
        type = rd_be16(buf + off);
        n = rd_be16(buf + off + 2);
        if (pad4(n) > len - off - ATTR_HDR)
            return YH_ETRUNC;
        /* FINGERPRINT must be the last attribute (15.5). */
        if (fp_off != 0)
            return YH_EPARSE;
        if (type == YH_STUN_ATTR_FINGERPRINT) {
            if (n != FP_LEN)
                return YH_EPARSE;
            fp_off = off;
        } else if (msg->integrity_off == 0) {
            rc = take_attr(msg, buf, off, type, n);
            if (rc < 0)
                return rc;
        }
        /* Anything else after MESSAGE-INTEGRITY is ignored (15.4). */
        off += ATTR_HDR + pad4(n);
    }
    if (fp_off != 0) {
        if (fingerprint(buf, fp_off) != rd_be32(buf + fp_off + ATTR_HDR))
            return YH_EINTEGRITY;
        msg->has_fingerprint = 1;
    }
    return (int)len;
}

int yh_stun_check_integrity(const uint8_t *buf, size_t len, const yh_stun_msg_t *msg,
                            const void *key, size_t key_len)
{
    uint8_t hdr[YH_STUN_HEADER_LEN], mac[MI_LEN];
    size_t off;
    int rc;

    if (buf == NULL || msg == NULL || (key == NULL && key_len > 0))
        return YH_EINVAL;
    off = msg->integrity_off;
    if (off == 0)
        return YH_ENOTFOUND;
    /* `msg` must come from parsing this very buffer. */
    if (off < YH_STUN_HEADER_LEN || off > len || len - off < ATTR_HDR + MI_LEN ||
        rd_be16(buf + off) != YH_STUN_ATTR_MESSAGE_INTEGRITY)
        return YH_EINVAL;
    /* RFC 5389 15.4: the hash covers the message up to MI with the header
     * length counting up to the end of MI, so attributes after it (such as
     * FINGERPRINT) do not change it. */
    memcpy(hdr, buf, sizeof hdr);
    wr_be16(hdr + 2, (uint16_t)(off + ATTR_HDR + MI_LEN - YH_STUN_HEADER_LEN));
    rc = hmac_sha1(key, key_len, hdr, buf + YH_STUN_HEADER_LEN, off - YH_STUN_HEADER_LEN, mac);
    if (rc < 0)
        return rc;
    return CRYPTO_memcmp(mac, buf + off + ATTR_HDR, MI_LEN) == 0 ? 0 : YH_EINTEGRITY;
}

/* ---- builder ---------------------------------------------------------- */

static void fail(yh_stun_builder_t *b, int err)
{
    if (b->err == 0)
        b->err = err;
}

void yh_stun_build_begin(yh_stun_builder_t *b, uint8_t *buf, size_t cap, uint16_t type,
                         const uint8_t txid[12])
{
    if (b == NULL)
        return;
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    b->err = 0;
    b->stage = STAGE_ATTRS;
    if (buf == NULL || txid == NULL || (type & 0xC000) != 0) {
        fail(b, YH_EINVAL);
        return;
    }
    if (cap < YH_STUN_HEADER_LEN) {
        fail(b, YH_ENOSPACE);
        return;
    }
    wr_be16(buf, type);
    wr_be16(buf + 2, 0);
    wr_be32(buf + 4, YH_STUN_MAGIC);
    memcpy(buf + 8, txid, 12);
    b->len = YH_STUN_HEADER_LEN;
}

/*
 * Appends an attribute header and zeroed padding for an `n`-byte value,
 * updates the header length and returns where the value goes (NULL after
 * an error). `stage` is the stage the attribute may be added in.
 */
static uint8_t *reserve(yh_stun_builder_t *b, uint16_t type, size_t n, int stage)
{
    size_t need = ATTR_HDR + pad4(n);
    uint8_t *p;

    if (b == NULL || b->err != 0)
        return NULL;
    if (b->stage > stage) {
        fail(b, YH_ESTATE);
        return NULL;
    }
    if (n > 0xFFFF || b->len - YH_STUN_HEADER_LEN + need > MAX_BODY) {
        fail(b, YH_ERANGE);
        return NULL;
    }
    if (need > b->cap - b->len) {
        fail(b, YH_ENOSPACE);
        return NULL;
    }
    p = b->buf + b->len;
    wr_be16(p, type);
    wr_be16(p + 2, (uint16_t)n);
    memset(p + ATTR_HDR + n, 0, pad4(n) - n);
    b->len += need;
    wr_be16(b->buf + 2, (uint16_t)(b->len - YH_STUN_HEADER_LEN));
    return p + ATTR_HDR;
}

void yh_stun_add_bytes(yh_stun_builder_t *b, uint16_t attr, const void *data, size_t len)
{
    uint8_t *p;

    if (b != NULL && data == NULL && len > 0) {
        fail(b, YH_EINVAL);
        return;
    }
    p = reserve(b, attr, len, STAGE_ATTRS);
    if (p != NULL && len > 0)
        memcpy(p, data, len);
}

void yh_stun_add_u32(yh_stun_builder_t *b, uint16_t attr, uint32_t v)
{
    uint8_t *p = reserve(b, attr, 4, STAGE_ATTRS);
    if (p != NULL)
        wr_be32(p, v);
}

void yh_stun_add_u64(yh_stun_builder_t *b, uint16_t attr, uint64_t v)
{
    uint8_t *p = reserve(b, attr, 8, STAGE_ATTRS);
    if (p != NULL)
        wr_be64(p, v);
}

void yh_stun_add_flag(yh_stun_builder_t *b, uint16_t attr)
{
    (void)reserve(b, attr, 0, STAGE_ATTRS);
}

void yh_stun_add_xor_address(yh_stun_builder_t *b, uint16_t attr, const struct sockaddr *addr)
{
    uint8_t *p;

    if (b == NULL || b->err != 0)
        return;
    if (addr != NULL && addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        p = reserve(b, attr, 8, STAGE_ATTRS);
        if (p == NULL)
            return;
        p[0] = 0;
        p[1] = 0x01;
        wr_be16(p + 2, (uint16_t)(ntohs(a->sin_port) ^ (YH_STUN_MAGIC >> 16)));
        wr_be32(p + 4, ntohl(a->sin_addr.s_addr) ^ YH_STUN_MAGIC);
    } else if (addr != NULL && addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        p = reserve(b, attr, 20, STAGE_ATTRS);
        if (p == NULL)
            return;
        p[0] = 0;
        p[1] = 0x02;
        wr_be16(p + 2, (uint16_t)(ntohs(a->sin6_port) ^ (YH_STUN_MAGIC >> 16)));
        /* Cookie and transaction ID sit at bytes 4..19 of the header. */
        for (size_t i = 0; i < 16; i++)
            p[4 + i] = a->sin6_addr.s6_addr[i] ^ b->buf[4 + i];
    } else {
        fail(b, YH_EINVAL);
    }
}

void yh_stun_add_error(yh_stun_builder_t *b, uint16_t code, const char *reason)
{
    size_t n;
    uint8_t *p;

    if (b == NULL || b->err != 0)
        return;
    if (reason == NULL)
        reason = "";
    n = strlen(reason);
    if (code < 300 || code > 699 || n > MAX_REASON) {
        fail(b, code < 300 || code > 699 ? YH_EINVAL : YH_ERANGE);
        return;
    }
    p = reserve(b, YH_STUN_ATTR_ERROR_CODE, 4 + n, STAGE_ATTRS);
    if (p == NULL)
        return;
    p[0] = 0;
    p[1] = 0;
    p[2] = (uint8_t)(code / 100);
    p[3] = (uint8_t)(code % 100);
    memcpy(p + 4, reason, n);
}

void yh_stun_add_integrity(yh_stun_builder_t *b, const void *key, size_t key_len)
{
    uint8_t *p;
    size_t mi_off;

    if (b != NULL && key == NULL && key_len > 0) {
        fail(b, YH_EINVAL);
        return;
    }
    /* reserve() already set the header length to end at MI (15.4). */
    p = reserve(b, YH_STUN_ATTR_MESSAGE_INTEGRITY, MI_LEN, STAGE_ATTRS);
    if (p == NULL)
        return;
    b->stage = STAGE_INTEGRITY;
    mi_off = (size_t)(p - ATTR_HDR - b->buf);
    if (hmac_sha1(key, key_len, b->buf, b->buf + YH_STUN_HEADER_LEN, mi_off - YH_STUN_HEADER_LEN,
                  p) < 0)
        fail(b, YH_ECRYPTO);
}

void yh_stun_add_fingerprint(yh_stun_builder_t *b)
{
    uint8_t *p = reserve(b, YH_STUN_ATTR_FINGERPRINT, FP_LEN, STAGE_INTEGRITY);

    if (p == NULL)
        return;
    b->stage = STAGE_FINGERPRINT;
    wr_be32(p, fingerprint(b->buf, (size_t)(p - ATTR_HDR - b->buf)));
}

int yh_stun_build_finish(yh_stun_builder_t *b)
{
    if (b == NULL)
        return YH_EINVAL;
    if (b->err != 0)
        return b->err;
    return (int)b->len;
}

/* ---- whole messages ----------------------------------------------------- */

int yh_stun_build_binding_success(uint8_t *buf, size_t cap, const uint8_t txid[12],
                                  const struct sockaddr *mapped, const char *pwd)
{
    yh_stun_builder_t b;

    if (pwd == NULL)
        return YH_EINVAL;
    yh_stun_build_begin(&b, buf, cap, YH_STUN_BINDING_SUCCESS, txid);
    yh_stun_add_xor_address(&b, YH_STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
    yh_stun_add_integrity(&b, pwd, strlen(pwd));
    yh_stun_add_fingerprint(&b);
    return yh_stun_build_finish(&b);
}

int yh_stun_build_binding_error(uint8_t *buf, size_t cap, const uint8_t txid[12], uint16_t code,
                                const char *reason, const char *pwd)
{
    yh_stun_builder_t b;

    yh_stun_build_begin(&b, buf, cap, YH_STUN_BINDING_ERROR, txid);
    yh_stun_add_error(&b, code, reason);
    if (pwd != NULL)
        yh_stun_add_integrity(&b, pwd, strlen(pwd));
    yh_stun_add_fingerprint(&b);
    return yh_stun_build_finish(&b);
}

int yh_stun_build_binding_request(uint8_t *buf, size_t cap, const uint8_t txid[12],
                                  const char *username, const char *remote_pwd, uint32_t priority,
                                  int controlling, uint64_t tiebreaker, int use_candidate)
{
    yh_stun_builder_t b;
    size_t n;

    if (username == NULL || remote_pwd == NULL)
        return YH_EINVAL;
    n = strlen(username);
    if (n > YH_STUN_MAX_USERNAME)
        return YH_ERANGE;
    yh_stun_build_begin(&b, buf, cap, YH_STUN_BINDING_REQUEST, txid);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_USERNAME, username, n);
    yh_stun_add_u32(&b, YH_STUN_ATTR_PRIORITY, priority);
    yh_stun_add_u64(&b, controlling ? YH_STUN_ATTR_ICE_CONTROLLING : YH_STUN_ATTR_ICE_CONTROLLED,
                    tiebreaker);
    if (use_candidate)
        yh_stun_add_flag(&b, YH_STUN_ATTR_USE_CANDIDATE);
    yh_stun_add_integrity(&b, remote_pwd, strlen(remote_pwd));
    yh_stun_add_fingerprint(&b);
    return yh_stun_build_finish(&b);
}

int yh_stun_username_local(const yh_stun_msg_t *msg, char *out, size_t cap)
{
    const uint8_t *colon;
    size_t n;

    if (msg == NULL || out == NULL)
        return YH_EINVAL;
    if (msg->username == NULL)
        return YH_ENOTFOUND;
    colon = memchr(msg->username, ':', msg->username_len);
    /* An ICE USERNAME always has the colon (RFC 8445 7.2.2); a NUL in the
     * ufrag would make the C string name a different transport. */
    if (colon == NULL)
        return YH_ENOTFOUND;
    n = (size_t)(colon - msg->username);
    if (memchr(msg->username, '\0', n) != NULL)
        return YH_ENOTFOUND;
    if (n + 1 > cap)
        return YH_ENOSPACE;
    memcpy(out, msg->username, n);
    out[n] = '\0';
    return 0;
}
