/* main.c: the autocert command: options before the command name, and dispatch. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const cli_cmd *const commands[] = {
    &cli_cmd_obtain,
    &cli_cmd_renew,
    &cli_cmd_list,
    &cli_cmd_revoke,
    &cli_cmd_account,
    &cli_cmd_cache,
    /* Private CA toolkit */
    &cli_cmd_ca,
    &cli_cmd_inspect,
    &cli_cmd_verify,
    &cli_cmd_export,
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Options that may also come before the command name. */
static const cli_opt_id global_opts[] = {CLI_O_VERSION, CLI_O_NONE};

static void usage(FILE *f)
{
    size_t i;

    fputs("usage: autocert [-q | -v] <command> [options]\n"
          "       autocert --version | --help\n\ncommands:\n",
          f);
    for (i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fputs("\nEvery command takes -v (more detail; twice: protocol detail), -q (errors\n"
          "only) and -h (its options), before or after its name.\n"
          "Run 'autocert <command> --help' for the options of a command.\n",
          f);
}

/* The subcommand of `cmd` named by argv[1], or NULL. */
static const cli_cmd *sub_of(const cli_cmd *cmd, int argc, char **argv)
{
    size_t i;

    /* Their names are "<command> <sub>". */
    for (i = 0; cmd->subs && argc > 1 && cmd->subs[i]; i++)
        if (strcmp(argv[1], strrchr(cmd->subs[i]->name, ' ') + 1) == 0)
            return cmd->subs[i];
    return NULL;
}

/* Parses the command's options into `a` and runs it. */
static int run(const cli_cmd *cmd, cli_args *a, int argc, char **argv)
{
    const cli_cmd *sub = sub_of(cmd, argc, argv);
    int first, rc;

    /* A subcommand is parsed as a command of its own, from its name on. */
    if (sub) {
        cmd = sub;
        argc--;
        argv++;
    }

    a->cmd = cmd;
    if ((a->ctx = autocert_ctx_new()) == NULL) {
        cli_error("out of memory");
        return EXIT_FAIL;
    }
    autocert_set_logger(a->ctx, cli_log, NULL);
    rc = cli_parse(a, cmd->opts, 0, argc, argv, &first);
    if (rc == CLI_PARSE_HELP) {
        cli_usage(stdout, cmd);
        return EXIT_OK;
    }
    if (rc != 0)
        return EXIT_FAIL;
    autocert_set_log_level(a->ctx, a->quiet ? AUTOCERT_LOG_WARN
                                   : a->verbose > 1 ? AUTOCERT_LOG_DEBUG : AUTOCERT_LOG_INFO);
    return cmd->run(a, argc - first, argv + first);
}

/* The options before the command name: an exit status when they settle the
 * matter (--help, --version, no command), else -1 with the command at *first. */
static int global(cli_args *a, int argc, char **argv, int *first)
{
    int rc = cli_parse(a, global_opts, 1, argc, argv, first);

    if (rc == CLI_PARSE_HELP) {
        usage(stdout);
        return EXIT_OK;
    }
    if (rc != 0)
        return EXIT_FAIL;
    if (a->version) {
        printf("autocert %s (libautocert %s)\n", PACKAGE_VERSION, autocert_version());
        return EXIT_OK;
    }
    if (*first >= argc) {
        usage(stderr);
        return EXIT_FAIL;
    }
    if (strcmp(argv[*first], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    return -1;
}

int main(int argc, char **argv)
{
    cli_args a;
    int first, rc;
    size_t i;

    /* Nothing this program creates is for other users to read. */
    umask(077);
    cli_args_init(&a);
    if ((rc = global(&a, argc, argv, &first)) >= 0)
        return rc;
    for (i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[first], commands[i]->name) == 0)
            break;
    if (i == N_COMMANDS) {
        cli_error("unknown command '%s' (see 'autocert --help')", argv[first]);
        return EXIT_FAIL;
    }
    rc = run(commands[i], &a, argc - first, argv + first);
    cli_args_clear(&a);
    return rc;
}
