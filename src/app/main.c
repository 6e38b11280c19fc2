/*
 * yunhui: the server program. Everything lives in yunhui_core; this file
 * parses the configuration, wires the modules together on the control
 * loop (http -> signal -> sfu), and takes them down again on SIGINT or
 * SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "app/config.h"
#include "base/err.h"
#include "base/log.h"
#include "dtls/dtls.h"
#include "http/http.h"
#include "sfu/sfu.h"
#include "signal/signal.h"
#include "srtp/srtp.h"

#define MOD "main"

extern char **environ;

typedef struct app {
    const yh_config_t *cfg;
    uv_loop_t *loop;
    yh_dtls_cert_t *cert;
    yh_signal_t *signal;
    yh_sfu_t *sfu;
    yh_http_t *http;
    uv_signal_t sigint, sigterm;
} app_t;

static int start_signal_and_sfu(app_t *a)
{
    const yh_config_t *cfg = a->cfg;
    yh_signal_config_t scfg = {
        .n_candidate_ips = cfg->n_announce,
        .media_port = cfg->media_port,
        .fingerprint = yh_dtls_cert_fingerprint(a->cert),
        .max_participants = 0, /* no limit yet */
    };
    for (int i = 0; i < cfg->n_announce && i < YH_SIGNAL_MAX_CANDIDATES; i++)
        scfg.candidate_ips[i] = cfg->announce_ips[i];
    int rc = yh_signal_create(a->loop, &scfg, &a->signal);
    if (rc) {
        YH_LOGE(MOD, "signaling: %s", yh_strerror(rc));
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

static int start_http(app_t *a)
{
    const yh_config_t *cfg = a->cfg;
    yh_http_config_t hcfg = {
        .bind_ip = cfg->http_bind,
        .port = cfg->http_port,
        .web_root = cfg->web_root,
        .max_message = 65536,
        .max_msgs_per_sec = 50,
        .ping_interval_s = 10,
        .idle_timeout_s = 30,
        .max_send_queue = 8u << 20,
    };
    yh_http_listener_t hl;
    yh_signal_http_listener(a->signal, &hl);
    int rc = yh_http_create(a->loop, &hcfg, &hl, &a->http);
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
    fflush(stdout);
}

static void on_signal(uv_signal_t *s, int signum)
{
    YH_LOGI(MOD, "signal %d: stopping", signum);
    uv_stop(s->loop);
}

/* Reverse order of start; every destroy accepts NULL. */
static void app_stop(app_t *a)
{
    yh_http_destroy(a->http);
    a->http = NULL;
    yh_signal_destroy(a->signal);
    a->signal = NULL;
    yh_sfu_stop(a->sfu);
    a->sfu = NULL;
    yh_dtls_cert_destroy(a->cert);
    a->cert = NULL;
}

static int app_start(app_t *a)
{
    int rc = yh_srtp_global_init();
    if (!rc && (rc = yh_dtls_cert_generate(&a->cert)))
        YH_LOGE(MOD, "DTLS certificate: %s", yh_strerror(rc));
    if (!rc)
        rc = start_signal_and_sfu(a);
    if (!rc)
        rc = start_http(a);
    return rc;
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
    signal(SIGPIPE, SIG_IGN);

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
