/* cli_ca_util.c: helpers shared by the private CA commands: context, days, cache entries. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_ca_util.h"

autocert_ctx *cli_ca_ctx(void)
{
    autocert_ctx *ctx = autocert_ctx_new();

    if (ctx == NULL) {
        cli_error("out of memory");
        return NULL;
    }
    autocert_set_logger(ctx, cli_log, NULL);
    autocert_set_log_level(ctx, cli_quiet ? AUTOCERT_LOG_WARN : AUTOCERT_LOG_INFO);
    return ctx;
}

int cli_ca_days(const char *s, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v <= 0 || v > 36500) {
        cli_error("invalid --days '%s' (expected a number of days from 1 to 36500)", s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_ca_cached(autocert_ctx *ctx, const char *cache_dir, const char *name, char **cert,
                  char **key)
{
    autocert_cert *c = NULL;
    autocert_err rc;
    const char *cp, *kp;

    *cert = *key = NULL;
    if (cache_dir == NULL)
        cache_dir = getenv("AUTOCERT_CACHE");
    if (cache_dir && *cache_dir && (rc = autocert_set_cache_dir(ctx, cache_dir)) != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        return -1;
    }
    if ((rc = autocert_cert_load(ctx, name, &c)) != AUTOCERT_OK) {
        cli_fail(ctx, rc, NULL);
        return -1;
    }
    cp = autocert_cert_fullchain_path(c);
    kp = autocert_cert_key_path(c);
    if (cp == NULL || kp == NULL) {
        cli_error("the cached certificate '%s' has no files (not a directory cache)", name);
        autocert_cert_free(c);
        return -1;
    }
    *cert = strdup(cp);
    *key = strdup(kp);
    autocert_cert_free(c);
    if (*cert == NULL || *key == NULL) {
        free(*cert);
        free(*key);
        *cert = *key = NULL;
        cli_error("out of memory");
        return -1;
    }
    return 0;
}
