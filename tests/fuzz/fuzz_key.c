/* fuzz_key.c: libFuzzer target: a PEM private key (ac_key_from_pem), then its type, JWK, thumbprint, a JWS, and the PEM written back and read again. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

static void use(autocert_ctx *ctx, EVP_PKEY *key)
{
    json_t *jwk = ac_jwk(key);
    char *thumb = NULL, *jws = NULL, *pem = NULL;
    EVP_PKEY *back = NULL;
    size_t len = 0;

    fuzz_text_check("the key type", ac_key_type_of(key), FUZZ_ONE_LINE);
    json_decref(jwk);
    ac_jwk_thumbprint(ctx, key, &thumb);
    ac_jws_sign(ctx, key, NULL, "nonce-1", "https://ca.test/new-account", "{}", &jws);
    fuzz_ctx_check(ctx);
    if (ac_key_to_pem(ctx, key, &pem, &len) == AUTOCERT_OK) {
        if (ac_key_from_pem(ctx, pem, len, "written back", &back) != AUTOCERT_OK ||
            EVP_PKEY_eq(key, back) != 1) {
            fprintf(stderr, "fuzz: a key written back does not read back the same\n");
            abort();
        }
        ac_free_secret(pem, len);
    }
    fuzz_ctx_check(ctx);
    EVP_PKEY_free(back);
    free(thumb);
    free(jws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    autocert_ctx *ctx = fuzz_ctx_new();
    EVP_PKEY *key = NULL;

    if (ac_key_from_pem(ctx, data, size, "fuzz.pem", &key) == AUTOCERT_OK)
        use(ctx, key);
    fuzz_ctx_check(ctx);
    EVP_PKEY_free(key);
    autocert_ctx_free(ctx);
    return 0;
}
