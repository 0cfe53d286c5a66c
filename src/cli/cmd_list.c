/* cmd_list.c: `autocert list`: the certificates of the cache, their expiry and names. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const cli_opt_id list_opts[] = {CLI_O_CACHE, CLI_O_CACHE_KEY_FILE, CLI_O_LIST_VERIFY, CLI_O_RENEW_JSON,
                                        CLI_O_NONE};

/* The day of t, "YYYY-MM-DD". */
static const char *day(time_t t, char *buf, size_t n)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, n, "?");
    return buf;
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

/* Entries are read a block at a time, the block's entries shared among up
 * to LIST_THREADS threads (one a core), then printed in order: reading
 * thousands of metadata files is the kernel's and the JSON parser's work,
 * and --verify's the chain checks, each spread over the cores. */
#define LIST_BLOCK 256
#define LIST_THREADS 8

/* What reading one entry gave. */
typedef struct {
    autocert_cert *cert;
    autocert_err rc;
    char *msg; /* the failure's detail, malloc'd (may be NULL) */
} list_item;

/* The entries from, from + step, from + 2 step ... below to of a block. */
typedef struct {
    const cli_args *a;
    char **names;
    list_item *items;
    size_t from, step, to;
} list_part;

static void *read_part(void *arg)
{
    list_part *p = arg;
    size_t i;

    for (i = p->from; i < p->to; i += p->step) {
        list_item *it = &p->items[i];
        /* The metadata alone is cheap for thousands of entries; --verify
         * loads each entry whole, as obtain does, and so finds a broken
         * chain.  The context's failures are kept per thread. */
        it->rc = p->a->list_verify ? autocert_cert_load(p->a->ctx, p->names[i], &it->cert)
                                   : autocert_cert_info(p->a->ctx, p->names[i], &it->cert);
        if (it->rc != AUTOCERT_OK && *autocert_last_error(p->a->ctx))
            it->msg = strdup(autocert_last_error(p->a->ctx));
    }
    return NULL;
}

/* Reads names[0..n-1] (n at most LIST_BLOCK) into items, on `threads` threads. */
static void read_block(const cli_args *a, char **names, size_t n, list_item *items,
                       size_t threads)
{
    pthread_t tid[LIST_THREADS];
    list_part part[LIST_THREADS];
    int started[LIST_THREADS];
    size_t t;

    for (t = 0; t < threads; t++) {
        part[t] = (list_part){a, names, items, t, threads, n};
        /* A thread that cannot start leaves its share to this one. */
        started[t] = t > 0 && pthread_create(&tid[t], NULL, read_part, &part[t]) == 0;
    }
    for (t = 0; t < threads; t++)
        if (!started[t])
            read_part(&part[t]);
    for (t = 1; t < threads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
}

/* Prints a block in order and frees it; 0, or -1 when an entry failed. */
static int print_block(const cli_args *a, char **names, list_item *items, size_t n)
{
    int failed = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (items[i].rc != AUTOCERT_OK) {
            cli_report(names[i], items[i].msg ? items[i].msg : autocert_strerror(items[i].rc),
                       cli_hint(a, items[i].rc));
            failed = -1;
        } else if (a->json) {
            print_json(items[i].cert);
        } else {
            print_entry(items[i].cert);
        }
        autocert_cert_free(items[i].cert);
        free(items[i].msg);
    }
    return failed;
}

/* Threads for a list of n entries: one a core, none for a short list. */
static size_t list_threads(size_t n)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 64 || cores < 2)
        return 1;
    return cores > LIST_THREADS ? LIST_THREADS : (size_t)cores;
}

static int list_run(cli_args *a, int argc, char **argv)
{
    char **names = NULL;
    size_t n = 0, i, k;
    list_item *items = NULL;
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
    if ((items = calloc(LIST_BLOCK, sizeof(*items))) == NULL) {
        cli_error("out of memory");
        goto out;
    }
    status = EXIT_OK;
    for (i = 0; i < n; i += k) {
        k = n - i < LIST_BLOCK ? n - i : LIST_BLOCK;
        memset(items, 0, k * sizeof(*items));
        read_block(a, names + i, k, items, list_threads(n));
        if (print_block(a, names + i, items, k) != 0)
            status = EXIT_FAIL;
    }
out:
    free(items);
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
