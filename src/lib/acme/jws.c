/* jws.c: JSON Web Signatures (RFC 7515) and JWK thumbprints (RFC 7638): the only code that signs with the account key. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "acme/acme.h"

const char *ac_jws_alg(EVP_PKEY *key)
{
    const char *t = ac_key_type_of(key);

    if (strcmp(t, "ec256") == 0)
        return "ES256";
    if (strcmp(t, "ec384") == 0)
        return "ES384";
    if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048)
        return "RS256";
    return NULL;
}

/* Base64url of a big number, left-padded to `pad` bytes (0: minimal). */
static json_t *bn_b64(EVP_PKEY *key, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char *bin = NULL;
    char *s = NULL;
    json_t *j = NULL;
    int len;

    if (!EVP_PKEY_get_bn_param(key, param, &bn))
        goto out;
    len = pad ? pad : BN_num_bytes(bn);
    if (len <= 0 || (bin = malloc((size_t)len)) == NULL)
        goto out;
    if (BN_bn2binpad(bn, bin, len) != len)
        goto out;
    if (ac_b64url_encode(bin, (size_t)len, &s) != AUTOCERT_OK)
        goto out;
    j = json_string(s);
out:
    BN_free(bn);
    free(bin);
    free(s);
    return j;
}

static int ec_size(EVP_PKEY *key)
{
    return (EVP_PKEY_get_bits(key) + 7) / 8;
}

json_t *ac_jwk(EVP_PKEY *key)
{
    json_t *a = NULL, *b = NULL;
    const char *t = ac_key_type_of(key);

    if (strcmp(t, "ec256") == 0 || strcmp(t, "ec384") == 0) {
        a = bn_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, ec_size(key));
        b = bn_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, ec_size(key));
        if (a && b)
            return json_pack("{s:s, s:s, s:o, s:o}", "crv",
                             strcmp(t, "ec256") == 0 ? "P-256" : "P-384", "kty", "EC", "x", a,
                             "y", b);
    } else if (EVP_PKEY_is_a(key, "RSA")) {
        a = bn_b64(key, OSSL_PKEY_PARAM_RSA_E, 0);
        b = bn_b64(key, OSSL_PKEY_PARAM_RSA_N, 0);
        if (a && b)
            return json_pack("{s:o, s:s, s:o}", "e", a, "kty", "RSA", "n", b);
    }
    json_decref(a);
    json_decref(b);
    return NULL;
}

/* SHA-256 of `data`, base64url. */
static autocert_err sha256_b64(const void *data, size_t len, char **out)
{
    unsigned char md[32];
    unsigned int mdlen = 0;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
        return AUTOCERT_ERR_CRYPTO;
    return ac_b64url_encode(md, mdlen, out);
}

autocert_err ac_jwk_thumbprint(autocert_ctx *ctx, EVP_PKEY *key, char **out)
{
    json_t *jwk = ac_jwk(key);
    char *text = NULL;
    autocert_err rc;

    *out = NULL;
    if (jwk == NULL)
        return ac_err(ctx, AUTOCERT_ERR_CRYPTO, "cannot express the %s key as a JWK",
                      ac_key_type_of(key));
    /* RFC 7638: required members only, lexical order, no white space. */
    text = ac_json_dump(jwk, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(jwk);
    if (text == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    rc = sha256_b64(text, strlen(text), out);
    free(text);
    if (rc != AUTOCERT_OK)
        return ac_err_ssl(ctx, rc, "cannot compute JWK thumbprint");
    return AUTOCERT_OK;
}

/* Signs `input` with the key as JWS requires: ECDSA as raw r||s, RSA PKCS#1 v1.5. */
static autocert_err sign_raw(autocert_ctx *ctx, EVP_PKEY *key, const char *input,
                             unsigned char **sig, size_t *siglen)
{
    EVP_MD_CTX *md = NULL;
    unsigned char *der = NULL, *raw = NULL;
    size_t dlen = 0;
    const unsigned char *p;
    ECDSA_SIG *es = NULL;
    const BIGNUM *r, *s;
    const char *alg = ac_jws_alg(key);
    const EVP_MD *hash = alg && strcmp(alg, "ES384") == 0 ? EVP_sha384() : EVP_sha256();
    autocert_err rc = AUTOCERT_ERR_CRYPTO;
    int n;

    *sig = NULL;
    /* No algorithm: the key's type could not be read (OpenSSL may have run
     * out of memory looking it up). */
    if (alg == NULL)
        return ac_err_ssl(ctx, ac_ssl_nomem() ? AUTOCERT_ERR_NOMEM : AUTOCERT_ERR_CRYPTO,
                          "cannot tell the %s key's signature algorithm", ac_key_type_of(key));
    md = EVP_MD_CTX_new();
    if (md == NULL || !EVP_DigestSignInit(md, NULL, hash, NULL, key) ||
        !EVP_DigestSign(md, NULL, &dlen, (const unsigned char *)input, strlen(input)) ||
        (der = malloc(dlen)) == NULL ||
        !EVP_DigestSign(md, der, &dlen, (const unsigned char *)input, strlen(input))) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot sign request");
        goto out;
    }
    if (!EVP_PKEY_is_a(key, "EC")) {
        *sig = der;
        *siglen = dlen;
        der = NULL;
        rc = AUTOCERT_OK;
        goto out;
    }
    n = ec_size(key);
    p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
    if (es == NULL || (raw = malloc(2 * (size_t)n)) == NULL) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot decode ECDSA signature");
        goto out;
    }
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, raw, n) != n || BN_bn2binpad(s, raw + n, n) != n) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot encode ECDSA signature");
        goto out;
    }
    *sig = raw;
    *siglen = 2 * (size_t)n;
    raw = NULL;
    rc = AUTOCERT_OK;
out:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    free(der);
    free(raw);
    return rc;
}

/* Builds the flattened JWS object from a protected header and payload text. */
static autocert_err assemble(autocert_ctx *ctx, json_t *protected_hdr, const char *payload,
                             EVP_PKEY *key, const unsigned char *mac, size_t mac_len,
                             json_t **out)
{
    char *hdr = NULL, *p64 = NULL, *h64 = NULL, *s64 = NULL, *input = NULL;
    unsigned char *sig = NULL;
    unsigned char hm[EVP_MAX_MD_SIZE];
    size_t siglen = 0, n;
    autocert_err rc = AUTOCERT_ERR_NOMEM;

    *out = NULL;
    hdr = ac_json_dump(protected_hdr, JSON_COMPACT);
    if (hdr == NULL || ac_b64url_encode(hdr, strlen(hdr), &h64) != AUTOCERT_OK ||
        ac_b64url_encode(payload, strlen(payload), &p64) != AUTOCERT_OK)
        goto nomem;
    n = strlen(h64) + strlen(p64) + 2;
    if ((input = malloc(n)) == NULL)
        goto nomem;
    snprintf(input, n, "%s.%s", h64, p64);
    if (mac) {
        if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, mac, mac_len,
                      (const unsigned char *)input, strlen(input), hm, sizeof(hm),
                      &siglen) == NULL) {
            rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot compute HMAC");
            goto out;
        }
        rc = ac_b64url_encode(hm, siglen, &s64);
    } else {
        if ((rc = sign_raw(ctx, key, input, &sig, &siglen)) != AUTOCERT_OK)
            goto out;
        rc = ac_b64url_encode(sig, siglen, &s64);
    }
    if (rc != AUTOCERT_OK)
        goto nomem;
    *out = json_pack("{s:s, s:s, s:s}", "protected", h64, "payload", p64, "signature", s64);
    rc = *out ? AUTOCERT_OK : ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    goto out;
nomem:
    rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
out:
    OPENSSL_cleanse(hm, sizeof(hm));
    free(hdr);
    free(h64);
    free(p64);
    free(s64);
    free(input);
    free(sig);
    return rc;
}

autocert_err ac_jws_sign(autocert_ctx *ctx, EVP_PKEY *key, const char *kid,
                         const char *nonce, const char *url, const char *payload,
                         char **out)
{
    json_t *hdr = NULL, *jws = NULL;
    const char *alg = ac_jws_alg(key);
    autocert_err rc;

    *out = NULL;
    if (alg == NULL)
        return ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED, "account key type %s cannot sign ACME requests",
                      ac_key_type_of(key));
    hdr = json_pack("{s:s, s:s, s:s}", "alg", alg, "nonce", nonce, "url", url);
    if (hdr == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (kid)
        rc = json_object_set_new(hdr, "kid", json_string(kid)) ? AUTOCERT_ERR_NOMEM : AUTOCERT_OK;
    else {
        json_t *jwk = ac_jwk(key);
        rc = (jwk && json_object_set_new(hdr, "jwk", jwk) == 0) ? AUTOCERT_OK : AUTOCERT_ERR_NOMEM;
    }
    if (rc != AUTOCERT_OK) {
        json_decref(hdr);
        return ac_err(ctx, rc, "cannot build JWS header");
    }
    rc = assemble(ctx, hdr, payload ? payload : "", key, NULL, 0, &jws);
    json_decref(hdr);
    if (rc != AUTOCERT_OK)
        return rc;
    *out = ac_json_dump(jws, JSON_COMPACT);
    json_decref(jws);
    return *out ? AUTOCERT_OK : ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
}

autocert_err ac_jws_eab(autocert_ctx *ctx, EVP_PKEY *account_key, const char *eab_kid,
                        const unsigned char *mac_key, size_t mac_len, const char *url,
                        json_t **out)
{
    json_t *hdr = NULL, *jwk = NULL;
    char *payload = NULL;
    autocert_err rc;

    *out = NULL;
    jwk = ac_jwk(account_key);
    hdr = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", eab_kid, "url", url);
    if (jwk == NULL || hdr == NULL || (payload = ac_json_dump(jwk, JSON_COMPACT)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "cannot build external account binding");
        goto out;
    }
    rc = assemble(ctx, hdr, payload, NULL, mac_key, mac_len, out);
out:
    json_decref(jwk);
    json_decref(hdr);
    free(payload);
    return rc;
}

autocert_err ac_jws_key_change(autocert_ctx *ctx, EVP_PKEY *new_key, EVP_PKEY *old_key,
                               const char *account_url, const char *url, json_t **out)
{
    const char *alg = ac_jws_alg(new_key);
    json_t *hdr = NULL, *body = NULL;
    char *payload = NULL;
    autocert_err rc;

    *out = NULL;
    if (alg == NULL)
        return ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED, "account key type %s cannot sign ACME requests",
                      ac_key_type_of(new_key));
    /* Inner JWS (RFC 8555 section 7.3.5): the new key embedded, no nonce. */
    hdr = json_pack("{s:s, s:o*, s:s}", "alg", alg, "jwk", ac_jwk(new_key), "url", url);
    body = json_pack("{s:s, s:o*}", "account", account_url, "oldKey", ac_jwk(old_key));
    if (hdr == NULL || body == NULL || json_object_get(hdr, "jwk") == NULL ||
        json_object_get(body, "oldKey") == NULL ||
        (payload = ac_json_dump(body, JSON_COMPACT)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "cannot build the key change");
        goto out;
    }
    rc = assemble(ctx, hdr, payload, new_key, NULL, 0, out);
out:
    json_decref(hdr);
    json_decref(body);
    free(payload);
    return rc;
}
