/* test_cert.c: the certificate handle: accessors, name coverage, renewal time. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"

#define DIR_URL "https://acme.example/directory"
#define DAY ((time_t)86400)
#define NB ((time_t)1700000000)

/* A handle as the cache builds it, for `names` (NULL-terminated). */
static autocert_cert *cert_of(const char *const *names, const char *directory, time_t nb,
                              time_t na)
{
    autocert_cert *c = calloc(1, sizeof(*c));
    size_t n = 0;

    assert_non_null(c);
    while (names[n])
        n++;
    c->name = strdup(names[0]);
    c->ids = calloc(n, sizeof(char *));
    assert_non_null(c->ids);
    for (c->n_ids = 0; c->n_ids < n; c->n_ids++)
        c->ids[c->n_ids] = strdup(names[c->n_ids]);
    c->directory = directory ? strdup(directory) : NULL;
    c->not_before = nb;
    c->not_after = na;
    return c;
}

static void test_accessors(void **state)
{
    static const char *const names[] = {"example.com", "192.0.2.7", NULL};
    static const char key[] = "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n";
    autocert_cert *c = cert_of(names, DIR_URL, NB, NB + 90 * DAY);

    (void)state;
    c->is_new = 1;
    c->fullchain_pem = strdup("-----BEGIN CERTIFICATE-----\n...");
    c->key_pem = strdup(key);
    c->key_len = strlen(key);
    c->key_type = strdup("ec384");
    c->path_full = strdup("/c/fullchain.pem");
    c->path_key = strdup("/c/privkey.pem");
    c->path_cert = strdup("/c/cert.pem");
    c->path_chain = strdup("/c/chain.pem");

    assert_string_equal(autocert_cert_name(c), "example.com");
    assert_int_equal(autocert_cert_identifier_count(c), 2);
    assert_string_equal(autocert_cert_identifier(c, 0), "example.com");
    assert_string_equal(autocert_cert_identifier(c, 1), "192.0.2.7");
    assert_null(autocert_cert_identifier(c, 2));
    assert_null(autocert_cert_identifier(c, (size_t)-1));
    assert_int_equal(autocert_cert_not_before(c), NB);
    assert_int_equal(autocert_cert_not_after(c), NB + 90 * DAY);
    assert_int_equal(autocert_cert_is_new(c), 1);
    assert_string_equal(autocert_cert_fullchain_pem(c), "-----BEGIN CERTIFICATE-----\n...");
    assert_string_equal(autocert_cert_key_pem(c), key);
    assert_string_equal(autocert_cert_directory(c), DIR_URL);
    assert_string_equal(autocert_cert_key_type(c), "ec384");
    assert_string_equal(autocert_cert_fullchain_path(c), "/c/fullchain.pem");
    assert_string_equal(autocert_cert_key_path(c), "/c/privkey.pem");
    assert_string_equal(autocert_cert_cert_path(c), "/c/cert.pem");
    assert_string_equal(autocert_cert_chain_path(c), "/c/chain.pem");
    autocert_cert_free(c);

    /* Loaded from metadata alone: no PEMs, no paths. */
    c = cert_of(names, DIR_URL, NB, NB + DAY);
    assert_null(autocert_cert_fullchain_pem(c));
    assert_null(autocert_cert_key_pem(c));
    assert_null(autocert_cert_key_path(c));
    assert_int_equal(autocert_cert_is_new(c), 0);
    autocert_cert_free(c);
    autocert_cert_free(NULL);
}

static void ids_of(ac_ident *ids, const char *const *names, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        ids[i].type = strchr(names[i], ':') || strspn(names[i], "0123456789.") == strlen(names[i])
                          ? AC_ID_IP
                          : AC_ID_DNS;
        ids[i].value = (char *)names[i];
    }
}

static int covers(const autocert_cert *c, const char *directory, const char *const *names,
                  size_t n)
{
    ac_ident ids[8];

    assert_true(n <= 8);
    ids_of(ids, names, n);
    return ac_cert_covers(c, directory, ids, n);
}

static void test_covers(void **state)
{
    static const char *const held[] = {"example.com", "www.example.com", "192.0.2.7", NULL};
    static const char *const same[] = {"example.com", "www.example.com", "192.0.2.7"};
    static const char *const shuffled[] = {"192.0.2.7", "example.com", "www.example.com"};
    static const char *const subset[] = {"example.com", "www.example.com"};
    static const char *const superset[] = {"example.com", "www.example.com", "192.0.2.7",
                                           "mail.example.com"};
    static const char *const other[] = {"example.com", "www.example.com", "192.0.2.8"};
    static const char *const twice[] = {"example.com", "example.com", "www.example.com"};
    static const char *const held_twice[] = {"example.com", "example.com", "www.example.com",
                                             NULL};
    autocert_cert *c = cert_of(held, DIR_URL, NB, NB + 90 * DAY);

    (void)state;
    assert_true(covers(c, DIR_URL, same, 3));
    assert_true(covers(c, DIR_URL, shuffled, 3));
    assert_false(covers(c, DIR_URL, subset, 2));
    assert_false(covers(c, DIR_URL, superset, 4));
    assert_false(covers(c, DIR_URL, other, 3));
    /* A repeated name does not stand in for one the certificate has. */
    assert_false(covers(c, DIR_URL, twice, 3));
    assert_false(covers(c, DIR_URL, same, 0));
    /* Another CA. */
    assert_false(covers(c, "https://other-ca.example/directory", same, 3));
    assert_false(covers(c, DIR_URL "/", same, 3));
    autocert_cert_free(c);
    /* Nor one the certificate repeats for one it lacks. */
    c = cert_of(held_twice, DIR_URL, NB, NB + 90 * DAY);
    assert_false(covers(c, DIR_URL, same, 3));
    assert_true(covers(c, DIR_URL, twice, 3));
    autocert_cert_free(c);
    /* A handle without a CA covers nothing. */
    c = cert_of(held, NULL, NB, NB + 90 * DAY);
    assert_false(covers(c, DIR_URL, same, 3));
    autocert_cert_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_covers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
