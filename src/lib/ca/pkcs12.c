/* pkcs12.c: exporting a certificate, its chain and key as a PKCS#12 bundle. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "ca/ca.h"

/* Appends every certificate of `from` after the first `skip` to `to`. */
static autocert_err add_chain(autocert_ctx *ctx, STACK_OF(X509) *to, STACK_OF(X509) *from, int skip)
{
    int i;

    for (i = skip; from && i < sk_X509_num(from); i++) {
        X509 *x = sk_X509_value(from, i);

        if (!X509_up_ref(x))
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        if (!sk_X509_push(to, x)) {
            X509_free(x);
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        }
    }
    return AUTOCERT_OK;
}

/* What goes into a bundle: the first certificate of the certificate file,
 * its key, and as chain the rest of that file followed by the chain file. */
typedef struct {
    STACK_OF(X509) *certs; /* the certificate file; the first is the leaf */
    EVP_PKEY *key;
    STACK_OF(X509) *chain;
} bundle;

static void bundle_clear(bundle *b)
{
    sk_X509_pop_free(b->certs, X509_free);
    EVP_PKEY_free(b->key);
    sk_X509_pop_free(b->chain, X509_free);
    memset(b, 0, sizeof(*b));
}

/* Loads the files and checks that the key is the leaf's. */
static autocert_err bundle_load(autocert_ctx *ctx, const char *cert_file, const char *key_file,
                                const char *chain_file, const char *key_password_file, bundle *b)
{
    STACK_OF(X509) *extra = NULL;
    autocert_err rc;

    memset(b, 0, sizeof(*b));
    if ((rc = ac_certs_load(ctx, cert_file, key_password_file, &b->certs)) != AUTOCERT_OK ||
        (rc = ac_privkey_load(ctx, key_file, key_password_file, &b->key)) != AUTOCERT_OK)
        goto out;
    if (X509_check_private_key(sk_X509_value(b->certs, 0), b->key) != 1) {
        ERR_clear_error();
        rc = ac_err(ctx, AUTOCERT_ERR_MISMATCH, "%s does not match the certificate of %s",
                    key_file, cert_file);
        goto out;
    }
    if ((b->chain = sk_X509_new_null()) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = add_chain(ctx, b->chain, b->certs, 1)) != AUTOCERT_OK)
        goto out;
    if (chain_file && ((rc = ac_certs_load(ctx, chain_file, NULL, &extra)) != AUTOCERT_OK ||
                       (rc = add_chain(ctx, b->chain, extra, 0)) != AUTOCERT_OK))
        goto out;
out:
    sk_X509_pop_free(extra, X509_free);
    if (rc != AUTOCERT_OK)
        bundle_clear(b);
    return rc;
}

/* The DER bundle protected by `pw`; *der (OPENSSL_malloc'd, *len bytes)
 * holds the key: cleanse before free. */
static autocert_err bundle_encode(autocert_ctx *ctx, const bundle *b, const char *pw,
                                  unsigned char **der, int *len)
{
    PKCS12 *p12 = NULL;
    autocert_err rc = AUTOCERT_OK;

    *der = NULL;
    *len = 0;
    /* OpenSSL 3 defaults: AES-256-CBC with PBKDF2 and a SHA-256 MAC. */
    p12 = PKCS12_create_ex(pw, NULL, b->key, sk_X509_value(b->certs, 0), b->chain, 0, 0, 0, 0, 0,
                           NULL, NULL);
    if (p12 == NULL || (*len = i2d_PKCS12(p12, der)) <= 0)
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot build the PKCS#12 bundle");
    PKCS12_free(p12);
    return rc;
}

autocert_err autocert_export_p12(autocert_ctx *ctx, const char *out, const char *cert_file,
                                 const char *key_file, const char *chain_file,
                                 const char *password_file, const char *key_password_file,
                                 unsigned flags)
{
    bundle b;
    char *pw = NULL;
    unsigned char *der = NULL;
    int derlen = 0;
    ac_outfile f;
    autocert_err rc;

    ac_err_clear(ctx);
    memset(&b, 0, sizeof(b));
    if (out == NULL || cert_file == NULL || key_file == NULL || password_file == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "export needs an output, a certificate, a key and a password file");
    memset(&f, 0, sizeof(f));
    f.path = out;
    f.secret = 1;
    if (!(flags & AUTOCERT_CA_FORCE) && (rc = ac_files_absent(ctx, &f, 1)) != AUTOCERT_OK)
        goto out;
    if ((rc = ac_password_read(ctx, password_file, &pw)) != AUTOCERT_OK ||
        (rc = bundle_load(ctx, cert_file, key_file, chain_file, key_password_file, &b)) !=
            AUTOCERT_OK ||
        (rc = bundle_encode(ctx, &b, pw, &der, &derlen)) != AUTOCERT_OK)
        goto out;
    f.data = der;
    f.len = (size_t)derlen;
    rc = ac_files_write(ctx, &f, 1, (flags & AUTOCERT_CA_FORCE) != 0);
out:
    if (der) {
        OPENSSL_cleanse(der, (size_t)derlen);
        OPENSSL_free(der);
    }
    bundle_clear(&b);
    if (pw)
        ac_free_secret(pw, strlen(pw));
    return rc;
}
