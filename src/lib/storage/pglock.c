/* pglock.c: the PostgreSQL backend's set locks: session advisory locks, a table of them for the threads of the process. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "storage/pg.h"

#define LOCK_POLL_S 0.05

/*
 * A set's lock is the session-level advisory lock whose 64-bit key is the
 * first eight bytes of SHA-256("autocert lock\0" + set key): the same on
 * every node, whatever the server's hash functions.  The server releases
 * a session's advisory locks when the session ends, so a process that dies
 * leaves no lock behind.  Within one session advisory locks are reentrant:
 * the table `held` gives each set one holder among the threads of the
 * process.  A lock taken in a session that was lost since is gone: writes
 * under it are refused (ac_pg_lock_check).
 */

/* The advisory lock key of `set`, as decimal text for the statement. */
static int lock_key(const char *set, char *out, size_t n)
{
    static const char tag[] = "autocert lock";
    unsigned char md[32];
    unsigned int mdlen = 0;
    long long k = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int i, ok;

    ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(c, tag, sizeof(tag)) == 1 &&
         EVP_DigestUpdate(c, set, strlen(set)) == 1 && EVP_DigestFinal_ex(c, md, &mdlen) == 1;
    EVP_MD_CTX_free(c);
    if (!ok)
        return -1;
    for (i = 0; i < 8; i++)
        k = (long long)(((unsigned long long)k << 8) | md[i]);
    snprintf(out, n, "%lld", k);
    return 0;
}

static ac_pg_held *find(ac_pg *pg, const char *set)
{
    ac_pg_held *h;

    for (h = pg->held; h != NULL; h = h->next)
        if (strcmp(h->set, set) == 0)
            return h;
    return NULL;
}

static void drop(ac_pg *pg, ac_pg_held *gone)
{
    ac_pg_held **pp;

    for (pp = &pg->held; *pp != NULL; pp = &(*pp)->next)
        if (*pp == gone) {
            *pp = gone->next;
            free(gone->set);
            free(gone);
            return;
        }
}

/* One try for the advisory lock (caller holds mu): *got when taken. */
static autocert_err try_lock(ac_pg *pg, const char *set, int *got, char *detail)
{
    char key[32];
    const char *vals[1] = {key};
    autocert_err rc;
    PGresult *res;

    *got = 0;
    if (lock_key(set, key, sizeof(key)) != 0)
        return AUTOCERT_ERR_CRYPTO;
    if ((rc = ac_pg_ready(pg, detail)) != AUTOCERT_OK)
        return rc;
    res = ac_pg_exec(pg, "SELECT pg_try_advisory_lock($1::bigint)", 1, vals, NULL, NULL, 0,
                     PGRES_TUPLES_OK, &rc, detail);
    if (res == NULL)
        return rc;
    *got = ac_pq.ntuples(res) == 1 && strcmp(ac_pq.getvalue(res, 0, 0), "t") == 0;
    ac_pq.clear(res);
    return AUTOCERT_OK;
}

/* One round of ac_pg_lock (caller holds mu): reserves the set in the
 * table for this thread (*mine), then tries the server's lock. */
static autocert_err attempt(ac_pg *pg, const char *set, ac_pg_held **mine, int *got, char *detail)
{
    autocert_err rc;

    *got = 0;
    if (*mine == NULL) {
        if (find(pg, set) != NULL)
            return AUTOCERT_OK; /* another thread has it, or waits for it */
        if ((*mine = calloc(1, sizeof(**mine))) == NULL || ((*mine)->set = strdup(set)) == NULL) {
            free(*mine);
            *mine = NULL;
            return AUTOCERT_ERR_NOMEM;
        }
        (*mine)->next = pg->held;
        pg->held = *mine;
    }
    if ((rc = try_lock(pg, set, got, detail)) == AUTOCERT_OK && *got) {
        (*mine)->taken = 1;
        (*mine)->epoch = pg->epoch;
    }
    return rc;
}

autocert_err ac_pg_lock(void *be, const char *set, int wait_s, char *detail)
{
    ac_pg *pg = be;
    double deadline = ac_now() + (wait_s > 0 ? (double)wait_s : 0.0);
    ac_pg_held *mine = NULL;
    autocert_err rc;
    int got;

    for (;;) {
        pthread_mutex_lock(&pg->mu);
        rc = attempt(pg, set, &mine, &got, detail);
        if ((rc != AUTOCERT_OK || !got) && mine != NULL &&
            (rc != AUTOCERT_OK || ac_now() >= deadline)) {
            drop(pg, mine);
            mine = NULL;
        }
        pthread_mutex_unlock(&pg->mu);
        if (rc != AUTOCERT_OK || got)
            return rc;
        if (ac_now() >= deadline) {
            snprintf(detail, AUTOCERT_STORAGE_DETAIL,
                     "locked by another process or thread (waited %d s)", wait_s);
            return AUTOCERT_ERR_LOCKED;
        }
        ac_sleep_s(LOCK_POLL_S);
    }
}

void ac_pg_unlock(void *be, const char *set)
{
    ac_pg *pg = be;
    char key[32], detail[AUTOCERT_STORAGE_DETAIL];
    const char *vals[1] = {key};
    ac_pg_held *h;
    autocert_err rc;

    pthread_mutex_lock(&pg->mu);
    if ((h = find(pg, set)) != NULL && h->taken) {
        /* In a session lost since, the server let it go already. */
        if (h->epoch == pg->epoch && pg->conn != NULL && lock_key(set, key, sizeof(key)) == 0)
            ac_pq.clear(ac_pg_exec(pg, "SELECT pg_advisory_unlock($1::bigint)", 1, vals, NULL,
                               NULL, 0, PGRES_TUPLES_OK, &rc, detail));
        drop(pg, h);
    }
    pthread_mutex_unlock(&pg->mu);
}

autocert_err ac_pg_lock_check(ac_pg *pg, const char *set, char *detail)
{
    ac_pg_held *h = find(pg, set);

    if (h == NULL || !h->taken || h->epoch == pg->epoch)
        return AUTOCERT_OK;
    snprintf(detail, AUTOCERT_STORAGE_DETAIL,
             "the lock of %s went with the lost connection to database %s: not written, "
             "try again", set, pg->name);
    return AUTOCERT_ERR_NETWORK;
}

void ac_pg_locks_free(ac_pg *pg)
{
    while (pg->held != NULL)
        drop(pg, pg->held);
}
