/*
 * Helpers shared by the RTCP packet files; not part of the module's API.
 */
#ifndef YH_RTCP_RTCP_PRIV_H
#define YH_RTCP_RTCP_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "rtcp/rtcp.h"

#define YH_RTCP_HDR_LEN 4
#define YH_RTCP_FB_LEN 8 /* sender SSRC + media SSRC (RFC 4585 6.1) */
#define YH_RTCP_ANY_FMT (-1)

/* Checks that `p` is a version 2 packet of type `pt` (and feedback message
 * type / count field `fmt`, unless YH_RTCP_ANY_FMT) and returns the bytes
 * after the 4-byte header with any RFC 3550 6.4.1 padding removed. The
 * view's length must match the header's length field.
 * Returns 0, YH_ETRUNC, YH_EPARSE, or YH_EUNSUPPORTED for another type. */
int yh_rtcp__body(const yh_rtcp_pkt_t *p, uint8_t pt, int fmt, const uint8_t **body, size_t *len);

/* Reads the feedback common header at the start of a body of >= 8 bytes. */
void yh_rtcp__read_fb(const uint8_t *body, yh_rtcp_fb_t *fb);

/* Writes a common header for a packet of `total` bytes (a multiple of 4,
 * at most 4 * 65536). */
void yh_rtcp__write_hdr(uint8_t *buf, uint8_t count, uint8_t pt, size_t total);

/* Writes header + sender and media SSRCs of a feedback packet. */
void yh_rtcp__write_fb(uint8_t *buf, uint8_t fmt, uint8_t pt, size_t total, uint32_t sender,
                       uint32_t media);

#endif
