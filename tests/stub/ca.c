/* ca.c: the stub's throwaway issuing CA (root and intermediate); checks CSRs and issues the chain a mode asks for. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "stub.h"

static EVP_PKEY *root_key, *int_key, *other_key;
static X509 *root, *inter, *other_inter;

static EVP_PKEY *ec_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *e;
    int ok;

    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    if ((e = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
        return 0;
    ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

/* A certificate for `pub` named `cn`, signed by issuer/ikey (NULL: self). */
static X509 *make_cert(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *ikey, long from,
                       long to)
{
    X509 *x = X509_new();
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    int ok;

    RAND_bytes(serial, sizeof(serial));
    serial[0] &= 0x7f;
    ok = x && X509_set_version(x, 2) && (bn = BN_bin2bn(serial, sizeof(serial), NULL)) &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
         X509_gmtime_adj(X509_getm_notBefore(x), from) && X509_gmtime_adj(X509_getm_notAfter(x), to) &&
         X509_set_pubkey(x, pub);
    if (ok && cn)
        ok = X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                                        (const unsigned char *)cn, -1, -1, 0);
    ok = ok && X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)) &&
         add_ext(x, x, NID_subject_key_identifier, "hash") &&
         add_ext(x, issuer ? issuer : x, NID_authority_key_identifier, "keyid:always");
    if (ok && issuer == NULL)
        ok = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
             add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static X509 *make_ca(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey)
{
    X509 *x = make_cert(key, cn, issuer, ikey, -3600, 7 * 86400);

    if (x && issuer && (!add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
                        !add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign"))) {
        X509_free(x);
        return NULL;
    }
    if (x && !X509_sign(x, ikey ? ikey : key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int ca_init(const char *root_out)
{
    char tmp[4096];
    FILE *f;

    root_key = ec_key();
    int_key = ec_key();
    other_key = ec_key();
    if (!root_key || !int_key || !other_key ||
        (root = make_ca(root_key, "acme_stub root", NULL, NULL)) == NULL ||
        (inter = make_ca(int_key, "acme_stub intermediate", root, root_key)) == NULL ||
        (other_inter = make_ca(other_key, "acme_stub intermediate", root, root_key)) == NULL) {
        fprintf(stderr, "acme_stub: cannot make the CA\n");
        return -1;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", root_out);
    if ((f = fopen(tmp, "w")) == NULL || !PEM_write_X509(f, root) || fclose(f) != 0 ||
        rename(tmp, root_out) != 0) {
        fprintf(stderr, "acme_stub: cannot write %s\n", root_out);
        return -1;
    }
    return 0;
}

void ca_free(void)
{
    X509_free(root);
    X509_free(inter);
    X509_free(other_inter);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(int_key);
    EVP_PKEY_free(other_key);
}

/* The names of a CSR's SAN extension as "dns:x" / "ip:y", sorted out by
 * the caller; -1 when unreadable. */
static int csr_names(X509_REQ *req, char names[][264], size_t max, size_t *n)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = NULL;
    int i, rc = 0;

    *n = 0;
    for (i = 0; exts && i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
        if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name)
            gens = X509V3_EXT_d2i(e);
    }
    for (i = 0; gens && i < sk_GENERAL_NAME_num(gens) && rc == 0; i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        unsigned char *s = NULL;
        if (*n == max || (g->type != GEN_DNS && g->type != GEN_IPADD)) {
            rc = -1;
        } else if (g->type == GEN_DNS && ASN1_STRING_to_UTF8(&s, g->d.dNSName) >= 0) {
            snprintf(names[(*n)++], 264, "dns:%s", (char *)s);
        } else if (g->type == GEN_IPADD) {
            char t[INET6_ADDRSTRLEN] = "?";
            int len = ASN1_STRING_length(g->d.iPAddress);
            inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), t,
                      sizeof(t));
            snprintf(names[(*n)++], 264, "ip:%s", t);
        }
        OPENSSL_free(s);
    }
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return gens || rc ? rc : -1;
}

/* The CSR's names are exactly the order's. */
static int names_match(X509_REQ *req)
{
    char names[STUB_MAX_NAMES][264], want[264];
    size_t n = 0, i, k;

    if (csr_names(req, names, STUB_MAX_NAMES, &n) != 0 || n != order.n)
        return 0;
    for (i = 0; i < order.n; i++) {
        snprintf(want, sizeof(want), "%s:%s", order.type[i], order.value[i]);
        for (k = 0; k < n && strcasecmp(names[k], want) != 0; k++)
            ;
        if (k == n)
            return 0;
    }
    return 1;
}

/* The subjectAltName value of the leaf: the order's names, as the mode
 * changes them. */
static void leaf_sans(char *buf, size_t n)
{
    size_t i, len = 0, count = order.n;

    buf[0] = '\0';
    if (stub_mode("cert-missing-name") && count > 1)
        count--;
    for (i = 0; i < count; i++)
        len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s:%s", i ? "," : "",
                                strcmp(order.type[i], "ip") == 0 ? "IP" : "DNS", order.value[i]);
    if (stub_mode("cert-extra-name"))
        snprintf(buf + len, len < n ? n - len : 0, ",DNS:extra.example.net");
}

static X509 *make_leaf(EVP_PKEY *pub)
{
    long from = -3600, to = 30L * 86400;
    char sans[STUB_MAX_NAMES * 270];
    X509 *x;

    if (stub_mode("cert-expired")) {
        from = -30L * 86400;
        to = -86400;
    } else if (stub_mode("cert-future")) {
        from = 2L * 86400;
        to = 32L * 86400;
    }
    leaf_sans(sans, sizeof(sans));
    x = make_cert(stub_mode("cert-other-key") ? other_key : pub, NULL, inter, int_key, from, to);
    if (x && (!add_ext(x, inter, NID_subject_alt_name, sans) ||
              !add_ext(x, inter, NID_basic_constraints, "critical,CA:FALSE") ||
              !add_ext(x, inter, NID_ext_key_usage, "serverAuth") ||
              !add_ext(x, inter, NID_key_usage, "critical,digitalSignature") ||
              !X509_sign(x, int_key, EVP_sha256()))) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

/* The PEM text of the chain the mode asks for. */
static char *chain_pem(X509 *leaf)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL, *out = NULL;
    long n;
    int i;

    if (b == NULL)
        return NULL;
    if (stub_mode("cert-not-pem")) {
        BIO_puts(b, "this is not a certificate\n");
    } else {
        PEM_write_bio_X509(b, leaf);
        if (stub_mode("cert-garbage-pem"))
            BIO_puts(b, "-----BEGIN CERTIFICATE-----\nnot*base64*at*all\n-----END CERTIFICATE-----\n");
        else if (stub_mode("cert-wrong-intermediate"))
            PEM_write_bio_X509(b, other_inter);
        else if (!stub_mode("cert-leaf-alone"))
            PEM_write_bio_X509(b, inter);
        for (i = 0; stub_mode("cert-12") && i < 11; i++)
            PEM_write_bio_X509(b, inter);
    }
    if ((n = BIO_get_mem_data(b, &p)) > 0 && (out = malloc((size_t)n + 1)) != NULL) {
        memcpy(out, p, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(b);
    return out;
}

char *ca_issue(const char *csr64, const char **why)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    size_t len = 0;
    X509_REQ *req = NULL;
    EVP_PKEY *pub;
    X509 *leaf = NULL;
    char *pem = NULL;

    *why = "CSR is not base64url DER";
    if (b64url_decode(csr64, &der, &len) != 0 || (p = der, req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL)
        goto out;
    *why = "CSR signature does not verify";
    if ((pub = X509_REQ_get0_pubkey(req)) == NULL || X509_REQ_verify(req, pub) != 1)
        goto out;
    *why = "CSR names are not the order's identifiers";
    if (!names_match(req))
        goto out;
    *why = "cannot issue";
    if ((leaf = make_leaf(pub)) != NULL && (pem = chain_pem(leaf)) != NULL)
        *why = NULL;
out:
    X509_free(leaf);
    X509_REQ_free(req);
    free(der);
    return pem;
}
