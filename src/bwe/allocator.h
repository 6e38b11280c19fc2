/*
 * Divides a subscriber's downlink estimate among its subscriptions: audio
 * first (always kept), then screen shares, then the spotlighted or active
 * speaker's video, each at the highest layer that fits up to what the
 * receiver asked for, then every other video at its lowest layer and
 * upgraded a layer at a time, round robin, while the budget lasts. Video
 * that does not fit even at its lowest layer is paused; audio continues.
 * Pure: no state, no allocation. A caller that sees a subscription go from
 * paused to a layer must resume it with a keyframe request.
 */
#ifndef YH_BWE_ALLOCATOR_H
#define YH_BWE_ALLOCATOR_H

#include <stddef.h>
#include <stdint.h>

/* The choices for one video, cheapest first: a "layer" here is a step,
 * such as one simulcast encoding with its temporal layers up to some. */
#define YH_ALLOC_MAX_LAYERS 12
#define YH_ALLOC_MAX_SUBS 256 /* subscriptions per call */
#define YH_ALLOC_PAUSED (-1)

typedef enum yh_alloc_kind {
    YH_ALLOC_AUDIO = 0,
    YH_ALLOC_SCREEN,
    YH_ALLOC_VIDEO,
} yh_alloc_kind_t;

typedef struct yh_alloc_sub {
    /* In. */
    uint8_t kind;     /* yh_alloc_kind_t */
    uint8_t priority; /* nonzero: spotlighted or active speaker */
    uint8_t n_layers; /* layers the publisher sends, lowest first (audio: 1) */
    int8_t max_layer; /* the receiver's cap (tile size), or YH_ALLOC_PAUSED when it paused */
    uint32_t layer_bps[YH_ALLOC_MAX_LAYERS]; /* current bitrate of each layer; 0: not sent now */
    /* Out. */
    int8_t layer; /* chosen layer index, or YH_ALLOC_PAUSED */
} yh_alloc_sub_t;

/* Chooses subs[i].layer for every subscription. *used_bps (optional)
 * receives the total of the chosen layers, which can exceed the estimate
 * only by audio. Returns 0, or YH_EINVAL for n > YH_ALLOC_MAX_SUBS. */
int yh_bwe_allocate(uint64_t estimate_bps, yh_alloc_sub_t *subs, size_t n, uint64_t *used_bps);

#endif
