/* fuzz_headers.c: libFuzzer target: the headers ACME reads: Retry-After (seconds or a date), Link (the alternate chains), Location as the account's key id, Replay-Nonce, and a 503 that asks to come back later. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

/* The input answers newAccount (its Location becomes the key id), then
 * newOrder (a 503 with Retry-After is waited for, within the deadline, and
 * asked again), then the order's next requests. */
static const char *const match[] = {"POST /new-account", "POST /new-order", "POST /authz", NULL};

static void retry_after(const uint8_t *data, size_t size)
{
    char *v = malloc(size + 1);
    time_t now = time(NULL);
    long s;

    if (v == NULL)
        abort();
    memcpy(v, data, size);
    v[size] = '\0';
    s = ac_http_parse_retry_after(v, now);
    if (s < -1) {
        fprintf(stderr, "fuzz: Retry-After gave %ld\n", s);
        abort();
    }
    free(v);
}

/* The input as one Link header value: only absolute http(s) URLs of
 * rel="alternate" links come out, at most AC_MAX_ALTERNATES of them, each
 * taken from the input or its base. */
static void links(const uint8_t *data, size_t size)
{
    char *v = malloc(size + 1);
    ac_http_resp r;
    size_t i;

    if (v == NULL)
        abort();
    memcpy(v, data, size);
    v[size] = '\0';
    ac_http_resp_init(&r);
    if (ac_http_parse_links(&r, v, "https://ca.example:14000/cert/7") != 0)
        abort(); /* out of memory: not expected here */
    for (i = 0; i < r.n_alternates; i++)
        if (strncasecmp(r.alternates[i], "https://", 8) != 0 &&
            strncasecmp(r.alternates[i], "http://", 7) != 0)
            abort();
    if (r.n_alternates > AC_MAX_ALTERNATES)
        abort();
    ac_http_resp_free(&r);
    free(v);
}

/* A POST-as-GET with the key id and nonce the input gave. */
static void fetch_first_authz(ac_session *s, ac_order *o)
{
    const char *url = json_string_value(json_array_get(json_object_get(o->obj, "authorizations"), 0));
    ac_http_resp resp;
    json_t *obj = NULL;

    if (url == NULL)
        return;
    ac_http_resp_init(&resp);
    ac_acme_fetch(s, url, "authorization", &resp, &obj);
    json_decref(obj);
    ac_http_resp_free(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ac_ident id = {AC_ID_DNS, (char *)"a.example"};
    autocert_ctx *ctx = fuzz_ctx_new();
    fuzz_script sc;
    fuzz_ca *fc;
    ac_session s;
    ac_order o = {0};
    size_t i;

    retry_after(data, size);
    links(data, size);
    fuzz_script_parse(&sc, data, size);
    for (i = 0; i < sc.n; i++)
        if (sc.r[i].retry_after)
            retry_after((const uint8_t *)sc.r[i].retry_after, strlen(sc.r[i].retry_after));
    autocert_set_storage_take(ctx, fuzz_mem_storage());
    fc = fuzz_ca_attach(ctx, &sc, match);
    if (ac_session_init(&s, ctx, NULL) == AUTOCERT_OK) {
        if (ac_account_ensure(&s) == AUTOCERT_OK) {
            fuzz_ctx_check(ctx);
            if (ac_order_new(&s, &id, 1, NULL, &o) == AUTOCERT_OK)
                fetch_first_authz(&s, &o);
        }
        fuzz_ctx_check(ctx);
        ac_order_clear(&o);
        ac_session_cleanup(&s);
    }
    autocert_ctx_free(ctx);
    fuzz_ca_free(fc);
    fuzz_script_free(&sc);
    return 0;
}
