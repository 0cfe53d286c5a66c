/* revoke.c: autocert_revoke: revokeCert (RFC 8555 section 7.6) of a cached certificate, signed with the account key or the certificate's own, then the entry marked for replacement. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "cache.h"

#define ALREADY_REVOKED "urn:ietf:params:acme:error:alreadyRevoked"

static const struct {
    const char *name;
    autocert_revoke_reason reason;
} reasons[] = {
    {"unspecified", AUTOCERT_REASON_UNSPECIFIED},
    {"keyCompromise", AUTOCERT_REASON_KEY_COMPROMISE},
    {"affiliationChanged", AUTOCERT_REASON_AFFILIATION_CHANGED},
    {"superseded", AUTOCERT_REASON_SUPERSEDED},
    {"cessationOfOperation", AUTOCERT_REASON_CESSATION_OF_OPERATION},
};
#define N_REASONS (sizeof(reasons) / sizeof(reasons[0]))

autocert_err autocert_revoke_reason_parse(const char *name, autocert_revoke_reason *out)
{
    size_t i;

    for (i = 0; name && i < N_REASONS; i++)
        if (strcasecmp(name, reasons[i].name) == 0) {
            *out = reasons[i].reason;
            return AUTOCERT_OK;
        }
    return AUTOCERT_ERR_INVALID;
}

const char *autocert_revoke_reason_name(autocert_revoke_reason reason)
{
    size_t i;

    for (i = 0; i < N_REASONS; i++)
        if (reasons[i].reason == reason)
            return reasons[i].name;
    return "unknown";
}

/* One revocation. */
typedef struct {
    autocert_ctx *ctx;
    autocert_storage *st;
    ac_session sess;
    char *entry;
    char *set;
    autocert_cert *cert;
} revoke_job;

static autocert_err job_init(revoke_job *j, autocert_ctx *ctx, const char *name)
{
    ac_ident id;
    autocert_err rc;

    memset(j, 0, sizeof(*j));
    j->ctx = ctx;
    if ((rc = ac_session_init(&j->sess, ctx, NULL)) != AUTOCERT_OK ||
        (rc = ac_ident_parse(ctx, name, 1, &id)) != AUTOCERT_OK)
        return rc;
    j->entry = ac_ident_entry_name(&id);
    ac_ident_clear(&id);
    if (j->entry == NULL || (j->set = ac_cache_cert_set(j->entry)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return ac_storage(ctx, &j->st);
}

static void job_clear(revoke_job *j)
{
    ac_session_cleanup(&j->sess); /* releases the entry's lock */
    autocert_cert_free(j->cert);
    free(j->entry);
    free(j->set);
}

/* Under the entry's lock: the cached certificate, whole; the session then
 * talks to the CA that issued it. */
static autocert_err load_entry(revoke_job *j)
{
    autocert_err rc;
    char *dir;

    if ((rc = ac_session_lock(&j->sess, j->st, j->set)) != AUTOCERT_OK ||
        (rc = ac_cache_cert_load(j->ctx, j->st, j->entry, 0, &j->cert)) != AUTOCERT_OK)
        return rc;
    if (j->cert->directory == NULL || j->cert->directory[0] == '\0')
        return ac_err(j->ctx, AUTOCERT_ERR_CORRUPT, "the cache entry %s names no ACME directory",
                      j->entry);
    if ((dir = strdup(j->cert->directory)) == NULL)
        return ac_err(j->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    free(j->sess.directory_url);
    j->sess.directory_url = dir;
    return AUTOCERT_OK;
}

/* The revokeCert payload: the leaf in DER, base64url, and the reason. */
static autocert_err payload_of(revoke_job *j, autocert_revoke_reason reason, json_t **out)
{
    BIO *bio = BIO_new_mem_buf(j->cert->fullchain_pem, -1);
    X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    unsigned char *der = NULL;
    char *b64 = NULL;
    int len = leaf ? i2d_X509(leaf, &der) : -1;
    autocert_err rc = AUTOCERT_OK;

    *out = NULL;
    if (len <= 0)
        rc = ac_err_ssl(j->ctx, AUTOCERT_ERR_CRYPTO, "cannot encode the certificate of %s",
                        j->entry);
    else if ((rc = ac_b64url_encode(der, (size_t)len, &b64)) != AUTOCERT_OK ||
             (*out = json_pack("{s:s, s:i}", "certificate", b64, "reason", (int)reason)) == NULL)
        rc = ac_err(j->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    OPENSSL_free(der);
    free(b64);
    X509_free(leaf);
    BIO_free(bio);
    return rc;
}

/* The key that signs: the cached account's (its URL as kid), or the
 * certificate's own (its JWK embedded, no account involved). */
static autocert_err signer(revoke_job *j, unsigned flags)
{
    if (!(flags & AUTOCERT_REVOKE_CERT_KEY))
        return ac_account_load(&j->sess);
    return ac_key_from_pem(j->ctx, j->cert->key_pem, j->cert->key_len, j->cert->path_key ? j->cert->path_key : "the certificate key",
                           &j->sess.account.key);
}

/* POSTs revokeCert. */
static autocert_err send_revocation(revoke_job *j, autocert_revoke_reason reason, unsigned flags)
{
    ac_http_resp resp;
    json_t *payload = NULL;
    autocert_err rc;

    ac_http_resp_init(&resp);
    if ((rc = ac_acme_directory(&j->sess)) != AUTOCERT_OK)
        return rc;
    if (j->sess.dir.revoke_cert == NULL)
        return ac_err(j->ctx, AUTOCERT_ERR_UNSUPPORTED, "the ACME server %s offers no revokeCert",
                      AC_SAFE(j->sess.directory_url));
    if ((rc = signer(j, flags)) == AUTOCERT_OK &&
        (rc = payload_of(j, reason, &payload)) == AUTOCERT_OK) {
        ac_log(j->ctx, AUTOCERT_LOG_INFO, "revoking the certificate of %s (%s), signed with the %s "
               "key", j->entry, autocert_revoke_reason_name(reason),
               (flags & AUTOCERT_REVOKE_CERT_KEY) ? "certificate" : "account");
        rc = ac_acme_post(&j->sess, j->sess.dir.revoke_cert, payload, "revocation", &resp);
    }
    json_decref(payload);
    ac_http_resp_free(&resp);
    return rc;
}

autocert_err autocert_revoke(autocert_ctx *ctx, const char *name, autocert_revoke_reason reason,
                             unsigned flags)
{
    revoke_job j;
    const char *type;
    autocert_err rc, mark;
    int already;

    ac_err_clear(ctx);
    if (strcmp(autocert_revoke_reason_name(reason), "unknown") == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "revocation reason %d is not one a subscriber "
                    "may give", (int)reason);
        return rc;
    }
    if ((rc = job_init(&j, ctx, name)) == AUTOCERT_OK && (rc = load_entry(&j)) == AUTOCERT_OK)
        rc = send_revocation(&j, reason, flags);
    type = autocert_last_problem_type(ctx);
    already = rc == AUTOCERT_ERR_ACME && strcmp(type, ALREADY_REVOKED) == 0;
    if (rc == AUTOCERT_OK || already) {
        /* Revoked either way: the next obtain replaces it.  The CA's
         * answer stays the recorded failure unless marking fails. */
        mark = ac_cache_mark_revoked(ctx, j.st, j.entry, time(NULL),
                                     autocert_revoke_reason_name(reason));
        if (mark != AUTOCERT_OK)
            rc = mark;
        else if (!already)
            ac_log(ctx, AUTOCERT_LOG_INFO, "certificate of %s revoked; the cache entry is marked "
                   "for replacement", j.entry);
    }
    job_clear(&j);
    return rc;
}
