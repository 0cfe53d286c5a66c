/* test_x509io.c: the CA toolkit's readers: passwords, certificates, keys and CSRs (PEM, DER, PKCS#12). */
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
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "ca/ca.h"
#include "ca_unit.h"

/* ---- private keys -------------------------------------------------------- */

static void test_encrypted_pkcs8_issuer(void **state)
{
    fixture *f = *state;
    char *kp = fx_path(f, "ca.key"), *enc = fx_path(f, "ca-enc.key"), *pw = fx_path(f, "pw");
    char *bad = fx_path(f, "bad");
    EVP_PKEY *k = NULL;
    FILE *fp;

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(ac_privkey_load(f->ctx, kp, NULL, &k), AUTOCERT_OK);
    fp = fopen(enc, "w");
    assert_non_null(fp);
    assert_true(PEM_write_PKCS8PrivateKey(fp, k, EVP_aes_256_cbc(), "pa55", 4, NULL, NULL));
    fclose(fp);
    EVP_PKEY_free(k);
    k = NULL;
    fx_write_text(f, "pw", "pa55\r\n");
    fx_write_text(f, "bad", "nope\n");
    assert_int_equal(ac_privkey_load(f->ctx, enc, NULL, &k), AUTOCERT_ERR_PASSWORD);
    assert_int_equal(ac_privkey_load(f->ctx, enc, bad, &k), AUTOCERT_ERR_PASSWORD);
    assert_non_null(strstr(autocert_last_error(f->ctx), "wrong password"));
    assert_int_equal(ac_privkey_load(f->ctx, enc, pw, &k), AUTOCERT_OK);
    EVP_PKEY_free(k);
    free(kp);
    free(enc);
    free(pw);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_encrypted_pkcs8_issuer, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
