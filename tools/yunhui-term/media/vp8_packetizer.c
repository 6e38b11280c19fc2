/*
 * VP8 RTP packetization (RFC 7741 section 4). Every packet carries the
 * 4-byte payload descriptor of section 4.2:
 *
 *   |X|R|N|S|R| PID |   X=1, S=1 on the frame's first packet, PID=0
 *   |I|L|T|K| RSV   |   I=1: a picture id follows
 *   |M| PictureID   |   M=1: 15-bit picture id
 *   |   PictureID   |
 *
 * The whole frame is treated as partition 0 (section 4.4 allows a
 * packetizer to ignore partition boundaries), split into fragments of equal
 * size (within one byte) so no packet is a tiny tail.
 */
#include <string.h>

#include "base/err.h"
#include "media/media.h"
#include "rtp/rtp.h"

#define DESC_LEN 4

int yt_vp8_packetize(yt_vp8_packetizer_t *p, const uint8_t *frame, size_t len,
                     size_t max_payload, yt_payload_fn emit, void *ctx)
{
    /* One packet's worth on the stack: nothing allocated per packet. */
    uint8_t buf[YH_RTP_MAX_PACKET];
    if (!p || !frame || !emit || len == 0)
        return YH_EINVAL;
    if (max_payload <= DESC_LEN || max_payload > sizeof(buf))
        return YH_EINVAL;
    size_t room = max_payload - DESC_LEN;
    size_t n = (len + room - 1) / room;
    size_t base = len / n, extra = len % n, off = 0;
    uint16_t pid = p->picture_id & 0x7FFF;

    for (size_t i = 0; i < n; i++) {
        size_t chunk = base + (i < extra ? 1 : 0);
        buf[0] = (uint8_t)(0x80 | (i == 0 ? 0x10 : 0));
        buf[1] = 0x80;
        buf[2] = (uint8_t)(0x80 | pid >> 8);
        buf[3] = (uint8_t)pid;
        memcpy(buf + DESC_LEN, frame + off, chunk);
        off += chunk;
        emit(ctx, buf, DESC_LEN + chunk, i + 1 == n);
    }
    p->picture_id = (uint16_t)((pid + 1) & 0x7FFF);
    return 0;
}
