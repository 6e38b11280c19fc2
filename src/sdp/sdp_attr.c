/*
 * The a= attributes the server understands, dispatched by a table. Each
 * handler gets the value after the ':' (NULL for a flag attribute) as a
 * mutable copy it may split in place.
 */
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"

enum { AT_SESSION = 1, AT_MEDIA = 2, AT_BOTH = 3 };

typedef int (*attr_fn)(yh_sdp_pctx_t *c, char *v);

static int need(yh_sdp_pctx_t *c, const char *v, const char *name)
{
    if (!v || !*v)
        return yh_sdp__pfail(c, YH_EPARSE, "a=%s needs a value", name);
    return 0;
}

/* RFC 8851 section 10: rid-id = 1*(alpha-numeric / "-" / "_"). */
static int valid_rid(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return 0;
    }
    return 1;
}

static yh_sdp_codec_t *codec_of(yh_sdp_pctx_t *c, const char *pt_str, int *rc)
{
    uint32_t pt;
    *rc = 0;
    if (yh_sdp__u32(pt_str, 127, &pt) != 0) {
        *rc = yh_sdp__pfail(c, YH_EPARSE, "bad payload type \"%s\"", pt_str);
        return NULL;
    }
    /* A PT missing from the m= line is ignored, not an error: it cannot be
     * used anyway (RFC 8866 section 6.6). */
    return (yh_sdp_codec_t *)yh_sdp_find_codec(c->m, (uint8_t)pt);
}

/* RFC 3551 static payload types a browser may list without a=rtpmap. */
static void static_pt(yh_sdp_codec_t *k)
{
    static const struct {
        uint8_t pt;
        const char *name;
        uint32_t clock;
    } tab[] = {{0, "PCMU", 8000}, {8, "PCMA", 8000}, {9, "G722", 8000}, {13, "CN", 8000}};
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (tab[i].pt == k->pt) {
            strcpy(k->name, tab[i].name);
            k->clock = tab[i].clock;
            k->channels = 1;
        }
    }
}

int yh_sdp__media_formats(yh_sdp_pctx_t *c, yh_sdp_media_t *m, char *fmts)
{
    char *f = yh_sdp__tok(&fmts);
    if (!f)
        return yh_sdp__pfail(c, YH_EPARSE, "m-line has no formats");
    int rc = yh_sdp__copy(c, m->fmt0, sizeof(m->fmt0), f, "m-line format");
    if (rc != 0 || !strstr(m->proto, "RTP/"))
        return rc; /* non-RTP formats (webrtc-datachannel) are not kept */
    for (; f; f = yh_sdp__tok(&fmts)) {
        uint32_t pt;
        if (yh_sdp__u32(f, 127, &pt) != 0)
            return yh_sdp__pfail(c, YH_EPARSE, "m-line payload type \"%s\" not in 0..127", f);
        if (yh_sdp_find_codec(m, (uint8_t)pt))
            continue;
        if (m->n_codecs >= YH_SDP_MAX_CODECS)
            return yh_sdp__pfail(c, YH_ELIMIT, "too many payload types (at most %d)",
                                 YH_SDP_MAX_CODECS);
        yh_sdp_codec_t *k = &m->codecs[m->n_codecs++];
        memset(k, 0, sizeof(*k));
        k->pt = (uint8_t)pt;
        k->apt = -1;
        static_pt(k);
    }
    return 0;
}

/* a=rtpmap:<pt> <name>/<clock>[/<channels>] (RFC 8866 section 6.6). */
static int a_rtpmap(yh_sdp_pctx_t *c, char *v)
{
    int rc;
    char *pt = yh_sdp__tok(&v), *enc = yh_sdp__tok(&v);
    if (!pt || !enc)
        return yh_sdp__pfail(c, YH_EPARSE, "a=rtpmap needs <pt> <name>/<clock>");
    yh_sdp_codec_t *k = codec_of(c, pt, &rc);
    if (!k)
        return rc;
    char *clock = strchr(enc, '/');
    if (!clock)
        return yh_sdp__pfail(c, YH_EPARSE, "a=rtpmap without a clock rate");
    *clock++ = '\0';
    char *ch = strchr(clock, '/');
    if (ch)
        *ch++ = '\0';
    uint32_t rate, n = 0;
    if (yh_sdp__u32(clock, 0xffffffffu, &rate) != 0 || rate == 0 ||
        (ch && (yh_sdp__u32(ch, 255, &n) != 0 || n == 0)))
        return yh_sdp__pfail(c, YH_EPARSE, "a=rtpmap: bad clock rate or channels");
    rc = yh_sdp__copy(c, k->name, sizeof(k->name), enc, "codec name");
    k->clock = rate;
    k->channels = (uint8_t)n;
    return rc;
}

/* a=fmtp:<pt> <parameters> (RFC 8866 section 6.15). */
static int a_fmtp(yh_sdp_pctx_t *c, char *v)
{
    int rc;
    char *pt = yh_sdp__tok(&v);
    if (!pt)
        return yh_sdp__pfail(c, YH_EPARSE, "a=fmtp needs <pt> <parameters>");
    if (!c->m->n_codecs)
        return 0; /* e.g. a=fmtp:webrtc-datachannel on an SCTP section */
    yh_sdp_codec_t *k = codec_of(c, pt, &rc);
    if (!k)
        return rc;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    k->fmtp_truncated = n > YH_SDP_FMTP_MAX;
    if (n > YH_SDP_FMTP_MAX)
        n = YH_SDP_FMTP_MAX;
    memcpy(k->fmtp, v, n);
    k->fmtp[n] = '\0';
    char apt[8];
    uint32_t a;
    if (!k->fmtp_truncated && yh_sdp_fmtp_get(k->fmtp, "apt", apt, sizeof(apt)) == 0 &&
        yh_sdp__u32(apt, 127, &a) == 0)
        k->apt = (int)a;
    return 0;
}

/* a=rtcp-fb:<pt|*> <type> [<param>] (RFC 4585 section 4.2). */
static int a_rtcp_fb(yh_sdp_pctx_t *c, char *v)
{
    char *pt = yh_sdp__tok(&v), *type = yh_sdp__tok(&v), *param = yh_sdp__tok(&v);
    if (!pt || !type)
        return yh_sdp__pfail(c, YH_EPARSE, "a=rtcp-fb needs <pt> <type>");
    unsigned bit = 0;
    if (!strcmp(type, "nack"))
        bit = !param ? YH_SDP_FB_NACK : !strcmp(param, "pli") ? YH_SDP_FB_NACK_PLI : 0;
    else if (!strcmp(type, "ccm") && param && !strcmp(param, "fir"))
        bit = YH_SDP_FB_CCM_FIR;
    else if (!strcmp(type, "goog-remb"))
        bit = YH_SDP_FB_GOOG_REMB;
    else if (!strcmp(type, "transport-cc"))
        bit = YH_SDP_FB_TRANSPORT_CC;
    if (!strcmp(pt, "*")) {
        c->fb_all[c->sdp->n_media - 1] |= bit;
        return 0;
    }
    if (!c->m->n_codecs)
        return 0;
    int rc;
    yh_sdp_codec_t *k = codec_of(c, pt, &rc);
    if (k)
        k->fb |= bit;
    return rc;
}

static int parse_dir(const char *s, yh_sdp_dir_t *d)
{
    static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(s, names[i])) {
            *d = (yh_sdp_dir_t)i;
            return 0;
        }
    }
    return YH_EPARSE;
}

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285 section 7). */
static int a_extmap(yh_sdp_pctx_t *c, char *v)
{
    char *id = yh_sdp__tok(&v), *uri = yh_sdp__tok(&v);
    if (!id || !uri)
        return yh_sdp__pfail(c, YH_EPARSE, "a=extmap needs <id> <uri>");
    yh_sdp_dir_t dir = YH_SDP_DIR_SENDRECV;
    char *slash = strchr(id, '/');
    if (slash) {
        *slash++ = '\0';
        if (parse_dir(slash, &dir) != 0)
            return yh_sdp__pfail(c, YH_EPARSE, "a=extmap: bad direction \"%s\"", slash);
    }
    uint32_t n;
    if (yh_sdp__u32(id, 255, &n) != 0 || n == 0)
        return yh_sdp__pfail(c, YH_EPARSE, "a=extmap id \"%s\" not in 1..255", id);
    yh_sdp_media_t *m = c->m;
    if (strlen(uri) > YH_SDP_URI_MAX)
        return 0; /* longer than any URI we know: cannot matter */
    if (m->n_exts >= YH_SDP_MAX_EXTS)
        return yh_sdp__pfail(c, YH_ELIMIT, "too many a=extmap (at most %d)", YH_SDP_MAX_EXTS);
    yh_sdp_ext_t *e = &m->exts[m->n_exts++];
    e->id = (uint16_t)n;
    e->dir = dir;
    strcpy(e->uri, uri);
    return 0;
}

static yh_sdp_ssrc_t *ssrc_entry(yh_sdp_pctx_t *c, uint32_t ssrc, int *rc)
{
    yh_sdp_media_t *m = c->m;
    *rc = 0;
    for (uint8_t i = 0; i < m->n_ssrcs; i++)
        if (m->ssrcs[i].ssrc == ssrc)
            return &m->ssrcs[i];
    if (m->n_ssrcs >= YH_SDP_MAX_SSRCS) {
        *rc = yh_sdp__pfail(c, YH_ELIMIT, "too many ssrcs (at most %d)", YH_SDP_MAX_SSRCS);
        return NULL;
    }
    yh_sdp_ssrc_t *s = &m->ssrcs[m->n_ssrcs++];
    memset(s, 0, sizeof(*s));
    s->ssrc = ssrc;
    return s;
}

/* "<stream> [<track>]" of a=msid and a=ssrc:<n> msid: (RFC 8830). */
static int msid_pair(yh_sdp_pctx_t *c, char *v, char *stream, char *track)
{
    char *st = yh_sdp__tok(&v), *tr = yh_sdp__tok(&v);
    if (!st)
        return yh_sdp__pfail(c, YH_EPARSE, "msid needs <stream id> [<track id>]");
    int rc = yh_sdp__copy(c, stream, YH_SDP_MSID_MAX + 1, st, "msid stream id");
    if (rc == 0 && tr)
        rc = yh_sdp__copy(c, track, YH_SDP_MSID_MAX + 1, tr, "msid track id");
    return rc;
}

/* a=ssrc:<ssrc> <attribute>[:<value>] (RFC 5576 section 4.1). */
static int a_ssrc(yh_sdp_pctx_t *c, char *v)
{
    char *num = yh_sdp__tok(&v);
    while (*v == ' ' || *v == '\t')
        v++;
    uint32_t ssrc;
    if (!num || yh_sdp__u32(num, 0xffffffffu, &ssrc) != 0)
        return yh_sdp__pfail(c, YH_EPARSE, "a=ssrc needs a 32-bit ssrc");
    int rc;
    yh_sdp_ssrc_t *s = ssrc_entry(c, ssrc, &rc);
    if (!s)
        return rc;
    char *val = strchr(v, ':');
    if (val)
        *val++ = '\0';
    if (!strcmp(v, "cname") && val)
        return yh_sdp__copy(c, s->cname, sizeof(s->cname), val, "cname");
    if (!strcmp(v, "msid") && val)
        return msid_pair(c, val, s->msid_stream, s->msid_track);
    return 0;
}

/* a=ssrc-group:<semantics> <ssrc> ... (RFC 5576 section 4.2). */
static int a_ssrc_group(yh_sdp_pctx_t *c, char *v)
{
    yh_sdp_media_t *m = c->m;
    char *sem = yh_sdp__tok(&v);
    if (!sem)
        return yh_sdp__pfail(c, YH_EPARSE, "a=ssrc-group needs <semantics> <ssrc>...");
    if (m->n_ssrc_groups >= YH_SDP_MAX_SSRC_GROUPS)
        return yh_sdp__pfail(c, YH_ELIMIT, "too many a=ssrc-group (at most %d)",
                             YH_SDP_MAX_SSRC_GROUPS);
    yh_sdp_ssrc_group_t *g = &m->ssrc_groups[m->n_ssrc_groups];
    memset(g, 0, sizeof(*g));
    int rc = yh_sdp__copy(c, g->semantics, sizeof(g->semantics), sem, "ssrc-group semantics");
    if (rc != 0)
        return rc;
    for (char *t = yh_sdp__tok(&v); t; t = yh_sdp__tok(&v)) {
        if (g->n_ssrcs >= YH_SDP_MAX_GROUP_SSRCS)
            return yh_sdp__pfail(c, YH_ELIMIT, "a=ssrc-group with more than %d ssrcs",
                                 YH_SDP_MAX_GROUP_SSRCS);
        if (yh_sdp__u32(t, 0xffffffffu, &g->ssrcs[g->n_ssrcs]) != 0)
            return yh_sdp__pfail(c, YH_EPARSE, "a=ssrc-group: bad ssrc \"%s\"", t);
        g->n_ssrcs++;
    }
    if (!g->n_ssrcs)
        return yh_sdp__pfail(c, YH_EPARSE, "a=ssrc-group without ssrcs");
    m->n_ssrc_groups++;
    return 0;
}

/* a=rid:<id> <send|recv> [<restrictions>] (RFC 8851 section 10). */
static int a_rid(yh_sdp_pctx_t *c, char *v)
{
    yh_sdp_media_t *m = c->m;
    char *id = yh_sdp__tok(&v), *dir = yh_sdp__tok(&v);
    if (!id || !dir || !valid_rid(id))
        return yh_sdp__pfail(c, YH_EPARSE, "a=rid needs <rid-id> send|recv");
    if (strcmp(dir, "send") && strcmp(dir, "recv"))
        return yh_sdp__pfail(c, YH_EPARSE, "a=rid direction \"%s\" is not send or recv", dir);
    if (m->n_rids >= YH_SDP_MAX_RIDS)
        return yh_sdp__pfail(c, YH_ELIMIT, "too many a=rid (at most %d)", YH_SDP_MAX_RIDS);
    yh_sdp_rid_t *r = &m->rids[m->n_rids];
    int rc = yh_sdp__copy(c, r->id, sizeof(r->id), id, "rid");
    if (rc != 0)
        return rc;
    r->dir = dir[0] == 's' ? YH_SDP_DIR_SENDONLY : YH_SDP_DIR_RECVONLY;
    m->n_rids++;
    return 0;
}

/* One a=simulcast stream list "q;h,h2;~f": the first alternative of each
 * stream, pause markers dropped (RFC 8853 section 5.1). The legacy
 * "rid=" prefix of draft-ietf-mmusic-sdp-simulcast-03 is accepted. */
static int sim_list(yh_sdp_pctx_t *c, char *list, char out[][YH_SDP_RID_MAX + 1], uint8_t *n)
{
    if (!strncmp(list, "rid=", 4))
        list += 4;
    char *save = list;
    for (char *s = save; s; s = save) {
        save = strchr(s, ';');
        if (save)
            *save++ = '\0';
        char *alt = strchr(s, ',');
        if (alt)
            *alt = '\0';
        if (*s == '~')
            s++;
        if (!valid_rid(s))
            return yh_sdp__pfail(c, YH_EPARSE, "a=simulcast: bad rid \"%s\"", s);
        if (*n >= YH_SDP_MAX_RIDS)
            return yh_sdp__pfail(c, YH_ELIMIT, "a=simulcast with more than %d streams",
                                 YH_SDP_MAX_RIDS);
        int rc = yh_sdp__copy(c, out[*n], YH_SDP_RID_MAX + 1, s, "rid");
        if (rc != 0)
            return rc;
        (*n)++;
    }
    return 0;
}

/* a=simulcast:<send|recv> <list> [<recv|send> <list>] (RFC 8853). */
static int a_simulcast(yh_sdp_pctx_t *c, char *v)
{
    yh_sdp_simulcast_t *s = &c->m->simulcast;
    memset(s, 0, sizeof(*s));
    char *dir;
    int rc = 0, n = 0;
    while (rc == 0 && (dir = yh_sdp__tok(&v)) != NULL) {
        char *list = yh_sdp__tok(&v);
        if (!list)
            return yh_sdp__pfail(c, YH_EPARSE, "a=simulcast: \"%s\" without a list", dir);
        if (!strcmp(dir, "send") && !s->n_send)
            rc = sim_list(c, list, s->send, &s->n_send);
        else if (!strcmp(dir, "recv") && !s->n_recv)
            rc = sim_list(c, list, s->recv, &s->n_recv);
        else
            return yh_sdp__pfail(c, YH_EPARSE, "a=simulcast: unexpected \"%s\"", dir);
        n++;
    }
    if (rc == 0 && n == 0)
        return yh_sdp__pfail(c, YH_EPARSE, "a=simulcast without streams");
    s->present = rc == 0;
    return rc;
}

static int a_msid(yh_sdp_pctx_t *c, char *v)
{
    return msid_pair(c, v, c->m->msid_stream, c->m->msid_track);
}

static int a_mid(yh_sdp_pctx_t *c, char *v)
{
    char *mid = yh_sdp__tok(&v);
    if (!mid)
        return yh_sdp__pfail(c, YH_EPARSE, "a=mid needs a value");
    return yh_sdp__copy(c, c->m->mid, sizeof(c->m->mid), mid, "a=mid");
}

static int a_ufrag(yh_sdp_pctx_t *c, char *v)
{
    char *dst = c->m ? c->m->ice_ufrag : c->sdp->ice_ufrag;
    char *t = yh_sdp__tok(&v);
    return t ? yh_sdp__copy(c, dst, YH_SDP_UFRAG_MAX + 1, t, "ice-ufrag") : need(c, t, "ice-ufrag");
}

static int a_pwd(yh_sdp_pctx_t *c, char *v)
{
    char *dst = c->m ? c->m->ice_pwd : c->sdp->ice_pwd;
    char *t = yh_sdp__tok(&v);
    return t ? yh_sdp__copy(c, dst, YH_SDP_PWD_MAX + 1, t, "ice-pwd") : need(c, t, "ice-pwd");
}

/* a=fingerprint:<hash> <value> (RFC 8122 section 5). Of several, sha-256
 * wins (what the server checks), else the first is kept. */
static int a_fingerprint(yh_sdp_pctx_t *c, char *v)
{
    yh_sdp_fingerprint_t *fp = c->m ? &c->m->fingerprint : &c->sdp->fingerprint;
    char *alg = yh_sdp__tok(&v), *val = yh_sdp__tok(&v);
    if (!alg || !val)
        return yh_sdp__pfail(c, YH_EPARSE, "a=fingerprint needs <hash> <value>");
    for (char *p = alg; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (fp->alg[0] && (strcmp(alg, "sha-256") || !strcmp(fp->alg, "sha-256")))
        return 0;
    yh_sdp_fingerprint_t tmp;
    int rc = yh_sdp__copy(c, tmp.alg, sizeof(tmp.alg), alg, "fingerprint hash name");
    if (rc == 0)
        rc = yh_sdp__copy(c, tmp.value, sizeof(tmp.value), val, "fingerprint");
    if (rc == 0)
        *fp = tmp;
    return rc;
}

static int a_setup(yh_sdp_pctx_t *c, char *v)
{
    static const char *const names[] = {"actpass", "active", "passive", "holdconn"};
    char *t = yh_sdp__tok(&v);
    for (int i = 0; t && i < 4; i++) {
        if (!strcmp(t, names[i])) {
            *(c->m ? &c->m->setup : &c->sdp->setup) = (yh_sdp_setup_t)(YH_SDP_SETUP_ACTPASS + i);
            return 0;
        }
    }
    return yh_sdp__pfail(c, YH_EPARSE, "a=setup must be actpass, active, passive or holdconn");
}

/* a=group:BUNDLE <mid> ... (RFC 8843); other groups are ignored, as is a
 * second BUNDLE group (the server uses one transport). */
static int a_group(yh_sdp_pctx_t *c, char *v)
{
    yh_sdp_t *sdp = c->sdp;
    char *sem = yh_sdp__tok(&v);
    if (!sem)
        return yh_sdp__pfail(c, YH_EPARSE, "a=group needs a semantics");
    if (strcmp(sem, "BUNDLE") || sdp->has_bundle)
        return 0;
    sdp->has_bundle = 1;
    for (char *t = yh_sdp__tok(&v); t; t = yh_sdp__tok(&v)) {
        if (sdp->n_bundle >= YH_SDP_MAX_BUNDLE)
            return yh_sdp__pfail(c, YH_ELIMIT, "BUNDLE group too large");
        int rc = yh_sdp__copy(c, sdp->bundle[sdp->n_bundle], YH_SDP_MID_MAX + 1, t, "mid");
        if (rc != 0)
            return rc;
        sdp->n_bundle++;
    }
    return 0;
}

static int a_dir(yh_sdp_pctx_t *c, yh_sdp_dir_t d)
{
    if (c->m) {
        c->m->dir = d;
        c->dir_set[c->sdp->n_media - 1] = 1;
    } else {
        c->sess_dir = d;
        c->sess_dir_set = 1;
    }
    return 0;
}

static int a_sendrecv(yh_sdp_pctx_t *c, char *v)
{
    return a_dir(c, YH_SDP_DIR_SENDRECV);
}
static int a_sendonly(yh_sdp_pctx_t *c, char *v)
{
    return a_dir(c, YH_SDP_DIR_SENDONLY);
}
static int a_recvonly(yh_sdp_pctx_t *c, char *v)
{
    return a_dir(c, YH_SDP_DIR_RECVONLY);
}
static int a_inactive(yh_sdp_pctx_t *c, char *v)
{
    return a_dir(c, YH_SDP_DIR_INACTIVE);
}
static int a_ice_lite(yh_sdp_pctx_t *c, char *v)
{
    c->sdp->ice_lite = 1;
    return 0;
}
static int a_rtcp_mux(yh_sdp_pctx_t *c, char *v)
{
    c->m->rtcp_mux = 1;
    return 0;
}
static int a_rtcp_rsize(yh_sdp_pctx_t *c, char *v)
{
    c->m->rtcp_rsize = 1;
    return 0;
}
static int a_bundle_only(yh_sdp_pctx_t *c, char *v)
{
    c->m->bundle_only = 1;
    return 0;
}
static int a_eoc(yh_sdp_pctx_t *c, char *v)
{
    c->m->end_of_candidates = 1;
    return 0;
}

static int a_candidate(yh_sdp_pctx_t *c, char *v)
{
    if (c->m->n_candidates < 255)
        c->m->n_candidates++;
    return 0;
}

static const struct {
    const char *name;
    uint8_t where;
    uint8_t has_value; /* 1: a value is required */
    attr_fn fn;
} attrs[] = {
    {"group", AT_SESSION, 1, a_group},
    {"ice-lite", AT_SESSION, 0, a_ice_lite},
    {"ice-ufrag", AT_BOTH, 1, a_ufrag},
    {"ice-pwd", AT_BOTH, 1, a_pwd},
    {"fingerprint", AT_BOTH, 1, a_fingerprint},
    {"setup", AT_BOTH, 1, a_setup},
    {"sendrecv", AT_BOTH, 0, a_sendrecv},
    {"sendonly", AT_BOTH, 0, a_sendonly},
    {"recvonly", AT_BOTH, 0, a_recvonly},
    {"inactive", AT_BOTH, 0, a_inactive},
    {"mid", AT_MEDIA, 1, a_mid},
    {"rtcp-mux", AT_MEDIA, 0, a_rtcp_mux},
    {"rtcp-rsize", AT_MEDIA, 0, a_rtcp_rsize},
    {"bundle-only", AT_MEDIA, 0, a_bundle_only},
    {"end-of-candidates", AT_MEDIA, 0, a_eoc},
    {"candidate", AT_MEDIA, 1, a_candidate},
    {"rtpmap", AT_MEDIA, 1, a_rtpmap},
    {"fmtp", AT_MEDIA, 1, a_fmtp},
    {"rtcp-fb", AT_MEDIA, 1, a_rtcp_fb},
    {"extmap", AT_MEDIA, 1, a_extmap},
    {"ssrc", AT_MEDIA, 1, a_ssrc},
    {"ssrc-group", AT_MEDIA, 1, a_ssrc_group},
    {"rid", AT_MEDIA, 1, a_rid},
    {"simulcast", AT_MEDIA, 1, a_simulcast},
    {"msid", AT_MEDIA, 1, a_msid},
};

int yh_sdp__attr(yh_sdp_pctx_t *c, char *val)
{
    char *colon = strchr(val, ':');
    if (colon)
        *colon++ = '\0';
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
        if (strcmp(val, attrs[i].name) != 0)
            continue;
        if (!(attrs[i].where & (c->m ? AT_MEDIA : AT_SESSION)))
            return 0; /* e.g. a session-level a=extmap: not used */
        if (attrs[i].has_value && (!colon || !*colon))
            return need(c, NULL, attrs[i].name);
        return attrs[i].fn(c, colon);
    }
    return 0;
}

void yh_sdp__finish_media(yh_sdp_pctx_t *c)
{
    if (!c->m)
        return;
    unsigned all = c->fb_all[c->sdp->n_media - 1];
    for (uint8_t i = 0; i < c->m->n_codecs; i++)
        c->m->codecs[i].fb |= all;
    c->m = NULL;
}

static int check_mids(yh_sdp_pctx_t *c)
{
    yh_sdp_t *sdp = c->sdp;
    for (uint8_t i = 0; i < sdp->n_media; i++) {
        for (uint8_t j = 0; sdp->media[i].mid[0] && j < i; j++)
            if (!strcmp(sdp->media[i].mid, sdp->media[j].mid))
                return yh_sdp__fail(c->err, c->err_cap, YH_EPARSE, "duplicate a=mid:%s",
                                    sdp->media[i].mid);
    }
    for (uint8_t i = 0; i < sdp->n_bundle; i++)
        if (!yh_sdp_find_media(sdp, sdp->bundle[i]))
            return yh_sdp__fail(c->err, c->err_cap, YH_EPARSE,
                                "a=group:BUNDLE names mid \"%s\" that no m-line has",
                                sdp->bundle[i]);
    return 0;
}

int yh_sdp__resolve(yh_sdp_pctx_t *c)
{
    yh_sdp_t *sdp = c->sdp;
    for (uint8_t i = 0; i < sdp->n_media; i++) {
        yh_sdp_media_t *m = &sdp->media[i];
        if (!m->ice_ufrag[0])
            strcpy(m->ice_ufrag, sdp->ice_ufrag);
        if (!m->ice_pwd[0])
            strcpy(m->ice_pwd, sdp->ice_pwd);
        if (!m->fingerprint.alg[0])
            m->fingerprint = sdp->fingerprint;
        if (m->setup == YH_SDP_SETUP_NONE)
            m->setup = sdp->setup;
        if (!c->dir_set[i])
            m->dir = c->sess_dir_set ? c->sess_dir : YH_SDP_DIR_SENDRECV;
    }
    return check_mids(c);
}
