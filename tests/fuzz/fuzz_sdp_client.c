/*
 * libFuzzer target for the client side of SDP: candidate lines, and the
 * answer a client writes to a (mutated) server offer. Invariants: collected
 * candidates are distinct, UDP component 1, sorted by priority; an answer
 * the client writes always parses and always passes the server's own check
 * (yh_sdp_sub_check_answer), with the client as DTLS client.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/sdp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#define CAP 65536

static const yh_sdp_client_local_t local = {
    .ice_ufrag = "cliU",
    .ice_pwd = "clientpassword0123456789",
    .fingerprint = "C6:7E:76:A2:7E:45:45:FD:2C:10:18:58:CB:2F:CA:06:86:35:08:44:F8:05:BA:2B:0C:"
                   "85:77:0B:B5:94:43:2A",
    .cname = "cn",
    .msid_stream = "st",
    .session_id = 1,
};

static void candidates(const uint8_t *data, size_t size)
{
    yh_sdp_candidate_t c[8], one;
    size_t n = yh_sdp_candidates((const char *)data, size, c, 8);
    CHECK(n <= 8);
    for (size_t i = 0; i < n; i++) {
        CHECK(c[i].udp && c[i].component == 1 && c[i].port != 0);
        CHECK(strlen(c[i].ip) > 0);
        if (i)
            CHECK(c[i - 1].priority >= c[i].priority);
        for (size_t j = 0; j < i; j++)
            CHECK(c[j].port != c[i].port || strcmp(c[j].ip, c[i].ip));
    }
    if (yh_sdp_candidate_parse((const char *)data, size, &one) == 0)
        CHECK(one.port != 0 && one.component != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static yh_sdp_t offer, back;
    static yh_sdp_client_remote_t remote;
    static yh_sdp_sub_answer_t checked;
    static char answer[CAP];
    char err[256];

    candidates(data, size);
    if (yh_sdp_parse((const char *)data, size, &offer, err, sizeof err) != 0)
        return 0;
    int n = yh_sdp_client_write_answer(&offer, &local, 2, &remote, answer, CAP, err, sizeof err);
    if (n < 0)
        return 0;
    CHECK((size_t)n == strlen(answer));
    CHECK(yh_sdp_parse(answer, (size_t)n, &back, err, sizeof err) == 0);
    CHECK(back.n_media == offer.n_media);
    CHECK(yh_sdp_sub_check_answer(&back, NULL, 0, &checked, err, sizeof err) == 0);
    CHECK(checked.local_setup == YH_SDP_SETUP_PASSIVE);
    for (uint8_t i = 0; i < back.n_media; i++)
        CHECK(!strcmp(back.media[i].mid, offer.media[i].mid));
    /* The answer read as if it answered an offer of ours: no crash. */
    yh_sdp_client_send_t s[2] = {{YH_SDP_KIND_AUDIO, "0", 1, "a"},
                                 {YH_SDP_KIND_VIDEO, "1", 2, "v"}};
    yh_sdp_client_read_answer(&offer, s, 2, &remote, err, sizeof err);
    return 0;
}
