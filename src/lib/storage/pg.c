/* pg.c: the PostgreSQL storage backend: sets as rows, each replaced whole in one transaction; secret items sealed with a key file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "storage/pg.h"

/*
 * Every operation runs on the backend's one session under its mutex (a
 * process's operations are short next to an ACME order), connecting first
 * when there is none: a session lost fails the operation that finds it
 * lost, and the next operation connects anew.  Values only ever travel as
 * statement parameters, item data as binary bytea.
 */

/* A big-endian integer of a binary result column. */
static long long be_int(const char *p, int len)
{
    unsigned long long v = 0;
    int i;

    for (i = 0; i < len; i++)
        v = v << 8 | (unsigned char)p[i];
    if (len == 2)
        return (long long)(short)v;
    return (long long)v;
}

/* The item's bytes as the caller gets them: opened when sealed. */
static autocert_err item_data(ac_pg *pg, const char *set, const char *item, PGresult *res,
                              int row, unsigned char **data, size_t *len, char *detail)
{
    const char *raw = ac_pq.getvalue(res, row, 0);
    size_t n = (size_t)ac_pq.getlength(res, row, 0);
    long long sealed = be_int(ac_pq.getvalue(res, row, 2), ac_pq.getlength(res, row, 2));
    long long gen = be_int(ac_pq.getvalue(res, row, 3), ac_pq.getlength(res, row, 3));
    autocert_err rc;

    if (n > AC_MAX_FILE + AC_PGCRYPT_OVERHEAD || sealed < 0 || sealed > 1) {
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "%s",
                 sealed ? "sealed in a way this autocert does not know" : "too large");
        return AUTOCERT_ERR_CORRUPT;
    }
    if (sealed == 0) {
        if ((*data = malloc(n + 1)) == NULL)
            return AUTOCERT_ERR_NOMEM;
        memcpy(*data, raw, n);
        (*data)[n] = '\0';
        *len = n;
        return AUTOCERT_OK;
    }
    /* The dispatcher's message names the store, the set and the item. */
    if (!pg->has_key) {
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "encrypted, and no key file was given to "
                                                  "open it");
        return AUTOCERT_ERR_PASSWORD;
    }
    rc = ac_pgcrypt_open(pg->key, set, item, gen, (const unsigned char *)raw, n, data, len);
    if (rc == AUTOCERT_ERR_PASSWORD)
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "encrypted with another key than that of "
                                                  "the key file: refused");
    else if (rc == AUTOCERT_ERR_CORRUPT)
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "corrupt: it does not authenticate as this "
                 "item of this set (changed, or moved from another row)");
    return rc;
}

/* A key in clear leaves no copy in the result's memory. */
static void clear_secrets(PGresult *res, int rows)
{
    int row;

    for (row = 0; row < rows; row++)
        if (ac_pq.getlength(res, row, 1) == 1 && ac_pq.getvalue(res, row, 1)[0] != 0)
            OPENSSL_cleanse(ac_pq.getvalue(res, row, 0), (size_t)ac_pq.getlength(res, row, 0));
}

static autocert_err pg_load(void *be, const char *set, const char *item, unsigned char **data,
                            size_t *len, char *detail)
{
    ac_pg *pg = be;
    const char *vals[2] = {set, item};
    PGresult *res = NULL;
    autocert_err rc;

    *data = NULL;
    *len = 0;
    pthread_mutex_lock(&pg->mu);
    if ((rc = ac_pg_ready(pg, detail)) == AUTOCERT_OK &&
        (res = ac_pg_exec(pg,
                          "SELECT i.data, i.secret, i.sealed, s.generation FROM autocert_items i"
                          " JOIN autocert_sets s ON s.key = i.set_key"
                          " WHERE i.set_key = $1 AND i.name = $2",
                          2, vals, NULL, NULL, 1, PGRES_TUPLES_OK, &rc, detail)) != NULL) {
        if (ac_pq.ntuples(res) != 1 || ac_pq.nfields(res) != 4) {
            rc = AUTOCERT_ERR_NOT_FOUND;
        } else {
            rc = item_data(pg, set, item, res, 0, data, len, detail);
            clear_secrets(res, 1);
        }
    }
    pthread_mutex_unlock(&pg->mu);
    ac_pq.clear(res);
    return rc;
}

/* The items of one set in one statement, so of one generation. */
static autocert_err pg_load_items(void *be, const char *set, const char *const *names, size_t n,
                                  unsigned char **data, size_t *len, size_t *failed,
                                  char *detail)
{
    ac_pg *pg = be;
    PGresult *res = NULL;
    autocert_err rc;
    int row, rows;

    *failed = n;
    pthread_mutex_lock(&pg->mu);
    if ((rc = ac_pg_ready(pg, detail)) == AUTOCERT_OK &&
        (res = ac_pg_exec(pg,
                          "SELECT i.data, i.secret, i.sealed, s.generation, i.name"
                          " FROM autocert_items i JOIN autocert_sets s ON s.key = i.set_key"
                          " WHERE i.set_key = $1",
                          1, &set, NULL, NULL, 1, PGRES_TUPLES_OK, &rc, detail)) != NULL) {
        rows = ac_pq.nfields(res) == 5 ? ac_pq.ntuples(res) : 0;
        for (row = 0; row < rows && rc == AUTOCERT_OK; row++)
            for (*failed = 0; *failed < n; (*failed)++)
                if (strcmp(ac_pq.getvalue(res, row, 4), names[*failed]) == 0 &&
                    data[*failed] == NULL) {
                    rc = item_data(pg, set, names[*failed], res, row, &data[*failed],
                                   &len[*failed], detail);
                    break;
                }
        if (rc == AUTOCERT_OK)
            *failed = n;
        clear_secrets(res, rows);
    }
    pthread_mutex_unlock(&pg->mu);
    ac_pq.clear(res);
    return rc;
}

/* Inserts or replaces one item of a set of generation `gen` (in a
 * transaction), sealing a secret one when a key is set. */
static autocert_err put_item(ac_pg *pg, const char *set, const autocert_item *it, long long gen,
                             char *detail)
{
    unsigned char *sealed = NULL;
    size_t slen = 0;
    int seal = it->secret && pg->has_key;
    const char *vals[5];
    int lens[5] = {0, 0, 0, 0, 0}, fmts[5] = {0, 0, 1, 0, 0};
    autocert_err rc = AUTOCERT_OK;
    PGresult *res;

    if (seal && (rc = ac_pgcrypt_seal(pg->key, set, it->name, gen, it->data, it->len, &sealed,
                                      &slen)) != AUTOCERT_OK)
        return rc;
    vals[0] = set;
    vals[1] = it->name;
    vals[2] = seal ? (const char *)sealed : (it->len ? (const char *)it->data : "");
    lens[2] = (int)(seal ? slen : it->len);
    vals[3] = it->secret ? "t" : "f";
    vals[4] = seal ? "1" : "0";
    res = ac_pg_exec(pg,
                     "INSERT INTO autocert_items (set_key, name, data, secret, sealed)"
                     " VALUES ($1, $2, $3, $4::boolean, $5::smallint)"
                     " ON CONFLICT (set_key, name) DO UPDATE SET data = EXCLUDED.data,"
                     " secret = EXCLUDED.secret, sealed = EXCLUDED.sealed",
                     5, vals, lens, fmts, 0, PGRES_COMMAND_OK, &rc, detail);
    ac_pq.clear(res);
    free(sealed);
    return rc;
}

/* The generation of `set` after `sql` (which returns it) ran with the set key. */
static autocert_err generation(ac_pg *pg, const char *sql, const char *set, long long *gen,
                               char *detail)
{
    const char *vals[1] = {set};
    autocert_err rc;
    PGresult *res = ac_pg_exec(pg, sql, 1, vals, NULL, NULL, 0, PGRES_TUPLES_OK, &rc, detail);

    if (res == NULL)
        return rc;
    if (ac_pq.ntuples(res) != 1)
        rc = AUTOCERT_ERR_NOT_FOUND;
    else
        *gen = strtoll(ac_pq.getvalue(res, 0, 0), NULL, 10);
    ac_pq.clear(res);
    return rc;
}

/* Starts a write: connected, the set's lock (if taken) still ours, BEGIN. */
static autocert_err begin_write(ac_pg *pg, const char *set, char *detail)
{
    autocert_err rc;

    if ((rc = ac_pg_ready(pg, detail)) != AUTOCERT_OK ||
        (rc = ac_pg_lock_check(pg, set, detail)) != AUTOCERT_OK)
        return rc;
    return ac_pg_cmd(pg, "BEGIN", detail);
}

/* Ends a write: COMMIT after success, else ROLLBACK. */
static autocert_err end_write(ac_pg *pg, autocert_err rc, char *detail)
{
    if (rc == AUTOCERT_OK)
        rc = ac_pg_cmd(pg, "COMMIT", detail);
    if (rc != AUTOCERT_OK)
        ac_pg_rollback(pg);
    return rc;
}

static autocert_err pg_store(void *be, const char *set, const autocert_item *items, size_t n,
                             char *detail)
{
    ac_pg *pg = be;
    const char *vals[1] = {set};
    long long gen = 0;
    size_t i;
    autocert_err rc;

    pthread_mutex_lock(&pg->mu);
    if ((rc = begin_write(pg, set, detail)) == AUTOCERT_OK) {
        rc = generation(pg,
                        "INSERT INTO autocert_sets (key, generation) VALUES ($1, 1)"
                        " ON CONFLICT (key) DO UPDATE SET generation = autocert_sets.generation + 1,"
                        " updated_at = now() RETURNING generation",
                        set, &gen, detail);
        if (rc == AUTOCERT_OK)
            ac_pq.clear(ac_pg_exec(pg, "DELETE FROM autocert_items WHERE set_key = $1", 1, vals, NULL,
                               NULL, 0, PGRES_COMMAND_OK, &rc, detail));
        for (i = 0; rc == AUTOCERT_OK && i < n; i++)
            rc = put_item(pg, set, &items[i], gen, detail);
        if (rc == AUTOCERT_OK)
            rc = ac_pg_notify(pg, set, detail);
        rc = end_write(pg, rc, detail);
    }
    pthread_mutex_unlock(&pg->mu);
    return rc;
}

static autocert_err pg_store_item(void *be, const char *set, const autocert_item *item,
                                  char *detail)
{
    ac_pg *pg = be;
    long long gen = 0;
    autocert_err rc;

    pthread_mutex_lock(&pg->mu);
    if ((rc = begin_write(pg, set, detail)) == AUTOCERT_OK) {
        rc = generation(pg,
                        "UPDATE autocert_sets SET updated_at = now() WHERE key = $1"
                        " RETURNING generation",
                        set, &gen, detail);
        if (rc == AUTOCERT_OK)
            rc = put_item(pg, set, item, gen, detail);
        rc = end_write(pg, rc, detail);
    }
    pthread_mutex_unlock(&pg->mu);
    return rc;
}

/* The end of the key range of `prefix` ("certs/" -> "certs0"): keys
 * compare bytewise, so the prefix's keys are those in [prefix, end). */
static char *range_end(const char *prefix)
{
    char *end = strdup(prefix);
    size_t n = end ? strlen(end) : 0;

    if (n > 0)
        end[n - 1] = (char)(end[n - 1] + 1); /* '/' + 1: the dispatcher checked the prefix */
    return end;
}

static autocert_err collect(PGresult *res, char ***keys, size_t *n)
{
    int i, rows = ac_pq.ntuples(res);
    char **v = calloc(rows > 0 ? (size_t)rows : 1, sizeof(char *));

    if (v == NULL)
        return AUTOCERT_ERR_NOMEM;
    for (i = 0; i < rows; i++)
        if ((v[i] = strdup(ac_pq.getvalue(res, i, 0))) == NULL) {
            autocert_strv_free(v, (size_t)i);
            return AUTOCERT_ERR_NOMEM;
        }
    *keys = v;
    *n = (size_t)rows;
    return AUTOCERT_OK;
}

static autocert_err pg_list(void *be, const char *prefix, char ***keys, size_t *n, char *detail)
{
    ac_pg *pg = be;
    char *end = range_end(prefix);
    const char *vals[2] = {prefix, end};
    PGresult *res = NULL;
    autocert_err rc;

    *keys = NULL;
    *n = 0;
    if (end == NULL)
        return AUTOCERT_ERR_NOMEM;
    pthread_mutex_lock(&pg->mu);
    if ((rc = ac_pg_ready(pg, detail)) == AUTOCERT_OK &&
        (res = ac_pg_exec(pg,
                          "SELECT key FROM autocert_sets WHERE key >= $1 AND key < $2 ORDER BY key",
                          2, vals, NULL, NULL, 0, PGRES_TUPLES_OK, &rc, detail)) != NULL)
        rc = collect(res, keys, n);
    pthread_mutex_unlock(&pg->mu);
    ac_pq.clear(res);
    free(end);
    return rc;
}

static autocert_err pg_remove(void *be, const char *set, char *detail)
{
    ac_pg *pg = be;
    const char *vals[1] = {set};
    PGresult *res = NULL;
    autocert_err rc;

    pthread_mutex_lock(&pg->mu);
    if ((rc = ac_pg_ready(pg, detail)) == AUTOCERT_OK &&
        (rc = ac_pg_lock_check(pg, set, detail)) == AUTOCERT_OK &&
        (res = ac_pg_exec(pg, "DELETE FROM autocert_sets WHERE key = $1", 1, vals, NULL, NULL, 0,
                          PGRES_COMMAND_OK, &rc, detail)) != NULL &&
        strcmp(ac_pq.cmd_tuples(res), "0") == 0)
        rc = AUTOCERT_ERR_NOT_FOUND;
    pthread_mutex_unlock(&pg->mu);
    ac_pq.clear(res);
    return rc;
}

static const char *pg_describe(void *be)
{
    return ((ac_pg *)be)->name;
}

static void pg_destroy(void *be)
{
    ac_pg *pg = be;

    if (pg == NULL)
        return;
    if (pg->conn != NULL)
        ac_pq.finish(pg->conn); /* the server releases the session's locks */
    ac_pg_locks_free(pg);
    ac_pg_watch_free(pg);
    pthread_mutex_destroy(&pg->mu);
    pthread_mutex_destroy(&pg->lmu);
    OPENSSL_cleanse(pg->key, sizeof(pg->key));
    if (pg->conninfo != NULL)
        OPENSSL_cleanse(pg->conninfo, strlen(pg->conninfo));
    free(pg->conninfo);
    free(pg->name);
    free(pg);
}

static const autocert_storage_ops pg_ops = {
    .size = sizeof(autocert_storage_ops),
    .lock = ac_pg_lock,
    .unlock = ac_pg_unlock,
    .load = pg_load,
    .store = pg_store,
    .store_item = pg_store_item,
    .list = pg_list,
    .remove = pg_remove,
    .path = NULL,
    .describe = pg_describe,
    .destroy = pg_destroy,
    .challenge_put = ac_pg_challenge_put,
    .challenge_del = ac_pg_challenge_del,
    .challenge_get = ac_pg_challenge_get,
    .changes = ac_pg_changes,
    .load_items = pg_load_items,
};

autocert_err ac_pg_open(const char *conninfo, const autocert_storage_ops **ops, void **be,
                        char *detail)
{
    ac_pg *pg;
    autocert_err rc;

    *be = NULL;
    *ops = &pg_ops;
    if (ac_pq_load(detail, AUTOCERT_STORAGE_DETAIL) != 0)
        return AUTOCERT_ERR_UNSUPPORTED;
    if ((pg = calloc(1, sizeof(*pg))) == NULL)
        return AUTOCERT_ERR_NOMEM;
    if (pthread_mutex_init(&pg->mu, NULL) != 0) {
        free(pg);
        return AUTOCERT_ERR_NOMEM;
    }
    if (pthread_mutex_init(&pg->lmu, NULL) != 0) {
        pthread_mutex_destroy(&pg->mu);
        free(pg);
        return AUTOCERT_ERR_NOMEM;
    }
    if ((pg->conninfo = strdup(conninfo)) == NULL || (pg->name = ac_pg_redact(conninfo)) == NULL) {
        pg_destroy(pg);
        return AUTOCERT_ERR_NOMEM;
    }
    /* Connect now: a wrong address or password shows at once. */
    pthread_mutex_lock(&pg->mu);
    rc = ac_pg_ready(pg, detail);
    pthread_mutex_unlock(&pg->mu);
    if (rc != AUTOCERT_OK) {
        pg_destroy(pg);
        return rc;
    }
    *be = pg;
    return AUTOCERT_OK;
}

int ac_pg_owns(const autocert_storage_ops *ops)
{
    return ops != NULL && ops->destroy == pg_destroy;
}

void ac_pg_set_key(void *be, const unsigned char key[AC_PG_KEY_LEN])
{
    ac_pg *pg = be;

    pthread_mutex_lock(&pg->mu);
    memcpy(pg->key, key, AC_PG_KEY_LEN);
    pg->has_key = 1;
    pthread_mutex_unlock(&pg->mu);
}
