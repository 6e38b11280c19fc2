/*
 * A non-blocking UDP socket with batched I/O: one recvmmsg fills up to
 * YH_UDP_BATCH receive buffers, and outgoing datagrams are written straight
 * into send slots and leave in one sendmmsg per flush. The buffers are part
 * of the object, so the packet path never allocates.
 */
#ifndef YH_NET_UDP_H
#define YH_NET_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define YH_UDP_BATCH 64
#define YH_UDP_BUFSZ 2048

typedef struct yh_udp_stats {
    uint64_t rx_packets, rx_bytes, rx_batches;
    uint64_t tx_packets, tx_bytes, tx_batches, tx_dropped;
} yh_udp_stats_t;

typedef struct yh_udp {
    int fd;
    uint16_t port;
    /* Receive side: filled by yh_udp_recv. */
    struct mmsghdr rmsg[YH_UDP_BATCH];
    struct iovec riov[YH_UDP_BATCH];
    struct sockaddr_storage raddr[YH_UDP_BATCH];
    uint8_t rbuf[YH_UDP_BATCH][YH_UDP_BUFSZ];
    /* When each datagram reached the socket, on yh_now_us's clock: the
     * kernel's receive timestamp (SO_TIMESTAMPNS), or the time of the
     * recvmmsg when there is none. Arrival times reported to senders
     * (TWCC) must not include how long the datagram waited to be read. */
    uint64_t rx_us[YH_UDP_BATCH];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct timespec))];
    } rctl[YH_UDP_BATCH];
    /* Send side: slots [0, nsend) are committed and wait for a flush. */
    struct mmsghdr smsg[YH_UDP_BATCH];
    struct iovec siov[YH_UDP_BATCH];
    struct sockaddr_storage saddr[YH_UDP_BATCH];
    uint8_t sbuf[YH_UDP_BATCH][YH_UDP_BUFSZ];
    unsigned nsend;
    yh_udp_stats_t stats;
} yh_udp_t;

/* Opens and binds; `port` 0 picks a free port (see u->port). */
int yh_udp_open(yh_udp_t *u, const char *ip, uint16_t port);
void yh_udp_close(yh_udp_t *u);

/* One recvmmsg. Returns the number of datagrams (0 when none is waiting)
 * or YH_EIO; datagram i is rbuf[i], rmsg[i].msg_len bytes, from raddr[i]. */
int yh_udp_recv(yh_udp_t *u);

/* The buffer of the next send slot (YH_UDP_BUFSZ bytes), flushing first
 * when every slot is taken. */
uint8_t *yh_udp_slot(yh_udp_t *u);
/* Commits the slot returned by yh_udp_slot with `len` bytes to `to`. */
void yh_udp_commit(yh_udp_t *u, size_t len, const struct sockaddr *to);
/* Copies `data` into a slot and commits it. */
void yh_udp_send(yh_udp_t *u, const uint8_t *data, size_t len, const struct sockaddr *to);
/* Sends every committed slot (one sendmmsg, repeated on partial sends);
 * datagrams the kernel refuses (EAGAIN, errors) are counted and dropped. */
void yh_udp_flush(yh_udp_t *u);

#endif
