/*
 * Single-producer single-consumer ring of message pointers between two
 * threads, with a uv_async_t to wake the consumer's loop. The producer never
 * blocks the consumer and neither takes a lock: the hot path of a media
 * worker only ever does an atomic load when it drains its commands.
 */
#ifndef YH_SFU_QUEUE_H
#define YH_SFU_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <uv.h>

typedef struct yh_spsc {
    void **slots;
    size_t cap; /* power of two */
    _Atomic size_t head; /* next to read (consumer) */
    _Atomic size_t tail; /* next to write (producer) */
} yh_spsc_t;

int yh_spsc_init(yh_spsc_t *q, size_t cap);
void yh_spsc_free(yh_spsc_t *q);
/* Producer side. YH_EAGAIN when full. */
int yh_spsc_push(yh_spsc_t *q, void *msg);
/* Consumer side. NULL when empty. */
void *yh_spsc_pop(yh_spsc_t *q);

#endif
