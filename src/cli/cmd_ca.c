/* cmd_ca.c: `autocert ca create|issue|sign`: a private CA for one's own nodes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt_id ca_opts[] = {
    CLI_O_OUT, CLI_O_NAME, CLI_O_CN, CLI_O_DAYS, CLI_O_CA_KEY_TYPE, CLI_O_CA_CERT,
    CLI_O_CA_KEY, CLI_O_CA_KEY_PW, CLI_O_DNS, CLI_O_NODE_IP, CLI_O_SERVER, CLI_O_CLIENT,
    CLI_O_BOTH, CLI_O_CSR, CLI_O_INTERMEDIATE, CLI_O_FORCE_FILES, CLI_O_NONE,
};

/* The number of --server, --client and --both given. */
static int roles(const cli_args *a)
{
    return !!a->from[CLI_O_SERVER] + !!a->from[CLI_O_CLIENT] + !!a->from[CLI_O_BOTH];
}

static int check_create(const cli_args *a)
{
    if (a->n_dns || a->n_ips || roles(a) || a->ca.csr) {
        cli_error("ca create takes no --dns, --ip, --server/--client/--both or --csr");
        return -1;
    }
    if (a->intermediate && (!a->ca.issuer_cert || !a->ca.issuer_key)) {
        cli_error("--intermediate needs --ca-cert and --ca-key of the issuing CA");
        return -1;
    }
    if (!a->intermediate && (a->ca.issuer_cert || a->ca.issuer_key)) {
        cli_error("--ca-cert and --ca-key are for --intermediate; a root CA signs itself");
        return -1;
    }
    return 0;
}

/* What issue and sign both need: an issuer, and no --intermediate. */
static int check_node(const cli_args *a, const char *sub)
{
    if (a->intermediate) {
        cli_error("--intermediate is an option of ca create");
        return -1;
    }
    if (!a->ca.issuer_cert || !a->ca.issuer_key) {
        cli_error("ca %s needs --ca-cert and --ca-key", sub);
        return -1;
    }
    return 0;
}

static int check_issue(const cli_args *a)
{
    /* Without --dns and --ip the library's AUTOCERT_ERR_NO_NAMES gets the hint. */
    if (check_node(a, "issue") != 0)
        return -1;
    if (a->ca.csr) {
        cli_error("--csr is for ca sign");
        return -1;
    }
    return 0;
}

static int check_sign(const cli_args *a)
{
    if (check_node(a, "sign") != 0)
        return -1;
    if (a->ca.csr == NULL) {
        cli_error("ca sign needs --csr FILE");
        return -1;
    }
    if (a->from[CLI_O_CA_KEY_TYPE]) {
        cli_error("ca sign uses the CSR's key: --key-type does not apply");
        return -1;
    }
    return 0;
}

static autocert_err sign(autocert_ctx *ctx, const autocert_ca_params *p, char **cert, char **key)
{
    (void)key;
    return autocert_ca_sign(ctx, p, cert);
}

static const struct {
    const char *name;
    int (*check)(const cli_args *a);
    autocert_err (*make)(autocert_ctx *ctx, const autocert_ca_params *p, char **cert, char **key);
} subs[] = {
    {"create", check_create, autocert_ca_create},
    {"issue", check_issue, autocert_ca_issue},
    {"sign", check_sign, sign},
};
#define N_SUBS (sizeof(subs) / sizeof(subs[0]))

static int ca_run(cli_args *a, int argc, char **argv)
{
    char *cert = NULL, *key = NULL;
    size_t i;
    autocert_err rc;

    if (argc == 0) {
        cli_usage(stderr, a->cmd);
        return EXIT_FAIL;
    }
    for (i = 0; i < N_SUBS && strcmp(argv[0], subs[i].name) != 0; i++)
        ;
    if (i == N_SUBS) {
        cli_error("unknown ca command '%s' (create, issue or sign)", argv[0]);
        return EXIT_FAIL;
    }
    if (argc > 1) {
        cli_error("unexpected argument '%s'", argv[1]);
        return EXIT_FAIL;
    }
    if (roles(a) > 1) {
        cli_error("give only one of --server, --client and --both");
        return EXIT_FAIL;
    }
    if (subs[i].check(a) != 0)
        return EXIT_FAIL;
    a->ca.dns = (const char *const *)a->dns;
    a->ca.n_dns = a->n_dns;
    a->ca.ips = (const char *const *)a->ips;
    a->ca.n_ips = a->n_ips;
    a->ca.flags = (a->force ? AUTOCERT_CA_FORCE : 0) |
                  (a->intermediate ? AUTOCERT_CA_INTERMEDIATE : 0);
    if ((rc = subs[i].make(a->ctx, &a->ca, &cert, &key)) != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        return EXIT_FAIL;
    }
    if (!a->quiet) {
        printf("certificate: %s\n", cert);
        if (key)
            printf("key: %s\n", key);
    }
    free(cert);
    free(key);
    return EXIT_OK;
}

const cli_cmd cli_cmd_ca = {
    "ca",
    ca_run,
    ca_opts,
    "ca create [--out DIR] [--cn NAME] [--days N] [--key-type TYPE] [--force]\n"
    "ca create --intermediate --ca-cert ROOT.crt --ca-key ROOT.key [...]\n"
    "ca issue --ca-cert F --ca-key F --dns NAME,... --ip ADDR,... [options]\n"
    "ca sign --csr FILE --ca-cert F --ca-key F [options]",
    "private CA: create a CA, issue and sign node certificates",
    "create: a root CA (DIR/ca.crt, DIR/ca.key); with --intermediate a CA with\n"
    "pathLen 0 signed by the given CA (DIR/intermediate.crt, .key).\n"
    "issue: a node key and certificate (DIR/node.crt holds the certificate followed\n"
    "by the issuer's intermediates, DIR/node.key).  sign: a certificate for a CSR.\n"
    "With -q nothing is printed on success.",
    NULL,
};
