/* test_account_ops.c: the cached account at its CA: get, contact update, key rollover (and a cache that fails after the CA took the new key), deactivation, against a CA in memory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "cache.h"
#include "fakeca.h"
#include "protofx.h"
#include "storage/storage.h"

static const char *const A[] = {"a.example"};
static const char *const B[] = {"b.example"};

static void obtain(protofx *f, const char *const *names)
{
    autocert_cert *c = NULL;

    if (autocert_obtain(f->ctx, names, 1, 0, &c) != AUTOCERT_OK)
        fail_msg("autocert_obtain: %s", autocert_last_error(f->ctx));
    autocert_cert_free(c);
}

/* "<cache>/accounts/<id>/<item>" of the fake CA's directory into buf. */
static const char *account_path(protofx *f, const char *item, char *buf, size_t n)
{
    char *set = NULL;

    assert_int_equal(ac_cache_account_set(f->ctx, FAKECA_DIRECTORY, &set), AUTOCERT_OK);
    snprintf(buf, n, "%s/%s/%s", f->cache, set, item);
    free(set);
    return buf;
}

static char *account_item(protofx *f, const char *item)
{
    char *set = NULL, rel[300], *data;

    assert_int_equal(ac_cache_account_set(f->ctx, FAKECA_DIRECTORY, &set), AUTOCERT_OK);
    snprintf(rel, sizeof(rel), "%s/%s", set, item);
    free(set);
    data = protofx_cache_file(f, rel);
    return data;
}

static json_t *account_json(protofx *f)
{
    char *text = account_item(f, "account.json");
    json_t *j;

    assert_non_null(text);
    j = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(j);
    return j;
}

/* The thumbprint of the key in account.key (malloc'd). */
static char *cached_thumbprint(protofx *f, const char *item)
{
    char *pem = account_item(f, item), *t = NULL;
    EVP_PKEY *key = NULL;

    assert_non_null(pem);
    assert_int_equal(ac_key_from_pem(f->ctx, pem, strlen(pem), item, &key), AUTOCERT_OK);
    assert_int_equal(ac_jwk_thumbprint(f->ctx, key, &t), AUTOCERT_OK);
    EVP_PKEY_free(key);
    free(pem);
    return t;
}

/* ---- get and update ----------------------------------------------------------- */

static void test_get_describes_the_account(void **state)
{
    protofx *f = *state;
    autocert_account *a = NULL;
    char *thumb;

    assert_int_equal(autocert_set_email(f->ctx, "ops@a.example"), AUTOCERT_OK);
    obtain(f, A);
    assert_int_equal(autocert_account_get(f->ctx, &a), AUTOCERT_OK);
    assert_string_equal(autocert_account_url(a), FAKECA_URL "/acct/1");
    assert_string_equal(autocert_account_key_type(a), "ec256");
    assert_string_equal(autocert_account_status(a), "valid");
    thumb = fakeca_account_thumbprint(f->ca, 1);
    assert_string_equal(autocert_account_thumbprint(a), thumb);
    free(thumb);
    assert_int_equal(autocert_account_contact_count(a), 1);
    assert_string_equal(autocert_account_contact(a, 0), "mailto:ops@a.example");
    assert_null(autocert_account_contact(a, 1));
    autocert_account_free(a);
    /* A POST-as-GET of the account URL, signed by the account. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/acct/1"), 1);
    autocert_account_free(NULL);
}

static void test_no_account_registers_none(void **state)
{
    protofx *f = *state;
    autocert_account *a = NULL;

    assert_int_equal(autocert_account_get(f->ctx, &a), AUTOCERT_ERR_NOT_FOUND);
    assert_null(a);
    assert_non_null(strstr(autocert_last_error(f->ctx), FAKECA_DIRECTORY));
    assert_int_equal(autocert_account_update(f->ctx, NULL), AUTOCERT_ERR_NOT_FOUND);
    assert_int_equal(autocert_account_rollover(f->ctx, NULL), AUTOCERT_ERR_NOT_FOUND);
    assert_int_equal(autocert_account_deactivate(f->ctx, NULL), AUTOCERT_ERR_NOT_FOUND);
    assert_int_equal(fakeca_count(f->ca, "POST", "/"), 0);
    assert_int_equal(fakeca_accounts(f->ca), 0);
}

static void test_update_changes_the_contact(void **state)
{
    protofx *f = *state;
    autocert_account *a = NULL;
    char *contact, *before = NULL, *after = NULL;
    json_t *j;

    obtain(f, A);
    before = account_item(f, "account.key");
    assert_int_equal(autocert_set_email(f->ctx, "new@a.example"), AUTOCERT_OK);
    assert_int_equal(autocert_account_update(f->ctx, &a), AUTOCERT_OK);
    assert_string_equal(autocert_account_contact(a, 0), "mailto:new@a.example");
    autocert_account_free(a);
    contact = fakeca_account_contact(f->ca, 1);
    assert_string_equal(contact, "[\"mailto:new@a.example\"]");
    free(contact);
    /* The cache says so too; the key stays. */
    j = account_json(f);
    assert_string_equal(json_string_value(json_object_get(j, "email")), "new@a.example");
    assert_string_equal(json_string_value(json_object_get(j, "url")), FAKECA_URL "/acct/1");
    json_decref(j);
    after = account_item(f, "account.key");
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* ---- rollover ----------------------------------------------------------------- */

static void test_rollover_then_order_with_the_new_key(void **state)
{
    protofx *f = *state;
    autocert_account *a = NULL;
    char *old_thumb, *new_thumb, *ca_thumb, path[512];
    const fakeca_req *r;
    json_t *ih, *ip, *j;
    long i;
    struct stat sb;

    obtain(f, A);
    old_thumb = cached_thumbprint(f, "account.key");
    autocert_set_account_key_type(f->ctx, AUTOCERT_KEY_EC384);
    assert_int_equal(autocert_account_rollover(f->ctx, &a), AUTOCERT_OK);
    new_thumb = cached_thumbprint(f, "account.key");
    ca_thumb = fakeca_account_thumbprint(f->ca, 1);
    assert_string_not_equal(old_thumb, new_thumb);
    assert_string_equal(new_thumb, ca_thumb);
    assert_string_equal(autocert_account_thumbprint(a), new_thumb);
    assert_string_equal(autocert_account_key_type(a), "ec384");
    assert_string_equal(autocert_account_url(a), FAKECA_URL "/acct/1");
    autocert_account_free(a);
    j = account_json(f);
    assert_string_equal(json_string_value(json_object_get(j, "key_type")), "ec384");
    json_decref(j);
    /* The recovery copy went with the old set. */
    assert_int_equal(stat(account_path(f, AC_ITEM_ACCOUNT_ROLLOVER, path, sizeof(path)), &sb), -1);
    /* The request: outer by the account (kid), inner by the new key for the
     * same URL, naming the account and the old key, without a nonce. */
    i = fakeca_find(f->ca, "POST", "/key-change", 0);
    assert_true(i >= 0);
    r = fakeca_req_at(f->ca, (size_t)i);
    assert_string_equal(json_string_value(json_object_get(r->protected_hdr, "kid")),
                        FAKECA_URL "/acct/1");
    assert_int_equal(r->status, 200);
    {
        unsigned char *raw = NULL;
        size_t len = 0;

        assert_int_equal(ac_b64url_decode(json_string_value(json_object_get(r->payload,
                                                                            "protected")),
                                          &raw, &len), AUTOCERT_OK);
        ih = json_loadb((const char *)raw, len, 0, NULL);
        free(raw);
        assert_int_equal(ac_b64url_decode(json_string_value(json_object_get(r->payload,
                                                                            "payload")),
                                          &raw, &len), AUTOCERT_OK);
        ip = json_loadb((const char *)raw, len, 0, NULL);
        free(raw);
    }
    assert_non_null(json_object_get(ih, "jwk"));
    assert_null(json_object_get(ih, "nonce"));
    assert_null(json_object_get(ih, "kid"));
    assert_string_equal(json_string_value(json_object_get(ih, "alg")), "ES384");
    assert_string_equal(json_string_value(json_object_get(ih, "url")), FAKECA_URL "/key-change");
    assert_string_equal(json_string_value(json_object_get(ip, "account")), FAKECA_URL "/acct/1");
    assert_non_null(json_object_get(ip, "oldKey"));
    json_decref(ih);
    json_decref(ip);
    /* The next order is signed with the new key, by the same account. */
    obtain(f, B);
    assert_int_equal(fakeca_accounts(f->ca), 1);
    assert_int_equal(fakeca_issued(f->ca), 2);
    free(old_thumb);
    free(new_thumb);
    free(ca_thumb);
}

static void test_rollover_refused_keeps_the_old_key(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    char *before, *after, *thumb, *ca_thumb, path[512];
    struct stat sb;

    obtain(f, A);
    before = account_item(f, "account.key");
    thumb = cached_thumbprint(f, "account.key");
    k->busy = 1;
    k->busy_path = "/key-change";
    k->busy_status = 503;
    k->busy_retry_after = -1;
    assert_int_not_equal(autocert_account_rollover(f->ctx, NULL), AUTOCERT_OK);
    assert_non_null(strstr(autocert_last_error(f->ctx), "key change"));
    after = account_item(f, "account.key");
    assert_string_equal(before, after);
    ca_thumb = fakeca_account_thumbprint(f->ca, 1);
    assert_string_equal(thumb, ca_thumb);
    assert_int_equal(stat(account_path(f, AC_ITEM_ACCOUNT_ROLLOVER, path, sizeof(path)), &sb), -1);
    /* A CA without keyChange: refused before anything is written. */
    k->no_key_change = 1;
    {
        autocert_ctx *ctx2 = autocert_ctx_new();

        fakeca_attach(f->ca, ctx2);
        assert_int_equal(autocert_set_cache_dir(ctx2, f->cache), AUTOCERT_OK);
        assert_int_equal(autocert_account_rollover(ctx2, NULL), AUTOCERT_ERR_UNSUPPORTED);
        assert_non_null(strstr(autocert_last_error(ctx2), "keyChange"));
        autocert_ctx_free(ctx2);
    }
    assert_int_equal(fakeca_count(f->ca, "POST", "/key-change"), 1);
    free(before);
    free(after);
    free(thumb);
    free(ca_thumb);
}

/* A storage that fails replacing account sets once `fail` is set. */
typedef struct {
    autocert_storage *inner;
    int fail; /* 1: whole account sets are not stored; 2: single items neither */
} flaky;

static autocert_err fl_lock(void *be, const char *set, int w, char *d)
{
    flaky *x = be;
    return x->inner->ops.lock(x->inner->be, set, w, d);
}
static void fl_unlock(void *be, const char *set)
{
    flaky *x = be;
    x->inner->ops.unlock(x->inner->be, set);
}
static autocert_err fl_load(void *be, const char *set, const char *item, unsigned char **data,
                            size_t *len, char *d)
{
    flaky *x = be;
    return x->inner->ops.load(x->inner->be, set, item, data, len, d);
}
static autocert_err fl_store(void *be, const char *set, const autocert_item *items, size_t n,
                             char *d)
{
    flaky *x = be;

    if (x->fail && strncmp(set, "accounts/", 9) == 0) {
        snprintf(d, AUTOCERT_STORAGE_DETAIL, "store %s: disk full (test)", set);
        return AUTOCERT_ERR_IO;
    }
    return x->inner->ops.store(x->inner->be, set, items, n, d);
}
static autocert_err fl_store_item(void *be, const char *set, const autocert_item *item, char *d)
{
    flaky *x = be;

    if (x->fail == 2 && strncmp(set, "accounts/", 9) == 0) {
        snprintf(d, AUTOCERT_STORAGE_DETAIL, "store %s/%s: disk full (test)", set, item->name);
        return AUTOCERT_ERR_IO;
    }
    return x->inner->ops.store_item(x->inner->be, set, item, d);
}
static autocert_err fl_list(void *be, const char *prefix, char ***keys, size_t *n, char *d)
{
    flaky *x = be;
    return x->inner->ops.list(x->inner->be, prefix, keys, n, d);
}
static autocert_err fl_remove(void *be, const char *set, char *d)
{
    flaky *x = be;
    return x->inner->ops.remove(x->inner->be, set, d);
}
static char *fl_path(void *be, const char *set, const char *item)
{
    flaky *x = be;
    return x->inner->ops.path(x->inner->be, set, item);
}
static void fl_destroy(void *be)
{
    flaky *x = be;
    autocert_storage_free(x->inner);
    free(x);
}

static const autocert_storage_ops flaky_ops = {
    .size = sizeof(autocert_storage_ops),
    .lock = fl_lock,
    .unlock = fl_unlock,
    .load = fl_load,
    .store = fl_store,
    .store_item = fl_store_item,
    .list = fl_list,
    .remove = fl_remove,
    .path = fl_path,
    .destroy = fl_destroy,
};

static void test_rollover_store_fails_after_the_ca_took_it(void **state)
{
    protofx *f = *state;
    flaky *x = calloc(1, sizeof(*x));
    autocert_storage *st;
    char *before, *after, *rescued, *ca_thumb, path[512];
    struct stat sb;

    obtain(f, A);
    assert_non_null(x);
    assert_int_equal(autocert_storage_dir_new(f->cache, &x->inner), AUTOCERT_OK);
    assert_non_null(st = autocert_storage_new(&flaky_ops, x));
    autocert_set_storage_take(f->ctx, st);
    before = account_item(f, "account.key");
    x->fail = 1;
    assert_int_equal(autocert_account_rollover(f->ctx, NULL), AUTOCERT_ERR_IO);
    /* Said loudly: what happened, where the key is, what to do. */
    assert_non_null(strstr(autocert_last_error(f->ctx), "new key"));
    assert_non_null(strstr(autocert_last_error(f->ctx), AC_ITEM_ACCOUNT_ROLLOVER));
    assert_non_null(strstr(autocert_last_error(f->ctx), "disk full"));
    /* The old key stays in place; the new one, which the CA now knows, is
     * next to it, readable by its owner alone. */
    after = account_item(f, "account.key");
    assert_string_equal(before, after);
    assert_int_equal(stat(account_path(f, AC_ITEM_ACCOUNT_ROLLOVER, path, sizeof(path)), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    rescued = cached_thumbprint(f, AC_ITEM_ACCOUNT_ROLLOVER);
    ca_thumb = fakeca_account_thumbprint(f->ca, 1);
    assert_string_equal(rescued, ca_thumb);
    /* Another rollover never overwrites it. */
    x->fail = 0;
    assert_int_equal(autocert_account_rollover(f->ctx, NULL), AUTOCERT_ERR_EXISTS);
    assert_non_null(strstr(autocert_last_error(f->ctx), AC_ITEM_ACCOUNT_ROLLOVER));
    /* The remedy in the library's words: no command of the CLI named. */
    assert_non_null(strstr(autocert_last_error(f->ctx), "looking the account up"));
    assert_null(strstr(autocert_last_error(f->ctx), "account show"));
    free(rescued);
    rescued = cached_thumbprint(f, AC_ITEM_ACCOUNT_ROLLOVER);
    assert_string_equal(rescued, ca_thumb);
    assert_int_equal(fakeca_count(f->ca, "POST", "/key-change"), 1);
    free(before);
    free(after);
    free(rescued);
    free(ca_thumb);
}

static void test_rollover_without_an_answer_keeps_the_new_key(void **state)
{
    protofx *f = *state;
    char *before, *after, *rescued, *ca_thumb;

    obtain(f, A);
    before = account_item(f, "account.key");
    fakeca_knobs_of(f->ca)->lose_answer = "/key-change";
    assert_int_equal(autocert_account_rollover(f->ctx, NULL), AUTOCERT_ERR_NETWORK);
    assert_non_null(strstr(autocert_last_error(f->ctx), "may have changed"));
    assert_non_null(strstr(autocert_last_error(f->ctx), AC_ITEM_ACCOUNT_ROLLOVER));
    assert_non_null(strstr(autocert_last_error(f->ctx), "looking the account up"));
    assert_null(strstr(autocert_last_error(f->ctx), "account show"));
    /* The CA took it: the only copy of the key it knows is kept. */
    after = account_item(f, "account.key");
    assert_string_equal(before, after);
    rescued = cached_thumbprint(f, AC_ITEM_ACCOUNT_ROLLOVER);
    ca_thumb = fakeca_account_thumbprint(f->ca, 1);
    assert_string_equal(rescued, ca_thumb);
    free(before);
    free(after);
    free(rescued);
    free(ca_thumb);
}

/* ---- deactivation --------------------------------------------------------------- */

static void test_deactivate_then_a_new_account(void **state)
{
    protofx *f = *state;
    autocert_account *a = NULL;
    json_t *j;

    obtain(f, A);
    assert_int_equal(autocert_account_deactivate(f->ctx, &a), AUTOCERT_OK);
    assert_string_equal(autocert_account_status(a), "deactivated");
    autocert_account_free(a);
    assert_true(fakeca_account_deactivated(f->ca, 1));
    j = account_json(f);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "deactivated");
    json_decref(j);
    /* Never used again. */
    assert_int_equal(autocert_account_get(f->ctx, &a), AUTOCERT_ERR_NOT_FOUND);
    if (strstr(autocert_last_error(f->ctx), "deactivated") == NULL)
        fail_msg("message: %s", autocert_last_error(f->ctx));
    assert_int_equal(autocert_account_deactivate(f->ctx, NULL), AUTOCERT_ERR_NOT_FOUND);
    obtain(f, B);
    assert_int_equal(fakeca_accounts(f->ca), 2);
    j = account_json(f);
    assert_null(json_object_get(j, "status"));
    assert_string_equal(json_string_value(json_object_get(j, "url")), FAKECA_URL "/acct/2");
    json_decref(j);
    assert_int_equal(autocert_account_get(f->ctx, &a), AUTOCERT_OK);
    assert_string_equal(autocert_account_status(a), "valid");
    autocert_account_free(a);
}

/* The CA deactivated the account, the cache could not record it: said,
 * with what follows, in the library's words (no CLI command named). */
static void test_deactivate_store_fails(void **state)
{
    protofx *f = *state;
    flaky *x = calloc(1, sizeof(*x));
    autocert_storage *st;

    obtain(f, A);
    assert_non_null(x);
    assert_int_equal(autocert_storage_dir_new(f->cache, &x->inner), AUTOCERT_OK);
    assert_non_null(st = autocert_storage_new(&flaky_ops, x));
    autocert_set_storage_take(f->ctx, st);
    x->fail = 2;
    assert_int_equal(autocert_account_deactivate(f->ctx, NULL), AUTOCERT_ERR_IO);
    assert_true(fakeca_account_deactivated(f->ca, 1));
    assert_non_null(strstr(autocert_last_error(f->ctx), "deactivated account"));
    assert_non_null(strstr(autocert_last_error(f->ctx), "disk full"));
    assert_non_null(strstr(autocert_last_error(f->ctx), "orders with this account fail"));
    assert_null(strstr(autocert_last_error(f->ctx), "obtain"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_describes_the_account, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_no_account_registers_none, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_update_changes_the_contact, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_rollover_then_order_with_the_new_key, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_rollover_refused_keeps_the_old_key, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_rollover_store_fails_after_the_ca_took_it,
                                        protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_rollover_without_an_answer_keeps_the_new_key,
                                        protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_deactivate_then_a_new_account, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_deactivate_store_fails, protofx_setup,
                                        protofx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
