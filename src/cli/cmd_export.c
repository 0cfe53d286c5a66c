/* cmd_export.c: `autocert export`: a certificate, its chain and key as a PKCS#12 bundle. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_ca_util.h"

static void export_usage(FILE *f)
{
    fputs("usage: autocert export --p12 OUT --cert F --key F [--chain F] --password-file F\n"
          "       autocert export --p12 OUT [--cache DIR] --cached NAME --password-file F\n"
          "\n"
          "Writes a PKCS#12 bundle (AES-256, PBKDF2, SHA-256 MAC; mode 0600) of the first\n"
          "certificate of --cert, the other certificates of --cert and --chain, and the\n"
          "key, which must match.  Keys may be read from encrypted PKCS#8 or PKCS#12.\n"
          "\n"
          "options:\n"
          "  --p12 OUT               the bundle to write (never replaced without --force)\n"
          "  --cert FILE             the certificate (and its chain)\n"
          "  --key FILE              its private key\n"
          "  --chain FILE            more intermediate certificates\n"
          "  --password-file F       the bundle's password (first line)\n"
          "  --key-password-file F   password of an encrypted key input\n"
          "  --cached NAME           certificate and key of the cache entry NAME\n"
          "  --cache DIR             the cache (default $AUTOCERT_CACHE or ~/.autocert-cache)\n"
          "  --force                 replace OUT\n"
          "  -h, --help              this help\n",
          f);
}

int cmd_export(int argc, char **argv)
{
    enum { O_P12 = 256, O_CERT, O_KEY, O_CHAIN, O_PW, O_KEYPW, O_CACHED, O_CACHE, O_FORCE };
    static const struct option opts[] = {
        {"p12", required_argument, NULL, O_P12},
        {"cert", required_argument, NULL, O_CERT},
        {"key", required_argument, NULL, O_KEY},
        {"chain", required_argument, NULL, O_CHAIN},
        {"password-file", required_argument, NULL, O_PW},
        {"key-password-file", required_argument, NULL, O_KEYPW},
        {"cached", required_argument, NULL, O_CACHED},
        {"cache", required_argument, NULL, O_CACHE},
        {"force", no_argument, NULL, O_FORCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    autocert_ctx *ctx = NULL;
    const char *out = NULL, *cert = NULL, *key = NULL, *chain = NULL, *pw = NULL, *keypw = NULL;
    const char *cached = NULL, *cache = NULL;
    char *ccert = NULL, *ckey = NULL;
    unsigned flags = 0;
    int c, ret = EXIT_FAIL;
    autocert_err rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_P12: out = optarg; break;
        case O_CERT: cert = optarg; break;
        case O_KEY: key = optarg; break;
        case O_CHAIN: chain = optarg; break;
        case O_PW: pw = optarg; break;
        case O_KEYPW: keypw = optarg; break;
        case O_CACHED: cached = optarg; break;
        case O_CACHE: cache = optarg; break;
        case O_FORCE: flags |= AUTOCERT_CA_FORCE; break;
        case 'h': export_usage(stdout); return 0;
        default: export_usage(stderr); return EXIT_FAIL;
        }
    }
    if (optind != argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        return EXIT_FAIL;
    }
    if (out == NULL || pw == NULL) {
        cli_error("export needs --p12 OUT and --password-file F");
        return EXIT_FAIL;
    }
    if (cached ? (cert || key) : (!cert || !key)) {
        cli_error(cached ? "give either --cert/--key or --cached NAME" : "export needs --cert and --key");
        return EXIT_FAIL;
    }
    if ((ctx = cli_ca_ctx()) == NULL)
        return EXIT_FAIL;
    if (cached) {
        if (cli_ca_cached(ctx, cache, cached, &ccert, &ckey) != 0)
            goto out;
        cert = ccert;
        key = ckey;
    }
    if ((rc = autocert_export_p12(ctx, out, cert, key, chain, pw, keypw, flags)) != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        goto out;
    }
    if (!cli_quiet)
        printf("pkcs12: %s\n", out);
    ret = 0;
out:
    free(ccert);
    free(ckey);
    autocert_ctx_free(ctx);
    return ret;
}
