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
static autocert_err account_set(autocert_ctx *ctx, char **out)
{
    const char *url = ctx->directory_url, *h;
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
        return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot hash directory URL");
    n = strlen("accounts/") + strlen(host) + 1 + 12 + 1;
    if ((*out = malloc(n)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    snprintf(*out, n, "accounts/%s-%02x%02x%02x%02x%02x%02x", host, md[0], md[1], md[2], md[3],
             md[4], md[5]);
    return AUTOCERT_OK;
}

/* Stores key and metadata as one set. */
static autocert_err save(autocert_ctx *ctx, autocert_storage *st)
{
    char *pem = NULL, *meta = NULL;
    size_t pemlen = 0;
    json_t *j = NULL;
    autocert_item items[2];
    autocert_err rc;

    if ((rc = ac_key_to_pem(ctx, ctx->account.key, &pem, &pemlen)) != AUTOCERT_OK)
        return rc;
    j = json_pack("{s:s, s:s, s:s*, s:s}", "url", ctx->account.url, "directory",
                  ctx->directory_url, "email", ctx->email, "key_type",
                  ac_key_type_of(ctx->account.key));
    if (j == NULL || (meta = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    items[0] = (autocert_item){ITEM_KEY, pem, pemlen, 1};
    items[1] = (autocert_item){ITEM_META, meta, strlen(meta), 0};
    rc = st->ops->store(st->be, ctx->account.set, items, 2);
    if (rc != AUTOCERT_OK)
        rc = ac_err(ctx, rc, "cannot save account in cache %s/%s: %s",
                    st->root ? st->root : "", ctx->account.set, autocert_strerror(rc));
out:
    ac_free_secret(pem, pemlen);
    free(meta);
    json_decref(j);
    return rc;
}

/* POSTs newAccount; fills ctx->account.url from Location. */
static autocert_err new_account(autocert_ctx *ctx, int only_existing)
{
    ac_http_resp resp;
    json_t *payload = NULL, *eab = NULL;
    unsigned char *mac = NULL;
    size_t mac_len = 0;
    autocert_err rc;

    ac_http_resp_init(&resp);
    if (only_existing) {
        payload = json_pack("{s:b}", "onlyReturnExisting", 1);
    } else {
        payload = json_pack("{s:b}", "termsOfServiceAgreed", ctx->agree_tos ? 1 : 0);
        if (payload && ctx->email) {
            size_t n = strlen(ctx->email) + 8;
            char *mailto = malloc(n);
            if (mailto) {
                snprintf(mailto, n, "mailto:%s", ctx->email);
                json_object_set_new(payload, "contact", json_pack("[s]", mailto));
                free(mailto);
            }
        }
        if (payload && ctx->eab_kid) {
            if (ac_b64url_decode(ctx->eab_hmac, &mac, &mac_len) != AUTOCERT_OK) {
                rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "external account binding HMAC key is not base64url");
                goto out;
            }
            rc = ac_jws_eab(ctx, ctx->account.key, ctx->eab_kid, mac, mac_len,
                            ctx->dir.new_account, &eab);
            if (rc != AUTOCERT_OK)
                goto out;
            json_object_set_new(payload, "externalAccountBinding", eab);
        }
    }
    if (payload == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = ac_acme_post(ctx, ctx->dir.new_account, payload,
                      only_existing ? "account lookup" : "new account", &resp);
    if (rc != AUTOCERT_OK)
        goto out;
    if (resp.location == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "new account: no Location header in the response");
        goto out;
    }
    free(ctx->account.url);
    ctx->account.url = resp.location;
    resp.location = NULL;
out:
    ac_free_secret(mac, mac_len);
    json_decref(payload);
    ac_http_resp_free(&resp);
    return rc;
}

autocert_err ac_account_ensure(autocert_ctx *ctx)
{
    autocert_storage *st = NULL;
    unsigned char *pem = NULL, *meta = NULL;
    size_t pemlen = 0, metalen = 0;
    json_t *j = NULL;
    autocert_err rc;

    /* Every later request needs the directory's URLs. */
    if ((rc = ac_acme_directory(ctx)) != AUTOCERT_OK)
        return rc;
    if (ctx->account.key && ctx->account.url)
        return AUTOCERT_OK;
    if ((rc = ac_storage(ctx, &st)) != AUTOCERT_OK)
        return rc;
    if (ctx->account.set == NULL && (rc = account_set(ctx, &ctx->account.set)) != AUTOCERT_OK)
        return rc;

    rc = ac_storage_load(ctx, st, ctx->account.set, ITEM_KEY, &pem, &pemlen);
    if (rc == AUTOCERT_OK) {
        char what[512];

        snprintf(what, sizeof(what), "cache file %s/%s/%s", st->root ? st->root : "",
                 ctx->account.set, ITEM_KEY);
        if ((rc = ac_key_from_pem(ctx, pem, pemlen, what, &ctx->account.key)) != AUTOCERT_OK)
            goto out;
        rc = ac_storage_load(ctx, st, ctx->account.set, ITEM_META, &meta, &metalen);
        if (rc == AUTOCERT_OK) {
            const char *url;

            j = json_loadb((const char *)meta, metalen, 0, NULL);
            url = json_string_value(json_object_get(j, "url"));
            if (url == NULL) {
                rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "cache file %s/%s/%s: no account URL",
                            st->root ? st->root : "", ctx->account.set, ITEM_META);
                goto out;
            }
            if ((ctx->account.url = strdup(url)) == NULL)
                rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            ac_log(ctx, AUTOCERT_LOG_DEBUG, "using cached account %s", url);
            goto out;
        }
        if (rc != AUTOCERT_ERR_NOT_FOUND)
            goto out;
        /* Only the key survived: ask the server for the account's URL. */
        ac_log(ctx, AUTOCERT_LOG_INFO, "looking up the account of the cached key");
        if ((rc = new_account(ctx, 1)) != AUTOCERT_OK)
            goto out;
        rc = save(ctx, st);
        goto out;
    }
    if (rc != AUTOCERT_ERR_NOT_FOUND)
        goto out;

    /* A new account. */
    if (ctx->dir.terms_of_service && !ctx->agree_tos) {
        rc = ac_err(ctx, AUTOCERT_ERR_TOS,
                    "the CA's terms of service (%s) must be agreed to",
                    ctx->dir.terms_of_service);
        goto out;
    }
    if (ctx->dir.eab_required && ctx->eab_kid == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_EAB_REQUIRED,
                    "the ACME server %s requires External Account Binding: a key id and an HMAC "
                    "key from your CA account",
                    ctx->directory_url);
        goto out;
    }
    ac_log(ctx, AUTOCERT_LOG_INFO, "registering a new account with %s", ctx->directory_url);
    if ((rc = ac_key_generate(ctx, ctx->account_key_type, &ctx->account.key)) != AUTOCERT_OK)
        goto out;
    if ((rc = new_account(ctx, 0)) != AUTOCERT_OK)
        goto out;
    ac_log(ctx, AUTOCERT_LOG_INFO, "account %s", ctx->account.url);
    rc = save(ctx, st);
out:
    if (rc != AUTOCERT_OK) {
        EVP_PKEY_free(ctx->account.key);
        ctx->account.key = NULL;
        free(ctx->account.url);
        ctx->account.url = NULL;
    }
    ac_free_secret(pem, pemlen);
    free(meta);
    json_decref(j);
    return rc;
}
