/*
 * Helpers shared by the SDP files, not part of the module's interface: an
 * error-text writer, a bounded output buffer and the transport block every
 * server-written m-section carries.
 */
#ifndef YH_SDP_SDP_INTERNAL_H
#define YH_SDP_SDP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp/sdp.h"

/* Formats a reason into err (if any) and returns `code`. */
int yh_sdp__fail(char *err, size_t err_cap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Output buffer: appends stop at the first overflow, which is sticky, so
 * writers check once at the end. The text stays NUL-terminated. */
typedef struct yh_sdp_buf {
    char *p;
    size_t cap;
    size_t len;
    int overflow;
} yh_sdp_buf_t;

void yh_sdp__buf_init(yh_sdp_buf_t *b, char *p, size_t cap);
/* Appends one line; the format excludes the CRLF, which is added. */
void yh_sdp__line(yh_sdp_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Length written, or YH_ENOSPACE. */
int yh_sdp__buf_finish(yh_sdp_buf_t *b);

/* The session part shared by answers and offers: v=, o=, s=, t=,
 * a=ice-lite, a=group:BUNDLE (when n_mids > 0), a=msid-semantic. */
void yh_sdp__write_session(yh_sdp_buf_t *b, const yh_sdp_local_t *local, uint64_t version,
                           const char *const *mids, size_t n_mids);
/* c= with the first candidate address (0.0.0.0 when there is none). */
void yh_sdp__write_conn(yh_sdp_buf_t *b, const yh_sdp_local_t *local);
/* a=ice-ufrag, a=ice-pwd, a=fingerprint, a=setup. */
void yh_sdp__write_transport(yh_sdp_buf_t *b, const yh_sdp_local_t *local, yh_sdp_setup_t setup);
/* a=candidate lines and a=end-of-candidates. */
void yh_sdp__write_candidates(yh_sdp_buf_t *b, const yh_sdp_local_t *local);
/* 0 or YH_EINVAL with a reason: the local parameters are usable. */
int yh_sdp__check_local(const yh_sdp_local_t *local, char *err, size_t err_cap);

/* ---- Parser internals (sdp_parse.c, sdp_attr.c) ---- */

typedef struct yh_sdp_pctx {
    yh_sdp_t *sdp;
    yh_sdp_media_t *m;                 /* current m-section, NULL at session level */
    unsigned fb_all[YH_SDP_MAX_MEDIA]; /* a=rtcp-fb:* per m-section */
    uint8_t dir_set[YH_SDP_MAX_MEDIA];
    uint8_t sess_dir_set;
    yh_sdp_dir_t sess_dir;
    uint8_t seen_v, seen_o, seen_s;
    int line_no;
    char *err;
    size_t err_cap;
} yh_sdp_pctx_t;

/* Writes "line N: <reason>" and returns `code`. */
int yh_sdp__pfail(yh_sdp_pctx_t *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copies a NUL-terminated value into dst[cap], YH_ELIMIT if it is longer. */
int yh_sdp__copy(yh_sdp_pctx_t *c, char *dst, size_t cap, const char *src, const char *what);
/* Splits off the next blank-separated token (in place), NULL at the end. */
char *yh_sdp__tok(char **s);
/* A decimal number of at most 10 digits: 0, YH_EPARSE or YH_ERANGE. */
int yh_sdp__u32(const char *s, uint32_t max, uint32_t *out);
/* The m= format list; creates the codecs of an RTP section. */
int yh_sdp__media_formats(yh_sdp_pctx_t *c, yh_sdp_media_t *m, char *fmts);
/* One a= line (the text after "a="). */
int yh_sdp__attr(yh_sdp_pctx_t *c, char *val);
/* Ends the current m-section (merges a=rtcp-fb:*). */
void yh_sdp__finish_media(yh_sdp_pctx_t *c);
/* After the last line: session values into m-sections, cross checks. */
int yh_sdp__resolve(yh_sdp_pctx_t *c);

/* Case-insensitive ASCII equality (codec names are case-insensitive,
 * RFC 4855 section 3). */
int yh_sdp__ieq(const char *a, const char *b);

#endif
