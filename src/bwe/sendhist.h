/*
 * History of packets sent to one subscriber, keyed by transport-wide
 * sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01), so
 * TWCC feedback can be matched to send times and sizes. A fixed ring of
 * YH_BWE_HIST_SLOTS entries embedded in the estimator: recording never
 * allocates, and an entry older than the ring is simply forgotten.
 */
#ifndef YH_BWE_SENDHIST_H
#define YH_BWE_SENDHIST_H

#include <stddef.h>
#include <stdint.h>

#define YH_BWE_HIST_SLOTS 1024 /* power of two; ~0.3 s at 30 Mbps of 1200-byte packets */

enum {
    YH_BWE_SENT_VALID = 1,    /* slot holds a sent packet */
    YH_BWE_SENT_PROBE = 2,    /* part of a probe cluster */
    YH_BWE_SENT_REPORTED = 4, /* feedback already reported it received */
    YH_BWE_SENT_LOST = 8,     /* feedback reported it lost (counted once) */
};

/* 16 bytes: 1024 entries are 16 KiB per subscriber. */
typedef struct yh_bwe_sent {
    int64_t send_us;
    uint16_t seq;
    uint16_t size; /* bytes on the wire, saturated at 65535 */
    uint8_t flags;
    uint8_t tag;        /* the sender's mark for what this was (0: none) */
    uint16_t tag_value; /* and a number that goes with it */
} yh_bwe_sent_t;

typedef struct yh_bwe_sendhist {
    yh_bwe_sent_t slot[YH_BWE_HIST_SLOTS];
} yh_bwe_sendhist_t;

void yh_bwe_sendhist_init(yh_bwe_sendhist_t *h);
void yh_bwe_sendhist_add(yh_bwe_sendhist_t *h, uint16_t seq, size_t size, int64_t send_us,
                         int is_probe);
/* The entry for `seq`, or NULL when it was never recorded or has been
 * overwritten by a packet 1024 sequence numbers later. Borrowed. */
yh_bwe_sent_t *yh_bwe_sendhist_find(yh_bwe_sendhist_t *h, uint16_t seq);

#endif
