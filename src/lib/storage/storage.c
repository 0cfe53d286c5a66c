/* storage.c: the storage handle that wraps a backend's operations. */
#include "config.h"

#include <stdlib.h>

#include "storage/storage.h"

/* The handle takes `be` only on success: when NULL is returned the caller
 * still owns it.  `path` is the one optional operation. */
autocert_storage *autocert_storage_new(const autocert_storage_ops *ops, void *be)
{
    autocert_storage *st = NULL;

    if (ops == NULL || ops->lock == NULL || ops->unlock == NULL || ops->load == NULL ||
        ops->store == NULL || ops->list == NULL || ops->remove == NULL || ops->destroy == NULL)
        return NULL;
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return NULL;
    st->ops = ops;
    st->be = be;
    st->root = NULL;
    return st;
}

void autocert_storage_free(autocert_storage *st)
{
    if (st == NULL)
        return;
    st->ops->destroy(st->be);
    free(st->root);
    free(st);
}

const char *autocert_storage_dir_root(const autocert_storage *st)
{
    return st ? st->root : NULL;
}

/* Loads an item, naming the file on failure; NOT_FOUND passes silently. */
autocert_err ac_storage_load(autocert_ctx *ctx, autocert_storage *st, const char *set,
                             const char *item, unsigned char **data, size_t *len)
{
    autocert_err rc = st->ops->load(st->be, set, item, data, len);

    if (rc != AUTOCERT_OK && rc != AUTOCERT_ERR_NOT_FOUND)
        return ac_err(ctx, rc, "cannot read cache file %s/%s/%s: %s", st->root ? st->root : "",
                      set, item, autocert_strerror(rc));
    return rc;
}
