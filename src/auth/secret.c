/*
 * The server secret that keys token MACs. Generated on first start into
 * the data directory (or read from a file the operator gives), so links
 * and sessions survive a restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rand.h"

#define MOD "auth"
#define NEW_SECRET_BYTES 32

static int read_secret(int fd, const char *path, yh_auth_secret_t *out)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077))
        YH_LOGW(MOD, "secret file %s is readable by others (mode %03o); chmod 600 it", path,
                (unsigned)(st.st_mode & 0777));
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, out->key + n, sizeof out->key - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return YH_EIO;
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == sizeof out->key) {
            char extra;
            if (read(fd, &extra, 1) > 0) {
                YH_LOGE(MOD, "secret file %s: longer than %d bytes", path, YH_AUTH_SECRET_MAX);
                return YH_EINVAL;
            }
            break;
        }
    }
    while (n && (out->key[n - 1] == '\n' || out->key[n - 1] == '\r' || out->key[n - 1] == ' ' ||
                 out->key[n - 1] == '\t'))
        n--;
    if (n < YH_AUTH_SECRET_MIN) {
        YH_LOGE(MOD, "secret file %s: shorter than %d bytes", path, YH_AUTH_SECRET_MIN);
        return YH_EINVAL;
    }
    out->len = n;
    return 0;
}

/* O_EXCL: when two processes race, one creates and the other reads. */
static int create_secret(const char *path, yh_auth_secret_t *out)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t raw[NEW_SECRET_BYTES];
    char text[2 * NEW_SECRET_BYTES + 1];
    if (yh_rand_bytes(raw, sizeof raw))
        return YH_ECRYPTO;
    for (size_t i = 0; i < sizeof raw; i++) {
        text[2 * i] = hex[raw[i] >> 4];
        text[2 * i + 1] = hex[raw[i] & 15];
    }
    text[sizeof text - 1] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? YH_EEXISTS : YH_EIO;
    ssize_t w = write(fd, text, sizeof text);
    int rc = (w == (ssize_t)sizeof text && fsync(fd) == 0) ? 0 : YH_EIO;
    close(fd);
    if (rc) {
        unlink(path);
        return rc;
    }
    memcpy(out->key, text, sizeof text - 1);
    out->len = sizeof text - 1;
    YH_LOGI(MOD, "created a new server secret in %s", path);
    return 0;
}

int yh_auth_secret_load(const char *path, int create, yh_auth_secret_t *out)
{
    if (!path || !out)
        return YH_EINVAL;
    memset(out, 0, sizeof *out);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            int rc = read_secret(fd, path, out);
            close(fd);
            return rc;
        }
        if (errno != ENOENT || !create) {
            YH_LOGE(MOD, "secret file %s: %s", path, strerror(errno));
            return errno == ENOENT ? YH_ENOTFOUND : YH_EIO;
        }
        int rc = create_secret(path, out);
        if (rc != YH_EEXISTS) {
            if (rc)
                YH_LOGE(MOD, "cannot create secret file %s: %s", path, strerror(errno));
            return rc;
        }
    }
    return YH_EIO;
}
