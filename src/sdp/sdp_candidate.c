/*
 * ICE candidate attributes (RFC 8839 section 5.1) for clients: the server
 * is ICE-lite and lists its host candidates in its SDP; a client needs
 * their addresses to send its checks. Peer data: every field is
 * length-checked and the line is never written to.
 */
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"

#define MAX_FIELDS 8

typedef struct field {
    const char *p;
    size_t n;
} field_t;

/* Splits at blanks into at most `max` fields; returns the count. */
static size_t split(const char *s, size_t len, field_t *f, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        while (i < len && s[i] == ' ')
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && s[i] != ' ')
            i++;
        f[n].p = s + start;
        f[n].n = i - start;
        n++;
    }
    return n;
}

static int copy_field(const field_t *f, char *dst, size_t cap)
{
    if (f->n == 0)
        return YH_EPARSE;
    if (f->n >= cap)
        return YH_ELIMIT;
    memcpy(dst, f->p, f->n);
    dst[f->n] = '\0';
    return 0;
}

/* A decimal number of at most 10 digits and at most `max`. */
static int number(const field_t *f, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (f->n == 0 || f->n > 10)
        return YH_EPARSE;
    for (size_t i = 0; i < f->n; i++) {
        if (f->p[i] < '0' || f->p[i] > '9')
            return YH_EPARSE;
        v = v * 10 + (uint64_t)(f->p[i] - '0');
    }
    if (v > max)
        return YH_EPARSE;
    *out = (uint32_t)v;
    return 0;
}

static int ieq_n(const field_t *f, const char *s)
{
    size_t n = strlen(s);
    if (f->n != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = f->p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != s[i])
            return 0;
    }
    return 1;
}

/* An address: IPv4/IPv6 characters only (an mDNS ".local" name or any
 * other FQDN is refused: a client facing a lite server needs an IP). */
static int address_ok(const field_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        char c = f->p[i];
        int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                 c == '.' || c == ':';
        if (!ok)
            return 0;
    }
    return f->n > 0;
}

int yh_sdp_candidate_parse(const char *line, size_t len, yh_sdp_candidate_t *out)
{
    static const char prefix[] = "candidate:";
    field_t f[MAX_FIELDS];
    uint32_t v;
    if (!line || !out)
        return YH_EINVAL;
    memset(out, 0, sizeof *out);
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    if (len >= 2 && line[0] == 'a' && line[1] == '=') {
        line += 2;
        len -= 2;
    }
    if (len < sizeof prefix - 1 || memcmp(line, prefix, sizeof prefix - 1))
        return YH_EPARSE;
    line += sizeof prefix - 1;
    len -= sizeof prefix - 1;
    /* <foundation> <component> <transport> <priority> <addr> <port> typ <type> */
    if (split(line, len, f, MAX_FIELDS) < 8 || !ieq_n(&f[6], "typ"))
        return YH_EPARSE;
    int rc = copy_field(&f[0], out->foundation, sizeof out->foundation);
    if (rc < 0)
        return rc;
    if (number(&f[1], 256, &v) < 0 || v == 0)
        return YH_EPARSE;
    out->component = (uint8_t)v;
    out->udp = ieq_n(&f[2], "udp");
    if (number(&f[3], UINT32_MAX, &out->priority) < 0)
        return YH_EPARSE;
    if (!address_ok(&f[4]))
        return YH_EPARSE;
    if ((rc = copy_field(&f[4], out->ip, sizeof out->ip)) < 0)
        return rc;
    if (number(&f[5], 65535, &v) < 0 || v == 0)
        return YH_EPARSE;
    out->port = (uint16_t)v;
    return copy_field(&f[7], out->type, sizeof out->type);
}

static int same(const yh_sdp_candidate_t *a, const yh_sdp_candidate_t *b)
{
    return a->port == b->port && !strcmp(a->ip, b->ip);
}

/* Keeps out[0..n) sorted by priority, highest first. */
static size_t insert(yh_sdp_candidate_t *out, size_t n, size_t cap, const yh_sdp_candidate_t *c)
{
    for (size_t i = 0; i < n; i++)
        if (same(&out[i], c))
            return n;
    size_t pos = n;
    while (pos > 0 && out[pos - 1].priority < c->priority)
        pos--;
    if (pos >= cap)
        return n;
    size_t move = (n < cap ? n : cap - 1) - pos;
    memmove(&out[pos + 1], &out[pos], move * sizeof *out);
    out[pos] = *c;
    return n < cap ? n + 1 : n;
}

size_t yh_sdp_candidates(const char *text, size_t len, yh_sdp_candidate_t *out, size_t cap)
{
    size_t n = 0, i = 0;
    if (!text || !out || !cap)
        return 0;
    while (i < len) {
        size_t start = i;
        while (i < len && text[i] != '\n')
            i++;
        size_t end = i;
        if (i < len)
            i++;
        yh_sdp_candidate_t c;
        if (end - start > YH_SDP_LINE_MAX ||
            yh_sdp_candidate_parse(text + start, end - start, &c) < 0)
            continue;
        if (c.udp && c.component == 1)
            n = insert(out, n, cap, &c);
    }
    return n;
}
