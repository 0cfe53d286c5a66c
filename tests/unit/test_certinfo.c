/* test_certinfo.c: facts about certificates: SAN entries, validity, names, the leaf/chain split, key match. */
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
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "ca_unit.h"
#include "unit.h"

#define NOT_BEFORE ((time_t)1700000000) /* 2023-11-14 */
#define NOT_AFTER ((time_t)2600000000)  /* 2052-05-25: a GeneralizedTime */

static const unsigned char V4[4] = {192, 0, 2, 7};
static const unsigned char V6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x01, [15] = 0x07};

/* ---- ac_sans_parse ------------------------------------------------------- */

static void test_sans_kinds(void **state)
{
    autocert_ctx *ctx = *state;
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    ac_sans s;
    size_t i;

    fx_san_add(gens, GEN_DNS, "www.example.com", 15);
    fx_san_add(gens, GEN_IPADD, V4, 4);
    fx_san_add(gens, GEN_IPADD, V6, 16);
    fx_san_add(gens, GEN_EMAIL, "hostmaster@example.com", 22);
    fx_san_add(gens, GEN_URI, "spiffe://example.com/node", 25);
    fx_san_add_rid(gens, "1.2.3.4");
    assert_int_equal(ac_sans_parse(ctx, gens, &s), AUTOCERT_OK);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.v[0].type, AC_SAN_DNS);
    assert_string_equal(s.v[0].value, "www.example.com");
    assert_int_equal(s.v[1].type, AC_SAN_IP);
    assert_string_equal(s.v[1].value, "192.0.2.7");
    /* IPv6 in its canonical short form. */
    assert_int_equal(s.v[2].type, AC_SAN_IP);
    assert_string_equal(s.v[2].value, "2001:db8::107");
    assert_int_equal(s.v[3].type, AC_SAN_EMAIL);
    assert_string_equal(s.v[3].value, "hostmaster@example.com");
    assert_int_equal(s.v[4].type, AC_SAN_URI);
    assert_string_equal(s.v[4].value, "spiffe://example.com/node");
    assert_int_equal(s.v[5].type, AC_SAN_OTHER);
    assert_null(s.v[5].value);
    for (i = 0; i < s.n; i++)
        assert_false(s.v[i].has_nul);
    ac_sans_clear(&s);
    assert_null(s.v);
    assert_int_equal(s.n, 0);
    ac_sans_clear(&s); /* twice is harmless */
    GENERAL_NAMES_free(gens);
}

static void test_sans_malformed(void **state)
{
    autocert_ctx *ctx = *state;
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    ac_sans s;

    /* "a.example\0.evil.example": only the part before the NUL is text. */
    fx_san_add(gens, GEN_DNS, "a.example\0.evil.example", 23);
    fx_san_add(gens, GEN_EMAIL, "a@example.com\0x", 15);
    fx_san_add(gens, GEN_IPADD, "\x0a\x00\x00\x01\x02", 5);
    fx_san_add(gens, GEN_DNS, "", 0);
    assert_int_equal(ac_sans_parse(ctx, gens, &s), AUTOCERT_OK);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.v[0].type, AC_SAN_DNS);
    assert_true(s.v[0].has_nul);
    assert_string_equal(s.v[0].value, "a.example");
    assert_int_equal(s.v[1].type, AC_SAN_EMAIL);
    assert_true(s.v[1].has_nul);
    /* An IP address of neither 4 nor 16 octets has no text form. */
    assert_int_equal(s.v[2].type, AC_SAN_IP);
    assert_null(s.v[2].value);
    assert_false(s.v[2].has_nul);
    assert_int_equal(s.v[3].type, AC_SAN_DNS);
    assert_string_equal(s.v[3].value, "");
    assert_false(s.v[3].has_nul);
    ac_sans_clear(&s);
    GENERAL_NAMES_free(gens);
}

static void test_sans_none(void **state)
{
    autocert_ctx *ctx = *state;
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    ac_sans s;

    memset(&s, 0xff, sizeof(s));
    assert_int_equal(ac_sans_parse(ctx, NULL, &s), AUTOCERT_OK);
    assert_int_equal(s.n, 0);
    assert_null(s.v);
    memset(&s, 0xff, sizeof(s));
    assert_int_equal(ac_sans_parse(ctx, gens, &s), AUTOCERT_OK);
    assert_int_equal(s.n, 0);
    assert_null(s.v);
    ac_sans_clear(&s);
    GENERAL_NAMES_free(gens);
}

/* ---- a certificate's facts ----------------------------------------------- */

static void test_certinfo_names_validity(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256);
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    X509 *x;
    char *pem;
    ac_certinfo ci;

    fx_san_add(gens, GEN_URI, "https://example.com/", 20);
    fx_san_add(gens, GEN_DNS, "example.com", 11);
    fx_san_add(gens, GEN_EMAIL, "a@example.com", 13);
    fx_san_add(gens, GEN_IPADD, V6, 16);
    fx_san_add(gens, GEN_IPADD, "\x01\x02\x03", 3);
    fx_san_add(gens, GEN_IPADD, V4, 4);
    x = fx_make_cert(k, "example.com", NULL, k, NOT_BEFORE, NOT_AFTER, NULL, gens);
    pem = fx_pem(x);
    assert_int_equal(ac_certinfo_parse(ctx, pem, strlen(pem), "cert.pem", &ci), AUTOCERT_OK);
    assert_int_equal(ci.not_before, NOT_BEFORE);
    assert_int_equal(ci.not_after, NOT_AFTER);
    /* Identifiers only, in order: no URI, e-mail or unreadable address. */
    assert_int_equal(ci.n_names, 3);
    assert_string_equal(ci.names[0], "example.com");
    assert_string_equal(ci.names[1], "2001:db8::107");
    assert_string_equal(ci.names[2], "192.0.2.7");
    ac_certinfo_clear(&ci);
    free(pem);
    X509_free(x);
    /* Garbage names the source. */
    assert_int_equal(ac_certinfo_parse(ctx, "garbage", 7, "certs/x.pem", &ci), AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(ctx), "certs/x.pem: no PEM certificate"));
    assert_null(ci.names);
    assert_int_equal(ERR_peek_error(), 0);
    GENERAL_NAMES_free(gens);
    EVP_PKEY_free(k);
}

static void test_certinfo_no_san_and_clear(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256);
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    X509 *x;
    char *pem;
    ac_certinfo ci;

    /* No SAN extension at all: no names, still the times. */
    x = fx_make_cert(k, "nosan", NULL, k, NOT_BEFORE, NOT_BEFORE + 86400, NULL, NULL);
    pem = fx_pem(x);
    assert_int_equal(ac_certinfo_parse(ctx, pem, strlen(pem), "nosan.pem", &ci), AUTOCERT_OK);
    assert_int_equal(ci.n_names, 0);
    assert_int_equal(ci.not_before, NOT_BEFORE);
    assert_int_equal(ci.not_after, NOT_BEFORE + 86400);
    ac_certinfo_clear(&ci);
    free(pem);
    X509_free(x);

    /* Clearing empties the record; twice is harmless. */
    fx_san_add(gens, GEN_DNS, "example.com", 11);
    x = fx_make_cert(k, "example.com", NULL, k, NOT_BEFORE, NOT_AFTER, NULL, gens);
    pem = fx_pem(x);
    assert_int_equal(ac_certinfo_parse(ctx, pem, strlen(pem), "cert.pem", &ci), AUTOCERT_OK);
    assert_int_equal(ci.n_names, 1);
    ac_certinfo_clear(&ci);
    assert_null(ci.names);
    assert_int_equal(ci.n_names, 0);
    ac_certinfo_clear(&ci);
    free(pem);
    X509_free(x);
    GENERAL_NAMES_free(gens);
    EVP_PKEY_free(k);
}

static void test_certinfo_bad_block(void **state)
{
    autocert_ctx *ctx = *state;
    const char *bad = "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n";
    ac_certinfo ci;

    /* A certificate block whose body does not decode names the source. */
    assert_int_equal(ac_certinfo_parse(ctx, bad, strlen(bad), "bad.pem", &ci), AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(ctx), "bad.pem"));
    assert_null(ci.names);
    assert_int_equal(ci.n_names, 0);
    assert_int_equal(ac_certinfo_parse(ctx, "garbage", 7, "certs/x.pem", &ci), AUTOCERT_ERR_CORRUPT);
    assert_int_equal(ci.n_names, 0);
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_asn1_time(void **state)
{
    ASN1_TIME *t = ASN1_TIME_new();

    (void)state;
    assert_int_equal(ac_asn1_time(NULL), (time_t)-1);
    assert_int_equal(ac_asn1_time(t), (time_t)-1);
    assert_non_null(ASN1_TIME_set(t, NOT_BEFORE));
    assert_int_equal(ac_asn1_time(t), NOT_BEFORE);
    assert_non_null(ASN1_TIME_set(t, NOT_AFTER));
    assert_int_equal(ac_asn1_time(t), NOT_AFTER);
    ASN1_TIME_free(t);
}

static void test_split_and_key_match(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *ka = fx_key(AUTOCERT_KEY_EC256), *kb = fx_key(AUTOCERT_KEY_ED25519);
    X509 *ca = fx_make_cert(kb, "CA", NULL, kb, NOT_BEFORE, NOT_AFTER, "critical,CA:TRUE", NULL);
    X509 *leaf = fx_make_cert(ka, "leaf", ca, kb, NOT_BEFORE, NOT_AFTER, NULL, NULL);
    char *p1 = fx_pem(leaf), *p2 = fx_pem(ca), *chain, *l = NULL, *r = NULL;
    size_t n1 = strlen(p1), n2 = strlen(p2);

    assert_non_null(chain = malloc(n1 + n2 + 1));
    memcpy(chain, p1, n1);
    memcpy(chain + n1, p2, n2 + 1);
    assert_int_equal(ac_pem_split(ctx, chain, strlen(chain), &l, &r), AUTOCERT_OK);
    assert_string_equal(l, p1);
    assert_string_equal(r, p2);
    assert_true(ac_key_matches_cert(ka, l, strlen(l)));
    assert_false(ac_key_matches_cert(kb, l, strlen(l)));
    assert_true(ac_key_matches_cert(kb, r, strlen(r)));
    free(l);
    free(r);
    l = r = (char *)"x";
    assert_int_equal(ac_pem_split(ctx, "no pem", 6, &l, &r), AUTOCERT_ERR_PROTOCOL);
    assert_null(l);
    assert_null(r);
    assert_int_equal(ERR_peek_error(), 0);
    free(chain);
    free(p1);
    free(p2);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(ka);
    EVP_PKEY_free(kb);
}

/* "a" followed by "b", malloc'd. */
static char *cat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    assert_non_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

static void test_split_chains(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *k1 = fx_key(AUTOCERT_KEY_EC256), *k2 = fx_key(AUTOCERT_KEY_EC256),
             *k3 = fx_key(AUTOCERT_KEY_EC384);
    X509 *root = fx_make_cert(k3, "Root", NULL, k3, NOT_BEFORE, NOT_AFTER, "critical,CA:TRUE", NULL);
    X509 *inter = fx_make_cert(k2, "Intermediate", root, k3, NOT_BEFORE, NOT_AFTER,
                               "critical,CA:TRUE", NULL);
    X509 *leaf = fx_make_cert(k1, "leaf", inter, k2, NOT_BEFORE, NOT_AFTER, NULL, NULL);
    char *p1 = fx_pem(leaf), *p2 = fx_pem(inter), *p3 = fx_pem(root);
    char *rest = cat(p2, p3), *chain = cat(p1, rest);
    char *l = NULL, *r = NULL, *keypem = NULL, *tmp, *mixed;
    size_t keylen = 0;

    /* Leaf and two more: the rest is both, in order. */
    assert_int_equal(ac_pem_split(ctx, chain, strlen(chain), &l, &r), AUTOCERT_OK);
    assert_string_equal(l, p1);
    assert_string_equal(r, rest);
    free(l);
    free(r);

    /* Only a leaf: the rest is empty. */
    assert_int_equal(ac_pem_split(ctx, p1, strlen(p1), &l, &r), AUTOCERT_OK);
    assert_string_equal(l, p1);
    assert_string_equal(r, "");
    free(l);
    free(r);

    /* Text around the blocks and a private key between them: only
     * certificates come out, the key never lands in the chain. */
    assert_int_equal(ac_key_to_pem(ctx, k2, &keypem, &keylen), AUTOCERT_OK);
    tmp = cat("preamble text\n", p1);
    mixed = cat(tmp, keypem);
    free(tmp);
    tmp = mixed;
    mixed = cat(tmp, rest);
    free(tmp);
    assert_int_equal(ac_pem_split(ctx, mixed, strlen(mixed), &l, &r), AUTOCERT_OK);
    assert_string_equal(l, p1);
    assert_string_equal(r, rest);
    assert_null(strstr(l, "PRIVATE KEY"));
    assert_null(strstr(r, "PRIVATE KEY"));
    free(l);
    free(r);
    free(mixed);
    ac_free_secret(keypem, keylen);

    /* Nothing at all. */
    l = r = (char *)"x";
    assert_int_equal(ac_pem_split(ctx, "", 0, &l, &r), AUTOCERT_ERR_PROTOCOL);
    assert_null(l);
    assert_null(r);
    assert_int_equal(ERR_peek_error(), 0);

    free(chain);
    free(rest);
    free(p1);
    free(p2);
    free(p3);
    X509_free(leaf);
    X509_free(inter);
    X509_free(root);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(k3);
}

/* A chain whose second certificate does not decode must not be cut short
 * silently (the cache would then serve a chain without its intermediates). */
static void test_split_corrupt_member(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256);
    X509 *x = fx_make_cert(k, "leaf.example", NULL, k, NOT_BEFORE, NOT_AFTER, NULL, NULL);
    char *p = fx_pem(x), *bad = strdup(p), *chain, *tmp, *l = NULL, *r = NULL;
    autocert_err rc;

    assert_non_null(bad);
    /* A character outside base64 inside the second block's body. */
    bad[strlen("-----BEGIN CERTIFICATE-----\n") + 10] = '!';
    tmp = cat(p, bad);
    chain = cat(tmp, p);
    free(tmp);
    rc = ac_pem_split(ctx, chain, strlen(chain), &l, &r);
    free(l);
    free(r);
    free(chain);
    free(bad);
    free(p);
    X509_free(x);
    EVP_PKEY_free(k);
    assert_int_not_equal(rc, AUTOCERT_OK);
}

static void test_key_match_same_type(void **state)
{
    EVP_PKEY *k1 = fx_key(AUTOCERT_KEY_EC256), *k2 = fx_key(AUTOCERT_KEY_EC256);
    EVP_PKEY *rsa = fx_key(AUTOCERT_KEY_RSA2048);
    X509 *x = fx_make_cert(k1, "match.example", NULL, k1, NOT_BEFORE, NOT_AFTER, NULL, NULL);
    X509 *xr = fx_make_cert(rsa, "rsa.example", NULL, rsa, NOT_BEFORE, NOT_AFTER, NULL, NULL);
    char *pem = fx_pem(x), *pemr = fx_pem(xr);

    (void)state;
    /* Another key of the same type is no match. */
    assert_true(ac_key_matches_cert(k1, pem, strlen(pem)));
    assert_false(ac_key_matches_cert(k2, pem, strlen(pem)));
    assert_false(ac_key_matches_cert(rsa, pem, strlen(pem)));
    assert_true(ac_key_matches_cert(rsa, pemr, strlen(pemr)));
    assert_false(ac_key_matches_cert(k1, pemr, strlen(pemr)));
    assert_false(ac_key_matches_cert(k1, "garbage", 7));
    assert_int_equal(ERR_peek_error(), 0);
    free(pem);
    free(pemr);
    X509_free(x);
    X509_free(xr);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(rsa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sans_kinds),
        cmocka_unit_test(test_sans_malformed),
        cmocka_unit_test(test_sans_none),
        cmocka_unit_test(test_certinfo_names_validity),
        cmocka_unit_test(test_certinfo_no_san_and_clear),
        cmocka_unit_test(test_certinfo_bad_block),
        cmocka_unit_test(test_asn1_time),
        cmocka_unit_test(test_split_and_key_match),
        cmocka_unit_test(test_split_chains),
        cmocka_unit_test(test_split_corrupt_member),
        cmocka_unit_test(test_key_match_same_type),
    };

    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
