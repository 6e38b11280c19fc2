/*
 * STUN codec tests: the RFC 5769 test vectors (every decoded field,
 * MESSAGE-INTEGRITY, FINGERPRINT, single-byte corruption, truncation at
 * every length), builder round trips and malformed attributes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/err.h"
#include "net/addr.h"
#include "stun/stun.h"

/* clang-format off */
/* RFC 5769 2.1: sample request (short-term credential). */
static const uint8_t rfc_request[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x10, /* SOFTWARE "STUN test client" */
    0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
    0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, /* PRIORITY */
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, /* ICE-CONTROLLED */
    0x00, 0x06, 0x00, 0x09, /* USERNAME "evtj:h6vY", padded with spaces */
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20,
    0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY */
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
    0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
    0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf, /* FINGERPRINT */
};

/* RFC 5769 2.2: sample IPv4 response, mapped 192.0.2.1:32853. */
static const uint8_t rfc_response4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b, /* SOFTWARE "test vector" */
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14,
    0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74,
    0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 2.3: sample IPv6 response,
 * mapped [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t rfc_response6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47,
    0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79,
    0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84,
    0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* RFC 5769 2.4: request with long-term credential (as corrected by the
 * errata: nonce "f//499k954d6OL34oL9FSTvy64sA"), no FINGERPRINT. */
static const uint8_t rfc_longterm[] = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42,
    0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
    0x00, 0x06, 0x00, 0x12, /* USERNAME, U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 */
    0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83, 0xaa,
    0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00,
    0x00, 0x15, 0x00, 0x1c, /* NONCE */
    0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c,
    0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41,
    0x00, 0x14, 0x00, 0x0b, /* REALM "example.org" */
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00,
    0x00, 0x08, 0x00, 0x14,
    0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8,
    0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

/* MD5("<username>:example.org:TheMatrIX"), the long-term key (RFC 5389
 * 15.4; "TheMatrIX" is the SASLprep of the vector's password). */
static const uint8_t longterm_key[16] = {
    0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
    0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9,
};
/* clang-format on */

static const char rfc_pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc_txid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static const struct {
    const uint8_t *buf;
    size_t len;
} vectors[] = {
    {rfc_request, sizeof rfc_request},
    {rfc_response4, sizeof rfc_response4},
    {rfc_response6, sizeof rfc_response6},
    {rfc_longterm, sizeof rfc_longterm},
};
#define N_VECTORS (sizeof vectors / sizeof vectors[0])

/* Parses from an exact-size heap copy so ASan sees any read past `len`.
 * Only the return code is meaningful: `msg` borrows from the freed copy. */
static int parse_exact(const uint8_t *src, size_t len)
{
    yh_stun_msg_t msg;
    uint8_t *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, src, len);
    rc = yh_stun_parse(copy, len, &msg);
    free(copy);
    return rc;
}

static void test_rfc5769_request(void **state)
{
    yh_stun_msg_t m;
    char local[16];

    assert_true(yh_stun_is_stun(rfc_request, sizeof rfc_request));
    assert_int_equal(yh_stun_parse(rfc_request, sizeof rfc_request, &m), sizeof rfc_request);
    assert_int_equal(m.type, YH_STUN_BINDING_REQUEST);
    assert_int_equal(m.length, 0x58);
    assert_memory_equal(m.txid, rfc_txid, 12);
    assert_int_equal(m.username_len, 9);
    assert_memory_equal(m.username, "evtj:h6vY", 9);
    assert_true(m.has_priority);
    assert_int_equal(m.priority, 0x6e0001ff);
    assert_true(m.has_controlled);
    assert_false(m.has_controlling);
    assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
    assert_false(m.use_candidate);
    assert_false(m.has_xor_mapped);
    assert_false(m.has_error);
    assert_false(m.has_unknown_required); /* SOFTWARE is comprehension-optional */
    assert_int_equal(m.integrity_off, 76);
    assert_true(m.has_fingerprint);

    assert_int_equal(
        yh_stun_check_integrity(rfc_request, sizeof rfc_request, &m, rfc_pwd, strlen(rfc_pwd)), 0);
    assert_int_equal(yh_stun_check_integrity(rfc_request, sizeof rfc_request, &m,
                                             "VOkJxbRl1RmTxUk/WvJxBT", strlen(rfc_pwd)),
                     YH_EINTEGRITY);
    assert_int_equal(
        yh_stun_check_integrity(rfc_request, sizeof rfc_request, &m, rfc_pwd, strlen(rfc_pwd) - 1),
        YH_EINTEGRITY);
    assert_int_equal(yh_stun_check_integrity(rfc_request, sizeof rfc_request, &m, NULL, 0),
                     YH_EINTEGRITY);

    assert_int_equal(yh_stun_username_local(&m, local, sizeof local), 0);
    assert_string_equal(local, "evtj");
    assert_int_equal(yh_stun_username_local(&m, local, 5), 0);
    assert_int_equal(yh_stun_username_local(&m, local, 4), YH_ENOSPACE);
}

static void check_rfc_response(const uint8_t *buf, size_t len, const char *ip, size_t mi_off)
{
    yh_stun_msg_t m;
    struct sockaddr_storage want;

    assert_int_equal(yh_addr_parse(ip, 32853, &want), 0);
    assert_true(yh_stun_is_stun(buf, len));
    assert_int_equal(yh_stun_parse(buf, len, &m), (int)len);
    assert_int_equal(m.type, YH_STUN_BINDING_SUCCESS);
    assert_int_equal(m.length, len - 20);
    assert_memory_equal(m.txid, rfc_txid, 12);
    assert_true(m.has_xor_mapped);
    assert_true(yh_addr_equal((struct sockaddr *)&m.xor_mapped, (struct sockaddr *)&want));
    assert_null(m.username);
    assert_false(m.has_priority);
    assert_false(m.has_unknown_required);
    assert_int_equal(m.integrity_off, mi_off);
    assert_true(m.has_fingerprint);
    assert_int_equal(yh_stun_check_integrity(buf, len, &m, rfc_pwd, strlen(rfc_pwd)), 0);
    assert_int_equal(yh_stun_check_integrity(buf, len, &m, "x", 1), YH_EINTEGRITY);
}

static void test_rfc5769_response_ipv4(void **state)
{
    check_rfc_response(rfc_response4, sizeof rfc_response4, "192.0.2.1", 48);
}

static void test_rfc5769_response_ipv6(void **state)
{
    check_rfc_response(rfc_response6, sizeof rfc_response6, "2001:db8:1234:5678:11:2233:4455:6677",
                       60);
}

static void test_rfc5769_long_term(void **state)
{
    yh_stun_msg_t m;

    assert_int_equal(yh_stun_parse(rfc_longterm, sizeof rfc_longterm, &m), sizeof rfc_longterm);
    assert_int_equal(m.type, YH_STUN_BINDING_REQUEST);
    assert_int_equal(m.username_len, 18);
    assert_memory_equal(m.username, "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa", 9);
    /* NONCE and REALM are comprehension-required and unknown to us. */
    assert_true(m.has_unknown_required);
    assert_int_equal(m.unknown_count, 2);
    assert_int_equal(m.unknown[0], 0x0015);
    assert_int_equal(m.unknown[1], 0x0014);
    assert_false(m.has_fingerprint);
    assert_int_equal(m.integrity_off, 92);
    assert_int_equal(yh_stun_check_integrity(rfc_longterm, sizeof rfc_longterm, &m, longterm_key,
                                             sizeof longterm_key),
                     0);
    assert_int_equal(
        yh_stun_check_integrity(rfc_longterm, sizeof rfc_longterm, &m, rfc_pwd, strlen(rfc_pwd)),
        YH_EINTEGRITY);
}

/* Any single flipped byte of a fingerprinted message breaks FINGERPRINT
 * (or, in the header, the header checks). Only a flip in FINGERPRINT's own
 * type leaves a message that parses: one without FINGERPRINT, whose
 * renamed last attribute sits after MESSAGE-INTEGRITY and is ignored. */
static void test_flip_breaks_fingerprint(void **state)
{
    uint8_t buf[128];
    yh_stun_msg_t m;

    for (size_t v = 0; v < 3; v++) {
        size_t fp_type = vectors[v].len - 8;
        for (size_t i = 0; i < vectors[v].len; i++) {
            memcpy(buf, vectors[v].buf, vectors[v].len);
            buf[i] ^= 0x01;
            int rc = yh_stun_parse(buf, vectors[v].len, &m);
            if (i == fp_type || i == fp_type + 1) {
                assert_int_equal(rc, (int)vectors[v].len);
                assert_false(m.has_fingerprint);
            } else {
                assert_true(rc < 0);
            }
        }
    }
    /* A flipped CRC itself is an integrity failure, not a parse error. */
    memcpy(buf, rfc_request, sizeof rfc_request);
    buf[sizeof rfc_request - 1] ^= 0x80;
    assert_int_equal(yh_stun_parse(buf, sizeof rfc_request, &m), YH_EINTEGRITY);
    memcpy(buf, rfc_request, sizeof rfc_request);
    buf[30] ^= 0x20; /* inside SOFTWARE */
    assert_int_equal(yh_stun_parse(buf, sizeof rfc_request, &m), YH_EINTEGRITY);
}

/* Without FINGERPRINT, every flipped byte must still fail to parse or fail
 * MESSAGE-INTEGRITY: the HMAC covers header, attributes and padding. */
static void test_flip_breaks_integrity(void **state)
{
    const size_t len = sizeof rfc_request - 8;
    uint8_t buf[sizeof rfc_request];
    yh_stun_msg_t m;

    memcpy(buf, rfc_request, len);
    wr_be16(buf + 2, (uint16_t)(len - 20));
    assert_int_equal(yh_stun_parse(buf, len, &m), (int)len);
    assert_false(m.has_fingerprint);
    /* The length adjustment (RFC 5389 15.4) makes the MI still verify. */
    assert_int_equal(yh_stun_check_integrity(buf, len, &m, rfc_pwd, strlen(rfc_pwd)), 0);
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= 0x01;
        int rc = yh_stun_parse(buf, len, &m);
        if (rc >= 0)
            assert_int_not_equal(yh_stun_check_integrity(buf, len, &m, rfc_pwd, strlen(rfc_pwd)),
                                 0);
        buf[i] ^= 0x01;
    }
    /* The padding of USERNAME is covered too. */
    buf[73] = 0x00;
    assert_int_equal(yh_stun_parse(buf, len, &m), (int)len);
    assert_int_equal(yh_stun_check_integrity(buf, len, &m, rfc_pwd, strlen(rfc_pwd)),
                     YH_EINTEGRITY);
}

static void test_truncated_every_length(void **state)
{
    for (size_t v = 0; v < N_VECTORS; v++) {
        for (size_t len = 0; len < vectors[v].len; len++) {
            assert_false(yh_stun_is_stun(vectors[v].buf, len));
            assert_true(parse_exact(vectors[v].buf, len) < 0);
        }
        assert_int_equal(parse_exact(vectors[v].buf, vectors[v].len), (int)vectors[v].len);
    }
    assert_int_equal(parse_exact(rfc_request, 19), YH_ETRUNC);
    assert_int_equal(parse_exact(rfc_request, 100), YH_ETRUNC);
}

/* The header length field shortened (re-fingerprinted) so the last
 * attribute no longer fits: each attribute's length is checked. */
static void test_attribute_overrun(void **state)
{
    uint8_t buf[64];
    yh_stun_builder_t b;
    yh_stun_msg_t m;

    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_USERNAME, "abcdefgh", 8);
    assert_int_equal(yh_stun_build_finish(&b), 32);
    wr_be16(buf + 22, 13); /* USERNAME claims 13 bytes: 16 with padding */
    assert_int_equal(yh_stun_parse(buf, 32, &m), YH_ETRUNC);
    wr_be16(buf + 22, 0xFFFF);
    assert_int_equal(yh_stun_parse(buf, 32, &m), YH_ETRUNC);
    wr_be16(buf + 22, 9); /* 12 with padding, past the 8 bytes there */
    assert_int_equal(yh_stun_parse(buf, 32, &m), YH_ETRUNC);
    wr_be16(buf + 22, 8);
    assert_int_equal(yh_stun_parse(buf, 32, &m), 32);
}

static void test_header_checks(void **state)
{
    uint8_t buf[sizeof rfc_request + 4];
    yh_stun_msg_t m;

    memcpy(buf, rfc_request, sizeof rfc_request);
    buf[0] |= 0x80; /* RTP-looking first byte */
    assert_false(yh_stun_is_stun(buf, sizeof rfc_request));
    assert_int_equal(yh_stun_parse(buf, sizeof rfc_request, &m), YH_EPARSE);
    memcpy(buf, rfc_request, sizeof rfc_request);
    buf[0] |= 0x40;
    assert_int_equal(yh_stun_parse(buf, sizeof rfc_request, &m), YH_EPARSE);
    memcpy(buf, rfc_request, sizeof rfc_request);
    buf[5] ^= 0x01; /* cookie */
    assert_false(yh_stun_is_stun(buf, sizeof rfc_request));
    assert_int_equal(yh_stun_parse(buf, sizeof rfc_request, &m), YH_EPARSE);
    memcpy(buf, rfc_request, sizeof rfc_request);
    buf[3] = 0x59; /* not a multiple of 4 */
    assert_false(yh_stun_is_stun(buf, sizeof rfc_request));
    assert_int_equal(yh_stun_parse(buf, sizeof rfc_request, &m), YH_EPARSE);
    memcpy(buf, rfc_request, sizeof rfc_request);
    buf[3] = 0x54; /* says shorter than the datagram */
    assert_false(yh_stun_is_stun(buf, sizeof rfc_request));
    assert_int_equal(yh_stun_parse(buf, sizeof rfc_request, &m), YH_EPARSE);
    /* Trailing bytes after a whole message. */
    memcpy(buf, rfc_request, sizeof rfc_request);
    memset(buf + sizeof rfc_request, 0, 4);
    assert_false(yh_stun_is_stun(buf, sizeof buf));
    assert_int_equal(yh_stun_parse(buf, sizeof buf, &m), YH_EPARSE);
    /* A DTLS record and NULL input. */
    static const uint8_t dtls[25] = {0x16, 0xfe, 0xfd};
    assert_false(yh_stun_is_stun(dtls, sizeof dtls));
    assert_int_equal(yh_stun_parse(dtls, sizeof dtls, &m), YH_EPARSE);
    assert_false(yh_stun_is_stun(NULL, 20));
    assert_int_equal(yh_stun_parse(NULL, 20, &m), YH_EINVAL);
}

/* A message with one attribute of the given value, no integrity. */
static int one_attr(uint8_t *buf, size_t cap, uint16_t type, const void *v, size_t n)
{
    yh_stun_builder_t b;
    yh_stun_build_begin(&b, buf, cap, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_bytes(&b, type, v, n);
    return yh_stun_build_finish(&b);
}

static void test_attribute_lengths(void **state)
{
    static const uint8_t zeros[600];
    static const struct {
        uint16_t type;
        size_t bad_len;
    } cases[] = {
        {YH_STUN_ATTR_PRIORITY, 3},
        {YH_STUN_ATTR_PRIORITY, 8},
        {YH_STUN_ATTR_USE_CANDIDATE, 4},
        {YH_STUN_ATTR_ICE_CONTROLLING, 4},
        {YH_STUN_ATTR_ICE_CONTROLLED, 12},
        {YH_STUN_ATTR_MESSAGE_INTEGRITY, 16},
        {YH_STUN_ATTR_MESSAGE_INTEGRITY, 32},
        {YH_STUN_ATTR_FINGERPRINT, 8},
        {YH_STUN_ATTR_XOR_MAPPED_ADDRESS, 2},
        {YH_STUN_ATTR_ERROR_CODE, 3},
        {YH_STUN_ATTR_USERNAME, YH_STUN_MAX_USERNAME + 1},
    };
    uint8_t buf[700];
    yh_stun_msg_t m;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = one_attr(buf, sizeof buf, cases[i].type, zeros, cases[i].bad_len);
        assert_true(n > 0);
        assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), YH_EPARSE);
    }
    int n = one_attr(buf, sizeof buf, YH_STUN_ATTR_USERNAME, zeros, YH_STUN_MAX_USERNAME);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_int_equal(m.username_len, YH_STUN_MAX_USERNAME);
}

static void test_bad_address_and_error_values(void **state)
{
    static const uint8_t v4_as_v6[20] = {0, 0x01};
    static const uint8_t v6_as_v4[8] = {0, 0x02};
    static const uint8_t family3[8] = {0, 0x03};
    static const uint8_t class2[4] = {0, 0, 2, 0};
    static const uint8_t number100[4] = {0, 0, 4, 100};
    static const uint8_t e487[] = {0, 0, 4, 87, 'R', 'o', 'l', 'e'};
    uint8_t buf[64];
    yh_stun_msg_t m;
    int n;

    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_XOR_MAPPED_ADDRESS, v4_as_v6, sizeof v4_as_v6);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), YH_EPARSE);
    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_XOR_MAPPED_ADDRESS, v6_as_v4, sizeof v6_as_v4);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), YH_EPARSE);
    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_XOR_MAPPED_ADDRESS, family3, sizeof family3);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), YH_EPARSE);
    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_ERROR_CODE, class2, sizeof class2);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), YH_EPARSE);
    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_ERROR_CODE, number100, sizeof number100);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), YH_EPARSE);
    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_ERROR_CODE, e487, sizeof e487);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_true(m.has_error);
    assert_int_equal(m.error_code, 487);
}

static void test_unknown_attributes(void **state)
{
    uint8_t buf[256];
    yh_stun_builder_t b;
    yh_stun_msg_t m;
    int n;

    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_u32(&b, 0xC057, 1); /* GOOG-NETWORK-INFO: optional */
    yh_stun_add_bytes(&b, YH_STUN_ATTR_SOFTWARE, "x", 1);
    n = yh_stun_build_finish(&b);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_false(m.has_unknown_required);
    assert_int_equal(m.unknown_count, 0);

    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    for (uint16_t t = 0x7F00; t < 0x7F00 + YH_STUN_MAX_UNKNOWN + 2; t++)
        yh_stun_add_flag(&b, t);
    n = yh_stun_build_finish(&b);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_true(m.has_unknown_required);
    assert_int_equal(m.unknown_count, YH_STUN_MAX_UNKNOWN);
    assert_int_equal(m.unknown[0], 0x7F00);
    assert_int_equal(m.unknown[YH_STUN_MAX_UNKNOWN - 1], 0x7F00 + YH_STUN_MAX_UNKNOWN - 1);
}

/* Attributes after MESSAGE-INTEGRITY are ignored, the MI still verifies
 * (15.4), and FINGERPRINT must come last (15.5). */
static void test_after_integrity(void **state)
{
    uint8_t buf[256];
    yh_stun_builder_t b;
    yh_stun_msg_t m;
    int n;

    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_USERNAME, "a:b", 3);
    yh_stun_add_integrity(&b, "pw", 2);
    n = yh_stun_build_finish(&b);
    assert_int_equal(n, 20 + 8 + 24);
    /* Append PRIORITY, an unknown required attribute and a second MI by
     * hand, then a FINGERPRINT through the builder. */
    b.stage = 0;
    yh_stun_add_u32(&b, YH_STUN_ATTR_PRIORITY, 7);
    yh_stun_add_flag(&b, 0x7777);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_MESSAGE_INTEGRITY, buf + 32, 20);
    b.stage = 1;
    yh_stun_add_fingerprint(&b);
    n = yh_stun_build_finish(&b);
    assert_true(n > 0);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_false(m.has_priority);
    assert_false(m.has_unknown_required);
    assert_true(m.has_fingerprint);
    assert_int_equal(m.integrity_off, 28);
    assert_int_equal(yh_stun_check_integrity(buf, (size_t)n, &m, "pw", 2), 0);

    /* Anything after FINGERPRINT is malformed. */
    b.stage = 0;
    yh_stun_add_u32(&b, YH_STUN_ATTR_PRIORITY, 7);
    n = yh_stun_build_finish(&b);
    assert_true(n > 0);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), YH_EPARSE);
}

static void test_duplicates_first_wins(void **state)
{
    uint8_t buf[128];
    yh_stun_builder_t b;
    yh_stun_msg_t m;
    int n;

    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_USERNAME, "first:x", 7);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_USERNAME, "second:y", 8);
    yh_stun_add_u32(&b, YH_STUN_ATTR_PRIORITY, 1);
    yh_stun_add_u32(&b, YH_STUN_ATTR_PRIORITY, 2);
    yh_stun_add_u64(&b, YH_STUN_ATTR_ICE_CONTROLLING, 3);
    yh_stun_add_u64(&b, YH_STUN_ATTR_ICE_CONTROLLED, 4);
    n = yh_stun_build_finish(&b);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_int_equal(m.username_len, 7);
    assert_memory_equal(m.username, "first:x", 7);
    assert_int_equal(m.priority, 1);
    assert_true(m.has_controlling && m.has_controlled);
    assert_true(m.tiebreaker == 3);
}

static void test_build_request_roundtrip(void **state)
{
    static const uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t buf[256];
    yh_stun_msg_t m;
    char local[32];

    for (int controlling = 0; controlling <= 1; controlling++) {
        int n = yh_stun_build_binding_request(buf, sizeof buf, txid, "serverufrag:clientufrag",
                                              "serverpassword0123456789", 0x7e7f00ff, controlling,
                                              0x0102030405060708ull, controlling);
        assert_true(n > 0);
        assert_int_equal(n % 4, 0);
        assert_true(yh_stun_is_stun(buf, (size_t)n));
        assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
        assert_int_equal(m.type, YH_STUN_BINDING_REQUEST);
        assert_memory_equal(m.txid, txid, 12);
        assert_int_equal(m.username_len, strlen("serverufrag:clientufrag"));
        assert_memory_equal(m.username, "serverufrag:clientufrag", m.username_len);
        assert_true(m.has_priority);
        assert_int_equal(m.priority, 0x7e7f00ff);
        assert_int_equal(m.has_controlling, controlling);
        assert_int_equal(m.has_controlled, !controlling);
        assert_true(m.tiebreaker == 0x0102030405060708ull);
        assert_int_equal(m.use_candidate, controlling);
        assert_true(m.has_fingerprint);
        assert_false(m.has_unknown_required);
        assert_int_equal(
            yh_stun_check_integrity(buf, (size_t)n, &m, "serverpassword0123456789", 24), 0);
        assert_int_equal(
            yh_stun_check_integrity(buf, (size_t)n, &m, "clientpassword0123456789", 24),
            YH_EINTEGRITY);
        assert_int_equal(yh_stun_username_local(&m, local, sizeof local), 0);
        assert_string_equal(local, "serverufrag");
    }
}

static void roundtrip_success(const char *ip, uint16_t port)
{
    static const uint8_t txid[12] = {0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 1, 2, 3, 4, 5, 6};
    struct sockaddr_storage addr;
    uint8_t buf[128];
    yh_stun_msg_t m;
    int n;

    assert_int_equal(yh_addr_parse(ip, port, &addr), 0);
    n = yh_stun_build_binding_success(buf, sizeof buf, txid, (struct sockaddr *)&addr, "pwd");
    assert_true(n > 0);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_int_equal(m.type, YH_STUN_BINDING_SUCCESS);
    assert_memory_equal(m.txid, txid, 12);
    assert_true(m.has_xor_mapped);
    assert_true(yh_addr_equal((struct sockaddr *)&m.xor_mapped, (struct sockaddr *)&addr));
    assert_true(m.has_fingerprint);
    assert_int_equal(yh_stun_check_integrity(buf, (size_t)n, &m, "pwd", 3), 0);
    assert_int_equal(yh_stun_check_integrity(buf, (size_t)n, &m, "pwe", 3), YH_EINTEGRITY);
}

static void test_build_success_roundtrip(void **state)
{
    roundtrip_success("192.0.2.1", 32853);
    roundtrip_success("203.0.113.250", 1);
    roundtrip_success("2001:db8:1234:5678:11:2233:4455:6677", 32853);
    roundtrip_success("::1", 65535);
}

/* Building the RFC 5769 IPv4 response's fields gives its MI and CRC when
 * SOFTWARE's padding is the vector's space rather than our zero. */
static void test_builder_matches_rfc_response(void **state)
{
    struct sockaddr_storage addr;
    uint8_t buf[128];
    yh_stun_builder_t b;

    assert_int_equal(yh_addr_parse("192.0.2.1", 32853, &addr), 0);
    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_SUCCESS, rfc_txid);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_SOFTWARE, "test vector", 11);
    buf[b.len - 1] = 0x20;
    yh_stun_add_xor_address(&b, YH_STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&addr);
    yh_stun_add_integrity(&b, rfc_pwd, strlen(rfc_pwd));
    yh_stun_add_fingerprint(&b);
    assert_int_equal(yh_stun_build_finish(&b), sizeof rfc_response4);
    assert_memory_equal(buf, rfc_response4, sizeof rfc_response4);

    assert_int_equal(yh_addr_parse("2001:db8:1234:5678:11:2233:4455:6677", 32853, &addr), 0);
    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_SUCCESS, rfc_txid);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_SOFTWARE, "test vector", 11);
    buf[b.len - 1] = 0x20;
    yh_stun_add_xor_address(&b, YH_STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&addr);
    yh_stun_add_integrity(&b, rfc_pwd, strlen(rfc_pwd));
    yh_stun_add_fingerprint(&b);
    assert_int_equal(yh_stun_build_finish(&b), sizeof rfc_response6);
    assert_memory_equal(buf, rfc_response6, sizeof rfc_response6);
}

static void test_build_error(void **state)
{
    uint8_t buf[128];
    yh_stun_msg_t m;
    int n;

    n = yh_stun_build_binding_error(buf, sizeof buf, rfc_txid, 487, "Role Conflict", "pw");
    assert_true(n > 0);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_int_equal(m.type, YH_STUN_BINDING_ERROR);
    assert_true(m.has_error);
    assert_int_equal(m.error_code, 487);
    assert_int_equal(yh_stun_check_integrity(buf, (size_t)n, &m, "pw", 2), 0);

    n = yh_stun_build_binding_error(buf, sizeof buf, rfc_txid, 400, NULL, NULL);
    assert_true(n > 0);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_int_equal(m.error_code, 400);
    assert_int_equal(m.integrity_off, 0);
    assert_true(m.has_fingerprint);
    assert_int_equal(yh_stun_check_integrity(buf, (size_t)n, &m, "pw", 2), YH_ENOTFOUND);

    assert_int_equal(yh_stun_build_binding_error(buf, sizeof buf, rfc_txid, 299, "", NULL),
                     YH_EINVAL);
    assert_int_equal(yh_stun_build_binding_error(buf, sizeof buf, rfc_txid, 700, "", NULL),
                     YH_EINVAL);
}

/* Every capacity short of the message fails cleanly without writing past
 * `cap` (the buffer is exact-size on the heap for ASan). */
static void test_build_no_space(void **state)
{
    uint8_t full[256];
    int need = yh_stun_build_binding_request(full, sizeof full, rfc_txid, "serverufrag:clientufrag",
                                             "pw", 1, 1, 2, 1);
    assert_true(need > 0);
    for (int cap = 0; cap < need; cap++) {
        uint8_t *buf = malloc(cap ? (size_t)cap : 1);
        assert_non_null(buf);
        assert_int_equal(yh_stun_build_binding_request(buf, (size_t)cap, rfc_txid,
                                                       "serverufrag:clientufrag", "pw", 1, 1, 2, 1),
                         YH_ENOSPACE);
        free(buf);
    }
    uint8_t *exact = malloc((size_t)need);
    assert_non_null(exact);
    assert_int_equal(yh_stun_build_binding_request(exact, (size_t)need, rfc_txid,
                                                   "serverufrag:clientufrag", "pw", 1, 1, 2, 1),
                     need);
    assert_memory_equal(exact, full, (size_t)need);
    free(exact);
}

static void test_build_misuse(void **state)
{
    char long_user[YH_STUN_MAX_USERNAME + 2];
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    uint8_t buf[1024];
    yh_stun_builder_t b;

    memset(long_user, 'u', sizeof long_user - 1);
    long_user[sizeof long_user - 1] = '\0';
    /* Nothing but FINGERPRINT after MESSAGE-INTEGRITY, nothing after that. */
    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_integrity(&b, "k", 1);
    yh_stun_add_u32(&b, YH_STUN_ATTR_PRIORITY, 1);
    assert_int_equal(yh_stun_build_finish(&b), YH_ESTATE);
    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_fingerprint(&b);
    yh_stun_add_integrity(&b, "k", 1);
    assert_int_equal(yh_stun_build_finish(&b), YH_ESTATE);
    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_fingerprint(&b);
    yh_stun_add_fingerprint(&b);
    assert_int_equal(yh_stun_build_finish(&b), YH_ESTATE);
    /* The first error sticks. */
    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_xor_address(&b, YH_STUN_ATTR_XOR_MAPPED_ADDRESS, &unspec);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_USERNAME, "a", 1);
    assert_int_equal(yh_stun_build_finish(&b), YH_EINVAL);
    assert_int_equal(b.len, 20);
    yh_stun_build_begin(&b, buf, sizeof buf, 0xC001, rfc_txid);
    assert_int_equal(yh_stun_build_finish(&b), YH_EINVAL);
    yh_stun_build_begin(&b, buf, 19, YH_STUN_BINDING_REQUEST, rfc_txid);
    assert_int_equal(yh_stun_build_finish(&b), YH_ENOSPACE);
    yh_stun_build_begin(&b, buf, sizeof buf, YH_STUN_BINDING_REQUEST, rfc_txid);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_USERNAME, NULL, 3);
    assert_int_equal(yh_stun_build_finish(&b), YH_EINVAL);

    assert_int_equal(
        yh_stun_build_binding_request(buf, sizeof buf, rfc_txid, long_user, "pw", 1, 1, 2, 0),
        YH_ERANGE);
    assert_int_equal(
        yh_stun_build_binding_request(buf, sizeof buf, rfc_txid, "a:b", NULL, 1, 1, 2, 0),
        YH_EINVAL);
    assert_int_equal(yh_stun_build_binding_success(buf, sizeof buf, rfc_txid, &unspec, "pw"),
                     YH_EINVAL);
}

static void test_username_local(void **state)
{
    uint8_t buf[64];
    yh_stun_msg_t m;
    char out[16];
    int n;

    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_PRIORITY, "\0\0\0\1", 4);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_int_equal(yh_stun_username_local(&m, out, sizeof out), YH_ENOTFOUND);
    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_USERNAME, "nocolon", 7);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_int_equal(yh_stun_username_local(&m, out, sizeof out), YH_ENOTFOUND);
    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_USERNAME, "a\0b:c", 5);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_int_equal(yh_stun_username_local(&m, out, sizeof out), YH_ENOTFOUND);
    n = one_attr(buf, sizeof buf, YH_STUN_ATTR_USERNAME, ":c", 2);
    assert_int_equal(yh_stun_parse(buf, (size_t)n, &m), n);
    assert_int_equal(yh_stun_username_local(&m, out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(yh_stun_username_local(&m, out, 0), YH_ENOSPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5769_request),
        cmocka_unit_test(test_rfc5769_response_ipv4),
        cmocka_unit_test(test_rfc5769_response_ipv6),
        cmocka_unit_test(test_rfc5769_long_term),
        cmocka_unit_test(test_flip_breaks_fingerprint),
        cmocka_unit_test(test_flip_breaks_integrity),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_attribute_overrun),
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_attribute_lengths),
        cmocka_unit_test(test_bad_address_and_error_values),
        cmocka_unit_test(test_unknown_attributes),
        cmocka_unit_test(test_after_integrity),
        cmocka_unit_test(test_duplicates_first_wins),
        cmocka_unit_test(test_build_request_roundtrip),
        cmocka_unit_test(test_build_success_roundtrip),
        cmocka_unit_test(test_builder_matches_rfc_response),
        cmocka_unit_test(test_build_error),
        cmocka_unit_test(test_build_no_space),
        cmocka_unit_test(test_build_misuse),
        cmocka_unit_test(test_username_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
