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

/* The names of a CSR: DNS names and IP addresses only, well formed, at
 * least one unless the parameters give them. */
static autocert_err sign(fixture *f, const char *csr, const char *name, const char *dns,
                         char **out)
{
    autocert_ca_params p;
    char *csr_p = fx_path(f, csr), *ca_p = fx_path(f, "ca.crt"), *key_p = fx_path(f, "ca.key");
    const char *dv[1] = {dns};
    autocert_err rc;

    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.name = name;
    p.csr = csr_p;
    p.issuer_cert = ca_p;
    p.issuer_key = key_p;
    p.dns = dns ? dv : NULL;
    p.n_dns = dns ? 1 : 0;
    rc = autocert_ca_sign(f->ctx, &p, out);
    free(csr_p);
    free(ca_p);
    free(key_p);
    return rc;
}

static void test_sign_csr_names(void **state)
{
    fixture *f = *state;
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256);
    GENERAL_NAMES *email = GENERAL_NAMES_new(), *nul = GENERAL_NAMES_new();
    GENERAL_NAMES *v6 = GENERAL_NAMES_new(), *badip = GENERAL_NAMES_new();
    static const unsigned char ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};
    char *out = NULL, expect[256], *csr_p = fx_path(f, "nul.csr");
    ac_certinfo ci;
    unsigned char *pem = NULL;
    size_t len = 0;
    X509 *leaf;
    char cn[64];

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    fx_san_add(email, GEN_DNS, "ok.example", 10);
    fx_san_add(email, GEN_EMAIL, "a@example.com", 13);
    fx_san_add(nul, GEN_DNS, "a.example\0.evil.example", 23);
    fx_san_add(badip, GEN_DNS, "ok.example", 10);
    fx_san_add(badip, GEN_IPADD, "\x0a\x00\x00", 3);
    fx_san_add(v6, GEN_IPADD, ip6, 16);
    fx_write_csr(f, "email.csr", k, "e.example", email);
    fx_write_csr(f, "nul.csr", k, NULL, nul);
    fx_write_csr(f, "badip.csr", k, NULL, badip);
    fx_write_csr(f, "none.csr", k, "none.example", NULL);
    fx_write_csr(f, "v6.csr", k, NULL, v6);
    assert_int_equal(sign(f, "email.csr", "n1", NULL, NULL), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx),
                           "only DNS names and IP addresses are supported in the SANs"));
    assert_int_equal(sign(f, "nul.csr", "n2", NULL, NULL), AUTOCERT_ERR_INVALID);
    snprintf(expect, sizeof(expect), "%s: malformed SAN entry", csr_p);
    assert_string_equal(autocert_last_error(f->ctx), expect);
    assert_int_equal(sign(f, "badip.csr", "n3", NULL, NULL), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "badip.csr: malformed SAN entry"));
    assert_int_equal(sign(f, "none.csr", "n4", NULL, NULL), AUTOCERT_ERR_NO_NAMES);
    assert_non_null(strstr(autocert_last_error(f->ctx), "none.csr has no DNS name or IP address"));
    /* The parameters' names replace the CSR's; the CN comes from the CSR. */
    assert_int_equal(sign(f, "none.csr", "n5", "given.example", &out), AUTOCERT_OK);
    leaf = fx_load_first(out);
    assert_int_equal(X509_check_host(leaf, "given.example", 0, 0, NULL), 1);
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
                                          sizeof(cn)) > 0);
    assert_string_equal(cn, "none.example");
    X509_free(leaf);
    free(out);
    out = NULL;
    /* An IPv6 address, which is also the CN when there is no DNS name. */
    assert_int_equal(sign(f, "v6.csr", "n6", NULL, &out), AUTOCERT_OK);
    assert_int_equal(ac_file_read(NULL, out, 1 << 20, &pem, &len), AUTOCERT_OK);
    assert_int_equal(ac_certinfo_parse(f->ctx, (char *)pem, len, "t", &ci), AUTOCERT_OK);
    assert_int_equal(ci.n_names, 1);
    assert_string_equal(ci.names[0], "2001:db8::9");
    ac_certinfo_clear(&ci);
    leaf = fx_load_first(out);
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
                                          sizeof(cn)) > 0);
    assert_string_equal(cn, "2001:db8::9");
    X509_free(leaf);
    free(pem);
    free(out);
    free(csr_p);
    GENERAL_NAMES_free(email);
    GENERAL_NAMES_free(nul);
    GENERAL_NAMES_free(badip);
    GENERAL_NAMES_free(v6);
    EVP_PKEY_free(k);
}

static void test_create_refusals(void **state)
{
    fixture *f = *state;
    char *inter_c = fx_path(f, "intermediate.crt"), *inter_k = fx_path(f, "intermediate.key");
    autocert_ca_params p;

    fx_make_cas(f, 1, AUTOCERT_KEY_ED25519);
    /* An intermediate (pathLen 0) issues no CA certificates. */
    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.name = "sub";
    p.flags = AUTOCERT_CA_INTERMEDIATE;
    p.issuer_cert = inter_c;
    p.issuer_key = inter_k;
    assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx),
                           "this CA may not issue CA certificates (pathLen 0)"));
    /* Parameters not set up by autocert_ca_params_init. */
    memset(&p, 0, sizeof(p));
    p.out_dir = f->dir;
    assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "autocert_ca_params_init()"));
    assert_int_equal(autocert_ca_create(f->ctx, NULL, NULL, NULL), AUTOCERT_ERR_INVALID);
    /* A base name with a '/'. */
    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.name = "a/b";
    assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "invalid base name 'a/b'"));
    /* An intermediate needs its issuer. */
    p.name = "i2";
    p.flags = AUTOCERT_CA_INTERMEDIATE;
    assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_ERR_INVALID);
    free(inter_c);
    free(inter_k);
}

/* --client and --both choose the extendedKeyUsage; the CN and paths come back. */
static void test_usage_and_paths(void **state)
{
    fixture *f = *state;
    char *c = fx_path(f, "c.crt"), *b = fx_path(f, "b.crt"), *ca_c = fx_path(f, "ca.crt");
    char *ca_k = fx_path(f, "ca.key"), *cert_path = NULL, *key_path = NULL, *key_want;
    const char *ips[1] = {"192.0.2.44"};
    autocert_ca_params p;
    X509 *x;
    char cn[64];

    fx_make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "ca.crt", "c", AUTOCERT_USAGE_CLIENT, "c.example", NULL, 0),
                     AUTOCERT_OK);
    assert_int_equal(fx_issue(f, "ca.crt", "b", AUTOCERT_USAGE_SERVER | AUTOCERT_USAGE_CLIENT,
                              "b.example", NULL, 0),
                     AUTOCERT_OK);
    x = fx_load_first(c);
    assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
    X509_free(x);
    x = fx_load_first(b);
    assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT | XKU_SSL_SERVER);
    X509_free(x);
    /* Only an IP address: it is the CN; both paths are handed out. */
    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.name = "ip";
    p.ips = ips;
    p.n_ips = 1;
    p.issuer_cert = ca_c;
    p.issuer_key = ca_k;
    assert_int_equal(autocert_ca_issue(f->ctx, &p, &cert_path, &key_path), AUTOCERT_OK);
    key_want = fx_path(f, "ip.key");
    assert_string_equal(key_path, key_want);
    x = fx_load_first(cert_path);
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
                                          sizeof(cn)) > 0);
    assert_string_equal(cn, "192.0.2.44");
    assert_int_equal(X509_check_ip_asc(x, "192.0.2.44", 0), 1);
    X509_free(x);
    free(cert_path);
    free(key_path);
    free(key_want);
    free(c);
    free(b);
    free(ca_c);
    free(ca_k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_root_intermediate_leaf, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_nothing_written, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign_csr, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign_csr_names, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_usage_and_paths, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
