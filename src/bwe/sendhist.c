#include "bwe/sendhist.h"

#include <string.h>

#define MASK (YH_BWE_HIST_SLOTS - 1)

_Static_assert((YH_BWE_HIST_SLOTS & MASK) == 0, "history slots must be a power of two");
_Static_assert(sizeof(yh_bwe_sent_t) == 16, "history entries are meant to stay 16 bytes");

void yh_bwe_sendhist_init(yh_bwe_sendhist_t *h)
{
    memset(h, 0, sizeof(*h));
}

void yh_bwe_sendhist_add(yh_bwe_sendhist_t *h, uint16_t seq, size_t size, int64_t send_us,
                         int is_probe)
{
    yh_bwe_sent_t *e = &h->slot[seq & MASK];
    e->send_us = send_us;
    e->seq = seq;
    e->size = size > UINT16_MAX ? UINT16_MAX : (uint16_t)size;
    e->flags = (uint8_t)(YH_BWE_SENT_VALID | (is_probe ? YH_BWE_SENT_PROBE : 0));
    e->tag = 0;
    e->tag_value = 0;
}

yh_bwe_sent_t *yh_bwe_sendhist_find(yh_bwe_sendhist_t *h, uint16_t seq)
{
    yh_bwe_sent_t *e = &h->slot[seq & MASK];
    if (!(e->flags & YH_BWE_SENT_VALID) || e->seq != seq)
        return NULL;
    return e;
}
