/* test_acme.c: the directory, nonces and the single signed-POST path, against a CA in memory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "fakeca.h"
#include "protofx.h"

/* An account on the fake CA, through the engine. */
static void with_account(protofx *f, ac_session *s)
{
    assert_int_equal(ac_session_init(s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_account_ensure(s), AUTOCERT_OK);
}

static void test_directory(void **state)
{
    protofx *f = *state;
    ac_session s;

    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_acme_directory(&s), AUTOCERT_OK);
    assert_string_equal(s.dir.new_order, FAKECA_URL "/new-order");
    assert_string_equal(s.dir.new_nonce, FAKECA_URL "/nonce");
    assert_null(s.dir.terms_of_service);
    /* Fetched once a session. */
    assert_int_equal(ac_acme_directory(&s), AUTOCERT_OK);
    assert_int_equal(fakeca_count(f->ca, "GET", "/dir"), 1);
    ac_session_cleanup(&s);
}

/* A session with the (cached) account that places two orders. */
static void two_orders(protofx *f)
{
    ac_ident id = {AC_ID_DNS, (char *)"a.example"};
    ac_session s;
    ac_order o;

    with_account(f, &s);
    assert_int_equal(ac_order_new(&s, &id, 1, NULL, &o), AUTOCERT_OK);
    ac_order_clear(&o);
    assert_int_equal(ac_order_new(&s, &id, 1, NULL, &o), AUTOCERT_OK);
    ac_order_clear(&o);
    ac_session_cleanup(&s);
}

static void test_nonce_reuse(void **state)
{
    protofx *f = *state;

    /* The directory's Replay-Nonce serves the first POST: no HEAD; every
     * later POST reuses the nonce of the previous response. */
    two_orders(f);
    assert_int_equal(fakeca_count(f->ca, "HEAD", "/nonce"), 0);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 2);

    /* Without one there (the account is cached now: no newAccount), one
     * HEAD newNonce for the session. */
    fakeca_knobs_of(f->ca)->nonce_in_directory = 0;
    two_orders(f);
    assert_int_equal(fakeca_count(f->ca, "HEAD", "/nonce"), 1);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 1);
}

static void test_bad_nonce_retried(void **state)
{
    protofx *f = *state;
    ac_session s;

    fakeca_knobs_of(f->ca)->bad_nonce = 3;
    with_account(f, &s);
    /* Three rejections, then the fourth attempt registers the account. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 4);
    assert_int_equal(fakeca_accounts(f->ca), 1);
    assert_string_equal(autocert_last_error(f->ctx), "");
    ac_session_cleanup(&s);
}

static void test_bad_nonce_gives_up(void **state)
{
    protofx *f = *state;
    ac_session s;

    fakeca_knobs_of(f->ca)->bad_nonce = 1000;
    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_account_ensure(&s), AUTOCERT_ERR_ACME);
    /* One try and twenty retries, then the CA's problem is the error. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 21);
    assert_string_equal(autocert_last_problem_type(f->ctx), "urn:ietf:params:acme:error:badNonce");
    assert_int_equal(autocert_last_http_status(f->ctx), 400);
    ac_session_cleanup(&s);
}

static void test_retry_after_honoured(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    ac_session s;
    ac_order o;
    ac_ident id = {AC_ID_DNS, (char *)"a.example"};
    double t0;

    with_account(f, &s);
    k->busy = 1;
    k->busy_path = "/new-order";
    k->busy_status = 429;
    k->busy_retry_after = 1;
    t0 = ac_now();
    assert_int_equal(ac_order_new(&s, &id, 1, NULL, &o), AUTOCERT_OK);
    assert_true(ac_now() - t0 >= 0.95);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 2);
    ac_order_clear(&o);
    ac_session_cleanup(&s);
}

static void test_busy_without_retry_after(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    ac_session s;
    ac_order o;
    ac_ident id = {AC_ID_DNS, (char *)"a.example"};

    with_account(f, &s);
    k->busy = 1;
    k->busy_status = 503;
    assert_int_equal(ac_order_new(&s, &id, 1, NULL, &o), AUTOCERT_ERR_ACME);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 1);
    assert_int_equal(autocert_last_http_status(f->ctx), 503);
    assert_non_null(strstr(autocert_last_error(f->ctx), "new order: rateLimited"));
    ac_session_cleanup(&s);
}

static void test_retry_after_past_deadline(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    ac_session s;
    ac_order o;
    ac_ident id = {AC_ID_DNS, (char *)"a.example"};
    double t0;

    autocert_set_timeout(f->ctx, 3);
    with_account(f, &s);
    k->busy = 1;
    k->busy_status = 429;
    k->busy_retry_after = 3600;
    t0 = ac_now();
    /* Coming back in an hour does not fit in 3 s: fail now, not in an hour. */
    assert_int_equal(ac_order_new(&s, &id, 1, NULL, &o), AUTOCERT_ERR_ACME);
    assert_true(ac_now() - t0 < 1.0);
    assert_int_equal(autocert_last_http_status(f->ctx), 429);
    ac_session_cleanup(&s);
}

static void test_deadline(void **state)
{
    protofx *f = *state;
    ac_session s;

    autocert_set_timeout(f->ctx, 1);
    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_session_sleep(&s, 5, "something slow"), AUTOCERT_ERR_TIMEOUT);
    assert_non_null(strstr(autocert_last_error(f->ctx), "waiting for something slow"));
    s.deadline = ac_now() - 1;
    assert_int_equal(ac_acme_directory(&s), AUTOCERT_ERR_TIMEOUT);
    assert_int_equal(fakeca_nreq(f->ca), 0);
    ac_session_cleanup(&s);
}

static void test_jws_header(void **state)
{
    protofx *f = *state;
    const fakeca_req *r;
    ac_session s;
    long i;

    with_account(f, &s);
    /* newAccount carries the key, later requests the account URL. */
    i = fakeca_find(f->ca, "POST", "/new-account", 0);
    assert_true(i >= 0);
    r = fakeca_req_at(f->ca, (size_t)i);
    assert_non_null(json_object_get(r->protected_hdr, "jwk"));
    assert_null(json_object_get(r->protected_hdr, "kid"));
    assert_string_equal(json_string_value(json_object_get(r->protected_hdr, "alg")), "ES256");
    assert_string_equal(s.account.url, FAKECA_URL "/acct/1");
    {
        ac_ident id = {AC_ID_DNS, (char *)"a.example"};
        ac_order o;
        assert_int_equal(ac_order_new(&s, &id, 1, NULL, &o), AUTOCERT_OK);
        ac_order_clear(&o);
    }
    r = fakeca_req_at(f->ca, (size_t)fakeca_find(f->ca, "POST", "/new-order", 0));
    assert_string_equal(json_string_value(json_object_get(r->protected_hdr, "kid")),
                        FAKECA_URL "/acct/1");
    assert_null(json_object_get(r->protected_hdr, "jwk"));
    ac_session_cleanup(&s);
}

/* Signed requests never travel in clear: a directory handing out http://
 * URLs gets none sent there, unless plain http was allowed (a test CA). */
static void test_https_only(void **state)
{
    protofx *f = *state;
    ac_session s;
    size_t i;

    fakeca_knobs_of(f->ca)->plain_http = 1;
    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_account_ensure(&s), AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "http://ca.test/"));
    assert_non_null(strstr(autocert_last_error(f->ctx), "not an https URL"));
    for (i = 0; i < fakeca_nreq(f->ca); i++)
        assert_string_not_equal(fakeca_req_at(f->ca, i)->method, "POST");
    ac_session_cleanup(&s);

    /* The directory URL itself. */
    autocert_set_directory(f->ctx, FAKECA_HTTP_URL "/dir");
    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_acme_directory(&s), AUTOCERT_ERR_PROTOCOL);
    ac_session_cleanup(&s);

    autocert_set_allow_http(f->ctx, 1);
    with_account(f, &s);
    assert_int_equal(fakeca_accounts(f->ca), 1);
    ac_session_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_directory, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_nonce_reuse, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_nonce_retried, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_nonce_gives_up, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_honoured, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_busy_without_retry_after, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_past_deadline, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_deadline, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_jws_header, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_https_only, protofx_setup, protofx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
