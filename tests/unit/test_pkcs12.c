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
#include <time.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "ca_unit.h"

static const char *last(fixture *f)
{
    return autocert_last_error(f->ctx);
}

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

/* The chain: the rest of the certificate file, then the chain file; the
 * same key and certificates come back out. */
static void test_p12_chain_and_contents(void **state)
{
    fixture *f = *state;
    char *crt = fx_path(f, "node.crt"), *key = fx_path(f, "node.key"), *p12 = fx_path(f, "n.p12");
    char *root = fx_path(f, "ca.crt"), *pw = fx_path(f, "pw");
    STACK_OF(X509) *in = NULL, *out = NULL;
    EVP_PKEY *k_in = NULL, *k_out = NULL;
    X509 *ca;

    fx_make_cas(f, 1, AUTOCERT_KEY_EC384);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, 0, "c.example", NULL, 0), AUTOCERT_OK);
    fx_write_text(f, "pw", "pa55\n");
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, root, pw, NULL, 0), AUTOCERT_OK);
    assert_int_equal(ac_certs_load(f->ctx, crt, NULL, &in), AUTOCERT_OK);
    assert_int_equal(ac_privkey_load(f->ctx, key, NULL, &k_in), AUTOCERT_OK);
    assert_int_equal(ac_certs_load(f->ctx, p12, pw, &out), AUTOCERT_OK);
    assert_int_equal(ac_privkey_load(f->ctx, p12, pw, &k_out), AUTOCERT_OK);
    assert_int_equal(EVP_PKEY_eq(k_in, k_out), 1);
    assert_int_equal(sk_X509_num(out), 3);
    assert_int_equal(X509_cmp(sk_X509_value(out, 0), sk_X509_value(in, 0)), 0);
    /* The chain's order within the bundle is OpenSSL's; both CAs are there. */
    ca = fx_load_first(root);
    assert_true(X509_cmp(sk_X509_value(out, 1), ca) == 0 || X509_cmp(sk_X509_value(out, 2), ca) == 0);
    assert_true(X509_cmp(sk_X509_value(out, 1), sk_X509_value(in, 1)) == 0 ||
                X509_cmp(sk_X509_value(out, 2), sk_X509_value(in, 1)) == 0);
    X509_free(ca);
    sk_X509_pop_free(in, X509_free);
    sk_X509_pop_free(out, X509_free);
    EVP_PKEY_free(k_in);
    EVP_PKEY_free(k_out);
    free(crt);
    free(key);
    free(p12);
    free(root);
    free(pw);
}

/* Refusals leave no file behind; --force replaces an existing one. */
static void test_p12_refusals(void **state)
{
    fixture *f = *state;
    char *crt = fx_path(f, "node.crt"), *key = fx_path(f, "node.key"), *p12 = fx_path(f, "r.p12");
    char *pw = fx_path(f, "pw"), *empty = fx_path(f, "empty"), *enc = fx_path(f, "enc.key");
    char *missing = fx_path(f, "missing.crt");
    unsigned char *before = NULL, *after = NULL;
    size_t lb = 0, la = 0;
    EVP_PKEY *k = NULL;
    struct stat st;
    FILE *fp;

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, "r.example", NULL, 0), AUTOCERT_OK);
    fx_write_text(f, "pw", "pa55\n");
    fx_write_text(f, "empty", "\n");
    assert_int_equal(autocert_export_p12(f->ctx, NULL, crt, key, NULL, pw, NULL, 0),
                     AUTOCERT_ERR_INVALID);
    assert_string_equal(last(f), "export needs an output, a certificate, a key and a password file");
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, NULL, NULL, NULL, 0),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_export_p12(f->ctx, p12, NULL, key, NULL, pw, NULL, 0),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, NULL, NULL, pw, NULL, 0),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, NULL, empty, NULL, 0),
                     AUTOCERT_ERR_PASSWORD);
    assert_int_not_equal(autocert_export_p12(f->ctx, p12, missing, key, NULL, pw, NULL, 0),
                         AUTOCERT_OK);
    assert_int_not_equal(autocert_export_p12(f->ctx, p12, crt, key, missing, pw, NULL, 0),
                         AUTOCERT_OK);
    assert_non_null(strstr(last(f), missing));
    /* An encrypted key needs its own password file. */
    assert_int_equal(ac_privkey_load(f->ctx, key, NULL, &k), AUTOCERT_OK);
    fp = fopen(enc, "w");
    assert_non_null(fp);
    assert_true(PEM_write_PKCS8PrivateKey(fp, k, EVP_aes_256_cbc(), "pa55", 4, NULL, NULL));
    fclose(fp);
    EVP_PKEY_free(k);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, enc, NULL, pw, NULL, 0),
                     AUTOCERT_ERR_PASSWORD);
    assert_int_not_equal(stat(p12, &st), 0);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, enc, NULL, pw, pw, 0), AUTOCERT_OK);
    /* Existing: refused untouched, replaced with AUTOCERT_CA_FORCE. */
    assert_int_equal(ac_file_read(NULL, p12, 1 << 20, &before, &lb), AUTOCERT_OK);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, NULL, pw, NULL, 0),
                     AUTOCERT_ERR_EXISTS);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, NULL, pw, NULL, AUTOCERT_CA_FORCE),
                     AUTOCERT_OK);
    assert_int_equal(ac_file_read(NULL, p12, 1 << 20, &after, &la), AUTOCERT_OK);
    /* Fresh salts and IVs: a new bundle differs. */
    assert_true(la != lb || memcmp(after, before, la) != 0);
    assert_int_equal(ERR_peek_error(), 0);
    free(before);
    free(after);
    free(crt);
    free(key);
    free(p12);
    free(pw);
    free(empty);
    free(enc);
    free(missing);
}

/* A bundle chooses its key derivation rounds: one asking for millions, on
 * its MAC or on any encrypted part, is refused before any password is
 * tried (2^31 rounds would take the better part of an hour). */
static void test_p12_rounds_bounded(void **state)
{
    static const unsigned char rounds[] = {0x02, 0x03, 0x01, 0x00, 0x00}; /* INTEGER 65536 */
    fixture *f = *state;
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256);
    X509 *x = fx_make_cert(k, "p.example", NULL, k, time(NULL) - 60, time(NULL) + 86400, NULL, NULL);
    PKCS12 *p12 = PKCS12_create("", NULL, k, x, NULL, 0, 0, 65536, 65536, 0);
    unsigned char *der = NULL, *p;
    EVP_PKEY *got = NULL;
    int len, i, patched = 0;

    assert_non_null(p12);
    assert_true((len = i2d_PKCS12(p12, &der)) > 0);
    /* As written: opened with the empty password. */
    assert_int_equal(ac_p12_parse(f->ctx, der, (size_t)len, "ok.p12", NULL, &got, NULL, NULL),
                     AUTOCERT_OK);
    assert_non_null(got);
    EVP_PKEY_free(got);
    /* Each count in turn (the key's, the certificates' part's, the MAC's)
     * made 8388607: refused, naming the reason, without deriving a key. */
    for (i = 0; i + (int)sizeof(rounds) <= len; i++) {
        if (memcmp(der + i, rounds, sizeof(rounds)) != 0)
            continue;
        p = der + i;
        p[2] = 0x7f, p[3] = 0xff, p[4] = 0xff;
        got = NULL;
        assert_int_equal(ac_p12_parse(f->ctx, der, (size_t)len, "slow.p12", NULL, &got, NULL, NULL),
                         AUTOCERT_ERR_INVALID);
        assert_null(got);
        assert_non_null(strstr(last(f), "key derivation rounds"));
        p[2] = 0x01, p[3] = 0x00, p[4] = 0x00;
        patched++;
    }
    assert_int_equal(patched, 3);
    OPENSSL_free(der);
    PKCS12_free(p12);
    X509_free(x);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_p12_roundtrip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_p12_chain_and_contents, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_p12_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_p12_rounds_bounded, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
