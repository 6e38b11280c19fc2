/*
 * The media worker end to end in one process: two clients built from the
 * project's own STUN, DTLS and SRTP modules connect to a real worker on a
 * loopback UDP port; one publishes VP8 RTP, the other receives it rewritten
 * onto its own SSRC and payload type, asks for retransmissions and
 * keyframes, and the worker shrugs off garbage from strangers.
 */
#include "sfu_fixture.h"

/* The receiver report block wanted: its SSRC, and its fraction lost once
 * found (-1 before). */
typedef struct {
    uint32_t ssrc;
    int lost;
} rr_want_t;

static int rr_block(const yh_rtcp_pkt_t *p, void *arg)
{
    rr_want_t *want = arg;
    yh_rtcp_rr_t rr;
    if (p->pt != YH_RTCP_RR || yh_rtcp_parse_rr(p, &rr) < 0)
        return 0;
    for (uint8_t i = 0; i < rr.n_reports; i++)
        if (rr.reports[i].ssrc == want->ssrc) {
            want->lost = rr.reports[i].fraction_lost;
            return 1;
        }
    return 0;
}

/* Waits for a receiver report at `a` with a block for `ssrc`; returns its
 * fraction lost, or -1. */
static int recv_rr_lost(client_t *a, uint32_t ssrc, int ms)
{
    rr_want_t want = {ssrc, -1};
    recv_rtcp_match(a, ms, rr_block, &want);
    return want.lost;
}

/* A simulcast VP8 packet of layer `l` (SSRC 5001 + l) with MID and RID
 * extensions and a descriptor carrying a 15-bit picture id; the payload's
 * third byte after the descriptor names the layer. */
static void publish_layer(client_t *a, int l, uint16_t seq, uint32_t ts, uint16_t pid, int key)
{
    static const char *const rids[] = {"q", "h", "f"};
    uint8_t pkt[2048];
    yh_rtp_ext_elem_t ext[2];
    yh_rtp_ext_set_string(&ext[0], 4, "2");
    yh_rtp_ext_set_string(&ext[1], 5, rids[l]);
    int n = yh_rtp_write_header(pkt, sizeof pkt, 1, 96, seq, ts, 5001u + (uint32_t)l, ext, 2);
    uint8_t *p = pkt + n;
    p[0] = 0x90; /* X, S */
    p[1] = 0x80; /* I */
    p[2] = (uint8_t)(0x80 | (pid >> 8));
    p[3] = (uint8_t)pid;
    p[4] = key ? 0x00 : 0x01;
    p[5] = 0;
    p[6] = (uint8_t)('0' + l);
    memset(p + 7, 0x42, 60);
    size_t len = (size_t)n + 67;
    assert_int_equal(yh_srtp_protect_rtp(a->srtp, pkt, &len, sizeof pkt), 0);
    cl_send(a, pkt, len);
}

static int pli_for(const yh_rtcp_pkt_t *p, void *arg)
{
    yh_rtcp_fb_t fb;
    return p->pt == YH_RTCP_PSFB && p->count == 1 && yh_rtcp_parse_pli(p, &fb) == 0 &&
           fb.media_ssrc == *(const uint32_t *)arg;
}

/* Whether a PLI (RFC 4585 6.3.1) for `ssrc` reaches the publisher within
 * `ms`; other RTCP on the way is skipped. */
static int recv_pli(client_t *a, uint32_t ssrc, int ms)
{
    return recv_rtcp_match(a, ms, pli_for, &ssrc);
}

static uint16_t vp8_pid(const client_t *b, const yh_rtp_hdr_t *h)
{
    const uint8_t *p = b->last + h->payload_off;
    return (uint16_t)(((p[2] & 0x7f) << 8) | p[3]);
}

static void test_forwarding(void **state)
{
    (void)state;
    client_t a, b;
    yh_sfu_track_params_t tp = {.id = 10, .transport = 1, .kind = YH_SFU_VIDEO, .mid = "1",
                                .ssrc = 1111, .pt = 96, .codec = YH_SFU_CODEC_VP8,
                                .clock_rate = 90000, .rtx_ssrc = 1112, .rtx_pt = 97};
    yh_sfu_sub_params_t sp = {.id = 20, .transport = 2, .track = 10, .ssrc = 2222, .pt = 100};
    pair_open(&a, &b, &tp, &sp, 0);

    /* Garbage, a bad STUN and RTP from a stranger must change nothing. */
    client_t x;
    client_open(&x, yh_sfu_port(sfu));
    uint8_t junk[64] = {0x80, 0x60, 1, 2};
    cl_send(&x, junk, sizeof junk);
    memset(junk, 0xff, sizeof junk);
    cl_send(&x, junk, sizeof junk);
    cl_send(&x, junk, 1);

    /* Until a keyframe, nothing is forwarded and a PLI reaches the publisher. */
    publish(&a, 100, 9000, 0);
    assert_true(recv_rtcp(&a, YH_RTCP_PSFB, 1, 1000));
    yh_rtp_hdr_t h;
    publish(&a, 101, 9000, 1);
    assert_true(recv_rtp(&b, &h, 1000));
    assert_int_equal(h.ssrc, 2222);
    assert_int_equal(h.pt, 100);
    uint16_t first = h.seq;
    uint32_t first_ts = h.ts;
    assert_int_equal(h.payload_len, 100);
    assert_int_equal(b.last[h.payload_off + 2], (uint8_t)(101 + 2));
    for (uint16_t s = 102; s < 110; s++) {
        publish(&a, s, 9000 + (uint32_t)(s - 101) * 3000, 0);
        if (s == 104) {
            /* "Lost": received but never decrypted, as if dropped on the way
             * (SRTP's replay protection would refuse a second copy). */
            assert_true(client_recv(&b, 1000));
            continue;
        }
        assert_true(recv_rtp(&b, &h, 1000));
        assert_int_equal(h.seq, (uint16_t)(first + (s - 101)));
        assert_int_equal(h.ts, first_ts + (uint32_t)(s - 101) * 3000);
    }

    /* A NACK from a subscriber without RTX goes unanswered under AES-GCM
     * (negotiated here): the packet again under its own SRTP index with a
     * new transport-wide number would reuse a nonce. With RTX it is
     * answered (below). */
    uint8_t fb[64];
    uint16_t lost = (uint16_t)(first + 3);
    int n = yh_rtcp_build_nack(fb, sizeof fb, 5555, 2222, &lost, 1);
    send_rtcp(&b, fb, (size_t)n);
    assert_false(recv_rtp(&b, &h, 300));

    /* A subscriber's PLI becomes a keyframe request to the publisher. */
    uv_sleep(600);
    n = yh_rtcp_build_pli(fb, sizeof fb, 5555, 2222);
    send_rtcp(&b, fb, (size_t)n);
    assert_true(recv_rtcp(&a, YH_RTCP_PSFB, 1, 1000));

    /* Host mute: nothing flows; unmute resumes at a keyframe, continuously. */
    yh_sfu_track_set_muted(sfu, 10, 1);
    uv_sleep(50);
    publish(&a, 110, 40000, 0);
    assert_false(recv_rtp(&b, &h, 300));
    yh_sfu_track_set_muted(sfu, 10, 0);
    uv_sleep(50);
    publish(&a, 111, 43000, 1);
    assert_true(recv_rtp(&b, &h, 1000));
    assert_int_equal(h.seq, (uint16_t)(first + 9));

    /* Uplink loss: the worker NACKs the publisher and forwards the RTX
     * retransmission (RFC 4588) unwrapped, in its place. */
    publish(&a, 112, 46000, 0);
    assert_true(recv_rtp(&b, &h, 1000));
    publish(&a, 114, 52000, 0);
    assert_true(recv_rtp(&b, &h, 1000));
    assert_int_equal(h.seq, (uint16_t)(first + 12));
    int got_nack = 0;
    while (!got_nack && client_recv(&a, 1000)) {
        size_t len = a.last_len;
        if (a.last[1] != YH_RTCP_RTPFB || yh_srtp_unprotect_rtcp(a.srtp, a.last, &len) < 0)
            continue;
        yh_rtcp_iter_t it;
        yh_rtcp_pkt_t p;
        yh_rtcp_fb_t nfb;
        uint16_t nl[8];
        size_t nn = 0;
        yh_rtcp_iter_init(&it, a.last, len);
        while (yh_rtcp_next(&it, &p) == 1)
            if (p.pt == YH_RTCP_RTPFB && p.count == 1 &&
                yh_rtcp_parse_nack(&p, &nfb, nl, 8, &nn) == 0 && nn == 1 && nl[0] == 113 &&
                nfb.media_ssrc == 1111)
                got_nack = 1;
    }
    assert_true(got_nack);
    uint8_t orig[2048], rtx[2048];
    size_t olen = vp8_packet(orig, 113, 49000, 0);
    int rhl = yh_rtp_write_header(rtx, sizeof rtx, 0, 97, 7000, 49000, 1112, NULL, 0);
    rtx[rhl] = 0;
    rtx[rhl + 1] = 113;
    memcpy(rtx + rhl + 2, orig + 12, olen - 12);
    size_t rlen = (size_t)rhl + 2 + olen - 12;
    /* A probe repeating a packet already received is not forwarded. */
    uint8_t probe[2048];
    memcpy(probe, rtx, rlen);
    probe[3] = 0x59; /* rtx seq 7001 */
    probe[rhl + 1] = 112;
    size_t plen = rlen;
    assert_int_equal(yh_srtp_protect_rtp(a.srtp, probe, &plen, sizeof probe), 0);
    cl_send(&a, probe, plen);
    assert_int_equal(yh_srtp_protect_rtp(a.srtp, rtx, &rlen, sizeof rtx), 0);
    cl_send(&a, rtx, rlen);
    assert_true(recv_rtp(&b, &h, 1000));
    assert_int_equal(h.seq, (uint16_t)(first + 11));
    assert_int_equal(h.ssrc, 2222);
    assert_int_equal(h.payload_len, 100);
    assert_int_equal(b.last[h.payload_off + 2], (uint8_t)(113 + 2));
    assert_false(recv_rtp(&b, &h, 200));
    /* A packet the publisher never resends is given up after a second of
     * NACKs, and a keyframe is asked for at once: the subscribers'
     * decoders would wait for that packet until they asked themselves. */
    while (recv_rtcp(&a, YH_RTCP_PSFB, 1, 300))
        ; /* requests still due from the unmute */
    publish(&a, 115, 55000, 0);
    publish(&a, 117, 61000, 0); /* 116 lost for good */
    uint64_t gap_us = yh_now_us();
    assert_true(recv_rtcp(&a, YH_RTCP_PSFB, 1, 2500));
    assert_true(yh_now_us() - gap_us >= 900000);

    /* Simulcast: layers are bound by RID; the subscriber gets the highest
     * arriving, switches down only at a keyframe of the lower layer, with
     * sequence numbers and VP8 picture ids continuous. */
    yh_sfu_track_params_t sp3 = {.id = 30, .transport = 1, .kind = YH_SFU_VIDEO, .mid = "2",
                                 .pt = 96, .codec = YH_SFU_CODEC_VP8, .clock_rate = 90000,
                                 .n_layers = 3, .rids = {"q", "h", "f"}};
    assert_int_equal(yh_sfu_track_add(sfu, &sp3), 0);
    yh_sfu_sub_params_t ss3 = {.id = 40, .transport = 2, .track = 30, .ssrc = 4444, .pt = 100,
                               .rtx_ssrc = 4445, .rtx_pt = 101};
    assert_int_equal(yh_sfu_subscribe(sfu, &ss3), 0);
    uv_sleep(50);
    for (int l = 0; l < 3; l++)
        publish_layer(&a, l, (uint16_t)(1000 * (l + 1)), 90000u * (unsigned)(l + 1),
                      (uint16_t)(100 * (l + 1)), 1);
    uint16_t last_seq = 0, last_pid = 0;
    int layer_seen = -1, got = 0;
    while (recv_rtp(&b, &h, 300)) {
        if (h.ssrc != 4444)
            continue;
        if (got)
            assert_int_equal(h.seq, (uint16_t)(last_seq + 1));
        if (got)
            assert_int_equal(vp8_pid(&b, &h), (uint16_t)(last_pid + 1));
        last_seq = h.seq;
        last_pid = vp8_pid(&b, &h);
        layer_seen = b.last[h.payload_off + 6] - '0';
        got++;
    }
    assert_int_equal(layer_seen, 2);
    /* Down to the lowest: the keyframe q needs is asked for at once, not
     * at its next packet, and f keeps flowing until it comes. */
    while (recv_rtcp(&a, YH_RTCP_PSFB, 1, 100))
        ; /* earlier requests */
    /* f and q go on (f forwarded; f first, or for a moment q alone would
     * be arriving and the target) until q's keyframe is too old to start
     * from (test_sfu_switch covers the switch that does). */
    for (int i = 1; i <= 6; i++) {
        uv_sleep(100);
        publish_layer(&a, 2, (uint16_t)(3000 + i), 270000u + 3000u * (unsigned)i,
                      (uint16_t)(300 + i), 0);
        publish_layer(&a, 0, (uint16_t)(1000 + i), 90000u + 3000u * (unsigned)i,
                      (uint16_t)(100 + i), 0);
        assert_true(recv_rtp(&b, &h, 1000));
        assert_int_equal(h.ssrc, 4444);
        assert_int_equal(b.last[h.payload_off + 6], '2');
        assert_int_equal(h.seq, (uint16_t)(last_seq + 1));
        last_seq = h.seq;
        last_pid = vp8_pid(&b, &h);
    }
    yh_sfu_sub_set_layer(sfu, 40, 0, YH_SFU_TID_ALL);
    assert_true(recv_pli(&a, 5001, 1000));
    uint64_t asked_us = yh_now_us();
    publish_layer(&a, 2, 3007, 291000, 307, 0);
    assert_true(recv_rtp(&b, &h, 1000));
    assert_int_equal(b.last[h.payload_off + 6], '2');
    assert_int_equal(h.seq, (uint16_t)(last_seq + 1));
    last_seq = h.seq;
    last_pid = vp8_pid(&b, &h);
    /* q's next packet asks again, held back by the request interval; the
     * keyframe then answers that too (checked below). */
    publish_layer(&a, 0, 1007, 111000, 107, 0);
    int held = yh_now_us() - asked_us < 300000; /* not when this process was slow */
    publish_layer(&a, 0, 1008, 114000, 108, 1);
    int switched = 0;
    while (!switched && recv_rtp(&b, &h, 1000)) {
        if (h.ssrc != 4444)
            continue;
        assert_int_equal(b.last[h.payload_off + 6], '0');
        assert_int_equal(h.seq, (uint16_t)(last_seq + 1));
        assert_int_equal(vp8_pid(&b, &h), (uint16_t)(last_pid + 1));
        switched = 1;
    }
    assert_true(switched);
    /* With RTX negotiated, a NACK is answered on the RTX stream: the
     * original sequence number first, then the payload (RFC 4588 4). */
    uint16_t want = h.seq;
    uint8_t payload0 = b.last[h.payload_off];
    n = yh_rtcp_build_nack(fb, sizeof fb, 5555, 4444, &want, 1);
    send_rtcp(&b, fb, (size_t)n);
    assert_true(recv_rtp(&b, &h, 1000));
    assert_int_equal(h.ssrc, 4445);
    assert_int_equal(h.pt, 101);
    assert_int_equal(rd_be16(b.last + h.payload_off), want);
    assert_int_equal(b.last[h.payload_off + 2], payload0);
    assert_int_equal(b.last[h.payload_off + 2 + 6], '0');
    /* A packet late from the publisher (its retransmission after uplink
     * loss) goes out in its place, and a copy on the RTX stream follows:
     * the subscriber has waited for it a while already. */
    publish_layer(&a, 0, 1010, 120000, 110, 0);
    assert_true(recv_rtp(&b, &h, 1000));
    assert_int_equal(h.ssrc, 4444);
    uint16_t after_gap = h.seq;
    publish_layer(&a, 0, 1009, 117000, 109, 0);
    assert_true(recv_rtp(&b, &h, 1000));
    assert_int_equal(h.ssrc, 4444);
    assert_int_equal(h.seq, (uint16_t)(after_gap - 1));
    assert_int_equal(vp8_pid(&b, &h), (uint16_t)(last_pid + 2));
    assert_true(recv_rtp(&b, &h, 1000));
    assert_int_equal(h.ssrc, 4445);
    assert_int_equal(rd_be16(b.last + h.payload_off), (uint16_t)(after_gap - 1));
    assert_false(recv_rtp(&b, &h, 200));
    if (held) /* the request held back was answered by the keyframe */
        assert_false(recv_pli(&a, 5001, 800));
    /* Paused: nothing more. */
    yh_sfu_sub_set_layer(sfu, 40, -1, YH_SFU_TID_ALL);
    uv_sleep(50);
    publish_layer(&a, 0, 1011, 123000, 111, 1);
    assert_false(recv_rtp(&b, &h, 200));
    yh_sfu_unsubscribe(sfu, 40);
    yh_sfu_track_remove(sfu, 30);

    /* Audio levels (RFC 6464) reach the control thread per room. */
    yh_sfu_track_params_t ap = {.id = 11, .transport = 1, .kind = YH_SFU_AUDIO, .mid = "0",
                                .ssrc = 3333, .pt = 111, .codec = YH_SFU_CODEC_OPUS,
                                .clock_rate = 48000};
    assert_int_equal(yh_sfu_track_add(sfu, &ap), 0);
    uv_sleep(50);
    for (uint16_t i = 0; i < 15; i++) {
        uint8_t pkt[256];
        yh_rtp_ext_elem_t lvl;
        yh_rtp_ext_set_audio_level(&lvl, 1, 30, 1);
        int hl = yh_rtp_write_header(pkt, sizeof pkt, 0, 111, i, i * 960u, 3333, &lvl, 1);
        memset(pkt + hl, 0x55, 40);
        size_t len = (size_t)hl + 40;
        assert_int_equal(yh_srtp_protect_rtp(a.srtp, pkt, &len, sizeof pkt), 0);
        cl_send(&a, pkt, len);
        uv_sleep(20);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    for (int i = 0; i < 40 && last_level.track != 11; i++) {
        uv_sleep(10);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    assert_int_equal(last_level.track, 11);
    assert_int_equal(last_level.level, 30);
    assert_int_equal(last_level.voice, 100);
    assert_int_equal(last_level_room, 1);
    /* A listener's audio loss reaches the publisher's receiver report, so
     * its Opus encoder turns in-band FEC on. */
    yh_sfu_sub_params_t as = {.id = 50, .transport = 2, .track = 11, .ssrc = 6666, .pt = 111};
    assert_int_equal(yh_sfu_subscribe(sfu, &as), 0);
    uv_sleep(50);
    yh_rtcp_rr_t brr = {.ssrc = 5555, .n_reports = 1};
    brr.reports[0] = (yh_rtcp_report_block_t){.ssrc = 6666, .fraction_lost = 64};
    n = yh_rtcp_build_rr(fb, sizeof fb, &brr);
    assert_true(n > 0);
    send_rtcp(&b, fb, (size_t)n);
    int fraction = -1;
    for (int i = 0; i < 3 && fraction < 64; i++)
        fraction = recv_rr_lost(&a, 3333, 1500);
    assert_true(fraction >= 64);
    yh_sfu_unsubscribe(sfu, 50);
    yh_sfu_track_remove(sfu, 11);

    for (int i = 0; i < 100; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_true(connected_events >= 2);
    yh_sfu_unsubscribe(sfu, 20);
    yh_sfu_track_remove(sfu, 10);
    yh_sfu_transport_remove(sfu, 1);
    yh_sfu_transport_remove(sfu, 2);
    client_close(&a);
    client_close(&b);
    close(x.fd);
}

/* The temporal-layer stream: frame k of Chromium's three VP8 temporal
 * layers (TIDs 0,2,1,2; layer sync on the first TL2 and TL1 frame of each
 * 8-frame cycle), 1 + k % 3 packets, every counter starting near its wrap. */
#define TL_FRAMES 64
#define TL_SEQ0 65500u
#define TL_TS0 0xfffe0000u
#define TL_PID0 0x7fe0u
#define TL_TL00 250u

static struct {
    uint8_t fwd[TL_FRAMES]; /* the verdict each frame should get */
    int started;
    uint16_t seq0, pid0; /* output numbers of frame 0's first packet */
    uint32_t ts_off;
    uint8_t tl0_off;
    uint16_t seq, pid; /* of the last packet checked */
} tl;

static int tl_tid(int k)
{
    return (int[]){0, 2, 1, 2}[k % 4];
}

static int tl_sync(int k)
{
    return k % 8 == 1 || k % 8 == 2;
}

/* Input sequence number of packet i of frame k. */
static uint16_t tl_seq(int k, int i)
{
    unsigned s = TL_SEQ0 + (unsigned)i;
    for (int j = 0; j < k; j++)
        s += 1u + (unsigned)j % 3u;
    return (uint16_t)s;
}

/* Packet i of frame k: the full RFC 7741 4.2 descriptor (X; I with a
 * 15-bit picture id, L, T with TID and Y), the VP8 header byte (P clear
 * only in frame 0, the keyframe), then the input seq as a marker. */
static void tl_send(client_t *a, int k, int i)
{
    uint8_t pkt[256];
    int last = i == k % 3;
    int hl = yh_rtp_write_header(pkt, sizeof pkt, last, 96, tl_seq(k, i),
                                 TL_TS0 + 3000u * (uint32_t)k, 8111, NULL, 0);
    uint8_t *p = pkt + hl;
    p[0] = i ? 0x80 : 0x90;
    p[1] = 0xe0;
    wr_be16(p + 2, (uint16_t)(0x8000 | ((TL_PID0 + (unsigned)k) & 0x7fff)));
    p[4] = (uint8_t)(TL_TL00 + (unsigned)k / 4);
    p[5] = (uint8_t)(tl_tid(k) << 6 | tl_sync(k) << 5);
    p[6] = k ? 0x01 : 0x00;
    wr_be16(p + 7, tl_seq(k, i));
    memset(p + 9, 0x33, 40);
    size_t len = (size_t)hl + 49;
    assert_int_equal(yh_srtp_protect_rtp(a->srtp, pkt, &len, sizeof pkt), 0);
    cl_send(a, pkt, len);
}

/* Receives packet i of frame k at `b` and checks its rewriting: output
 * seq and picture id count only the forwarded packets and frames before
 * it, timestamp and TL0PICIDX keep one offset, the rest is unchanged. */
static void tl_check(client_t *b, int k, int i)
{
    yh_rtp_hdr_t h;
    yh_vp8_desc_t d;
    do
        assert_true(recv_rtp(b, &h, 1000));
    while (h.ssrc != 7777);
    const uint8_t *p = b->last + h.payload_off;
    assert_true(h.payload_len == 49 && yh_vp8_parse_desc(p, h.payload_len, &d) == 0);
    assert_int_equal(rd_be16(p + 7), tl_seq(k, i));
    assert_true(tl.fwd[k]);
    if (!tl.started) {
        tl.started = 1;
        tl.seq0 = h.seq;
        tl.pid0 = d.picture_id;
        tl.ts_off = h.ts - TL_TS0;
        tl.tl0_off = (uint8_t)(d.tl0picidx - TL_TL00);
    }
    unsigned nseq = (unsigned)i, npid = 0;
    for (int j = 0; j < k; j++) {
        nseq += tl.fwd[j] ? 1u + (unsigned)j % 3u : 0u;
        npid += tl.fwd[j];
    }
    assert_int_equal(h.seq, (uint16_t)(tl.seq0 + nseq));
    assert_true(d.picture_id_15);
    assert_int_equal(d.picture_id, (tl.pid0 + npid) & 0x7fff);
    assert_int_equal(h.ts - tl.ts_off, TL_TS0 + 3000u * (uint32_t)k);
    assert_int_equal((uint8_t)(d.tl0picidx - tl.tl0_off), (uint8_t)(TL_TL00 + (unsigned)k / 4));
    assert_true(d.has_tid && d.tid == tl_tid(k) && d.layer_sync == tl_sync(k));
    assert_true(d.start == (i == 0) && h.marker == (i == k % 3));
    tl.seq = h.seq;
    tl.pid = d.picture_id;
}

/* Sends frames k0..k1-1 in order; frames pass when their TID is at most
 * `max_tid`, or from `sync` on; checks what arrives. */
static void tl_run(client_t *a, client_t *b, int k0, int k1, int max_tid, int sync)
{
    for (int k = k0; k < k1; k++) {
        tl.fwd[k] = tl_tid(k) <= max_tid || k >= sync;
        for (int i = 0; i <= k % 3; i++)
            tl_send(a, k, i);
    }
    for (int k = k0; k < k1; k++)
        for (int i = 0; i <= k % 3 && tl.fwd[k]; i++)
            tl_check(b, k, i);
}

static void tl_cap(int max_tid)
{
    assert_int_equal(yh_sfu_sub_set_layer(sfu, 21, 0, max_tid), 0);
    uv_sleep(50);
}

/* VP8 temporal layers dropped per subscriber: the receiver sees one
 * continuous stream (sequence numbers, picture ids, TL0PICIDX, timestamps)
 * at the frame rate it asked for; a raised cap waits for a layer-sync
 * frame; a frame's packets share one verdict however they arrive; NACKs
 * after dropped frames find the right packet. */
static void test_temporal(void **state)
{
    (void)state;
    client_t a, b;
    yh_sfu_track_params_t tp = {.id = 12, .transport = 3, .kind = YH_SFU_VIDEO, .mid = "3",
                                .ssrc = 8111, .pt = 96, .codec = YH_SFU_CODEC_VP8,
                                .clock_rate = 90000, .rtx_ssrc = 8112, .rtx_pt = 97};
    yh_sfu_sub_params_t sp = {.id = 21, .transport = 4, .track = 12, .ssrc = 7777, .pt = 100,
                              .rtx_ssrc = 7778, .rtx_pt = 101};
    pair_open(&a, &b, &tp, &sp, 0);
    uv_sleep(50);
    tl_run(&a, &b, 0, 8, 2, 0);
    tl_cap(1); /* half the frame rate from the next frame */
    tl_run(&a, &b, 8, 16, 1, TL_FRAMES);
    tl_cap(0); /* a quarter */
    tl_run(&a, &b, 16, 28, 0, TL_FRAMES);

    /* NACKs for packets after dropped frames (17-19, 21-23) come back on
     * the RTX stream with the right payload and the picture id they had. */
    uint16_t want[2] = {(uint16_t)(tl.seq - 1), tl.seq}, pid = tl.pid;
    uint8_t fb[64];
    int n = yh_rtcp_build_nack(fb, sizeof fb, 5555, 7777, want, 2);
    send_rtcp(&b, fb, (size_t)n);
    for (int j = 0; j < 2; j++) {
        yh_rtp_hdr_t h;
        do
            assert_true(recv_rtp(&b, &h, 1000));
        while (h.ssrc != 7778 || h.payload_len < 2);
        const uint8_t *p = b.last + h.payload_off;
        assert_int_equal(h.pt, 101);
        assert_int_equal(rd_be16(p), want[j]);
        assert_int_equal(rd_be16(p + 2 + 7), j ? tl_seq(24, 0) : tl_seq(20, 2));
        assert_int_equal(rd_be16(p + 4) & 0x7fff, j ? pid : (pid - 1) & 0x7fff);
    }

    /* Cap removed at frame 28: TL1/TL2 wait for the sync frames 33, 34. */
    tl_cap(YH_SFU_TID_ALL);
    tl_run(&a, &b, 28, 47, 0, 33);

    /* Frame 47 (TL2) loses its middle packet behind frame 48, and the cap
     * goes down in between: still forwarded, numbered between its
     * siblings. */
    tl.fwd[47] = tl.fwd[48] = 1;
    tl_send(&a, 47, 0);
    tl_send(&a, 47, 2);
    tl_check(&b, 47, 0);
    tl_check(&b, 47, 2);
    tl_cap(1);
    tl_send(&a, 48, 0);
    tl_send(&a, 47, 1);
    tl_check(&b, 48, 0);
    tl_check(&b, 47, 1);
    tl_run(&a, &b, 49, 53, 1, TL_FRAMES);
    /* Frame 53 (TL2, dropped) the same: none of it, no hole. */
    tl.fwd[54] = 1;
    tl_send(&a, 53, 0);
    tl_send(&a, 53, 2);
    tl_send(&a, 54, 0);
    tl_send(&a, 53, 1);
    tl_check(&b, 54, 0);
    tl_run(&a, &b, 55, 60, 1, TL_FRAMES);
    yh_rtp_hdr_t h;
    while (recv_rtp(&b, &h, 200))
        assert_int_not_equal(h.ssrc, 7777);

    yh_sfu_unsubscribe(sfu, 21);
    yh_sfu_track_remove(sfu, 12);
    yh_sfu_transport_remove(sfu, 3);
    yh_sfu_transport_remove(sfu, 4);
    client_close(&a);
    client_close(&b);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forwarding),
        cmocka_unit_test(test_temporal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
