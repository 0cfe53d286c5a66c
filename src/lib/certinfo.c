/* certinfo.c: facts about an issued PEM chain: validity, names, the leaf/chain split, key match. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"

void ac_certinfo_clear(ac_certinfo *ci)
{
    size_t i;

    for (i = 0; i < ci->n_names; i++)
        free(ci->names[i]);
    free(ci->names);
    memset(ci, 0, sizeof(*ci));
}

time_t ac_asn1_time(const ASN1_TIME *t)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return (time_t)-1;
    return timegm(&tm);
}

static X509 *first_cert(const char *pem, size_t len)
{
    BIO *bio;
    X509 *x;

    if (len > INT32_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
        return NULL;
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return x;
}

autocert_err ac_certinfo_parse(autocert_ctx *ctx, const char *pem, size_t len,
                               const char *what, ac_certinfo *out)
{
    X509 *x = NULL;
    GENERAL_NAMES *gens = NULL;
    autocert_err rc = AUTOCERT_OK;
    int i, n;

    memset(out, 0, sizeof(*out));
    if ((x = first_cert(pem, len)) == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CORRUPT, "%s: no PEM certificate", what);
    out->not_before = ac_asn1_time(X509_get0_notBefore(x));
    out->not_after = ac_asn1_time(X509_get0_notAfter(x));
    if (out->not_before == (time_t)-1 || out->not_after == (time_t)-1) {
        rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: unreadable validity period", what);
        goto out;
    }
    gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    n = gens ? sk_GENERAL_NAME_num(gens) : 0;
    if (n > 0 && (out->names = calloc((size_t)n, sizeof(char *))) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char text[INET6_ADDRSTRLEN];
        const char *s = NULL;
        int type;
        void *v = GENERAL_NAME_get0_value(g, &type);

        if (type == GEN_DNS) {
            const ASN1_STRING *a = v;
            char *d = malloc((size_t)ASN1_STRING_length(a) + 1);
            if (d == NULL) {
                rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                goto out;
            }
            memcpy(d, ASN1_STRING_get0_data(a), (size_t)ASN1_STRING_length(a));
            d[ASN1_STRING_length(a)] = '\0';
            out->names[out->n_names++] = d;
            continue;
        }
        if (type == GEN_IPADD) {
            const ASN1_OCTET_STRING *a = v;
            if (ASN1_STRING_length(a) == 4)
                s = inet_ntop(AF_INET, ASN1_STRING_get0_data(a), text, sizeof(text));
            else if (ASN1_STRING_length(a) == 16)
                s = inet_ntop(AF_INET6, ASN1_STRING_get0_data(a), text, sizeof(text));
        }
        if (s && (out->names[out->n_names++] = strdup(s)) == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
out:
    GENERAL_NAMES_free(gens);
    X509_free(x);
    if (rc != AUTOCERT_OK)
        ac_certinfo_clear(out);
    return rc;
}

autocert_err ac_pem_split(autocert_ctx *ctx, const char *pem, size_t len, char **leaf, char **rest)
{
    BIO *in = NULL, *b1 = NULL, *b2 = NULL;
    X509 *x = NULL;
    BUF_MEM *m;
    autocert_err rc = AUTOCERT_OK;
    int count = 0;

    *leaf = *rest = NULL;
    if (len > INT32_MAX || (in = BIO_new_mem_buf(pem, (int)len)) == NULL ||
        (b1 = BIO_new(BIO_s_mem())) == NULL || (b2 = BIO_new(BIO_s_mem())) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        if (!PEM_write_bio_X509(count == 0 ? b1 : b2, x)) {
            rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot encode certificate");
            goto out;
        }
        X509_free(x);
        x = NULL;
        count++;
    }
    /* The loop must end on "no start line" (the end of the input); any other
     * reason is a certificate that does not decode. */
    {
        unsigned long e = ERR_peek_last_error();

        if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
            rc = ac_err_ssl(ctx, AUTOCERT_ERR_PROTOCOL,
                            "certificate chain: certificate %d does not decode", count + 1);
            goto out;
        }
        ERR_clear_error();
    }
    if (count == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "certificate download: no PEM certificate in the response");
        goto out;
    }
    BIO_get_mem_ptr(b1, &m);
    *leaf = strndup(m->data, m->length);
    BIO_get_mem_ptr(b2, &m);
    *rest = strndup(m->data ? m->data : "", m->length);
    if (*leaf == NULL || *rest == NULL) {
        free(*leaf);
        free(*rest);
        *leaf = *rest = NULL;
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
out:
    X509_free(x);
    BIO_free(in);
    BIO_free(b1);
    BIO_free(b2);
    return rc;
}

int ac_key_matches_cert(EVP_PKEY *key, const char *leaf_pem, size_t len)
{
    X509 *x = first_cert(leaf_pem, len);
    int ok = x && X509_check_private_key(x, key) == 1;

    X509_free(x);
    ERR_clear_error();
    return ok;
}
