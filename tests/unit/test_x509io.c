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

/* Writes the DER form of a certificate or key (i2d output) to `name`. */
static void write_der(fixture *f, const char *name, unsigned char *der, int len)
{
    assert_true(len > 0);
    fx_write(f, name, der, (size_t)len);
    OPENSSL_free(der);
}

/* A PKCS#12 bundle of `key` (may be NULL), `cert` and `chain` under `pw`
 * (NULL: none) written to `name`. */
static void write_p12(fixture *f, const char *name, const char *pw, EVP_PKEY *key, X509 *cert,
                      STACK_OF(X509) *chain)
{
    PKCS12 *p12 = PKCS12_create(pw, NULL, key, cert, chain, 0, 0, 0, 0, 0);
    unsigned char *der = NULL;
    int len;

    assert_non_null(p12);
    len = i2d_PKCS12(p12, &der);
    write_der(f, name, der, len);
    PKCS12_free(p12);
}

static const char *last(fixture *f)
{
    return autocert_last_error(f->ctx);
}

/* ---- passwords ----------------------------------------------------------- */

static void test_password_read(void **state)
{
    fixture *f = *state;
    char *good = fx_path(f, "pw"), *empty = fx_path(f, "empty"), *missing = fx_path(f, "nope");
    char *pw = NULL;

    fx_write_text(f, "pw", "pa55 word\r\nsecond line\n");
    fx_write_text(f, "empty", "\nsecret on the second line\n");
    assert_int_equal(ac_password_read(f->ctx, good, &pw), AUTOCERT_OK);
    assert_string_equal(pw, "pa55 word");
    ac_free_secret(pw, strlen(pw));
    pw = (char *)"x";
    assert_int_equal(ac_password_read(f->ctx, empty, &pw), AUTOCERT_ERR_PASSWORD);
    assert_null(pw);
    assert_non_null(strstr(last(f), "is empty"));
    assert_int_not_equal(ac_password_read(f->ctx, missing, &pw), AUTOCERT_OK);
    assert_null(pw);
    assert_non_null(strstr(last(f), missing));
    free(good);
    free(empty);
    free(missing);
}

/* ---- certificates -------------------------------------------------------- */

static void test_certs_pem_der(void **state)
{
    fixture *f = *state;
    char *node = fx_path(f, "node.crt"), *der = fx_path(f, "node.der"), *mixed = fx_path(f, "mixed");
    char *key = fx_path(f, "node.key"), *garbage = fx_path(f, "garbage");
    STACK_OF(X509) *certs = NULL;
    X509 *leaf, *inter;
    unsigned char *kpem = NULL, *cpem = NULL, *buf = NULL;
    size_t klen = 0, clen = 0;
    int len;

    fx_make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, 0, "r.example", NULL, 0), AUTOCERT_OK);
    /* PEM: every certificate, in file order. */
    assert_int_equal(ac_certs_load(f->ctx, node, NULL, &certs), AUTOCERT_OK);
    assert_int_equal(sk_X509_num(certs), 2);
    leaf = sk_X509_value(certs, 0);
    inter = sk_X509_value(certs, 1);
    assert_int_equal(X509_check_issued(inter, leaf), X509_V_OK);
    /* DER: the one certificate. */
    len = i2d_X509(leaf, &buf);
    write_der(f, "node.der", buf, len);
    sk_X509_pop_free(certs, X509_free);
    certs = NULL;
    assert_int_equal(ac_certs_load(f->ctx, der, NULL, &certs), AUTOCERT_OK);
    assert_int_equal(sk_X509_num(certs), 1);
    sk_X509_pop_free(certs, X509_free);
    certs = NULL;
    /* Other PEM blocks around the certificates are skipped. */
    assert_int_equal(ac_file_read(NULL, key, 1 << 20, &kpem, &klen), AUTOCERT_OK);
    assert_int_equal(ac_file_read(NULL, node, 1 << 20, &cpem, &clen), AUTOCERT_OK);
    assert_non_null(buf = malloc(klen + clen));
    memcpy(buf, kpem, klen);
    memcpy(buf + klen, cpem, clen);
    fx_write(f, "mixed", buf, klen + clen);
    free(buf);
    assert_int_equal(fx_count_certs(mixed), 2);
    /* A PEM file without a certificate; a file that is nothing at all. */
    certs = (STACK_OF(X509) *)(void *)"x";
    assert_int_equal(ac_certs_load(f->ctx, key, NULL, &certs), AUTOCERT_ERR_INVALID);
    assert_null(certs);
    assert_non_null(strstr(last(f), "no certificate in the file"));
    fx_write_text(f, "garbage", "\x01\x02 not a certificate");
    assert_int_equal(ac_certs_load(f->ctx, garbage, NULL, &certs), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(last(f), "not a PEM or DER certificate, key or PKCS#12 file"));
    assert_int_equal(ERR_peek_error(), 0);
    ac_free_secret(kpem, klen);
    free(cpem);
    free(node);
    free(der);
    free(mixed);
    free(key);
    free(garbage);
}

static void test_certs_p12(void **state)
{
    fixture *f = *state;
    char *node = fx_path(f, "node.crt"), *key = fx_path(f, "node.key"), *p12 = fx_path(f, "b.p12");
    char *open_p12 = fx_path(f, "open.p12"), *pw = fx_path(f, "pw"), *bad = fx_path(f, "bad");
    char *empty_p12 = fx_path(f, "empty.p12");
    STACK_OF(X509) *certs = NULL, *chain = sk_X509_new_null();
    EVP_PKEY *k = NULL;

    fx_make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, 0, "p.example", NULL, 0), AUTOCERT_OK);
    assert_int_equal(ac_certs_load(f->ctx, node, NULL, &certs), AUTOCERT_OK);
    assert_int_equal(ac_privkey_load(f->ctx, key, NULL, &k), AUTOCERT_OK);
    assert_true(sk_X509_push(chain, sk_X509_value(certs, 1)) > 0);
    write_p12(f, "b.p12", "s3cret", k, sk_X509_value(certs, 0), chain);
    write_p12(f, "open.p12", NULL, k, sk_X509_value(certs, 0), NULL);
    write_p12(f, "empty.p12", "", k, sk_X509_value(certs, 0), NULL);
    sk_X509_free(chain);
    fx_write_text(f, "pw", "s3cret\n");
    fx_write_text(f, "bad", "wrong\n");
    sk_X509_pop_free(certs, X509_free);
    certs = NULL;
    /* The certificate first, then the chain. */
    assert_int_equal(ac_certs_load(f->ctx, p12, pw, &certs), AUTOCERT_OK);
    assert_int_equal(sk_X509_num(certs), 2);
    assert_int_equal(X509_check_private_key(sk_X509_value(certs, 0), k), 1);
    assert_int_equal(X509_check_issued(sk_X509_value(certs, 1), sk_X509_value(certs, 0)), X509_V_OK);
    sk_X509_pop_free(certs, X509_free);
    certs = NULL;
    assert_int_equal(ac_certs_load(f->ctx, p12, NULL, &certs), AUTOCERT_ERR_PASSWORD);
    assert_non_null(strstr(last(f), "a password file is needed"));
    assert_int_equal(ac_certs_load(f->ctx, p12, bad, &certs), AUTOCERT_ERR_PASSWORD);
    assert_non_null(strstr(last(f), "wrong password for the PKCS#12 bundle"));
    assert_null(certs);
    /* A bundle written without a password, or with an empty one, opens
     * without a password file. */
    assert_int_equal(ac_certs_load(f->ctx, open_p12, NULL, &certs), AUTOCERT_OK);
    assert_int_equal(sk_X509_num(certs), 1);
    sk_X509_pop_free(certs, X509_free);
    certs = NULL;
    assert_int_equal(ac_certs_load(f->ctx, empty_p12, NULL, &certs), AUTOCERT_OK);
    assert_int_equal(sk_X509_num(certs), 1);
    sk_X509_pop_free(certs, X509_free);
    assert_int_equal(ERR_peek_error(), 0);
    EVP_PKEY_free(k);
    free(node);
    free(key);
    free(p12);
    free(open_p12);
    free(empty_p12);
    free(pw);
    free(bad);
}

/* ---- private keys -------------------------------------------------------- */

static void test_privkey_formats(void **state)
{
    fixture *f = *state;
    char *pem = fx_path(f, "ca.key"), *der = fx_path(f, "ca.der"), *crt = fx_path(f, "ca.crt");
    char *p12 = fx_path(f, "ca.p12"), *nokey = fx_path(f, "nokey.p12");
    EVP_PKEY *k = NULL, *back = NULL;
    X509 *ca;
    unsigned char *buf = NULL;
    int len;

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(ac_privkey_load(f->ctx, pem, NULL, &k), AUTOCERT_OK);
    len = i2d_PrivateKey(k, &buf);
    write_der(f, "ca.der", buf, len);
    assert_int_equal(ac_privkey_load(f->ctx, der, NULL, &back), AUTOCERT_OK);
    assert_int_equal(EVP_PKEY_eq(k, back), 1);
    EVP_PKEY_free(back);
    back = NULL;
    ca = fx_load_first(crt);
    write_p12(f, "ca.p12", NULL, k, ca, NULL);
    write_p12(f, "nokey.p12", NULL, NULL, ca, NULL);
    assert_int_equal(ac_privkey_load(f->ctx, p12, NULL, &back), AUTOCERT_OK);
    assert_int_equal(EVP_PKEY_eq(k, back), 1);
    EVP_PKEY_free(back);
    back = (EVP_PKEY *)(void *)"x";
    assert_int_equal(ac_privkey_load(f->ctx, nokey, NULL, &back), AUTOCERT_ERR_INVALID);
    assert_null(back);
    assert_non_null(strstr(last(f), "holds no private key"));
    /* A PEM file without a key. */
    assert_int_equal(ac_privkey_load(f->ctx, crt, NULL, &back), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(last(f), "no readable private key"));
    assert_int_equal(ERR_peek_error(), 0);
    X509_free(ca);
    EVP_PKEY_free(k);
    free(pem);
    free(der);
    free(crt);
    free(p12);
    free(nokey);
}

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

/* The traditional encrypted PEM ("Proc-Type: 4,ENCRYPTED") is recognised too. */
static void test_encrypted_traditional(void **state)
{
    fixture *f = *state;
    char *enc = fx_path(f, "trad.key"), *pw = fx_path(f, "pw"), *bad = fx_path(f, "bad");
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256), *back = NULL;
    BIO *bio = BIO_new_file(enc, "w");

    assert_non_null(bio);
    assert_true(PEM_write_bio_PrivateKey_traditional(bio, k, EVP_aes_128_cbc(),
                                                     (unsigned char *)"pa55", 4, NULL, NULL));
    BIO_free(bio);
    fx_write_text(f, "pw", "pa55\n");
    fx_write_text(f, "bad", "nope\n");
    assert_int_equal(ac_privkey_load(f->ctx, enc, NULL, &back), AUTOCERT_ERR_PASSWORD);
    assert_non_null(strstr(last(f), "the key is encrypted: a password file is needed"));
    assert_int_equal(ac_privkey_load(f->ctx, enc, bad, &back), AUTOCERT_ERR_PASSWORD);
    assert_non_null(strstr(last(f), "wrong password for the encrypted key"));
    assert_int_equal(ac_privkey_load(f->ctx, enc, pw, &back), AUTOCERT_OK);
    assert_int_equal(EVP_PKEY_eq(k, back), 1);
    EVP_PKEY_free(back);
    EVP_PKEY_free(k);
    free(enc);
    free(pw);
    free(bad);
}

/* ---- CSRs and PEM output ------------------------------------------------- */

static void test_csr_load(void **state)
{
    fixture *f = *state;
    char *der_p = fx_path(f, "req.der"), *pem_p = fx_path(f, "req.pem"), *bad_p = fx_path(f, "bad");
    char *crt = fx_path(f, "ca.crt");
    EVP_PKEY *key = fx_key(AUTOCERT_KEY_EC256);
    ac_ident ids[1] = {{AC_ID_DNS, (char *)"csr.example"}};
    unsigned char *der = NULL;
    size_t len = 0;
    X509_REQ *req = NULL;
    FILE *fp;

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(ac_csr_build(f->ctx, key, ids, 1, &der, &len), AUTOCERT_OK);
    fx_write(f, "req.der", der, len);
    assert_int_equal(ac_csr_load(f->ctx, der_p, &req), AUTOCERT_OK);
    assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), key), 1);
    fp = fopen(pem_p, "w");
    assert_non_null(fp);
    assert_true(PEM_write_X509_REQ(fp, req));
    fclose(fp);
    X509_REQ_free(req);
    req = NULL;
    assert_int_equal(ac_csr_load(f->ctx, pem_p, &req), AUTOCERT_OK);
    X509_REQ_free(req);
    req = NULL;
    /* The last octet belongs to the signature: the CSR still decodes but
     * its signature no longer verifies. */
    der[len - 1] ^= 0x01;
    fx_write(f, "bad", der, len);
    assert_int_equal(ac_csr_load(f->ctx, bad_p, &req), AUTOCERT_ERR_INVALID);
    assert_null(req);
    assert_non_null(strstr(last(f), "the CSR's signature does not verify"));
    /* A certificate is not a CSR. */
    assert_int_equal(ac_csr_load(f->ctx, crt, &req), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(last(f), "not a certificate signing request"));
    assert_int_equal(ERR_peek_error(), 0);
    free(der);
    EVP_PKEY_free(key);
    free(der_p);
    free(pem_p);
    free(bad_p);
    free(crt);
}

static void test_pem_append(void **state)
{
    fixture *f = *state;
    char *crt = fx_path(f, "ca.crt");
    X509 *ca, *back;
    ac_buf b;
    BIO *bio;

    fx_make_cas(f, 0, AUTOCERT_KEY_ED25519);
    ca = fx_load_first(crt);
    ac_buf_init(&b, 65536);
    assert_int_equal(ac_x509_pem_append(f->ctx, ca, &b), AUTOCERT_OK);
    assert_int_equal(ac_x509_pem_append(f->ctx, ca, &b), AUTOCERT_OK);
    assert_non_null(strstr(strstr((char *)b.data, "-----BEGIN CERTIFICATE-----") + 1,
                           "-----BEGIN CERTIFICATE-----"));
    bio = BIO_new_mem_buf(b.data, (int)b.len);
    back = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(back);
    assert_int_equal(X509_cmp(ca, back), 0);
    /* A buffer too small for the PEM text. */
    ac_buf_free(&b);
    ac_buf_init(&b, 16);
    assert_int_equal(ac_x509_pem_append(f->ctx, ca, &b), AUTOCERT_ERR_NOMEM);
    ac_buf_free(&b);
    BIO_free(bio);
    X509_free(back);
    X509_free(ca);
    free(crt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_password_read, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_certs_pem_der, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_certs_p12, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_privkey_formats, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_encrypted_pkcs8_issuer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_encrypted_traditional, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_csr_load, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_pem_append, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
