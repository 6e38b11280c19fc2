#include "sfu/queue.h"

#include <stdlib.h>

#include "base/err.h"

int yh_spsc_init(yh_spsc_t *q, size_t cap)
{
    size_t c = 1;
    while (c < cap)
        c <<= 1;
    q->slots = calloc(c, sizeof *q->slots);
    if (!q->slots)
        return YH_ENOMEM;
    q->cap = c;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    return 0;
}

void yh_spsc_free(yh_spsc_t *q)
{
    free(q->slots);
    q->slots = NULL;
}

int yh_spsc_push(yh_spsc_t *q, void *msg)
{
    size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    if (tail - head >= q->cap)
        return YH_EAGAIN;
    q->slots[tail & (q->cap - 1)] = msg;
    atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
    return 0;
}

void *yh_spsc_pop(yh_spsc_t *q)
{
    size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (head == tail)
        return NULL;
    void *msg = q->slots[head & (q->cap - 1)];
    atomic_store_explicit(&q->head, head + 1, memory_order_release);
    return msg;
}
