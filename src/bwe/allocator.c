#include "bwe/allocator.h"

#include "base/err.h"

/* Highest layer index the receiver allows and the publisher sends. */
static int top_layer(const yh_alloc_sub_t *s)
{
    int top = s->n_layers < YH_ALLOC_MAX_LAYERS ? s->n_layers : YH_ALLOC_MAX_LAYERS;
    top--;
    if (s->max_layer < top)
        top = s->max_layer;
    return top;
}

/* The next layer above `from` that is being sent, or -1. */
static int next_layer(const yh_alloc_sub_t *s, int from)
{
    for (int l = from + 1; l <= top_layer(s); l++) {
        if (s->layer_bps[l])
            return l;
    }
    return -1;
}

static uint64_t cost(const yh_alloc_sub_t *s, int layer)
{
    return layer < 0 ? 0 : s->layer_bps[layer];
}

/* Gives `s` the highest layer (up to its cap) that fits `*left`. */
static void fill_best(yh_alloc_sub_t *s, uint64_t *left)
{
    int best = YH_ALLOC_PAUSED;
    for (int l = next_layer(s, -1); l >= 0; l = next_layer(s, l)) {
        if (s->layer_bps[l] <= *left)
            best = l;
    }
    s->layer = (int8_t)best;
    *left -= cost(s, best);
}

static int is_class(const yh_alloc_sub_t *s, int cls)
{
    switch (cls) {
    case 0:
        return s->kind == YH_ALLOC_SCREEN && s->priority;
    case 1:
        return s->kind == YH_ALLOC_SCREEN && !s->priority;
    case 2:
        return s->kind == YH_ALLOC_VIDEO && s->priority;
    default:
        return s->kind == YH_ALLOC_VIDEO && !s->priority;
    }
}

/* The rest share fairly: everyone's lowest layer first, then one step up
 * each, round robin, while something still fits. */
static void share_rest(yh_alloc_sub_t *subs, size_t n, uint64_t *left)
{
    for (size_t i = 0; i < n; i++) {
        yh_alloc_sub_t *s = &subs[i];
        if (!is_class(s, 3))
            continue;
        int l = next_layer(s, -1);
        if (l >= 0 && s->layer_bps[l] <= *left) {
            s->layer = (int8_t)l;
            *left -= s->layer_bps[l];
        }
    }
    for (int progress = 1; progress;) {
        progress = 0;
        for (size_t i = 0; i < n; i++) {
            yh_alloc_sub_t *s = &subs[i];
            if (!is_class(s, 3) || s->layer == YH_ALLOC_PAUSED)
                continue;
            int l = next_layer(s, s->layer);
            uint64_t extra = l < 0 ? 0 : s->layer_bps[l] - cost(s, s->layer);
            if (l >= 0 && s->layer_bps[l] >= cost(s, s->layer) && extra <= *left) {
                *left -= extra;
                s->layer = (int8_t)l;
                progress = 1;
            }
        }
    }
}

int yh_bwe_allocate(uint64_t estimate_bps, yh_alloc_sub_t *subs, size_t n, uint64_t *used_bps)
{
    if (n > YH_ALLOC_MAX_SUBS || (n && !subs))
        return YH_EINVAL;
    uint64_t left = estimate_bps, audio = 0;
    for (size_t i = 0; i < n; i++) {
        yh_alloc_sub_t *s = &subs[i];
        s->layer = YH_ALLOC_PAUSED;
        if (s->kind != YH_ALLOC_AUDIO || s->max_layer == YH_ALLOC_PAUSED)
            continue;
        /* Audio is never dropped for bandwidth: it is small, and a meeting
         * without it is over. */
        s->layer = 0;
        audio += s->layer_bps[0];
    }
    left = left > audio ? left - audio : 0;
    uint64_t video_budget = left;
    /* Screen shares (spotlighted first), then the priority video, each
     * taking the best layer that fits before anyone after it. */
    for (int cls = 0; cls < 3; cls++) {
        for (size_t i = 0; i < n; i++) {
            if (is_class(&subs[i], cls))
                fill_best(&subs[i], &left);
        }
    }
    share_rest(subs, n, &left);
    if (used_bps)
        *used_bps = audio + (video_budget - left);
    return 0;
}
