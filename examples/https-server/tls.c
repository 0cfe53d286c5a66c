/* tls.c: the example server's SSL_CTX: certificate files (reloaded on SIGHUP), a self-signed certificate, mutual TLS, and the swap for new connections. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "server.h"

/* The context new connections get.  A connection's SSL holds a reference
 * to the context it was made from, so a replaced context lives on until
 * its last connection ends. */
static pthread_mutex_t current_mu = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *current;

/* The last OpenSSL error as text ("" when there is none); clears the queue. */
static const char *ssl_reason(void)
{
    static __thread char buf[256];
    unsigned long e = ERR_peek_last_error();

    buf[0] = '\0';
    if (e != 0)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return buf;
}

/* ALPN outside --autocert (the manager installs its own): http/1.1 when
 * the client offers it, else no protocol. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg)
{
    static const unsigned char http11[] = "\x08http/1.1";
    unsigned char *sel;

    (void)ssl;
    (void)arg;
    if (SSL_select_next_proto(&sel, outlen, http11, sizeof(http11) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* The file can be opened: OpenSSL's own message for a missing file is
 * "system lib", this says which flag and why. */
static int readable(const char *flag, const char *path)
{
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        srv_log("cannot read %s '%s': %s", flag, path, strerror(errno));
        return 0;
    }
    fclose(f);
    return 1;
}

/* The certificate chain and key of --tlscert/--tlskey, which must match. */
static int load_files(SSL_CTX *sctx, const char *cert, const char *key)
{
    if (!readable("--tlscert", cert) || !readable("--tlskey", key))
        return -1;
    if (SSL_CTX_use_certificate_chain_file(sctx, cert) != 1) {
        srv_log("cannot use --tlscert '%s': %s", cert, ssl_reason());
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(sctx, key, SSL_FILETYPE_PEM) != 1) {
        srv_log("cannot use --tlskey '%s': %s", key, ssl_reason());
        return -1;
    }
    if (SSL_CTX_check_private_key(sctx) != 1) {
        srv_log("--tlskey '%s' does not match --tlscert '%s': %s", key, cert, ssl_reason());
        return -1;
    }
    return 0;
}

/* Mutual TLS: only clients with a certificate that chains to a CA of
 * `file` complete the handshake.  (The manager asks a CA's TLS-ALPN-01
 * validation, which has none, for no certificate.) */
static int client_ca(SSL_CTX *sctx, const char *file)
{
    STACK_OF(X509_NAME) *names;

    if (!readable("--client-ca", file))
        return -1;
    if (SSL_CTX_load_verify_locations(sctx, file, NULL) != 1 ||
        (names = SSL_load_client_CA_file(file)) == NULL) {
        srv_log("cannot use --client-ca '%s': %s", file, ssl_reason());
        return -1;
    }
    SSL_CTX_set_client_CA_list(sctx, names);
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    return 0;
}

/* "DNS:a.example,DNS:b.example" (IP: for addresses) for the names of `o`,
 * or "DNS:localhost". */
static int san_text(const srv_opts *o, char *buf, size_t size)
{
    unsigned char addr[16];
    size_t i, used = 0;
    int n;

    if (o->n_hosts == 0)
        return snprintf(buf, size, "DNS:localhost") < (int)size ? 0 : -1;
    for (i = 0; i < o->n_hosts; i++) {
        int ip = inet_pton(AF_INET, o->hosts[i], addr) == 1 ||
                 inet_pton(AF_INET6, o->hosts[i], addr) == 1;
        n = snprintf(buf + used, size - used, "%s%s:%s", i ? "," : "", ip ? "IP" : "DNS",
                     o->hosts[i]);
        if (n < 0 || (size_t)n >= size - used)
            return -1;
        used += (size_t)n;
    }
    return 0;
}

/* Adds one extension given in the openssl configuration syntax. */
static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    if ((ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value)) == NULL)
        return 0;
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* A new P-256 key and a certificate for the names, valid 30 days, signed
 * by itself: for development only (clients must be told to trust it). */
static int self_signed(SSL_CTX *sctx, const srv_opts *o)
{
    size_t san_size = 16 + o->n_hosts * 260;
    char *san = malloc(san_size);
    unsigned char serial[16];
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    BIGNUM *bn = NULL;
    X509_NAME *name;
    int ok = 0;

    if (san == NULL || san_text(o, san, san_size) != 0 || RAND_bytes(serial, sizeof(serial)) != 1)
        goto out;
    serial[0] &= 0x7f; /* a positive serial */
    if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL || (x = X509_new()) == NULL ||
        (bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL)
        goto out;
    name = X509_get_subject_name(x);
    ok = X509_set_version(x, X509_VERSION_3) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)(o->n_hosts ? o->hosts[0] : "localhost"),
                                    -1, -1, 0) &&
         X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
         add_ext(x, NID_subject_alt_name, san) &&
         add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(x, NID_ext_key_usage, "serverAuth") && X509_sign(x, key, EVP_sha256()) > 0 &&
         SSL_CTX_use_certificate(sctx, x) == 1 && SSL_CTX_use_PrivateKey(sctx, key) == 1;
out:
    if (!ok)
        srv_log("cannot make a self-signed certificate: %s", ssl_reason());
    free(san);
    BN_free(bn);
    X509_free(x);
    EVP_PKEY_free(key);
    return ok ? 0 : -1;
}

SSL_CTX *tls_ctx_new(const srv_opts *o)
{
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    int rc = 0;

    if (sctx == NULL) {
        srv_log("cannot create the TLS context: %s", ssl_reason());
        return NULL;
    }
    SSL_CTX_set_min_proto_version(sctx, TLS1_2_VERSION);
    SSL_CTX_set_options(sctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* One request a connection (Connection: close): a short session
     * cache is all resumption needs. */
    SSL_CTX_sess_set_cache_size(sctx, 1024);
    if (o->self_signed)
        rc = self_signed(sctx, o);
    else if (o->tlscert)
        rc = load_files(sctx, o->tlscert, o->tlskey);
    if (rc == 0 && !o->hosts_arg)
        SSL_CTX_set_alpn_select_cb(sctx, alpn_select, NULL);
    if (rc == 0 && o->client_ca)
        rc = client_ca(sctx, o->client_ca);
    if (rc != 0) {
        SSL_CTX_free(sctx);
        return NULL;
    }
    return sctx;
}

void tls_use(SSL_CTX *sctx)
{
    SSL_CTX *old;

    pthread_mutex_lock(&current_mu);
    old = current;
    current = sctx;
    pthread_mutex_unlock(&current_mu);
    SSL_CTX_free(old);
}

int tls_client_ok(SSL *ssl)
{
    if (!(SSL_CTX_get_verify_mode(SSL_get_SSL_CTX(ssl)) & SSL_VERIFY_PEER))
        return 1;
    return SSL_get0_peer_certificate(ssl) != NULL && SSL_get_verify_result(ssl) == X509_V_OK;
}

SSL *tls_new_ssl(void)
{
    SSL *ssl;

    pthread_mutex_lock(&current_mu);
    ssl = current ? SSL_new(current) : NULL;
    pthread_mutex_unlock(&current_mu);
    return ssl;
}

void tls_reload(const srv_opts *o)
{
    SSL_CTX *sctx;

    if (!o->tlscert) {
        srv_log("SIGHUP: nothing to reload (only --tlscert/--tlskey are read from files)");
        return;
    }
    if ((sctx = tls_ctx_new(o)) == NULL) {
        srv_log("SIGHUP: keeping the certificate loaded before");
        return;
    }
    tls_use(sctx);
    srv_log("SIGHUP: reloaded %s and %s", o->tlscert, o->tlskey);
}

void tls_shutdown(void)
{
    tls_use(NULL);
}
