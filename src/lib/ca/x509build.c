/* x509build.c: building blocks of X.509 v3 certificates: serial, validity, extensions, names, signature. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

#define SERIAL_BYTES 16     /* 128 random bits */
#define BACKDATE_S 300      /* tolerate this much clock skew between nodes */
#define MAX_DAYS 36500

autocert_err ac_x509_set_serial(autocert_ctx *ctx, X509 *x)
{
    unsigned char raw[SERIAL_BYTES];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *ai = NULL;
    autocert_err rc = AUTOCERT_OK;

    /* A positive INTEGER of at most 17 octets (RFC 5280 allows 20); zero
     * is not a valid serial, so draw again in that (theoretical) case. */
    do {
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot draw a random serial number");
            goto out;
        }
        BN_free(bn);
        bn = BN_bin2bn(raw, sizeof(raw), NULL);
    } while (bn && BN_is_zero(bn));
    if (bn == NULL || (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || !X509_set_serialNumber(x, ai))
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot set the serial number");
out:
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return rc;
}

autocert_err ac_x509_set_validity(autocert_ctx *ctx, X509 *x, int days, X509 *issuer, int clamp)
{
    time_t now = time(NULL), nb = now - BACKDATE_S, na;
    char date[40];

    if (days <= 0 || days > MAX_DAYS)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid validity of %d days (expected 1 to %d)",
                      days, MAX_DAYS);
    na = now + (time_t)days * 86400;
    if (issuer) {
        time_t inb = ac_asn1_time(X509_get0_notBefore(issuer));
        time_t ina = ac_asn1_time(X509_get0_notAfter(issuer));

        if (inb == (time_t)-1 || ina == (time_t)-1)
            return ac_err(ctx, AUTOCERT_ERR_INVALID, "the issuer's validity period is unreadable");
        if (ina <= now) {
            ac_utc_format(ina, AC_UTC_SECOND, date, sizeof(date));
            return ac_err(ctx, AUTOCERT_ERR_INVALID, "the issuing CA expired on %s", date);
        }
        if (inb > now) {
            ac_utc_format(inb, AC_UTC_SECOND, date, sizeof(date));
            return ac_err(ctx, AUTOCERT_ERR_INVALID, "the issuing CA is not valid before %s", date);
        }
        if (na > ina && clamp)
            na = ina;
        if (na > ina) {
            ac_utc_format(ina, AC_UTC_SECOND, date, sizeof(date));
            return ac_err(ctx, AUTOCERT_ERR_INVALID,
                          "%d days would outlive the issuing CA, which expires on %s "
                          "(at most %ld days)",
                          days, date, (long)((ina - now) / 86400));
        }
        if (nb < inb)
            nb = inb;
    }
    if (ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot set the validity period");
    return AUTOCERT_OK;
}

autocert_err ac_x509_add_ext(autocert_ctx *ctx, X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
    ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (!ok)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot add the %s extension \"%s\"",
                          OBJ_nid2sn(nid), value);
    return AUTOCERT_OK;
}

autocert_err ac_x509_add_sans(autocert_ctx *ctx, X509 *x, const ac_ident *ids, size_t n)
{
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    GENERAL_NAME *g = NULL;
    autocert_err rc = AUTOCERT_OK;
    size_t i;

    if (gens == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        if (ids[i].type == AC_ID_IP) {
            ASN1_OCTET_STRING *ip = a2i_IPADDRESS(ids[i].value);

            if (ip == NULL || (g = GENERAL_NAME_new()) == NULL) {
                ASN1_OCTET_STRING_free(ip);
                rc = ac_err_ssl(ctx, AUTOCERT_ERR_INVALID, "invalid IP address '%s'", ids[i].value);
                goto out;
            }
            GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
        } else {
            ASN1_IA5STRING *s = ASN1_IA5STRING_new();

            if (s == NULL || !ASN1_STRING_set(s, ids[i].value, (int)strlen(ids[i].value)) ||
                (g = GENERAL_NAME_new()) == NULL) {
                ASN1_IA5STRING_free(s);
                rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                goto out;
            }
            GENERAL_NAME_set0_value(g, GEN_DNS, s);
        }
        if (!sk_GENERAL_NAME_push(gens, g)) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            goto out;
        }
        g = NULL;
    }
    /* The subject always carries a CN here, so the SAN need not be critical. */
    if (!X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_REPLACE))
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot add the subjectAltName extension");
out:
    GENERAL_NAME_free(g);
    GENERAL_NAMES_free(gens);
    return rc;
}

const EVP_MD *ac_x509_md(EVP_PKEY *key)
{
    if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
        return NULL;
    if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) >= 384)
        return EVP_sha384();
    return EVP_sha256();
}

autocert_err ac_x509_sign(autocert_ctx *ctx, X509 *x, EVP_PKEY *key)
{
    if (!X509_set_version(x, X509_VERSION_3) || X509_sign(x, key, ac_x509_md(key)) <= 0)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot sign the certificate");
    return AUTOCERT_OK;
}

autocert_err ac_x509_set_cn(autocert_ctx *ctx, X509 *x, int subject, const char *cn)
{
    X509_NAME *name = X509_NAME_new();
    autocert_err rc = AUTOCERT_OK;

    if (strlen(cn) == 0 || strlen(cn) > 64) {
        X509_NAME_free(name);
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid common name '%s' (1 to 64 characters)", cn);
    }
    if (name == NULL ||
        !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                    (const unsigned char *)cn, -1, -1, 0) ||
        !(subject ? X509_set_subject_name(x, name) : X509_set_issuer_name(x, name)))
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_INVALID, "invalid common name '%s'", cn);
    X509_NAME_free(name);
    return rc;
}
