/* test_csr.c: keys (generation, PEM), the finalize CSR, and facts about issued chains. */
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
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "unit.h"

/* Known validity for the test certificates. */
#define NOT_BEFORE ((time_t)1700000000) /* 2023-11-14 */
#define NOT_AFTER ((time_t)2600000000)  /* 2052-05-25: a GeneralizedTime */

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

/* ---- certificates --------------------------------------------------------- */

/* A self-signed certificate for `key` with the given SANs (openssl config
 * syntax, NULL: none) and validity. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *sans, time_t nb, time_t na)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    ASN1_INTEGER *serial;
    X509V3_CTX v3;

    assert_non_null(x);
    assert_non_null(name);
    assert_int_equal(X509_set_version(x, 2), 1);
    serial = X509_get_serialNumber(x);
    assert_int_equal(ASN1_INTEGER_set(serial, 4242), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)cn, -1, -1, 0),
                     1);
    assert_int_equal(X509_set_subject_name(x, name), 1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    if (sans) {
        X509_EXTENSION *ext;

        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        ext = X509V3_EXT_nconf_nid(NULL, &v3, NID_subject_alt_name, sans);
        assert_non_null(ext);
        assert_int_equal(X509_add_ext(x, ext, -1), 1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, key, EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256()) > 0);
    X509_NAME_free(name);
    return x;
}

/* PEM text of a certificate, malloc'd. */
static char *cert_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    BUF_MEM *mem;
    char *s;

    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_X509(bio, x), 1);
    BIO_get_mem_ptr(bio, &mem);
    s = strndup(mem->data, mem->length);
    assert_non_null(s);
    BIO_free(bio);
    return s;
}

static char *cat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    assert_non_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

static void test_certinfo(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC256);
    X509 *x = make_cert(key, "example.com",
                        "DNS:example.com,DNS:www.example.com,IP:192.0.2.7,IP:2001:db8::7,"
                        "email:hostmaster@example.com",
                        NOT_BEFORE, NOT_AFTER);
    char *pem = cert_pem(x);
    ac_certinfo ci;

    assert_int_equal(ac_certinfo_parse(ctx, pem, strlen(pem), "cert.pem", &ci), AUTOCERT_OK);
    assert_int_equal(ci.not_before, NOT_BEFORE);
    assert_int_equal(ci.not_after, NOT_AFTER);
    /* The e-mail name is not an identifier. */
    assert_int_equal(ci.n_names, 4);
    assert_string_equal(ci.names[0], "example.com");
    assert_string_equal(ci.names[1], "www.example.com");
    assert_string_equal(ci.names[2], "192.0.2.7");
    assert_string_equal(ci.names[3], "2001:db8::7");
    ac_certinfo_clear(&ci);
    assert_null(ci.names);
    assert_int_equal(ci.n_names, 0);
    ac_certinfo_clear(&ci); /* twice is harmless */
    free(pem);
    X509_free(x);

    /* No SAN extension at all: no names, still the times. */
    x = make_cert(key, "nosan", NULL, NOT_BEFORE, NOT_BEFORE + 86400);
    pem = cert_pem(x);
    assert_int_equal(ac_certinfo_parse(ctx, pem, strlen(pem), "nosan.pem", &ci), AUTOCERT_OK);
    assert_int_equal(ci.n_names, 0);
    assert_int_equal(ci.not_after, NOT_BEFORE + 86400);
    ac_certinfo_clear(&ci);
    free(pem);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void test_certinfo_garbage(void **state)
{
    autocert_ctx *ctx = *state;
    const char *bad = "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n";
    ac_certinfo ci;

    assert_int_equal(ac_certinfo_parse(ctx, "garbage", 7, "certs/x/cert.pem", &ci),
                     AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(ctx), "certs/x/cert.pem"));
    assert_int_equal(ci.n_names, 0);
    assert_null(ci.names);
    assert_int_equal(ac_certinfo_parse(ctx, bad, strlen(bad), "bad.pem", &ci),
                     AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(ctx), "bad.pem"));
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_pem_split(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *k1 = gen(AUTOCERT_KEY_EC256), *k2 = gen(AUTOCERT_KEY_EC256),
             *k3 = gen(AUTOCERT_KEY_EC384);
    X509 *leaf = make_cert(k1, "leaf.example", "DNS:leaf.example", NOT_BEFORE, NOT_AFTER);
    X509 *int1 = make_cert(k2, "Intermediate 1", NULL, NOT_BEFORE, NOT_AFTER);
    X509 *int2 = make_cert(k3, "Intermediate 2", NULL, NOT_BEFORE, NOT_AFTER);
    char *p1 = cert_pem(leaf), *p2 = cert_pem(int1), *p3 = cert_pem(int2);
    char *chain_rest = cat(p2, p3);
    char *chain = cat(p1, chain_rest);
    char *l = NULL, *r = NULL, *keypem = NULL, *tmp, *mixed;
    size_t keylen = 0;

    assert_int_equal(ac_pem_split(ctx, chain, strlen(chain), &l, &r), AUTOCERT_OK);
    assert_non_null(l);
    assert_non_null(r);
    assert_string_equal(l, p1);
    assert_string_equal(r, chain_rest);
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
    mixed = cat(tmp, chain_rest);
    free(tmp);
    assert_int_equal(ac_pem_split(ctx, mixed, strlen(mixed), &l, &r), AUTOCERT_OK);
    assert_string_equal(l, p1);
    assert_string_equal(r, chain_rest);
    assert_null(strstr(l, "PRIVATE KEY"));
    assert_null(strstr(r, "PRIVATE KEY"));
    free(l);
    free(r);
    free(mixed);
    ac_free_secret(keypem, keylen);

    /* Garbage: an error, nothing returned. */
    l = r = (char *)"x";
    assert_int_equal(ac_pem_split(ctx, "<html>502 Bad Gateway</html>", 28, &l, &r),
                     AUTOCERT_ERR_PROTOCOL);
    assert_null(l);
    assert_null(r);
    assert_int_equal(ac_pem_split(ctx, "", 0, &l, &r), AUTOCERT_ERR_PROTOCOL);
    assert_int_equal(ERR_peek_error(), 0);

    free(chain);
    free(chain_rest);
    free(p1);
    free(p2);
    free(p3);
    X509_free(leaf);
    X509_free(int1);
    X509_free(int2);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(k3);
}

/* A chain whose second certificate does not decode must not be cut short
 * silently (the cache would then serve a chain without its intermediates).
 * Expected behaviour: an error. */
static void test_pem_split_corrupt_member(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *k = gen(AUTOCERT_KEY_EC256);
    X509 *x = make_cert(k, "leaf.example", "DNS:leaf.example", NOT_BEFORE, NOT_AFTER);
    char *p = cert_pem(x);
    char *bad = strdup(p), *chain, *tmp, *l = NULL, *r = NULL;
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

static void test_key_matches_cert(void **state)
{
    EVP_PKEY *k1 = gen(AUTOCERT_KEY_EC256), *k2 = gen(AUTOCERT_KEY_EC256);
    EVP_PKEY *rsa = gen(AUTOCERT_KEY_RSA2048);
    X509 *x = make_cert(k1, "match.example", "DNS:match.example", NOT_BEFORE, NOT_AFTER);
    X509 *xr = make_cert(rsa, "rsa.example", "DNS:rsa.example", NOT_BEFORE, NOT_AFTER);
    char *pem = cert_pem(x), *pemr = cert_pem(xr);

    (void)state;
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
        cmocka_unit_test(test_key_types),
        cmocka_unit_test(test_key_type_of_others),
        cmocka_unit_test(test_key_generate_bad_type),
        cmocka_unit_test(test_key_from_pem_bad),
        cmocka_unit_test(test_csr_dns_and_ips),
        cmocka_unit_test(test_csr_ip_first),
        cmocka_unit_test(test_csr_long_first_name),
        cmocka_unit_test(test_csr_key_types),
        cmocka_unit_test(test_csr_no_identifiers),
        cmocka_unit_test(test_certinfo),
        cmocka_unit_test(test_certinfo_garbage),
        cmocka_unit_test(test_pem_split),
        cmocka_unit_test(test_pem_split_corrupt_member),
        cmocka_unit_test(test_key_matches_cert),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
