/* cli_msg.c: what the command says on stderr: errors, invalid options, library failures, the log. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("autocert: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_invalid(const cli_args *a, cli_opt_id id, const char *val, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "autocert: invalid %s", cli_source(a, id));
    if (val)
        fprintf(stderr, " '%s'", val);
    fputs(" (", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(")\n", stderr);
    return -1;
}

void cli_fail(const cli_args *a, autocert_err rc, const char *what)
{
    const char *msg = a->ctx ? autocert_last_error(a->ctx) : "";

    if (*msg == '\0')
        msg = autocert_strerror(rc);
    if (what)
        cli_error("%s: %s", what, msg);
    else
        cli_error("%s", msg);
}

void cli_log(void *arg, autocert_log_level level, const char *msg)
{
    (void)arg;
    if (level == AUTOCERT_LOG_ERROR || level == AUTOCERT_LOG_WARN)
        fprintf(stderr, "autocert: %s%s\n", level == AUTOCERT_LOG_WARN ? "warning: " : "", msg);
    else
        fprintf(stderr, "%s\n", msg);
}
