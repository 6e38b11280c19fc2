/*
 * Load mode figures: who is connected, what was expected and received,
 * loss, delay percentiles from the trailer histogram, bitrate, the status
 * line and the --json report.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "load_int.h"

void yt_load_error(load_t *L, const member_t *m, const char *msg)
{
    if (!L->first_cls)
        L->first_cls = strstr(msg, "cannot reach") ? YT_ERR_UNREACHABLE : YT_ERR_MEDIA;
    if (L->n_errors >= YT_MAX_ERRORS)
        return;
    /* Distinct messages only: a failing server makes everyone say the same. */
    for (int i = 0; i < L->n_errors; i++)
        if (strstr(L->errors[i], msg))
            return;
    snprintf(L->errors[L->n_errors++], sizeof L->errors[0], "%s/%s: %s", m->meeting_id, m->name,
             msg);
}

static int peer_up(yt_peer_t *p)
{
    return !p || yt_peer_state(p) == YT_PEER_CONNECTED;
}

void yt_load_update_connected(load_t *L)
{
    for (int i = 0; i < L->n; i++) {
        member_t *m = &L->m[i];
        yt_peer_t *pub = m->s ? yt_session_pub_peer(m->s) : NULL;
        yt_peer_t *sub = m->s ? yt_session_sub_peer(m->s) : NULL;
        int others = L->pubs_in[m->meeting] - m->publisher;
        /* Up: joined, not failed, every connection it should have is up. */
        m->connected = m->s && !m->failed && yt_session_joined(m->s) && peer_up(pub) &&
                       peer_up(sub) && (pub || !m->publisher) && (sub || others == 0);
    }
}

typedef struct totals {
    int connected, failed;
    uint64_t expected, received, packets, lost, sent;
} totals_t;

static void totals(load_t *L, totals_t *t)
{
    int per = (L->o->audio ? 1 : 0) + (L->o->video ? 1 : 0);
    memset(t, 0, sizeof *t);
    for (int i = 0; i < L->n; i++) {
        member_t *m = &L->m[i];
        t->connected += m->connected;
        t->failed += m->failed;
        t->expected += (uint64_t)((L->pubs_in[m->meeting] - m->publisher) * per);
        if (!m->s)
            continue;
        for (size_t k = 0; k < yt_session_stream_count(m->s); k++) {
            yt_stream_t *st = yt_session_stream(m->s, k);
            int64_t lost = yt_count_sink_lost(&st->count);
            t->received += st->count.packets > 0 && st->current;
            t->packets += st->count.packets;
            t->lost += lost > 0 ? (uint64_t)lost : 0;
        }
        yt_peer_t *pub = yt_session_pub_peer(m->s);
        if (pub)
            t->sent +=
                yt_peer_tx(pub, YT_KIND_AUDIO)->packets + yt_peer_tx(pub, YT_KIND_VIDEO)->packets;
    }
}

static double percentile(const load_t *L, double q)
{
    if (!L->delay_n)
        return NAN;
    uint64_t want = (uint64_t)ceil(q * (double)L->delay_n), acc = 0;
    for (int i = 0; i <= YT_DELAY_BUCKETS; i++) {
        acc += L->delay_hist[i];
        if (acc >= want && acc) /* the middle of the bucket, in ms */
            return ((double)i + 0.5) * YT_DELAY_BUCKET_US / 1000.0;
    }
    return (double)YT_DELAY_BUCKETS * YT_DELAY_BUCKET_US / 1000.0;
}

static double loss_pct(const totals_t *t)
{
    return t->packets + t->lost ? 100.0 * (double)t->lost / (double)(t->packets + t->lost) : 0;
}

void yt_load_status(load_t *L, uint64_t now_us)
{
    totals_t t;
    if (L->o->quiet || now_us - L->last_status_us < 1000000u)
        return;
    L->last_status_us = now_us;
    yt_load_update_connected(L);
    totals(L, &t);
    char line[512];
    double p50 = percentile(L, 0.5), p99 = percentile(L, 0.99);
    snprintf(line, sizeof line,
             "%5.0fs load %d/%d started %d up %d failed | streams %llu/%llu | loss %.2f%% | "
             "delay p50 %.1f p99 %.1f ms | sent %llu",
             (double)(now_us - L->start_us) / 1e6, L->n_started, L->n, t.connected, t.failed,
             (unsigned long long)t.received, (unsigned long long)t.expected, loss_pct(&t),
             isnan(p50) ? 0 : p50, isnan(p99) ? 0 : p99, (unsigned long long)t.sent);
    if (L->tty)
        fprintf(stderr, "\r%s\033[K", line);
    else
        fprintf(stderr, "%s\n", line);
    fflush(stderr);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(round(v * 10) / 10);
}

json_t *yt_load_report(load_t *L, uint64_t now_us)
{
    totals_t t;
    const yt_options_t *o = L->o;
    totals(L, &t);
    uint64_t from = L->ramp_done_us ? L->ramp_done_us : L->start_us;
    double dur = (double)(now_us - from) / 1e6;
    double kbps = dur > 0 ? (double)(L->rx_bytes - L->rx_bytes_at_ramp) * 8 / dur / 1000 : 0;
    double total = (double)(now_us - L->start_us) / 1e6;
    json_t *errors = json_array();
    for (int i = 0; i < L->n_errors; i++)
        json_array_append_new(errors, json_string(L->errors[i]));
    json_t *j = json_object();
    json_object_set_new(j, "mode", json_string("load"));
    json_object_set_new(j, "target", json_string(o->target));
    json_object_set_new(j, "publishers", json_integer(o->publishers));
    json_object_set_new(j, "subscribers", json_integer(o->subscribers));
    json_object_set_new(j, "meetings", json_integer(o->meetings));
    json_object_set_new(j, "connected", json_integer(t.connected));
    json_object_set_new(j, "failed", json_integer(t.failed));
    json_object_set_new(j, "duration_s", json_real(round(dur * 10) / 10));
    json_object_set_new(j, "ramp_s", json_real(round((double)(from - L->start_us) / 1e5) / 10));
    json_object_set_new(j, "streams_expected", json_integer((json_int_t)t.expected));
    json_object_set_new(j, "streams_received", json_integer((json_int_t)t.received));
    json_object_set_new(j, "packets_received", json_integer((json_int_t)t.packets));
    json_object_set_new(j, "packets_lost", json_integer((json_int_t)t.lost));
    json_object_set_new(j, "loss_pct", json_real(round(loss_pct(&t) * 1000) / 1000));
    json_object_set_new(j, "delay_ms_p50", num_or_null(percentile(L, 0.5)));
    json_object_set_new(j, "delay_ms_p99", num_or_null(percentile(L, 0.99)));
    json_object_set_new(j, "delay_samples", json_integer((json_int_t)L->delay_n));
    json_object_set_new(j, "bitrate_kbps_in", json_real(round(kbps * 10) / 10));
    json_object_set_new(j, "sent_packets", json_integer((json_int_t)t.sent));
    json_object_set_new(j, "cpu_pct",
                        json_real(total > 0 ? round(cpu_seconds() / total * 1000) / 10 : 0));
    json_object_set_new(j, "errors", errors);
    return j;
}
