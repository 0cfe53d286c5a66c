/* fuzz_problem.c: libFuzzer target: problem documents, formatted, recorded as errors, and received as the body of a failed signed request. */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"

static const char *const match[] = {"POST /new-order", NULL};

/* The input as the body of a failed newOrder. */
static void as_response(const uint8_t *data, size_t size, long status)
{
    ac_ident id = {AC_ID_DNS, (char *)"a.example"};
    autocert_ctx *ctx = fuzz_ctx_new();
    fuzz_resp r = {status, NULL, NULL, NULL, (const char *)data, size};
    fuzz_script sc = {NULL, &r, 1, 0};
    fuzz_ca *fc;
    ac_session s;
    ac_order o = {0};

    autocert_set_storage_take(ctx, fuzz_mem_storage());
    fc = fuzz_ca_attach(ctx, &sc, match);
    if (ac_session_init(&s, ctx, NULL) == AUTOCERT_OK) {
        if (ac_account_ensure(&s) == AUTOCERT_OK)
            ac_order_new(&s, &id, 1, NULL, &o);
        fuzz_ctx_check(ctx);
        ac_order_clear(&o);
        ac_session_cleanup(&s);
    }
    autocert_ctx_free(ctx);
    fuzz_ca_free(fc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    autocert_ctx *ctx = fuzz_ctx_new();
    char *text = ac_problem_format(doc);

    if (text == NULL)
        abort();
    fuzz_text_check("ac_problem_format", text, FUZZ_REPORT);
    free(text);
    ac_err_problem(ctx, 400, doc, "new order");
    fuzz_ctx_check(ctx);
    ac_err_problem(ctx, 0, doc, NULL);
    fuzz_ctx_check(ctx);
    ac_err_problem(NULL, 403, doc, "x");
    autocert_ctx_free(ctx);
    json_decref(doc);
    as_response(data, size, 403);
    return 0;
}
