/*
 * RFC 2198 section 3: a RED payload is a list of block headers, then the
 * blocks in the same order.
 *
 *   F=1:  |1| block PT (7) | timestamp offset (14) | block length (10) |
 *   F=0:  |0| block PT (7) |          the last (primary) block
 *
 * The primary block has no length field: it runs to the end of the payload
 * after the redundant blocks.
 */
#include "rtp/red.h"

#include "base/bytes.h"
#include "base/err.h"

#define RED_HDR_LEN 4
#define RED_LAST_HDR_LEN 1

/* Walks the headers: on success *n_red redundant headers (4 bytes each)
 * precede the final one and their blocks take *red_bytes. */
static int walk(const uint8_t *p, size_t len, size_t *n_red, size_t *red_bytes)
{
    size_t off = 0, bytes = 0;
    for (;;) {
        if (off >= len)
            return YH_ETRUNC;
        if (!(p[off] & 0x80))
            break;
        if (len - off < RED_HDR_LEN)
            return YH_ETRUNC;
        bytes += rd_be16(p + off + 2) & 0x3ff;
        off += RED_HDR_LEN;
    }
    /* Headers, redundant blocks and the final header must all fit; the
     * primary block takes what is left (possibly nothing). */
    if (bytes > len - off - RED_LAST_HDR_LEN)
        return YH_EPARSE;
    *n_red = off / RED_HDR_LEN;
    *red_bytes = bytes;
    return 0;
}

int yh_red_primary(const uint8_t *payload, size_t len, size_t *off, size_t *plen, uint8_t *pt)
{
    size_t n, bytes;
    int rc = walk(payload, len, &n, &bytes);
    if (rc < 0)
        return rc;
    size_t hdrs = n * RED_HDR_LEN + RED_LAST_HDR_LEN;
    *pt = payload[hdrs - 1] & 0x7f;
    *off = hdrs + bytes;
    *plen = len - *off;
    return n > (size_t)INT32_MAX ? YH_ERANGE : (int)n;
}

int yh_red_map_pt(uint8_t *payload, size_t len, uint8_t from, uint8_t to)
{
    size_t n, bytes;
    int rc = walk(payload, len, &n, &bytes), changed = 0;
    if (rc < 0)
        return rc;
    for (size_t i = 0; i <= n; i++) {
        uint8_t *h = payload + i * RED_HDR_LEN;
        if ((*h & 0x7f) == (from & 0x7f)) {
            *h = (uint8_t)((*h & 0x80) | (to & 0x7f));
            changed++;
        }
    }
    return changed;
}
