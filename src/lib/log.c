/* log.c: routes library messages to the caller's logger; the library never prints. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

void autocert_set_logger(autocert_ctx *ctx, autocert_log_fn fn, void *arg)
{
    ctx->log_fn = fn;
    ctx->log_arg = arg;
}

void autocert_set_log_level(autocert_ctx *ctx, autocert_log_level level)
{
    ctx->log_level = level;
}

void ac_log(autocert_ctx *ctx, autocert_log_level level, const char *fmt, ...)
{
    char line[1024], *big = NULL;
    va_list ap;
    int n;

    if (ctx == NULL || ctx->log_fn == NULL || level > ctx->log_level)
        return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* A long line (a problem report with its subproblems) is given whole. */
    if (n >= (int)sizeof(line) && (big = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    ctx->log_fn(ctx->log_arg, level, big ? big : line);
    free(big);
}
