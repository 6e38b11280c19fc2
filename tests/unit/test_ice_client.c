/*
 * Controlling client agent tests, against the server's real ICE-lite agent:
 * the first check nominates and connects, the lite side selects our
 * address; retransmission timing; responses with a wrong transaction,
 * source or password are ignored; a role conflict fails; consent checks
 * every 4..6 s; connect and consent timeouts; answering a full peer's check.
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
#define CLIENT_PWD "clientPasswordOf22Char"
#define SEC 1000000ull
#define T0 (100 * SEC)

typedef struct {
    yh_ice_client_t c;
    yh_ice_lite_t lite;
    struct sockaddr_storage server, client;
    uint8_t req[512], resp[512];
    int req_len, resp_len;
} pair_t;

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
    struct sockaddr_storage a;
    assert_int_equal(yh_addr_parse(ip, port, &a), 0);
    return a;
}

static void setup_pair(pair_t *p)
{
    memset(p, 0, sizeof *p);
    p->server = addr("127.0.0.1", 3478);
    p->client = addr("127.0.0.1", 40000);
    assert_int_equal(yh_ice_client_init(&p->c, CLIENT_UFRAG, CLIENT_PWD, SERVER_UFRAG, SERVER_PWD,
                                        (struct sockaddr *)&p->server, T0),
                     0);
    assert_int_equal(yh_ice_lite_init(&p->lite, SERVER_UFRAG, SERVER_PWD, CLIENT_UFRAG, T0), 0);
}

/* Polls a check at `now` and has the lite agent answer it. */
static void exchange(pair_t *p, uint64_t now, int expect_use_candidate)
{
    yh_stun_msg_t msg;
    int result;
    p->req_len = yh_ice_client_poll(&p->c, now, p->req, sizeof p->req);
    assert_true(p->req_len > 0);
    assert_int_equal(yh_stun_parse(p->req, (size_t)p->req_len, &msg), p->req_len);
    assert_int_equal(msg.use_candidate, expect_use_candidate);
    assert_true(msg.has_controlling);
    assert_true(msg.has_priority);
    p->resp_len = yh_ice_lite_handle_request(&p->lite, p->req, (size_t)p->req_len, &msg,
                                             (struct sockaddr *)&p->client, now, p->resp,
                                             sizeof p->resp, &result);
    assert_true(p->resp_len > 0);
}

static int deliver(pair_t *p, uint64_t now, const struct sockaddr_storage *from)
{
    yh_stun_msg_t msg;
    assert_int_equal(yh_stun_parse(p->resp, (size_t)p->resp_len, &msg), p->resp_len);
    return yh_ice_client_handle_response(&p->c, p->resp, (size_t)p->resp_len, &msg,
                                         (const struct sockaddr *)from, now);
}

static void test_connects_and_nominates(void **state)
{
    pair_t p;
    setup_pair(&p);
    assert_int_equal(yh_ice_client_state(&p.c), YH_ICE_CLIENT_CHECKING);
    exchange(&p, T0, 1);
    assert_true(p.lite.has_selected);
    assert_true(p.lite.nominated);
    assert_true(yh_addr_equal((struct sockaddr *)&p.lite.selected, (struct sockaddr *)&p.client));
    assert_int_equal(deliver(&p, T0 + 1000, &p.server), YH_ICE_CLIENT_EV_CONNECTED);
    assert_int_equal(yh_ice_client_state(&p.c), YH_ICE_CLIENT_CONNECTED);
    /* The mapped address is the client's as the server saw it. */
    assert_true(yh_addr_equal((struct sockaddr *)&p.c.mapped, (struct sockaddr *)&p.client));
    /* A duplicate of the same response belongs to no transaction now. */
    assert_int_equal(deliver(&p, T0 + 2000, &p.server), YH_ENOTFOUND);
}

static void test_retransmits_with_backoff(void **state)
{
    pair_t p;
    uint8_t txid[12];
    setup_pair(&p);
    assert_true(yh_ice_client_poll(&p.c, T0, p.req, sizeof p.req) > 0);
    memcpy(txid, p.req + 8, 12);
    assert_int_equal(yh_ice_client_poll(&p.c, T0 + 99999, p.req, sizeof p.req), 0);
    assert_int_equal(yh_ice_client_next_us(&p.c, T0 + 50000), 50000);
    assert_true(yh_ice_client_poll(&p.c, T0 + 100000, p.req, sizeof p.req) > 0);
    /* Same transaction (RFC 5389 7.2.1), next one after 200 ms. */
    assert_memory_equal(p.req + 8, txid, 12);
    assert_int_equal(yh_ice_client_poll(&p.c, T0 + 299999, p.req, sizeof p.req), 0);
    assert_true(yh_ice_client_poll(&p.c, T0 + 300000, p.req, sizeof p.req) > 0);
    assert_int_equal(p.c.checks_sent, 3);
}

static void test_ignores_foreign_responses(void **state)
{
    pair_t p;
    setup_pair(&p);
    exchange(&p, T0, 1);
    struct sockaddr_storage other = addr("127.0.0.2", 3478);
    assert_int_equal(deliver(&p, T0, &other), YH_ENOTFOUND);
    /* A well-formed response to another transaction. */
    const uint8_t other_txid[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    p.resp_len = yh_stun_build_binding_success(p.resp, sizeof p.resp, other_txid,
                                               (struct sockaddr *)&p.client, SERVER_PWD);
    assert_int_equal(deliver(&p, T0, &p.server), YH_ENOTFOUND);
    assert_int_equal(yh_ice_client_state(&p.c), YH_ICE_CLIENT_CHECKING);

    /* A response keyed with another password. */
    yh_stun_msg_t req;
    assert_int_equal(yh_stun_parse(p.req, (size_t)p.req_len, &req), p.req_len);
    p.resp_len = yh_stun_build_binding_success(
        p.resp, sizeof p.resp, req.txid, (struct sockaddr *)&p.client, "wrongPasswordOf22Chars");
    assert_int_equal(deliver(&p, T0, &p.server), YH_EINTEGRITY);
    /* Without MESSAGE-INTEGRITY at all. */
    yh_stun_builder_t b;
    yh_stun_build_begin(&b, p.resp, sizeof p.resp, YH_STUN_BINDING_SUCCESS, req.txid);
    yh_stun_add_xor_address(&b, YH_STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&p.client);
    yh_stun_add_fingerprint(&b);
    p.resp_len = yh_stun_build_finish(&b);
    assert_int_equal(deliver(&p, T0, &p.server), YH_EINTEGRITY);
    assert_int_equal(yh_ice_client_state(&p.c), YH_ICE_CLIENT_CHECKING);
}

static void test_role_conflict_fails(void **state)
{
    pair_t p;
    yh_stun_msg_t req;
    setup_pair(&p);
    p.req_len = yh_ice_client_poll(&p.c, T0, p.req, sizeof p.req);
    assert_int_equal(yh_stun_parse(p.req, (size_t)p.req_len, &req), p.req_len);
    p.resp_len = yh_stun_build_binding_error(p.resp, sizeof p.resp, req.txid, 487, "Role Conflict",
                                             SERVER_PWD);
    assert_int_equal(deliver(&p, T0, &p.server), YH_ESTATE);
    assert_int_equal(yh_ice_client_state(&p.c), YH_ICE_CLIENT_FAILED);
    assert_int_equal(yh_ice_client_poll(&p.c, T0 + SEC, p.req, sizeof p.req), 0);
}

static void test_consent_refresh(void **state)
{
    pair_t p;
    setup_pair(&p);
    exchange(&p, T0, 1);
    assert_int_equal(deliver(&p, T0, &p.server), YH_ICE_CLIENT_EV_CONNECTED);
    /* Nothing before 4 s, a consent check by 6 s, without USE-CANDIDATE. */
    assert_int_equal(yh_ice_client_poll(&p.c, T0 + 4 * SEC - 1, p.req, sizeof p.req), 0);
    uint64_t next = yh_ice_client_next_us(&p.c, T0);
    assert_true(next >= 4 * SEC && next < 6 * SEC);
    exchange(&p, T0 + next, 0);
    assert_int_equal(deliver(&p, T0 + next, &p.server), YH_ICE_CLIENT_EV_NONE);
    assert_int_equal(p.c.last_ok_us, T0 + next);
    assert_int_equal(p.lite.last_check_us, T0 + next);
}

static void test_timeouts(void **state)
{
    pair_t p;
    setup_pair(&p);
    /* Nobody answers: failed after 10 s. */
    for (uint64_t t = T0; t < T0 + YH_ICE_CLIENT_CONNECT_US; t += 50000)
        assert_true(yh_ice_client_poll(&p.c, t, p.req, sizeof p.req) >= 0);
    assert_int_equal(yh_ice_client_state(&p.c), YH_ICE_CLIENT_CHECKING);
    assert_int_equal(yh_ice_client_poll(&p.c, T0 + YH_ICE_CLIENT_CONNECT_US, p.req, sizeof p.req),
                     0);
    assert_int_equal(yh_ice_client_state(&p.c), YH_ICE_CLIENT_FAILED);

    /* Connected, then consent answers stop: failed 30 s after the last. */
    setup_pair(&p);
    exchange(&p, T0, 1);
    assert_int_equal(deliver(&p, T0, &p.server), YH_ICE_CLIENT_EV_CONNECTED);
    for (uint64_t t = T0; t < T0 + YH_ICE_CONSENT_TIMEOUT_US; t += 100000)
        assert_true(yh_ice_client_poll(&p.c, t, p.req, sizeof p.req) >= 0);
    assert_int_equal(yh_ice_client_state(&p.c), YH_ICE_CLIENT_CONNECTED);
    yh_ice_client_poll(&p.c, T0 + YH_ICE_CONSENT_TIMEOUT_US, p.req, sizeof p.req);
    assert_int_equal(yh_ice_client_state(&p.c), YH_ICE_CLIENT_FAILED);
}

static void test_answers_full_peer(void **state)
{
    pair_t p;
    uint8_t req[512], resp[512];
    const uint8_t txid[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
    yh_stun_msg_t msg, rmsg;
    setup_pair(&p);
    int n = yh_stun_build_binding_request(req, sizeof req, txid, CLIENT_UFRAG ":" SERVER_UFRAG,
                                          CLIENT_PWD, 1234, 0, 42, 0);
    assert_int_equal(yh_stun_parse(req, (size_t)n, &msg), n);
    int m = yh_ice_client_handle_request(&p.c, req, (size_t)n, &msg, (struct sockaddr *)&p.server,
                                         resp, sizeof resp);
    assert_true(m > 0);
    assert_int_equal(yh_stun_parse(resp, (size_t)m, &rmsg), m);
    assert_int_equal(rmsg.type, YH_STUN_BINDING_SUCCESS);
    assert_int_equal(
        yh_stun_check_integrity(resp, (size_t)m, &rmsg, CLIENT_PWD, strlen(CLIENT_PWD)), 0);
    /* The wrong username or password gets nothing. */
    n = yh_stun_build_binding_request(req, sizeof req, txid, CLIENT_UFRAG ":other", CLIENT_PWD, 1,
                                      0, 42, 0);
    assert_int_equal(yh_stun_parse(req, (size_t)n, &msg), n);
    assert_int_equal(yh_ice_client_handle_request(&p.c, req, (size_t)n, &msg,
                                                  (struct sockaddr *)&p.server, resp, sizeof resp),
                     YH_EINTEGRITY);
    n = yh_stun_build_binding_request(req, sizeof req, txid, CLIENT_UFRAG ":" SERVER_UFRAG,
                                      SERVER_PWD, 1, 0, 42, 0);
    assert_int_equal(yh_stun_parse(req, (size_t)n, &msg), n);
    assert_int_equal(yh_ice_client_handle_request(&p.c, req, (size_t)n, &msg,
                                                  (struct sockaddr *)&p.server, resp, sizeof resp),
                     YH_EINTEGRITY);
}

static void test_bad_init(void **state)
{
    yh_ice_client_t c;
    struct sockaddr_storage a = addr("127.0.0.1", 1);
    assert_int_equal(yh_ice_client_init(&c, "a:b", "p", "r", "q", (struct sockaddr *)&a, 0),
                     YH_EINVAL);
    assert_int_equal(yh_ice_client_init(&c, "a", "", "r", "q", (struct sockaddr *)&a, 0),
                     YH_EINVAL);
    a.ss_family = AF_UNIX;
    assert_int_equal(yh_ice_client_init(&c, "a", "p", "r", "q", (struct sockaddr *)&a, 0),
                     YH_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connects_and_nominates),
        cmocka_unit_test(test_retransmits_with_backoff),
        cmocka_unit_test(test_ignores_foreign_responses),
        cmocka_unit_test(test_role_conflict_fails),
        cmocka_unit_test(test_consent_refresh),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_answers_full_peer),
        cmocka_unit_test(test_bad_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
