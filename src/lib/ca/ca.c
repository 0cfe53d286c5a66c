/* ca.c: the private CA: root and intermediate CAs, node certificates, CSR signing. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

#define CA_DAYS 1825
#define NODE_DAYS 365

typedef enum { ROLE_ROOT, ROLE_INTERMEDIATE, ROLE_LEAF } role;

typedef struct {
    STACK_OF(X509) *certs; /* the issuer's file: the CA first, then its chain */
    X509 *cert;            /* borrowed from certs */
    EVP_PKEY *key;
} issuer;

static void issuer_clear(issuer *is)
{
    sk_X509_pop_free(is->certs, X509_free);
    EVP_PKEY_free(is->key);
    memset(is, 0, sizeof(*is));
}

static autocert_err issuer_load(autocert_ctx *ctx, const autocert_ca_params *p, issuer *is)
{
    autocert_err rc;

    memset(is, 0, sizeof(*is));
    if (p->issuer_cert == NULL || p->issuer_key == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "the issuing CA's certificate and key are needed");
    if ((rc = ac_certs_load(ctx, p->issuer_cert, NULL, &is->certs)) != AUTOCERT_OK)
        goto out;
    is->cert = sk_X509_value(is->certs, 0);
    if (X509_check_ca(is->cert) < 1) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID,
                    "%s: not a CA certificate (basicConstraints CA:FALSE or no keyCertSign)",
                    p->issuer_cert);
        goto out;
    }
    if ((rc = ac_privkey_load(ctx, p->issuer_key, p->issuer_key_password_file, &is->key)) !=
        AUTOCERT_OK)
        goto out;
    if (X509_check_private_key(is->cert, is->key) != 1) {
        ERR_clear_error();
        rc = ac_err(ctx, AUTOCERT_ERR_MISMATCH, "%s does not match the certificate in %s",
                    p->issuer_key, p->issuer_cert);
        goto out;
    }
out:
    if (rc != AUTOCERT_OK)
        issuer_clear(is);
    return rc;
}

static void idents_free(ac_ident *ids, size_t n)
{
    size_t i;

    for (i = 0; ids && i < n; i++)
        ac_ident_clear(&ids[i]);
    free(ids);
}

/* Validates the DNS names and IP addresses of `p`; *ids malloc'd. */
static autocert_err idents_from_params(autocert_ctx *ctx, const autocert_ca_params *p,
                                       ac_ident **ids, size_t *n)
{
    size_t i, total = p->n_dns + p->n_ips;
    autocert_err rc = AUTOCERT_OK;

    *n = 0;
    if ((*ids = calloc(total ? total : 1, sizeof(**ids))) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < total; i++) {
        int want_ip = i >= p->n_dns;
        const char *in = want_ip ? p->ips[i - p->n_dns] : p->dns[i];
        ac_ident *id = &(*ids)[*n];

        if (in == NULL || (rc = ac_ident_parse(ctx, in, 1, id)) != AUTOCERT_OK) {
            if (want_ip)
                rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid IP address '%s'", in ? in : "");
            else if (in == NULL)
                rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "empty DNS name");
            goto out;
        }
        (*n)++;
        if (want_ip && id->type != AC_ID_IP) {
            rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid IP address '%s'", in);
            goto out;
        }
        if (!want_ip && id->type != AC_ID_DNS) {
            rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "'%s' is an IP address, not a DNS name", in);
            goto out;
        }
    }
out:
    if (rc != AUTOCERT_OK) {
        idents_free(*ids, *n);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

/* One SAN entry of a CSR as a validated identifier: DNS names and IP
 * addresses only. */
static autocert_err ident_from_san(autocert_ctx *ctx, const ac_san *s, const char *what,
                                   ac_ident *id)
{
    if (s->type != AC_SAN_DNS && s->type != AC_SAN_IP)
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "%s: only DNS names and IP addresses are supported in the SANs", what);
    /* A DNS name with an embedded NUL is malformed. */
    if (s->value == NULL || s->has_nul)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: malformed SAN entry", what);
    return ac_ident_parse(ctx, s->value, 1, id);
}

/* The subjectAltName entries of a CSR as validated identifiers. */
static autocert_err idents_from_csr(autocert_ctx *ctx, X509_REQ *req, const char *what,
                                    ac_ident **ids, size_t *n)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = NULL;
    ac_sans s;
    autocert_err rc;
    size_t i;

    *ids = NULL;
    *n = 0;
    if (exts)
        gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
    if ((rc = ac_sans_parse(ctx, gens, &s)) != AUTOCERT_OK)
        goto out;
    if ((*ids = calloc(s.n ? s.n : 1, sizeof(**ids))) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < s.n; i++, (*n)++)
        if ((rc = ident_from_san(ctx, &s.v[i], what, &(*ids)[*n])) != AUTOCERT_OK)
            goto out;
out:
    ac_sans_clear(&s);
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (rc != AUTOCERT_OK) {
        idents_free(*ids, *n);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

static const char *leaf_eku(unsigned usage)
{
    switch (usage & (AUTOCERT_USAGE_SERVER | AUTOCERT_USAGE_CLIENT)) {
    case AUTOCERT_USAGE_CLIENT: return "clientAuth";
    case AUTOCERT_USAGE_SERVER | AUTOCERT_USAGE_CLIENT: return "serverAuth,clientAuth";
    default: return "serverAuth";
    }
}

static const char *basic_constraints(role r)
{
    switch (r) {
    case ROLE_ROOT: return "critical,CA:TRUE";
    case ROLE_INTERMEDIATE: return "critical,CA:TRUE,pathlen:0";
    default: return "critical,CA:FALSE";
    }
}

/* CAs sign certificates; an RSA leaf may also be used for key transport. */
static const char *key_usage(role r, EVP_PKEY *pub)
{
    if (r != ROLE_LEAF)
        return "critical,keyCertSign,cRLSign,digitalSignature";
    if (EVP_PKEY_is_a(pub, "RSA"))
        return "critical,digitalSignature,keyEncipherment";
    return "critical,digitalSignature";
}

/* basicConstraints and keyUsage for the role, extendedKeyUsage for a
 * leaf, the subject and authority key identifiers. */
static autocert_err add_extensions(autocert_ctx *ctx, X509 *x, role r, unsigned usage,
                                   EVP_PKEY *pub, const issuer *is)
{
    autocert_err rc;

    if ((rc = ac_x509_add_ext(ctx, x, NULL, NID_basic_constraints, basic_constraints(r))) !=
            AUTOCERT_OK ||
        (rc = ac_x509_add_ext(ctx, x, NULL, NID_key_usage, key_usage(r, pub))) != AUTOCERT_OK)
        return rc;
    if (r == ROLE_LEAF &&
        (rc = ac_x509_add_ext(ctx, x, NULL, NID_ext_key_usage, leaf_eku(usage))) != AUTOCERT_OK)
        return rc;
    if ((rc = ac_x509_add_ext(ctx, x, NULL, NID_subject_key_identifier, "hash")) != AUTOCERT_OK)
        return rc;
    return ac_x509_add_ext(ctx, x, is ? is->cert : x, NID_authority_key_identifier, "keyid:always");
}

/* Builds and signs one certificate for `pub`. */
static autocert_err build(autocert_ctx *ctx, role r, const autocert_ca_params *p, EVP_PKEY *pub,
                          EVP_PKEY *self_key, const issuer *is, const char *cn,
                          const ac_ident *ids, size_t n, X509 **out)
{
    X509 *x = X509_new();
    int days = p->days ? p->days : (r == ROLE_LEAF ? NODE_DAYS : CA_DAYS);
    autocert_err rc;

    *out = NULL;
    if (x == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((rc = ac_x509_set_serial(ctx, x)) != AUTOCERT_OK ||
        (rc = ac_x509_set_cn(ctx, x, 1, cn)) != AUTOCERT_OK)
        goto out;
    if (!X509_set_issuer_name(x, is ? X509_get_subject_name(is->cert) : X509_get_subject_name(x)) ||
        !X509_set_pubkey(x, pub)) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot set the issuer or public key");
        goto out;
    }
    if ((rc = ac_x509_set_validity(ctx, x, days, is ? is->cert : NULL, p->days == 0)) !=
            AUTOCERT_OK ||
        (rc = add_extensions(ctx, x, r, p->usage, pub, is)) != AUTOCERT_OK)
        goto out;
    if (n > 0 && (rc = ac_x509_add_sans(ctx, x, ids, n)) != AUTOCERT_OK)
        goto out;
    rc = ac_x509_sign(ctx, x, is ? is->key : self_key);
out:
    if (rc == AUTOCERT_OK)
        *out = x;
    else
        X509_free(x);
    return rc;
}

/* Output paths, checked before any work is done. */
typedef struct {
    char *cert, *key;
} paths;

static autocert_err paths_make(autocert_ctx *ctx, const autocert_ca_params *p, const char *base,
                               int with_key, paths *o)
{
    const char *dir = p->out_dir ? p->out_dir : ".";
    const char *name = p->name ? p->name : base;
    ac_outfile f[2];
    autocert_err rc;

    memset(o, 0, sizeof(*o));
    memset(f, 0, sizeof(f));
    if (*name == '\0' || strchr(name, '/') != NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid base name '%s' (no '/')", name);
    o->cert = ac_path_join(dir, name, ".crt");
    o->key = with_key ? ac_path_join(dir, name, ".key") : NULL;
    if (o->cert == NULL || (with_key && o->key == NULL))
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    f[0].path = o->cert;
    f[1].path = o->key;
    if (!(p->flags & AUTOCERT_CA_FORCE) &&
        (rc = ac_files_absent(ctx, f, with_key ? 2 : 1)) != AUTOCERT_OK)
        return rc;
    return ac_dir_ensure(ctx, dir);
}

static void paths_free(paths *o)
{
    free(o->cert);
    free(o->key);
}

/* PEM of the certificate followed by the issuer's intermediates (never a
 * self-signed root), appended to `pem`. */
static autocert_err cert_chain_pem(autocert_ctx *ctx, X509 *x, const issuer *is, ac_buf *pem)
{
    autocert_err rc;
    int i;

    if ((rc = ac_x509_pem_append(ctx, x, pem)) != AUTOCERT_OK)
        return rc;
    for (i = 0; is && i < sk_X509_num(is->certs); i++) {
        X509 *c = sk_X509_value(is->certs, i);

        if (X509_get_extension_flags(c) & EXFLAG_SS)
            continue;
        if ((rc = ac_x509_pem_append(ctx, c, pem)) != AUTOCERT_OK)
            return rc;
    }
    return AUTOCERT_OK;
}

/* Writes the key (if any) and the certificate with its chain; hands out
 * the paths. */
static autocert_err write_out(autocert_ctx *ctx, const autocert_ca_params *p, paths *o, X509 *x,
                              EVP_PKEY *key, const issuer *is, char **cert_path, char **key_path)
{
    ac_buf pem;
    char *kpem = NULL;
    size_t klen = 0, nf = 0;
    ac_outfile f[2];
    autocert_err rc;

    ac_buf_init(&pem, AC_MAX_FILE);
    memset(f, 0, sizeof(f));
    if ((rc = cert_chain_pem(ctx, x, is, &pem)) != AUTOCERT_OK)
        goto out;
    if (key) {
        if ((rc = ac_key_to_pem(ctx, key, &kpem, &klen)) != AUTOCERT_OK)
            goto out;
        f[nf].path = o->key;
        f[nf].data = kpem;
        f[nf].len = klen;
        f[nf].secret = 1;
        nf++;
    }
    f[nf].path = o->cert;
    f[nf].data = pem.data;
    f[nf].len = pem.len;
    nf++;
    if ((rc = ac_files_write(ctx, f, nf, (p->flags & AUTOCERT_CA_FORCE) != 0)) != AUTOCERT_OK)
        goto out;
    if (cert_path) {
        *cert_path = o->cert;
        o->cert = NULL;
    }
    if (key_path) {
        *key_path = o->key;
        o->key = NULL;
    }
out:
    ac_free_secret(kpem, klen);
    ac_buf_free(&pem);
    return rc;
}

void autocert_ca_params_init(autocert_ca_params *p)
{
    memset(p, 0, sizeof(*p));
    p->size = sizeof(*p);
}

/* What every entry point does first: clears the outputs and the last
 * error, and copies the caller's parameters into *p.  A caller built
 * against an older header passes a smaller size: the fields it does not
 * know stay zero, their documented default. */
static autocert_err prologue(autocert_ctx *ctx, const autocert_ca_params *in,
                             autocert_ca_params *p, char **a, char **b)
{
    if (a)
        *a = NULL;
    if (b)
        *b = NULL;
    ac_err_clear(ctx);
    memset(p, 0, sizeof(*p));
    if (in == NULL || in->size < offsetof(autocert_ca_params, flags) + sizeof(in->flags))
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "CA parameters not initialised with autocert_ca_params_init()");
    memcpy(p, in, in->size < sizeof(*p) ? in->size : sizeof(*p));
    p->size = sizeof(*p);
    if (p->days < 0)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid validity of %d days", p->days);
    return AUTOCERT_OK;
}

/* The issuer of an intermediate CA: one that may issue CA certificates. */
static autocert_err ca_issuer_load(autocert_ctx *ctx, const autocert_ca_params *p, issuer *is)
{
    autocert_err rc;

    if ((rc = issuer_load(ctx, p, is)) != AUTOCERT_OK)
        return rc;
    if (X509_get_pathlen(is->cert) == 0) {
        issuer_clear(is);
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "%s: this CA may not issue CA certificates (pathLen 0)", p->issuer_cert);
    }
    return AUTOCERT_OK;
}

autocert_err autocert_ca_create(autocert_ctx *ctx, const autocert_ca_params *in,
                                char **cert_path, char **key_path)
{
    autocert_ca_params pv;
    const autocert_ca_params *p = &pv;
    int inter;
    issuer is;
    paths o;
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    autocert_err rc;

    memset(&is, 0, sizeof(is));
    memset(&o, 0, sizeof(o));
    if ((rc = prologue(ctx, in, &pv, cert_path, key_path)) != AUTOCERT_OK)
        return rc;
    inter = (p->flags & AUTOCERT_CA_INTERMEDIATE) != 0;
    if ((rc = paths_make(ctx, p, inter ? "intermediate" : "ca", 1, &o)) != AUTOCERT_OK)
        goto out;
    if ((inter && (rc = ca_issuer_load(ctx, p, &is)) != AUTOCERT_OK) ||
        (rc = ac_key_generate(ctx, p->key_type, &key)) != AUTOCERT_OK)
        goto out;
    rc = build(ctx, inter ? ROLE_INTERMEDIATE : ROLE_ROOT, p, key, key, inter ? &is : NULL,
               p->common_name ? p->common_name : inter ? "autocert Intermediate CA" : "autocert CA",
               NULL, 0, &x);
    if (rc != AUTOCERT_OK)
        goto out;
    rc = write_out(ctx, p, &o, x, key, inter ? &is : NULL, cert_path, key_path);
out:
    X509_free(x);
    EVP_PKEY_free(key);
    issuer_clear(&is);
    paths_free(&o);
    return rc;
}

/* The default CN: the first DNS name, else the first IP address. */
static const char *default_cn(const ac_ident *ids, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (ids[i].type == AC_ID_DNS)
            return ids[i].value;
    return n ? ids[0].value : NULL;
}

autocert_err autocert_ca_issue(autocert_ctx *ctx, const autocert_ca_params *in,
                               char **cert_path, char **key_path)
{
    autocert_ca_params pv;
    const autocert_ca_params *p = &pv;
    issuer is;
    paths o;
    ac_ident *ids = NULL;
    size_t n = 0;
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    autocert_err rc;

    memset(&is, 0, sizeof(is));
    memset(&o, 0, sizeof(o));
    if ((rc = prologue(ctx, in, &pv, cert_path, key_path)) != AUTOCERT_OK)
        return rc;
    if ((rc = idents_from_params(ctx, p, &ids, &n)) != AUTOCERT_OK)
        goto out;
    if (n == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_NO_NAMES, "at least one DNS name or IP address is needed");
        goto out;
    }
    if ((rc = paths_make(ctx, p, "node", 1, &o)) != AUTOCERT_OK ||
        (rc = issuer_load(ctx, p, &is)) != AUTOCERT_OK ||
        (rc = ac_key_generate(ctx, p->key_type, &key)) != AUTOCERT_OK)
        goto out;
    rc = build(ctx, ROLE_LEAF, p, key, NULL, &is, p->common_name ? p->common_name : default_cn(ids, n),
               ids, n, &x);
    if (rc != AUTOCERT_OK)
        goto out;
    rc = write_out(ctx, p, &o, x, key, &is, cert_path, key_path);
out:
    X509_free(x);
    EVP_PKEY_free(key);
    issuer_clear(&is);
    idents_free(ids, n);
    paths_free(&o);
    return rc;
}

/* The CN of a CSR's subject, malloc'd, or NULL. */
static char *csr_cn(X509_REQ *req)
{
    X509_NAME *name = X509_REQ_get_subject_name(req);
    int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
    unsigned char *utf8 = NULL;
    char *cn = NULL;
    int len;

    if (i < 0)
        return NULL;
    len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (len > 0)
        cn = strndup((char *)utf8, (size_t)len);
    OPENSSL_free(utf8);
    return cn;
}

/* The names of a certificate for a CSR: those of the parameters if any,
 * else the CSR's; NO_NAMES when there are none. */
static autocert_err sign_idents(autocert_ctx *ctx, const autocert_ca_params *p, X509_REQ *req,
                                ac_ident **ids, size_t *n)
{
    autocert_err rc;

    if (p->n_dns + p->n_ips > 0)
        rc = idents_from_params(ctx, p, ids, n);
    else
        rc = idents_from_csr(ctx, req, p->csr, ids, n);
    if (rc == AUTOCERT_OK && *n == 0) {
        idents_free(*ids, 0);
        *ids = NULL;
        rc = ac_err(ctx, AUTOCERT_ERR_NO_NAMES, "%s has no DNS name or IP address", p->csr);
    }
    return rc;
}

autocert_err autocert_ca_sign(autocert_ctx *ctx, const autocert_ca_params *in, char **cert_path)
{
    autocert_ca_params pv;
    const autocert_ca_params *p = &pv;
    issuer is;
    paths o;
    ac_ident *ids = NULL;
    size_t n = 0;
    X509_REQ *req = NULL;
    X509 *x = NULL;
    char *cn = NULL;
    autocert_err rc;

    memset(&is, 0, sizeof(is));
    memset(&o, 0, sizeof(o));
    if ((rc = prologue(ctx, in, &pv, cert_path, NULL)) != AUTOCERT_OK)
        return rc;
    if (p->csr == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "no CSR file given");
        goto out;
    }
    if ((rc = ac_csr_load(ctx, p->csr, &req)) != AUTOCERT_OK ||
        (rc = sign_idents(ctx, p, req, &ids, &n)) != AUTOCERT_OK)
        goto out;
    if (p->common_name == NULL)
        cn = csr_cn(req);
    if ((rc = paths_make(ctx, p, "node", 0, &o)) != AUTOCERT_OK ||
        (rc = issuer_load(ctx, p, &is)) != AUTOCERT_OK)
        goto out;
    rc = build(ctx, ROLE_LEAF, p, X509_REQ_get0_pubkey(req), NULL, &is,
               p->common_name ? p->common_name : cn ? cn : default_cn(ids, n), ids, n, &x);
    if (rc != AUTOCERT_OK)
        goto out;
    rc = write_out(ctx, p, &o, x, NULL, &is, cert_path, NULL);
out:
    free(cn);
    X509_free(x);
    X509_REQ_free(req);
    issuer_clear(&is);
    idents_free(ids, n);
    paths_free(&o);
    return rc;
}
