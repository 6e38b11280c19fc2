/*
 * Retransmission buffer of one incoming stream: the last N packets by
 * sequence number (N a power of two), so NACKs from subscribers are answered
 * without asking the publisher. All memory is allocated at create time; put
 * and get never allocate.
 */
#ifndef YH_RTP_RTXBUF_H
#define YH_RTP_RTXBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct yh_rtxbuf yh_rtxbuf_t;

/* `slots` is rounded up to a power of two; packets longer than
 * `max_packet` are not stored. Returns NULL when out of memory. */
yh_rtxbuf_t *yh_rtxbuf_create(size_t slots, size_t max_packet);
void yh_rtxbuf_destroy(yh_rtxbuf_t *b);

/* Stores a copy of a plain (decrypted) RTP packet under `seq`. */
void yh_rtxbuf_put(yh_rtxbuf_t *b, uint16_t seq, const uint8_t *pkt, size_t len,
                   uint64_t now_us);

/* Looks a packet up; *pkt is borrowed until the next put. Returns 0 or
 * YH_ENOTFOUND when never stored or overwritten. */
int yh_rtxbuf_get(const yh_rtxbuf_t *b, uint16_t seq, const uint8_t **pkt, size_t *len,
                  uint64_t *stored_us);

#endif
