/* chain.c: the preferred chain: among the default chain and the Link rel="alternate" chains of a certificate URL, the one whose top certificate has the wanted issuer or subject CN. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme/acme.h"

/* The last certificate of a PEM chain (the one closest to a root), or NULL. */
static X509 *top_of(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x, *last = NULL;

    while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        X509_free(last);
        last = x;
    }
    ERR_clear_error();
    BIO_free(bio);
    return last;
}

/* The CN of a name into buf ("" when it has none). */
static const char *cn_of(const X509_NAME *name, char *buf, size_t n)
{
    if (X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, buf, (int)n) < 0)
        buf[0] = '\0';
    return buf;
}

int ac_chain_matches(const char *pem, const char *want, char *issuer, size_t n)
{
    X509 *top = top_of(pem);
    char subject[256];
    int hit;

    issuer[0] = '\0';
    if (top == NULL)
        return 0;
    cn_of(X509_get_issuer_name(top), issuer, n);
    cn_of(X509_get_subject_name(top), subject, sizeof(subject));
    hit = strcmp(issuer, want) == 0 || strcmp(subject, want) == 0;
    X509_free(top);
    return hit;
}

/* Fetches one alternate chain (POST-as-GET); *pem malloc'd. */
static autocert_err fetch_alternate(ac_session *s, const char *url, char **pem)
{
    ac_http_resp resp;
    autocert_err rc;

    *pem = NULL;
    ac_http_resp_init(&resp);
    if ((rc = ac_acme_post(s, url, NULL, "alternate chain", &resp)) == AUTOCERT_OK) {
        if (resp.body.len == 0)
            rc = ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "alternate chain %s: empty response",
                        AC_SAFE(url));
        else
            *pem = ac_buf_steal(&resp.body);
    }
    ac_http_resp_free(&resp);
    return rc;
}

void ac_chain_choose(ac_session *s, const char *want, char **chain,
                             char *const *alternates, size_t n)
{
    char issuer[256], offered[1024];
    char *pem = NULL;
    size_t i, used;

    if (ac_chain_matches(*chain, want, issuer, sizeof(issuer)))
        return;
    used = (size_t)snprintf(offered, sizeof(offered), "'%s'", AC_SAFE(issuer));
    for (i = 0; i < n; i++) {
        /* The certificate is issued: a chain that cannot be had is no
         * reason to give it up. */
        if (fetch_alternate(s, alternates[i], &pem) != AUTOCERT_OK) {
            ac_log(s->ctx, AUTOCERT_LOG_WARN, "%s: keeping the default chain",
                   autocert_last_error(s->ctx));
            ac_err_clear(s->ctx);
            return;
        }
        if (ac_chain_matches(pem, want, issuer, sizeof(issuer))) {
            ac_log(s->ctx, AUTOCERT_LOG_INFO, "using the alternate chain issued by '%s'",
                   AC_SAFE(want));
            free(*chain);
            *chain = pem;
            return;
        }
        if (used < sizeof(offered))
            used += (size_t)snprintf(offered + used, sizeof(offered) - used, ", '%s'",
                                     AC_SAFE(issuer));
        free(pem);
        pem = NULL;
    }
    ac_log(s->ctx, AUTOCERT_LOG_INFO, "no chain of the CA ends at '%s' (top certificates issued "
           "by %s): keeping the default chain", AC_SAFE(want), offered);
}
