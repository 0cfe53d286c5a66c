/* test_jws.c: JWS signing (RFC 7515), JWKs and thumbprints (RFC 7638), External Account Binding. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "acme/acme.h"
#include "unit.h"

/* RFC 7638 section 3.1: an RSA public key and its thumbprint. */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tS"
    "oc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65"
    "YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
    "dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzK"
    "nqDKgw";
static const char rfc7638_thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* RFC 7515 appendix A.2: the RS256 example key, signing input and signature. */
static const char a2_n[] =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJ"
    "PMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0"
    "LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uD"
    "Zlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2"
    "PAcDTW9gb54h4FRWyuXpoQ";
static const char a2_e[] = "AQAB";
static const char a2_d[] =
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9S"
    "E-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVd"
    "xzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQ"
    "UShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjn"
    "czT0QU91p1DhOVRuOopznQ";
static const char a2_p[] =
    "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQT"
    "a9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV"
    "5z-y2XDwGUc";
static const char a2_q[] =
    "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7"
    "C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rj"
    "cJIDEz9RWdc";
static const char a2_dp[] =
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_P"
    "I7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1Xs"
    "mvkxHQAdYo0";
static const char a2_dq[] =
    "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oK"
    "r6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTd"
    "lqvd0tIiTHU";
static const char a2_qi[] =
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_"
    "QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0J"
    "KSHuLFkuQ3U";
static const char a2_input[] =
    "eyJhbGciOiJSUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290"
    "Ijp0cnVlfQ";
static const char a2_signature[] =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt"
    "_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArL"
    "IARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7no"
    "OPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQ"
    "Ge77Rw";

#define NONCE "oFvnlFP1wIhRlYS2jTaXbA"
#define URL "https://acme.example/acme/new-order"
#define KID "https://acme.example/acme/acct/evOfKhNU60wg"

/* ---- helpers --------------------------------------------------------- */

static BIGNUM *bn_b64(const char *s)
{
    unsigned char *bin = NULL;
    size_t len = 0;
    BIGNUM *bn;

    assert_int_equal(ac_b64url_decode(s, &bin, &len), AUTOCERT_OK);
    bn = BN_bin2bn(bin, (int)len, NULL);
    assert_non_null(bn);
    free(bin);
    return bn;
}

/* An RSA key from JWK members; `d` NULL gives a public key. */
static EVP_PKEY *rsa_from_jwk(const char *n, const char *e, const char *d, const char *p,
                              const char *q, const char *dp, const char *dq, const char *qi)
{
    const char *names[] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                           OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
                           OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
                           OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    const char *vals[] = {n, e, d, p, q, dp, dq, qi};
    BIGNUM *bns[8] = {NULL};
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *key = NULL;
    size_t i, count = d ? 8 : 2;

    assert_non_null(bld);
    assert_non_null(pc);
    for (i = 0; i < count; i++) {
        bns[i] = bn_b64(vals[i]);
        assert_true(OSSL_PARAM_BLD_push_BN(bld, names[i], bns[i]));
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    assert_non_null(params);
    assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
    assert_int_equal(EVP_PKEY_fromdata(pc, &key, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                                       params),
                     1);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(pc);
    for (i = 0; i < count; i++)
        BN_clear_free(bns[i]);
    return key;
}

static EVP_PKEY *a2_key(void)
{
    return rsa_from_jwk(a2_n, a2_e, a2_d, a2_p, a2_q, a2_dp, a2_dq, a2_qi);
}

/* The decoded text of a base64url member (NUL-terminated, malloc'd). */
static char *b64_text(const char *s, size_t *len)
{
    unsigned char *bin = NULL;
    size_t n = 0;
    char *t;

    assert_non_null(s);
    assert_int_equal(ac_b64url_decode(s, &bin, &n), AUTOCERT_OK);
    t = malloc(n + 1);
    assert_non_null(t);
    if (n)
        memcpy(t, bin, n);
    t[n] = '\0';
    free(bin);
    if (len)
        *len = n;
    return t;
}

/* A flattened JWS split into its parts. */
typedef struct {
    json_t *jws;
    const char *protected64, *payload64, *signature64;
    json_t *header;     /* decoded protected header */
    char *payload;      /* decoded payload */
    unsigned char *sig; /* decoded signature */
    size_t siglen;
    char *input;        /* "<protected>.<payload>" */
} jws_parts;

static void jws_split(json_t *jws, jws_parts *j)
{
    json_error_t e;
    char *hdr;
    size_t n;

    memset(j, 0, sizeof(*j));
    j->jws = jws;
    assert_true(json_is_object(jws));
    assert_int_equal(json_object_size(jws), 3);
    j->protected64 = json_string_value(json_object_get(jws, "protected"));
    j->payload64 = json_string_value(json_object_get(jws, "payload"));
    j->signature64 = json_string_value(json_object_get(jws, "signature"));
    assert_non_null(j->protected64);
    assert_non_null(j->payload64);
    assert_non_null(j->signature64);
    /* base64url without padding */
    assert_null(strchr(j->protected64, '='));
    assert_null(strchr(j->payload64, '='));
    assert_null(strchr(j->signature64, '='));
    hdr = b64_text(j->protected64, NULL);
    j->header = json_loads(hdr, 0, &e);
    if (j->header == NULL)
        fail_msg("protected header is not JSON: %s", hdr);
    free(hdr);
    j->payload = b64_text(j->payload64, NULL);
    assert_int_equal(ac_b64url_decode(j->signature64, &j->sig, &j->siglen), AUTOCERT_OK);
    n = strlen(j->protected64) + strlen(j->payload64) + 2;
    j->input = malloc(n);
    assert_non_null(j->input);
    snprintf(j->input, n, "%s.%s", j->protected64, j->payload64);
}

static void jws_parse(const char *text, jws_parts *j)
{
    json_error_t e;
    json_t *jws = json_loads(text, 0, &e);

    if (jws == NULL)
        fail_msg("JWS is not JSON: %s", text);
    jws_split(jws, j);
}

static void jws_free(jws_parts *j)
{
    json_decref(j->jws);
    json_decref(j->header);
    free(j->payload);
    free(j->sig);
    free(j->input);
}

/* Verifies a JWS signature: RSA PKCS#1 v1.5 as is, ECDSA raw r||s of
 * `half` bytes each, converted to DER for OpenSSL. */
static int verify(EVP_PKEY *key, const EVP_MD *md, const char *input, const unsigned char *sig,
                  size_t siglen, size_t half)
{
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    const unsigned char *s = sig;
    size_t slen = siglen;
    int ok;

    assert_non_null(mc);
    if (half) {
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r, *sv;
        int dlen;

        assert_non_null(es);
        assert_int_equal(siglen, 2 * half);
        r = BN_bin2bn(sig, (int)half, NULL);
        sv = BN_bin2bn(sig + half, (int)half, NULL);
        assert_non_null(r);
        assert_non_null(sv);
        assert_int_equal(ECDSA_SIG_set0(es, r, sv), 1);
        dlen = i2d_ECDSA_SIG(es, &der);
        assert_true(dlen > 0);
        ECDSA_SIG_free(es);
        s = der;
        slen = (size_t)dlen;
    }
    assert_int_equal(EVP_DigestVerifyInit(mc, NULL, md, NULL, key), 1);
    ok = EVP_DigestVerify(mc, s, slen, (const unsigned char *)input, strlen(input));
    EVP_MD_CTX_free(mc);
    OPENSSL_free(der);
    return ok == 1;
}

/* Tampering with the signed input must break the signature. */
static void verify_with_teeth(EVP_PKEY *key, const EVP_MD *md, jws_parts *j, size_t half)
{
    char *bad = strdup(j->input);

    assert_non_null(bad);
    assert_true(verify(key, md, j->input, j->sig, j->siglen, half));
    bad[strlen(bad) - 1] ^= 1;
    assert_false(verify(key, md, bad, j->sig, j->siglen, half));
    free(bad);
}

static EVP_PKEY *gen(autocert_key_type t)
{
    EVP_PKEY *k = NULL;

    assert_int_equal(ac_key_generate(NULL, t, &k), AUTOCERT_OK);
    assert_non_null(k);
    return k;
}

/* ---- RFC vectors ------------------------------------------------------ */

static void test_rfc7638_thumbprint(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *key = rsa_from_jwk(rfc7638_n, "AQAB", NULL, NULL, NULL, NULL, NULL, NULL);
    char *tp = NULL;
    json_t *jwk;

    assert_int_equal(ac_jwk_thumbprint(ctx, key, &tp), AUTOCERT_OK);
    assert_non_null(tp);
    assert_string_equal(tp, rfc7638_thumbprint);
    free(tp);
    /* The JWK carries exactly the required members. */
    jwk = ac_jwk(key);
    assert_non_null(jwk);
    assert_int_equal(json_object_size(jwk), 3);
    assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");
    assert_string_equal(json_string_value(json_object_get(jwk, "n")), rfc7638_n);
    assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
    json_decref(jwk);
    EVP_PKEY_free(key);
}

/* The fixture itself: the key as typed here reproduces the RFC's signature. */
static void test_rfc7515_a2_fixture(void **state)
{
    EVP_PKEY *key = a2_key();
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t siglen = sizeof(sig);
    char *s64 = NULL;
    EVP_PKEY_CTX *pc;

    (void)state;
    assert_non_null(mc);
    pc = EVP_PKEY_CTX_new(key, NULL);
    assert_non_null(pc);
    assert_int_equal(EVP_PKEY_check(pc), 1);
    EVP_PKEY_CTX_free(pc);
    assert_int_equal(EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(mc, sig, &siglen, (const unsigned char *)a2_input,
                                    strlen(a2_input)),
                     1);
    assert_int_equal(ac_b64url_encode(sig, siglen, &s64), AUTOCERT_OK);
    assert_string_equal(s64, a2_signature);
    free(s64);
    EVP_MD_CTX_free(mc);
    EVP_PKEY_free(key);
}

static void test_rfc7515_a2_rs256(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *key = a2_key();
    EVP_PKEY *pub = rsa_from_jwk(a2_n, a2_e, NULL, NULL, NULL, NULL, NULL, NULL);
    const char *payload = "{\"iss\":\"joe\",\r\n \"exp\":1300819380}";
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t siglen = sizeof(sig);
    json_t *jwk;
    char *out = NULL;
    jws_parts j;

    assert_string_equal(ac_jws_alg(key), "RS256");
    assert_string_equal(ac_key_type_of(key), "rsa2048");
    /* ac_jwk gives the RFC's n and e, and nothing private. */
    jwk = ac_jwk(key);
    assert_non_null(jwk);
    assert_int_equal(json_object_size(jwk), 3);
    assert_string_equal(json_string_value(json_object_get(jwk, "n")), a2_n);
    assert_string_equal(json_string_value(json_object_get(jwk, "e")), a2_e);
    assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");

    assert_int_equal(ac_jws_sign(ctx, key, NULL, NONCE, URL, payload, &out), AUTOCERT_OK);
    assert_non_null(out);
    jws_parse(out, &j);
    assert_string_equal(j.payload, payload);
    assert_string_equal(json_string_value(json_object_get(j.header, "alg")), "RS256");
    assert_true(json_equal(json_object_get(j.header, "jwk"), jwk));
    assert_int_equal(j.siglen, 256);
    /* Verified with a key built from the public n and e only. */
    verify_with_teeth(pub, EVP_sha256(), &j, 0);
    /* PKCS#1 v1.5 is deterministic: the same bytes as an independent signer. */
    assert_non_null(mc);
    assert_int_equal(EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(mc, sig, &siglen, (const unsigned char *)j.input,
                                    strlen(j.input)),
                     1);
    assert_int_equal(siglen, j.siglen);
    assert_memory_equal(sig, j.sig, siglen);
    jws_free(&j);
    free(out);
    json_decref(jwk);
    EVP_MD_CTX_free(mc);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(key);
}

/* ---- ECDSA --------------------------------------------------------------- */

static void check_ec_jws(autocert_ctx *ctx, EVP_PKEY *key, const char *alg, const EVP_MD *md,
                         size_t half)
{
    json_t *jwk = ac_jwk(key);
    char *out = NULL;
    jws_parts j;

    assert_non_null(jwk);
    assert_string_equal(ac_jws_alg(key), alg);

    /* New account: "jwk", no "kid". */
    assert_int_equal(ac_jws_sign(ctx, key, NULL, NONCE, URL, "{\"onlyReturnExisting\":true}",
                                 &out),
                     AUTOCERT_OK);
    jws_parse(out, &j);
    assert_int_equal(json_object_size(j.header), 4);
    assert_string_equal(json_string_value(json_object_get(j.header, "alg")), alg);
    assert_string_equal(json_string_value(json_object_get(j.header, "nonce")), NONCE);
    assert_string_equal(json_string_value(json_object_get(j.header, "url")), URL);
    assert_true(json_equal(json_object_get(j.header, "jwk"), jwk));
    assert_null(json_object_get(j.header, "kid"));
    assert_string_equal(j.payload, "{\"onlyReturnExisting\":true}");
    /* Raw r||s, not DER. */
    assert_int_equal(j.siglen, 2 * half);
    verify_with_teeth(key, md, &j, half);
    jws_free(&j);
    free(out);

    /* Known account: "kid", no "jwk"; POST-as-GET has an empty payload. */
    assert_int_equal(ac_jws_sign(ctx, key, KID, NONCE, URL, NULL, &out), AUTOCERT_OK);
    jws_parse(out, &j);
    assert_int_equal(json_object_size(j.header), 4);
    assert_string_equal(json_string_value(json_object_get(j.header, "kid")), KID);
    assert_null(json_object_get(j.header, "jwk"));
    assert_string_equal(json_string_value(json_object_get(j.header, "alg")), alg);
    assert_string_equal(json_string_value(json_object_get(j.header, "nonce")), NONCE);
    assert_string_equal(json_string_value(json_object_get(j.header, "url")), URL);
    assert_string_equal(j.payload64, "");
    assert_string_equal(j.payload, "");
    assert_int_equal(j.siglen, 2 * half);
    verify_with_teeth(key, md, &j, half);
    jws_free(&j);
    free(out);
    json_decref(jwk);
}

static void test_es256(void **state)
{
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC256);

    check_ec_jws(*state, key, "ES256", EVP_sha256(), 32);
    EVP_PKEY_free(key);
}

static void test_es384(void **state)
{
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC384);

    check_ec_jws(*state, key, "ES384", EVP_sha384(), 48);
    EVP_PKEY_free(key);
}

/* r or s with a leading zero byte must still take 32 bytes: sign until such
 * a signature turns up (about 1 in 128), verifying every one. */
static void test_es256_short_r_s(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC256);
    int i, found = 0;

    for (i = 0; i < 4000 && !found; i++) {
        char *out = NULL;
        jws_parts j;

        assert_int_equal(ac_jws_sign(ctx, key, KID, NONCE, URL, "{}", &out), AUTOCERT_OK);
        jws_parse(out, &j);
        assert_int_equal(j.siglen, 64);
        assert_true(verify(key, EVP_sha256(), j.input, j.sig, j.siglen, 32));
        if (j.sig[0] == 0 || j.sig[32] == 0)
            found = 1;
        jws_free(&j);
        free(out);
    }
    assert_true(found);
    EVP_PKEY_free(key);
}

/* x and y are fixed-size (RFC 7518 section 6.2.1.2): find keys whose
 * coordinates have a leading zero byte and check the padding, and that
 * the JWK rebuilds the same public key. */
static void check_ec_jwk(EVP_PKEY *key, const char *crv, size_t size, int *short_coord)
{
    json_t *jwk = ac_jwk(key);
    const char *coords[] = {"x", "y"};
    const char *params[] = {OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y};
    unsigned char pub[1 + 2 * 48];
    size_t i;

    assert_non_null(jwk);
    assert_int_equal(json_object_size(jwk), 4);
    assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
    assert_string_equal(json_string_value(json_object_get(jwk, "crv")), crv);
    assert_null(json_object_get(jwk, "d"));
    pub[0] = 0x04;
    for (i = 0; i < 2; i++) {
        unsigned char *bin = NULL;
        unsigned char want[48];
        size_t len = 0;
        BIGNUM *bn = NULL;

        assert_int_equal(ac_b64url_decode(json_string_value(json_object_get(jwk, coords[i])),
                                          &bin, &len),
                         AUTOCERT_OK);
        assert_int_equal(len, size);
        assert_int_equal(EVP_PKEY_get_bn_param(key, params[i], &bn), 1);
        if ((size_t)BN_num_bytes(bn) < size)
            *short_coord = 1;
        assert_int_equal(BN_bn2binpad(bn, want, (int)size), (int)size);
        assert_memory_equal(bin, want, size);
        memcpy(pub + 1 + i * size, bin, size);
        BN_free(bn);
        free(bin);
    }
    /* The uncompressed point 04||x||y rebuilds the key's own public key. */
    {
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        OSSL_PARAM *ps;
        EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        EVP_PKEY *rebuilt = NULL;

        assert_non_null(bld);
        assert_non_null(pc);
        assert_true(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, crv, 0));
        assert_true(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                                     1 + 2 * size));
        ps = OSSL_PARAM_BLD_to_param(bld);
        assert_non_null(ps);
        assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
        assert_int_equal(EVP_PKEY_fromdata(pc, &rebuilt, EVP_PKEY_PUBLIC_KEY, ps), 1);
        assert_int_equal(EVP_PKEY_eq(rebuilt, key), 1);
        EVP_PKEY_free(rebuilt);
        EVP_PKEY_CTX_free(pc);
        OSSL_PARAM_free(ps);
        OSSL_PARAM_BLD_free(bld);
    }
    json_decref(jwk);
}

static void test_ec_jwk_padding(void **state)
{
    int i, short_coord = 0;

    (void)state;
    for (i = 0; i < 4000 && (i < 50 || !short_coord); i++) {
        EVP_PKEY *key = gen(AUTOCERT_KEY_EC256);

        check_ec_jwk(key, "P-256", 32, &short_coord);
        EVP_PKEY_free(key);
    }
    assert_true(short_coord);
    for (i = 0; i < 10; i++) {
        EVP_PKEY *key = gen(AUTOCERT_KEY_EC384);
        int dummy = 0;

        check_ec_jwk(key, "P-384", 48, &dummy);
        EVP_PKEY_free(key);
    }
}

/* The thumbprint of an EC key equals SHA-256 over the RFC 7638 canonical
 * form built here from the key's own coordinates. */
static void test_ec_thumbprint(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC256);
    BIGNUM *x = NULL, *y = NULL;
    unsigned char xb[32], yb[32], md[32];
    unsigned int mdlen = 0;
    char *x64 = NULL, *y64 = NULL, *want = NULL, *tp = NULL;
    char canon[256];

    assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
    assert_int_equal(BN_bn2binpad(x, xb, 32), 32);
    assert_int_equal(BN_bn2binpad(y, yb, 32), 32);
    assert_int_equal(ac_b64url_encode(xb, 32, &x64), AUTOCERT_OK);
    assert_int_equal(ac_b64url_encode(yb, 32, &y64), AUTOCERT_OK);
    snprintf(canon, sizeof(canon), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
             x64, y64);
    assert_int_equal(EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL), 1);
    assert_int_equal(ac_b64url_encode(md, mdlen, &want), AUTOCERT_OK);
    assert_int_equal(ac_jwk_thumbprint(ctx, key, &tp), AUTOCERT_OK);
    assert_string_equal(tp, want);
    assert_int_equal(strlen(tp), 43);
    free(tp);
    free(want);
    free(x64);
    free(y64);
    BN_free(x);
    BN_free(y);
    EVP_PKEY_free(key);
}

/* ---- External Account Binding (RFC 8555 section 7.3.4) ------------------- */

static void hmac_sha256(const unsigned char *key, size_t klen, const char *data,
                        unsigned char out[32])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *mc;
    OSSL_PARAM params[2];
    size_t outlen = 0;

    assert_non_null(mac);
    mc = EVP_MAC_CTX_new(mac);
    assert_non_null(mc);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    assert_int_equal(EVP_MAC_init(mc, key, klen, params), 1);
    assert_int_equal(EVP_MAC_update(mc, (const unsigned char *)data, strlen(data)), 1);
    assert_int_equal(EVP_MAC_final(mc, out, &outlen, 32), 1);
    assert_int_equal(outlen, 32);
    EVP_MAC_CTX_free(mc);
    EVP_MAC_free(mac);
}

static void test_eab(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *key = gen(AUTOCERT_KEY_EC256);
    unsigned char mac_key[32], want[32];
    const char *url = "https://acme.example/acme/new-account";
    json_t *eab = NULL, *jwk = ac_jwk(key), *payload;
    json_error_t e;
    jws_parts j;
    size_t i;

    for (i = 0; i < sizeof(mac_key); i++)
        mac_key[i] = (unsigned char)(0xa0 + i);
    assert_int_equal(ac_jws_eab(ctx, key, "kid-1", mac_key, sizeof(mac_key), url, &eab),
                     AUTOCERT_OK);
    assert_non_null(eab);
    jws_split(eab, &j);
    /* Header: alg, kid, url; no nonce (RFC 8555 7.3.4). */
    assert_int_equal(json_object_size(j.header), 3);
    assert_string_equal(json_string_value(json_object_get(j.header, "alg")), "HS256");
    assert_string_equal(json_string_value(json_object_get(j.header, "kid")), "kid-1");
    assert_string_equal(json_string_value(json_object_get(j.header, "url")), url);
    assert_null(json_object_get(j.header, "nonce"));
    /* Payload: the account's public JWK. */
    payload = json_loads(j.payload, 0, &e);
    assert_non_null(payload);
    assert_true(json_equal(payload, jwk));
    json_decref(payload);
    /* Signature: HMAC-SHA256 over "<protected>.<payload>". */
    hmac_sha256(mac_key, sizeof(mac_key), j.input, want);
    assert_int_equal(j.siglen, 32);
    assert_memory_equal(j.sig, want, 32);
    /* A different MAC key gives a different signature. */
    mac_key[0] ^= 1;
    hmac_sha256(mac_key, sizeof(mac_key), j.input, want);
    assert_memory_not_equal(j.sig, want, 32);
    jws_free(&j); /* releases eab */
    json_decref(jwk);
    EVP_PKEY_free(key);
}

/* ---- algorithms ---------------------------------------------------------- */

static void test_alg(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *k;
    char *out = (char *)"x";
    char *tp = (char *)"x";

    k = gen(AUTOCERT_KEY_EC256);
    assert_string_equal(ac_jws_alg(k), "ES256");
    EVP_PKEY_free(k);
    k = gen(AUTOCERT_KEY_EC384);
    assert_string_equal(ac_jws_alg(k), "ES384");
    EVP_PKEY_free(k);
    k = gen(AUTOCERT_KEY_RSA2048);
    assert_string_equal(ac_jws_alg(k), "RS256");
    EVP_PKEY_free(k);

    k = gen(AUTOCERT_KEY_ED25519);
    assert_null(ac_jws_alg(k));
    assert_int_equal(ac_jws_sign(ctx, k, NULL, NONCE, URL, "{}", &out), AUTOCERT_ERR_UNSUPPORTED);
    assert_null(out);
    assert_non_null(strstr(autocert_last_error(ctx), "ed25519"));
    assert_null(ac_jwk(k));
    assert_int_equal(ac_jwk_thumbprint(ctx, k, &tp), AUTOCERT_ERR_CRYPTO);
    assert_null(tp);
    assert_non_null(strstr(autocert_last_error(ctx), "ed25519"));
    EVP_PKEY_free(k);

    /* RSA below 2048 bits is not offered. */
    k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(k);
    assert_null(ac_jws_alg(k));
    out = (char *)"x";
    assert_int_equal(ac_jws_sign(ctx, k, NULL, NONCE, URL, "{}", &out), AUTOCERT_ERR_UNSUPPORTED);
    assert_null(out);
    EVP_PKEY_free(k);

    /* P-521 is not an ACME account key type here either. */
    k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    assert_non_null(k);
    assert_null(ac_jws_alg(k));
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7638_thumbprint),
        cmocka_unit_test(test_rfc7515_a2_fixture),
        cmocka_unit_test(test_rfc7515_a2_rs256),
        cmocka_unit_test(test_es256),
        cmocka_unit_test(test_es384),
        cmocka_unit_test(test_es256_short_r_s),
        cmocka_unit_test(test_ec_jwk_padding),
        cmocka_unit_test(test_ec_thumbprint),
        cmocka_unit_test(test_eab),
        cmocka_unit_test(test_alg),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
