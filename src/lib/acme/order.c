/* order.c: one ACME order: newOrder, finalize with a CSR, wait until valid, download the certificate. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"

void ac_order_clear(ac_order *o)
{
    free(o->url);
    json_decref(o->obj);
    memset(o, 0, sizeof(*o));
}

/* The newOrder payload: identifiers, and the options the caller set. */
static json_t *order_payload(const ac_ident *ids, size_t n, const ac_order_opts *opts)
{
    json_t *idl = json_array(), *p = NULL;
    size_t i;
    int bad = idl == NULL;

    for (i = 0; !bad && i < n; i++)
        bad = json_array_append_new(idl, json_pack("{s:s, s:s}", "type",
                                                   ids[i].type == AC_ID_IP ? "ip" : "dns",
                                                   "value", ids[i].value)) != 0;
    if (!bad && (p = json_pack("{s:O}", "identifiers", idl)) != NULL && opts != NULL) {
        if (opts->profile)
            bad = json_object_set_new(p, "profile", json_string(opts->profile)) != 0;
        if (!bad && opts->replaces)
            bad = json_object_set_new(p, "replaces", json_string(opts->replaces)) != 0;
    }
    json_decref(idl);
    if (bad) {
        json_decref(p);
        return NULL;
    }
    return p;
}

/* One newOrder request. */
static autocert_err order_new_once(ac_session *s, const ac_ident *ids, size_t n,
                                   const ac_order_opts *opts, ac_order *o)
{
    ac_http_resp resp;
    json_t *payload = order_payload(ids, n, opts), *authzs;
    autocert_err rc;

    memset(o, 0, sizeof(*o));
    ac_http_resp_init(&resp);
    if (payload == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    ac_log(s->ctx, AUTOCERT_LOG_INFO, "ordering a certificate for %s%s", ids[0].value,
           n > 1 ? " and more" : "");
    if ((rc = ac_acme_post(s, s->dir.new_order, payload, "new order", &resp)) != AUTOCERT_OK ||
        (rc = ac_acme_json(s->ctx, &resp, "new order", &o->obj)) != AUTOCERT_OK)
        goto out;
    if (resp.location == NULL) {
        rc = ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "new order: no Location header");
        goto out;
    }
    if (!ac_acme_url_ok(resp.location)) {
        rc = ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "new order: the Location header is not a "
                    "URL: %s", AC_SAFE(resp.location));
        goto out;
    }
    o->url = resp.location;
    resp.location = NULL;
    if ((rc = ac_acme_need_status(s->ctx, o->obj, "the new order")) != AUTOCERT_OK)
        goto out;
    authzs = json_object_get(o->obj, "authorizations");
    if (!json_is_array(authzs) ||
        (json_array_size(authzs) == 0 && strcmp(ac_acme_status(o->obj), "pending") == 0))
        rc = ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "new order: no authorizations");
    /* One authorization an identifier at most: more would only be fetched
     * (and answered) for names nobody ordered. */
    else if (json_array_size(authzs) > n)
        rc = ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "new order: %zu authorizations for %zu "
                    "identifier%s: refused", json_array_size(authzs), n, n == 1 ? "" : "s");
    o->ids = ids;
    o->n_ids = n;
out:
    if (rc != AUTOCERT_OK)
        ac_order_clear(o);
    json_decref(payload);
    ac_http_resp_free(&resp);
    return rc;
}

autocert_err ac_order_new(ac_session *s, const ac_ident *ids, size_t n, const ac_order_opts *opts,
                          ac_order *o)
{
    ac_order_opts plain;
    autocert_err rc = order_new_once(s, ids, n, opts, o);

    /* RFC 9773 section 5: the certificate has a replacement already (an
     * earlier run's order, or another client's), or the CA cannot take
     * "replaces" for it (Pebble 2.10 at times answers serverInternal, "could
     * not find an order for the given certificate").  "replaces" is only
     * advice to the CA: once more without it, never more, so that a renewal
     * never fails for it. */
    if (rc == AUTOCERT_ERR_ACME && opts != NULL && opts->replaces != NULL &&
        (strcmp(autocert_last_problem_type(s->ctx), AC_PROBLEM_ALREADY_REPLACED) == 0 ||
         strcmp(autocert_last_problem_type(s->ctx), AC_PROBLEM_SERVER_INTERNAL) == 0)) {
        ac_log(s->ctx, AUTOCERT_LOG_WARN, "%s: ordering without \"replaces\"",
               autocert_last_error(s->ctx));
        plain = *opts;
        plain.replaces = NULL;
        if ((rc = order_new_once(s, ids, n, &plain, o)) == AUTOCERT_OK) {
            o->replaces_dropped = 1;
            ac_err_clear(s->ctx); /* taken care of: no failure to report */
        }
    }
    return rc;
}

/* Polls the order while it is "processing", honouring Retry-After (that of
 * the finalize response first). */
static autocert_err poll_processing(ac_session *s, ac_order *o, long retry_after)
{
    ac_http_resp resp;
    ac_backoff b;
    autocert_err rc = AUTOCERT_OK;

    ac_http_resp_init(&resp);
    resp.retry_after = retry_after;
    ac_backoff_init(&b);
    while (strcmp(ac_acme_status(o->obj), "processing") == 0) {
        if ((rc = ac_session_sleep(s, ac_backoff_next(&b, resp.retry_after), "order")) !=
            AUTOCERT_OK)
            break;
        json_decref(o->obj);
        o->obj = NULL;
        if ((rc = ac_acme_fetch(s, o->url, "order", &resp, &o->obj)) != AUTOCERT_OK)
            break;
    }
    ac_http_resp_free(&resp);
    return rc;
}

static autocert_err order_failed(ac_session *s, json_t *order, const char *what)
{
    json_t *e = json_object_get(order, "error");

    if (json_is_object(e))
        return ac_err_problem(s->ctx, 0, e, what);
    return ac_err(s->ctx, AUTOCERT_ERR_ACME, "%s: order is %s", what,
                  AC_SAFE(ac_acme_status(order)));
}

/* The finalize payload: the CSR, DER in base64url. */
static autocert_err csr_payload(ac_session *s, EVP_PKEY *key, const ac_ident *ids, size_t n,
                                json_t **out)
{
    unsigned char *der = NULL;
    size_t derlen = 0;
    char *csr64 = NULL;
    autocert_err rc;

    *out = NULL;
    if ((rc = ac_csr_build(s->ctx, key, ids, n, &der, &derlen)) == AUTOCERT_OK &&
        (rc = ac_b64url_encode(der, derlen, &csr64)) == AUTOCERT_OK &&
        (*out = json_pack("{s:s}", "csr", csr64)) == NULL)
        rc = ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    free(der);
    free(csr64);
    return rc;
}

autocert_err ac_order_finalize(ac_session *s, ac_order *o, EVP_PKEY *key, const ac_ident *ids,
                               size_t n)
{
    const char *finalize = json_string_value(json_object_get(o->obj, "finalize"));
    char *url = NULL;
    json_t *payload = NULL;
    ac_http_resp resp;
    autocert_err rc;

    ac_http_resp_init(&resp);
    if (finalize == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "order: no finalize URL");
    if ((url = strdup(finalize)) == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((rc = csr_payload(s, key, ids, n, &payload)) != AUTOCERT_OK)
        goto out;
    ac_log(s->ctx, AUTOCERT_LOG_INFO, "finalizing the order");
    json_decref(o->obj);
    o->obj = NULL;
    if ((rc = ac_acme_post(s, url, payload, "finalize", &resp)) != AUTOCERT_OK ||
        (rc = ac_acme_json(s->ctx, &resp, "finalize", &o->obj)) != AUTOCERT_OK ||
        (rc = poll_processing(s, o, resp.retry_after)) != AUTOCERT_OK ||
        (rc = ac_acme_need_status(s->ctx, o->obj, "the finalized order")) != AUTOCERT_OK)
        goto out;
    if (strcmp(ac_acme_status(o->obj), "valid") != 0)
        rc = order_failed(s, o->obj, "finalize");
out:
    free(url);
    json_decref(payload);
    ac_http_resp_free(&resp);
    return rc;
}

autocert_err ac_order_download(ac_session *s, ac_order *o, char **chain)
{
    const char *cert_url = json_string_value(json_object_get(o->obj, "certificate"));
    ac_http_resp resp;
    autocert_err rc;

    *chain = NULL;
    if (cert_url == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "order is valid but has no certificate URL");
    ac_http_resp_init(&resp);
    ac_log(s->ctx, AUTOCERT_LOG_INFO, "downloading the certificate");
    if ((rc = ac_acme_post(s, cert_url, NULL, "certificate download", &resp)) == AUTOCERT_OK) {
        if (resp.body.len == 0)
            rc = ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL, "certificate download: empty response");
        else
            *chain = ac_buf_steal(&resp.body);
    }
    if (rc == AUTOCERT_OK && *chain && s->ctx->preferred_chain)
        ac_chain_choose(s, s->ctx->preferred_chain, chain, resp.alternates, resp.n_alternates);
    ac_http_resp_free(&resp);
    return rc;
}
