/*
 * Server configuration from command-line flags and environment variables.
 * Precedence: flags, then YUNHUI_* environment variables, then defaults.
 * The result is a plain value the program treats as const after parsing.
 */
#ifndef YH_APP_CONFIG_H
#define YH_APP_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#define YH_CONFIG_MAX_ANNOUNCE 4
#define YH_CONFIG_IP_MAX 64
#define YH_CONFIG_PATH_MAX 4096
#define YH_CONFIG_KEY_MAX 512
#define YH_CONFIG_USER_MAX 64
#define YH_CONFIG_MAX_TURN 4
#define YH_CONFIG_URL_MAX 256
#define YH_CONFIG_MAX_TRUSTED 16

typedef struct yh_config {
    uint16_t http_port;                  /* --http-port, YUNHUI_HTTP_PORT; 8080 */
    char http_bind[YH_CONFIG_IP_MAX];    /* --http-bind; 0.0.0.0 */
    uint16_t media_port;                 /* --media-port, YUNHUI_MEDIA_PORT; 40000 */
    char media_bind[YH_CONFIG_IP_MAX];   /* --media-bind; 0.0.0.0 */
    /* --announce-ip (repeatable), YUNHUI_ANNOUNCE_IP (comma-separated);
     * default 127.0.0.1 and the first non-loopback IPv4 address. */
    char announce_ips[YH_CONFIG_MAX_ANNOUNCE][YH_CONFIG_IP_MAX];
    int n_announce;
    char web_root[YH_CONFIG_PATH_MAX];   /* --web-root; ./web, else <exe>/../web */
    int log_level;                       /* --log-level; YH_LOG_INFO */
    int help;                            /* --help was given */
    /* --data-dir, YUNHUI_DATA_DIR: the database and the server secret;
     * default "data" (relative to the working directory). */
    char data_dir[YH_CONFIG_PATH_MAX];
    /* --admin-key, YUNHUI_ADMIN_KEY: Bearer key of the admin HTTP API;
     * "" disables those routes. */
    char admin_key[YH_CONFIG_KEY_MAX + 1];
    int open_meetings;                   /* --open-meetings on|off; on */
    /* --secret-file: the token-signing secret; "" = <data dir>/secret,
     * created on first start. */
    char secret_file[YH_CONFIG_PATH_MAX];
    /* --add-host USER: create a host account (password on stdin), exit. */
    char add_host[YH_CONFIG_USER_MAX + 1];
    /* --https-port, YUNHUI_HTTPS_PORT: HTTPS + WSS; 8443, 0 = off. When it
     * was not configured (https_port_set 0), a port already in use is only
     * a warning, so several servers can run on one machine. */
    uint16_t https_port;
    int https_port_set;
    /* --tls-cert/--tls-key: PEM files for HTTPS, both or neither; neither
     * = a self-signed certificate in <data dir>/tls-cert.pem and
     * tls-key.pem, created on first start. */
    char tls_cert[YH_CONFIG_PATH_MAX];
    char tls_key[YH_CONFIG_PATH_MAX];
    /* --turn-url (repeatable): TURN servers given to clients in joined,
     * e.g. "turn:198.51.100.1:3478?transport=udp"; they need --turn-secret
     * (YUNHUI_TURN_SECRET), the TURN server's static-auth-secret, and
     * credentials expire after --turn-ttl seconds (86400). */
    char turn_urls[YH_CONFIG_MAX_TURN][YH_CONFIG_URL_MAX];
    int n_turn;
    char turn_secret[YH_CONFIG_KEY_MAX + 1];
    int64_t turn_ttl;
    /* Signaling limits per client address (IPv4 address, IPv6 /64):
     * --max-ws-per-ip (256) WebSocket connections at once, and
     * --max-msgs-per-ip (1000) messages per second over all of them; 0 =
     * no limit. --trusted-ip NET (repeatable, "IP" or "IP/PREFIX"; "none"
     * for no network) is exempt from both; default 127.0.0.0/8 and ::1
     * (a reverse proxy or a local load generator). */
    int max_ws_per_ip;
    int max_msgs_per_ip;
    char trusted[YH_CONFIG_MAX_TRUSTED][YH_CONFIG_IP_MAX];
    int n_trusted;
} yh_config_t;

/* Parses argv (argv[0] is the program) over `envp` (NULL-terminated
 * "NAME=value" strings, may be NULL) over the defaults. Returns 0, or
 * YH_EINVAL with a one-line explanation in `err`. Default announce
 * addresses and the web root are looked up only when not configured. */
int yh_config_parse(yh_config_t *out, int argc, char *const argv[], char *const envp[],
                    char *err, size_t errcap);

/* The --help text. */
void yh_config_usage(FILE *f);

/* 127.0.0.1 plus the first up, non-loopback IPv4 interface address
 * (getifaddrs), into out->announce_ips. */
void yh_config_default_announce(yh_config_t *out);

#endif
