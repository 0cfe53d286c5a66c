/* obtain.c: autocert_obtain (cache check, order, store under the entry's lock) and the cache lookups. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "obtain.h"

/* One obtain call. */
typedef struct {
    autocert_ctx *ctx;
    autocert_storage *st;
    ac_session sess;
    ac_ident *ids;
    size_t nids;
    char *entry;           /* cache entry name, from the first identifier */
    char *set;             /* "certs/<entry>" */
    time_t seen;           /* the entry's generation when we looked */
    int superseded;        /* another process stored the entry meanwhile */
    const ac_obtain_opts *o;
    ac_responder *r;       /* answers the challenges: our own, or the shared one */
} obtain_job;

void ac_obtain_opts_init(ac_obtain_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->key_type = -1;
}

/* Parses and de-duplicates the requested names. */
static autocert_err parse_names(autocert_ctx *ctx, const char *const *names, size_t n,
                                ac_ident **out, size_t *nout)
{
    ac_ident *ids;
    size_t i, j, k = 0;
    autocert_err rc;

    *out = NULL;
    *nout = 0;
    if (n == 0)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "no names given");
    if (n > 100)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "too many names (%zu, at most 100)", n);
    if ((ids = calloc(n, sizeof(*ids))) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        ac_ident id;

        /* Only DNS-01 can validate a wildcard (RFC 8555 section 7.1.3). */
        if ((rc = ac_ident_parse(ctx, names[i], strcmp(ctx->challenge, "dns-01") == 0, &id)) !=
            AUTOCERT_OK) {
            for (j = 0; j < k; j++)
                ac_ident_clear(&ids[j]);
            free(ids);
            return rc;
        }
        for (j = 0; j < k; j++)
            if (ids[j].type == id.type && strcmp(ids[j].value, id.value) == 0)
                break;
        if (j < k)
            ac_ident_clear(&id);
        else
            ids[k++] = id;
    }
    *out = ids;
    *nout = k;
    return AUTOCERT_OK;
}

static void job_clear(obtain_job *j)
{
    size_t i;

    if (j->r != ac_responder_shared(j->ctx))
        ac_responder_free(j->r);
    ac_session_cleanup(&j->sess); /* releases the entry's lock */
    for (i = 0; i < j->nids; i++)
        ac_ident_clear(&j->ids[i]);
    free(j->ids);
    free(j->entry);
    free(j->set);
}

static autocert_err job_init(obtain_job *j, autocert_ctx *ctx, const char *const *names, size_t n,
                             const ac_obtain_opts *o)
{
    autocert_err rc;

    memset(j, 0, sizeof(*j));
    j->ctx = ctx;
    j->o = o;
    /* Everything local is checked before the first request to the CA. */
    if ((rc = ac_session_init(&j->sess, ctx, o->directory)) != AUTOCERT_OK ||
        (rc = parse_names(ctx, names, n, &j->ids, &j->nids)) != AUTOCERT_OK ||
        (rc = ac_responder_check(ctx)) != AUTOCERT_OK ||
        (rc = ac_storage(ctx, &j->st)) != AUTOCERT_OK)
        return rc;
    if ((j->entry = ac_ident_entry_name(&j->ids[0])) == NULL ||
        (j->set = ac_cache_cert_set(j->entry)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

/* The entry's generation, as still_ours compares it: the expiry its
 * meta.json records (a new generation has its own), 0 when there is no
 * entry, -1 when meta.json cannot be read.  Records no failure. */
static time_t generation(obtain_job *j)
{
    ac_cert_meta m;
    autocert_err rc = ac_cache_meta_load(j->ctx, j->st, j->entry, &m);
    time_t t = rc == AUTOCERT_OK ? m.not_after : rc == AUTOCERT_ERR_NOT_FOUND ? 0 : (time_t)-1;

    ac_cert_meta_clear(&m);
    ac_err_clear(j->ctx);
    return t;
}

/* The cached certificate `c`, covering the names, needs no new order: it is
 * not due by the rules of renew (the loaded handle's plan: revoked, the time
 * chosen in the CA's renewal window, the share of the lifetime left, or the
 * context's renewal days), whatever backoff a failed renewal left. */
static int not_due(obtain_job *j, const autocert_cert *c)
{
    if (j->o->fresh)
        return j->o->fresh(j->o->fresh_arg, j->ctx, c);
    return time(NULL) < c->due_at;
}

/* Looks at the cached entry under its lock.  *fresh (handed to *out when
 * the caller wants it) when it covers the names and is not due; otherwise
 * the entry is to be replaced.  A broken entry (a file missing, garbage, or
 * not fitting the others) is said and replaced; one that cannot be read at
 * all (permissions, I/O) stops here unless forced; one that autocert did not
 * write stops here always. */
static autocert_err check_cached(obtain_job *j, unsigned flags, int *fresh, autocert_cert **out)
{
    autocert_ctx *ctx = j->ctx;
    autocert_cert *c = NULL;
    char when[64];
    autocert_err rc;

    *fresh = 0;
    /* Taken from the metadata, as after a wait: also when the rest of the
     * entry is broken and replaced. */
    j->seen = generation(j);
    rc = ac_cache_cert_load(ctx, j->st, j->entry, 0, &c);
    if (rc == AUTOCERT_ERR_NOT_FOUND) {
        ac_err_clear(ctx);
        return AUTOCERT_OK;
    }
    if (rc != AUTOCERT_OK) {
        /* What autocert did not write (EXISTS: a link, another type,
         * another user's) is never replaced; an unreadable entry of the
         * user's own only with --force. */
        if (rc != AUTOCERT_ERR_CORRUPT && !(rc == AUTOCERT_ERR_IO && (flags & AUTOCERT_OBTAIN_FORCE)))
            return rc;
        ac_log(ctx, AUTOCERT_LOG_WARN, "%s: ordering a new certificate", autocert_last_error(ctx));
        ac_err_clear(ctx);
        return AUTOCERT_OK;
    }
    if (!ac_cert_covers(c, j->sess.directory_url, j->ids, j->nids))
        ac_log(ctx, AUTOCERT_LOG_INFO,
               "the cached certificate %s covers other names or another CA: replacing it", j->entry);
    else if (c->revoked_at)
        ac_log(ctx, AUTOCERT_LOG_INFO, "the cached certificate %s was revoked: replacing it",
               j->entry);
    else if (!(flags & AUTOCERT_OBTAIN_FORCE) && not_due(j, c)) {
        ac_utc_format(c->not_after, AC_UTC_MINUTE, when, sizeof(when));
        ac_log(ctx, AUTOCERT_LOG_INFO,
               "a valid certificate for %s is cached (expires %s, not due for renewal): no "
               "request made", j->entry, when);
        *fresh = 1;
        if (out) {
            *out = c;
            c = NULL;
        }
    }
    autocert_cert_free(c);
    return AUTOCERT_OK;
}

/* After a wait with the lock released: has another process stored the
 * entry meanwhile?  Then this order stops. */
static autocert_err still_ours(ac_session *s, void *arg)
{
    obtain_job *j = arg;

    if (generation(j) == j->seen)
        return AUTOCERT_OK;
    j->superseded = 1;
    return ac_err(s->ctx, AUTOCERT_ERR_EXISTS,
                  "another process stored a certificate for %s while this one waited", j->entry);
}

/* newOrder.  A CA that does not know the cached account any more (it lost
 * its accounts, as a test CA does when it restarts) gets the same key
 * registered anew, once, and the order again. */
static autocert_err new_order(obtain_job *j, const ac_order_opts *opts, ac_order *o)
{
    autocert_ctx *ctx = j->ctx;
    autocert_err rc = ac_order_new(&j->sess, j->ids, j->nids, opts, o);

    if (rc != AUTOCERT_ERR_NOT_FOUND ||
        strcmp(autocert_last_problem_type(ctx), "urn:ietf:params:acme:error:accountDoesNotExist") != 0)
        return rc;
    ac_log(ctx, AUTOCERT_LOG_WARN, "the CA does not know the cached account %s: registering its "
           "key anew", AC_SAFE(j->sess.account.url));
    ac_err_clear(ctx);
    if ((rc = ac_account_reregister(&j->sess)) != AUTOCERT_OK)
        return rc;
    return ac_order_new(&j->sess, j->ids, j->nids, opts, o);
}

/* The profile to order under: the one configured, checked against those
 * the CA offers before anything is ordered; without one, for an IP
 * address, the CA's "shortlived" where it offers that (Let's Encrypt
 * issues IP address certificates under it alone); else the CA's default. */
static autocert_err pick_profile(obtain_job *j, const char **profile)
{
    json_t *offered = NULL;
    size_t i;
    autocert_err rc;

    *profile = j->ctx->profile ? j->ctx->profile : j->o->profile;
    if (*profile)
        return ac_profile_check(&j->sess, *profile);
    for (i = 0; i < j->nids && j->ids[i].type != AC_ID_IP; i++)
        ;
    if (i == j->nids)
        return AUTOCERT_OK;
    if ((rc = ac_directory_profiles(&j->sess, &offered)) != AUTOCERT_OK)
        return rc;
    if (json_object_get(offered, "shortlived") != NULL) {
        *profile = "shortlived";
        ac_log(j->ctx, AUTOCERT_LOG_INFO, "an IP address: ordering under the CA's profile "
               "'shortlived'");
    }
    return AUTOCERT_OK;
}

/* The responder of the order, opened now: a port that cannot be had (in
 * use, below 1024 without the right, an address not on this host) is
 * found before anything is asked of the CA.  The shared one when kept open. */
static autocert_err responder_take(obtain_job *j)
{
    autocert_err rc;

    if ((j->r = ac_responder_shared(j->ctx)) != NULL)
        return AUTOCERT_OK;
    if ((rc = ac_responder_new(j->ctx, NULL, &j->r)) == AUTOCERT_OK)
        rc = ac_responder_open(j->r, j->ctx);
    return rc;
}

/* One order, step by step, answering challenges through the job's
 * responder (our own one stopped as soon as the authorizations are valid). */
static autocert_err order(obtain_job *j, const char *profile, EVP_PKEY *key, char **chain)
{
    const ac_order_opts opts = {profile, j->o->replaces};
    ac_order o;
    autocert_err rc;

    memset(&o, 0, sizeof(o));
    if ((rc = new_order(j, &opts, &o)) == AUTOCERT_OK)
        rc = ac_order_authorize(&j->sess, &o, j->r);
    /* Our own responder is not needed once the authorizations are valid. */
    if (j->r != ac_responder_shared(j->ctx)) {
        ac_responder_free(j->r);
        j->r = NULL;
    }
    if (rc == AUTOCERT_OK &&
        (rc = ac_order_finalize(&j->sess, &o, key, j->ids, j->nids)) == AUTOCERT_OK)
        rc = ac_order_download(&j->sess, &o, chain);
    ac_order_clear(&o);
    return rc;
}

/* What the new meta.json carries over (the caller's), and the profile the
 * certificate was ordered under: renew orders under it again. */
static autocert_err carry_of(obtain_job *j, const char *profile, json_t **carry)
{
    *carry = j->o->carry ? json_deep_copy(j->o->carry) : json_object();
    if (*carry == NULL ||
        (profile && json_object_set_new(*carry, "profile", json_string(profile)) != 0))
        return ac_err(j->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

/* Orders a certificate with a new key and stores it as the entry's next
 * generation; *out (may be NULL) receives it. */
static autocert_err issue(obtain_job *j, autocert_cert **out)
{
    autocert_ctx *ctx = j->ctx;
    EVP_PKEY *key = NULL;
    char *chain = NULL;
    autocert_key_type kt = j->o->key_type >= 0 ? (autocert_key_type)j->o->key_type : ctx->key_type;
    const char *profile = NULL;
    json_t *carry = NULL;
    autocert_err rc;

    j->sess.relocked = still_ours;
    j->sess.relocked_arg = j;
    if ((rc = responder_take(j)) != AUTOCERT_OK ||
        (rc = ac_account_check_local(&j->sess)) != AUTOCERT_OK ||
        (rc = pick_profile(j, &profile)) != AUTOCERT_OK ||
        (rc = ac_account_ensure(&j->sess)) != AUTOCERT_OK)
        return rc;
    ac_log(ctx, AUTOCERT_LOG_INFO, "generating a %s certificate key", autocert_key_type_name(kt));
    if (kt == AUTOCERT_KEY_ED25519)
        return ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED, "ACME CAs do not issue certificates for ed25519 keys");
    if (j->o->ordered)
        *j->o->ordered = 1;
    if ((rc = ac_key_generate(ctx, kt, &key)) == AUTOCERT_OK &&
        (rc = order(j, profile, key, &chain)) == AUTOCERT_OK &&
        (rc = ac_issued_check(ctx, chain, j->ids, j->nids, key)) == AUTOCERT_OK && j->o->dry_run) {
        ac_log(ctx, AUTOCERT_LOG_INFO, "dry run: the certificate for %s was issued and checked, "
               "not stored", j->entry);
    } else if (rc == AUTOCERT_OK && (rc = carry_of(j, profile, &carry)) == AUTOCERT_OK &&
               (rc = ac_cache_cert_store_with(ctx, j->st, j->entry, j->ids, j->nids,
                                              j->sess.directory_url, key, chain, carry)) ==
                   AUTOCERT_OK) {
        ac_log(ctx, AUTOCERT_LOG_INFO, "certificate for %s stored", j->entry);
        if (out && (rc = ac_cache_cert_load(ctx, j->st, j->entry, 0, out)) == AUTOCERT_OK)
            (*out)->is_new = 1;
    }
    json_decref(carry);
    EVP_PKEY_free(key);
    free(chain);
    return rc;
}

autocert_err autocert_obtain(autocert_ctx *ctx, const char *const *names, size_t n,
                             unsigned flags, autocert_cert **out)
{
    ac_obtain_opts o;

    ac_obtain_opts_init(&o);
    return ac_obtain_run(ctx, names, n, flags, &o, out);
}

autocert_err ac_obtain_run(autocert_ctx *ctx, const char *const *names, size_t n, unsigned flags,
                           const ac_obtain_opts *o, autocert_cert **out)
{
    obtain_job j;
    int fresh = 0;
    autocert_err rc;

    if (out)
        *out = NULL;
    ac_err_clear(ctx);
    /* The entry's lock: a second process ordering these names waits here,
     * then finds the certificate the first one stored. */
    if ((rc = job_init(&j, ctx, names, n, o)) == AUTOCERT_OK &&
        (rc = ac_session_lock(&j.sess, j.st, j.set)) == AUTOCERT_OK &&
        (rc = check_cached(&j, flags, &fresh, out)) == AUTOCERT_OK && !fresh) {
        rc = issue(&j, out);
        /* Renewed by another process while a Retry-After wait let go of
         * the lock: what it stored is the answer, if it covers the names. */
        if (j.superseded && (rc = check_cached(&j, 0, &fresh, out)) == AUTOCERT_OK) {
            if (!fresh)
                rc = ac_err(ctx, AUTOCERT_ERR_EXISTS,
                            "another process replaced the certificate for %s meanwhile", j.entry);
            else
                ac_err_clear(ctx); /* the stop that led here was no failure */
        }
    }
    job_clear(&j);
    return rc;
}

/* ---- lookups ---------------------------------------------------------------- */

static autocert_err lookup(autocert_ctx *ctx, const char *name, unsigned flags, autocert_cert **out)
{
    autocert_storage *st = NULL;
    ac_ident id;
    char *entry = NULL;
    autocert_err rc;

    *out = NULL;
    ac_err_clear(ctx);
    /* A wildcard's entry name, as `list` shows it, stands for the wildcard. */
    if (name != NULL && strncmp(name, "+.", 2) == 0) {
        if ((entry = strdup(name)) == NULL)
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        entry[0] = '*';
    }
    rc = ac_ident_parse(ctx, entry ? entry : name, 1, &id);
    free(entry);
    if (rc != AUTOCERT_OK)
        return rc;
    entry = ac_ident_entry_name(&id);
    ac_ident_clear(&id);
    if (entry == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((rc = ac_storage(ctx, &st)) == AUTOCERT_OK)
        rc = ac_cache_cert_load(ctx, st, entry, flags, out);
    free(entry);
    return rc;
}

autocert_err autocert_cert_load(autocert_ctx *ctx, const char *name, autocert_cert **out)
{
    return lookup(ctx, name, 0, out);
}

autocert_err autocert_cert_info(autocert_ctx *ctx, const char *name, autocert_cert **out)
{
    return lookup(ctx, name, AC_LOAD_META_ONLY, out);
}

autocert_err autocert_cert_list(autocert_ctx *ctx, char ***names, size_t *n)
{
    autocert_storage *st = NULL;
    autocert_err rc;
    size_t i;

    *names = NULL;
    *n = 0;
    ac_err_clear(ctx);
    if ((rc = ac_storage(ctx, &st)) != AUTOCERT_OK ||
        (rc = ac_storage_list(ctx, st, AC_AREA_CERTS, names, n)) != AUTOCERT_OK)
        return rc;
    /* The entries: the keys without their area. */
    for (i = 0; i < *n; i++) {
        const char *entry = ac_cache_entry_of((*names)[i]);

        if (entry != NULL)
            memmove((*names)[i], entry, strlen(entry) + 1);
    }
    return AUTOCERT_OK;
}
