/* served.c: a cached certificate made ready for handshakes (leaf, chain, key, PEM), and the stamp that tells when its entry changed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cache.h"
#include "manager/manager.h"

void ac_served_free(ac_served *s)
{
    if (s == NULL)
        return;
    X509_free(s->leaf);
    sk_X509_pop_free(s->chain, X509_free);
    EVP_PKEY_free(s->key);
    free(s->chain_pem);
    ac_free_secret(s->key_pem, s->key_len);
    free(s);
}

int ac_served_same(const ac_served *a, const ac_served *b)
{
    return a != NULL && b != NULL && X509_cmp(a->leaf, b->leaf) == 0;
}

/* The leaf and the rest of a PEM chain. */
static autocert_err parse_chain(autocert_ctx *ctx, const char *host, const char *pem,
                                ac_served *s)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = NULL;

    if (bio == NULL || (s->chain = sk_X509_new_null()) == NULL) {
        BIO_free(bio);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    s->leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    while (s->leaf != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        if (!sk_X509_push(s->chain, x)) {
            X509_free(x);
            BIO_free(bio);
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        }
    BIO_free(bio);
    if (s->leaf == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CORRUPT, "the cached certificate of %s does not parse",
                          host);
    ERR_clear_error(); /* the end of the PEM text */
    return AUTOCERT_OK;
}

/* The entry must be the one a manager orders: exactly [host], in date. */
static autocert_err servable(autocert_ctx *ctx, const char *host, const autocert_cert *c)
{
    if (autocert_cert_identifier_count(c) != 1 ||
        strcmp(autocert_cert_identifier(c, 0), host) != 0)
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "the cached certificate %s covers other names than %s: not served",
                      host, host);
    if (autocert_cert_not_after(c) <= time(NULL))
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "the cached certificate of %s has expired: "
                      "not served", host);
    if (autocert_cert_fullchain_pem(c) == NULL || autocert_cert_key_pem(c) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_CORRUPT, "the cached certificate of %s has no chain "
                      "or key", host);
    return AUTOCERT_OK;
}

/* The record of a loaded certificate. */
static autocert_err served_of(autocert_ctx *ctx, const char *host, autocert_cert *c,
                              ac_served **out)
{
    ac_served *s = calloc(1, sizeof(*s));
    size_t klen = strlen(autocert_cert_key_pem(c));
    autocert_err rc;

    if (s == NULL || (s->chain_pem = strdup(autocert_cert_fullchain_pem(c))) == NULL ||
        (s->key_pem = malloc(klen + 1)) == NULL) {
        ac_served_free(s);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    memcpy(s->key_pem, autocert_cert_key_pem(c), klen + 1);
    s->key_len = klen + 1;
    s->not_before = autocert_cert_not_before(c);
    s->not_after = autocert_cert_not_after(c);
    if ((rc = parse_chain(ctx, host, s->chain_pem, s)) == AUTOCERT_OK &&
        (rc = ac_key_from_pem(ctx, s->key_pem, klen, host, &s->key)) == AUTOCERT_OK &&
        X509_check_private_key(s->leaf, s->key) != 1)
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_MISMATCH,
                        "the cached key of %s does not fit its certificate", host);
    if (rc != AUTOCERT_OK) {
        ac_served_free(s);
        return rc;
    }
    *out = s;
    return AUTOCERT_OK;
}

autocert_err ac_served_load(autocert_ctx *ctx, const char *host, ac_served **out,
                            time_t *renew_at)
{
    autocert_cert *c = NULL;
    autocert_err rc;

    *out = NULL;
    if ((rc = autocert_cert_load(ctx, host, &c)) == AUTOCERT_ERR_NOT_FOUND) {
        ac_err_clear(ctx);
        return rc;
    }
    if (rc == AUTOCERT_OK && (rc = servable(ctx, host, c)) == AUTOCERT_OK &&
        (rc = served_of(ctx, host, c, out)) == AUTOCERT_OK)
        *renew_at = autocert_cert_renew_at(c);
    autocert_cert_free(c);
    return rc;
}

/* ---- stamps ----------------------------------------------------------------- */

void ac_stamp_take(autocert_ctx *ctx, const char *host, ac_stamp *out)
{
    autocert_storage *st = NULL;
    autocert_cert *c = NULL;
    char *set = ac_cache_cert_set(host), *path = NULL;
    struct stat sb;

    memset(out, 0, sizeof(*out));
    if (set == NULL || ac_storage(ctx, &st) != AUTOCERT_OK)
        goto out;
    if ((path = ac_storage_path(st, set, AC_ITEM_CERT)) != NULL) {
        if (stat(path, &sb) == 0) {
            out->present = 1;
            out->dev = sb.st_dev;
            out->ino = sb.st_ino;
            out->size = sb.st_size;
            out->mtim = sb.st_mtim;
        }
    } else if (autocert_cert_info(ctx, host, &c) == AUTOCERT_OK) {
        out->present = 1;
        out->not_before = autocert_cert_not_before(c);
        out->not_after = autocert_cert_not_after(c);
    }
out:
    ac_err_clear(ctx);
    autocert_cert_free(c);
    free(path);
    free(set);
}

int ac_stamp_equal(const ac_stamp *a, const ac_stamp *b)
{
    return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
           a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
           a->mtim.tv_nsec == b->mtim.tv_nsec && a->not_before == b->not_before &&
           a->not_after == b->not_after;
}
