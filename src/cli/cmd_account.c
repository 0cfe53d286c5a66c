/* cmd_account.c: `autocert account show|update|rollover|deactivate`: the cached account of a directory at its CA. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

/* What every subcommand takes: which CA, how to reach it, which cache. */
#define ACCOUNT_COMMON                                                                            \
    CLI_O_DIRECTORY, CLI_O_STAGING, CLI_O_CA_BUNDLE, CLI_O_ALLOW_HTTP, CLI_O_CACHE, CLI_O_CACHE_KEY_FILE, CLI_O_TIMEOUT

static const cli_opt_id show_opts[] = {ACCOUNT_COMMON, CLI_O_NONE};
static const cli_opt_id update_opts[] = {CLI_O_EMAIL, ACCOUNT_COMMON, CLI_O_NONE};
static const cli_opt_id rollover_opts[] = {CLI_O_ACCOUNT_KEY_TYPE, ACCOUNT_COMMON, CLI_O_NONE};
static const cli_opt_id account_opts[] = {CLI_O_NONE};

/* The account as the CA described it, one "field: value" a line. */
static int print_account(const autocert_account *acct)
{
    size_t i, n = autocert_account_contact_count(acct);

    printf("url: %s\n", autocert_account_url(acct));
    printf("key: %s\n", autocert_account_key_type(acct));
    printf("thumbprint: %s\n", autocert_account_thumbprint(acct));
    printf("status: %s\n", autocert_account_status(acct));
    for (i = 0; i < n; i++)
        printf("contact: %s\n", autocert_account_contact(acct, i));
    if (n == 0)
        printf("contact: (none)\n");
    if (fflush(stdout) != 0) {
        cli_error("cannot write to standard output");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* Runs one operation on the account: no operands, the cache opened, the
 * account printed unless -q. */
static int account_op(cli_args *a, int argc, char **argv,
                      autocert_err (*op)(autocert_ctx *ctx, autocert_account **out))
{
    autocert_account *acct = NULL;
    autocert_err rc;
    int status;

    if (argc > 0) {
        cli_error("unexpected argument '%s' (see 'autocert %s --help')", argv[0], a->cmd->name);
        return EXIT_FAIL;
    }
    if (cli_cache_open(a) != 0)
        return EXIT_FAIL;
    if ((rc = op(a->ctx, &acct)) != AUTOCERT_OK) {
        cli_fail(a, rc, a->cmd->name);
        return EXIT_FAIL;
    }
    status = a->quiet && op != autocert_account_get ? EXIT_OK : print_account(acct);
    autocert_account_free(acct);
    return status;
}

static int show_run(cli_args *a, int argc, char **argv)
{
    return account_op(a, argc, argv, autocert_account_get);
}

static int update_run(cli_args *a, int argc, char **argv)
{
    if (!a->from[CLI_O_EMAIL]) {
        cli_error("account update needs the new contact: --email ADDR");
        return EXIT_FAIL;
    }
    return account_op(a, argc, argv, autocert_account_update);
}

static int rollover_run(cli_args *a, int argc, char **argv)
{
    return account_op(a, argc, argv, autocert_account_rollover);
}

static int deactivate_run(cli_args *a, int argc, char **argv)
{
    return account_op(a, argc, argv, autocert_account_deactivate);
}

static const cli_cmd account_show = {
    "account show", show_run, show_opts,
    "account show [--directory URL] [--cache DIR] [options]",
    "show the account",
    "Prints the cached account of the ACME directory as its CA describes it (a\n"
    "POST-as-GET of the account URL): URL, key type, key thumbprint, status and\n"
    "contacts, one 'field: value' a line.  No account is registered for this.",
    NULL,
};

static const cli_cmd account_update = {
    "account update", update_run, update_opts,
    "account update --email ADDR [--directory URL] [--cache DIR] [options]",
    "change the contact",
    "Sets the contact of the cached account of the ACME directory to ADDR, at the\n"
    "CA and in the cache, and prints the account.",
    NULL,
};

static const cli_cmd account_rollover = {
    "account rollover", rollover_run, rollover_opts,
    "account rollover [--account-key-type TYPE] [--directory URL] [--cache DIR] [options]",
    "replace the account key",
    "Replaces the key of the cached account (RFC 8555 section 7.3.5 key change):\n"
    "a new key is generated, written next to account.key as account.key.rollover\n"
    "(0600), handed to the CA, and only once the CA accepted it replaces the old\n"
    "key in the cache.  Should the cache fail after the CA accepted, the error\n"
    "says so and names the file holding the new key, which must then be moved\n"
    "over account.key by hand.",
    NULL,
};

static const cli_cmd account_deactivate = {
    "account deactivate", deactivate_run, show_opts,
    "account deactivate [--directory URL] [--cache DIR] [options]",
    "deactivate the account",
    "Deactivates the cached account at its CA (for good: a CA never reactivates\n"
    "an account) and marks it in the cache so it is never used again: the next\n"
    "obtain registers a new account.",
    NULL,
};

static const cli_cmd *const account_subs[] = {
    &account_show, &account_update, &account_rollover, &account_deactivate, NULL,
};

/* Reached without a known subcommand. */
static int account_run(cli_args *a, int argc, char **argv)
{
    if (argc == 0)
        cli_usage(stderr, a->cmd);
    else
        cli_error("unknown account command '%s' (show, update, rollover or deactivate)", argv[0]);
    return EXIT_FAIL;
}

const cli_cmd cli_cmd_account = {
    "account",
    account_run,
    account_opts,
    "account show [options]\n"
    "account update --email ADDR [options]\n"
    "account rollover [--account-key-type TYPE] [options]\n"
    "account deactivate [options]",
    "show, update, roll over or deactivate the ACME account",
    "Works on the account the cache holds for the ACME directory (--directory,\n"
    "default Let's Encrypt); never registers one.  'autocert account <sub> --help'\n"
    "lists the options of each.",
    account_subs,
};
