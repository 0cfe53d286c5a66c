/* table.c: the manager's hosts in a hash table, and the record served for each, swapped under a read-write lock. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manager/manager.h"

/* FNV-1a. */
static size_t hash_of(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 32));
}

autocert_err ac_mtable_init(ac_mtable *t, autocert_ctx *ctx, char **names, size_t n)
{
    size_t i, j;

    memset(t, 0, sizeof(*t));
    if (pthread_rwlock_init(&t->lock, NULL) != 0)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "cannot create a lock");
    for (t->nslot = 8; t->nslot < 2 * n; t->nslot *= 2)
        ;
    t->h = calloc(n ? n : 1, sizeof(*t->h));
    t->slot = calloc(t->nslot, sizeof(*t->slot));
    if (t->h == NULL || t->slot == NULL) {
        ac_mtable_clear(t);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    for (i = 0; i < n; i++) {
        if ((t->h[i].name = strdup(names[i])) == NULL) {
            t->n = i;
            ac_mtable_clear(t);
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        }
        for (j = hash_of(names[i]) & (t->nslot - 1); t->slot[j]; j = (j + 1) & (t->nslot - 1))
            ;
        t->slot[j] = i + 1;
    }
    t->n = n;
    return AUTOCERT_OK;
}

void ac_mtable_clear(ac_mtable *t)
{
    size_t i;

    if (t->h == NULL && t->slot == NULL && t->nslot == 0)
        return;
    for (i = 0; i < t->n; i++) {
        free(t->h[i].name);
        ac_served_free(t->h[i].cur);
    }
    free(t->h);
    free(t->slot);
    pthread_rwlock_destroy(&t->lock);
    memset(t, 0, sizeof(*t));
}

ac_mhost *ac_mtable_find(const ac_mtable *t, const char *name)
{
    size_t j;

    if (t->nslot == 0 || name == NULL)
        return NULL;
    for (j = hash_of(name) & (t->nslot - 1); t->slot[j]; j = (j + 1) & (t->nslot - 1))
        if (strcmp(t->h[t->slot[j] - 1].name, name) == 0)
            return &t->h[t->slot[j] - 1];
    return NULL;
}

int ac_sni_fold(const char *name, char *buf, size_t n)
{
    size_t len, i;

    if (name == NULL || (len = strlen(name)) == 0 || len >= n || len > 254)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (len > 1 && buf[len - 1] == '.')
        len--;
    buf[len] = '\0';
    return 0;
}

void ac_mtable_swap(ac_mtable *t, ac_mhost *h, ac_served *s)
{
    ac_served *old;

    pthread_rwlock_wrlock(&t->lock);
    old = h->cur;
    h->cur = s;
    pthread_rwlock_unlock(&t->lock);
    /* No reader holds it now; a connection keeps its own references. */
    ac_served_free(old);
}

size_t ac_mtable_count(ac_mtable *t)
{
    size_t i, k = 0;

    pthread_rwlock_rdlock(&t->lock);
    for (i = 0; i < t->n; i++)
        k += t->h[i].cur != NULL;
    pthread_rwlock_unlock(&t->lock);
    return k;
}
