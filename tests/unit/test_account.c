/* test_account.c: the ACME account: registration payload, terms, External Account Binding, the cached account and its lock, against a CA in memory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "acme/acme.h"
#include "cache.h"
#include "fakeca.h"
#include "protofx.h"

#define EAB_KID "kid-7f3a"

/* "accounts/<id>/<item>" of the fake CA's account, relative to the cache. */
static char *account_file(protofx *f, const char *item)
{
    char *set = NULL, *rel;
    size_t n;

    assert_int_equal(ac_cache_account_set(f->ctx, FAKECA_DIRECTORY, &set), AUTOCERT_OK);
    n = strlen(set) + strlen(item) + 2;
    rel = malloc(n);
    assert_non_null(rel);
    snprintf(rel, n, "%s/%s", set, item);
    free(set);
    return rel;
}

/* The contents of an item of the account set, NULL when absent. */
static char *account_item(protofx *f, const char *item)
{
    char *rel = account_file(f, item), *data = protofx_cache_file(f, rel);

    free(rel);
    return data;
}

static void remove_account_item(protofx *f, const char *item)
{
    char *rel = account_file(f, item);
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
    assert_int_equal(unlink(path), 0);
    free(rel);
}

/* The request of the n-th POST to newAccount (from 0), which must exist. */
static const fakeca_req *new_account_req(protofx *f, int n)
{
    long i = -1;

    do
        i = fakeca_find(f->ca, "POST", "/new-account", (size_t)(i + 1));
    while (i >= 0 && n-- > 0);
    assert_true(i >= 0);
    return fakeca_req_at(f->ca, (size_t)i);
}

static autocert_err ensure(protofx *f, ac_session *s)
{
    assert_int_equal(ac_session_init(s, f->ctx, NULL), AUTOCERT_OK);
    return ac_account_ensure(s);
}

/* ---- registration ------------------------------------------------------------ */

static void test_payload_with_contact(void **state)
{
    protofx *f = *state;
    const fakeca_req *r;
    json_t *contact;
    char *meta;
    ac_session s;

    assert_int_equal(autocert_set_email(f->ctx, "ops@example.com"), AUTOCERT_OK);
    assert_int_equal(ensure(f, &s), AUTOCERT_OK);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 1);
    r = new_account_req(f, 0);
    assert_int_equal(r->status, 201);
    assert_true(json_is_true(json_object_get(r->payload, "termsOfServiceAgreed")));
    contact = json_object_get(r->payload, "contact");
    assert_true(json_is_array(contact));
    assert_int_equal(json_array_size(contact), 1);
    assert_string_equal(json_string_value(json_array_get(contact, 0)), "mailto:ops@example.com");
    assert_null(json_object_get(r->payload, "onlyReturnExisting"));
    assert_null(json_object_get(r->payload, "externalAccountBinding"));
    /* The account is the session's and the cache's. */
    assert_string_equal(s.account.url, FAKECA_URL "/acct/1");
    assert_int_equal(fakeca_accounts(f->ca), 1);
    meta = account_item(f, AC_ITEM_ACCOUNT_META);
    assert_non_null(meta);
    assert_non_null(strstr(meta, FAKECA_URL "/acct/1"));
    free(meta);
    ac_session_cleanup(&s);
}

static void test_payload_without_contact(void **state)
{
    protofx *f = *state;
    const fakeca_req *r;
    ac_session s;

    assert_int_equal(ensure(f, &s), AUTOCERT_OK);
    r = new_account_req(f, 0);
    assert_true(json_is_true(json_object_get(r->payload, "termsOfServiceAgreed")));
    assert_null(json_object_get(r->payload, "contact"));
    assert_int_equal(json_object_size(r->payload), 1);
    ac_session_cleanup(&s);
}

static void test_terms_not_agreed(void **state)
{
    protofx *f = *state;
    ac_session s;

    fakeca_knobs_of(f->ca)->tos = 1;
    autocert_set_agree_tos(f->ctx, 0);
    assert_int_equal(ensure(f, &s), AUTOCERT_ERR_TOS);
    assert_non_null(strstr(autocert_last_error(f->ctx), FAKECA_URL "/terms"));
    /* Refused before asking the CA, and nothing cached. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 0);
    assert_null(account_item(f, AC_ITEM_ACCOUNT_KEY));
    assert_null(s.account.key);
    ac_session_cleanup(&s);

    /* Agreed: the payload says so. */
    autocert_set_agree_tos(f->ctx, 1);
    assert_int_equal(ensure(f, &s), AUTOCERT_OK);
    assert_true(json_is_true(json_object_get(new_account_req(f, 0)->payload,
                                             "termsOfServiceAgreed")));
    ac_session_cleanup(&s);
}

static void test_eab_required_without_credentials(void **state)
{
    protofx *f = *state;
    ac_session s;

    fakeca_knobs_of(f->ca)->eab_required = 1;
    assert_int_equal(ensure(f, &s), AUTOCERT_ERR_EAB_REQUIRED);
    assert_non_null(strstr(autocert_last_error(f->ctx), FAKECA_DIRECTORY));
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 0);
    assert_null(account_item(f, AC_ITEM_ACCOUNT_KEY));
    ac_session_cleanup(&s);
}

/* The base64url-decoded JSON of a member of `obj`. */
static json_t *decoded(json_t *obj, const char *member)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    json_t *j;

    assert_int_equal(ac_b64url_decode(json_string_value(json_object_get(obj, member)), &raw, &len),
                     AUTOCERT_OK);
    j = json_loadb((const char *)raw, len, 0, NULL);
    assert_non_null(j);
    free(raw);
    return j;
}

static void test_eab_binding(void **state)
{
    protofx *f = *state;
    static const unsigned char mac_key[32] = "0123456789abcdef0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0, n;
    char *hmac64 = NULL, *input = NULL, *sig64 = NULL;
    const fakeca_req *r;
    json_t *eab, *prot, *payload;
    const char *p64, *pl64;
    ac_session s;

    fakeca_knobs_of(f->ca)->eab_required = 1;
    assert_int_equal(ac_b64url_encode(mac_key, sizeof(mac_key), &hmac64), AUTOCERT_OK);
    assert_int_equal(autocert_set_eab(f->ctx, EAB_KID, hmac64), AUTOCERT_OK);
    assert_int_equal(ensure(f, &s), AUTOCERT_OK);
    assert_int_equal(fakeca_accounts(f->ca), 1);

    r = new_account_req(f, 0);
    eab = json_object_get(r->payload, "externalAccountBinding");
    assert_true(json_is_object(eab));
    prot = decoded(eab, "protected");
    assert_string_equal(json_string_value(json_object_get(prot, "alg")), "HS256");
    assert_string_equal(json_string_value(json_object_get(prot, "kid")), EAB_KID);
    assert_string_equal(json_string_value(json_object_get(prot, "url")), FAKECA_URL "/new-account");
    assert_null(json_object_get(prot, "nonce"));
    /* It binds the account's own key: the jwk of the outer JWS. */
    payload = decoded(eab, "payload");
    assert_non_null(json_object_get(r->protected_hdr, "jwk"));
    assert_true(json_equal(payload, json_object_get(r->protected_hdr, "jwk")));
    /* And the MAC is HMAC-SHA256 with the CA's key over "protected.payload". */
    p64 = json_string_value(json_object_get(eab, "protected"));
    pl64 = json_string_value(json_object_get(eab, "payload"));
    n = strlen(p64) + strlen(pl64) + 2;
    assert_non_null(input = malloc(n));
    snprintf(input, n, "%s.%s", p64, pl64);
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, mac_key, sizeof(mac_key),
                              (const unsigned char *)input, strlen(input), mac, sizeof(mac),
                              &mac_len));
    assert_int_equal(ac_b64url_encode(mac, mac_len, &sig64), AUTOCERT_OK);
    assert_string_equal(json_string_value(json_object_get(eab, "signature")), sig64);

    free(sig64);
    free(input);
    free(hmac64);
    json_decref(prot);
    json_decref(payload);
    ac_session_cleanup(&s);
}

/* ---- the cached account ----------------------------------------------------- */

static void test_cached_account(void **state)
{
    protofx *f = *state;
    ac_session s1, s2;

    assert_int_equal(ensure(f, &s1), AUTOCERT_OK);
    assert_int_equal(ensure(f, &s2), AUTOCERT_OK);
    /* The second session asks nothing of the CA about its account. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 1);
    assert_int_equal(fakeca_accounts(f->ca), 1);
    assert_string_equal(s2.account.url, s1.account.url);
    assert_int_equal(EVP_PKEY_eq(s1.account.key, s2.account.key), 1);
    ac_session_cleanup(&s1);
    ac_session_cleanup(&s2);
}

static void test_key_only_looked_up(void **state)
{
    protofx *f = *state;
    char *key_before, *key_after, *meta;
    const fakeca_req *r;
    ac_session s;

    assert_int_equal(ensure(f, &s), AUTOCERT_OK);
    ac_session_cleanup(&s);
    remove_account_item(f, AC_ITEM_ACCOUNT_META);
    key_before = account_item(f, AC_ITEM_ACCOUNT_KEY);
    assert_non_null(key_before);

    assert_int_equal(ensure(f, &s), AUTOCERT_OK);
    /* One lookup, nothing registered. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 2);
    r = new_account_req(f, 1);
    assert_int_equal(r->status, 200);
    assert_true(json_is_true(json_object_get(r->payload, "onlyReturnExisting")));
    assert_int_equal(json_object_size(r->payload), 1);
    assert_int_equal(fakeca_accounts(f->ca), 1);
    assert_string_equal(s.account.url, FAKECA_URL "/acct/1");
    /* The URL is cached again, the key is the same file. */
    meta = account_item(f, AC_ITEM_ACCOUNT_META);
    assert_non_null(meta);
    assert_non_null(strstr(meta, FAKECA_URL "/acct/1"));
    key_after = account_item(f, AC_ITEM_ACCOUNT_KEY);
    assert_string_equal(key_after, key_before);
    ac_session_cleanup(&s);

    /* From now on the account is cached whole. */
    assert_int_equal(ensure(f, &s), AUTOCERT_OK);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 2);
    ac_session_cleanup(&s);
    free(meta);
    free(key_before);
    free(key_after);
}

static void test_key_unknown_to_the_ca(void **state)
{
    protofx *f = *state;
    autocert_storage *st = NULL;
    EVP_PKEY *key = NULL;
    char *pem = NULL, *set = NULL, *after;
    size_t len = 0;
    autocert_item item;
    ac_session s;

    /* A key in the cache that this CA has never seen (its account.json lost). */
    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_EC256, &key), AUTOCERT_OK);
    assert_int_equal(ac_key_to_pem(f->ctx, key, &pem, &len), AUTOCERT_OK);
    assert_int_equal(ac_storage(f->ctx, &st), AUTOCERT_OK);
    assert_int_equal(ac_cache_account_set(f->ctx, FAKECA_DIRECTORY, &set), AUTOCERT_OK);
    item = (autocert_item){AC_ITEM_ACCOUNT_KEY, pem, len, 1};
    assert_int_equal(ac_storage_store(f->ctx, st, set, &item, 1), AUTOCERT_OK);

    assert_int_not_equal(ensure(f, &s), AUTOCERT_OK);
    assert_string_equal(autocert_last_problem_type(f->ctx),
                        "urn:ietf:params:acme:error:accountDoesNotExist");
    assert_non_null(strstr(autocert_last_error(f->ctx), "account lookup"));
    /* The lookup, and no registration with a new key in its place. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 1);
    assert_true(json_is_true(json_object_get(new_account_req(f, 0)->payload,
                                             "onlyReturnExisting")));
    assert_int_equal(fakeca_accounts(f->ca), 0);
    assert_null(s.account.key);
    after = account_item(f, AC_ITEM_ACCOUNT_KEY);
    assert_non_null(after);
    assert_string_equal(after, pem);
    assert_null(account_item(f, AC_ITEM_ACCOUNT_META));
    ac_session_cleanup(&s);

    free(after);
    free(set);
    ac_free_secret(pem, len);
    EVP_PKEY_free(key);
}

/* ---- two registrations at once ------------------------------------------------- */

typedef struct {
    protofx *f;
    ac_session s;
    autocert_err rc;
} racer;

static void *race(void *arg)
{
    racer *r = arg;

    r->rc = ac_session_init(&r->s, r->f->ctx, NULL);
    if (r->rc == AUTOCERT_OK)
        r->rc = ac_account_ensure(&r->s);
    return NULL;
}

static void test_concurrent_registration(void **state)
{
    protofx *f = *state;
    racer r[2];
    pthread_t t[2];
    int i;

    memset(r, 0, sizeof(r));
    r[0].f = r[1].f = f;
    /* Both sessions find no account, then meet at its lock. */
    protofx_gate_install(f, "accounts/", 2);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(protofx_gate_arrived(f), 2);
    assert_int_equal(r[0].rc, AUTOCERT_OK);
    assert_int_equal(r[1].rc, AUTOCERT_OK);
    /* The second to get the lock found the first one's account. */
    assert_int_equal(fakeca_accounts(f->ca), 1);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-account"), 1);
    assert_string_equal(r[0].s.account.url, r[1].s.account.url);
    assert_int_equal(EVP_PKEY_eq(r[0].s.account.key, r[1].s.account.key), 1);
    for (i = 0; i < 2; i++)
        ac_session_cleanup(&r[i].s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_payload_with_contact, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_payload_without_contact, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_terms_not_agreed, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_eab_required_without_credentials, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_eab_binding, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_cached_account, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_key_only_looked_up, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_key_unknown_to_the_ca, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_registration, protofx_setup,
                                        protofx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
