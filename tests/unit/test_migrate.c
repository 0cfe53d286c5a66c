/* test_migrate.c: copying a whole cache between stores (two directories here: the code is the same for a database), verified, never overwriting unasked. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/storage.h"
#include "unit.h"

typedef struct {
    autocert_ctx *ctx;
    char from_dir[32], to_dir[32];
    autocert_storage *from, *to;
    char copied[8][64];
    size_t n_copied, items;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));

    if (f == NULL || (f->ctx = autocert_ctx_new()) == NULL)
        return -1;
    snprintf(f->from_dir, sizeof(f->from_dir), "/tmp/test_migrate.XXXXXX");
    snprintf(f->to_dir, sizeof(f->to_dir), "/tmp/test_migrate.XXXXXX");
    if (mkdtemp(f->from_dir) == NULL || mkdtemp(f->to_dir) == NULL ||
        autocert_storage_open(f->ctx, f->from_dir, &f->from) != AUTOCERT_OK ||
        autocert_storage_open(f->ctx, f->to_dir, &f->to) != AUTOCERT_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    autocert_storage_free(f->from);
    autocert_storage_free(f->to);
    ac_remove_tree(f->from_dir);
    ac_remove_tree(f->to_dir);
    autocert_ctx_free(f->ctx);
    free(f);
    return 0;
}

static void put(fx *f, autocert_storage *st, const char *set, const char *tag)
{
    char key[64], cert[64];
    autocert_item items[3] = {
        {"privkey.pem", key, 0, 1}, {"cert.pem", cert, 0, 0}, {"meta.json", "{}", 2, 0},
    };

    items[0].len = (size_t)snprintf(key, sizeof(key), "KEY %s %s", set, tag);
    items[1].len = (size_t)snprintf(cert, sizeof(cert), "CERT %s %s", set, tag);
    assert_int_equal(ac_storage_store(f->ctx, st, set, items, 3), AUTOCERT_OK);
}

/* The item of `st` as a string (malloc'd), NULL when absent. */
static char *get(fx *f, autocert_storage *st, const char *set, const char *item)
{
    unsigned char *d = NULL;
    size_t n = 0;
    autocert_err rc = ac_storage_load(f->ctx, st, set, item, &d, &n);

    if (rc == AUTOCERT_ERR_NOT_FOUND)
        return NULL;
    assert_int_equal(rc, AUTOCERT_OK);
    return (char *)d;
}

static void expect(fx *f, autocert_storage *st, const char *set, const char *item, const char *want)
{
    char *got = get(f, st, set, item);

    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void progress(void *arg, const char *set, size_t items)
{
    fx *f = arg;

    assert_true(f->n_copied < 8);
    snprintf(f->copied[f->n_copied++], sizeof(f->copied[0]), "%s", set);
    f->items += items;
}

static void test_copies_and_verifies(void **state)
{
    fx *f = *state;
    autocert_item acct[2] = {{"account.key", "AKEY", 4, 1}, {"account.json", "{\"url\":1}", 9, 0}};
    autocert_item odd = {"notes.txt", "not autocert's", 14, 0};

    put(f, f->from, "certs/a.example", "1");
    put(f, f->from, "certs/b.example", "1");
    assert_int_equal(ac_storage_store(f->ctx, f->from, "accounts/ca-1", acct, 2), AUTOCERT_OK);
    /* An item autocert does not write stays behind. */
    assert_int_equal(ac_storage_store_item(f->ctx, f->from, "certs/a.example", &odd), AUTOCERT_OK);
    assert_int_equal(autocert_cache_migrate(f->ctx, f->from, f->to, 0, progress, f), AUTOCERT_OK);
    assert_int_equal(f->n_copied, 3);
    assert_string_equal(f->copied[0], "certs/a.example");
    assert_string_equal(f->copied[1], "certs/b.example");
    assert_string_equal(f->copied[2], "accounts/ca-1");
    assert_int_equal(f->items, 8);
    expect(f, f->to, "certs/a.example", "privkey.pem", "KEY certs/a.example 1");
    expect(f, f->to, "certs/b.example", "cert.pem", "CERT certs/b.example 1");
    expect(f, f->to, "certs/a.example", "meta.json", "{}");
    expect(f, f->to, "certs/a.example", "notes.txt", NULL);
    expect(f, f->to, "accounts/ca-1", "account.key", "AKEY");
    expect(f, f->to, "accounts/ca-1", "account.json", "{\"url\":1}");
}

/* Sets the destination holds already: nothing at all is copied without
 * force, then replaced with it. */
static void test_refuses_to_overwrite(void **state)
{
    fx *f = *state;
    const char *msg;

    put(f, f->from, "certs/a.example", "new");
    put(f, f->from, "certs/b.example", "new");
    put(f, f->to, "certs/b.example", "old");
    assert_int_equal(autocert_cache_migrate(f->ctx, f->from, f->to, 0, progress, f),
                     AUTOCERT_ERR_EXISTS);
    msg = autocert_last_error(f->ctx);
    assert_non_null(strstr(msg, "certs/b.example"));
    assert_non_null(strstr(msg, f->to_dir));
    assert_int_equal(f->n_copied, 0);
    expect(f, f->to, "certs/a.example", "privkey.pem", NULL);
    expect(f, f->to, "certs/b.example", "privkey.pem", "KEY certs/b.example old");
    assert_int_equal(autocert_cache_migrate(f->ctx, f->from, f->to, AUTOCERT_MIGRATE_FORCE,
                                            progress, f),
                     AUTOCERT_OK);
    assert_int_equal(f->n_copied, 2);
    expect(f, f->to, "certs/b.example", "privkey.pem", "KEY certs/b.example new");
    /* A store is not migrated into itself. */
    assert_int_equal(autocert_cache_migrate(f->ctx, f->from, f->from, AUTOCERT_MIGRATE_FORCE,
                                            NULL, NULL),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_cache_migrate(f->ctx, NULL, f->to, 0, NULL, NULL),
                     AUTOCERT_ERR_INVALID);
}

/* A source that cannot be read stops the run, naming the item. */
static void test_unreadable_source(void **state)
{
    fx *f = *state;
    char path[128];

    put(f, f->from, "certs/a.example", "1");
    snprintf(path, sizeof(path), "%s/certs/a.example/cert.pem", f->from_dir);
    assert_int_equal(chmod(path, 0666), 0); /* writable by others: refused by the backend */
    assert_int_equal(autocert_cache_migrate(f->ctx, f->from, f->to, 0, progress, f),
                     AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(f->ctx), "cert.pem"));
    assert_int_equal(f->n_copied, 0);
    expect(f, f->to, "certs/a.example", "privkey.pem", NULL);
}

/* A store that takes everything and gives back something else. */
static autocert_err bad_lock(void *be, const char *set, int w, char *d)
{
    (void)be; (void)set; (void)w; (void)d;
    return AUTOCERT_OK;
}
static void bad_unlock(void *be, const char *set) { (void)be; (void)set; }
static autocert_err bad_load(void *be, const char *s, const char *i, unsigned char **data,
                             size_t *len, char *d)
{
    (void)be; (void)s; (void)d;
    if (strcmp(i, "cert.pem") != 0)
        return AUTOCERT_ERR_NOT_FOUND;
    *data = (unsigned char *)strdup("CERT altered");
    *len = strlen((char *)*data);
    return AUTOCERT_OK;
}
static autocert_err bad_store(void *be, const char *s, const autocert_item *it, size_t n, char *d)
{
    (void)be; (void)s; (void)it; (void)n; (void)d;
    return AUTOCERT_OK;
}
static autocert_err bad_store_item(void *be, const char *s, const autocert_item *it, char *d)
{
    (void)be; (void)s; (void)it; (void)d;
    return AUTOCERT_OK;
}
static autocert_err bad_list(void *be, const char *p, char ***k, size_t *n, char *d)
{
    (void)be; (void)p; (void)d;
    *k = NULL;
    *n = 0;
    return AUTOCERT_OK;
}
static autocert_err bad_remove(void *be, const char *s, char *d)
{
    (void)be; (void)s; (void)d;
    return AUTOCERT_OK;
}
static void bad_destroy(void *be) { (void)be; }

/* What reads back different from what was copied fails the run, naming it. */
static void test_verifies(void **state)
{
    fx *f = *state;
    static const autocert_storage_ops ops = {
        .size = sizeof(autocert_storage_ops), .lock = bad_lock, .unlock = bad_unlock,
        .load = bad_load, .store = bad_store, .store_item = bad_store_item, .list = bad_list,
        .remove = bad_remove, .destroy = bad_destroy,
    };
    autocert_storage *bad = autocert_storage_new(&ops, f);

    assert_non_null(bad);
    put(f, f->from, "certs/a.example", "1");
    assert_int_equal(autocert_cache_migrate(f->ctx, f->from, bad, 0, progress, f),
                     AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(f->ctx), "certs/a.example"));
    assert_int_equal(f->n_copied, 0);
    autocert_storage_free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_copies_and_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_to_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verifies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
