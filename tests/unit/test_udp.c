/* Unit tests of the batched UDP socket: what recvmmsg fills in, and the
 * arrival times it reports (the kernel's, not the time of the read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "net/udp.h"

/* Datagrams read 40 ms after they came carry the time they came: TWCC
 * feedback built from them must not show a busy reader as a queue. */
static void test_rx_time_is_arrival(void **state)
{
    (void)state;
    yh_udp_t *u = malloc(sizeof *u);
    assert_non_null(u);
    assert_int_equal(yh_udp_open(u, "127.0.0.1", 0), 0);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(u->port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* Linux turns receive stamping on in deferred work when the first
     * socket asks for it; until then a datagram is stamped when it is
     * read. Wait (bounded) until one is stamped when it came. */
    int stamping = 0;
    for (int i = 0; i < 200 && !stamping; i++) {
        assert_int_equal(sendto(fd, "w", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
        usleep(5000);
        assert_int_equal(yh_udp_recv(u), 1);
        stamping = yh_now_us() - u->rx_us[0] >= 4000;
    }
    assert_true(stamping);

    uint64_t before = yh_now_us();
    for (int i = 0; i < 3; i++) {
        uint8_t b[100];
        memset(b, i, sizeof b);
        assert_int_equal(sendto(fd, b, 10 + (size_t)i, 0, (struct sockaddr *)&to, sizeof to),
                         10 + i);
    }
    uint64_t after = yh_now_us();
    usleep(40000);

    assert_int_equal(yh_udp_recv(u), 3);
    uint64_t read_at = yh_now_us();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(u->rmsg[i].msg_len, 10 + i);
        assert_int_equal(u->rbuf[i][0], i);
        /* One clock conversion per batch: allow a millisecond either way. */
        assert_true(u->rx_us[i] + 1000 >= before);
        assert_true(u->rx_us[i] <= after + 1000);
        assert_true(read_at - u->rx_us[i] >= 35000);
    }
    assert_int_equal(yh_udp_recv(u), 0);
    close(fd);
    yh_udp_close(u);
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rx_time_is_arrival),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
