/* account_ops.c: the cached account at its CA: show (POST-as-GET), contact update, key rollover (RFC 8555 section 7.3.5), deactivation (section 7.3.6). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "acme/acme.h"
#include "cache.h"

struct autocert_account {
    char *url;
    char *key_type;
    char *thumbprint;
    char *status;
    char **contacts;
    size_t n_contacts;
};

void autocert_account_free(autocert_account *a)
{
    if (a == NULL)
        return;
    free(a->url);
    free(a->key_type);
    free(a->thumbprint);
    free(a->status);
    autocert_strv_free(a->contacts, a->n_contacts);
    free(a);
}

const char *autocert_account_url(const autocert_account *a) { return a->url; }
const char *autocert_account_key_type(const autocert_account *a) { return a->key_type; }
const char *autocert_account_thumbprint(const autocert_account *a) { return a->thumbprint; }
const char *autocert_account_status(const autocert_account *a) { return a->status; }
size_t autocert_account_contact_count(const autocert_account *a) { return a->n_contacts; }
const char *autocert_account_contact(const autocert_account *a, size_t i)
{
    return i < a->n_contacts ? a->contacts[i] : NULL;
}

/* One operation on the cached account of the context's directory. */
typedef struct {
    autocert_ctx *ctx;
    autocert_storage *st;
    ac_session sess;
    char *set;   /* "accounts/<id>" */
    json_t *doc; /* its account.json */
} acct_job;

static void job_clear(acct_job *j)
{
    ac_session_cleanup(&j->sess); /* releases the account's lock */
    free(j->set);
    json_decref(j->doc);
}

/* Whether the cache holds a key: said before anything goes to the CA. */
static autocert_err cached_key(acct_job *j)
{
    EVP_PKEY *key = NULL;
    char *url = NULL;
    autocert_err rc = ac_cache_account_load(j->ctx, j->st, j->set, &key, &url);

    EVP_PKEY_free(key);
    free(url);
    if (rc == AUTOCERT_ERR_NOT_FOUND)
        return ac_err(j->ctx, rc, "no account of %s in the cache",
                      AC_SAFE(j->sess.directory_url));
    return rc;
}

/* The cached account, its key and URL in the session; `lock`: held for the
 * operation (it writes the set).  A deactivated one is refused by name. */
static autocert_err job_init(acct_job *j, autocert_ctx *ctx, int lock)
{
    const char *status;
    autocert_err rc;

    memset(j, 0, sizeof(*j));
    j->ctx = ctx;
    ac_err_clear(ctx);
    if ((rc = ac_session_init(&j->sess, ctx, NULL)) != AUTOCERT_OK ||
        (rc = ac_storage(ctx, &j->st)) != AUTOCERT_OK ||
        (rc = ac_cache_account_set(ctx, j->sess.directory_url, &j->set)) != AUTOCERT_OK ||
        (lock && (rc = ac_session_lock(&j->sess, j->st, j->set)) != AUTOCERT_OK))
        return rc;
    rc = ac_cache_account_doc(ctx, j->st, j->set, &j->doc);
    if (rc == AUTOCERT_ERR_NOT_FOUND)
        rc = AUTOCERT_OK; /* a key alone: ac_account_load looks its URL up */
    if (rc != AUTOCERT_OK)
        return rc;
    status = json_string_value(json_object_get(j->doc, "status"));
    if (status && strcmp(status, "deactivated") == 0)
        return ac_err(ctx, AUTOCERT_ERR_NOT_FOUND, "the cached account of %s was deactivated "
                      "(the next obtain registers a new one)", AC_SAFE(j->sess.directory_url));
    if ((rc = cached_key(j)) != AUTOCERT_OK || (rc = ac_account_load(&j->sess)) != AUTOCERT_OK)
        return rc;
    json_decref(j->doc); /* the lookup may have written it anew */
    j->doc = NULL;
    rc = ac_cache_account_doc(ctx, j->st, j->set, &j->doc);
    return rc == AUTOCERT_ERR_NOT_FOUND ? AUTOCERT_OK : rc;
}

/* The contacts of an account object into the handle. */
static autocert_err take_contacts(autocert_ctx *ctx, json_t *obj, autocert_account *a)
{
    json_t *c = json_object_get(obj, "contact");
    size_t i, n = json_array_size(c);

    if (n == 0)
        return AUTOCERT_OK;
    if ((a->contacts = calloc(n, sizeof(char *))) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(c, i));

        if (v == NULL)
            continue;
        if ((a->contacts[a->n_contacts++] = strdup(v)) == NULL)
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    return AUTOCERT_OK;
}

/* The handle of the session's account as the CA described it in `obj`. */
static autocert_err describe(acct_job *j, json_t *obj, autocert_account **out)
{
    autocert_account *a = calloc(1, sizeof(*a));
    autocert_err rc;

    if (a == NULL)
        return ac_err(j->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((rc = ac_jwk_thumbprint(j->ctx, j->sess.account.key, &a->thumbprint)) == AUTOCERT_OK &&
        (rc = take_contacts(j->ctx, obj, a)) == AUTOCERT_OK &&
        ((a->url = strdup(j->sess.account.url)) == NULL ||
         (a->key_type = strdup(ac_key_type_of(j->sess.account.key))) == NULL ||
         (a->status = strdup(ac_acme_status(obj)[0] ? ac_acme_status(obj) : "unknown")) == NULL))
        rc = ac_err(j->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (rc != AUTOCERT_OK) {
        autocert_account_free(a);
        return rc;
    }
    *out = a;
    return AUTOCERT_OK;
}

/* POSTs `payload` (NULL: POST-as-GET) to the account URL; *out (may be
 * NULL) receives the account as the CA answered. */
static autocert_err account_post(acct_job *j, json_t *payload, const char *what,
                                 autocert_account **out)
{
    ac_http_resp resp;
    json_t *obj = NULL;
    autocert_err rc;

    ac_http_resp_init(&resp);
    if ((rc = ac_acme_post(&j->sess, j->sess.account.url, payload, what, &resp)) == AUTOCERT_OK &&
        (rc = ac_acme_json(j->ctx, &resp, what, &obj)) == AUTOCERT_OK && out)
        rc = describe(j, obj, out);
    json_decref(obj);
    ac_http_resp_free(&resp);
    return rc;
}

/* A copy of account.json to change (a fresh object when there was none). */
static autocert_err doc_copy(acct_job *j, json_t **out)
{
    *out = j->doc ? json_deep_copy(j->doc) : json_pack("{s:s, s:s}", "url", j->sess.account.url,
                                                      "directory", j->sess.directory_url);
    return *out ? AUTOCERT_OK : ac_err(j->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
}

/* A failure to store what the CA already did: said loudly, naming what
 * to do by hand. */
static autocert_err after_the_ca(acct_job *j, autocert_err rc, const char *did,
                                 const char *remedy)
{
    char *why = strdup(autocert_last_error(j->ctx));

    rc = ac_err(j->ctx, rc, "the CA %s %s, but the cache could not record it (%s): %s",
                did, AC_SAFE(j->sess.account.url), why ? why : autocert_strerror(rc), remedy);
    free(why);
    ac_log(j->ctx, AUTOCERT_LOG_ERROR, "%s", autocert_last_error(j->ctx));
    return rc;
}

/* ---- key rollover ------------------------------------------------------------- */

/* The new key, kept next to account.key before the CA hears of it: if the
 * CA takes it and the cache then fails, the key is not lost. */
static autocert_err keep_recovery(acct_job *j, EVP_PKEY *key)
{
    char *pem = NULL, *where;
    size_t len = 0;
    autocert_item item;
    autocert_err rc;

    /* One left by an earlier rollover may be the key the CA knows: never
     * overwritten. */
    rc = ac_storage_load(j->ctx, j->st, j->set, AC_ITEM_ACCOUNT_ROLLOVER, (unsigned char **)&pem,
                         &len);
    ac_free_secret(pem, len);
    pem = NULL;
    if (rc == AUTOCERT_OK) {
        where = ac_storage_where(j->st, j->set, AC_ITEM_ACCOUNT_ROLLOVER);
        rc = ac_err(j->ctx, AUTOCERT_ERR_EXISTS, "%s is left from an earlier rollover whose "
                    "outcome was not recorded: if the CA knows the account by that key "
                    "(looking the account up with the cached key fails), move it over %s; "
                    "if not, remove it",
                    where ? where : AC_ITEM_ACCOUNT_ROLLOVER, AC_ITEM_ACCOUNT_KEY);
        free(where);
        return rc;
    }
    if (rc != AUTOCERT_ERR_NOT_FOUND)
        return rc;
    if ((rc = ac_key_to_pem(j->ctx, key, &pem, &len)) != AUTOCERT_OK)
        return rc;
    item = (autocert_item){AC_ITEM_ACCOUNT_ROLLOVER, pem, len, 1};
    rc = ac_storage_store_item(j->ctx, j->st, j->set, &item);
    ac_free_secret(pem, len);
    return rc;
}

/* The CA refused the new key (`rc`): the set as it was, without the
 * recovery key.  The CA's refusal stays the failure reported. */
static void drop_recovery(acct_job *j, autocert_err rc)
{
    char *why = strdup(autocert_last_error(j->ctx));
    json_t *doc = NULL;

    if (doc_copy(j, &doc) != AUTOCERT_OK ||
        ac_cache_account_replace(j->ctx, j->st, j->set, j->sess.account.key, doc) != AUTOCERT_OK) {
        ac_log(j->ctx, AUTOCERT_LOG_WARN, "%s: the unused new key stays in the cache: %s",
               AC_ITEM_ACCOUNT_ROLLOVER, autocert_last_error(j->ctx));
        ac_err(j->ctx, rc, "%s", why ? why : autocert_strerror(rc));
    }
    json_decref(doc);
    free(why);
}

/* keyChange: the inner JWS signed by the new key, the outer by the old. */
static autocert_err key_change(acct_job *j, EVP_PKEY *key)
{
    ac_http_resp resp;
    json_t *inner = NULL;
    autocert_err rc;

    ac_http_resp_init(&resp);
    if ((rc = ac_jws_key_change(j->ctx, key, j->sess.account.key, j->sess.account.url,
                                j->sess.dir.key_change, &inner)) == AUTOCERT_OK)
        rc = ac_acme_post(&j->sess, j->sess.dir.key_change, inner, "key change", &resp);
    json_decref(inner);
    ac_http_resp_free(&resp);
    return rc;
}

/* The set with the new key replaces the old one whole (the recovery key
 * goes with it). */
static autocert_err store_new_key(acct_job *j, EVP_PKEY *key)
{
    json_t *doc = NULL;
    autocert_err rc;

    if ((rc = doc_copy(j, &doc)) != AUTOCERT_OK)
        return rc;
    if (json_object_set_new(doc, "key_type", json_string(ac_key_type_of(key))) ||
        json_object_set_new(doc, "rolled_over_at", json_integer((json_int_t)time(NULL))))
        rc = ac_err(j->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    else
        rc = ac_cache_account_replace(j->ctx, j->st, j->set, key, doc);
    json_decref(doc);
    return rc;
}

/* The CA holds the new key but the cache failed: where the key is. */
static autocert_err lost_store(acct_job *j, autocert_err rc)
{
    char *where = ac_storage_where(j->st, j->set, AC_ITEM_ACCOUNT_ROLLOVER);
    char remedy[1024];

    snprintf(remedy, sizeof(remedy), "the new key is in %s: move it over %s (mode 0600) before "
             "the next run", where ? where : AC_ITEM_ACCOUNT_ROLLOVER, AC_ITEM_ACCOUNT_KEY);
    free(where);
    return after_the_ca(j, rc, "now knows by its new key account", remedy);
}

/* The key change got no answer: the outcome is unknown. */
static autocert_err no_answer(acct_job *j, autocert_err rc)
{
    char *where = ac_storage_where(j->st, j->set, AC_ITEM_ACCOUNT_ROLLOVER);
    char *why = strdup(autocert_last_error(j->ctx));

    rc = ac_err(j->ctx, rc, "%s: the CA may have changed the key of account %s all the same; "
                "the new key is kept in %s: if looking the account up now fails, move it over "
                "%s, else remove it", why ? why : autocert_strerror(rc), AC_SAFE(j->sess.account.url),
                where ? where : AC_ITEM_ACCOUNT_ROLLOVER, AC_ITEM_ACCOUNT_KEY);
    ac_log(j->ctx, AUTOCERT_LOG_ERROR, "%s", autocert_last_error(j->ctx));
    free(where);
    free(why);
    return rc;
}

autocert_err autocert_account_rollover(autocert_ctx *ctx, autocert_account **out)
{
    acct_job j;
    EVP_PKEY *key = NULL;
    autocert_err rc;

    if (out)
        *out = NULL;
    if ((rc = job_init(&j, ctx, 1)) != AUTOCERT_OK)
        goto out;
    if (j.sess.dir.key_change == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED, "the ACME server %s offers no keyChange",
                    AC_SAFE(j.sess.directory_url));
        goto out;
    }
    ac_log(ctx, AUTOCERT_LOG_INFO, "rolling account %s over to a new %s key",
           AC_SAFE(j.sess.account.url), autocert_key_type_name(ctx->account_key_type));
    if ((rc = ac_key_generate(ctx, ctx->account_key_type, &key)) != AUTOCERT_OK ||
        (rc = keep_recovery(&j, key)) != AUTOCERT_OK)
        goto out;
    if ((rc = key_change(&j, key)) != AUTOCERT_OK) {
        /* Refused by the CA: back as it was.  No answer at all: the CA
         * may have changed the key, so its copy stays. */
        if (rc == AUTOCERT_ERR_ACME || rc == AUTOCERT_ERR_HTTP)
            drop_recovery(&j, rc);
        else
            rc = no_answer(&j, rc);
        goto out;
    }
    if ((rc = store_new_key(&j, key)) != AUTOCERT_OK) {
        rc = lost_store(&j, rc);
        goto out;
    }
    /* From now on the session signs with the new key: the account as the
     * CA sees it, fetched with that key, proves the change. */
    EVP_PKEY_free(j.sess.account.key);
    j.sess.account.key = key;
    key = NULL;
    if (out)
        rc = account_post(&j, NULL, "account", out);
out:
    EVP_PKEY_free(key);
    job_clear(&j);
    return rc;
}

autocert_err autocert_account_get(autocert_ctx *ctx, autocert_account **out)
{
    acct_job j;
    autocert_err rc;

    *out = NULL;
    if ((rc = job_init(&j, ctx, 0)) == AUTOCERT_OK)
        rc = account_post(&j, NULL, "account", out);
    job_clear(&j);
    return rc;
}

autocert_err autocert_account_update(autocert_ctx *ctx, autocert_account **out)
{
    acct_job j;
    json_t *payload = NULL, *doc = NULL;
    autocert_err rc;

    if (out)
        *out = NULL;
    if ((rc = job_init(&j, ctx, 1)) != AUTOCERT_OK)
        goto out;
    payload = ctx->email ? json_pack("{s:[o]}", "contact", json_sprintf("mailto:%s", ctx->email))
                         : json_pack("{s:[]}", "contact");
    if (payload == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    ac_log(ctx, AUTOCERT_LOG_INFO, "updating the contact of account %s",
           AC_SAFE(j.sess.account.url));
    if ((rc = account_post(&j, payload, "account update", out)) != AUTOCERT_OK ||
        (rc = doc_copy(&j, &doc)) != AUTOCERT_OK)
        goto out;
    if (json_object_set_new(doc, "email", ctx->email ? json_string(ctx->email) : json_null()))
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    else
        rc = ac_cache_account_doc_store(ctx, j.st, j.set, doc);
out:
    json_decref(payload);
    json_decref(doc);
    job_clear(&j);
    return rc;
}

autocert_err autocert_account_deactivate(autocert_ctx *ctx, autocert_account **out)
{
    acct_job j;
    json_t *payload = NULL, *doc = NULL;
    autocert_err rc;

    if (out)
        *out = NULL;
    if ((rc = job_init(&j, ctx, 1)) != AUTOCERT_OK)
        goto out;
    if ((payload = json_pack("{s:s}", "status", "deactivated")) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    ac_log(ctx, AUTOCERT_LOG_INFO, "deactivating account %s", AC_SAFE(j.sess.account.url));
    if ((rc = account_post(&j, payload, "account deactivation", out)) != AUTOCERT_OK ||
        (rc = doc_copy(&j, &doc)) != AUTOCERT_OK)
        goto out;
    /* Never used again: the next obtain registers a new account. */
    if (json_object_set_new(doc, "status", json_string("deactivated")) ||
        json_object_set_new(doc, "deactivated_at", json_integer((json_int_t)time(NULL))))
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    else if ((rc = ac_cache_account_doc_store(ctx, j.st, j.set, doc)) != AUTOCERT_OK)
        rc = after_the_ca(&j, rc, "deactivated account", "orders with this account fail until "
                          "its set is removed from the cache");
out:
    json_decref(payload);
    json_decref(doc);
    job_clear(&j);
    return rc;
}
