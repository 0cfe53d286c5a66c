/* session.c: one ACME conversation: its directory, nonce, account, deadline and transport. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"

autocert_err ac_session_init(ac_session *s, autocert_ctx *ctx, const char *directory_url)
{
    memset(s, 0, sizeof(*s));
    s->ctx = ctx;
    s->tp = ctx->transport ? ctx->transport : &ac_http_transport;
    s->tp_arg = ctx->transport_arg;
    s->deadline = ac_now() + (double)ctx->timeout_s;
    s->directory_url = strdup(directory_url ? directory_url : ctx->directory_url);
    if (s->directory_url == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

static void directory_clear(ac_directory *d)
{
    free(d->new_nonce);
    free(d->new_account);
    free(d->new_order);
    free(d->revoke_cert);
    free(d->key_change);
    free(d->terms_of_service);
    memset(d, 0, sizeof(*d));
}

void ac_session_cleanup(ac_session *s)
{
    if (s->tp_state)
        s->tp->cleanup(s->tp_arg, s->tp_state);
    directory_clear(&s->dir);
    free(s->nonce);
    EVP_PKEY_free(s->account.key);
    free(s->account.url);
    free(s->directory_url);
    memset(s, 0, sizeof(*s));
}

double ac_session_left(const ac_session *s)
{
    return s->deadline - ac_now();
}

autocert_err ac_session_sleep(ac_session *s, double seconds, const char *what)
{
    if (seconds <= 0)
        return AUTOCERT_OK;
    if (seconds >= ac_session_left(s))
        return ac_err(s->ctx, AUTOCERT_ERR_TIMEOUT, "timed out (%u s) waiting for %s",
                      s->ctx->timeout_s, what);
    ac_sleep_s(seconds);
    return AUTOCERT_OK;
}

autocert_err ac_session_request(ac_session *s, const char *method, const char *url,
                                const char *body, ac_http_resp *resp)
{
    double left = ac_session_left(s);
    ac_http_req req;
    autocert_err rc;

    ac_http_resp_free(resp);
    if (left <= 0)
        return ac_err(s->ctx, AUTOCERT_ERR_TIMEOUT, "out of time before %s %s", method, url);
    req.method = method;
    req.url = url;
    req.body = body;
    /* One slow request may not take the whole budget of the operation. */
    req.timeout = left > 60.0 ? 60.0 : left;
    atomic_fetch_add(&s->ctx->n_requests, 1);
    rc = s->tp->request(s->tp_arg, &s->tp_state, s->ctx, &req, resp);
    atomic_fetch_add(&s->ctx->n_connects, resp->connects);
    if (rc == AUTOCERT_OK)
        ac_log(s->ctx, AUTOCERT_LOG_DEBUG, "%s %s -> %ld (%zu bytes)", method, url, resp->status,
               resp->body.len);
    return rc;
}
