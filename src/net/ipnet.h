/*
 * IP networks ("192.0.2.7", "127.0.0.0/8", "2001:db8::/32") and the
 * 16-byte form addresses are compared in: IPv6 as is, IPv4 as the
 * IPv4-mapped IPv6 address ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2), so
 * a v4 client reaching a dual-stack socket matches its v4 network.
 */
#ifndef YH_NET_IPNET_H
#define YH_NET_IPNET_H

#include <stdint.h>
#include <sys/socket.h>

#define YH_IPNET_STRLEN 64 /* "ffff:...:ffff/128" fits */

typedef struct yh_ipnet {
    uint8_t addr[16]; /* host bits beyond the prefix are zero */
    uint8_t prefix;   /* 0..128, in the 16-byte form */
} yh_ipnet_t;

/* "IP" (one address) or "IP/PREFIX" (0-32 for IPv4, 0-128 for IPv6).
 * 0 or YH_EPARSE. */
int yh_ipnet_parse(const char *s, yh_ipnet_t *out);
/* 1 when the address of `sa` (AF_INET or AF_INET6; the port is ignored)
 * is inside `n`. */
int yh_ipnet_match(const yh_ipnet_t *n, const struct sockaddr *sa);
/* The 16-byte form of the address of `sa`; YH_EINVAL for another family. */
int yh_ipnet_bytes(const struct sockaddr *sa, uint8_t out[16]);
/* 1 when the 16-byte form is an IPv4-mapped address. */
int yh_ipnet_is_v4(const uint8_t a[16]);

#endif
