/* test_obtain.c: autocert_obtain and the cache lookups: when to order, what is stored, the entry's lock and a CA's Retry-After, against a CA in memory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "cache.h"
#include "fakeca.h"
#include "protofx.h"

#define DAY 86400

static const char *const A[] = {"a.example", "www.a.example"};
static const char *const B[] = {"b.example"};

static autocert_cert *obtain(protofx *f, const char *const *names, size_t n, unsigned flags)
{
    autocert_cert *c = NULL;
    autocert_err rc = autocert_obtain(f->ctx, names, n, flags, &c);

    if (rc != AUTOCERT_OK)
        fail_msg("autocert_obtain: %s", autocert_last_error(f->ctx));
    assert_non_null(c);
    return c;
}

/* Writes `text` over the cache file `rel`. */
static void overwrite(protofx *f, const char *rel, const char *text)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
    assert_non_null(fp = fopen(path, "w"));
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* ---- what is stored, and when an order is made ------------------------------------ */

static void test_first_obtain_stores_the_entry(void **state)
{
    protofx *f = *state;
    autocert_cert *c = obtain(f, A, 2, 0), *info = NULL, *loaded = NULL;
    char *key = protofx_cache_file(f, "certs/a.example/privkey.pem");
    char *cert = protofx_cache_file(f, "certs/a.example/cert.pem");
    char *chain = protofx_cache_file(f, "certs/a.example/chain.pem");
    char *full = protofx_cache_file(f, "certs/a.example/fullchain.pem");
    char *meta = protofx_cache_file(f, "certs/a.example/meta.json");
    char **names = NULL;
    size_t n = 0, len;
    EVP_PKEY *k = NULL;
    json_t *m;
    struct stat sb;
    char *both;

    assert_int_equal(autocert_cert_is_new(c), 1);
    assert_int_equal(fakeca_issued(f->ca), 1);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 1);
    /* Key, leaf, chain, full chain and metadata, consistent. */
    assert_non_null(key);
    assert_non_null(cert);
    assert_non_null(chain);
    assert_non_null(full);
    assert_non_null(meta);
    assert_string_equal(chain, fakeca_root_pem(f->ca));
    len = strlen(cert) + strlen(chain) + 1;
    assert_non_null(both = malloc(len));
    snprintf(both, len, "%s%s", cert, chain);
    assert_string_equal(full, both);
    assert_int_equal(ac_key_from_pem(f->ctx, key, strlen(key), "privkey.pem", &k), AUTOCERT_OK);
    assert_true(ac_key_matches_cert(k, cert, strlen(cert)));
    assert_int_equal(stat(autocert_cert_key_path(c), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    m = json_loads(meta, 0, NULL);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "names"), 0)), "a.example");
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "names"), 1)),
                        "www.a.example");
    assert_string_equal(json_string_value(json_object_get(m, "directory")), FAKECA_DIRECTORY);
    assert_string_equal(json_string_value(json_object_get(m, "key_type")), "ec256");
    assert_int_equal(json_integer_value(json_object_get(m, "not_after")), autocert_cert_not_after(c));

    /* The handle says the same. */
    assert_string_equal(autocert_cert_name(c), "a.example");
    assert_int_equal(autocert_cert_identifier_count(c), 2);
    assert_string_equal(autocert_cert_identifier(c, 1), "www.a.example");
    assert_string_equal(autocert_cert_directory(c), FAKECA_DIRECTORY);
    assert_string_equal(autocert_cert_fullchain_pem(c), full);
    assert_string_equal(autocert_cert_key_pem(c), key);
    assert_true(autocert_cert_not_after(c) > time(NULL) + 89 * DAY);
    assert_non_null(strstr(autocert_cert_fullchain_path(c), "certs/a.example/fullchain.pem"));

    /* And the lookups. */
    assert_int_equal(autocert_cert_load(f->ctx, "www.a.example", &loaded), AUTOCERT_ERR_NOT_FOUND);
    assert_int_equal(autocert_cert_load(f->ctx, "a.example", &loaded), AUTOCERT_OK);
    assert_string_equal(autocert_cert_fullchain_pem(loaded), full);
    assert_int_equal(autocert_cert_is_new(loaded), 0);
    assert_int_equal(autocert_cert_info(f->ctx, "A.example.", &info), AUTOCERT_OK);
    assert_null(autocert_cert_fullchain_pem(info));
    assert_null(autocert_cert_key_pem(info));
    assert_int_equal(autocert_cert_not_after(info), autocert_cert_not_after(c));
    assert_int_equal(autocert_cert_identifier_count(info), 2);
    assert_int_equal(autocert_cert_list(f->ctx, &names, &n), AUTOCERT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "a.example");

    autocert_strv_free(names, n);
    autocert_cert_free(info);
    autocert_cert_free(loaded);
    autocert_cert_free(c);
    json_decref(m);
    EVP_PKEY_free(k);
    free(both);
    free(key);
    free(cert);
    free(chain);
    free(full);
    free(meta);
}

static void test_second_obtain_makes_no_request(void **state)
{
    protofx *f = *state;
    autocert_cert *c1 = obtain(f, A, 2, 0), *c2;
    size_t before = fakeca_nreq(f->ca);
    const char *reversed[] = {"a.example", "WWW.a.example."};

    c2 = obtain(f, reversed, 2, 0);
    assert_int_equal(autocert_cert_is_new(c2), 0);
    assert_int_equal(fakeca_nreq(f->ca), before);
    assert_string_equal(autocert_cert_fullchain_pem(c2), autocert_cert_fullchain_pem(c1));
    assert_string_equal(autocert_cert_key_pem(c2), autocert_cert_key_pem(c1));
    /* A success leaves no failure detail behind. */
    assert_string_equal(autocert_last_error(f->ctx), "");
    autocert_cert_free(c1);
    autocert_cert_free(c2);
}

static void test_other_names_replace_the_entry(void **state)
{
    protofx *f = *state;
    const char *more[] = {"a.example", "www.a.example", "static.a.example"};
    autocert_cert *c1 = obtain(f, A, 2, 0), *c2, *c3;

    /* More names, then fewer: each a new order replacing the entry. */
    c2 = obtain(f, more, 3, 0);
    assert_int_equal(autocert_cert_is_new(c2), 1);
    assert_int_equal(autocert_cert_identifier_count(c2), 3);
    c3 = obtain(f, A, 1, 0);
    assert_int_equal(autocert_cert_is_new(c3), 1);
    assert_int_equal(autocert_cert_identifier_count(c3), 1);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 3);
    assert_string_not_equal(autocert_cert_key_pem(c3), autocert_cert_key_pem(c1));
    autocert_cert_free(c1);
    autocert_cert_free(c2);
    autocert_cert_free(c3);
}

static void test_other_directory_replaces_the_entry(void **state)
{
    protofx *f = *state;
    autocert_cert *c1 = obtain(f, A, 2, 0), *c2;

    assert_int_equal(autocert_set_directory(f->ctx, FAKECA_DIRECTORY_B), AUTOCERT_OK);
    c2 = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c2), 1);
    assert_string_equal(autocert_cert_directory(c2), FAKECA_DIRECTORY_B);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 2);
    /* A directory has an account of its own. */
    assert_int_equal(fakeca_accounts(f->ca), 2);
    autocert_cert_free(c1);
    autocert_cert_free(c2);
}

static void test_force_orders_anyway(void **state)
{
    protofx *f = *state;
    autocert_cert *c1 = obtain(f, A, 2, 0), *c2 = obtain(f, A, 2, AUTOCERT_OBTAIN_FORCE);

    assert_int_equal(autocert_cert_is_new(c2), 1);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 2);
    assert_string_not_equal(autocert_cert_key_pem(c2), autocert_cert_key_pem(c1));
    autocert_cert_free(c1);
    autocert_cert_free(c2);
}

/* The cached account's item `item`, as text (malloc'd). */
static char *account_item(protofx *f, const char *item)
{
    autocert_storage *st = NULL;
    unsigned char *data = NULL;
    size_t len = 0;
    char *set = NULL;

    assert_int_equal(ac_storage(f->ctx, &st), AUTOCERT_OK);
    assert_int_equal(ac_cache_account_set(f->ctx, FAKECA_DIRECTORY, &set), AUTOCERT_OK);
    assert_int_equal(ac_storage_load(f->ctx, st, set, item, &data, &len), AUTOCERT_OK);
    free(set);
    return (char *)data;
}

/* The CA forgot the cached account (as a test CA does when it restarts):
 * its key is registered anew, once, the new URL saved, and the order goes
 * on under it. */
static void test_account_unknown_to_the_ca(void **state)
{
    protofx *f = *state;
    autocert_cert *c1 = obtain(f, A, 2, 0), *c2 = NULL;
    char *key1 = account_item(f, AC_ITEM_ACCOUNT_KEY), *json1 = account_item(f, AC_ITEM_ACCOUNT_META);
    char *key2, *json2;
    size_t accounts = fakeca_accounts(f->ca), orders = fakeca_count(f->ca, "POST", "/new-order");
    long i;

    fakeca_forget_accounts(f->ca);
    c2 = obtain(f, A, 2, AUTOCERT_OBTAIN_FORCE);
    assert_int_equal(autocert_cert_is_new(c2), 1);
    assert_int_equal(fakeca_accounts(f->ca), accounts + 1);
    /* The refused order, and the one after the registration. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), orders + 2);
    /* newAccount with the cached key: a registration, not a lookup. */
    i = fakeca_find(f->ca, "POST", "/new-account", 0);
    assert_true(i >= 0);
    i = fakeca_find(f->ca, "POST", "/new-account", (size_t)i + 1);
    assert_true(i > 0);
    assert_false(json_is_true(json_object_get(fakeca_req_at(f->ca, (size_t)i)->payload,
                                              "onlyReturnExisting")));
    assert_non_null(json_object_get(fakeca_req_at(f->ca, (size_t)i)->protected_hdr, "jwk"));
    assert_int_equal(fakeca_find(f->ca, "POST", "/new-account", (size_t)i + 1), -1);
    key2 = account_item(f, AC_ITEM_ACCOUNT_KEY);
    json2 = account_item(f, AC_ITEM_ACCOUNT_META);
    assert_string_equal(key1, key2);
    assert_non_null(strstr(json1, FAKECA_URL "/acct/1"));
    assert_non_null(strstr(json2, FAKECA_URL "/acct/2"));
    /* A third run uses the new account right away. */
    autocert_cert_free(obtain(f, A, 2, AUTOCERT_OBTAIN_FORCE));
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 2);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), orders + 3);
    ac_free_secret(key1, strlen(key1));
    ac_free_secret(key2, strlen(key2));
    free(json1);
    free(json2);
    autocert_cert_free(c1);
    autocert_cert_free(c2);
}

static void test_renewed_near_its_end(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    autocert_cert *c1, *c2, *c3;

    /* Issued 70 days ago: 20 days left, inside the 30-day window. */
    k->backdate_days = 70;
    c1 = obtain(f, A, 2, 0);
    assert_true(autocert_cert_not_after(c1) < time(NULL) + 21 * DAY);
    k->backdate_days = 0;
    c2 = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c2), 1);
    assert_true(autocert_cert_not_after(c2) > time(NULL) + 89 * DAY);
    c3 = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c3), 0);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 2);
    autocert_cert_free(c1);
    autocert_cert_free(c2);
    autocert_cert_free(c3);
}

static void test_short_lived_renewal(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    autocert_cert *c1, *c2, *c3;

    /* A fresh 6-day certificate is not due although 30 days exceed its
     * life; with less than a third of it left it is. */
    k->validity_days = 6;
    c1 = obtain(f, A, 2, 0);
    c2 = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c2), 0);
    k->backdate_days = 5;
    c3 = obtain(f, A, 2, AUTOCERT_OBTAIN_FORCE);
    autocert_cert_free(c3);
    k->backdate_days = 0;
    c3 = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c3), 1);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 3);
    autocert_cert_free(c1);
    autocert_cert_free(c2);
    autocert_cert_free(c3);
}

/* The warnings logged, one after another. */
static char warnings[4096];

static void keep_warnings(void *arg, autocert_log_level level, const char *msg)
{
    size_t n = strlen(warnings);

    (void)arg;
    if (level == AUTOCERT_LOG_WARN)
        snprintf(warnings + n, sizeof(warnings) - n, "%s\n", msg);
}

/* Breaks the entry's parts, keeping fullchain.pem = cert.pem + chain.pem:
 * chain.pem becomes `chain`, or (NULL) takes the whole chain and cert.pem
 * is left empty.  The next obtain says `why` and makes order number `order`. */
static void broken_parts(protofx *f, const char *chain, int order, const char *why)
{
    char *cert = protofx_cache_file(f, "certs/a.example/cert.pem"), *full;
    autocert_cert *c;
    size_t n;

    assert_non_null(cert);
    if (chain == NULL) {
        full = protofx_cache_file(f, "certs/a.example/fullchain.pem");
        assert_non_null(full);
        overwrite(f, "certs/a.example/cert.pem", "");
        overwrite(f, "certs/a.example/chain.pem", full);
    } else {
        n = strlen(cert) + strlen(chain) + 1;
        assert_non_null(full = malloc(n));
        snprintf(full, n, "%s%s", cert, chain);
        overwrite(f, "certs/a.example/chain.pem", chain);
        overwrite(f, "certs/a.example/fullchain.pem", full);
    }
    free(full);
    free(cert);
    warnings[0] = '\0';
    c = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c), 1);
    autocert_cert_free(c);
    if (strstr(warnings, why) == NULL)
        fail_msg("expected '%s' in the warnings: %s", why, warnings);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), order);
}

static void test_broken_entry_replaced(void **state)
{
    protofx *f = *state;
    autocert_cert *c = obtain(f, A, 2, 0);

    autocert_cert_free(c);
    warnings[0] = '\0';
    autocert_set_logger(f->ctx, keep_warnings, NULL);
    autocert_set_log_level(f->ctx, AUTOCERT_LOG_WARN);
    /* A broken entry is never called cached: named, and replaced. */
    overwrite(f, "certs/a.example/fullchain.pem", "not a certificate\n");
    c = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c), 1);
    autocert_cert_free(c);
    assert_non_null(strstr(warnings, "certs/a.example/fullchain.pem"));
    assert_non_null(strstr(warnings, "ordering a new certificate"));
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 2);

    warnings[0] = '\0';
    overwrite(f, "certs/a.example/meta.json", "{\"names\": 7}");
    c = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c), 1);
    autocert_cert_free(c);
    assert_non_null(strstr(warnings, "certs/a.example/meta.json"));
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 3);

    /* cert.pem and chain.pem are loaded too, not only compared with
     * fullchain.pem: a chain that does not decode, also when fullchain.pem
     * ends the same way, and an empty cert.pem whose certificate moved
     * into chain.pem. */
    broken_parts(f, "garbage\n", 4, "certs/a.example/chain.pem: no PEM certificate");
    broken_parts(f, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 5,
                 "certs/a.example/chain.pem: certificate 1 does not decode");
    broken_parts(f, NULL, 6, "certs/a.example/cert.pem: no PEM certificate");

    /* What was stored holds together: the next call finds it cached. */
    c = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c), 0);
    autocert_cert_free(c);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 6);
}

/* ---- the rules ------------------------------------------------------------------ */

/* Obtains names A for a certificate of `validity` days issued `age` days
 * ago (--force), then once more without force: whether that ordered. */
static int due_after(protofx *f, int validity, int age)
{
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    autocert_cert *c;
    int is_new;

    k->validity_days = validity;
    k->backdate_days = age;
    autocert_cert_free(obtain(f, A, 2, AUTOCERT_OBTAIN_FORCE));
    k->validity_days = 90;
    k->backdate_days = 0;
    c = obtain(f, A, 2, 0);
    is_new = autocert_cert_is_new(c);
    autocert_cert_free(c);
    return is_new;
}

/* obtain follows the rules of renew: a third of the lifetime left, half of
 * it under ten days, never a fixed number of days. */
static void test_due_by_the_lifetime_rule(void **state)
{
    protofx *f = *state;

    /* A year, 135 days left: more than a third, not due (nor at 30 days). */
    assert_int_equal(due_after(f, 365, 230), 0);
    /* 115 days left, under a third: due, although far from 30 days. */
    assert_int_equal(due_after(f, 365, 250), 1);
    /* 8 days, 5 left: more than half, not due. */
    assert_int_equal(due_after(f, 8, 3), 0);
    /* 3 left: under half (a third would be 2.7 days): due. */
    assert_int_equal(due_after(f, 8, 5), 1);
    /* 45 days, 20 left: more than a third, not due. */
    assert_int_equal(due_after(f, 45, 25), 0);
    /* The context's days, when set, replace the rule. */
    autocert_set_renew_days(f->ctx, 140);
    assert_int_equal(due_after(f, 365, 230), 1);
}

/* Sets renewal.ari.chosen of entry a.example's meta.json to `t`. */
static void set_ari_chosen(protofx *f, time_t t)
{
    char path[512];
    json_t *m, *r, *ari;

    snprintf(path, sizeof(path), "%s/certs/a.example/meta.json", f->cache);
    assert_non_null(m = json_load_file(path, 0, NULL));
    if ((r = json_object_get(m, "renewal")) == NULL)
        json_object_set_new(m, "renewal", r = json_object());
    if ((ari = json_object_get(r, "ari")) == NULL)
        json_object_set_new(r, "ari", ari = json_object());
    json_object_set_new(ari, "start", json_integer((json_int_t)t - 3600));
    json_object_set_new(ari, "end", json_integer((json_int_t)t + 3600));
    json_object_set_new(ari, "chosen", json_integer((json_int_t)t));
    assert_int_equal(json_dump_file(m, path, 0), 0);
    json_decref(m);
}

/* A renewal time that renew stored from the CA's window rules obtain too,
 * earlier or later than the lifetime rule. */
static void test_due_by_the_stored_window(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    autocert_cert *c;

    /* 80 of 90 days left, but the CA's window has begun: due. */
    k->backdate_days = 10;
    autocert_cert_free(obtain(f, A, 2, 0));
    set_ari_chosen(f, time(NULL) - 60);
    c = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c), 1);
    autocert_cert_free(c);
    /* 20 of 90 days left (under a third), the window a week ahead: not due. */
    k->backdate_days = 70;
    autocert_cert_free(obtain(f, A, 2, AUTOCERT_OBTAIN_FORCE));
    k->backdate_days = 0;
    set_ari_chosen(f, time(NULL) + 7 * DAY);
    c = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c), 0);
    autocert_cert_free(c);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 3);
}

static void test_covers(void **state)
{
    char *ids[] = {(char *)"a.example", (char *)"192.0.2.1"};
    const ac_ident same[] = {{AC_ID_IP, (char *)"192.0.2.1"}, {AC_ID_DNS, (char *)"a.example"}};
    const ac_ident fewer[] = {{AC_ID_DNS, (char *)"a.example"}};
    const ac_ident more[] = {{AC_ID_DNS, (char *)"a.example"}, {AC_ID_IP, (char *)"192.0.2.1"},
                             {AC_ID_DNS, (char *)"b.example"}};
    const ac_ident other[] = {{AC_ID_DNS, (char *)"a.example"}, {AC_ID_DNS, (char *)"b.example"}};
    autocert_cert c;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.ids = ids;
    c.n_ids = 2;
    c.directory = (char *)FAKECA_DIRECTORY;
    /* Exactly the same set, in any order, from the same CA. */
    assert_true(ac_cert_covers(&c, FAKECA_DIRECTORY, same, 2));
    assert_false(ac_cert_covers(&c, FAKECA_DIRECTORY, fewer, 1));
    assert_false(ac_cert_covers(&c, FAKECA_DIRECTORY, more, 3));
    assert_false(ac_cert_covers(&c, FAKECA_DIRECTORY, other, 2));
    assert_false(ac_cert_covers(&c, FAKECA_DIRECTORY_B, same, 2));
    c.directory = NULL;
    assert_false(ac_cert_covers(&c, FAKECA_DIRECTORY, same, 2));
}

/* ---- the entry's lock and a CA's Retry-After -------------------------------------- */

typedef struct {
    protofx *f;
    const char *const *names;
    size_t n;
    unsigned flags;
    autocert_cert *c;
    autocert_err rc;
    char error[512];
} job;

static void *run_obtain(void *arg)
{
    job *j = arg;

    j->rc = autocert_obtain(j->f->ctx, j->names, j->n, j->flags, &j->c);
    snprintf(j->error, sizeof(j->error), "%s", autocert_last_error(j->f->ctx));
    return NULL;
}

/* Until the CA has answered `n` POSTs to `prefix`: 0, or -1 after 10 s. */
static int wait_for(protofx *f, const char *prefix, size_t n)
{
    double until = ac_now() + 10;

    while (fakeca_count(f->ca, "POST", prefix) < n) {
        if (ac_now() > until)
            return -1;
        ac_sleep_s(0.01);
    }
    return 0;
}

/* newOrder answered 429 once, with Retry-After. */
static void busy_new_order(protofx *f, long seconds)
{
    fakeca_knobs *k = fakeca_knobs_of(f->ca);

    k->busy = 1;
    k->busy_path = "/new-order";
    k->busy_status = 429;
    k->busy_retry_after = seconds;
}

/* What another process does: with the entry's lock (not waiting for it),
 * stores a certificate the CA issued it for `names`; *chain receives it.
 * No assertions: a thread may still be running. */
static autocert_err store_rival(protofx *f, autocert_storage *st, const char *const *names,
                                char **chain)
{
    EVP_PKEY *key = NULL;
    char *pem = NULL;
    size_t len = 0;
    ac_ident id;
    autocert_err rc;

    *chain = NULL;
    memset(&id, 0, sizeof(id));
    if ((rc = ac_storage_lock(f->ctx, st, "certs/a.example", 0)) != AUTOCERT_OK)
        return rc;
    if ((rc = ac_key_generate(f->ctx, AUTOCERT_KEY_EC256, &key)) == AUTOCERT_OK &&
        (rc = ac_key_to_pem(f->ctx, key, &pem, &len)) == AUTOCERT_OK &&
        (rc = ac_ident_parse(f->ctx, names[0], 0, &id)) == AUTOCERT_OK) {
        if ((*chain = fakeca_issue(f->ca, pem, names, 1)) == NULL)
            rc = AUTOCERT_ERR_CRYPTO;
        else
            rc = ac_cache_cert_store(f->ctx, st, "a.example", &id, 1, FAKECA_DIRECTORY, key,
                                     *chain);
    }
    ac_storage_unlock(st, "certs/a.example");
    ac_ident_clear(&id);
    ac_free_secret(pem, len);
    EVP_PKEY_free(key);
    return rc;
}

static void test_retry_after_lets_go_of_the_lock(void **state)
{
    protofx *f = *state;
    job j = {f, A, 1, 0, NULL, AUTOCERT_ERR_INVALID, ""};
    autocert_storage *st2 = NULL;
    char *chain = NULL;
    autocert_err stored = AUTOCERT_ERR_INVALID;
    double t0 = ac_now(), took = 0;
    int seen;
    pthread_t t;

    busy_new_order(f, 2);
    assert_int_equal(autocert_storage_dir_new(f->cache, &st2), AUTOCERT_OK);
    assert_int_equal(pthread_create(&t, NULL, run_obtain, &j), 0);
    /* While the call waits out the 429, another process, through a
     * handle of its own on the same cache, gets the entry's lock at once
     * and stores a certificate. */
    if ((seen = wait_for(f, "/new-order", 1)) == 0) {
        ac_sleep_s(0.2);
        stored = store_rival(f, st2, A, &chain);
        took = ac_now() - t0;
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(seen, 0);
    assert_int_equal(stored, AUTOCERT_OK);
    assert_true(took < 2.0);

    /* The waiting call returns that certificate without ordering again. */
    if (j.rc != AUTOCERT_OK)
        fail_msg("autocert_obtain: %s", j.error);
    assert_true(ac_now() - t0 >= 1.9);
    assert_int_equal(autocert_cert_is_new(j.c), 0);
    assert_string_equal(autocert_cert_fullchain_pem(j.c), chain);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 1);
    assert_int_equal(fakeca_issued(f->ca), 0);
    assert_string_equal(j.error, "");

    autocert_cert_free(j.c);
    free(chain);
    autocert_storage_free(st2);
}

static void test_retry_after_nobody_stored(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    autocert_cert *c;

    /* A renewal: the entry did not change during the wait, the order
     * goes on. */
    k->backdate_days = 70;
    c = obtain(f, A, 2, 0);
    autocert_cert_free(c);
    k->backdate_days = 0;
    busy_new_order(f, 1);
    c = obtain(f, A, 2, 0);
    assert_int_equal(autocert_cert_is_new(c), 1);
    assert_true(autocert_cert_not_after(c) > time(NULL) + 89 * DAY);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 3);
    assert_string_equal(autocert_last_error(f->ctx), "");
    autocert_cert_free(c);
}

static void test_retry_after_forced_over_corrupt_entry(void **state)
{
    protofx *f = *state;
    autocert_cert *c = obtain(f, A, 2, 0);

    /* Replacing an unreadable entry, as forced, survives a wait too. */
    autocert_cert_free(c);
    overwrite(f, "certs/a.example/fullchain.pem", "not a certificate\n");
    busy_new_order(f, 1);
    c = obtain(f, A, 2, AUTOCERT_OBTAIN_FORCE);
    assert_int_equal(autocert_cert_is_new(c), 1);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 3);
    autocert_cert_free(c);
}

static void test_two_threads_same_names(void **state)
{
    protofx *f = *state;
    job j[2] = {{f, A, 2, 0, NULL, AUTOCERT_ERR_INVALID, ""},
                {f, A, 2, 0, NULL, AUTOCERT_ERR_INVALID, ""}};
    pthread_t t[2];
    int i;

    /* Both reach the entry's lock before either holds it. */
    protofx_gate_install(f, "certs/", 2);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_obtain, &j[i]), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(protofx_gate_arrived(f), 2);
    for (i = 0; i < 2; i++)
        if (j[i].rc != AUTOCERT_OK)
            fail_msg("autocert_obtain: %s", j[i].error);
    /* One ordered, the other found its certificate. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 1);
    assert_int_equal(fakeca_issued(f->ca), 1);
    assert_int_equal(autocert_cert_is_new(j[0].c) + autocert_cert_is_new(j[1].c), 1);
    assert_string_equal(autocert_cert_fullchain_pem(j[0].c), autocert_cert_fullchain_pem(j[1].c));
    for (i = 0; i < 2; i++)
        autocert_cert_free(j[i].c);
}

static void test_two_threads_other_names(void **state)
{
    protofx *f = *state;
    job j[2] = {{f, A, 2, 0, NULL, AUTOCERT_ERR_INVALID, ""},
                {f, B, 1, 0, NULL, AUTOCERT_ERR_INVALID, ""}};
    char **names = NULL;
    size_t n = 0;
    pthread_t t[2];
    int i;

    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_obtain, &j[i]), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (i = 0; i < 2; i++) {
        if (j[i].rc != AUTOCERT_OK)
            fail_msg("autocert_obtain: %s", j[i].error);
        assert_int_equal(autocert_cert_is_new(j[i].c), 1);
        autocert_cert_free(j[i].c);
    }
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 2);
    assert_int_equal(fakeca_accounts(f->ca), 1);
    assert_int_equal(autocert_cert_list(f->ctx, &names, &n), AUTOCERT_OK);
    assert_int_equal(n, 2);
    assert_true(strcmp(names[0], "a.example") == 0 || strcmp(names[1], "a.example") == 0);
    assert_true(strcmp(names[0], "b.example") == 0 || strcmp(names[1], "b.example") == 0);
    autocert_strv_free(names, n);
}

/* Any valid name works: the longest DNS allows (253 characters) is stored,
 * found again, and renewed like any other (the cache once refused names
 * over 200 characters with a misleading message). */
static void test_longest_name(void **state)
{
    protofx *f = *state;
    char name[254];
    const char *names[1] = {name};
    autocert_cert *c;
    size_t i;

    for (i = 0; i < 253; i++)
        name[i] = (i + 1) % 62 == 0 ? '.' : (char)('a' + i % 26);
    name[253] = '\0';
    assert_int_equal(strlen(name), 253);
    c = obtain(f, names, 1, 0);
    assert_int_equal(autocert_cert_is_new(c), 1);
    assert_string_equal(autocert_cert_name(c), name);
    autocert_cert_free(c);
    c = obtain(f, names, 1, 0);
    assert_int_equal(autocert_cert_is_new(c), 0);
    autocert_cert_free(c);
    c = obtain(f, names, 1, AUTOCERT_OBTAIN_FORCE);
    assert_int_equal(autocert_cert_is_new(c), 1);
    autocert_cert_free(c);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 2);
}

/* ---- wildcards over DNS-01 ------------------------------------------------------------ */

/* A wildcard is refused before any request unless DNS-01 answers; with it,
 * the certificate names exactly what was asked, under the entry "+.<base>",
 * found again by the wildcard's name. */
static void test_wildcard_needs_dns01(void **state)
{
    protofx *f = *state;
    const char *const names[] = {"*.w.example", "w.example"};
    autocert_cert *c = NULL;
    char log[128], *pem;

    assert_int_equal(autocert_obtain(f->ctx, names, 2, 0, &c), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "only with the dns-01 challenge"));
    assert_int_equal(fakeca_nreq(f->ca), 0);

    snprintf(log, sizeof(log), "%s/hook.log", f->dir);
    setenv("HOOK_LOG", log, 1);
    assert_int_equal(autocert_set_challenge(f->ctx, "dns-01"), AUTOCERT_OK);
    /* No hook yet: refused before any request too. */
    assert_int_equal(autocert_obtain(f->ctx, names, 2, 0, &c), AUTOCERT_ERR_INVALID);
    assert_int_equal(fakeca_nreq(f->ca), 0);
    assert_int_equal(autocert_set_dns_hook(f->ctx, "echo \"$1 $2 $3\" >>\"$HOOK_LOG\""),
                     AUTOCERT_OK);
    fakeca_knobs_of(f->ca)->chal_type = "dns-01";
    fakeca_knobs_of(f->ca)->dns_log = log;
    c = obtain(f, names, 2, 0);
    assert_string_equal(autocert_cert_name(c), "+.w.example");
    assert_int_equal(autocert_cert_identifier_count(c), 2);
    assert_string_equal(autocert_cert_identifier(c, 0), "*.w.example");
    autocert_cert_free(c);
    assert_non_null(pem = protofx_cache_file(f, "certs/+.w.example/cert.pem"));
    free(pem);
    assert_int_equal(autocert_cert_load(f->ctx, "*.W.example.", &c), AUTOCERT_OK);
    assert_string_equal(autocert_cert_name(c), "+.w.example");
    autocert_cert_free(c);
    /* By the entry's own name, as autocert_cert_list gives it. */
    assert_int_equal(autocert_cert_info(f->ctx, "+.w.example", &c), AUTOCERT_OK);
    assert_string_equal(autocert_cert_identifier(c, 0), "*.w.example");
    autocert_cert_free(c);
    assert_int_equal(autocert_cert_info(f->ctx, "+.", &c), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_cert_info(f->ctx, "+x.w.example", &c), AUTOCERT_ERR_INVALID);
    unlink(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_obtain_stores_the_entry, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_second_obtain_makes_no_request, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_other_names_replace_the_entry, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_other_directory_replaces_the_entry, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_force_orders_anyway, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_account_unknown_to_the_ca, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_renewed_near_its_end, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_short_lived_renewal, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_longest_name, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_wildcard_needs_dns01, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_broken_entry_replaced, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_due_by_the_lifetime_rule, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_due_by_the_stored_window, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test(test_covers),
        cmocka_unit_test_setup_teardown(test_retry_after_lets_go_of_the_lock, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_nobody_stored, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_forced_over_corrupt_entry, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_two_threads_same_names, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_two_threads_other_names, protofx_setup,
                                        protofx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
