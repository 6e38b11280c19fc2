/*
 * The receiver's playout floor end to end: a subscriber's video carries the
 * playout-delay extension (http://www.webrtc.org/experiments/rtp-hdrext/
 * playout-delay), its minimum 0 while nothing is lost and raised to about
 * 1.5 round trips of the lossy leg plus 50 ms (reports.c) while packets go
 * missing on the way down (the subscriber NACKs them) or up (the server
 * NACKs the publisher). Both clients behave as real ones would: the
 * subscriber sends transport-wide feedback for what it received, so the
 * worker's allocation rounds run, and answers sender reports with receiver
 * reports (LSR/DLSR, RFC 3550 6.4.1); the publisher sends sender reports
 * and answers NACKs on its RTX stream (RFC 4588).
 */
#include "sfu_fixture.h"

#define PD_ID 5
#define TWCC_ID 3     /* add_transport's */
#define PUB_SSRC 1111 /* vp8_packet's */
#define PUB_RTX 1112
#define SUB_SSRC 9222
#define SUB_RTX 9223
#define SEQ0 1000

typedef struct run {
    client_t a, b;
    int up_skip;           /* publisher: each up_skip-th packet only comes on RTX (0: none) */
    int down_drop;         /* subscriber: each down_drop-th video packet is "lost" (0: none) */
    int64_t ntp_offset_us; /* the publisher's clock against the server's */
    uint64_t pkt_us;       /* the publisher's packet interval */
    /* The publisher's answers to NACKs come this late (0: at once), one
     * per packet however often it is asked, as Chromium resends a packet
     * at most once a round trip; one in four comes after 10 ms instead,
     * as when a bandwidth probe happens to repeat it on RTX. */
    uint64_t up_rtt_us;
    unsigned answers;
    struct {
        uint16_t seq;
        uint64_t due_us; /* 0: answered */
    } pending[64];
    size_t n_pending;
    uint16_t seq, rtx_seq;
    uint64_t next_pkt_us, next_sr_us;
    fb_t fb;
    unsigned media, resent, rrs, lost_n;
    /* The subscriber asks again for each lost packet this long after the
     * first NACK (0: never), as when the first answer was lost too. */
    uint64_t renack_us;
    struct {
        uint16_t seq;
        uint64_t due_us; /* 0: done */
    } renacks[64];
    size_t n_renacks;
    int min_ms; /* the extension's minimum on the last video packet, -1: none yet */
    uint64_t min_up_us; /* when it last went up */
    unsigned min_steps; /* times it went up */
    int64_t queue_us; /* the subscriber's feedback reports arrivals this much later */
    int no_nack;      /* the subscriber never NACKs (its NACKs are all lost) */
    uint64_t late_us; /* from then on losses and resends are counted apart */
    unsigned lost_late, resent_late;
} run_t;

/* Media packet `seq` again, on the publisher's RTX stream. */
static void send_rtx(run_t *r, uint16_t osn)
{
    uint8_t orig[2048], rtx[2048];
    size_t olen = vp8_packet(orig, osn, osn * 3000u, 0);
    int hl =
        yh_rtp_write_header(rtx, sizeof rtx, 1, 97, r->rtx_seq++, osn * 3000u, PUB_RTX, NULL, 0);
    wr_be16(rtx + hl, osn);
    memcpy(rtx + hl + 2, orig + 12, olen - 12);
    size_t len = (size_t)hl + 2 + olen - 12;
    assert_int_equal(yh_srtp_protect_rtp(r->a.srtp, rtx, &len, sizeof rtx), 0);
    cl_send(&r->a, rtx, len);
}

static void answer_nack(run_t *r, uint16_t osn)
{
    if (!r->up_rtt_us) {
        send_rtx(r, osn);
        return;
    }
    for (size_t i = 0; i < r->n_pending; i++)
        if (r->pending[i].seq == osn)
            return; /* asked again: already being answered, or answered */
    if (r->n_pending == sizeof r->pending / sizeof r->pending[0])
        r->n_pending = 0;
    r->pending[r->n_pending].seq = osn;
    r->pending[r->n_pending++].due_us = yh_now_us() + (r->answers++ % 4 ? r->up_rtt_us : 10000);
}

static void on_publisher(run_t *r)
{
    ssize_t n = recv(r->a.fd, r->a.last, sizeof r->a.last, 0);
    size_t len = n > 0 ? (size_t)n : 0;
    if (len < 2 || r->a.last[1] != YH_RTCP_RTPFB ||
        yh_srtp_unprotect_rtcp(r->a.srtp, r->a.last, &len) < 0)
        return;
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    yh_rtcp_fb_t fb;
    uint16_t lost[64];
    size_t nl;
    yh_rtcp_iter_init(&it, r->a.last, len);
    while (yh_rtcp_next(&it, &p) == 1)
        if (p.pt == YH_RTCP_RTPFB && p.count == 1 &&
            yh_rtcp_parse_nack(&p, &fb, lost, 64, &nl) == 0 && fb.media_ssrc == PUB_SSRC)
            for (size_t i = 0; i < nl; i++)
                answer_nack(r, lost[i]);
}

/* A translated sender report reaches the subscriber: answered at once. */
static void on_subscriber_rtcp(run_t *r, size_t len)
{
    yh_rtcp_iter_t it;
    yh_rtcp_pkt_t p;
    yh_rtcp_sr_t sr;
    yh_rtcp_iter_init(&it, r->b.last, len);
    while (yh_rtcp_next(&it, &p) == 1) {
        if (p.pt != YH_RTCP_SR || yh_rtcp_parse_sr(&p, &sr) < 0 || sr.ssrc != SUB_SSRC)
            continue;
        yh_rtcp_rr_t rr = {.ssrc = 5555, .n_reports = 1};
        rr.reports[0] = (yh_rtcp_report_block_t){.ssrc = SUB_SSRC, .lsr = (uint32_t)(sr.ntp >> 16)};
        uint8_t pkt[128];
        int n = yh_rtcp_build_rr(pkt, sizeof pkt, &rr);
        assert_true(n > 0);
        send_rtcp(&r->b, pkt, (size_t)n);
        r->rrs++;
    }
}

static void send_nack(run_t *r, uint16_t seq)
{
    uint8_t fb[64];
    int fl = yh_rtcp_build_nack(fb, sizeof fb, 5555, SUB_SSRC, &seq, 1);
    assert_true(fl > 0);
    send_rtcp(&r->b, fb, (size_t)fl);
}

/* One packet at the subscriber: its arrival noted for feedback, unless it
 * is "lost", then NACKed; the playout-delay element of video checked. */
static void on_subscriber(run_t *r)
{
    ssize_t n = recv(r->b.fd, r->b.last, sizeof r->b.last, 0);
    size_t len = n > 0 ? (size_t)n : 0;
    yh_rtp_hdr_t h;
    const uint8_t *d;
    size_t dl;
    uint16_t tseq;
    if (len < 2 || r->b.last[0] < 128)
        return;
    if (r->b.last[1] >= 192 && r->b.last[1] <= 223) {
        if (yh_srtp_unprotect_rtcp(r->b.srtp, r->b.last, &len) == 0)
            on_subscriber_rtcp(r, len);
        return;
    }
    if (yh_srtp_unprotect_rtp(r->b.srtp, r->b.last, &len) < 0)
        return;
    assert_int_equal(yh_rtp_parse(r->b.last, len, &h), 0);
    int lost = 0;
    if (h.ssrc == SUB_SSRC) {
        assert_int_equal(yh_rtp_ext_find(r->b.last, &h, PD_ID, &d, &dl), 0);
        assert_int_equal(dl, 3);
        int min = (d[0] << 4 | d[1] >> 4) * 10;
        assert_int_equal(((d[1] & 0xf) << 8 | d[2]) * 10, 10000);
        if (!r->up_skip && !r->down_drop)
            assert_int_equal(min, 0);
        else /* only up while the loss lasts */
            assert_true(min >= r->min_ms);
        /* Up by 100 ms at most, one step every 500 ms (300 ms apart at
         * least here, whatever the delays of a busy machine): Chromium
         * takes a new floor at once, and a bigger jump stops playback as
         * long. */
        if (min > r->min_ms && r->min_ms >= 0) {
            assert_true(min - r->min_ms <= 100);
            if (r->min_ms > 0)
                assert_true(yh_now_us() - r->min_up_us >= 300000);
            r->min_up_us = yh_now_us();
            r->min_steps++;
        }
        r->min_ms = min;
        lost = r->down_drop && ++r->media % (unsigned)r->down_drop == 0;
    } else if (h.ssrc == SUB_RTX && h.payload_len > 2) {
        r->resent++;
        r->resent_late += r->late_us && yh_now_us() >= r->late_us;
    }
    if (lost) {
        r->lost_n++;
        r->lost_late += r->late_us && yh_now_us() >= r->late_us;
    }
    if (lost && !r->no_nack) {
        send_nack(r, h.seq);
        if (r->renack_us && r->n_renacks < sizeof r->renacks / sizeof r->renacks[0]) {
            r->renacks[r->n_renacks].seq = h.seq;
            r->renacks[r->n_renacks++].due_us = yh_now_us() + r->renack_us;
        }
    }
    assert_int_equal(yh_rtp_ext_find(r->b.last, &h, TWCC_ID, &d, &dl), 0);
    assert_int_equal(yh_rtp_ext_twcc_seq(d, dl, &tseq), 0);
    fb_note(&r->fb, tseq, lost ? -1 : (int64_t)yh_now_us() + r->queue_us);
}

/* The publisher's stream and its sender reports. */
static void publisher_tick(run_t *r, uint64_t now)
{
    for (size_t i = 0; i < r->n_pending; i++)
        if (r->pending[i].due_us && now >= r->pending[i].due_us) {
            r->pending[i].due_us = 0;
            send_rtx(r, r->pending[i].seq);
        }
    if (now >= r->next_pkt_us) {
        r->next_pkt_us = now + r->pkt_us;
        uint16_t s = r->seq++;
        if (!r->up_skip || s % r->up_skip != 1)
            publish(&r->a, s, s * 3000u, s == SEQ0);
    }
    if (now >= r->next_sr_us) {
        r->next_sr_us = now + 500000;
        yh_rtcp_sr_t sr = {.ssrc = PUB_SSRC, .rtp_ts = r->seq * 3000u};
        sr.ntp = yh_ntp_now() + (uint64_t)(r->ntp_offset_us * 4294967296LL / 1000000);
        uint8_t pkt[128];
        int n = yh_rtcp_build_sr(pkt, sizeof pkt, &sr);
        assert_true(n > 0);
        send_rtcp(&r->a, pkt, (size_t)n);
    }
}

static void feedback_tick(run_t *r, uint64_t now)
{
    for (size_t i = 0; i < r->n_renacks; i++)
        if (r->renacks[i].due_us && now >= r->renacks[i].due_us) {
            r->renacks[i].due_us = 0;
            send_nack(r, r->renacks[i].seq);
        }
    fb_tick(&r->fb, &r->b, SUB_SSRC, now);
}

/* Runs both clients for up to `ms`, or until the floor is up when `until_up`. */
static void run_for(run_t *r, int ms, int until_up)
{
    uint64_t end = yh_now_us() + (uint64_t)ms * 1000;
    while (yh_now_us() < end && !(until_up && r->min_ms > 0)) {
        publisher_tick(r, yh_now_us());
        feedback_tick(r, yh_now_us());
        int ready = pair_poll(&r->a, &r->b, 5);
        if (ready & 1)
            on_publisher(r);
        if (ready & 2)
            on_subscriber(r);
    }
}

typedef struct loss {
    int pkt_ms;    /* the publisher's packet interval */
    int up_skip;   /* each up_skip-th packet lost on the way up (0: none) */
    int down_drop; /* each down_drop-th video packet lost on the way down (0: none) */
    int64_t ntp_offset_us;
    int up_rtt_ms; /* the publisher answers NACKs this late (0: at once) */
    int renack_ms; /* the subscriber asks again this late (0: never) */
    int queue_ms;  /* a standing queue on the way down while the loss lasts */
    int no_nack;   /* the subscriber reports its losses in feedback only */
    /* The loss lasts this long, then 2.5 s more in which each packet
     * lost must be resent `copies` times. */
    int late_ms, copies;
} loss_t;

/* The steps the last floor_under_loss saw the floor go up in. */
static unsigned last_steps;

/* A pair on transports `id` (publisher) and id + 1, no loss at first (the
 * minimum stays 0), then the given loss: returns the floor it brought
 * within 5 s, after checking it holds for another half second. */
static int floor_under_loss(uint32_t id, const loss_t *l)
{
    static run_t r;
    memset(&r, 0, sizeof r);
    r.seq = SEQ0;
    r.min_ms = -1;
    r.pkt_us = (uint64_t)l->pkt_ms * 1000;
    r.ntp_offset_us = l->ntp_offset_us;
    r.up_rtt_us = (uint64_t)l->up_rtt_ms * 1000;
    yh_sfu_track_params_t tp = {.id = id,
                                .transport = id,
                                .kind = YH_SFU_VIDEO,
                                .mid = "0",
                                .ssrc = PUB_SSRC,
                                .pt = 96,
                                .codec = YH_SFU_CODEC_VP8,
                                .clock_rate = 90000,
                                .rtx_ssrc = PUB_RTX,
                                .rtx_pt = 97};
    yh_sfu_sub_params_t sp = {.id = id,
                              .transport = id + 1,
                              .track = id,
                              .ssrc = SUB_SSRC,
                              .pt = 100,
                              .rtx_ssrc = SUB_RTX,
                              .rtx_pt = 101};
    pair_open(&r.a, &r.b, &tp, &sp, PD_ID);
    /* Long enough for a sender report to come and be answered. */
    run_for(&r, 1500, 0);
    assert_int_equal(r.min_ms, 0);
    assert_true(r.rrs > 0);
    r.up_skip = l->up_skip;
    r.down_drop = l->down_drop;
    r.renack_us = (uint64_t)l->renack_ms * 1000;
    r.queue_us = (int64_t)l->queue_ms * 1000;
    r.no_nack = l->no_nack;
    run_for(&r, l->late_ms ? l->late_ms : l->no_nack ? 1500 : 5000, !l->no_nack && !l->late_ms);
    int floor = r.min_ms;
    print_message("floor %d ms (a packet every %d ms, 1 in %d lost up, 1 in %d down)\n", floor,
                  l->pkt_ms, l->up_skip, l->down_drop);
    run_for(&r, l->up_rtt_ms ? 2000 : 500, 0);
    assert_true(r.min_ms >= floor);
    floor = r.min_ms;
    assert_true(r.resent > 0 || !l->down_drop); /* the subscriber's NACKs were answered */
    /* Asked again well after a round trip: answered twice each time, but
     * once only behind a queue (there the loss is the queue's). */
    if (l->renack_ms && l->queue_ms)
        assert_true(r.resent <= r.lost_n + (unsigned)r.n_renacks);
    else if (l->renack_ms)
        assert_true(r.resent >= r.lost_n + 2 * (unsigned)(r.n_renacks - 1));
    /* Never asked for: each resent once the feedback reported it lost
     * (the last few may not have been reported yet), twice once the path
     * is known to lose 2 % or more. */
    if (l->no_nack && !l->late_ms) {
        print_message("%u lost unasked, %u resent\n", r.lost_n, r.resent);
        assert_true(r.lost_n >= 10 && r.resent + 3 >= r.lost_n && r.resent <= 2 * r.lost_n);
    }
    if (l->late_ms) {
        r.late_us = yh_now_us();
        run_for(&r, 2500, 0);
        print_message("late: %u lost, %u resent\n", r.lost_late, r.resent_late);
        unsigned want = r.lost_late * (unsigned)l->copies, slack = 3u * (unsigned)l->copies;
        assert_true(r.lost_late >= 4 && r.resent_late + slack >= want &&
                    r.resent_late <= want + (unsigned)l->copies);
    }
    yh_sfu_unsubscribe(sfu, id);
    yh_sfu_track_remove(sfu, id);
    yh_sfu_transport_remove(sfu, id);
    yh_sfu_transport_remove(sfu, id + 1);
    client_close(&r.a);
    client_close(&r.b);
    last_steps = r.min_steps;
    return floor;
}

/* One video packet in 8 lost on the way to the subscriber: the floor goes
 * up to about 1.5 loopback round trips + 50 ms, the round trip measured
 * from the subscriber's receiver reports (well under the 100 ms assumed
 * when unknown, which would give 200 ms). */
static void test_playout_downlink_loss(void **state)
{
    (void)state;
    int floor = floor_under_loss(10, &(loss_t){.pkt_ms = 20, .down_drop = 8});
    assert_true(floor >= 50 && floor < 200);
}

/* One packet in 10 lost on the way from the publisher, repaired by its
 * RTX: the floor comes from the uplink's NACK-to-retransmission time. */
static void test_playout_uplink_loss(void **state)
{
    (void)state;
    int floor = floor_under_loss(20, &(loss_t){.pkt_ms = 20, .up_skip = 10});
    assert_true(floor >= 50 && floor < 200);
}

/* A publisher 120 ms away that answers each NACK once: the server asks
 * again every 40 ms, and the round trip is timed from the first request,
 * not from a retry sent after it (which once made 120 ms look like 40);
 * the copies a probe sends unasked do not count as round trips either.
 * The floor: 1.5 x 120 + 50 = 230 ms, reached in steps of at most 100 ms
 * (on_subscriber checks them). */
static void test_playout_uplink_rtt(void **state)
{
    (void)state;
    int floor = floor_under_loss(50, &(loss_t){.pkt_ms = 20, .up_skip = 10, .up_rtt_ms = 120});
    assert_true(floor >= 220 && floor <= 300);
    assert_true(last_steps >= 3);
}

/* The publisher's clock is not the server's (here 2 s behind): the
 * sender reports the subscriber answers carry the publisher's NTP time,
 * and the downlink round trip must not take the difference for delay. */
static void test_playout_publisher_clock(void **state)
{
    (void)state;
    loss_t l = {.pkt_ms = 20, .down_drop = 8, .ntp_offset_us = -2000000};
    int floor = floor_under_loss(30, &l);
    assert_true(floor >= 50 && floor < 200);
}

/* The subscriber asks for each lost packet again 60 ms after its first
 * NACK, well past the loopback round trip: the packet has been waiting
 * two round trips, and the answer goes twice. */
static void test_renack_answered_twice(void **state)
{
    (void)state;
    floor_under_loss(60, &(loss_t){.pkt_ms = 20, .down_drop = 8, .renack_ms = 60});
}

/* The same behind a standing queue of 40 ms: a packet asked for again is
 * resent once; a second copy would only feed the bottleneck. Nor does the
 * floor go up: the loss is the queue's, and waiting does not repair it. */
static void test_renack_behind_queue(void **state)
{
    (void)state;
    int floor = floor_under_loss(
        70, &(loss_t){.pkt_ms = 20, .down_drop = 8, .renack_ms = 60, .queue_ms = 40});
    assert_int_equal(floor, 0);
}

/* A subscriber whose NACKs are all lost (or that stopped asking, as
 * Chromium does once a later frame is complete without the packet): what
 * its transport-wide feedback reports lost is resent all the same. */
static void test_lost_resent_unasked(void **state)
{
    (void)state;
    floor_under_loss(80, &(loss_t){.pkt_ms = 20, .down_drop = 8, .no_nack = 1});
}

/* A path that loses one packet in 8 before repair: a NACK's answer goes
 * twice, as a lost copy would cost the frame another round trip; on one
 * that loses one in 100, once. The feedback measures the loss over 200
 * packets (router.c), about 1 s at this rate. At 50 packets a second a
 * window takes 4 s, but three losses in one are enough to go up: from
 * 0.65 s into the loss on (the third is at about 0.5 s) every answer goes
 * twice. Without that, 18 of 30 copies came in the 2.5 s counted. */
static void test_lossy_path_answered_twice(void **state)
{
    (void)state;
    floor_under_loss(90, &(loss_t){.pkt_ms = 5, .down_drop = 8, .late_ms = 2500, .copies = 2});
    floor_under_loss(100, &(loss_t){.pkt_ms = 5, .down_drop = 100, .late_ms = 2500, .copies = 1});
    floor_under_loss(110, &(loss_t){.pkt_ms = 20, .down_drop = 8, .late_ms = 150, .copies = 2});
}

/* A low layer, a packet a frame at 25 fps (12 or 13 packets an allocation
 * round), 1 in 8 lost on the way down: loss all the same. */
static void test_playout_low_rate(void **state)
{
    (void)state;
    int floor = floor_under_loss(40, &(loss_t){.pkt_ms = 40, .down_drop = 8});
    assert_true(floor >= 50 && floor < 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_playout_downlink_loss),
        cmocka_unit_test(test_playout_uplink_loss),
        cmocka_unit_test(test_playout_uplink_rtt),
        cmocka_unit_test(test_renack_answered_twice),
        cmocka_unit_test(test_renack_behind_queue),
        cmocka_unit_test(test_lost_resent_unasked),
        cmocka_unit_test(test_lossy_path_answered_twice),
        cmocka_unit_test(test_playout_publisher_clock),
        cmocka_unit_test(test_playout_low_rate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
