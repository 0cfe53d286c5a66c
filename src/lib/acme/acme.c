/* acme.c: the ACME directory, nonces, and the single path for every signed POST. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme/acme.h"

/* Retries of one request after badNonce.  A CA rejecting nonces at random
 * (Pebble's test setting rejects half) fails a request with chance p^21:
 * ten retries failed one request in 2048 at p = 0.5, often enough for the
 * integration tests to meet it. */
#define MAX_BAD_NONCE 20
#define MAX_RETRY_AFTER 3 /* retries of one request after 429/503 with Retry-After */

autocert_err ac_acme_json(autocert_ctx *ctx, ac_http_resp *resp, const char *what, json_t **out)
{
    json_error_t jerr;
    json_t *j;

    *out = NULL;
    j = json_loadb((const char *)resp->body.data, resp->body.len, 0, &jerr);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "%s: response is not a JSON object (%s)", what,
                      j ? "wrong type" : AC_SAFE(jerr.text));
    }
    *out = j;
    return AUTOCERT_OK;
}

autocert_err ac_acme_fetch(ac_session *s, const char *url, const char *what, ac_http_resp *resp,
                           json_t **out)
{
    autocert_err rc = ac_acme_post(s, url, NULL, what, resp);

    *out = NULL;
    if (rc != AUTOCERT_OK)
        return rc;
    return ac_acme_json(s->ctx, resp, what, out);
}

const char *ac_acme_status(json_t *obj)
{
    const char *st = json_string_value(json_object_get(obj, "status"));

    return st ? st : "";
}

int ac_acme_url_ok(const char *url)
{
    const unsigned char *p = (const unsigned char *)url;

    if (*p == '\0')
        return 0;
    for (; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return 0;
    return 1;
}

autocert_err ac_acme_need_status(autocert_ctx *ctx, json_t *obj, const char *what)
{
    if (json_is_string(json_object_get(obj, "status")))
        return AUTOCERT_OK;
    return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "%s has no status", what);
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
    ac_err_http_status(ctx, resp->status);
    return rc;
}

autocert_err ac_acme_response_error(autocert_ctx *ctx, const ac_http_resp *resp, const char *what)
{
    json_t *p = problem_of(resp);
    autocert_err rc = problem_error(ctx, resp, p, what);

    json_decref(p);
    return rc;
}

/* Copies a string member of the directory, NULL if absent. */
static autocert_err dir_url(ac_session *s, json_t *d, const char *name, int required, char **slot)
{
    autocert_ctx *ctx = s->ctx;
    const char *v = json_string_value(json_object_get(d, name));

    if (v == NULL) {
        if (required)
            return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "ACME directory %s has no '%s'",
                          AC_SAFE(s->directory_url), name);
        return AUTOCERT_OK;
    }
    if ((*slot = strdup(v)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

/* Takes the URLs and the meta data of a directory document. */
static autocert_err dir_parse(ac_session *s, json_t *d)
{
    ac_directory *dir = &s->dir;
    json_t *meta = json_object_get(d, "meta");
    autocert_err rc;

    if ((rc = dir_url(s, d, "newNonce", 1, &dir->new_nonce)) ||
        (rc = dir_url(s, d, "newAccount", 1, &dir->new_account)) ||
        (rc = dir_url(s, d, "newOrder", 1, &dir->new_order)) ||
        (rc = dir_url(s, d, "revokeCert", 0, &dir->revoke_cert)) ||
        (rc = dir_url(s, d, "keyChange", 0, &dir->key_change)))
        return rc;
    if (json_is_object(meta)) {
        if ((rc = dir_url(s, meta, "termsOfService", 0, &dir->terms_of_service)))
            return rc;
        dir->eab_required = json_is_true(json_object_get(meta, "externalAccountRequired"));
        if (json_is_object(json_object_get(meta, "profiles")) &&
            json_object_size(json_object_get(meta, "profiles")) > 0)
            dir->profiles = json_incref(json_object_get(meta, "profiles"));
    }
    if ((rc = dir_url(s, d, "renewalInfo", 0, &dir->renewal_info)))
        return rc;
    return AUTOCERT_OK;
}

/* Keeps the Replay-Nonce of a response for the next signed request. */
static void keep_nonce(ac_session *s, ac_http_resp *resp)
{
    if (resp->nonce) {
        free(s->nonce);
        s->nonce = resp->nonce;
        resp->nonce = NULL;
    }
}

autocert_err ac_acme_directory(ac_session *s)
{
    ac_http_resp resp;
    json_t *d = NULL;
    autocert_err rc;
    int kept;

    if (s->have_dir)
        return AUTOCERT_OK;
    /* Another session of the context fetched it a moment ago. */
    ac_directory_clear(&s->dir);
    if ((kept = ac_dircache_get(s->ctx, s->directory_url, &s->dir)) < 0)
        return ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (kept > 0) {
        ac_log(s->ctx, AUTOCERT_LOG_DEBUG, "ACME directory %s as fetched less than %.0f s ago",
               AC_SAFE(s->directory_url), AC_DIR_TTL_S);
        s->have_dir = 1;
        return AUTOCERT_OK;
    }
    ac_http_resp_init(&resp);
    ac_log(s->ctx, AUTOCERT_LOG_DEBUG, "fetching ACME directory %s", AC_SAFE(s->directory_url));
    if ((rc = ac_session_request(s, "GET", s->directory_url, NULL, &resp)) != AUTOCERT_OK)
        goto out;
    if (resp.status != 200) {
        rc = ac_acme_response_error(s->ctx, &resp, "ACME directory");
        goto out;
    }
    if ((rc = ac_acme_json(s->ctx, &resp, "ACME directory", &d)) != AUTOCERT_OK ||
        (rc = dir_parse(s, d)) != AUTOCERT_OK)
        goto out;
    keep_nonce(s, &resp);
    s->have_dir = 1;
    ac_dircache_put(s->ctx, s->directory_url, &s->dir);
out:
    json_decref(d);
    ac_http_resp_free(&resp);
    return rc;
}

/* A fresh nonce: the one saved from the last response, else HEAD newNonce. */
static autocert_err take_nonce(ac_session *s, char **out)
{
    ac_http_resp resp;
    autocert_err rc;

    if (s->nonce) {
        *out = s->nonce;
        s->nonce = NULL;
        return AUTOCERT_OK;
    }
    ac_http_resp_init(&resp);
    rc = ac_session_request(s, "HEAD", s->dir.new_nonce, NULL, &resp);
    if (rc == AUTOCERT_OK && (resp.status != 200 && resp.status != 204))
        rc = ac_acme_response_error(s->ctx, &resp, "new nonce");
    if (rc == AUTOCERT_OK && resp.nonce == NULL)
        rc = ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "new nonce: no Replay-Nonce header");
    if (rc == AUTOCERT_OK) {
        *out = resp.nonce;
        resp.nonce = NULL;
    }
    ac_http_resp_free(&resp);
    return rc;
}

/* Signs `payload` (text, NULL: POST-as-GET) with a fresh nonce and sends it. */
static autocert_err send_signed(ac_session *s, const char *url, const char *payload,
                                ac_http_resp *resp)
{
    char *nonce = NULL, *jws = NULL;
    autocert_err rc;

    if ((rc = take_nonce(s, &nonce)) != AUTOCERT_OK)
        return rc;
    rc = ac_jws_sign(s->ctx, s->account.key, s->account.url, nonce, url, payload, &jws);
    free(nonce);
    if (rc == AUTOCERT_OK)
        rc = ac_session_request(s, "POST", url, jws, resp);
    free(jws);
    if (rc == AUTOCERT_OK)
        keep_nonce(s, resp);
    return rc;
}

/* Whether a failed response is worth sending again: a rejected nonce (at
 * once), or a busy server that said when to come back (after sleeping). */
static int should_retry(ac_session *s, ac_http_resp *resp, json_t *p, const char *what,
                        int *bad_nonce, int *busy, autocert_err *rc)
{
    const char *type = json_string_value(json_object_get(p, "type"));

    *rc = AUTOCERT_OK;
    if (type && strcmp(type, "urn:ietf:params:acme:error:badNonce") == 0 &&
        *bad_nonce < MAX_BAD_NONCE) {
        (*bad_nonce)++;
        ac_log(s->ctx, AUTOCERT_LOG_DEBUG, "%s: nonce rejected, retrying (%d)", what, *bad_nonce);
        return 1;
    }
    if ((resp->status == 429 || resp->status == 503) && resp->retry_after >= 0 &&
        *busy < MAX_RETRY_AFTER && (double)resp->retry_after < ac_session_left(s)) {
        (*busy)++;
        ac_log(s->ctx, AUTOCERT_LOG_INFO, "%s: server busy (HTTP %ld), retrying in %ld s", what,
               resp->status, resp->retry_after);
        *rc = ac_session_wait(s, (double)resp->retry_after, what);
        return *rc == AUTOCERT_OK;
    }
    return 0;
}

autocert_err ac_acme_post(ac_session *s, const char *url, json_t *payload, const char *what,
                          ac_http_resp *resp)
{
    char *text = NULL;
    int bad_nonce = 0, busy = 0;
    autocert_err rc;

    if ((rc = ac_acme_directory(s)) != AUTOCERT_OK)
        return rc;
    if (s->account.key == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_INVALID, "%s: no account key loaded", what);
    if (url == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "%s: the server gave no URL for it", what);
    if (payload && (text = ac_json_dump(payload, JSON_COMPACT)) == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (;;) {
        json_t *p;

        if ((rc = send_signed(s, url, text, resp)) != AUTOCERT_OK)
            break;
        if (resp->status >= 200 && resp->status < 300)
            break;
        p = problem_of(resp);
        if (!should_retry(s, resp, p, what, &bad_nonce, &busy, &rc) && rc == AUTOCERT_OK)
            rc = problem_error(s->ctx, resp, p, what);
        json_decref(p);
        if (rc != AUTOCERT_OK)
            break;
    }
    free(text);
    return rc;
}
