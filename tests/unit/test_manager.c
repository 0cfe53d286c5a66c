/* test_manager.c: the server manager against a CA in memory: host policy, loading and lookup, the worker obtaining, pick-up of certificates another process stored, prompt shutdown. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mgrfx.h"
#include "manager/manager.h"
#include "storage/storage.h"

static const char *const AB[] = {"a.example", "b.example"};

/* ---- the host policy --------------------------------------------------------------- */

static void refused(protofx *f, autocert_manager *m, const char *name, autocert_err want)
{
    const char *names[] = {"ok.example", name};

    assert_int_equal(autocert_manager_set_hosts(m, names, 2), want);
    if (strstr(autocert_last_error(f->ctx), name) == NULL)
        fail_msg("'%s' refused without naming it: %s", name, autocert_last_error(f->ctx));
}

static void test_policy_refuses_bad_names(void **state)
{
    protofx *f = *state;
    autocert_manager *m = NULL;
    const char *none[] = {NULL};

    assert_int_equal(autocert_manager_new(f->ctx, &m), AUTOCERT_OK);
    refused(f, m, "192.0.2.7", AUTOCERT_ERR_INVALID);
    refused(f, m, "2001:db8::7", AUTOCERT_ERR_INVALID);
    refused(f, m, "*.wild.example", AUTOCERT_ERR_INVALID);
    refused(f, m, "bad_name!.example", AUTOCERT_ERR_INVALID);
    refused(f, m, "-dash.example", AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_manager_set_hosts(m, none, 0), AUTOCERT_ERR_NO_NAMES);
    /* Nothing was set: start refuses. */
    assert_int_equal(autocert_manager_start(m), AUTOCERT_ERR_NO_NAMES);
    assert_int_equal(autocert_manager_count(m), 0);
    autocert_manager_free(m);
    autocert_manager_free(NULL);
}

/* What may be done once, or only before start; a failed start leaves
 * nothing running. */
static void test_start_rules(void **state)
{
    protofx *f = *state;
    const char *a[] = {"a.example"};
    autocert_manager *m = NULL, *m2 = NULL;
    SSL_CTX *sctx = mgrfx_server_ctx();

    /* A webroot that is not there: the responder's check fails. */
    assert_int_equal(autocert_set_webroot(f->ctx, "/nonexistent/www"), AUTOCERT_OK);
    assert_int_equal(autocert_manager_new(f->ctx, &m), AUTOCERT_OK);
    assert_int_equal(autocert_manager_set_hosts(m, a, 1), AUTOCERT_OK);
    assert_int_equal(autocert_manager_start(m), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "/nonexistent/www"));
    assert_null(f->ctx->responder);
    autocert_manager_free(m);
    assert_int_equal(autocert_set_webroot(f->ctx, f->webroot), AUTOCERT_OK);
    /* Once started: no second start, no new hosts, no attaching. */
    m = mgrfx_manager(f, a, 1, NULL);
    assert_int_equal(autocert_manager_start(m), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_manager_set_hosts(m, a, 1), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_openssl_attach(m, sctx, NULL, 0), AUTOCERT_ERR_INVALID);
    /* One responder a context: a second manager on it does not start. */
    assert_int_equal(autocert_manager_new(f->ctx, &m2), AUTOCERT_OK);
    assert_int_equal(autocert_manager_set_hosts(m2, a, 1), AUTOCERT_OK);
    assert_int_equal(autocert_manager_start(m2), AUTOCERT_ERR_EXISTS);
    autocert_manager_free(m2);
    assert_non_null(f->ctx->responder);
    mgrfx_done(m);
    assert_null(f->ctx->responder);
    SSL_CTX_free(sctx);
}

/* Hosts are normalized (case, one trailing dot) and lookups by SNI too. */
static void test_policy_normalizes(void **state)
{
    protofx *f = *state;
    const char *hosts[] = {"A.Example.", "a.example", "B.EXAMPLE"};
    autocert_manager *m;
    char *chain = NULL, *key = NULL;
    size_t before;

    mgrfx_obtain(f, "a.example");
    mgrfx_obtain(f, "b.example");
    before = fakeca_nreq(f->ca);
    m = mgrfx_manager(f, hosts, 3, NULL);
    assert_int_equal(m->tab.n, 2); /* the repeat is dropped */
    assert_int_equal(autocert_manager_count(m), 2);
    assert_int_equal(autocert_manager_lookup(m, "A.EXAMPLE.", &chain, &key), AUTOCERT_OK);
    free(chain);
    autocert_secret_free(key);
    assert_int_equal(autocert_manager_lookup(m, "b.Example", &chain, &key), AUTOCERT_OK);
    free(chain);
    autocert_secret_free(key);
    assert_int_equal(autocert_manager_lookup(m, "a.example..", &chain, &key),
                     AUTOCERT_ERR_NOT_FOUND);
    assert_null(chain);
    assert_null(key);
    mgrfx_done(m);
    assert_int_equal(fakeca_nreq(f->ca), before);
}

/* The table finds every one of many hosts by hash, and no other name. */
static void test_table_of_many(void **state)
{
    protofx *f = *state;
    char *names[1000], buf[64];
    ac_mtable t;
    size_t i;

    for (i = 0; i < 1000; i++) {
        snprintf(buf, sizeof(buf), "host%zu.example", i);
        assert_non_null(names[i] = strdup(buf));
    }
    assert_int_equal(ac_mtable_init(&t, f->ctx, names, 1000), AUTOCERT_OK);
    assert_true(t.nslot >= 2000);
    for (i = 0; i < 1000; i++) {
        ac_mhost *h = ac_mtable_find(&t, names[i]);
        assert_non_null(h);
        assert_string_equal(h->name, names[i]);
        free(names[i]);
    }
    assert_null(ac_mtable_find(&t, "host1000.example"));
    assert_null(ac_mtable_find(&t, "host1.example."));
    assert_null(ac_mtable_find(&t, ""));
    assert_int_equal(ac_mtable_count(&t), 0);
    assert_int_equal(ac_sni_fold("HOST1.Example.", buf, sizeof(buf)), 0);
    assert_non_null(ac_mtable_find(&t, buf));
    assert_int_equal(ac_sni_fold("", buf, sizeof(buf)), -1);
    ac_mtable_clear(&t);
    ac_mtable_clear(&t);
}

/* ---- loading and lookup ------------------------------------------------------------- */

/* The PEM lookup: the cached chain, and a key that fits it. */
static void check_lookup(protofx *f, autocert_manager *m, const char *name)
{
    char *chain = NULL, *key = NULL, rel[128], *cached;
    EVP_PKEY *k = NULL;

    assert_int_equal(autocert_manager_lookup(m, name, &chain, &key), AUTOCERT_OK);
    snprintf(rel, sizeof(rel), "certs/%s/fullchain.pem", name);
    assert_non_null(cached = protofx_cache_file(f, rel));
    assert_string_equal(chain, cached);
    assert_int_equal(ac_key_from_pem(f->ctx, key, strlen(key), "key", &k), AUTOCERT_OK);
    assert_true(ac_key_matches_cert(k, chain, strlen(chain)));
    EVP_PKEY_free(k);
    free(cached);
    free(chain);
    autocert_secret_free(key);
}

static void test_start_loads_the_cache(void **state)
{
    protofx *f = *state;
    autocert_manager *m;
    char *chain = NULL, *key = NULL;
    size_t before;

    mgrfx_obtain(f, "a.example");
    mgrfx_obtain(f, "b.example");
    before = fakeca_nreq(f->ca);
    m = mgrfx_manager(f, AB, 2, NULL);
    /* Served at once, from start, with an event each; no request made. */
    assert_int_equal(autocert_manager_count(m), 2);
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_LOADED), 2);
    check_lookup(f, m, "a.example");
    check_lookup(f, m, "b.example");
    assert_int_equal(autocert_manager_lookup(m, "c.example", &chain, &key), AUTOCERT_ERR_NOT_FOUND);
    assert_non_null(strstr(autocert_last_error(f->ctx), "c.example"));
    assert_int_equal(autocert_manager_lookup(m, "192.0.2.1", &chain, &key), AUTOCERT_ERR_NOT_FOUND);
    assert_string_equal(autocert_manager_challenge(m), "http-01");
    /* Outside the policy: no renewal either. */
    assert_int_equal(autocert_manager_renew(m, "c.example", AUTOCERT_RENEW_FORCE, NULL),
                     AUTOCERT_ERR_NOT_FOUND);
    usleep(300000); /* the thread's first pass */
    mgrfx_done(m);
    assert_int_equal(fakeca_nreq(f->ca), before);
}

/* An entry that names more than the host is not served but replaced. */
static void test_foreign_entry_replaced(void **state)
{
    protofx *f = *state;
    const char *both[] = {"a.example", "www.a.example"};
    const char *hosts[] = {"a.example"};
    int obtained[2] = {AUTOCERT_EVENT_OBTAINED, 1};
    autocert_manager *m;

    assert_int_equal(autocert_obtain(f->ctx, both, 2, 0, NULL), AUTOCERT_OK);
    m = mgrfx_manager(f, hosts, 1, NULL);
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_LOADED), 0);
    assert_true(mgrfx_wait(mgrfx_event_seen, m, obtained));
    assert_int_equal(autocert_manager_count(m), 1);
    check_lookup(f, m, "a.example");
    mgrfx_done(m);
}

/* ---- the worker -------------------------------------------------------------------- */

/* Who logged "obtaining a certificate": in which thread (the header says
 * the manager's background thread). */
typedef struct {
    pthread_mutex_t mu;
    pthread_t caller;
    int in_caller, in_other;
} log_threads;

static void log_thread(void *arg, autocert_log_level level, const char *msg)
{
    log_threads *t = arg;

    (void)level;
    if (strstr(msg, "obtaining a certificate") == NULL)
        return;
    pthread_mutex_lock(&t->mu);
    if (pthread_equal(pthread_self(), t->caller))
        t->in_caller++;
    else
        t->in_other++;
    pthread_mutex_unlock(&t->mu);
}

static void test_worker_obtains_missing(void **state)
{
    protofx *f = *state;
    size_t two = 2;
    autocert_manager *m;
    log_threads lt = {PTHREAD_MUTEX_INITIALIZER, pthread_self(), 0, 0};

    mgrfx_obtain(f, "a.example");
    autocert_set_logger(f->ctx, log_thread, &lt);
    m = mgrfx_manager(f, AB, 2, NULL);
    assert_true(mgrfx_wait(mgrfx_count_is, m, &two));
    pthread_mutex_lock(&lt.mu);
    assert_int_equal(lt.in_caller, 0);
    assert_int_equal(lt.in_other, 1);
    pthread_mutex_unlock(&lt.mu);
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_OBTAINED), 1);
    assert_string_equal(mgrfx_ev.last_name, "b.example");
    assert_int_equal(fakeca_issued(f->ca), 2);
    check_lookup(f, m, "b.example");
    mgrfx_done(m);
    autocert_set_logger(f->ctx, NULL, NULL); /* lt goes with this frame */
}

static void test_worker_failure_reported(void **state)
{
    protofx *f = *state;
    const char *hosts[] = {"c.example"};
    int failed[2] = {AUTOCERT_EVENT_FAILED, 1};
    autocert_manager *m;

    fakeca_knobs_of(f->ca)->order_error = "urn:ietf:params:acme:error:rejectedIdentifier";
    m = mgrfx_manager(f, hosts, 1, NULL);
    assert_true(mgrfx_wait(mgrfx_event_seen, m, failed));
    pthread_mutex_lock(&mgrfx_ev.mu);
    assert_string_equal(mgrfx_ev.last_name, "c.example");
    assert_non_null(strstr(mgrfx_ev.last_reason, "rejectedIdentifier"));
    pthread_mutex_unlock(&mgrfx_ev.mu);
    /* Backed off: no second order at once. */
    usleep(1500000);
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_FAILED), 1);
    assert_int_equal(autocert_manager_count(m), 0);
    mgrfx_done(m);
}

/* A served certificate that is due is renewed by the thread, and the new
 * one served. */
static void test_worker_renews_due(void **state)
{
    protofx *f = *state;
    const char *a[] = {"a.example"};
    int renewed[2] = {AUTOCERT_EVENT_RENEWED, 1};
    autocert_manager *m;
    X509 *before, *after;

    fakeca_knobs_of(f->ca)->backdate_days = 80; /* 10 of 90 days left: due */
    mgrfx_obtain(f, "a.example");
    fakeca_knobs_of(f->ca)->backdate_days = 0;
    m = mgrfx_manager(f, a, 1, NULL);
    before = mgrfx_served_leaf(m, "a.example");
    assert_true(mgrfx_wait(mgrfx_event_seen, m, renewed));
    after = mgrfx_served_leaf(m, "a.example");
    assert_int_not_equal(X509_cmp(before, after), 0);
    assert_int_equal(fakeca_issued(f->ca), 2);
    check_lookup(f, m, "a.example");
    /* Not due any more: nothing more is ordered, nothing picked up. */
    usleep(1500000);
    assert_int_equal(fakeca_issued(f->ca), 2);
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_LOADED), 1);
    X509_free(before);
    X509_free(after);
    mgrfx_done(m);
}

/* A renewal on demand racing the thread's: the entry's lock serializes
 * the orders, and what is served in the end is what the cache holds. */
static void test_renew_races_worker(void **state)
{
    protofx *f = *state;
    const char *a[] = {"a.example"};
    autocert_renew_info info;
    autocert_manager *m;
    int i;

    fakeca_knobs_of(f->ca)->backdate_days = 80;
    mgrfx_obtain(f, "a.example");
    fakeca_knobs_of(f->ca)->backdate_days = 0;
    m = mgrfx_manager(f, a, 1, NULL);
    for (i = 0; i < 3; i++) {
        autocert_renew_info_init(&info);
        if (autocert_manager_renew(m, "A.example", AUTOCERT_RENEW_FORCE, &info) != AUTOCERT_OK)
            fail_msg("renew: %s", autocert_last_error(f->ctx));
        assert_int_equal(info.outcome, AUTOCERT_RENEW_RENEWED);
    }
    usleep(1500000);
    check_lookup(f, m, "a.example");
    assert_true(fakeca_issued(f->ca) >= 4 && fakeca_issued(f->ca) <= 5);
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_LOADED), 1);
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_RENEWED), (int)fakeca_issued(f->ca) - 1);
    mgrfx_done(m);
}

/* A certificate stored by another process (here another context on the
 * same cache) is served within about a second. */
static void test_pickup_of_another_process(void **state)
{
    protofx *f = *state;
    const char *a[] = {"a.example"};
    int loaded[2] = {AUTOCERT_EVENT_LOADED, 2};
    autocert_ctx *other = autocert_ctx_new();
    autocert_manager *m;
    X509 *before, *after;
    double t0;

    mgrfx_obtain(f, "a.example");
    m = mgrfx_manager(f, a, 1, NULL);
    before = mgrfx_served_leaf(m, "a.example");
    fakeca_attach(f->ca, other);
    autocert_set_agree_tos(other, 1);
    autocert_set_webroot(other, f->webroot);
    assert_int_equal(autocert_set_cache_dir(other, f->cache), AUTOCERT_OK);
    assert_int_equal(autocert_obtain(other, a, 1, AUTOCERT_OBTAIN_FORCE, NULL), AUTOCERT_OK);
    t0 = ac_now();
    assert_true(mgrfx_wait(mgrfx_event_seen, m, loaded));
    assert_true(ac_now() - t0 < 3.0);
    pthread_mutex_lock(&mgrfx_ev.mu);
    assert_non_null(strstr(mgrfx_ev.last_reason, "another process"));
    pthread_mutex_unlock(&mgrfx_ev.mu);
    after = mgrfx_served_leaf(m, "a.example");
    assert_int_not_equal(X509_cmp(before, after), 0);
    check_lookup(f, m, "a.example");
    /* Seen once: no event again for the same entry. */
    usleep(1500000);
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_LOADED), 2);
    X509_free(before);
    X509_free(after);
    mgrfx_done(m);
    autocert_ctx_free(other);
}

/* A storage without files: the stamp is the validity in the metadata, and
 * the manager serves from it as from a directory. */
static void test_storage_without_files(void **state)
{
    protofx *f = *state;
    const char *a[] = {"a.example"};
    autocert_storage_ops ops = ac_dir_ops;
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    autocert_storage *st;
    autocert_manager *m;
    void *be = NULL;
    ac_stamp s0, s1, s2;

    ops.path = NULL;
    assert_int_equal(ac_dir_open(f->cache, &be, detail), AUTOCERT_OK);
    assert_non_null(st = autocert_storage_new(&ops, be));
    autocert_set_storage_take(f->ctx, st);
    ac_stamp_take(f->ctx, "a.example", &s0);
    assert_false(s0.present);
    mgrfx_obtain(f, "a.example");
    ac_stamp_take(f->ctx, "a.example", &s1);
    assert_true(s1.present);
    assert_int_equal(s1.ino, 0);
    assert_true(s1.not_after > s1.not_before);
    assert_false(ac_stamp_equal(&s0, &s1));
    sleep(1); /* the next certificate's validity starts a second later */
    assert_int_equal(autocert_obtain(f->ctx, a, 1, AUTOCERT_OBTAIN_FORCE, NULL), AUTOCERT_OK);
    ac_stamp_take(f->ctx, "a.example", &s2);
    assert_false(ac_stamp_equal(&s1, &s2));
    m = mgrfx_manager(f, a, 1, NULL);
    assert_false(m->files);
    assert_int_equal(autocert_manager_count(m), 1);
    check_lookup(f, m, "a.example");
    mgrfx_done(m);
}

/* free() while the thread waits: it returns promptly. */
static void test_free_is_prompt(void **state)
{
    protofx *f = *state;
    autocert_manager *m;
    double t0;

    mgrfx_obtain(f, "a.example");
    mgrfx_obtain(f, "b.example");
    m = mgrfx_manager(f, AB, 2, NULL);
    usleep(200000);
    t0 = ac_now();
    mgrfx_done(m);
    assert_true(ac_now() - t0 < 2.0);
    /* The responder was the manager's: the context has none left. */
    assert_null(f->ctx->responder);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy_refuses_bad_names, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_start_rules, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_policy_normalizes, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_table_of_many, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_start_loads_the_cache, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_entry_replaced, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_worker_obtains_missing, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_worker_failure_reported, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_worker_renews_due, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_renew_races_worker, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_pickup_of_another_process, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_storage_without_files, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_free_is_prompt, mgrfx_setup, mgrfx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
