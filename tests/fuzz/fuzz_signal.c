/*
 * Fuzzes the signaling layer: the pure message parser on the whole input,
 * then the whole dispatcher (no sfu attached) over three fake connections.
 *
 * Input: lines separated by '\n'. The first byte of a line selects an
 * action (modulo 8): 0-2 deliver the rest of the line as a text message on
 * connection 0-2; 3-5 close connection 0-2 and open a fresh one; 6 lets
 * every lost participant expire; 7 either resumes (rest "R<c><k>": on
 * connection c, with the token of the k-th participant) or reports a
 * transport failed (rest: decimal n, the id handed out n ids ago).
 * Everything the server sends must be a JSON object with a string "type".
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/clock.h"
#include "base/log.h"
#include "signal/msg.h"
#include "signal/signal.h"
#include "signal/signal_int.h"

#define N_CONNS 3

typedef struct fake {
    yh_signal_conn_t *c;
    int closed;
} fake_t;

static uv_loop_t loop;
static yh_signal_t *sig;
static yh_sfu_listener_t sfu_l;
static fake_t fakes[N_CONNS];

static int fake_send(void *ctx, const char *text, size_t len)
{
    json_error_t e;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!o || !json_is_object(o) || !json_is_string(json_object_get(o, "type")))
        abort();
    json_decref(o);
    return 0;
}

static void fake_close(void *ctx, int code, const char *reason)
{
    fake_t *f = ctx;
    if (code < 1000 || code > 4999)
        abort();
    f->closed = 1;
}

static const yh_signal_conn_ops_t ops = {fake_send, fake_close};

static void open_conn(int i)
{
    fakes[i].closed = 0;
    if (yh_signal_conn_open(sig, &ops, &fakes[i], &fakes[i].c) < 0)
        abort();
}

static void close_conn(int i)
{
    yh_signal_conn_closed(sig, fakes[i].c);
    fakes[i].c = NULL;
}

static void setup(void)
{
    yh_log_set_level(-1);
    uv_loop_init(&loop);
    yh_signal_config_t cfg = {
        .candidate_ips = {"127.0.0.1"},
        .n_candidate_ips = 1,
        .media_port = 40000,
        .fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                       "AB:CD:EF:01:23:45:67:89",
        .max_participants = 4,
    };
    if (yh_signal_create(&loop, &cfg, &sig) < 0)
        abort();
    yh_signal_sfu_listener(sig, &sfu_l);
}

/* A resume with a real token, which mutation alone would never guess. */
static void resume(int conn, unsigned k)
{
    for (yh_meeting_t *m = sig->reg.head; m; m = m->next) {
        for (yh_participant_t *p = m->head; p; p = p->next) {
            if (k-- == 0) {
                char text[128];
                int n = snprintf(text, sizeof text,
                                 "{\"type\":\"resume\",\"id\":1,"
                                 "\"resumeToken\":\"%s\"}",
                                 p->resume_token);
                if (!fakes[conn].closed)
                    yh_signal_handle_text(sig, fakes[conn].c, text, (size_t)n);
                return;
            }
        }
    }
}

static void action(const uint8_t *line, size_t len)
{
    if (len == 0)
        return;
    unsigned sel = line[0] % 8;
    const char *rest = (const char *)line + 1;
    size_t rlen = len - 1;
    if (sel < 3) {
        if (!fakes[sel].closed)
            yh_signal_handle_text(sig, fakes[sel].c, rest, rlen);
    } else if (sel < 6) {
        close_conn((int)sel - 3);
        open_conn((int)sel - 3);
    } else if (sel == 6) {
        yh_signal_expire(sig, yh_now_us() + 3600ull * 1000000);
    } else if (rlen >= 3 && rest[0] == 'R') {
        resume((unsigned char)rest[1] % N_CONNS, (unsigned char)rest[2]);
    } else {
        uint32_t back = 0;
        for (size_t i = 0; i < rlen && i < 3 && rest[i] >= '0' && rest[i] <= '9'; i++)
            back = back * 10 + (uint32_t)(rest[i] - '0');
        /* Ids come from one counter: recent ones are live transports. */
        uint32_t id = sig->reg.counter - back;
        sfu_l.transport_state(sfu_l.ctx, id, YH_SFU_TRANSPORT_FAILED, "fuzz");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sig)
        setup();

    yh_sig_req_t req;
    yh_sig_err_t err;
    yh_sig_req_parse((const char *)data, size, &req, &err);
    yh_sig_req_free(&req);

    for (int i = 0; i < N_CONNS; i++)
        open_conn(i);
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            action(data + start, i - start);
            start = i + 1;
        }
    }
    /* Leave nothing behind for the next input: every participant goes. */
    for (int i = 0; i < N_CONNS; i++)
        close_conn(i);
    yh_signal_expire(sig, yh_now_us() + 3600ull * 1000000);
    return 0;
}
