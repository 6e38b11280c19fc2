/*
 * The self-signed HTTPS certificate for LAN use. Browsers give camera and
 * microphone only to secure origins, and a LAN address over plain HTTP is
 * not one; with this certificate the first visit shows a warning the user
 * accepts once per browser. It is kept in the data directory so that the
 * acceptance survives restarts, and replaced only when it no longer covers
 * the announced addresses or is about to expire.
 *
 * The certificate: X.509 v3 (RFC 5280), ECDSA P-256 with SHA-256, a random
 * 128-bit serial, subjectAltName DNS:localhost plus one iPAddress per
 * announced address (browsers ignore the common name, RFC 6125 section
 * 6.4.4), basicConstraints CA:FALSE, extendedKeyUsage serverAuth.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "http/http.h"

#define MOD "http"
#define VALID_DAYS 825 /* the longest lifetime Apple platforms accept */
#define RENEW_DAYS 1   /* replace a certificate that expires sooner */
#define SAN_MAX 1024

/* "DNS:localhost,IP:a,IP:b"; IPv6 literals are fine in the IP: form. */
static int san_text(const char *const *ips, int n_ips, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "DNS:localhost");
    for (int i = 0; i < n_ips && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, ",IP:%s", ips[i]);
    return o < cap ? 0 : YH_ENOSPACE;
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : YH_ECRYPTO;
}

static X509 *cert_make(EVP_PKEY *key, const char *san)
{
    X509 *x = X509_new();
    uint8_t serial[16];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *sn = NULL;
    if (!x || RAND_bytes(serial, sizeof serial) != 1)
        goto fail;
    serial[0] &= 0x7f; /* positive, RFC 5280 section 4.1.2.2 */
    if (!(bn = BN_bin2bn(serial, sizeof serial, NULL)) || !(sn = BN_to_ASN1_INTEGER(bn, NULL)))
        goto fail;
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_set_version(x, 2) || !X509_set_serialNumber(x, sn) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)VALID_DAYS * 86400) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const uint8_t *)"Yunhui", -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const uint8_t *)"localhost", -1, -1,
                                    0) ||
        !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key))
        goto fail;
    if (add_ext(x, NID_subject_alt_name, san) ||
        add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        add_ext(x, NID_key_usage, "critical,digitalSignature") ||
        add_ext(x, NID_ext_key_usage, "serverAuth") || !X509_sign(x, key, EVP_sha256()))
        goto fail;
    ASN1_INTEGER_free(sn);
    BN_free(bn);
    return x;
fail:
    ASN1_INTEGER_free(sn);
    BN_free(bn);
    X509_free(x);
    return NULL;
}

/* Writes through `tmp` and renames, so a crash never leaves half a file;
 * mode 0600 from the start (the key must never be readable by others). */
static int write_pem(const char *path, EVP_PKEY *key, X509 *x)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return YH_ENOSPACE;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return YH_EIO;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return YH_EIO;
    }
    int ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, x);
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return YH_EIO;
    }
    return 0;
}

/* 1 when the pair at the paths exists, matches, covers every name and is
 * valid for at least RENEW_DAYS more. */
static int pair_usable(const char *cert_path, const char *key_path, const char *const *ips,
                       int n_ips)
{
    X509 *x = NULL;
    EVP_PKEY *key = NULL;
    FILE *f = fopen(cert_path, "r");
    if (f) {
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    if ((f = fopen(key_path, "r"))) {
        key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    time_t soon = time(NULL) + (time_t)RENEW_DAYS * 86400;
    int ok = x && key && X509_check_private_key(x, key) == 1 &&
             X509_cmp_time(X509_get0_notAfter(x), &soon) > 0 &&
             X509_check_host(x, "localhost", 0, 0, NULL) == 1;
    for (int i = 0; ok && i < n_ips; i++)
        ok = X509_check_ip_asc(x, ips[i], 0) == 1;
    X509_free(x);
    EVP_PKEY_free(key);
    return ok;
}

int yh_http_tls_selfsigned(const char *cert_path, const char *key_path, const char *const *ips,
                           int n_ips)
{
    char san[SAN_MAX];
    if (!cert_path || !key_path || n_ips < 0 || san_text(ips, n_ips, san, sizeof san))
        return YH_EINVAL;
    if (pair_usable(cert_path, key_path, ips, n_ips))
        return 0;
    int rc = YH_ECRYPTO;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = key ? cert_make(key, san) : NULL;
    if (x) {
        /* The key first: a certificate never names a key that is not on
         * disk. */
        rc = write_pem(key_path, key, NULL);
        if (!rc)
            rc = write_pem(cert_path, NULL, x);
    }
    if (rc)
        YH_LOGE(MOD, "self-signed certificate %s: %s", cert_path, yh_strerror(rc));
    else
        YH_LOGI(MOD, "created a self-signed certificate %s for %s", cert_path, san);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}
