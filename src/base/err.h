/*
 * Error codes shared by every module. Functions return 0 or a negative
 * YH_E* code; parsers return the number of bytes consumed or a negative code.
 * The table is an X-macro so names and messages never drift apart.
 */
#ifndef YH_BASE_ERR_H
#define YH_BASE_ERR_H

#define YH_ERRNO_MAP(X)                                            \
    X(TRUNC, "input truncated")                                    \
    X(PARSE, "malformed input")                                    \
    X(RANGE, "value out of range")                                 \
    X(NOSPACE, "output buffer too small")                          \
    X(NOMEM, "out of memory")                                      \
    X(NOTFOUND, "not found")                                       \
    X(EXISTS, "already exists")                                    \
    X(INTEGRITY, "integrity check failed")                         \
    X(UNSUPPORTED, "unsupported")                                  \
    X(STATE, "invalid state")                                      \
    X(CRYPTO, "cryptographic operation failed")                    \
    X(IO, "input/output error")                                    \
    X(LIMIT, "limit exceeded")                                     \
    X(AGAIN, "try again")                                          \
    X(INVAL, "invalid argument")

enum {
    YH_OK = 0,
    YH_E__BASE = -1000,
#define YH_ERR_ENUM(name, msg) YH_E##name,
    YH_ERRNO_MAP(YH_ERR_ENUM)
#undef YH_ERR_ENUM
    YH_E__END
};

/* Human-readable text for a YH_E* code (static storage, never NULL). */
const char *yh_strerror(int code);

#endif
