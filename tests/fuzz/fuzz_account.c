/* fuzz_account.c: libFuzzer target: the CA's answer to newAccount (status, headers, body), for a new registration and for the lookup of a cached key. */
#include "config.h"

#include <stdlib.h>

#include "cache.h"
#include "fakeca.h"
#include "fuzz.h"

static const char *const match[] = {"POST /new-account", NULL};

/* With `cached_key`, the cache holds the account's key alone: its URL is
 * looked up (onlyReturnExisting). */
static void run(const uint8_t *data, size_t size, int cached_key)
{
    ac_ident id = {AC_ID_DNS, (char *)"a.example"};
    autocert_ctx *ctx = fuzz_ctx_new();
    autocert_storage *st = fuzz_mem_storage();
    fuzz_script sc;
    fuzz_ca *fc;
    ac_session s;
    ac_order o = {0};

    fuzz_script_parse(&sc, data, size);
    if (cached_key) {
        EVP_PKEY *key = NULL;
        char *set = NULL, *pem = NULL;
        size_t len = 0;

        if (ac_key_generate(ctx, AUTOCERT_KEY_EC256, &key) != AUTOCERT_OK ||
            ac_key_to_pem(ctx, key, &pem, &len) != AUTOCERT_OK ||
            ac_cache_account_set(ctx, FAKECA_DIRECTORY, &set) != AUTOCERT_OK)
            abort();
        fuzz_mem_put(st, set, "account.key", pem, len);
        ac_free_secret(pem, len);
        free(set);
        EVP_PKEY_free(key);
    }
    autocert_set_storage_take(ctx, st);
    autocert_set_email(ctx, "ops@a.example");
    fc = fuzz_ca_attach(ctx, &sc, match);
    if (ac_session_init(&s, ctx, NULL) == AUTOCERT_OK) {
        if (ac_account_ensure(&s) == AUTOCERT_OK) {
            fuzz_ctx_check(ctx);
            ac_order_new(&s, &id, 1, NULL, &o);
            ac_order_clear(&o);
        }
        fuzz_ctx_check(ctx);
        ac_session_cleanup(&s);
    }
    fuzz_ctx_check(ctx);
    autocert_ctx_free(ctx);
    fuzz_ca_free(fc);
    fuzz_script_free(&sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, 0);
    run(data, size, 1);
    return 0;
}
