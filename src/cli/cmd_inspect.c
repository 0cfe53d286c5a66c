/* cmd_inspect.c: `autocert inspect`: describe certificates, CSRs, keys and bundles. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const cli_opt_id inspect_opts[] = {
    CLI_O_JSON, CLI_O_INPUT_PW, CLI_O_CACHED, CLI_O_CACHE, CLI_O_CACHE_KEY_FILE, CLI_O_NONE,
};

/* Prints the description of one file; -1 after an error line. */
static int inspect_one(cli_args *a, const char *file)
{
    unsigned flags = a->json ? AUTOCERT_INSPECT_JSON : 0;
    char *text = NULL;
    autocert_err rc = autocert_inspect_file(a->ctx, file, a->password_file, flags, &text);

    if (rc != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        return -1;
    }
    fputs(text, stdout);
    if (a->json)
        fputc('\n', stdout);
    free(text);
    return 0;
}

static int inspect_run(cli_args *a, int argc, char **argv)
{
    char *files[2] = {NULL, NULL};
    int i, ret = EXIT_OK;

    if ((a->cached == NULL) == (argc == 0)) {
        cli_error(a->cached ? "give either files or --cached NAME" : "no file to inspect");
        return EXIT_FAIL;
    }
    if (a->cached) {
        if (cli_cached_files(a, a->cached, &files[0], &files[1]) != 0)
            return EXIT_FAIL;
        argc = 2;
        argv = files;
    }
    for (i = 0; i < argc; i++)
        if (inspect_one(a, argv[i]) != 0)
            ret = EXIT_FAIL;
    free(files[0]);
    free(files[1]);
    return ret;
}

const cli_cmd cli_cmd_inspect = {
    "inspect",
    inspect_run,
    inspect_opts,
    "inspect [--json] [--password-file F] FILE...\n"
    "inspect [--json] [--cache DIR] --cached NAME",
    "describe certificates, CSRs, keys and bundles",
    "Describes every certificate, CSR, key and PKCS#12 bundle in the files: subject,\n"
    "SANs, issuer, validity and days left, key, serial, SHA-256 fingerprint, CA or\n"
    "leaf, and the order of a chain.  --cached describes an ACME certificate of the\n"
    "cache (its full chain and key).",
    NULL,
};
