/* manager.c: the server manager's handle: host policy, settings, start (cache, responder, thread), renewal on demand, shutdown. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cache.h"
#include "manager/manager.h"

autocert_err autocert_manager_new(autocert_ctx *ctx, autocert_manager **out)
{
    autocert_manager *m = calloc(1, sizeof(*m));
    pthread_condattr_t ca;

    *out = NULL;
    if (m == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    m->ctx = ctx;
    pthread_mutex_init(&m->refresh, NULL);
    pthread_mutex_init(&m->mu, NULL);
    /* A monotonic clock for the worker's waits: a step of the wall clock
     * neither wakes it early nor keeps it asleep. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = m;
    return AUTOCERT_OK;
}

void autocert_manager_free(autocert_manager *m)
{
    if (m == NULL)
        return;
    /* The thread may be inside an order: that ends at the context's
     * timeout at most. */
    ac_worker_stop(m);
    if (m->started)
        autocert_responder_stop(m->ctx);
    ac_mtable_clear(&m->tab);
    ac_live_free(m->live);
    free(m->alpn);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->refresh);
    free(m);
}

/* The hosts, normalized and without repeats, into names[]; *k of them. */
static autocert_err normalize(autocert_ctx *ctx, const char *const *in, size_t n, char **names,
                              size_t *k)
{
    size_t i, j;
    ac_ident id;
    autocert_err rc;

    *k = 0;
    for (i = 0; i < n; i++) {
        if ((rc = ac_ident_parse(ctx, in[i], 0, &id)) != AUTOCERT_OK)
            return rc;
        if (id.type == AC_ID_IP) {
            ac_ident_clear(&id);
            return ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid host '%s': an IP address (a TLS "
                          "client sends no IP address as SNI)", AC_SAFE(in[i]));
        }
        for (j = 0; j < *k && strcmp(names[j], id.value) != 0; j++)
            ;
        if (j < *k)
            ac_ident_clear(&id);
        else
            names[(*k)++] = id.value;
    }
    return AUTOCERT_OK;
}

autocert_err autocert_manager_set_hosts(autocert_manager *m, const char *const *names, size_t n)
{
    char **v = NULL;
    size_t k = 0, i;
    autocert_err rc;

    ac_err_clear(m->ctx);
    if (m->started)
        return ac_err(m->ctx, AUTOCERT_ERR_INVALID, "the hosts cannot change after start");
    if (n == 0 || names == NULL)
        return ac_err(m->ctx, AUTOCERT_ERR_NO_NAMES, "no hosts given");
    if ((v = calloc(n, sizeof(*v))) == NULL)
        return ac_err(m->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((rc = normalize(m->ctx, names, n, v, &k)) == AUTOCERT_OK) {
        ac_mtable_clear(&m->tab);
        rc = ac_mtable_init(&m->tab, m->ctx, v, k);
    }
    for (i = 0; i < k; i++)
        free(v[i]);
    free(v);
    return rc;
}

void autocert_manager_set_event_cb(autocert_manager *m, autocert_event_fn fn, void *arg)
{
    m->event_fn = fn;
    m->event_arg = arg;
}

void autocert_manager_set_tls_port(autocert_manager *m, unsigned port)
{
    m->tls_port = port;
}

const char *autocert_manager_challenge(const autocert_manager *m)
{
    if (m->started || m->ctx->challenge_set)
        return m->ctx->challenge;
    return m->tls_port == 443 ? "tls-alpn-01" : "http-01";
}

size_t autocert_manager_count(autocert_manager *m)
{
    return ac_mtable_count(&m->tab);
}

void autocert_secret_free(char *s)
{
    if (s != NULL)
        ac_free_secret(s, strlen(s));
}

/* ---- start ------------------------------------------------------------------- */

/* The challenge type, and the responder over the manager's live table,
 * opened now (the HTTP-01 port is bound before privileges are dropped) and
 * shared with every order on the context. */
static autocert_err open_responder(autocert_manager *m)
{
    autocert_ctx *ctx = m->ctx;
    ac_responder *r = NULL;
    autocert_err rc;

    /* Before anything of the context changes: it may be another
     * manager's, running. */
    if (ac_responder_shared(ctx) != NULL)
        return ac_err(ctx, AUTOCERT_ERR_EXISTS, "the context has a challenge responder already "
                      "(autocert_responder_start, or another manager)");
    ctx->challenge = autocert_manager_challenge(m);
    if (strcmp(ctx->challenge, "http-01") == 0)
        ctx->https_redirect_port = m->tls_port ? m->tls_port : 443;
    /* The server's TLS listener answers TLS-ALPN-01: through the OpenSSL
     * binding, or through autocert_manager_alpn_challenge on another TLS
     * library. */
    if (strcmp(ctx->challenge, "tls-alpn-01") == 0)
        ctx->tls_listener = 1;
    if ((m->live = ac_live_new()) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    /* In a fleet, every node's responder answers every node's challenges. */
    ac_live_bind(m->live, ctx);
    if ((rc = ac_responder_check(ctx)) != AUTOCERT_OK ||
        (rc = ac_responder_new(ctx, m->live, &r)) != AUTOCERT_OK ||
        (rc = ac_responder_open(r, ctx)) != AUTOCERT_OK ||
        (rc = ac_responder_share(ctx, r)) != AUTOCERT_OK) {
        ac_responder_free(r);
        ac_live_free(m->live);
        m->live = NULL;
        return rc;
    }
    return AUTOCERT_OK;
}

/* Serves what the cache holds for every host. */
static void load_all(autocert_manager *m)
{
    size_t i;
    autocert_err rc;

    for (i = 0; i < m->tab.n; i++) {
        rc = ac_manager_refresh(m, &m->tab.h[i], AUTOCERT_EVENT_LOADED, "from the cache", NULL);
        if (rc == AUTOCERT_ERR_NOT_FOUND)
            ac_log(m->ctx, AUTOCERT_LOG_INFO, "%s: no certificate cached yet", m->tab.h[i].name);
        else if (rc != AUTOCERT_OK)
            ac_log(m->ctx, AUTOCERT_LOG_WARN, "%s: %s; a new one is ordered", m->tab.h[i].name,
                   autocert_last_error(m->ctx));
    }
    ac_err_clear(m->ctx);
}

autocert_err autocert_manager_start(autocert_manager *m)
{
    autocert_storage *st = NULL;
    char *path = NULL;
    autocert_err rc;

    ac_err_clear(m->ctx);
    if (m->started)
        return ac_err(m->ctx, AUTOCERT_ERR_INVALID, "the manager is started already");
    if (m->tab.n == 0)
        return ac_err(m->ctx, AUTOCERT_ERR_NO_NAMES, "the manager has no hosts "
                      "(autocert_manager_set_hosts)");
    if ((rc = ac_storage(m->ctx, &st)) != AUTOCERT_OK)
        return rc;
    path = ac_storage_path(st, AC_AREA_CERTS "x", AC_ITEM_CERT);
    m->files = path != NULL;
    free(path);
    if ((rc = open_responder(m)) != AUTOCERT_OK)
        return rc;
    ac_worker_watch(m, st);
    m->started = 1;
    ac_log(m->ctx, AUTOCERT_LOG_INFO, "manager: %zu hosts, challenge %s", m->tab.n,
           m->ctx->challenge);
    load_all(m);
    if ((rc = ac_worker_start(m)) != AUTOCERT_OK)
        return rc;
    return AUTOCERT_OK;
}

/* ---- renewal on demand ---------------------------------------------------------- */

autocert_err autocert_manager_renew(autocert_manager *m, const char *name, unsigned flags,
                                    autocert_renew_info *info)
{
    autocert_renew_info local;
    char host[256];
    ac_mhost *h;
    autocert_err rc;

    ac_err_clear(m->ctx);
    if (info == NULL)
        info = &local;
    autocert_renew_info_init(info);
    if (!m->started)
        return ac_err(m->ctx, AUTOCERT_ERR_INVALID, "the manager is not started");
    if (ac_sni_fold(name, host, sizeof(host)) != 0 || (h = ac_mtable_find(&m->tab, host)) == NULL)
        return ac_err(m->ctx, AUTOCERT_ERR_NOT_FOUND, "%s is not a host of the manager",
                      AC_SAFE(name));
    /* The entry's lock in the storage serializes this order with the
     * thread's; the refresh lock the swaps. */
    ac_manager_busy(m, h, 1);
    if ((rc = autocert_renew(m->ctx, h->name, flags, info)) != AUTOCERT_OK)
        ac_manager_event(m, AUTOCERT_EVENT_FAILED, h->name, autocert_last_error(m->ctx));
    else if (info->outcome == AUTOCERT_RENEW_RENEWED)
        rc = ac_manager_refresh(m, h, AUTOCERT_EVENT_RENEWED, "renewed", NULL);
    ac_manager_busy(m, h, -1);
    return rc;
}
