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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serial_random_positive),
        cmocka_unit_test_setup_teardown(test_validity, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sans_and_md, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
