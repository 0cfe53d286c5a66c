/* test_ca.c: the private CA: X.509 building blocks, issuance, files, verification, inspection, PKCS#12. */
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
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca/ca.h"

typedef struct {
    autocert_ctx *ctx;
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_ca.XXXXXX");
    if (mkdtemp(f->dir) == NULL || (f->ctx = autocert_ctx_new()) == NULL)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    autocert_ctx_free(f->ctx);
    free(f);
    return 0;
}

static char *path(fixture *f, const char *name)
{
    char *p = ac_path_join(f->dir, name, NULL);

    assert_non_null(p);
    return p;
}

static void write_text(fixture *f, const char *name, const char *text)
{
    char *p = path(f, name);
    FILE *fp = fopen(p, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    free(p);
}

static X509 *load_first(const char *file)
{
    FILE *fp = fopen(file, "r");
    X509 *x;

    assert_non_null(fp);
    x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(x);
    return x;
}

static int count_certs(const char *file)
{
    STACK_OF(X509) *s = NULL;
    int n;

    assert_int_equal(ac_certs_load(NULL, file, NULL, &s), AUTOCERT_OK);
    n = sk_X509_num(s);
    sk_X509_pop_free(s, X509_free);
    return n;
}

/* Creates root (ca.crt/.key) and, with `inter`, intermediate.crt/.key in f->dir. */
static void make_cas(fixture *f, int inter, autocert_key_type kt)
{
    autocert_ca_params p;
    char *c = path(f, "ca.crt"), *k = path(f, "ca.key");

    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.key_type = kt;
    assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_OK);
    if (inter) {
        p.flags = AUTOCERT_CA_INTERMEDIATE;
        p.issuer_cert = c;
        p.issuer_key = k;
        assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_OK);
    }
    free(c);
    free(k);
}

static autocert_err issue(fixture *f, const char *ca, const char *name, unsigned usage,
                          const char *dns, const char *ip, int days)
{
    autocert_ca_params p;
    char *c = path(f, ca), *k;
    char keyname[64];
    const char *dv[1] = {dns}, *iv[1] = {ip};
    autocert_err rc;

    snprintf(keyname, sizeof(keyname), "%.*s.key", (int)(strlen(ca) - 4), ca);
    k = path(f, keyname);
    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.name = name;
    p.usage = usage;
    p.dns = dns ? dv : NULL;
    p.n_dns = dns ? 1 : 0;
    p.ips = ip ? iv : NULL;
    p.n_ips = ip ? 1 : 0;
    p.days = days;
    p.issuer_cert = c;
    p.issuer_key = k;
    rc = autocert_ca_issue(f->ctx, &p, NULL, NULL);
    free(c);
    free(k);
    return rc;
}

/* ---- building blocks ------------------------------------------------------ */

static void test_serial_random_positive(void **state)
{
    X509 *a = X509_new(), *b = X509_new();
    BIGNUM *ba, *bb;

    (void)state;
    assert_int_equal(ac_x509_set_serial(NULL, a), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_serial(NULL, b), AUTOCERT_OK);
    ba = ASN1_INTEGER_to_BN(X509_get0_serialNumber(a), NULL);
    bb = ASN1_INTEGER_to_BN(X509_get0_serialNumber(b), NULL);
    assert_false(BN_is_negative(ba));
    assert_false(BN_is_zero(ba));
    assert_true(BN_num_bits(ba) <= 128);
    assert_true(BN_num_bits(ba) > 64); /* overwhelmingly likely for 128 random bits */
    assert_int_not_equal(BN_cmp(ba, bb), 0);
    BN_free(ba);
    BN_free(bb);
    X509_free(a);
    X509_free(b);
}

static void test_validity(void **state)
{
    fixture *f = *state;
    X509 *x = X509_new(), *issuer = X509_new();
    time_t now = time(NULL), na;

    assert_int_equal(ac_x509_set_validity(f->ctx, x, 0, NULL, 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, -3, NULL, 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 10, NULL, 0), AUTOCERT_OK);
    na = ac_asn1_time(X509_get0_notAfter(x));
    assert_true(na >= now + 10 * 86400 && na <= now + 10 * 86400 + 5);
    assert_true(ac_asn1_time(X509_get0_notBefore(x)) < now);
    /* An issuer valid for 30 more days. */
    ASN1_TIME_set(X509_getm_notBefore(issuer), now - 86400);
    ASN1_TIME_set(X509_getm_notAfter(issuer), now + 30 * 86400);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 31, issuer, 0), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "outlive"));
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 29, issuer, 0), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 365, issuer, 1), AUTOCERT_OK);
    assert_int_equal(ac_asn1_time(X509_get0_notAfter(x)), now + 30 * 86400);
    /* An expired issuer signs nothing. */
    ASN1_TIME_set(X509_getm_notAfter(issuer), now - 10);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 1, issuer, 1), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "expired"));
    X509_free(x);
    X509_free(issuer);
}

static void test_sans_and_md(void **state)
{
    fixture *f = *state;
    X509 *x = X509_new();
    ac_ident ids[2] = {{AC_ID_DNS, (char *)"node.example"}, {AC_ID_IP, (char *)"::1"}};
    EVP_PKEY *ec = NULL, *ed = NULL;
    ac_certinfo ci;
    ac_buf b;

    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_EC384, &ec), AUTOCERT_OK);
    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_ED25519, &ed), AUTOCERT_OK);
    assert_ptr_equal(ac_x509_md(ec), EVP_sha384());
    assert_null(ac_x509_md(ed));
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 1, "n"), AUTOCERT_OK);
    assert_int_equal(ac_x509_set_cn(f->ctx, x, 1, ""), AUTOCERT_ERR_INVALID);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, ec);
    assert_int_equal(ac_x509_set_validity(f->ctx, x, 1, NULL, 0), AUTOCERT_OK);
    assert_int_equal(ac_x509_add_sans(f->ctx, x, ids, 2), AUTOCERT_OK);
    assert_int_equal(ac_x509_add_ext(f->ctx, x, NULL, NID_basic_constraints, "critical,CA:FALSE"),
                     AUTOCERT_OK);
    assert_int_equal(ac_x509_add_ext(f->ctx, x, NULL, NID_basic_constraints, "nonsense"),
                     AUTOCERT_ERR_CRYPTO);
    assert_int_equal(ac_x509_sign(f->ctx, x, ec), AUTOCERT_OK);
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
    ac_buf_init(&b, 65536);
    assert_int_equal(ac_x509_pem_append(f->ctx, x, &b), AUTOCERT_OK);
    assert_int_equal(ac_certinfo_parse(f->ctx, (char *)b.data, b.len, "t", &ci), AUTOCERT_OK);
    assert_int_equal(ci.n_names, 2);
    assert_string_equal(ci.names[0], "node.example");
    assert_string_equal(ci.names[1], "::1");
    ac_certinfo_clear(&ci);
    ac_buf_free(&b);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
    X509_free(x);
}

/* ---- issuance -------------------------------------------------------------- */

static void check_ext_critical(X509 *x, int nid, int critical)
{
    int i = X509_get_ext_by_NID(x, nid, -1);

    assert_true(i >= 0);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), critical);
}

static void test_root_intermediate_leaf(void **state)
{
    fixture *f = *state;
    char *root_p = path(f, "ca.crt"), *inter_p = path(f, "intermediate.crt"), *leaf_p = path(f, "node.crt");
    char *key_p = path(f, "node.key"), *summary = NULL;
    X509 *root, *inter, *leaf;
    struct stat st;

    make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(issue(f, "intermediate.crt", NULL, AUTOCERT_USAGE_SERVER, "node.example",
                           "127.0.0.1", 0),
                     AUTOCERT_OK);
    root = load_first(root_p);
    inter = load_first(inter_p);
    leaf = load_first(leaf_p);
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
    assert_int_equal(count_certs(leaf_p), 2);
    assert_int_equal(count_certs(inter_p), 1);
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

static void test_verify_reasons(void **state)
{
    fixture *f = *state;
    char *root_p = path(f, "ca.crt"), *leaf_p = path(f, "client.crt"), *other = path(f, "other");
    autocert_ca_params p;

    make_cas(f, 0, AUTOCERT_KEY_ED25519);
    assert_int_equal(issue(f, "ca.crt", "client", AUTOCERT_USAGE_CLIENT, "c.example", NULL, 30),
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
    other = path(f, "other/ca.crt");
    assert_int_equal(autocert_verify_file(f->ctx, leaf_p, other, NULL, NULL, 0, NULL), AUTOCERT_ERR_VERIFY);
    assert_non_null(strstr(autocert_last_error(f->ctx), "wrong issuer"));
    free(root_p);
    free(leaf_p);
    free(other);
}

static void test_bad_input_nothing_written(void **state)
{
    fixture *f = *state;
    char *leaf_p = path(f, "node.crt"), *ca_p = path(f, "ca.crt"), *key_p = path(f, "ca.key");
    char *other_key = path(f, "n2.key");
    autocert_ca_params p;
    struct stat st;
    const char *dns[1] = {"a.example"};
    unsigned char *before = NULL, *after = NULL;
    size_t lb = 0, la = 0;

    make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(issue(f, "ca.crt", NULL, 0, NULL, "300.1.2.3", 0), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "300.1.2.3"));
    assert_int_equal(issue(f, "ca.crt", NULL, 0, "bad_name!", NULL, 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(issue(f, "ca.crt", NULL, 0, "10.1.1.1", NULL, 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(issue(f, "ca.crt", NULL, 0, NULL, "host.example", 0), AUTOCERT_ERR_INVALID);
    assert_int_equal(issue(f, "ca.crt", NULL, 0, NULL, NULL, 0), AUTOCERT_ERR_NO_NAMES);
    assert_int_equal(issue(f, "ca.crt", NULL, 0, "a.example", NULL, -1), AUTOCERT_ERR_INVALID);
    assert_int_equal(issue(f, "ca.crt", NULL, 0, "a.example", NULL, 3650), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "outlive"));
    assert_int_not_equal(stat(leaf_p, &st), 0);
    /* Existing output: refused, content untouched; --force replaces it. */
    assert_int_equal(issue(f, "ca.crt", NULL, 0, "a.example", NULL, 0), AUTOCERT_OK);
    assert_int_equal(ac_file_read(NULL, leaf_p, 1 << 20, &before, &lb), AUTOCERT_OK);
    assert_int_equal(issue(f, "ca.crt", NULL, 0, "b.example", NULL, 0), AUTOCERT_ERR_EXISTS);
    assert_int_equal(ac_file_read(NULL, leaf_p, 1 << 20, &after, &la), AUTOCERT_OK);
    assert_int_equal(la, lb);
    assert_memory_equal(after, before, la);
    free(after);
    /* A key that is not the CA's. */
    assert_int_equal(issue(f, "ca.crt", "n2", 0, "a.example", NULL, 0), AUTOCERT_OK);
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
    char *csr_p = path(f, "req.csr"), *ca_p = path(f, "ca.crt"), *key_p = path(f, "ca.key");
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

    make_cas(f, 0, AUTOCERT_KEY_EC256);
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
    leaf = load_first(out);
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

static void test_p12_roundtrip(void **state)
{
    fixture *f = *state;
    char *crt = path(f, "node.crt"), *key = path(f, "node.key"), *p12 = path(f, "node.p12");
    char *pw = path(f, "pw"), *bad = path(f, "bad"), *missing_key = path(f, "ca.key");
    EVP_PKEY *k = NULL;
    STACK_OF(X509) *certs = NULL;
    struct stat st;

    make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(issue(f, "intermediate.crt", NULL, 0, "p.example", NULL, 0), AUTOCERT_OK);
    write_text(f, "pw", "s3cret\n");
    write_text(f, "bad", "wrong\n");
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, missing_key, NULL, pw, NULL, 0),
                     AUTOCERT_ERR_MISMATCH);
    assert_int_not_equal(stat(p12, &st), 0);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, NULL, pw, NULL, 0), AUTOCERT_OK);
    assert_int_equal(stat(p12, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, NULL, pw, NULL, 0), AUTOCERT_ERR_EXISTS);
    assert_int_equal(ac_privkey_load(f->ctx, p12, bad, &k), AUTOCERT_ERR_PASSWORD);
    assert_int_equal(ac_privkey_load(f->ctx, p12, NULL, &k), AUTOCERT_ERR_PASSWORD);
    assert_int_equal(ac_privkey_load(f->ctx, p12, pw, &k), AUTOCERT_OK);
    assert_int_equal(ac_certs_load(f->ctx, p12, pw, &certs), AUTOCERT_OK);
    assert_int_equal(sk_X509_num(certs), 2);
    assert_int_equal(X509_check_private_key(sk_X509_value(certs, 0), k), 1);
    sk_X509_pop_free(certs, X509_free);
    EVP_PKEY_free(k);
    free(crt);
    free(key);
    free(p12);
    free(pw);
    free(bad);
    free(missing_key);
}

static void test_encrypted_pkcs8_issuer(void **state)
{
    fixture *f = *state;
    char *kp = path(f, "ca.key"), *enc = path(f, "ca-enc.key"), *pw = path(f, "pw"), *bad = path(f, "bad");
    EVP_PKEY *k = NULL;
    FILE *fp;

    make_cas(f, 0, AUTOCERT_KEY_EC256);
    assert_int_equal(ac_privkey_load(f->ctx, kp, NULL, &k), AUTOCERT_OK);
    fp = fopen(enc, "w");
    assert_non_null(fp);
    assert_true(PEM_write_PKCS8PrivateKey(fp, k, EVP_aes_256_cbc(), "pa55", 4, NULL, NULL));
    fclose(fp);
    EVP_PKEY_free(k);
    k = NULL;
    write_text(f, "pw", "pa55\r\n");
    write_text(f, "bad", "nope\n");
    assert_int_equal(ac_privkey_load(f->ctx, enc, NULL, &k), AUTOCERT_ERR_PASSWORD);
    assert_int_equal(ac_privkey_load(f->ctx, enc, bad, &k), AUTOCERT_ERR_PASSWORD);
    assert_non_null(strstr(autocert_last_error(f->ctx), "wrong password"));
    assert_int_equal(ac_privkey_load(f->ctx, enc, pw, &k), AUTOCERT_OK);
    EVP_PKEY_free(k);
    free(kp);
    free(enc);
    free(pw);
    free(bad);
}

static void test_inspect_json(void **state)
{
    fixture *f = *state;
    char *crt = path(f, "node.crt"), *key = path(f, "node.key"), *out = NULL;
    json_t *doc, *items, *leaf;
    json_error_t jerr;

    make_cas(f, 1, AUTOCERT_KEY_EC384);
    assert_int_equal(issue(f, "intermediate.crt", NULL, AUTOCERT_USAGE_SERVER | AUTOCERT_USAGE_CLIENT,
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
        cmocka_unit_test(test_serial_random_positive),
        cmocka_unit_test_setup_teardown(test_validity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sans_and_md, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_intermediate_leaf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_nothing_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_csr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_p12_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encrypted_pkcs8_issuer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_json, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
