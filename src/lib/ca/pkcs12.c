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

autocert_err autocert_export_p12(autocert_ctx *ctx, const char *out, const char *cert_file,
                                 const char *key_file, const char *chain_file,
                                 const char *password_file, const char *key_password_file,
                                 unsigned flags)
{
    STACK_OF(X509) *certs = NULL, *extra = NULL, *chain = NULL;
    EVP_PKEY *key = NULL;
    X509 *leaf;
    PKCS12 *p12 = NULL;
    char *pw = NULL;
    unsigned char *der = NULL;
    int derlen = 0;
    ac_outfile f;
    autocert_err rc;

    ac_err_clear(ctx);
    if (out == NULL || cert_file == NULL || key_file == NULL || password_file == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "export needs an output, a certificate, a key and a password file");
    memset(&f, 0, sizeof(f));
    f.path = out;
    f.secret = 1;
    if (!(flags & AUTOCERT_CA_FORCE) && (rc = ac_files_absent(ctx, &f, 1)) != AUTOCERT_OK)
        goto out;
    if ((rc = ac_password_read(ctx, password_file, &pw)) != AUTOCERT_OK)
        goto out;
    if ((rc = ac_certs_load(ctx, cert_file, key_password_file, &certs)) != AUTOCERT_OK)
        goto out;
    if ((rc = ac_privkey_load(ctx, key_file, key_password_file, &key)) != AUTOCERT_OK)
        goto out;
    leaf = sk_X509_value(certs, 0);
    if (X509_check_private_key(leaf, key) != 1) {
        ERR_clear_error();
        rc = ac_err(ctx, AUTOCERT_ERR_MISMATCH, "%s does not match the certificate of %s",
                    key_file, cert_file);
        goto out;
    }
    if ((chain = sk_X509_new_null()) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = add_chain(ctx, chain, certs, 1)) != AUTOCERT_OK)
        goto out;
    if (chain_file) {
        if ((rc = ac_certs_load(ctx, chain_file, NULL, &extra)) != AUTOCERT_OK ||
            (rc = add_chain(ctx, chain, extra, 0)) != AUTOCERT_OK)
            goto out;
    }
    /* OpenSSL 3 defaults: AES-256-CBC with PBKDF2 and a SHA-256 MAC. */
    p12 = PKCS12_create_ex(pw, NULL, key, leaf, chain, 0, 0, 0, 0, 0, NULL, NULL);
    if (p12 == NULL || (derlen = i2d_PKCS12(p12, &der)) <= 0) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot build the PKCS#12 bundle");
        goto out;
    }
    f.data = der;
    f.len = (size_t)derlen;
    rc = ac_files_write(ctx, &f, 1, (flags & AUTOCERT_CA_FORCE) != 0);
out:
    if (der) {
        OPENSSL_cleanse(der, (size_t)derlen);
        OPENSSL_free(der);
    }
    PKCS12_free(p12);
    EVP_PKEY_free(key);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_pop_free(extra, X509_free);
    sk_X509_pop_free(chain, X509_free);
    if (pw)
        ac_free_secret(pw, strlen(pw));
    return rc;
}
