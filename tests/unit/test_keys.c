/* test_keys.c: keys: generation of every type, PEM both ways, the names of key types, refusals. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "internal.h"
#include "unit.h"

static EVP_PKEY *gen(autocert_key_type t)
{
    EVP_PKEY *k = NULL;

    assert_int_equal(ac_key_generate(NULL, t, &k), AUTOCERT_OK);
    assert_non_null(k);
    return k;
}

static void check_key_type(autocert_ctx *ctx, autocert_key_type t, const char *name, int bits)
{
    EVP_PKEY *k = NULL, *back = NULL;
    char *pem = NULL;
    size_t len = 0;

    assert_int_equal(ac_key_generate(ctx, t, &k), AUTOCERT_OK);
    assert_non_null(k);
    assert_string_equal(ac_key_type_of(k), name);
    assert_string_equal(ac_key_type_of(k), autocert_key_type_name(t));
    assert_int_equal(EVP_PKEY_get_bits(k), bits);
    /* PEM round trip: unencrypted PKCS#8, the same key back. */
    assert_int_equal(ac_key_to_pem(ctx, k, &pem, &len), AUTOCERT_OK);
    assert_non_null(pem);
    assert_int_equal(strlen(pem), len);
    assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    assert_null(strstr(pem, "ENCRYPTED"));
    assert_int_equal(ac_key_from_pem(ctx, pem, len, "round-trip", &back), AUTOCERT_OK);
    assert_non_null(back);
    assert_int_equal(EVP_PKEY_eq(k, back), 1);
    assert_string_equal(ac_key_type_of(back), name);
    ac_free_secret(pem, len);
    EVP_PKEY_free(back);
    EVP_PKEY_free(k);
}

static void test_key_types(void **state)
{
    autocert_ctx *ctx = *state;

    check_key_type(ctx, AUTOCERT_KEY_EC256, "ec256", 256);
    check_key_type(ctx, AUTOCERT_KEY_EC384, "ec384", 384);
    check_key_type(ctx, AUTOCERT_KEY_RSA2048, "rsa2048", 2048);
    check_key_type(ctx, AUTOCERT_KEY_RSA3072, "rsa3072", 3072);
    check_key_type(ctx, AUTOCERT_KEY_RSA4096, "rsa4096", 4096);
    check_key_type(ctx, AUTOCERT_KEY_ED25519, "ed25519", 256);
}

static void test_key_type_of_others(void **state)
{
    EVP_PKEY *k;

    (void)state;
    assert_string_equal(ac_key_type_of(NULL), "unknown");
    k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    assert_non_null(k);
    assert_string_equal(ac_key_type_of(k), "ec521");
    EVP_PKEY_free(k);
    k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(k);
    assert_string_equal(ac_key_type_of(k), "rsa");
    EVP_PKEY_free(k);
    k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    assert_non_null(k);
    assert_string_equal(ac_key_type_of(k), "unknown");
    EVP_PKEY_free(k);
}

static void test_key_generate_bad_type(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *k = (EVP_PKEY *)&k;

    assert_int_equal(ac_key_generate(ctx, (autocert_key_type)99, &k), AUTOCERT_ERR_INVALID);
    assert_null(k);
    assert_non_null(strstr(autocert_last_error(ctx), "99"));
}

static void test_key_from_pem_bad(void **state)
{
    autocert_ctx *ctx = *state;
    const char *what = "/var/cache/autocert/certs/example.com/privkey.pem";
    const char *garbage = "this is not a key\n";
    const char *truncated = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n"
                            "-----END PRIVATE KEY-----\n";
    EVP_PKEY *k = (EVP_PKEY *)&k, *real;
    BIO *bio;
    BUF_MEM *mem;

    assert_int_equal(ac_key_from_pem(ctx, garbage, strlen(garbage), what, &k),
                     AUTOCERT_ERR_CORRUPT);
    assert_null(k);
    assert_non_null(strstr(autocert_last_error(ctx), what));
    assert_int_equal(ac_key_from_pem(ctx, truncated, strlen(truncated), "trunc.pem", &k),
                     AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(ctx), "trunc.pem"));
    assert_int_equal(ac_key_from_pem(ctx, "", 0, "empty.pem", &k), AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(ctx), "empty.pem"));
    assert_int_equal(ERR_peek_error(), 0);

    /* An encrypted key fails instead of asking for a passphrase. */
    real = gen(AUTOCERT_KEY_EC256);
    bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, real, EVP_aes_256_cbc(), NULL, 0, NULL,
                                                   (void *)"secret"),
                     1);
    BIO_get_mem_ptr(bio, &mem);
    assert_int_equal(ac_key_from_pem(ctx, mem->data, mem->length, "enc.pem", &k),
                     AUTOCERT_ERR_CORRUPT);
    assert_null(k);
    assert_non_null(strstr(autocert_last_error(ctx), "enc.pem"));
    BIO_free(bio);
    EVP_PKEY_free(real);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_types),
        cmocka_unit_test(test_key_type_of_others),
        cmocka_unit_test(test_key_generate_bad_type),
        cmocka_unit_test(test_key_from_pem_bad),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
