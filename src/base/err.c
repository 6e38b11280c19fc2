#include "base/err.h"

const char *yh_strerror(int code)
{
    switch (code) {
    case YH_OK:
        return "ok";
#define YH_ERR_CASE(name, msg) \
    case YH_E##name:           \
        return msg;
        YH_ERRNO_MAP(YH_ERR_CASE)
#undef YH_ERR_CASE
    default:
        return "unknown error";
    }
}
