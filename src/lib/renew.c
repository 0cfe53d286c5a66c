/* renew.c: autocert_renew: one cached certificate renewed when it is due, its failures and history kept in its meta.json. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obtain.h"
#include "renew.h"

#define LOCK_WAIT_S 60 /* for the short lock that records a failure */

/* One autocert_renew call. */
typedef struct {
    autocert_ctx *ctx;
    autocert_storage *st;
    char *entry;
    unsigned flags;
    ac_renew_state state; /* as last read */
    ac_renew_plan plan;
    json_t *carry; /* {"renewal": the state of the next generation} */
    int ordered;   /* a new order was asked for */
} renew_job;

void autocert_renew_info_init(autocert_renew_info *info)
{
    memset(info, 0, sizeof(*info));
    info->size = sizeof(*info);
}

/* The profile the entry was ordered under (NULL: the CA's default). */
static const char *profile_of(const ac_cert_meta *m)
{
    return json_string_value(json_object_get(m->doc, "profile"));
}

/* Reads the entry's metadata and renewal state, asks the CA for its
 * renewal window when `ari` and it is time to, and plans.  `window` (may
 * be NULL): the window fetched before, which a dry run did not store. */
static autocert_err look(renew_job *r, ac_cert_meta *m, int ari, const ac_renew_state *window)
{
    autocert_ctx *ctx = r->ctx;
    unsigned days = ctx->renew_days_set ? ctx->renew_days : 0;
    const char *was;
    autocert_err rc = ac_cache_meta_load(ctx, r->st, r->entry, m);

    if (rc != AUTOCERT_OK)
        return rc;
    ac_renew_state_read(m->doc, &r->state);
    if (window != NULL)
        ac_renew_state_take_ari(&r->state, window);
    if (ari && days == 0 && !(r->flags & AUTOCERT_RENEW_FORCE))
        ac_renew_ari_refresh(ctx, r->st, r->entry, m, &r->state,
                             !(r->flags & AUTOCERT_RENEW_DRY_RUN));
    ac_renew_plan_make(m, &r->state, days, (r->flags & AUTOCERT_RENEW_FORCE) != 0, time(NULL),
                       &r->plan);
    /* Another profile asked for: the certificate is not the one wanted. */
    was = profile_of(m);
    if (r->plan.verdict == AC_PLAN_NOT_DUE && ctx->profile &&
        (was == NULL || strcmp(was, ctx->profile) != 0)) {
        r->plan.verdict = AC_PLAN_DUE;
        r->plan.renew_at = time(NULL);
        snprintf(r->plan.why, sizeof(r->plan.why), "the profile changed to %s",
                 AC_SAFE(ctx->profile));
    }
    return AUTOCERT_OK;
}

/* The state the new generation will carry, from the state last read. */
static autocert_err set_carry(renew_job *r)
{
    ac_renew_state next;
    json_t *state;

    ac_renew_state_next(&r->state, time(NULL), &next);
    if ((state = ac_renew_state_json(&next)) == NULL ||
        json_object_set_new(r->carry, "renewal", state) != 0)
        return ac_err(r->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

/* Under the entry's lock, before ordering: another process may have
 * renewed it, or failed at it, since we looked.  Nonzero: no order. */
static int fresh_under_lock(void *arg, autocert_ctx *ctx, const autocert_cert *c)
{
    renew_job *r = arg;
    const ac_renew_state seen = r->state;
    ac_cert_meta m;
    autocert_err rc;

    (void)c;
    rc = look(r, &m, 0, (r->flags & AUTOCERT_RENEW_DRY_RUN) ? &seen : NULL);
    ac_cert_meta_clear(&m);
    if (rc != AUTOCERT_OK) {
        ac_err_clear(ctx); /* the entry is replaced as obtain replaces a broken one */
        return 0;
    }
    if (r->plan.verdict != AC_PLAN_DUE)
        return 1;
    return set_carry(r) != AUTOCERT_OK;
}

/* Records a failed renewal in the entry, under its lock; the failure's
 * message stays the context's last error. */
static void record_failure(renew_job *r, autocert_err failure)
{
    autocert_ctx *ctx = r->ctx;
    char msg[512], *set = ac_cache_cert_set(r->entry);
    ac_cert_meta m;
    json_t *state;

    memset(&m, 0, sizeof(m));
    snprintf(msg, sizeof(msg), "%s", autocert_last_error(ctx));
    if (set != NULL && ac_storage_lock(ctx, r->st, set, LOCK_WAIT_S) == AUTOCERT_OK) {
        if (look(r, &m, 0, NULL) == AUTOCERT_OK) {
            ac_renew_state_failed(&r->state, time(NULL), r->ordered, msg);
            if ((state = ac_renew_state_json(&r->state)) != NULL &&
                json_object_set_new(m.doc, "renewal", state) == 0 &&
                ac_cache_meta_update(ctx, r->st, r->entry, &m) != AUTOCERT_OK)
                ac_log(ctx, AUTOCERT_LOG_WARN, "cannot record the failure: %s",
                       autocert_last_error(ctx));
        }
        ac_storage_unlock(r->st, set);
    }
    ac_cert_meta_clear(&m);
    free(set);
    ac_err(ctx, failure, "%s", msg);
}

/* Orders the certificate anew for the entry's names, CA and key type. */
static autocert_err reorder(renew_job *r, const ac_cert_meta *m, autocert_cert **cert)
{
    ac_obtain_opts o;
    autocert_key_type kt;

    ac_obtain_opts_init(&o);
    o.directory = m->directory;
    if (autocert_key_type_parse(m->key_type, &kt) == AUTOCERT_OK)
        o.key_type = (int)kt;
    o.profile = profile_of(m);
    o.fresh = fresh_under_lock;
    o.fresh_arg = r;
    o.carry = r->carry;
    o.dry_run = (r->flags & AUTOCERT_RENEW_DRY_RUN) != 0;
    /* A dry run replaces nothing: "replaces" would have the CA count the
     * cached certificate as replaced by one that is thrown away. */
    o.replaces = r->state.ari_cert_id[0] && !o.dry_run ? r->state.ari_cert_id : NULL;
    o.ordered = &r->ordered;
    if (set_carry(r) != AUTOCERT_OK)
        return AUTOCERT_ERR_NOMEM;
    return ac_obtain_run(r->ctx, (const char *const *)m->names, m->n_names,
                         (r->flags & AUTOCERT_RENEW_FORCE) ? AUTOCERT_OBTAIN_FORCE : 0, &o, cert);
}

/* Fills *info from the job and the certificate in the cache. */
static void report(const renew_job *r, const autocert_cert *cert, time_t not_after,
                   autocert_renew_info *info)
{
    info->renew_at = r->plan.renew_at;
    info->wait_until = r->plan.verdict == AC_PLAN_WAIT ? r->plan.wait_until : r->state.next_try;
    info->failures = r->state.failures;
    snprintf(info->why, sizeof(info->why), "%s", r->plan.why);
    info->not_after = cert ? autocert_cert_not_after(cert) : not_after;
    if (r->plan.verdict == AC_PLAN_WAIT)
        info->outcome = AUTOCERT_RENEW_WAITING;
    else if (r->plan.verdict == AC_PLAN_DUE && (r->flags & AUTOCERT_RENEW_PLAN))
        info->outcome = AUTOCERT_RENEW_DUE;
    else if (cert && autocert_cert_is_new(cert))
        info->outcome = AUTOCERT_RENEW_RENEWED;
    else if (r->ordered && (r->flags & AUTOCERT_RENEW_DRY_RUN))
        info->outcome = AUTOCERT_RENEW_CHECKED;
    else
        info->outcome = AUTOCERT_RENEW_NOT_DUE;
}

/* The job for entry `name`: its storage and its checked entry name. */
static autocert_err job_init(renew_job *r, autocert_ctx *ctx, const char *name, unsigned flags)
{
    ac_ident id;
    autocert_err rc;

    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->flags = flags;
    if ((rc = ac_ident_parse(ctx, name, 1, &id)) != AUTOCERT_OK)
        return rc;
    r->entry = ac_ident_entry_name(&id);
    ac_ident_clear(&id);
    if (r->entry == NULL || (r->carry = json_object()) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return ac_storage(ctx, &r->st);
}

autocert_err autocert_renew(autocert_ctx *ctx, const char *name, unsigned flags,
                            autocert_renew_info *info)
{
    autocert_renew_info local;
    autocert_cert *cert = NULL;
    ac_cert_meta m;
    renew_job r;
    autocert_err rc;

    if (info == NULL)
        info = &local;
    autocert_renew_info_init(info);
    memset(&m, 0, sizeof(m));
    ac_err_clear(ctx);
    if ((rc = job_init(&r, ctx, name, flags)) == AUTOCERT_OK &&
        (rc = look(&r, &m, 1, NULL)) == AUTOCERT_OK) {
        /* Not due, or waiting: nothing is asked of the CA, nothing written. */
        if (r.plan.verdict == AC_PLAN_DUE && !(flags & AUTOCERT_RENEW_PLAN) &&
            (rc = reorder(&r, &m, &cert)) != AUTOCERT_OK &&
            !(flags & AUTOCERT_RENEW_DRY_RUN) && rc != AUTOCERT_ERR_NOMEM)
            record_failure(&r, rc);
        report(&r, cert, m.not_after, info);
    }
    autocert_cert_free(cert);
    ac_cert_meta_clear(&m);
    json_decref(r.carry);
    free(r.entry);
    return rc;
}
