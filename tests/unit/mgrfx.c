/* mgrfx.c: the fixture of the manager tests: events recorded from any thread, a started manager on a CA in memory, TLS handshakes in memory. */
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

#include <openssl/err.h>
#include <openssl/pem.h>

#include "mgrfx.h"

/* ---- events, recorded from any thread ------------------------------------------ */

mgrfx_events_rec mgrfx_ev = {PTHREAD_MUTEX_INITIALIZER, {0}, "", ""};

void mgrfx_on_event(void *arg, autocert_event e, const char *name, const char *reason)
{
    mgrfx_events_rec *x = arg;

    pthread_mutex_lock(&x->mu);
    x->n[e]++;
    snprintf(x->last_name, sizeof(x->last_name), "%s", name);
    snprintf(x->last_reason, sizeof(x->last_reason), "%s", reason);
    pthread_mutex_unlock(&x->mu);
}

int mgrfx_events(autocert_event e)
{
    int n;

    pthread_mutex_lock(&mgrfx_ev.mu);
    n = mgrfx_ev.n[e];
    pthread_mutex_unlock(&mgrfx_ev.mu);
    return n;
}

void mgrfx_events_reset(void)
{
    pthread_mutex_lock(&mgrfx_ev.mu);
    memset(mgrfx_ev.n, 0, sizeof(mgrfx_ev.n));
    mgrfx_ev.last_name[0] = mgrfx_ev.last_reason[0] = '\0';
    pthread_mutex_unlock(&mgrfx_ev.mu);
}

/* Waits (10 s at most) until `cond(m)` holds. */
int mgrfx_wait(int (*cond)(autocert_manager *m, void *arg), autocert_manager *m, void *arg)
{
    int i;

    for (i = 0; i < 1000; i++) {
        if (cond(m, arg))
            return 1;
        usleep(10000);
    }
    return 0;
}

int mgrfx_count_is(autocert_manager *m, void *arg)
{
    return autocert_manager_count(m) == *(size_t *)arg;
}

int mgrfx_event_seen(autocert_manager *m, void *arg)
{
    const int *want = arg; /* {event, count} */

    (void)m;
    return mgrfx_events((autocert_event)want[0]) >= want[1];
}

/* ---- fixtures ---------------------------------------------------------------------- */

/* The manager a test runs: freed by the teardown when a failed assertion
 * left it running. */
static autocert_manager *current;

int mgrfx_setup(void **state)
{
    mgrfx_events_reset();
    mgrfx_tls12 = 0;
    return protofx_setup(state);
}

int mgrfx_teardown(void **state)
{
    mgrfx_done(current);
    return protofx_teardown(state);
}

void mgrfx_done(autocert_manager *m)
{
    autocert_manager_free(m);
    if (m == current)
        current = NULL;
}

void mgrfx_obtain(protofx *f, const char *name)
{
    autocert_err rc = autocert_obtain(f->ctx, &name, 1, 0, NULL);

    if (rc != AUTOCERT_OK)
        fail_msg("autocert_obtain %s: %s", name, autocert_last_error(f->ctx));
}

autocert_manager *mgrfx_manager(protofx *f, const char *const *hosts, size_t n,
                                    SSL_CTX *sctx)
{
    return mgrfx_manager_port(f, hosts, n, sctx, 0);
}

autocert_manager *mgrfx_manager_port(protofx *f, const char *const *hosts, size_t n,
                                     SSL_CTX *sctx, unsigned tls_port)
{
    autocert_manager *m = NULL;

    assert_int_equal(autocert_manager_new(f->ctx, &m), AUTOCERT_OK);
    current = m;
    assert_int_equal(autocert_manager_set_hosts(m, hosts, n), AUTOCERT_OK);
    autocert_manager_set_event_cb(m, mgrfx_on_event, &mgrfx_ev);
    autocert_manager_set_tls_port(m, tls_port);
    if (sctx)
        assert_int_equal(autocert_openssl_attach(m, sctx, MGRFX_ALPN, MGRFX_ALPN_LEN),
                         AUTOCERT_OK);
    current = m;
    if (autocert_manager_start(m) != AUTOCERT_OK)
        fail_msg("start: %s", autocert_last_error(f->ctx));
    return m;
}

X509 *mgrfx_first_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

    BIO_free(bio);
    return x;
}

/* ---- handshakes in memory ------------------------------------------------------------ */

int mgrfx_tls12;

SSL_CTX *mgrfx_server_ctx(void)
{
    SSL_CTX *s = SSL_CTX_new(TLS_server_method());

    assert_non_null(s);
    return s;
}

/* The chain the server sent: its leaf signed by `root`, then `root`
 * (the fake CA's root is no CA certificate for X509_verify_cert: it has
 * no basicConstraints). */
static int chain_ok(SSL *c, X509 *root)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c);
    EVP_PKEY *pub = X509_get0_pubkey(root);

    return chain != NULL && sk_X509_num(chain) == 2 &&
           X509_cmp(sk_X509_value(chain, 1), root) == 0 &&
           X509_verify(sk_X509_value(chain, 0), pub) == 1;
}

/* One handshake over a BIO pair: a client sending `sni` (may be NULL) and
 * offering `alpn` (wire format, may be NULL); `root` (may be NULL) verified. */
mgrfx_hs mgrfx_handshake(SSL_CTX *sctx, const char *sni, const char *alpn, X509 *root)
{
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *bc = NULL, *bs = NULL;
    const unsigned char *sel = NULL;
    unsigned int sellen = 0;
    int i, rc_c = 0, rc_s = 0;
    mgrfx_hs r;

    memset(&r, 0, sizeof(r));
    assert_int_equal(BIO_new_bio_pair(&bc, 0, &bs, 0), 1);
    SSL_set_bio(c, bc, bc);
    SSL_set_bio(s, bs, bs);
    if (mgrfx_tls12)
        SSL_set_max_proto_version(c, TLS1_2_VERSION);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    if (sni)
        SSL_set_tlsext_host_name(c, sni);
    if (alpn)
        SSL_set_alpn_protos(c, (const unsigned char *)alpn, (unsigned)strlen(alpn));
    for (i = 0; i < 50 && (rc_c != 1 || rc_s != 1); i++) {
        if (rc_c != 1 && (rc_c = SSL_do_handshake(c)) <= 0 &&
            SSL_get_error(c, rc_c) != SSL_ERROR_WANT_READ)
            break;
        if (rc_s != 1 && (rc_s = SSL_do_handshake(s)) <= 0 &&
            SSL_get_error(s, rc_s) != SSL_ERROR_WANT_READ)
            break;
    }
    r.ok = rc_c == 1 && rc_s == 1;
    r.peer = SSL_get1_peer_certificate(c);
    if (root && r.ok)
        r.ok = chain_ok(c, root);
    SSL_get0_alpn_selected(c, &sel, &sellen);
    if (sel && sellen < sizeof(r.alpn)) {
        memcpy(r.alpn, sel, sellen);
        r.alpn[sellen] = '\0';
    }
    r.challenge = autocert_openssl_is_challenge(s);
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    return r;
}

/* The leaf the manager serves for `name`. */
X509 *mgrfx_served_leaf(autocert_manager *m, const char *name)
{
    char *chain = NULL, *key = NULL;
    X509 *x;

    assert_int_equal(autocert_manager_lookup(m, name, &chain, &key), AUTOCERT_OK);
    x = mgrfx_first_cert(chain);
    free(chain);
    autocert_secret_free(key);
    return x;
}

