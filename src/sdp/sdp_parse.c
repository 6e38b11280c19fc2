/*
 * SDP parser (RFC 8866 section 5 syntax) into the bounded yh_sdp_t model.
 *
 * Lines are copied one at a time into a stack buffer of YH_SDP_LINE_MAX and
 * split in place, so peer text is never read past its length and never
 * NUL-searched outside our copy. Unknown lines and attributes are ignored
 * (RFC 8866 section 5.13: "unknown attributes ... MUST be ignored"); a known
 * attribute with a bad value is an error, because negotiating on a
 * misunderstanding is worse than refusing.
 */
#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"

static int on_line(yh_sdp_pctx_t *c, char type, char *val);

int yh_sdp__pfail(yh_sdp_pctx_t *c, int code, const char *fmt, ...)
{
    if (c->err && c->err_cap > 0) {
        int n = snprintf(c->err, c->err_cap, "line %d: ", c->line_no);
        if (n >= 0 && (size_t)n < c->err_cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->err_cap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

int yh_sdp__copy(yh_sdp_pctx_t *c, char *dst, size_t cap, const char *src, const char *what)
{
    size_t n = strlen(src);
    if (n >= cap)
        return yh_sdp__pfail(c, YH_ELIMIT, "%s longer than %zu characters", what, cap - 1);
    memcpy(dst, src, n + 1);
    return 0;
}

char *yh_sdp__tok(char **s)
{
    char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0') {
        *s = p;
        return NULL;
    }
    char *t = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (*p)
        *p++ = '\0';
    *s = p;
    return t;
}

int yh_sdp__u32(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    if (!s || !s[0])
        return YH_EPARSE;
    for (; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 10)
            return YH_EPARSE;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return YH_ERANGE;
    *out = (uint32_t)v;
    return 0;
}

/* The m= line: <media> <port>[/<count>] <proto> <fmt> ... (section 5.14). */
static int on_media(yh_sdp_pctx_t *c, char *v)
{
    yh_sdp_t *sdp = c->sdp;
    yh_sdp__finish_media(c);
    if (sdp->n_media >= YH_SDP_MAX_MEDIA)
        return yh_sdp__pfail(c, YH_ELIMIT, "too many m-lines (at most %d)", YH_SDP_MAX_MEDIA);
    yh_sdp_media_t *m = &sdp->media[sdp->n_media];
    memset(m, 0, sizeof(*m));
    char *kind = yh_sdp__tok(&v), *port = yh_sdp__tok(&v), *proto = yh_sdp__tok(&v);
    if (!kind || !port || !proto)
        return yh_sdp__pfail(c, YH_EPARSE, "m-line needs <media> <port> <proto> <fmt>");
    char *slash = strchr(port, '/');
    if (slash)
        *slash = '\0';
    uint32_t p;
    if (yh_sdp__u32(port, 65535, &p) != 0)
        return yh_sdp__pfail(c, YH_EPARSE, "m-line port \"%s\" is not a number up to 65535", port);
    m->port = (uint16_t)p;
    int rc = yh_sdp__copy(c, m->kind_str, sizeof(m->kind_str), kind, "media type");
    if (rc == 0)
        rc = yh_sdp__copy(c, m->proto, sizeof(m->proto), proto, "m-line proto");
    if (rc != 0)
        return rc;
    m->kind = !strcmp(kind, "audio")         ? YH_SDP_KIND_AUDIO
              : !strcmp(kind, "video")       ? YH_SDP_KIND_VIDEO
              : !strcmp(kind, "application") ? YH_SDP_KIND_APPLICATION
                                             : YH_SDP_KIND_OTHER;
    /* Counted now so later lines of this section land on it even if the
     * format list turns out bad (the parse fails anyway then). */
    sdp->n_media++;
    c->m = m;
    return yh_sdp__media_formats(c, m, v);
}

static int on_origin(yh_sdp_pctx_t *c, char *v)
{
    char *user = yh_sdp__tok(&v), *id = yh_sdp__tok(&v), *ver = yh_sdp__tok(&v);
    if (!user || !id || !ver)
        return yh_sdp__pfail(c, YH_EPARSE, "o= needs <username> <sess-id> <sess-version> ...");
    int rc = yh_sdp__copy(c, c->sdp->origin_sess_id, sizeof(c->sdp->origin_sess_id), id,
                          "o= session id");
    if (rc == 0)
        rc = yh_sdp__copy(c, c->sdp->origin_sess_version, sizeof(c->sdp->origin_sess_version), ver,
                          "o= session version");
    c->seen_o = 1;
    return rc;
}

static int on_line(yh_sdp_pctx_t *c, char type, char *val)
{
    switch (type) {
    case 'v':
        return yh_sdp__pfail(c, YH_EPARSE, "v= may only be the first line");
    case 'o':
        if (c->m)
            return yh_sdp__pfail(c, YH_EPARSE, "o= inside a media section");
        return on_origin(c, val);
    case 's':
        c->seen_s = 1;
        return 0;
    case 'm':
        return on_media(c, val);
    case 'a':
        return yh_sdp__attr(c, val);
    default:
        /* c=, t=, b=, i=, ... carry nothing the server needs: with ICE
         * the c= address is a placeholder (RFC 8839 section 4.2.1). */
        return 0;
    }
}

/* Checks one raw line and hands it on; `len` excludes the line ending. */
static int take_line(yh_sdp_pctx_t *c, const char *p, size_t len, char *buf)
{
    if (len > YH_SDP_LINE_MAX)
        return yh_sdp__pfail(c, YH_ELIMIT, "line longer than %d bytes", YH_SDP_LINE_MAX);
    if (memchr(p, '\0', len))
        return yh_sdp__pfail(c, YH_EPARSE, "NUL byte in line");
    memcpy(buf, p, len);
    buf[len] = '\0';
    if (len < 2 || buf[1] != '=' || buf[0] < 'a' || buf[0] > 'z')
        return yh_sdp__pfail(c, YH_EPARSE, "not a <type>=<value> line");
    if (!c->seen_v) {
        if (strcmp(buf, "v=0") != 0)
            return yh_sdp__pfail(c, YH_EPARSE, "description must start with v=0");
        c->seen_v = 1;
        return 0;
    }
    return on_line(c, buf[0], buf + 2);
}

static int split_lines(yh_sdp_pctx_t *c, const char *text, size_t len)
{
    static_assert(YH_SDP_LINE_MAX < 8192, "line buffer lives on the stack");
    char buf[YH_SDP_LINE_MAX + 1];
    size_t pos = 0;
    while (pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - start) : len - pos;
        pos += l + (nl ? 1 : 0);
        c->line_no++;
        if (l > 0 && start[l - 1] == '\r')
            l--;
        if (l == 0)
            continue; /* tolerate blank lines, e.g. a trailing one */
        int rc = take_line(c, start, l, buf);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int yh_sdp_parse(const char *text, size_t len, yh_sdp_t *out, char *err, size_t err_cap)
{
    if (err && err_cap)
        err[0] = '\0';
    if (!out || (!text && len))
        return yh_sdp__fail(err, err_cap, YH_EINVAL, "no input");
    memset(out, 0, offsetof(yh_sdp_t, media));
    if (len > YH_SDP_MAX_SIZE)
        return yh_sdp__fail(err, err_cap, YH_ELIMIT, "description is %zu bytes (at most %d)", len,
                            YH_SDP_MAX_SIZE);
    yh_sdp_pctx_t c;
    memset(&c, 0, sizeof(c));
    c.sdp = out;
    c.err = err;
    c.err_cap = err_cap;
    int rc = split_lines(&c, text, len);
    if (rc != 0)
        goto fail;
    yh_sdp__finish_media(&c);
    if (!c.seen_v) {
        rc = yh_sdp__fail(err, err_cap, YH_EPARSE, "empty description");
        goto fail;
    }
    if (!c.seen_o || !c.seen_s) {
        rc = yh_sdp__fail(err, err_cap, YH_EPARSE, "missing %s line", c.seen_o ? "s=" : "o=");
        goto fail;
    }
    rc = yh_sdp__resolve(&c);
    if (rc != 0)
        goto fail;
    return 0;
fail:
    out->n_media = 0;
    return rc;
}
