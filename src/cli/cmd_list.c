/* cmd_list.c: `autocert list`: the certificates of the cache, their expiry and names. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "cli.h"

static const cli_opt_id list_opts[] = {CLI_O_CACHE, CLI_O_CACHE_KEY_FILE, CLI_O_LIST_VERIFY, CLI_O_RENEW_JSON,
                                        CLI_O_NONE};

/* The day of t, "YYYY-MM-DD". */
static const char *day(time_t t, char *buf, size_t n)
{
    return cli_utc(t, CLI_UTC_DAY, "?", buf, n);
}

/* "<entry>\texpires <date> (<n> days)\t<name>,...\trenew <date> (<why>)"
 * and, after failures, "\t<n> failed: <last error>". */
static void print_entry(const autocert_cert *cert)
{
    char d1[32], d2[32];
    time_t na = autocert_cert_not_after(cert);
    size_t j;

    printf("%s\texpires %s (%lld days)\t", autocert_cert_name(cert), day(na, d1, sizeof(d1)),
           (long long)((na - time(NULL)) / 86400));
    for (j = 0; j < autocert_cert_identifier_count(cert); j++)
        printf("%s%s", j ? "," : "", autocert_cert_identifier(cert, j));
    printf("\trenew %s (%s)", day(autocert_cert_renew_at(cert), d2, sizeof(d2)),
           autocert_cert_renew_reason(cert));
    if (autocert_cert_failures(cert) > 0)
        printf("\t%u failed: %s", autocert_cert_failures(cert), autocert_cert_last_error(cert));
    putchar('\n');
}

/* A string member, null when absent. */
static void member(const char *name, const char *value)
{
    printf(",\"%s\":", name);
    if (value)
        cli_json_str(value);
    else
        fputs("null", stdout);
}

/* One JSON object a line. */
static void print_json(const autocert_cert *cert)
{
    size_t j;

    fputs("{\"name\":", stdout);
    cli_json_str(autocert_cert_name(cert));
    fputs(",\"identifiers\":[", stdout);
    for (j = 0; j < autocert_cert_identifier_count(cert); j++) {
        if (j)
            putchar(',');
        cli_json_str(autocert_cert_identifier(cert, j));
    }
    printf("],\"not_before\":%lld,\"not_after\":%lld,\"renew_at\":%lld",
           (long long)autocert_cert_not_before(cert), (long long)autocert_cert_not_after(cert),
           (long long)autocert_cert_renew_at(cert));
    member("renew_reason", autocert_cert_renew_reason(cert));
    member("issuer", autocert_cert_issuer(cert));
    member("profile", autocert_cert_profile(cert));
    member("directory", autocert_cert_directory(cert));
    member("key_type", autocert_cert_key_type(cert));
    printf(",\"failures\":%u", autocert_cert_failures(cert));
    member("last_error", autocert_cert_failures(cert) ? autocert_cert_last_error(cert) : NULL);
    fputs("}\n", stdout);
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
        if (a->json)
            print_json(cert);
        else
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
    "list [--cache DIR] [--verify] [--json]",
    "list cached certificates",
    "Lists the cached certificates: entry, expiry, days left, names, when renew\n"
    "will renew it and why, and the last failure, from the metadata of each entry.\n"
    "--json: one object a line, with the issuer and profile too.  --verify reads\n"
    "every entry whole and reports each broken one, naming its file (exit 1).",
    NULL,
};
