/* timeutil.c: clocks and time formats: the monotonic clock, UTC text, bounded sleeps. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "internal.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* Fuzz builds (configure --enable-fuzzers) never sleep: a sleep moves this
 * process's clock forward instead, so an input asking to come back in an
 * hour costs nothing and a run stays reproducible. */
static _Atomic double skipped;
#endif

double ac_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + skipped;
#else
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
#endif
}

void ac_utc_format(time_t t, ac_utc_style style, char *buf, size_t n)
{
    struct tm tm;
    size_t len = 0;

    if (n == 0)
        return;
    if (t != (time_t)-1 && gmtime_r(&t, &tm) != NULL) {
        /* Literal formats: the compiler checks each. */
        switch (style) {
        case AC_UTC_MINUTE: len = strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm); break;
        case AC_UTC_SECOND: len = strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm); break;
        case AC_UTC_ISO: len = strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm); break;
        }
    }
    if (len == 0)
        snprintf(buf, n, "?");
}

void ac_sleep_s(double seconds)
{
    struct timespec ts;

    if (seconds <= 0)
        return;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    skipped += seconds;
    (void)ts;
    return;
#endif
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void ac_ctx_add(autocert_ctx *ctx, ac_time_kind kind, double seconds)
{
    if (ctx != NULL && seconds > 0)
        atomic_fetch_add(&ctx->us[kind], (unsigned long long)(seconds * 1e6));
}

void ac_ctx_spent(autocert_ctx *ctx, ac_time_kind kind, double since)
{
    ac_ctx_add(ctx, kind, ac_now() - since);
}
