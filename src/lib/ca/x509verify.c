/* x509verify.c: chain, name and usage verification with a clear reason on failure. */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

/* The CN of a name, or "?" (into buf). */
static const char *cn_of(const X509_NAME *name, char *buf, size_t n)
{
    if (X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, buf, (int)n) < 0)
        snprintf(buf, n, "?");
    return buf;
}

static void date_of(const ASN1_TIME *t, char *buf, size_t n)
{
    ac_utc_format(ac_asn1_time(t), AC_UTC_SECOND, buf, n);
}

/* Expired or not yet valid: names the date. */
static autocert_err validity_reason(autocert_ctx *ctx, int err, X509 *x, const char *file,
                                    const char *what, const char *cn)
{
    char date[40];

    if (err == X509_V_ERR_CERT_HAS_EXPIRED) {
        date_of(x ? X509_get0_notAfter(x) : NULL, date, sizeof(date));
        return ac_err(ctx, AUTOCERT_ERR_VERIFY, "%s: expired: %s (CN=%s) expired on %s", file, what,
                      cn, date);
    }
    date_of(x ? X509_get0_notBefore(x) : NULL, date, sizeof(date));
    return ac_err(ctx, AUTOCERT_ERR_VERIFY, "%s: not yet valid: %s (CN=%s) is valid from %s", file,
                  what, cn, date);
}

/* No path to a trusted CA, or a signature that its issuer's key does not verify. */
static autocert_err issuer_reason(autocert_ctx *ctx, int err, X509 *x, const char *file,
                                  const char *cn)
{
    char icn[256];

    if (err == X509_V_ERR_CERT_SIGNATURE_FAILURE)
        return ac_err(ctx, AUTOCERT_ERR_VERIFY,
                      "%s: wrong issuer: the signature of CN=%s does not verify with its issuer's key",
                      file, cn);
    icn[0] = '\0';
    if (x)
        cn_of(X509_get_issuer_name(x), icn, sizeof(icn));
    return ac_err(ctx, AUTOCERT_ERR_VERIFY,
                  "%s: wrong issuer: CN=%s was issued by CN=%s, which is not in the trusted "
                  "CA file nor among the file's intermediates",
                  file, cn, icn);
}

/* Records the reason of a failed verification. */
static autocert_err reason(autocert_ctx *ctx, X509_STORE_CTX *sc, const char *file,
                           const char *host, const char *ip, unsigned purpose)
{
    int err = X509_STORE_CTX_get_error(sc);
    int depth = X509_STORE_CTX_get_error_depth(sc);
    X509 *x = X509_STORE_CTX_get_current_cert(sc);
    char cn[256];
    const char *what = depth == 0 ? "the certificate" : "a CA certificate of the chain";

    cn[0] = '\0';
    if (x)
        cn_of(X509_get_subject_name(x), cn, sizeof(cn));
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return validity_reason(ctx, err, x, file, what, cn);
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        return issuer_reason(ctx, err, x, file, cn);
    case X509_V_ERR_HOSTNAME_MISMATCH:
        return ac_err(ctx, AUTOCERT_ERR_VERIFY,
                      "%s: name mismatch: %s is not among the certificate's DNS names", file, host);
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return ac_err(ctx, AUTOCERT_ERR_VERIFY,
                      "%s: name mismatch: %s is not among the certificate's IP addresses", file, ip);
    case X509_V_ERR_INVALID_PURPOSE:
        return ac_err(ctx, AUTOCERT_ERR_VERIFY,
                      "%s: wrong usage: %s (CN=%s) is not valid for %s authentication "
                      "(keyUsage/extendedKeyUsage)",
                      file, what, cn, purpose == AUTOCERT_USAGE_CLIENT ? "TLS client" : "TLS server");
    case X509_V_ERR_INVALID_CA:
        return ac_err(ctx, AUTOCERT_ERR_VERIFY, "%s: CN=%s is used as a CA but is not one", file, cn);
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        return ac_err(ctx, AUTOCERT_ERR_VERIFY, "%s: the chain is longer than a CA's pathLen allows",
                      file);
    default:
        return ac_err(ctx, AUTOCERT_ERR_VERIFY, "%s: %s (CN=%s, depth %d)", file,
                      X509_verify_cert_error_string(err), cn, depth);
    }
}

/* A store trusting every certificate of `cas` (from `ca_file`). */
static autocert_err trust_store(autocert_ctx *ctx, STACK_OF(X509) *cas, const char *ca_file,
                                X509_STORE **out)
{
    X509_STORE *store = X509_STORE_new();
    int i;

    *out = NULL;
    if (store == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < sk_X509_num(cas); i++)
        if (!X509_STORE_add_cert(store, sk_X509_value(cas, i))) {
            X509_STORE_free(store);
            return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "%s: cannot use certificate %d", ca_file,
                              i + 1);
        }
    *out = store;
    return AUTOCERT_OK;
}

/* The certificates after the first, borrowed from `certs` (free the new
 * stack with sk_X509_free). */
static autocert_err intermediates(autocert_ctx *ctx, STACK_OF(X509) *certs, STACK_OF(X509) **out)
{
    int i;

    if ((*out = sk_X509_new_null()) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 1; i < sk_X509_num(certs); i++)
        if (!sk_X509_push(*out, sk_X509_value(certs, i)))
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

/* The host name, IP address and purpose (each optional) to check. */
static autocert_err verify_params(autocert_ctx *ctx, X509_STORE_CTX *sc, const char *host,
                                  const char *ip, unsigned purpose)
{
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(sc);

    if (host && !X509_VERIFY_PARAM_set1_host(vp, host, 0))
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid host name '%s'", host);
    if (ip && !X509_VERIFY_PARAM_set1_ip_asc(vp, ip))
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid IP address '%s'", ip);
    if (purpose && !X509_STORE_CTX_set_purpose(sc, purpose == AUTOCERT_USAGE_CLIENT
                                                       ? X509_PURPOSE_SSL_CLIENT
                                                       : X509_PURPOSE_SSL_SERVER))
        return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot set the purpose");
    return AUTOCERT_OK;
}

/* "CN=leaf <- CN=intermediate <- CN=root" of the verified chain; *out malloc'd. */
static autocert_err chain_summary(autocert_ctx *ctx, X509_STORE_CTX *sc, char **out)
{
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(sc);
    autocert_err rc = AUTOCERT_OK;
    ac_buf b;
    int i;

    ac_buf_init(&b, 65536);
    for (i = 0; i < sk_X509_num(chain); i++) {
        char cn[256];

        ac_buf_appendf(&b, "%sCN=%s", i ? " <- " : "",
                       cn_of(X509_get_subject_name(sk_X509_value(chain, i)), cn, sizeof(cn)));
    }
    if ((*out = ac_buf_steal(&b)) == NULL)
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    ac_buf_free(&b);
    return rc;
}

autocert_err autocert_verify_file(autocert_ctx *ctx, const char *cert_file, const char *ca_file,
                                  const char *host, const char *ip, unsigned purpose,
                                  char **summary)
{
    STACK_OF(X509) *certs = NULL, *cas = NULL, *untrusted = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *sc = NULL;
    autocert_err rc;

    if (summary)
        *summary = NULL;
    ac_err_clear(ctx);
    if (cert_file == NULL || ca_file == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "verify needs a certificate and a CA file");
    if (purpose != 0 && purpose != AUTOCERT_USAGE_SERVER && purpose != AUTOCERT_USAGE_CLIENT)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "purpose must be server or client");
    if ((rc = ac_certs_load(ctx, cert_file, NULL, &certs)) != AUTOCERT_OK ||
        (rc = ac_certs_load(ctx, ca_file, NULL, &cas)) != AUTOCERT_OK ||
        (rc = trust_store(ctx, cas, ca_file, &store)) != AUTOCERT_OK ||
        (rc = intermediates(ctx, certs, &untrusted)) != AUTOCERT_OK)
        goto out;
    if ((sc = X509_STORE_CTX_new()) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!X509_STORE_CTX_init(sc, store, sk_X509_value(certs, 0), untrusted)) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot set up the verification");
        goto out;
    }
    if ((rc = verify_params(ctx, sc, host, ip, purpose)) != AUTOCERT_OK)
        goto out;
    if (X509_verify_cert(sc) != 1) {
        rc = reason(ctx, sc, cert_file, host, ip, purpose);
        ERR_clear_error();
        goto out;
    }
    if (summary)
        rc = chain_summary(ctx, sc, summary);
out:
    X509_STORE_CTX_free(sc);
    X509_STORE_free(store);
    sk_X509_free(untrusted);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_pop_free(cas, X509_free);
    return rc;
}
