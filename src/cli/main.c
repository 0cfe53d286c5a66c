/* main.c: the autocert command: option-independent setup and subcommand dispatch. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cli_verbose;
int cli_quiet;

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("autocert: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_fail(const autocert_ctx *ctx, autocert_err rc, const char *what)
{
    const char *msg = ctx ? autocert_last_error(ctx) : "";

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

int cli_split_list(const char *arg, const char *what, char ***v, size_t *n)
{
    const char *p = arg;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char **nv;

        if (len == 0) {
            cli_error("empty %s in '%s'", what, arg);
            return -1;
        }
        if ((nv = realloc(*v, (*n + 1) * sizeof(char *))) == NULL) {
            cli_error("out of memory");
            return -1;
        }
        *v = nv;
        if ((nv[*n] = strndup(p, len)) == NULL) {
            cli_error("out of memory");
            return -1;
        }
        (*n)++;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"obtain", cmd_obtain, "obtain a certificate from an ACME CA"},
    {"list", cmd_list, "list cached certificates"},
    /* Private CA toolkit */
    {"ca", cmd_ca, "private CA: create a CA, issue and sign node certificates"},
    {"inspect", cmd_inspect, "describe certificates, CSRs, keys and bundles"},
    {"verify", cmd_verify, "verify a certificate chain, name and usage"},
    {"export", cmd_export, "write a PKCS#12 bundle"},
};

static void usage(FILE *f)
{
    size_t i;

    fputs("usage: autocert [--version] [--help] <command> [options]\n\ncommands:\n", f);
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nRun 'autocert <command> --help' for the options of a command.\n", f);
}

int main(int argc, char **argv)
{
    size_t i;

    /* Nothing this program creates is for other users to read. */
    umask(077);
    if (argc < 2) {
        usage(stderr);
        return EXIT_FAIL;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("autocert %s (libautocert %s)\n", PACKAGE_VERSION, autocert_version());
        return 0;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    cli_error("unknown command '%s' (see 'autocert --help')", argv[1]);
    return EXIT_FAIL;
}
