/* fuzz_ari.c: libFuzzer target: ACME Renewal Information: the CA's renewalInfo answer (window, explanation URL, Retry-After) fetched through a session, parsed, and a renewal time picked in it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/ari.h"
#include "fuzz.h"

#define CERT_ID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

/* The input answers the directory (which names renewalInfo), then the
 * renewalInfo request. */
static const char *const match[] = {"GET /dir", "GET /renewal-info", NULL};

static void pick(const ac_ari_window *w, uint32_t r)
{
    time_t now = time(NULL), t = ac_ari_pick(w, now, r);

    if (t != (time_t)-1 && t != now && (t < w->start || t >= w->end)) {
        fprintf(stderr, "fuzz: renewal time %lld outside [%lld, %lld)\n", (long long)t,
                (long long)w->start, (long long)w->end);
        abort();
    }
}

static void fetch(const uint8_t *data, size_t size)
{
    autocert_ctx *ctx = fuzz_ctx_new();
    ac_ari_window w = {0};
    fuzz_script sc;
    fuzz_ca *fc;
    ac_session s;

    fuzz_script_parse(&sc, data, size);
    autocert_set_storage_take(ctx, fuzz_mem_storage());
    fc = fuzz_ca_attach(ctx, &sc, match);
    if (ac_session_init(&s, ctx, NULL) == AUTOCERT_OK) {
        if (ac_ari_fetch(&s, CERT_ID, &w) == AUTOCERT_OK)
            pick(&w, 0x9e3779b9u);
        fuzz_ctx_check(ctx);
        ac_ari_window_clear(&w);
        ac_session_cleanup(&s);
    }
    autocert_ctx_free(ctx);
    fuzz_ca_free(fc);
    fuzz_script_free(&sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    autocert_ctx *ctx = fuzz_ctx_new();
    ac_ari_window w = {0};
    char *text = malloc(size + 1), *id = NULL;
    time_t t;

    if (text == NULL)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    if (ac_ari_parse(ctx, text, size, &w) == AUTOCERT_OK) {
        pick(&w, 0);
        pick(&w, 0xffffffffu);
    }
    fuzz_ctx_check(ctx);
    ac_ari_window_clear(&w);
    (void)ac_rfc3339_parse(text, &t);
    if (ac_ari_cert_id(ctx, text, &id) == AUTOCERT_OK)
        fuzz_text_check("an ARI certificate ID", id, FUZZ_ONE_LINE);
    fuzz_ctx_check(ctx);
    free(id);
    free(text);
    autocert_ctx_free(ctx);
    fetch(data, size);
    return 0;
}
