/* fuzz_cache_meta.c: libFuzzer target: a certificate entry's meta.json, alone and with its PEM files, read through the cache and the public lookups, its renewal state planned, updated and read back unchanged. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "renew.h"
#include "fuzz.h"

#define ENTRY "a.example"
#define SET "certs/" ENTRY

/* What `autocert list` prints of an entry, computed the same way. */
static void as_listed(const autocert_cert *c)
{
    time_t na = autocert_cert_not_after(c);
    volatile long long days = (long long)((na - time(NULL)) / 86400);
    size_t i;

    (void)days;
    (void)autocert_cert_renew_at(c);
    for (i = 0; i < autocert_cert_identifier_count(c); i++)
        fuzz_text_check("a cached identifier", autocert_cert_identifier(c, i), FUZZ_ONE_LINE);
}

static int same_meta(const ac_cert_meta *a, const ac_cert_meta *b)
{
    size_t i;

    if (a->n_names != b->n_names || strcmp(a->directory, b->directory) != 0 ||
        strcmp(a->key_type, b->key_type) != 0 || a->not_before != b->not_before ||
        a->not_after != b->not_after || a->issued_at != b->issued_at)
        return 0;
    for (i = 0; i < a->n_names; i++)
        if (strcmp(a->names[i], b->names[i]) != 0)
            return 0;
    return 1;
}

/* The renewal state in it: read, planned, failed and moved to a new
 * generation, written and read back the same. */
static void renewal(const ac_cert_meta *m)
{
    time_t now = time(NULL);
    ac_renew_state st, next, back;
    ac_renew_plan plan;
    json_t *doc = json_object(), *r;

    ac_renew_state_read(m->doc, &st);
    fuzz_text_check("the last renewal error", st.last_error, FUZZ_ONE_LINE);
    ac_renew_plan_make(m, &st, 30, 0, now, &plan);
    fuzz_text_check("a renewal plan", plan.why, FUZZ_ONE_LINE);
    ac_renew_plan_make(m, &st, 0, 0, now, &plan);
    fuzz_text_check("a renewal plan", plan.why, FUZZ_ONE_LINE);
    if (doc == NULL || (r = ac_renew_state_json(&st)) == NULL ||
        json_object_set_new(doc, "renewal", r) != 0)
        abort();
    ac_renew_state_read(doc, &back);
    if (memcmp(&st, &back, sizeof(st)) != 0) {
        fprintf(stderr, "fuzz: the renewal state changed when written back\n");
        abort();
    }
    ac_renew_state_next(&st, now, &next);
    ac_renew_state_failed(&st, now, 1, "order refused");
    ac_renew_plan_make(m, &st, 30, 0, now, &plan);
    json_decref(doc);
}

/* Updated and read back: the same metadata. */
static void update(autocert_ctx *ctx, autocert_storage *st)
{
    ac_cert_meta m = {0}, back = {0};

    if (ac_cache_meta_load(ctx, st, ENTRY, &m) == AUTOCERT_OK)
        renewal(&m);
    if (m.doc && ac_cache_meta_update(ctx, st, ENTRY, &m) == AUTOCERT_OK) {
        if (ac_cache_meta_load(ctx, st, ENTRY, &back) != AUTOCERT_OK || !same_meta(&m, &back)) {
            fprintf(stderr, "fuzz: meta.json changed when written back: %s\n",
                    autocert_last_error(ctx));
            abort();
        }
    }
    fuzz_ctx_check(ctx);
    ac_cert_meta_clear(&m);
    ac_cert_meta_clear(&back);
}

static void run(const uint8_t *data, size_t size, int with_files)
{
    autocert_ctx *ctx = fuzz_ctx_new();
    autocert_storage *st = fuzz_mem_storage();
    autocert_cert *c = NULL;
    char **names = NULL;
    size_t n = 0, i;
    char *leaf = NULL, *rest = NULL;

    fuzz_mem_put(st, SET, AC_ITEM_META, data, size);
    if (with_files) {
        const char *chain = fuzz_chain();

        if (ac_pem_split(NULL, chain, strlen(chain), &leaf, &rest) != AUTOCERT_OK)
            abort();
        fuzz_mem_put(st, SET, AC_ITEM_KEY, fuzz_key_pem(), strlen(fuzz_key_pem()));
        fuzz_mem_put(st, SET, AC_ITEM_CERT, leaf, strlen(leaf));
        fuzz_mem_put(st, SET, AC_ITEM_CHAIN, rest, strlen(rest));
        fuzz_mem_put(st, SET, AC_ITEM_FULLCHAIN, chain, strlen(chain));
    }
    autocert_set_storage_take(ctx, st);
    for (i = 0; i < 2; i++) {
        if ((i ? autocert_cert_load(ctx, ENTRY, &c) : autocert_cert_info(ctx, ENTRY, &c)) ==
            AUTOCERT_OK)
            as_listed(c);
        fuzz_ctx_check(ctx);
        autocert_cert_free(c);
        c = NULL;
    }
    if (autocert_cert_list(ctx, &names, &n) == AUTOCERT_OK)
        autocert_strv_free(names, n);
    update(ctx, st);
    autocert_ctx_free(ctx);
    free(leaf);
    free(rest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, 0);
    run(data, size, 1);
    return 0;
}
