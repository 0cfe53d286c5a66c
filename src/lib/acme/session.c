/* session.c: one ACME conversation: its directory, nonce, account, deadline and transport. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

void ac_session_cleanup(ac_session *s)
{
    while (s->n_locks > 0)
        ac_session_unlock(s, s->locks[s->n_locks - 1].set);
    if (s->tp_state)
        s->tp->cleanup(s->tp_arg, s->tp_state);
    ac_directory_clear(&s->dir);
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
    double t0 = ac_now(), left = ac_session_left(s);

    if (seconds <= 0)
        return AUTOCERT_OK;
    /* Said as it is: a CA's Retry-After of a day fails at once, not after
     * the timeout, and the message must not claim the time ran out. */
    if (seconds >= left)
        return ac_err(s->ctx, AUTOCERT_ERR_TIMEOUT, "gave up waiting for %s: the next try would "
                      "be in %.*f s, past the %u s timeout (%.1f s left)", what,
                      seconds < 10 ? 1 : 0, seconds, s->ctx->timeout_s, left > 0 ? left : 0.0);
    ac_sleep_s(seconds);
    ac_ctx_spent(s->ctx, AC_TIME_WAITING, t0);
    return AUTOCERT_OK;
}

/* The session's time left in whole seconds, for a lock wait. */
static int wait_budget(const ac_session *s)
{
    double left = ac_session_left(s);

    return left > 0 ? (int)left : 0;
}

autocert_err ac_session_lock(ac_session *s, autocert_storage *st, const char *set)
{
    ac_held_lock *h;
    double t0;
    autocert_err rc;

    if (s->n_locks == AC_SESSION_LOCKS)
        return ac_err(s->ctx, AUTOCERT_ERR_INVALID, "too many cache locks held at once");
    h = &s->locks[s->n_locks];
    if ((h->set = strdup(set)) == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    t0 = ac_now();
    rc = ac_storage_lock(s->ctx, st, set, wait_budget(s));
    ac_ctx_spent(s->ctx, AC_TIME_WAITING, t0);
    if (rc != AUTOCERT_OK) {
        free(h->set);
        h->set = NULL;
        return rc;
    }
    h->st = st;
    s->n_locks++;
    return AUTOCERT_OK;
}

int ac_session_holds(const ac_session *s, const char *set)
{
    size_t i;

    for (i = 0; i < s->n_locks; i++)
        if (strcmp(s->locks[i].set, set) == 0)
            return 1;
    return 0;
}

void ac_session_unlock(ac_session *s, const char *set)
{
    size_t i;

    for (i = s->n_locks; i-- > 0;) {
        if (strcmp(s->locks[i].set, set) != 0)
            continue;
        ac_storage_unlock(s->locks[i].st, set);
        free(s->locks[i].set);
        memmove(&s->locks[i], &s->locks[i + 1], (s->n_locks - i - 1) * sizeof(s->locks[0]));
        s->n_locks--;
        return;
    }
}

autocert_err ac_session_wait(ac_session *s, double seconds, const char *what)
{
    size_t i, n = s->n_locks;
    autocert_err rc;

    for (i = n; i-- > 0;)
        ac_storage_unlock(s->locks[i].st, s->locks[i].set);
    if (n > 0)
        ac_log(s->ctx, AUTOCERT_LOG_DEBUG, "released %zu cache lock(s) while waiting", n);
    rc = ac_session_sleep(s, seconds, what);
    /* Taken back in the same order as first taken: no deadlock with others. */
    for (i = 0; i < n; i++) {
        if (rc == AUTOCERT_OK)
            rc = ac_storage_lock(s->ctx, s->locks[i].st, s->locks[i].set, wait_budget(s));
        if (rc != AUTOCERT_OK) {
            /* Not held any more: forget the rest, cleanup must not unlock them. */
            free(s->locks[i].set);
            s->locks[i].set = NULL;
        }
    }
    if (rc != AUTOCERT_OK) {
        for (i = 0; i < n; i++)
            if (s->locks[i].set == NULL)
                break;
        s->n_locks = i;
        return rc;
    }
    return s->relocked ? s->relocked(s, s->relocked_arg) : AUTOCERT_OK;
}

void ac_backoff_init(ac_backoff *b)
{
    b->next = AC_POLL_FIRST;
}

double ac_backoff_next(ac_backoff *b, long retry_after)
{
    double wait = b->next;

    b->next = b->next * 2 > AC_POLL_MAX ? AC_POLL_MAX : b->next * 2;
    /* Never faster than the server asked. */
    return retry_after > 0 && (double)retry_after > wait ? (double)retry_after : wait;
}

autocert_err ac_session_request(ac_session *s, const char *method, const char *url,
                                const char *body, ac_http_resp *resp)
{
    double left = ac_session_left(s), t0;
    ac_http_req req;
    autocert_err rc;

    ac_http_resp_free(resp);
    if (!s->ctx->allow_http && strncasecmp(url, "https://", 8) != 0)
        return ac_err(s->ctx, AUTOCERT_ERR_PROTOCOL,
                      "refusing %s %s: not an https URL (ACME requires TLS; plain http is "
                      "allowed for a local test CA only)", method, AC_SAFE(url));
    if (left <= 0)
        return ac_err(s->ctx, AUTOCERT_ERR_TIMEOUT, "out of time before %s %s", method, AC_SAFE(url));
    req.method = method;
    req.url = url;
    req.body = body;
    /* One slow request may not take the whole budget of the operation. */
    req.timeout = left > 60.0 ? 60.0 : left;
    atomic_fetch_add(&s->ctx->n_requests, 1);
    t0 = ac_now();
    rc = s->tp->request(s->tp_arg, &s->tp_state, s->ctx, &req, resp);
    ac_ctx_spent(s->ctx, AC_TIME_REQUESTS, t0);
    ac_ctx_add(s->ctx, AC_TIME_CONNECT, resp->connect_s);
    atomic_fetch_add(&s->ctx->n_connects, resp->connects);
    if (rc == AUTOCERT_OK)
        ac_log(s->ctx, AUTOCERT_LOG_DEBUG, "%s %s -> %ld (%zu bytes)", method, AC_SAFE(url),
               resp->status, resp->body.len);
    return rc;
}
