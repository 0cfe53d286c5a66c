/* worker.c: the manager's background thread: obtains missing certificates, renews due ones, picks up those another process stored. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "manager/manager.h"
#include "storage/storage.h"

#define PICKUP_FILES_S 1.0 /* the stat of cert.pem: cheap */
#define PICKUP_META_S 60.0 /* reading the metadata of a storage without files */
#define RECHECK_S (12 * 3600) /* autocert_renew at least this often (as refresh.c) */
#define MIN_WAIT_S 60         /* a renewal that is due but did not happen */
#define WATCH_SLICE_MS 200    /* a stop is noticed within this */
#define WATCH_RETRY_S 30      /* after the watch failed: polling meanwhile */

/* Backoff after failed obtains: 1 min, 10 min, 100 min, then daily, as
 * autocert_renew backs off. */
static time_t backoff(unsigned failures)
{
    static const time_t steps[] = {60, 600, 6000, 86400};

    return steps[failures == 0 ? 0 : failures > 4 ? 3 : failures - 1];
}

static int stopping(autocert_manager *m)
{
    int stop;

    pthread_mutex_lock(&m->mu);
    stop = m->stop;
    pthread_mutex_unlock(&m->mu);
    return stop;
}

/* A host without a certificate: order one (or find one cached). */
static void obtain(autocert_manager *m, ac_mhost *h)
{
    const char *names[1] = {h->name};
    autocert_cert *c = NULL;
    char msg[600];
    autocert_err rc;

    ac_log(m->ctx, AUTOCERT_LOG_INFO, "%s: obtaining a certificate", h->name);
    ac_manager_busy(m, h, 1);
    if ((rc = autocert_obtain(m->ctx, names, 1, 0, &c)) == AUTOCERT_OK)
        rc = autocert_cert_is_new(c)
                 ? ac_manager_refresh(m, h, AUTOCERT_EVENT_OBTAINED, "obtained", NULL)
                 : ac_manager_refresh(m, h, AUTOCERT_EVENT_LOADED, "stored by another process",
                                      NULL);
    /* The detail is per thread: read it here. */
    if (rc != AUTOCERT_OK)
        snprintf(msg, sizeof(msg), "%s", autocert_last_error(m->ctx));
    ac_manager_busy(m, h, -1);
    autocert_cert_free(c);
    if (rc == AUTOCERT_OK) {
        h->failures = 0;
        return;
    }
    h->failures++;
    h->retry_at = time(NULL) + backoff(h->failures);
    ac_log(m->ctx, AUTOCERT_LOG_ERROR, "%s: cannot obtain a certificate (trying again in %lld s): "
           "%s", h->name, (long long)backoff(h->failures), msg);
    ac_manager_event(m, AUTOCERT_EVENT_FAILED, h->name, msg);
}

/* The next time to ask autocert_renew, after it answered `info`. */
static time_t next_ask(const autocert_renew_info *info, time_t now)
{
    time_t t = info->outcome == AUTOCERT_RENEW_WAITING || info->wait_until > now
                   ? info->wait_until : info->renew_at;

    if (t <= now)
        t = now + MIN_WAIT_S;
    return t > now + RECHECK_S ? now + RECHECK_S : t;
}

/* A served host at or after its time: autocert_renew decides. */
static void renew(autocert_manager *m, ac_mhost *h)
{
    autocert_renew_info info;
    char msg[600];
    autocert_err rc;
    time_t now;

    autocert_renew_info_init(&info);
    ac_manager_busy(m, h, 1);
    rc = autocert_renew(m->ctx, h->name, 0, &info);
    if (rc != AUTOCERT_OK)
        snprintf(msg, sizeof(msg), "%s", autocert_last_error(m->ctx));
    else if (info.outcome == AUTOCERT_RENEW_RENEWED &&
             (rc = ac_manager_refresh(m, h, AUTOCERT_EVENT_RENEWED, "renewed", NULL)) != AUTOCERT_OK)
        snprintf(msg, sizeof(msg), "%s", autocert_last_error(m->ctx));
    ac_manager_busy(m, h, -1);
    now = time(NULL);
    pthread_mutex_lock(&m->refresh);
    if (rc != AUTOCERT_OK || info.outcome != AUTOCERT_RENEW_RENEWED)
        h->renew_at = next_ask(&info, now);
    pthread_mutex_unlock(&m->refresh);
    if (rc != AUTOCERT_OK) {
        ac_log(m->ctx, AUTOCERT_LOG_ERROR, "%s: renewal failed: %s", h->name, msg);
        ac_manager_event(m, AUTOCERT_EVENT_FAILED, h->name, msg);
    }
}

/* One pass over the hosts. */
static void pass(autocert_manager *m)
{
    size_t i;
    int served;
    time_t renew_at;

    for (i = 0; i < m->tab.n && !stopping(m); i++) {
        ac_mhost *h = &m->tab.h[i];

        if (ac_now() >= h->next_pick) {
            ac_manager_pickup(m, h);
            h->next_pick = ac_now() + (m->files ? PICKUP_FILES_S : PICKUP_META_S);
        }
        pthread_rwlock_rdlock(&m->tab.lock);
        served = h->cur != NULL;
        pthread_rwlock_unlock(&m->tab.lock);
        pthread_mutex_lock(&m->refresh);
        renew_at = h->renew_at;
        pthread_mutex_unlock(&m->refresh);
        if (!served && time(NULL) >= h->retry_at)
            obtain(m, h);
        else if (served && time(NULL) >= renew_at)
            renew(m, h);
    }
}

void ac_worker_watch(autocert_manager *m, autocert_storage *st)
{
    char **keys = NULL;
    size_t n = 0;

    m->watch = NULL;
    if (!ac_storage_has_changes(st))
        return;
    /* Watching before the certificates are loaded: nothing is missed. */
    if (ac_storage_changes(m->ctx, st, 0, &keys, &n) != AUTOCERT_OK) {
        ac_log(m->ctx, AUTOCERT_LOG_WARN, "manager: %s; picking up changes by polling",
               autocert_last_error(m->ctx));
        ac_err_clear(m->ctx);
    }
    autocert_strv_free(keys, n);
    m->watch = st;
}

/* The hosts named in `keys` (a "*": all) are reloaded now. */
static void changed(autocert_manager *m, char **keys, size_t n)
{
    size_t i, j;
    ac_mhost *h;
    int busy;

    for (i = 0; i < n && !stopping(m); i++) {
        int all = strcmp(keys[i], "*") == 0;
        const char *entry;

        for (j = 0; j < m->tab.n; j++) {
            h = &m->tab.h[j];
            if (!all && ((entry = ac_cache_entry_of(keys[i])) == NULL || strcmp(entry, h->name) != 0))
                continue;
            pthread_mutex_lock(&m->refresh);
            busy = h->busy > 0;
            pthread_mutex_unlock(&m->refresh);
            /* This process's own order reports what it stores itself. */
            if (!busy && ac_manager_refresh(m, h, AUTOCERT_EVENT_LOADED,
                                            "stored by another process", NULL) != AUTOCERT_OK)
                ac_err_clear(m->ctx);
        }
        if (all)
            break;
    }
}

/* Up to a second of waiting for stores of other nodes, answered at once:
 * 0 when stopping. */
static int wait_changes(autocert_manager *m)
{
    double until = ac_now() + 1.0;
    char **keys = NULL;
    size_t n = 0;

    while (!stopping(m) && ac_now() < until) {
        if (ac_storage_changes(m->ctx, m->watch, WATCH_SLICE_MS, &keys, &n) != AUTOCERT_OK) {
            ac_log(m->ctx, AUTOCERT_LOG_WARN, "manager: %s; polling, trying again in %d s",
                   autocert_last_error(m->ctx), WATCH_RETRY_S);
            ac_err_clear(m->ctx);
            m->watch_retry = ac_now() + WATCH_RETRY_S;
            return 0; /* the ordinary wait */
        }
        changed(m, keys, n);
        autocert_strv_free(keys, n);
        keys = NULL;
        n = 0;
    }
    return !stopping(m);
}

static void *run(void *arg)
{
    autocert_manager *m = arg;
    struct timespec until;

    for (;;) {
        pass(m);
        if (m->watch != NULL && ac_now() >= m->watch_retry && wait_changes(m))
            continue;
        /* At most a second: the pick-up check, and the earliest due time
         * is never more than a second away from being noticed. */
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        pthread_mutex_lock(&m->mu);
        while (!m->stop && pthread_cond_timedwait(&m->cv, &m->mu, &until) != ETIMEDOUT)
            ;
        if (m->stop) {
            pthread_mutex_unlock(&m->mu);
            break;
        }
        pthread_mutex_unlock(&m->mu);
    }
    return NULL;
}

autocert_err ac_worker_start(autocert_manager *m)
{
    int e;

    m->stop = 0;
    if ((e = pthread_create(&m->worker, NULL, run, m)) != 0)
        return ac_err(m->ctx, AUTOCERT_ERR_NOMEM, "cannot start the manager's thread: %s",
                      AC_STRERROR(e));
    m->worker_running = 1;
    return AUTOCERT_OK;
}

void ac_worker_stop(autocert_manager *m)
{
    if (!m->worker_running)
        return;
    pthread_mutex_lock(&m->mu);
    m->stop = 1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->worker, NULL);
    m->worker_running = 0;
}
