/*
 * libFuzzer target for the STUN codec and the ICE-lite request handler.
 * Each input is parsed (and, when it ends in FINGERPRINT, parsed again with
 * the CRC corrected); a parsed message has its integrity checked with a
 * fixed key and goes to the ICE handler twice: as it is, and re-signed with
 * the agent's password (MESSAGE-INTEGRITY and FINGERPRINT recomputed), so
 * the code behind authentication is reached by mutated inputs too.
 * Every response the handler writes must parse and verify.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "base/err.h"
#include "ice/ice.h"
#include "net/addr.h"
#include "stun/stun.h"

/* The RFC 5769 credentials: the vectors' USERNAME is "evtj:h6vY". */
#define UFRAG "evtj"
#define PWD "VOkJxbRl1RmTxUk/WvJxBt"
#define MAX_MSG (YH_STUN_HEADER_LEN + 65535)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_response(const uint8_t *resp, int n, const struct sockaddr *from,
                           const yh_stun_msg_t *req)
{
    yh_stun_msg_t m;

    CHECK(yh_stun_parse(resp, (size_t)n, &m) == n);
    CHECK(memcmp(m.txid, req->txid, sizeof m.txid) == 0);
    CHECK(m.has_fingerprint);
    CHECK(yh_stun_check_integrity(resp, (size_t)n, &m, PWD, strlen(PWD)) == 0);
    if (m.type == YH_STUN_BINDING_SUCCESS) {
        CHECK(m.has_xor_mapped);
        CHECK(yh_addr_equal((const struct sockaddr *)&m.xor_mapped, from));
    } else {
        CHECK(m.type == YH_STUN_BINDING_ERROR && m.has_error);
    }
}

static void run_ice(const uint8_t *buf, size_t len, const yh_stun_msg_t *msg, int v6)
{
    yh_ice_lite_t ice;
    struct sockaddr_storage from;
    uint8_t resp[1500];
    int result = -1, n;

    CHECK(yh_addr_parse(v6 ? "2001:db8::7" : "192.0.2.7", 40000, &from) == 0);
    CHECK(yh_ice_lite_init(&ice, UFRAG, PWD, "", 1000) == 0);
    n = yh_ice_lite_handle_request(&ice, buf, len, msg, (const struct sockaddr *)&from, 2000, resp,
                                   sizeof resp, &result);
    if (n > 0) {
        check_response(resp, n, (const struct sockaddr *)&from, msg);
        CHECK(ice.last_check_us == 2000);
        CHECK(!yh_ice_lite_expired(&ice, 2000 + YH_ICE_CONSENT_TIMEOUT_US - 1));
        CHECK(yh_ice_lite_expired(&ice, 2000 + YH_ICE_CONSENT_TIMEOUT_US));
        CHECK(result == (ice.has_selected ? YH_ICE_RESULT_SELECTED : YH_ICE_RESULT_NONE));
    } else {
        CHECK(result == YH_ICE_RESULT_NONE && !ice.has_selected && ice.last_check_us == 1000);
    }
}

/* Recomputes MESSAGE-INTEGRITY with PWD (and FINGERPRINT when present)
 * over a copy truncated after MI. Returns the new length or 0. */
static size_t resign(const uint8_t *data, const yh_stun_msg_t *msg, uint8_t *out)
{
    yh_stun_builder_t b;
    int n;

    if (msg->integrity_off == 0)
        return 0;
    memcpy(out, data, msg->integrity_off);
    b.buf = out;
    b.cap = MAX_MSG;
    b.len = msg->integrity_off;
    b.err = 0;
    b.stage = 0;
    yh_stun_add_integrity(&b, PWD, strlen(PWD));
    if (msg->has_fingerprint)
        yh_stun_add_fingerprint(&b);
    n = yh_stun_build_finish(&b);
    return n > 0 ? (size_t)n : 0;
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    static uint8_t resigned[MAX_MSG];
    yh_stun_msg_t msg, msg2;
    char local[YH_STUN_MAX_USERNAME + 1];
    int v6 = size > 0 && (data[size - 1] & 1);
    size_t n2;

    int rc = yh_stun_parse(data, size, &msg);
    CHECK(yh_stun_is_stun(data, size) || rc < 0);
    if (rc < 0)
        return;
    CHECK((size_t)rc == size);
    CHECK(msg.username == NULL || msg.username_len <= YH_STUN_MAX_USERNAME);
    (void)yh_stun_check_integrity(data, size, &msg, PWD, strlen(PWD));
    (void)yh_stun_username_local(&msg, local, sizeof local);
    run_ice(data, size, &msg, v6);

    n2 = resign(data, &msg, resigned);
    if (n2 == 0)
        return;
    CHECK(yh_stun_parse(resigned, n2, &msg2) == (int)n2);
    CHECK(yh_stun_check_integrity(resigned, n2, &msg2, PWD, strlen(PWD)) == 0);
    run_ice(resigned, n2, &msg2, v6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t fixed[MAX_MSG];
    yh_stun_builder_t b;

    fuzz_one(data, size);
    /* Mutations almost always break FINGERPRINT; when the input ends in
     * one, run it again with the CRC corrected so the attribute walk and
     * everything after it see the mutated message. The header length
     * already matches, so the builder rewrites it unchanged. */
    if (size < YH_STUN_HEADER_LEN + 8 || size > MAX_MSG || !yh_stun_is_stun(data, size) ||
        data[size - 8] != 0x80 || data[size - 7] != 0x28 || data[size - 6] != 0 ||
        data[size - 5] != 4)
        return 0;
    memcpy(fixed, data, size);
    b.buf = fixed;
    b.cap = size;
    b.len = size - 8;
    b.err = 0;
    b.stage = 1;
    yh_stun_add_fingerprint(&b);
    CHECK(yh_stun_build_finish(&b) == (int)size);
    if (memcmp(fixed, data, size) != 0)
        fuzz_one(fixed, size);
    return 0;
}
