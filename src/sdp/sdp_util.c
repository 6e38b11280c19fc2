/* Look-ups over the parsed model and small helpers of the SDP module. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"

int yh_sdp__fail(char *err, size_t err_cap, int code, const char *fmt, ...)
{
    if (err && err_cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_cap, fmt, ap);
        va_end(ap);
    }
    return code;
}

int yh_sdp__ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

const yh_sdp_media_t *yh_sdp_find_media(const yh_sdp_t *sdp, const char *mid)
{
    for (uint8_t i = 0; mid && mid[0] && i < sdp->n_media; i++)
        if (!strcmp(sdp->media[i].mid, mid))
            return &sdp->media[i];
    return NULL;
}

const yh_sdp_codec_t *yh_sdp_find_codec(const yh_sdp_media_t *m, uint8_t pt)
{
    for (uint8_t i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

unsigned yh_sdp_find_ext(const yh_sdp_media_t *m, const char *uri)
{
    for (uint8_t i = 0; i < m->n_exts; i++)
        if (!strcmp(m->exts[i].uri, uri))
            return m->exts[i].id;
    return 0;
}

/* fmtp parameters are "key=value" separated by ';' (RFC 8866 section 6.15
 * leaves the format to the codec; every codec we handle uses this one, with
 * case-insensitive keys, RFC 6184 section 8.1). */
int yh_sdp_fmtp_get(const char *fmtp, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    const char *p = fmtp;
    while (p && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > klen && p[klen] == '=' && !strncasecmp(p, key, klen)) {
            size_t vlen = n - klen - 1;
            while (vlen && p[klen + 1 + vlen - 1] == ' ')
                vlen--;
            if (vlen >= cap)
                return YH_ENOSPACE;
            memcpy(out, p + klen + 1, vlen);
            out[vlen] = '\0';
            return 0;
        }
        p = end;
    }
    return YH_ENOTFOUND;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* RFC 6184 section 8.1: profile-level-id is profile_idc, profile-iop and
 * level_idc as six hex digits, default 420010 (Baseline). Constrained
 * Baseline is profile_idc 0x42 with constraint_set1_flag (0x40) set, the
 * pattern "x1xx0000" that libwebrtc's h264_profile_level_id.cc uses. */
int yh_sdp_h264_match(const char *fmtp)
{
    char v[16];
    if (yh_sdp_fmtp_get(fmtp, "packetization-mode", v, sizeof(v)) != 0 || strcmp(v, "1") != 0)
        return 0;
    if (yh_sdp_fmtp_get(fmtp, "profile-level-id", v, sizeof(v)) != 0)
        strcpy(v, "420010");
    if (strlen(v) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (hexval(v[i]) < 0)
            return 0;
    int idc = hexval(v[0]) << 4 | hexval(v[1]);
    int iop = hexval(v[2]) << 4 | hexval(v[3]);
    if (idc != 0x42 || (iop & 0x0f) != 0)
        return 0;
    return (iop & 0x40) ? 2 : 1;
}

const char *yh_sdp_kind_str(yh_sdp_kind_t k)
{
    switch (k) {
    case YH_SDP_KIND_AUDIO:
        return "audio";
    case YH_SDP_KIND_VIDEO:
        return "video";
    case YH_SDP_KIND_APPLICATION:
        return "application";
    default:
        return "other";
    }
}

const char *yh_sdp_dir_str(yh_sdp_dir_t d)
{
    switch (d) {
    case YH_SDP_DIR_SENDONLY:
        return "sendonly";
    case YH_SDP_DIR_RECVONLY:
        return "recvonly";
    case YH_SDP_DIR_INACTIVE:
        return "inactive";
    default:
        return "sendrecv";
    }
}

const char *yh_sdp_setup_str(yh_sdp_setup_t s)
{
    switch (s) {
    case YH_SDP_SETUP_ACTPASS:
        return "actpass";
    case YH_SDP_SETUP_ACTIVE:
        return "active";
    case YH_SDP_SETUP_PASSIVE:
        return "passive";
    case YH_SDP_SETUP_HOLDCONN:
        return "holdconn";
    default:
        return "none";
    }
}
