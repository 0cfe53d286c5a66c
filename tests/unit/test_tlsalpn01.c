/* test_tlsalpn01.c: the TLS-ALPN-01 challenge certificate (RFC 8737 section 3), parsed back and checked. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "challenge/challenge.h"
#include "unit.h"

#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEYAUTH TOKEN ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define OID "1.3.6.1.5.5.7.1.31"

/* Makes the certificate of (ident, key_auth), which must succeed. */
static void make(autocert_ctx *ctx, const char *ident, const char *ka, X509 **x, EVP_PKEY **k)
{
    void *c = NULL, *key = NULL;

    assert_int_equal(ac_tlsalpn01_cert(ctx, ident, ka, &c, &key), AUTOCERT_OK);
    assert_non_null(c);
    assert_non_null(key);
    *x = c;
    *k = key;
}

/* The single dNSName of the subjectAltName, or fails. */
static void assert_san_is(X509 *x, const char *want)
{
    int crit = -1;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    const GENERAL_NAME *g;
    const ASN1_IA5STRING *s;

    assert_non_null(gens);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
    g = sk_GENERAL_NAME_value(gens, 0);
    assert_int_equal(g->type, GEN_DNS);
    s = g->d.dNSName;
    assert_int_equal(ASN1_STRING_length(s), (int)strlen(want));
    assert_memory_equal(ASN1_STRING_get0_data(s), want, strlen(want));
    GENERAL_NAMES_free(gens);
}

/* The acmeIdentifier extension: critical, once, holding the DER OCTET
 * STRING of SHA-256(ka) computed here. */
static void assert_acme_identifier(X509 *x, const char *ka)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(OID, 1);
    int i = X509_get_ext_by_OBJ(x, obj, -1);
    X509_EXTENSION *ext;
    const ASN1_OCTET_STRING *data;
    const unsigned char *p;
    ASN1_OCTET_STRING *inner;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char txt[64];

    assert_true(i >= 0);
    assert_int_equal(X509_get_ext_by_OBJ(x, obj, i), -1); /* only one */
    ext = X509_get_ext(x, i);
    assert_int_equal(X509_EXTENSION_get_critical(ext), 1);
    assert_true(OBJ_obj2txt(txt, sizeof(txt), X509_EXTENSION_get_object(ext), 1) > 0);
    assert_string_equal(txt, OID);
    data = X509_EXTENSION_get_data(ext);
    p = ASN1_STRING_get0_data(data);
    /* The whole extnValue is one OCTET STRING of 32 bytes: 04 20 ... */
    assert_int_equal(ASN1_STRING_length(data), 34);
    assert_int_equal(p[0], V_ASN1_OCTET_STRING);
    inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(data));
    assert_non_null(inner);
    assert_ptr_equal(p, ASN1_STRING_get0_data(data) + ASN1_STRING_length(data));
    assert_int_equal(EVP_Digest(ka, strlen(ka), md, &mdlen, EVP_sha256(), NULL), 1);
    assert_int_equal(mdlen, 32);
    assert_int_equal(ASN1_STRING_length(inner), 32);
    assert_memory_equal(ASN1_STRING_get0_data(inner), md, 32);
    ASN1_OCTET_STRING_free(inner);
    ASN1_OBJECT_free(obj);
}

static void test_cert(void **state)
{
    autocert_ctx *ctx = *state;
    X509 *x = NULL;
    EVP_PKEY *k = NULL, *pub;
    time_t now = time(NULL);

    make(ctx, "www.example.com", KEYAUTH, &x, &k);
    assert_san_is(x, "www.example.com");
    assert_acme_identifier(x, KEYAUTH);
    /* The key matches, is a fresh P-256 one, and signed the certificate. */
    assert_int_equal(X509_check_private_key(x, k), 1);
    assert_true(EVP_PKEY_is_a(k, "EC"));
    assert_int_equal(EVP_PKEY_get_bits(k), 256);
    pub = X509_get0_pubkey(x);
    assert_int_equal(X509_verify(x, pub), 1);
    /* Valid now, and not for long. */
    assert_true(X509_cmp_time(X509_get0_notBefore(x), &now) < 0);
    assert_true(X509_cmp_time(X509_get0_notAfter(x), &now) > 0);
    now += 2 * 86400;
    assert_true(X509_cmp_time(X509_get0_notAfter(x), &now) < 0);
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* Two certificates: different keys and serials; each digest its own. */
static void test_cert_fresh(void **state)
{
    autocert_ctx *ctx = *state;
    X509 *a = NULL, *b = NULL;
    EVP_PKEY *ka = NULL, *kb = NULL;

    make(ctx, "a.example.org", KEYAUTH, &a, &ka);
    make(ctx, "a.example.org", "other.key-auth", &b, &kb);
    assert_int_not_equal(EVP_PKEY_eq(ka, kb), 1);
    assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)), 0);
    assert_acme_identifier(b, "other.key-auth");
    assert_int_equal(X509_check_private_key(a, kb), 0);
    X509_free(a);
    X509_free(b);
    EVP_PKEY_free(ka);
    EVP_PKEY_free(kb);
}

static void assert_fails(autocert_ctx *ctx, const char *ident, const char *ka, autocert_err want,
                         const char *msg)
{
    void *c = (void *)1, *k = (void *)1;

    assert_int_equal(ac_tlsalpn01_cert(ctx, ident, ka, &c, &k), want);
    assert_null(c);
    assert_null(k);
    assert_non_null(strstr(autocert_last_error(ctx), msg));
}

static void test_cert_refused(void **state)
{
    autocert_ctx *ctx = *state;

    assert_fails(ctx, "www.example.com", NULL, AUTOCERT_ERR_INVALID, "no key authorization");
    assert_fails(ctx, "www.example.com", "", AUTOCERT_ERR_INVALID, "no key authorization");
    assert_fails(ctx, NULL, KEYAUTH, AUTOCERT_ERR_INVALID, "no identifier");
    assert_fails(ctx, "bad name.example", KEYAUTH, AUTOCERT_ERR_INVALID, "bad name");
    assert_fails(ctx, "*.example.com", KEYAUTH, AUTOCERT_ERR_INVALID, "*.example.com");
    assert_fails(ctx, "", KEYAUTH, AUTOCERT_ERR_INVALID, "");
    assert_fails(ctx, "192.0.2.1", KEYAUTH, AUTOCERT_ERR_UNSUPPORTED, "DNS names only");
}

/* Without a context (a handshake callback may have none): made all the
 * same; a failure is only its code. */
static void test_cert_no_ctx(void **state)
{
    void *c = NULL, *k = NULL;

    (void)state;
    assert_int_equal(ac_tlsalpn01_cert(NULL, "example.net", KEYAUTH, &c, &k), AUTOCERT_OK);
    assert_acme_identifier(c, KEYAUTH);
    assert_san_is(c, "example.net");
    X509_free(c);
    EVP_PKEY_free(k);
    assert_int_equal(ac_tlsalpn01_cert(NULL, "bad name", KEYAUTH, &c, &k), AUTOCERT_ERR_INVALID);
    assert_null(c);
    assert_null(k);
}

/* The SAN carries the identifier as validated: lower case. */
static void test_cert_normalized(void **state)
{
    autocert_ctx *ctx = *state;
    X509 *x = NULL;
    EVP_PKEY *k = NULL;

    make(ctx, "WWW.Example.COM", KEYAUTH, &x, &k);
    assert_san_is(x, "www.example.com");
    X509_free(x);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cert, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_cert_fresh, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_cert_refused, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_cert_normalized, ctx_setup, ctx_teardown),
        cmocka_unit_test(test_cert_no_ctx),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
