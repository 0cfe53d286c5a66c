/* log.c: routes library messages to the caller's logger; the library never prints. */
#include "config.h"

#include <stdio.h>

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
    char line[1024];
    va_list ap;

    if (ctx == NULL || ctx->log_fn == NULL || level > ctx->log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ctx->log_fn(ctx->log_arg, level, line);
}
