/* test_pkcs12.c: exporting a certificate, its chain and key as a PKCS#12 bundle. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "ca_unit.h"

static void test_p12_roundtrip(void **state)
{
    fixture *f = *state;
    char *crt = fx_path(f, "node.crt"), *key = fx_path(f, "node.key"), *p12 = fx_path(f, "node.p12");
    char *pw = fx_path(f, "pw"), *bad = fx_path(f, "bad"), *missing_key = fx_path(f, "ca.key");
    EVP_PKEY *k = NULL;
    STACK_OF(X509) *certs = NULL;
    struct stat st;

    fx_make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, 0, "p.example", NULL, 0), AUTOCERT_OK);
    fx_write_text(f, "pw", "s3cret\n");
    fx_write_text(f, "bad", "wrong\n");
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, missing_key, NULL, pw, NULL, 0),
                     AUTOCERT_ERR_MISMATCH);
    assert_int_not_equal(stat(p12, &st), 0);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, NULL, pw, NULL, 0), AUTOCERT_OK);
    assert_int_equal(stat(p12, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, NULL, pw, NULL, 0), AUTOCERT_ERR_EXISTS);
    assert_int_equal(ac_privkey_load(f->ctx, p12, bad, &k), AUTOCERT_ERR_PASSWORD);
    assert_int_equal(ac_privkey_load(f->ctx, p12, NULL, &k), AUTOCERT_ERR_PASSWORD);
    assert_int_equal(ac_privkey_load(f->ctx, p12, pw, &k), AUTOCERT_OK);
    assert_int_equal(ac_certs_load(f->ctx, p12, pw, &certs), AUTOCERT_OK);
    assert_int_equal(sk_X509_num(certs), 2);
    assert_int_equal(X509_check_private_key(sk_X509_value(certs, 0), k), 1);
    sk_X509_pop_free(certs, X509_free);
    EVP_PKEY_free(k);
    free(crt);
    free(key);
    free(p12);
    free(pw);
    free(bad);
    free(missing_key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_p12_roundtrip, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
