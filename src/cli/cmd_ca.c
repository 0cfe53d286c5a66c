/* cmd_ca.c: `autocert ca create|issue|sign`: a private CA for one's own nodes. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_ca_util.h"

static void ca_usage(FILE *f)
{
    fputs("usage: autocert ca create [--out DIR] [--cn NAME] [--days N] [--key-type TYPE] [--force]\n"
          "       autocert ca create --intermediate --ca-cert ROOT.crt --ca-key ROOT.key [...]\n"
          "       autocert ca issue --ca-cert F --ca-key F --dns NAME,... --ip ADDR,... [options]\n"
          "       autocert ca sign --csr FILE --ca-cert F --ca-key F [options]\n"
          "\n"
          "create: a root CA (DIR/ca.crt, DIR/ca.key); with --intermediate a CA with\n"
          "pathLen 0 signed by the given CA (DIR/intermediate.crt, .key).\n"
          "issue: a node key and certificate (DIR/node.crt holds the certificate followed\n"
          "by the issuer's intermediates, DIR/node.key).  sign: a certificate for a CSR.\n"
          "\n"
          "options:\n"
          "  --out DIR                output directory (default .; created 0700)\n"
          "  --name BASE              base name of the files (ca, intermediate, node)\n"
          "  --cn NAME                common name (default \"autocert CA\", or the first DNS name)\n"
          "  --days N                 validity (CAs 1825, nodes 365; never past the issuer)\n"
          "  --key-type TYPE          ec256 (default), ec384, ed25519, rsa2048, rsa3072, rsa4096\n"
          "  --ca-cert FILE           the issuing CA's certificate\n"
          "  --ca-key FILE            its key (PEM, encrypted PKCS#8, DER or PKCS#12)\n"
          "  --ca-key-password-file F password of an encrypted issuing key (first line)\n"
          "  --dns NAME,...           DNS names of the node (issue; sign: replace the CSR's)\n"
          "  --ip ADDR,...            IP addresses of the node\n"
          "  --server | --client | --both   extendedKeyUsage (default --server)\n"
          "  --csr FILE               the CSR to sign (sign)\n"
          "  --force                  replace existing files\n"
          "  -h, --help               this help\n",
          f);
}

int cmd_ca(int argc, char **argv)
{
    enum { O_OUT = 256, O_NAME, O_CN, O_DAYS, O_KEYTYPE, O_CACERT, O_CAKEY, O_CAKEYPW, O_DNS, O_IP,
           O_SERVER, O_CLIENT, O_BOTH, O_CSR, O_FORCE, O_INTER };
    static const struct option opts[] = {
        {"out", required_argument, NULL, O_OUT},
        {"name", required_argument, NULL, O_NAME},
        {"cn", required_argument, NULL, O_CN},
        {"days", required_argument, NULL, O_DAYS},
        {"key-type", required_argument, NULL, O_KEYTYPE},
        {"ca-cert", required_argument, NULL, O_CACERT},
        {"ca-key", required_argument, NULL, O_CAKEY},
        {"ca-key-password-file", required_argument, NULL, O_CAKEYPW},
        {"dns", required_argument, NULL, O_DNS},
        {"ip", required_argument, NULL, O_IP},
        {"server", no_argument, NULL, O_SERVER},
        {"client", no_argument, NULL, O_CLIENT},
        {"both", no_argument, NULL, O_BOTH},
        {"csr", required_argument, NULL, O_CSR},
        {"force", no_argument, NULL, O_FORCE},
        {"intermediate", no_argument, NULL, O_INTER},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    autocert_ca_params p;
    autocert_ctx *ctx = NULL;
    char **dns = NULL, **ips = NULL, *cert_path = NULL, *key_path = NULL;
    size_t n_dns = 0, n_ips = 0;
    const char *sub;
    int c, ret = EXIT_FAIL, roles = 0, keytype_set = 0;
    autocert_err rc;

    autocert_ca_params_init(&p);
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        ca_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_FAIL : 0;
    }
    sub = argv[1];
    if (strcmp(sub, "create") != 0 && strcmp(sub, "issue") != 0 && strcmp(sub, "sign") != 0) {
        cli_error("unknown ca command '%s' (create, issue or sign)", sub);
        return EXIT_FAIL;
    }
    argc--;
    argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_OUT: p.out_dir = optarg; break;
        case O_NAME: p.name = optarg; break;
        case O_CN: p.common_name = optarg; break;
        case O_DAYS:
            if (cli_ca_days(optarg, &p.days) != 0)
                goto out;
            break;
        case O_KEYTYPE:
            if (autocert_key_type_parse(optarg, &p.key_type) != AUTOCERT_OK) {
                cli_error("invalid --key-type '%s' (ec256, ec384, ed25519, rsa2048, rsa3072, rsa4096)",
                          optarg);
                goto out;
            }
            keytype_set = 1;
            break;
        case O_CACERT: p.issuer_cert = optarg; break;
        case O_CAKEY: p.issuer_key = optarg; break;
        case O_CAKEYPW: p.issuer_key_password_file = optarg; break;
        case O_DNS:
            if (cli_split_list(optarg, "DNS name", &dns, &n_dns) != 0)
                goto out;
            break;
        case O_IP:
            if (cli_split_list(optarg, "IP address", &ips, &n_ips) != 0)
                goto out;
            break;
        case O_SERVER: p.usage = AUTOCERT_USAGE_SERVER; roles++; break;
        case O_CLIENT: p.usage = AUTOCERT_USAGE_CLIENT; roles++; break;
        case O_BOTH: p.usage = AUTOCERT_USAGE_SERVER | AUTOCERT_USAGE_CLIENT; roles++; break;
        case O_CSR: p.csr = optarg; break;
        case O_FORCE: p.flags |= AUTOCERT_CA_FORCE; break;
        case O_INTER: p.flags |= AUTOCERT_CA_INTERMEDIATE; break;
        case 'h': ca_usage(stdout); ret = 0; goto out;
        default: ca_usage(stderr); goto out;
        }
    }
    if (optind != argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (roles > 1) {
        cli_error("give only one of --server, --client and --both");
        goto out;
    }
    if (strcmp(sub, "create") == 0) {
        if (n_dns || n_ips || roles || p.csr) {
            cli_error("ca create takes no --dns, --ip, --server/--client/--both or --csr");
            goto out;
        }
        if ((p.flags & AUTOCERT_CA_INTERMEDIATE) && (!p.issuer_cert || !p.issuer_key)) {
            cli_error("--intermediate needs --ca-cert and --ca-key of the issuing CA");
            goto out;
        }
        if (!(p.flags & AUTOCERT_CA_INTERMEDIATE) && (p.issuer_cert || p.issuer_key)) {
            cli_error("--ca-cert and --ca-key are for --intermediate; a root CA signs itself");
            goto out;
        }
    } else {
        if (p.flags & AUTOCERT_CA_INTERMEDIATE) {
            cli_error("--intermediate is an option of ca create");
            goto out;
        }
        if (!p.issuer_cert || !p.issuer_key) {
            cli_error("ca %s needs --ca-cert and --ca-key", sub);
            goto out;
        }
        if (strcmp(sub, "issue") == 0 && n_dns + n_ips == 0) {
            cli_error("ca issue needs at least one --dns name or --ip address");
            goto out;
        }
        if (strcmp(sub, "sign") == 0 && (p.csr == NULL || keytype_set)) {
            cli_error(p.csr ? "ca sign uses the CSR's key: --key-type does not apply"
                            : "ca sign needs --csr FILE");
            goto out;
        }
        if (strcmp(sub, "issue") == 0 && p.csr) {
            cli_error("--csr is for ca sign");
            goto out;
        }
    }
    p.dns = (const char *const *)dns;
    p.n_dns = n_dns;
    p.ips = (const char *const *)ips;
    p.n_ips = n_ips;
    if ((ctx = cli_ca_ctx()) == NULL)
        goto out;
    if (strcmp(sub, "create") == 0)
        rc = autocert_ca_create(ctx, &p, &cert_path, &key_path);
    else if (strcmp(sub, "issue") == 0)
        rc = autocert_ca_issue(ctx, &p, &cert_path, &key_path);
    else
        rc = autocert_ca_sign(ctx, &p, &cert_path);
    if (rc != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        goto out;
    }
    if (!cli_quiet) {
        printf("certificate: %s\n", cert_path);
        if (key_path)
            printf("key: %s\n", key_path);
    }
    ret = 0;
out:
    free(cert_path);
    free(key_path);
    autocert_strv_free(dns, n_dns);
    autocert_strv_free(ips, n_ips);
    autocert_ctx_free(ctx);
    return ret;
}
