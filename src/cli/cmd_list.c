/* cmd_list.c: `autocert list`: the certificates of the cache, their expiry and names. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "cli.h"

static const cli_opt_id list_opts[] = {CLI_O_CACHE, CLI_O_LIST_VERIFY, CLI_O_NONE};

/* "<entry>\texpires <date> (<n> days)\t<name>,<name>..." */
static void print_entry(const autocert_cert *cert)
{
    char when[32];
    struct tm tm;
    time_t na = autocert_cert_not_after(cert);
    size_t j;

    if (gmtime_r(&na, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d", &tm) == 0)
        snprintf(when, sizeof(when), "?");
    printf("%s\texpires %s (%lld days)\t", autocert_cert_name(cert), when,
           (long long)((na - time(NULL)) / 86400));
    for (j = 0; j < autocert_cert_identifier_count(cert); j++)
        printf("%s%s", j ? "," : "", autocert_cert_identifier(cert, j));
    putchar('\n');
}

static int list_run(cli_args *a, int argc, char **argv)
{
    char **names = NULL;
    size_t n = 0, i;
    int status = EXIT_FAIL;
    autocert_err rc;

    if (argc > 0) {
        cli_error("unexpected argument '%s'", argv[0]);
        return EXIT_FAIL;
    }
    if (cli_cache_open(a) != 0)
        return EXIT_FAIL;
    if ((rc = autocert_cert_list(a->ctx, &names, &n)) != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        goto out;
    }
    status = EXIT_OK;
    for (i = 0; i < n; i++) {
        autocert_cert *cert = NULL;

        /* The metadata alone is cheap for thousands of entries; --verify loads
         * each entry whole, as obtain does, and so finds a broken chain. */
        rc = a->list_verify ? autocert_cert_load(a->ctx, names[i], &cert)
                            : autocert_cert_info(a->ctx, names[i], &cert);
        if (rc != AUTOCERT_OK) {
            cli_fail(a, rc, names[i]);
            status = EXIT_FAIL;
            continue;
        }
        print_entry(cert);
        autocert_cert_free(cert);
    }
out:
    autocert_strv_free(names, n);
    return status;
}

const cli_cmd cli_cmd_list = {
    "list",
    list_run,
    list_opts,
    "list [--cache DIR] [--verify]",
    "list cached certificates",
    "Lists the cached certificates: entry, expiry, days left, names, from the\n"
    "metadata of each entry.  --verify reads every entry whole and reports each\n"
    "broken one, naming its file (exit 1).",
    NULL,
};
