/* cmd_verify.c: `autocert verify`: a certificate's chain, name and usage against a CA. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const cli_opt_id verify_opts[] = {
    CLI_O_TRUST, CLI_O_HOST, CLI_O_VERIFY_IP, CLI_O_PURPOSE, CLI_O_CACHED, CLI_O_CACHE, CLI_O_CACHE_KEY_FILE,
    CLI_O_NONE,
};

static int verify_run(cli_args *a, int argc, char **argv)
{
    char *ccert = NULL, *ckey = NULL, *summary = NULL;
    const char *cert;
    int ret = EXIT_FAIL;
    autocert_err rc;

    if (a->trust == NULL) {
        cli_error("verify needs --ca FILE");
        return EXIT_FAIL;
    }
    if (a->cached ? argc != 0 : argc != 1) {
        cli_error(a->cached ? "give either CERT or --cached NAME"
                            : "verify needs exactly one CERT");
        return EXIT_FAIL;
    }
    if (a->cached && cli_cached_files(a, a->cached, &ccert, &ckey) != 0)
        goto out;
    cert = a->cached ? ccert : argv[0];
    rc = autocert_verify_file(a->ctx, cert, a->trust, a->host, a->ip, a->purpose, &summary);
    if (rc != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        goto out;
    }
    if (!a->quiet)
        printf("%s: OK (%s)\n", cert, summary);
    ret = EXIT_OK;
out:
    free(summary);
    free(ccert);
    free(ckey);
    return ret;
}

const cli_cmd cli_cmd_verify = {
    "verify",
    verify_run,
    verify_opts,
    "verify --ca CA.crt [--host NAME | --ip ADDR] [--purpose server|client] CERT\n"
    "verify --ca CA.crt [...] [--cache DIR] --cached NAME",
    "verify a certificate chain, name and usage",
    "Verifies the first certificate of CERT (the others are taken as intermediates)\n"
    "up to a CA certificate of CA.crt, and the name and usage asked for.  On failure\n"
    "prints the reason (expired, wrong issuer, name mismatch, wrong usage).  With -q\n"
    "nothing is printed on success.",
    NULL,
};
