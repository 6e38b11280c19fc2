/*
 * RTP payload for redundant audio data (RFC 2198), as Chromium sends it
 * for Opus: one or more earlier frames, then the current (primary) one.
 * Sans-I/O views over the payload; no allocation.
 */
#ifndef YH_RTP_RED_H
#define YH_RTP_RED_H

#include <stddef.h>
#include <stdint.h>

/* Finds the primary (last) block of a RED payload (`payload`, `len`: the
 * RTP payload without padding). Every block header and every block length
 * is checked against `len`. On success *off and *plen give the primary
 * block inside `payload` and *pt its payload type; returns the number of
 * redundant blocks before it (0: primary only). Returns YH_ETRUNC when a
 * header runs past the end (an empty payload, a cut header, no final
 * header) and YH_EPARSE when the blocks do not fit in the payload. */
int yh_red_primary(const uint8_t *payload, size_t len, size_t *off, size_t *plen, uint8_t *pt);

/* Rewrites, in place, the payload type of every block header equal to
 * `from` into `to` (7 bits; the F bit is kept), for a receiver that
 * numbers the redundant codec differently. Returns the number of headers
 * changed, or the error yh_red_primary would give (nothing changed then). */
int yh_red_map_pt(uint8_t *payload, size_t len, uint8_t from, uint8_t to);

#endif
