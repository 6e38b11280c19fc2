#include "bwe/twcc_rec.h"

#include "base/bytes.h"
#include "base/err.h"
#include "rtcp/rtcp.h"

#define MASK (YH_TWCC_REC_SLOTS - 1)

void yh_twcc_rec_init(yh_twcc_rec_t *r)
{
    r->started = 0;
    r->next_seq = 0;
    r->max_seq = 0;
    r->fb_count = 0;
    for (size_t i = 0; i < YH_TWCC_REC_SLOTS; i++) {
        r->arrival_us[i] = -1;
        r->seq_of[i] = 0;
    }
}

void yh_twcc_rec_add(yh_twcc_rec_t *r, uint16_t seq, uint64_t arrival_us)
{
    if (!r->started) {
        r->started = 1;
        r->next_seq = seq;
        r->max_seq = seq;
    } else if (yh_seq_lt(seq, r->next_seq)) {
        return; /* already reported as lost; late arrivals are not re-sent */
    } else if (yh_seq_diff(seq, r->next_seq) >= YH_TWCC_REC_SLOTS) {
        /* A jump past the ring: start over from here. */
        r->next_seq = seq;
        r->max_seq = seq;
    }
    if (yh_seq_lt(r->max_seq, seq))
        r->max_seq = seq;
    r->arrival_us[seq & MASK] = (int64_t)arrival_us;
    r->seq_of[seq & MASK] = seq;
}

int yh_twcc_rec_build(yh_twcc_rec_t *r, uint8_t *buf, size_t cap, uint32_t sender_ssrc,
                      uint32_t media_ssrc)
{
    if (!r->started || yh_seq_lt(r->max_seq, r->next_seq))
        return 0;
    int64_t arrivals[YH_TWCC_REC_MAX_PER_FB];
    size_t n = (size_t)(uint16_t)(r->max_seq - r->next_seq) + 1;
    if (n > YH_TWCC_REC_MAX_PER_FB)
        n = YH_TWCC_REC_MAX_PER_FB;
    /* Feedback must start with a received packet so the reference time is
     * defined; skip leading holes (they stay lost). */
    size_t skip = 0;
    while (skip < n) {
        uint16_t s = (uint16_t)(r->next_seq + skip);
        if (r->seq_of[s & MASK] == s && r->arrival_us[s & MASK] >= 0)
            break;
        skip++;
    }
    if (skip == n)
        return 0;
    uint16_t base = (uint16_t)(r->next_seq + skip);
    n -= skip;
    for (size_t i = 0; i < n; i++) {
        uint16_t s = (uint16_t)(base + i);
        arrivals[i] = r->seq_of[s & MASK] == s ? r->arrival_us[s & MASK] : -1;
    }
    int len;
    for (;;) {
        len = yh_rtcp_build_twcc(buf, cap, sender_ssrc, media_ssrc, base, arrivals, n,
                                 r->fb_count);
        if (len != YH_ERANGE || n == 1)
            break;
        n /= 2; /* a delta too large for 16 bits: report fewer at a time */
    }
    if (len < 0)
        return len;
    for (size_t i = 0; i < n; i++)
        r->arrival_us[(uint16_t)(base + i) & MASK] = -1;
    r->next_seq = (uint16_t)(base + n);
    r->fb_count++;
    return len;
}
