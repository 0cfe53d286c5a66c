/* test_order.c: one ACME order: newOrder, finalize with a CSR, waiting while it processes, the download, against a CA in memory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "fakeca.h"
#include "protofx.h"

static const ac_ident NAMES[] = {
    {AC_ID_DNS, (char *)"a.example"},
    {AC_ID_DNS, (char *)"www.a.example"},
    {AC_ID_IP, (char *)"192.0.2.1"},
    {AC_ID_IP, (char *)"2001:db8::1"},
};
#define N_NAMES (sizeof(NAMES) / sizeof(NAMES[0]))

/* A session with an account on the fake CA. */
static void session(protofx *f, ac_session *s)
{
    assert_int_equal(ac_session_init(s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_account_ensure(s), AUTOCERT_OK);
}

/* The payload of the last POST to `prefix`. */
static json_t *last_payload(protofx *f, const char *prefix)
{
    long i = -1, last = -1;

    while ((i = fakeca_find(f->ca, "POST", prefix, (size_t)(i + 1))) >= 0)
        last = i;
    assert_true(last >= 0);
    return fakeca_req_at(f->ca, (size_t)last)->payload;
}

/* ---- newOrder ----------------------------------------------------------------- */

static void check_identifiers(json_t *payload)
{
    json_t *ids = json_object_get(payload, "identifiers");
    size_t i;

    assert_int_equal(json_array_size(ids), N_NAMES);
    for (i = 0; i < N_NAMES; i++) {
        json_t *id = json_array_get(ids, i);

        assert_int_equal(json_object_size(id), 2);
        assert_string_equal(json_string_value(json_object_get(id, "type")),
                            NAMES[i].type == AC_ID_IP ? "ip" : "dns");
        assert_string_equal(json_string_value(json_object_get(id, "value")), NAMES[i].value);
    }
}

static void test_new_order_payload(void **state)
{
    protofx *f = *state;
    /* Two certificates: the CA refuses to replace one twice. */
    static const char *const replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
    static const char *const replaces2 = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyI";
    const ac_order_opts profile_only = {"shortlived", NULL}, replaces_only = {NULL, replaces},
                        both = {"tlsserver", replaces2}, none = {NULL, NULL};
    json_t *p;
    ac_session s;
    ac_order o;

    session(f, &s);
    assert_int_equal(ac_order_new(&s, NAMES, N_NAMES, NULL, &o), AUTOCERT_OK);
    assert_string_equal(o.url, FAKECA_URL "/order/0");
    assert_string_equal(ac_acme_status(o.obj), "pending");
    assert_int_equal(json_array_size(json_object_get(o.obj, "authorizations")), N_NAMES);
    ac_order_clear(&o);
    p = last_payload(f, "/new-order");
    check_identifiers(p);
    assert_int_equal(json_object_size(p), 1);

    assert_int_equal(ac_order_new(&s, NAMES, N_NAMES, &none, &o), AUTOCERT_OK);
    ac_order_clear(&o);
    assert_int_equal(json_object_size(last_payload(f, "/new-order")), 1);

    assert_int_equal(ac_order_new(&s, NAMES, N_NAMES, &profile_only, &o), AUTOCERT_OK);
    ac_order_clear(&o);
    p = last_payload(f, "/new-order");
    check_identifiers(p);
    assert_string_equal(json_string_value(json_object_get(p, "profile")), "shortlived");
    assert_null(json_object_get(p, "replaces"));

    assert_int_equal(ac_order_new(&s, NAMES, N_NAMES, &replaces_only, &o), AUTOCERT_OK);
    ac_order_clear(&o);
    p = last_payload(f, "/new-order");
    assert_null(json_object_get(p, "profile"));
    assert_string_equal(json_string_value(json_object_get(p, "replaces")), replaces);

    assert_int_equal(ac_order_new(&s, NAMES, N_NAMES, &both, &o), AUTOCERT_OK);
    ac_order_clear(&o);
    p = last_payload(f, "/new-order");
    check_identifiers(p);
    assert_string_equal(json_string_value(json_object_get(p, "profile")), "tlsserver");
    assert_string_equal(json_string_value(json_object_get(p, "replaces")), replaces2);
    assert_int_equal(json_object_size(p), 3);
    ac_session_cleanup(&s);
}

static void test_new_order_without_location(void **state)
{
    protofx *f = *state;
    ac_session s;
    ac_order o;

    session(f, &s);
    fakeca_knobs_of(f->ca)->order_no_location = 1;
    assert_int_equal(ac_order_new(&s, NAMES, 1, NULL, &o), AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "Location"));
    assert_null(o.url);
    assert_null(o.obj);
    ac_session_cleanup(&s);
}

static void test_new_order_without_authorizations(void **state)
{
    protofx *f = *state;
    ac_session s;
    ac_order o;

    session(f, &s);
    fakeca_knobs_of(f->ca)->order_no_authz = 1;
    assert_int_equal(ac_order_new(&s, NAMES, 1, NULL, &o), AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "no authorizations"));
    assert_null(o.url);
    assert_null(o.obj);
    ac_session_cleanup(&s);
}

/* ---- finalize -------------------------------------------------------------------- */

/* A new order whose authorizations the CA already holds valid: ready. */
static void ready_order(protofx *f, ac_session *s, ac_order *o, size_t n)
{
    fakeca_knobs_of(f->ca)->authz_valid = 1;
    session(f, s);
    assert_int_equal(ac_order_new(s, NAMES, n, NULL, o), AUTOCERT_OK);
    assert_string_equal(ac_acme_status(o->obj), "ready");
}

/* The subjectAltNames of a CSR, "DNS:x" and "IP:x", sorted, comma separated. */
static char *csr_names(X509_REQ *req)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
    char *v[16];
    ac_buf b;
    int i, j, n = sk_GENERAL_NAME_num(gens);

    assert_non_null(gens);
    assert_true(n > 0 && n <= 16);
    for (i = 0; i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        int type;
        const ASN1_STRING *a = GENERAL_NAME_get0_value(g, &type);
        const unsigned char *d = ASN1_STRING_get0_data(a);
        char text[INET6_ADDRSTRLEN + 300];
        char ip[INET6_ADDRSTRLEN] = "?";

        if (type == GEN_DNS) {
            snprintf(text, sizeof(text), "DNS:%.*s", ASN1_STRING_length(a), (const char *)d);
        } else {
            assert_int_equal(type, GEN_IPADD);
            inet_ntop(ASN1_STRING_length(a) == 4 ? AF_INET : AF_INET6, d, ip, sizeof(ip));
            snprintf(text, sizeof(text), "IP:%s", ip);
        }
        v[i] = strdup(text);
    }
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (strcmp(v[j], v[i]) < 0) {
                char *t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
    ac_buf_init(&b, 4096);
    for (i = 0; i < n; i++) {
        assert_int_equal(ac_buf_appendf(&b, "%s%s", i ? "," : "", v[i]), 0);
        free(v[i]);
    }
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return ac_buf_steal(&b);
}

static void test_finalize_csr(void **state)
{
    protofx *f = *state;
    EVP_PKEY *key = NULL;
    unsigned char *der = NULL;
    const unsigned char *p;
    size_t len = 0;
    X509_REQ *req;
    char *names;
    ac_session s;
    ac_order o;

    ready_order(f, &s, &o, N_NAMES);
    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_EC256, &key), AUTOCERT_OK);
    assert_int_equal(ac_order_finalize(&s, &o, key, NAMES, N_NAMES), AUTOCERT_OK);
    assert_string_equal(ac_acme_status(o.obj), "valid");
    assert_int_equal(fakeca_count(f->ca, "POST", "/finalize/0"), 1);

    /* What the CA received: a CSR signed by the key, for exactly the names. */
    assert_int_equal(ac_b64url_decode(json_string_value(json_object_get(last_payload(f, "/finalize"),
                                                                        "csr")),
                                      &der, &len),
                     AUTOCERT_OK);
    p = der;
    req = d2i_X509_REQ(NULL, &p, (long)len);
    assert_non_null(req);
    assert_int_equal(X509_REQ_verify(req, key), 1);
    assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), key), 1);
    names = csr_names(req);
    assert_string_equal(names, "DNS:a.example,DNS:www.a.example,IP:192.0.2.1,IP:2001:db8::1");

    free(names);
    X509_REQ_free(req);
    free(der);
    EVP_PKEY_free(key);
    ac_order_clear(&o);
    ac_session_cleanup(&s);
}

static void test_finalize_waits_while_processing(void **state)
{
    protofx *f = *state;
    EVP_PKEY *key = NULL;
    ac_session s;
    ac_order o;

    fakeca_knobs_of(f->ca)->order_polls = 3;
    ready_order(f, &s, &o, 1);
    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_EC256, &key), AUTOCERT_OK);
    assert_int_equal(ac_order_finalize(&s, &o, key, NAMES, 1), AUTOCERT_OK);
    assert_string_equal(ac_acme_status(o.obj), "valid");
    assert_non_null(json_object_get(o.obj, "certificate"));
    /* Three polls answered "processing", the fourth "valid", no more. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/order/0"), 4);
    EVP_PKEY_free(key);
    ac_order_clear(&o);
    ac_session_cleanup(&s);
}

static void test_finalize_order_invalid(void **state)
{
    protofx *f = *state;
    EVP_PKEY *key = NULL;
    ac_session s;
    ac_order o;

    fakeca_knobs_of(f->ca)->order_polls = 1;
    fakeca_knobs_of(f->ca)->order_error = "urn:ietf:params:acme:error:serverInternal";
    ready_order(f, &s, &o, 1);
    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_EC256, &key), AUTOCERT_OK);
    assert_int_equal(ac_order_finalize(&s, &o, key, NAMES, 1), AUTOCERT_ERR_ACME);
    assert_string_equal(ac_acme_status(o.obj), "invalid");
    /* The order's own problem is the error. */
    assert_string_equal(autocert_last_problem_type(f->ctx),
                        "urn:ietf:params:acme:error:serverInternal");
    assert_non_null(strstr(autocert_last_error(f->ctx), "finalize"));
    assert_non_null(strstr(autocert_last_error(f->ctx), "the fake CA could not issue"));
    assert_int_equal(fakeca_issued(f->ca), 0);
    EVP_PKEY_free(key);
    ac_order_clear(&o);
    ac_session_cleanup(&s);
}

/* ---- download -------------------------------------------------------------------- */

static void test_download(void **state)
{
    protofx *f = *state;
    EVP_PKEY *key = NULL;
    char *chain = NULL, *leaf = NULL, *rest = NULL;
    ac_certinfo ci;
    ac_session s;
    ac_order o;

    ready_order(f, &s, &o, 2);
    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_EC256, &key), AUTOCERT_OK);
    assert_int_equal(ac_order_finalize(&s, &o, key, NAMES, 2), AUTOCERT_OK);
    assert_int_equal(ac_order_download(&s, &o, &chain), AUTOCERT_OK);
    assert_non_null(chain);
    assert_int_equal(fakeca_count(f->ca, "POST", "/cert/0"), 1);
    /* The leaf for the key and names, then the CA's chain. */
    assert_int_equal(ac_pem_split(f->ctx, chain, strlen(chain), &leaf, &rest), AUTOCERT_OK);
    assert_string_equal(rest, fakeca_root_pem(f->ca));
    assert_true(ac_key_matches_cert(key, leaf, strlen(leaf)));
    assert_int_equal(ac_certinfo_parse(f->ctx, leaf, strlen(leaf), "leaf", &ci), AUTOCERT_OK);
    assert_int_equal(ci.n_names, 2);
    assert_string_equal(ci.names[0], "a.example");
    assert_string_equal(ci.names[1], "www.a.example");
    ac_certinfo_clear(&ci);
    free(leaf);
    free(rest);
    free(chain);
    EVP_PKEY_free(key);
    ac_order_clear(&o);
    ac_session_cleanup(&s);
}

static void test_download_without_certificate_url(void **state)
{
    protofx *f = *state;
    EVP_PKEY *key = NULL;
    char *chain = (char *)"x";
    ac_session s;
    ac_order o;

    fakeca_knobs_of(f->ca)->order_no_cert_url = 1;
    ready_order(f, &s, &o, 1);
    assert_int_equal(ac_key_generate(f->ctx, AUTOCERT_KEY_EC256, &key), AUTOCERT_OK);
    assert_int_equal(ac_order_finalize(&s, &o, key, NAMES, 1), AUTOCERT_OK);
    assert_int_equal(ac_order_download(&s, &o, &chain), AUTOCERT_ERR_PROTOCOL);
    assert_null(chain);
    assert_non_null(strstr(autocert_last_error(f->ctx), "no certificate URL"));
    assert_int_equal(fakeca_count(f->ca, "POST", "/cert/"), 0);
    EVP_PKEY_free(key);
    ac_order_clear(&o);
    ac_session_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_order_payload, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_new_order_without_location, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_new_order_without_authorizations, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_finalize_csr, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_finalize_waits_while_processing, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_finalize_order_invalid, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_download, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_download_without_certificate_url, protofx_setup,
                                        protofx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
