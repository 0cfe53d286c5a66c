/* cli_opts.c: the table of every option (flag, variable, setter, help) and the setters that validate them. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define FIELD(f) offsetof(cli_args, f)

int cli_set_str(cli_args *a, cli_opt_id id, const char *val)
{
    *(const char **)(void *)((char *)a + cli_opts[id].off) = val;
    return 0;
}

int cli_set_flag(cli_args *a, cli_opt_id id, const char *val)
{
    (void)val;
    *(int *)(void *)((char *)a + cli_opts[id].off) = 1;
    return 0;
}

/* A decimal number in [lo, hi]. */
static int number(cli_args *a, cli_opt_id id, const char *val, unsigned long lo,
                  unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    if (*val == '\0' || *val == '-' || *val == '+')
        goto bad;
    v = strtoul(val, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        goto bad;
    *out = v;
    return 0;
bad:
    return cli_invalid(a, id, val, "expected a number from %lu to %lu", lo, hi);
}

/* Fails with the library's reason when a context setter refused the value. */
static int library_says(cli_args *a, cli_opt_id id, const char *val, autocert_err rc)
{
    const char *msg = autocert_last_error(a->ctx);

    if (rc == AUTOCERT_OK)
        return 0;
    return cli_invalid(a, id, val, "%s", *msg ? msg : autocert_strerror(rc));
}

static int set_verbose(cli_args *a, cli_opt_id id, const char *val)
{
    (void)id;
    (void)val;
    a->verbose++;
    return 0;
}

/* ---- ACME ---- */

static int set_email(cli_args *a, cli_opt_id id, const char *val)
{
    return library_says(a, id, val, autocert_set_email(a->ctx, val));
}

static int set_agree_tos(cli_args *a, cli_opt_id id, const char *val)
{
    (void)id;
    (void)val;
    autocert_set_agree_tos(a->ctx, 1);
    return 0;
}

static int set_directory(cli_args *a, cli_opt_id id, const char *val)
{
    return library_says(a, id, val, autocert_set_directory(a->ctx, val));
}

static int set_staging(cli_args *a, cli_opt_id id, const char *val)
{
    (void)val;
    return library_says(a, id, NULL,
                        autocert_set_directory(a->ctx, AUTOCERT_LETSENCRYPT_STAGING_URL));
}

static int set_allow_http(cli_args *a, cli_opt_id id, const char *val)
{
    (void)id;
    (void)val;
    autocert_set_allow_http(a->ctx, 1);
    return 0;
}

static int set_ca_bundle(cli_args *a, cli_opt_id id, const char *val)
{
    FILE *f = fopen(val, "r");

    if (f == NULL)
        return cli_invalid(a, id, val, "cannot read it: %s", strerror(errno));
    fclose(f);
    return library_says(a, id, val, autocert_set_ca_bundle(a->ctx, val));
}

static int set_http_port(cli_args *a, cli_opt_id id, const char *val)
{
    unsigned long v;

    if (number(a, id, val, 1, 65535, &v) != 0)
        return -1;
    a->http_port = (unsigned)v;
    return 0;
}

static int set_bind(cli_args *a, cli_opt_id id, const char *val)
{
    unsigned char buf[sizeof(struct in6_addr)];

    if (inet_pton(AF_INET, val, buf) != 1 && inet_pton(AF_INET6, val, buf) != 1)
        return cli_invalid(a, id, val, "expected an IPv4 or IPv6 address");
    a->bind = val;
    return 0;
}

static int set_webroot(cli_args *a, cli_opt_id id, const char *val)
{
    struct stat st;

    if (stat(val, &st) != 0)
        return cli_invalid(a, id, val, "%s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return cli_invalid(a, id, val, "not a directory");
    return library_says(a, id, val, autocert_set_webroot(a->ctx, val));
}

static int set_challenge(cli_args *a, cli_opt_id id, const char *val)
{
    /* tls-alpn-01 is the library's to refuse, with the reason: only a
     * server's own TLS listener answers it. */
    if (strcmp(val, "http-01") != 0 && strcmp(val, "dns-01") != 0 &&
        strcmp(val, "tls-alpn-01") != 0)
        return cli_invalid(a, id, val, "http-01 or dns-01");
    a->challenge = val;
    return library_says(a, id, val, autocert_set_challenge(a->ctx, val));
}

static int set_dns_hook(cli_args *a, cli_opt_id id, const char *val)
{
    a->dns_hook = val;
    return library_says(a, id, val, autocert_set_dns_hook(a->ctx, val));
}

static int set_profile(cli_args *a, cli_opt_id id, const char *val)
{
    return library_says(a, id, val, autocert_set_profile(a->ctx, val));
}

/* A key type an ACME CA issues for (every type but ed25519). */
static int acme_key_type(cli_args *a, cli_opt_id id, const char *val, autocert_key_type *kt)
{
    if (autocert_key_type_parse(val, kt) != AUTOCERT_OK || *kt == AUTOCERT_KEY_ED25519)
        return cli_invalid(a, id, val, "ec256, ec384, rsa2048, rsa3072 or rsa4096");
    return 0;
}

static int set_key_type(cli_args *a, cli_opt_id id, const char *val)
{
    autocert_key_type kt;

    if (acme_key_type(a, id, val, &kt) != 0)
        return -1;
    autocert_set_key_type(a->ctx, kt);
    return 0;
}

static int set_account_key_type(cli_args *a, cli_opt_id id, const char *val)
{
    autocert_key_type kt;

    if (acme_key_type(a, id, val, &kt) != 0)
        return -1;
    autocert_set_account_key_type(a->ctx, kt);
    return 0;
}

static int set_preferred_chain(cli_args *a, cli_opt_id id, const char *val)
{
    return library_says(a, id, val, autocert_set_preferred_chain(a->ctx, val));
}

static int set_eab_kid(cli_args *a, cli_opt_id id, const char *val)
{
    if (*val == '\0')
        return cli_invalid(a, id, val, "empty key id");
    a->eab_kid = val;
    return 0;
}

static int set_timeout(cli_args *a, cli_opt_id id, const char *val)
{
    unsigned long v;

    if (number(a, id, val, 1, 86400, &v) != 0)
        return -1;
    autocert_set_timeout(a->ctx, (unsigned)v);
    return 0;
}

static int set_reason(cli_args *a, cli_opt_id id, const char *val)
{
    if (autocert_revoke_reason_parse(val, &a->reason) != AUTOCERT_OK)
        return cli_invalid(a, id, val, "unspecified, keyCompromise, superseded, "
                           "cessationOfOperation or affiliationChanged");
    return 0;
}

/* ---- renew ---- */

static int set_renew_cert(cli_args *a, cli_opt_id id, const char *val)
{
    int rc = cli_split_list(val, &a->renew_certs, &a->n_renew_certs);

    if (rc == -2)
        return cli_invalid(a, id, val, "empty name");
    return rc;
}

static int set_renew_days(cli_args *a, cli_opt_id id, const char *val)
{
    unsigned long v;

    if (number(a, id, val, 1, 3650, &v) != 0)
        return -1;
    autocert_set_renew_days(a->ctx, (unsigned)v);
    return 0;
}

static int set_jobs(cli_args *a, cli_opt_id id, const char *val)
{
    unsigned long v;

    if (number(a, id, val, 1, 64, &v) != 0)
        return -1;
    a->jobs = (unsigned)v;
    return 0;
}

static int set_hook_timeout(cli_args *a, cli_opt_id id, const char *val)
{
    unsigned long v;

    if (number(a, id, val, 1, 86400, &v) != 0)
        return -1;
    a->hook_timeout = (unsigned)v;
    autocert_set_hook_timeout(a->ctx, (unsigned)v); /* the DNS-01 hook's */
    return 0;
}

static int set_hook(cli_args *a, cli_opt_id id, const char *val)
{
    if (*val == '\0')
        return cli_invalid(a, id, val, "empty command");
    return cli_set_str(a, id, val);
}

/* ---- private CA, inspect, verify, export ---- */

static int set_days(cli_args *a, cli_opt_id id, const char *val)
{
    unsigned long v;

    if (number(a, id, val, 1, 36500, &v) != 0)
        return -1;
    a->ca.days = (int)v;
    return 0;
}

static int set_ca_key_type(cli_args *a, cli_opt_id id, const char *val)
{
    if (autocert_key_type_parse(val, &a->ca.key_type) != AUTOCERT_OK)
        return cli_invalid(a, id, val, "ec256, ec384, ed25519, rsa2048, rsa3072 or rsa4096");
    return 0;
}

static int add_items(cli_args *a, cli_opt_id id, const char *val, const char *what, char ***v,
                     size_t *n)
{
    int rc = cli_split_list(val, v, n);

    if (rc == -2)
        return cli_invalid(a, id, val, "empty %s", what);
    return rc;
}

static int set_dns(cli_args *a, cli_opt_id id, const char *val)
{
    return add_items(a, id, val, "DNS name", &a->dns, &a->n_dns);
}

static int set_node_ip(cli_args *a, cli_opt_id id, const char *val)
{
    return add_items(a, id, val, "IP address", &a->ips, &a->n_ips);
}

static int set_usage(cli_args *a, cli_opt_id id, const char *val)
{
    (void)val;
    a->ca.usage = id == CLI_O_SERVER ? AUTOCERT_USAGE_SERVER
                : id == CLI_O_CLIENT ? AUTOCERT_USAGE_CLIENT
                                     : AUTOCERT_USAGE_SERVER | AUTOCERT_USAGE_CLIENT;
    return 0;
}

static int set_purpose(cli_args *a, cli_opt_id id, const char *val)
{
    if (strcmp(val, "server") == 0)
        a->purpose = AUTOCERT_USAGE_SERVER;
    else if (strcmp(val, "client") == 0)
        a->purpose = AUTOCERT_USAGE_CLIENT;
    else
        return cli_invalid(a, id, val, "server or client");
    return 0;
}

/* The table.  Commands list the entries they accept; an entry shared by several
 * commands (--cache, --directory, --timeout...) behaves the same in each.  The
 * hints that name flags live here, with the flags: a command shows a hint only
 * when it has the option. */
const cli_opt cli_opts[CLI_O_COUNT] = {
    [CLI_O_VERBOSE] = {"--verbose", 'v', NULL, NULL, set_verbose, 0,
                       "more detail (twice: protocol detail)", 0},
    [CLI_O_QUIET] = {"--quiet", 'q', NULL, NULL, cli_set_flag, FIELD(quiet),
                     "no progress: errors and warnings only", 0},
    [CLI_O_HELP] = {"--help", 'h', NULL, NULL, NULL, 0, "this help", 0},
    [CLI_O_VERSION] = {"--version", 'V', NULL, NULL, cli_set_flag, FIELD(version),
                       "the versions of autocert and libautocert", 0},

    [CLI_O_EMAIL] = {"--email", 0, "ADDR", "AUTOCERT_EMAIL", set_email, 0,
                     "contact address for the account", 0},
    [CLI_O_AGREE_TOS] = {"--agree-tos", 0, NULL, "AUTOCERT_AGREE_TOS", set_agree_tos, 0,
                         "agree to the CA's terms of service (variable: 1, yes or true)", 0,
                         .hint_for = AUTOCERT_ERR_TOS, .hint = "pass --agree-tos"},
    [CLI_O_DIRECTORY] = {"--directory", 0, "URL", "AUTOCERT_DIRECTORY", set_directory, 0,
                         "ACME directory (default Let's Encrypt)", 0},
    [CLI_O_STAGING] = {"--staging", 0, NULL, NULL, set_staging, 0,
                       "Let's Encrypt staging directory", CLI_O_DIRECTORY},
    [CLI_O_CA_BUNDLE] = {"--ca-bundle", 0, "FILE", "AUTOCERT_CA_BUNDLE", set_ca_bundle, 0,
                         "CA certificates trusted for the ACME server", 0},
    [CLI_O_ALLOW_HTTP] = {"--allow-http", 0, NULL, NULL, set_allow_http, 0,
                          "let plain-http ACME URLs through (a local test CA only)", 0},
    [CLI_O_HTTP_PORT] = {"--http-port", 0, "N", "AUTOCERT_HTTP_PORT", set_http_port, 0,
                         "port of the HTTP-01 responder (default 80)", 0},
    [CLI_O_BIND] = {"--bind", 0, "ADDR", "AUTOCERT_BIND", set_bind, 0,
                    "address of the HTTP-01 responder (default all)", 0},
    [CLI_O_WEBROOT] = {"--webroot", 0, "DIR", "AUTOCERT_WEBROOT", set_webroot, 0,
                       "write challenge files under DIR instead", 0},
    [CLI_O_CHALLENGE] = {"--challenge", 0, "TYPE", "AUTOCERT_CHALLENGE", set_challenge, 0,
                         "http-01 (default) or dns-01 (needs --dns-hook; for wildcards)", 0},
    [CLI_O_DNS_HOOK] = {"--dns-hook", 0, "CMD", "AUTOCERT_DNS_HOOK", set_dns_hook, 0,
                        "dns-01: sh command run as CMD add|remove NAME VALUE", 0},
    [CLI_O_KEY_TYPE] = {"--key-type", 0, "TYPE", "AUTOCERT_KEY_TYPE", set_key_type, 0,
                        "ec256 (default), ec384, rsa2048, rsa3072, rsa4096", 0},
    [CLI_O_ACCOUNT_KEY_TYPE] = {"--account-key-type", 0, "TYPE", NULL, set_account_key_type, 0,
                                "new account key: ec256 (ES256, default), ec384, "
                                "rsa2048..4096 (RS256)", 0},
    [CLI_O_EAB_KID] = {"--eab-kid", 0, "KID", "AUTOCERT_EAB_KID", set_eab_kid, 0,
                       "External Account Binding key id", 0,
                       .hint_for = AUTOCERT_ERR_EAB_REQUIRED,
                       .hint = "pass --eab-kid and --eab-hmac-key from your CA account"},
    [CLI_O_EAB_HMAC_KEY] = {"--eab-hmac-key", 0, "KEY", "AUTOCERT_EAB_HMAC_KEY", cli_set_str,
                            FIELD(eab_key), "External Account Binding MAC key (base64url)", 0},
    [CLI_O_TIMEOUT] = {"--timeout", 0, "SECONDS", NULL, set_timeout, 0,
                       "give up after this long (default 300)", 0},
    [CLI_O_FORCE_ORDER] = {"--force", 0, NULL, NULL, cli_set_flag, FIELD(force),
                           "order a new certificate even if a valid one is cached", 0},
    [CLI_O_PROFILE] = {"--profile", 0, "NAME", "AUTOCERT_PROFILE", set_profile, 0,
                       "certificate profile the CA offers (e.g. shortlived)", 0},

    [CLI_O_RENEW_CERT] = {"--cert", 0, "NAME,...", NULL, set_renew_cert, 0,
                          "these entries only (default: every cached certificate)", 0},
    [CLI_O_FORCE_RENEW] = {"--force", 0, NULL, NULL, cli_set_flag, FIELD(force),
                           "renew even when not due (no backoff, no weekly limit)", 0},
    [CLI_O_DRY_RUN] = {"--dry-run", 0, NULL, NULL, cli_set_flag, FIELD(dry_run),
                       "order and check the certificates, store nothing, run no hook", 0},
    [CLI_O_RENEW_DAYS] = {"--days", 0, "N", NULL, set_renew_days, 0,
                          "due N days before expiry (default: the CA's window, or a third "
                          "of the lifetime left)", 0},
    [CLI_O_DEPLOY_HOOK] = {"--deploy-hook", 0, "CMD", "AUTOCERT_DEPLOY_HOOK", set_hook,
                           FIELD(deploy_hook), "run CMD (sh -c) after each renewal", 0},
    [CLI_O_FAILURE_HOOK] = {"--failure-hook", 0, "CMD", "AUTOCERT_FAILURE_HOOK", set_hook,
                            FIELD(failure_hook), "run CMD (sh -c) after each failed renewal", 0},
    [CLI_O_HOOK_TIMEOUT] = {"--hook-timeout", 0, "SECONDS", NULL, set_hook_timeout, 0,
                            "time allowed to a hook (default: DNS 120, others 300)", 0},
    [CLI_O_JOBS] = {"--jobs", 'j', "N", NULL, set_jobs, 0,
                    "renew up to N certificates at once (default 1)", 0},
    [CLI_O_RENEW_JSON] = {"--json", 0, NULL, NULL, cli_set_flag, FIELD(json),
                          "one JSON object per certificate, one a line", 0},
    [CLI_O_METRICS_FILE] = {"--metrics-file", 0, "FILE", "AUTOCERT_METRICS_FILE", cli_set_str,
                            FIELD(metrics_file),
                            "write Prometheus metrics of every certificate to FILE", 0},

    [CLI_O_USER] = {"--user", 0, "NAME", "AUTOCERT_USER", cli_set_str, FIELD(user),
                    "started as root: bind the challenge port, then run as NAME", 0},

    [CLI_O_PREFERRED_CHAIN] = {"--preferred-chain", 0, "CN", "AUTOCERT_PREFERRED_CHAIN",
                               set_preferred_chain, 0,
                               "the chain whose top certificate's issuer (or own) CN is CN", 0},
    [CLI_O_REASON] = {"--reason", 0, "REASON", NULL, set_reason, 0,
                      "keyCompromise, superseded, cessationOfOperation, affiliationChanged, "
                      "unspecified (default)", 0},
    [CLI_O_WITH_CERT_KEY] = {"--with-cert-key", 0, NULL, NULL, cli_set_flag, FIELD(with_cert_key),
                             "sign with the certificate's own key instead of the account's", 0},

    [CLI_O_CACHE] = {"--cache", 0, "DIR", "AUTOCERT_CACHE", cli_set_str, FIELD(cache),
                     "cache directory (default ~/.autocert-cache)", 0},
    [CLI_O_CACHED] = {"--cached", 0, "NAME", NULL, cli_set_str, FIELD(cached),
                      "the cache entry NAME instead of files", 0},
    [CLI_O_LIST_VERIFY] = {"--verify", 0, NULL, NULL, cli_set_flag, FIELD(list_verify),
                           "read every entry whole and report the broken ones", 0},

    [CLI_O_OUT] = {"--out", 0, "DIR", NULL, cli_set_str, FIELD(ca.out_dir),
                   "output directory (default .; created 0700)", 0},
    [CLI_O_NAME] = {"--name", 0, "BASE", NULL, cli_set_str, FIELD(ca.name),
                    "base name of the files (ca, intermediate, node)", 0},
    [CLI_O_CN] = {"--cn", 0, "NAME", NULL, cli_set_str, FIELD(ca.common_name),
                  "common name (default \"autocert CA\", or the first DNS name)", 0},
    [CLI_O_DAYS] = {"--days", 0, "N", NULL, set_days, 0,
                    "validity (CAs 1825, nodes 365; never past the issuer)", 0},
    [CLI_O_CA_KEY_TYPE] = {"--key-type", 0, "TYPE", NULL, set_ca_key_type, 0,
                           "ec256 (default), ec384, ed25519, rsa2048, rsa3072, rsa4096", 0},
    [CLI_O_CA_CERT] = {"--ca-cert", 0, "FILE", NULL, cli_set_str, FIELD(ca.issuer_cert),
                       "the issuing CA's certificate", 0},
    [CLI_O_CA_KEY] = {"--ca-key", 0, "FILE", NULL, cli_set_str, FIELD(ca.issuer_key),
                      "its key (PEM, encrypted PKCS#8, DER or PKCS#12)", 0},
    [CLI_O_CA_KEY_PW] = {"--ca-key-password-file", 0, "F", NULL, cli_set_str,
                         FIELD(ca.issuer_key_password_file),
                         "password of an encrypted issuing key (first line)", 0},
    [CLI_O_DNS] = {"--dns", 0, "NAME,...", NULL, set_dns, 0,
                   "DNS names of the node (issue; sign: replace the CSR's)", 0,
                   .hint_for = AUTOCERT_ERR_NO_NAMES, .hint = "give them with --dns/--ip"},
    [CLI_O_NODE_IP] = {"--ip", 0, "ADDR,...", NULL, set_node_ip, 0, "IP addresses of the node", 0},
    [CLI_O_SERVER] = {"--server", 0, NULL, NULL, set_usage, 0,
                      "extendedKeyUsage serverAuth (the default)", 0},
    [CLI_O_CLIENT] = {"--client", 0, NULL, NULL, set_usage, 0, "extendedKeyUsage clientAuth", 0},
    [CLI_O_BOTH] = {"--both", 0, NULL, NULL, set_usage, 0, "serverAuth and clientAuth", 0},
    [CLI_O_CSR] = {"--csr", 0, "FILE", NULL, cli_set_str, FIELD(ca.csr),
                   "the CSR to sign (sign)", 0},
    [CLI_O_INTERMEDIATE] = {"--intermediate", 0, NULL, NULL, cli_set_flag, FIELD(intermediate),
                            "create: an intermediate CA signed by --ca-cert/--ca-key", 0},
    [CLI_O_FORCE_FILES] = {"--force", 0, NULL, NULL, cli_set_flag, FIELD(force),
                           "replace existing files", 0,
                           .hint_for = AUTOCERT_ERR_EXISTS, .hint = "--force replaces it"},

    [CLI_O_JSON] = {"--json", 0, NULL, NULL, cli_set_flag, FIELD(json),
                    "one JSON object per file, one a line", 0},
    [CLI_O_INPUT_PW] = {"--password-file", 0, "F", NULL, cli_set_str, FIELD(password_file),
                        "opens encrypted keys and PKCS#12 files (first line)", 0},
    [CLI_O_TRUST] = {"--ca", 0, "FILE", NULL, cli_set_str, FIELD(trust),
                     "trusted CA certificates", 0},
    [CLI_O_HOST] = {"--host", 0, "NAME", NULL, cli_set_str, FIELD(host),
                    "the certificate must be valid for this DNS name", 0},
    [CLI_O_VERIFY_IP] = {"--ip", 0, "ADDR", NULL, cli_set_str, FIELD(ip),
                         "the certificate must be valid for this IP address", CLI_O_HOST},
    [CLI_O_PURPOSE] = {"--purpose", 0, "P", NULL, set_purpose, 0,
                       "server or client (TLS authentication)", 0},
    [CLI_O_P12] = {"--p12", 0, "OUT", NULL, cli_set_str, FIELD(p12),
                   "the bundle to write (never replaced without --force)", 0},
    [CLI_O_CERT] = {"--cert", 0, "FILE", NULL, cli_set_str, FIELD(cert),
                    "the certificate (and its chain)", 0},
    [CLI_O_KEY] = {"--key", 0, "FILE", NULL, cli_set_str, FIELD(key), "its private key", 0},
    [CLI_O_CHAIN] = {"--chain", 0, "FILE", NULL, cli_set_str, FIELD(chain),
                     "more intermediate certificates", 0},
    [CLI_O_P12_PW] = {"--password-file", 0, "F", NULL, cli_set_str, FIELD(password_file),
                      "the bundle's password (first line)", 0},
    [CLI_O_KEY_PW] = {"--key-password-file", 0, "F", NULL, cli_set_str, FIELD(key_password_file),
                      "password of an encrypted key input", 0},
};
