/* yh_config_parse: defaults, environment, flags over environment, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "app/config.h"
#include "base/err.h"
#include "base/log.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof *(a)))

static int parse(yh_config_t *c, int argc, char *const argv[], char *const envp[])
{
    char err[256];
    int rc = yh_config_parse(c, argc, argv, envp, err, sizeof err);
    if (rc)
        assert_true(strlen(err) > 0); /* every error explains itself */
    return rc;
}

static void test_defaults(void **state)
{
    char *argv[] = {"yunhui"};
    yh_config_t c;
    assert_int_equal(parse(&c, ARGC(argv), argv, NULL), 0);
    assert_int_equal(c.http_port, 8080);
    assert_string_equal(c.http_bind, "0.0.0.0");
    assert_int_equal(c.media_port, 40000);
    assert_string_equal(c.media_bind, "0.0.0.0");
    assert_true(c.n_announce >= 1 && c.n_announce <= 2);
    assert_string_equal(c.announce_ips[0], "127.0.0.1");
    if (c.n_announce == 2)
        assert_string_not_equal(c.announce_ips[1], "127.0.0.1");
    assert_int_equal(c.log_level, YH_LOG_INFO);
    assert_true(c.web_root[0] != '\0');
    assert_int_equal(c.help, 0);
}

static void test_environment(void **state)
{
    char *argv[] = {"yunhui"};
    char *envp[] = {"HOME=/root", "YUNHUI_HTTP_PORT=9000", "YUNHUI_MEDIA_PORT=41000",
                    "YUNHUI_ANNOUNCE_IP=203.0.113.7, 2001:db8::1,198.51.100.1", NULL};
    yh_config_t c;
    assert_int_equal(parse(&c, ARGC(argv), argv, envp), 0);
    assert_int_equal(c.http_port, 9000);
    assert_int_equal(c.media_port, 41000);
    assert_int_equal(c.n_announce, 3);
    assert_string_equal(c.announce_ips[0], "203.0.113.7");
    assert_string_equal(c.announce_ips[1], "2001:db8::1");
    assert_string_equal(c.announce_ips[2], "198.51.100.1");
}

static void test_flags_win(void **state)
{
    char *argv[] = {"yunhui", "--http-port", "9100", "--media-port=42000", "--announce-ip",
                    "192.0.2.10", "--announce-ip=192.0.2.11", "--http-bind", "127.0.0.1",
                    "--media-bind=::1", "--web-root", "/srv/web", "--log-level", "debug"};
    char *envp[] = {"YUNHUI_HTTP_PORT=9000", "YUNHUI_MEDIA_PORT=41000",
                    "YUNHUI_ANNOUNCE_IP=203.0.113.7", NULL};
    yh_config_t c;
    assert_int_equal(parse(&c, ARGC(argv), argv, envp), 0);
    assert_int_equal(c.http_port, 9100);
    assert_int_equal(c.media_port, 42000);
    assert_int_equal(c.n_announce, 2); /* the flags replace the environment's list */
    assert_string_equal(c.announce_ips[0], "192.0.2.10");
    assert_string_equal(c.announce_ips[1], "192.0.2.11");
    assert_string_equal(c.http_bind, "127.0.0.1");
    assert_string_equal(c.media_bind, "::1");
    assert_string_equal(c.web_root, "/srv/web");
    assert_int_equal(c.log_level, YH_LOG_DEBUG);
}

static void test_help(void **state)
{
    char *argv[] = {"yunhui", "--help"};
    yh_config_t c;
    assert_int_equal(parse(&c, ARGC(argv), argv, NULL), 0);
    assert_int_equal(c.help, 1);
}

static void test_errors(void **state)
{
    static const char *const bad[][3] = {
        {"--http-port", "70000", NULL},   {"--http-port", "-1", NULL},
        {"--http-port", "80a", NULL},     {"--http-port", "", NULL},
        {"--media-port", "0", NULL},      {"--http-bind", "localhost", NULL},
        {"--media-bind", "1.2.3", NULL},  {"--announce-ip", "0.0.0.0", NULL},
        {"--announce-ip", "::", NULL},    {"--log-level", "verbose", NULL},
        {"--no-such-flag", NULL, NULL},   {"--http-port", NULL, NULL},
        {"--help=yes", NULL, NULL},       {"stray", NULL, NULL},
        {"-h", NULL, NULL},               {"--web-root", "", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *argv[3] = {"yunhui", (char *)bad[i][0], (char *)bad[i][1]};
        yh_config_t c;
        assert_int_equal(parse(&c, bad[i][1] ? 3 : 2, argv, NULL), YH_EINVAL);
    }
}

static void test_announce_limit(void **state)
{
    char *argv[] = {"yunhui", "--announce-ip", "192.0.2.1", "--announce-ip", "192.0.2.2",
                    "--announce-ip", "192.0.2.3", "--announce-ip", "192.0.2.4",
                    "--announce-ip", "192.0.2.5"};
    yh_config_t c;
    assert_int_equal(parse(&c, ARGC(argv), argv, NULL), YH_EINVAL);
    assert_int_equal(parse(&c, ARGC(argv) - 2, argv, NULL), 0);
    assert_int_equal(c.n_announce, 4);
}

static void test_bad_environment(void **state)
{
    char *argv[] = {"yunhui"};
    char *env1[] = {"YUNHUI_HTTP_PORT=http", NULL};
    char *env2[] = {"YUNHUI_ANNOUNCE_IP=1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5", NULL};
    char *env3[] = {"YUNHUI_MEDIA_PORT=65536", NULL};
    yh_config_t c;
    assert_int_equal(parse(&c, ARGC(argv), argv, env1), YH_EINVAL);
    assert_int_equal(parse(&c, ARGC(argv), argv, env2), YH_EINVAL);
    assert_int_equal(parse(&c, ARGC(argv), argv, env3), YH_EINVAL);
    /* A name that only starts like ours is not ours. */
    char *env4[] = {"YUNHUI_HTTP_PORTX=1", NULL};
    assert_int_equal(parse(&c, ARGC(argv), argv, env4), 0);
    assert_int_equal(c.http_port, 8080);
}

/* HTTPS and TURN: defaults, flags, the environment's secret, and the
 * combinations that are refused. */
static void test_https_turn(void **state)
{
    yh_config_t c;
    char *argv0[] = {"yunhui"};
    assert_int_equal(parse(&c, ARGC(argv0), argv0, NULL), 0);
    assert_int_equal(c.https_port, 8443);
    assert_int_equal(c.https_port_set, 0);
    assert_int_equal(c.n_turn, 0);
    assert_int_equal(c.turn_ttl, 86400);

    char *argv[] = {"yunhui",     "--https-port",
                    "0",          "--tls-cert",
                    "/c.pem",     "--tls-key=/k.pem",
                    "--turn-url", "turn:127.0.0.1:3478?transport=udp",
                    "--turn-url", "turns:turn.example.org:5349?transport=tcp",
                    "--turn-ttl", "600"};
    char *envp[] = {"YUNHUI_TURN_SECRET=s3cret", NULL};
    assert_int_equal(parse(&c, ARGC(argv), argv, envp), 0);
    assert_int_equal(c.https_port, 0);
    assert_int_equal(c.https_port_set, 1);
    assert_string_equal(c.tls_cert, "/c.pem");
    assert_string_equal(c.tls_key, "/k.pem");
    assert_int_equal(c.n_turn, 2);
    assert_string_equal(c.turn_urls[0], "turn:127.0.0.1:3478?transport=udp");
    assert_string_equal(c.turn_urls[1], "turns:turn.example.org:5349?transport=tcp");
    assert_string_equal(c.turn_secret, "s3cret");
    assert_int_equal(c.turn_ttl, 600);

    char *no_secret[] = {"yunhui", "--turn-url", "turn:127.0.0.1:3478"};
    assert_int_equal(parse(&c, ARGC(no_secret), no_secret, NULL), YH_EINVAL);
    char *half_tls[] = {"yunhui", "--tls-cert", "/c.pem"};
    assert_int_equal(parse(&c, ARGC(half_tls), half_tls, NULL), YH_EINVAL);
    char *bad_url[] = {"yunhui", "--turn-url", "http://x", "--turn-secret", "s"};
    assert_int_equal(parse(&c, ARGC(bad_url), bad_url, NULL), YH_EINVAL);
    char *quote[] = {"yunhui", "--turn-url", "turn:a\"b", "--turn-secret", "s"};
    assert_int_equal(parse(&c, ARGC(quote), quote, NULL), YH_EINVAL);
    char *bad_ttl[] = {"yunhui", "--turn-ttl", "0"};
    assert_int_equal(parse(&c, ARGC(bad_ttl), bad_ttl, NULL), YH_EINVAL);
}

static void test_signaling_limits(void **state)
{
    char *argv0[] = {"yunhui"};
    yh_config_t c;
    assert_int_equal(parse(&c, ARGC(argv0), argv0, NULL), 0);
    assert_int_equal(c.max_ws_per_ip, 256);
    assert_int_equal(c.max_msgs_per_ip, 1000);
    assert_int_equal(c.n_trusted, 2);
    assert_string_equal(c.trusted[0], "127.0.0.0/8");
    assert_string_equal(c.trusted[1], "::1");

    /* A --trusted-ip replaces the defaults; "none" leaves no network. */
    char *argv[] = {"yunhui",     "--max-ws-per-ip", "8",          "--max-msgs-per-ip=0",
                    "--trusted-ip", "198.18.0.1",    "--trusted-ip", "2001:db8::/32"};
    assert_int_equal(parse(&c, ARGC(argv), argv, NULL), 0);
    assert_int_equal(c.max_ws_per_ip, 8);
    assert_int_equal(c.max_msgs_per_ip, 0);
    assert_int_equal(c.n_trusted, 2);
    assert_string_equal(c.trusted[0], "198.18.0.1");
    assert_string_equal(c.trusted[1], "2001:db8::/32");
    char *none[] = {"yunhui", "--trusted-ip", "none"};
    assert_int_equal(parse(&c, ARGC(none), none, NULL), 0);
    assert_int_equal(c.n_trusted, 0);

    char *bad[][3] = {{"yunhui", "--trusted-ip", "127.0.0.0/33"},
                      {"yunhui", "--trusted-ip", "localhost"},
                      {"yunhui", "--max-ws-per-ip", "-1"},
                      {"yunhui", "--max-msgs-per-ip", "many"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(parse(&c, 3, bad[i], NULL), YH_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_flags_win),       cmocka_unit_test(test_help),
        cmocka_unit_test(test_errors),          cmocka_unit_test(test_announce_limit),
        cmocka_unit_test(test_bad_environment), cmocka_unit_test(test_https_turn),
        cmocka_unit_test(test_signaling_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
