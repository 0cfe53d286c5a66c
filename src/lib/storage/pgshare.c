/* pgshare.c: the PostgreSQL backend's fleet operations: live challenges in a table, and NOTIFY/LISTEN on every store of a set. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/pg.h"

#define MAX_CHANGES 4096 /* keys returned by one call: beyond, "*" */

/* Runs one statement on the main session (takes mu). */
static autocert_err run(ac_pg *pg, const char *sql, int n, const char *const *vals,
                        ExecStatusType want, PGresult **out, char *detail)
{
    PGresult *res = NULL;
    autocert_err rc;

    pthread_mutex_lock(&pg->mu);
    if ((rc = ac_pg_ready(pg, detail)) == AUTOCERT_OK)
        res = ac_pg_exec(pg, sql, n, vals, NULL, NULL, 0, want, &rc, detail);
    pthread_mutex_unlock(&pg->mu);
    if (out != NULL)
        *out = res;
    else
        ac_pq.clear(res);
    return rc;
}

autocert_err ac_pg_challenge_put(void *be, const char *type, const char *ident,
                                 const char *token, const char *key_auth, time_t expires,
                                 char *detail)
{
    char exp[32];
    const char *vals[5] = {token, type, ident, key_auth, exp};

    snprintf(exp, sizeof(exp), "%lld", (long long)expires);
    /* What expired an hour ago goes with the next publication. */
    (void)run(be, "DELETE FROM autocert_challenges WHERE expires_at < now() - interval '1 hour'",
              0, NULL, PGRES_COMMAND_OK, NULL, detail);
    detail[0] = '\0';
    return run(be,
               "INSERT INTO autocert_challenges (token, type, identifier, key_auth, expires_at)"
               " VALUES ($1, $2, $3, $4, to_timestamp($5::bigint))"
               " ON CONFLICT (token) DO UPDATE SET type = EXCLUDED.type,"
               " identifier = EXCLUDED.identifier, key_auth = EXCLUDED.key_auth,"
               " expires_at = EXCLUDED.expires_at",
               5, vals, PGRES_COMMAND_OK, NULL, detail);
}

autocert_err ac_pg_challenge_del(void *be, const char *token, char *detail)
{
    const char *vals[1] = {token};

    return run(be, "DELETE FROM autocert_challenges WHERE token = $1", 1, vals, PGRES_COMMAND_OK,
               NULL, detail);
}

autocert_err ac_pg_challenge_get(void *be, const char *type, const char *token,
                                 const char *ident, char **key_auth, char *detail)
{
    const char *vals[2] = {type, token ? token : ident};
    PGresult *res = NULL;
    autocert_err rc;

    *key_auth = NULL;
    rc = run(be,
             token ? "SELECT key_auth FROM autocert_challenges WHERE type = $1 AND token = $2"
                     " AND expires_at > now()"
                   : "SELECT key_auth FROM autocert_challenges WHERE type = $1"
                     " AND lower(identifier) = lower($2) AND expires_at > now()"
                     " ORDER BY expires_at DESC LIMIT 1",
             2, vals, PGRES_TUPLES_OK, &res, detail);
    if (rc != AUTOCERT_OK)
        return rc;
    if (ac_pq.ntuples(res) < 1)
        rc = AUTOCERT_ERR_NOT_FOUND;
    else if ((*key_auth = strdup(ac_pq.getvalue(res, 0, 0))) == NULL)
        rc = AUTOCERT_ERR_NOMEM;
    ac_pq.clear(res);
    return rc;
}

autocert_err ac_pg_notify(ac_pg *pg, const char *set, char *detail)
{
    const char *vals[1] = {set};
    autocert_err rc;

    ac_pq.clear(ac_pg_exec(pg, "SELECT pg_notify('" AC_PG_CHANNEL "', $1)", 1, vals, NULL, NULL, 0,
                       PGRES_TUPLES_OK, &rc, detail));
    return rc;
}

void ac_pg_watch_free(ac_pg *pg)
{
    if (pg->lconn != NULL)
        ac_pq.finish(pg->lconn);
    pg->lconn = NULL;
}

/* The watch session, opened with LISTEN (caller holds lmu): *fresh when new. */
static autocert_err watch_open(ac_pg *pg, int *fresh, char *detail)
{
    PGresult *res;

    *fresh = 0;
    if (pg->lconn != NULL && ac_pq.status(pg->lconn) == CONNECTION_OK)
        return AUTOCERT_OK;
    ac_pg_watch_free(pg);
    if ((pg->lconn = ac_pg_session(pg)) == NULL)
        return AUTOCERT_ERR_NOMEM;
    ac_pq.set_notice_processor(pg->lconn, ac_pg_no_notice, NULL);
    if (ac_pq.status(pg->lconn) == CONNECTION_OK) {
        res = ac_pq.exec(pg->lconn, "LISTEN " AC_PG_CHANNEL);
        if (res != NULL && ac_pq.result_status(res) == PGRES_COMMAND_OK) {
            ac_pq.clear(res);
            *fresh = 1;
            return AUTOCERT_OK;
        }
        ac_pq.clear(res);
    }
    ac_pg_detail(pg, detail, "cannot listen for changes in database", ac_pq.error_message(pg->lconn));
    ac_pg_watch_free(pg);
    return AUTOCERT_ERR_NETWORK;
}

/* Appends a copy of `key` to the list; past MAX_CHANGES the list is "*". */
static autocert_err add_key(char ***keys, size_t *n, const char *key)
{
    char **v;

    if (*n > 0 && strcmp((*keys)[0], "*") == 0)
        return AUTOCERT_OK;
    if (*n >= MAX_CHANGES) {
        autocert_strv_free(*keys, *n);
        *keys = NULL;
        *n = 0;
        key = "*";
    }
    if ((v = realloc(*keys, (*n + 1) * sizeof(*v))) == NULL)
        return AUTOCERT_ERR_NOMEM;
    *keys = v;
    if ((v[*n] = strdup(key)) == NULL)
        return AUTOCERT_ERR_NOMEM;
    (*n)++;
    return AUTOCERT_OK;
}

/* Drains what arrived (caller holds lmu). */
static autocert_err drain(ac_pg *pg, char ***keys, size_t *n, char *detail)
{
    PGnotify *nt;
    autocert_err rc = AUTOCERT_OK;

    if (ac_pq.consume_input(pg->lconn) != 1) {
        ac_pg_detail(pg, detail, "lost the connection to database", ac_pq.error_message(pg->lconn));
        ac_pg_watch_free(pg);
        return AUTOCERT_ERR_NETWORK;
    }
    while ((nt = ac_pq.notifies(pg->lconn)) != NULL) {
        if (rc == AUTOCERT_OK && strcmp(nt->relname, AC_PG_CHANNEL) == 0)
            rc = add_key(keys, n, nt->extra);
        ac_pq.freemem(nt);
    }
    return rc;
}

autocert_err ac_pg_changes(void *be, int timeout_ms, char ***keys, size_t *n, char *detail)
{
    ac_pg *pg = be;
    struct pollfd pfd;
    int fresh = 0;
    autocert_err rc;

    *keys = NULL;
    *n = 0;
    pthread_mutex_lock(&pg->lmu);
    /* A new watch: what was stored while there was none is unknown. */
    if ((rc = watch_open(pg, &fresh, detail)) == AUTOCERT_OK && fresh)
        rc = add_key(keys, n, "*");
    if (rc == AUTOCERT_OK && (rc = drain(pg, keys, n, detail)) == AUTOCERT_OK && *n == 0) {
        pfd.fd = ac_pq.socket(pg->lconn);
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (pfd.fd >= 0 && poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms) > 0)
            rc = drain(pg, keys, n, detail);
    }
    pthread_mutex_unlock(&pg->lmu);
    if (rc != AUTOCERT_OK) {
        autocert_strv_free(*keys, *n);
        *keys = NULL;
        *n = 0;
    }
    return rc;
}
