/* test_revoke.c: autocert_revoke: revokeCert signed with the account key or the certificate's, the entry marked and replaced by the next obtain, against a CA in memory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "cache.h"
#include "fakeca.h"
#include "protofx.h"

static const char *const A[] = {"a.example", "www.a.example"};

static void obtain_a(protofx *f)
{
    autocert_cert *c = NULL;

    if (autocert_obtain(f->ctx, A, 2, 0, &c) != AUTOCERT_OK)
        fail_msg("autocert_obtain: %s", autocert_last_error(f->ctx));
    autocert_cert_free(c);
}

/* The metadata of entry a.example. */
static json_t *meta_a(protofx *f)
{
    char *text = protofx_cache_file(f, "certs/a.example/meta.json");
    json_t *j;

    assert_non_null(text);
    j = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(j);
    return j;
}

/* The protected header of the last revokeCert request. */
static json_t *last_revoke_hdr(protofx *f)
{
    long i = -1, k;

    while ((k = fakeca_find(f->ca, "POST", "/revoke", (size_t)(i + 1))) >= 0)
        i = k;
    assert_true(i >= 0);
    return fakeca_req_at(f->ca, (size_t)i)->protected_hdr;
}

/* ---- the account key ---------------------------------------------------------- */

static void test_revoke_with_account_key_marks_the_entry(void **state)
{
    protofx *f = *state;
    autocert_cert *info = NULL;
    json_t *m, *hdr;
    int reason = -2;
    time_t t0 = time(NULL);

    obtain_a(f);
    assert_int_equal(autocert_revoke(f->ctx, "A.example.", AUTOCERT_REASON_KEY_COMPROMISE, 0),
                     AUTOCERT_OK);
    assert_int_equal(fakeca_revoked(f->ca, &reason), 1);
    assert_int_equal(reason, 1);
    /* Signed by the account: its URL as kid, no key embedded. */
    hdr = last_revoke_hdr(f);
    assert_non_null(json_object_get(hdr, "kid"));
    assert_null(json_object_get(hdr, "jwk"));
    /* Marked in meta.json, and seen through the public handle. */
    m = meta_a(f);
    assert_true(json_integer_value(json_object_get(m, "revoked_at")) >= t0);
    assert_string_equal(json_string_value(json_object_get(m, "revoked_reason")), "keyCompromise");
    assert_non_null(json_object_get(m, "names"));
    json_decref(m);
    assert_int_equal(autocert_cert_info(f->ctx, "a.example", &info), AUTOCERT_OK);
    assert_true(autocert_cert_revoked_at(info) >= t0);
    /* Due since its revocation, whatever its expiry (renewal reads this). */
    assert_true(info->due_at == autocert_cert_revoked_at(info));
    autocert_cert_free(info);
    /* The entry still loads whole: only the metadata changed. */
    assert_int_equal(autocert_cert_load(f->ctx, "a.example", &info), AUTOCERT_OK);
    autocert_cert_free(info);
}

static void test_obtain_after_revoke_orders_anew(void **state)
{
    protofx *f = *state;
    autocert_cert *c = NULL;
    json_t *m;

    obtain_a(f);
    assert_int_equal(autocert_revoke(f->ctx, "a.example", AUTOCERT_REASON_SUPERSEDED, 0),
                     AUTOCERT_OK);
    assert_int_equal(autocert_obtain(f->ctx, A, 2, 0, &c), AUTOCERT_OK);
    assert_int_equal(autocert_cert_is_new(c), 1);
    assert_int_equal(autocert_cert_revoked_at(c), 0);
    autocert_cert_free(c);
    assert_int_equal(fakeca_issued(f->ca), 2);
    /* The new generation carries no mark: the next obtain finds it good. */
    m = meta_a(f);
    assert_null(json_object_get(m, "revoked_at"));
    assert_null(json_object_get(m, "revoked_reason"));
    json_decref(m);
    assert_int_equal(autocert_obtain(f->ctx, A, 2, 0, &c), AUTOCERT_OK);
    assert_int_equal(autocert_cert_is_new(c), 0);
    autocert_cert_free(c);
    assert_int_equal(fakeca_issued(f->ca), 2);
}

static void test_renew_after_revoke(void **state)
{
    protofx *f = *state;
    autocert_renew_info info;

    obtain_a(f);
    autocert_renew_info_init(&info);
    assert_int_equal(autocert_renew(f->ctx, "a.example", 0, &info), AUTOCERT_OK);
    assert_int_equal(info.outcome, AUTOCERT_RENEW_NOT_DUE);
    assert_int_equal(autocert_revoke(f->ctx, "a.example", AUTOCERT_REASON_SUPERSEDED, 0),
                     AUTOCERT_OK);
    autocert_renew_info_init(&info);
    assert_int_equal(autocert_renew(f->ctx, "a.example", 0, &info), AUTOCERT_OK);
    assert_int_equal(info.outcome, AUTOCERT_RENEW_RENEWED);
    assert_string_equal(info.why, "revoked");
    assert_int_equal(fakeca_issued(f->ca), 2);
    /* The renewed certificate is not due. */
    autocert_renew_info_init(&info);
    assert_int_equal(autocert_renew(f->ctx, "a.example", 0, &info), AUTOCERT_OK);
    assert_int_equal(info.outcome, AUTOCERT_RENEW_NOT_DUE);
}

static void test_no_cached_account_no_request(void **state)
{
    protofx *f = *state;
    char path[256];
    size_t before;
    json_t *m;

    obtain_a(f);
    snprintf(path, sizeof(path), "%s/accounts", f->cache);
    assert_int_equal(ac_remove_tree(path), 0);
    before = fakeca_accounts(f->ca);
    assert_int_equal(autocert_revoke(f->ctx, "a.example", AUTOCERT_REASON_UNSPECIFIED, 0),
                     AUTOCERT_ERR_NOT_FOUND);
    assert_non_null(strstr(autocert_last_error(f->ctx), "no account"));
    /* No account registered for it, nothing revoked, nothing marked. */
    assert_int_equal(fakeca_accounts(f->ca), before);
    assert_int_equal(fakeca_count(f->ca, "POST", "/revoke"), 0);
    m = meta_a(f);
    assert_null(json_object_get(m, "revoked_at"));
    json_decref(m);
    /* The certificate's own key needs no account. */
    assert_int_equal(autocert_revoke(f->ctx, "a.example", AUTOCERT_REASON_UNSPECIFIED,
                                     AUTOCERT_REVOKE_CERT_KEY), AUTOCERT_OK);
    assert_int_equal(fakeca_revoked(f->ca, NULL), 1);
}

/* ---- the certificate key -------------------------------------------------------- */

static void test_revoke_with_cert_key(void **state)
{
    protofx *f = *state;
    char *pem = protofx_cache_file(f, "certs/a.example/privkey.pem");
    EVP_PKEY *key = NULL;
    char *want = NULL;
    json_t *hdr, *jwk;
    int reason = -2;

    assert_null(pem);
    obtain_a(f);
    pem = protofx_cache_file(f, "certs/a.example/privkey.pem");
    assert_non_null(pem);
    assert_int_equal(autocert_revoke(f->ctx, "a.example", AUTOCERT_REASON_CESSATION_OF_OPERATION,
                                     AUTOCERT_REVOKE_CERT_KEY), AUTOCERT_OK);
    assert_int_equal(fakeca_revoked(f->ca, &reason), 1);
    assert_int_equal(reason, 5);
    /* The certificate's public key embedded, no account named. */
    hdr = last_revoke_hdr(f);
    assert_null(json_object_get(hdr, "kid"));
    jwk = json_object_get(hdr, "jwk");
    assert_non_null(jwk);
    assert_int_equal(ac_key_from_pem(f->ctx, pem, strlen(pem), "key", &key), AUTOCERT_OK);
    assert_int_equal(ac_jwk_thumbprint(f->ctx, key, &want), AUTOCERT_OK);
    {
        json_t *mine = ac_jwk(key);
        assert_true(json_equal(mine, jwk));
        json_decref(mine);
    }
    free(want);
    EVP_PKEY_free(key);
    free(pem);
}

/* ---- refusals --------------------------------------------------------------------- */

/* Clears the mark from meta.json, as if the CA had revoked it otherwise. */
static void unmark(protofx *f)
{
    autocert_storage *st = NULL;
    ac_cert_meta m;

    assert_int_equal(ac_storage(f->ctx, &st), AUTOCERT_OK);
    assert_int_equal(ac_cache_meta_load(f->ctx, st, "a.example", &m), AUTOCERT_OK);
    m.revoked_at = 0;
    free(m.revoked_reason);
    m.revoked_reason = NULL;
    json_object_del(m.doc, "revoked_at");
    json_object_del(m.doc, "revoked_reason");
    assert_int_equal(ac_cache_meta_update(f->ctx, st, "a.example", &m), AUTOCERT_OK);
    ac_cert_meta_clear(&m);
}

static void test_already_revoked_still_marks(void **state)
{
    protofx *f = *state;
    json_t *m;

    obtain_a(f);
    assert_int_equal(autocert_revoke(f->ctx, "a.example", AUTOCERT_REASON_UNSPECIFIED, 0),
                     AUTOCERT_OK);
    unmark(f);
    m = meta_a(f);
    assert_null(json_object_get(m, "revoked_at"));
    json_decref(m);
    assert_int_equal(autocert_revoke(f->ctx, "a.example", AUTOCERT_REASON_SUPERSEDED, 0),
                     AUTOCERT_ERR_ACME);
    assert_string_equal(autocert_last_problem_type(f->ctx),
                        "urn:ietf:params:acme:error:alreadyRevoked");
    assert_non_null(strstr(autocert_last_error(f->ctx), "alreadyRevoked"));
    m = meta_a(f);
    assert_true(json_integer_value(json_object_get(m, "revoked_at")) > 0);
    assert_string_equal(json_string_value(json_object_get(m, "revoked_reason")), "superseded");
    json_decref(m);
    assert_int_equal(fakeca_revoked(f->ca, NULL), 1);
}

static void test_refused_revocation_leaves_the_entry(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    json_t *m;

    obtain_a(f);
    k->busy = 1;
    k->busy_path = "/revoke";
    k->busy_status = 503;
    k->busy_retry_after = -1;
    assert_int_not_equal(autocert_revoke(f->ctx, "a.example", AUTOCERT_REASON_UNSPECIFIED, 0),
                         AUTOCERT_OK);
    assert_int_equal(fakeca_revoked(f->ca, NULL), 0);
    m = meta_a(f);
    assert_null(json_object_get(m, "revoked_at"));
    json_decref(m);
}

static void test_no_entry_no_request(void **state)
{
    protofx *f = *state;

    assert_int_equal(autocert_revoke(f->ctx, "nothing.example", AUTOCERT_REASON_UNSPECIFIED, 0),
                     AUTOCERT_ERR_NOT_FOUND);
    assert_non_null(strstr(autocert_last_error(f->ctx), "nothing.example"));
    assert_int_equal(fakeca_nreq(f->ca), 0);
    assert_int_equal(autocert_revoke(f->ctx, "bad name!", AUTOCERT_REASON_UNSPECIFIED, 0),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(fakeca_nreq(f->ca), 0);
}

static void test_reasons(void **state)
{
    protofx *f = *state;
    static const char *const names[] = {"unspecified", "keyCompromise", "affiliationChanged",
                                        "superseded", "cessationOfOperation"};
    static const int codes[] = {0, 1, 3, 4, 5};
    autocert_revoke_reason r;
    size_t i;

    for (i = 0; i < 5; i++) {
        assert_int_equal(autocert_revoke_reason_parse(names[i], &r), AUTOCERT_OK);
        assert_int_equal((int)r, codes[i]);
        assert_string_equal(autocert_revoke_reason_name(r), names[i]);
    }
    assert_int_equal(autocert_revoke_reason_parse("KEYCOMPROMISE", &r), AUTOCERT_OK);
    assert_int_equal(r, AUTOCERT_REASON_KEY_COMPROMISE);
    assert_int_equal(autocert_revoke_reason_parse("cACompromise", &r), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_revoke_reason_parse("", &r), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_revoke_reason_parse(NULL, &r), AUTOCERT_ERR_INVALID);
    assert_string_equal(autocert_revoke_reason_name((autocert_revoke_reason)2), "unknown");
    /* A reason a subscriber may not give is refused before any request. */
    obtain_a(f);
    i = fakeca_nreq(f->ca);
    assert_int_equal(autocert_revoke(f->ctx, "a.example", (autocert_revoke_reason)2, 0),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(fakeca_nreq(f->ca), i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_revoke_with_account_key_marks_the_entry,
                                        protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_obtain_after_revoke_orders_anew, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_renew_after_revoke, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_no_cached_account_no_request, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_revoke_with_cert_key, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_already_revoked_still_marks, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_refused_revocation_leaves_the_entry, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_no_entry_no_request, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_reasons, protofx_setup, protofx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
