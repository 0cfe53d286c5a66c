/* cmd_verify.c: `autocert verify`: a certificate's chain, name and usage against a CA. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_ca_util.h"

static void verify_usage(FILE *f)
{
    fputs("usage: autocert verify --ca CA.crt [--host NAME | --ip ADDR] [--purpose server|client] CERT\n"
          "       autocert verify --ca CA.crt [...] [--cache DIR] --cached NAME\n"
          "\n"
          "Verifies the first certificate of CERT (the others are taken as intermediates)\n"
          "up to a CA certificate of CA.crt, and the name and usage asked for.  On failure\n"
          "prints the reason (expired, wrong issuer, name mismatch, wrong usage).\n"
          "\n"
          "options:\n"
          "  --ca FILE            trusted CA certificates\n"
          "  --host NAME          the certificate must be valid for this DNS name\n"
          "  --ip ADDR            the certificate must be valid for this IP address\n"
          "  --purpose P          server or client (TLS authentication)\n"
          "  --cached NAME        the cache entry NAME instead of CERT\n"
          "  --cache DIR          the cache (default $AUTOCERT_CACHE or ~/.autocert-cache)\n"
          "  -h, --help           this help\n",
          f);
}

int cmd_verify(int argc, char **argv)
{
    enum { O_CA = 256, O_HOST, O_IP, O_PURPOSE, O_CACHED, O_CACHE };
    static const struct option opts[] = {
        {"ca", required_argument, NULL, O_CA},
        {"host", required_argument, NULL, O_HOST},
        {"ip", required_argument, NULL, O_IP},
        {"purpose", required_argument, NULL, O_PURPOSE},
        {"cached", required_argument, NULL, O_CACHED},
        {"cache", required_argument, NULL, O_CACHE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    autocert_ctx *ctx = NULL;
    const char *ca = NULL, *host = NULL, *ip = NULL, *cached = NULL, *cache = NULL, *cert;
    char *ccert = NULL, *ckey = NULL, *summary = NULL;
    unsigned purpose = 0;
    int c, ret = EXIT_FAIL;
    autocert_err rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_CA: ca = optarg; break;
        case O_HOST: host = optarg; break;
        case O_IP: ip = optarg; break;
        case O_PURPOSE:
            if (strcmp(optarg, "server") == 0)
                purpose = AUTOCERT_USAGE_SERVER;
            else if (strcmp(optarg, "client") == 0)
                purpose = AUTOCERT_USAGE_CLIENT;
            else {
                cli_error("invalid --purpose '%s' (server or client)", optarg);
                return EXIT_FAIL;
            }
            break;
        case O_CACHED: cached = optarg; break;
        case O_CACHE: cache = optarg; break;
        case 'h': verify_usage(stdout); return 0;
        default: verify_usage(stderr); return EXIT_FAIL;
        }
    }
    if (ca == NULL) {
        cli_error("verify needs --ca FILE");
        return EXIT_FAIL;
    }
    if (host && ip) {
        cli_error("give --host or --ip, not both");
        return EXIT_FAIL;
    }
    if (cached ? optind != argc : optind + 1 != argc) {
        cli_error(cached ? "give either CERT or --cached NAME" : "verify needs exactly one CERT");
        return EXIT_FAIL;
    }
    if ((ctx = cli_ca_ctx()) == NULL)
        return EXIT_FAIL;
    if (cached && cli_ca_cached(ctx, cache, cached, &ccert, &ckey) != 0)
        goto out;
    cert = cached ? ccert : argv[optind];
    if ((rc = autocert_verify_file(ctx, cert, ca, host, ip, purpose, &summary)) != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        goto out;
    }
    if (!cli_quiet)
        printf("%s: OK (%s)\n", cert, summary);
    ret = 0;
out:
    free(summary);
    free(ccert);
    free(ckey);
    autocert_ctx_free(ctx);
    return ret;
}
