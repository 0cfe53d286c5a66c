/* issued.c: what a CA hands back is checked before it is stored: the names, the key, the validity, the chain. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"

#define MAX_CHAIN 10       /* certificates in one download */
#define SKEW_S (60 * 60)   /* a notBefore this far ahead of our clock is still taken */

/* Every certificate of the PEM text, in order; one that does not decode is
 * an error. */
static autocert_err load_chain(autocert_ctx *ctx, const char *pem, STACK_OF(X509) **out)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *x;
    unsigned long e;
    autocert_err rc = AUTOCERT_OK;

    *out = NULL;
    if (bio == NULL || sk == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    ERR_clear_error();
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (sk_X509_num(sk) == MAX_CHAIN || !sk_X509_push(sk, x)) {
            X509_free(x);
            rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "certificate download: more than %d "
                        "certificates", MAX_CHAIN);
            goto out;
        }
    }
    /* The loop must end at the end of the text, not at a bad block. */
    e = ERR_peek_last_error();
    if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_PROTOCOL, "certificate download: certificate %d does "
                        "not decode", sk_X509_num(sk) + 1);
    else if (sk_X509_num(sk) == 0)
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "certificate download: no PEM certificate");
    ERR_clear_error();
out:
    BIO_free(bio);
    if (rc == AUTOCERT_OK)
        *out = sk;
    else
        sk_X509_pop_free(sk, X509_free);
    return rc;
}

/* Whether a SAN entry is one of the identifiers; *hit marks which. */
static int san_wanted(const ac_san *e, const ac_ident *ids, size_t n, int *hit)
{
    size_t i;

    if (e->value == NULL || e->has_nul || (e->type != AC_SAN_DNS && e->type != AC_SAN_IP))
        return 0;
    for (i = 0; i < n; i++) {
        if ((ids[i].type == AC_ID_DNS) != (e->type == AC_SAN_DNS))
            continue;
        if (strcasecmp(ids[i].value, e->value) == 0) {
            hit[i] = 1;
            return 1;
        }
    }
    return 0;
}

/* The leaf names exactly the order's identifiers, no more, no fewer. */
static autocert_err check_names(autocert_ctx *ctx, X509 *leaf, const ac_ident *ids, size_t n)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int *hit = calloc(n ? n : 1, sizeof(int));
    ac_sans sans;
    size_t i;
    autocert_err rc;

    memset(&sans, 0, sizeof(sans));
    if (hit == NULL)
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    else
        rc = ac_sans_parse(ctx, gens, &sans);
    for (i = 0; rc == AUTOCERT_OK && i < sans.n; i++)
        if (!san_wanted(&sans.v[i], ids, n, hit))
            rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "the CA issued a certificate that also names "
                        "'%s', which was not ordered: refused",
                        AC_SAFE(sans.v[i].value ? sans.v[i].value : "(not a DNS name or IP)"));
    for (i = 0; rc == AUTOCERT_OK && i < n; i++)
        if (!hit[i])
            rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "the CA issued a certificate that does not "
                        "name %s, which was ordered: refused", ids[i].value);
    ac_sans_clear(&sans);
    GENERAL_NAMES_free(gens);
    free(hit);
    return rc;
}

/* The leaf is valid now (its notBefore may run ahead of our clock a little). */
static autocert_err check_validity(autocert_ctx *ctx, X509 *leaf)
{
    time_t now = time(NULL), nb = ac_asn1_time(X509_get0_notBefore(leaf));
    time_t na = ac_asn1_time(X509_get0_notAfter(leaf));
    char from[40], to[40];

    if (nb != (time_t)-1 && na != (time_t)-1 && nb <= now + SKEW_S && na > now && nb < na)
        return AUTOCERT_OK;
    ac_utc_format(nb, AC_UTC_SECOND, from, sizeof(from));
    ac_utc_format(na, AC_UTC_SECOND, to, sizeof(to));
    return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "the CA issued a certificate that is not valid now "
                  "(from %s to %s): refused", from, to);
}

/* The subject's CN of `x` for messages, into buf. */
static const char *cn_of(X509 *x, char *buf, size_t n)
{
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)n) < 0)
        snprintf(buf, n, "?");
    return buf;
}

/* Each certificate of the chain issued the one before it. */
static autocert_err check_links(autocert_ctx *ctx, STACK_OF(X509) *sk)
{
    char a[128], b[128];
    int i;

    for (i = 1; i < sk_X509_num(sk); i++) {
        X509 *sub = sk_X509_value(sk, i - 1), *iss = sk_X509_value(sk, i);
        EVP_PKEY *pub = X509_get0_pubkey(iss);

        if (X509_check_issued(iss, sub) == X509_V_OK && pub && X509_verify(sub, pub) == 1)
            continue;
        ERR_clear_error();
        cn_of(sub, a, sizeof(a));
        cn_of(iss, b, sizeof(b));
        return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "certificate %d of the chain (CN=%s) did not "
                      "issue certificate %d (CN=%s): refused", i + 1, AC_SAFE(b), i, AC_SAFE(a));
    }
    return AUTOCERT_OK;
}

autocert_err ac_issued_check(autocert_ctx *ctx, const char *pem, const ac_ident *ids, size_t n,
                             EVP_PKEY *key)
{
    STACK_OF(X509) *sk = NULL;
    X509 *leaf;
    autocert_err rc;

    if ((rc = load_chain(ctx, pem, &sk)) != AUTOCERT_OK)
        return rc;
    leaf = sk_X509_value(sk, 0);
    if (X509_check_private_key(leaf, key) != 1) {
        ERR_clear_error();
        rc = ac_err(ctx, AUTOCERT_ERR_MISMATCH, "the CA issued a certificate for another key "
                    "than the request's: refused");
    }
    if (rc == AUTOCERT_OK && (rc = check_names(ctx, leaf, ids, n)) == AUTOCERT_OK &&
        (rc = check_validity(ctx, leaf)) == AUTOCERT_OK &&
        (rc = check_links(ctx, sk)) == AUTOCERT_OK && sk_X509_num(sk) == 1)
        ac_log(ctx, AUTOCERT_LOG_WARN, "the CA sent the certificate without its chain: servers "
               "may be unable to prove it to clients");
    sk_X509_pop_free(sk, X509_free);
    return rc;
}
