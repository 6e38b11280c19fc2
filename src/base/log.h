/*
 * Minimal leveled logging to stderr. The level is process configuration set
 * once at start (before threads); every call is otherwise stateless.
 */
#ifndef YH_BASE_LOG_H
#define YH_BASE_LOG_H

enum { YH_LOG_ERROR, YH_LOG_WARN, YH_LOG_INFO, YH_LOG_DEBUG };

void yh_log_set_level(int level);
int yh_log_enabled(int level);
void yh_log(int level, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define YH_LOGE(mod, ...) yh_log(YH_LOG_ERROR, mod, __VA_ARGS__)
#define YH_LOGW(mod, ...) yh_log(YH_LOG_WARN, mod, __VA_ARGS__)
#define YH_LOGI(mod, ...) yh_log(YH_LOG_INFO, mod, __VA_ARGS__)
#define YH_LOGD(mod, ...)                         \
    do {                                          \
        if (yh_log_enabled(YH_LOG_DEBUG))         \
            yh_log(YH_LOG_DEBUG, mod, __VA_ARGS__); \
    } while (0)

#endif
