/* The control protocol of yunhui-impair: command parsing and the stats
 * reply (see impair_core.h). Commands come from a local UDP socket, but the
 * parser still treats them as untrusted: bounded length, strict numbers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "impair_core.h"

static int ctl_fail(char *err, size_t cap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int ctl_fail(char *err, size_t cap, int rc, const char *fmt, ...)
{
    if (cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Printable characters only, so the reply can quote the offending token. */
static int printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            if (s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
                return 0;
    return 1;
}

/* A flag's optional value ("reorder on"); anything else is the next token. */
static int is_bool(const char *t)
{
    return !strcmp(t, "0") || !strcmp(t, "1") || !strcmp(t, "on") || !strcmp(t, "off");
}

/* One token (and its value) applied to cfg; *i advances past what it used. */
static int ctl_token(char **tok, size_t n, size_t *i, yh_impair_cfg_t cfg[2], int *actions,
                     char *err, size_t cap)
{
    const char *name = tok[*i];
    if (!strcmp(name, "clear")) {
        yh_impair_cfg_init(&cfg[0]);
        yh_impair_cfg_init(&cfg[1]);
    } else if (!strcmp(name, "stats")) {
        *actions |= YH_IMPAIR_ACT_STATS;
    } else if (!strcmp(name, "zero")) {
        *actions |= YH_IMPAIR_ACT_ZERO;
    } else {
        int flag = yh_impair_cfg_is_flag(name);
        if (flag < 0)
            return ctl_fail(err, cap, YH_ENOTFOUND, "unknown command \"%.32s\"", name);
        const char *v = NULL;
        if (*i + 1 < n && (!flag || is_bool(tok[*i + 1])))
            v = tok[++*i];
        else if (!flag)
            return ctl_fail(err, cap, YH_EPARSE, "\"%.32s\" needs a value", name);
        int rc = yh_impair_cfg_set(cfg, name, v);
        if (rc)
            return ctl_fail(err, cap, rc, "%.32s: bad value \"%.32s\" (%s)", name, v ? v : "",
                            rc == YH_ERANGE ? "out of range" : "malformed");
    }
    ++*i;
    return 0;
}

int yh_impair_ctl_parse(const char *line, size_t len, yh_impair_cfg_t cfg[2], int *actions,
                        char *err, size_t err_cap)
{
    char buf[YH_IMPAIR_CTL_MAX + 1];
    char *tok[YH_IMPAIR_CTL_MAX / 2 + 1];
    size_t n = 0;
    *actions = 0;
    if (len > YH_IMPAIR_CTL_MAX)
        return ctl_fail(err, err_cap, YH_ELIMIT, "command longer than %d bytes", YH_IMPAIR_CTL_MAX);
    if (!printable(line, len))
        return ctl_fail(err, err_cap, YH_EPARSE, "command is not printable ASCII");
    memcpy(buf, line, len);
    buf[len] = '\0';
    for (char *save = NULL, *t = strtok_r(buf, " \t\r\n", &save); t;
         t = strtok_r(NULL, " \t\r\n", &save))
        tok[n++] = t;
    if (!n)
        return ctl_fail(err, err_cap, YH_EPARSE, "empty command");
    yh_impair_cfg_t tmp[2] = {cfg[0], cfg[1]};
    for (size_t i = 0; i < n;) {
        int rc = ctl_token(tok, n, &i, tmp, actions, err, err_cap);
        if (rc)
            return rc;
    }
    cfg[0] = tmp[0];
    cfg[1] = tmp[1];
    return 0;
}

static int dir_json(const yh_impair_dir_t *d, uint32_t held, uint32_t queue_ms, char *out,
                    size_t cap)
{
    const yh_impair_cfg_t *c = &d->cfg;
    const yh_impair_counters_t *k = &d->c;
    uint64_t dropped =
        k->drop_loss + k->drop_burst + k->drop_queue + k->drop_pool + k->drop_send + k->drop_gone;
    int n =
        snprintf(out, cap,
                 "{\"in\":%llu,\"out\":%llu,\"dropped\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,"
                 "\"drop_loss\":%llu,\"drop_burst\":%llu,\"drop_queue\":%llu,\"drop_pool\":%llu,"
                 "\"drop_send\":%llu,\"drop_gone\":%llu,\"held\":%u,\"queue_ms\":%u,"
                 "\"config\":{\"loss\":%g,\"burst_loss\":%g,\"burst_len_ms\":%u,\"delay_ms\":%u,"
                 "\"jitter_ms\":%u,\"rate_kbps\":%u,\"queue_ms\":%u,\"reorder\":%s}}",
                 (unsigned long long)k->in, (unsigned long long)k->out, (unsigned long long)dropped,
                 (unsigned long long)k->bytes_in, (unsigned long long)k->bytes_out,
                 (unsigned long long)k->drop_loss, (unsigned long long)k->drop_burst,
                 (unsigned long long)k->drop_queue, (unsigned long long)k->drop_pool,
                 (unsigned long long)k->drop_send, (unsigned long long)k->drop_gone, held, queue_ms,
                 c->loss_pct, c->burst_pct, c->burst_len_ms, c->delay_ms, c->jitter_ms,
                 c->rate_kbps, c->queue_ms, c->reorder ? "true" : "false");
    return n < 0 || (size_t)n >= cap ? YH_ENOSPACE : n;
}

int yh_impair_stats_json(const yh_impair_dir_t *d, const uint32_t *held, const uint32_t *queue_ms,
                         uint32_t clients, char *out, size_t cap)
{
    int n = snprintf(out, cap, "{\"ok\":true,\"clients\":%u,\"up\":", clients);
    if (n < 0 || (size_t)n >= cap)
        return YH_ENOSPACE;
    size_t off = (size_t)n;
    static const char *const sep[2] = {",\"down\":", "}"};
    for (int i = 0; i < 2; i++) {
        int m = dir_json(&d[i], held[i], queue_ms[i], out + off, cap - off);
        if (m < 0)
            return m;
        off += (size_t)m;
        m = snprintf(out + off, cap - off, "%s", sep[i]);
        if (m < 0 || (size_t)m >= cap - off)
            return YH_ENOSPACE;
        off += (size_t)m;
    }
    return (int)off;
}
