/* Internals of peer.c and peer_rtp.c (one peer connection). */
#ifndef YT_PEER_INT_H
#define YT_PEER_INT_H

#include "peer.h"
#include "srtp/srtp.h"

#define YT_PEER_DTLS_TIMEOUT_US (10u * 1000000u)
#define YT_PEER_CANDIDATE_TIMEOUT_US (10u * 1000000u)
#define YT_PEER_REPORT_US 1000000u
#define YT_PEER_PLI_MIN_US 300000u

struct yt_peer {
    uv_loop_t *loop;
    yt_peer_listener_t l;
    const yh_dtls_cert_t *cert;
    char cname[64];
    char stream_id[40];
    char ufrag[9], pwd[33];
    uint64_t session_id, sdp_version;
    char bind_ip[64];
    uint32_t test_video_ssrc;
    char test_fp[YH_DTLS_FP_MAX]; /* a wrong fingerprint for our SDP, or "" */
    /* The last nominating check sent (for yt_peer_replay_check). */
    uint8_t last_check[600];
    size_t last_check_len;
    yh_udp_t *udp; /* mmap'ed, see udp_alloc */
    uv_poll_t poll;
    int poll_started;
    int v6; /* the socket is IPv6 */

    yt_peer_state_t state;
    int started;     /* a remote description was applied */
    int restarting;  /* yt_peer_restart_ice: the peer's new credentials are due */
    int have_remote; /* a candidate is known: ICE and DTLS run */
    uint64_t started_us;
    char remote_ufrag[YH_SDP_UFRAG_MAX + 1];
    char remote_pwd[YH_SDP_PWD_MAX + 1];
    yh_sdp_fingerprint_t remote_fp;
    struct sockaddr_storage remote;
    yh_ice_client_t ice;
    yh_dtls_t *dtls;
    yh_srtp_t *srtp;
    uint64_t dtls_started_us;
    char failure[200];

    /* Publish side. */
    yt_tx_stream_t tx[2]; /* by yt_media_kind_t */
    uint16_t twcc_seq;
    /* Subscribe side. */
    uint32_t rtcp_ssrc; /* our SSRC in receiver reports and PLIs */
    yt_rx_stream_t rx[YT_PEER_MAX_RX];
    size_t n_rx;
    uint64_t last_report_us;
    uint64_t srtp_errors;
};

/* peer.c, for peer_test.c */
yh_udp_t *yt__peer_udp_alloc(void);
void yt__peer_udp_free(yh_udp_t *u);
/* (Re)starts the ICE agent on the current credentials and candidate. */
int yt__peer_ice_init(yt_peer_t *p, uint64_t now_us);

/* peer_rtp.c */
void yt__peer_srtp(yt_peer_t *p, uint8_t *buf, size_t len, uint64_t now_us);
void yt__peer_reports(yt_peer_t *p, uint64_t now_us);
/* Protects an RTCP packet into a send slot. */
void yt__peer_send_rtcp(yt_peer_t *p, const uint8_t *pkt, size_t len);

#endif
