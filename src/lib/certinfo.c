/* certinfo.c: facts about certificates: SAN entries, validity, names, the leaf/chain split, key match. */
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

/* ---- subjectAltName entries ---------------------------------------------- */

/* An IP address entry in text form, or NULL when it is neither 4 nor 16 octets. */
static const char *ip_text(const ASN1_OCTET_STRING *a, char *buf, size_t n)
{
    if (ASN1_STRING_length(a) == 4)
        return inet_ntop(AF_INET, ASN1_STRING_get0_data(a), buf, (socklen_t)n);
    if (ASN1_STRING_length(a) == 16)
        return inet_ntop(AF_INET6, ASN1_STRING_get0_data(a), buf, (socklen_t)n);
    return NULL;
}

/* Fills *out from one entry; -1 when memory ran out. */
static int san_entry(const GENERAL_NAME *g, ac_san *out)
{
    int type;
    const ASN1_STRING *a = GENERAL_NAME_get0_value(g, &type);
    const unsigned char *data;
    char text[INET6_ADDRSTRLEN];
    const char *ip = NULL;
    size_t len;

    memset(out, 0, sizeof(*out));
    switch (type) {
    case GEN_DNS: out->type = AC_SAN_DNS; break;
    case GEN_EMAIL: out->type = AC_SAN_EMAIL; break;
    case GEN_URI: out->type = AC_SAN_URI; break;
    case GEN_IPADD:
        out->type = AC_SAN_IP;
        if ((ip = ip_text(a, text, sizeof(text))) != NULL && (out->value = strdup(ip)) == NULL)
            return -1;
        return 0;
    default:
        out->type = AC_SAN_OTHER;
        return 0;
    }
    data = ASN1_STRING_get0_data(a);
    len = (size_t)ASN1_STRING_length(a);
    if ((out->value = strndup(data ? (const char *)data : "", len)) == NULL)
        return -1;
    out->has_nul = strlen(out->value) != len;
    return 0;
}

autocert_err ac_sans_parse(autocert_ctx *ctx, const GENERAL_NAMES *gens, ac_sans *out)
{
    int i, n = gens ? sk_GENERAL_NAME_num(gens) : 0;

    memset(out, 0, sizeof(*out));
    if (n <= 0)
        return AUTOCERT_OK;
    if ((out->v = calloc((size_t)n, sizeof(*out->v))) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++, out->n++)
        if (san_entry(sk_GENERAL_NAME_value(gens, i), &out->v[i]) < 0) {
            ac_sans_clear(out);
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        }
    return AUTOCERT_OK;
}

void ac_sans_clear(ac_sans *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->v[i].value);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* ---- validity, names, the leaf/chain split, key match -------------------- */

void ac_certinfo_clear(ac_certinfo *ci)
{
    size_t i;

    for (i = 0; i < ci->n_names; i++)
        free(ci->names[i]);
    free(ci->names);
    free(ci->issuer);
    memset(ci, 0, sizeof(*ci));
}

/* The issuer's common name, or its one-line name when it has none; escaped:
 * it ends up in listings. */
static autocert_err certinfo_issuer(autocert_ctx *ctx, X509 *x, ac_certinfo *out)
{
    const X509_NAME *name = X509_get_issuer_name(x);
    char cn[256], *line = NULL;
    int n = X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof(cn));

    if (n < 0 || (size_t)n != strlen(cn))
        line = X509_NAME_oneline(name, NULL, 0);
    out->issuer = ac_escape_dup(n >= 0 && line == NULL ? cn : line ? line : "", 200);
    OPENSSL_free(line);
    return out->issuer ? AUTOCERT_OK : ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
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

/* The DNS names and IP addresses of the certificate's subjectAltName
 * into out->names; other kinds of entries are not identifiers. */
static autocert_err certinfo_names(autocert_ctx *ctx, X509 *x, ac_certinfo *out)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    ac_sans s;
    autocert_err rc;
    size_t i;

    if ((rc = ac_sans_parse(ctx, gens, &s)) != AUTOCERT_OK)
        goto out;
    if (s.n > 0 && (out->names = calloc(s.n, sizeof(char *))) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < s.n; i++) {
        /* "a.example\0.evil" is not a.example: a name with a NUL is no name. */
        if ((s.v[i].type != AC_SAN_DNS && s.v[i].type != AC_SAN_IP) || s.v[i].value == NULL ||
            s.v[i].has_nul)
            continue;
        out->names[out->n_names++] = s.v[i].value;
        s.v[i].value = NULL;
    }
out:
    ac_sans_clear(&s);
    GENERAL_NAMES_free(gens);
    return rc;
}

autocert_err ac_certinfo_parse(autocert_ctx *ctx, const char *pem, size_t len,
                               const char *what, ac_certinfo *out)
{
    X509 *x = NULL;
    autocert_err rc = AUTOCERT_OK;

    memset(out, 0, sizeof(*out));
    if ((x = first_cert(pem, len)) == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CORRUPT, "%s: no PEM certificate", what);
    out->not_before = ac_asn1_time(X509_get0_notBefore(x));
    out->not_after = ac_asn1_time(X509_get0_notAfter(x));
    if (out->not_before == (time_t)-1 || out->not_after == (time_t)-1) {
        rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: unreadable validity period", what);
        goto out;
    }
    if ((rc = certinfo_names(ctx, x, out)) == AUTOCERT_OK)
        rc = certinfo_issuer(ctx, x, out);
out:
    X509_free(x);
    if (rc != AUTOCERT_OK)
        ac_certinfo_clear(out);
    return rc;
}

/* How many certificates the PEM text marks (BEGIN CERTIFICATE lines). */
static int pem_marked(const char *pem, size_t len)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    const char *p = pem, *end = pem + len;
    int marked = 0;

    while ((p = memmem(p, (size_t)(end - p), begin, sizeof(begin) - 1)) != NULL) {
        marked++;
        p += sizeof(begin) - 1;
    }
    return marked;
}

/* Whether OpenSSL's last error is the end of the PEM text, not a bad block. */
static int pem_ended(void)
{
    unsigned long e = ERR_peek_last_error();

    return e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
}

autocert_err ac_pem_certs(autocert_ctx *ctx, const char *pem, size_t len, const char *what,
                          int *count)
{
    int marked = pem_marked(pem, len);
    BIO *in = len > INT32_MAX ? NULL : BIO_new_mem_buf(pem, (int)len);
    X509 *x;

    *count = 0;
    if (in == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    ERR_clear_error();
    while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        X509_free(x);
        (*count)++;
    }
    BIO_free(in);
    if (ac_ssl_nomem())
        return ac_err_ssl(ctx, AUTOCERT_ERR_NOMEM, "%s: out of memory", what);
    if (*count < marked || !pem_ended())
        return ac_err_ssl(ctx, AUTOCERT_ERR_CORRUPT, "%s: certificate %d does not decode", what,
                          *count + 1);
    ERR_clear_error();
    return AUTOCERT_OK;
}

/* Writes the first certificate of `in` to `leaf` and every other one to
 * `rest`; *count is how many there were.  Other PEM blocks are skipped; a
 * certificate that does not decode is an error. */
static autocert_err pem_sort(autocert_ctx *ctx, const char *pem, size_t len, BIO *in, BIO *leaf,
                             BIO *rest, int *count)
{
    X509 *x = NULL;
    int ok, marked;

    /* Reading stops early when OpenSSL runs out of memory, on an error that
     * need not say so: every certificate the text marks must be read. */
    marked = pem_marked(pem, len);
    *count = 0;
    while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        ok = PEM_write_bio_X509(*count == 0 ? leaf : rest, x);
        X509_free(x);
        if (!ok)
            return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot encode certificate");
        (*count)++;
    }
    /* The loop must end on "no start line" (the end of the input); any other
     * reason is a certificate that does not decode. */
    if (ac_ssl_nomem())
        return ac_err_ssl(ctx, AUTOCERT_ERR_NOMEM, "certificate chain: out of memory");
    if (*count < marked || !pem_ended())
        return ac_err_ssl(ctx, AUTOCERT_ERR_PROTOCOL,
                          "certificate chain: certificate %d does not decode", *count + 1);
    ERR_clear_error();
    return AUTOCERT_OK;
}

/* The contents of a memory BIO as a string (malloc'd), NULL when out of memory. */
static char *bio_text(BIO *b)
{
    BUF_MEM *m = NULL;

    BIO_get_mem_ptr(b, &m);
    return strndup(m && m->data ? m->data : "", m ? m->length : 0);
}

autocert_err ac_pem_split(autocert_ctx *ctx, const char *pem, size_t len, char **leaf, char **rest)
{
    BIO *in = NULL, *b1 = NULL, *b2 = NULL;
    autocert_err rc = AUTOCERT_OK;
    int count = 0;

    *leaf = *rest = NULL;
    if (len > INT32_MAX || (in = BIO_new_mem_buf(pem, (int)len)) == NULL ||
        (b1 = BIO_new(BIO_s_mem())) == NULL || (b2 = BIO_new(BIO_s_mem())) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pem_sort(ctx, pem, len, in, b1, b2, &count)) != AUTOCERT_OK)
        goto out;
    if (count == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "certificate download: no PEM certificate in the response");
        goto out;
    }
    *leaf = bio_text(b1);
    *rest = bio_text(b2);
    if (*leaf == NULL || *rest == NULL) {
        free(*leaf);
        free(*rest);
        *leaf = *rest = NULL;
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
out:
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
