/* migrate.c: copying a whole cache between stores (a directory and a database, either way), verified. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "storage/storage.h"

#define MIGRATE_LOCK_WAIT_S 30
#define MAX_ITEMS 8

/* The sets of a cache and the items autocert writes in each. */
typedef struct {
    const char *prefix;
    const char *items[MAX_ITEMS];
    int secret[MAX_ITEMS];
} area;

static const area areas[] = {
    {AC_AREA_CERTS, {AC_ITEM_KEY, AC_ITEM_CERT, AC_ITEM_CHAIN, AC_ITEM_FULLCHAIN, AC_ITEM_META, NULL},
     {1, 0, 0, 0, 0}},
    {AC_AREA_ACCOUNTS, {AC_ITEM_ACCOUNT_KEY, AC_ITEM_ACCOUNT_META, AC_ITEM_ACCOUNT_ROLLOVER, NULL},
     {1, 0, 1}},
};
#define N_AREAS (sizeof(areas) / sizeof(areas[0]))

static void items_free(autocert_item *it, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (it[i].secret)
            ac_free_secret((void *)it[i].data, it[i].len);
        else
            free((void *)it[i].data);
    }
}

/* Loads the items of `set` that exist in `st`, in one read. */
static autocert_err load_items(autocert_ctx *ctx, autocert_storage *st, const area *ar,
                               const char *set, autocert_item *it, size_t *n)
{
    unsigned char *data[MAX_ITEMS];
    size_t len[MAX_ITEMS], count = 0, i;
    autocert_err rc;

    *n = 0;
    while (count < MAX_ITEMS && ar->items[count] != NULL)
        count++;
    if ((rc = ac_storage_load_items(ctx, st, set, ar->items, count, data, len)) != AUTOCERT_OK)
        return rc;
    for (i = 0; i < count; i++) {
        if (data[i] == NULL)
            continue;
        it[*n].name = ar->items[i];
        it[*n].data = data[i];
        it[*n].len = len[i];
        it[*n].secret = ar->secret[i];
        (*n)++;
    }
    return AUTOCERT_OK;
}

/* Reads what `to` holds of `set` now and compares it with `want`. */
static autocert_err verify(autocert_ctx *ctx, autocert_storage *to, const area *ar,
                           const char *set, const autocert_item *want, size_t n)
{
    autocert_item got[MAX_ITEMS];
    size_t m = 0, i;
    autocert_err rc = load_items(ctx, to, ar, set, got, &m);

    if (rc == AUTOCERT_OK && m != n)
        rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: %zu items copied, %zu read back", set, n, m);
    for (i = 0; rc == AUTOCERT_OK && i < n; i++)
        if (strcmp(got[i].name, want[i].name) != 0 || got[i].len != want[i].len ||
            memcmp(got[i].data, want[i].data, want[i].len) != 0)
            rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s/%s reads back different from what was "
                        "copied", set, want[i].name);
    items_free(got, m);
    return rc;
}

/* Copies one set under both its locks; *copied the number of items. */
static autocert_err copy_set(autocert_ctx *ctx, autocert_storage *from, autocert_storage *to,
                             const area *ar, const char *set, size_t *copied)
{
    autocert_item it[MAX_ITEMS];
    size_t n = 0;
    autocert_err rc;

    *copied = 0;
    if ((rc = ac_storage_lock(ctx, from, set, MIGRATE_LOCK_WAIT_S)) != AUTOCERT_OK)
        return rc;
    if ((rc = ac_storage_lock(ctx, to, set, MIGRATE_LOCK_WAIT_S)) != AUTOCERT_OK) {
        ac_storage_unlock(from, set);
        return rc;
    }
    if ((rc = load_items(ctx, from, ar, set, it, &n)) == AUTOCERT_OK && n > 0 &&
        (rc = ac_storage_store(ctx, to, set, it, n)) == AUTOCERT_OK &&
        (rc = verify(ctx, to, ar, set, it, n)) == AUTOCERT_OK)
        *copied = n;
    items_free(it, n);
    ac_storage_unlock(to, set);
    ac_storage_unlock(from, set);
    return rc;
}

/* EXISTS when `to` holds any of the sets `keys` already. */
static autocert_err refuse_existing(autocert_ctx *ctx, autocert_storage *to, const char *prefix,
                                    char **keys, size_t n)
{
    char **there = NULL;
    size_t m = 0, i, j, clash = 0;
    const char *first = NULL;
    autocert_err rc = ac_storage_list(ctx, to, prefix, &there, &m);

    for (i = 0; rc == AUTOCERT_OK && i < n; i++)
        for (j = 0; j < m; j++)
            if (strcmp(keys[i], there[j]) == 0 && clash++ == 0)
                first = keys[i];
    if (rc == AUTOCERT_OK && clash > 0)
        rc = ac_err(ctx, AUTOCERT_ERR_EXISTS,
                    "%s already holds %s%s: nothing copied",
                    AC_SAFE(autocert_storage_describe(to)), first,
                    clash > 1 ? " and more sets" : "");
    autocert_strv_free(there, m);
    return rc;
}

static autocert_err migrate_area(autocert_ctx *ctx, autocert_storage *from, autocert_storage *to,
                                 const area *ar, int check_only, autocert_migrate_fn fn, void *arg)
{
    char **keys = NULL;
    size_t n = 0, i, copied;
    autocert_err rc = ac_storage_list(ctx, from, ar->prefix, &keys, &n);

    if (rc == AUTOCERT_OK && check_only)
        rc = refuse_existing(ctx, to, ar->prefix, keys, n);
    for (i = 0; rc == AUTOCERT_OK && !check_only && i < n; i++)
        if ((rc = copy_set(ctx, from, to, ar, keys[i], &copied)) == AUTOCERT_OK && copied > 0 &&
            fn != NULL)
            fn(arg, keys[i], copied);
    autocert_strv_free(keys, n);
    return rc;
}

autocert_err autocert_cache_migrate(autocert_ctx *ctx, autocert_storage *from,
                                    autocert_storage *to, unsigned flags,
                                    autocert_migrate_fn fn, void *arg)
{
    size_t i;
    autocert_err rc = AUTOCERT_OK;

    if (from == NULL || to == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "migrate needs two caches");
    if (from == to || strcmp(autocert_storage_describe(from), autocert_storage_describe(to)) == 0)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "migrate: %s is both source and destination",
                      AC_SAFE(autocert_storage_describe(from)));
    for (i = 0; rc == AUTOCERT_OK && !(flags & AUTOCERT_MIGRATE_FORCE) && i < N_AREAS; i++)
        rc = migrate_area(ctx, from, to, &areas[i], 1, NULL, NULL);
    for (i = 0; rc == AUTOCERT_OK && i < N_AREAS; i++)
        rc = migrate_area(ctx, from, to, &areas[i], 0, fn, arg);
    return rc;
}
