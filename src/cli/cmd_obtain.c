/* cmd_obtain.c: `autocert obtain`: an ACME certificate into the cache. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt_id obtain_opts[] = {
    CLI_O_EMAIL, CLI_O_AGREE_TOS, CLI_O_DIRECTORY, CLI_O_STAGING, CLI_O_CA_BUNDLE, CLI_O_ALLOW_HTTP,
    CLI_O_HTTP_PORT, CLI_O_BIND, CLI_O_WEBROOT, CLI_O_CHALLENGE, CLI_O_DNS_HOOK,
    CLI_O_HOOK_TIMEOUT, CLI_O_KEY_TYPE, CLI_O_ACCOUNT_KEY_TYPE, CLI_O_EAB_KID, CLI_O_EAB_HMAC_KEY,
    CLI_O_CACHE, CLI_O_CACHE_KEY_FILE, CLI_O_TIMEOUT, CLI_O_FORCE_ORDER, CLI_O_USER, CLI_O_PROFILE,
    CLI_O_PREFERRED_CHAIN, CLI_O_NONE,
};

/* The names of the operands, split at commas; -1 after an error line. */
static int split_names(int argc, char **argv, char ***names, size_t *n)
{
    int i;

    for (i = 0; i < argc; i++) {
        int rc = cli_split_list(argv[i], names, n);

        if (rc == -2)
            cli_error("empty name in '%s'", argv[i]);
        if (rc != 0)
            return -1;
    }
    if (*n == 0) {
        cli_error("no names given (e.g. autocert obtain example.com,www.example.com)");
        return -1;
    }
    return 0;
}

/* --challenge dns-01 and --dns-hook come together: -1 after an error line. */
static int check_dns_hook(const cli_args *a)
{
    int dns01 = a->challenge != NULL && strcmp(a->challenge, "dns-01") == 0;

    if (dns01 && a->dns_hook == NULL) {
        cli_error("%s dns-01 needs %s CMD, the command that publishes the TXT records",
                  cli_source(a, CLI_O_CHALLENGE), cli_opts[CLI_O_DNS_HOOK].flag);
        return -1;
    }
    if (!dns01 && a->dns_hook != NULL) {
        cli_error("%s is used only with %s dns-01", cli_source(a, CLI_O_DNS_HOOK),
                  cli_opts[CLI_O_CHALLENGE].flag);
        return -1;
    }
    return 0;
}

/* A wildcard name needs DNS-01: checked before any request.  -1 after an
 * error line. */
static int check_names(const cli_args *a, char **names, size_t n)
{
    size_t i;

    if (a->challenge != NULL && strcmp(a->challenge, "dns-01") == 0)
        return 0;
    for (i = 0; i < n; i++)
        if (strncmp(names[i], "*.", 2) == 0) {
            cli_error("invalid name '%s': a wildcard name needs %s dns-01 (and %s)", names[i],
                      cli_opts[CLI_O_CHALLENGE].flag, cli_opts[CLI_O_DNS_HOOK].flag);
            return -1;
        }
    return 0;
}

int cli_apply_pairs(cli_args *a)
{
    autocert_err rc;

    if (check_dns_hook(a) != 0)
        return -1;
    if ((rc = autocert_set_http01(a->ctx, a->bind, a->http_port)) != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        return -1;
    }
    if (a->eab_kid == NULL && a->eab_key == NULL)
        return 0;
    if (a->eab_kid == NULL || a->eab_key == NULL) {
        cli_error("%s needs %s too", a->eab_kid ? cli_source(a, CLI_O_EAB_KID)
                                                : cli_source(a, CLI_O_EAB_HMAC_KEY),
                  a->eab_kid ? cli_opts[CLI_O_EAB_HMAC_KEY].flag : cli_opts[CLI_O_EAB_KID].flag);
        return -1;
    }
    /* The key id is not empty (its setter checked): the key is what is wrong.  It
     * is a secret: not printed. */
    if (autocert_set_eab(a->ctx, a->eab_kid, a->eab_key) != AUTOCERT_OK)
        return cli_invalid(a, CLI_O_EAB_HMAC_KEY, NULL, "%s", autocert_last_error(a->ctx));
    return 0;
}

/* The paths of the certificate and its key (the PEM chain for a cache without
 * files).  EXIT_OK for a new certificate, EXIT_UNCHANGED for the cached one, so
 * that `autocert obtain ... && systemctl reload nginx` reloads only when needed. */
static int print_result(const autocert_cert *cert)
{
    if (autocert_cert_fullchain_path(cert)) {
        printf("certificate: %s\n", autocert_cert_fullchain_path(cert));
        printf("key: %s\n", autocert_cert_key_path(cert));
    } else {
        fputs(autocert_cert_fullchain_pem(cert), stdout);
    }
    if (fflush(stdout) != 0) {
        cli_error("cannot write to standard output");
        return EXIT_FAIL;
    }
    return autocert_cert_is_new(cert) ? EXIT_OK : EXIT_UNCHANGED;
}

void cli_print_counts(const cli_args *a)
{
    autocert_timings t;

    if (!a->verbose)
        return;
    t.size = sizeof(t);
    autocert_timings_get(a->ctx, &t);
    fprintf(stderr, "time: requests %.1f ms (TLS setup %.1f ms), waiting %.1f ms, keys %.1f ms, "
            "cache %.1f ms\n", t.requests * 1e3, t.connect * 1e3, t.waiting * 1e3,
            t.keys * 1e3, t.store * 1e3);
    fprintf(stderr, "connections: %lu\n", autocert_connection_count(a->ctx));
    fprintf(stderr, "requests: %lu\n", autocert_request_count(a->ctx));
}

static int obtain_run(cli_args *a, int argc, char **argv)
{
    char **names = NULL;
    size_t n = 0;
    autocert_cert *cert = NULL;
    int status = EXIT_FAIL;
    autocert_err rc;

    if (split_names(argc, argv, &names, &n) != 0 || check_names(a, names, n) != 0 ||
        cli_apply_pairs(a) != 0 || cli_drop_to_user(a) != 0 || cli_cache_open(a) != 0)
        goto out;
    rc = autocert_obtain(a->ctx, (const char *const *)names, n,
                         a->force ? AUTOCERT_OBTAIN_FORCE : 0, &cert);
    if (rc != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        goto out;
    }
    status = print_result(cert);
out:
    cli_print_counts(a);
    autocert_cert_free(cert);
    autocert_strv_free(names, n);
    return status;
}

const cli_cmd cli_cmd_obtain = {
    "obtain",
    obtain_run,
    obtain_opts,
    "obtain NAME[,NAME...] [options]",
    "obtain a certificate from an ACME CA",
    "Obtains a certificate for the DNS names and IP addresses given (the first names\n"
    "the cache entry) from an ACME CA, answering HTTP-01 challenges (or DNS-01 ones\n"
    "through --dns-hook, which wildcard names need), and stores it in the cache.\n"
    "Prints the paths of the certificate chain and its key.  Exits 0 when it stored\n"
    "a new certificate, 2 when the cached one is still good, 1 on failure.",
    NULL,
};
