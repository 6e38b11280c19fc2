/*
 * libFuzzer target for the controlling ICE client agent. A fresh agent
 * sends its first check; the input is then handled as a STUN message from
 * the server, three ways: as it is, with the pending transaction id put in
 * (so it is not dropped at once), and also re-signed with the server's
 * password (MESSAGE-INTEGRITY and FINGERPRINT recomputed) so mutated inputs
 * reach the code behind authentication. The agent must stay consistent: a
 * connected agent had an authenticated success, and polling afterwards
 * still yields well-formed checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/err.h"
#include "ice/ice.h"
#include "net/addr.h"
#include "stun/stun.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#define SERVER_PWD "serverpassword0123456789"
#define CLIENT_PWD "clientpassword0123456789"
#define MAX_MSG 4096

static void agent(yh_ice_client_t *c, struct sockaddr_storage *server, uint64_t now)
{
    uint8_t req[600];
    yh_addr_parse("127.0.0.1", 3478, server);
    CHECK(yh_ice_client_init(c, "cliU", CLIENT_PWD, "srvU", SERVER_PWD, (struct sockaddr *)server,
                             now) == 0);
    CHECK(yh_ice_client_poll(c, now, req, sizeof req) > 0);
}

/* Recomputes MESSAGE-INTEGRITY and FINGERPRINT of a parsed message in
 * place (both at their parsed offsets), so the message authenticates. */
static int resign(uint8_t *buf, size_t len)
{
    yh_stun_msg_t m;
    if (yh_stun_parse(buf, len, &m) < 0 || !m.integrity_off)
        return 0;
    /* Rebuild: copy the header and attributes before integrity. */
    uint8_t out[MAX_MSG];
    yh_stun_builder_t b;
    yh_stun_build_begin(&b, out, sizeof out, m.type, m.txid);
    size_t off = YH_STUN_HEADER_LEN;
    while (off + 4 <= m.integrity_off) {
        uint16_t t = rd_be16(buf + off), l = rd_be16(buf + off + 2);
        if (off + 4 + l > m.integrity_off)
            return 0;
        yh_stun_add_bytes(&b, t, buf + off + 4, l);
        off += 4 + (size_t)((l + 3) & ~3);
    }
    yh_stun_add_integrity(&b, SERVER_PWD, strlen(SERVER_PWD));
    yh_stun_add_fingerprint(&b);
    int n = yh_stun_build_finish(&b);
    if (n <= 0 || (size_t)n > len + 64)
        return 0;
    memcpy(buf, out, (size_t)n);
    return n;
}

static void feed(yh_ice_client_t *c, const struct sockaddr_storage *server, const uint8_t *buf,
                 size_t len, uint64_t now)
{
    yh_stun_msg_t m;
    uint8_t resp[600], req[600];
    if (yh_stun_parse(buf, len, &m) != (int)len)
        return;
    int before = yh_ice_client_state(c);
    int ev = yh_ice_client_handle_response(c, buf, len, &m, (const struct sockaddr *)server, now);
    if (ev == YH_ICE_CLIENT_EV_CONNECTED) {
        CHECK(before == YH_ICE_CLIENT_CHECKING);
        CHECK(m.type == YH_STUN_BINDING_SUCCESS);
        CHECK(yh_stun_check_integrity(buf, len, &m, SERVER_PWD, strlen(SERVER_PWD)) == 0);
        CHECK(yh_ice_client_state(c) == YH_ICE_CLIENT_CONNECTED);
    }
    int n = yh_ice_client_handle_request(c, buf, len, &m, (const struct sockaddr *)server, resp,
                                         sizeof resp);
    if (n > 0)
        CHECK(yh_stun_parse(resp, (size_t)n, &m) == n);
    n = yh_ice_client_poll(c, now + 10000000u, req, sizeof req);
    if (n > 0)
        CHECK(yh_stun_parse(req, (size_t)n, &m) == n && m.type == YH_STUN_BINDING_REQUEST);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[MAX_MSG + 64];
    yh_ice_client_t c;
    struct sockaddr_storage server;
    if (size > MAX_MSG)
        return 0;
    agent(&c, &server, 1000000);
    memcpy(buf, data, size);
    feed(&c, &server, buf, size, 1000100);

    if (size < YH_STUN_HEADER_LEN)
        return 0;
    /* The pending transaction's id, then also a valid signature. */
    agent(&c, &server, 1000000);
    memcpy(buf, data, size);
    memcpy(buf + 8, c.txid, 12);
    feed(&c, &server, buf, size, 1000100);
    agent(&c, &server, 1000000);
    memcpy(buf, data, size);
    memcpy(buf + 8, c.txid, 12);
    int n = resign(buf, size);
    if (n > 0)
        feed(&c, &server, buf, (size_t)n, 1000100);
    return 0;
}
