/* x509io.c: the private CA's inputs: certificates, keys and CSRs (PEM, DER, PKCS#12), passwords; PEM output. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "ca/ca.h"

#define MAX_PASSWORD 1024
/* Key derivation rounds a PKCS#12 bundle may ask for (its MAC and each
 * encrypted part): common tools write 2048 to 600000.  The count is the
 * file's to choose, and 2^31 rounds take the better part of an hour. */
#define MAX_P12_ITER 1000000L

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

/* ---- PKCS#12 bundles ----------------------------------------------------- */

/* The password that opens a bundle's MAC, into *pw: `password`, or with
 * none given the empty or the absent password of a bundle written without
 * one; PASSWORD when it does not open. */
static autocert_err p12_password(autocert_ctx *ctx, PKCS12 *p12, const char *what,
                                 const char *password, const char **pw)
{
    *pw = password;
    if (!PKCS12_mac_present(p12))
        return AUTOCERT_OK;
    if (password) {
        if (!PKCS12_verify_mac(p12, password, -1))
            return ac_err(ctx, AUTOCERT_ERR_PASSWORD, "%s: wrong password for the PKCS#12 bundle",
                          what);
        return AUTOCERT_OK;
    }
    /* Bundles written without a password use an empty one. */
    if (PKCS12_verify_mac(p12, "", 0))
        *pw = "";
    else if (!PKCS12_verify_mac(p12, NULL, 0))
        return ac_err(ctx, AUTOCERT_ERR_PASSWORD,
                      "%s: the PKCS#12 bundle is protected: a password file is needed", what);
    return AUTOCERT_OK;
}

/* Nonzero when an ASN1 INTEGER iteration count is from 1 to MAX_P12_ITER. */
static int iter_ok(const ASN1_INTEGER *iter)
{
    long v = iter ? ASN1_INTEGER_get(iter) : 1;

    return v >= 1 && v <= MAX_P12_ITER;
}

/* Nonzero when the password-based encryption `alg` (PKCS#5 v1 or v2 with
 * PBKDF2) asks for at most MAX_P12_ITER rounds; other KDFs are refused. */
static int pbe_ok(const X509_ALGOR *alg)
{
    const ASN1_OBJECT *obj = NULL;
    const void *pval = NULL;
    int ptype = 0, ok = 0;
    PBE2PARAM *p2 = NULL;
    PBKDF2PARAM *kdf = NULL;
    PBEPARAM *p1 = NULL;

    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    if (ptype != V_ASN1_SEQUENCE)
        return 0;
    if (OBJ_obj2nid(obj) != NID_pbes2) {
        p1 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter);
        ok = p1 && iter_ok(p1->iter);
    } else if ((p2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)) &&
               OBJ_obj2nid(p2->keyfunc->algorithm) == NID_id_pbkdf2) {
        kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), p2->keyfunc->parameter);
        ok = kdf && iter_ok(kdf->iter);
    }
    PBEPARAM_free(p1);
    PBE2PARAM_free(p2);
    PBKDF2PARAM_free(kdf);
    return ok;
}

/* Nonzero when opening the bundle costs a bounded number of key derivation
 * rounds: checked before any password is tried, on the MAC, each encrypted
 * part and each encrypted key. */
static int p12_cost_ok(PKCS12 *p12)
{
    const ASN1_INTEGER *iter = NULL;
    STACK_OF(PKCS7) *parts = PKCS12_unpack_authsafes(p12);
    STACK_OF(PKCS12_SAFEBAG) *bags;
    int i, j, ok = parts != NULL;

    PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
    if (PKCS12_mac_present(p12) && !iter_ok(iter))
        ok = 0;
    for (i = 0; ok && i < sk_PKCS7_num(parts); i++) {
        PKCS7 *p7 = sk_PKCS7_value(parts, i);

        if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted) {
            ok = p7->d.encrypted && p7->d.encrypted->enc_data &&
                 pbe_ok(p7->d.encrypted->enc_data->algorithm);
        } else if ((bags = PKCS12_unpack_p7data(p7)) != NULL) {
            for (j = 0; ok && j < sk_PKCS12_SAFEBAG_num(bags); j++) {
                const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
                const X509_ALGOR *alg = NULL;

                if (PKCS12_SAFEBAG_get_nid(bag) == NID_pkcs8ShroudedKeyBag) {
                    X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, NULL);
                    ok = pbe_ok(alg);
                }
            }
            sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
        }
    }
    sk_PKCS7_pop_free(parts, PKCS7_free);
    return ok;
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
    const char *pw = NULL;
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
    if (!p12_cost_ok(p12)) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID,
                    "%s: the PKCS#12 bundle asks for more than %ld key derivation rounds, or "
                    "for a derivation other than PBKDF2",
                    what, MAX_P12_ITER);
        goto out;
    }
    if ((rc = p12_password(ctx, p12, what, password, &pw)) != AUTOCERT_OK)
        goto out;
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

/* ---- certificates -------------------------------------------------------- */

/* Appends *x to `certs`, which takes it: *x is NULL afterwards.  On
 * failure *x stays the caller's. */
static autocert_err push_cert(autocert_ctx *ctx, STACK_OF(X509) *certs, X509 **x)
{
    if (!sk_X509_push(certs, *x))
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    *x = NULL;
    return AUTOCERT_OK;
}

/* Every PEM certificate of the data (other blocks are skipped). */
static autocert_err certs_from_pem(autocert_ctx *ctx, const unsigned char *data, size_t len,
                                   STACK_OF(X509) *certs)
{
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    X509 *x = NULL;
    autocert_err rc = AUTOCERT_OK;

    if (bio == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    while (rc == AUTOCERT_OK && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        rc = push_cert(ctx, certs, &x);
    ERR_clear_error();
    X509_free(x);
    BIO_free(bio);
    return rc;
}

/* The certificate and then the chain of a PKCS#12 bundle, opened with the
 * password of `password_file` (NULL: none). */
static autocert_err certs_from_p12(autocert_ctx *ctx, const char *path, const unsigned char *data,
                                   size_t len, const char *password_file, STACK_OF(X509) *certs)
{
    char *pw = NULL;
    X509 *x = NULL;
    STACK_OF(X509) *chain = NULL;
    autocert_err rc;

    if ((rc = maybe_password(ctx, password_file, &pw)) != AUTOCERT_OK ||
        (rc = ac_p12_parse(ctx, data, len, path, pw, NULL, &x, &chain)) != AUTOCERT_OK)
        goto out;
    if (x && (rc = push_cert(ctx, certs, &x)) != AUTOCERT_OK)
        goto out;
    while (rc == AUTOCERT_OK && chain && sk_X509_num(chain) > 0) {
        x = sk_X509_shift(chain);
        rc = push_cert(ctx, certs, &x);
    }
out:
    X509_free(x);
    sk_X509_pop_free(chain, X509_free);
    free_password(pw);
    return rc;
}

/* One DER certificate, else a PKCS#12 bundle. */
static autocert_err certs_from_der(autocert_ctx *ctx, const char *path, const unsigned char *data,
                                   size_t len, const char *password_file, STACK_OF(X509) *certs)
{
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    autocert_err rc;

    if (x == NULL) {
        ERR_clear_error();
        return certs_from_p12(ctx, path, data, len, password_file, certs);
    }
    rc = push_cert(ctx, certs, &x);
    X509_free(x);
    return rc;
}

autocert_err ac_certs_load(autocert_ctx *ctx, const char *path, const char *password_file,
                           STACK_OF(X509) **out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    STACK_OF(X509) *certs = NULL;
    autocert_err rc;

    *out = NULL;
    if ((rc = ac_file_read(ctx, path, AC_MAX_FILE, &data, &len)) != AUTOCERT_OK)
        goto out;
    if ((certs = sk_X509_new_null()) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (is_pem(data, len))
        rc = certs_from_pem(ctx, data, len, certs);
    else
        rc = certs_from_der(ctx, path, data, len, password_file, certs);
    if (rc != AUTOCERT_OK)
        goto out;
    if (sk_X509_num(certs) == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: no certificate in the file", path);
        goto out;
    }
    *out = certs;
    certs = NULL;
out:
    sk_X509_pop_free(certs, X509_free);
    ac_free_secret(data, len);
    return rc;
}

/* ---- private keys -------------------------------------------------------- */

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

/* A PEM private key, decrypted with `pw` (NULL: none) when it is encrypted. */
static autocert_err key_from_pem(autocert_ctx *ctx, const char *path, const unsigned char *data,
                                 size_t len, char *pw, EVP_PKEY **key)
{
    int encrypted = strstr((const char *)data, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
                    strstr((const char *)data, "Proc-Type: 4,ENCRYPTED") != NULL;
    BIO *bio = NULL;
    autocert_err rc = AUTOCERT_OK;

    if (encrypted && pw == NULL)
        return ac_err(ctx, AUTOCERT_ERR_PASSWORD,
                      "%s: the key is encrypted: a password file is needed", path);
    if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((*key = PEM_read_bio_PrivateKey(bio, NULL, pw_cb, pw)) == NULL) {
        if (encrypted)
            rc = ac_err(ctx, AUTOCERT_ERR_PASSWORD, "%s: wrong password for the encrypted key", path);
        else
            rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: no readable private key", path);
        ERR_clear_error();
    }
    BIO_free(bio);
    return rc;
}

/* A DER private key, else the key of a PKCS#12 bundle. */
static autocert_err key_from_der(autocert_ctx *ctx, const char *path, const unsigned char *data,
                                 size_t len, const char *pw, EVP_PKEY **key)
{
    const unsigned char *p = data;
    autocert_err rc;

    if ((*key = d2i_AutoPrivateKey(NULL, &p, (long)len)) != NULL)
        return AUTOCERT_OK;
    ERR_clear_error();
    if ((rc = ac_p12_parse(ctx, data, len, path, pw, key, NULL, NULL)) != AUTOCERT_OK)
        return rc;
    if (*key == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: the PKCS#12 holds no private key", path);
    return AUTOCERT_OK;
}

autocert_err ac_privkey_load(autocert_ctx *ctx, const char *path, const char *password_file,
                             EVP_PKEY **out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char *pw = NULL;
    EVP_PKEY *key = NULL;
    autocert_err rc;

    *out = NULL;
    if ((rc = ac_file_read(ctx, path, AC_MAX_FILE, &data, &len)) != AUTOCERT_OK ||
        (rc = maybe_password(ctx, password_file, &pw)) != AUTOCERT_OK)
        goto out;
    if (is_pem(data, len))
        rc = key_from_pem(ctx, path, data, len, pw, &key);
    else
        rc = key_from_der(ctx, path, data, len, pw, &key);
    if (rc == AUTOCERT_OK) {
        *out = key;
        key = NULL;
    }
out:
    EVP_PKEY_free(key);
    free_password(pw);
    ac_free_secret(data, len);
    return rc;
}

/* ---- CSRs and output ----------------------------------------------------- */

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
