/* cli_msg.c: what the command says: errors, invalid options, library failures, the log; times and JSON strings. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

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

const char *cli_hint(const cli_args *a, autocert_err rc)
{
    const cli_opt_id *id;

    if (a->cmd == NULL || rc == AUTOCERT_OK)
        return NULL;
    for (id = a->cmd->opts; *id != CLI_O_NONE; id++)
        if (cli_opts[*id].hint_for == rc && !a->from[*id])
            return cli_opts[*id].hint;
    return NULL;
}

void cli_report(const char *what, const char *msg, const char *hint)
{
    fprintf(stderr, "autocert: %s%s%s", what ? what : "", what ? ": " : "", msg);
    if (hint)
        fprintf(stderr, " (%s)", hint);
    fputc('\n', stderr);
}

void cli_fail(const cli_args *a, autocert_err rc, const char *what)
{
    const char *msg = a->ctx ? autocert_last_error(a->ctx) : "";

    cli_report(what, *msg ? msg : autocert_strerror(rc), cli_hint(a, rc));
}

void cli_log(void *arg, autocert_log_level level, const char *msg)
{
    (void)arg;
    if (level == AUTOCERT_LOG_ERROR || level == AUTOCERT_LOG_WARN)
        fprintf(stderr, "autocert: %s%s\n", level == AUTOCERT_LOG_WARN ? "warning: " : "", msg);
    else
        fprintf(stderr, "%s\n", msg);
}

const char *cli_utc(time_t t, int precision, const char *none, char *buf, size_t n)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL ||
        strftime(buf, n, precision == CLI_UTC_MINUTE ? "%Y-%m-%d %H:%M UTC" : "%Y-%m-%d", &tm) == 0)
        return none;
    return buf;
}

void cli_json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}
