/*
 * SDP for a WebRTC SFU (RFC 8866 syntax, JSEP RFC 8829 offer/answer, unified
 * plan, BUNDLE RFC 8843, rtcp-mux RFC 5761, DTLS-SRTP RFC 5763/8842, ICE-lite
 * RFC 8839, simulcast RFC 8853 with rids RFC 8851).
 *
 * Three jobs, no I/O and no allocation:
 *  - parse: text -> yh_sdp_t, a bounded model the caller allocates once (it
 *    is a few hundred KiB: put it on the heap, not the stack);
 *  - publish: a client's offer -> the server's answer text plus yh_sdp_pub_t,
 *    what the media plane needs (codec, PTs, extension ids, ssrcs, rids);
 *  - subscribe: the server's offer text from a list of slots (one m-section
 *    per track, never removed), and the check of the client's answer.
 *
 * Every writer fills a caller buffer with CRLF lines, NUL-terminates it and
 * returns the length written (excluding the NUL), or YH_ENOSPACE when the
 * buffer is too small. Functions taking `err`/`err_cap` write a one-line,
 * human-readable reason there on failure (`err` may be NULL).
 *
 * Thread-safety: none needed; every function works only on its arguments.
 */
#ifndef YH_SDP_SDP_H
#define YH_SDP_SDP_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* ---- Limits (inputs beyond them are rejected with YH_ELIMIT) ---------- */

#define YH_SDP_MAX_SIZE 65536 /* whole description, bytes */
#define YH_SDP_LINE_MAX 2048  /* one line, bytes, excluding CRLF */
/* m-sections. Not 16: a subscriber connection carries one m-section per
 * received track (two per remote participant) and its answer must parse. */
#define YH_SDP_MAX_MEDIA 64
#define YH_SDP_MAX_CODECS 64 /* payload types per m-section */
#define YH_SDP_MAX_EXTS 32   /* a=extmap per m-section */
#define YH_SDP_MAX_SSRCS 16  /* distinct a=ssrc per m-section */
#define YH_SDP_MAX_SSRC_GROUPS 8
#define YH_SDP_MAX_GROUP_SSRCS 4 /* ssrcs in one a=ssrc-group */
#define YH_SDP_MAX_RIDS 8
#define YH_SDP_MAX_BUNDLE YH_SDP_MAX_MEDIA

/* String capacities (characters, excluding the NUL). Longer values are a
 * YH_ELIMIT error, except a codec's fmtp, see yh_sdp_codec_t. */
#define YH_SDP_UFRAG_MAX 256 /* RFC 8839: ice-ufrag 4..256 chars */
#define YH_SDP_PWD_MAX 256   /* RFC 8839: ice-pwd 22..256 chars */
#define YH_SDP_FP_ALG_MAX 15
#define YH_SDP_FP_MAX 191 /* sha-512: 64 hex pairs with ':' */
#define YH_SDP_MID_MAX 32
#define YH_SDP_PROTO_MAX 32
#define YH_SDP_CODEC_NAME_MAX 31
#define YH_SDP_FMTP_MAX 255
#define YH_SDP_URI_MAX 127
#define YH_SDP_CNAME_MAX 64
#define YH_SDP_MSID_MAX 64 /* RFC 8830: each id is 1*64 token-char */
#define YH_SDP_RID_MAX 32
#define YH_SDP_IP_MAX 45 /* INET6_ADDRSTRLEN - 1 */
#define YH_SDP_SEMANTICS_MAX 15

/* ---- Enumerations ------------------------------------------------------ */

typedef enum yh_sdp_kind {
    YH_SDP_KIND_OTHER = 0,
    YH_SDP_KIND_AUDIO,
    YH_SDP_KIND_VIDEO,
    YH_SDP_KIND_APPLICATION,
} yh_sdp_kind_t;

typedef enum yh_sdp_dir {
    YH_SDP_DIR_SENDRECV = 0, /* also the RFC 8866 default when absent */
    YH_SDP_DIR_SENDONLY,
    YH_SDP_DIR_RECVONLY,
    YH_SDP_DIR_INACTIVE,
} yh_sdp_dir_t;

/* a=setup (RFC 4145). The server's own role follows: PASSIVE means the
 * server is the DTLS server, ACTIVE means it is the DTLS client. */
typedef enum yh_sdp_setup {
    YH_SDP_SETUP_NONE = 0, /* absent */
    YH_SDP_SETUP_ACTPASS,
    YH_SDP_SETUP_ACTIVE,
    YH_SDP_SETUP_PASSIVE,
    YH_SDP_SETUP_HOLDCONN,
} yh_sdp_setup_t;

/* a=rtcp-fb values, as a bit set (RFC 4585, RFC 5104, draft-alvestrand-
 * rmcat-remb, draft-holmer-rmcat-transport-wide-cc-extensions). */
enum {
    YH_SDP_FB_NACK = 1u << 0,
    YH_SDP_FB_NACK_PLI = 1u << 1,
    YH_SDP_FB_CCM_FIR = 1u << 2,
    YH_SDP_FB_GOOG_REMB = 1u << 3,
    YH_SDP_FB_TRANSPORT_CC = 1u << 4,
};

/* RTP header extension URIs the server understands. */
#define YH_SDP_EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define YH_SDP_EXT_TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define YH_SDP_EXT_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define YH_SDP_EXT_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define YH_SDP_EXT_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define YH_SDP_EXT_REPAIRED_RID "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
#define YH_SDP_EXT_PLAYOUT_DELAY "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

/* Fixed payload types of the subscriber side, so that one PT means one
 * codec across the whole BUNDLE (Chrome's own numbers). */
#define YH_SDP_PT_OPUS 111
#define YH_SDP_PT_VP8 96
#define YH_SDP_PT_H264 102
#define YH_SDP_PT_VP8_RTX 97
#define YH_SDP_PT_H264_RTX 103
#define YH_SDP_PT_RED 63 /* RFC 2198 redundant Opus */

/* Extension ids the server uses in its subscriber offers. */
#define YH_SDP_SUB_EXT_AUDIO_LEVEL 1
#define YH_SDP_SUB_EXT_ABS_SEND_TIME 2
#define YH_SDP_SUB_EXT_TWCC 3
#define YH_SDP_SUB_EXT_MID 4
#define YH_SDP_SUB_EXT_PLAYOUT_DELAY 5 /* video only */

/* ---- Parsed model ------------------------------------------------------ */

typedef struct yh_sdp_fingerprint {
    char alg[YH_SDP_FP_ALG_MAX + 1]; /* lower case, e.g. "sha-256"; "" if none */
    char value[YH_SDP_FP_MAX + 1];   /* as written: "AB:CD:..." */
} yh_sdp_fingerprint_t;

/* One payload type of an RTP m-section, in m= line order (preference). */
typedef struct yh_sdp_codec {
    uint8_t pt;
    char name[YH_SDP_CODEC_NAME_MAX + 1]; /* as written ("opus", "VP8"); "" if no rtpmap */
    uint32_t clock;                       /* 0 if no rtpmap */
    uint8_t channels;                     /* 0 when not given */
    /* a=fmtp parameters as written. A longer fmtp is cut and flagged so the
     * codec is never chosen, instead of failing the whole description. */
    char fmtp[YH_SDP_FMTP_MAX + 1];
    uint8_t fmtp_truncated;
    unsigned fb; /* YH_SDP_FB_* (a=rtcp-fb:* is merged in) */
    int apt;     /* rtx: the associated payload type, -1 when absent */
} yh_sdp_codec_t;

typedef struct yh_sdp_ext {
    uint16_t id;      /* 1..14 one-byte, up to 255 two-byte (RFC 8285) */
    yh_sdp_dir_t dir; /* "a=extmap:2/recvonly ..."; SENDRECV when absent */
    char uri[YH_SDP_URI_MAX + 1];
} yh_sdp_ext_t;

typedef struct yh_sdp_ssrc {
    uint32_t ssrc;
    char cname[YH_SDP_CNAME_MAX + 1];
    char msid_stream[YH_SDP_MSID_MAX + 1];
    char msid_track[YH_SDP_MSID_MAX + 1];
} yh_sdp_ssrc_t;

typedef struct yh_sdp_ssrc_group {
    char semantics[YH_SDP_SEMANTICS_MAX + 1]; /* "FID", "SIM", "FEC-FR", ... */
    uint32_t ssrcs[YH_SDP_MAX_GROUP_SSRCS];
    uint8_t n_ssrcs;
} yh_sdp_ssrc_group_t;

/* a=rid (RFC 8851); restrictions after the direction are not kept. */
typedef struct yh_sdp_rid {
    char id[YH_SDP_RID_MAX + 1];
    yh_sdp_dir_t dir; /* SENDONLY for "send", RECVONLY for "recv" */
} yh_sdp_rid_t;

/* a=simulcast (RFC 8853): the rid ids of each direction, in order. Of a
 * list of alternatives ("a,b") only the first is kept; a paused "~" prefix
 * is dropped. */
typedef struct yh_sdp_simulcast {
    uint8_t present;
    uint8_t n_send, n_recv;
    char send[YH_SDP_MAX_RIDS][YH_SDP_RID_MAX + 1];
    char recv[YH_SDP_MAX_RIDS][YH_SDP_RID_MAX + 1];
} yh_sdp_simulcast_t;

typedef struct yh_sdp_media {
    yh_sdp_kind_t kind;
    char kind_str[16]; /* the m= token as written ("audio", "video", ...) */
    uint16_t port;     /* 0: rejected / stopped m-section */
    char proto[YH_SDP_PROTO_MAX + 1];
    char fmt0[YH_SDP_PROTO_MAX + 1]; /* first m= format, for rejecting */
    char mid[YH_SDP_MID_MAX + 1];    /* "" when absent */
    yh_sdp_dir_t dir;                /* media level, else session level, else SENDRECV */
    uint8_t rtcp_mux, rtcp_rsize, bundle_only, end_of_candidates;
    uint8_t n_candidates; /* counted, not kept (the server is ICE-lite) */
    /* Transport parameters, already resolved: a media-level value wins,
     * else the session-level value is copied in by the parser. */
    char ice_ufrag[YH_SDP_UFRAG_MAX + 1];
    char ice_pwd[YH_SDP_PWD_MAX + 1];
    yh_sdp_fingerprint_t fingerprint; /* sha-256 preferred if several */
    yh_sdp_setup_t setup;
    /* RTP only ("RTP/" in proto): payload types from the m= line. */
    yh_sdp_codec_t codecs[YH_SDP_MAX_CODECS];
    uint8_t n_codecs;
    yh_sdp_ext_t exts[YH_SDP_MAX_EXTS];
    uint8_t n_exts;
    yh_sdp_ssrc_t ssrcs[YH_SDP_MAX_SSRCS];
    uint8_t n_ssrcs;
    yh_sdp_ssrc_group_t ssrc_groups[YH_SDP_MAX_SSRC_GROUPS];
    uint8_t n_ssrc_groups;
    yh_sdp_rid_t rids[YH_SDP_MAX_RIDS];
    uint8_t n_rids;
    yh_sdp_simulcast_t simulcast;
    /* a=msid:<stream> <track> (RFC 8830); "" when absent. */
    char msid_stream[YH_SDP_MSID_MAX + 1];
    char msid_track[YH_SDP_MSID_MAX + 1];
} yh_sdp_media_t;

typedef struct yh_sdp {
    char origin_sess_id[32]; /* o= session id and version, as written */
    char origin_sess_version[32];
    char ice_ufrag[YH_SDP_UFRAG_MAX + 1]; /* session level ("" if none) */
    char ice_pwd[YH_SDP_PWD_MAX + 1];
    yh_sdp_fingerprint_t fingerprint;
    yh_sdp_setup_t setup;
    uint8_t ice_lite;
    uint8_t has_bundle; /* a=group:BUNDLE present */
    uint8_t n_bundle;
    char bundle[YH_SDP_MAX_BUNDLE][YH_SDP_MID_MAX + 1];
    uint8_t n_media;
    yh_sdp_media_t media[YH_SDP_MAX_MEDIA];
} yh_sdp_t;

/* Parses `len` bytes of `text` (need not be NUL-terminated; CRLF or LF).
 * `out` is fully overwritten. Returns 0, or YH_EPARSE (malformed),
 * YH_ELIMIT (a bound above exceeded, e.g. "too many m-lines") or YH_EINVAL,
 * with the reason in `err`. */
int yh_sdp_parse(const char *text, size_t len, yh_sdp_t *out, char *err, size_t err_cap);

/* The m-section with this mid, or NULL. Borrowed from `sdp`. */
const yh_sdp_media_t *yh_sdp_find_media(const yh_sdp_t *sdp, const char *mid);
/* The codec with this payload type, or NULL. Borrowed from `m`. */
const yh_sdp_codec_t *yh_sdp_find_codec(const yh_sdp_media_t *m, uint8_t pt);
/* The id of the extension with this URI, or 0 when not offered. */
unsigned yh_sdp_find_ext(const yh_sdp_media_t *m, const char *uri);
/* Copies the value of `key` from a "k=v;k2=v2" fmtp into `out`. 0, or
 * YH_ENOTFOUND, or YH_ENOSPACE. */
int yh_sdp_fmtp_get(const char *fmtp, const char *key, char *out, size_t cap);
/* Classifies an H.264 fmtp (RFC 6184 section 8.1): 2 for
 * packetization-mode=1 with Constrained Baseline (profile_idc 0x42 with the
 * constraint_set1 bit 0x40, e.g. 42e01f, 42c01f), 1 for packetization-mode=1
 * with plain Baseline (0x42 without it, e.g. 42001f), 0 for anything else.
 * Publisher negotiation takes the first 2, else the first 1. */
int yh_sdp_h264_match(const char *fmtp);

const char *yh_sdp_kind_str(yh_sdp_kind_t k);
const char *yh_sdp_dir_str(yh_sdp_dir_t d);
const char *yh_sdp_setup_str(yh_sdp_setup_t s);

/* ---- The server's side ------------------------------------------------- */

/* Publisher answers accept the offer's RTX (RFC 4588) for the chosen video
 * codec; subscriber offers do not carry RTX yet. */
#define YH_SDP_F_RTX 1u
/* Redundant audio (RFC 2198): publisher answers accept the offer's
 * red/48000/2 whose fmtp names only the chosen Opus ("111/111") and list
 * it before Opus on the m= line (libwebrtc sends RED only then); subscriber
 * offers add red/48000/2 at YH_SDP_PT_RED after Opus on every Opus slot. */
#define YH_SDP_F_RED 2u

/* What the server puts in every description it writes. Borrowed strings. */
typedef struct yh_sdp_local {
    const char *ice_ufrag;
    const char *ice_pwd;
    const char *fingerprint; /* SHA-256, "AB:CD:..." (yh_dtls_cert_fingerprint) */
    /* Host candidates: one per address, all on `port` (the one UDP port).
     * When `announced_ips` is given (public addresses behind NAT) those are
     * written first, then `ips`; unspecified addresses (0.0.0.0, ::) are
     * skipped. c= carries the first address written. */
    const char *const *ips;
    size_t n_ips;
    const char *const *announced_ips;
    size_t n_announced_ips;
    uint16_t port;
    /* Publisher answers: the setup to answer an "actpass" offer with.
     * PASSIVE (the default when NONE) makes the server the DTLS server. An
     * "active" offer is always answered "passive". */
    yh_sdp_setup_t answer_setup;
    uint64_t session_id; /* o= session id, fixed per connection */
    unsigned flags;      /* YH_SDP_F_* */
} yh_sdp_local_t;

/* Header extension ids negotiated for one m-section; 0 when absent. */
typedef struct yh_sdp_ext_ids {
    uint8_t mid, twcc, audio_level, abs_send_time, rid, repaired_rid;
} yh_sdp_ext_ids_t;

/* A sending stream seen in the offer's a=ssrc / a=ssrc-group:FID lines. */
typedef struct yh_sdp_stream_ssrcs {
    uint32_t ssrc;
    uint32_t rtx_ssrc; /* 0 without a FID group */
} yh_sdp_stream_ssrcs_t;

/* One m-section of a publisher offer, as negotiated. */
typedef struct yh_sdp_pub_media {
    char mid[YH_SDP_MID_MAX + 1];
    yh_sdp_kind_t kind;
    uint8_t accepted; /* 0: rejected in the answer (port 0) */
    /* accepted and the client sends (offer sendonly/sendrecv; answered
     * recvonly). An accepted recvonly/inactive offer is answered inactive. */
    uint8_t receiving;
    yh_sdp_dir_t offer_dir; /* the client's direction */
    yh_sdp_codec_t codec;   /* chosen codec; fb holds the negotiated flags */
    uint8_t rtx_pt;         /* 0: no RTX (not offered, or YH_SDP_F_RTX unset) */
    uint8_t red_pt;         /* audio: RED carrying codec.pt; 0: none (YH_SDP_F_RED) */
    uint8_t rtcp_rsize;
    yh_sdp_ext_ids_t ext;
    /* The first sending stream (ssrc 0 when the offer lists none, as
     * Chrome does for simulcast: use the rid extension then). */
    uint32_t ssrc, rtx_ssrc;
    yh_sdp_stream_ssrcs_t streams[YH_SDP_MAX_SSRCS]; /* all of them */
    uint8_t n_streams;
    char cname[YH_SDP_CNAME_MAX + 1];
    char msid_stream[YH_SDP_MSID_MAX + 1];
    char msid_track[YH_SDP_MSID_MAX + 1];
    /* Simulcast: the send rids in the offer's a=simulcast order (low to
     * high for our clients: q, h, f); 0 when not simulcast. */
    uint8_t n_rids;
    char rids[YH_SDP_MAX_RIDS][YH_SDP_RID_MAX + 1];
} yh_sdp_pub_media_t;

typedef struct yh_sdp_pub {
    char remote_ufrag[YH_SDP_UFRAG_MAX + 1];
    char remote_pwd[YH_SDP_PWD_MAX + 1];
    yh_sdp_fingerprint_t remote_fingerprint; /* always sha-256 */
    yh_sdp_setup_t remote_setup;             /* ACTPASS or ACTIVE */
    yh_sdp_setup_t local_setup;              /* PASSIVE: server is DTLS server */
    uint8_t n_media;                         /* = the offer's m-section count */
    yh_sdp_pub_media_t media[YH_SDP_MAX_MEDIA];
} yh_sdp_pub_t;

/* Negotiates a publisher's offer (client sends, server receives) and
 * writes the answer into `buf`. Returns the answer length, or YH_EPARSE /
 * YH_EUNSUPPORTED (no ICE credentials, no sha-256 fingerprint, no
 * rtcp-mux, a=setup not actpass/active, nothing acceptable) with the
 * reason in `err`, or YH_ENOSPACE. `out` is valid only on success. */
int yh_sdp_pub_answer(const yh_sdp_t *offer, const yh_sdp_local_t *local, uint64_t version,
                      yh_sdp_pub_t *out, char *buf, size_t cap, char *err, size_t err_cap);

/* The codec of a subscriber slot (PT fixed, see YH_SDP_PT_*). */
typedef enum yh_sdp_codec_id {
    YH_SDP_CODEC_OPUS = 0,
    YH_SDP_CODEC_VP8,
    YH_SDP_CODEC_H264,
} yh_sdp_codec_id_t;

/* One m-section of a subscriber offer. The caller keeps the list: slots
 * are appended, never removed; a slot whose track left stays with
 * active = 0 (written a=inactive with the same mid and kind) and may be
 * reused for a later track of the same kind. */
typedef struct yh_sdp_sub_slot {
    yh_sdp_kind_t kind; /* AUDIO or VIDEO */
    char mid[YH_SDP_MID_MAX + 1];
    uint8_t active;
    yh_sdp_codec_id_t codec;
    /* "" for the default: Opus "minptime=10;useinbandfec=1", H.264
     * "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
     * none for VP8. Pass the publisher's fmtp to mirror it. */
    char fmtp[YH_SDP_FMTP_MAX + 1];
    uint32_t ssrc;
    uint32_t rtx_ssrc; /* video: offers RTX (RFC 4588) on this SSRC; 0: none */
    char cname[YH_SDP_CNAME_MAX + 1];
    char msid_stream[YH_SDP_MSID_MAX + 1]; /* "" writes "-" */
    char msid_track[YH_SDP_MSID_MAX + 1];
} yh_sdp_sub_slot_t;

/* Writes the server's subscriber offer: ICE-lite, setup:actpass, BUNDLE of
 * every mid, one m-section per slot in order. `version` is the o= version
 * and must grow with each offer on the connection. Returns the length, or
 * YH_EINVAL (bad slot: unknown kind, empty or duplicate mid, active without
 * ssrc) or YH_ENOSPACE. At least one slot is required. */
int yh_sdp_sub_write_offer(const yh_sdp_local_t *local, uint64_t version,
                           const yh_sdp_sub_slot_t *slots, size_t n_slots, char *buf, size_t cap);

/* What the client's answer to a subscriber offer says. */
typedef struct yh_sdp_sub_answer {
    char remote_ufrag[YH_SDP_UFRAG_MAX + 1];
    char remote_pwd[YH_SDP_PWD_MAX + 1];
    yh_sdp_fingerprint_t remote_fingerprint;
    yh_sdp_setup_t remote_setup; /* ACTIVE or PASSIVE */
    /* PASSIVE when the client is active (server is DTLS server), ACTIVE
     * when the client is passive (server is DTLS client). */
    yh_sdp_setup_t local_setup;
    uint8_t n_media;
    struct {
        char mid[YH_SDP_MID_MAX + 1];
        uint8_t accepted; /* port != 0 */
        uint8_t rtx;      /* the offered RTX format was accepted */
        uint8_t red;      /* the offered RED format (YH_SDP_PT_RED) was accepted */
        yh_sdp_dir_t dir;
    } media[YH_SDP_MAX_MEDIA];
} yh_sdp_sub_answer_t;

/* Checks a parsed answer against the offered slots (`slots` may be NULL to
 * skip the per-slot checks): same m-section count and mids in order, ICE
 * credentials, a fingerprint, a=setup active or passive, rtcp-mux on
 * accepted m-sections. Returns 0, or YH_EPARSE / YH_EUNSUPPORTED with the
 * reason in `err`. */
int yh_sdp_sub_check_answer(const yh_sdp_t *answer, const yh_sdp_sub_slot_t *slots, size_t n_slots,
                            yh_sdp_sub_answer_t *out, char *err, size_t err_cap);

/* ---- The client's side (yunhui-term) -----------------------------------
 *
 * A native client speaks to the server as a browser does: it offers what it
 * sends (sendonly Opus/111 and VP8/96, BUNDLE, rtcp-mux, rtcp-rsize,
 * setup:actpass, a=ssrc with cname and msid) and answers the server's
 * subscriber offers (recvonly, same mids, setup:active: the client is the
 * DTLS client on both connections). It checks the server's answer and
 * reads the candidates the ICE-lite server lists.
 */

/* Header extension ids of the client's offer (the same numbers as the
 * server's subscriber offers). */
#define YH_SDP_CLIENT_EXT_AUDIO_LEVEL 1
#define YH_SDP_CLIENT_EXT_ABS_SEND_TIME 2
#define YH_SDP_CLIENT_EXT_TWCC 3
#define YH_SDP_CLIENT_EXT_MID 4

/* What the client puts in every description. Borrowed strings. */
typedef struct yh_sdp_client_local {
    const char *ice_ufrag;
    const char *ice_pwd;
    const char *fingerprint; /* SHA-256, "AB:CD:..." */
    const char *cname;       /* a=ssrc cname of sent streams */
    const char *msid_stream; /* a=msid stream id of sent streams */
    uint64_t session_id;
} yh_sdp_client_local_t;

/* One stream the client sends: one sendonly m-section. */
typedef struct yh_sdp_client_send {
    yh_sdp_kind_t kind; /* AUDIO (Opus) or VIDEO (VP8) */
    const char *mid;
    uint32_t ssrc;
    const char *msid_track;
} yh_sdp_client_send_t;

/* Writes the publish offer. Returns the length, YH_EINVAL (bad local
 * values, a kind other than audio/video, an empty or repeated mid, ssrc 0,
 * no stream) or YH_ENOSPACE. */
int yh_sdp_client_write_offer(const yh_sdp_client_local_t *local, uint64_t version,
                              const yh_sdp_client_send_t *sends, size_t n, char *buf, size_t cap);

/* One m-section as negotiated, from either side's point of view. */
typedef struct yh_sdp_client_media {
    char mid[YH_SDP_MID_MAX + 1];
    yh_sdp_kind_t kind;
    uint8_t accepted;  /* port != 0 in the answer */
    uint8_t receiving; /* subscriber side: the server sends on it */
    yh_sdp_codec_t codec; /* the codec (PT) in use; fb as negotiated */
    yh_sdp_ext_ids_t ext;
    uint32_t ssrc; /* the server's a=ssrc (subscriber side), else 0 */
    char msid_stream[YH_SDP_MSID_MAX + 1];
    char msid_track[YH_SDP_MSID_MAX + 1];
} yh_sdp_client_media_t;

/* The server's transport and the m-sections, as the client uses them. It
 * is large (64 m-sections): allocate it on the heap. */
typedef struct yh_sdp_client_remote {
    char ice_ufrag[YH_SDP_UFRAG_MAX + 1];
    char ice_pwd[YH_SDP_PWD_MAX + 1];
    yh_sdp_fingerprint_t fingerprint;
    yh_sdp_setup_t setup; /* the server's */
    uint8_t ice_lite;
    uint8_t n_media;
    yh_sdp_client_media_t media[YH_SDP_MAX_MEDIA];
} yh_sdp_client_remote_t;

/* Checks the server's answer to our publish offer (`sends` as offered):
 * same m-sections and mids in order, ICE credentials, a fingerprint,
 * a=setup:passive (we are the DTLS client), rtcp-mux on accepted
 * m-sections; fills the negotiated PTs and extension ids. Returns 0, or
 * YH_EPARSE / YH_EUNSUPPORTED with the reason in `err`. */
int yh_sdp_client_read_answer(const yh_sdp_t *answer, const yh_sdp_client_send_t *sends, size_t n,
                              yh_sdp_client_remote_t *out, char *err, size_t err_cap);

/* Answers a subscriber offer: every m-section in order with the same mid;
 * recvonly for what the server sends (sendonly/sendrecv), inactive for the
 * rest, rejected (port 0) when it was offered with port 0 or has no codec
 * we know (Opus, VP8, H.264); the first known codec as offered with its
 * rtcp-fb and fmtp; the offered extensions we use; setup:active; BUNDLE of
 * the accepted mids. Fills `out` with the server's transport and streams.
 * Returns the length, or YH_EPARSE / YH_EUNSUPPORTED (no ICE credentials,
 * no fingerprint, no rtcp-mux, setup not actpass/passive, nothing to
 * accept) with the reason in `err`, or YH_ENOSPACE. */
int yh_sdp_client_write_answer(const yh_sdp_t *offer, const yh_sdp_client_local_t *local,
                               uint64_t version, yh_sdp_client_remote_t *out, char *buf,
                               size_t cap, char *err, size_t err_cap);

/* An ICE candidate (RFC 8839 5.1) as far as a client facing a lite server
 * needs it. */
typedef struct yh_sdp_candidate {
    char foundation[33];
    uint8_t component;
    uint8_t udp; /* transport is UDP */
    uint32_t priority;
    char ip[YH_SDP_IP_MAX + 1];
    uint16_t port;
    char type[8]; /* host, srflx, prflx, relay */
} yh_sdp_candidate_t;

/* Parses one candidate attribute value, "candidate:<foundation> <component>
 * <transport> <priority> <address> <port> typ <type> ...", with or without
 * a leading "a=" and trailing CR/LF. Extensions after the type are ignored.
 * Returns 0, YH_EPARSE, or YH_ELIMIT (a field too long). */
int yh_sdp_candidate_parse(const char *line, size_t len, yh_sdp_candidate_t *out);

/* Collects the distinct UDP candidates of component 1 from the a=candidate
 * lines of a whole description (with BUNDLE every m-section repeats them),
 * highest priority first. Unparsable lines are skipped. Returns how many
 * were stored (at most `cap`). */
size_t yh_sdp_candidates(const char *text, size_t len, yh_sdp_candidate_t *out, size_t cap);

#endif
