/* Socket address helpers shared by ICE, the workers and tools. */
#ifndef YH_NET_ADDR_H
#define YH_NET_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define YH_ADDR_STRLEN 64 /* "[v6]:port" fits */

/* 1 when family, address and port are equal. */
int yh_addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* A 64-bit hash of family, address and port (for 5-tuple lookup). */
uint64_t yh_addr_hash(const struct sockaddr *a);
socklen_t yh_addr_len(const struct sockaddr *a);
/* "ip:port" or "[ip]:port"; always NUL-terminated. */
const char *yh_addr_str(const struct sockaddr *a, char *out, size_t cap);
/* Parses an IPv4/IPv6 literal and port. 0 or YH_EPARSE. */
int yh_addr_parse(const char *ip, uint16_t port, struct sockaddr_storage *out);

#endif
