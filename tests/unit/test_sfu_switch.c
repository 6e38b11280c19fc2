/*
 * A downlink that collapses under a simulcast video, end to end through a
 * real worker on loopback. When a subscriber's estimate falls below even
 * the base rate of the layer it receives, the worker stops that layer at
 * once instead of sending on until the lower layer's keyframe (forward.c,
 * select_layer), and leaves the subscriber's NACKs for it unanswered
 * meanwhile (yh_forward_resend): behind the bottleneck that caused the
 * drop, those retransmissions would queue ahead of the lower layer's
 * keyframe, and the receiver starts over from that keyframe anyway. Once
 * the keyframe is there the lower layer follows with continuous numbers,
 * and NACKs are answered again.
 *
 * Both clients behave as real ones would. The publisher sends three
 * simulcast layers (RFC 8853) without pause, bound to the track by their
 * RIDs (RFC 8852), since the worker prices layers by the rates it measures
 * over one-second windows. The subscriber returns transport-wide feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01) every 100 ms, which
 * is what drives its downlink estimate and the allocation rounds.
 */
#include "sfu_fixture.h"

#define AST_ID 2 /* add_transport's extension ids */
#define TWCC_ID 3
#define MID_ID 4
#define RID_ID 5
#define PUB_SSRC 5001 /* layer l is PUB_SSRC + l */
#define SUB_SSRC 9444
#define SUB_RTX 9445
#define FRAME_US 33333 /* 30 frames a second on every layer */
#define Q 0
#define H 1
#define F 2

/* Each frame of a layer: its packets and their payload size. About 45,
 * 150 and 450 kbps: the start estimate (YH_SFU_BWE_START_BPS, 3 Mbps)
 * covers them all, f's base alone is well above the estimate's floor
 * (YH_SFU_BWE_MIN_BPS, 100 kbps), and at that floor only q fits. */
static const struct {
    int parts;
    size_t size;
} shape[3] = {{1, 150}, {1, 600}, {4, 450}};

typedef struct run {
    client_t a, b;
    /* Publisher: per layer the next sequence number and picture id, and
     * whether its next frame is a keyframe; when the worker last asked
     * for a keyframe of it (0: not since the flag was cleared). */
    uint16_t seq[3], pid[3];
    int key[3];
    uint16_t key_seq[3]; /* the first packet of each layer's last keyframe */
    /* Bytes sent per layer (RTP, before SRTP) in the current second and
     * the last whole one, as the worker measures a layer's rate. */
    uint32_t bytes[3], bytes_last[3];
    uint64_t second_us;
    uint32_t frame;
    uint64_t next_frame_us;
    uint64_t pli_us[3];
    int answer_pli; /* answer keyframe requests for q and h with keyframes */
    /* Subscriber: the last media packet received (its layer, -1 before
     * any; the publisher's sequence number, carried in the payload). */
    int layer, keyframe, switches;
    uint16_t seq_out, pid_out, seq_in;
    uint16_t switch_in; /* the publisher's number of the last switch's first packet */
    /* f packets received that the publisher sent from f_cut on. */
    int f_cut_on;
    uint16_t f_cut;
    unsigned f_after;
    /* Retransmissions received on the RTX stream (padding aside). */
    unsigned resent;
    uint16_t resent_osn;
    int resent_layer;
    /* Transport-wide feedback; with `lose` set every packet is reported
     * lost, with `cap_kbps` set it arrives as through a link of that rate
     * (link_free_us: when that link is idle again), and with `hold_fb`
     * none is sent. */
    int lose, hold_fb;
    uint32_t cap_kbps;
    int64_t link_free_us;
    /* Behind the cap: packets that waited 10 ms or more; set once a
     * packet waited 75-100 ms after five such, while feedback is held. */
    int cap_queued, fb_due;
    fb_t fb;
    /* The abs-send-time extension unwrapped (units of 2^-18 s). */
    int ast_started;
    uint32_t ast_last;
    int64_t ast_units, ast_base_us;
} run_t;

/* Packet `part` of the current frame of layer `l`: MID and RID header
 * extensions, the RFC 7741 4.2 descriptor (X; I with a 15-bit picture id;
 * S on the first packet), the VP8 frame header's first byte (P clear on a
 * keyframe, RFC 6386 9.1), then the layer and the sequence number, so the
 * subscriber can tell what it gets. */
static void send_layer(run_t *r, int l, int part)
{
    static const char *const rids[] = {"q", "h", "f"};
    uint8_t pkt[2048];
    yh_rtp_ext_elem_t ext[2];
    yh_rtp_ext_set_string(&ext[0], MID_ID, "1");
    yh_rtp_ext_set_string(&ext[1], RID_ID, rids[l]);
    uint16_t seq = r->seq[l]++;
    if (r->key[l] && !part)
        r->key_seq[l] = seq;
    int n = yh_rtp_write_header(pkt, sizeof pkt, part == shape[l].parts - 1, 96, seq,
                                r->frame * 3000u, PUB_SSRC + (uint32_t)l, ext, 2);
    assert_true(n > 0);
    uint8_t *p = pkt + n;
    p[0] = part ? 0x80 : 0x90;
    p[1] = 0x80;
    wr_be16(p + 2, (uint16_t)(0x8000 | r->pid[l]));
    p[4] = r->key[l] ? 0x00 : 0x01;
    p[5] = (uint8_t)('0' + l);
    wr_be16(p + 6, seq);
    memset(p + 8, 0x42, shape[l].size - 8);
    size_t len = (size_t)n + shape[l].size;
    r->bytes[l] += (uint32_t)len;
    assert_int_equal(yh_srtp_protect_rtp(r->a.srtp, pkt, &len, sizeof pkt), 0);
    cl_send(&r->a, pkt, len);
}

/* A frame on every layer every FRAME_US, f first: the first packet to
 * arrive makes the highest layer the target. No burst to catch up after
 * a stall of this process. */
static void publisher_tick(run_t *r, uint64_t now)
{
    if (now - r->second_us >= 1000000) {
        memcpy(r->bytes_last, r->bytes, sizeof r->bytes);
        memset(r->bytes, 0, sizeof r->bytes);
        r->second_us = now;
    }
    if (now < r->next_frame_us)
        return;
    r->next_frame_us =
        now - r->next_frame_us < FRAME_US ? r->next_frame_us + FRAME_US : now + FRAME_US;
    for (int l = F; l >= Q; l--) {
        for (int i = 0; i < shape[l].parts; i++)
            send_layer(r, l, i);
        r->pid[l] = (uint16_t)((r->pid[l] + 1) & 0x7fff);
        r->key[l] = 0;
    }
    r->frame++;
}

/* Keyframe requests (RFC 4585 6.3.1 PLI, RFC 5104 4.3.1 FIR) reaching
 * the publisher, by layer. */
static void on_publisher(run_t *r)
{
    ssize_t n = recv(r->a.fd, r->a.last, sizeof r->a.last, 0);
    size_t len = n > 0 ? (size_t)n : 0;
    if (len < 2 || r->a.last[1] < 192 || r->a.last[1] > 223 ||
        yh_srtp_unprotect_rtcp(r->a.srtp, r->a.last, &len) < 0)
        return;
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    yh_rtcp_fb_t fb;
    uint32_t ssrc = 0;
    uint8_t fir_seq;
    yh_rtcp_iter_init(&it, r->a.last, len);
    while (yh_rtcp_next(&it, &p) == 1) {
        if (p.pt == YH_RTCP_PSFB && p.count == 1 && yh_rtcp_parse_pli(&p, &fb) == 0)
            ssrc = fb.media_ssrc;
        else if (p.pt != YH_RTCP_PSFB || p.count != 4 ||
                 yh_rtcp_parse_fir(&p, &fb, &ssrc, &fir_seq) < 0)
            continue;
        if (ssrc < PUB_SSRC || ssrc >= PUB_SSRC + 3)
            continue;
        int l = (int)(ssrc - PUB_SSRC);
        r->pli_us[l] = yh_now_us();
        if (r->answer_pli && l != F)
            r->key[l] = 1;
    }
}

/* When the packet left the worker, from its abs-send-time (24 bits, 6.18
 * fixed-point seconds), on this process's clock. The subscriber reports
 * that as its arrival: a path with no queue, however this process is
 * scheduled on a busy machine, so that only the loss the test reports
 * moves the estimate. */
static int64_t arrival_us(run_t *r, const yh_rtp_hdr_t *h)
{
    const uint8_t *d;
    size_t dl;
    assert_int_equal(yh_rtp_ext_find(r->b.last, h, AST_ID, &d, &dl), 0);
    assert_int_equal(dl, 3);
    uint32_t ast = rd_be24(d);
    if (!r->ast_started) {
        r->ast_started = 1;
        r->ast_last = ast;
        r->ast_base_us = (int64_t)yh_now_us();
    }
    int32_t step = (int32_t)((ast - r->ast_last) & 0xffffffu);
    if (step >= 1 << 23)
        step -= 1 << 24;
    r->ast_last = ast;
    r->ast_units += step;
    return r->ast_base_us + r->ast_units * 1000000 / (1 << 18);
}

/* Notes a packet's transport-wide sequence number for the next feedback. */
static void note_arrival(run_t *r, const yh_rtp_hdr_t *h, size_t len)
{
    const uint8_t *d;
    size_t dl;
    uint16_t tseq;
    assert_int_equal(yh_rtp_ext_find(r->b.last, h, TWCC_ID, &d, &dl), 0);
    assert_int_equal(yh_rtp_ext_twcc_seq(d, dl, &tseq), 0);
    int64_t sent = arrival_us(r, h), at = sent;
    if (r->cap_kbps) {
        if (r->link_free_us > at)
            at = r->link_free_us;
        at += (int64_t)len * 8000 / r->cap_kbps;
        r->link_free_us = at;
        r->cap_queued += at - sent >= 10000;
        if (r->hold_fb && r->cap_queued >= 5 && at - sent >= 75000 && at - sent < 100000)
            r->fb_due = 1;
    }
    fb_note(&r->fb, tseq, r->lose ? -1 : at);
}

/* One packet at the subscriber: media on its SSRC, retransmissions on its
 * RTX stream (RFC 4588 4: the original sequence number, then the
 * payload), and padding-only probes there, which only count for feedback. */
static void on_subscriber(run_t *r)
{
    ssize_t n = recv(r->b.fd, r->b.last, sizeof r->b.last, 0);
    size_t len = n > 0 ? (size_t)n : 0;
    yh_rtp_hdr_t h;
    if (len < 2 || r->b.last[0] < 128 || (r->b.last[1] >= 192 && r->b.last[1] <= 223) ||
        yh_srtp_unprotect_rtp(r->b.srtp, r->b.last, &len) < 0)
        return;
    assert_int_equal(yh_rtp_parse(r->b.last, len, &h), 0);
    note_arrival(r, &h, len);
    const uint8_t *p = r->b.last + h.payload_off;
    if (h.ssrc == SUB_SSRC && h.payload_len >= 8) {
        assert_int_equal(h.pt, 100);
        int layer = p[5] - '0', key = (p[0] & 0x10) && !(p[4] & 0x01);
        uint16_t pid = (uint16_t)(rd_be16(p + 2) & 0x7fff);
        /* A switch of layer: at a keyframe of the new one, its numbers
         * going on from the old one's (RFC 7741 4.2: picture ids too). */
        if (r->layer >= 0 && layer != r->layer) {
            assert_true(key);
            assert_int_equal(h.seq, (uint16_t)(r->seq_out + 1));
            assert_int_equal(pid, (r->pid_out + 1) & 0x7fff);
            r->switches++;
            r->switch_in = rd_be16(p + 6);
        }
        r->layer = layer;
        r->keyframe = key;
        r->seq_out = h.seq;
        r->pid_out = pid;
        r->seq_in = rd_be16(p + 6);
        if (r->layer == F && r->f_cut_on && (int16_t)(r->seq_in - r->f_cut) >= 0)
            r->f_after++;
    } else if (h.ssrc == SUB_RTX && h.payload_len >= 10) {
        assert_int_equal(h.pt, 101);
        r->resent++;
        r->resent_osn = rd_be16(p);
        r->resent_layer = p[2 + 5] - '0';
    }
}

static void send_nack(run_t *r, const uint16_t *seqs, size_t n)
{
    uint8_t fb[64];
    int fl = yh_rtcp_build_nack(fb, sizeof fb, 5555, SUB_SSRC, seqs, n);
    assert_true(fl > 0);
    send_rtcp(&r->b, fb, (size_t)fl);
}

/* Runs both clients for up to `ms`, or until `done` holds (NULL: the whole
 * time). Returns whether it holds (1 without one). */
static int run_until(run_t *r, int ms, int (*done)(const run_t *))
{
    uint64_t end = yh_now_us() + (uint64_t)ms * 1000;
    while (yh_now_us() < end) {
        if (done && done(r))
            return 1;
        publisher_tick(r, yh_now_us());
        if (!r->hold_fb)
            fb_tick(&r->fb, &r->b, SUB_SSRC, yh_now_us());
        int ready = pair_poll(&r->a, &r->b, 5);
        if (ready & 1)
            on_publisher(r);
        if (ready & 2)
            on_subscriber(r);
    }
    return done ? done(r) : 1;
}

static int resent_any(const run_t *r)
{
    return r->resent > 0;
}

static int lower_wanted(const run_t *r)
{
    return r->pli_us[Q] || r->pli_us[H];
}

static int on_q(const run_t *r)
{
    return r->layer == Q;
}

/* Asks for the subscriber's packets `seqs` and returns how many
 * retransmissions came within `ms`; the last one's in r->resent_*. */
static unsigned nack_and_wait(run_t *r, const uint16_t *seqs, size_t n, int ms, int wait_all)
{
    r->resent = 0;
    send_nack(r, seqs, n);
    run_until(r, ms, wait_all ? NULL : resent_any);
    return r->resent;
}

/* Phase 1: the estimate starts above every layer and the subscriber
 * acknowledges everything, so it receives f, and a NACK for an f packet
 * is answered on the RTX stream. The lower layers were never wanted. */
static void settle_on_f(run_t *r)
{
    run_until(r, 2500, NULL);
    assert_int_equal(r->layer, F);
    assert_false(lower_wanted(r));
    uint16_t want = r->seq_out;
    assert_true(nack_and_wait(r, &want, 1, 1000, 0) > 0);
    assert_int_equal(r->resent_osn, want);
    assert_int_equal(r->resent_layer, F);
}

/* Phase 2: the subscriber reports every packet lost, and the loss-based
 * estimate halves every few hundred ms. The allocation round that finds it
 * below f's rate lowers the layer, and the publisher is asked for a
 * keyframe of a lower one. Whether f then stops at once depends on how far
 * the estimate fell (a layer that still fits the estimate but not its
 * margin keeps going until the keyframe), so the test waits until f stops
 * arriving, and then NACKs the last f packets it got (lost, as far as its
 * feedback goes): no answer may come, and no f packet the publisher sent
 * before the NACK may arrive either. The worker handles datagrams in the
 * order they reached its socket, so those f packets went before the NACK:
 * their not arriving shows the drop was on when the NACK came. When some
 * do arrive after all (the worker had only been slow), the drop had not
 * begun yet, and it is tried again. No keyframe of a lower layer is sent
 * meanwhile. Returns the tries it took. */
static int drop_f(run_t *r)
{
    unsigned answered = 0;
    int tries = 0;
    r->lose = 1;
    assert_true(run_until(r, 8000, lower_wanted));
    r->f_cut_on = 1;
    do {
        assert_true(++tries <= 12);
        r->f_cut = r->seq[F];
        r->f_after = 0;
        run_until(r, 300, NULL);
        if (r->f_after)
            continue; /* f goes on until the keyframe, or the worker is slow */
        assert_int_equal(r->layer, F);
        uint16_t last[3] = {(uint16_t)(r->seq_out - 2), (uint16_t)(r->seq_out - 1), r->seq_out};
        answered = nack_and_wait(r, last, 3, 400, 1);
    } while (r->f_after);
    assert_true((uint16_t)(r->seq[F] - r->f_cut) >= 10);
    assert_int_equal(r->layer, F);
    assert_int_equal(answered, 0);
    return tries;
}

/* Phase 3: the publisher now answers the keyframe requests, those that
 * came meanwhile and those to come, while the loss goes on. The subscriber
 * moves down, at a keyframe each time, with continuous numbers
 * (on_subscriber checks), to h and on to q when the estimate was still
 * above h's rate, or straight to q; q is where it stays, since even the
 * estimate's floor leaves room for it, and there its NACKs are answered
 * again. Returns the switches it took. */
static int switch_down(run_t *r)
{
    r->answer_pli = 1;
    r->key[Q] = r->key[H] = 1;
    r->switches = 0;
    assert_true(run_until(r, 8000, on_q));
    assert_true(r->keyframe);
    uint16_t want = r->seq_out;
    assert_true(nack_and_wait(r, &want, 1, 1000, 0) > 0);
    assert_int_equal(r->resent_osn, want);
    assert_int_equal(r->resent_layer, Q);
    return r->switches;
}

/* Both clients connected, the track and the subscription added; the
 * publisher's first frames are keyframes. */
static void run_open(run_t *r)
{
    memset(r, 0, sizeof *r);
    r->layer = -1;
    r->seq[Q] = 1000;
    r->seq[H] = 20000;
    r->seq[F] = 40000;
    r->pid[Q] = 100;
    r->pid[H] = 2000;
    r->pid[F] = 30000;
    r->key[Q] = r->key[H] = r->key[F] = 1;
    yh_sfu_track_params_t tp = {.id = 30,
                                .transport = 1,
                                .kind = YH_SFU_VIDEO,
                                .mid = "1",
                                .pt = 96,
                                .codec = YH_SFU_CODEC_VP8,
                                .clock_rate = 90000,
                                .n_layers = 3,
                                .rids = {"q", "h", "f"}};
    yh_sfu_sub_params_t sp = {.id = 40,
                              .transport = 2,
                              .track = 30,
                              .ssrc = SUB_SSRC,
                              .pt = 100,
                              .rtx_ssrc = SUB_RTX,
                              .rtx_pt = 101};
    pair_open(&r->a, &r->b, &tp, &sp, 0);
}

static void run_close(run_t *r)
{
    yh_sfu_unsubscribe(sfu, 40);
    yh_sfu_track_remove(sfu, 30);
    yh_sfu_transport_remove(sfu, 1);
    yh_sfu_transport_remove(sfu, 2);
    client_close(&r->a);
    client_close(&r->b);
}

static void test_collapse_drops_layer_unrepaired(void **state)
{
    (void)state;
    static run_t r;
    run_open(&r);
    settle_on_f(&r);
    int tries = drop_f(&r);
    int switches = switch_down(&r);
    print_message("f stopped unrepaired after %d tries of 300 ms; %d switches to q\n", tries,
                  switches);
    run_close(&r);
}

/* A new bottleneck is acted on as soon as the feedback that shows it is
 * read, not at the worker's next tick: the subscriber's packets start to
 * arrive as through a 200 kbps link, less than half of f, and once its
 * queue is a few hundred ms long the feedback reporting them reaches the
 * worker together with f's next frame. That frame must not go out: the
 * estimate fell far below f's rate, which stops f at once (as in the test
 * above). Allocating at the tick instead, the worker would have sent it,
 * as both datagrams are read in one batch. */
static void test_fall_acted_on_at_feedback(void **state)
{
    (void)state;
    static run_t r;
    run_open(&r);
    settle_on_f(&r);
    r.cap_kbps = 200;
    r.hold_fb = 1;
    run_until(&r, 400, NULL);
    assert_int_equal(r.layer, F);
    r.fb.next_us = 0;
    fb_tick(&r.fb, &r.b, SUB_SSRC, yh_now_us());
    r.f_cut = r.seq[F];
    r.f_cut_on = 1;
    r.f_after = 0;
    for (int i = 0; i < shape[F].parts; i++)
        send_layer(&r, F, i);
    uint64_t end = yh_now_us() + 300000;
    while (yh_now_us() < end) {
        int ready = pair_poll(&r.a, &r.b, 5);
        if (ready & 1)
            on_publisher(&r);
        if (ready & 2)
            on_subscriber(&r);
    }
    assert_int_equal(r.f_after, 0);
    assert_true(lower_wanted(&r));
    run_close(&r);
}

static int fb_ready(const run_t *r)
{
    return r->fb_due;
}

static int below_f(const run_t *r)
{
    return r->layer == Q || r->layer == H;
}

/* An estimate that falls to under half at once is a hard bottleneck for a
 * second (reports.c hard_bottleneck), so the switch down picks a layer
 * that fits with 20 % to spare: the first cut after a new bottleneck takes
 * what its queue delivered so far, and a layer that only just fits leaves
 * that queue standing, or needs a second switch (and keyframe) soon after.
 * The subscriber's packets arrive as through a link about 1.26 times
 * h's rate as sent in the last second (about 150 kbps; less when this
 * process is slow), and the feedback goes out once the newest has waited
 * 75-100 ms there: enough to cut the estimate at once, to about 0.875 of
 * the link (0.85 of what it delivered), so 1.1 times h's rate, and short
 * of the 100 ms queue that makes a bottleneck hard by itself. h fits that
 * estimate but not with 20 % to spare: the switch goes to q, not to h. */
static void test_sharp_fall_spares_margin(void **state)
{
    (void)state;
    static run_t r;
    run_open(&r);
    settle_on_f(&r);
    r.cap_kbps = r.bytes_last[H] * 8u / 1000u * 1257u / 1000u;
    assert_in_range(r.cap_kbps, 100, 250);
    r.hold_fb = 1;
    assert_true(run_until(&r, 1000, fb_ready));
    r.fb.next_us = 0;
    fb_tick(&r.fb, &r.b, SUB_SSRC, yh_now_us());
    r.answer_pli = 1;
    assert_true(run_until(&r, 3000, below_f));
    assert_int_equal(r.layer, Q);
    run_close(&r);
}

/* A switch down starts from the lower layer's last keyframe when it came
 * moments ago (forward.c replay_keyframe): with Chromium's simulcast, one
 * keyframe request brings a keyframe on every layer, and another request
 * within 300 ms goes unanswered. q's next frame is a keyframe, as when
 * another subscriber asked for one; 150 ms later the subscriber is limited
 * to q. It must be on q at once, from that keyframe, with continuous
 * numbers (on_subscriber), and without asking for a new one: the
 * publisher here answers no request. */
static void test_switch_starts_from_recent_keyframe(void **state)
{
    (void)state;
    static run_t r;
    run_open(&r);
    settle_on_f(&r);
    r.key[Q] = 1;
    run_until(&r, 150, NULL);
    assert_int_equal(r.layer, F);
    yh_sfu_sub_set_layer(sfu, 40, Q, YH_SFU_TID_ALL);
    assert_true(run_until(&r, 300, on_q));
    assert_int_equal(r.switch_in, r.key_seq[Q]);
    assert_int_equal(r.pli_us[Q], 0);
    /* q goes on from there. */
    uint16_t from = r.seq_in;
    run_until(&r, 200, NULL);
    assert_int_equal(r.layer, Q);
    assert_true((uint16_t)(r.seq_in - from) >= 3);
    run_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collapse_drops_layer_unrepaired),
        cmocka_unit_test(test_fall_acted_on_at_feedback),
        cmocka_unit_test(test_sharp_fall_spares_margin),
        cmocka_unit_test(test_switch_starts_from_recent_keyframe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
