/* mgrfx.h: the fixture of the manager tests: events recorded from any thread, a started manager on a CA in memory, TLS handshakes in memory. */
#ifndef AC_MGRFX_H
#define AC_MGRFX_H

#include <pthread.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "autocert_openssl.h"
#include "protofx.h"

/* The server's protocols, wire format. */
#define MGRFX_ALPN ((const unsigned char *)"\x02h2\x08http/1.1")
#define MGRFX_ALPN_LEN 12

typedef struct {
    pthread_mutex_t mu;
    int n[4]; /* by autocert_event */
    char last_name[64];
    char last_reason[256];
} mgrfx_events_rec;

/* Every manager of mgrfx_manager reports here. */
extern mgrfx_events_rec mgrfx_ev;

void mgrfx_on_event(void *arg, autocert_event e, const char *name, const char *reason);
/* Events of type `e` so far; forget them. */
int mgrfx_events(autocert_event e);
void mgrfx_events_reset(void);
/* Waits (10 s at most, polling) until cond(m, arg): nonzero when it held. */
int mgrfx_wait(int (*cond)(autocert_manager *m, void *arg), autocert_manager *m, void *arg);
/* Conditions: autocert_manager_count == *(size_t *)arg; at least arg[1]
 * events of type arg[0] (int[2]). */
int mgrfx_count_is(autocert_manager *m, void *arg);
int mgrfx_event_seen(autocert_manager *m, void *arg);

/* cmocka setup: protofx_setup with the events forgotten; the teardown
 * frees the manager of mgrfx_manager first, if the test did not. */
int mgrfx_setup(void **state);
int mgrfx_teardown(void **state);
/* Frees a manager of mgrfx_manager. */
void mgrfx_done(autocert_manager *m);
/* autocert_obtain of one name on the fixture's context, or the test fails. */
void mgrfx_obtain(protofx *f, const char *name);
/* A started manager of `hosts` on the fixture's context, reporting to
 * `mgrfx_ev`, attached to `sctx` with MGRFX_ALPN when sctx is not NULL. */
autocert_manager *mgrfx_manager(protofx *f, const char *const *hosts, size_t n, SSL_CTX *sctx);
/* The same with autocert_manager_set_tls_port(tls_port). */
autocert_manager *mgrfx_manager_port(protofx *f, const char *const *hosts, size_t n,
                                     SSL_CTX *sctx, unsigned tls_port);
X509 *mgrfx_first_cert(const char *pem);
SSL_CTX *mgrfx_server_ctx(void);

/* Nonzero: the client of mgrfx_handshake speaks TLS 1.2 at most (reset
 * by mgrfx_setup). */
extern int mgrfx_tls12;

typedef struct {
    int ok;        /* both sides completed the handshake */
    X509 *peer;    /* the server's certificate (the caller frees), or NULL */
    char alpn[32]; /* the protocol selected, "" none */
    int challenge; /* autocert_openssl_is_challenge on the server's side */
} mgrfx_hs;

/* One handshake over a BIO pair: a client sending `sni` (may be NULL),
 * offering `alpn` (wire format as a C string, may be NULL), verifying the
 * chain (leaf signed by `root`, then `root`) when `root` is not NULL. */
mgrfx_hs mgrfx_handshake(SSL_CTX *sctx, const char *sni, const char *alpn, X509 *root);
/* The leaf the manager serves for `name` (lookup must succeed). */
X509 *mgrfx_served_leaf(autocert_manager *m, const char *name);

#endif
