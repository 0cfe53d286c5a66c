/* test_x509build.c: the building blocks of a certificate: serial, validity, extensions, names, digest and signature. */
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
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca_unit.h"

static const char *last(fixture *f)
{
    return autocert_last_error(f->ctx);
}

/* ---- serial -------------------------------------------------------------- */

static void test_serial_random_positive(void **state)
{
    X509 *a = X509_new(), *b = X509_new();
    BIGNUM *ba, *bb;

    (void)state;
    assert_int_equal(ac_x509_set_serial(NULL, a), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_serial(NULL, b), AUTOCERT_OK);
    ba = ASN1_INTEGER_to_BN(X509_get0_serialNumber(a), NULL);
    bb = ASN1_INTEGER_to_BN(X509_get0_serialNumber(b), NULL);
    assert_false(BN_is_negative(ba));
    assert_false(BN_is_zero(ba));
    assert_true(BN_num_bits(ba) <= 128);
    assert_true(BN_num_bits(ba) > 64); /* overwhelmingly likely for 128 random bits */
    assert_int_not_equal(BN_cmp(ba, bb), 0);
    BN_free(ba);
    BN_free(bb);
    X509_free(a);
    X509_free(b);
}

/* ---- validity ------------------------------------------------------------ */

static void test_validity(void **state)
{
    fixture *f = *state;
    X509 *x = X509_new(), *issuer = X509_new();
    time_t now = time(NULL), na;

    assert_int_equal(ac_x509_set_validity(f->ctx, x, 0, NULL, 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, -3, NULL, 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 10, NULL, 0), AUTOCERT_OK);
    na = ac_asn1_time(X509_get0_notAfter(x));
    assert_true(na >= now + 10 * 86400 && na <= now + 10 * 86400 + 5);
    assert_true(ac_asn1_time(X509_get0_notBefore(x)) < now);
    /* An issuer valid for 30 more days. */
    ASN1_TIME_set(X509_getm_notBefore(issuer), now - 86400);
    ASN1_TIME_set(X509_getm_notAfter(issuer), now + 30 * 86400);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 31, issuer, 0), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "outlive"));
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 29, issuer, 0), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 365, issuer, 1), AUTOCERT_OK);
    assert_int_equal(ac_asn1_time(X509_get0_notAfter(x)), now + 30 * 86400);
    /* An expired issuer signs nothing. */
    ASN1_TIME_set(X509_getm_notAfter(issuer), now - 10);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 1, issuer, 1), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "expired"));
    X509_free(x);
    X509_free(issuer);
}

static void test_validity_bounds(void **state)
{
    fixture *f = *state;
    X509 *x = X509_new(), *issuer = X509_new(), *blank = X509_new();
    time_t now = time(NULL), nb;

    /* Backdated a few minutes against clock skew, by itself. */
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 36500, NULL, 0), AUTOCERT_OK);
    nb = ac_asn1_time(X509_get0_notBefore(x));
    assert_true(nb <= now - 300 && nb >= now - 305);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 36501, NULL, 0), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(last(f), "expected 1 to 36500"));
    /* Never before the issuer's own notBefore. */
    ASN1_TIME_set(X509_getm_notBefore(issuer), now - 60);
    ASN1_TIME_set(X509_getm_notAfter(issuer), now + 10 * 86400);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 5, issuer, 0), AUTOCERT_OK);
    assert_int_equal(ac_asn1_time(X509_get0_notBefore(x)), now - 60);
    /* An issuer that is not valid yet. */
    ASN1_TIME_set(X509_getm_notBefore(issuer), now + 3600);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 1, issuer, 1), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(last(f), "the issuing CA is not valid before"));
    /* An issuer without a readable validity period. */
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 1, blank, 1), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(last(f), "validity period is unreadable"));
    X509_free(x);
    X509_free(issuer);
    X509_free(blank);
}

/* ---- names, extensions, digest and signature ----------------------------- */

static void test_sans_and_md(void **state)
{
    fixture *f = *state;
    X509 *x = X509_new();
    ac_ident ids[2] = {{AC_ID_DNS, (char *)"node.example"}, {AC_ID_IP, (char *)"::1"}};
    EVP_PKEY *ec = NULL, *ed = NULL;
    ac_certinfo ci;
    ac_buf b;

    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_EC384, &ec), AUTOCERT_OK);
    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_ED25519, &ed), AUTOCERT_OK);
    assert_ptr_equal(ac_x509_md(ec), EVP_sha384());
    assert_null(ac_x509_md(ed));
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 1, "n"), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 1, ""), AUTOCERT_ERR_INVALID);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, ec);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 1, NULL, 0), AUTOCERT_OK);
    assert_int_equal(ac_x509_add_sans(f->ctx, x, ids, 2), AUTOCERT_OK);
    assert_int_equal(ac_x509_add_ext(f->ctx, x, NULL, NID_basic_constraints, "critical,CA:FALSE"),
                     AUTOCERT_OK);
    assert_int_equal(ac_x509_add_ext(f->ctx, x, NULL, NID_basic_constraints, "nonsense"),
                     AUTOCERT_ERR_CRYPTO);
    assert_int_equal(ac_x509_sign(f->ctx, x, ec), AUTOCERT_OK);
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
    ac_buf_init(&b, 65536);
    assert_int_equal(ac_x509_pem_append(f->ctx, x, &b), AUTOCERT_OK);
    assert_int_equal(ac_certinfo_parse(f->ctx, (char *)b.data, b.len, "t", &ci), AUTOCERT_OK);
    assert_int_equal(ci.n_names, 2);
    assert_string_equal(ci.names[0], "node.example");
    assert_string_equal(ci.names[1], "::1");
    ac_certinfo_clear(&ci);
    ac_buf_free(&b);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
    X509_free(x);
}

static void test_md_and_signature(void **state)
{
    fixture *f = *state;
    EVP_PKEY *ec = fx_key(AUTOCERT_KEY_EC256), *rsa = fx_key(AUTOCERT_KEY_RSA2048);
    EVP_PKEY *ed = fx_key(AUTOCERT_KEY_ED25519);
    X509 *x = X509_new();

    assert_ptr_equal(ac_x509_md(ec), EVP_sha256());
    assert_ptr_equal(ac_x509_md(rsa), EVP_sha256());
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 1, "sig"), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 0, "sig"), AUTOCERT_OK);
    X509_set_pubkey(x, ed);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 1, NULL, 0), AUTOCERT_OK);
    assert_int_equal(ac_x509_sign(f->ctx, x, ed), AUTOCERT_OK);
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    assert_int_equal(X509_get_signature_nid(x), NID_ED25519);
    assert_int_equal(X509_verify(x, ed), 1);
    assert_int_equal(ac_x509_sign(f->ctx, x, rsa), AUTOCERT_OK);
    assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
    assert_int_equal(X509_verify(x, rsa), 1);
    X509_free(x);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
}

static void test_set_cn(void **state)
{
    fixture *f = *state;
    X509 *x = X509_new();
    char cn[66], got[80];

    memset(cn, 'a', sizeof(cn) - 1);
    cn[sizeof(cn) - 1] = '\0';
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 1, cn), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(last(f), "1 to 64 characters"));
    cn[64] = '\0';
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 1, cn), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 0, "Issuer CA"), AUTOCERT_OK);
    assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, got,
                                               sizeof(got)),
                     64);
    assert_int_equal(X509_NAME_get_text_by_NID(X509_get_issuer_name(x), NID_commonName, got,
                                               sizeof(got)),
                     9);
    assert_string_equal(got, "Issuer CA");
    X509_free(x);
}

static void test_extensions(void **state)
{
    fixture *f = *state;
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256);
    time_t now = time(NULL);
    X509 *ca = fx_make_cert(k, "CA", NULL, k, now - 60, now + 86400, "critical,CA:TRUE", NULL);
    X509 *x = X509_new();
    int i;

    X509_set_pubkey(x, k);
    assert_int_equal(ac_x509_add_ext(f->ctx, x, NULL, NID_basic_constraints, "critical,CA:FALSE"),
                     AUTOCERT_OK);
    assert_int_equal(ac_x509_add_ext(f->ctx, x, NULL, NID_ext_key_usage, "clientAuth"),
                     AUTOCERT_OK);
    /* The authority key identifier is the issuer's subject key identifier. */
    assert_int_equal(ac_x509_add_ext(f->ctx, x, ca, NID_authority_key_identifier, "keyid:always"),
                     AUTOCERT_OK);
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 1, "leaf"), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 0, "CA"), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 1, ca, 0), AUTOCERT_OK);
    assert_int_equal(ac_x509_sign(f->ctx, x, k), AUTOCERT_OK);
    i = X509_get_ext_by_NID(x, NID_basic_constraints, -1);
    assert_true(i >= 0);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), 1);
    i = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);
    assert_true(i >= 0);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), 0);
    assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
                                           X509_get0_subject_key_id(ca)),
                     0);
    assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
    /* A value the extension does not take: the message names both. */
    assert_int_equal(ac_x509_add_ext(f->ctx, x, NULL, NID_key_usage, "critical,sideways"),
                     AUTOCERT_ERR_CRYPTO);
    assert_non_null(strstr(last(f), "keyUsage"));
    assert_non_null(strstr(last(f), "critical,sideways"));
    assert_int_equal(ERR_peek_error(), 0);
    X509_free(x);
    X509_free(ca);
    EVP_PKEY_free(k);
}

static void test_add_sans(void **state)
{
    fixture *f = *state;
    X509 *x = X509_new();
    ac_ident ids[3] = {{AC_ID_DNS, (char *)"a.example"},
                       {AC_ID_IP, (char *)"192.0.2.1"},
                       {AC_ID_IP, (char *)"2001:db8::1"}};
    ac_ident bad[1] = {{AC_ID_IP, (char *)"300.1.1.1"}};
    GENERAL_NAMES *gens;
    int type;
    const ASN1_STRING *v;

    assert_int_equal(ac_x509_add_sans(f->ctx, x, ids, 1), AUTOCERT_OK);
    /* A second call replaces the extension. */
    assert_int_equal(ac_x509_add_sans(f->ctx, x, ids, 3), AUTOCERT_OK);
    assert_int_equal(X509_get_ext_count(x), 1);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, 0)), 0);
    gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    assert_non_null(gens);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 3);
    v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, 0), &type);
    assert_int_equal(type, GEN_DNS);
    assert_memory_equal(ASN1_STRING_get0_data(v), "a.example", 9);
    v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, 1), &type);
    assert_int_equal(type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(v), 4);
    v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, 2), &type);
    assert_int_equal(type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(v), 16);
    GENERAL_NAMES_free(gens);
    assert_int_equal(ac_x509_add_sans(f->ctx, x, bad, 1), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(last(f), "invalid IP address '300.1.1.1'"));
    X509_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serial_random_positive),
        cmocka_unit_test_setup_teardown(test_validity, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_validity_bounds, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sans_and_md, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_md_and_signature, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_set_cn, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_extensions, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_add_sans, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
