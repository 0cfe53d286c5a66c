/* order.c: one ACME order: new order, HTTP-01 authorizations, polling, finalize, certificate download. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"

#define POLL_FIRST 0.05 /* seconds before the first poll */
#define POLL_MAX 2.0    /* the backoff stops growing here */

static const char *status_of(json_t *obj)
{
    const char *s = json_string_value(json_object_get(obj, "status"));

    return s ? s : "";
}

/* POST-as-GET of `url` into *out (JSON object). */
static autocert_err fetch(ac_session *s, const char *url, const char *what,
                          ac_http_resp *resp, json_t **out)
{
    autocert_ctx *ctx = s->ctx;
    autocert_err rc = ac_acme_post(s, url, NULL, what, resp);

    if (rc != AUTOCERT_OK)
        return rc;
    return ac_acme_json(ctx, resp, what, out);
}

/* Polls `url` while its status is one of the `busy` words (space separated). */
static autocert_err poll_until(ac_session *s, const char *url, const char *what,
                               const char *busy1, const char *busy2, json_t **obj)
{
    ac_http_resp resp;
    double wait = POLL_FIRST;
    autocert_err rc = AUTOCERT_OK;

    ac_http_resp_init(&resp);
    for (;;) {
        const char *st = status_of(*obj);
        double delay;

        if (strcmp(st, busy1) != 0 && (busy2 == NULL || strcmp(st, busy2) != 0))
            break;
        delay = resp.retry_after > 0 ? (double)resp.retry_after : wait;
        if ((rc = ac_session_sleep(s, delay, what)) != AUTOCERT_OK)
            break;
        wait = wait * 2 > POLL_MAX ? POLL_MAX : wait * 2;
        json_decref(*obj);
        *obj = NULL;
        if ((rc = fetch(s, url, what, &resp, obj)) != AUTOCERT_OK)
            break;
    }
    ac_http_resp_free(&resp);
    return rc;
}

/* The identifier of an authorization as "type:value". */
static void ident_text(json_t *authz, char *buf, size_t n)
{
    json_t *id = json_object_get(authz, "identifier");
    const char *v = json_string_value(json_object_get(id, "value"));
    const char *t = json_string_value(json_object_get(id, "type"));

    snprintf(buf, n, "%s:%s", t ? t : "?", v ? v : "?");
}

/* Reports why an authorization ended invalid, from its challenges' errors. */
static autocert_err authz_failed(ac_session *s, json_t *authz)
{
    autocert_ctx *ctx = s->ctx;
    json_t *chals = json_object_get(authz, "challenges"), *c;
    char id[300], ctxt[400];
    size_t i;

    ident_text(authz, id, sizeof(id));
    snprintf(ctxt, sizeof(ctxt), "validation of %s failed", id);
    json_array_foreach(chals, i, c) {
        json_t *e = json_object_get(c, "error");
        if (json_is_object(e)) {
            ac_err_problem(ctx, 0, e, ctxt);
            ac_err_recode(ctx, AUTOCERT_ERR_VALIDATION);
            return AUTOCERT_ERR_VALIDATION;
        }
    }
    return ac_err(ctx, AUTOCERT_ERR_VALIDATION, "%s: authorization is %s", ctxt, status_of(authz));
}

typedef struct {
    char *url;     /* authorization */
    json_t *authz;
    char *token;   /* published HTTP-01 token, or NULL when already valid */
} pending_authz;

/* Fetches every authorization and answers the pending ones over HTTP-01. */
static autocert_err answer(ac_session *s, json_t *authzs, pending_authz *pa, size_t n,
                           ac_http01 **h01)
{
    autocert_ctx *ctx = s->ctx;
    ac_http_resp resp;
    json_t *empty = json_object();
    char *thumb = NULL;
    autocert_err rc = AUTOCERT_OK;
    size_t i, j;

    ac_http_resp_init(&resp);
    if (empty == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        json_t *chals, *c, *http01 = NULL;
        const char *url = json_string_value(json_array_get(authzs, i)), *token, *curl;
        char id[300], *ka = NULL;
        size_t kalen;

        if (url == NULL || (pa[i].url = strdup(url)) == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "order: malformed authorizations list");
            break;
        }
        if ((rc = fetch(s, url, "authorization", &resp, &pa[i].authz)) != AUTOCERT_OK)
            break;
        ident_text(pa[i].authz, id, sizeof(id));
        if (strcmp(status_of(pa[i].authz), "valid") == 0) {
            ac_log(ctx, AUTOCERT_LOG_INFO, "%s: already authorized", id);
            continue;
        }
        if (strcmp(status_of(pa[i].authz), "pending") != 0) {
            rc = authz_failed(s, pa[i].authz);
            break;
        }
        chals = json_object_get(pa[i].authz, "challenges");
        json_array_foreach(chals, j, c) {
            const char *t = json_string_value(json_object_get(c, "type"));
            if (t && strcmp(t, "http-01") == 0)
                http01 = c;
        }
        if (http01 == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED, "%s: the server offers no http-01 challenge", id);
            break;
        }
        token = json_string_value(json_object_get(http01, "token"));
        curl = json_string_value(json_object_get(http01, "url"));
        if (token == NULL || curl == NULL || !ac_token_valid(token)) {
            rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "%s: malformed http-01 challenge", id);
            break;
        }
        if (thumb == NULL && (rc = ac_jwk_thumbprint(ctx, s->account.key, &thumb)) != AUTOCERT_OK)
            break;
        if (*h01 == NULL &&
            (rc = ac_http01_start(ctx, ctx->http_bind, ctx->http_port, ctx->webroot, h01)) != AUTOCERT_OK)
            break;
        kalen = strlen(token) + 1 + strlen(thumb) + 1;
        if ((ka = malloc(kalen)) == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(ka, kalen, "%s.%s", token, thumb);
        rc = ac_http01_add(*h01, ctx, token, ka);
        free(ka);
        if (rc != AUTOCERT_OK)
            break;
        if ((pa[i].token = strdup(token)) == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            break;
        }
        ac_log(ctx, AUTOCERT_LOG_INFO, "%s: answering http-01 challenge", id);
        if ((rc = ac_acme_post(s, curl, empty, "challenge response", &resp)) != AUTOCERT_OK)
            break;
    }
    json_decref(empty);
    free(thumb);
    ac_http_resp_free(&resp);
    return rc;
}

/* Waits until every answered authorization is valid. */
static autocert_err await_authzs(ac_session *s, pending_authz *pa, size_t n)
{
    autocert_ctx *ctx = s->ctx;
    autocert_err rc;
    size_t i;

    for (i = 0; i < n; i++) {
        char id[300];

        if (pa[i].token == NULL)
            continue;
        if ((rc = poll_until(s, pa[i].url, "authorization", "pending", "processing",
                             &pa[i].authz)) != AUTOCERT_OK)
            return rc;
        if (strcmp(status_of(pa[i].authz), "valid") != 0)
            return authz_failed(s, pa[i].authz);
        ident_text(pa[i].authz, id, sizeof(id));
        ac_log(ctx, AUTOCERT_LOG_INFO, "%s: validated", id);
    }
    return AUTOCERT_OK;
}

static autocert_err order_failed(ac_session *s, json_t *order, const char *what)
{
    autocert_ctx *ctx = s->ctx;
    json_t *e = json_object_get(order, "error");

    if (json_is_object(e))
        return ac_err_problem(ctx, 0, e, what);
    return ac_err(ctx, AUTOCERT_ERR_ACME, "%s: order is %s", what, status_of(order));
}

autocert_err ac_order_issue(ac_session *s, const ac_ident *ids, size_t n, EVP_PKEY *cert_key,
                            char **chain)
{
    autocert_ctx *ctx = s->ctx;
    ac_http_resp resp;
    json_t *payload = NULL, *idl = NULL, *order = NULL, *authzs;
    pending_authz *pa = NULL;
    ac_http01 *h01 = NULL;
    unsigned char *der = NULL;
    size_t derlen = 0, na = 0, i;
    char *order_url = NULL, *csr64 = NULL;
    const char *finalize, *cert_url;
    autocert_err rc;

    *chain = NULL;
    ac_http_resp_init(&resp);
    if ((idl = json_array()) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++)
        json_array_append_new(idl, json_pack("{s:s, s:s}", "type",
                                             ids[i].type == AC_ID_IP ? "ip" : "dns", "value",
                                             ids[i].value));
    payload = json_pack("{s:O}", "identifiers", idl);
    if (payload == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    ac_log(ctx, AUTOCERT_LOG_INFO, "ordering a certificate for %s%s", ids[0].value,
           n > 1 ? " and more" : "");
    if ((rc = ac_acme_post(s, s->dir.new_order, payload, "new order", &resp)) != AUTOCERT_OK ||
        (rc = ac_acme_json(ctx, &resp, "new order", &order)) != AUTOCERT_OK)
        goto out;
    if (resp.location == NULL || (order_url = strdup(resp.location)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "new order: no Location header");
        goto out;
    }
    authzs = json_object_get(order, "authorizations");
    na = json_array_size(authzs);
    if (!json_is_array(authzs) || (na == 0 && strcmp(status_of(order), "pending") == 0)) {
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "new order: no authorizations");
        goto out;
    }
    if ((pa = calloc(na ? na : 1, sizeof(*pa))) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = answer(s, authzs, pa, na, &h01)) != AUTOCERT_OK ||
        (rc = await_authzs(s, pa, na)) != AUTOCERT_OK)
        goto out;
    ac_http01_stop(h01);
    h01 = NULL;

    /* Finalize with a CSR. */
    finalize = json_string_value(json_object_get(order, "finalize"));
    if (finalize == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "order: no finalize URL");
        goto out;
    }
    if ((rc = ac_csr_build(ctx, cert_key, ids, n, &der, &derlen)) != AUTOCERT_OK ||
        (rc = ac_b64url_encode(der, derlen, &csr64)) != AUTOCERT_OK)
        goto out;
    json_decref(payload);
    if ((payload = json_pack("{s:s}", "csr", csr64)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    {
        char *fin = strdup(finalize);
        json_decref(order);
        order = NULL;
        if (fin == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            goto out;
        }
        ac_log(ctx, AUTOCERT_LOG_INFO, "finalizing the order");
        rc = ac_acme_post(s, fin, payload, "finalize", &resp);
        free(fin);
    }
    if (rc != AUTOCERT_OK || (rc = ac_acme_json(ctx, &resp, "finalize", &order)) != AUTOCERT_OK)
        goto out;
    if ((rc = poll_until(s, order_url, "order", "processing", NULL, &order)) != AUTOCERT_OK)
        goto out;
    if (strcmp(status_of(order), "valid") != 0) {
        rc = order_failed(s, order, "finalize");
        goto out;
    }
    cert_url = json_string_value(json_object_get(order, "certificate"));
    if (cert_url == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "order is valid but has no certificate URL");
        goto out;
    }
    ac_log(ctx, AUTOCERT_LOG_INFO, "downloading the certificate");
    if ((rc = ac_acme_post(s, cert_url, NULL, "certificate download", &resp)) != AUTOCERT_OK)
        goto out;
    if (resp.body.len == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "certificate download: empty response");
        goto out;
    }
    *chain = ac_buf_steal(&resp.body);
out:
    ac_http01_stop(h01);
    for (i = 0; pa && i < na; i++) {
        free(pa[i].url);
        free(pa[i].token);
        json_decref(pa[i].authz);
    }
    free(pa);
    free(der);
    free(csr64);
    free(order_url);
    json_decref(order);
    json_decref(payload);
    json_decref(idl);
    ac_http_resp_free(&resp);
    return rc;
}
