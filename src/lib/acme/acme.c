/* acme.c: the ACME directory, nonces, deadlines, and the single path for every signed POST. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme/acme.h"

#define MAX_BAD_NONCE 10 /* retries of one request after badNonce */
#define MAX_RETRY_AFTER 3 /* retries of one request after 429/503 with Retry-After */

void ac_deadline_start(autocert_ctx *ctx)
{
    ctx->deadline = ac_now() + (double)ctx->timeout_s;
}

double ac_deadline_left(autocert_ctx *ctx)
{
    if (ctx->deadline == 0)
        return (double)ctx->timeout_s;
    return ctx->deadline - ac_now();
}

autocert_err ac_sleep(autocert_ctx *ctx, double seconds, const char *what)
{
    if (seconds <= 0)
        return AUTOCERT_OK;
    if (seconds >= ac_deadline_left(ctx))
        return ac_err(ctx, AUTOCERT_ERR_TIMEOUT, "timed out (%u s) waiting for %s",
                      ctx->timeout_s, what);
    ac_sleep_s(seconds);
    return AUTOCERT_OK;
}

autocert_err ac_acme_json(autocert_ctx *ctx, ac_http_resp *resp, const char *what, json_t **out)
{
    json_error_t jerr;
    json_t *j;

    *out = NULL;
    j = json_loadb((const char *)resp->body.data, resp->body.len, 0, &jerr);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "%s: response is not a JSON object (%s)", what,
                      j ? "wrong type" : jerr.text);
    }
    *out = j;
    return AUTOCERT_OK;
}

/* The problem document of a response (new reference), or NULL. */
static json_t *problem_of(const ac_http_resp *resp)
{
    json_t *p;

    if (resp->body.len == 0)
        return NULL;
    p = json_loadb((const char *)resp->body.data, resp->body.len, 0, NULL);
    if (json_is_object(p) && json_is_string(json_object_get(p, "type")))
        return p;
    json_decref(p);
    return NULL;
}

/* Turns a non-2xx response into an error: its problem document `p` (may be
 * NULL) or the bare status. */
static autocert_err problem_error(autocert_ctx *ctx, const ac_http_resp *resp, json_t *p,
                                  const char *what)
{
    autocert_err rc;

    if (p)
        return ac_err_problem(ctx, resp->status, p, what);
    rc = ac_err(ctx, AUTOCERT_ERR_HTTP, "%s: unexpected HTTP status %ld", what, resp->status);
    ctx->err.http_status = resp->status;
    return rc;
}

static autocert_err response_error(autocert_ctx *ctx, const ac_http_resp *resp, const char *what)
{
    json_t *p = problem_of(resp);
    autocert_err rc = problem_error(ctx, resp, p, what);

    json_decref(p);
    return rc;
}

/* Copies a string member of the directory, NULL if absent. */
static autocert_err dir_url(autocert_ctx *ctx, json_t *d, const char *name, int required, char **slot)
{
    const char *v = json_string_value(json_object_get(d, name));

    if (v == NULL) {
        if (required)
            return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "ACME directory %s has no '%s'",
                          ctx->directory_url, name);
        return AUTOCERT_OK;
    }
    if ((*slot = strdup(v)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

autocert_err ac_acme_directory(autocert_ctx *ctx)
{
    ac_http_resp resp;
    json_t *d = NULL, *meta;
    autocert_err rc;

    if (ctx->have_dir)
        return AUTOCERT_OK;
    ac_http_resp_init(&resp);
    ac_log(ctx, AUTOCERT_LOG_DEBUG, "fetching ACME directory %s", ctx->directory_url);
    if ((rc = ac_http_request(ctx, "GET", ctx->directory_url, NULL, &resp)) != AUTOCERT_OK)
        goto out;
    if (resp.status != 200) {
        rc = response_error(ctx, &resp, "ACME directory");
        goto out;
    }
    if ((rc = ac_acme_json(ctx, &resp, "ACME directory", &d)) != AUTOCERT_OK)
        goto out;
    if ((rc = dir_url(ctx, d, "newNonce", 1, &ctx->dir.new_nonce)) ||
        (rc = dir_url(ctx, d, "newAccount", 1, &ctx->dir.new_account)) ||
        (rc = dir_url(ctx, d, "newOrder", 1, &ctx->dir.new_order)) ||
        (rc = dir_url(ctx, d, "revokeCert", 0, &ctx->dir.revoke_cert)) ||
        (rc = dir_url(ctx, d, "keyChange", 0, &ctx->dir.key_change)))
        goto out;
    meta = json_object_get(d, "meta");
    if (json_is_object(meta)) {
        if ((rc = dir_url(ctx, meta, "termsOfService", 0, &ctx->dir.terms_of_service)))
            goto out;
        ctx->dir.eab_required = json_is_true(json_object_get(meta, "externalAccountRequired"));
    }
    if (resp.nonce) {
        free(ctx->nonce);
        ctx->nonce = resp.nonce;
        resp.nonce = NULL;
    }
    ctx->have_dir = 1;
out:
    json_decref(d);
    ac_http_resp_free(&resp);
    return rc;
}

/* A fresh nonce: the one saved from the last response, else HEAD newNonce. */
static autocert_err take_nonce(autocert_ctx *ctx, char **out)
{
    ac_http_resp resp;
    autocert_err rc;

    if (ctx->nonce) {
        *out = ctx->nonce;
        ctx->nonce = NULL;
        return AUTOCERT_OK;
    }
    ac_http_resp_init(&resp);
    rc = ac_http_request(ctx, "HEAD", ctx->dir.new_nonce, NULL, &resp);
    if (rc == AUTOCERT_OK && (resp.status != 200 && resp.status != 204))
        rc = response_error(ctx, &resp, "new nonce");
    if (rc == AUTOCERT_OK && resp.nonce == NULL)
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "new nonce: no Replay-Nonce header");
    if (rc == AUTOCERT_OK) {
        *out = resp.nonce;
        resp.nonce = NULL;
    }
    ac_http_resp_free(&resp);
    return rc;
}

autocert_err ac_acme_post(autocert_ctx *ctx, const char *url, json_t *payload,
                          const char *what, ac_http_resp *resp)
{
    char *body_payload = NULL, *nonce = NULL, *jws = NULL;
    int bad_nonce = 0, retry_after = 0;
    autocert_err rc;

    if ((rc = ac_acme_directory(ctx)) != AUTOCERT_OK)
        return rc;
    if (ctx->account.key == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: no account key loaded", what);
    if (url == NULL)
        return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "%s: the server gave no URL for it", what);
    if (payload && (body_payload = json_dumps(payload, JSON_COMPACT)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (;;) {
        json_t *p = NULL;
        const char *type;

        free(jws);
        jws = NULL;
        if ((rc = take_nonce(ctx, &nonce)) != AUTOCERT_OK)
            break;
        rc = ac_jws_sign(ctx, ctx->account.key, ctx->account.url, nonce, url, body_payload, &jws);
        free(nonce);
        nonce = NULL;
        if (rc != AUTOCERT_OK)
            break;
        if ((rc = ac_http_request(ctx, "POST", url, jws, resp)) != AUTOCERT_OK)
            break;
        if (resp->nonce) {
            free(ctx->nonce);
            ctx->nonce = resp->nonce;
            resp->nonce = NULL;
        }
        if (resp->status >= 200 && resp->status < 300)
            break;
        p = problem_of(resp);
        type = json_string_value(json_object_get(p, "type"));
        if (type && strcmp(type, "urn:ietf:params:acme:error:badNonce") == 0 &&
            bad_nonce < MAX_BAD_NONCE) {
            bad_nonce++;
            ac_log(ctx, AUTOCERT_LOG_DEBUG, "%s: nonce rejected, retrying (%d)", what, bad_nonce);
            json_decref(p);
            continue;
        }
        if ((resp->status == 429 || resp->status == 503) && resp->retry_after >= 0 &&
            retry_after < MAX_RETRY_AFTER && (double)resp->retry_after < ac_deadline_left(ctx)) {
            retry_after++;
            ac_log(ctx, AUTOCERT_LOG_INFO, "%s: server busy (HTTP %ld), retrying in %ld s", what,
                   resp->status, resp->retry_after);
            json_decref(p);
            if ((rc = ac_sleep(ctx, (double)resp->retry_after, what)) != AUTOCERT_OK)
                break;
            continue;
        }
        rc = problem_error(ctx, resp, p, what);
        json_decref(p);
        break;
    }
    free(body_payload);
    free(jws);
    return rc;
}
