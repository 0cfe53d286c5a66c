/* account.c: the ACME account: the cached one, or newAccount with terms, contact and External Account Binding. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "acme/acme.h"
#include "cache.h"

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
    /* It becomes the "kid" of every request (JSON, so UTF-8 at least). */
    else if (rc == AUTOCERT_OK && !ac_acme_url_ok(resp.location))
        rc = ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "new account: the Location header is not a "
                    "URL: %s", AC_SAFE(resp.location));
    if (rc == AUTOCERT_OK) {
        free(s->account.url);
        s->account.url = resp.location;
        resp.location = NULL;
    }
    json_decref(payload);
    ac_http_resp_free(&resp);
    return rc;
}

/* The cached account of `set` into the session: its key, and its URL when
 * account.json still has it.  *have_key: a key is cached. */
static autocert_err load_cached(ac_session *s, autocert_storage *st, const char *set,
                                int *have_key)
{
    autocert_err rc;

    *have_key = 0;
    EVP_PKEY_free(s->account.key);
    s->account.key = NULL;
    free(s->account.url);
    s->account.url = NULL;
    if ((rc = ac_cache_account_load(s->ctx, st, set, &s->account.key, &s->account.url)) !=
        AUTOCERT_OK)
        return rc;
    *have_key = 1;
    if (s->account.url)
        ac_log(s->ctx, AUTOCERT_LOG_DEBUG, "using cached account %s", AC_SAFE(s->account.url));
    return AUTOCERT_OK;
}

/* Only the key survived: the CA tells its account's URL, saved back. */
static autocert_err look_up(ac_session *s, autocert_storage *st, const char *set)
{
    autocert_err rc;

    ac_log(s->ctx, AUTOCERT_LOG_INFO, "looking up the account of the cached key");
    if ((rc = new_account(s, 1)) != AUTOCERT_OK)
        return rc;
    return ac_cache_account_save(s->ctx, st, set, s->account.key, s->account.url,
                                 s->directory_url);
}

/* The CA's conditions for a registration are met. */
static autocert_err may_register(ac_session *s)
{
    autocert_ctx *ctx = s->ctx;

    if (s->dir.terms_of_service && !ctx->agree_tos)
        return ac_err(ctx, AUTOCERT_ERR_TOS, "the CA's terms of service (%s) must be agreed to",
                      AC_SAFE(s->dir.terms_of_service));
    if (s->dir.eab_required && ctx->eab_kid == NULL)
        return ac_err(ctx, AUTOCERT_ERR_EAB_REQUIRED,
                      "the ACME server %s requires External Account Binding: a key id and an HMAC "
                      "key from your CA account",
                      AC_SAFE(s->directory_url));
    return AUTOCERT_OK;
}

/* Registers the session's key (newAccount, not only an existing one) and
 * saves the account. */
static autocert_err register_key(ac_session *s, autocert_storage *st, const char *set)
{
    autocert_err rc;

    if ((rc = new_account(s, 0)) != AUTOCERT_OK)
        return rc;
    ac_log(s->ctx, AUTOCERT_LOG_INFO, "account %s", AC_SAFE(s->account.url));
    return ac_cache_account_save(s->ctx, st, set, s->account.key, s->account.url,
                                 s->directory_url);
}

/* A new account, once the CA's conditions are known to be met. */
static autocert_err register_new(ac_session *s, autocert_storage *st, const char *set)
{
    autocert_ctx *ctx = s->ctx;
    autocert_err rc;

    if ((rc = may_register(s)) != AUTOCERT_OK)
        return rc;
    ac_log(ctx, AUTOCERT_LOG_INFO, "registering a new account with %s", AC_SAFE(s->directory_url));
    if ((rc = ac_key_generate(ctx, ctx->account_key_type, &s->account.key)) != AUTOCERT_OK)
        return rc;
    return register_key(s, st, set);
}

/* With the account's lock held (writers of a set hold its lock): the account
 * another process completed meanwhile, else its URL looked up for a key
 * alone, else a new registration where `can_register`. */
static autocert_err complete_locked(ac_session *s, autocert_storage *st, const char *set,
                                    int can_register)
{
    int have_key = 0, held = ac_session_holds(s, set);
    autocert_err rc;

    /* An operation on the account itself may hold its lock already. */
    if (!held && (rc = ac_session_lock(s, st, set)) != AUTOCERT_OK)
        return rc;
    rc = load_cached(s, st, set, &have_key);
    if (rc == AUTOCERT_ERR_NOT_FOUND && !have_key && can_register)
        rc = register_new(s, st, set);
    else if (rc == AUTOCERT_ERR_NOT_FOUND && !have_key)
        rc = ac_err(s->ctx, AUTOCERT_ERR_NOT_FOUND, "no account of %s in the cache",
                    AC_SAFE(s->directory_url));
    else if (rc == AUTOCERT_OK && s->account.url == NULL)
        rc = look_up(s, st, set);
    if (!held)
        ac_session_unlock(s, set);
    return rc;
}

static autocert_err account_get(ac_session *s, int can_register)
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
    if ((rc = ac_storage(s->ctx, &st)) != AUTOCERT_OK ||
        (rc = ac_cache_account_set(s->ctx, s->directory_url, &set)) != AUTOCERT_OK)
        return rc;
    /* The common case reads without a lock: sets are replaced whole. */
    rc = load_cached(s, st, set, &have_key);
    if ((rc == AUTOCERT_ERR_NOT_FOUND && !have_key) || (rc == AUTOCERT_OK && !s->account.url))
        rc = complete_locked(s, st, set, can_register);
    if (rc != AUTOCERT_OK) {
        EVP_PKEY_free(s->account.key);
        s->account.key = NULL;
        free(s->account.url);
        s->account.url = NULL;
    }
    free(set);
    return rc;
}

autocert_err ac_account_check_local(ac_session *s)
{
    autocert_storage *st = NULL;
    char *set = NULL;
    int have_key = 0;
    autocert_err rc;

    if ((rc = ac_storage(s->ctx, &st)) != AUTOCERT_OK ||
        (rc = ac_cache_account_set(s->ctx, s->directory_url, &set)) != AUTOCERT_OK)
        return rc;
    /* Kept in the session: ac_account_ensure then uses it as loaded. */
    rc = load_cached(s, st, set, &have_key);
    /* To be written (none cached, or its key alone): its set can be locked. */
    if ((rc == AUTOCERT_ERR_NOT_FOUND && !have_key) || (rc == AUTOCERT_OK && !s->account.url)) {
        ac_err_clear(s->ctx);
        if (ac_session_holds(s, set))
            rc = AUTOCERT_OK;
        else if ((rc = ac_session_lock(s, st, set)) == AUTOCERT_OK)
            ac_session_unlock(s, set);
    }
    free(set);
    return rc;
}

autocert_err ac_account_ensure(ac_session *s)
{
    return account_get(s, 1);
}

autocert_err ac_account_load(ac_session *s)
{
    return account_get(s, 0);
}

/* Under the account's lock: the URL another process saved for the same key
 * meanwhile, else the key registered anew. */
static autocert_err reregister_locked(ac_session *s, autocert_storage *st, const char *set)
{
    EVP_PKEY *key = NULL;
    char *url = NULL;
    autocert_err rc;

    if (ac_cache_account_load(s->ctx, st, set, &key, &url) == AUTOCERT_OK && url != NULL &&
        EVP_PKEY_eq(key, s->account.key) == 1 && strcmp(url, s->account.url) != 0) {
        ac_log(s->ctx, AUTOCERT_LOG_INFO, "using account %s, registered meanwhile", AC_SAFE(url));
        free(s->account.url);
        s->account.url = url;
        url = NULL;
        rc = AUTOCERT_OK;
    } else {
        ac_err_clear(s->ctx);
        ac_log(s->ctx, AUTOCERT_LOG_INFO, "registering the cached account key anew with %s",
               AC_SAFE(s->directory_url));
        /* newAccount is signed with the key itself (jwk), not a kid. */
        free(s->account.url);
        s->account.url = NULL;
        if ((rc = may_register(s)) == AUTOCERT_OK)
            rc = register_key(s, st, set);
    }
    EVP_PKEY_free(key);
    free(url);
    return rc;
}

autocert_err ac_account_reregister(ac_session *s)
{
    autocert_storage *st = NULL;
    char *set = NULL;
    autocert_err rc;

    if (s->account.key == NULL || s->account.url == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_INVALID, "no account to register anew");
    if ((rc = ac_storage(s->ctx, &st)) != AUTOCERT_OK ||
        (rc = ac_cache_account_set(s->ctx, s->directory_url, &set)) != AUTOCERT_OK)
        return rc;
    if ((rc = ac_session_lock(s, st, set)) == AUTOCERT_OK) {
        rc = reregister_locked(s, st, set);
        ac_session_unlock(s, set);
    }
    free(set);
    return rc;
}
