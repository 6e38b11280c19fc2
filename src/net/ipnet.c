#include "net/ipnet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int yh_ipnet_is_v4(const uint8_t a[16])
{
    return memcmp(a, v4_mapped, sizeof v4_mapped) == 0;
}

int yh_ipnet_bytes(const struct sockaddr *sa, uint8_t out[16])
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const void *)sa;
        memcpy(out, v4_mapped, sizeof v4_mapped);
        memcpy(out + 12, &v4->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const void *)sa;
        memcpy(out, &v6->sin6_addr, 16);
        return 0;
    }
    return YH_EINVAL;
}

/* Zeroes the bits past `prefix`. */
static void mask(uint8_t a[16], unsigned prefix)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
        a[i] &= (uint8_t)(0xff00u >> keep);
    }
}

int yh_ipnet_parse(const char *s, yh_ipnet_t *out)
{
    char ip[YH_IPNET_STRLEN];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof ip)
        return YH_EPARSE;
    memcpy(ip, s, n);
    ip[n] = '\0';
    memset(out, 0, sizeof *out);
    unsigned max;
    if (inet_pton(AF_INET, ip, out->addr + 12) == 1) {
        memcpy(out->addr, v4_mapped, sizeof v4_mapped);
        max = 32;
    } else if (inet_pton(AF_INET6, ip, out->addr) == 1) {
        max = 128;
    } else {
        return YH_EPARSE;
    }
    unsigned long prefix = max;
    if (slash) {
        char *end;
        const char *p = slash + 1;
        /* Decimal digits only: strtoul would take signs and spaces. */
        if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 3)
            return YH_EPARSE;
        prefix = strtoul(p, &end, 10);
        if (prefix > max)
            return YH_EPARSE;
    }
    out->prefix = (uint8_t)(prefix + (max == 32 ? 96 : 0));
    mask(out->addr, out->prefix);
    return 0;
}

int yh_ipnet_match(const yh_ipnet_t *n, const struct sockaddr *sa)
{
    uint8_t a[16];
    if (yh_ipnet_bytes(sa, a) < 0)
        return 0;
    mask(a, n->prefix);
    return memcmp(a, n->addr, 16) == 0;
}
