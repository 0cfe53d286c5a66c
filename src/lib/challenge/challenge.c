/* challenge.c: the table of challenge solvers and the responder that opens them for its orders. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "challenge/challenge.h"

/* Every solver this build has; an order uses the one the context chose. */
static const ac_solver_ops *const solvers[] = {&ac_http01_solver, &ac_dns01_solver,
                                                &ac_tlsalpn01_solver};
#define N_SOLVERS (sizeof(solvers) / sizeof(solvers[0]))

struct ac_responder {
    ac_live *live;
    int own_live;
    size_t chosen; /* the solver of the context's challenge type */
    pthread_mutex_t lock;   /* orders in several threads may share it */
    void *state[N_SOLVERS]; /* a solver's state once opened */
    int opened[N_SOLVERS];
};

/* The index of the solver of `type`, or -1. */
static long solver_of(const char *type)
{
    size_t i;

    for (i = 0; type && i < N_SOLVERS; i++)
        if (strcmp(solvers[i]->type, type) == 0)
            return (long)i;
    return -1;
}

/* The solver of the context's challenge type (the first when unknown). */
static size_t chosen_solver(const autocert_ctx *ctx)
{
    long i = solver_of(ctx->challenge);

    return i < 0 ? 0 : (size_t)i;
}

autocert_err ac_responder_new(autocert_ctx *ctx, ac_live *live, ac_responder **out)
{
    ac_responder *r = calloc(1, sizeof(*r));

    *out = NULL;
    if (r == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    r->chosen = chosen_solver(ctx);
    r->live = live;
    pthread_mutex_init(&r->lock, NULL);
    if (live == NULL) {
        r->own_live = 1;
        if ((r->live = ac_live_new()) == NULL) {
            pthread_mutex_destroy(&r->lock);
            free(r);
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        }
        ac_live_bind(r->live, ctx);
    }
    *out = r;
    return AUTOCERT_OK;
}

autocert_err ac_responder_check(autocert_ctx *ctx)
{
    const ac_solver_ops *s = solvers[chosen_solver(ctx)];

    return s->check ? s->check(ctx) : AUTOCERT_OK;
}

void ac_responder_free(ac_responder *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < N_SOLVERS; i++)
        if (r->opened[i])
            solvers[i]->close(r->state[i]);
    if (r->own_live)
        ac_live_free(r->live);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

const char *ac_responder_type(const ac_responder *r, size_t i)
{
    return i == 0 ? solvers[r->chosen]->type : NULL;
}

/* Opens solver i unless it is open. */
static autocert_err open_solver(ac_responder *r, autocert_ctx *ctx, size_t i)
{
    autocert_err rc = AUTOCERT_OK;

    pthread_mutex_lock(&r->lock);
    if (!r->opened[i] && (rc = solvers[i]->open(ctx, r->live, &r->state[i])) == AUTOCERT_OK)
        r->opened[i] = 1;
    pthread_mutex_unlock(&r->lock);
    return rc;
}

autocert_err ac_responder_present(ac_responder *r, autocert_ctx *ctx, const ac_chal *c)
{
    long i = solver_of(c->type);
    autocert_err rc;

    if (i < 0 || (size_t)i != r->chosen)
        return ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED, "no solver for %s challenges",
                      c->type ? c->type : "(none)");
    /* A solver opens on first use: no daemon for an order whose
     * authorizations are all valid already. */
    if ((rc = open_solver(r, ctx, (size_t)i)) != AUTOCERT_OK)
        return rc;
    return solvers[i]->present(r->state[i], ctx, c);
}

autocert_err ac_responder_open(ac_responder *r, autocert_ctx *ctx)
{
    return open_solver(r, ctx, r->chosen);
}

/* ---- a responder kept open across operations ------------------------------ */

static void shared_free(void *r)
{
    ac_responder_free(r);
}

autocert_err autocert_responder_start(autocert_ctx *ctx)
{
    ac_responder *r = NULL;
    autocert_err rc;

    ac_err_clear(ctx);
    if (ctx->responder != NULL)
        return AUTOCERT_OK;
    if ((rc = ac_responder_check(ctx)) != AUTOCERT_OK ||
        (rc = ac_responder_new(ctx, NULL, &r)) != AUTOCERT_OK ||
        (rc = ac_responder_open(r, ctx)) != AUTOCERT_OK) {
        ac_responder_free(r);
        return rc;
    }
    return ac_responder_share(ctx, r);
}

void autocert_responder_stop(autocert_ctx *ctx)
{
    if (ctx->responder != NULL)
        ctx->responder_free(ctx->responder);
    ctx->responder = NULL;
}

autocert_err ac_responder_share(autocert_ctx *ctx, ac_responder *r)
{
    if (ctx->responder != NULL)
        return ac_err(ctx, AUTOCERT_ERR_EXISTS, "the context has a challenge responder already "
                      "(autocert_responder_start, or another manager)");
    ctx->responder = r;
    ctx->responder_free = shared_free;
    return AUTOCERT_OK;
}

ac_responder *ac_responder_shared(autocert_ctx *ctx)
{
    return ctx->responder;
}

autocert_err ac_responder_ready(ac_responder *r, autocert_ctx *ctx)
{
    size_t i;
    autocert_err rc;

    for (i = 0; i < N_SOLVERS; i++)
        if (r->opened[i] && (rc = solvers[i]->ready(r->state[i], ctx)) != AUTOCERT_OK)
            return rc;
    return AUTOCERT_OK;
}

void ac_responder_cleanup(ac_responder *r, const ac_chal *c)
{
    long i = solver_of(c->type);

    if (i >= 0 && r->opened[i])
        solvers[i]->cleanup(r->state[i], c);
}
