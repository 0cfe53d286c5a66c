/* test_inspect.c: text and JSON summaries of certificates, CSRs, keys, chains and bundles. */
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
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca_unit.h"

/* ---- certificates and chains --------------------------------------------- */

static void test_inspect_json(void **state)
{
    fixture *f = *state;
    char *crt = fx_path(f, "node.crt"), *key = fx_path(f, "node.key"), *out = NULL;
    json_t *doc, *items, *leaf;
    json_error_t jerr;

    fx_make_cas(f, 1, AUTOCERT_KEY_EC384);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, AUTOCERT_USAGE_SERVER | AUTOCERT_USAGE_CLIENT,
                              "i.example", "10.0.0.9", 0),
                     AUTOCERT_OK);
    assert_int_equal(autocert_inspect_file(f->ctx, crt, NULL, AUTOCERT_INSPECT_JSON, &out), AUTOCERT_OK);
    doc = json_loads(out, 0, &jerr);
    assert_non_null(doc);
    items = json_object_get(doc, "items");
    assert_int_equal(json_array_size(items), 2);
    leaf = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(leaf, "subject")), "CN=i.example");
    assert_string_equal(json_string_value(json_array_get(json_object_get(leaf, "sans"), 1)), "IP:10.0.0.9");
    assert_false(json_is_true(json_object_get(leaf, "ca")));
    assert_true(json_is_true(json_object_get(json_array_get(items, 1), "ca")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(leaf, "key"), "type")), "ec256");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(items, 1), "key"), "type")), "ec384");
    /* A P-384 issuer signs with SHA-384. */
    assert_string_equal(json_string_value(json_object_get(leaf, "signature")), "ecdsa-with-SHA384");
    assert_int_equal(json_array_size(json_object_get(leaf, "ext_key_usage")), 2);
    assert_true(json_integer_value(json_object_get(leaf, "days_left")) >= 364);
    assert_int_equal(strlen(json_string_value(json_object_get(leaf, "sha256"))), 95);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "chain"), "order")), "ok");
    json_decref(doc);
    free(out);
    out = NULL;
    assert_int_equal(autocert_inspect_file(f->ctx, key, NULL, 0, &out), AUTOCERT_OK);
    assert_non_null(strstr(out, "private key"));
    free(out);
    free(crt);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_inspect_json, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
