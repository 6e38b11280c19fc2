#include "base/clock.h"

#include <time.h>

#define NTP_UNIX_OFFSET 2208988800ULL

uint64_t yh_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t ntp_of(const struct timespec *ts)
{
    uint64_t frac = ((uint64_t)ts->tv_nsec << 32) / 1000000000u;
    return ((uint64_t)ts->tv_sec + NTP_UNIX_OFFSET) << 32 | frac;
}

uint64_t yh_ntp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ntp_of(&ts);
}

uint64_t yh_ntp_from_us(uint64_t mono_us)
{
    uint64_t now_us = yh_now_us();
    uint64_t ntp = yh_ntp_now();
    int64_t delta_us = (int64_t)(mono_us - now_us);
    /* One microsecond is 2^32 / 10^6 NTP fraction units. */
    int64_t delta_ntp = (delta_us * 4294967296LL) / 1000000LL;
    return (uint64_t)((int64_t)ntp + delta_ntp);
}
