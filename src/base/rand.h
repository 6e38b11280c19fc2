/* Cryptographically strong random bytes from the kernel (getrandom). */
#ifndef YH_BASE_RAND_H
#define YH_BASE_RAND_H

#include <stddef.h>
#include <stdint.h>

int yh_rand_bytes(void *buf, size_t len);
uint32_t yh_rand_u32(void);
/* Fill `out` with `len` characters from [A-Za-z0-9+/] and a terminating NUL
 * (`out` holds len + 1 bytes): ICE ufrag/pwd alphabet (RFC 8839 ice-char). */
int yh_rand_ice_chars(char *out, size_t len);

#endif
