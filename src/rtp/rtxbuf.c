/*
 * Retransmission buffer: a ring indexed by seq & (N-1). Each slot remembers
 * which sequence number it holds, so a lookup for a packet that was
 * overwritten (or never stored) misses instead of answering with the wrong
 * packet. Slot metadata and packet bytes are allocated once, at create.
 */
#include "rtp/rtxbuf.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

/* Sequence numbers are 16 bits, so more slots than this could never fill. */
#define MAX_SLOTS 65536u

typedef struct slot {
    uint16_t seq;
    uint8_t used;
    size_t len;
    uint64_t stored_us;
} slot_t;

struct yh_rtxbuf {
    size_t mask;
    size_t max_packet;
    slot_t *slots;
    uint8_t *bytes; /* slots * max_packet */
};

yh_rtxbuf_t *yh_rtxbuf_create(size_t slots, size_t max_packet)
{
    size_t n = 1;
    if (slots > MAX_SLOTS)
        slots = MAX_SLOTS;
    while (n < slots)
        n <<= 1;
    if (max_packet == 0 || max_packet > SIZE_MAX / n)
        return NULL;

    yh_rtxbuf_t *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->mask = n - 1;
    b->max_packet = max_packet;
    b->slots = calloc(n, sizeof(*b->slots));
    b->bytes = malloc(n * max_packet);
    if (!b->slots || !b->bytes)
        goto fail;
    return b;
fail:
    yh_rtxbuf_destroy(b);
    return NULL;
}

void yh_rtxbuf_destroy(yh_rtxbuf_t *b)
{
    if (!b)
        return;
    free(b->slots);
    free(b->bytes);
    free(b);
}

void yh_rtxbuf_put(yh_rtxbuf_t *b, uint16_t seq, const uint8_t *pkt, size_t len, uint64_t now_us)
{
    size_t i = seq & b->mask;
    slot_t *s = &b->slots[i];
    /* The slot's previous packet is out of the window either way; a packet
     * too long to keep just leaves the slot empty. */
    s->used = len <= b->max_packet;
    if (!s->used)
        return;
    s->seq = seq;
    s->len = len;
    s->stored_us = now_us;
    if (len)
        memcpy(b->bytes + i * b->max_packet, pkt, len);
}

int yh_rtxbuf_get(const yh_rtxbuf_t *b, uint16_t seq, const uint8_t **pkt, size_t *len,
                  uint64_t *stored_us)
{
    size_t i = seq & b->mask;
    const slot_t *s = &b->slots[i];
    if (!s->used || s->seq != seq)
        return YH_ENOTFOUND;
    *pkt = b->bytes + i * b->max_packet;
    *len = s->len;
    if (stored_us)
        *stored_us = s->stored_us;
    return 0;
}
