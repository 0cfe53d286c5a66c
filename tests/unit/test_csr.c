/* test_csr.c: the CSR of finalize: its names, subject, key and signature. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
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
        cmocka_unit_test(test_csr_dns_and_ips),
        cmocka_unit_test(test_csr_ip_first),
        cmocka_unit_test(test_csr_long_first_name),
        cmocka_unit_test(test_csr_key_types),
        cmocka_unit_test(test_csr_no_identifiers),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
