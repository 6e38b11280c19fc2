/*
 * Internal state of a media worker: one thread, one libuv loop, one UDP
 * socket, and every transport, track and subscription of its rooms. Only
 * the worker thread touches anything here; the control thread talks to it
 * through the command queue (sfu.c).
 */
#ifndef YH_SFU_WORKER_H
#define YH_SFU_WORKER_H

#include <stdint.h>
#include <uv.h>

#include "base/map.h"
#include "net/addr.h"
#include "rtp/rtp.h"
#include "bwe/allocator.h"
#include "bwe/bwe.h"
#include "bwe/twcc_rec.h"
#include "net/udp.h"
#include "rtp/nackgen.h"
#include "rtp/numskip.h"
#include "rtp/recvstats.h"
#include "rtp/rewrite.h"
#include "rtp/rtxbuf.h"
#include "sfu/queue.h"
#include "sfu/sfu.h"
#include "transport/transport.h"

/* Sender SSRC the server uses in the RTCP it originates. */
#define YH_SFU_RTCP_SSRC 0x59480001u
#define YH_SFU_PLI_INTERVAL_US 500000u
#define YH_SFU_RTX_MAX_AGE_US 1000000u
#define YH_SFU_NACK_RETRY_US 40000u
#define YH_SFU_RTT_SAMPLES 15
/* Downlink estimate per subscriber transport: where it starts and its
 * bounds. The start is generous so a meeting on a good network starts at
 * full quality; feedback brings it down within a second or two. */
#define YH_SFU_BWE_START_BPS 3000000u
#define YH_SFU_BWE_MIN_BPS 100000u
#define YH_SFU_BWE_MAX_BPS 30000000u

#define YH_SUB_FRAMES 4
#define YH_SUB_RESENT 32

/* What the router learned of one media packet, for every subscription. */
typedef struct yh_pkt_info {
    int keyframe; /* starts a keyframe (audio: always) */
    int level;    /* RFC 6464 audio level byte, or -1 */
    int tid;      /* VP8 temporal layer, or -1 when not signalled */
    int sync;     /* layer sync (Y): depends only on temporal layer 0 */
    int pid;      /* VP8 picture id, or -1 */
    uint16_t pid_mask; /* its width: 0x7fff or 0x7f */
    /* Audio in RFC 2198 RED: the primary block's place in the payload. */
    int red;
    size_t red_off, red_len;
} yh_pkt_info_t;

typedef struct yh_tp yh_tp_t;
typedef struct yh_track yh_track_t;
typedef struct yh_sub yh_sub_t;

/* A pointer array with swap-removal; each element knows its own index. */
typedef struct yh_vec {
    void **items;
    size_t n, cap;
} yh_vec_t;

int yh_vec_push(yh_vec_t *v, void *item);
void yh_vec_remove(yh_vec_t *v, void *item);
void yh_vec_free(yh_vec_t *v);

/* One encoding of a track: the only one, or a simulcast layer (RFC 8853),
 * each with its own SSRC, numbering and recovery state. */
typedef struct yh_layer {
    uint32_t ssrc;      /* 0 until known (bound by rid or mid) */
    uint32_t rtx_ssrc;  /* 0 until known */
    yh_rtxbuf_t *rtx;   /* what subscribers may NACK */
    yh_nackgen_t *nack; /* video: what the publisher is asked to resend */
    yh_rtp_recvstats_t stats;
    int receiving;
    uint64_t last_packet_us;
    uint64_t window_bytes; /* received in the current rate window */
    uint32_t bps;          /* measured over the last window */
    /* VP8 temporal layers: bytes and frames by TID in the window, and the
     * bit and frame rates of TIDs 0..t over the last one; n_tids is 1 when
     * there are none. */
    uint64_t window_tid_bytes[YH_SFU_MAX_TIDS];
    uint32_t window_tid_frames[YH_SFU_MAX_TIDS];
    uint32_t tid_bps[YH_SFU_MAX_TIDS];
    uint16_t tid_fps10[YH_SFU_MAX_TIDS]; /* frames/s of TIDs 0..t, x10 */
    uint8_t n_tids;
    /* The last sender report, for translating SRs to subscribers. */
    int has_sr;
    uint64_t sr_ntp;
    uint32_t sr_rtp;
    uint64_t sr_us;
    /* Keyframe requests toward the publisher, at most one per interval. */
    uint64_t last_pli_us;
    int pli_pending;
    /* Video: the last keyframe's first packet and when it came. */
    int has_key;
    uint16_t key_seq;
    uint32_t key_ts;
    uint64_t key_us;
} yh_layer_t;

struct yh_track {
    yh_sfu_track_params_t p;
    yh_tp_t *tp;  /* publisher transport; NULL once it is gone */
    int muted;
    int priority; /* spotlight or active speaker: allocated first */
    int n_layers; /* 1, or the simulcast layers, lowest first */
    yh_layer_t layers[YH_SFU_MAX_LAYERS];
    yh_vec_t subs;
    /* Uplink: the publisher's round trip (the median of the last times
     * from a first NACK to its retransmission) and its loss before
     * retransmission (gaps the server NACKed). */
    uint32_t rtt_up_samples[YH_SFU_RTT_SAMPLES];
    unsigned rtt_up_n;
    uint64_t rtt_up_us;
    uint32_t up_pkts, up_missing; /* video packets and gaps, this window */
    uint8_t up_loss_pct;          /* gaps per packet over the last window */
    /* Audio level accumulated over the current report interval. */
    uint32_t level_sum, level_count, voice_count;
};

struct yh_sub {
    yh_sfu_sub_params_t p;
    yh_tp_t *tp;       /* subscriber transport; NULL once it is gone */
    yh_track_t *track; /* NULL once the track is gone */
    yh_rtp_rewriter_t rw;
    int cur;           /* layer being forwarded, -1 before the first */
    int max_layer;     /* the receiver's limit; -1 pauses the video */
    int bwe_layer;     /* the downlink estimate's limit; -1 pauses the video */
    int up_rounds;     /* allocations in a row that allowed a higher layer */
    int mild_rounds;   /* allocations in a row that held a mild switch down */
    int wait_base;     /* a switch down waits for its keyframe with TID 0 only */
    int up_hold;       /* rounds an upswitch waits for; grows when it flaps */
    uint64_t up_us, down_us; /* last estimate-driven switch up, down */
    uint64_t paused_us; /* when the estimate paused the video */
    uint64_t limit_us;  /* when a layer limit last changed (traced) */
    int need_keyframe; /* resume only at a keyframe (after a pause) */
    int drop_now;      /* the current layer alone exceeds the estimate */
    int replaying;     /* a switch is replaying a keyframe (forward.c) */
    int rtx_started;
    uint16_t rtx_seq;  /* next sequence number on p.rtx_ssrc */
    uint8_t rr_lost;   /* fraction lost in the subscriber's last report */
    uint64_t rr_lost_us;
    /* The last sender report sent to it: its compact NTP time (the
     * publisher's clock, translated) and when it left, by our clock. */
    uint32_t sr_mid;
    uint64_t sr_us;
    uint64_t lossy_us;   /* video: when loss was last seen on its path */
    uint32_t nacked;     /* packets the subscriber NACKed */
    uint32_t nack_missed; /* ... that could not be resent (not kept, too old) */
    uint32_t fb_resent;  /* packets resent because feedback reported them lost */
    uint8_t tag;         /* marks its packets in the transport's send history */
    /* The last resends, by sequence number modulo YH_SUB_RESENT: a packet
     * feedback reports lost is not resent again when one left since. */
    struct {
        uint16_t seq;
        uint64_t us;
    } resent[YH_SUB_RESENT];
    uint32_t loss_packets, loss_nacked; /* both counters at the last look */
    unsigned playout_ms; /* video: the receiver's playout floor, 0 for none */
    uint64_t playout_us; /* when it last went up */
    uint32_t packets;
    uint32_t octets;
    /* VP8 temporal layers forwarded: the receiver's cap, the estimate's
     * (within bwe_layer), and what passes now (it changes at frames). */
    int max_tid, bwe_tid, tid_cur;
    /* The last frames' verdicts, so late packets of a frame share them. */
    uint32_t frame_ts[YH_SUB_FRAMES];
    uint8_t frame_fwd[YH_SUB_FRAMES];
    uint16_t frame_seq[YH_SUB_FRAMES]; /* newest input seq of each */
    uint8_t frame_next, frame_n;
    /* VP8 picture ids continuous across switches and dropped frames;
     * TL0PICIDX moved by an offset fixed at each switch. */
    int vp8_started, vp8_switch;
    yh_numskip_t pid;
    uint8_t tl0_offset, last_tl0;
};

struct yh_tp {
    yh_sfu_transport_params_t p;
    yh_transport_t *t;
    uint64_t ufrag_key;
    uint64_t addr_key; /* 0 when no address is selected */
    int reported;      /* a terminal state was reported */
    yh_vec_t tracks;   /* publisher: tracks arriving here */
    yh_vec_t subs;     /* subscriber: subscriptions sent here */
    uint16_t twcc_out; /* subscriber: next transport-wide sequence number */
    yh_bwe_t *bwe;     /* subscriber: downlink estimate from its TWCC feedback */
    int bwe_fed;       /* feedback has arrived: the estimate means something */
    uint64_t alloc_est; /* the estimate the last allocation shared */
    uint64_t fell_us;   /* when the estimate last fell to under half of it */
    uint64_t rtt_us;    /* subscriber: round trip from its receiver reports */
    /* Subscriber: packets the transport-wide feedback reported, and lost
     * (before any repair), this window; the loss of the last window. */
    uint32_t fb_pkts, fb_lost;
    uint8_t raw_loss_pct;
    unsigned probe_left, probe_per_tick; /* a probe cluster being sent */
    yh_twcc_rec_t *rec; /* publisher: arrivals for TWCC feedback */
};

typedef struct yh_worker {
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t cmd_async;
    uv_poll_t poll;
    uv_timer_t tick;
    yh_spsc_t cmds;
    yh_spsc_t events;
    uv_async_t *event_async; /* on the control loop */
    yh_udp_t *udp;
    const yh_dtls_cert_t *cert;
    yh_map_t by_ufrag, by_addr, tps, tracks, subs;
    yh_vec_t tp_list;
    uint64_t now_us;
    uint64_t now_ntp; /* wall clock of now_us, for abs-send-time */
    uint64_t rx_us;   /* when the datagram being handled reached the socket */
    uint64_t rx_lag_max_us; /* longest wait to be read since the last log */
    uint64_t last_twcc_us, last_report_us, last_level_us, last_alloc_us, last_rate_us;
    yh_rtcp_twcc_pkt_t *twcc_scratch; /* YH_RTCP_MAX_TWCC entries, for parsing */
    int stopping;
    uint64_t dropped_unknown; /* datagrams from unknown 5-tuples */
    uint64_t dropped_red;     /* malformed RED (RFC 2198) packets, dropped */
    uint64_t logged_unknown, logged_red; /* the counts last logged */
    uint8_t rtx_scratch[YH_RTP_MAX_PACKET]; /* a retransmission unwrapped */
} yh_worker_t;

/* router.c: the packet path. */
void yh_router_datagram(yh_worker_t *w, uint8_t *buf, size_t len, const struct sockaddr *from);
void yh_router_tick(yh_worker_t *w);
void yh_router_request_keyframe(yh_worker_t *w, yh_track_t *tr, int layer);
/* What forwarding needs to know of a video payload: keyframe start, VP8
 * temporal layer, layer sync and picture id. */
void yh_router_video_info(const yh_track_t *tr, const uint8_t *payload, size_t len,
                          yh_pkt_info_t *pi);
/* forward.c: writing packets for subscribers. */
void yh_forward(yh_worker_t *w, yh_sub_t *sub, int layer, const uint8_t *pkt,
                const yh_rtp_hdr_t *h, const yh_pkt_info_t *pi);
void yh_forward_resend(yh_worker_t *w, yh_sub_t *sub, const uint16_t *seqs, size_t n);
/* Transport-wide feedback reported packet `twcc_seq` lost on the way to
 * transport `tp`: a video packet is resent unless it has been since. */
void yh_forward_on_lost(yh_worker_t *w, yh_tp_t *tp, uint16_t twcc_seq);
/* A standing queue of 25 ms or more toward subscriber transport `tp`: loss
 * there is the bottleneck's, which neither a second copy nor waiting
 * repairs. */
int yh_forward_queue_standing(const yh_tp_t *tp);
/* Sends `n` padding-only packets on the subscription's stream (numbers
 * reserved from its rewriter) as a bandwidth probe. Returns how many. */
unsigned yh_forward_padding(yh_worker_t *w, yh_sub_t *sub, unsigned n);
/* Sets the receiver's and the estimate's layer limits; pausing (either at
 * -1) makes the video resume later at a keyframe with continuous numbers.
 * A switch this makes starts at once from a recent keyframe of the target
 * layer (switches down), or asks for one at once. */
void yh_forward_set_limits(yh_worker_t *w, yh_sub_t *sub, int max_layer, int bwe_layer);
/* The fewest temporal layers of a simulcast layer that still make about 7
 * frames a second (a TID; the top one when none fewer do). */
int yh_forward_smooth_tid(const yh_layer_t *L);
/* reports.c: shares the downlink estimate of a subscriber transport. */
void yh_router_allocate(yh_worker_t *w, yh_tp_t *tp);
/* After the downlink estimate of `tp` took in news: a sharp fall is
 * allocated at once. */
void yh_router_estimate_changed(yh_worker_t *w, yh_tp_t *tp);
void yh_router_send_rtcp(yh_worker_t *w, yh_tp_t *tp, const uint8_t *pkt, size_t len);
/* Uplink loss: NACKs the layer's missing packets that are due (RFC 4585
 * 6.2.1); called on every tick and at once when a gap appears. */
void yh_router_send_nack(yh_worker_t *w, yh_tp_t *tp, yh_track_t *tr, int layer);

/* sfu.c: the state the router needs to change. */
void yh_worker_clock(yh_worker_t *w);
void yh_worker_index_addr(yh_worker_t *w, yh_tp_t *tp);
void yh_worker_report(yh_worker_t *w, yh_tp_t *tp, yh_sfu_tstate_t st, const char *reason);
/* Hands one room's audio levels to the control thread (copied). */
void yh_worker_levels(yh_worker_t *w, uint32_t room, const yh_sfu_level_t *levels, size_t n);

#endif
