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

static const char *last(fixture *f)
{
    return autocert_last_error(f->ctx);
}

/* inspect of `name` (with the password file `pw`, may be NULL) as text, or
 * as parsed JSON into *doc when doc is not NULL. */
static char *inspect(fixture *f, const char *name, const char *pw, json_t **doc)
{
    char *p = fx_path(f, name), *pwp = pw ? fx_path(f, pw) : NULL, *out = NULL;
    json_error_t jerr;

    assert_int_equal(autocert_inspect_file(f->ctx, p, pwp, doc ? AUTOCERT_INSPECT_JSON : 0, &out),
                     AUTOCERT_OK);
    assert_non_null(out);
    if (doc) {
        *doc = json_loads(out, 0, &jerr);
        assert_non_null(*doc);
        free(out);
        out = NULL;
    }
    free(p);
    free(pwp);
    return out;
}

static const char *item_str(json_t *doc, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(doc, "items"), i), key));
}

/* Concatenates files of the directory into `name`. */
static void cat_files(fixture *f, const char *name, const char **parts, size_t n)
{
    char *p = fx_path(f, name);
    FILE *out = fopen(p, "w");
    size_t i;

    assert_non_null(out);
    for (i = 0; i < n; i++) {
        char *q = fx_path(f, parts[i]);
        unsigned char *data = NULL;
        size_t len = 0;

        assert_int_equal(ac_file_read(NULL, q, 1 << 20, &data, &len), AUTOCERT_OK);
        assert_int_equal(fwrite(data, 1, len, out), len);
        free(data);
        free(q);
    }
    assert_int_equal(fclose(out), 0);
    free(p);
}

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

static void test_inspect_text_chain(void **state)
{
    fixture *f = *state;
    char *out, *crt = fx_path(f, "node.crt"), head[512];

    fx_make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, AUTOCERT_USAGE_SERVER, "t.example",
                              "2001:db8::5", 0),
                     AUTOCERT_OK);
    out = inspect(f, "node.crt", NULL, NULL);
    snprintf(head, sizeof(head),
             "%s:\n  [1] certificate, leaf\n    subject:     CN=t.example\n"
             "    SANs:        DNS:t.example, IP:2001:db8::5\n"
             "    issuer:      CN=autocert Intermediate CA\n",
             crt);
    assert_int_equal(strncmp(out, head, strlen(head)), 0);
    assert_non_null(strstr(out, "    key usage:   digitalSignature\n    ext usage:   serverAuth\n"));
    assert_non_null(strstr(out, "  [2] certificate, intermediate CA (pathLen 0)\n"));
    assert_non_null(strstr(out, "    key usage:   digitalSignature, keyCertSign, cRLSign\n"
                                "    ext usage:   (none)\n"));
    assert_non_null(strstr(out, "  chain order: ok (leaf first, each certificate followed by its "
                                "issuer)\n"));
    /* 365 days, less the seconds since issuance. */
    assert_true(strstr(out, "(valid, 365 days left)\n") || strstr(out, "(valid, 364 days left)\n"));
    free(out);
    /* A root CA on its own: no chain line. */
    out = inspect(f, "ca.crt", NULL, NULL);
    assert_non_null(strstr(out, "  [1] certificate, root CA\n"));
    assert_null(strstr(out, "chain order"));
    free(out);
    free(crt);
}

static void test_inspect_chain_order(void **state)
{
    fixture *f = *state;
    const char *wrong[2] = {"intermediate.crt", "node.crt"};
    const char *full[3] = {"node.crt", "ca.crt", "node.key"};
    const char *other[2] = {"node.crt", "intermediate.key"};
    json_t *doc;
    char *out;

    fx_make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, 0, "o.example", NULL, 0), AUTOCERT_OK);
    cat_files(f, "wrong.pem", wrong, 2);
    inspect(f, "wrong.pem", NULL, &doc);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "chain"), "order")),
                        "wrong");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "chain"), "detail")),
                        "certificate 1 was not issued by certificate 2");
    json_decref(doc);
    /* Leaf, intermediate, root and the leaf's key. */
    cat_files(f, "full.pem", full, 3);
    inspect(f, "full.pem", NULL, &doc);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 4);
    assert_string_equal(item_str(doc, 3, "type"), "private key");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "chain"), "detail")),
                        "leaf first, each certificate followed by its issuer; ends with a "
                        "self-signed root (servers normally leave it out)");
    assert_true(json_is_true(json_object_get(doc, "key_matches_certificate")));
    json_decref(doc);
    out = inspect(f, "full.pem", NULL, NULL);
    assert_non_null(strstr(out, "  private key matches the first certificate: yes\n"));
    free(out);
    cat_files(f, "other.pem", other, 2);
    out = inspect(f, "other.pem", NULL, NULL);
    assert_non_null(strstr(out, "  private key matches the first certificate: NO\n"));
    free(out);
}

/* ---- CSRs ---------------------------------------------------------------- */

static void test_inspect_csr(void **state)
{
    fixture *f = *state;
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_EC256);
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    static const unsigned char v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const char *want[] = {"DNS:c.example", "IP:2001:db8::1", "email:a@example.com",
                                 "URI:https://example.com/", "other", "IP:?",
                                 "DNS:e^[[2J^M.example", "URI:https://\\xff\\xfe/\\xe2\\x80\\xae"};
    json_t *doc, *sans;
    unsigned char *pem = NULL;
    size_t i, len = 0;
    char *out, *p;

    fx_san_add(gens, GEN_DNS, "c.example", 9);
    fx_san_add(gens, GEN_IPADD, v6, 16);
    fx_san_add(gens, GEN_EMAIL, "a@example.com", 13);
    fx_san_add(gens, GEN_URI, "https://example.com/", 20);
    fx_san_add_rid(gens, "1.2.3.4");
    fx_san_add(gens, GEN_IPADD, "\x0a\x00\x00\x01\x02", 5);
    /* The requester's text: shown escaped, and shown even when not UTF-8. */
    fx_san_add(gens, GEN_DNS, "e\033[2J\r.example", 15);
    fx_san_add(gens, GEN_URI, "https://\xff\xfe/\xe2\x80\xae", 14);
    fx_write_csr(f, "req.csr", k, "c.example", gens);
    inspect(f, "req.csr", NULL, &doc);
    assert_string_equal(item_str(doc, 0, "type"), "csr");
    assert_string_equal(item_str(doc, 0, "subject"), "CN=c.example");
    assert_true(json_is_true(json_object_get(json_array_get(json_object_get(doc, "items"), 0),
                                             "signature_valid")));
    sans = json_object_get(json_array_get(json_object_get(doc, "items"), 0), "sans");
    assert_int_equal(json_array_size(sans), 8);
    for (i = 0; i < 8; i++)
        assert_string_equal(json_string_value(json_array_get(sans, i)), want[i]);
    json_decref(doc);
    out = inspect(f, "req.csr", NULL, NULL);
    assert_non_null(strstr(out, "  [1] certificate signing request (signature valid)\n"
                                "    subject:     CN=c.example\n"
                                "    SANs:        DNS:c.example, IP:2001:db8::1, "
                                "email:a@example.com, URI:https://example.com/, other, IP:?, "
                                "DNS:e^[[2J^M.example, URI:https://\\xff\\xfe/\\xe2\\x80\\xae\n"
                                "    key:         ec256 (ECDSA, 256 bits)\n"));
    free(out);
    /* A CSR whose signature does not verify is described, not refused. */
    p = fx_path(f, "req.csr");
    assert_int_equal(ac_file_read(NULL, p, 1 << 20, &pem, &len), AUTOCERT_OK);
    {
        BIO *bio = BIO_new_mem_buf(pem, (int)len);
        X509_REQ *req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
        EVP_PKEY *other = fx_key(AUTOCERT_KEY_EC256);

        assert_non_null(req);
        /* Another key's public half under the original signature. */
        assert_true(X509_REQ_set_pubkey(req, other));
        BIO_free(bio);
        bio = BIO_new_file(p, "w");
        assert_true(PEM_write_bio_X509_REQ(bio, req));
        BIO_free(bio);
        X509_REQ_free(req);
        EVP_PKEY_free(other);
    }
    out = inspect(f, "req.csr", NULL, NULL);
    assert_non_null(strstr(out, "certificate signing request (signature INVALID)"));
    free(out);
    free(pem);
    free(p);
    GENERAL_NAMES_free(gens);
    EVP_PKEY_free(k);
}

/* ---- keys, bundles and other input --------------------------------------- */

static void test_inspect_keys(void **state)
{
    fixture *f = *state;
    char *enc = fx_path(f, "enc.key"), *pub = fx_path(f, "pub.pem"), *out, *bad;
    EVP_PKEY *k = fx_key(AUTOCERT_KEY_RSA2048);
    FILE *fp;

    fp = fopen(enc, "w");
    assert_non_null(fp);
    assert_true(PEM_write_PKCS8PrivateKey(fp, k, EVP_aes_256_cbc(), "pa55", 4, NULL, NULL));
    fclose(fp);
    fp = fopen(pub, "w");
    assert_non_null(fp);
    assert_true(PEM_write_PUBKEY(fp, k));
    fclose(fp);
    fx_write_text(f, "pw", "pa55\n");
    fx_write_text(f, "bad", "nope\n");
    out = inspect(f, "enc.key", NULL, NULL);
    assert_non_null(strstr(out, "  [1] encrypted private key\n"));
    free(out);
    out = inspect(f, "enc.key", "pw", NULL);
    assert_non_null(strstr(out, "  [1] private key\n    key:         rsa2048 (RSA, 2048 bits)\n"));
    free(out);
    out = inspect(f, "pub.pem", NULL, NULL);
    assert_non_null(strstr(out, "  [1] public key\n    key:         rsa2048 (RSA, 2048 bits)\n"));
    free(out);
    bad = fx_path(f, "bad");
    out = NULL;
    assert_int_equal(autocert_inspect_file(f->ctx, enc, bad, 0, &out), AUTOCERT_ERR_PASSWORD);
    assert_null(out);
    assert_non_null(strstr(last(f), "wrong password for the encrypted key"));
    assert_int_equal(ERR_peek_error(), 0);
    free(bad);
    free(enc);
    free(pub);
    EVP_PKEY_free(k);
}

static void test_inspect_p12_and_der(void **state)
{
    fixture *f = *state;
    char *crt = fx_path(f, "node.crt"), *key = fx_path(f, "node.key"), *p12 = fx_path(f, "n.p12");
    char *pw = fx_path(f, "pw");
    X509 *leaf;
    unsigned char *der = NULL;
    json_t *doc;
    int len;

    fx_make_cas(f, 1, AUTOCERT_KEY_EC256);
    assert_int_equal(fx_issue(f, "intermediate.crt", NULL, 0, "b.example", NULL, 0), AUTOCERT_OK);
    fx_write_text(f, "pw", "pa55\n");
    assert_int_equal(autocert_export_p12(f->ctx, p12, crt, key, NULL, pw, NULL, 0), AUTOCERT_OK);
    inspect(f, "n.p12", "pw", &doc);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 3);
    assert_string_equal(item_str(doc, 0, "subject"), "CN=b.example");
    assert_string_equal(item_str(doc, 1, "subject"), "CN=autocert Intermediate CA");
    assert_string_equal(item_str(doc, 2, "type"), "private key");
    assert_true(json_is_true(json_object_get(doc, "key_matches_certificate")));
    json_decref(doc);
    /* A DER certificate. */
    leaf = fx_load_first(crt);
    len = i2d_X509(leaf, &der);
    assert_true(len > 0);
    fx_write(f, "leaf.der", der, (size_t)len);
    inspect(f, "leaf.der", NULL, &doc);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 1);
    assert_string_equal(item_str(doc, 0, "subject"), "CN=b.example");
    assert_null(json_object_get(doc, "chain"));
    json_decref(doc);
    OPENSSL_free(der);
    X509_free(leaf);
    free(crt);
    free(key);
    free(p12);
    free(pw);
}

static void test_inspect_other_and_nothing(void **state)
{
    fixture *f = *state;
    char *garbage = fx_path(f, "garbage"), *broken = fx_path(f, "broken"), *out = NULL;
    json_t *doc;

    fx_write_text(f, "foo.pem", "-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n");
    inspect(f, "foo.pem", NULL, &doc);
    assert_string_equal(item_str(doc, 0, "type"), "other");
    assert_string_equal(item_str(doc, 0, "label"), "FOO");
    json_decref(doc);
    out = inspect(f, "foo.pem", NULL, NULL);
    assert_non_null(strstr(out, "  [1] PEM block \"FOO\" (not described)\n"));
    free(out);
    out = NULL;
    /* A label is the file's text: shown escaped, in text and in JSON. */
    fx_write_text(f, "esc.pem", "-----BEGIN \033]0;X\007\xff-----\nAAAA\n"
                                "-----END \033]0;X\007\xff-----\n");
    inspect(f, "esc.pem", NULL, &doc);
    assert_string_equal(item_str(doc, 0, "label"), "^[]0;X^G\\xff");
    json_decref(doc);
    out = inspect(f, "esc.pem", NULL, NULL);
    assert_non_null(strstr(out, "  [1] PEM block \"^[]0;X^G\\xff\" (not described)\n"));
    free(out);
    out = NULL;
    fx_write_text(f, "garbage", "\x01\x02\x03 nothing");
    assert_int_equal(autocert_inspect_file(f->ctx, garbage, NULL, 0, &out), AUTOCERT_ERR_INVALID);
    assert_null(out);
    fx_write_text(f, "broken", "-----BEGIN CERTIFICATE-----\n");
    assert_int_equal(autocert_inspect_file(f->ctx, broken, NULL, 0, &out), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(last(f), "no certificate, CSR or key found"));
    assert_int_equal(ERR_peek_error(), 0);
    free(garbage);
    free(broken);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_inspect_json, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_inspect_text_chain, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_inspect_chain_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_inspect_csr, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_inspect_keys, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_inspect_p12_and_der, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_inspect_other_and_nothing, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
