#include "net/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "net/addr.h"

int yh_udp_open(yh_udp_t *u, const char *ip, uint16_t port)
{
    memset(u, 0, sizeof *u);
    u->fd = -1;
    struct sockaddr_storage ss;
    if (yh_addr_parse(ip, port, &ss) < 0)
        return YH_EINVAL;
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return YH_EIO;
    /* Room for bursts while the worker is busy. SO_RCVBUF is capped at
     * net.core.rmem_max (208 KiB on a stock kernel: about 90 datagrams);
     * the FORCE variants pass the cap when the server may (root or
     * CAP_NET_ADMIN). */
    int size = 4 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    int got = 0;
    socklen_t gl = sizeof got;
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0 && got < size)
        YH_LOGW("udp", "receive buffer %d bytes (wanted %d): raise net.core.rmem_max", got, size);
    /* The kernel's receive time of each datagram (yh_udp_recv). */
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    /* Don't-fragment on, path MTU ignored (media packets stay under 1300
     * bytes): besides being right for media, a DF datagram on an
     * unconnected socket gets IP ID 0 instead of a hashed per-destination
     * ID, which was ~6 % of the send path in perf. */
    int pmtu = IP_PMTUDISC_PROBE;
    if (ss.ss_family == AF_INET)
        setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
    else
        setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof pmtu);
    if (bind(fd, (struct sockaddr *)&ss, yh_addr_len((struct sockaddr *)&ss)) < 0) {
        YH_LOGE("udp", "bind %s:%u: %s", ip, port, strerror(errno));
        close(fd);
        return YH_EIO;
    }
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    u->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    u->fd = fd;
    for (unsigned i = 0; i < YH_UDP_BATCH; i++) {
        u->riov[i].iov_base = u->rbuf[i];
        u->riov[i].iov_len = YH_UDP_BUFSZ;
        u->rmsg[i].msg_hdr.msg_iov = &u->riov[i];
        u->rmsg[i].msg_hdr.msg_iovlen = 1;
        u->rmsg[i].msg_hdr.msg_name = &u->raddr[i];
        u->rmsg[i].msg_hdr.msg_control = u->rctl[i].buf;
        u->smsg[i].msg_hdr.msg_iov = &u->siov[i];
        u->smsg[i].msg_hdr.msg_iovlen = 1;
        u->smsg[i].msg_hdr.msg_name = &u->saddr[i];
        u->siov[i].iov_base = u->sbuf[i];
    }
    return 0;
}

void yh_udp_close(yh_udp_t *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
}

int yh_udp_recv(yh_udp_t *u)
{
    for (unsigned i = 0; i < YH_UDP_BATCH; i++) {
        u->rmsg[i].msg_hdr.msg_namelen = sizeof u->raddr[i];
        u->rmsg[i].msg_hdr.msg_flags = 0;
        u->rmsg[i].msg_hdr.msg_controllen = sizeof u->rctl[i].buf;
    }
    int n = recvmmsg(u->fd, u->rmsg, YH_UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : YH_EIO;
    u->stats.rx_batches++;
    u->stats.rx_packets += (uint64_t)n;
    /* The kernel stamps on CLOCK_REALTIME; one offset per batch maps the
     * stamps to the monotonic clock. */
    uint64_t now = yh_now_us();
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    int64_t rt_now = (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000;
    for (int i = 0; i < n; i++) {
        u->stats.rx_bytes += u->rmsg[i].msg_len;
        u->rx_us[i] = now;
        struct msghdr *m = &u->rmsg[i].msg_hdr;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
                continue;
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            int64_t age = rt_now - ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
            /* A wall-clock step between the stamp and now: keep `now`. */
            if (age >= 0 && age < 1000000)
                u->rx_us[i] = now - (uint64_t)age;
        }
    }
    return n;
}

uint8_t *yh_udp_slot(yh_udp_t *u)
{
    if (u->nsend == YH_UDP_BATCH)
        yh_udp_flush(u);
    return u->sbuf[u->nsend];
}

void yh_udp_commit(yh_udp_t *u, size_t len, const struct sockaddr *to)
{
    unsigned i = u->nsend;
    socklen_t al = yh_addr_len(to);
    memcpy(&u->saddr[i], to, al);
    u->smsg[i].msg_hdr.msg_namelen = al;
    u->siov[i].iov_len = len;
    u->nsend++;
}

void yh_udp_send(yh_udp_t *u, const uint8_t *data, size_t len, const struct sockaddr *to)
{
    if (len > YH_UDP_BUFSZ)
        return;
    uint8_t *slot = yh_udp_slot(u);
    memcpy(slot, data, len);
    yh_udp_commit(u, len, to);
}

void yh_udp_flush(yh_udp_t *u)
{
    unsigned off = 0;
    while (off < u->nsend) {
        int n = sendmmsg(u->fd, u->smsg + off, u->nsend - off, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* The datagram at `off` cannot be sent (buffer full, or the
             * destination is unreachable): drop it, keep the rest. */
            u->stats.tx_dropped++;
            off++;
            continue;
        }
        u->stats.tx_batches++;
        for (int i = 0; i < n; i++)
            u->stats.tx_bytes += u->siov[off + (unsigned)i].iov_len;
        u->stats.tx_packets += (uint64_t)n;
        off += (unsigned)n;
    }
    u->nsend = 0;
}
