/*
 * NACK generation for one incoming stream (RFC 4585 section 6.2.1): gaps in
 * the sequence numbers become a list of missing packets, asked for again at
 * a steady interval until they arrive (as retransmissions), grow too old to
 * be useful or have been asked for too often. Fixed size, no allocation.
 */
#ifndef YH_RTP_NACKGEN_H
#define YH_RTP_NACKGEN_H

#include <stddef.h>
#include <stdint.h>

#define YH_NACKGEN_MAX 256         /* missing packets tracked */
#define YH_NACKGEN_MAX_JUMP 1000   /* a larger gap is a restart, not loss */
#define YH_NACKGEN_MAX_TRIES 25 /* a second of retries every 40 ms */
#define YH_NACKGEN_MAX_AGE_US 1000000u

typedef struct yh_nackgen_item {
    uint16_t seq;
    uint8_t tries;
    uint64_t first_us;
    uint64_t asked_us; /* first NACK sent for it, 0 when none yet */
    uint64_t last_us;  /* last NACK sent for it, 0 when none yet */
} yh_nackgen_item_t;

typedef struct yh_nackgen {
    int started;
    uint16_t max_seq;
    size_t n;
    yh_nackgen_item_t items[YH_NACKGEN_MAX]; /* oldest first */
    /* Statistics: missing packets that arrived later, by how long after
     * the gap was seen (under 100, 200, 300, 400 ms, later), and those
     * given up (too old, or asked for too often). */
    uint32_t recovered[5];
    uint32_t given_up;
} yh_nackgen_t;

void yh_nackgen_init(yh_nackgen_t *g);

/* Records a received sequence number. Returns 1 when it was missing (a
 * retransmission or a late packet filling a gap), 0 otherwise (in order,
 * duplicate, or too old to have been tracked). */
int yh_nackgen_on_packet(yh_nackgen_t *g, uint16_t seq, uint64_t now_us);

/* Whether `seq` is currently missing. */
int yh_nackgen_is_missing(const yh_nackgen_t *g, uint16_t seq);
/* When the first NACK for a missing packet went out: 0 with *us, or
 * YH_ENOTFOUND (not missing, or not asked for yet). A retransmission
 * answers the first request unless that or its answer was lost, so the
 * time since is the sender's round trip, or more (never less: a retry
 * sooner than a round trip would otherwise pass for a short one). */
int yh_nackgen_asked_at(const yh_nackgen_t *g, uint16_t seq, uint64_t *us);

/* Writes into `out` (at most `cap`) the sequence numbers to ask for now:
 * not asked yet, or last asked `retry_us` ago or more. Items past the age
 * or try limits are forgotten. Returns the count. */
size_t yh_nackgen_collect(yh_nackgen_t *g, uint64_t now_us, uint64_t retry_us, uint16_t *out,
                          size_t cap);

#endif
