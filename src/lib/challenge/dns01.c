/* dns01.c: the DNS-01 solver: TXT records published and withdrawn by the user's hook command. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "challenge/challenge.h"

/*
 * Every present runs the hook's "add" and returns once it has finished, so
 * that the order answers its challenges only when every record is out
 * (the hook waits for propagation where its DNS needs that).  A record
 * whose "add" ran, whether it succeeded or not, gets its "remove": at its
 * cleanup, or when the solver closes after a failure.
 */

#define RECORD_PREFIX "_acme-challenge."
#define REMOVE_MIN_S 10.0 /* a remove runs this long at least, even past the deadline */

/* One TXT record the hook was asked to add. */
typedef struct {
    char *ident;  /* the identifier validated */
    char *name;   /* _acme-challenge.<ident> */
    char *value;  /* base64url(SHA-256(key authorization)) */
    char *token;  /* the challenge's, to find the record at cleanup */
} record;

/* A responder may be shared by orders in several threads: `lock` guards
 * the records; hooks run outside it, each on a record of its own. */
typedef struct {
    autocert_ctx *ctx; /* outlives the solver: logs its cleanups */
    char *hook;
    unsigned timeout_s;
    pthread_mutex_t lock;
    record rec[AC_LIVE_MAX]; /* added and not yet removed */
    size_t n;
} dns01;

autocert_err ac_dns01_txt_value(autocert_ctx *ctx, const char *key_auth, char **out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    *out = NULL;
    if (EVP_Digest(key_auth, strlen(key_auth), md, &mdlen, EVP_sha256(), NULL) != 1)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "SHA-256 of a key authorization");
    return ac_b64url_encode(md, mdlen, out) == AUTOCERT_OK
               ? AUTOCERT_OK
               : ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
}

char *ac_dns01_record_name(const char *ident)
{
    size_t n;
    char *s;

    /* RFC 8555 section 8.4: a wildcard's record is its base domain's. */
    if (strncmp(ident, "*.", 2) == 0)
        ident += 2;
    n = strlen(RECORD_PREFIX) + strlen(ident) + 1;
    if ((s = malloc(n)) != NULL)
        snprintf(s, n, RECORD_PREFIX "%s", ident);
    return s;
}

static void record_clear(record *r)
{
    free(r->ident);
    free(r->name);
    free(r->value);
    free(r->token);
    memset(r, 0, sizeof(*r));
}

/* "NAME=value", malloc'd. */
static char *env_var(const char *name_eq, const char *value)
{
    size_t n = strlen(name_eq) + strlen(value) + 1;
    char *s = malloc(n);

    if (s != NULL)
        snprintf(s, n, "%s%s", name_eq, value);
    return s;
}

/* Runs the hook for `action` on a record within `limit` seconds; a failure
 * is recorded on ctx, or (quiet) logged as a warning. */
static autocert_err run_hook(dns01 *d, autocert_ctx *ctx, const record *r, const char *action,
                             double limit, int quiet)
{
    char e_action[64], *e_name = NULL, *e_value = NULL, *e_ident = NULL, label[400], msg[1024];
    const char *args[] = {action, r->name, r->value, NULL};
    const char *env[5] = {e_action, NULL, NULL, NULL, NULL};
    ac_hook h = {"DNS hook", d->hook, args, env, limit};
    autocert_err rc;

    snprintf(e_action, sizeof(e_action), "AUTOCERT_DNS_ACTION=%s", action);
    e_name = env_var("AUTOCERT_DNS_NAME=", r->name);
    e_value = env_var("AUTOCERT_DNS_VALUE=", r->value);
    e_ident = env_var("AUTOCERT_IDENTIFIER=", r->ident);
    if (e_name == NULL || e_value == NULL || e_ident == NULL) {
        rc = AUTOCERT_ERR_NOMEM;
        snprintf(msg, sizeof(msg), "out of memory");
    } else {
        env[1] = e_name;
        env[2] = e_value;
        env[3] = e_ident;
        snprintf(label, sizeof(label), "%s %s", action, r->name);
        rc = ac_hook_exec(ctx, &h, label, msg, sizeof(msg));
    }
    if (rc != AUTOCERT_OK && quiet)
        ac_log(ctx, AUTOCERT_LOG_WARN, "%s (the TXT record may remain)", msg);
    else if (rc != AUTOCERT_OK)
        ac_err(ctx, rc, "%s", msg);
    free(e_name);
    free(e_value);
    free(e_ident);
    return rc;
}

/* The hook's time limit, cut to what is left before `deadline` (0: none). */
static double limit_of(const dns01 *d, double deadline, double at_least)
{
    double limit = (double)d->timeout_s, left;

    if (deadline > 0) {
        left = deadline - ac_now();
        if (left < at_least)
            left = at_least;
        if (left < limit)
            limit = left;
    }
    return limit;
}

/* Takes the record of `token` (NULL: the last one) out of the list into
 * *out: 0, or -1 when there is none. */
static int take(dns01 *d, const char *token, record *out)
{
    size_t i;
    long found = -1;

    pthread_mutex_lock(&d->lock);
    for (i = 0; i < d->n && found < 0; i++)
        if (token == NULL ? i == d->n - 1 : strcmp(d->rec[i].token, token) == 0)
            found = (long)i;
    if (found >= 0) {
        *out = d->rec[found];
        d->rec[found] = d->rec[--d->n];
        memset(&d->rec[d->n], 0, sizeof(d->rec[d->n]));
    }
    pthread_mutex_unlock(&d->lock);
    return found >= 0 ? 0 : -1;
}

/* Runs "remove" for a record taken out of the list, and frees it. */
static void withdraw(dns01 *d, record *r, double deadline)
{
    run_hook(d, d->ctx, r, "remove", limit_of(d, deadline, REMOVE_MIN_S), 1);
    record_clear(r);
}

/* The record of a challenge: its DNS name checked, its value computed. */
static autocert_err record_make(autocert_ctx *ctx, const ac_chal *c, record *r)
{
    ac_ident id = {AC_ID_DNS, NULL};
    autocert_err rc;

    if ((rc = ac_ident_parse(ctx, c->ident, 1, &id)) != AUTOCERT_OK)
        return rc;
    if (id.type != AC_ID_DNS) {
        ac_ident_clear(&id);
        return ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED,
                      "dns-01 cannot validate the IP address %s", AC_SAFE(c->ident));
    }
    r->ident = id.value;
    if ((r->name = ac_dns01_record_name(id.value)) == NULL ||
        (r->token = strdup(c->token)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return ac_dns01_txt_value(ctx, c->key_auth, &r->value);
}

/* ---- the solver ------------------------------------------------------------ */

static autocert_err solver_check(autocert_ctx *ctx)
{
    if (ctx->dns_hook == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "the dns-01 challenge needs a DNS hook to "
                      "publish its TXT records (autocert_set_dns_hook)");
    return AUTOCERT_OK;
}

static autocert_err solver_open(autocert_ctx *ctx, ac_live *live, void **state)
{
    dns01 *d;
    autocert_err rc;

    (void)live;
    *state = NULL;
    if ((rc = solver_check(ctx)) != AUTOCERT_OK)
        return rc;
    if ((d = calloc(1, sizeof(*d))) == NULL || (d->hook = strdup(ctx->dns_hook)) == NULL) {
        free(d);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&d->lock, NULL);
    d->ctx = ctx;
    d->timeout_s = ctx->hook_timeout_s ? ctx->hook_timeout_s : AC_HOOK_TIMEOUT_S;
    *state = d;
    return AUTOCERT_OK;
}

static autocert_err solver_present(void *state, autocert_ctx *ctx, const ac_chal *c)
{
    dns01 *d = state;
    record r;
    double limit = limit_of(d, c->deadline, 0);
    autocert_err rc;

    memset(&r, 0, sizeof(r));
    if ((rc = record_make(ctx, c, &r)) != AUTOCERT_OK) {
        record_clear(&r);
        return rc;
    }
    if (limit <= 0) {
        record_clear(&r);
        return ac_err(ctx, AUTOCERT_ERR_TIMEOUT, "no time left to run the DNS hook for %s",
                      AC_SAFE(c->ident));
    }
    /* Kept before the hook runs: a failed add may have left the record.
     * The strings stay where they are until this order's cleanup. */
    pthread_mutex_lock(&d->lock);
    if (d->n < AC_LIVE_MAX)
        d->rec[d->n++] = r;
    else
        rc = AUTOCERT_ERR_INVALID;
    pthread_mutex_unlock(&d->lock);
    if (rc != AUTOCERT_OK) {
        record_clear(&r);
        return ac_err(ctx, rc, "more than %d dns-01 challenges at once", AC_LIVE_MAX);
    }
    if ((rc = run_hook(d, ctx, &r, "add", limit, 0)) == AUTOCERT_OK)
        ac_log(ctx, AUTOCERT_LOG_INFO, "dns-01: TXT record %s published for %s", r.name, r.ident);
    return rc;
}

static autocert_err solver_ready(void *state, autocert_ctx *ctx)
{
    /* Every add has returned: the hook said the records are out. */
    (void)state;
    (void)ctx;
    return AUTOCERT_OK;
}

static void solver_cleanup(void *state, const ac_chal *c)
{
    dns01 *d = state;
    record r;

    if (c->token != NULL && take(d, c->token, &r) == 0)
        withdraw(d, &r, c->deadline);
}

static void solver_close(void *state)
{
    dns01 *d = state;
    record r;

    if (d == NULL)
        return;
    while (take(d, NULL, &r) == 0)
        withdraw(d, &r, 0);
    pthread_mutex_destroy(&d->lock);
    free(d->hook);
    free(d);
}

const ac_solver_ops ac_dns01_solver = {
    "dns-01", solver_check, solver_open, solver_present, solver_ready, solver_cleanup,
    solver_close,
};
