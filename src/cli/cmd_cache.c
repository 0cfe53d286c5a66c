/* cmd_cache.c: `autocert cache migrate`: a whole cache copied between a directory and a PostgreSQL database, verified. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_opt_id migrate_opts[] = {CLI_O_MIGRATE_FROM, CLI_O_MIGRATE_TO,
                                          CLI_O_FORCE_MIGRATE, CLI_O_CACHE_KEY_FILE, CLI_O_NONE};
static const cli_opt_id cache_opts[] = {CLI_O_NONE};

/* Opens the store of --from or --to with the key file, if given.  NULL
 * after an error line (which names the store without a password). */
static autocert_storage *open_store(cli_args *a, cli_opt_id id, const char *where)
{
    autocert_storage *st = NULL;

    if (autocert_storage_open(a->ctx, where, &st) != AUTOCERT_OK) {
        cli_report(cli_source(a, id), autocert_last_error(a->ctx), NULL);
        return NULL;
    }
    /* The key seals what a database receives and opens what it gives;
     * a directory needs none. */
    if (a->cache_key_file != NULL && autocert_storage_dir_root(st) == NULL &&
        autocert_storage_set_key_file(a->ctx, st, a->cache_key_file) != AUTOCERT_OK) {
        cli_invalid(a, CLI_O_CACHE_KEY_FILE, a->cache_key_file, "%s",
                    autocert_last_error(a->ctx));
        autocert_storage_free(st);
        return NULL;
    }
    return st;
}

/* What the progress callback counts. */
typedef struct {
    const cli_args *a;
    unsigned sets;
} progress;

static void copied(void *arg, const char *set, size_t items)
{
    progress *p = arg;

    p->sets++;
    if (!p->a->quiet)
        printf("copied %s (%zu item%s, verified)\n", set, items, items == 1 ? "" : "s");
}

static int migrate_run(cli_args *a, int argc, char **argv)
{
    autocert_storage *from = NULL, *to = NULL;
    progress p = {a, 0};
    int status = EXIT_FAIL;
    autocert_err rc;

    if (argc > 0) {
        cli_error("unexpected argument '%s' (see 'autocert cache migrate --help')", argv[0]);
        return EXIT_FAIL;
    }
    if (a->migrate_from == NULL || a->migrate_to == NULL) {
        cli_error("cache migrate needs both --from DIR|URL and --to DIR|URL");
        return EXIT_FAIL;
    }
    if ((from = open_store(a, CLI_O_MIGRATE_FROM, a->migrate_from)) == NULL ||
        (to = open_store(a, CLI_O_MIGRATE_TO, a->migrate_to)) == NULL)
        goto out;
    rc = autocert_cache_migrate(a->ctx, from, to, a->force ? AUTOCERT_MIGRATE_FORCE : 0, copied,
                                &p);
    if (rc != AUTOCERT_OK) {
        cli_fail(a, rc, "cache migrate");
        goto out;
    }
    if (!a->quiet)
        printf("migrated %u set%s from %s to %s\n", p.sets, p.sets == 1 ? "" : "s",
               autocert_storage_describe(from), autocert_storage_describe(to));
    status = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
    autocert_storage_free(from);
    autocert_storage_free(to);
    return status;
}

static const cli_cmd cache_migrate = {
    "cache migrate", migrate_run, migrate_opts,
    "cache migrate --from DIR|URL --to DIR|URL [--force] [--cache-key-file FILE]",
    "copy a whole cache into another",
    "Copies every certificate (certs/NAME) and account (accounts/ID) of the cache\n"
    "--from into the cache --to, a directory or a postgresql:// URL either way,\n"
    "each under the locks of both, then reads each back from --to and compares\n"
    "it byte for byte.  Prints one line a set copied.  Sets that --to holds\n"
    "already are refused before anything is copied, unless --force.  With\n"
    "--cache-key-file the private keys written into a database are encrypted\n"
    "with that key, and encrypted ones read from a database opened with it.",
    NULL,
};

static const cli_cmd *const cache_subs[] = {&cache_migrate, NULL};

/* Reached without a known subcommand. */
static int cache_run(cli_args *a, int argc, char **argv)
{
    if (argc == 0)
        cli_usage(stderr, a->cmd);
    else
        cli_error("unknown cache command '%s' (migrate)", argv[0]);
    return EXIT_FAIL;
}

const cli_cmd cli_cmd_cache = {
    "cache",
    cache_run,
    cache_opts,
    "cache migrate --from DIR|URL --to DIR|URL [--force] [--cache-key-file FILE]",
    "copy a cache between a directory and a PostgreSQL database",
    "'autocert cache migrate --help' lists its options.",
    cache_subs,
};
