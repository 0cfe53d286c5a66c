/* account.c: the ACME account: cached key and URL, newAccount with terms, contact and External Account Binding. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "acme/acme.h"
#include "storage/storage.h"

#define ITEM_KEY "account.key"
#define ITEM_META "account.json"

/* "accounts/<host>-<12 hex of SHA-256(directory URL)>": one account per directory. */
static autocert_err account_set(ac_session *s, char **out)
{
    const char *url = s->directory_url, *h;
    unsigned char md[32];
    unsigned int mdlen = 0;
    char host[64];
    size_t i = 0, n;

    *out = NULL;
    h = strstr(url, "://");
    h = h ? h + 3 : url;
    for (; h[i] && h[i] != '/' && i < sizeof(host) - 1; i++) {
        char c = h[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        host[i] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-') ? c : '-';
    }
    host[i] = '\0';
    if (i == 0 || host[0] == '.')
        snprintf(host, sizeof(host), "acme");
    if (!EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL))
        return ac_err_ssl(s->ctx, AUTOCERT_ERR_CRYPTO, "cannot hash directory URL");
    n = strlen("accounts/") + strlen(host) + 1 + 12 + 1;
    if ((*out = malloc(n)) == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    snprintf(*out, n, "accounts/%s-%02x%02x%02x%02x%02x%02x", host, md[0], md[1], md[2], md[3],
             md[4], md[5]);
    return AUTOCERT_OK;
}

/* Stores key and metadata as one set. */
static autocert_err save(ac_session *s, autocert_storage *st, const char *set)
{
    autocert_ctx *ctx = s->ctx;
    char *pem = NULL, *meta = NULL;
    size_t pemlen = 0;
    json_t *j = NULL;
    autocert_item items[2];
    autocert_err rc;

    if ((rc = ac_key_to_pem(ctx, s->account.key, &pem, &pemlen)) != AUTOCERT_OK)
        return rc;
    j = json_pack("{s:s, s:s, s:s*, s:s}", "url", s->account.url, "directory",
                  s->directory_url, "email", ctx->email, "key_type",
                  ac_key_type_of(s->account.key));
    if (j == NULL || (meta = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    items[0] = (autocert_item){ITEM_KEY, pem, pemlen, 1};
    items[1] = (autocert_item){ITEM_META, meta, strlen(meta), 0};
    rc = ac_storage_store(ctx, st, set, items, 2);
out:
    ac_free_secret(pem, pemlen);
    free(meta);
    json_decref(j);
    return rc;
}

/* The newAccount payload of a registration: terms, contact, EAB. */
static autocert_err registration(ac_session *s, json_t **out)
{
    autocert_ctx *ctx = s->ctx;
    json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", ctx->agree_tos ? 1 : 0), *eab = NULL;
    unsigned char *mac = NULL;
    size_t mac_len = 0;
    autocert_err rc = AUTOCERT_OK;

    *out = NULL;
    if (p == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (ctx->email) {
        json_t *contact = json_array();

        if (contact == NULL || json_object_set_new(p, "contact", contact) != 0 ||
            json_array_append_new(contact, json_sprintf("mailto:%s", ctx->email)) != 0)
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    if (rc == AUTOCERT_OK && ctx->eab_kid) {
        if (ac_b64url_decode(ctx->eab_hmac, &mac, &mac_len) != AUTOCERT_OK)
            rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "external account binding HMAC key is not base64url");
        else if ((rc = ac_jws_eab(ctx, s->account.key, ctx->eab_kid, mac, mac_len,
                                  s->dir.new_account, &eab)) == AUTOCERT_OK)
            json_object_set_new(p, "externalAccountBinding", eab);
    }
    ac_free_secret(mac, mac_len);
    if (rc != AUTOCERT_OK)
        json_decref(p);
    else
        *out = p;
    return rc;
}

/* POSTs newAccount (a registration, or a lookup of the key's account);
 * takes the account URL from Location. */
static autocert_err new_account(ac_session *s, int only_existing)
{
    ac_http_resp resp;
    json_t *payload = NULL;
    autocert_err rc;

    ac_http_resp_init(&resp);
    if (only_existing)
        rc = (payload = json_pack("{s:b}", "onlyReturnExisting", 1)) != NULL
                 ? AUTOCERT_OK : ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    else
        rc = registration(s, &payload);
    if (rc == AUTOCERT_OK)
        rc = ac_acme_post(s, s->dir.new_account, payload,
                          only_existing ? "account lookup" : "new account", &resp);
    if (rc == AUTOCERT_OK && resp.location == NULL)
        rc = ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "new account: no Location header in the response");
    if (rc == AUTOCERT_OK) {
        free(s->account.url);
        s->account.url = resp.location;
        resp.location = NULL;
    }
    json_decref(payload);
    ac_http_resp_free(&resp);
    return rc;
}

/* The cached account: its key, then its URL from the metadata or, when only
 * the key survived, from the CA.  *have_key tells whether a key is cached. */
static autocert_err load_cached(ac_session *s, autocert_storage *st, const char *set,
                                int *have_key)
{
    autocert_ctx *ctx = s->ctx;
    unsigned char *pem = NULL, *meta = NULL;
    size_t pemlen = 0, metalen = 0;
    const char *url;
    json_t *j = NULL;
    char *what = NULL;
    autocert_err rc;

    *have_key = 0;
    if ((rc = ac_storage_load(ctx, st, set, ITEM_KEY, &pem, &pemlen)) != AUTOCERT_OK)
        return rc;
    *have_key = 1;
    if ((what = ac_storage_where(st, set, ITEM_KEY)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = ac_key_from_pem(ctx, pem, pemlen, what, &s->account.key)) != AUTOCERT_OK)
        goto out;
    rc = ac_storage_load(ctx, st, set, ITEM_META, &meta, &metalen);
    if (rc == AUTOCERT_ERR_NOT_FOUND) {
        /* Only the key survived: ask the server for the account's URL. */
        ac_log(ctx, AUTOCERT_LOG_INFO, "looking up the account of the cached key");
        if ((rc = new_account(s, 1)) == AUTOCERT_OK)
            rc = save(s, st, set);
        goto out;
    }
    if (rc != AUTOCERT_OK)
        goto out;
    j = json_loadb((const char *)meta, metalen, 0, NULL);
    if ((url = json_string_value(json_object_get(j, "url"))) == NULL) {
        free(what);
        what = ac_storage_where(st, set, ITEM_META);
        rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: no account URL", what ? what : ITEM_META);
    }
    else if ((s->account.url = strdup(url)) == NULL)
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    else
        ac_log(ctx, AUTOCERT_LOG_DEBUG, "using cached account %s", url);
out:
    ac_free_secret(pem, pemlen);
    free(meta);
    free(what);
    json_decref(j);
    return rc;
}

/* A new account, once the CA's conditions are known to be met. */
static autocert_err register_new(ac_session *s, autocert_storage *st, const char *set)
{
    autocert_ctx *ctx = s->ctx;
    autocert_err rc;

    if (s->dir.terms_of_service && !ctx->agree_tos)
        return ac_err(ctx, AUTOCERT_ERR_TOS, "the CA's terms of service (%s) must be agreed to",
                      s->dir.terms_of_service);
    if (s->dir.eab_required && ctx->eab_kid == NULL)
        return ac_err(ctx, AUTOCERT_ERR_EAB_REQUIRED,
                      "the ACME server %s requires External Account Binding: a key id and an HMAC "
                      "key from your CA account",
                      s->directory_url);
    ac_log(ctx, AUTOCERT_LOG_INFO, "registering a new account with %s", s->directory_url);
    if ((rc = ac_key_generate(ctx, ctx->account_key_type, &s->account.key)) != AUTOCERT_OK ||
        (rc = new_account(s, 0)) != AUTOCERT_OK)
        return rc;
    ac_log(ctx, AUTOCERT_LOG_INFO, "account %s", s->account.url);
    return save(s, st, set);
}

autocert_err ac_account_ensure(ac_session *s)
{
    autocert_storage *st = NULL;
    char *set = NULL;
    int have_key = 0;
    autocert_err rc;

    /* Every later request needs the directory's URLs. */
    if ((rc = ac_acme_directory(s)) != AUTOCERT_OK)
        return rc;
    if (s->account.key && s->account.url)
        return AUTOCERT_OK;
    if ((rc = ac_storage(s->ctx, &st)) != AUTOCERT_OK || (rc = account_set(s, &set)) != AUTOCERT_OK)
        return rc;
    rc = load_cached(s, st, set, &have_key);
    if (rc == AUTOCERT_ERR_NOT_FOUND && !have_key)
        rc = register_new(s, st, set);
    if (rc != AUTOCERT_OK) {
        EVP_PKEY_free(s->account.key);
        s->account.key = NULL;
        free(s->account.url);
        s->account.url = NULL;
    }
    free(set);
    return rc;
}
