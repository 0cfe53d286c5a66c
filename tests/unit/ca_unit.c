/* ca_unit.c: fixtures shared by the private CA unit tests. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca_unit.h"

int fx_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-unit.XXXXXX");
    if (mkdtemp(f->dir) == NULL || (f->ctx = autocert_ctx_new()) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

int fx_teardown(void **state)
{
    fixture *f = *state;
    int rc = ac_remove_tree(f->dir);

    autocert_ctx_free(f->ctx);
    free(f);
    return rc;
}

char *fx_path(fixture *f, const char *name)
{
    char *p = ac_path_join(f->dir, name, NULL);

    assert_non_null(p);
    return p;
}

void fx_write(fixture *f, const char *name, const void *data, size_t len)
{
    char *p = fx_path(f, name);
    FILE *fp = fopen(p, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    free(p);
}

void fx_write_text(fixture *f, const char *name, const char *text)
{
    fx_write(f, name, text, strlen(text));
}

X509 *fx_load_first(const char *file)
{
    FILE *fp = fopen(file, "r");
    X509 *x;

    assert_non_null(fp);
    x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(x);
    return x;
}

int fx_count_certs(const char *file)
{
    STACK_OF(X509) *s = NULL;
    int n;

    assert_int_equal(ac_certs_load(NULL, file, NULL, &s), AUTOCERT_OK);
    n = sk_X509_num(s);
    sk_X509_pop_free(s, X509_free);
    return n;
}

void fx_make_cas(fixture *f, int inter, autocert_key_type kt)
{
    autocert_ca_params p;
    char *c = fx_path(f, "ca.crt"), *k = fx_path(f, "ca.key");

    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.key_type = kt;
    assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_OK);
    if (inter) {
        p.flags = AUTOCERT_CA_INTERMEDIATE;
        p.issuer_cert = c;
        p.issuer_key = k;
        assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_OK);
    }
    free(c);
    free(k);
}

autocert_err fx_issue(fixture *f, const char *ca, const char *name, unsigned usage,
                      const char *dns, const char *ip, int days)
{
    autocert_ca_params p;
    char *c = fx_path(f, ca), *k;
    char keyname[64];
    const char *dv[1] = {dns}, *iv[1] = {ip};
    autocert_err rc;

    snprintf(keyname, sizeof(keyname), "%.*s.key", (int)(strlen(ca) - 4), ca);
    k = fx_path(f, keyname);
    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.name = name;
    p.usage = usage;
    p.dns = dns ? dv : NULL;
    p.n_dns = dns ? 1 : 0;
    p.ips = ip ? iv : NULL;
    p.n_ips = ip ? 1 : 0;
    p.days = days;
    p.issuer_cert = c;
    p.issuer_key = k;
    rc = autocert_ca_issue(f->ctx, &p, NULL, NULL);
    free(c);
    free(k);
    return rc;
}

EVP_PKEY *fx_key(autocert_key_type t)
{
    EVP_PKEY *k = NULL;

    assert_int_equal(ac_key_generate(NULL, t, &k), AUTOCERT_OK);
    assert_non_null(k);
    return k;
}

void fx_san_add(GENERAL_NAMES *gens, int type, const void *data, int len)
{
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_STRING *s = type == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();

    assert_non_null(g);
    assert_non_null(s);
    assert_true(ASN1_STRING_set(s, data, len));
    GENERAL_NAME_set0_value(g, type, s);
    assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
}

void fx_san_add_rid(GENERAL_NAMES *gens, const char *oid)
{
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);

    assert_non_null(g);
    assert_non_null(o);
    GENERAL_NAME_set0_value(g, GEN_RID, o);
    assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
    assert_non_null(ext);
    assert_true(X509_add_ext(x, ext, -1));
    X509_EXTENSION_free(ext);
}

X509 *fx_make_cert(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *sign_key, time_t nb,
                   time_t na, const char *bc, GENERAL_NAMES *sans)
{
    static long serial = 1000;
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    const EVP_MD *md = EVP_PKEY_is_a(sign_key, "ED25519") ? NULL : EVP_sha256();

    assert_non_null(x);
    assert_non_null(name);
    assert_true(X509_set_version(x, X509_VERSION_3));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++));
    assert_true(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                           (const unsigned char *)cn, -1, -1, 0));
    assert_true(X509_set_subject_name(x, name));
    assert_true(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name));
    X509_NAME_free(name);
    assert_true(X509_set_pubkey(x, pub));
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
    if (bc)
        add_ext(x, issuer, NID_basic_constraints, bc);
    add_ext(x, issuer, NID_subject_key_identifier, "hash");
    add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
    if (sans)
        assert_true(X509_add1_ext_i2d(x, NID_subject_alt_name, sans, 0, X509V3_ADD_REPLACE));
    assert_true(X509_sign(x, sign_key, md) > 0);
    return x;
}

char *fx_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    char *s;

    assert_non_null(bio);
    assert_true(PEM_write_bio_X509(bio, x));
    BIO_get_mem_ptr(bio, &m);
    s = strndup(m->data, m->length);
    assert_non_null(s);
    BIO_free(bio);
    return s;
}

void fx_write_certs(fixture *f, const char *name, X509 **certs, int n)
{
    char *p = fx_path(f, name);
    FILE *fp = fopen(p, "w");
    int i;

    assert_non_null(fp);
    for (i = 0; i < n; i++)
        assert_true(PEM_write_X509(fp, certs[i]));
    assert_int_equal(fclose(fp), 0);
    free(p);
}

void fx_write_csr(fixture *f, const char *name, EVP_PKEY *key, const char *cn,
                  GENERAL_NAMES *sans)
{
    X509_REQ *req = X509_REQ_new();
    STACK_OF(X509_EXTENSION) *exts = NULL;
    char *p = fx_path(f, name);
    FILE *fp;

    assert_non_null(req);
    if (cn)
        assert_true(X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName,
                                               MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                               0));
    assert_true(X509_REQ_set_pubkey(req, key));
    if (sans) {
        assert_true(X509V3_add1_i2d(&exts, NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT));
        assert_true(X509_REQ_add_extensions(req, exts));
    }
    assert_true(X509_REQ_sign(req, key, EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256()) > 0);
    fp = fopen(p, "w");
    assert_non_null(fp);
    assert_true(PEM_write_X509_REQ(fp, req));
    assert_int_equal(fclose(fp), 0);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    free(p);
}
