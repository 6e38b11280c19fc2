/*
 * yunhui: the server program. Everything lives in yunhui_core; this file
 * parses the configuration, wires the modules together on the control
 * loop (http -> api/signal -> store, signal -> sfu), and takes them down
 * again on SIGINT or SIGTERM. `yunhui --add-host USER` instead creates a
 * host account and exits.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#include "app/config.h"
#include "auth/auth.h"
#include "base/err.h"
#include "base/log.h"
#include "dtls/dtls.h"
#include "http/api.h"
#include "http/http.h"
#include "sfu/sfu.h"
#include "signal/signal.h"
#include "srtp/srtp.h"
#include "store/store.h"

#define MOD "main"

extern char **environ;

typedef struct app {
    const yh_config_t *cfg;
    uv_loop_t *loop;
    yh_dtls_cert_t *cert;
    yh_signal_t *signal;
    yh_sfu_t *sfu;
    yh_http_t *http;
    yh_store_t *store;
    yh_auth_secret_t secret;
    yh_api_t *api;
    uv_timer_t heartbeat; /* yh_store_heartbeat every YH_STORE_HEARTBEAT_MS */
    int heartbeat_on;
    uv_signal_t sigint, sigterm;
} app_t;

/* The database and the token secret, both in the data directory unless
 * the secret file is configured elsewhere. */
static int start_store(app_t *a)
{
    const yh_config_t *cfg = a->cfg;
    char path[YH_CONFIG_PATH_MAX + 16];
    int rc = yh_store_open(cfg->data_dir, &a->store);
    if (rc) {
        YH_LOGE(MOD, "data directory %s: %s", cfg->data_dir, yh_strerror(rc));
        return rc;
    }
    if (cfg->secret_file[0])
        snprintf(path, sizeof path, "%s", cfg->secret_file);
    else
        snprintf(path, sizeof path, "%s/secret", cfg->data_dir);
    if ((rc = yh_auth_secret_load(path, 1, &a->secret)))
        YH_LOGE(MOD, "server secret %s: %s", path, yh_strerror(rc));
    return rc;
}

static void on_heartbeat(uv_timer_t *t)
{
    app_t *a = t->data;
    yh_store_heartbeat(a->store, yh_store_now_ms());
}

static void api_meeting_ended(void *ctx, const char *number)
{
    app_t *a = ctx;
    /* YH_ENOTFOUND: nobody is in it, nothing to tell. */
    yh_signal_meeting_end(a->signal, number);
}

static int api_meeting_count(void *ctx, const char *number)
{
    app_t *a = ctx;
    return (int)yh_signal_meeting_count(a->signal, number);
}

static int start_api(app_t *a)
{
    const yh_config_t *cfg = a->cfg;
    yh_api_config_t acfg = {
        .store = a->store,
        .secret = &a->secret,
        .admin_key = cfg->admin_key,
        .loop = a->loop,
        .http = a->http,
        .meeting_ended = api_meeting_ended,
        .meeting_count = api_meeting_count,
        .hook_ctx = a,
    };
    if (!cfg->admin_key[0])
        YH_LOGI(MOD, "admin API disabled (no --admin-key or YUNHUI_ADMIN_KEY): "
                     "admin routes answer 403");
    int rc = yh_api_create(&acfg, &a->api);
    if (rc) {
        YH_LOGE(MOD, "http api: %s", yh_strerror(rc));
        return rc;
    }
    yh_api_attach(a->api, a->http);
    uv_timer_init(a->loop, &a->heartbeat);
    a->heartbeat.data = a;
    uv_timer_start(&a->heartbeat, on_heartbeat, YH_STORE_HEARTBEAT_MS, YH_STORE_HEARTBEAT_MS);
    a->heartbeat_on = 1;
    return 0;
}

static int start_signal_and_sfu(app_t *a)
{
    const yh_config_t *cfg = a->cfg;
    yh_signal_config_t scfg = {
        .n_candidate_ips = cfg->n_announce,
        .media_port = cfg->media_port,
        .fingerprint = yh_dtls_cert_fingerprint(a->cert),
        .max_participants = 0, /* no limit yet */
        .no_adhoc = !cfg->open_meetings,
    };
    for (int i = 0; i < cfg->n_announce && i < YH_SIGNAL_MAX_CANDIDATES; i++)
        scfg.candidate_ips[i] = cfg->announce_ips[i];
    int rc = yh_signal_create(a->loop, &scfg, &a->signal);
    if (rc) {
        YH_LOGE(MOD, "signaling: %s", yh_strerror(rc));
        return rc;
    }
    yh_signal_attach_store(a->signal, a->store);
    yh_signal_attach_secret(a->signal, &a->secret);
    const char *turn[YH_CONFIG_MAX_TURN];
    for (int i = 0; i < cfg->n_turn; i++)
        turn[i] = cfg->turn_urls[i];
    if ((rc = yh_signal_set_ice_servers(a->signal, turn, cfg->n_turn, cfg->turn_secret,
                                        cfg->turn_ttl))) {
        YH_LOGE(MOD, "TURN servers: %s", yh_strerror(rc));
        return rc;
    }
    yh_sfu_config_t mcfg = {.bind_ip = cfg->media_bind, .port = cfg->media_port, .cert = a->cert};
    yh_sfu_listener_t ml;
    yh_signal_sfu_listener(a->signal, &ml);
    if ((rc = yh_sfu_start(a->loop, &mcfg, &ml, &a->sfu))) {
        YH_LOGE(MOD, "media on %s port %u: %s", cfg->media_bind, cfg->media_port,
                yh_strerror(rc));
        return rc;
    }
    yh_signal_attach_sfu(a->signal, a->sfu);
    return 0;
}

/* --tls-cert/--tls-key, else the self-signed pair in the data directory
 * (made or renewed here) for "localhost" and the announced addresses. */
static int tls_files(const yh_config_t *cfg, char *cert, char *key, size_t cap)
{
    if (cfg->tls_cert[0]) {
        snprintf(cert, cap, "%s", cfg->tls_cert);
        snprintf(key, cap, "%s", cfg->tls_key);
        return 0;
    }
    snprintf(cert, cap, "%s/tls-cert.pem", cfg->data_dir);
    snprintf(key, cap, "%s/tls-key.pem", cfg->data_dir);
    const char *ips[YH_CONFIG_MAX_ANNOUNCE];
    for (int i = 0; i < cfg->n_announce; i++)
        ips[i] = cfg->announce_ips[i];
    return yh_http_tls_selfsigned(cert, key, ips, cfg->n_announce);
}

static int start_http(app_t *a)
{
    const yh_config_t *cfg = a->cfg;
    char cert[YH_CONFIG_PATH_MAX + 16], key[YH_CONFIG_PATH_MAX + 16];
    int rc = 0;
    if (cfg->https_port && (rc = tls_files(cfg, cert, key, sizeof cert)))
        return rc;
    const char *trusted[YH_CONFIG_MAX_TRUSTED];
    for (int i = 0; i < cfg->n_trusted; i++)
        trusted[i] = cfg->trusted[i];
    yh_http_config_t hcfg = {
        .bind_ip = cfg->http_bind,
        .port = cfg->http_port,
        .web_root = cfg->web_root,
        .max_message = 65536,
        .max_msgs_per_sec = 50,
        .ping_interval_s = 10,
        .idle_timeout_s = 30,
        .max_send_queue = 8u << 20,
        /* 0 in the configuration means no limit: negative for http. */
        .max_ws_per_ip = cfg->max_ws_per_ip ? cfg->max_ws_per_ip : -1,
        .max_msgs_per_ip = cfg->max_msgs_per_ip ? cfg->max_msgs_per_ip : -1,
        .trusted = trusted,
        .n_trusted = cfg->n_trusted,
        .https = cfg->https_port != 0,
        .https_port = cfg->https_port,
        .tls_cert = cert,
        .tls_key = key,
        /* The default port may be taken by another server on this
         * machine; one asked for explicitly must work. */
        .https_optional = !cfg->https_port_set,
    };
    yh_http_listener_t hl;
    yh_signal_http_listener(a->signal, &hl);
    rc = yh_http_create(a->loop, &hcfg, &hl, &a->http);
    if (rc)
        YH_LOGE(MOD, "http on %s port %u: %s", cfg->http_bind, cfg->http_port, yh_strerror(rc));
    return rc;
}

static void print_banner(const app_t *a)
{
    const yh_config_t *cfg = a->cfg;
    /* A wildcard bind is reachable on loopback: print a usable URL. */
    const char *host = strcmp(cfg->http_bind, "0.0.0.0") ? cfg->http_bind : "127.0.0.1";
    int v6 = strchr(host, ':') != NULL;
    printf("yunhui: http://%s%s%s:%u  media udp %u  announce", v6 ? "[" : "", host, v6 ? "]" : "",
           yh_http_port(a->http), yh_sfu_port(a->sfu));
    for (int i = 0; i < cfg->n_announce; i++)
        printf(" %s", cfg->announce_ips[i]);
    printf("\n");
    /* Over the LAN browsers need HTTPS for camera and microphone. */
    if (yh_http_https_port(a->http)) {
        printf("yunhui: https://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
               yh_http_https_port(a->http));
        if (!cfg->tls_cert[0])
            printf("  (self-signed certificate in %s)", cfg->data_dir);
        printf("\n");
    }
    fflush(stdout);
}

static void on_signal(uv_signal_t *s, int signum)
{
    YH_LOGI(MOD, "signal %d: stopping", signum);
    uv_stop(s->loop);
}

/* Reverse order of start; every destroy accepts NULL. The store goes
 * last: signaling may still log leaves while it is taken down, and what
 * is left open is closed at shutdown time (yh_store_participation_close_all). */
static void app_stop(app_t *a)
{
    if (a->heartbeat_on)
        uv_close((uv_handle_t *)&a->heartbeat, NULL);
    a->heartbeat_on = 0;
    yh_http_destroy(a->http);
    a->http = NULL;
    yh_signal_destroy(a->signal);
    a->signal = NULL;
    yh_sfu_stop(a->sfu);
    a->sfu = NULL;
    yh_dtls_cert_destroy(a->cert);
    a->cert = NULL;
    yh_api_destroy(a->api);
    a->api = NULL;
    if (a->store && yh_store_participation_close_all(a->store, yh_store_now_ms()))
        YH_LOGW(MOD, "could not close the participation log cleanly");
    yh_store_close(a->store);
    a->store = NULL;
    memset(&a->secret, 0, sizeof a->secret);
}

static int app_start(app_t *a)
{
    int rc = start_store(a);
    if (!rc)
        rc = yh_srtp_global_init();
    if (!rc && (rc = yh_dtls_cert_generate(&a->cert)))
        YH_LOGE(MOD, "DTLS certificate: %s", yh_strerror(rc));
    if (!rc)
        rc = start_signal_and_sfu(a);
    if (!rc)
        rc = start_http(a);
    if (!rc)
        rc = start_api(a);
    return rc;
}

/* One line of stdin, without echo when it is a terminal. */
static int read_password(const char *user, char *out, size_t cap)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "password for %s: ", user);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *got = fgets(out, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!got)
        return YH_EINVAL;
    size_t n = strlen(out);
    if (n && out[n - 1] == '\n')
        out[--n] = '\0';
    else if (n == cap - 1)
        return YH_ERANGE; /* the line did not fit */
    if (n && out[n - 1] == '\r')
        out[--n] = '\0';
    return n ? 0 : YH_EINVAL;
}

/* yunhui --add-host USER: the account goes straight into the database
 * (another server process may have it open: SQLite's WAL allows that). */
static int add_host(const yh_config_t *cfg)
{
    char pw[YH_STORE_PASSWORD_MAX + 2];
    yh_store_t *st = NULL;
    int64_t id = 0;
    int rc = read_password(cfg->add_host, pw, sizeof pw);
    if (rc)
        fprintf(stderr, "yunhui: %s\n",
                rc == YH_ERANGE ? "password longer than 1024 bytes" : "no password on stdin");
    if (!rc && (rc = yh_store_open(cfg->data_dir, &st)))
        fprintf(stderr, "yunhui: data directory %s: %s\n", cfg->data_dir, yh_strerror(rc));
    if (!rc && (rc = yh_store_account_create(st, cfg->add_host, pw, &id)))
        fprintf(stderr, "yunhui: cannot create host %s: %s\n", cfg->add_host,
                rc == YH_EEXISTS ? "the name is taken" : yh_strerror(rc));
    if (!rc)
        printf("yunhui: host account %s created (id %lld) in %s\n", cfg->add_host,
               (long long)id, cfg->data_dir);
    memset(pw, 0, sizeof pw);
    yh_store_close(st);
    return rc ? 1 : 0;
}

/* Large blocks come and go with every participant: a video layer's
 * retransmission ring is 512 packets (768 KiB). glibc raises its mmap
 * threshold to the size of the largest mmapped block freed, after which
 * such blocks are carved from the heap, where freed pages stay resident
 * and get fragmented: under churn RSS crept up ~20 % in minutes and did
 * not come down when everyone left (bench/soak). A fixed threshold turns
 * that adjustment off (mallopt(3)): big blocks stay mmapped, so a leave
 * returns their memory. Under ASan or valgrind, whose allocators are
 * their own, it does nothing. */
static void malloc_tune(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

static void walk_report(uv_handle_t *h, void *arg)
{
    YH_LOGW(MOD, "handle left open at exit: %s", uv_handle_type_name(h->type));
}

/* Lets close callbacks run, then closes the loop. */
static void loop_finish(uv_loop_t *loop)
{
    for (int i = 0; i < 1000; i++) {
        if (uv_loop_close(loop) != UV_EBUSY)
            return;
        uv_run(loop, UV_RUN_NOWAIT);
    }
    uv_walk(loop, walk_report, NULL);
}

int main(int argc, char **argv)
{
    yh_config_t parsed;
    char err[256];
    if (yh_config_parse(&parsed, argc, argv, environ, err, sizeof err)) {
        fprintf(stderr, "yunhui: %s\n", err);
        yh_config_usage(stderr);
        return 2;
    }
    if (parsed.help) {
        yh_config_usage(stdout);
        return 0;
    }
    const yh_config_t *cfg = &parsed;
    yh_log_set_level(cfg->log_level);
    if (cfg->add_host[0])
        return add_host(cfg);
    signal(SIGPIPE, SIG_IGN);
    malloc_tune();

    app_t a = {.cfg = cfg, .loop = uv_default_loop()};
    int rc = app_start(&a);
    if (!rc) {
        print_banner(&a);
        uv_signal_init(a.loop, &a.sigint);
        uv_signal_init(a.loop, &a.sigterm);
        uv_signal_start(&a.sigint, on_signal, SIGINT);
        uv_signal_start(&a.sigterm, on_signal, SIGTERM);
        uv_run(a.loop, UV_RUN_DEFAULT);
        /* Closing the watchers restores the default action: a second
         * Ctrl-C during a stuck shutdown ends the process. */
        uv_close((uv_handle_t *)&a.sigint, NULL);
        uv_close((uv_handle_t *)&a.sigterm, NULL);
    }
    app_stop(&a);
    loop_finish(a.loop);
    return rc ? 1 : 0;
}
