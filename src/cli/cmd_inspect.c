/* cmd_inspect.c: `autocert inspect`: describe certificates, CSRs, keys and bundles. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_ca_util.h"

static void inspect_usage(FILE *f)
{
    fputs("usage: autocert inspect [--json] [--password-file F] FILE...\n"
          "       autocert inspect [--json] [--cache DIR] --cached NAME\n"
          "\n"
          "Describes every certificate, CSR, key and PKCS#12 bundle in the files: subject,\n"
          "SANs, issuer, validity and days left, key, serial, SHA-256 fingerprint, CA or\n"
          "leaf, and the order of a chain.  --cached describes an ACME certificate of the\n"
          "cache (its full chain and key).\n"
          "\n"
          "options:\n"
          "  --json               one JSON object per file, one a line\n"
          "  --password-file F    opens encrypted keys and PKCS#12 files (first line)\n"
          "  --cached NAME        the cache entry NAME instead of files\n"
          "  --cache DIR          the cache (default $AUTOCERT_CACHE or ~/.autocert-cache)\n"
          "  -h, --help           this help\n",
          f);
}

int cmd_inspect(int argc, char **argv)
{
    enum { O_JSON = 256, O_PW, O_CACHED, O_CACHE };
    static const struct option opts[] = {
        {"json", no_argument, NULL, O_JSON},
        {"password-file", required_argument, NULL, O_PW},
        {"cached", required_argument, NULL, O_CACHED},
        {"cache", required_argument, NULL, O_CACHE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    autocert_ctx *ctx = NULL;
    const char *pwfile = NULL, *cached = NULL, *cache = NULL;
    char *files[2] = {NULL, NULL};
    unsigned flags = 0;
    int c, i, ret = EXIT_FAIL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_JSON: flags |= AUTOCERT_INSPECT_JSON; break;
        case O_PW: pwfile = optarg; break;
        case O_CACHED: cached = optarg; break;
        case O_CACHE: cache = optarg; break;
        case 'h': inspect_usage(stdout); return 0;
        default: inspect_usage(stderr); return EXIT_FAIL;
        }
    }
    if ((cached == NULL) == (optind == argc)) {
        cli_error(cached ? "give either files or --cached NAME" : "no file to inspect");
        return EXIT_FAIL;
    }
    if ((ctx = cli_ca_ctx()) == NULL)
        return EXIT_FAIL;
    if (cached && cli_ca_cached(ctx, cache, cached, &files[0], &files[1]) != 0)
        goto out;
    ret = 0;
    for (i = 0; cached ? i < 2 : optind + i < argc; i++) {
        const char *f = cached ? files[i] : argv[optind + i];
        char *text = NULL;
        autocert_err rc = autocert_inspect_file(ctx, f, pwfile, flags, &text);

        if (rc != AUTOCERT_OK) {
            cli_fail(ctx, rc, NULL);
            ret = EXIT_FAIL;
            continue;
        }
        fputs(text, stdout);
        if (flags & AUTOCERT_INSPECT_JSON)
            fputc('\n', stdout);
        free(text);
    }
out:
    free(files[0]);
    free(files[1]);
    autocert_ctx_free(ctx);
    return ret;
}
