/*
 * One DTLS 1.2 endpoint for DTLS-SRTP (RFC 5764, RFC 8827), sans I/O: the
 * SSL object reads from and writes to memory BIOs; yh_dtls_handle feeds
 * the read side one datagram at a time, and after every SSL call the write
 * side is drained into datagrams for the listener's `send`.
 *
 * The peer is authenticated only by the certificate fingerprint from its
 * SDP (RFC 8122 5), checked while the handshake runs, so a wrong peer never
 * reaches Finished and never sees keys. No cookie exchange: ICE has already
 * verified the peer's address before DTLS starts.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bytes.h"
#include "base/err.h"
#include "dtls/dtls_internal.h"

enum { ST_HANDSHAKE, ST_CONNECTED, ST_FAILED, ST_CLOSED };

#define RECORD_HEADER_LEN 13 /* RFC 6347 4.1: type, version, epoch, seq, length */
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
/* Retransmission timer (RFC 6347 4.2.4.1): OpenSSL's default starts at 1 s
 * and lets 12 timeouts stretch to minutes; WebRTC wants a handshake to
 * recover from loss quickly and to give up within about half a minute. */
#define TIMER_INITIAL_US 250000u
#define TIMER_MAX_US 4000000u

struct yh_dtls {
    SSL *ssl;
    BIO *rbio; /* both memory BIOs are owned by ssl */
    BIO *wbio; /* the one under OpenSSL's handshake buffering BIO */
    yh_dtls_listener_t l;
    yh_dtls_role_t role;
    int state;
    size_t mtu;
    /* The expected peer certificate digest, from the SDP. */
    const EVP_MD *fp_md;
    uint8_t fp[EVP_MAX_MD_SIZE];
    unsigned fp_len;
    int fp_checked;  /* the verify callback accepted the peer */
    int fp_mismatch; /* the verify callback rejected it */
    char reason[160];
};

/* RFC 8122 5 hash function textual names (case-insensitive). */
static const struct {
    const char *name;
    const EVP_MD *(*md)(void);
} fp_algs[] = {
    {"sha-1", EVP_sha1},     {"sha-224", EVP_sha224}, {"sha-256", EVP_sha256},
    {"sha-384", EVP_sha384}, {"sha-512", EVP_sha512},
};

static const EVP_MD *find_fp_alg(const char *name)
{
    for (size_t i = 0; i < sizeof fp_algs / sizeof fp_algs[0]; i++)
        if (strcasecmp(fp_algs[i].name, name) == 0)
            return fp_algs[i].md();
    return NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly `n` colon-separated hex pairs (RFC 8122 5 "fingerprint"). */
static int parse_fp(const char *s, uint8_t *out, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (i > 0 && *s++ != ':')
            return YH_EPARSE;
        int hi = hex_value(s[0]);
        if (hi < 0)
            return YH_EPARSE;
        int lo = hex_value(s[1]);
        if (lo < 0)
            return YH_EPARSE;
        out[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    return *s == '\0' ? 0 : YH_EPARSE;
}

int yh_dtls__verify_peer(X509_STORE_CTX *xs, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    yh_dtls_t *d = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!d || !leaf)
        return 0;
    if (X509_digest(leaf, d->fp_md, md, &n) != 1 || n != d->fp_len ||
        CRYPTO_memcmp(md, d->fp, n) != 0) {
        d->fp_mismatch = 1;
        /* OpenSSL turns this into a bad_certificate alert to the peer. */
        X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    d->fp_checked = 1;
    X509_STORE_CTX_set_error(xs, X509_V_OK);
    return 1;
}

static unsigned next_timeout_us(SSL *ssl, unsigned prev_us)
{
    (void)ssl;
    if (prev_us == 0)
        return TIMER_INITIAL_US;
    return prev_us >= TIMER_MAX_US / 2 ? TIMER_MAX_US : 2 * prev_us;
}

/* Length of the record at `p`, or all of `left` if it is not a whole one. */
static size_t record_len(const uint8_t *p, size_t left)
{
    if (left < RECORD_HEADER_LEN)
        return left;
    size_t body = rd_be16(p + RECORD_HEADER_LEN - 2);
    return body <= left - RECORD_HEADER_LEN ? RECORD_HEADER_LEN + body : left;
}

/* RFC 6347 4.1.2.7: invalid records are discarded silently. OpenSSL 3.0
 * does so for most, but sends a fatal alert for some (openssl#25389,
 * #25840): an unknown content type or unprotected application data during
 * the handshake, a protected record too short to hold nonce and tag. Since
 * anyone who can reach our port can send those, a datagram is dropped here
 * unless it is a run of whole DTLS records of the four TLS 1.2 content
 * types, without application data in epoch 0 and without protected bodies
 * shorter than AES-GCM's overhead. */
static int plausible_datagram(const uint8_t *p, size_t len)
{
    if (len == 0)
        return 0;
    while (len > 0) {
        if (len < RECORD_HEADER_LEN)
            return 0;
        uint8_t type = p[0];
        uint16_t epoch = rd_be16(p + 3);
        size_t body = rd_be16(p + RECORD_HEADER_LEN - 2);
        if (type < 20 || type > 23 || p[1] != 0xfe || body > len - RECORD_HEADER_LEN)
            return 0;
        if (epoch == 0 ? type == 23 : body < YH_DTLS__GCM_OVERHEAD)
            return 0;
        p += RECORD_HEADER_LEN + body;
        len -= RECORD_HEADER_LEN + body;
    }
    return 1;
}

/* OpenSSL packs a flight's records into datagrams of at most the MTU and
 * writes each datagram with one BIO_write, but a memory BIO is a byte
 * stream: BIO_ctrl_pending() and BIO_read() return the whole flight. So
 * walk the record headers and regroup whole records into datagrams of at
 * most the MTU (RFC 6347 4.1.1 allows several records per datagram). */
static void flush_out(yh_dtls_t *d)
{
    char *data = NULL;
    long n = BIO_get_mem_data(d->wbio, &data);
    if (n <= 0 || !data)
        return;
    const uint8_t *p = (const uint8_t *)data;
    size_t len = (size_t)n, start = 0, off = 0;
    while (off < len) {
        size_t rec = record_len(p + off, len - off);
        if (off > start && off + rec - start > d->mtu) {
            d->l.send(d->l.ctx, p + start, off - start);
            start = off;
        }
        off += rec;
    }
    d->l.send(d->l.ctx, p + start, len - start);
    (void)BIO_reset(d->wbio);
}

static int set_failed(yh_dtls_t *d, int code, const char *reason)
{
    d->state = ST_FAILED;
    snprintf(d->reason, sizeof d->reason, "%s", reason);
    if (d->l.failed)
        d->l.failed(d->l.ctx, d->reason);
    return code;
}

/* After an SSL call failed with `err` (SSL_get_error): a fatal alert sent
 * or received, a protocol error, or the retransmission limit. */
static int fail_ssl(yh_dtls_t *d, int err)
{
    if (d->fp_mismatch)
        return set_failed(d, YH_EINTEGRITY, "fingerprint mismatch");
    unsigned long e = ERR_peek_last_error();
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    char buf[64];
    if (!why) {
        snprintf(buf, sizeof buf, "DTLS error %d", err);
        why = buf;
    }
    ERR_clear_error();
    return set_failed(d, YH_ECRYPTO, why);
}

/* RFC 5764 4.2: the exporter output is client key, server key, client
 * salt, server salt; ours are the server's when we are the server. */
static int export_keys(yh_dtls_t *d, yh_srtp_keys_t *k)
{
    const SRTP_PROTECTION_PROFILE *sp = SSL_get_selected_srtp_profile(d->ssl);
    /* Our enum values are the RFC 5764 4.1.2 profile identifiers. */
    if (!sp || yh_srtp_profile_sizes((yh_srtp_profile_t)sp->id, &k->key_len, &k->salt_len) < 0)
        return YH_EUNSUPPORTED;
    k->profile = (yh_srtp_profile_t)sp->id;

    uint8_t m[2 * (YH_SRTP_MAX_KEY + YH_SRTP_MAX_SALT)];
    size_t kl = k->key_len, sl = k->salt_len;
    if (SSL_export_keying_material(d->ssl, m, 2 * (kl + sl), EXPORTER_LABEL,
                                   sizeof EXPORTER_LABEL - 1, NULL, 0, 0) != 1)
        return YH_ECRYPTO;
    const uint8_t *client_key = m, *server_key = m + kl;
    const uint8_t *client_salt = m + 2 * kl, *server_salt = m + 2 * kl + sl;
    int server = d->role == YH_DTLS_SERVER;
    memcpy(k->local_key, server ? server_key : client_key, kl);
    memcpy(k->remote_key, server ? client_key : server_key, kl);
    memcpy(k->local_salt, server ? server_salt : client_salt, sl);
    memcpy(k->remote_salt, server ? client_salt : server_salt, sl);
    OPENSSL_cleanse(m, sizeof m);
    return 0;
}

static int finish_handshake(yh_dtls_t *d)
{
    /* No resumption is configured, so the verify callback has run; check
     * anyway, since everything rests on it. */
    if (!d->fp_checked)
        return set_failed(d, YH_EINTEGRITY, "peer certificate not checked");
    yh_srtp_keys_t k;
    memset(&k, 0, sizeof k);
    int rc = export_keys(d, &k);
    if (rc < 0)
        return set_failed(
            d, rc, rc == YH_EUNSUPPORTED ? "no SRTP profile negotiated" : "SRTP key export failed");
    d->state = ST_CONNECTED;
    if (d->l.connected)
        d->l.connected(d->l.ctx, &k);
    OPENSSL_cleanse(&k, sizeof k);
    return 0;
}

static int step_handshake(yh_dtls_t *d)
{
    ERR_clear_error();
    int r = SSL_do_handshake(d->ssl);
    int err = SSL_get_error(d->ssl, r);
    flush_out(d); /* the next flight, or the fatal alert */
    if (r == 1)
        return finish_handshake(d);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        return 0;
    return fail_ssl(d, err);
}

/* After the handshake the peer sends alerts, or retransmits its last flight
 * when ours was lost, which OpenSSL answers by retransmitting ours. */
static int read_records(yh_dtls_t *d)
{
    uint8_t buf[2048];
    for (;;) {
        ERR_clear_error();
        int r = SSL_read(d->ssl, buf, sizeof buf);
        if (r > 0)
            continue; /* application data (e.g. SCTP) is not ours to use */
        int err = SSL_get_error(d->ssl, r);
        flush_out(d);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            return 0;
        if (err != SSL_ERROR_ZERO_RETURN)
            return fail_ssl(d, err);
        d->state = ST_CLOSED;
        if (d->l.closed)
            d->l.closed(d->l.ctx);
        return 0;
    }
}

int yh_dtls_create(const yh_dtls_cert_t *cert, yh_dtls_role_t role, const char *fp_alg,
                   const char *fp_hex, const yh_dtls_listener_t *l, yh_dtls_t **out)
{
    if (!cert || !fp_alg || !fp_hex || !l || !l->send || !out ||
        (role != YH_DTLS_SERVER && role != YH_DTLS_CLIENT))
        return YH_EINVAL;
    const EVP_MD *md = find_fp_alg(fp_alg);
    if (!md)
        return YH_EUNSUPPORTED;

    int rc = YH_ENOMEM;
    yh_dtls_t *d = calloc(1, sizeof *d);
    if (!d)
        return YH_ENOMEM;
    d->l = *l;
    d->role = role;
    d->fp_md = md;
    d->fp_len = (unsigned)EVP_MD_get_size(md);
    d->state = ST_HANDSHAKE;
    if (parse_fp(fp_hex, d->fp, d->fp_len) < 0) {
        rc = YH_EPARSE;
        goto fail;
    }
    d->ssl = SSL_new(cert->ctx);
    d->rbio = BIO_new(BIO_s_mem());
    d->wbio = BIO_new(BIO_s_mem());
    if (!d->ssl || !d->rbio || !d->wbio) {
        BIO_free(d->rbio);
        BIO_free(d->wbio);
        goto fail;
    }
    /* An empty memory BIO reads as "retry", not end of file. */
    BIO_set_mem_eof_return(d->rbio, -1);
    BIO_set_mem_eof_return(d->wbio, -1);
    SSL_set_bio(d->ssl, d->rbio, d->wbio);
    SSL_set_app_data(d->ssl, d);
    DTLS_set_timer_cb(d->ssl, next_timeout_us);
    rc = yh_dtls_set_mtu(d, YH_DTLS_DEFAULT_MTU);
    if (rc < 0)
        goto fail;
    if (role == YH_DTLS_SERVER)
        SSL_set_accept_state(d->ssl);
    else
        SSL_set_connect_state(d->ssl);
    *out = d;
    return 0;

fail:
    yh_dtls_destroy(d);
    return rc;
}

void yh_dtls_destroy(yh_dtls_t *d)
{
    if (!d)
        return;
    SSL_free(d->ssl);
    OPENSSL_cleanse(d, sizeof *d);
    free(d);
}

int yh_dtls_set_mtu(yh_dtls_t *d, size_t mtu)
{
    /* SSL_OP_NO_QUERY_MTU (on the SSL_CTX) keeps OpenSSL from replacing it. */
    if (mtu < YH_DTLS_MIN_MTU || mtu > 65535 || SSL_set_mtu(d->ssl, (long)mtu) <= 0)
        return YH_ERANGE;
    d->mtu = mtu;
    return 0;
}

int yh_dtls_start(yh_dtls_t *d)
{
    if (d->state != ST_HANDSHAKE)
        return YH_ESTATE;
    return d->role == YH_DTLS_CLIENT ? step_handshake(d) : 0;
}

int yh_dtls_handle(yh_dtls_t *d, const uint8_t *data, size_t len)
{
    if (d->state == ST_FAILED || d->state == ST_CLOSED)
        return YH_ESTATE;
    if (len > 65535 || !plausible_datagram(data, len))
        return 0;
    if (BIO_write(d->rbio, data, (int)len) != (int)len)
        return set_failed(d, YH_ENOMEM, "out of memory");
    int rc = d->state == ST_HANDSHAKE ? step_handshake(d) : read_records(d);
    /* OpenSSL reads at most its record buffer per datagram; what it left of
     * an oversized one must not run into the next datagram. */
    if (BIO_ctrl_pending(d->rbio) > 0)
        (void)BIO_reset(d->rbio);
    return rc;
}

int64_t yh_dtls_timeout_ms(yh_dtls_t *d)
{
    struct timeval tv;
    if (d->state == ST_FAILED || d->state == ST_CLOSED || DTLSv1_get_timeout(d->ssl, &tv) != 1)
        return -1;
    /* Rounded up: firing early would find the timer not yet expired. */
    return (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
}

void yh_dtls_on_timeout(yh_dtls_t *d)
{
    if (d->state == ST_FAILED || d->state == ST_CLOSED)
        return;
    ERR_clear_error();
    long r = DTLSv1_handle_timeout(d->ssl); /* retransmits the last flight */
    flush_out(d);
    if (r < 0)
        (void)fail_ssl(d, SSL_ERROR_SSL);
}

int yh_dtls_is_connected(const yh_dtls_t *d)
{
    return d->state == ST_CONNECTED;
}

void yh_dtls_shutdown(yh_dtls_t *d)
{
    if (!d)
        return;
    if (d->state == ST_CONNECTED) {
        ERR_clear_error();
        (void)SSL_shutdown(d->ssl);
        flush_out(d);
        ERR_clear_error();
    }
    if (d->state != ST_FAILED)
        d->state = ST_CLOSED;
}
