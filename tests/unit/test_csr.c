/* test_csr.c: keys (generation, PEM) and the finalize CSR. */
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
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "unit.h"

static EVP_PKEY *gen(autocert_key_type t)
{
    EVP_PKEY *k = NULL;

    assert_int_equal(ac_key_generate(NULL, t, &k), AUTOCERT_OK);
    assert_non_null(k);
    return k;
}

/* ---- keys ------------------------------------------------------------ */

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

/* ---- CSR ----------------------------------------------------------------- */

static void parse_ids(autocert_ctx *ctx, const char *const *names, size_t n, ac_ident *ids)
{
    size_t i;

    for (i = 0; i < n; i++)
        assert_int_equal(ac_ident_parse(ctx, names[i], 0, &ids[i]), AUTOCERT_OK);
}

static void clear_ids(ac_ident *ids, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        ac_ident_clear(&ids[i]);
}

/* The SANs of a CSR as text ("DNS:x", "IP:a.b.c.d"), in order, in one string
 * separated by ','. */
static char *csr_sans(X509_REQ *req)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = NULL;
    ac_buf b;
    int i, found = 0;

    assert_non_null(exts);
    ac_buf_init(&b, 4096);
    for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
        int j;

        if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name)
            continue;
        found++;
        gens = X509V3_EXT_d2i(ext);
        assert_non_null(gens);
        for (j = 0; j < sk_GENERAL_NAME_num(gens); j++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, j);
            int type;
            const ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);
            const unsigned char *d = ASN1_STRING_get0_data(v);
            int len = ASN1_STRING_length(v);

            if (b.len)
                ac_buf_append(&b, ",", 1);
            if (type == GEN_DNS)
                ac_buf_appendf(&b, "DNS:%.*s", len, (const char *)d);
            else if (type == GEN_IPADD && len == 4)
                ac_buf_appendf(&b, "IP4:%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
            else if (type == GEN_IPADD && len == 16) {
                int k;

                ac_buf_appendf(&b, "IP6:");
                for (k = 0; k < 16; k++)
                    ac_buf_appendf(&b, "%02x", d[k]);
            } else
                ac_buf_appendf(&b, "other(%d)", type);
        }
        GENERAL_NAMES_free(gens);
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    assert_int_equal(found, 1);
    return ac_buf_steal(&b);
}

/* The subject CN, or NULL. */
static char *csr_cn(X509_REQ *req)
{
    X509_NAME *subj = X509_REQ_get_subject_name(req);
    int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
    const ASN1_STRING *s;

    if (idx < 0)
        return NULL;
    assert_int_equal(X509_NAME_get_index_by_NID(subj, NID_commonName, idx), -1);
    s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
    return strndup((const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
}

/* Builds a CSR for `names` with `key` and checks signature and key. */
static X509_REQ *build_csr(autocert_ctx *ctx, EVP_PKEY *key, const char *const *names, size_t n)
{
    ac_ident ids[8];
    unsigned char *der = NULL;
    const unsigned char *p;
    size_t len = 0;
    X509_REQ *req;

    assert_true(n <= 8);
    parse_ids(ctx, names, n, ids);
    assert_int_equal(ac_csr_build(ctx, key, ids, n, &der, &len), AUTOCERT_OK);
    assert_non_null(der);
    assert_true(len > 0);
    p = der;
    req = d2i_X509_REQ(NULL, &p, (long)len);
    assert_non_null(req);
    assert_ptr_equal(p, der + len); /* nothing trailing */
    assert_int_equal(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), 1);
    assert_int_equal(X509_REQ_verify(req, key), 1);
    assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), key), 1);
    assert_int_equal(X509_REQ_get_version(req), 0);
    free(der);
    clear_ids(ids, n);
    return req;
}

static void test_csr_dns_and_ips(void **state)
{
    autocert_ctx *ctx = *state;
    const char *names[] = {"WWW.example.com", "192.0.2.1", "example.com.", "2001:DB8::1"};
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC256);
    X509_REQ *req = build_csr(ctx, key, names, 4);
    char *sans = csr_sans(req);
    char *cn = csr_cn(req);

    assert_string_equal(sans, "DNS:www.example.com,IP4:192.0.2.1,DNS:example.com,"
                              "IP6:20010db8000000000000000000000001");
    assert_non_null(cn);
    assert_string_equal(cn, "www.example.com");
    free(cn);
    free(sans);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
}

static void test_csr_ip_first(void **state)
{
    autocert_ctx *ctx = *state;
    const char *names[] = {"[::1]", "example.org"};
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC384);
    X509_REQ *req = build_csr(ctx, key, names, 2);
    char *sans = csr_sans(req);

    assert_string_equal(sans, "IP6:00000000000000000000000000000001,DNS:example.org");
    assert_null(csr_cn(req));
    free(sans);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
}

static void test_csr_long_first_name(void **state)
{
    autocert_ctx *ctx = *state;
    /* 70 characters: too long for a CN (64), still a SAN. */
    const char *names[] = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com"};
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC256);
    X509_REQ *req = build_csr(ctx, key, names, 1);
    char *sans = csr_sans(req);

    assert_int_equal(strlen(names[0]), 70);
    assert_true(strstr(sans, names[0]) != NULL);
    assert_null(csr_cn(req));
    free(sans);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
}

static void test_csr_key_types(void **state)
{
    autocert_ctx *ctx = *state;
    const char *names[] = {"example.net"};
    autocert_key_type types[] = {AUTOCERT_KEY_RSA2048, AUTOCERT_KEY_ED25519};
    size_t i;

    for (i = 0; i < 2; i++) {
        EVP_PKEY *key = gen(types[i]);
        X509_REQ *req = build_csr(ctx, key, names, 1);
        char *sans = csr_sans(req);
        char *cn = csr_cn(req);

        assert_string_equal(sans, "DNS:example.net");
        assert_string_equal(cn, "example.net");
        free(cn);
        free(sans);
        X509_REQ_free(req);
        EVP_PKEY_free(key);
    }
}

static void test_csr_no_identifiers(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC256);
    unsigned char *der = (unsigned char *)"x";
    size_t len = 5;

    assert_int_equal(ac_csr_build(ctx, key, NULL, 0, &der, &len), AUTOCERT_ERR_INVALID);
    assert_null(der);
    assert_int_equal(len, 0);
    EVP_PKEY_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_types),
        cmocka_unit_test(test_key_type_of_others),
        cmocka_unit_test(test_key_generate_bad_type),
        cmocka_unit_test(test_key_from_pem_bad),
        cmocka_unit_test(test_csr_dns_and_ips),
        cmocka_unit_test(test_csr_ip_first),
        cmocka_unit_test(test_csr_long_first_name),
        cmocka_unit_test(test_csr_key_types),
        cmocka_unit_test(test_csr_no_identifiers),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
