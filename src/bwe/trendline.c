#include "bwe/trendline.h"

#include <math.h>
#include <string.h>

/* Constants from draft-ietf-rmcat-gcc-02 and libwebrtc's trendline
 * estimator (trendline_estimator.cc). */
#define GROUP_US 5000          /* burst_time: send-time group length (5.2) */
#define BURST_ARRIVAL_US 5000  /* arrivals this close, with negative delay, join the group */
#define BURST_MAX_US 100000    /* a burst never spans more than 100 ms of arrivals */
#define RESET_US 3000000       /* a jump this large means the receiver's clock restarted */
#define SMOOTHING 0.9          /* exponential smoothing of the accumulated delay */
#define THRESHOLD_GAIN 4.0     /* scales the slope into the threshold's units */
#define MAX_DELTAS 60          /* the gain grows with samples up to this many */
#define OVERUSE_TIME_MS 10.0   /* overuse must last this long (5.4) ... */
#define INITIAL_THRESHOLD 12.5 /* del_var_th(0), ms */
#define K_UP 0.0087            /* threshold adaptation gains (5.4) */
#define K_DOWN 0.039
#define THRESHOLD_MIN 6.0
#define THRESHOLD_MAX 600.0
#define MAX_ADAPT_MS 100.0 /* longest step of threshold adaptation */
#define OUTLIER_MS 15.0    /* samples this far over the threshold don't adapt it */

void yh_bwe_trendline_init(yh_bwe_trendline_t *t)
{
    memset(t, 0, sizeof(*t));
    t->threshold_ms = INITIAL_THRESHOLD;
    t->time_over_ms = -1;
    t->last_threshold_us = -1;
    t->first_arrival_us = -1;
}

/* Least-squares slope of smoothed delay over arrival time (ms/ms). */
static int fit_slope(const yh_bwe_trendline_t *t, double *slope)
{
    double xm = 0, ym = 0, num = 0, den = 0;
    for (unsigned i = 0; i < t->win_n; i++) {
        xm += t->win_x[i];
        ym += t->win_y[i];
    }
    xm /= t->win_n;
    ym /= t->win_n;
    for (unsigned i = 0; i < t->win_n; i++) {
        num += (t->win_x[i] - xm) * (t->win_y[i] - ym);
        den += (t->win_x[i] - xm) * (t->win_x[i] - xm);
    }
    if (den == 0)
        return -1;
    *slope = num / den;
    return 0;
}

/* Adaptive threshold (draft-ietf-rmcat-gcc-02 5.4): it follows the
 * modified trend slowly upwards and faster downwards, so a competing TCP
 * flow does not starve us and self-inflicted delay is still seen. */
static void update_threshold(yh_bwe_trendline_t *t, double modified, int64_t now_us)
{
    double m = fabs(modified);
    if (t->last_threshold_us < 0)
        t->last_threshold_us = now_us;
    if (m > t->threshold_ms + OUTLIER_MS) {
        t->last_threshold_us = now_us;
        return;
    }
    double k = m < t->threshold_ms ? K_DOWN : K_UP;
    double dt = (double)(now_us - t->last_threshold_us) / 1000.0;
    if (dt > MAX_ADAPT_MS)
        dt = MAX_ADAPT_MS;
    if (dt < 0)
        dt = 0;
    t->threshold_ms += k * (m - t->threshold_ms) * dt;
    if (t->threshold_ms < THRESHOLD_MIN)
        t->threshold_ms = THRESHOLD_MIN;
    if (t->threshold_ms > THRESHOLD_MAX)
        t->threshold_ms = THRESHOLD_MAX;
    t->last_threshold_us = now_us;
}

/* Overuse detector (5.4): overuse is signalled once the modified trend has
 * stayed above the threshold for more than 10 ms over two samples and is
 * not falling; the state then holds until the trend drops back. */
static void detect(yh_bwe_trendline_t *t, double send_delta_ms, int64_t now_us)
{
    if (t->num_deltas < 2) {
        t->usage = YH_BWE_USAGE_NORMAL;
        return;
    }
    unsigned n = t->num_deltas < MAX_DELTAS ? t->num_deltas : MAX_DELTAS;
    double modified = n * t->trend * THRESHOLD_GAIN;
    if (modified > t->threshold_ms) {
        t->time_over_ms = t->time_over_ms < 0 ? send_delta_ms / 2 : t->time_over_ms + send_delta_ms;
        t->over_count++;
        if (t->time_over_ms > OVERUSE_TIME_MS && t->over_count > 1 && t->trend >= t->prev_trend) {
            t->time_over_ms = 0;
            t->over_count = 0;
            t->usage = YH_BWE_USAGE_OVER;
        }
    } else {
        t->time_over_ms = -1;
        t->over_count = 0;
        t->usage = modified < -t->threshold_ms ? YH_BWE_USAGE_UNDER : YH_BWE_USAGE_NORMAL;
    }
    t->prev_trend = t->trend;
    update_threshold(t, modified, now_us);
}

static void trend_update(yh_bwe_trendline_t *t, double recv_delta_ms, double send_delta_ms,
                         int64_t arrival_us)
{
    if (t->num_deltas < 1000)
        t->num_deltas++;
    if (t->first_arrival_us < 0)
        t->first_arrival_us = arrival_us;
    t->accumulated_ms += recv_delta_ms - send_delta_ms;
    t->smoothed_ms = SMOOTHING * t->smoothed_ms + (1 - SMOOTHING) * t->accumulated_ms;
    t->win_x[t->win_head] = (double)(arrival_us - t->first_arrival_us) / 1000.0;
    t->win_y[t->win_head] = t->smoothed_ms;
    t->win_head = (t->win_head + 1) % YH_BWE_TREND_WINDOW;
    if (t->win_n < YH_BWE_TREND_WINDOW)
        t->win_n++;
    double slope;
    if (t->win_n == YH_BWE_TREND_WINDOW && fit_slope(t, &slope) == 0)
        t->trend = slope;
    detect(t, send_delta_ms, arrival_us);
}

/* Packets that arrive back to back with a shrinking delay belong to the
 * group before them: they queued behind it (libwebrtc's BelongsToBurst). */
static int in_burst(const yh_bwe_group_t *g, int64_t send_us, int64_t arrival_us)
{
    int64_t arrival_delta = arrival_us - g->last_arrival_us;
    int64_t send_delta = send_us - g->last_send_us;
    if (send_delta == 0)
        return 1;
    return arrival_delta - send_delta < 0 && arrival_delta <= BURST_ARRIVAL_US &&
           arrival_us - g->first_arrival_us < BURST_MAX_US;
}

static void group_start(yh_bwe_group_t *g, int64_t send_us, int64_t arrival_us)
{
    g->first_send_us = g->last_send_us = send_us;
    g->first_arrival_us = g->last_arrival_us = arrival_us;
    g->used = 1;
}

/* Closes the current group: compares it with the previous one. */
static void group_close(yh_bwe_trendline_t *t)
{
    if (t->prev.used) {
        int64_t send_delta = t->cur.last_send_us - t->prev.last_send_us;
        int64_t recv_delta = t->cur.last_arrival_us - t->prev.last_arrival_us;
        if (recv_delta < 0 || recv_delta - send_delta > RESET_US) {
            /* Receiver clock jump or reordering across groups: start over. */
            yh_bwe_trendline_init(t);
            return;
        }
        trend_update(t, (double)recv_delta / 1000.0, (double)send_delta / 1000.0,
                     t->cur.last_arrival_us);
    }
    t->prev = t->cur;
}

yh_bwe_usage_t yh_bwe_trendline_add(yh_bwe_trendline_t *t, int64_t send_us, int64_t arrival_us)
{
    yh_bwe_group_t *g = &t->cur;
    if (!g->used) {
        group_start(g, send_us, arrival_us);
        return t->usage;
    }
    if (send_us < g->first_send_us)
        return t->usage; /* older than the group being built: reordered, skip */
    if (send_us - g->first_send_us > GROUP_US && !in_burst(g, send_us, arrival_us)) {
        group_close(t);
        group_start(&t->cur, send_us, arrival_us);
        return t->usage;
    }
    if (send_us > g->last_send_us)
        g->last_send_us = send_us;
    if (arrival_us > g->last_arrival_us)
        g->last_arrival_us = arrival_us;
    return t->usage;
}
