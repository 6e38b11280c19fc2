/*
 * Open-addressing hash map from non-zero 64-bit keys to pointers (linear
 * probing, backward-shift deletion, no tombstones). Growth allocates, so
 * inserts belong to control paths; lookups never allocate.
 */
#ifndef YH_BASE_MAP_H
#define YH_BASE_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct yh_map {
    uint64_t *keys; /* 0 marks an empty slot */
    void **vals;
    size_t cap;     /* power of two */
    size_t n;
} yh_map_t;

void yh_map_init(yh_map_t *m);
void yh_map_free(yh_map_t *m);
/* Inserts or replaces. `key` must not be 0. 0 or YH_ENOMEM. */
int yh_map_put(yh_map_t *m, uint64_t key, void *val);
void *yh_map_get(const yh_map_t *m, uint64_t key);
/* Removes `key` if present; returns its value or NULL. */
void *yh_map_del(yh_map_t *m, uint64_t key);

/* FNV-1a of a string, never 0 (usable as a key). */
uint64_t yh_map_hash_str(const char *s);

#endif
