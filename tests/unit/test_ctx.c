/* test_ctx.c: the context: defaults, the setters and their checks, the storage it owns, its counters. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "internal.h"
#include "storage/storage.h"
#include "unit.h"

/* ---- defaults ----------------------------------------------------------------- */

static void test_defaults(void **state)
{
    autocert_ctx *ctx = *state;

    assert_string_equal(ctx->directory_url, AUTOCERT_LETSENCRYPT_URL);
    assert_null(ctx->ca_bundle);
    assert_null(ctx->email);
    assert_int_equal(ctx->agree_tos, 0);
    assert_null(ctx->eab_kid);
    assert_null(ctx->eab_hmac);
    assert_null(ctx->http_bind);
    assert_int_equal(ctx->http_port, 80);
    assert_null(ctx->webroot);
    assert_int_equal(ctx->key_type, AUTOCERT_KEY_EC256);
    assert_int_equal(ctx->account_key_type, AUTOCERT_KEY_EC256);
    assert_int_equal(ctx->timeout_s, 300);
    /* No renewal days: the CA's window, else the share of the lifetime. */
    assert_int_equal(ctx->renew_days_set, 0);
    assert_null(ctx->log_fn);
    assert_int_equal(ctx->log_level, AUTOCERT_LOG_INFO);
    /* The default cache opens on first use, not before. */
    assert_null(ctx->storage);
    assert_null(ctx->transport);
    assert_int_equal(autocert_request_count(ctx), 0);
    assert_int_equal(autocert_connection_count(ctx), 0);
    assert_string_equal(autocert_last_error(ctx), "");
    assert_string_equal(autocert_version(), PACKAGE_VERSION);
}

static void test_ids_unique(void **state)
{
    autocert_ctx *a = autocert_ctx_new(), *b;
    unsigned long long first;

    (void)state;
    assert_non_null(a);
    first = a->id;
    autocert_ctx_free(a);
    b = autocert_ctx_new();
    assert_non_null(b);
    assert_true(b->id != first);
    assert_true(b->id != 0);
    autocert_ctx_free(b);
    autocert_ctx_free(NULL);
}

/* ---- setters -------------------------------------------------------------------- */

static void test_directory(void **state)
{
    autocert_ctx *ctx = *state;
    char url[64];

    /* URL schemes are case-insensitive. */
    assert_int_equal(autocert_set_directory(ctx, "HTTPS://acme.example/dir"), AUTOCERT_OK);
    assert_int_equal(autocert_set_directory(ctx, "https://acme.example/dir"), AUTOCERT_OK);
    assert_string_equal(ctx->directory_url, "https://acme.example/dir");
    /* Copied. */
    snprintf(url, sizeof(url), "http://127.0.0.1:14000/dir");
    assert_int_equal(autocert_set_directory(ctx, url), AUTOCERT_OK);
    url[0] = 'X';
    assert_string_equal(ctx->directory_url, "http://127.0.0.1:14000/dir");

    /* Refused, naming the URL; the old one stays. */
    assert_int_equal(autocert_set_directory(ctx, "ftp://acme.example/dir"), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "ftp://acme.example/dir"));
    assert_int_equal(autocert_set_directory(ctx, "acme.example/dir"), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_directory(ctx, "https:/acme.example"), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_directory(ctx, ""), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_directory(ctx, NULL), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "(null)"));
    assert_string_equal(ctx->directory_url, "http://127.0.0.1:14000/dir");
}

static void test_email(void **state)
{
    autocert_ctx *ctx = *state;
    static const char *const bad[] = {"nobody",    "@example.com", "me@",          "a@b@c",
                                      "a b@c.d",   "a@b,c@d",      "<a@b.c>",      "a@b.c\n",
                                      "\"a\"@b.c", "a\t@b.c",      "a@b.c\r"};
    /* Shown escaped: ESC as ^[, the byte 0xe9 as \xe9 (not UTF-8 alone). */
    static const char *const shown[][2] = {{"a\033]0;x\007@b.c", "a^[]0;x^G@b.c"},
                                           {"caf\xe9@b.c", "caf"},
                                           {"\xc3\xa9t\xc3\xa9@b.c", "@b.c"}};
    char longest[300];
    size_t i;

    for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        assert_int_equal(autocert_set_email(ctx, shown[i][0]), AUTOCERT_ERR_INVALID);
        assert_non_null(strstr(autocert_last_error(ctx), shown[i][1]));
        assert_null(strchr(autocert_last_error(ctx), '\033'));
    }
    /* At most 254 bytes. */
    memset(longest, 'a', sizeof(longest));
    memcpy(longest + 250, "@b.c", 5);
    assert_int_equal(autocert_set_email(ctx, longest), AUTOCERT_OK);
    memcpy(longest + 250, "a@b.c", 6);
    assert_int_equal(autocert_set_email(ctx, longest), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_email(ctx, "admin@example.com"), AUTOCERT_OK);
    assert_string_equal(ctx->email, "admin@example.com");
    assert_int_equal(autocert_set_email(ctx, "a+tag@sub.example.org"), AUTOCERT_OK);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(autocert_set_email(ctx, bad[i]), AUTOCERT_ERR_INVALID);
        if (strpbrk(bad[i], "\t\r\n") == NULL)
            assert_non_null(strstr(autocert_last_error(ctx), bad[i]));
        assert_null(strpbrk(autocert_last_error(ctx), "\t\r\n"));
        assert_string_equal(ctx->email, "a+tag@sub.example.org");
    }
    assert_int_equal(autocert_set_email(ctx, NULL), AUTOCERT_OK);
    assert_null(ctx->email);
}

static void test_eab(void **state)
{
    autocert_ctx *ctx = *state;

    assert_int_equal(autocert_set_eab(ctx, "kid-1", "c2VjcmV0LWhtYWMta2V5"), AUTOCERT_OK);
    assert_string_equal(ctx->eab_kid, "kid-1");
    assert_string_equal(ctx->eab_hmac, "c2VjcmV0LWhtYWMta2V5");
    /* base64url, with or without padding. */
    assert_int_equal(autocert_set_eab(ctx, "kid-2", "-_-_"), AUTOCERT_OK);
    assert_int_equal(autocert_set_eab(ctx, "kid-3", "YQ=="), AUTOCERT_OK);
    assert_string_equal(ctx->eab_kid, "kid-3");

    /* Half a pair, an empty key id, a key that is not base64url or is
     * empty: refused, the old pair kept. */
    assert_int_equal(autocert_set_eab(ctx, "kid-4", NULL), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "both"));
    assert_int_equal(autocert_set_eab(ctx, NULL, "YQ"), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_eab(ctx, "", "YQ"), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "key id"));
    assert_int_equal(autocert_set_eab(ctx, "kid-4", "a+b/"), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "base64url"));
    assert_int_equal(autocert_set_eab(ctx, "kid-4", "not base64"), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_eab(ctx, "kid-4", ""), AUTOCERT_ERR_INVALID);
    assert_string_equal(ctx->eab_kid, "kid-3");
    assert_string_equal(ctx->eab_hmac, "YQ==");

    /* Both NULL: no binding. */
    assert_int_equal(autocert_set_eab(ctx, NULL, NULL), AUTOCERT_OK);
    assert_null(ctx->eab_kid);
    assert_null(ctx->eab_hmac);
}

static void test_http01(void **state)
{
    autocert_ctx *ctx = *state;

    assert_int_equal(autocert_set_http01(ctx, "127.0.0.1", 8080), AUTOCERT_OK);
    assert_string_equal(ctx->http_bind, "127.0.0.1");
    assert_int_equal(ctx->http_port, 8080);
    assert_int_equal(autocert_set_http01(ctx, "::1", 65535), AUTOCERT_OK);
    assert_int_equal(ctx->http_port, 65535);
    assert_int_equal(autocert_set_http01(ctx, "::1", 1), AUTOCERT_OK);
    assert_int_equal(ctx->http_port, 1);
    /* 0 is the default port. */
    assert_int_equal(autocert_set_http01(ctx, NULL, 0), AUTOCERT_OK);
    assert_null(ctx->http_bind);
    assert_int_equal(ctx->http_port, 80);
    /* Out of range: refused, naming the port, nothing changed. */
    assert_int_equal(autocert_set_http01(ctx, "10.0.0.1", 65536), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "65536"));
    assert_int_equal(autocert_set_http01(ctx, "10.0.0.1", UINT_MAX), AUTOCERT_ERR_INVALID);
    assert_null(ctx->http_bind);
    assert_int_equal(ctx->http_port, 80);
}

static void test_plain_setters(void **state)
{
    autocert_ctx *ctx = *state;
    char path[32];

    snprintf(path, sizeof(path), "/srv/www");
    assert_int_equal(autocert_set_webroot(ctx, path), AUTOCERT_OK);
    path[1] = 'X';
    assert_string_equal(ctx->webroot, "/srv/www");
    assert_int_equal(autocert_set_webroot(ctx, NULL), AUTOCERT_OK);
    assert_null(ctx->webroot);
    assert_int_equal(autocert_set_ca_bundle(ctx, "/etc/ca.pem"), AUTOCERT_OK);
    assert_string_equal(ctx->ca_bundle, "/etc/ca.pem");
    assert_int_equal(autocert_set_ca_bundle(ctx, NULL), AUTOCERT_OK);
    assert_null(ctx->ca_bundle);

    autocert_set_agree_tos(ctx, 5);
    assert_int_equal(ctx->agree_tos, 1);
    autocert_set_agree_tos(ctx, 0);
    assert_int_equal(ctx->agree_tos, 0);
    autocert_set_key_type(ctx, AUTOCERT_KEY_RSA3072);
    assert_int_equal(ctx->key_type, AUTOCERT_KEY_RSA3072);
    assert_int_equal(ctx->account_key_type, AUTOCERT_KEY_EC256);
    autocert_set_account_key_type(ctx, AUTOCERT_KEY_EC384);
    assert_int_equal(ctx->account_key_type, AUTOCERT_KEY_EC384);
    assert_int_equal(ctx->key_type, AUTOCERT_KEY_RSA3072);
    autocert_set_timeout(ctx, 7);
    assert_int_equal(ctx->timeout_s, 7);
    autocert_set_timeout(ctx, 0); /* the default again */
    assert_int_equal(ctx->timeout_s, 300);
    autocert_set_renew_days(ctx, 0);
    assert_int_equal(ctx->renew_days, 0);
    autocert_set_renew_days(ctx, 45);
    assert_int_equal(ctx->renew_days, 45);
}

static void test_challenge_type(void **state)
{
    autocert_ctx *ctx = *state;
    char name[16];

    assert_string_equal(ctx->challenge, "http-01");
    assert_int_equal(ctx->challenge_set, 0);
    assert_int_equal(ctx->tls_listener, 0);
    assert_int_equal(ctx->https_redirect_port, 0);
    assert_int_equal(autocert_set_challenge(ctx, "dns-01"), AUTOCERT_OK);
    assert_string_equal(ctx->challenge, "dns-01");
    assert_int_equal(ctx->challenge_set, 1);
    /* The type is kept as a static string: the caller's may change. */
    snprintf(name, sizeof(name), "tls-alpn-01");
    assert_int_equal(autocert_set_challenge(ctx, name), AUTOCERT_OK);
    name[0] = 'X';
    assert_string_equal(ctx->challenge, "tls-alpn-01");
    assert_int_equal(ctx->challenge_set, 1);
    /* Anything else: INVALID, naming the three, and the type stays. */
    assert_int_equal(autocert_set_challenge(ctx, "TLS-ALPN-01"), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "http-01, dns-01 or tls-alpn-01"));
    assert_int_equal(autocert_set_challenge(ctx, "tls-sni-01"), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_challenge(ctx, ""), AUTOCERT_ERR_INVALID);
    assert_string_equal(ctx->challenge, "tls-alpn-01");
    /* NULL: the default, as if never chosen. */
    assert_int_equal(autocert_set_challenge(ctx, NULL), AUTOCERT_OK);
    assert_string_equal(ctx->challenge, "http-01");
    assert_int_equal(ctx->challenge_set, 0);
    assert_int_equal(autocert_set_challenge(ctx, "http-01"), AUTOCERT_OK);
    assert_int_equal(ctx->challenge_set, 1);
}

/* ---- storage ------------------------------------------------------------------------ */

/* A backend that only counts its destruction. */
static int destroyed[3];

static autocert_err n_lock(void *be, const char *s, int w, char *d)
{
    (void)be; (void)s; (void)w; (void)d;
    return AUTOCERT_OK;
}
static void n_unlock(void *be, const char *s) { (void)be; (void)s; }
static autocert_err n_load(void *be, const char *s, const char *i, unsigned char **data,
                           size_t *len, char *d)
{
    (void)be; (void)s; (void)i; (void)data; (void)len; (void)d;
    return AUTOCERT_ERR_NOT_FOUND;
}
static autocert_err n_store(void *be, const char *s, const autocert_item *it, size_t n, char *d)
{
    (void)be; (void)s; (void)it; (void)n; (void)d;
    return AUTOCERT_OK;
}
static autocert_err n_store_item(void *be, const char *s, const autocert_item *it, char *d)
{
    (void)be; (void)s; (void)it; (void)d;
    return AUTOCERT_OK;
}
static autocert_err n_list(void *be, const char *p, char ***k, size_t *n, char *d)
{
    (void)be; (void)p; (void)d;
    *k = NULL;
    *n = 0;
    return AUTOCERT_OK;
}
static autocert_err n_remove(void *be, const char *s, char *d)
{
    (void)be; (void)s; (void)d;
    return AUTOCERT_ERR_NOT_FOUND;
}
static void n_destroy(void *be) { destroyed[*(int *)be]++; }

static const autocert_storage_ops counting_ops = {
    .size = sizeof(autocert_storage_ops),
    .lock = n_lock,
    .unlock = n_unlock,
    .load = n_load,
    .store = n_store,
    .store_item = n_store_item,
    .list = n_list,
    .remove = n_remove,
    .destroy = n_destroy,
};

static void test_storage_take(void **state)
{
    static int one = 1, two = 2;
    autocert_ctx *ctx = autocert_ctx_new();
    autocert_storage *a = autocert_storage_new(&counting_ops, &one);
    autocert_storage *b = autocert_storage_new(&counting_ops, &two);
    autocert_storage *got = NULL;

    (void)state;
    memset(destroyed, 0, sizeof(destroyed));
    assert_non_null(ctx);
    assert_non_null(a);
    assert_non_null(b);
    autocert_set_storage_take(ctx, a);
    assert_int_equal(ac_storage(ctx, &got), AUTOCERT_OK);
    assert_ptr_equal(got, a);
    /* The one it had goes; the new one is used. */
    autocert_set_storage_take(ctx, b);
    assert_int_equal(destroyed[1], 1);
    assert_int_equal(destroyed[2], 0);
    assert_int_equal(ac_storage(ctx, &got), AUTOCERT_OK);
    assert_ptr_equal(got, b);
    autocert_ctx_free(ctx);
    assert_int_equal(destroyed[1], 1);
    assert_int_equal(destroyed[2], 1);
}

typedef struct {
    char dir[64];
    char cache[128];
} tmpdir;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int tmp_setup(void **state)
{
    tmpdir *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "/tmp/autocert-ctx-XXXXXX");
    if (mkdtemp(t->dir) == NULL) {
        free(t);
        return -1;
    }
    snprintf(t->cache, sizeof(t->cache), "%s/cache", t->dir);
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    tmpdir *t = *state;

    unsetenv("AUTOCERT_CACHE");
    nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(t);
    return 0;
}

static void test_cache_dir(void **state)
{
    tmpdir *t = *state;
    autocert_ctx *ctx = autocert_ctx_new();
    char file[160], real[PATH_MAX];
    autocert_storage *st = NULL, *first;
    FILE *fp;

    assert_non_null(ctx);
    assert_int_equal(autocert_set_cache_dir(ctx, t->cache), AUTOCERT_OK);
    assert_int_equal(ac_storage(ctx, &st), AUTOCERT_OK);
    assert_non_null(realpath(t->cache, real));
    assert_string_equal(autocert_storage_dir_root(st), real);
    first = st;
    /* A file is no cache: refused naming it, the storage kept. */
    snprintf(file, sizeof(file), "%s/file", t->dir);
    fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_not_equal(autocert_set_cache_dir(ctx, file), AUTOCERT_OK);
    assert_non_null(strstr(autocert_last_error(ctx), file));
    assert_int_equal(ac_storage(ctx, &st), AUTOCERT_OK);
    assert_ptr_equal(st, first);
    autocert_ctx_free(ctx);
}

/* Threads of operations that all ask for the default storage first. */
typedef struct {
    autocert_ctx *ctx;
    pthread_barrier_t *start;
    autocert_storage *got;
    autocert_err rc;
} asker;

static void *ask_storage(void *arg)
{
    asker *a = arg;

    pthread_barrier_wait(a->start);
    a->rc = ac_storage(a->ctx, &a->got);
    return NULL;
}

#define ASKERS 4

static void test_default_storage_once(void **state)
{
    tmpdir *t = *state;
    char real[PATH_MAX];
    int round, i;

    assert_int_equal(setenv("AUTOCERT_CACHE", t->cache, 1), 0);
    /* Several rounds: each a fresh context and a fresh race. */
    for (round = 0; round < 10; round++) {
        autocert_ctx *ctx = autocert_ctx_new();
        pthread_barrier_t start;
        pthread_t th[ASKERS];
        asker a[ASKERS];

        assert_non_null(ctx);
        assert_int_equal(pthread_barrier_init(&start, NULL, ASKERS), 0);
        for (i = 0; i < ASKERS; i++) {
            a[i] = (asker){ctx, &start, NULL, AUTOCERT_ERR_IO};
            assert_int_equal(pthread_create(&th[i], NULL, ask_storage, &a[i]), 0);
        }
        for (i = 0; i < ASKERS; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&start);
        for (i = 0; i < ASKERS; i++) {
            assert_int_equal(a[i].rc, AUTOCERT_OK);
            assert_non_null(a[i].got);
            assert_ptr_equal(a[i].got, a[0].got);
        }
        assert_ptr_equal(ctx->storage, a[0].got);
        assert_non_null(realpath(t->cache, real));
        assert_string_equal(autocert_storage_dir_root(a[0].got), real);
        autocert_ctx_free(ctx);
    }
}

static void test_default_storage_failure(void **state)
{
    tmpdir *t = *state;
    autocert_ctx *ctx = autocert_ctx_new();
    autocert_storage *st = (autocert_storage *)&st;
    char file[160];
    FILE *fp;

    assert_non_null(ctx);
    snprintf(file, sizeof(file), "%s/plain-file", t->dir);
    fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(setenv("AUTOCERT_CACHE", file, 1), 0);
    assert_int_not_equal(ac_storage(ctx, &st), AUTOCERT_OK);
    assert_null(st);
    assert_null(ctx->storage);
    /* The message names the path and why it cannot serve. */
    assert_non_null(strstr(autocert_last_error(ctx), file));
    assert_non_null(strstr(autocert_last_error(ctx), "Not a directory"));
    /* Not remembered: once the variable is right, it opens. */
    assert_int_equal(setenv("AUTOCERT_CACHE", t->cache, 1), 0);
    assert_int_equal(ac_storage(ctx, &st), AUTOCERT_OK);
    assert_non_null(st);
    autocert_ctx_free(ctx);
}

/* ---- counters --------------------------------------------------------------------------- */

static void test_counters(void **state)
{
    autocert_ctx *ctx = *state;

    assert_int_equal(autocert_request_count(ctx), 0);
    assert_int_equal(autocert_connection_count(ctx), 0);
    atomic_fetch_add(&ctx->n_requests, 5);
    atomic_fetch_add(&ctx->n_connects, 2);
    assert_int_equal(autocert_request_count(ctx), 5);
    assert_int_equal(autocert_connection_count(ctx), 2);
    /* Read through a const handle. */
    {
        const autocert_ctx *c = ctx;
        assert_int_equal(autocert_request_count(c), 5);
    }
}

/* Where the time went: kept in microseconds, reported in seconds; a caller
 * built with an older, shorter struct gets only the fields it knows. */
static void test_timings(void **state)
{
    autocert_ctx *ctx = *state;
    autocert_timings t;
    struct {
        size_t size;
        double requests;
        double connect;
    } old;
    EVP_PKEY *key = NULL;

    t.size = sizeof(t);
    autocert_timings_get(ctx, &t);
    assert_true(t.requests == 0 && t.waiting == 0 && t.keys == 0 && t.store == 0);
    ac_ctx_add(ctx, AC_TIME_REQUESTS, 0.25);
    ac_ctx_add(ctx, AC_TIME_CONNECT, 0.125);
    ac_ctx_add(ctx, AC_TIME_WAITING, 1.5);
    ac_ctx_add(ctx, AC_TIME_STORE, 0.002);
    ac_ctx_add(ctx, AC_TIME_STORE, -1); /* nothing */
    ac_ctx_add(NULL, AC_TIME_STORE, 1); /* harmless */
    assert_int_equal(ac_key_generate(ctx, AUTOCERT_KEY_EC256, &key), AUTOCERT_OK);
    EVP_PKEY_free(key);
    autocert_timings_get(ctx, &t);
    assert_int_equal(t.size, sizeof(t));
    assert_true(t.requests > 0.2499 && t.requests < 0.2501);
    assert_true(t.connect > 0.1249 && t.connect < 0.1251);
    assert_true(t.waiting > 1.4999 && t.waiting < 1.5001);
    assert_true(t.store > 0.0019 && t.store < 0.0021);
    assert_true(t.keys > 0 && t.keys < 1);
    memset(&old, 0x55, sizeof(old));
    old.size = sizeof(old);
    autocert_timings_get(ctx, (autocert_timings *)(void *)&old);
    assert_int_equal(old.size, sizeof(old));
    assert_true(old.requests > 0.2499 && old.connect > 0.1249);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timings, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_defaults, ctx_setup, ctx_teardown),
        cmocka_unit_test(test_ids_unique),
        cmocka_unit_test_setup_teardown(test_directory, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_email, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_eab, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_http01, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_plain_setters, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_challenge_type, ctx_setup, ctx_teardown),
        cmocka_unit_test(test_storage_take),
        cmocka_unit_test_setup_teardown(test_cache_dir, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_default_storage_once, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_default_storage_failure, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_counters, ctx_setup, ctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
