#include "base/rand.h"

#include <errno.h>
#include <sys/random.h>

#include "base/err.h"

int yh_rand_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return YH_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

uint32_t yh_rand_u32(void)
{
    uint32_t v = 0;
    (void)yh_rand_bytes(&v, sizeof v);
    return v;
}

int yh_rand_ice_chars(char *out, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t raw[256];
    if (len >= sizeof raw)
        return YH_ERANGE;
    int rc = yh_rand_bytes(raw, len);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[raw[i] & 63];
    out[len] = '\0';
    return 0;
}
