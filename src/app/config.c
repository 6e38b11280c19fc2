/*
 * Flags and environment into a yh_config_t. Written without getopt so the
 * parser keeps no global state and can be run repeatedly (tests).
 */
#include "app/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "net/ipnet.h"

typedef struct parse {
    yh_config_t *c;
    char *err;
    size_t errcap;
    int flag_announce; /* an --announce-ip flag replaced the environment's */
    int flag_trusted;  /* a --trusted-ip flag replaced the defaults */
} parse_t;

static int fail(parse_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(parse_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (p->err && p->errcap)
        vsnprintf(p->err, p->errcap, fmt, ap);
    va_end(ap);
    return YH_EINVAL;
}

static int parse_port(parse_t *p, const char *what, const char *v, int min, uint16_t *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || n > 65535 || n < (unsigned long)min || v[0] == '-')
        return fail(p, "%s: bad port \"%s\" (%d-65535)", what, v, min);
    *out = (uint16_t)n;
    return 0;
}

static int is_ip(const char *v)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1;
}

static int parse_bind(parse_t *p, const char *what, const char *v, char *out)
{
    if (strlen(v) >= YH_CONFIG_IP_MAX || !is_ip(v))
        return fail(p, "%s: \"%s\" is not an IP address", what, v);
    strcpy(out, v);
    return 0;
}

static int add_announce(parse_t *p, const char *what, const char *v, size_t len)
{
    yh_config_t *c = p->c;
    char ip[YH_CONFIG_IP_MAX];
    if (len >= sizeof ip)
        return fail(p, "%s: \"%.*s\" is not an IP address", what, (int)len, v);
    memcpy(ip, v, len);
    ip[len] = '\0';
    /* An unspecified address cannot be a candidate (RFC 8445 5.1.1.1). */
    if (!is_ip(ip) || !strcmp(ip, "0.0.0.0") || !strcmp(ip, "::"))
        return fail(p, "%s: \"%s\" is not a usable IP address", what, ip);
    if (c->n_announce >= YH_CONFIG_MAX_ANNOUNCE)
        return fail(p, "%s: at most %d addresses", what, YH_CONFIG_MAX_ANNOUNCE);
    strcpy(c->announce_ips[c->n_announce++], ip);
    return 0;
}

/* "a,b c" (commas and/or spaces) as in YUNHUI_ANNOUNCE_IP. */
static int add_announce_list(parse_t *p, const char *what, const char *v)
{
    while (*v) {
        size_t skip = strspn(v, ", \t");
        v += skip;
        size_t len = strcspn(v, ", \t");
        if (len) {
            int rc = add_announce(p, what, v, len);
            if (rc)
                return rc;
        }
        v += len;
    }
    return 0;
}

static const struct {
    const char *name;
    int level;
} log_levels[] = {
    {"error", YH_LOG_ERROR},
    {"warn", YH_LOG_WARN},
    {"info", YH_LOG_INFO},
    {"debug", YH_LOG_DEBUG},
};

static int opt_http_port(parse_t *p, const char *v)
{
    return parse_port(p, "--http-port", v, 0, &p->c->http_port);
}

static int opt_http_bind(parse_t *p, const char *v)
{
    return parse_bind(p, "--http-bind", v, p->c->http_bind);
}

static int opt_media_port(parse_t *p, const char *v)
{
    /* Not 0: the port goes into SDP before the media plane binds it. */
    return parse_port(p, "--media-port", v, 1, &p->c->media_port);
}

static int opt_media_bind(parse_t *p, const char *v)
{
    return parse_bind(p, "--media-bind", v, p->c->media_bind);
}

static int opt_announce_ip(parse_t *p, const char *v)
{
    if (!p->flag_announce) {
        p->flag_announce = 1;
        p->c->n_announce = 0;
    }
    return add_announce(p, "--announce-ip", v, strlen(v));
}

static int opt_web_root(parse_t *p, const char *v)
{
    if (!*v || strlen(v) >= sizeof p->c->web_root)
        return fail(p, "--web-root: bad path");
    strcpy(p->c->web_root, v);
    return 0;
}

static int opt_log_level(parse_t *p, const char *v)
{
    for (size_t i = 0; i < sizeof log_levels / sizeof *log_levels; i++) {
        if (!strcmp(v, log_levels[i].name)) {
            p->c->log_level = log_levels[i].level;
            return 0;
        }
    }
    return fail(p, "--log-level: \"%s\" is not one of error, warn, info, debug", v);
}

static int copy_path(parse_t *p, const char *what, const char *v, char *out)
{
    if (!*v || strlen(v) >= YH_CONFIG_PATH_MAX)
        return fail(p, "%s: bad path", what);
    strcpy(out, v);
    return 0;
}

static int opt_data_dir(parse_t *p, const char *v)
{
    return copy_path(p, "--data-dir", v, p->c->data_dir);
}

static int opt_secret_file(parse_t *p, const char *v)
{
    return copy_path(p, "--secret-file", v, p->c->secret_file);
}

/* Printable ASCII without spaces: it travels in an HTTP header. */
static int set_admin_key(parse_t *p, const char *what, const char *v)
{
    size_t n = strlen(v);
    if (n > YH_CONFIG_KEY_MAX)
        return fail(p, "%s: longer than %d characters", what, YH_CONFIG_KEY_MAX);
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0x21 || v[i] > 0x7e)
            return fail(p, "%s: only printable ASCII without spaces", what);
    strcpy(p->c->admin_key, v);
    return 0;
}

static int opt_admin_key(parse_t *p, const char *v)
{
    return set_admin_key(p, "--admin-key", v);
}

static int opt_open_meetings(parse_t *p, const char *v)
{
    if (!strcmp(v, "on") || !strcmp(v, "off")) {
        p->c->open_meetings = !strcmp(v, "on");
        return 0;
    }
    return fail(p, "--open-meetings: \"%s\" is not on or off", v);
}

static int opt_add_host(parse_t *p, const char *v)
{
    size_t n = strlen(v);
    if (n < 1 || n > YH_CONFIG_USER_MAX ||
        strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") != n)
        return fail(p, "--add-host: a user name is 1 to %d of A-Z a-z 0-9 . _ @ -",
                    YH_CONFIG_USER_MAX);
    strcpy(p->c->add_host, v);
    return 0;
}

static int opt_https_port(parse_t *p, const char *v)
{
    p->c->https_port_set = 1;
    return parse_port(p, "--https-port", v, 0, &p->c->https_port);
}

static int opt_tls_cert(parse_t *p, const char *v)
{
    return copy_path(p, "--tls-cert", v, p->c->tls_cert);
}

static int opt_tls_key(parse_t *p, const char *v)
{
    return copy_path(p, "--tls-key", v, p->c->tls_key);
}

/* RFC 7065 section 3.1: "turn:" or "turns:" host [":" port]
 * ["?transport=" udp / tcp]. Only the scheme and the character set are
 * checked: the URL travels in JSON to the browser, which parses it. */
static int opt_turn_url(parse_t *p, const char *v)
{
    yh_config_t *c = p->c;
    size_t n = strlen(v);
    if (strncmp(v, "turn:", 5) && strncmp(v, "turns:", 6))
        return fail(p, "--turn-url: \"%s\" does not start with turn: or turns:", v);
    if (n >= YH_CONFIG_URL_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789.-_:[]?=") != n)
        return fail(p, "--turn-url: \"%s\" is not a TURN URL", v);
    if (c->n_turn >= YH_CONFIG_MAX_TURN)
        return fail(p, "--turn-url: at most %d URLs", YH_CONFIG_MAX_TURN);
    strcpy(c->turn_urls[c->n_turn++], v);
    return 0;
}

static int set_turn_secret(parse_t *p, const char *what, const char *v)
{
    if (!*v || strlen(v) > YH_CONFIG_KEY_MAX)
        return fail(p, "%s: 1 to %d characters", what, YH_CONFIG_KEY_MAX);
    strcpy(p->c->turn_secret, v);
    return 0;
}

static int opt_turn_secret(parse_t *p, const char *v)
{
    return set_turn_secret(p, "--turn-secret", v);
}

static int opt_turn_ttl(parse_t *p, const char *v)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    /* A week at most: the credential cannot be revoked before it expires. */
    if (!*v || *end || errno || n < 60 || n > 7 * 86400)
        return fail(p, "--turn-ttl: \"%s\" is not a number of seconds (60-604800)", v);
    p->c->turn_ttl = n;
    return 0;
}

static int opt_limit(parse_t *p, const char *what, const char *v, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < 0 || n > 1000000)
        return fail(p, "%s: \"%s\" is not a number from 0 (no limit) to 1000000", what, v);
    *out = (int)n;
    return 0;
}

static int opt_max_ws_per_ip(parse_t *p, const char *v)
{
    return opt_limit(p, "--max-ws-per-ip", v, &p->c->max_ws_per_ip);
}

static int opt_max_msgs_per_ip(parse_t *p, const char *v)
{
    return opt_limit(p, "--max-msgs-per-ip", v, &p->c->max_msgs_per_ip);
}

static int opt_trusted_ip(parse_t *p, const char *v)
{
    yh_config_t *c = p->c;
    yh_ipnet_t net;
    if (!p->flag_trusted) {
        p->flag_trusted = 1;
        c->n_trusted = 0;
    }
    if (!strcmp(v, "none"))
        return 0;
    if (strlen(v) >= YH_CONFIG_IP_MAX || yh_ipnet_parse(v, &net) < 0)
        return fail(p, "--trusted-ip: \"%s\" is not an IP address or IP/PREFIX", v);
    if (c->n_trusted >= YH_CONFIG_MAX_TRUSTED)
        return fail(p, "--trusted-ip: at most %d networks", YH_CONFIG_MAX_TRUSTED);
    strcpy(c->trusted[c->n_trusted++], v);
    return 0;
}

static int opt_help(parse_t *p, const char *v)
{
    p->c->help = 1;
    return 0;
}

static const struct opt {
    const char *name;
    int has_arg;
    int (*set)(parse_t *p, const char *value);
} options[] = {
    {"http-port", 1, opt_http_port},         {"http-bind", 1, opt_http_bind},
    {"media-port", 1, opt_media_port},       {"media-bind", 1, opt_media_bind},
    {"announce-ip", 1, opt_announce_ip},     {"web-root", 1, opt_web_root},
    {"log-level", 1, opt_log_level},         {"help", 0, opt_help},
    {"data-dir", 1, opt_data_dir},           {"admin-key", 1, opt_admin_key},
    {"open-meetings", 1, opt_open_meetings}, {"secret-file", 1, opt_secret_file},
    {"add-host", 1, opt_add_host},           {"https-port", 1, opt_https_port},
    {"tls-cert", 1, opt_tls_cert},           {"tls-key", 1, opt_tls_key},
    {"turn-url", 1, opt_turn_url},           {"turn-secret", 1, opt_turn_secret},
    {"turn-ttl", 1, opt_turn_ttl},           {"max-ws-per-ip", 1, opt_max_ws_per_ip},
    {"max-msgs-per-ip", 1, opt_max_msgs_per_ip}, {"trusted-ip", 1, opt_trusted_ip},
};

static const char *env_get(char *const envp[], const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; envp && envp[i]; i++)
        if (!strncmp(envp[i], name, n) && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

static int parse_env(parse_t *p, char *const envp[])
{
    const char *v;
    int rc = 0;
    if ((v = env_get(envp, "YUNHUI_HTTP_PORT")))
        rc = parse_port(p, "YUNHUI_HTTP_PORT", v, 0, &p->c->http_port);
    if (!rc && (v = env_get(envp, "YUNHUI_MEDIA_PORT")))
        rc = parse_port(p, "YUNHUI_MEDIA_PORT", v, 1, &p->c->media_port);
    if (!rc && (v = env_get(envp, "YUNHUI_ANNOUNCE_IP")))
        rc = add_announce_list(p, "YUNHUI_ANNOUNCE_IP", v);
    if (!rc && (v = env_get(envp, "YUNHUI_DATA_DIR")))
        rc = copy_path(p, "YUNHUI_DATA_DIR", v, p->c->data_dir);
    if (!rc && (v = env_get(envp, "YUNHUI_ADMIN_KEY")))
        rc = set_admin_key(p, "YUNHUI_ADMIN_KEY", v);
    if (!rc && (v = env_get(envp, "YUNHUI_HTTPS_PORT"))) {
        p->c->https_port_set = 1;
        rc = parse_port(p, "YUNHUI_HTTPS_PORT", v, 0, &p->c->https_port);
    }
    if (!rc && (v = env_get(envp, "YUNHUI_TURN_SECRET")))
        rc = set_turn_secret(p, "YUNHUI_TURN_SECRET", v);
    return rc;
}

/* "--name value" or "--name=value". Returns the number of argv entries
 * used, or a negative YH_E* code. */
static int parse_flag(parse_t *p, int argc, char *const argv[], int i)
{
    const char *arg = argv[i];
    if (strncmp(arg, "--", 2))
        return fail(p, "unexpected argument \"%s\"", arg);
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    for (size_t k = 0; k < sizeof options / sizeof *options; k++) {
        const struct opt *o = &options[k];
        if (strlen(o->name) != nlen || strncmp(o->name, name, nlen))
            continue;
        if (!o->has_arg) {
            if (eq)
                return fail(p, "--%s takes no value", o->name);
            int rc = o->set(p, NULL);
            return rc ? rc : 1;
        }
        if (eq) {
            int rc = o->set(p, eq + 1);
            return rc ? rc : 1;
        }
        if (i + 1 >= argc)
            return fail(p, "--%s needs a value", o->name);
        int rc = o->set(p, argv[i + 1]);
        return rc ? rc : 2;
    }
    return fail(p, "unknown option \"%s\"", arg);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ./web from the current directory, else web/ next to the executable's
 * directory (build/yunhui -> web/). */
static void default_web_root(yh_config_t *c)
{
    char buf[PATH_MAX], exe[PATH_MAX];
    if (is_dir("web") && realpath("web", buf) && strlen(buf) < sizeof c->web_root) {
        strcpy(c->web_root, buf);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[PATH_MAX + 8];
            snprintf(cand, sizeof cand, "%s/../web", exe);
            if (realpath(cand, buf) && is_dir(buf) && strlen(buf) < sizeof c->web_root) {
                strcpy(c->web_root, buf);
                return;
            }
        }
    }
    strcpy(c->web_root, "web");
}

void yh_config_default_announce(yh_config_t *c)
{
    c->n_announce = 0;
    strcpy(c->announce_ips[c->n_announce++], "127.0.0.1");
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs))
        return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
            !(i->ifa_flags & IFF_UP))
            continue;
        const struct sockaddr_in *sin = (const void *)i->ifa_addr;
        if (inet_ntop(AF_INET, &sin->sin_addr, c->announce_ips[c->n_announce],
                      YH_CONFIG_IP_MAX))
            c->n_announce++;
        break;
    }
    freeifaddrs(ifs);
}

int yh_config_parse(yh_config_t *out, int argc, char *const argv[], char *const envp[],
                    char *err, size_t errcap)
{
    yh_config_t *c = out;
    memset(c, 0, sizeof *c);
    c->http_port = 8080;
    strcpy(c->http_bind, "0.0.0.0");
    c->media_port = 40000;
    strcpy(c->media_bind, "0.0.0.0");
    c->log_level = YH_LOG_INFO;
    strcpy(c->data_dir, "data");
    c->open_meetings = 1;
    c->https_port = 8443;
    c->turn_ttl = 86400;
    c->max_ws_per_ip = 256;
    c->max_msgs_per_ip = 1000;
    strcpy(c->trusted[c->n_trusted++], "127.0.0.0/8");
    strcpy(c->trusted[c->n_trusted++], "::1");
    parse_t p = {c, err, errcap, 0, 0};
    if (err && errcap)
        err[0] = '\0';
    int rc = parse_env(&p, envp);
    for (int i = 1; !rc && i < argc;) {
        int used = parse_flag(&p, argc, argv, i);
        if (used < 0)
            rc = used;
        else
            i += used;
    }
    if (rc)
        return rc;
    if (c->help)
        return 0;
    if (!c->tls_cert[0] != !c->tls_key[0])
        return fail(&p, "--tls-cert and --tls-key go together");
    if (c->n_turn && !c->turn_secret[0])
        return fail(&p, "--turn-url needs --turn-secret (or YUNHUI_TURN_SECRET)");
    if (!c->n_announce)
        yh_config_default_announce(c);
    if (!c->web_root[0])
        default_web_root(c);
    return 0;
}

void yh_config_usage(FILE *f)
{
    fputs("usage: yunhui [options]\n"
          "  --http-port PORT     HTTP/WebSocket port (default 8080; env YUNHUI_HTTP_PORT)\n"
          "  --http-bind IP       address to listen on for HTTP (default 0.0.0.0)\n"
          "  --media-port PORT    the one UDP port for all media (default 40000;\n"
          "                       env YUNHUI_MEDIA_PORT)\n"
          "  --media-bind IP      address to bind the media port to (default 0.0.0.0)\n"
          "  --announce-ip IP     address put in SDP candidates; repeat for up to 4\n"
          "                       (default 127.0.0.1 and the first non-loopback IPv4;\n"
          "                       env YUNHUI_ANNOUNCE_IP, comma-separated)\n"
          "  --web-root DIR       browser client directory (default ./web, else\n"
          "                       ../web next to the executable)\n"
          "  --log-level LEVEL    error, warn, info or debug (default info)\n"
          "  --data-dir DIR       database and server secret (default ./data;\n"
          "                       env YUNHUI_DATA_DIR)\n"
          "  --admin-key KEY      Bearer key of the admin HTTP API (env\n"
          "                       YUNHUI_ADMIN_KEY); without it the admin API answers 403\n"
          "  --open-meetings on|off  a first join opens any meeting number (default on)\n"
          "  --secret-file FILE   token-signing secret (default <data dir>/secret,\n"
          "                       created on first start)\n"
          "  --add-host USER      create a host account with the password read from\n"
          "                       stdin, then exit\n"
          "  --https-port PORT    HTTPS/WSS port (default 8443, 0 = off; env\n"
          "                       YUNHUI_HTTPS_PORT)\n"
          "  --tls-cert FILE      PEM certificate (chain) for HTTPS, with --tls-key;\n"
          "                       default: a self-signed one in the data directory\n"
          "  --tls-key FILE       PEM private key for HTTPS\n"
          "  --turn-url URL       TURN server for clients, e.g.\n"
          "                       turn:198.51.100.1:3478?transport=udp; repeat for up to 4\n"
          "  --turn-secret KEY    the TURN server's shared secret (coturn\n"
          "                       static-auth-secret; env YUNHUI_TURN_SECRET)\n"
          "  --turn-ttl SECONDS   lifetime of TURN credentials (default 86400)\n"
          "  --max-ws-per-ip N    signaling connections at once from one client address\n"
          "                       (IPv6: one /64); more are refused with close 1013\n"
          "                       (default 256, 0 = no limit)\n"
          "  --max-msgs-per-ip N  signaling messages per second from one client address,\n"
          "                       all its connections together; the connection that\n"
          "                       overflows is closed with 1008 (default 1000, 0 = none)\n"
          "  --trusted-ip NET     IP or IP/PREFIX exempt from the two limits above, e.g.\n"
          "                       a reverse proxy; repeat for up to 16, \"none\" for no\n"
          "                       network (default 127.0.0.0/8 and ::1)\n"
          "  --help               this text\n"
          "Flags override environment variables.\n",
          f);
}
