/* Bounded string helpers. */
#ifndef YH_BASE_STR_H
#define YH_BASE_STR_H

#include <stddef.h>
#include <string.h>

#include "base/err.h"

/* Copies `src` with its NUL into `dst`, which holds `max` characters plus
 * the NUL. YH_ERANGE (nothing copied) when `src` is longer. */
static inline int yh_str_copy(char *dst, size_t max, const char *src)
{
    size_t n = strlen(src);
    if (n > max)
        return YH_ERANGE;
    memcpy(dst, src, n + 1);
    return 0;
}

#endif
