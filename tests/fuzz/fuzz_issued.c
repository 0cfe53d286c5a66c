/* fuzz_issued.c: libFuzzer target: the chain a CA hands back, checked before anything is stored (ac_issued_check). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static const ac_ident ids[] = {
    {AC_ID_DNS, (char *)"a.example"},
    {AC_ID_DNS, (char *)"www.a.example"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    autocert_ctx *ctx = fuzz_ctx_new();
    EVP_PKEY *key = fuzz_key();
    char *pem = malloc(size + 1);

    if (pem == NULL)
        abort();
    memcpy(pem, data, size);
    pem[size] = '\0';
    ac_issued_check(ctx, pem, ids, 2, key);
    fuzz_ctx_check(ctx);
    ac_issued_check(ctx, pem, ids, 1, key);
    fuzz_ctx_check(ctx);
    free(pem);
    EVP_PKEY_free(key);
    autocert_ctx_free(ctx);
    return 0;
}
