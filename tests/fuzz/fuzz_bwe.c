/*
 * libFuzzer target: the downlink estimator fed hostile input. The first
 * bytes script the sender (how many packets, sizes, probe marks, clock
 * steps); every RTCP packet in the rest goes through yh_rtcp_parse_twcc
 * (and RR parsing for loss reports) into the estimator. The estimate must
 * stay within its bounds and the allocator must never exceed the estimate
 * except for audio.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bwe/allocator.h"
#include "bwe/bwe.h"
#include "rtcp/rtcp.h"

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

#define MIN_BPS 50000
#define MAX_BPS 20000000

static yh_bwe_t bwe;
static yh_rtcp_twcc_pkt_t pkts[YH_RTCP_MAX_TWCC];

static void check_alloc(uint64_t est, const uint8_t *d, size_t n)
{
    yh_alloc_sub_t subs[8];
    memset(subs, 0, sizeof subs);
    size_t k = n < 8 ? n : 8;
    for (size_t i = 0; i < k; i++) {
        subs[i].kind = d[i] % 3;
        subs[i].priority = d[i] & 4;
        subs[i].n_layers = (uint8_t)((d[i] >> 3) % 6);
        subs[i].max_layer = (int8_t)((d[i] >> 5) % 5) - 1;
        for (int l = 0; l < YH_ALLOC_MAX_LAYERS; l++)
            subs[i].layer_bps[l] = (uint32_t)(d[i] * 1000u * (unsigned)(l + 1) * (i + 1));
    }
    uint64_t used, audio = 0;
    CHECK(yh_bwe_allocate(est, subs, k, &used) == 0);
    for (size_t i = 0; i < k; i++) {
        CHECK(subs[i].layer >= YH_ALLOC_PAUSED && subs[i].layer < YH_ALLOC_MAX_LAYERS);
        if (subs[i].kind == YH_ALLOC_AUDIO && subs[i].layer == 0)
            audio += subs[i].layer_bps[0];
    }
    CHECK(used <= (est > audio ? est : audio) + audio);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint64_t now = 1000000;
    yh_bwe_init(&bwe, 300000 + (uint64_t)data[0] * 10000, MIN_BPS, MAX_BPS);
    /* Sender script: data[1] packets from seq data[2..3], each of size and
     * probe flag from the following bytes, data[4] ms apart. */
    uint16_t seq = (uint16_t)(data[2] << 8 | data[3]);
    size_t npk = (size_t)data[1] * 8, step = (size_t)data[4] * 100;
    for (size_t i = 0; i < npk; i++) {
        uint8_t b = data[5 + i % (size - 5)];
        yh_bwe_on_sent(&bwe, (uint16_t)(seq + i), 60 + (size_t)b * 5, now, b & 1);
        now += step;
    }
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    yh_rtcp_twcc_t tw;
    yh_rtcp_rr_t rr;
    uint64_t probe;
    yh_rtcp_iter_init(&it, data + 8, size - 8);
    while (yh_rtcp_next(&it, &p) == 1) {
        now += 50000;
        if (yh_rtcp_parse_twcc(&p, &tw, pkts, YH_RTCP_MAX_TWCC) == 0)
            CHECK(yh_bwe_on_feedback(&bwe, &tw, pkts, tw.n, now) == 0);
        if (yh_rtcp_parse_rr(&p, &rr) == 0 && rr.n_reports)
            yh_bwe_on_loss_report(&bwe, rr.reports[0].fraction_lost, now);
        int n = yh_bwe_probe_wanted(&bwe, now, &probe);
        CHECK(n >= 0 && n <= YH_BWE_PROBE_MAX_PACKETS);
        uint64_t e = yh_bwe_estimate(&bwe);
        CHECK(e >= MIN_BPS && e <= MAX_BPS);
    }
    check_alloc(yh_bwe_estimate(&bwe), data, size);
    return 0;
}
