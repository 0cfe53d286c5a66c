/* test_chain.c: the preferred chain among the default and the Link rel="alternate" chains of a certificate URL, against a CA in memory. */
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

static const char *const A[] = {"a.example"};

/* The log lines of a test, one after the other. */
static char logged[8192];

static void keep_log(void *arg, autocert_log_level level, const char *msg)
{
    size_t n = strlen(logged);

    (void)arg;
    (void)level;
    snprintf(logged + n, sizeof(logged) - n, "%s\n", msg);
}

static autocert_err obtain(protofx *f, const char *preferred)
{
    autocert_cert *c = NULL;
    autocert_err rc;

    logged[0] = '\0';
    autocert_set_logger(f->ctx, keep_log, NULL);
    assert_int_equal(autocert_set_preferred_chain(f->ctx, preferred), AUTOCERT_OK);
    rc = autocert_obtain(f->ctx, A, 1, AUTOCERT_OBTAIN_FORCE, &c);
    autocert_cert_free(c);
    return rc;
}

static char *chain_file(protofx *f)
{
    char *chain = protofx_cache_file(f, "certs/a.example/chain.pem");

    assert_non_null(chain);
    return chain;
}

static void test_default_without_a_preference(void **state)
{
    protofx *f = *state;
    char *chain;

    fakeca_knobs_of(f->ca)->alt_chain = 1;
    assert_int_equal(obtain(f, NULL), AUTOCERT_OK);
    chain = chain_file(f);
    assert_string_equal(chain, fakeca_root_pem(f->ca));
    free(chain);
    /* Nothing asked for: no alternate fetched. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/cert/0/alt"), 0);
}

static void test_alternate_chosen_by_its_root(void **state)
{
    protofx *f = *state;
    autocert_cert *c = NULL;
    char *chain, *full;

    fakeca_knobs_of(f->ca)->alt_chain = 1;
    assert_int_equal(obtain(f, FAKECA_ALT_ROOT_CN), AUTOCERT_OK);
    assert_int_equal(fakeca_count(f->ca, "POST", "/cert/0/alt"), 1);
    assert_non_null(strstr(logged, "alternate chain"));
    /* Stored: the leaf, then the root cross-signed by the alternate root. */
    chain = chain_file(f);
    assert_string_not_equal(chain, fakeca_root_pem(f->ca));
    assert_true(ac_chain_matches(chain, FAKECA_ALT_ROOT_CN, (char[256]){0}, 256));
    /* Its top certificate names the root as its subject, the alternate
     * root as its issuer: either CN picks it. */
    {
        char issuer[256];

        assert_true(ac_chain_matches(chain, FAKECA_ROOT_CN, issuer, sizeof(issuer)));
        assert_string_equal(issuer, FAKECA_ALT_ROOT_CN);
        assert_false(ac_chain_matches(chain, "fake", issuer, sizeof(issuer)));
        assert_false(ac_chain_matches("not PEM", FAKECA_ROOT_CN, issuer, sizeof(issuer)));
        assert_string_equal(issuer, "");
    }
    full = protofx_cache_file(f, "certs/a.example/fullchain.pem");
    assert_non_null(full);
    assert_true(ac_chain_matches(full, FAKECA_ALT_ROOT_CN, (char[256]){0}, 256));
    free(chain);
    free(full);
    /* The entry holds together. */
    assert_int_equal(autocert_cert_load(f->ctx, "a.example", &c), AUTOCERT_OK);
    autocert_cert_free(c);
}

static void test_default_matches_no_fetch(void **state)
{
    protofx *f = *state;
    char *chain;

    fakeca_knobs_of(f->ca)->alt_chain = 1;
    /* The default chain ends at the root: its own CN and its issuer's. */
    assert_int_equal(obtain(f, FAKECA_ROOT_CN), AUTOCERT_OK);
    assert_int_equal(fakeca_count(f->ca, "POST", "/cert/0/alt"), 0);
    chain = chain_file(f);
    assert_string_equal(chain, fakeca_root_pem(f->ca));
    free(chain);
}

static void test_no_match_keeps_the_default(void **state)
{
    protofx *f = *state;
    char *chain;

    fakeca_knobs_of(f->ca)->alt_chain = 1;
    assert_int_equal(obtain(f, "Nobody's Root X9"), AUTOCERT_OK);
    assert_int_equal(fakeca_count(f->ca, "POST", "/cert/0/alt"), 1);
    chain = chain_file(f);
    assert_string_equal(chain, fakeca_root_pem(f->ca));
    free(chain);
    /* Said, naming what was wanted and what was offered. */
    assert_non_null(strstr(logged, "Nobody's Root X9"));
    assert_non_null(strstr(logged, FAKECA_ROOT_CN));
    assert_non_null(strstr(logged, FAKECA_ALT_ROOT_CN));
    assert_non_null(strstr(logged, "keeping the default chain"));
}

static void test_unreachable_alternate_keeps_the_default(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    char *chain;

    k->alt_chain = 1;
    k->alt_chain_broken = 1;
    assert_int_equal(obtain(f, FAKECA_ALT_ROOT_CN), AUTOCERT_OK);
    chain = chain_file(f);
    assert_string_equal(chain, fakeca_root_pem(f->ca));
    free(chain);
    assert_non_null(strstr(logged, "keeping the default chain"));
    assert_int_equal(fakeca_issued(f->ca), 1);
}

static void test_chosen_chain_is_checked(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);

    k->alt_chain = 1;
    k->alt_chain_bad = 1;
    /* The alternate that matches does not hold together: refused, as the
     * check of what is stored sees the chosen chain. */
    assert_int_equal(obtain(f, FAKECA_ALT_ROOT_CN), AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "did not issue"));
    assert_null(protofx_cache_file(f, "certs/a.example/chain.pem"));
}

static void test_without_alternates(void **state)
{
    protofx *f = *state;
    char *chain;

    assert_int_equal(obtain(f, FAKECA_ALT_ROOT_CN), AUTOCERT_OK);
    chain = chain_file(f);
    assert_string_equal(chain, fakeca_root_pem(f->ca));
    free(chain);
    assert_non_null(strstr(logged, "keeping the default chain"));
}

static void test_setter(void **state)
{
    protofx *f = *state;
    char big[300];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(autocert_set_preferred_chain(f->ctx, ""), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_preferred_chain(f->ctx, big), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_preferred_chain(f->ctx, "ISRG Root X2"), AUTOCERT_OK);
    assert_int_equal(autocert_set_preferred_chain(f->ctx, NULL), AUTOCERT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_without_a_preference, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_alternate_chosen_by_its_root, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_default_matches_no_fetch, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_no_match_keeps_the_default, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_alternate_keeps_the_default,
                                        protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_chosen_chain_is_checked, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_without_alternates, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_setter, protofx_setup, protofx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
