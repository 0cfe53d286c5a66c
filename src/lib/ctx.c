/* ctx.c: the context handle: defaults, configuration setters, teardown. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "internal.h"
#include "storage/storage.h"

const char *autocert_version(void)
{
    return PACKAGE_VERSION;
}

autocert_ctx *autocert_ctx_new(void)
{
    static atomic_ullong next_id = 1;
    autocert_ctx *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL)
        return NULL;
    ctx->id = atomic_fetch_add(&next_id, 1);
    ctx->directory_url = strdup(AUTOCERT_LETSENCRYPT_URL);
    if (ctx->directory_url == NULL || pthread_mutex_init(&ctx->lock, NULL) != 0) {
        free(ctx->directory_url);
        free(ctx);
        return NULL;
    }
    ctx->http_port = 80;
    ctx->challenge = "http-01";
    ctx->hook_timeout_s = AC_HOOK_TIMEOUT_S;
    ctx->key_type = AUTOCERT_KEY_EC256;
    ctx->account_key_type = AUTOCERT_KEY_EC256;
    ctx->timeout_s = 300;
    ctx->log_level = AUTOCERT_LOG_INFO;
    return ctx;
}

void autocert_ctx_free(autocert_ctx *ctx)
{
    if (ctx == NULL)
        return;
    free(ctx->directory_url);
    free(ctx->ca_bundle);
    free(ctx->email);
    free(ctx->eab_kid);
    if (ctx->eab_hmac) {
        OPENSSL_cleanse(ctx->eab_hmac, strlen(ctx->eab_hmac));
        free(ctx->eab_hmac);
    }
    free(ctx->http_bind);
    free(ctx->webroot);
    free(ctx->preferred_chain);
    free(ctx->dns_hook);
    if (ctx->responder)
        ctx->responder_free(ctx->responder);
    autocert_strv_free(ctx->no_ari, ctx->n_no_ari);
    free(ctx->profile);
    autocert_storage_free(ctx->storage);
    ac_net_free(ctx->net);
    ac_dircache_free(ctx->dirs);
    pthread_mutex_destroy(&ctx->lock);
    ac_err_forget(ctx);
    free(ctx);
}

/* Replaces *slot with a copy of `value` (NULL clears). */
static autocert_err set_str(autocert_ctx *ctx, char **slot, const char *value)
{
    char *copy = NULL;

    if (value) {
        copy = strdup(value);
        if (copy == NULL)
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    free(*slot);
    *slot = copy;
    return AUTOCERT_OK;
}

autocert_err autocert_set_directory(autocert_ctx *ctx, const char *url)
{
    if (url == NULL || (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0))
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "directory URL '%s' is not an http(s) URL", AC_SAFE(url ? url : "(null)"));
    return set_str(ctx, &ctx->directory_url, url);
}

autocert_err autocert_set_ca_bundle(autocert_ctx *ctx, const char *path)
{
    autocert_err rc = set_str(ctx, &ctx->ca_bundle, path);

    /* Handles kept for the next sessions trust the CAs of the old bundle. */
    if (rc == AUTOCERT_OK) {
        ac_net_free(ctx->net);
        ctx->net = NULL;
    }
    return rc;
}

/* Nonzero when `s` is printable ASCII without spaces, at most `max` bytes. */
static int printable_ascii(const char *s, size_t max)
{
    size_t n = 0;

    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || ++n > max)
            return 0;
    return 1;
}

autocert_err autocert_set_email(autocert_ctx *ctx, const char *email)
{
    const char *at;

    if (email) {
        at = strchr(email, '@');
        if (at == NULL || at == email || at[1] == '\0' || strchr(at + 1, '@') ||
            !printable_ascii(email, 254) || strpbrk(email, ",<>\"") != NULL)
            return ac_err(ctx, AUTOCERT_ERR_INVALID, "e-mail address '%s' is not valid",
                          AC_SAFE(email));
    }
    return set_str(ctx, &ctx->email, email);
}

void autocert_set_allow_http(autocert_ctx *ctx, int allow)
{
    ctx->allow_http = allow != 0;
}

void autocert_set_agree_tos(autocert_ctx *ctx, int agree)
{
    ctx->agree_tos = agree != 0;
}

autocert_err autocert_set_eab(autocert_ctx *ctx, const char *kid, const char *hmac_b64url)
{
    unsigned char *key = NULL;
    char *k = NULL, *h = NULL;
    size_t len = 0;

    if ((kid == NULL) != (hmac_b64url == NULL))
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "external account binding needs both a key id and an HMAC key");
    if (hmac_b64url) {
        if (*kid == '\0')
            return ac_err(ctx, AUTOCERT_ERR_INVALID, "external account binding key id is empty");
        if (ac_b64url_decode(hmac_b64url, &key, &len) != AUTOCERT_OK || len == 0) {
            /* An empty key decodes: its buffer is ours to free. */
            ac_free_secret(key, len);
            return ac_err(ctx, AUTOCERT_ERR_INVALID,
                          "external account binding HMAC key is not base64url");
        }
        ac_free_secret(key, len);
    }
    /* Both copies first: the pair changes whole or not at all. */
    if ((kid && (k = strdup(kid)) == NULL) || (hmac_b64url && (h = strdup(hmac_b64url)) == NULL)) {
        free(k);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    free(ctx->eab_kid);
    if (ctx->eab_hmac)
        ac_free_secret(ctx->eab_hmac, strlen(ctx->eab_hmac));
    ctx->eab_kid = k;
    ctx->eab_hmac = h;
    return AUTOCERT_OK;
}

autocert_err autocert_set_http01(autocert_ctx *ctx, const char *bind_addr, unsigned port)
{
    if (port > 65535)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "HTTP port %u is out of range", port);
    ctx->http_port = port ? port : 80;
    return set_str(ctx, &ctx->http_bind, bind_addr);
}

autocert_err autocert_set_webroot(autocert_ctx *ctx, const char *dir)
{
    return set_str(ctx, &ctx->webroot, dir);
}

autocert_err autocert_set_preferred_chain(autocert_ctx *ctx, const char *issuer_cn)
{
    if (issuer_cn && (issuer_cn[0] == '\0' || strlen(issuer_cn) > 255))
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "preferred chain: a CN of 1 to 255 bytes, "
                      "not %zu", strlen(issuer_cn));
    return set_str(ctx, &ctx->preferred_chain, issuer_cn);
}

autocert_err autocert_set_challenge(autocert_ctx *ctx, const char *type)
{
    if (type == NULL || strcmp(type, "http-01") == 0)
        ctx->challenge = "http-01";
    else if (strcmp(type, "dns-01") == 0)
        ctx->challenge = "dns-01";
    else if (strcmp(type, "tls-alpn-01") == 0)
        ctx->challenge = "tls-alpn-01";
    else
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "challenge type '%s' is not supported (http-01, dns-01 or tls-alpn-01)",
                      AC_SAFE(type));
    ctx->challenge_set = type != NULL;
    return AUTOCERT_OK;
}

autocert_err autocert_set_dns_hook(autocert_ctx *ctx, const char *cmd)
{
    if (cmd != NULL && *cmd == '\0')
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "the DNS hook command is empty");
    return set_str(ctx, &ctx->dns_hook, cmd);
}

void autocert_set_hook_timeout(autocert_ctx *ctx, unsigned seconds)
{
    ctx->hook_timeout_s = seconds ? seconds : AC_HOOK_TIMEOUT_S;
}

autocert_err autocert_set_profile(autocert_ctx *ctx, const char *name)
{
    const char *p;

    if (name) {
        for (p = name; *p > ' ' && *p < 0x7f; p++)
            ;
        if (*name == '\0' || *p != '\0' || p - name > 64)
            return ac_err(ctx, AUTOCERT_ERR_INVALID,
                          "profile name '%s' is not valid (1 to 64 printable characters, no "
                          "spaces)", AC_SAFE(name));
    }
    return set_str(ctx, &ctx->profile, name);
}

void autocert_set_key_type(autocert_ctx *ctx, autocert_key_type type)
{
    ctx->key_type = type;
}

void autocert_set_account_key_type(autocert_ctx *ctx, autocert_key_type type)
{
    ctx->account_key_type = type;
}

void autocert_set_timeout(autocert_ctx *ctx, unsigned seconds)
{
    ctx->timeout_s = seconds ? seconds : 300;
}

void autocert_set_renew_days(autocert_ctx *ctx, unsigned days)
{
    ctx->renew_days = days;
    ctx->renew_days_set = 1;
}

void autocert_set_storage_take(autocert_ctx *ctx, autocert_storage *st)
{
    autocert_storage_free(ctx->storage);
    ctx->storage = st;
}

autocert_err autocert_set_cache_dir(autocert_ctx *ctx, const char *dir)
{
    autocert_storage *st = NULL;
    autocert_err rc = ac_storage_open(ctx, dir, &st);

    if (rc != AUTOCERT_OK)
        return rc;
    autocert_set_storage_take(ctx, st);
    return AUTOCERT_OK;
}

autocert_err autocert_set_cache_key_file(autocert_ctx *ctx, const char *path)
{
    autocert_storage *st = NULL;
    autocert_err rc = ac_storage(ctx, &st);

    if (rc != AUTOCERT_OK)
        return rc;
    return autocert_storage_set_key_file(ctx, st, path);
}

autocert_err ac_storage(autocert_ctx *ctx, autocert_storage **out)
{
    autocert_err rc = AUTOCERT_OK;

    /* Operations running in parallel threads may all come here first. */
    pthread_mutex_lock(&ctx->lock);
    if (ctx->storage == NULL)
        rc = autocert_set_cache_dir(ctx, NULL);
    *out = ctx->storage;
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

void ac_ctx_forget_directories(autocert_ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    ac_dircache_free(ctx->dirs);
    ctx->dirs = NULL;
    pthread_mutex_unlock(&ctx->lock);
}

void ac_ctx_set_transport(autocert_ctx *ctx, const ac_transport *tp, void *arg)
{
    /* Directories kept came from the other transport's CA. */
    ac_ctx_forget_directories(ctx);
    ctx->transport = tp;
    ctx->transport_arg = arg;
}

void autocert_timings_get(const autocert_ctx *ctx, autocert_timings *out)
{
    autocert_ctx *c = (autocert_ctx *)ctx;
    size_t n = out->size < sizeof(autocert_timings) ? out->size : sizeof(autocert_timings);
    autocert_timings t;

    memset(&t, 0, sizeof(t));
    t.size = n;
    t.requests = (double)atomic_load(&c->us[AC_TIME_REQUESTS]) / 1e6;
    t.connect = (double)atomic_load(&c->us[AC_TIME_CONNECT]) / 1e6;
    t.waiting = (double)atomic_load(&c->us[AC_TIME_WAITING]) / 1e6;
    t.keys = (double)atomic_load(&c->us[AC_TIME_KEYS]) / 1e6;
    t.store = (double)atomic_load(&c->us[AC_TIME_STORE]) / 1e6;
    /* A caller built against an older header gets the fields it knows. */
    memcpy(out, &t, n);
}

unsigned long autocert_request_count(const autocert_ctx *ctx)
{
    return atomic_load(&((autocert_ctx *)ctx)->n_requests);
}

unsigned long autocert_connection_count(const autocert_ctx *ctx)
{
    return atomic_load(&((autocert_ctx *)ctx)->n_connects);
}
