/* x509io.c: the private CA's inputs: certificates, keys and CSRs (PEM, DER, PKCS#12), passwords; PEM output. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "ca/ca.h"

#define MAX_PASSWORD 1024

autocert_err ac_password_read(autocert_ctx *ctx, const char *path, char **pw)
{
    unsigned char *data = NULL;
    size_t len = 0, n;
    autocert_err rc;

    *pw = NULL;
    if ((rc = ac_file_read(ctx, path, MAX_PASSWORD, &data, &len)) != AUTOCERT_OK)
        return rc;
    n = strcspn((char *)data, "\r\n");
    OPENSSL_cleanse(data + n, len - n);
    if (n == 0) {
        ac_free_secret(data, len);
        return ac_err(ctx, AUTOCERT_ERR_PASSWORD, "%s: the first line (the password) is empty", path);
    }
    *pw = (char *)data;
    return AUTOCERT_OK;
}

static int is_pem(const unsigned char *data, size_t len)
{
    (void)len;
    return strstr((const char *)data, "-----BEGIN ") != NULL;
}

/* Reads the password file if one is given; *pw stays NULL otherwise. */
static autocert_err maybe_password(autocert_ctx *ctx, const char *file, char **pw)
{
    *pw = NULL;
    return file ? ac_password_read(ctx, file, pw) : AUTOCERT_OK;
}

static void free_password(char *pw)
{
    if (pw)
        ac_free_secret(pw, strlen(pw));
}

autocert_err ac_p12_parse(autocert_ctx *ctx, const unsigned char *der, size_t len,
                          const char *what, const char *password, EVP_PKEY **key,
                          X509 **cert, STACK_OF(X509) **chain)
{
    const unsigned char *p = der;
    PKCS12 *p12 = NULL;
    EVP_PKEY *k = NULL;
    X509 *c = NULL;
    STACK_OF(X509) *ca = NULL;
    const char *pw = password;
    autocert_err rc = AUTOCERT_OK;

    if (key)
        *key = NULL;
    if (cert)
        *cert = NULL;
    if (chain)
        *chain = NULL;
    if ((p12 = d2i_PKCS12(NULL, &p, (long)len)) == NULL) {
        ERR_clear_error();
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID,
                    "%s: not a PEM or DER certificate, key or PKCS#12 file", what);
        goto out;
    }
    if (PKCS12_mac_present(p12)) {
        if (pw == NULL) {
            /* Bundles written without a password use an empty one. */
            if (PKCS12_verify_mac(p12, "", 0))
                pw = "";
            else if (PKCS12_verify_mac(p12, NULL, 0))
                pw = NULL;
            else {
                rc = ac_err(ctx, AUTOCERT_ERR_PASSWORD,
                            "%s: the PKCS#12 bundle is protected: a password file is needed", what);
                goto out;
            }
        } else if (!PKCS12_verify_mac(p12, pw, -1)) {
            rc = ac_err(ctx, AUTOCERT_ERR_PASSWORD, "%s: wrong password for the PKCS#12 bundle", what);
            goto out;
        }
    }
    if (!PKCS12_parse(p12, pw, &k, &c, &ca)) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_PASSWORD, "%s: cannot decrypt the PKCS#12 bundle", what);
        goto out;
    }
    if (key) {
        *key = k;
        k = NULL;
    }
    if (cert) {
        *cert = c;
        c = NULL;
    }
    if (chain) {
        *chain = ca;
        ca = NULL;
    }
out:
    ERR_clear_error();
    EVP_PKEY_free(k);
    X509_free(c);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    return rc;
}

autocert_err ac_certs_load(autocert_ctx *ctx, const char *path, const char *password_file,
                           STACK_OF(X509) **out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char *pw = NULL;
    BIO *bio = NULL;
    X509 *x = NULL, *p12cert = NULL;
    STACK_OF(X509) *certs = NULL, *p12chain = NULL;
    autocert_err rc;

    *out = NULL;
    if ((rc = ac_file_read(ctx, path, AC_MAX_FILE, &data, &len)) != AUTOCERT_OK)
        goto out;
    if ((certs = sk_X509_new_null()) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (is_pem(data, len)) {
        if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            goto out;
        }
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            if (!sk_X509_push(certs, x)) {
                rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                goto out;
            }
            x = NULL;
        }
        ERR_clear_error();
    } else {
        const unsigned char *p = data;

        if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
            if (!sk_X509_push(certs, x)) {
                rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                goto out;
            }
            x = NULL;
        } else {
            ERR_clear_error();
            if ((rc = maybe_password(ctx, password_file, &pw)) != AUTOCERT_OK)
                goto out;
            rc = ac_p12_parse(ctx, data, len, path, pw, NULL, &p12cert, &p12chain);
            if (rc != AUTOCERT_OK)
                goto out;
            if (p12cert && !sk_X509_push(certs, p12cert)) {
                rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                goto out;
            }
            p12cert = NULL;
            while (p12chain && sk_X509_num(p12chain) > 0) {
                x = sk_X509_shift(p12chain);
                if (!sk_X509_push(certs, x)) {
                    rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                    goto out;
                }
                x = NULL;
            }
        }
    }
    if (sk_X509_num(certs) == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: no certificate in the file", path);
        goto out;
    }
    *out = certs;
    certs = NULL;
out:
    X509_free(x);
    X509_free(p12cert);
    sk_X509_pop_free(p12chain, X509_free);
    sk_X509_pop_free(certs, X509_free);
    BIO_free(bio);
    free_password(pw);
    ac_free_secret(data, len);
    return rc;
}

/* PEM password callback: `u` is the password or NULL (none: fail). */
static int pw_cb(char *buf, int size, int rwflag, void *u)
{
    const char *pw = u;
    size_t n;

    (void)rwflag;
    if (pw == NULL || size <= 0)
        return -1;
    n = strlen(pw);
    if (n > (size_t)size)
        return -1;
    memcpy(buf, pw, n);
    return (int)n;
}

autocert_err ac_privkey_load(autocert_ctx *ctx, const char *path, const char *password_file,
                             EVP_PKEY **out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char *pw = NULL;
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;
    autocert_err rc;

    *out = NULL;
    if ((rc = ac_file_read(ctx, path, AC_MAX_FILE, &data, &len)) != AUTOCERT_OK)
        goto out;
    if ((rc = maybe_password(ctx, password_file, &pw)) != AUTOCERT_OK)
        goto out;
    if (is_pem(data, len)) {
        int encrypted = strstr((char *)data, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
                        strstr((char *)data, "Proc-Type: 4,ENCRYPTED") != NULL;

        if (encrypted && pw == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_PASSWORD,
                        "%s: the key is encrypted: a password file is needed", path);
            goto out;
        }
        if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            goto out;
        }
        key = PEM_read_bio_PrivateKey(bio, NULL, pw_cb, pw);
        if (key == NULL) {
            if (encrypted)
                rc = ac_err(ctx, AUTOCERT_ERR_PASSWORD,
                            "%s: wrong password for the encrypted key", path);
            else
                rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: no readable private key", path);
            ERR_clear_error();
            goto out;
        }
    } else {
        const unsigned char *p = data;

        key = d2i_AutoPrivateKey(NULL, &p, (long)len);
        if (key == NULL) {
            ERR_clear_error();
            rc = ac_p12_parse(ctx, data, len, path, pw, &key, NULL, NULL);
            if (rc != AUTOCERT_OK)
                goto out;
            if (key == NULL) {
                rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: the PKCS#12 holds no private key", path);
                goto out;
            }
        }
    }
    *out = key;
    key = NULL;
out:
    EVP_PKEY_free(key);
    BIO_free(bio);
    free_password(pw);
    ac_free_secret(data, len);
    return rc;
}

autocert_err ac_csr_load(autocert_ctx *ctx, const char *path, X509_REQ **out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    X509_REQ *req = NULL;
    EVP_PKEY *pub;
    autocert_err rc;

    *out = NULL;
    if ((rc = ac_file_read(ctx, path, AC_MAX_FILE, &data, &len)) != AUTOCERT_OK)
        goto out;
    if (is_pem(data, len)) {
        if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL)
            req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
    } else {
        const unsigned char *p = data;
        req = d2i_X509_REQ(NULL, &p, (long)len);
    }
    if (req == NULL) {
        ERR_clear_error();
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: not a certificate signing request", path);
        goto out;
    }
    pub = X509_REQ_get0_pubkey(req);
    if (pub == NULL || X509_REQ_verify(req, pub) != 1) {
        ERR_clear_error();
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: the CSR's signature does not verify", path);
        goto out;
    }
    *out = req;
    req = NULL;
out:
    X509_REQ_free(req);
    BIO_free(bio);
    free(data);
    return rc;
}

autocert_err ac_x509_pem_append(autocert_ctx *ctx, X509 *x, ac_buf *b)
{
    BIO *bio = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    autocert_err rc = AUTOCERT_OK;

    if (bio == NULL || !PEM_write_bio_X509(bio, x)) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot encode a certificate");
        goto out;
    }
    BIO_get_mem_ptr(bio, &m);
    if (ac_buf_append(b, m->data, m->length) < 0)
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
out:
    BIO_free(bio);
    return rc;
}
