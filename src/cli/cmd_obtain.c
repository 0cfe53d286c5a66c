/* cmd_obtain.c: `autocert obtain` and `autocert list`: ACME certificates into the cache. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void obtain_usage(FILE *f)
{
    fputs("usage: autocert obtain NAME[,NAME...] [options]\n"
          "\n"
          "Obtains a certificate for the DNS names and IP addresses given (the first names\n"
          "the cache entry) from an ACME CA, answering HTTP-01 challenges, and stores it in\n"
          "the cache.  Prints the paths of the certificate chain and its key.\n"
          "\n"
          "options:\n"
          "  --email ADDR          contact address for the account        [AUTOCERT_EMAIL]\n"
          "  --agree-tos           agree to the CA's terms of service       [AUTOCERT_AGREE_TOS=1]\n"
          "  --directory URL       ACME directory (default Let's Encrypt)   [AUTOCERT_DIRECTORY]\n"
          "  --staging             Let's Encrypt staging directory\n"
          "  --ca-bundle FILE      CA certificates trusted for the ACME server [AUTOCERT_CA_BUNDLE]\n"
          "  --http-port N         port of the HTTP-01 responder (default 80) [AUTOCERT_HTTP_PORT]\n"
          "  --bind ADDR           address of the HTTP-01 responder (default all) [AUTOCERT_BIND]\n"
          "  --webroot DIR         write challenge files under DIR instead  [AUTOCERT_WEBROOT]\n"
          "  --key-type TYPE       ec256 (default), ec384, rsa2048, rsa3072, rsa4096 [AUTOCERT_KEY_TYPE]\n"
          "  --account-key-type T  new account key: ec256 (ES256, default), ec384, rsa2048..4096 (RS256)\n"
          "  --eab-kid KID         External Account Binding key id          [AUTOCERT_EAB_KID]\n"
          "  --eab-hmac-key KEY    External Account Binding MAC key (base64url) [AUTOCERT_EAB_HMAC_KEY]\n"
          "  --cache DIR           cache directory (default ~/.autocert-cache) [AUTOCERT_CACHE]\n"
          "  --timeout SECONDS     give up after this long (default 300)\n"
          "  --force               issue even if a valid certificate is cached\n"
          "  -v, --verbose         more detail (twice: protocol detail)\n"
          "  -q, --quiet           errors only\n"
          "  -h, --help            this help\n",
          f);
}

/* A number in [lo, hi] from `s`, naming `what` on error. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, const char *what,
                      unsigned long *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        goto bad;
    v = strtoul(s, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        goto bad;
    *out = v;
    return 0;
bad:
    cli_error("invalid %s '%s' (expected a number from %lu to %lu)", what, s ? s : "", lo, hi);
    return -1;
}

/* Applies a string option given on the command line or in the environment. */
static const char *opt_or_env(const char *opt, const char *env)
{
    const char *v;

    if (opt)
        return opt;
    v = getenv(env);
    return (v && *v) ? v : NULL;
}

int cmd_obtain(int argc, char **argv)
{
    enum { O_EMAIL = 256, O_TOS, O_DIR, O_STAGING, O_CABUNDLE, O_PORT, O_BIND, O_WEBROOT,
           O_KEYTYPE, O_ACCTKEY, O_EABKID, O_EABKEY, O_CACHE, O_FORCE, O_TIMEOUT };
    static const struct option opts[] = {
        {"email", required_argument, NULL, O_EMAIL},
        {"agree-tos", no_argument, NULL, O_TOS},
        {"directory", required_argument, NULL, O_DIR},
        {"staging", no_argument, NULL, O_STAGING},
        {"ca-bundle", required_argument, NULL, O_CABUNDLE},
        {"http-port", required_argument, NULL, O_PORT},
        {"bind", required_argument, NULL, O_BIND},
        {"webroot", required_argument, NULL, O_WEBROOT},
        {"key-type", required_argument, NULL, O_KEYTYPE},
        {"account-key-type", required_argument, NULL, O_ACCTKEY},
        {"eab-kid", required_argument, NULL, O_EABKID},
        {"eab-hmac-key", required_argument, NULL, O_EABKEY},
        {"cache", required_argument, NULL, O_CACHE},
        {"force", no_argument, NULL, O_FORCE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *email = NULL, *dir = NULL, *cabundle = NULL, *port = NULL, *bind = NULL;
    const char *webroot = NULL, *keytype = NULL, *eabkid = NULL, *eabkey = NULL, *cache = NULL;
    const char *timeout = NULL, *acctkey = NULL, *tos_env;
    int tos = 0, staging = 0, force = 0, c, status = EXIT_FAIL;
    char **names = NULL;
    size_t n = 0;
    autocert_ctx *ctx = NULL;
    autocert_cert *cert = NULL;
    autocert_key_type kt;
    unsigned long num;
    autocert_err rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
        switch (c) {
        case O_EMAIL: email = optarg; break;
        case O_TOS: tos = 1; break;
        case O_DIR: dir = optarg; break;
        case O_STAGING: staging = 1; break;
        case O_CABUNDLE: cabundle = optarg; break;
        case O_PORT: port = optarg; break;
        case O_BIND: bind = optarg; break;
        case O_WEBROOT: webroot = optarg; break;
        case O_KEYTYPE: keytype = optarg; break;
        case O_ACCTKEY: acctkey = optarg; break;
        case O_EABKID: eabkid = optarg; break;
        case O_EABKEY: eabkey = optarg; break;
        case O_CACHE: cache = optarg; break;
        case O_FORCE: force = 1; break;
        case O_TIMEOUT: timeout = optarg; break;
        case 'v': cli_verbose++; break;
        case 'q': cli_quiet = 1; break;
        case 'h': obtain_usage(stdout); return 0;
        default: obtain_usage(stderr); return EXIT_FAIL;
        }
    }
    for (; optind < argc; optind++)
        if (cli_split_list(argv[optind], "name", &names, &n) != 0)
            goto out;
    if (n == 0) {
        cli_error("no names given (e.g. autocert obtain example.com,www.example.com)");
        goto out;
    }
    if (staging && dir) {
        cli_error("--staging and --directory exclude each other");
        goto out;
    }
    if ((ctx = autocert_ctx_new()) == NULL) {
        cli_error("out of memory");
        goto out;
    }
    autocert_set_logger(ctx, cli_log, NULL);
    autocert_set_log_level(ctx, cli_quiet ? AUTOCERT_LOG_WARN
                                : cli_verbose > 1 ? AUTOCERT_LOG_DEBUG : AUTOCERT_LOG_INFO);

    tos_env = getenv("AUTOCERT_AGREE_TOS");
    if (tos_env && (strcmp(tos_env, "1") == 0 || strcmp(tos_env, "yes") == 0 ||
                    strcmp(tos_env, "true") == 0))
        tos = 1;
    autocert_set_agree_tos(ctx, tos);
    dir = staging ? AUTOCERT_LETSENCRYPT_STAGING_URL : opt_or_env(dir, "AUTOCERT_DIRECTORY");
    email = opt_or_env(email, "AUTOCERT_EMAIL");
    cabundle = opt_or_env(cabundle, "AUTOCERT_CA_BUNDLE");
    port = opt_or_env(port, "AUTOCERT_HTTP_PORT");
    bind = opt_or_env(bind, "AUTOCERT_BIND");
    webroot = opt_or_env(webroot, "AUTOCERT_WEBROOT");
    keytype = opt_or_env(keytype, "AUTOCERT_KEY_TYPE");
    eabkid = opt_or_env(eabkid, "AUTOCERT_EAB_KID");
    eabkey = opt_or_env(eabkey, "AUTOCERT_EAB_HMAC_KEY");

    if ((dir && (rc = autocert_set_directory(ctx, dir)) != AUTOCERT_OK) ||
        (email && (rc = autocert_set_email(ctx, email)) != AUTOCERT_OK) ||
        ((eabkid || eabkey) && (rc = autocert_set_eab(ctx, eabkid, eabkey)) != AUTOCERT_OK)) {
        cli_fail(ctx, rc, NULL);
        goto out;
    }
    if (cabundle) {
        FILE *f = fopen(cabundle, "r");
        if (f == NULL) {
            cli_error("cannot read CA bundle '%s': %s", cabundle, strerror(errno));
            goto out;
        }
        fclose(f);
        autocert_set_ca_bundle(ctx, cabundle);
    }
    num = 80;
    if (port && parse_uint(port, 1, 65535, "HTTP port", &num) != 0)
        goto out;
    if ((rc = autocert_set_http01(ctx, bind, (unsigned)num)) != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        goto out;
    }
    if (webroot && (rc = autocert_set_webroot(ctx, webroot)) != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        goto out;
    }
    if (keytype) {
        if (autocert_key_type_parse(keytype, &kt) != AUTOCERT_OK || kt == AUTOCERT_KEY_ED25519) {
            cli_error("unknown key type '%s' (ec256, ec384, rsa2048, rsa3072, rsa4096)", keytype);
            goto out;
        }
        autocert_set_key_type(ctx, kt);
    }
    if (acctkey) {
        if (autocert_key_type_parse(acctkey, &kt) != AUTOCERT_OK || kt == AUTOCERT_KEY_ED25519) {
            cli_error("unknown account key type '%s' (ec256, ec384, rsa2048, rsa3072, rsa4096)",
                      acctkey);
            goto out;
        }
        autocert_set_account_key_type(ctx, kt);
    }
    if (timeout) {
        if (parse_uint(timeout, 1, 86400, "timeout", &num) != 0)
            goto out;
        autocert_set_timeout(ctx, (unsigned)num);
    }
    if ((rc = autocert_set_cache_dir(ctx, cache)) != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        goto out;
    }

    rc = autocert_obtain(ctx, (const char *const *)names, n, force ? AUTOCERT_OBTAIN_FORCE : 0, &cert);
    if (rc != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        goto out;
    }
    if (autocert_cert_fullchain_path(cert)) {
        printf("certificate: %s\n", autocert_cert_fullchain_path(cert));
        printf("key: %s\n", autocert_cert_key_path(cert));
    } else {
        fputs(autocert_cert_fullchain_pem(cert), stdout);
    }
    if (fflush(stdout) != 0) {
        cli_error("cannot write to standard output");
        goto out;
    }
    status = 0;
out:
    if (ctx && cli_verbose) {
        fprintf(stderr, "connections: %lu\n", autocert_connection_count(ctx));
        fprintf(stderr, "requests: %lu\n", autocert_request_count(ctx));
    }
    autocert_cert_free(cert);
    autocert_ctx_free(ctx);
    autocert_strv_free(names, n);
    return status;
}

int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        {"cache", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cache = NULL;
    autocert_ctx *ctx = NULL;
    char **names = NULL;
    size_t n = 0, i, j;
    int c, status = EXIT_FAIL;
    autocert_err rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cache = optarg; break;
        case 'h':
            puts("usage: autocert list [--cache DIR]\n\nLists the cached certificates: entry, "
                 "expiry, days left, names.");
            return 0;
        default: return EXIT_FAIL;
        }
    }
    if (optind != argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        return EXIT_FAIL;
    }
    if ((ctx = autocert_ctx_new()) == NULL) {
        cli_error("out of memory");
        return EXIT_FAIL;
    }
    if ((rc = autocert_set_cache_dir(ctx, cache)) != AUTOCERT_OK ||
        (rc = autocert_cert_list(ctx, &names, &n)) != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        goto out;
    }
    status = 0;
    for (i = 0; i < n; i++) {
        autocert_cert *cert = NULL;
        char when[32];
        struct tm tm;
        time_t na;

        if ((rc = autocert_cert_load(ctx, names[i], &cert)) != AUTOCERT_OK) {
            cli_fail(ctx, rc, names[i]);
            status = EXIT_FAIL;
            continue;
        }
        na = autocert_cert_not_after(cert);
        if (gmtime_r(&na, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d", &tm) == 0)
            snprintf(when, sizeof(when), "?");
        printf("%s\texpires %s (%lld days)\t", autocert_cert_name(cert), when,
               (long long)((na - time(NULL)) / 86400));
        for (j = 0; j < autocert_cert_identifier_count(cert); j++)
            printf("%s%s", j ? "," : "", autocert_cert_identifier(cert, j));
        putchar('\n');
        autocert_cert_free(cert);
    }
out:
    autocert_strv_free(names, n);
    autocert_ctx_free(ctx);
    return status;
}
