/* fuzz_authz.c: libFuzzer target: the CA's authorizations and challenge answers for two identifiers, answered through a webroot that must be empty afterwards. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fakeca.h"
#include "fuzz.h"

static const char *const match[] = {"POST /authz", "POST /chal", NULL};

static const ac_ident ids[] = {
    {AC_ID_DNS, (char *)"a.example"},
    {AC_ID_DNS, (char *)"b.example"},
};

static const char *webroot(void)
{
    static char dir[128];

    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "%s/www", fuzz_tmpdir());
        if (mkdir(dir, 0755) != 0)
            abort();
    }
    return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    autocert_ctx *ctx = fuzz_ctx_new();
    fuzz_script sc;
    fuzz_ca *fc;
    ac_session s;
    ac_order o = {0};
    ac_responder *r = NULL;

    fuzz_script_parse(&sc, data, size);
    autocert_set_storage_take(ctx, fuzz_mem_storage());
    if (autocert_set_webroot(ctx, webroot()) != AUTOCERT_OK)
        abort();
    fc = fuzz_ca_attach(ctx, &sc, match);
    ((fakeca_knobs *)fuzz_ca_knobs(fc))->webroot = webroot();
    if (ac_session_init(&s, ctx, NULL) == AUTOCERT_OK) {
        if (ac_account_ensure(&s) == AUTOCERT_OK && ac_order_new(&s, ids, 2, NULL, &o) == AUTOCERT_OK &&
            ac_responder_new(ctx, NULL, &r) == AUTOCERT_OK) {
            ac_order_authorize(&s, &o, r);
            fuzz_ctx_check(ctx);
            ac_responder_free(r);
            if (fuzz_webroot_has_files(webroot())) {
                fprintf(stderr, "fuzz: a challenge file stayed in the webroot\n");
                abort();
            }
        }
        fuzz_ctx_check(ctx);
        ac_order_clear(&o);
        ac_session_cleanup(&s);
    }
    fuzz_ctx_check(ctx);
    autocert_ctx_free(ctx);
    fuzz_ca_free(fc);
    fuzz_script_free(&sc);
    return 0;
}
