/* cli_cache.c: the ACME cache for the commands that read it: --cache, and the files of a --cached entry. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_cache_open(cli_args *a)
{
    autocert_err rc;

    if (a->cache != NULL && (rc = autocert_set_cache_dir(a->ctx, a->cache)) != AUTOCERT_OK) {
        /* A URL may hold a password: the library's message names the
         * store without it. */
        if (strstr(a->cache, "://") != NULL) {
            cli_report(cli_source(a, CLI_O_CACHE), autocert_last_error(a->ctx), NULL);
            return -1;
        }
        return cli_invalid(a, CLI_O_CACHE, a->cache, "%s", autocert_last_error(a->ctx));
    }
    if (a->cache_key_file != NULL &&
        (rc = autocert_set_cache_key_file(a->ctx, a->cache_key_file)) != AUTOCERT_OK)
        return cli_invalid(a, CLI_O_CACHE_KEY_FILE, a->cache_key_file, "%s",
                           autocert_last_error(a->ctx));
    return 0;
}

int cli_cached_files(cli_args *a, const char *name, char **cert, char **key)
{
    autocert_cert *c = NULL;
    autocert_err rc;
    const char *cp, *kp;

    *cert = *key = NULL;
    if (cli_cache_open(a) != 0)
        return -1;
    if ((rc = autocert_cert_load(a->ctx, name, &c)) != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
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
