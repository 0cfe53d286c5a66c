/* test_storage.c: the storage dispatcher: handles over any backend, key checks, worded failures. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/storage.h"
#include "unit.h"

/* A backend that records what reaches it and fails on demand. */
typedef struct {
    int destroyed;
    int calls;          /* operations that reached the backend */
    autocert_err fail;  /* returned by load/store/lock when not OK */
    const char *detail; /* copied into the detail buffer on failure */
    const char *list[4];
} fake;

static fake the_fake;

static autocert_err fake_fail(char *detail)
{
    the_fake.calls++;
    if (the_fake.fail != AUTOCERT_OK && the_fake.detail)
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "%s", the_fake.detail);
    return the_fake.fail;
}

static autocert_err f_lock(void *be, const char *set, int w, char *d)
{
    (void)be; (void)set; (void)w;
    return fake_fail(d);
}
static void f_unlock(void *be, const char *set) { (void)be; (void)set; the_fake.calls++; }
static autocert_err f_load(void *be, const char *s, const char *i, unsigned char **data,
                           size_t *len, char *d)
{
    (void)be; (void)s; (void)i; (void)data; (void)len;
    return fake_fail(d);
}
static autocert_err f_store(void *be, const char *s, const autocert_item *it, size_t n, char *d)
{
    (void)be; (void)s; (void)it; (void)n;
    return fake_fail(d);
}
static autocert_err f_store_item(void *be, const char *s, const autocert_item *it, char *d)
{
    (void)be; (void)s; (void)it;
    return fake_fail(d);
}
static autocert_err f_list(void *be, const char *p, char ***k, size_t *n, char *d)
{
    size_t i, count = 0;

    (void)be; (void)p; (void)d;
    the_fake.calls++;
    *k = calloc(4, sizeof(char *));
    for (i = 0; i < 4 && the_fake.list[i]; i++)
        (*k)[count++] = strdup(the_fake.list[i]);
    *n = count;
    return AUTOCERT_OK;
}
static autocert_err f_remove(void *be, const char *s, char *d)
{
    (void)be; (void)s;
    return fake_fail(d);
}
static const char *f_describe(void *be) { (void)be; return "fake://store"; }
static void f_destroy(void *be) { (void)be; the_fake.destroyed++; }

static const autocert_storage_ops fake_ops = {
    .size = sizeof(autocert_storage_ops),
    .lock = f_lock, .unlock = f_unlock, .load = f_load, .store = f_store,
    .store_item = f_store_item, .list = f_list, .remove = f_remove,
    .describe = f_describe, .destroy = f_destroy,
};

static int reset(void **state)
{
    memset(&the_fake, 0, sizeof(the_fake));
    return ctx_setup(state);
}

static void test_new_checks_ops(void **state)
{
    autocert_storage_ops ops = fake_ops;
    autocert_storage *st;

    (void)state;
    assert_null(autocert_storage_new(NULL, &the_fake));
    ops.store_item = NULL;
    assert_null(autocert_storage_new(&ops, &the_fake));
    ops = fake_ops;
    ops.destroy = NULL;
    assert_null(autocert_storage_new(&ops, &the_fake));
    ops = fake_ops;
    ops.size = 8; /* not even the first version's operations */
    assert_null(autocert_storage_new(&ops, &the_fake));
    assert_int_equal(the_fake.destroyed, 0); /* a refused backend stays the caller's */

    st = autocert_storage_new(&fake_ops, &the_fake);
    assert_non_null(st);
    assert_null(autocert_storage_dir_root(st));
    assert_null(autocert_storage_dir_root(NULL));
    autocert_storage_free(st);
    assert_int_equal(the_fake.destroyed, 1);
    autocert_storage_free(NULL);
}

static void test_optional_ops(void **state)
{
    autocert_ctx *ctx = *state;
    autocert_storage_ops ops = fake_ops;
    autocert_storage *st;
    unsigned char *data = NULL;
    size_t len = 0;

    /* A size that stops short of a required operation (destroy, last of
     * the first version) is refused, whatever lies beyond it. */
    ops.size = offsetof(autocert_storage_ops, describe);
    assert_null(autocert_storage_new(&ops, &the_fake));
    /* Without the optional operations, messages name the store generically. */
    ops.size = sizeof(ops);
    ops.describe = NULL;
    st = autocert_storage_new(&ops, &the_fake);
    assert_non_null(st);
    the_fake.fail = AUTOCERT_ERR_IO;
    assert_int_equal(ac_storage_load(ctx, st, "certs/a", "meta.json", &data, &len),
                     AUTOCERT_ERR_IO);
    /* Without describe or path, messages name the store generically. */
    assert_non_null(strstr(autocert_last_error(ctx), "storage: certs/a/meta.json"));
    autocert_storage_free(st);
}

static void test_keys_checked_first(void **state)
{
    autocert_ctx *ctx = *state;
    autocert_storage *st = autocert_storage_new(&fake_ops, &the_fake);
    const char *bad[] = {"", "certs", "certs/", "/x", "certs/..", "certs/.hidden", "a/b/c",
                         "certs/a b", "certs/a*b"};
    const autocert_item it = {"cert.pem", "x", 1, 0}, badit = {"../x", "x", 1, 0};
    unsigned char *data = NULL;
    char **keys = NULL;
    size_t len = 0, i;

    assert_non_null(st);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ac_storage_load(ctx, st, bad[i], "x", &data, &len), AUTOCERT_ERR_INVALID);
        assert_int_equal(ac_storage_store(ctx, st, bad[i], &it, 1), AUTOCERT_ERR_INVALID);
        assert_int_equal(ac_storage_store_item(ctx, st, bad[i], &it), AUTOCERT_ERR_INVALID);
        assert_int_equal(ac_storage_lock(ctx, st, bad[i], 0), AUTOCERT_ERR_INVALID);
        assert_int_equal(ac_storage_remove(ctx, st, bad[i]), AUTOCERT_ERR_INVALID);
    }
    assert_int_equal(ac_storage_store(ctx, st, "certs/ok", &badit, 1), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_storage_list(ctx, st, "certs", &keys, &len), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "invalid cache key"));
    /* Nothing of it reached the backend. */
    assert_int_equal(the_fake.calls, 0);
    assert_int_equal(ac_storage_store(ctx, st, "certs/ok", &it, 1), AUTOCERT_OK);
    assert_int_equal(the_fake.calls, 1);
    autocert_storage_free(st);
}

static void test_detail_in_message(void **state)
{
    autocert_ctx *ctx = *state;
    autocert_storage *st = autocert_storage_new(&fake_ops, &the_fake);
    const autocert_item it = {"meta.json", "{}", 2, 0};
    unsigned char *data = NULL;
    size_t len = 0;

    assert_non_null(st);
    the_fake.fail = AUTOCERT_ERR_IO;
    the_fake.detail = "disk on fire";
    assert_int_equal(ac_storage_store_item(ctx, st, "certs/a", &it), AUTOCERT_ERR_IO);
    assert_string_equal(autocert_last_error(ctx),
                        "cannot store fake://store: certs/a/meta.json: disk on fire");
    /* Without a detail: the code's text. */
    the_fake.detail = NULL;
    assert_int_equal(ac_storage_load(ctx, st, "certs/a", "cert.pem", &data, &len), AUTOCERT_ERR_IO);
    assert_string_equal(autocert_last_error(ctx),
                        "cannot read cache file fake://store: certs/a/cert.pem: file system error");
    /* NOT_FOUND passes without a message, for the caller to word. */
    ac_err_clear(ctx);
    the_fake.fail = AUTOCERT_ERR_NOT_FOUND;
    assert_int_equal(ac_storage_load(ctx, st, "certs/a", "cert.pem", &data, &len),
                     AUTOCERT_ERR_NOT_FOUND);
    assert_string_equal(autocert_last_error(ctx), "");
    /* A lock held elsewhere. */
    the_fake.fail = AUTOCERT_ERR_LOCKED;
    assert_int_equal(ac_storage_lock(ctx, st, "certs/a", 3), AUTOCERT_ERR_LOCKED);
    assert_non_null(strstr(autocert_last_error(ctx), "locked by another process (waited 3 s)"));
    autocert_storage_free(st);
}

static void test_list_keeps_valid_keys(void **state)
{
    autocert_ctx *ctx = *state;
    autocert_storage *st = autocert_storage_new(&fake_ops, &the_fake);
    char **keys = NULL;
    size_t n = 0;

    assert_non_null(st);
    the_fake.list[0] = "certs/a.example";
    the_fake.list[1] = "certs/bad name";
    the_fake.list[2] = "certs/.hidden";
    the_fake.list[3] = "certs/b.example";
    assert_int_equal(ac_storage_list(ctx, st, "certs/", &keys, &n), AUTOCERT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0], "certs/a.example");
    assert_string_equal(keys[1], "certs/b.example");
    autocert_strv_free(keys, n);
    autocert_storage_free(st);
}

static void test_key_rules(void **state)
{
    char name[255];

    (void)state;
    assert_true(ac_storage_key_ok("certs/example.com"));
    assert_true(ac_storage_key_ok("certs/+.example.com"));
    assert_true(ac_storage_key_ok("accounts/acme-0a1b2c"));
    assert_true(ac_storage_key_ok("certs/::1"));
    assert_false(ac_storage_key_ok(NULL));
    assert_false(ac_storage_key_ok("certs/x/y"));
    assert_true(ac_storage_prefix_ok("certs/"));
    assert_false(ac_storage_prefix_ok("certs"));
    assert_false(ac_storage_prefix_ok("/"));
    memset(name, 'a', sizeof(name));
    name[253] = '\0';
    assert_true(ac_storage_name_ok(name)); /* the longest DNS name */
    name[253] = 'a';
    name[254] = '\0';
    assert_false(ac_storage_name_ok(name));
}

/* A URL cache goes to the PostgreSQL backend: unreachable here (or not
 * built), it fails naming the server, never the password. */
static void test_url_selects_pg(void **state)
{
    autocert_ctx *ctx = *state;
    autocert_storage *st = NULL;
    autocert_err rc;
    const char *msg;

    rc = autocert_storage_open(ctx, "postgresql://u:s3cr3t@127.0.0.1:1/db?connect_timeout=2", &st);
    assert_null(st);
    assert_true(rc == AUTOCERT_ERR_NETWORK || rc == AUTOCERT_ERR_UNSUPPORTED);
    msg = autocert_last_error(ctx);
    assert_non_null(strstr(msg, "postgresql://u@127.0.0.1:1/db"));
    assert_null(strstr(msg, "s3cr3t"));
    assert_null(strchr(msg, '\n'));
    if (rc == AUTOCERT_ERR_UNSUPPORTED)
        assert_non_null(strstr(msg, "without PostgreSQL support"));
    /* The same through the context, and through AUTOCERT_CACHE. */
    assert_int_equal(autocert_set_cache_dir(ctx, "postgres://u:s3cr3t@127.0.0.1:1/db"), rc);
    assert_null(strstr(autocert_last_error(ctx), "s3cr3t"));
    setenv("AUTOCERT_CACHE", "postgresql://u:s3cr3t@127.0.0.1:1/db", 1);
    assert_int_equal(autocert_set_cache_dir(ctx, NULL), rc);
    assert_non_null(strstr(autocert_last_error(ctx), "postgresql://u@127.0.0.1:1/db"));
    unsetenv("AUTOCERT_CACHE");
    assert_int_equal(autocert_storage_pg_new(NULL, &st), AUTOCERT_ERR_INVALID);
}

/* A key file is for a store that seals: a directory's keys are files. */
static void test_key_file_needs_pg(void **state)
{
    autocert_ctx *ctx = *state;
    char dir[] = "/tmp/test_storage.XXXXXX";
    autocert_storage *st = NULL;

    assert_non_null(mkdtemp(dir));
    assert_int_equal(autocert_storage_open(ctx, dir, &st), AUTOCERT_OK);
    assert_string_equal(autocert_storage_describe(st), dir);
    assert_int_equal(autocert_storage_set_key_file(ctx, st, "/nonexistent"),
                     AUTOCERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(autocert_last_error(ctx), "PostgreSQL"));
    autocert_storage_free(st);
    assert_int_equal(autocert_set_cache_dir(ctx, dir), AUTOCERT_OK);
    assert_int_equal(autocert_set_cache_key_file(ctx, "/nonexistent"), AUTOCERT_ERR_UNSUPPORTED);
    rmdir(dir);
}

/* A backend of version 2 serving items by name: "gone" is absent, "bad"
 * unreadable. */
static autocert_err t_load(void *be, const char *s, const char *i, unsigned char **data,
                           size_t *len, char *d)
{
    (void)be; (void)s;
    the_fake.calls++;
    if (strcmp(i, "bad") == 0) {
        snprintf(d, AUTOCERT_STORAGE_DETAIL, "unreadable");
        return AUTOCERT_ERR_IO;
    }
    if (strcmp(i, "gone") == 0)
        return AUTOCERT_ERR_NOT_FOUND;
    *data = (unsigned char *)strdup(i);
    *len = strlen(i);
    return AUTOCERT_OK;
}

/* A backend of version 3: loads like t_load, in one call. */
static autocert_err t_load_items(void *be, const char *s, const char *const *names, size_t n,
                                 unsigned char **data, size_t *len, size_t *failed, char *d)
{
    autocert_err rc = AUTOCERT_OK;

    the_fake.calls += 100;
    for (*failed = 0; *failed < n; (*failed)++) {
        rc = t_load(be, s, names[*failed], &data[*failed], &len[*failed], d);
        if (rc == AUTOCERT_ERR_NOT_FOUND)
            rc = AUTOCERT_OK;
        else if (rc != AUTOCERT_OK)
            return rc;
    }
    return rc;
}

static void test_load_items(void **state)
{
    autocert_ctx *ctx = *state;
    autocert_storage_ops ops = fake_ops;
    const char *const names[] = {"x.pem", "gone", "y.pem"};
    const char *const failing[] = {"x.pem", "bad", "y.pem"};
    unsigned char *data[3];
    size_t len[3], round;
    autocert_storage *st;

    ops.load = t_load;
    for (round = 0; round < 2; round++) {
        /* First without load_items (a backend of version 2: one load an
         * item), then with it (one call). */
        ops.load_items = t_load_items;
        ops.size = round == 0 ? offsetof(autocert_storage_ops, load_items) : sizeof(ops);
        the_fake.calls = 0;
        st = autocert_storage_new(&ops, &the_fake);
        assert_non_null(st);
        assert_int_equal(ac_storage_load_items(ctx, st, "certs/a", names, 3, data, len),
                         AUTOCERT_OK);
        assert_int_equal(the_fake.calls, round == 0 ? 3 : 103);
        assert_string_equal((char *)data[0], "x.pem");
        assert_int_equal(len[0], 5);
        assert_null(data[1]);
        assert_int_equal(len[1], 0);
        assert_string_equal((char *)data[2], "y.pem");
        free(data[0]);
        free(data[2]);
        /* A failure hands nothing back and names the item and the reason. */
        assert_int_equal(ac_storage_load_items(ctx, st, "certs/a", failing, 3, data, len),
                         AUTOCERT_ERR_IO);
        assert_true(data[0] == NULL && data[1] == NULL && data[2] == NULL);
        assert_string_equal(autocert_last_error(ctx),
                            "cannot read cache file fake://store: certs/a/bad: unreadable");
        /* Keys are checked before any reaches the backend. */
        the_fake.calls = 0;
        assert_int_equal(ac_storage_load_items(ctx, st, "certs/../a", names, 3, data, len),
                         AUTOCERT_ERR_INVALID);
        assert_int_equal(the_fake.calls, 0);
        autocert_storage_free(st);
    }
}

/* A backend that hands back exactly the item's bytes, no NUL after them
 * (the ops contract asks for none): what follows is not the item. */
static autocert_err raw_load(void *be, const char *s, const char *i, unsigned char **data,
                             size_t *len, char *d)
{
    (void)be; (void)s; (void)d;
    if ((*data = malloc(strlen(i) + 8)) == NULL)
        return AUTOCERT_ERR_NOMEM;
    memcpy(*data, i, strlen(i));
    memset(*data + strlen(i), 'X', 8);
    *len = strlen(i);
    return AUTOCERT_OK;
}

/* The PEM texts of a certificate (autocert_cert_fullchain_pem, _key_pem)
 * and the engine read loaded items as C strings: the dispatcher hands
 * them back NUL-terminated, whatever the backend did. */
static void test_loaded_items_terminated(void **state)
{
    autocert_ctx *ctx = *state;
    autocert_storage_ops ops = fake_ops;
    const char *const names[] = {"x.pem", "yy.pem"};
    unsigned char *data[2], *one = NULL;
    size_t len[2], n = 0;
    autocert_storage *st;

    ops.load = raw_load;
    ops.size = offsetof(autocert_storage_ops, load_items); /* one load an item */
    assert_non_null(st = autocert_storage_new(&ops, &the_fake));
    assert_int_equal(ac_storage_load(ctx, st, "certs/a", "key.pem", &one, &n), AUTOCERT_OK);
    assert_int_equal(n, 7);
    assert_int_equal(one[n], '\0');
    assert_string_equal((char *)one, "key.pem");
    free(one);
    assert_int_equal(ac_storage_load_items(ctx, st, "certs/a", names, 2, data, len), AUTOCERT_OK);
    assert_int_equal(len[1], 6);
    assert_string_equal((char *)data[0], "x.pem");
    assert_string_equal((char *)data[1], "yy.pem");
    free(data[0]);
    free(data[1]);
    autocert_storage_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_checks_ops, reset, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_optional_ops, reset, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_keys_checked_first, reset, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_detail_in_message, reset, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_list_keeps_valid_keys, reset, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_key_rules, reset, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_url_selects_pg, reset, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_key_file_needs_pg, reset, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_load_items, reset, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_loaded_items_terminated, reset, ctx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
