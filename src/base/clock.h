/* Clocks: monotonic microseconds for timers, NTP time for RTCP. */
#ifndef YH_BASE_CLOCK_H
#define YH_BASE_CLOCK_H

#include <stdint.h>

/* Monotonic time in microseconds. */
uint64_t yh_now_us(void);

/* Wall-clock time as a 64-bit NTP timestamp (RFC 3550 section 4). */
uint64_t yh_ntp_now(void);

/* Convert between NTP timestamps and the monotonic clock's microseconds
 * using one sample of both clocks (taken at the call). */
uint64_t yh_ntp_from_us(uint64_t mono_us);

#endif
