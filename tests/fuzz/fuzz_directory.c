/* fuzz_directory.c: libFuzzer target: the CA's directory document, then an account and an order, with and without agreeing to the terms. */
#include "config.h"

#include "fuzz.h"

static const char *const match[] = {"GET /dir", NULL};

static void run(const uint8_t *data, size_t size, int agree)
{
    ac_ident id = {AC_ID_DNS, (char *)"a.example"};
    autocert_ctx *ctx = fuzz_ctx_new();
    fuzz_script sc;
    fuzz_ca *fc;
    ac_session s;
    ac_order o = {0};

    fuzz_script_parse(&sc, data, size);
    autocert_set_storage_take(ctx, fuzz_mem_storage());
    fc = fuzz_ca_attach(ctx, &sc, match);
    autocert_set_agree_tos(ctx, agree);
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
    run(data, size, 1);
    run(data, size, 0);
    return 0;
}
