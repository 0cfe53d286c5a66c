/* cmd_revoke.c: `autocert revoke`: revokes a cached certificate at the CA that issued it and marks its entry for replacement. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ALREADY_REVOKED "urn:ietf:params:acme:error:alreadyRevoked"

static const cli_opt_id revoke_opts[] = {
    CLI_O_REASON, CLI_O_WITH_CERT_KEY, CLI_O_CA_BUNDLE, CLI_O_ALLOW_HTTP, CLI_O_CACHE, CLI_O_CACHE_KEY_FILE,
    CLI_O_TIMEOUT, CLI_O_NONE,
};

/* A failure, with what the user can do about it: an entry revoked already
 * is marked all the same; an entry without a cached account can still be
 * revoked with its own key. */
static void report(cli_args *a, const char *name, autocert_err rc)
{
    const char *type = autocert_last_problem_type(a->ctx);
    char *msg = strdup(autocert_last_error(a->ctx));
    autocert_cert *c = NULL;
    const char *hint = NULL;

    if (rc == AUTOCERT_ERR_ACME && strcmp(type, ALREADY_REVOKED) == 0)
        hint = "the certificate was revoked already; its cache entry is marked, the next "
               "obtain replaces it";
    else if (rc == AUTOCERT_ERR_NOT_FOUND && !a->with_cert_key &&
             autocert_cert_info(a->ctx, name, &c) == AUTOCERT_OK)
        hint = "--with-cert-key signs with the certificate's own key instead";
    cli_report(NULL, msg && *msg ? msg : autocert_strerror(rc), hint);
    autocert_cert_free(c);
    free(msg);
}

static int revoke_run(cli_args *a, int argc, char **argv)
{
    autocert_err rc;

    if (argc == 0) {
        cli_error("revoke needs the name of a cached certificate (e.g. autocert revoke "
                  "example.com)");
        return EXIT_FAIL;
    }
    if (argc > 1) {
        cli_error("unexpected argument '%s' (one certificate at a time)", argv[1]);
        return EXIT_FAIL;
    }
    if (cli_cache_open(a) != 0)
        return EXIT_FAIL;
    rc = autocert_revoke(a->ctx, argv[0], a->reason, a->with_cert_key ? AUTOCERT_REVOKE_CERT_KEY : 0);
    if (rc != AUTOCERT_OK) {
        report(a, argv[0], rc);
        return EXIT_FAIL;
    }
    if (!a->quiet)
        printf("revoked: %s (%s)\n", argv[0], autocert_revoke_reason_name(a->reason));
    return EXIT_OK;
}

const cli_cmd cli_cmd_revoke = {
    "revoke",
    revoke_run,
    revoke_opts,
    "revoke NAME [--reason REASON] [--with-cert-key] [options]",
    "revoke a cached certificate",
    "Revokes the cached certificate of the entry NAME at the CA that issued it,\n"
    "signed with the cached account of that CA, or with --with-cert-key with the\n"
    "certificate's own key (no account needed).  The entry is then marked revoked,\n"
    "so the next obtain of its names orders a new certificate.  A certificate the\n"
    "CA reports revoked already is marked too, and the exit status is 1.",
    NULL,
};
