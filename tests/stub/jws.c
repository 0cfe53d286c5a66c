/* jws.c: the stub checks every signed request as a CA would: its nonce, url, key and signature. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>

#include "stub.h"

int b64url_decode(const char *in, unsigned char **out, size_t *len)
{
    size_t n = strlen(in), i, o = 0;
    unsigned acc = 0;
    int bits = 0;
    unsigned char *buf = malloc(n * 3 / 4 + 1);

    if (buf == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *p = in[i] ? strchr(al, in[i]) : NULL;

        if (p == NULL) {
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (unsigned)(p - al);
        if ((bits += 6) >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    *out = buf;
    *len = o;
    return 0;
}

char *b64url_encode(const unsigned char *in, size_t len)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(len * 4 / 3 + 4);
    size_t i, o = 0;
    unsigned acc = 0;
    int bits = 0;

    if (out == NULL)
        return NULL;
    for (i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = al[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = al[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    return out;
}

static BIGNUM *member_bn(json_t *jwk, const char *name)
{
    const char *v = json_string_value(json_object_get(jwk, name));
    unsigned char *raw = NULL;
    size_t len = 0;
    BIGNUM *bn = NULL;

    if (v && b64url_decode(v, &raw, &len) == 0)
        bn = BN_bin2bn(raw, (int)len, NULL);
    free(raw);
    return bn;
}

/* The public key of a JWK (EC P-256/P-384 or RSA), or NULL. */
static EVP_PKEY *jwk_key(json_t *jwk)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *key = NULL;
    BIGNUM *a = NULL, *b = NULL;
    unsigned char pt[1 + 2 * 66];
    int ok = 0, ec = kty && strcmp(kty, "EC") == 0;

    if (bld == NULL || kty == NULL)
        goto out;
    a = member_bn(jwk, ec ? "x" : "n");
    b = member_bn(jwk, ec ? "y" : "e");
    if (a == NULL || b == NULL)
        goto out;
    if (ec && crv && (strcmp(crv, "P-256") == 0 || strcmp(crv, "P-384") == 0)) {
        int sz = strcmp(crv, "P-256") == 0 ? 32 : 48;
        pt[0] = 4;
        ok = BN_bn2binpad(a, pt + 1, sz) == sz && BN_bn2binpad(b, pt + 1 + sz, sz) == sz &&
             OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                             sz == 32 ? "P-256" : "P-384", 0) &&
             OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                              (size_t)(1 + 2 * sz));
    } else if (strcmp(kty, "RSA") == 0) {
        ok = OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, a) &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, b);
    }
    if (!ok || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (pc = EVP_PKEY_CTX_new_from_name(NULL, ec ? "EC" : "RSA", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(pc) <= 0 || EVP_PKEY_fromdata(pc, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
out:
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(a);
    BN_free(b);
    return key;
}

/* RFC 7638 thumbprint of a JWK, base64url. */
static char *jwk_thumb(json_t *jwk)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    json_t *c;
    char *text = NULL, *out = NULL;
    unsigned char md[32];

    if (kty && strcmp(kty, "EC") == 0)
        c = json_pack("{s:O, s:s, s:O, s:O}", "crv", json_object_get(jwk, "crv"), "kty", "EC",
                      "x", json_object_get(jwk, "x"), "y", json_object_get(jwk, "y"));
    else
        c = json_pack("{s:O, s:s, s:O}", "e", json_object_get(jwk, "e"), "kty", "RSA", "n",
                      json_object_get(jwk, "n"));
    if (c && (text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS)) != NULL &&
        EVP_Digest(text, strlen(text), md, NULL, EVP_sha256(), NULL))
        out = b64url_encode(md, sizeof(md));
    json_decref(c);
    free(text);
    return out;
}

/* ES256/ES384 signatures are r||s; OpenSSL wants DER. */
static int ecdsa_der(const unsigned char *sig, size_t len, unsigned char **der, size_t *dlen)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL), *s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
    int n = -1;

    *der = NULL;
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL;
        n = i2d_ECDSA_SIG(es, der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    *dlen = n > 0 ? (size_t)n : 0;
    return n > 0 ? 0 : -1;
}

static int verify_sig(EVP_PKEY *key, const char *alg, const char *input, const unsigned char *sig,
                      size_t len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const EVP_MD *h = strcmp(alg, "ES384") == 0 ? EVP_sha384() : EVP_sha256();
    unsigned char *der = NULL;
    size_t dlen = len;
    int ok = 0, ec = alg[0] == 'E';

    if (strcmp(alg, "ES256") != 0 && strcmp(alg, "ES384") != 0 && strcmp(alg, "RS256") != 0)
        goto out;
    if (ec && (len != (strcmp(alg, "ES256") == 0 ? 64u : 96u) || ecdsa_der(sig, len, &der, &dlen)))
        goto out;
    ok = md && EVP_DigestVerifyInit(md, NULL, h, NULL, key) == 1 &&
         EVP_DigestVerify(md, der ? der : sig, dlen, (const unsigned char *)input,
                          strlen(input)) == 1;
out:
    free(der);
    EVP_MD_CTX_free(md);
    return ok;
}

void jws_clear(stub_jws *j)
{
    json_decref(j->payload);
    EVP_PKEY_free(j->jwk_key);
    free(j->thumb);
    memset(j, 0, sizeof(*j));
}

static int bad(stub_reply *r, const char *type, const char *why)
{
    stub_violation("%s", why);
    reply_problem(r, 400, type, why);
    return -1;
}

/* The key of the request: its jwk (newAccount) or a known kid. */
static int key_of(json_t *hdr, int want_jwk, stub_jws *out, stub_reply *r, EVP_PKEY **key)
{
    json_t *jwk = json_object_get(hdr, "jwk");
    const char *kid = json_string_value(json_object_get(hdr, "kid"));

    if ((jwk != NULL) == (kid != NULL))
        return bad(r, "malformed", "exactly one of jwk and kid is required");
    if (want_jwk != (jwk != NULL))
        return bad(r, "malformed", want_jwk ? "newAccount needs a jwk" : "a kid is required");
    if (jwk) {
        if ((out->jwk_key = jwk_key(jwk)) == NULL || (out->thumb = jwk_thumb(jwk)) == NULL)
            return bad(r, "badPublicKey", "jwk cannot be read");
        *key = out->jwk_key;
        return 0;
    }
    if ((out->acct = account_by_kid(kid)) == NULL) {
        reply_problem(r, 400, "accountDoesNotExist", "unknown kid");
        stub_violation("unknown kid");
        return -1;
    }
    *key = out->acct->key;
    return 0;
}

/* Checks the protected header; *key is the key to verify with. */
static int check_header(json_t *hdr, const char *url, int want_jwk, stub_jws *out, stub_reply *r,
                        EVP_PKEY **key)
{
    const char *nonce = json_string_value(json_object_get(hdr, "nonce"));
    const char *hurl = json_string_value(json_object_get(hdr, "url"));

    if (!json_is_string(json_object_get(hdr, "alg")))
        return bad(r, "malformed", "no alg");
    if (hurl == NULL || strcmp(hurl, url) != 0)
        return bad(r, "unauthorized", "url of the JWS is not the request URL");
    if (nonce == NULL || !nonce_take(nonce)) {
        stub_violation("nonce %s not issued or already used", nonce ? nonce : "(none)");
        reply_problem(r, 400, "badNonce", "nonce not issued or already used");
        return -1;
    }
    return key_of(hdr, want_jwk, out, r, key);
}

static int check_payload(const char *pl, stub_jws *out, stub_reply *r)
{
    unsigned char *raw = NULL;
    size_t len = 0;

    if (pl[0] == '\0')
        return 0;
    if (b64url_decode(pl, &raw, &len) != 0)
        return bad(r, "malformed", "payload is not base64url");
    out->payload = json_loadb((const char *)raw, len, 0, NULL);
    free(raw);
    if (!json_is_object(out->payload))
        return bad(r, "malformed", "payload is not a JSON object");
    return 0;
}

int jws_check(const char *body, size_t len, const char *url, int want_jwk, stub_jws *out,
              stub_reply *r)
{
    json_t *jws = json_loadb(body, len, 0, NULL), *hdr = NULL;
    const char *prot = json_string_value(json_object_get(jws, "protected"));
    const char *pl = json_string_value(json_object_get(jws, "payload"));
    const char *sig = json_string_value(json_object_get(jws, "signature"));
    unsigned char *raw = NULL;
    size_t rlen = 0, n;
    char *input = NULL;
    EVP_PKEY *key = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (prot == NULL || pl == NULL || sig == NULL || b64url_decode(prot, &raw, &rlen) != 0) {
        bad(r, "malformed", "not a flattened JWS");
        goto out;
    }
    hdr = json_loadb((const char *)raw, rlen, 0, NULL);
    free(raw);
    raw = NULL;
    if (!json_is_object(hdr)) {
        bad(r, "malformed", "protected header is not JSON");
        goto out;
    }
    if (check_header(hdr, url, want_jwk, out, r, &key) != 0 || check_payload(pl, out, r) != 0)
        goto out;
    n = strlen(prot) + strlen(pl) + 2;
    if ((input = malloc(n)) == NULL || b64url_decode(sig, &raw, &rlen) != 0) {
        bad(r, "malformed", "signature is not base64url");
        goto out;
    }
    snprintf(input, n, "%s.%s", prot, pl);
    if (!verify_sig(key, json_string_value(json_object_get(hdr, "alg")), input, raw, rlen))
        bad(r, "badSignatureAlgorithm", "signature does not verify");
    else
        rc = 0;
out:
    free(raw);
    free(input);
    json_decref(hdr);
    json_decref(jws);
    if (rc != 0)
        jws_clear(out);
    return rc;
}
