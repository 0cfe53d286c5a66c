/* cert.c: the certificate handle: accessors, and the rules of renewal time and name coverage. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"

void autocert_cert_free(autocert_cert *c)
{
    if (c == NULL)
        return;
    free(c->name);
    autocert_strv_free(c->ids, c->n_ids);
    free(c->fullchain_pem);
    ac_free_secret(c->key_pem, c->key_len);
    free(c->directory);
    free(c->key_type);
    free(c->path_full);
    free(c->path_key);
    free(c->path_cert);
    free(c->path_chain);
    free(c->issuer);
    free(c->profile);
    free(c);
}

const char *autocert_cert_name(const autocert_cert *c) { return c->name; }
size_t autocert_cert_identifier_count(const autocert_cert *c) { return c->n_ids; }
const char *autocert_cert_identifier(const autocert_cert *c, size_t i)
{
    return i < c->n_ids ? c->ids[i] : NULL;
}
time_t autocert_cert_not_before(const autocert_cert *c) { return c->not_before; }
time_t autocert_cert_not_after(const autocert_cert *c) { return c->not_after; }
int autocert_cert_is_new(const autocert_cert *c) { return c->is_new; }
const char *autocert_cert_fullchain_path(const autocert_cert *c) { return c->path_full; }
const char *autocert_cert_key_path(const autocert_cert *c) { return c->path_key; }
const char *autocert_cert_cert_path(const autocert_cert *c) { return c->path_cert; }
const char *autocert_cert_chain_path(const autocert_cert *c) { return c->path_chain; }
const char *autocert_cert_fullchain_pem(const autocert_cert *c) { return c->fullchain_pem; }
const char *autocert_cert_key_pem(const autocert_cert *c) { return c->key_pem; }
const char *autocert_cert_directory(const autocert_cert *c) { return c->directory; }
const char *autocert_cert_key_type(const autocert_cert *c) { return c->key_type; }
time_t autocert_cert_revoked_at(const autocert_cert *c) { return c->revoked_at; }
const char *autocert_cert_issuer(const autocert_cert *c) { return c->issuer; }
const char *autocert_cert_profile(const autocert_cert *c) { return c->profile; }
time_t autocert_cert_renew_at(const autocert_cert *c) { return c->renew_at; }
const char *autocert_cert_renew_reason(const autocert_cert *c) { return c->renew_why; }
unsigned autocert_cert_failures(const autocert_cert *c) { return c->failures; }
const char *autocert_cert_last_error(const autocert_cert *c) { return c->last_error; }

int ac_cert_covers(const autocert_cert *c, const char *directory_url, const ac_ident *ids,
                   size_t n)
{
    size_t i, j;

    if (c->n_ids != n || c->directory == NULL || strcmp(c->directory, directory_url) != 0)
        return 0;
    /* Both ways: with a name repeated on one side, equal counts alone
     * would let a name of the other side through. */
    for (i = 0; i < n; i++) {
        for (j = 0; j < c->n_ids; j++)
            if (strcmp(ids[i].value, c->ids[j]) == 0)
                break;
        if (j == c->n_ids)
            return 0;
    }
    for (j = 0; j < c->n_ids; j++) {
        for (i = 0; i < n; i++)
            if (strcmp(ids[i].value, c->ids[j]) == 0)
                break;
        if (i == n)
            return 0;
    }
    return 1;
}
