/* fuzz_cache_account.c: libFuzzer target: a cached account.json, read by ac_cache_account_load, then used by a session to order. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "fakeca.h"
#include "fuzz.h"

static const char *const nothing[] = {NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ac_ident id = {AC_ID_DNS, (char *)"a.example"};
    autocert_ctx *ctx = fuzz_ctx_new();
    autocert_storage *st = fuzz_mem_storage();
    fuzz_script sc = {0};
    fuzz_ca *fc;
    EVP_PKEY *key = NULL;
    char *set = NULL, *url = NULL;
    ac_session s;
    ac_order o = {0};

    if (ac_cache_account_set(ctx, FAKECA_DIRECTORY, &set) != AUTOCERT_OK)
        abort();
    fuzz_mem_put(st, set, AC_ITEM_ACCOUNT_KEY, fuzz_key_pem(), strlen(fuzz_key_pem()));
    fuzz_mem_put(st, set, AC_ITEM_ACCOUNT_META, data, size);
    autocert_set_storage_take(ctx, st);
    ac_cache_account_load(ctx, st, set, &key, &url);
    fuzz_ctx_check(ctx);
    fc = fuzz_ca_attach(ctx, &sc, nothing);
    if (ac_session_init(&s, ctx, NULL) == AUTOCERT_OK) {
        if (ac_account_ensure(&s) == AUTOCERT_OK)
            ac_order_new(&s, &id, 1, NULL, &o);
        fuzz_ctx_check(ctx);
        ac_order_clear(&o);
        ac_session_cleanup(&s);
    }
    EVP_PKEY_free(key);
    free(url);
    free(set);
    autocert_ctx_free(ctx);
    fuzz_ca_free(fc);
    return 0;
}
