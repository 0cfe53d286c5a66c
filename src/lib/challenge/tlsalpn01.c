/* tlsalpn01.c: TLS-ALPN-01 (RFC 8737): the challenge certificate, and the solver that publishes for a server's TLS listener. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "challenge/challenge.h"

#define ACME_IDENTIFIER_OID "1.3.6.1.5.5.7.1.31" /* id-pe-acmeIdentifier */
#define CHALLENGE_CN "ACME TLS-ALPN-01 challenge"
#define VALID_DAYS 1 /* and a few minutes back (ac_x509_set_validity) */

/* ---- the certificate (RFC 8737 section 3) --------------------------------- */

/* The critical id-pe-acmeIdentifier extension: its extnValue is the DER
 * of an OCTET STRING holding SHA-256(key_auth). */
static autocert_err add_acme_identifier(autocert_ctx *ctx, X509 *x, const char *key_auth)
{
    unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
    unsigned int mdlen = 0;
    int derlen = 0;
    ASN1_OCTET_STRING *inner = NULL, *value = NULL;
    ASN1_OBJECT *obj = NULL;
    X509_EXTENSION *ext = NULL;
    autocert_err rc = AUTOCERT_OK;

    if (EVP_Digest(key_auth, strlen(key_auth), md, &mdlen, EVP_sha256(), NULL) != 1) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "SHA-256 of a key authorization");
        goto out;
    }
    if ((inner = ASN1_OCTET_STRING_new()) == NULL ||
        !ASN1_OCTET_STRING_set(inner, md, (int)mdlen) ||
        (derlen = i2d_ASN1_OCTET_STRING(inner, &der)) <= 0 ||
        (value = ASN1_OCTET_STRING_new()) == NULL ||
        !ASN1_OCTET_STRING_set(value, der, derlen) ||
        (obj = OBJ_txt2obj(ACME_IDENTIFIER_OID, 1)) == NULL ||
        (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, value)) == NULL ||
        !X509_add_ext(x, ext, -1))
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO,
                        "cannot add the acmeIdentifier extension (" ACME_IDENTIFIER_OID ")");
out:
    X509_EXTENSION_free(ext);
    ASN1_OBJECT_free(obj);
    ASN1_OCTET_STRING_free(value);
    OPENSSL_free(der);
    ASN1_OCTET_STRING_free(inner);
    return rc;
}

/* The identifier a challenge certificate may name: a DNS name without
 * wildcard, normalised into *id. */
static autocert_err dns_ident(autocert_ctx *ctx, const char *ident, ac_ident *id)
{
    autocert_err rc;

    if (ident == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "tls-alpn-01: no identifier");
    if ((rc = ac_ident_parse(ctx, ident, 0, id)) != AUTOCERT_OK)
        return rc;
    if (id->type != AC_ID_DNS) {
        ac_ident_clear(id);
        return ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED,
                      "tls-alpn-01 is answered here for DNS names only, not the IP address %s",
                      AC_SAFE(ident));
    }
    return AUTOCERT_OK;
}

autocert_err ac_tlsalpn01_cert(autocert_ctx *ctx, const char *ident, const char *key_auth,
                               void **cert, void **key)
{
    ac_ident id = {AC_ID_DNS, NULL};
    EVP_PKEY *pkey = NULL;
    X509 *x = NULL;
    autocert_err rc;

    *cert = NULL;
    *key = NULL;
    if ((rc = dns_ident(ctx, ident, &id)) != AUTOCERT_OK)
        goto out;
    if (key_auth == NULL || key_auth[0] == '\0') {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "tls-alpn-01: no key authorization for %s",
                    id.value);
        goto out;
    }
    if ((rc = ac_key_generate(ctx, AUTOCERT_KEY_EC256, &pkey)) != AUTOCERT_OK)
        goto out;
    if ((x = X509_new()) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = ac_x509_set_serial(ctx, x)) != AUTOCERT_OK ||
        (rc = ac_x509_set_validity(ctx, x, VALID_DAYS, NULL, 0)) != AUTOCERT_OK ||
        (rc = ac_x509_set_cn(ctx, x, 1, CHALLENGE_CN)) != AUTOCERT_OK ||
        (rc = ac_x509_set_cn(ctx, x, 0, CHALLENGE_CN)) != AUTOCERT_OK ||
        (rc = ac_x509_add_sans(ctx, x, &id, 1)) != AUTOCERT_OK ||
        (rc = add_acme_identifier(ctx, x, key_auth)) != AUTOCERT_OK)
        goto out;
    if (!X509_set_pubkey(x, pkey)) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot set the challenge certificate's key");
        goto out;
    }
    if ((rc = ac_x509_sign(ctx, x, pkey)) != AUTOCERT_OK)
        goto out;
    *cert = x;
    *key = pkey;
    x = NULL;
    pkey = NULL;
out:
    X509_free(x);
    EVP_PKEY_free(pkey);
    ac_ident_clear(&id);
    return rc;
}

/* ---- the solver ------------------------------------------------------------ */

/* What the solver published, to withdraw at close what no cleanup did.  A
 * responder may be shared by orders in several threads: `lock` guards it. */
typedef struct {
    ac_live *live; /* the responder's, read by the TLS listener */
    pthread_mutex_t lock;
    char *tokens[AC_LIVE_MAX];
    size_t n;
} tlsalpn01;

static autocert_err solver_check(autocert_ctx *ctx)
{
    if (!ctx->tls_listener)
        return ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED,
                      "tls-alpn-01 is answered by a server's own TLS listener "
                      "(autocert_openssl_attach): use http-01 or dns-01 here");
    return AUTOCERT_OK;
}

static autocert_err solver_open(autocert_ctx *ctx, ac_live *live, void **state)
{
    tlsalpn01 *t;
    autocert_err rc;

    *state = NULL;
    if ((rc = solver_check(ctx)) != AUTOCERT_OK)
        return rc;
    if ((t = calloc(1, sizeof(*t))) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    t->live = live;
    pthread_mutex_init(&t->lock, NULL);
    *state = t;
    return AUTOCERT_OK;
}

/* Index of `token` among the published ones, or -1; the lock is held. */
static long find_token(const tlsalpn01 *t, const char *token)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        if (strcmp(t->tokens[i], token) == 0)
            return (long)i;
    return -1;
}

/* Records `token` as published: 0, or -1 when out of room or memory. */
static int remember(tlsalpn01 *t, const char *token)
{
    int ok = 0;

    pthread_mutex_lock(&t->lock);
    if (find_token(t, token) < 0) {
        if (t->n < AC_LIVE_MAX && (t->tokens[t->n] = strdup(token)) != NULL)
            t->n++;
        else
            ok = -1;
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

static autocert_err solver_present(void *state, autocert_ctx *ctx, const ac_chal *c)
{
    tlsalpn01 *t = state;
    ac_ident id = {AC_ID_DNS, NULL};
    autocert_err rc;

    /* The identifier as the listener will look it up: a DNS name, lower case. */
    if ((rc = dns_ident(ctx, c->ident, &id)) != AUTOCERT_OK)
        return rc;
    if ((rc = ac_live_add(t->live, ctx, "tls-alpn-01", id.value, c->token, c->key_auth)) ==
        AUTOCERT_OK) {
        if (remember(t, c->token) != 0) {
            ac_live_remove(t->live, c->token);
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        } else {
            ac_log(ctx, AUTOCERT_LOG_DEBUG, "tls-alpn-01: challenge for %s published", id.value);
        }
    }
    ac_ident_clear(&id);
    return rc;
}

static autocert_err solver_ready(void *state, autocert_ctx *ctx)
{
    /* The listener reads the table at each handshake: visible at once. */
    (void)state;
    (void)ctx;
    return AUTOCERT_OK;
}

/* Withdraws `token` (NULL: the last one published): 0, or -1 when there
 * is none. */
static int withdraw(tlsalpn01 *t, const char *token)
{
    long i = -1;

    pthread_mutex_lock(&t->lock);
    if (token == NULL)
        i = (long)t->n - 1;
    else if (ac_token_valid(token))
        i = find_token(t, token);
    if (i >= 0) {
        ac_live_remove(t->live, t->tokens[i]);
        free(t->tokens[i]);
        t->tokens[i] = t->tokens[--t->n];
        t->tokens[t->n] = NULL;
    }
    pthread_mutex_unlock(&t->lock);
    return i >= 0 ? 0 : -1;
}

static void solver_cleanup(void *state, const ac_chal *c)
{
    withdraw(state, c->token);
}

static void solver_close(void *state)
{
    tlsalpn01 *t = state;

    if (t == NULL)
        return;
    while (withdraw(t, NULL) == 0)
        ;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

const ac_solver_ops ac_tlsalpn01_solver = {
    "tls-alpn-01", solver_check, solver_open, solver_present, solver_ready, solver_cleanup,
    solver_close,
};
