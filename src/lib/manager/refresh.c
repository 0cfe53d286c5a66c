/* refresh.c: a host's certificate from the cache into the table, and the event that reports it. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "manager/manager.h"

/* autocert_renew is asked at least this often, even when the certificate
 * is not due: the CA's renewal window (ARI) may move its time earlier. */
#define RECHECK_S (12 * 3600)

void ac_manager_event(autocert_manager *m, autocert_event ev, const char *host,
                      const char *reason)
{
    char safe[1024];

    if (m->event_fn == NULL)
        return;
    ac_escape(reason ? reason : "", sizeof(safe) - 20, safe, sizeof(safe));
    m->event_fn(m->event_arg, ev, host, safe);
}

autocert_err ac_manager_refresh(autocert_manager *m, ac_mhost *h, int ev, const char *reason,
                                int *changed)
{
    ac_served *s = NULL;
    ac_stamp stamp;
    time_t renew_at = 0;
    autocert_err rc;
    int same;

    if (changed)
        *changed = 0;
    /* One at a time: whoever swaps last loaded the cache last, so the
     * newest certificate stays served. */
    pthread_mutex_lock(&m->refresh);
    /* The stamp first: a change after it is seen by the next check. */
    ac_stamp_take(m->ctx, h->name, &stamp);
    h->seen = stamp;
    if ((rc = ac_served_load(m->ctx, h->name, &s, &renew_at)) != AUTOCERT_OK) {
        pthread_mutex_unlock(&m->refresh);
        return rc;
    }
    h->renew_at = renew_at < time(NULL) + RECHECK_S ? renew_at : time(NULL) + RECHECK_S;
    pthread_rwlock_rdlock(&m->tab.lock);
    same = ac_served_same(h->cur, s);
    pthread_rwlock_unlock(&m->tab.lock);
    if (same)
        ac_served_free(s);
    else
        ac_mtable_swap(&m->tab, h, s);
    pthread_mutex_unlock(&m->refresh);
    if (!same) {
        ac_log(m->ctx, AUTOCERT_LOG_INFO, "%s: serving the certificate %s", h->name,
               reason ? reason : "from the cache");
        if (ev >= 0)
            ac_manager_event(m, (autocert_event)ev, h->name, reason);
    }
    if (changed)
        *changed = !same;
    return AUTOCERT_OK;
}

void ac_manager_pickup(autocert_manager *m, ac_mhost *h)
{
    ac_stamp now;
    int seen;
    autocert_err rc;

    ac_stamp_take(m->ctx, h->name, &now);
    pthread_mutex_lock(&m->refresh);
    seen = h->busy > 0 || ac_stamp_equal(&now, &h->seen);
    pthread_mutex_unlock(&m->refresh);
    if (seen || !now.present)
        return;
    rc = ac_manager_refresh(m, h, AUTOCERT_EVENT_LOADED, "stored by another process", NULL);
    if (rc != AUTOCERT_OK && rc != AUTOCERT_ERR_NOT_FOUND)
        ac_log(m->ctx, AUTOCERT_LOG_WARN, "%s: the certificate another process stored is not "
               "served: %s", h->name, autocert_last_error(m->ctx));
}

void ac_manager_busy(autocert_manager *m, ac_mhost *h, int delta)
{
    pthread_mutex_lock(&m->refresh);
    h->busy += delta;
    pthread_mutex_unlock(&m->refresh);
}
