/* test_liveshare.c: the live table shared through a store with challenge operations: publishing, withdrawing, lookups on a miss, the cache and the rate limit. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "challenge/challenge.h"
#include "unit.h"

#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEYAUTH TOKEN ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"

/* A store of one challenge, counting what it is asked. */
typedef struct {
    char type[32], ident[64], token[128], key_auth[256];
    int present;
    int puts, dels, gets;
    int fail_put;
} fake;

static autocert_err f_lock(void *be, const char *set, int wait_s, char *detail)
{
    (void)be, (void)set, (void)wait_s, (void)detail;
    return AUTOCERT_OK;
}
static void f_unlock(void *be, const char *set)
{
    (void)be, (void)set;
}
static autocert_err f_load(void *be, const char *set, const char *item, unsigned char **data,
                           size_t *len, char *detail)
{
    (void)be, (void)set, (void)item, (void)data, (void)len, (void)detail;
    return AUTOCERT_ERR_NOT_FOUND;
}
static autocert_err f_store(void *be, const char *set, const autocert_item *items, size_t n,
                            char *detail)
{
    (void)be, (void)set, (void)items, (void)n, (void)detail;
    return AUTOCERT_OK;
}
static autocert_err f_store_item(void *be, const char *set, const autocert_item *item,
                                 char *detail)
{
    (void)be, (void)set, (void)item, (void)detail;
    return AUTOCERT_OK;
}
static autocert_err f_list(void *be, const char *prefix, char ***keys, size_t *n, char *detail)
{
    (void)be, (void)prefix, (void)detail;
    *keys = NULL;
    *n = 0;
    return AUTOCERT_OK;
}
static autocert_err f_remove(void *be, const char *set, char *detail)
{
    (void)be, (void)set, (void)detail;
    return AUTOCERT_ERR_NOT_FOUND;
}
static void f_destroy(void *be)
{
    (void)be;
}

static autocert_err f_put(void *be, const char *type, const char *ident, const char *token,
                          const char *key_auth, time_t expires, char *detail)
{
    fake *f = be;

    f->puts++;
    if (f->fail_put) {
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "refused");
        return AUTOCERT_ERR_IO;
    }
    assert_true(expires > time(NULL));
    snprintf(f->type, sizeof(f->type), "%s", type);
    snprintf(f->ident, sizeof(f->ident), "%s", ident);
    snprintf(f->token, sizeof(f->token), "%s", token);
    snprintf(f->key_auth, sizeof(f->key_auth), "%s", key_auth);
    f->present = 1;
    return AUTOCERT_OK;
}

static autocert_err f_del(void *be, const char *token, char *detail)
{
    fake *f = be;

    (void)detail;
    f->dels++;
    if (f->present && strcmp(f->token, token) == 0)
        f->present = 0;
    return AUTOCERT_OK;
}

static autocert_err f_get(void *be, const char *type, const char *token, const char *ident,
                          char **key_auth, char *detail)
{
    fake *f = be;

    (void)detail;
    f->gets++;
    if (!f->present || strcmp(f->type, type) != 0 ||
        (token ? strcmp(f->token, token) : strcasecmp(f->ident, ident)) != 0)
        return AUTOCERT_ERR_NOT_FOUND;
    *key_auth = strdup(f->key_auth);
    return *key_auth ? AUTOCERT_OK : AUTOCERT_ERR_NOMEM;
}

static const autocert_storage_ops ops = {
    .size = sizeof(autocert_storage_ops),
    .lock = f_lock, .unlock = f_unlock, .load = f_load, .store = f_store,
    .store_item = f_store_item, .list = f_list, .remove = f_remove, .destroy = f_destroy,
    .challenge_put = f_put, .challenge_del = f_del, .challenge_get = f_get,
};

typedef struct {
    autocert_ctx *ctx;
    fake be;
    ac_live *live; /* bound to the fake store */
    ac_live *other; /* another node's table on the same store */
} fixture;

/* The fixture over ops of `size` bytes. */
static int setup_size(void **state, size_t size)
{
    fixture *f = calloc(1, sizeof(*f));
    autocert_storage_ops o = ops;
    autocert_storage *st;

    o.size = size;
    if (f == NULL || (f->ctx = autocert_ctx_new()) == NULL ||
        (st = autocert_storage_new(&o, &f->be)) == NULL)
        return -1;
    autocert_set_storage_take(f->ctx, st);
    if ((f->live = ac_live_new()) == NULL || (f->other = ac_live_new()) == NULL)
        return -1;
    ac_live_bind(f->live, f->ctx);
    ac_live_bind(f->other, f->ctx);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_size(state, sizeof(autocert_storage_ops));
}

/* A backend built before the challenge operations existed. */
static int setup_old(void **state)
{
    return setup_size(state, offsetof(autocert_storage_ops, challenge_put));
}

static int teardown(void **state)
{
    fixture *f = *state;

    ac_live_free(f->live);
    ac_live_free(f->other);
    autocert_ctx_free(f->ctx);
    free(f);
    return 0;
}

static void test_publish_withdraw(void **state)
{
    fixture *f = *state;
    char ka[600];

    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "a.example", TOKEN, KEYAUTH),
                     AUTOCERT_OK);
    assert_int_equal(f->be.puts, 1);
    assert_string_equal(f->be.type, "http-01");
    assert_string_equal(f->be.ident, "a.example");
    assert_string_equal(f->be.key_auth, KEYAUTH);
    /* The node that published answers from its own table. */
    assert_int_equal(ac_live_by_token(f->live, "http-01", TOKEN, ka, sizeof(ka)), 0);
    assert_int_equal(f->be.gets, 0);
    /* Another node finds it in the store, once within the cache's time. */
    assert_int_equal(ac_live_by_token(f->other, "http-01", TOKEN, ka, sizeof(ka)), 0);
    assert_string_equal(ka, KEYAUTH);
    assert_int_equal(ac_live_by_token(f->other, "http-01", TOKEN, ka, sizeof(ka)), 0);
    assert_int_equal(f->be.gets, 1);
    /* Not as another type. */
    assert_int_not_equal(ac_live_by_token(f->other, "tls-alpn-01", TOKEN, ka, sizeof(ka)), 0);
    ac_live_remove(f->live, TOKEN);
    assert_int_equal(f->be.dels, 1);
    assert_false(f->be.present);
}

static void test_by_ident(void **state)
{
    fixture *f = *state;
    char ka[600];

    /* Before it is published, a miss is not remembered: the CA may come
     * the moment it is. */
    assert_int_not_equal(ac_live_by_ident(f->other, "tls-alpn-01", "a.example", ka, sizeof(ka)),
                         0);
    assert_int_equal(ac_live_add(f->live, f->ctx, "tls-alpn-01", "a.example", TOKEN, KEYAUTH),
                     AUTOCERT_OK);
    assert_int_equal(ac_live_by_ident(f->other, "tls-alpn-01", "A.Example", ka, sizeof(ka)), 0);
    assert_string_equal(ka, KEYAUTH);
    assert_int_equal(f->be.gets, 2);
}

static void test_unknown_flood(void **state)
{
    fixture *f = *state;
    char ka[600], tok[32];
    int i;

    /* One unknown token asked again and again: one query. */
    for (i = 0; i < 100; i++)
        assert_int_not_equal(ac_live_by_token(f->other, "http-01", "unknown", ka, sizeof(ka)), 0);
    assert_int_equal(f->be.gets, 1);
    /* Many different ones: the rate limit holds (20 a second; this loop
     * takes well under two seconds). */
    for (i = 0; i < 1000; i++) {
        snprintf(tok, sizeof(tok), "tok%d", i);
        assert_int_not_equal(ac_live_by_token(f->other, "http-01", tok, ka, sizeof(ka)), 0);
    }
    assert_true(f->be.gets <= 1 + 40);
    /* Not a token at all: never asked. */
    i = f->be.gets;
    assert_int_not_equal(ac_live_by_token(f->other, "http-01", "../x", ka, sizeof(ka)), 0);
    assert_int_equal(f->be.gets, i);
}

static void test_publish_fails(void **state)
{
    fixture *f = *state;
    char ka[600];

    f->be.fail_put = 1;
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "a.example", TOKEN, KEYAUTH),
                     AUTOCERT_ERR_IO);
    assert_non_null(strstr(autocert_last_error(f->ctx), "refused"));
    /* Not answered here either: the order fails rather than half-works. */
    assert_int_not_equal(ac_live_by_token(f->live, "http-01", TOKEN, ka, sizeof(ka)), 0);
}

static void test_old_backend(void **state)
{
    fixture *f = *state;
    char ka[600];

    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "a.example", TOKEN, KEYAUTH),
                     AUTOCERT_OK);
    assert_int_not_equal(ac_live_by_token(f->other, "http-01", TOKEN, ka, sizeof(ka)), 0);
    ac_live_remove(f->live, TOKEN);
    assert_int_equal(f->be.puts + f->be.gets + f->be.dels, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_publish_withdraw),
        T(test_by_ident),
        T(test_unknown_flood),
        T(test_publish_fails),
        cmocka_unit_test_setup_teardown(test_old_backend, setup_old, teardown),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
