/* The yunhui-impair relay: sockets, client table, packet pool and release
 * heap (see impair_relay.h). */
#include "impair_relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "net/addr.h"

#define DEFAULT_POOL 8192
#define DEFAULT_CLIENTS 1024
#define DEFAULT_IDLE_MS 60000
#define MAX_POOL (1u << 20)
#define MAX_CLIENTS 65536

enum { C_FREE, C_OPEN, C_CLOSING };

typedef struct {
    uint64_t due_us, seq; /* heap key: release time, then arrival order */
    uint32_t client, gen; /* the client slot and its generation when queued */
    uint16_t len;
    uint8_t dir;
} pkt_t;

typedef struct {
    uv_udp_t sock; /* to and from the upstream */
    yh_impair_relay_t *r;
    struct sockaddr_storage addr; /* the client, as seen on the listen socket */
    uint64_t last_us;
    yh_impair_link_t link[2]; /* this client's own access link, per direction */
    uint32_t gen;
    int32_t next; /* hash chain when open, free list when free */
    uint8_t state;
} client_t;

struct yh_impair_relay {
    uv_loop_t *loop;
    uv_udp_t listen, control;
    uv_timer_t timer, sweep;
    int open_handles, closing, has_control;
    struct sockaddr_storage upstream;
    yh_impair_dir_t dir[2];
    uint32_t held[2];
    /* Packet pool: meta in pkts, payload in data[i * YH_IMPAIR_SLOT]. */
    pkt_t *pkts;
    uint8_t *data;
    uint32_t *free_pkts, n_free, pool_size;
    uint32_t *heap, heap_n;
    uint64_t seq;
    client_t *clients;
    int32_t *buckets, free_client;
    uint32_t max_clients, n_buckets, n_clients, idle_ms;
    char scratch[65536]; /* receives what the pool has no room for */
    char ctl_buf[YH_IMPAIR_CTL_MAX + 64];
};

static uint64_t now_us(void)
{
    return uv_hrtime() / 1000;
}

/* ---- release heap: pool indices ordered by (due_us, seq) ---- */

static int pkt_before(const yh_impair_relay_t *r, uint32_t a, uint32_t b)
{
    const pkt_t *x = &r->pkts[a], *y = &r->pkts[b];
    return x->due_us < y->due_us || (x->due_us == y->due_us && x->seq < y->seq);
}

static void heap_push(yh_impair_relay_t *r, uint32_t idx)
{
    uint32_t i = r->heap_n++;
    while (i && pkt_before(r, idx, r->heap[(i - 1) / 2])) {
        r->heap[i] = r->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    r->heap[i] = idx;
}

static uint32_t heap_pop(yh_impair_relay_t *r)
{
    uint32_t top = r->heap[0], last = r->heap[--r->heap_n], i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= r->heap_n)
            break;
        if (c + 1 < r->heap_n && pkt_before(r, r->heap[c + 1], r->heap[c]))
            c++;
        if (!pkt_before(r, r->heap[c], last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (r->heap_n)
        r->heap[i] = last;
    return top;
}

/* ---- sending ---- */

static void release(yh_impair_relay_t *r, uint32_t idx)
{
    pkt_t *p = &r->pkts[idx];
    yh_impair_dir_t *d = &r->dir[p->dir];
    client_t *c = &r->clients[p->client];
    r->held[p->dir]--;
    if (c->state != C_OPEN || c->gen != p->gen) {
        d->c.drop_gone++;
    } else {
        uv_buf_t b = uv_buf_init((char *)r->data + (size_t)idx * YH_IMPAIR_SLOT, p->len);
        int rc = p->dir == YH_IMPAIR_UP
                     ? uv_udp_try_send(&c->sock, &b, 1, (const struct sockaddr *)&r->upstream)
                     : uv_udp_try_send(&r->listen, &b, 1, (const struct sockaddr *)&c->addr);
        if (rc < 0) {
            d->c.drop_send++;
        } else {
            d->c.out++;
            d->c.bytes_out += p->len;
        }
    }
    r->free_pkts[r->n_free++] = idx;
}

static void on_timer(uv_timer_t *t);

/* Sends everything due, then arms the timer for the next packet. */
static void flush(yh_impair_relay_t *r)
{
    uint64_t now = now_us();
    while (r->heap_n && r->pkts[r->heap[0]].due_us <= now)
        release(r, heap_pop(r));
    if (r->closing)
        return;
    if (!r->heap_n) {
        uv_timer_stop(&r->timer);
        return;
    }
    uint64_t wait = (r->pkts[r->heap[0]].due_us - now + 999) / 1000;
    /* libuv timers count from the loop's cached time, which may be a little
     * behind; an early wake-up only re-arms. */
    uv_timer_start(&r->timer, on_timer, wait, 0);
}

static void on_timer(uv_timer_t *t)
{
    flush(t->data);
}

/* Queues pool slot `idx` holding `len` bytes for `c` in direction `dir`, or
 * returns it to the pool when the model drops it. */
static void admit(yh_impair_relay_t *r, client_t *c, int dir, uint32_t idx, size_t len)
{
    uint64_t now = now_us(), due;
    c->last_us = now;
    if (yh_impair_dir_admit(&r->dir[dir], &c->link[dir], now, len, &due) != YH_IMPAIR_PASS) {
        r->free_pkts[r->n_free++] = idx;
        return;
    }
    pkt_t *p = &r->pkts[idx];
    p->due_us = due;
    p->seq = r->seq++;
    p->client = (uint32_t)(c - r->clients);
    p->gen = c->gen;
    p->len = (uint16_t)len;
    p->dir = (uint8_t)dir;
    r->held[dir]++;
    int first = !r->heap_n || pkt_before(r, idx, r->heap[0]);
    heap_push(r, idx);
    if (due <= now || first)
        flush(r);
}

/* ---- receiving into the pool ---- */

static void pool_alloc(yh_impair_relay_t *r, uv_buf_t *buf)
{
    if (!r->n_free) {
        *buf = uv_buf_init(r->scratch, sizeof r->scratch);
        return;
    }
    uint32_t idx = r->free_pkts[--r->n_free];
    *buf = uv_buf_init((char *)r->data + (size_t)idx * YH_IMPAIR_SLOT, YH_IMPAIR_SLOT);
}

static void on_alloc_listen(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    pool_alloc(h->data, buf);
}

static void on_alloc_client(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    pool_alloc(((client_t *)h->data)->r, buf);
}

/* The pool slot of `buf`, or -1 for the scratch buffer (pool was empty). */
static int64_t slot_of(const yh_impair_relay_t *r, const uv_buf_t *buf)
{
    if (buf->base == r->scratch)
        return -1;
    return ((const uint8_t *)buf->base - r->data) / YH_IMPAIR_SLOT;
}

/* Common checks of a received datagram: 1 when it should be admitted, else
 * the slot has been returned and the drop counted. */
static int recv_ok(yh_impair_relay_t *r, int dir, ssize_t n, const uv_buf_t *buf, unsigned flags,
                   int64_t slot)
{
    if (n > 0 && (slot < 0 || (flags & UV_UDP_PARTIAL))) {
        /* Pool empty, or larger than a slot. */
        r->dir[dir].c.in++;
        r->dir[dir].c.drop_pool++;
    }
    if (n > 0 && slot >= 0 && !(flags & UV_UDP_PARTIAL) && !r->closing)
        return 1;
    if (slot >= 0)
        r->free_pkts[r->n_free++] = (uint32_t)slot;
    return 0;
}

/* ---- client table: a hash of open clients by address ---- */

static void on_client_closed(uv_handle_t *h);

static uint32_t bucket_of(const yh_impair_relay_t *r, const struct sockaddr *a)
{
    return (uint32_t)(yh_addr_hash(a) & (r->n_buckets - 1));
}

static client_t *client_find(yh_impair_relay_t *r, const struct sockaddr *a)
{
    for (int32_t i = r->buckets[bucket_of(r, a)]; i >= 0; i = r->clients[i].next)
        if (yh_addr_equal((const struct sockaddr *)&r->clients[i].addr, a))
            return &r->clients[i];
    return NULL;
}

static void on_client_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                           unsigned flags);
static void client_close(yh_impair_relay_t *r, client_t *c);

/* Socket buffers as the server's: with the default (about 90 datagrams)
 * a relay kept off the CPU for a moment would add loss nobody asked for. */
static void big_buffers(uv_udp_t *h)
{
    int size = 4 << 20;
    uv_recv_buffer_size((uv_handle_t *)h, &size);
    size = 4 << 20;
    uv_send_buffer_size((uv_handle_t *)h, &size);
}

/* A new client with its own upstream socket, or NULL when the table is full
 * or the socket cannot be opened. */
static client_t *client_open(yh_impair_relay_t *r, const struct sockaddr *a)
{
    if (r->free_client < 0)
        return NULL;
    client_t *c = &r->clients[r->free_client];
    struct sockaddr_storage any;
    memset(&any, 0, sizeof any);
    any.ss_family = r->upstream.ss_family;
    if (uv_udp_init(r->loop, &c->sock))
        return NULL;
    r->free_client = c->next;
    r->open_handles++;
    c->sock.data = c;
    c->state = C_OPEN;
    c->gen++;
    c->last_us = now_us();
    /* A reused slot must not inherit the previous client's queue. */
    memset(c->link, 0, sizeof c->link);
    memcpy(&c->addr, a, yh_addr_len(a));
    uint32_t b = bucket_of(r, a);
    c->next = r->buckets[b];
    r->buckets[b] = (int32_t)(c - r->clients);
    r->n_clients++;
    int bound = uv_udp_bind(&c->sock, (const struct sockaddr *)&any, 0) == 0;
    if (bound)
        big_buffers(&c->sock);
    if (!bound || uv_udp_recv_start(&c->sock, on_alloc_client, on_client_recv)) {
        client_close(r, c);
        return NULL;
    }
    return c;
}

/* Unlinks an open client and closes its socket; its slot is reused once the
 * close callback has run. Queued packets for it are dropped (drop_gone). */
static void client_close(yh_impair_relay_t *r, client_t *c)
{
    int32_t *pp = &r->buckets[bucket_of(r, (const struct sockaddr *)&c->addr)];
    while (*pp >= 0 && &r->clients[*pp] != c)
        pp = &r->clients[*pp].next;
    if (*pp >= 0)
        *pp = c->next;
    c->state = C_CLOSING;
    c->gen++;
    r->n_clients--;
    uv_close((uv_handle_t *)&c->sock, on_client_closed);
}

static void on_sweep(uv_timer_t *t)
{
    yh_impair_relay_t *r = t->data;
    uint64_t now = now_us();
    for (uint32_t i = 0; i < r->max_clients; i++) {
        client_t *c = &r->clients[i];
        if (c->state == C_OPEN && now - c->last_us > (uint64_t)r->idle_ms * 1000)
            client_close(r, c);
    }
}

/* ---- the two data paths ---- */

static void on_listen_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                           unsigned flags)
{
    yh_impair_relay_t *r = h->data;
    int64_t slot = slot_of(r, buf);
    if (!recv_ok(r, YH_IMPAIR_UP, n, buf, flags, slot))
        return;
    client_t *c = client_find(r, from);
    if (!c)
        c = client_open(r, from);
    if (!c) {
        r->dir[YH_IMPAIR_UP].c.in++;
        r->dir[YH_IMPAIR_UP].c.drop_gone++; /* client table full */
        r->free_pkts[r->n_free++] = (uint32_t)slot;
        return;
    }
    admit(r, c, YH_IMPAIR_UP, (uint32_t)slot, (size_t)n);
}

static void on_client_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                           unsigned flags)
{
    client_t *c = h->data;
    yh_impair_relay_t *r = c->r;
    int64_t slot = slot_of(r, buf);
    /* Only the upstream may speak through a client's socket. */
    if (from && !yh_addr_equal(from, (const struct sockaddr *)&r->upstream)) {
        if (slot >= 0)
            r->free_pkts[r->n_free++] = (uint32_t)slot;
        return;
    }
    if (!recv_ok(r, YH_IMPAIR_DOWN, n, buf, flags, slot))
        return;
    if (c->state != C_OPEN) {
        r->free_pkts[r->n_free++] = (uint32_t)slot;
        return;
    }
    admit(r, c, YH_IMPAIR_DOWN, (uint32_t)slot, (size_t)n);
}

/* ---- control ---- */

/* The longest link queue among open clients, per direction: the figure a
 * bench watches to see whether some receiver's capped link is backed up. */
static void queue_ms_max(const yh_impair_relay_t *r, uint64_t now, uint32_t out[2])
{
    out[0] = out[1] = 0;
    for (uint32_t i = 0; i < r->max_clients; i++) {
        const client_t *c = &r->clients[i];
        if (c->state != C_OPEN)
            continue;
        for (int d = 0; d < 2; d++) {
            uint32_t q = yh_impair_dir_queue_ms(&r->dir[d], &c->link[d], now);
            out[d] = q > out[d] ? q : out[d];
        }
    }
}

/* Error text for a JSON string: no quotes or backslashes to escape. */
static void json_safe(char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\\')
            *s = '\'';
}

int yh_impair_relay_command(yh_impair_relay_t *r, const char *cmd, size_t len, char *reply,
                            size_t cap)
{
    yh_impair_cfg_t cfg[2] = {r->dir[0].cfg, r->dir[1].cfg};
    char err[160];
    int actions, n;
    int rc = yh_impair_ctl_parse(cmd, len, cfg, &actions, err, sizeof err);
    if (rc) {
        json_safe(err);
        snprintf(reply, cap, "{\"ok\":false,\"error\":\"%s\"}", err);
        return rc;
    }
    uint64_t now = now_us();
    for (int d = 0; d < 2; d++) {
        yh_impair_dir_configure(&r->dir[d], &cfg[d], now);
        if (actions & YH_IMPAIR_ACT_ZERO)
            memset(&r->dir[d].c, 0, sizeof r->dir[d].c);
    }
    if (actions & YH_IMPAIR_ACT_STATS) {
        uint32_t queue_ms[2];
        queue_ms_max(r, now, queue_ms);
        n = yh_impair_stats_json(r->dir, r->held, queue_ms, r->n_clients, reply, cap);
    } else {
        n = snprintf(reply, cap, "{\"ok\":true}");
    }
    return n < 0 || (size_t)n >= cap ? YH_ENOSPACE : 0;
}

static void on_alloc_control(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    yh_impair_relay_t *r = h->data;
    *buf = uv_buf_init(r->ctl_buf, sizeof r->ctl_buf);
}

static void on_control_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
                            const struct sockaddr *from, unsigned flags)
{
    yh_impair_relay_t *r = h->data;
    char reply[2048];
    if (n < 0 || !from || r->closing)
        return;
    size_t len = (flags & UV_UDP_PARTIAL) ? sizeof r->ctl_buf : (size_t)n;
    yh_impair_relay_command(r, buf->base, len, reply, sizeof reply);
    uv_buf_t b = uv_buf_init(reply, (unsigned)strlen(reply));
    uv_udp_try_send(h, &b, 1, from);
}

/* ---- life cycle ---- */

static void relay_free(yh_impair_relay_t *r)
{
    free(r->pkts);
    free(r->data);
    free(r->free_pkts);
    free(r->heap);
    free(r->clients);
    free(r->buckets);
    free(r);
}

static void handle_gone(yh_impair_relay_t *r)
{
    if (--r->open_handles == 0 && r->closing)
        relay_free(r);
}

static void on_handle_closed(uv_handle_t *h)
{
    handle_gone(h->data);
}

static void on_client_closed(uv_handle_t *h)
{
    client_t *c = h->data;
    yh_impair_relay_t *r = c->r;
    c->state = C_FREE;
    c->next = r->free_client;
    r->free_client = (int32_t)(c - r->clients);
    handle_gone(r);
}

static int relay_alloc(yh_impair_relay_t *r, const yh_impair_opts_t *o)
{
    r->pool_size = o->pool_size ? o->pool_size : DEFAULT_POOL;
    r->max_clients = o->max_clients ? o->max_clients : DEFAULT_CLIENTS;
    r->idle_ms = o->idle_ms ? o->idle_ms : DEFAULT_IDLE_MS;
    if (r->pool_size > MAX_POOL || r->max_clients > MAX_CLIENTS)
        return YH_ERANGE;
    for (r->n_buckets = 16; r->n_buckets < 2 * r->max_clients; r->n_buckets *= 2)
        ;
    r->pkts = calloc(r->pool_size, sizeof *r->pkts);
    r->data = malloc((size_t)r->pool_size * YH_IMPAIR_SLOT);
    r->free_pkts = malloc(r->pool_size * sizeof *r->free_pkts);
    r->heap = malloc(r->pool_size * sizeof *r->heap);
    r->clients = calloc(r->max_clients, sizeof *r->clients);
    r->buckets = malloc(r->n_buckets * sizeof *r->buckets);
    if (!r->pkts || !r->data || !r->free_pkts || !r->heap || !r->clients || !r->buckets)
        return YH_ENOMEM;
    for (uint32_t i = 0; i < r->pool_size; i++)
        r->free_pkts[i] = r->pool_size - 1 - i;
    r->n_free = r->pool_size;
    for (uint32_t i = 0; i < r->n_buckets; i++)
        r->buckets[i] = -1;
    for (uint32_t i = 0; i < r->max_clients; i++) {
        r->clients[i].r = r;
        r->clients[i].next = i + 1 < r->max_clients ? (int32_t)i + 1 : -1;
    }
    r->free_client = 0;
    return 0;
}

/* Inits and binds one UDP handle of the relay; counted in open_handles. */
static int udp_open(yh_impair_relay_t *r, uv_udp_t *h, const struct sockaddr_storage *at,
                    uv_alloc_cb alloc, uv_udp_recv_cb recv)
{
    if (uv_udp_init(r->loop, h))
        return YH_EIO;
    h->data = r;
    r->open_handles++;
    if (uv_udp_bind(h, (const struct sockaddr *)at, 0))
        return YH_EIO;
    big_buffers(h);
    if (uv_udp_recv_start(h, alloc, recv))
        return YH_EIO;
    return 0;
}

int yh_impair_relay_create(uv_loop_t *loop, const yh_impair_opts_t *o, yh_impair_relay_t **out)
{
    yh_impair_relay_t *r = calloc(1, sizeof *r);
    if (!r)
        return YH_ENOMEM;
    r->loop = loop;
    r->upstream = o->upstream;
    uint64_t now = now_us();
    for (int d = 0; d < 2; d++) {
        yh_impair_dir_init(&r->dir[d], o->seed * 2 + (uint64_t)d, now);
        yh_impair_dir_configure(&r->dir[d], &o->cfg[d], now);
    }
    int rc = relay_alloc(r, o);
    if (rc) {
        relay_free(r);
        return rc;
    }
    uv_timer_init(loop, &r->timer);
    uv_timer_init(loop, &r->sweep);
    r->timer.data = r->sweep.data = r;
    r->open_handles += 2;
    rc = udp_open(r, &r->listen, &o->listen, on_alloc_listen, on_listen_recv);
    if (!rc && o->has_control) {
        r->has_control = 1;
        rc = udp_open(r, &r->control, &o->control, on_alloc_control, on_control_recv);
    }
    if (rc) {
        yh_impair_relay_close(r);
        return rc;
    }
    uint64_t every = r->idle_ms / 4 ? r->idle_ms / 4 : 1;
    uv_timer_start(&r->sweep, on_sweep, every, every);
    *out = r;
    return 0;
}

void yh_impair_relay_close(yh_impair_relay_t *r)
{
    if (!r || r->closing)
        return;
    r->closing = 1;
    for (uint32_t i = 0; i < r->max_clients; i++)
        if (r->clients[i].state == C_OPEN)
            client_close(r, &r->clients[i]);
    uv_close((uv_handle_t *)&r->timer, on_handle_closed);
    uv_close((uv_handle_t *)&r->sweep, on_handle_closed);
    if (r->listen.data)
        uv_close((uv_handle_t *)&r->listen, on_handle_closed);
    if (r->control.data)
        uv_close((uv_handle_t *)&r->control, on_handle_closed);
}

int yh_impair_relay_addr(const yh_impair_relay_t *r, int which, struct sockaddr_storage *out)
{
    const uv_udp_t *h = which == YH_IMPAIR_SOCK_CONTROL ? &r->control : &r->listen;
    int len = sizeof *out;
    if (which == YH_IMPAIR_SOCK_CONTROL && !r->has_control)
        return YH_ENOTFOUND;
    return uv_udp_getsockname(h, (struct sockaddr *)out, &len) ? YH_EIO : 0;
}
