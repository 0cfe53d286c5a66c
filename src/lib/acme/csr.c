/* csr.c: the certificate signing request sent to finalize an order. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"

/* Appends one identifier to a GeneralNames list. */
static int add_name(GENERAL_NAMES *gens, const ac_ident *id)
{
    GENERAL_NAME *g = GENERAL_NAME_new();
    unsigned char addr[16];
    int alen = 0;

    if (g == NULL)
        return 0;
    if (id->type == AC_ID_IP) {
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

        if (inet_pton(AF_INET, id->value, addr) == 1)
            alen = 4;
        else if (inet_pton(AF_INET6, id->value, addr) == 1)
            alen = 16;
        if (os == NULL || alen == 0 || !ASN1_OCTET_STRING_set(os, addr, alen)) {
            ASN1_OCTET_STRING_free(os);
            GENERAL_NAME_free(g);
            return 0;
        }
        GENERAL_NAME_set0_value(g, GEN_IPADD, os);
    } else {
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();

        if (s == NULL || !ASN1_STRING_set(s, id->value, (int)strlen(id->value))) {
            ASN1_IA5STRING_free(s);
            GENERAL_NAME_free(g);
            return 0;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
    }
    if (!sk_GENERAL_NAME_push(gens, g)) {
        GENERAL_NAME_free(g);
        return 0;
    }
    return 1;
}

autocert_err ac_csr_build(autocert_ctx *ctx, EVP_PKEY *key, const ac_ident *ids, size_t n,
                          unsigned char **der, size_t *len)
{
    X509_REQ *req = NULL;
    X509_NAME *subj = NULL;
    GENERAL_NAMES *gens = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    unsigned char *buf = NULL, *p;
    autocert_err rc = AUTOCERT_ERR_CRYPTO;
    size_t i;
    int dlen;

    *der = NULL;
    *len = 0;
    if (n == 0)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "a certificate needs at least one identifier");
    req = X509_REQ_new();
    subj = X509_NAME_new();
    gens = sk_GENERAL_NAME_new_null();
    if (req == NULL || subj == NULL || gens == NULL || !X509_REQ_set_version(req, 0))
        goto ssl;
    /* The CN carries the first DNS name when it fits (64 characters); the SANs are authoritative. */
    if (ids[0].type == AC_ID_DNS && strlen(ids[0].value) <= 64 &&
        !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
                                    (const unsigned char *)ids[0].value, -1, -1, 0))
        goto ssl;
    if (!X509_REQ_set_subject_name(req, subj))
        goto ssl;
    for (i = 0; i < n; i++)
        if (!add_name(gens, &ids[i]))
            goto ssl;
    if (X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1 ||
        !X509_REQ_add_extensions(req, exts))
        goto ssl;
    if (!X509_REQ_set_pubkey(req, key) ||
        !X509_REQ_sign(req, key, EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256()))
        goto ssl;
    dlen = i2d_X509_REQ(req, NULL);
    if (dlen <= 0 || (buf = malloc((size_t)dlen)) == NULL)
        goto ssl;
    p = buf;
    if (i2d_X509_REQ(req, &p) != dlen)
        goto ssl;
    *der = buf;
    *len = (size_t)dlen;
    buf = NULL;
    rc = AUTOCERT_OK;
    goto out;
ssl:
    rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot build the certificate signing request");
out:
    free(buf);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(gens);
    X509_NAME_free(subj);
    X509_REQ_free(req);
    return rc;
}
