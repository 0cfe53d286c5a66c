/* storage.h: private declarations of the storage dispatcher and its backends. */
#ifndef AC_STORAGE_H
#define AC_STORAGE_H

#include "internal.h"

/* ---- storage.c: the dispatcher ----------------------------------------- */
struct autocert_storage {
    autocert_storage_ops ops; /* a whole copy: operations the backend lacks are NULL */
    void *be;
};

#define AC_STORAGE_NAME_MAX 253 /* bytes of one area, name or item name: any DNS name */

/* Nonzero when `set` is a valid "<area>/<name>" key, `item` a valid item
 * name, `prefix` a valid "<area>/" list prefix. */
int ac_storage_key_ok(const char *set);
int ac_storage_name_ok(const char *item);
int ac_storage_prefix_ok(const char *prefix);
/* What messages call an item (item NULL: the set): its path where the
 * backend has files, else "<store>: <set>/<item>".  malloc'd, or NULL. */
char *ac_storage_where(const autocert_storage *st, const char *set, const char *item);

/* The operations, each checking its keys first and recording a failure on
 * ctx with the backend's detail.  ac_storage_load returns NOT_FOUND
 * without a message, for the caller to word.  What the loads hand back is
 * followed by a NUL (not counted in the length), whatever the backend did:
 * PEM texts are used as C strings. */
autocert_err ac_storage_load(autocert_ctx *ctx, autocert_storage *st, const char *set,
                             const char *item, unsigned char **data, size_t *len);
autocert_err ac_storage_store(autocert_ctx *ctx, autocert_storage *st, const char *set,
                              const autocert_item *items, size_t n);
/* Loads several items of one set (n at most AC_STORAGE_ITEMS_MAX) through
 * the backend's load_items, or one by one: data[i] NULL where the item is
 * absent.  OK even when all are absent; on a failure (recorded on ctx,
 * naming the item where it concerns one) every data[i] is NULL. */
#define AC_STORAGE_ITEMS_MAX 16
autocert_err ac_storage_load_items(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                   const char *const *names, size_t n, unsigned char **data,
                                   size_t *len);
autocert_err ac_storage_store_item(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                   const autocert_item *item);
autocert_err ac_storage_lock(autocert_ctx *ctx, autocert_storage *st, const char *set,
                             int wait_s);
void ac_storage_unlock(autocert_storage *st, const char *set);
autocert_err ac_storage_list(autocert_ctx *ctx, autocert_storage *st, const char *prefix,
                             char ***keys, size_t *n);
autocert_err ac_storage_remove(autocert_ctx *ctx, autocert_storage *st, const char *set);
/* The file of an item (malloc'd), NULL where the backend has no files. */
char *ac_storage_path(const autocert_storage *st, const char *set, const char *item);

/* ---- shared.c: the optional operations of a fleet ---------------------- */
/* Nonzero when the backend holds live challenges / notifies changes. */
int ac_storage_has_challenges(const autocert_storage *st);
int ac_storage_has_changes(const autocert_storage *st);
/* Publishes a live challenge (OK without doing anything where the backend
 * has no challenges); a failure recorded on ctx. */
autocert_err ac_storage_challenge_put(autocert_ctx *ctx, autocert_storage *st, const char *type,
                                      const char *ident, const char *token,
                                      const char *key_auth, time_t expires);
/* Withdraws it; a failure is logged on ctx (may be NULL), not returned. */
void ac_storage_challenge_del(autocert_ctx *ctx, autocert_storage *st, const char *token);
/* The key authorization (malloc'd) of a published challenge by token, or
 * by identifier when token is NULL.  NOT_FOUND, or the backend's error,
 * recorded nowhere: responders' threads ask this for strangers. */
autocert_err ac_storage_challenge_get(autocert_storage *st, const char *type, const char *token,
                                      const char *ident, char **key_auth);
/* Waits at most timeout_ms for the keys of sets stored by others (see the
 * `changes` operation).  UNSUPPORTED (no message) where the backend has no
 * notification; other failures recorded on ctx. */
autocert_err ac_storage_changes(autocert_ctx *ctx, autocert_storage *st, int timeout_ms,
                                char ***keys, size_t *n);

/* The directory backend at `dir` (see autocert_storage_dir_new), a failure
 * recorded on ctx with its reason. */
autocert_err ac_storage_dir_open(autocert_ctx *ctx, const char *dir, autocert_storage **out);

/* The store named by `where`: a PostgreSQL URL (postgresql:// or
 * postgres://), else a directory; NULL: $AUTOCERT_CACHE (either kind),
 * else ~/.autocert-cache.  A failure recorded on ctx. */
autocert_err ac_storage_open(autocert_ctx *ctx, const char *where, autocert_storage **out);
/* The PostgreSQL backend (see autocert_storage_pg_new), a failure recorded on ctx. */
autocert_err ac_storage_pg_open(autocert_ctx *ctx, const char *conninfo, autocert_storage **out);

/* ---- dir.c: the directory backend --------------------------------------- */
extern const autocert_storage_ops ac_dir_ops;
/* Opens (creating it 0700 if missing) the cache directory `dir`, NULL for
 * the default ($AUTOCERT_CACHE, else ~/.autocert-cache); *be for ac_dir_ops. */
autocert_err ac_dir_open(const char *dir, void **be, char *detail);
/* Its absolute root directory (borrowed). */
const char *ac_dir_root(void *be);

#endif /* AC_STORAGE_H */
