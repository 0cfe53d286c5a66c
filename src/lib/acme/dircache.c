/* dircache.c: the ACME directories a context fetched, kept a minute for its next sessions. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"

#define DIR_MAX 4      /* directories kept at once */

typedef struct {
    char *url;
    ac_directory dir; /* parsed and checked as ac_acme_directory does */
    double fetched;   /* ac_now() */
} entry;

/* Under the context's lock; each session copies an entry, none shares one. */
struct ac_dircache {
    entry e[DIR_MAX];
    size_t n;
};

void ac_directory_clear(ac_directory *d)
{
    free(d->new_nonce);
    free(d->new_account);
    free(d->new_order);
    free(d->revoke_cert);
    free(d->key_change);
    free(d->terms_of_service);
    free(d->renewal_info);
    json_decref(d->profiles);
    memset(d, 0, sizeof(*d));
}

/* *slot = a copy of `v` (NULL stays NULL); -1 when out of memory. */
static int dup_opt(char **slot, const char *v)
{
    *slot = v ? strdup(v) : NULL;
    return v && *slot == NULL ? -1 : 0;
}

/* A deep copy of `src` into `dst`: nothing of one is shared with the other. */
static int directory_copy(ac_directory *dst, const ac_directory *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->eab_required = src->eab_required;
    if (dup_opt(&dst->new_nonce, src->new_nonce) || dup_opt(&dst->new_account, src->new_account) ||
        dup_opt(&dst->new_order, src->new_order) || dup_opt(&dst->revoke_cert, src->revoke_cert) ||
        dup_opt(&dst->key_change, src->key_change) ||
        dup_opt(&dst->terms_of_service, src->terms_of_service) ||
        dup_opt(&dst->renewal_info, src->renewal_info) ||
        (src->profiles && (dst->profiles = json_deep_copy(src->profiles)) == NULL)) {
        ac_directory_clear(dst);
        return -1;
    }
    return 0;
}

static void entry_clear(entry *e)
{
    free(e->url);
    ac_directory_clear(&e->dir);
    memset(e, 0, sizeof(*e));
}

/* Drops the entries older than the TTL (under the lock). */
static void expire(struct ac_dircache *c, double now)
{
    size_t i = 0;

    while (i < c->n) {
        if (now - c->e[i].fetched < AC_DIR_TTL_S) {
            i++;
            continue;
        }
        entry_clear(&c->e[i]);
        c->e[i] = c->e[--c->n];
        memset(&c->e[c->n], 0, sizeof(c->e[0])); /* e[i] owns what it held */
    }
}

int ac_dircache_get(autocert_ctx *ctx, const char *url, ac_directory *out)
{
    struct ac_dircache *c;
    int found = 0;
    size_t i;

    pthread_mutex_lock(&ctx->lock);
    if ((c = ctx->dirs) != NULL) {
        expire(c, ac_now());
        for (i = 0; i < c->n && found == 0; i++)
            if (strcmp(c->e[i].url, url) == 0)
                found = directory_copy(out, &c->e[i].dir) == 0 ? 1 : -1;
    }
    pthread_mutex_unlock(&ctx->lock);
    return found;
}

/* The slot for `url`'s entry: its old one, a free one, or the oldest. */
static entry *slot_for(struct ac_dircache *c, const char *url)
{
    size_t i, oldest = 0;

    for (i = 0; i < c->n; i++) {
        if (strcmp(c->e[i].url, url) == 0)
            return &c->e[i];
        if (c->e[i].fetched < c->e[oldest].fetched)
            oldest = i;
    }
    return c->n < DIR_MAX ? &c->e[c->n++] : &c->e[oldest];
}

void ac_dircache_put(autocert_ctx *ctx, const char *url, const ac_directory *d)
{
    entry fresh, *e;

    /* Copied outside the lock; out of memory only loses the copy. */
    memset(&fresh, 0, sizeof(fresh));
    if ((fresh.url = strdup(url)) == NULL || directory_copy(&fresh.dir, d) != 0) {
        free(fresh.url);
        return;
    }
    fresh.fetched = ac_now();
    pthread_mutex_lock(&ctx->lock);
    if (ctx->dirs == NULL)
        ctx->dirs = calloc(1, sizeof(*ctx->dirs));
    if (ctx->dirs != NULL) {
        e = slot_for(ctx->dirs, url);
        entry_clear(e);
        *e = fresh;
        memset(&fresh, 0, sizeof(fresh));
    }
    pthread_mutex_unlock(&ctx->lock);
    entry_clear(&fresh);
}

void ac_dircache_free(struct ac_dircache *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->n; i++)
        entry_clear(&c->e[i]);
    free(c);
}
