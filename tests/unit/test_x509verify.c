/* test_x509verify.c: chain, name and usage verification and the reason given on failure. */
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
#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "ca_unit.h"

#define DAY 86400

/* ---- reasons ------------------------------------------------------------- */

static void test_verify_reasons(void **state)
{
    fixture *f = *state;
    char *root_p = fx_path(f, "ca.crt"), *leaf_p = fx_path(f, "client.crt"), *other = fx_path(f, "other");
    autocert_ca_params p;

    fx_make_cas(f, 0, AUTOCERT_KEY_ED25519);
    assert_int_equal(fx_issue(f, "ca.crt", "client", AUTOCERT_USAGE_CLIENT, "c.example", NULL, 30),
                     AUTOCERT_OK);
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, NULL, NULL, AUTOCERT_USAGE_CLIENT, NULL),
                     AUTOCERT_OK);
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, NULL, NULL, AUTOCERT_USAGE_SERVER, NULL),
                     AUTOCERT_ERR_VERIFY);
    assert_non_null(strstr(autocert_last_error(f->ctx), "wrong usage"));
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, "x.example", NULL, 0, NULL),
                     AUTOCERT_ERR_VERIFY);
    assert_non_null(strstr(autocert_last_error(f->ctx), "name mismatch"));
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, NULL, "10.0.0.1", 0, NULL),
                     AUTOCERT_ERR_VERIFY);
    assert_non_null(strstr(autocert_last_error(f->ctx), "name mismatch"));
    /* Another CA. */
    autocert_ca_params_init(&p);
    p.out_dir = other;
    assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_OK);
    free(other);
    other = fx_path(f, "other/ca.crt");
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, other, NULL, NULL, 0, NULL), AUTOCERT_ERR_VERIFY);
    assert_non_null(strstr(autocert_last_error(f->ctx), "wrong issuer"));
    free(root_p);
    free(leaf_p);
    free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verify_reasons, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
