/*
 * Request bodies and arguments of the HTTP API, checked field by field:
 * JSON objects only (duplicate keys refused), no unknown fields, each
 * field of the one type it may have and inside its limits. Pure functions,
 * driven by tests/fuzz/fuzz_api.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "http/api_int.h"

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && cap)
        vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return YH_EINVAL;
}

/* The body as an object; an empty body is an empty object. */
static int load_object(const char *body, size_t len, json_t **out, char *err, size_t cap)
{
    json_error_t je;
    *out = NULL;
    if (len == 0) {
        *out = json_object();
        return *out ? 0 : YH_ENOMEM;
    }
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return fail(err, cap, "malformed JSON: %s", je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return fail(err, cap, "the body must be a JSON object");
    }
    *out = j;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A string field: trimmed, 1..max bytes, no control characters. */
static int get_text(json_t *v, const char *name, size_t max, char *out, char *err, size_t cap)
{
    if (!json_is_string(v))
        return fail(err, cap, "field '%s' must be a string", name);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    while (n && is_space(*s))
        s++, n--;
    while (n && is_space(s[n - 1]))
        n--;
    if (n < 1 || n > max)
        return fail(err, cap, "field '%s' must be 1 to %zu bytes", name, max);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return fail(err, cap, "field '%s' must not contain control characters", name);
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static int get_bool(json_t *v, const char *name, int *out, char *err, size_t cap)
{
    if (!json_is_boolean(v))
        return fail(err, cap, "field '%s' must be true or false", name);
    *out = json_is_true(v);
    return 0;
}

static int get_int(json_t *v, const char *name, int64_t min, int64_t max, int64_t *out, char *err,
                   size_t cap)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return fail(err, cap, "field '%s' must be an integer from %lld to %lld", name,
                    (long long)min, (long long)max);
    *out = json_integer_value(v);
    return 0;
}

/* A passcode: printable ASCII without spaces, so it survives being typed
 * and put in a link; "" means none. */
static int get_passcode(json_t *v, char *out, char *err, size_t cap)
{
    if (!json_is_string(v))
        return fail(err, cap, "field 'passcode' must be a string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > YH_STORE_PASSCODE_MAX)
        return fail(err, cap, "field 'passcode' must be at most %d bytes", YH_STORE_PASSCODE_MAX);
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return fail(err, cap, "field 'passcode' must be printable ASCII without spaces");
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static int meeting_field(const char *key, json_t *v, yh_store_meeting_new_t *m, char *title,
                         char *passcode, char *err, size_t cap)
{
    int64_t n;
    int rc;
    if (!strcmp(key, "title")) {
        if ((rc = get_text(v, key, YH_STORE_TITLE_MAX, title, err, cap)))
            return rc;
        m->title = title;
    } else if (!strcmp(key, "passcode")) {
        if ((rc = get_passcode(v, passcode, err, cap)))
            return rc;
        m->passcode = passcode[0] ? passcode : NULL;
    } else if (!strcmp(key, "waitingRoom")) {
        return get_bool(v, key, &m->settings.waiting_room, err, cap);
    } else if (!strcmp(key, "muteOnEntry")) {
        return get_bool(v, key, &m->settings.mute_on_entry, err, cap);
    } else if (!strcmp(key, "publish")) {
        if (!json_is_string(v) ||
            yh_store_publish_parse(json_string_value(v), &m->settings.publish))
            return fail(err, cap, "field 'publish' must be \"everyone\" or \"speakers\"");
    } else if (!strcmp(key, "maxParticipants")) {
        if ((rc = get_int(v, key, 0, 100000, &n, err, cap)))
            return rc;
        m->settings.max_participants = (int)n;
    } else if (!strcmp(key, "startsAt")) {
        if (json_is_null(v))
            m->starts_at = 0;
        else if (!json_is_string(v) || yh_api_parse_time(json_string_value(v), &m->starts_at))
            return fail(err, cap, "field 'startsAt' must be an RFC 3339 time or null");
    } else {
        return fail(err, cap, "unknown field '%.40s'", key);
    }
    return 0;
}

int yh_api_parse_meeting(const char *body, size_t len, yh_store_meeting_new_t *out, char *title,
                         char *passcode, char *err, size_t errcap)
{
    json_t *j, *v;
    const char *key;
    memset(out, 0, sizeof *out);
    title[0] = passcode[0] = '\0';
    int rc = load_object(body, len, &j, err, errcap);
    if (rc)
        return rc;
    json_object_foreach(j, key, v)
    {
        if ((rc = meeting_field(key, v, out, title, passcode, err, errcap)))
            break;
    }
    json_decref(j);
    return rc;
}

int yh_api_parse_login(const char *body, size_t len, char user[YH_STORE_USER_MAX + 1],
                       char password[YH_STORE_PASSWORD_MAX + 1], char *err, size_t errcap)
{
    json_t *j, *v;
    const char *key;
    int rc = load_object(body, len, &j, err, errcap), have = 0;
    if (rc)
        return rc;
    json_object_foreach(j, key, v)
    {
        if (!strcmp(key, "user")) {
            rc = get_text(v, key, YH_STORE_USER_MAX, user, err, errcap);
            have |= 1;
        } else if (!strcmp(key, "password")) {
            /* Not trimmed: spaces may be part of a password. */
            size_t n = json_is_string(v) ? json_string_length(v) : 0;
            if (!json_is_string(v) || n < 1 || n > YH_STORE_PASSWORD_MAX ||
                strlen(json_string_value(v)) != n)
                rc = fail(err, errcap, "field 'password' must be a string of 1 to %d bytes",
                          YH_STORE_PASSWORD_MAX);
            else
                memcpy(password, json_string_value(v), n + 1);
            have |= 2;
        } else {
            rc = fail(err, errcap, "unknown field '%.40s'", key);
        }
        if (rc)
            break;
    }
    json_decref(j);
    if (!rc && have != 3)
        rc = fail(err, errcap, "field '%s' is required", have & 1 ? "password" : "user");
    return rc;
}

int yh_api_parse_token_request(const char *body, size_t len, char role[YH_AUTH_ROLE_MAX + 1],
                               int64_t *ttl_s, char *err, size_t errcap)
{
    json_t *j, *v;
    const char *key;
    int rc = load_object(body, len, &j, err, errcap);
    if (rc)
        return rc;
    role[0] = '\0';
    json_object_foreach(j, key, v)
    {
        if (!strcmp(key, "role")) {
            const char *r = json_is_string(v) ? json_string_value(v) : "";
            if (strcmp(r, "host") && strcmp(r, "cohost") && strcmp(r, "speaker"))
                rc = fail(err, errcap, "field 'role' must be \"host\", \"cohost\" or \"speaker\"");
            else
                strcpy(role, r);
        } else if (!strcmp(key, "ttlSeconds")) {
            rc = get_int(v, key, 60, YH_API_TTL_MAX, ttl_s, err, errcap);
        } else {
            rc = fail(err, errcap, "unknown field '%.40s'", key);
        }
        if (rc)
            break;
    }
    json_decref(j);
    if (!rc && !role[0])
        rc = fail(err, errcap, "field 'role' is required");
    return rc;
}

/* `n` decimal digits at *p, advanced past them. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int parse_unix(const char *s, int64_t *ms)
{
    int64_t v = 0;
    size_t n = strlen(s);
    if (n < 1 || n > 12)
        return YH_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return YH_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 253402300799LL) /* 9999-12-31T23:59:59Z */
        return YH_EINVAL;
    *ms = v * 1000;
    return 0;
}

/* "hh:mm:ss[.frac](Z|+hh:mm|-hh:mm)" after the 'T'; seconds from
 * midnight less the offset into *secs. */
static int parse_clock(const char *p, int64_t *secs)
{
    int h, mi, sec, oh = 0, om = 0, sign = 0;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &sec) || h > 23 || mi > 59 || sec > 60)
        return YH_EINVAL;
    if (*p == '.') {
        int nd = 0;
        for (p++; *p >= '0' && *p <= '9' && nd < 9; p++)
            nd++;
        if (!nd)
            return YH_EINVAL;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-' || *p == ' ') {
        /* ' ': an unencoded '+' in a query string arrives as a space. */
        sign = *p++ == '-' ? -1 : 1;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
            return YH_EINVAL;
    } else {
        return YH_EINVAL;
    }
    if (*p)
        return YH_EINVAL;
    *secs = (int64_t)h * 3600 + mi * 60 + (sec == 60 ? 59 : sec) - sign * (oh * 3600 + om * 60);
    return 0;
}

int yh_api_parse_time(const char *s, int64_t *ms)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s)
        return YH_EINVAL;
    if (strlen(s) > 40)
        return YH_EINVAL;
    if (!strchr(s, '-'))
        return parse_unix(s, ms);
    const char *p = s;
    int y, mo, d;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return YH_EINVAL;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return YH_EINVAL;
    int64_t secs = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        if (parse_clock(p + 1, &secs))
            return YH_EINVAL;
    } else if (*p) {
        return YH_EINVAL;
    }
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d};
    time_t day = timegm(&tm);
    if (day == (time_t)-1)
        return YH_EINVAL;
    int64_t t = (int64_t)day + secs;
    if (t < 0)
        return YH_EINVAL;
    *ms = t * 1000;
    return 0;
}

void yh_api_format_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        out[0] = '\0';
}

int yh_api_is_number(const char *s, size_t len)
{
    if (len < 1 || len > YH_STORE_NUMBER_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}
