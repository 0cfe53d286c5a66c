/* ossl.c: the OpenSSL binding of the manager (certificate by SNI, TLS-ALPN-01 in the handshake) and the PEM lookups for other TLS libraries. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "autocert_openssl.h"
#include "manager/manager.h"

#define KA_MAX 600 /* a key authorization (live.c allows 512) */

/* The mark of a handshake that answered a validation. */
static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void ex_init(void)
{
    ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static const unsigned char acme_tls[] = "\x0a" AC_ACME_TLS_ALPN;

/* The host an SNI name (folded) is, or NULL. */
static ac_mhost *host_named(autocert_manager *m, const char *sni, char *name, size_t n)
{
    if (ac_sni_fold(sni, name, n) != 0)
        return NULL;
    return ac_mtable_find(&m->tab, name);
}

/* Installs the certificate served for `h`: 1, or 0 when there is none. */
static int use_served(autocert_manager *m, SSL *ssl, ac_mhost *h)
{
    int ok = 0;

    pthread_rwlock_rdlock(&m->tab.lock);
    if (h->cur != NULL)
        ok = SSL_use_cert_and_key(ssl, h->cur->leaf, h->cur->key, h->cur->chain, 1) == 1;
    pthread_rwlock_unlock(&m->tab.lock);
    return ok;
}

/* The key authorization of the live TLS-ALPN-01 challenge of `name`. */
static int live_challenge(autocert_manager *m, const char *name, char *ka, size_t n)
{
    return m->live != NULL && ac_live_by_ident(m->live, "tls-alpn-01", name, ka, n) == 0;
}

static int on_servername(SSL *ssl, int *al, void *arg)
{
    autocert_manager *m = arg;
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    char name[256], ka[KA_MAX];
    ac_mhost *h = sni ? host_named(m, sni, name, sizeof(name)) : m->tab.n ? &m->tab.h[0] : NULL;

    if (h != NULL && use_served(m, ssl, h))
        return SSL_TLSEXT_ERR_OK;
    /* A host whose first certificate is being validated: the ALPN
     * callback installs the challenge certificate. */
    if (h != NULL && sni != NULL && live_challenge(m, h->name, ka, sizeof(ka)))
        return SSL_TLSEXT_ERR_OK;
    /* Outside the policy, or nothing served yet (the thread is obtaining
     * it): no certificate, and never an order. */
    ERR_clear_error();
    *al = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Nonzero when the client's ALPN list (wire format) offers acme-tls/1. */
static int offers_acme_tls(const unsigned char *in, unsigned int inlen)
{
    unsigned int i;

    for (i = 0; i < inlen; i += 1u + in[i])
        if (in[i] == sizeof(acme_tls) - 2 && i + 1u + in[i] <= inlen &&
            memcmp(in + i + 1, acme_tls + 1, in[i]) == 0)
            return 1;
    return 0;
}

/* Installs the challenge certificate of the SNI name: 1, or 0. */
static int answer_challenge(autocert_manager *m, SSL *ssl)
{
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    char name[256], ka[KA_MAX];
    void *cert = NULL, *key = NULL;
    int ok = 0;

    if (sni == NULL || host_named(m, sni, name, sizeof(name)) == NULL ||
        !live_challenge(m, name, ka, sizeof(ka))) {
        /* Anyone may send this: not worth more than a debug line. */
        ac_log(m->ctx, AUTOCERT_LOG_DEBUG, "%s: a TLS-ALPN-01 validation without a challenge "
               "for it: refused", sni ? AC_SAFE(sni) : "(no SNI)");
        return 0;
    }
    if (ac_tlsalpn01_cert(m->ctx, name, ka, &cert, &key) == AUTOCERT_OK &&
        SSL_use_cert_and_key(ssl, cert, key, NULL, 1) == 1 &&
        SSL_set_ex_data(ssl, ex_index, m) == 1) {
        /* The CA has no client certificate for a server that asks for
         * them (mutual TLS): the connection carries no application data. */
        SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
        ok = 1;
    }
    if (ok)
        ac_log(m->ctx, AUTOCERT_LOG_INFO, "%s: answering a TLS-ALPN-01 validation", name);
    else
        ac_log(m->ctx, AUTOCERT_LOG_ERROR, "%s: cannot answer a TLS-ALPN-01 validation: %s",
               name, cert ? "OpenSSL refused the certificate" : autocert_last_error(m->ctx));
    X509_free(cert);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return ok;
}

static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    autocert_manager *m = arg;
    unsigned char *sel = NULL;

    if (offers_acme_tls(in, inlen)) {
        if (!answer_challenge(m, ssl))
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        *out = acme_tls + 1;
        *outlen = acme_tls[0];
        return SSL_TLSEXT_ERR_OK;
    }
    if (m->alpn != NULL && SSL_select_next_proto(&sel, outlen, m->alpn, (unsigned)m->alpn_len,
                                                 in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = sel;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

/* A protocol list in wire format: lengths of 1 to 255, adding up. */
static int alpn_valid(const unsigned char *p, size_t n)
{
    size_t i;

    if (n == 0 || n > 65535)
        return 0;
    for (i = 0; i < n; i += 1u + p[i])
        if (p[i] == 0 || i + 1u + p[i] > n)
            return 0;
    return 1;
}

autocert_err autocert_openssl_attach(autocert_manager *m, SSL_CTX *sctx, const unsigned char *alpn,
                                     size_t alpn_len)
{
    unsigned char *copy = NULL;

    ac_err_clear(m->ctx);
    if (sctx == NULL || m->started)
        return ac_err(m->ctx, AUTOCERT_ERR_INVALID, sctx ? "attach before the manager starts"
                                                         : "no SSL_CTX to attach to");
    if (alpn != NULL && alpn_len > 0 && !alpn_valid(alpn, alpn_len))
        return ac_err(m->ctx, AUTOCERT_ERR_INVALID, "the ALPN protocol list is not in wire "
                      "format (a length byte before each name)");
    if (pthread_once(&ex_once, ex_init) != 0 || ex_index < 0)
        return ac_err_ssl(m->ctx, AUTOCERT_ERR_CRYPTO, "cannot reserve SSL ex_data");
    if (alpn != NULL && alpn_len > 0) {
        if ((copy = malloc(alpn_len)) == NULL)
            return ac_err(m->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        memcpy(copy, alpn, alpn_len);
    }
    free(m->alpn);
    m->alpn = copy;
    m->alpn_len = copy ? alpn_len : 0;
    SSL_CTX_set_tlsext_servername_callback(sctx, on_servername);
    SSL_CTX_set_tlsext_servername_arg(sctx, m);
    SSL_CTX_set_alpn_select_cb(sctx, on_alpn, m);
    m->ctx->tls_listener = 1;
    return AUTOCERT_OK;
}

int autocert_openssl_is_challenge(const SSL *ssl)
{
    return ssl != NULL && pthread_once(&ex_once, ex_init) == 0 && ex_index >= 0 &&
           SSL_get_ex_data(ssl, ex_index) != NULL;
}

/* ---- PEM for servers on other TLS libraries ------------------------------------ */

/* A copy of a secret of `len` bytes (NUL included), or NULL. */
static char *secret_dup(const char *s, size_t len)
{
    char *c = malloc(len);

    if (c != NULL)
        memcpy(c, s, len);
    return c;
}

autocert_err autocert_manager_lookup(autocert_manager *m, const char *name, char **chain_pem,
                                     char **key_pem)
{
    char host[256];
    ac_mhost *h;
    int found = 0;

    *chain_pem = *key_pem = NULL;
    ac_err_clear(m->ctx);
    if ((h = host_named(m, name, host, sizeof(host))) == NULL)
        return ac_err(m->ctx, AUTOCERT_ERR_NOT_FOUND, "%s is not a host of the manager",
                      AC_SAFE(name));
    pthread_rwlock_rdlock(&m->tab.lock);
    if (h->cur != NULL) {
        found = 1;
        *chain_pem = strdup(h->cur->chain_pem);
        *key_pem = secret_dup(h->cur->key_pem, h->cur->key_len);
    }
    pthread_rwlock_unlock(&m->tab.lock);
    if (!found)
        return ac_err(m->ctx, AUTOCERT_ERR_NOT_FOUND, "%s has no certificate yet", host);
    if (*chain_pem == NULL || *key_pem == NULL) {
        free(*chain_pem);
        autocert_secret_free(*key_pem);
        *chain_pem = *key_pem = NULL;
        return ac_err(m->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    return AUTOCERT_OK;
}

/* The PEM of a certificate, malloc'd, or NULL. */
static char *cert_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *out = NULL;
    long len;

    if (bio != NULL && PEM_write_bio_X509(bio, x) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0 &&
        (out = malloc((size_t)len + 1)) != NULL) {
        memcpy(out, data, (size_t)len);
        out[len] = '\0';
    }
    BIO_free(bio);
    return out;
}

autocert_err autocert_manager_alpn_challenge(autocert_manager *m, const char *name,
                                             char **cert_out, char **key_out)
{
    char host[256], ka[KA_MAX];
    void *cert = NULL, *key = NULL;
    size_t klen = 0;
    autocert_err rc;

    *cert_out = *key_out = NULL;
    ac_err_clear(m->ctx);
    if (host_named(m, name, host, sizeof(host)) == NULL || !live_challenge(m, host, ka, sizeof(ka)))
        return ac_err(m->ctx, AUTOCERT_ERR_NOT_FOUND, "no TLS-ALPN-01 challenge for %s is live",
                      AC_SAFE(name));
    if ((rc = ac_tlsalpn01_cert(m->ctx, host, ka, &cert, &key)) == AUTOCERT_OK &&
        (rc = ac_key_to_pem(m->ctx, key, key_out, &klen)) == AUTOCERT_OK &&
        (*cert_out = cert_pem(cert)) == NULL) {
        autocert_secret_free(*key_out);
        *key_out = NULL;
        rc = ac_err_ssl(m->ctx, AUTOCERT_ERR_NOMEM, "cannot write the challenge certificate of %s",
                        host);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}
