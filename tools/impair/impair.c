/*
 * yunhui-impair: a UDP relay that impairs what it relays (loss, outages,
 * delay, jitter, a rate limit with a queue), for testing the server on a
 * kernel without netem. This file is the command line only; impair_relay.c
 * and impair_core.c do the work (docs/internals/impair.md).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/rand.h"
#include "impair_relay.h"
#include "net/addr.h"

static const char usage[] =
    "Usage: yunhui-impair --listen IP:PORT --upstream IP:PORT [options]\n"
    "\n"
    "Relays UDP: datagrams from clients at --listen go to --upstream from one\n"
    "socket per client (the server sees each client's own address and port);\n"
    "replies go back to that client from --listen. Idle clients are forgotten\n"
    "after 60 s; at most 1024 at a time.\n"
    "\n"
    "  --control IP:PORT     UDP control socket: one text command per datagram,\n"
    "                        e.g. \"down-rate 500\", \"loss 5\", \"clear\", \"stats\",\n"
    "                        \"zero\"; the reply is JSON\n"
    "  --seed N              random seed (default: random, printed at start)\n"
    "  --help                this text\n"
    "\n"
    "Impairments; each sets both directions, or one with the prefix up-\n"
    "(client to server) or down- (server to client), e.g. --down-rate 300:\n"
    "  --loss PCT            random loss, 0..100 (decimals allowed)\n"
    "  --burst-loss PCT:MS   outages of MS ms taking PCT% of the time, periodic\n"
    "                        (10:200 drops everything for 200 ms every 2 s)\n"
    "  --delay MS            added delay\n"
    "  --jitter MS           uniform +-MS on the delay; order is kept unless\n"
    "  --reorder             is given\n"
    "  --rate KBPS           rate limit (0: none)\n"
    "  --queue MS            longest queue before the rate limit, then tail\n"
    "                        drop (default 100)\n"
    "\n"
    "Exit status: 0 after SIGINT/SIGTERM, 2 usage, 1 other errors.\n";

/* "IP:PORT" or "[IPv6]:PORT". */
static int parse_hostport(const char *v, struct sockaddr_storage *out)
{
    char ip[64];
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof ip)
        return YH_EPARSE;
    const char *start = v, *end = colon;
    if (*v == '[') {
        if (end[-1] != ']')
            return YH_EPARSE;
        start++;
        end--;
    }
    memcpy(ip, start, (size_t)(end - start));
    ip[end - start] = '\0';
    char *stop;
    unsigned long port = strtoul(colon + 1, &stop, 10);
    if (!colon[1] || *stop || port > 65535)
        return YH_EPARSE;
    return yh_addr_parse(ip, (uint16_t)port, out);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "yunhui-impair: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see --help)\n");
    return 2;
}

/* One "--name [value]" at argv[*i]; *i ends on the last argument used. */
static int parse_arg(int argc, char **argv, int *i, yh_impair_opts_t *o, int *have)
{
    const char *name = argv[*i] + 2;
    if (strncmp(argv[*i], "--", 2))
        return usage_error("unexpected argument \"%s\"", argv[*i]);
    if (!strcmp(name, "help")) {
        fputs(usage, stdout);
        exit(0);
    }
    int flag = yh_impair_cfg_is_flag(name);
    if (flag == 1)
        return yh_impair_cfg_set(o->cfg, name, NULL) ? 2 : 0;
    if (*i + 1 >= argc)
        return usage_error("%s needs a value", argv[*i]);
    const char *v = argv[++*i];
    if (flag == 0)
        return yh_impair_cfg_set(o->cfg, name, v) ? usage_error("bad value \"%s\"", v) : 0;
    if (!strcmp(name, "seed")) {
        char *stop;
        o->seed = strtoull(v, &stop, 10);
        return *v && !*stop ? 0 : usage_error("bad seed \"%s\"", v);
    }
    struct sockaddr_storage *dst = !strcmp(name, "listen")     ? &o->listen
                                   : !strcmp(name, "upstream") ? &o->upstream
                                   : !strcmp(name, "control")  ? &o->control
                                                               : NULL;
    if (!dst)
        return usage_error("unknown option \"%s\"", argv[*i - 1]);
    if (parse_hostport(v, dst))
        return usage_error("bad address \"%s\" (IP:PORT)", v);
    *have |= dst == &o->listen ? 1 : dst == &o->upstream ? 2 : 4;
    return 0;
}

typedef struct {
    yh_impair_relay_t *relay;
    uv_signal_t sigs[2];
} run_t;

/* SIGINT or SIGTERM: close everything so uv_run returns. */
static void on_signal(uv_signal_t *s, int signum)
{
    run_t *run = s->data;
    yh_impair_relay_close(run->relay);
    for (int i = 0; i < 2; i++)
        uv_close((uv_handle_t *)&run->sigs[i], NULL);
}

int main(int argc, char **argv)
{
    yh_impair_opts_t o;
    memset(&o, 0, sizeof o);
    yh_impair_cfg_init(&o.cfg[0]);
    yh_impair_cfg_init(&o.cfg[1]);
    o.seed = yh_rand_u32();
    int have = 0;
    for (int i = 1; i < argc; i++) {
        int rc = parse_arg(argc, argv, &i, &o, &have);
        if (rc)
            return rc;
    }
    if ((have & 3) != 3)
        return usage_error("%s", "--listen and --upstream are required");
    o.has_control = (have & 4) != 0;
    signal(SIGPIPE, SIG_IGN);

    uv_loop_t *loop = uv_default_loop();
    yh_impair_relay_t *r;
    int rc = yh_impair_relay_create(loop, &o, &r);
    if (rc) {
        fprintf(stderr, "yunhui-impair: cannot start: %s\n", yh_strerror(rc));
        return 1;
    }
    char a[YH_ADDR_STRLEN], b[YH_ADDR_STRLEN], c[YH_ADDR_STRLEN];
    fprintf(stderr, "yunhui-impair: %s -> %s, control %s, seed %llu\n",
            yh_addr_str((const struct sockaddr *)&o.listen, a, sizeof a),
            yh_addr_str((const struct sockaddr *)&o.upstream, b, sizeof b),
            o.has_control ? yh_addr_str((const struct sockaddr *)&o.control, c, sizeof c) : "none",
            (unsigned long long)o.seed);
    run_t run = {.relay = r};
    for (int i = 0; i < 2; i++) {
        uv_signal_init(loop, &run.sigs[i]);
        run.sigs[i].data = &run;
        uv_signal_start(&run.sigs[i], on_signal, i ? SIGTERM : SIGINT);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return 0;
}
