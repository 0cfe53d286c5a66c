/* test_ca.c: the private CA end to end: root and intermediate CAs, node certificates, CSR signing, refusals. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca/ca.h"
#include "ca_unit.h"

/* ---- issuance ------------------------------------------------------------ */

static void check_ext_critical(X509 *x, int nid, int critical)
{
    int i = X509_get_ext_by_NID(x, nid, -1);

    assert_true(i >= 0);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), critical);
}

static void test_root_intermediate_leaf(void **state)
{
    fixture *f = *state;
    char *root_p = fx_path(f, "ca.crt"), *inter_p = fx_path(f, "intermediate.crt"), *leaf_p = fx_path(f, "node.crt");
    char *key_p = fx_path(f, "node.key"), *summary = NULL;
    X509 *root, *inter, *leaf;
    struct stat st;

    fx_make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, AUTOCERT_USAGE_SERVER, "node.example",
                           "127.0.0.1", 0),
                     AUTOCERT_OK);
    root = fx_load_first(root_p);
    inter = fx_load_first(inter_p);
    leaf = fx_load_first(leaf_p);
    /* Root: self-signed CA, no pathLen; intermediate pathLen 0; leaf not a CA. */
    assert_true(X509_get_extension_flags(root) & EXFLAG_SS);
    assert_int_equal(X509_get_pathlen(root), -1);
    assert_int_equal(X509_get_pathlen(inter), 0);
    assert_int_equal(X509_check_ca(leaf), 0);
    check_ext_critical(root, NID_basic_constraints, 1);
    check_ext_critical(leaf, NID_basic_constraints, 1);
    check_ext_critical(leaf, NID_key_usage, 1);
    assert_true(X509_get_key_usage(root) & KU_KEY_CERT_SIGN);
    assert_true(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE);
    assert_false(X509_get_key_usage(leaf) & KU_KEY_CERT_SIGN);
    assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER);
    /* AKI of each certificate is the SKI of its issuer. */
    assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf), X509_get0_subject_key_id(inter)), 0);
    assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(inter), X509_get0_subject_key_id(root)), 0);
    assert_int_equal(X509_get_version(leaf), X509_VERSION_3);
    /* The leaf never outlives its issuer, and the bundle is leaf + intermediate. */
    assert_true(ASN1_TIME_compare(X509_get0_notAfter(leaf), X509_get0_notAfter(inter)) <= 0);
    assert_int_equal(fx_count_certs(leaf_p), 2);
    assert_int_equal(fx_count_certs(inter_p), 1);
    assert_int_equal(stat(key_p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, root_p, "node.example", NULL,
                                          AUTOCERT_USAGE_SERVER, &summary),
                     AUTOCERT_OK);
    assert_non_null(strstr(summary, "CN=node.example <- CN=autocert Intermediate CA <- CN=autocert CA"));
    free(summary);
    X509_free(root);
    X509_free(inter);
    X509_free(leaf);
    free(root_p);
    free(inter_p);
    free(leaf_p);
    free(key_p);
}

static void test_bad_input_nothing_written(void **state)
{
    fixture *f = *state;
    char *leaf_p = fx_path(f, "node.crt"), *ca_p = fx_path(f, "ca.crt"), *key_p = fx_path(f, "ca.key");
    char *other_key = fx_path(f, "n2.key");
    autocert_ca_params p;
    struct stat st;
    const char *dns[1] = {"a.example"};
    unsigned char *before = NULL, *after = NULL;
    size_t lb = 0, la = 0;

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, NULL, "300.1.2.3", 0), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "300.1.2.3"));
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, "bad_name!", NULL, 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, "10.1.1.1", NULL, 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, NULL, "host.example", 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, NULL, NULL, 0), AUTOCERT_ERR_NO_NAMES);
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, "a.example", NULL, -1), AUTOCERT_ERR_INVALID);
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, "a.example", NULL, 3650), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "outlive"));
    assert_int_not_equal(stat(leaf_p, &st), 0);
    /* Existing output: refused, content untouched; --force replaces it. */
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, "a.example", NULL, 0), AUTOCERT_OK);
    assert_int_equal(ac_file_read(NULL, leaf_p, 1 << 20, &before, &lb), AUTOCERT_OK);
    assert_int_equal(fx_issue(f, "ca.crt", NULL, 0, "b.example", NULL, 0), AUTOCERT_ERR_EXISTS);
    assert_int_equal(ac_file_read(NULL, leaf_p, 1 << 20, &after, &la), AUTOCERT_OK);
    assert_int_equal(la, lb);
    assert_memory_equal(after, before, la);
    free(after);
    /* A key that is not the CA's. */
    assert_int_equal(fx_issue(f, "ca.crt", "n2", 0, "a.example", NULL, 0), AUTOCERT_OK);
    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.name = "n3";
    p.dns = dns;
    p.n_dns = 1;
    p.issuer_cert = ca_p;
    p.issuer_key = other_key;
    assert_int_equal(autocert_ca_issue(f->ctx, &p, NULL, NULL), AUTOCERT_ERR_MISMATCH);
    /* A leaf is not a CA. */
    p.issuer_cert = leaf_p;
    assert_int_equal(autocert_ca_issue(f->ctx, &p, NULL, NULL), AUTOCERT_ERR_INVALID);
    /* Force replaces. */
    p.issuer_cert = ca_p;
    p.issuer_key = key_p;
    p.name = "node";
    p.flags = AUTOCERT_CA_FORCE;
    assert_int_equal(autocert_ca_issue(f->ctx, &p, NULL, NULL), AUTOCERT_OK);
    assert_int_equal(ac_file_read(NULL, leaf_p, 1 << 20, &after, &la), AUTOCERT_OK);
    assert_true(la != lb || memcmp(after, before, la) != 0);
    free(before);
    free(after);
    free(leaf_p);
    free(ca_p);
    free(key_p);
    free(other_key);
}

static void test_sign_csr(void **state)
{
    fixture *f = *state;
    char *csr_p = fx_path(f, "req.csr"), *ca_p = fx_path(f, "ca.crt"), *key_p = fx_path(f, "ca.key");
    char *out = NULL;
    EVP_PKEY *key = NULL;
    ac_ident ids[2] = {{AC_ID_DNS, (char *)"csr.example"}, {AC_ID_IP, (char *)"192.0.2.7"}};
    unsigned char *der = NULL;
    size_t len = 0;
    autocert_ca_params p;
    ac_certinfo ci;
    unsigned char *pem = NULL;
    size_t plen = 0;
    X509 *leaf;
    FILE *fp;

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_RSA2048, &key), AUTOCERT_OK);
    assert_int_equal(ac_csr_build(f->ctx, key, ids, 2, &der, &len), AUTOCERT_OK);
    fp = fopen(csr_p, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(der, 1, len, fp), len);
    fclose(fp);
    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.csr = csr_p;
    p.issuer_cert = ca_p;
    p.issuer_key = key_p;
    assert_int_equal(autocert_ca_sign(f->ctx, &p, &out), AUTOCERT_OK);
    assert_int_equal(ac_file_read(NULL, out, 1 << 20, &pem, &plen), AUTOCERT_OK);
    assert_int_equal(ac_certinfo_parse(f->ctx, (char *)pem, plen, "t", &ci), AUTOCERT_OK);
    assert_int_equal(ci.n_names, 2);
    assert_string_equal(ci.names[1], "192.0.2.7");
    ac_certinfo_clear(&ci);
    leaf = fx_load_first(out);
    assert_int_equal(X509_check_private_key(leaf, key), 1);
    /* RSA leaves also get keyEncipherment. */
    assert_true(X509_get_key_usage(leaf) & KU_KEY_ENCIPHERMENT);
    X509_free(leaf);
    /* A corrupt CSR is refused. */
    der[len - 3] ^= 0x55;
    fp = fopen(csr_p, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(der, 1, len, fp), len);
    fclose(fp);
    p.name = "n2";
    assert_int_equal(autocert_ca_sign(f->ctx, &p, NULL), AUTOCERT_ERR_INVALID);
    free(pem);
    free(out);
    free(der);
    EVP_PKEY_free(key);
    free(csr_p);
    free(ca_p);
    free(key_p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_root_intermediate_leaf, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_nothing_written, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign_csr, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
