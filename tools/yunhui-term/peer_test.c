/*
 * A peer connection whose network changes, and what a hostile client does
 * with its own checks: a new local port mid-call (with or without an ICE
 * restart) and a replayed nominating check. Used by the test options of
 * single mode (--test-rebind, --test-ice-restart, --test-replay-check).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/rand.h"
#include "peer_int.h"

/* A socket on a new ephemeral port, in a UDP object of its own. */
static yh_udp_t *fresh_socket(const yt_peer_t *p)
{
    yh_udp_t *u = yt__peer_udp_alloc();
    if (u && yh_udp_open(u, p->bind_ip, 0) < 0) {
        yt__peer_udp_free(u);
        return NULL;
    }
    return u;
}

int yt_peer_rebind(yt_peer_t *p)
{
    yh_udp_t *u = fresh_socket(p);
    if (!u)
        return YH_EIO;
    /* The new socket takes the old descriptor's number, so the poll
     * handle (and everything else keyed by it) stays; re-arming it
     * registers the new socket with the loop. */
    yh_udp_flush(p->udp);
    uv_poll_stop(&p->poll);
    int rc = dup3(u->fd, p->udp->fd, O_CLOEXEC) < 0 ? YH_EIO : 0;
    if (rc == 0)
        p->udp->port = u->port;
    yh_udp_close(u);
    yt__peer_udp_free(u);
    uv_poll_start(&p->poll, UV_READABLE, p->poll.poll_cb);
    if (rc < 0 || !p->have_remote)
        return rc;
    /* Nominate again from the new address (RFC 8445 7.2.5.3.4 leaves the
     * selected pair to the controlling agent: ours). */
    return yt__peer_ice_init(p, yh_now_us());
}

int yt_peer_restart_ice(yt_peer_t *p)
{
    int rc = yh_rand_ice_chars(p->ufrag, 8);
    if (rc == 0)
        rc = yh_rand_ice_chars(p->pwd, 24);
    if (rc == 0)
        p->restarting = 1;
    return rc;
}

int yt_peer_replay_check(yt_peer_t *p)
{
    if (!p->last_check_len || !p->have_remote)
        return YH_ESTATE;
    yh_udp_t *u = fresh_socket(p);
    if (!u)
        return YH_EIO;
    yh_udp_send(u, p->last_check, p->last_check_len, (const struct sockaddr *)&p->remote);
    yh_udp_flush(u);
    /* Whatever answers goes nowhere: the attacker's socket closes. */
    yh_udp_close(u);
    yt__peer_udp_free(u);
    return 0;
}

uint16_t yt_peer_port(const yt_peer_t *p)
{
    return p->udp->port;
}
