/* cmd_export.c: `autocert export`: a certificate, its chain and key as a PKCS#12 bundle. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const cli_opt_id export_opts[] = {
    CLI_O_P12, CLI_O_CERT, CLI_O_KEY, CLI_O_CHAIN, CLI_O_P12_PW, CLI_O_KEY_PW, CLI_O_CACHED,
    CLI_O_CACHE, CLI_O_CACHE_KEY_FILE, CLI_O_FORCE_FILES, CLI_O_NONE,
};

/* The options that must and must not be given together. */
static int check(const cli_args *a)
{
    if (a->p12 == NULL || a->password_file == NULL) {
        cli_error("export needs --p12 OUT and --password-file F");
        return -1;
    }
    if (a->cached ? (a->cert || a->key) : (!a->cert || !a->key)) {
        cli_error(a->cached ? "give either --cert/--key or --cached NAME"
                            : "export needs --cert and --key");
        return -1;
    }
    return 0;
}

static int export_run(cli_args *a, int argc, char **argv)
{
    char *ccert = NULL, *ckey = NULL;
    int ret = EXIT_FAIL;
    autocert_err rc;

    if (argc > 0) {
        cli_error("unexpected argument '%s'", argv[0]);
        return EXIT_FAIL;
    }
    if (check(a) != 0)
        return EXIT_FAIL;
    if (a->cached) {
        if (cli_cached_files(a, a->cached, &ccert, &ckey) != 0)
            goto out;
        a->cert = ccert;
        a->key = ckey;
    }
    rc = autocert_export_p12(a->ctx, a->p12, a->cert, a->key, a->chain, a->password_file,
                             a->key_password_file, a->force ? AUTOCERT_CA_FORCE : 0);
    if (rc != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        goto out;
    }
    if (!a->quiet)
        printf("pkcs12: %s\n", a->p12);
    ret = EXIT_OK;
out:
    free(ccert);
    free(ckey);
    return ret;
}

const cli_cmd cli_cmd_export = {
    "export",
    export_run,
    export_opts,
    "export --p12 OUT --cert F --key F [--chain F] --password-file F\n"
    "export --p12 OUT [--cache DIR] --cached NAME --password-file F",
    "write a PKCS#12 bundle",
    "Writes a PKCS#12 bundle (AES-256, PBKDF2, SHA-256 MAC; mode 0600) of the first\n"
    "certificate of --cert, the other certificates of --cert and --chain, and the\n"
    "key, which must match.  Keys may be read from encrypted PKCS#8 or PKCS#12.\n"
    "With -q nothing is printed on success.",
    NULL,
};
