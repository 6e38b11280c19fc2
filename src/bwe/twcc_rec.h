/*
 * Records the arrival time of every packet a publisher sends with a
 * transport-wide sequence number and turns them into TWCC feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01) at a steady pace,
 * so the browser's send-side congestion controller can ramp up. Fixed-size
 * ring: recording never allocates.
 */
#ifndef YH_BWE_TWCC_REC_H
#define YH_BWE_TWCC_REC_H

#include <stddef.h>
#include <stdint.h>

#define YH_TWCC_REC_SLOTS 4096 /* power of two; more than 1 s of video at 30 Mbps */
#define YH_TWCC_REC_MAX_PER_FB 512

typedef struct yh_twcc_rec {
    int started;
    uint16_t next_seq;   /* first sequence number not yet reported */
    uint16_t max_seq;    /* highest recorded */
    uint8_t fb_count;
    int64_t arrival_us[YH_TWCC_REC_SLOTS]; /* -1: not received */
    uint16_t seq_of[YH_TWCC_REC_SLOTS];
} yh_twcc_rec_t;

void yh_twcc_rec_init(yh_twcc_rec_t *r);
void yh_twcc_rec_add(yh_twcc_rec_t *r, uint16_t seq, uint64_t arrival_us);
/* Builds one feedback packet for what arrived since the last one into
 * `buf`. Returns its length, 0 when there is nothing to report, or YH_E*. */
int yh_twcc_rec_build(yh_twcc_rec_t *r, uint8_t *buf, size_t cap, uint32_t sender_ssrc,
                      uint32_t media_ssrc);

#endif
