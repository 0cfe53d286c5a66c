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

static const char *last(fixture *f)
{
    return autocert_last_error(f->ctx);
}

/* A CA of its own: its certificate and key. */
typedef struct {
    EVP_PKEY *key;
    X509 *cert;
} test_ca;

static test_ca ca_new(const char *cn)
{
    time_t now = time(NULL);
    test_ca c;

    c.key = fx_key(AUTOCERT_KEY_EC256);
    c.cert = fx_make_cert(c.key, cn, NULL, c.key, now - DAY, now + 100 * DAY, "critical,CA:TRUE",
                          NULL);
    return c;
}

static void ca_free(test_ca *c)
{
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
}

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

/* The whole message of each reason: the file, what failed, the detail. */
static void test_verify_reason_texts(void **state)
{
    fixture *f = *state;
    char *root_p = fx_path(f, "ca.crt"), *leaf_p = fx_path(f, "client.crt");
    char *other = fx_path(f, "other"), *other_ca = fx_path(f, "other/ca.crt");
    char expect[512];
    autocert_ca_params p;

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "ca.crt", "client", AUTOCERT_USAGE_CLIENT, "c.example", NULL, 0),
                     AUTOCERT_OK);
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, NULL, NULL, AUTOCERT_USAGE_SERVER,
                                          NULL),
                     AUTOCERT_ERR_VERIFY);
    snprintf(expect, sizeof(expect),
             "%s: wrong usage: the certificate (CN=c.example) is not valid for TLS server "
             "authentication (keyUsage/extendedKeyUsage)",
             leaf_p);
    assert_string_equal(last(f), expect);
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, "x.example", NULL, 0, NULL),
                     AUTOCERT_ERR_VERIFY);
    snprintf(expect, sizeof(expect),
             "%s: name mismatch: x.example is not among the certificate's DNS names", leaf_p);
    assert_string_equal(last(f), expect);
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, NULL, "10.0.0.1", 0, NULL),
                     AUTOCERT_ERR_VERIFY);
    snprintf(expect, sizeof(expect),
             "%s: name mismatch: 10.0.0.1 is not among the certificate's IP addresses", leaf_p);
    assert_string_equal(last(f), expect);
    autocert_ca_params_init(&p);
    p.out_dir = other;
    p.common_name = "Other CA";
    assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_OK);
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, other_ca, NULL, NULL, 0, NULL),
                     AUTOCERT_ERR_VERIFY);
    snprintf(expect, sizeof(expect),
             "%s: wrong issuer: CN=c.example was issued by CN=autocert CA, which is not in the "
             "trusted CA file nor among the file's intermediates",
             leaf_p);
    assert_string_equal(last(f), expect);
    free(root_p);
    free(leaf_p);
    free(other);
    free(other_ca);
}

/* Verifies `certs` (the first is the leaf) against the CA `root`. */
static autocert_err verify_certs(fixture *f, X509 **certs, int n, X509 *root, char **path)
{
    char *ca_p = fx_path(f, "root.crt");
    autocert_err rc;

    *path = fx_path(f, "chain.crt");
    fx_write_certs(f, "chain.crt", certs, n);
    fx_write_certs(f, "root.crt", &root, 1);
    rc = autocert_verify_file(f->ctx, *path, ca_p, NULL, NULL, 0, NULL);
    free(ca_p);
    return rc;
}

static void test_verify_expired(void **state)
{
    fixture *f = *state;
    test_ca ca = ca_new("Test CA");
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256);
    time_t now = time(NULL);
    X509 *leaf = fx_make_cert(k, "old.example", ca.cert, ca.key, now - 10 * DAY, now - DAY,
                              "critical,CA:FALSE", NULL);
    char *file = NULL, expect[512], date[40];

    assert_int_equal(verify_certs(f, &leaf, 1, ca.cert, &file), AUTOCERT_ERR_VERIFY);
    ac_utc_format(now - DAY, AC_UTC_SECOND, date, sizeof(date));
    snprintf(expect, sizeof(expect),
             "%s: expired: the certificate (CN=old.example) expired on %s", file, date);
    assert_string_equal(last(f), expect);
    free(file);
    X509_free(leaf);
    /* Not valid yet. */
    leaf = fx_make_cert(k, "new.example", ca.cert, ca.key, now + 2 * DAY, now + 10 * DAY,
                        "critical,CA:FALSE", NULL);
    assert_int_equal(verify_certs(f, &leaf, 1, ca.cert, &file), AUTOCERT_ERR_VERIFY);
    ac_utc_format(now + 2 * DAY, AC_UTC_SECOND, date, sizeof(date));
    snprintf(expect, sizeof(expect),
             "%s: not yet valid: the certificate (CN=new.example) is valid from %s", file, date);
    assert_string_equal(last(f), expect);
    free(file);
    X509_free(leaf);
    EVP_PKEY_free(k);
    ca_free(&ca);
}

/* An expired intermediate is named as a CA certificate of the chain. */
static void test_verify_expired_intermediate(void **state)
{
    fixture *f = *state;
    test_ca ca = ca_new("Test CA");
    EVP_PKEY *ik = fx_key(AUTOCERT_KEY_EC256), *k = fx_key(AUTOCERT_KEY_EC256);
    time_t now = time(NULL);
    X509 *chain[2];
    char *file = NULL;

    chain[1] = fx_make_cert(ik, "Old Intermediate", ca.cert, ca.key, now - 10 * DAY, now - DAY,
                            "critical,CA:TRUE", NULL);
    chain[0] = fx_make_cert(k, "n.example", chain[1], ik, now - 5 * DAY, now + DAY,
                            "critical,CA:FALSE", NULL);
    assert_int_equal(verify_certs(f, chain, 2, ca.cert, &file), AUTOCERT_ERR_VERIFY);
    assert_non_null(strstr(last(f), "expired: a CA certificate of the chain (CN=Old Intermediate) "
                                    "expired on "));
    free(file);
    X509_free(chain[0]);
    X509_free(chain[1]);
    EVP_PKEY_free(ik);
    EVP_PKEY_free(k);
    ca_free(&ca);
}

/* Named and identified as the CA's certificate, signed by another key. */
static void test_verify_bad_signature(void **state)
{
    fixture *f = *state;
    test_ca ca = ca_new("Test CA");
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256), *forger = fx_key(AUTOCERT_KEY_EC256);
    time_t now = time(NULL);
    X509 *leaf = fx_make_cert(k, "forged.example", ca.cert, forger, now - DAY, now + DAY,
                              "critical,CA:FALSE", NULL);
    char *file = NULL, expect[512];

    assert_int_equal(verify_certs(f, &leaf, 1, ca.cert, &file), AUTOCERT_ERR_VERIFY);
    snprintf(expect, sizeof(expect),
             "%s: wrong issuer: the signature of CN=forged.example does not verify with its "
             "issuer's key",
             file);
    assert_string_equal(last(f), expect);
    free(file);
    X509_free(leaf);
    EVP_PKEY_free(k);
    EVP_PKEY_free(forger);
    ca_free(&ca);
}

/* A leaf used to sign another certificate; a chain deeper than pathLen allows. */
static void test_verify_ca_constraints(void **state)
{
    fixture *f = *state;
    test_ca ca = ca_new("Test CA");
    EVP_PKEY *k1 = fx_key(AUTOCERT_KEY_EC256), *k2 = fx_key(AUTOCERT_KEY_EC256);
    EVP_PKEY *k3 = fx_key(AUTOCERT_KEY_EC256);
    time_t now = time(NULL);
    X509 *chain[3];
    char *file = NULL, expect[512];

    chain[1] = fx_make_cert(k1, "node1.example", ca.cert, ca.key, now - DAY, now + DAY,
                            "critical,CA:FALSE", NULL);
    chain[0] = fx_make_cert(k2, "node2.example", chain[1], k1, now - DAY, now + DAY,
                            "critical,CA:FALSE", NULL);
    assert_int_equal(verify_certs(f, chain, 2, ca.cert, &file), AUTOCERT_ERR_VERIFY);
    snprintf(expect, sizeof(expect), "%s: CN=node1.example is used as a CA but is not one", file);
    assert_string_equal(last(f), expect);
    free(file);
    X509_free(chain[0]);
    X509_free(chain[1]);
    /* Test CA -> Inter 1 (pathLen 0) -> Inter 2 -> leaf. */
    chain[2] = fx_make_cert(k1, "Inter 1", ca.cert, ca.key, now - DAY, now + DAY,
                            "critical,CA:TRUE,pathlen:0", NULL);
    chain[1] = fx_make_cert(k2, "Inter 2", chain[2], k1, now - DAY, now + DAY, "critical,CA:TRUE",
                            NULL);
    chain[0] = fx_make_cert(k3, "deep.example", chain[1], k2, now - DAY, now + DAY,
                            "critical,CA:FALSE", NULL);
    assert_int_equal(verify_certs(f, chain, 3, ca.cert, &file), AUTOCERT_ERR_VERIFY);
    snprintf(expect, sizeof(expect), "%s: the chain is longer than a CA's pathLen allows", file);
    assert_string_equal(last(f), expect);
    free(file);
    X509_free(chain[0]);
    X509_free(chain[1]);
    X509_free(chain[2]);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(k3);
    ca_free(&ca);
}

/* ---- success and arguments ----------------------------------------------- */

static void test_verify_success_summary(void **state)
{
    fixture *f = *state;
    char *root_p = fx_path(f, "ca.crt"), *inter_p = fx_path(f, "intermediate.crt");
    char *leaf_p = fx_path(f, "node.crt"), *summary = NULL;

    fx_make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, AUTOCERT_USAGE_SERVER | AUTOCERT_USAGE_CLIENT,
                              "s.example", "10.0.0.5", 0),
                     AUTOCERT_OK);
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, "s.example", "10.0.0.5",
                                          AUTOCERT_USAGE_CLIENT, &summary),
                     AUTOCERT_OK);
    assert_string_equal(summary, "CN=s.example <- CN=autocert Intermediate CA <- CN=autocert CA");
    free(summary);
    summary = NULL;
    /* The intermediate alone is no trust anchor: no partial chains. */
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, inter_p, NULL, NULL, 0, &summary),
                     AUTOCERT_ERR_VERIFY);
    assert_null(summary);
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, NULL, NULL, AUTOCERT_USAGE_SERVER,
                                          NULL),
                     AUTOCERT_OK);
    assert_int_equal(ERR_peek_error(), 0);
    free(root_p);
    free(inter_p);
    free(leaf_p);
}

static void test_verify_arguments(void **state)
{
    fixture *f = *state;
    char *root_p = fx_path(f, "ca.crt"), *missing = fx_path(f, "missing.crt");
    char *summary = (char *)"x";

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(autocert_verify_file(f->ctx, NULL, root_p, NULL, NULL, 0, &summary),
                     AUTOCERT_ERR_INVALID);
    assert_null(summary);
    assert_string_equal(last(f), "verify needs a certificate and a CA file");
    assert_int_equal(autocert_verify_file(f->ctx, root_p, NULL, NULL, NULL, 0, NULL),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_verify_file(f->ctx, root_p, root_p, NULL, NULL,
                                          AUTOCERT_USAGE_SERVER | AUTOCERT_USAGE_CLIENT, NULL),
                     AUTOCERT_ERR_INVALID);
    assert_string_equal(last(f), "purpose must be server or client");
    assert_int_equal(autocert_verify_file(f->ctx, root_p, root_p, NULL, "not-an-ip", 0, NULL),
                     AUTOCERT_ERR_INVALID);
    assert_string_equal(last(f), "invalid IP address 'not-an-ip'");
    assert_int_not_equal(autocert_verify_file(f->ctx, missing, root_p, NULL, NULL, 0, NULL),
                         AUTOCERT_OK);
    assert_non_null(strstr(last(f), missing));
    /* A root verifies against itself. */
    assert_int_equal(autocert_verify_file(f->ctx, root_p, root_p, NULL, NULL, 0, NULL), AUTOCERT_OK);
    free(root_p);
    free(missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verify_reasons, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_reason_texts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_expired, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_expired_intermediate, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_bad_signature, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_ca_constraints, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_success_summary, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify_arguments, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
