/* fuzz_order.c: libFuzzer target: the CA's answers about an order (newOrder, finalize, polls, the certificate), then the download and its check. */
#include "config.h"

#include <stdlib.h>

#include "fakeca.h"
#include "fuzz.h"

static const char *const match[] = {"POST /new-order", "POST /finalize", "POST /order",
                                    "POST /cert", NULL};

static const ac_ident ids[] = {
    {AC_ID_DNS, (char *)"a.example"},
    {AC_ID_IP, (char *)"192.0.2.1"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    autocert_ctx *ctx = fuzz_ctx_new();
    fuzz_script sc;
    fuzz_ca *fc;
    fakeca_knobs *k;
    ac_session s;
    ac_order o = {0};
    EVP_PKEY *key = NULL;
    char *chain = NULL;

    fuzz_script_parse(&sc, data, size);
    autocert_set_storage_take(ctx, fuzz_mem_storage());
    fc = fuzz_ca_attach(ctx, &sc, match);
    k = fuzz_ca_knobs(fc);
    k->authz_valid = 1; /* the order is ready at once: no challenge */
    k->order_polls = 1;
    if (ac_key_generate(ctx, AUTOCERT_KEY_EC256, &key) != AUTOCERT_OK)
        abort();
    if (ac_session_init(&s, ctx, NULL) == AUTOCERT_OK) {
        if (ac_account_ensure(&s) == AUTOCERT_OK && ac_order_new(&s, ids, 2, NULL, &o) == AUTOCERT_OK &&
            ac_order_finalize(&s, &o, key, ids, 2) == AUTOCERT_OK &&
            ac_order_download(&s, &o, &chain) == AUTOCERT_OK) {
            fuzz_ctx_check(ctx);
            ac_issued_check(ctx, chain, ids, 2, key);
        }
        fuzz_ctx_check(ctx);
        ac_order_clear(&o);
        ac_session_cleanup(&s);
    }
    fuzz_ctx_check(ctx);
    free(chain);
    EVP_PKEY_free(key);
    autocert_ctx_free(ctx);
    fuzz_ca_free(fc);
    fuzz_script_free(&sc);
    return 0;
}
