/* fuzz_certinfo.c: libFuzzer target: certificate facts from PEM (ac_certinfo_parse), splitting a chain (ac_pem_split), counting its certificates (ac_pem_certs), whether a key matches a certificate. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    autocert_ctx *ctx = fuzz_ctx_new();
    const char *pem = (const char *)data;
    ac_certinfo ci = {0};
    char *leaf = NULL, *rest = NULL;
    EVP_PKEY *mine = fuzz_key(), *theirs = NULL;
    const char *chain = fuzz_chain();
    int count;

    ac_certinfo_parse(ctx, pem, size, "fuzz.pem", &ci);
    fuzz_ctx_check(ctx);
    ac_certinfo_clear(&ci);
    (void)ac_pem_certs(ctx, pem, size, "fuzz.pem", &count);
    fuzz_ctx_check(ctx);
    if (ac_pem_split(ctx, pem, size, &leaf, &rest) == AUTOCERT_OK) {
        (void)ac_key_matches_cert(mine, leaf, strlen(leaf));
        if (ac_certinfo_parse(ctx, leaf, strlen(leaf), "leaf", &ci) == AUTOCERT_OK)
            ac_certinfo_clear(&ci);
    }
    fuzz_ctx_check(ctx);
    (void)ac_key_matches_cert(mine, pem, size);
    if (ac_key_from_pem(ctx, pem, size, "fuzz.pem", &theirs) == AUTOCERT_OK)
        (void)ac_key_matches_cert(theirs, chain, strlen(chain));
    fuzz_ctx_check(ctx);
    EVP_PKEY_free(theirs);
    EVP_PKEY_free(mine);
    free(leaf);
    free(rest);
    autocert_ctx_free(ctx);
    return 0;
}
