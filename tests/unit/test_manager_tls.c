/* test_manager_tls.c: the manager's OpenSSL binding in real handshakes: certificate by SNI, ALPN, TLS-ALPN-01, and swaps while threads handshake. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "manager/manager.h"
#include "mgrfx.h"

static const char *const AB[] = {"a.example", "b.example"};

#define TOKEN "tok_123-abc"
#define KEY_AUTH TOKEN ".thumbprint_xyz"
#define ACME_TLS "\x0a" "acme-tls/1"

/* The CA's root, to verify chains. */
static X509 *root_of(protofx *f)
{
    return mgrfx_first_cert(fakeca_root_pem(f->ca));
}

static void expect_peer(mgrfx_hs r, X509 *want)
{
    assert_true(r.ok);
    assert_non_null(r.peer);
    assert_int_equal(X509_cmp(r.peer, want), 0);
    assert_false(r.challenge);
    X509_free(r.peer);
}

static void expect_failure(mgrfx_hs r)
{
    assert_false(r.ok);
    assert_false(r.challenge);
    X509_free(r.peer);
}

static void test_certificate_by_sni(void **state)
{
    protofx *f = *state;
    SSL_CTX *sctx = mgrfx_server_ctx();
    X509 *root = root_of(f), *a, *b;
    autocert_manager *m;
    size_t before;

    mgrfx_obtain(f, "a.example");
    mgrfx_obtain(f, "b.example");
    m = mgrfx_manager(f, AB, 2, sctx);
    a = mgrfx_served_leaf(m, "a.example");
    b = mgrfx_served_leaf(m, "b.example");
    before = fakeca_nreq(f->ca);
    expect_peer(mgrfx_handshake(sctx, "a.example", NULL, root), a);
    expect_peer(mgrfx_handshake(sctx, "b.example", NULL, root), b);
    expect_peer(mgrfx_handshake(sctx, "B.Example.", NULL, root), b);
    /* No SNI: the first host's. */
    expect_peer(mgrfx_handshake(sctx, NULL, NULL, root), a);
    mgrfx_tls12 = 1;
    expect_peer(mgrfx_handshake(sctx, "b.example", NULL, root), b);
    expect_failure(mgrfx_handshake(sctx, "c.example", NULL, NULL));
    mgrfx_tls12 = 0;
    /* Outside the policy: the handshake fails, and nothing is ordered. */
    expect_failure(mgrfx_handshake(sctx, "c.example", NULL, NULL));
    expect_failure(mgrfx_handshake(sctx, "a.example.evil", NULL, NULL));
    usleep(1200000); /* a pass of the thread */
    assert_int_equal(fakeca_nreq(f->ca), before);
    mgrfx_done(m);
    X509_free(a);
    X509_free(b);
    X509_free(root);
    SSL_CTX_free(sctx);
}

static void test_alpn_selection(void **state)
{
    protofx *f = *state;
    SSL_CTX *sctx = mgrfx_server_ctx();
    autocert_manager *m;
    mgrfx_hs r;

    mgrfx_obtain(f, "a.example");
    m = mgrfx_manager(f, AB, 1, sctx);
    /* The server's order wins. */
    r = mgrfx_handshake(sctx, "a.example", "\x08http/1.1\x02h2", NULL);
    assert_true(r.ok);
    assert_string_equal(r.alpn, "h2");
    X509_free(r.peer);
    r = mgrfx_handshake(sctx, "a.example", "\x08http/1.1", NULL);
    assert_true(r.ok);
    assert_string_equal(r.alpn, "http/1.1");
    X509_free(r.peer);
    /* Nothing in common: no protocol, the handshake goes on. */
    r = mgrfx_handshake(sctx, "a.example", "\x04spdy", NULL);
    assert_true(r.ok);
    assert_string_equal(r.alpn, "");
    X509_free(r.peer);
    mgrfx_done(m);
    SSL_CTX_free(sctx);
}

/* The peer is the challenge certificate of `name`: its SAN, and the
 * critical acmeIdentifier extension. */
static void expect_challenge(mgrfx_hs r)
{
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
    int i;

    assert_true(r.ok);
    assert_true(r.challenge);
    assert_string_equal(r.alpn, "acme-tls/1");
    assert_non_null(r.peer);
    assert_true((i = X509_get_ext_by_OBJ(r.peer, oid, -1)) >= 0);
    assert_true(X509_EXTENSION_get_critical(X509_get_ext(r.peer, i)));
    assert_int_equal(X509_check_host(r.peer, "a.example", 0, 0, NULL), 1);
    ASN1_OBJECT_free(oid);
    X509_free(r.peer);
}

static void test_tls_alpn_challenge(void **state)
{
    protofx *f = *state;
    SSL_CTX *sctx = mgrfx_server_ctx();
    autocert_manager *m;
    char *cert = NULL, *key = NULL;
    mgrfx_hs r;

    mgrfx_obtain(f, "a.example");
    mgrfx_obtain(f, "b.example");
    m = mgrfx_manager(f, AB, 2, sctx);
    assert_int_equal(f->ctx->tls_listener, 1);
    /* No challenge live: acme-tls/1 is refused. */
    expect_failure(mgrfx_handshake(sctx, "a.example", ACME_TLS, NULL));
    assert_int_equal(autocert_manager_alpn_challenge(m, "a.example", &cert, &key),
                     AUTOCERT_ERR_NOT_FOUND);
    assert_int_equal(ac_live_add(m->live, f->ctx, "tls-alpn-01", "a.example", TOKEN, KEY_AUTH),
                     AUTOCERT_OK);
    expect_challenge(mgrfx_handshake(sctx, "A.example", ACME_TLS "\x02h2", NULL));
    /* Only for its name, and never without SNI. */
    expect_failure(mgrfx_handshake(sctx, "b.example", ACME_TLS, NULL));
    expect_failure(mgrfx_handshake(sctx, NULL, ACME_TLS, NULL));
    /* Other clients of the name still get its certificate. */
    r = mgrfx_handshake(sctx, "a.example", "\x02h2", NULL);
    assert_true(r.ok);
    assert_false(r.challenge);
    X509_free(r.peer);
    /* The same as PEM for other TLS libraries. */
    assert_int_equal(autocert_manager_alpn_challenge(m, "a.example.", &cert, &key), AUTOCERT_OK);
    assert_non_null(strstr(cert, "BEGIN CERTIFICATE"));
    assert_non_null(strstr(key, "PRIVATE KEY"));
    free(cert);
    autocert_secret_free(key);
    /* Over TLS 1.2 too, for a host served a certificate of the same key
     * type (the cipher suite is chosen before ALPN). */
    mgrfx_tls12 = 1;
    expect_challenge(mgrfx_handshake(sctx, "a.example", ACME_TLS, NULL));
    r = mgrfx_handshake(sctx, "a.example", "\x08http/1.1", NULL);
    assert_true(r.ok);
    assert_false(r.challenge);
    assert_string_equal(r.alpn, "http/1.1");
    X509_free(r.peer);
    mgrfx_tls12 = 0;
    ac_live_remove(m->live, TOKEN);
    expect_failure(mgrfx_handshake(sctx, "a.example", ACME_TLS, NULL));
    mgrfx_done(m);
    SSL_CTX_free(sctx);
}

/* A server that requires client certificates (mutual TLS) still answers
 * the CA, which has none; other clients without one are refused. */
static void test_challenge_with_client_certificates(void **state)
{
    protofx *f = *state;
    SSL_CTX *sctx = mgrfx_server_ctx();
    autocert_manager *m;

    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    mgrfx_obtain(f, "a.example");
    m = mgrfx_manager(f, AB, 1, sctx);
    expect_failure(mgrfx_handshake(sctx, "a.example", "\x02h2", NULL));
    assert_int_equal(ac_live_add(m->live, f->ctx, "tls-alpn-01", "a.example", TOKEN, KEY_AUTH),
                     AUTOCERT_OK);
    expect_challenge(mgrfx_handshake(sctx, "a.example", ACME_TLS, NULL));
    mgrfx_tls12 = 1;
    expect_challenge(mgrfx_handshake(sctx, "a.example", ACME_TLS, NULL));
    expect_failure(mgrfx_handshake(sctx, "a.example", "\x02h2", NULL));
    mgrfx_done(m);
    SSL_CTX_free(sctx);
}

/* A host of the policy without a certificate yet: its handshakes fail,
 * except the validation of its challenge. */
static void test_no_certificate_yet(void **state)
{
    protofx *f = *state;
    SSL_CTX *sctx = mgrfx_server_ctx();
    const char *a[] = {"a.example"};
    int failed[2] = {AUTOCERT_EVENT_FAILED, 1};
    autocert_manager *m;

    fakeca_knobs_of(f->ca)->order_error = "urn:ietf:params:acme:error:rejectedIdentifier";
    m = mgrfx_manager(f, a, 1, sctx);
    assert_true(mgrfx_wait(mgrfx_event_seen, m, failed));
    expect_failure(mgrfx_handshake(sctx, "a.example", NULL, NULL));
    expect_failure(mgrfx_handshake(sctx, NULL, "\x02h2", NULL));
    assert_int_equal(ac_live_add(m->live, f->ctx, "tls-alpn-01", "a.example", TOKEN, KEY_AUTH),
                     AUTOCERT_OK);
    expect_challenge(mgrfx_handshake(sctx, "a.example", ACME_TLS, NULL));
    expect_failure(mgrfx_handshake(sctx, "a.example", "\x02h2", NULL));
    mgrfx_done(m);
    SSL_CTX_free(sctx);
}

/* ---- TLS-ALPN-01 end to end: the CA validates through a handshake --------------------- */

typedef struct {
    SSL_CTX *sctx;
    int checked;
} validator;

/* The acmeIdentifier extension of `x` holds SHA-256(key_auth) as a DER
 * OCTET STRING. */
static int holds_key_auth(X509 *x, const char *key_auth)
{
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
    int i = X509_get_ext_by_OBJ(x, oid, -1);
    const ASN1_OCTET_STRING *d = i >= 0 ? X509_EXTENSION_get_data(X509_get_ext(x, i)) : NULL;
    unsigned char want[34] = {0x04, 0x20};

    ASN1_OBJECT_free(oid);
    SHA256((const unsigned char *)key_auth, strlen(key_auth), want + 2);
    return d != NULL && ASN1_STRING_length(d) == 34 &&
           memcmp(ASN1_STRING_get0_data(d), want, 34) == 0;
}

/* The fake CA's validation: a handshake with SNI `ident` offering only
 * acme-tls/1, as RFC 8737 section 3 has the CA do it. */
static int validate_tls_alpn(void *arg, const char *type, const char *ident, const char *key_auth)
{
    validator *v = arg;
    mgrfx_hs r;
    int ok;

    if (strcmp(type, "tls-alpn-01") != 0)
        return 0;
    r = mgrfx_handshake(v->sctx, ident, ACME_TLS, NULL);
    ok = r.ok && r.challenge && strcmp(r.alpn, "acme-tls/1") == 0 && r.peer != NULL &&
         X509_check_host(r.peer, ident, 0, 0, NULL) == 1 && holds_key_auth(r.peer, key_auth);
    X509_free(r.peer);
    __atomic_add_fetch(&v->checked, ok, __ATOMIC_RELAXED);
    return ok;
}

static void test_tls_alpn_obtains(void **state)
{
    protofx *f = *state;
    SSL_CTX *sctx = mgrfx_server_ctx();
    validator v = {sctx, 0};
    const char *a[] = {"a.example"};
    size_t one = 1;
    autocert_manager *m;
    mgrfx_hs r;

    fakeca_knobs_of(f->ca)->chal_type = "tls-alpn-01";
    fakeca_knobs_of(f->ca)->validate = validate_tls_alpn;
    fakeca_knobs_of(f->ca)->validate_arg = &v;
    /* A listener on 443: TLS-ALPN-01, the first certificate included. */
    m = mgrfx_manager_port(f, a, 1, sctx, 443);
    assert_string_equal(autocert_manager_challenge(m), "tls-alpn-01");
    assert_true(mgrfx_wait(mgrfx_count_is, m, &one));
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_OBTAINED), 1);
    assert_true(__atomic_load_n(&v.checked, __ATOMIC_RELAXED) >= 1);
    r = mgrfx_handshake(sctx, "a.example", "\x02h2", NULL);
    assert_true(r.ok);
    assert_false(r.challenge);
    assert_string_equal(r.alpn, "h2");
    X509_free(r.peer);
    /* The challenge was withdrawn with the order. */
    expect_failure(mgrfx_handshake(sctx, "a.example", ACME_TLS, NULL));
    mgrfx_done(m);
    SSL_CTX_free(sctx);
}

/* ---- swaps while threads handshake ---------------------------------------------------- */

typedef struct {
    protofx *f;
    autocert_manager *m;
    SSL_CTX *sctx;
    X509 *root;
    volatile int stop;
    int handshakes, failures;
} load;

static void *handshaker(void *arg)
{
    load *l = arg;
    char *chain = NULL, *key = NULL;
    EVP_PKEY *k = NULL;
    mgrfx_hs r;

    while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
        /* A whole certificate: the chain verifies and the handshake proves
         * the key; the lookup's key fits its chain. */
        r = mgrfx_handshake(l->sctx, "a.example", NULL, l->root);
        X509_free(r.peer);
        if (autocert_manager_lookup(l->m, "a.example", &chain, &key) != AUTOCERT_OK ||
            ac_key_from_pem(NULL, key, strlen(key), "key", &k) != AUTOCERT_OK ||
            !ac_key_matches_cert(k, chain, strlen(chain)))
            r.ok = 0;
        EVP_PKEY_free(k);
        k = NULL;
        free(chain);
        autocert_secret_free(key);
        chain = key = NULL;
        __atomic_add_fetch(&l->handshakes, 1, __ATOMIC_RELAXED);
        if (!r.ok)
            __atomic_add_fetch(&l->failures, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_swap_under_load(void **state)
{
    protofx *f = *state;
    load l;
    pthread_t t[4];
    autocert_renew_info info;
    X509 *first, *last;
    int i;

    memset(&l, 0, sizeof(l));
    l.f = f;
    l.sctx = mgrfx_server_ctx();
    l.root = root_of(f);
    mgrfx_obtain(f, "a.example");
    l.m = mgrfx_manager(f, AB, 1, l.sctx);
    first = mgrfx_served_leaf(l.m, "a.example");
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, handshaker, &l), 0);
    for (i = 0; i < 6; i++) {
        autocert_renew_info_init(&info);
        if (autocert_manager_renew(l.m, "a.example", AUTOCERT_RENEW_FORCE, &info) != AUTOCERT_OK)
            fail_msg("renew: %s", autocert_last_error(f->ctx));
        assert_int_equal(info.outcome, AUTOCERT_RENEW_RENEWED);
    }
    __atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(l.failures, 0);
    assert_true(l.handshakes > 4);
    assert_int_equal(mgrfx_events(AUTOCERT_EVENT_RENEWED), 6);
    last = mgrfx_served_leaf(l.m, "a.example");
    assert_int_not_equal(X509_cmp(first, last), 0);
    expect_peer(mgrfx_handshake(l.sctx, "a.example", NULL, l.root), last);
    X509_free(first);
    X509_free(last);
    mgrfx_done(l.m);
    X509_free(l.root);
    SSL_CTX_free(l.sctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_certificate_by_sni, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_alpn_selection, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_tls_alpn_challenge, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_challenge_with_client_certificates, mgrfx_setup,
                                        mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_no_certificate_yet, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_tls_alpn_obtains, mgrfx_setup, mgrfx_teardown),
        cmocka_unit_test_setup_teardown(test_swap_under_load, mgrfx_setup, mgrfx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
