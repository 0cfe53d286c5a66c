/* storage.c: the storage dispatcher: checks keys, calls the backend, words its failures. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "storage/pg.h"
#include "storage/storage.h"

/* The operations every backend has, up to and including `destroy`. */
#define OPS_MIN_SIZE (offsetof(autocert_storage_ops, destroy) + sizeof(void (*)(void *)))

autocert_storage *autocert_storage_new(const autocert_storage_ops *ops, void *be)
{
    autocert_storage *st;

    if (ops == NULL || ops->size < OPS_MIN_SIZE)
        return NULL;
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return NULL;
    /* Operations appended after the backend was built stay NULL. */
    memcpy(&st->ops, ops, ops->size < sizeof(st->ops) ? ops->size : sizeof(st->ops));
    st->ops.size = sizeof(st->ops);
    if (st->ops.lock == NULL || st->ops.unlock == NULL || st->ops.load == NULL ||
        st->ops.store == NULL || st->ops.store_item == NULL || st->ops.list == NULL ||
        st->ops.remove == NULL || st->ops.destroy == NULL) {
        free(st);
        return NULL;
    }
    st->be = be;
    return st;
}

autocert_err ac_storage_dir_open(autocert_ctx *ctx, const char *dir, autocert_storage **out)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    void *be = NULL;
    autocert_err rc;

    if (out == NULL)
        return AUTOCERT_ERR_INVALID;
    *out = NULL;
    if ((rc = ac_dir_open(dir, &be, detail)) != AUTOCERT_OK) {
        if (detail[0]) /* names the directory and the reason */
            return ac_err(ctx, rc, "%s", AC_SAFE(detail));
        return ac_err(ctx, rc, "cannot open cache directory %s: %s",
                      AC_SAFE(dir ? dir : "(the default)"), autocert_strerror(rc));
    }
    if ((*out = autocert_storage_new(&ac_dir_ops, be)) == NULL) {
        ac_dir_ops.destroy(be);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    return AUTOCERT_OK;
}

autocert_err autocert_storage_dir_new(const char *dir, autocert_storage **out)
{
    return ac_storage_dir_open(NULL, dir, out);
}

autocert_err ac_storage_pg_open(autocert_ctx *ctx, const char *conninfo, autocert_storage **out)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    const autocert_storage_ops *ops = NULL;
    void *be = NULL;
    autocert_err rc;

    if (out == NULL || conninfo == NULL || *conninfo == '\0')
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "no PostgreSQL connection string");
    *out = NULL;
    if ((rc = ac_pg_open(conninfo, &ops, &be, detail)) != AUTOCERT_OK)
        return ac_err(ctx, rc, "%s", detail[0] ? AC_SAFE(detail) : autocert_strerror(rc));
    if ((*out = autocert_storage_new(ops, be)) == NULL) {
        ops->destroy(be);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    return AUTOCERT_OK;
}

autocert_err autocert_storage_pg_new(const char *conninfo, autocert_storage **out)
{
    return ac_storage_pg_open(NULL, conninfo, out);
}

autocert_err ac_storage_open(autocert_ctx *ctx, const char *where, autocert_storage **out)
{
    const char *env = getenv("AUTOCERT_CACHE");

    if (where == NULL && env != NULL && ac_pg_is_url(env))
        where = env;
    if (where != NULL && ac_pg_is_url(where))
        return ac_storage_pg_open(ctx, where, out);
    return ac_storage_dir_open(ctx, where, out);
}

autocert_err autocert_storage_open(autocert_ctx *ctx, const char *where, autocert_storage **out)
{
    return ac_storage_open(ctx, where, out);
}

autocert_err autocert_storage_set_key_file(autocert_ctx *ctx, autocert_storage *st,
                                           const char *path)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    unsigned char key[AC_PG_KEY_LEN];
    autocert_err rc;

    if (st == NULL || path == NULL || *path == '\0')
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "no key file");
    if (!ac_pg_owns(&st->ops))
        return ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED,
                      "the cache %s keeps keys as files: a key file is for a PostgreSQL cache",
                      st->ops.describe ? AC_SAFE(st->ops.describe(st->be)) : "(storage)");
    if ((rc = ac_pgcrypt_read_key(path, key, detail)) != AUTOCERT_OK)
        return ac_err(ctx, rc, "%s", AC_SAFE(detail));
    ac_pg_set_key(st->be, key);
    OPENSSL_cleanse(key, sizeof(key));
    return AUTOCERT_OK;
}

const char *autocert_storage_describe(const autocert_storage *st)
{
    const char *d = st && st->ops.describe ? st->ops.describe(st->be) : NULL;

    return d ? d : "(storage)";
}

void autocert_storage_free(autocert_storage *st)
{
    if (st == NULL)
        return;
    st->ops.destroy(st->be);
    free(st);
}

const char *autocert_storage_dir_root(const autocert_storage *st)
{
    if (st == NULL || st->ops.destroy != ac_dir_ops.destroy)
        return NULL;
    return ac_dir_root(st->be);
}

/* ---- keys ------------------------------------------------------------------ */

/* Nonzero when s[0..len) is one valid component. */
static int component_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > AC_STORAGE_NAME_MAX || s[0] == '.')
        return 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == ':' || c == '+' || c == '-'))
            return 0;
    }
    return 1;
}

int ac_storage_name_ok(const char *item)
{
    return item != NULL && component_ok(item, strnlen(item, AC_STORAGE_NAME_MAX + 1));
}

int ac_storage_key_ok(const char *set)
{
    const char *slash = set ? strchr(set, '/') : NULL;

    return slash != NULL && component_ok(set, (size_t)(slash - set)) && ac_storage_name_ok(slash + 1);
}

int ac_storage_prefix_ok(const char *prefix)
{
    size_t n = prefix ? strnlen(prefix, AC_STORAGE_NAME_MAX + 2) : 0;

    return n >= 2 && prefix[n - 1] == '/' && component_ok(prefix, n - 1);
}

char *ac_storage_where(const autocert_storage *st, const char *set, const char *item)
{
    const char *store = st->ops.describe ? st->ops.describe(st->be) : NULL;
    char *path = st->ops.path ? st->ops.path(st->be, set, item) : NULL;
    ac_buf b;

    if (path != NULL)
        return path;
    ac_buf_init(&b, 4096);
    if (ac_buf_appendf(&b, "%s: %s%s%s", store ? store : "storage", set, item ? "/" : "",
                       item ? item : "") != 0) {
        ac_buf_free(&b);
        return NULL;
    }
    return ac_buf_steal(&b);
}

char *ac_storage_path(const autocert_storage *st, const char *set, const char *item)
{
    if (st->ops.path == NULL || !ac_storage_key_ok(set) || (item && !ac_storage_name_ok(item)))
        return NULL;
    return st->ops.path(st->be, set, item);
}

/* Records a failed operation: "<what> <where>: <detail or code text>". */
static autocert_err failed(autocert_ctx *ctx, const autocert_storage *st, autocert_err rc,
                           const char *what, const char *set, const char *item,
                           const char *detail)
{
    char *where = ac_storage_where(st, set, item);

    ac_err(ctx, rc, "%s %s: %s", what, where ? where : set,
           detail[0] ? detail : autocert_strerror(rc));
    free(where);
    return rc;
}

/* An invalid key never reaches a backend. */
static autocert_err bad_key(autocert_ctx *ctx, const char *set, const char *item)
{
    return ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid cache key '%.80s%s%.80s'", set ? set : "",
                  item ? "/" : "", item ? item : "");
}

/* ---- operations ------------------------------------------------------------ */

/* Puts a NUL after the `len` bytes of a loaded item: backends need not (the
 * ops contract asks for none), while the cache hands PEM texts out as C
 * strings.  The backend's buffer is cleansed (it may hold a key); on
 * failure it is freed and *data is NULL. */
static int terminate(unsigned char **data, size_t len)
{
    unsigned char *t = len < SIZE_MAX ? malloc(len + 1) : NULL;

    if (t != NULL) {
        if (len > 0)
            memcpy(t, *data, len);
        t[len] = '\0';
    }
    ac_free_secret(*data, len);
    *data = t;
    return t != NULL ? 0 : -1;
}

autocert_err ac_storage_load(autocert_ctx *ctx, autocert_storage *st, const char *set,
                             const char *item, unsigned char **data, size_t *len)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    autocert_err rc;

    *data = NULL;
    *len = 0;
    if (!ac_storage_key_ok(set) || !ac_storage_name_ok(item))
        return bad_key(ctx, set, item);
    rc = st->ops.load(st->be, set, item, data, len, detail);
    if (rc != AUTOCERT_OK && rc != AUTOCERT_ERR_NOT_FOUND)
        return failed(ctx, st, rc, "cannot read cache file", set, item, detail);
    if (rc == AUTOCERT_OK && terminate(data, *len) != 0) {
        *len = 0;
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    return rc;
}

/* Frees what a failed load of several items got: any may be a key. */
static void drop_items(unsigned char **data, size_t *len, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (data[i] != NULL)
            ac_free_secret(data[i], len[i]);
        data[i] = NULL;
        len[i] = 0;
    }
}

/* Without the backend's load_items: one load an item. */
static autocert_err load_each(autocert_storage *st, const char *set, const char *const *names,
                              size_t n, unsigned char **data, size_t *len, size_t *bad,
                              char *detail)
{
    autocert_err rc;

    for (*bad = 0; *bad < n; (*bad)++) {
        rc = st->ops.load(st->be, set, names[*bad], &data[*bad], &len[*bad], detail);
        if (rc == AUTOCERT_ERR_NOT_FOUND) {
            data[*bad] = NULL;
            len[*bad] = 0;
        } else if (rc != AUTOCERT_OK) {
            return rc;
        }
    }
    return AUTOCERT_OK;
}

autocert_err ac_storage_load_items(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                   const char *const *names, size_t n, unsigned char **data,
                                   size_t *len)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    size_t i, bad = n;
    autocert_err rc;

    for (i = 0; i < n; i++) {
        data[i] = NULL;
        len[i] = 0;
    }
    if (!ac_storage_key_ok(set) || n > AC_STORAGE_ITEMS_MAX)
        return bad_key(ctx, set, NULL);
    for (i = 0; i < n; i++)
        if (!ac_storage_name_ok(names[i]))
            return bad_key(ctx, set, names[i]);
    if (st->ops.load_items != NULL)
        rc = st->ops.load_items(st->be, set, names, n, data, len, &bad, detail);
    else
        rc = load_each(st, set, names, n, data, len, &bad, detail);
    for (i = 0; rc == AUTOCERT_OK && i < n; i++) {
        if (data[i] != NULL && terminate(&data[i], len[i]) != 0) {
            drop_items(data, len, n);
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        }
    }
    if (rc == AUTOCERT_OK)
        return AUTOCERT_OK;
    drop_items(data, len, n);
    if (rc == AUTOCERT_ERR_NOT_FOUND) /* the set is absent: so is each item */
        return AUTOCERT_OK;
    return failed(ctx, st, rc, "cannot read cache file", set, bad < n ? names[bad] : NULL,
                  detail);
}

autocert_err ac_storage_store(autocert_ctx *ctx, autocert_storage *st, const char *set,
                              const autocert_item *items, size_t n)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    size_t i, j;
    double t0;
    autocert_err rc;

    if (!ac_storage_key_ok(set) || (n > 0 && items == NULL))
        return bad_key(ctx, set, NULL);
    for (i = 0; i < n; i++) {
        if (!ac_storage_name_ok(items[i].name) || (items[i].len > 0 && items[i].data == NULL))
            return bad_key(ctx, set, items[i].name);
        for (j = 0; j < i; j++)
            if (strcmp(items[i].name, items[j].name) == 0)
                return bad_key(ctx, set, items[i].name);
    }
    t0 = ac_now();
    rc = st->ops.store(st->be, set, items, n, detail);
    ac_ctx_spent(ctx, AC_TIME_STORE, t0);
    if (rc != AUTOCERT_OK)
        return failed(ctx, st, rc, "cannot store", set, NULL, detail);
    return AUTOCERT_OK;
}

autocert_err ac_storage_store_item(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                   const autocert_item *item)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    double t0;
    autocert_err rc;

    if (!ac_storage_key_ok(set) || !ac_storage_name_ok(item->name) ||
        (item->len > 0 && item->data == NULL))
        return bad_key(ctx, set, item->name);
    t0 = ac_now();
    rc = st->ops.store_item(st->be, set, item, detail);
    ac_ctx_spent(ctx, AC_TIME_STORE, t0);
    if (rc != AUTOCERT_OK)
        return failed(ctx, st, rc, "cannot store", set, item->name, detail);
    return AUTOCERT_OK;
}

autocert_err ac_storage_lock(autocert_ctx *ctx, autocert_storage *st, const char *set,
                             int wait_s)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    autocert_err rc;

    if (!ac_storage_key_ok(set))
        return bad_key(ctx, set, NULL);
    rc = st->ops.lock(st->be, set, wait_s, detail);
    if (rc == AUTOCERT_ERR_LOCKED && detail[0] == '\0')
        snprintf(detail, sizeof(detail), "locked by another process (waited %d s)", wait_s);
    if (rc != AUTOCERT_OK)
        return failed(ctx, st, rc, "cannot lock", set, NULL, detail);
    return AUTOCERT_OK;
}

void ac_storage_unlock(autocert_storage *st, const char *set)
{
    if (ac_storage_key_ok(set))
        st->ops.unlock(st->be, set);
}

/* Drops the keys no engine would have made (a stray directory). */
static void keep_valid(char **keys, size_t *n)
{
    size_t i, k = 0;

    for (i = 0; i < *n; i++) {
        if (ac_storage_key_ok(keys[i]))
            keys[k++] = keys[i];
        else
            free(keys[i]);
    }
    *n = k;
}

autocert_err ac_storage_list(autocert_ctx *ctx, autocert_storage *st, const char *prefix,
                             char ***keys, size_t *n)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    const char *store = st->ops.describe ? st->ops.describe(st->be) : "storage";
    autocert_err rc;

    *keys = NULL;
    *n = 0;
    if (!ac_storage_prefix_ok(prefix))
        return bad_key(ctx, prefix, NULL);
    if ((rc = st->ops.list(st->be, prefix, keys, n, detail)) != AUTOCERT_OK)
        return ac_err(ctx, rc, "cannot list cache %s: %s", store,
                      detail[0] ? detail : autocert_strerror(rc));
    keep_valid(*keys, n);
    return AUTOCERT_OK;
}

autocert_err ac_storage_remove(autocert_ctx *ctx, autocert_storage *st, const char *set)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    autocert_err rc;

    if (!ac_storage_key_ok(set))
        return bad_key(ctx, set, NULL);
    rc = st->ops.remove(st->be, set, detail);
    if (rc != AUTOCERT_OK && rc != AUTOCERT_ERR_NOT_FOUND)
        return failed(ctx, st, rc, "cannot remove", set, NULL, detail);
    return rc;
}
