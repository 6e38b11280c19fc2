/*
 * ICE-lite agent tests: checks built the way a browser builds them
 * (USERNAME "serverufrag:clientufrag", integrity with the server's
 * password, ICE-CONTROLLING), authentication failures, nomination moving
 * the selected address, role conflicts, and consent expiry on a simulated
 * clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/err.h"
#include "ice/ice.h"
#include "net/addr.h"
#include "stun/stun.h"

#define SERVER_UFRAG "srvU"
#define SERVER_PWD "serverPasswordOf22Char"
#define CLIENT_UFRAG "cliU"
#define USERNAME SERVER_UFRAG ":" CLIENT_UFRAG
#define SEC 1000000ull

/* Each check is a new transaction, as a client sends it: the last byte
 * counts. The transaction of the last check handled, for responses. */
static uint8_t txid[12] = {0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static uint8_t handled_txid[12];

typedef struct {
    uint8_t req[512];
    int req_len;
    yh_stun_msg_t msg;
} check_t;

/* A connectivity check as a controlling browser sends it. */
static void make_check(check_t *c, const char *username, const char *pwd, int use_candidate)
{
    txid[11]++;
    c->req_len = yh_stun_build_binding_request(c->req, sizeof c->req, txid, username, pwd,
                                               0x6e7f1eff, 1, 0x1122334455667788ull, use_candidate);
    assert_true(c->req_len > 0);
    assert_int_equal(yh_stun_parse(c->req, (size_t)c->req_len, &c->msg), c->req_len);
}

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
    struct sockaddr_storage a;
    assert_int_equal(yh_addr_parse(ip, port, &a), 0);
    return a;
}

static int handle(yh_ice_lite_t *ice, const check_t *c, const struct sockaddr_storage *from,
                  uint64_t now, uint8_t *resp, size_t cap, int *result)
{
    memcpy(handled_txid, c->msg.txid, 12);
    return yh_ice_lite_handle_request(ice, c->req, (size_t)c->req_len, &c->msg,
                                      (const struct sockaddr *)from, now, resp, cap, result);
}

/* The response a browser would accept: same transaction, XOR-MAPPED-ADDRESS
 * of the check's source, integrity with the server password, FINGERPRINT. */
static void check_success(const uint8_t *resp, int n, const struct sockaddr_storage *from)
{
    yh_stun_msg_t m;

    assert_true(n > 0);
    assert_int_equal(yh_stun_parse(resp, (size_t)n, &m), n);
    assert_int_equal(m.type, YH_STUN_BINDING_SUCCESS);
    assert_memory_equal(m.txid, handled_txid, 12);
    assert_true(m.has_xor_mapped);
    assert_true(
        yh_addr_equal((const struct sockaddr *)&m.xor_mapped, (const struct sockaddr *)from));
    assert_true(m.has_fingerprint);
    assert_int_equal(yh_stun_check_integrity(resp, (size_t)n, &m, SERVER_PWD, strlen(SERVER_PWD)),
                     0);
    assert_int_equal(yh_stun_check_integrity(resp, (size_t)n, &m, "clientPassword", 14),
                     YH_EINTEGRITY);
}

static void test_valid_request_answered(void **state)
{
    yh_ice_lite_t ice;
    check_t c;
    uint8_t resp[256];
    int result = -1;
    struct sockaddr_storage from = addr("192.0.2.10", 50000);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    make_check(&c, USERNAME, SERVER_PWD, 0);
    int n = handle(&ice, &c, &from, 2 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &from);
    /* The first authenticated check selects its source before nomination. */
    assert_int_equal(result, YH_ICE_RESULT_SELECTED);
    assert_true(ice.has_selected);
    assert_false(ice.nominated);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&from));
    assert_true(ice.last_check_us == 2 * SEC);

    /* The same check again changes nothing but consent. */
    n = handle(&ice, &c, &from, 3 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &from);
    assert_int_equal(result, YH_ICE_RESULT_NONE);
    assert_true(ice.last_check_us == 3 * SEC);

    /* A check from another address before nomination does not move it. */
    struct sockaddr_storage other = addr("198.51.100.7", 40000);
    make_check(&c, USERNAME, SERVER_PWD, 0);
    n = handle(&ice, &c, &other, 4 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &other);
    assert_int_equal(result, YH_ICE_RESULT_NONE);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&from));
}

static void test_ipv6_request(void **state)
{
    yh_ice_lite_t ice;
    check_t c;
    uint8_t resp[256];
    int result;
    struct sockaddr_storage from = addr("2001:db8::1:2", 61000);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, "", 0), 0);
    make_check(&c, USERNAME, SERVER_PWD, 1);
    int n = handle(&ice, &c, &from, 1, resp, sizeof resp, &result);
    check_success(resp, n, &from);
    assert_int_equal(result, YH_ICE_RESULT_SELECTED);
    assert_true(ice.nominated);
    assert_int_equal(ice.selected.ss_family, AF_INET6);
}

/* A rejected check leaves the agent and the response buffer untouched. */
static void expect_rejected(yh_ice_lite_t *ice, const check_t *c, int want)
{
    yh_ice_lite_t before;
    uint8_t resp[256];
    int result = -1;
    struct sockaddr_storage from = addr("192.0.2.99", 1234);

    memcpy(&before, ice, sizeof before);
    memset(resp, 0xAA, sizeof resp);
    assert_int_equal(handle(ice, c, &from, 7 * SEC, resp, sizeof resp, &result), want);
    assert_int_equal(result, YH_ICE_RESULT_NONE);
    assert_memory_equal(&before, ice, sizeof before);
    for (size_t i = 0; i < sizeof resp; i++)
        assert_int_equal(resp[i], 0xAA);
}

static void test_wrong_password(void **state)
{
    yh_ice_lite_t ice;
    check_t c;

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    make_check(&c, USERNAME, "serverPasswordOf22Chas", 1);
    expect_rejected(&ice, &c, YH_EINTEGRITY);
    make_check(&c, USERNAME, "", 1);
    expect_rejected(&ice, &c, YH_EINTEGRITY);
    assert_false(ice.has_selected);
}

static void test_wrong_ufrag(void **state)
{
    yh_ice_lite_t ice;
    check_t c;
    uint8_t resp[256];
    int result;
    struct sockaddr_storage from = addr("192.0.2.10", 50000);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    /* Reversed order, as if we were the controlling side. */
    make_check(&c, CLIENT_UFRAG ":" SERVER_UFRAG, SERVER_PWD, 1);
    expect_rejected(&ice, &c, YH_EINTEGRITY);
    make_check(&c, "srvX:" CLIENT_UFRAG, SERVER_PWD, 1);
    expect_rejected(&ice, &c, YH_EINTEGRITY);
    make_check(&c, SERVER_UFRAG "x:" CLIENT_UFRAG, SERVER_PWD, 1);
    expect_rejected(&ice, &c, YH_EINTEGRITY);
    make_check(&c, "srv:" CLIENT_UFRAG, SERVER_PWD, 1); /* prefix of ours */
    expect_rejected(&ice, &c, YH_EINTEGRITY);
    make_check(&c, SERVER_UFRAG, SERVER_PWD, 1); /* no colon */
    expect_rejected(&ice, &c, YH_EINTEGRITY);
    make_check(&c, SERVER_UFRAG ":other", SERVER_PWD, 1);
    expect_rejected(&ice, &c, YH_EINTEGRITY);
    make_check(&c, SERVER_UFRAG ":" CLIENT_UFRAG "x", SERVER_PWD, 1);
    expect_rejected(&ice, &c, YH_EINTEGRITY);

    /* With the remote ufrag unknown only our part is matched. */
    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, "", 0), 0);
    make_check(&c, SERVER_UFRAG ":other", SERVER_PWD, 0);
    check_success(resp, handle(&ice, &c, &from, 1, resp, sizeof resp, &result), &from);
    make_check(&c, "srvX:other", SERVER_PWD, 0);
    expect_rejected(&ice, &c, YH_EINTEGRITY);
}

static void test_use_candidate_moves_selected(void **state)
{
    yh_ice_lite_t ice;
    check_t plain, nominate;
    uint8_t resp[256];
    int result, n;
    struct sockaddr_storage a = addr("192.0.2.10", 50000), b = addr("198.51.100.20", 50001),
                            c = addr("203.0.113.30", 50002);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    make_check(&plain, USERNAME, SERVER_PWD, 0);
    make_check(&nominate, USERNAME, SERVER_PWD, 1);

    n = handle(&ice, &plain, &a, 1 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &a);
    assert_int_equal(result, YH_ICE_RESULT_SELECTED);

    /* Nomination of another pair moves media there. */
    n = handle(&ice, &nominate, &b, 2 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &b);
    assert_int_equal(result, YH_ICE_RESULT_SELECTED);
    assert_true(ice.nominated);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&b));

    /* Re-nominating the same pair (every check may carry it) is no change. */
    n = handle(&ice, &nominate, &b, 3 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &b);
    assert_int_equal(result, YH_ICE_RESULT_NONE);

    /* A plain check from elsewhere after nomination does not move it. */
    make_check(&plain, USERNAME, SERVER_PWD, 0);
    n = handle(&ice, &plain, &c, 4 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &c);
    assert_int_equal(result, YH_ICE_RESULT_NONE);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&b));

    /* The client moved (new network, same credentials): it nominates the
     * new address and media follows. A different port alone is a move. */
    struct sockaddr_storage b2 = addr("198.51.100.20", 50099);
    make_check(&nominate, USERNAME, SERVER_PWD, 1);
    n = handle(&ice, &nominate, &b2, 5 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &b2);
    assert_int_equal(result, YH_ICE_RESULT_SELECTED);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&b2));

    /* A nomination without a valid password moves nothing. */
    check_t forged;
    make_check(&forged, USERNAME, "guessedPassword", 1);
    assert_int_equal(handle(&ice, &forged, &c, 6 * SEC, resp, sizeof resp, &result), YH_EINTEGRITY);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&b2));
}

/* A captured check replayed from another address (MESSAGE-INTEGRITY does
 * not cover the source) must not steal the media path. */
static void test_replayed_check_dropped(void **state)
{
    yh_ice_lite_t ice;
    check_t nominate;
    uint8_t resp[256];
    int result, n;
    struct sockaddr_storage a = addr("192.0.2.10", 50000), x = addr("203.0.113.66", 6666);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    make_check(&nominate, USERNAME, SERVER_PWD, 1);
    n = handle(&ice, &nominate, &a, 1 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &a);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&a));

    /* The same bytes from elsewhere: dropped, unanswered, nothing moves,
     * and it is no consent either. */
    memset(resp, 0xAA, sizeof resp);
    assert_int_equal(handle(&ice, &nominate, &x, 2 * SEC, resp, sizeof resp, &result), YH_EEXISTS);
    assert_int_equal(result, YH_ICE_RESULT_NONE);
    assert_int_equal(resp[0], 0xAA);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&a));
    assert_true(ice.last_check_us == 1 * SEC);
    assert_true(ice.replays == 1);
    /* From its own address it is a retransmission: answered. */
    n = handle(&ice, &nominate, &a, 3 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &a);
    assert_int_equal(result, YH_ICE_RESULT_NONE);

    /* An old check, many transactions back, is still known. */
    check_t old = nominate, later;
    for (int i = 0; i < YH_ICE_SEEN_TXIDS - 2; i++) {
        make_check(&later, USERNAME, SERVER_PWD, 0);
        assert_true(handle(&ice, &later, &a, 4 * SEC, resp, sizeof resp, &result) > 0);
    }
    assert_int_equal(handle(&ice, &old, &x, 5 * SEC, resp, sizeof resp, &result), YH_EEXISTS);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&a));

    /* A new transaction from the new address is a real move (mobility). */
    make_check(&nominate, USERNAME, SERVER_PWD, 1);
    n = handle(&ice, &nominate, &x, 6 * SEC, resp, sizeof resp, &result);
    check_success(resp, n, &x);
    assert_int_equal(result, YH_ICE_RESULT_SELECTED);
}

/* ICE restart: new credentials on both sides; the path and consent stay
 * until a check with the new ones nominates a new path. */
static void test_restart_switches_credentials(void **state)
{
    yh_ice_lite_t ice;
    check_t c;
    uint8_t resp[256];
    int result, n;
    struct sockaddr_storage a = addr("192.0.2.10", 50000), b = addr("192.0.2.10", 50123);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    make_check(&c, USERNAME, SERVER_PWD, 1);
    check_success(resp, handle(&ice, &c, &a, 1 * SEC, resp, sizeof resp, &result), &a);

    /* Bad credentials leave the agent as it was. */
    assert_int_equal(yh_ice_lite_restart(&ice, "new:U", "newServerPasswordOf22c", ""), YH_EINVAL);
    assert_int_equal(yh_ice_lite_restart(&ice, "", "newServerPasswordOf22c", ""), YH_EINVAL);
    assert_int_equal(yh_ice_lite_restart(NULL, "newU", "newServerPasswordOf22c", ""), YH_EINVAL);
    make_check(&c, USERNAME, SERVER_PWD, 0);
    check_success(resp, handle(&ice, &c, &a, 2 * SEC, resp, sizeof resp, &result), &a);

    /* The server's answer carried new credentials; the client's are not
     * known yet (subscriber restart: they come with its answer). */
    assert_int_equal(yh_ice_lite_restart(&ice, "newU", "newServerPasswordOf22c", ""), 0);
    assert_true(ice.has_selected && ice.nominated);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&a));
    assert_true(ice.last_check_us == 2 * SEC);
    /* Old credentials no longer authenticate. */
    make_check(&c, USERNAME, SERVER_PWD, 1);
    assert_int_equal(handle(&ice, &c, &b, 3 * SEC, resp, sizeof resp, &result), YH_EINTEGRITY);
    make_check(&c, "newU:" CLIENT_UFRAG, SERVER_PWD, 1);
    assert_int_equal(handle(&ice, &c, &b, 3 * SEC, resp, sizeof resp, &result), YH_EINTEGRITY);
    /* A plain check with the new ones keeps the old path. */
    make_check(&c, "newU:cli2", "newServerPasswordOf22c", 0);
    n = handle(&ice, &c, &b, 4 * SEC, resp, sizeof resp, &result);
    assert_true(n > 0);
    assert_int_equal(result, YH_ICE_RESULT_NONE);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&a));
    assert_true(ice.last_check_us == 4 * SEC);

    /* Once the client's ufrag is known, only it matches; its nomination
     * from the new address moves the path there. */
    assert_int_equal(yh_ice_lite_restart(&ice, "newU", "newServerPasswordOf22c", "cli2"), 0);
    make_check(&c, "newU:cli3", "newServerPasswordOf22c", 1);
    assert_int_equal(handle(&ice, &c, &b, 5 * SEC, resp, sizeof resp, &result), YH_EINTEGRITY);
    make_check(&c, "newU:cli2", "newServerPasswordOf22c", 1);
    n = handle(&ice, &c, &b, 5 * SEC, resp, sizeof resp, &result);
    assert_true(n > 0);
    assert_int_equal(result, YH_ICE_RESULT_SELECTED);
    assert_true(yh_addr_equal((struct sockaddr *)&ice.selected, (struct sockaddr *)&b));
}

static void test_consent_expiry(void **state)
{
    yh_ice_lite_t ice;
    check_t c, bad;
    uint8_t resp[256];
    int result;
    struct sockaddr_storage from = addr("192.0.2.10", 50000);
    const uint64_t t0 = 1000 * SEC;

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, t0), 0);
    /* Never checked: expires 30 s after creation. */
    assert_false(yh_ice_lite_expired(&ice, t0 + 29 * SEC));
    assert_true(yh_ice_lite_expired(&ice, t0 + 30 * SEC));

    make_check(&c, USERNAME, SERVER_PWD, 1);
    make_check(&bad, USERNAME, "wrongPassword", 1);
    uint64_t t = t0 + 10 * SEC;
    assert_true(handle(&ice, &c, &from, t, resp, sizeof resp, &result) > 0);
    /* Browsers check every few seconds; simulate 2.5 s for a minute. */
    for (int i = 0; i < 24; i++) {
        t += 2500000;
        assert_false(yh_ice_lite_expired(&ice, t));
        assert_true(handle(&ice, &c, &from, t, resp, sizeof resp, &result) > 0);
    }
    /* Checks stop; failed checks do not count as consent. */
    uint64_t last = t;
    for (int i = 1; i < 30; i++) {
        assert_int_equal(
            handle(&ice, &bad, &from, last + (uint64_t)i * SEC, resp, sizeof resp, &result),
            YH_EINTEGRITY);
        assert_false(yh_ice_lite_expired(&ice, last + (uint64_t)i * SEC));
    }
    assert_false(yh_ice_lite_expired(&ice, last + YH_ICE_CONSENT_TIMEOUT_US - 1));
    assert_true(yh_ice_lite_expired(&ice, last + YH_ICE_CONSENT_TIMEOUT_US));
    assert_true(yh_ice_lite_expired(&ice, last + 3600 * SEC));
    /* A late check revives it (the caller decides whether it already tore
     * the transport down). */
    assert_true(handle(&ice, &c, &from, last + 40 * SEC, resp, sizeof resp, &result) > 0);
    assert_false(yh_ice_lite_expired(&ice, last + 41 * SEC));
    /* A clock before the last check is not expiry. */
    assert_false(yh_ice_lite_expired(&ice, t0));
}

static void test_not_a_request(void **state)
{
    yh_ice_lite_t ice;
    check_t c;
    struct sockaddr_storage from = addr("192.0.2.10", 50000);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    /* A success response, authenticated with our password. */
    c.req_len = yh_stun_build_binding_success(c.req, sizeof c.req, txid, (struct sockaddr *)&from,
                                              SERVER_PWD);
    assert_int_equal(yh_stun_parse(c.req, (size_t)c.req_len, &c.msg), c.req_len);
    expect_rejected(&ice, &c, YH_EPARSE);
    /* An indication (RFC 8445 11: keepalives) gets no answer either. */
    make_check(&c, USERNAME, SERVER_PWD, 0);
    c.msg.type = YH_STUN_BINDING_INDICATION;
    expect_rejected(&ice, &c, YH_EPARSE);
}

static void test_missing_username_or_integrity(void **state)
{
    yh_ice_lite_t ice;
    check_t c;
    yh_stun_builder_t b;

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    /* No USERNAME, valid MESSAGE-INTEGRITY. */
    yh_stun_build_begin(&b, c.req, sizeof c.req, YH_STUN_BINDING_REQUEST, txid);
    yh_stun_add_u32(&b, YH_STUN_ATTR_PRIORITY, 1);
    yh_stun_add_u64(&b, YH_STUN_ATTR_ICE_CONTROLLING, 2);
    yh_stun_add_integrity(&b, SERVER_PWD, strlen(SERVER_PWD));
    yh_stun_add_fingerprint(&b);
    c.req_len = yh_stun_build_finish(&b);
    assert_int_equal(yh_stun_parse(c.req, (size_t)c.req_len, &c.msg), c.req_len);
    expect_rejected(&ice, &c, YH_EINTEGRITY);
    /* USERNAME but no MESSAGE-INTEGRITY. */
    yh_stun_build_begin(&b, c.req, sizeof c.req, YH_STUN_BINDING_REQUEST, txid);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_USERNAME, USERNAME, strlen(USERNAME));
    yh_stun_add_u64(&b, YH_STUN_ATTR_ICE_CONTROLLING, 2);
    yh_stun_add_flag(&b, YH_STUN_ATTR_USE_CANDIDATE);
    yh_stun_add_fingerprint(&b);
    c.req_len = yh_stun_build_finish(&b);
    assert_int_equal(yh_stun_parse(c.req, (size_t)c.req_len, &c.msg), c.req_len);
    expect_rejected(&ice, &c, YH_EINTEGRITY);
}

/* The peer claims the controlled role too: a lite agent cannot take the
 * controlling role, so it answers 487 (authenticated) and selects nothing. */
static void test_role_conflict(void **state)
{
    yh_ice_lite_t ice;
    check_t c;
    uint8_t resp[256];
    int result;
    yh_stun_msg_t m;
    struct sockaddr_storage from = addr("192.0.2.10", 50000);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    c.req_len =
        yh_stun_build_binding_request(c.req, sizeof c.req, txid, USERNAME, SERVER_PWD, 1, 0, 5, 1);
    assert_int_equal(yh_stun_parse(c.req, (size_t)c.req_len, &c.msg), c.req_len);
    int n = handle(&ice, &c, &from, 5 * SEC, resp, sizeof resp, &result);
    assert_true(n > 0);
    assert_int_equal(result, YH_ICE_RESULT_NONE);
    assert_false(ice.has_selected);
    assert_int_equal(yh_stun_parse(resp, (size_t)n, &m), n);
    assert_int_equal(m.type, YH_STUN_BINDING_ERROR);
    assert_int_equal(m.error_code, 487);
    assert_memory_equal(m.txid, txid, 12);
    assert_int_equal(yh_stun_check_integrity(resp, (size_t)n, &m, SERVER_PWD, strlen(SERVER_PWD)),
                     0);
}

/* An authenticated check with an unknown comprehension-required attribute
 * gets 420 listing it (RFC 5389 7.3.1) and changes no selection. */
static void test_unknown_required_attribute(void **state)
{
    yh_ice_lite_t ice;
    check_t c;
    yh_stun_builder_t b;
    uint8_t resp[256];
    int result;
    yh_stun_msg_t m;
    struct sockaddr_storage from = addr("192.0.2.10", 50000);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    yh_stun_build_begin(&b, c.req, sizeof c.req, YH_STUN_BINDING_REQUEST, txid);
    yh_stun_add_bytes(&b, YH_STUN_ATTR_USERNAME, USERNAME, strlen(USERNAME));
    yh_stun_add_u64(&b, YH_STUN_ATTR_ICE_CONTROLLING, 2);
    yh_stun_add_u32(&b, 0x0031, 7);
    yh_stun_add_integrity(&b, SERVER_PWD, strlen(SERVER_PWD));
    yh_stun_add_fingerprint(&b);
    c.req_len = yh_stun_build_finish(&b);
    assert_int_equal(yh_stun_parse(c.req, (size_t)c.req_len, &c.msg), c.req_len);
    int n = handle(&ice, &c, &from, 5 * SEC, resp, sizeof resp, &result);
    assert_true(n > 0);
    assert_int_equal(result, YH_ICE_RESULT_NONE);
    assert_false(ice.has_selected);
    assert_int_equal(yh_stun_parse(resp, (size_t)n, &m), n);
    assert_int_equal(m.error_code, 420);
    assert_int_equal(yh_stun_check_integrity(resp, (size_t)n, &m, SERVER_PWD, strlen(SERVER_PWD)),
                     0);
    /* UNKNOWN-ATTRIBUTES follows the header and ERROR-CODE (4 + 24 bytes:
     * code and the 17-byte "Unknown Attribute" padded). */
    assert_int_equal(resp[48], 0x00);
    assert_int_equal(resp[49], YH_STUN_ATTR_UNKNOWN_ATTRIBUTES);
    assert_int_equal(resp[51], 2);
    assert_int_equal(resp[52], 0x00);
    assert_int_equal(resp[53], 0x31);
}

static void test_response_buffer_too_small(void **state)
{
    yh_ice_lite_t ice;
    check_t c;
    uint8_t resp[256];
    int result;
    struct sockaddr_storage from = addr("192.0.2.10", 50000);

    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, 0), 0);
    make_check(&c, USERNAME, SERVER_PWD, 1);
    assert_int_equal(handle(&ice, &c, &from, 5 * SEC, resp, 40, &result), YH_ENOSPACE);
    assert_false(ice.has_selected);
    assert_true(ice.last_check_us == 0);
}

static void test_init_checks(void **state)
{
    yh_ice_lite_t ice;
    char long_ufrag[YH_ICE_UFRAG_MAX + 2];

    memset(long_ufrag, 'u', sizeof long_ufrag - 1);
    long_ufrag[sizeof long_ufrag - 1] = '\0';
    assert_int_equal(yh_ice_lite_init(&ice, long_ufrag, SERVER_PWD, "", 0), YH_ERANGE);
    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, long_ufrag, 0), YH_ERANGE);
    long_ufrag[YH_ICE_UFRAG_MAX] = '\0';
    assert_int_equal(yh_ice_lite_init(&ice, long_ufrag, SERVER_PWD, long_ufrag, 0), 0);
    assert_int_equal(yh_ice_lite_init(&ice, "a:b", SERVER_PWD, "", 0), YH_EINVAL);
    assert_int_equal(yh_ice_lite_init(&ice, "", SERVER_PWD, "", 0), YH_EINVAL);
    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, "", "", 0), YH_EINVAL);
    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, NULL, "", 0), YH_EINVAL);
    assert_int_equal(yh_ice_lite_init(NULL, SERVER_UFRAG, SERVER_PWD, "", 0), YH_EINVAL);
    assert_int_equal(yh_ice_lite_init(&ice, SERVER_UFRAG, SERVER_PWD, NULL, 7), 0);
    assert_string_equal(ice.remote_ufrag, "");
    assert_true(ice.last_check_us == 7);
    assert_false(ice.has_selected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_request_answered),
        cmocka_unit_test(test_ipv6_request),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_wrong_ufrag),
        cmocka_unit_test(test_use_candidate_moves_selected),
        cmocka_unit_test(test_replayed_check_dropped),
        cmocka_unit_test(test_restart_switches_credentials),
        cmocka_unit_test(test_consent_expiry),
        cmocka_unit_test(test_not_a_request),
        cmocka_unit_test(test_missing_username_or_integrity),
        cmocka_unit_test(test_role_conflict),
        cmocka_unit_test(test_unknown_required_attribute),
        cmocka_unit_test(test_response_buffer_too_small),
        cmocka_unit_test(test_init_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
