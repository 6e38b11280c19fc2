/*
 * DTLS-SRTP endpoints: a client and a server in one process, wired to each
 * other through their `send` callbacks (each datagram is queued for the
 * other side, and the test pumps the queues). The .c is included, h2o
 * style, to reach the SSL object: the exporter layout is checked against
 * OpenSSL directly, since two copies of the same code would agree on any
 * layout.
 */
/* Before cmocka.h, whose fail() macro would rename things in it. */
#include "dtls/dtls.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srtp/srtp.h"

#define MAX_QUEUE 64
#define MAX_DGRAM 2048

typedef struct end end_t;

struct end {
    yh_dtls_t *d;
    end_t *peer;
    uint8_t queue[MAX_QUEUE][MAX_DGRAM]; /* datagrams on their way to this end */
    size_t queue_len[MAX_QUEUE];
    size_t queued;
    int drop;   /* outgoing datagrams still to lose */
    size_t mtu; /* what every outgoing datagram must fit */
    size_t sent, max_sent;
    int connected, failed, closed;
    int in_call_failed; /* `failed` ran during the current yh_dtls call */
    yh_srtp_keys_t keys;
    char reason[160];
};

static end_t client_end, server_end;
static yh_dtls_cert_t *server_cert, *client_cert, *stranger_cert;

/* Every datagram holds whole DTLS records (RFC 6347 4.1.1). */
static void check_records(const uint8_t *p, size_t len)
{
    size_t off = 0;
    while (off < len) {
        assert_true(len - off >= RECORD_HEADER_LEN);
        assert_true(p[off] >= 20 && p[off] <= 23);
        /* DTLS 1.2, or 1.0 in the ClientHello's record (RFC 6347 4.1). */
        uint16_t version = rd_be16(p + off + 1);
        assert_true(version == 0xfefd || version == 0xfeff);
        off += RECORD_HEADER_LEN + rd_be16(p + off + 11);
    }
    assert_int_equal(off, len);
}

static void on_send(void *ctx, const uint8_t *data, size_t len)
{
    end_t *e = ctx;
    assert_true(len > 0 && len <= e->mtu);
    check_records(data, len);
    e->sent++;
    if (len > e->max_sent)
        e->max_sent = len;
    if (e->drop > 0) {
        e->drop--;
        return;
    }
    end_t *to = e->peer;
    assert_true(to->queued < MAX_QUEUE);
    memcpy(to->queue[to->queued], data, len);
    to->queue_len[to->queued++] = len;
}

static void on_connected(void *ctx, const yh_srtp_keys_t *keys)
{
    end_t *e = ctx;
    e->connected++;
    e->keys = *keys;
}

static void on_failed(void *ctx, const char *reason)
{
    end_t *e = ctx;
    e->failed++;
    e->in_call_failed = 1;
    snprintf(e->reason, sizeof e->reason, "%s", reason);
}

static void on_closed(void *ctx)
{
    end_t *e = ctx;
    e->closed++;
}

static void end_init(end_t *e, end_t *peer, const yh_dtls_cert_t *cert, yh_dtls_role_t role,
                     const char *alg, const char *fp)
{
    memset(e, 0, sizeof *e);
    e->peer = peer;
    e->mtu = YH_DTLS_DEFAULT_MTU;
    yh_dtls_listener_t l = {e, on_send, on_connected, on_failed, on_closed};
    assert_int_equal(yh_dtls_create(cert, role, alg, fp, &l, &e->d), 0);
}

/* Client and server with the right fingerprints of each other. */
static void pair_init(void)
{
    end_init(&server_end, &client_end, server_cert, YH_DTLS_SERVER, "sha-256",
             yh_dtls_cert_fingerprint(client_cert));
    end_init(&client_end, &server_end, client_cert, YH_DTLS_CLIENT, "sha-256",
             yh_dtls_cert_fingerprint(server_cert));
}

static void pair_free(void)
{
    yh_dtls_destroy(client_end.d);
    yh_dtls_destroy(server_end.d);
    client_end.d = server_end.d = NULL;
}

/* yh_dtls_handle, checking its contract: an error return if and only if
 * `failed` was called, except YH_ESTATE once the endpoint has stopped. */
static int deliver(end_t *e, const uint8_t *data, size_t len)
{
    int stopped = e->d->state == ST_FAILED || e->d->state == ST_CLOSED;
    e->in_call_failed = 0;
    int rc = yh_dtls_handle(e->d, data, len);
    if (stopped)
        assert_int_equal(rc, YH_ESTATE);
    else
        assert_int_equal(rc < 0, e->in_call_failed);
    return rc;
}

static int deliver_one(end_t *e)
{
    if (e->queued == 0)
        return 0;
    uint8_t buf[MAX_DGRAM];
    size_t len = e->queue_len[0];
    memcpy(buf, e->queue[0], len);
    e->queued--;
    memmove(e->queue[0], e->queue[1], e->queued * sizeof e->queue[0]);
    memmove(e->queue_len, e->queue_len + 1, e->queued * sizeof e->queue_len[0]);
    deliver(e, buf, len);
    return 1;
}

/* Deliver whatever is queued, in both directions, until nothing is. */
static void pump(void)
{
    for (int guard = 0; guard < 1000; guard++)
        if (!deliver_one(&server_end) && !deliver_one(&client_end))
            return;
    fail_msg("the endpoints never went quiet");
}

static void handshake(void)
{
    assert_int_equal(yh_dtls_start(server_end.d), 0);
    assert_int_equal(server_end.sent, 0);
    assert_int_equal(yh_dtls_start(client_end.d), 0);
    pump();
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int group_setup(void **state)
{
    if (yh_dtls_cert_generate(&server_cert) || yh_dtls_cert_generate(&client_cert) ||
        yh_dtls_cert_generate(&stranger_cert))
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    yh_dtls_cert_destroy(server_cert);
    yh_dtls_cert_destroy(client_cert);
    yh_dtls_cert_destroy(stranger_cert);
    return 0;
}

static int test_teardown(void **state)
{
    pair_free();
    return 0;
}

static void test_cert(void **state)
{
    const char *fp = yh_dtls_cert_fingerprint(server_cert);
    assert_int_equal(strlen(fp), 95);
    for (size_t i = 0; i < 95; i++) {
        if (i % 3 == 2)
            assert_int_equal(fp[i], ':');
        else
            assert_true((fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'A' && fp[i] <= 'F'));
    }
    uint8_t md[EVP_MAX_MD_SIZE], parsed[32];
    unsigned n = 0;
    assert_int_equal(X509_digest(server_cert->x509, EVP_sha256(), md, &n), 1);
    assert_int_equal(parse_fp(fp, parsed, 32), 0);
    assert_memory_equal(md, parsed, 32);
    assert_string_not_equal(fp, yh_dtls_cert_fingerprint(client_cert));

    X509 *x = server_cert->x509;
    char cn[32];
    assert_int_equal(
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn), 6);
    assert_string_equal(cn, "yunhui");
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
    assert_true(EVP_PKEY_is_a(X509_get0_pubkey(x), "EC"));
    char group[32];
    size_t glen = 0;
    assert_int_equal(
        EVP_PKEY_get_utf8_string_param(X509_get0_pubkey(x), "group", group, sizeof group, &glen),
        1);
    assert_string_equal(group, "prime256v1");
    assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
    assert_int_equal(ASN1_INTEGER_get_int64(&(int64_t){0}, X509_get0_serialNumber(x)), 1);
    int64_t serial = 0;
    ASN1_INTEGER_get_int64(&serial, X509_get0_serialNumber(x));
    assert_true(serial > 0);
    /* Valid from about a day ago to about 30 days ahead. */
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notBefore(x)), 1);
    assert_true(days == -1 || (days == 0 && secs < -23 * 3600));
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)), 1);
    assert_true(days >= 29 && days <= 30);
}

static void test_create_rejects(void **state)
{
    yh_dtls_listener_t l = {NULL, on_send, NULL, NULL, NULL};
    const char *fp = yh_dtls_cert_fingerprint(client_cert);
    yh_dtls_t *d = NULL;
    assert_int_equal(yh_dtls_create(server_cert, YH_DTLS_SERVER, "md5", fp, &l, &d),
                     YH_EUNSUPPORTED);
    assert_int_equal(yh_dtls_create(server_cert, YH_DTLS_SERVER, "sha-1", fp, &l, &d),
                     YH_EPARSE); /* 32 bytes given, 20 expected */
    char bad[128];
    snprintf(bad, sizeof bad, "%s:00", fp);
    assert_int_equal(yh_dtls_create(server_cert, YH_DTLS_SERVER, "sha-256", bad, &l, &d),
                     YH_EPARSE);
    snprintf(bad, sizeof bad, "%.92s", fp);
    assert_int_equal(yh_dtls_create(server_cert, YH_DTLS_SERVER, "sha-256", bad, &l, &d),
                     YH_EPARSE);
    snprintf(bad, sizeof bad, "%s", fp);
    bad[3] = 'G';
    assert_int_equal(yh_dtls_create(server_cert, YH_DTLS_SERVER, "sha-256", bad, &l, &d),
                     YH_EPARSE);
    bad[3] = fp[3];
    bad[2] = '-';
    assert_int_equal(yh_dtls_create(server_cert, YH_DTLS_SERVER, "sha-256", bad, &l, &d),
                     YH_EPARSE);
    assert_int_equal(yh_dtls_create(server_cert, (yh_dtls_role_t)7, "sha-256", fp, &l, &d),
                     YH_EINVAL);
    l.send = NULL;
    assert_int_equal(yh_dtls_create(server_cert, YH_DTLS_SERVER, "sha-256", fp, &l, &d), YH_EINVAL);
    assert_null(d);
    yh_dtls_destroy(NULL);
    yh_dtls_shutdown(NULL);
}

static void assert_keys_cross(void)
{
    const yh_srtp_keys_t *c = &client_end.keys, *s = &server_end.keys;
    assert_int_equal(c->profile, s->profile);
    assert_int_equal(c->key_len, s->key_len);
    assert_int_equal(c->salt_len, s->salt_len);
    assert_memory_equal(c->local_key, s->remote_key, c->key_len);
    assert_memory_equal(c->remote_key, s->local_key, c->key_len);
    assert_memory_equal(c->local_salt, s->remote_salt, c->salt_len);
    assert_memory_equal(c->remote_salt, s->local_salt, c->salt_len);
    assert_memory_not_equal(c->local_key, c->remote_key, c->key_len);
}

static void test_handshake(void **state)
{
    pair_init();
    handshake();
    assert_int_equal(client_end.connected, 1);
    assert_int_equal(server_end.connected, 1);
    assert_int_equal(client_end.failed + server_end.failed, 0);
    assert_true(yh_dtls_is_connected(client_end.d));
    assert_true(yh_dtls_is_connected(server_end.d));
    assert_int_equal(client_end.keys.profile, YH_SRTP_AEAD_AES_128_GCM);
    assert_int_equal(client_end.keys.key_len, 16);
    assert_int_equal(client_end.keys.salt_len, 12);
    assert_keys_cross();

    /* RFC 5764 4.2: client key, server key, client salt, server salt. */
    uint8_t m[56];
    assert_int_equal(SSL_export_keying_material(server_end.d->ssl, m, sizeof m, EXPORTER_LABEL,
                                                strlen(EXPORTER_LABEL), NULL, 0, 0),
                     1);
    assert_memory_equal(client_end.keys.local_key, m, 16);
    assert_memory_equal(server_end.keys.local_key, m + 16, 16);
    assert_memory_equal(client_end.keys.local_salt, m + 32, 12);
    assert_memory_equal(server_end.keys.local_salt, m + 44, 12);

    /* Nothing left to retransmit once the server's Finished arrived. */
    assert_int_equal(yh_dtls_timeout_ms(client_end.d), -1);
    assert_true(client_end.max_sent <= YH_DTLS_DEFAULT_MTU);
    assert_true(server_end.max_sent <= YH_DTLS_DEFAULT_MTU);
}

/* A peer without GCM (or one preferring AES-CM alone) gets AES-CM. */
static void test_handshake_aes_cm(void **state)
{
    pair_init();
    assert_int_equal(SSL_set_tlsext_use_srtp(client_end.d->ssl, "SRTP_AES128_CM_SHA1_80"), 0);
    handshake();
    assert_int_equal(client_end.connected + server_end.connected, 2);
    assert_int_equal(server_end.keys.profile, YH_SRTP_AES128_CM_SHA1_80);
    assert_int_equal(server_end.keys.salt_len, 14);
    assert_keys_cross();
}

static void test_no_common_profile(void **state)
{
    pair_init();
    assert_int_equal(SSL_set_tlsext_use_srtp(client_end.d->ssl, "SRTP_AES128_CM_SHA1_32"), 0);
    handshake();
    assert_int_equal(client_end.connected + server_end.connected, 0);
    assert_int_equal(server_end.failed, 1);
    assert_string_equal(server_end.reason, "no SRTP profile negotiated");
}

/* A small MTU fragments the certificate flight over several datagrams,
 * each of whole records and within the MTU. */
static void test_small_mtu(void **state)
{
    pair_init();
    assert_int_equal(yh_dtls_set_mtu(client_end.d, 100), YH_ERANGE);
    assert_int_equal(yh_dtls_set_mtu(client_end.d, YH_DTLS_MIN_MTU), 0);
    assert_int_equal(yh_dtls_set_mtu(server_end.d, YH_DTLS_MIN_MTU), 0);
    client_end.mtu = server_end.mtu = YH_DTLS_MIN_MTU;
    handshake();
    assert_int_equal(client_end.connected + server_end.connected, 2);
    assert_true(server_end.sent >= 4);
    assert_true(client_end.sent >= 4);
    assert_keys_cross();
}

static void mismatch(end_t *checker, end_t *other)
{
    handshake();
    assert_int_equal(checker->connected + other->connected, 0);
    assert_int_equal(checker->failed, 1);
    assert_string_equal(checker->reason, "fingerprint mismatch");
    /* The other side hears a fatal alert. */
    assert_int_equal(other->failed, 1);
    assert_int_equal(yh_dtls_timeout_ms(checker->d), -1);
    assert_int_equal(yh_dtls_handle(checker->d, (const uint8_t *)"x", 1), YH_ESTATE);
}

static void test_fingerprint_mismatch_client(void **state)
{
    end_init(&server_end, &client_end, server_cert, YH_DTLS_SERVER, "sha-256",
             yh_dtls_cert_fingerprint(client_cert));
    end_init(&client_end, &server_end, client_cert, YH_DTLS_CLIENT, "sha-256",
             yh_dtls_cert_fingerprint(stranger_cert));
    mismatch(&client_end, &server_end);
}

static void test_fingerprint_mismatch_server(void **state)
{
    end_init(&server_end, &client_end, server_cert, YH_DTLS_SERVER, "sha-256",
             yh_dtls_cert_fingerprint(stranger_cert));
    end_init(&client_end, &server_end, client_cert, YH_DTLS_CLIENT, "sha-256",
             yh_dtls_cert_fingerprint(server_cert));
    mismatch(&server_end, &client_end);
}

static void fp_of(const yh_dtls_cert_t *c, const EVP_MD *md, int lower, char *out)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    assert_int_equal(X509_digest(c->x509, md, d, &n), 1);
    for (unsigned i = 0; i < n; i++)
        out += sprintf(out, lower ? "%s%02x" : "%s%02X", i ? ":" : "", d[i]);
}

/* Other SDP hash names, and lowercase hex. */
static void test_fingerprint_algorithms(void **state)
{
    char cfp[200], sfp[200];
    fp_of(client_cert, EVP_sha512(), 1, cfp);
    fp_of(server_cert, EVP_sha1(), 0, sfp);
    end_init(&server_end, &client_end, server_cert, YH_DTLS_SERVER, "SHA-512", cfp);
    end_init(&client_end, &server_end, client_cert, YH_DTLS_CLIENT, "sha-1", sfp);
    handshake();
    assert_int_equal(client_end.connected + server_end.connected, 2);
}

/* The ClientHello is lost; the client's timer resends it. */
static void test_retransmit_client_hello(void **state)
{
    pair_init();
    client_end.drop = 1;
    handshake();
    assert_int_equal(client_end.sent, 1);
    assert_int_equal(client_end.connected + server_end.connected, 0);
    assert_int_equal(yh_dtls_timeout_ms(server_end.d), -1);
    int64_t ms = yh_dtls_timeout_ms(client_end.d);
    assert_true(ms > 0 && ms <= TIMER_INITIAL_US / 1000);

    yh_dtls_on_timeout(client_end.d); /* too early: nothing happens */
    assert_int_equal(client_end.sent, 1);
    sleep_ms(ms);
    yh_dtls_on_timeout(client_end.d);
    assert_int_equal(client_end.sent, 2);
    pump();
    assert_int_equal(client_end.connected + server_end.connected, 2);
    assert_keys_cross();
}

/* The server's last flight (ChangeCipherSpec, Finished) is lost after the
 * server has connected: the client's timer resends its flight, and the
 * connected server answers with its last flight again. */
static void test_retransmit_final_flight(void **state)
{
    pair_init();
    assert_int_equal(yh_dtls_start(client_end.d), 0);
    deliver_one(&server_end);        /* ClientHello */
    while (deliver_one(&client_end)) /* server flight */
        ;
    server_end.drop = 100;
    while (deliver_one(&server_end)) /* client flight */
        ;
    server_end.drop = 0;
    assert_int_equal(server_end.connected, 1);
    assert_int_equal(client_end.connected, 0);

    int64_t ms = yh_dtls_timeout_ms(client_end.d);
    assert_true(ms > 0);
    sleep_ms(ms);
    yh_dtls_on_timeout(client_end.d);
    pump();
    assert_int_equal(client_end.connected, 1);
    assert_int_equal(server_end.connected, 1);
    assert_keys_cross();
}

/* OpenSSL counts a timer with less than 15 ms left as expired. */
static unsigned fast_timer(SSL *ssl, unsigned prev_us)
{
    return 20000;
}

/* A peer that never answers: the retransmission limit fails the client. */
static void test_gives_up(void **state)
{
    pair_init();
    DTLS_set_timer_cb(client_end.d->ssl, fast_timer);
    client_end.drop = 1000;
    assert_int_equal(yh_dtls_start(client_end.d), 0);
    for (int i = 0; i < 40 && !client_end.failed; i++) {
        int64_t ms = yh_dtls_timeout_ms(client_end.d);
        assert_true(ms >= 0);
        sleep_ms(ms + 1);
        yh_dtls_on_timeout(client_end.d);
    }
    assert_int_equal(client_end.failed, 1);
    assert_true(client_end.sent > 5);
    assert_int_equal(yh_dtls_timeout_ms(client_end.d), -1);
}

static void feed_garbage(end_t *e)
{
    uint8_t buf[3000];
    srand(1);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rand();
    const uint8_t app_epoch0[] = {23, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 3, 1, 2, 3};
    const uint8_t app_epoch1[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 3, 1, 2, 3};
    const uint8_t long_len[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1};
    const uint8_t bad_type[] = {99, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    const uint8_t bad_version[] = {22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    const uint8_t alert_epoch1[] = {21, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 7, 0, 2, 2, 40};
    uint8_t app_short[13 + 23] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 23};
    uint8_t app_long[13 + 60] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 10, 0, 60};
    struct {
        const uint8_t *p;
        size_t len;
    } junk[] = {
        {buf, 0},
        {buf, 1},
        {buf, 12},
        {app_epoch0, sizeof app_epoch0},
        {app_epoch1, sizeof app_epoch1},
        {long_len, sizeof long_len},
        {bad_type, sizeof bad_type},
        {bad_version, sizeof bad_version},
        {alert_epoch1, sizeof alert_epoch1},
        {app_short, sizeof app_short},
        {app_long, sizeof app_long},
        {buf, sizeof buf},
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        assert_int_equal(deliver(e, junk[i].p, junk[i].len), 0);
    assert_int_equal(e->failed + e->closed, 0);
}

/* Once connected, the peer's epoch is 1: unprotected records (here a fatal
 * alert, a handshake fragment, a ChangeCipherSpec) are old-epoch records. */
static void feed_plaintext(end_t *e)
{
    const uint8_t alert[] = {21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 50, 0, 2, 2, 40};
    const uint8_t ccs[] = {20, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 51, 0, 1, 1};
    const uint8_t hs[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 52, 0, 16, 1, 0,
                          0,  4,    0,    9, 0, 0, 0, 0, 0, 4, 1,  2, 3,  4};
    assert_int_equal(deliver(e, alert, sizeof alert), 0);
    assert_int_equal(deliver(e, ccs, sizeof ccs), 0);
    assert_int_equal(deliver(e, hs, sizeof hs), 0);
    assert_int_equal(e->failed + e->closed, 0);
}

/* Datagrams that are not DTLS records are dropped without effect, before
 * and after the handshake. */
static void test_garbage(void **state)
{
    pair_init();
    feed_garbage(&server_end);
    assert_int_equal(server_end.sent, 0);
    handshake();
    assert_int_equal(client_end.connected + server_end.connected, 2);
    feed_garbage(&server_end);
    feed_garbage(&client_end);
    feed_plaintext(&server_end);
    feed_plaintext(&client_end);
    assert_true(yh_dtls_is_connected(server_end.d));
    assert_true(yh_dtls_is_connected(client_end.d));
}

/* Random datagrams, some starting like a DTLS handshake record, at a fresh
 * server each time: no crash, and `failed` exactly when an error returns. */
static void test_random_datagrams(void **state)
{
    srand(7);
    for (int round = 0; round < 200; round++) {
        end_init(&server_end, &client_end, server_cert, YH_DTLS_SERVER, "sha-256",
                 yh_dtls_cert_fingerprint(client_cert));
        for (int k = 0; k < 4; k++) {
            uint8_t buf[400];
            size_t len = (size_t)(rand() % (int)sizeof buf);
            for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t)rand();
            if (len >= RECORD_HEADER_LEN && rand() % 2) {
                buf[0] = 22;
                buf[1] = 0xfe;
                buf[2] = 0xfd;
                wr_be16(buf + 11, (uint16_t)(len - RECORD_HEADER_LEN));
            }
            deliver(&server_end, buf, len);
        }
        yh_dtls_destroy(server_end.d);
        server_end.d = NULL;
    }
}

static void test_close_notify(void **state)
{
    pair_init();
    handshake();
    yh_dtls_shutdown(client_end.d);
    assert_false(yh_dtls_is_connected(client_end.d));
    pump();
    assert_int_equal(server_end.closed, 1);
    assert_int_equal(server_end.failed + client_end.failed, 0);
    assert_false(yh_dtls_is_connected(server_end.d));
    assert_int_equal(yh_dtls_timeout_ms(server_end.d), -1);
    assert_int_equal(yh_dtls_start(server_end.d), YH_ESTATE);
    yh_dtls_shutdown(server_end.d); /* already closed: sends nothing */
    assert_int_equal(client_end.queued, 0);
}

/* SRTP under the keys of a real handshake, both ways. */
static void test_srtp_with_handshake_keys(void **state)
{
    pair_init();
    handshake();
    yh_srtp_t *c, *s;
    assert_int_equal(yh_srtp_create(&client_end.keys, &c), 0);
    assert_int_equal(yh_srtp_create(&server_end.keys, &s), 0);

    uint8_t pkt[1500], ref[1500], again[1500], copy[1500];
    size_t len = 1100, plain = len, l2;
    memset(pkt, 0x5a, len);
    pkt[0] = 0x80;
    pkt[1] = 111;
    wr_be16(pkt + 2, 1);
    wr_be32(pkt + 8, 0x12345678);
    memcpy(ref, pkt, len);
    memcpy(again, pkt, len);
    assert_int_equal(yh_srtp_protect_rtp(c, pkt, &len, sizeof pkt), 0);
    /* Protecting a sequence number again is allowed to the sender (RTX). */
    l2 = plain;
    assert_int_equal(yh_srtp_protect_rtp(c, again, &l2, sizeof again), 0);
    assert_int_equal(l2, len);
    assert_memory_equal(again, pkt, len);
    /* A flipped bit fails; the genuine packet passes once, then is a replay. */
    memcpy(copy, pkt, len);
    copy[len - 1] ^= 1;
    l2 = len;
    assert_int_equal(yh_srtp_unprotect_rtp(s, copy, &l2), YH_EINTEGRITY);
    memcpy(copy, pkt, len);
    l2 = len;
    assert_int_equal(yh_srtp_unprotect_rtp(s, pkt, &len), 0);
    assert_int_equal(len, plain);
    assert_memory_equal(pkt, ref, len);
    assert_int_equal(yh_srtp_unprotect_rtp(s, copy, &l2), YH_EINTEGRITY);

    /* RTCP from the server to the client. */
    const uint8_t rr[8] = {0x80, 201, 0, 1, 0xde, 0xad, 0xbe, 0xef};
    uint8_t rtcp[8 + YH_SRTP_MAX_OVERHEAD];
    len = 8;
    memcpy(rtcp, rr, 8);
    assert_int_equal(yh_srtp_protect_rtcp(s, rtcp, &len, sizeof rtcp - 1), YH_ENOSPACE);
    memcpy(rtcp, rr, 8);
    assert_int_equal(yh_srtp_protect_rtcp(s, rtcp, &len, sizeof rtcp), 0);
    memcpy(copy, rtcp, len);
    copy[6] ^= 0x10;
    l2 = len;
    assert_int_equal(yh_srtp_unprotect_rtcp(c, copy, &l2), YH_EINTEGRITY);
    memcpy(copy, rtcp, len);
    l2 = len;
    assert_int_equal(yh_srtp_unprotect_rtcp(c, rtcp, &len), 0);
    assert_int_equal(len, 8);
    assert_memory_equal(rtcp, rr, 8);
    assert_int_equal(yh_srtp_unprotect_rtcp(c, copy, &l2), YH_EINTEGRITY);

    yh_srtp_destroy(c);
    yh_srtp_destroy(s);
}

int main(void)
{
#define T(name) cmocka_unit_test_teardown(name, test_teardown)
    const struct CMUnitTest tests[] = {
        T(test_cert),
        T(test_create_rejects),
        T(test_handshake),
        T(test_handshake_aes_cm),
        T(test_no_common_profile),
        T(test_small_mtu),
        T(test_fingerprint_mismatch_client),
        T(test_fingerprint_mismatch_server),
        T(test_fingerprint_algorithms),
        T(test_retransmit_client_hello),
        T(test_retransmit_final_flight),
        T(test_gives_up),
        T(test_garbage),
        T(test_random_datagrams),
        T(test_close_notify),
        T(test_srtp_with_handshake_keys),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
