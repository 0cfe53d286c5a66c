/* test_timeutil.c: UTC text in its three styles, the monotonic clock, sleeps that survive signals. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include <cmocka.h>

#include "internal.h"

#define T0 ((time_t)1700000000) /* Tue, 14 Nov 2023 22:13:20 GMT */

static void test_utc_styles(void **state)
{
    char buf[64];

    (void)state;
    ac_utc_format(T0, AC_UTC_MINUTE, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14 22:13 UTC");
    ac_utc_format(T0, AC_UTC_SECOND, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14 22:13:20 UTC");
    ac_utc_format(T0, AC_UTC_ISO, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14T22:13:20Z");
    /* The epoch, and a date past 2038. */
    ac_utc_format(0, AC_UTC_ISO, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    ac_utc_format((time_t)4102444800LL, AC_UTC_SECOND, buf, sizeof(buf));
    assert_string_equal(buf, "2100-01-01 00:00:00 UTC");
}

static void test_utc_unknown(void **state)
{
    char buf[64];

    (void)state;
    memset(buf, 'z', sizeof(buf));
    ac_utc_format((time_t)-1, AC_UTC_MINUTE, buf, sizeof(buf));
    assert_string_equal(buf, "?");
    ac_utc_format((time_t)-1, AC_UTC_ISO, buf, sizeof(buf));
    assert_string_equal(buf, "?");
    /* A style that is none of the three. */
    ac_utc_format(T0, (ac_utc_style)42, buf, sizeof(buf));
    assert_string_equal(buf, "?");
}

static void test_utc_small_buffer(void **state)
{
    char buf[32];

    (void)state;
    /* "2023-11-14T22:13:20Z" is 20 characters: 21 bytes fit it, 20 do not. */
    ac_utc_format(T0, AC_UTC_ISO, buf, 21);
    assert_string_equal(buf, "2023-11-14T22:13:20Z");
    memset(buf, 'z', sizeof(buf));
    ac_utc_format(T0, AC_UTC_ISO, buf, 20);
    assert_string_equal(buf, "?");
    ac_utc_format(T0, AC_UTC_SECOND, buf, 8);
    assert_string_equal(buf, "?");
    /* One byte holds the terminator alone; no byte at all is no write. */
    memset(buf, 'z', sizeof(buf));
    ac_utc_format(T0, AC_UTC_MINUTE, buf, 1);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'z');
    memset(buf, 'z', sizeof(buf));
    ac_utc_format(T0, AC_UTC_MINUTE, buf, 0);
    assert_int_equal(buf[0], 'z');
}

static void test_now_monotonic(void **state)
{
    double prev = ac_now(), t, start = prev;
    int i;

    (void)state;
    assert_true(prev > 0);
    for (i = 0; i < 100000; i++) {
        t = ac_now();
        assert_true(t >= prev);
        prev = t;
    }
    /* Fractions of a second are kept. */
    ac_sleep_s(0.02);
    t = ac_now();
    assert_true(t - start >= 0.02);
    assert_true(t - start < 5.0);
}

static void test_sleep_duration(void **state)
{
    double t0, dt;

    (void)state;
    t0 = ac_now();
    ac_sleep_s(0.15);
    dt = ac_now() - t0;
    assert_true(dt >= 0.15);
    assert_true(dt < 0.15 + 1.0);
    /* Nothing, or less than nothing: at once. */
    t0 = ac_now();
    ac_sleep_s(0);
    ac_sleep_s(-3);
    assert_true(ac_now() - t0 < 0.05);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void test_sleep_resumes(void **state)
{
    struct sigaction sa, old;
    struct itimerval every = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
    double t0, dt;

    (void)state;
    /* Without SA_RESTART: each alarm interrupts nanosleep with EINTR. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    alarms = 0;
    assert_int_equal(setitimer(ITIMER_REAL, &every, NULL), 0);
    t0 = ac_now();
    ac_sleep_s(0.25);
    dt = ac_now() - t0;
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old, NULL);
    assert_true(alarms >= 2);
    assert_true(dt >= 0.25);
    assert_true(dt < 0.25 + 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utc_styles),
        cmocka_unit_test(test_utc_unknown),
        cmocka_unit_test(test_utc_small_buffer),
        cmocka_unit_test(test_now_monotonic),
        cmocka_unit_test(test_sleep_duration),
        cmocka_unit_test(test_sleep_resumes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
