/* test_issued.c: what a CA hands back is checked before it is stored: names, key, validity, chain. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "unit.h"

typedef struct {
    autocert_ctx *ctx;
    EVP_PKEY *root_key, *inter_key, *leaf_key, *other_key;
    X509 *root, *inter;
    int warned;
} fx;

static void on_log(void *arg, autocert_log_level level, const char *msg)
{
    fx *f = arg;

    if (level == AUTOCERT_LOG_WARN && strstr(msg, "without its chain"))
        f->warned++;
}

/* A certificate for `pub` named `cn` with the SANs `sans` ("DNS:a,IP:1.2.3.4"
 * or NULL), issued by `issuer` (NULL: itself) with `key`, valid from
 * now + `from` to now + `to` seconds. */
static X509 *make(EVP_PKEY *pub, const char *cn, const char *sans, X509 *issuer, EVP_PKEY *key,
                  int ca, long from, long to)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX v3;
    X509_EXTENSION *e;

    assert_non_null(x);
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_gmtime_adj(X509_getm_notBefore(x), from);
    X509_gmtime_adj(X509_getm_notAfter(x), to);
    X509_set_pubkey(x, pub);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    e = X509V3_EXT_nconf_nid(NULL, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    if (sans) {
        e = X509V3_EXT_nconf_nid(NULL, &v3, NID_subject_alt_name, sans);
        assert_non_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    X509_NAME_free(name);
    return x;
}

/* PEM text of the certificates given, NULL-terminated, malloc'd. */
static char *pem_of(X509 *first, ...)
{
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *m;
    va_list ap;
    X509 *x;
    char *s;

    va_start(ap, first);
    for (x = first; x != NULL; x = va_arg(ap, X509 *))
        assert_int_equal(PEM_write_bio_X509(b, x), 1);
    va_end(ap);
    BIO_get_mem_ptr(b, &m);
    s = strndup(m->data, m->length);
    BIO_free(b);
    return s;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));

    f->ctx = autocert_ctx_new();
    autocert_set_logger(f->ctx, on_log, f);
    f->root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    f->inter_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    f->leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    f->other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    f->root = make(f->root_key, "test root", NULL, NULL, f->root_key, 1, -3600, 86400 * 30);
    f->inter = make(f->inter_key, "test intermediate", NULL, f->root, f->root_key, 1, -3600,
                    86400 * 30);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    X509_free(f->root);
    X509_free(f->inter);
    EVP_PKEY_free(f->root_key);
    EVP_PKEY_free(f->inter_key);
    EVP_PKEY_free(f->leaf_key);
    EVP_PKEY_free(f->other_key);
    autocert_ctx_free(f->ctx);
    free(f);
    return 0;
}

static ac_ident ids2[] = {{AC_ID_DNS, (char *)"a.example"}, {AC_ID_IP, (char *)"2001:db8::1"}};

/* Checks a leaf made with `sans`, `key` and validity, followed by the
 * intermediate. */
static autocert_err check_leaf(fx *f, const char *sans, EVP_PKEY *pub, long from, long to)
{
    X509 *leaf = make(pub, "a.example", sans, f->inter, f->inter_key, 0, from, to);
    char *pem = pem_of(leaf, f->inter, NULL);
    autocert_err rc = ac_issued_check(f->ctx, pem, ids2, 2, f->leaf_key);

    free(pem);
    X509_free(leaf);
    return rc;
}

static void test_good_chain(void **state)
{
    fx *f = *state;

    /* Order and case of the names do not matter; IPv6 in any spelling. */
    assert_int_equal(check_leaf(f, "IP:2001:db8:0::1,DNS:A.Example", f->leaf_key, -60, 86400),
                     AUTOCERT_OK);
    assert_int_equal(f->warned, 0);
}

static void test_names_exact(void **state)
{
    fx *f = *state;

    assert_int_equal(check_leaf(f, "DNS:a.example", f->leaf_key, -60, 86400), AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "does not name 2001:db8::1"));
    assert_int_equal(check_leaf(f, "DNS:a.example,IP:2001:db8::1,DNS:evil.example", f->leaf_key,
                                -60, 86400),
                     AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "'evil.example', which was not ordered"));
    /* An IP address is not a DNS name of the same text, nor an e-mail a name. */
    assert_int_equal(check_leaf(f, "DNS:a.example,DNS:2001:db8::1", f->leaf_key, -60, 86400),
                     AUTOCERT_ERR_PROTOCOL);
    assert_int_equal(check_leaf(f, "DNS:a.example,IP:2001:db8::1,email:x@a.example", f->leaf_key,
                                -60, 86400),
                     AUTOCERT_ERR_PROTOCOL);
    assert_int_equal(check_leaf(f, NULL, f->leaf_key, -60, 86400), AUTOCERT_ERR_PROTOCOL);
}

/* Checks a leaf with `sans` against the identifiers `ids`. */
static autocert_err check_names_of(fx *f, const char *sans, const ac_ident *ids, size_t n)
{
    X509 *leaf = make(f->leaf_key, "example.test", sans, f->inter, f->inter_key, 0, -60, 86400);
    char *pem = pem_of(leaf, f->inter, NULL);
    autocert_err rc = ac_issued_check(f->ctx, pem, ids, n, f->leaf_key);

    free(pem);
    X509_free(leaf);
    return rc;
}

/* A wildcard SAN is a name like any other: it matches only the same
 * wildcard, never a name it would cover, nor is it covered by one. */
static void test_wildcard_exact(void **state)
{
    fx *f = *state;
    const ac_ident wild[] = {{AC_ID_DNS, (char *)"*.example.test"},
                             {AC_ID_DNS, (char *)"example.test"}};
    const ac_ident www[] = {{AC_ID_DNS, (char *)"www.example.test"}};

    assert_int_equal(check_names_of(f, "DNS:*.example.test,DNS:example.test", wild, 2), AUTOCERT_OK);
    assert_int_equal(check_names_of(f, "DNS:example.test,DNS:*.EXAMPLE.test", wild, 2), AUTOCERT_OK);
    /* A wildcard issued for a name ordered, or the reverse: refused. */
    assert_int_equal(check_names_of(f, "DNS:*.example.test", www, 1), AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "'*.example.test', which was not ordered"));
    assert_int_equal(check_names_of(f, "DNS:www.example.test,DNS:example.test", wild, 2),
                     AUTOCERT_ERR_PROTOCOL);
    /* Another wildcard of the same base, or one level up: refused. */
    assert_int_equal(check_names_of(f, "DNS:*.www.example.test,DNS:example.test", wild, 2),
                     AUTOCERT_ERR_PROTOCOL);
    assert_int_equal(check_names_of(f, "DNS:*.test,DNS:example.test", wild, 2),
                     AUTOCERT_ERR_PROTOCOL);
}

static void test_key_and_validity(void **state)
{
    fx *f = *state;

    assert_int_equal(check_leaf(f, "DNS:a.example,IP:2001:db8::1", f->other_key, -60, 86400),
                     AUTOCERT_ERR_MISMATCH);
    assert_non_null(strstr(autocert_last_error(f->ctx), "another key"));
    /* Expired, and not yet valid (beyond an hour of clock skew). */
    assert_int_equal(check_leaf(f, "DNS:a.example,IP:2001:db8::1", f->leaf_key, -86400, -60),
                     AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "not valid now"));
    assert_int_equal(check_leaf(f, "DNS:a.example,IP:2001:db8::1", f->leaf_key, 7200, 86400),
                     AUTOCERT_ERR_PROTOCOL);
    /* Half an hour ahead is skew, not an error. */
    assert_int_equal(check_leaf(f, "DNS:a.example,IP:2001:db8::1", f->leaf_key, 1800, 86400),
                     AUTOCERT_OK);
}

static void test_chain_links(void **state)
{
    fx *f = *state;
    X509 *leaf = make(f->leaf_key, "a.example", "DNS:a.example,IP:2001:db8::1", f->inter,
                      f->inter_key, 0, -60, 86400);
    /* Same name as the intermediate, another key: a forged issuer. */
    X509 *fake = make(f->other_key, "test intermediate", NULL, f->root, f->root_key, 1, -60, 86400);
    char *pem;

    pem = pem_of(leaf, f->inter, f->root, NULL);
    assert_int_equal(ac_issued_check(f->ctx, pem, ids2, 2, f->leaf_key), AUTOCERT_OK);
    free(pem);
    pem = pem_of(leaf, fake, NULL);
    assert_int_equal(ac_issued_check(f->ctx, pem, ids2, 2, f->leaf_key), AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx),
                           "certificate 2 of the chain (CN=test intermediate) did not issue "
                           "certificate 1 (CN=a.example)"));
    free(pem);
    pem = pem_of(leaf, f->root, NULL);
    assert_int_equal(ac_issued_check(f->ctx, pem, ids2, 2, f->leaf_key), AUTOCERT_ERR_PROTOCOL);
    free(pem);
    /* The leaf alone: taken, with a warning. */
    pem = pem_of(leaf, NULL);
    assert_int_equal(ac_issued_check(f->ctx, pem, ids2, 2, f->leaf_key), AUTOCERT_OK);
    assert_int_equal(f->warned, 1);
    free(pem);
    X509_free(leaf);
    X509_free(fake);
}

static void test_malformed(void **state)
{
    fx *f = *state;
    X509 *leaf = make(f->leaf_key, "a.example", "DNS:a.example,IP:2001:db8::1", f->inter,
                      f->inter_key, 0, -60, 86400);
    char *good = pem_of(leaf, f->inter, NULL), *bad;
    size_t n = strlen(good);

    assert_int_equal(ac_issued_check(f->ctx, "not a certificate", ids2, 2, f->leaf_key),
                     AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "no PEM certificate"));
    /* A second block that does not decode. */
    bad = malloc(n + 100);
    snprintf(bad, n + 100, "%s-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
             good);
    assert_int_equal(ac_issued_check(f->ctx, bad, ids2, 2, f->leaf_key), AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "certificate 3 does not decode"));
    free(bad);
    free(good);
    X509_free(leaf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wildcard_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_and_validity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
