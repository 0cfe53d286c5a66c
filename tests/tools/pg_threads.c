/* pg_threads.c: a test tool over the PostgreSQL backend: threads of one process exclude each other on a set's lock, and a lock lost with its session refuses writes. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "storage/storage.h"

#define THREADS 4
#define ROUNDS 15

static const char usage[] =
    "usage: pg_threads URL\n"
    "Against the database at URL (a postgresql:// URL, tables created on first\n"
    "use): THREADS threads take the lock of one set in turn and rewrite it;\n"
    "then the session holding a lock is ended by the server and a write under\n"
    "it must be refused.  One 'ok: ...' line a check; a failure prints\n"
    "'FAIL: ...' and exits 1.\n";

static autocert_ctx *ctx;
static autocert_storage *st;
static atomic_int inside, most, errors;

/* One thread: ROUNDS times lock, check that it is alone, write, read back. */
static void *worker(void *arg)
{
    char buf[32];
    unsigned char *data = NULL;
    size_t len = 0;
    int i, n;

    (void)arg;
    for (i = 0; i < ROUNDS; i++) {
        autocert_item it = {"meta.json", buf, 0, 0};

        if (ac_storage_lock(ctx, st, "certs/threads.example", 60) != AUTOCERT_OK) {
            errors++;
            continue;
        }
        n = ++inside;
        if (n > most)
            most = n;
        it.len = (size_t)snprintf(buf, sizeof(buf), "%p %d", (void *)&buf, i);
        if (ac_storage_store(ctx, st, "certs/threads.example", &it, 1) != AUTOCERT_OK ||
            ac_storage_load(ctx, st, "certs/threads.example", "meta.json", &data, &len) !=
                AUTOCERT_OK ||
            len != it.len || memcmp(data, buf, len) != 0)
            errors++; /* another thread wrote in between */
        free(data);
        data = NULL;
        inside--;
        ac_storage_unlock(st, "certs/threads.example");
    }
    return NULL;
}

static int fail(const char *what)
{
    printf("FAIL: %s: %s\n", what, autocert_last_error(ctx));
    return 1;
}

/* Ends the server sessions of autocert (not this tool's own). */
static int end_sessions(const char *url)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r = NULL;
    int ok = PQstatus(c) == CONNECTION_OK;

    if (ok) {
        r = PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE application_name = 'autocert' AND pid <> pg_backend_pid()");
        ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 1;
    }
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

static int lost_lock(const char *url)
{
    autocert_item it = {"meta.json", "{}", 2, 0};
    unsigned char *data = NULL;
    size_t len = 0;
    autocert_err rc;

    if (ac_storage_lock(ctx, st, "certs/lost.example", 10) != AUTOCERT_OK)
        return fail("lock");
    if (end_sessions(url) != 0)
        return fail("ending the session");
    /* The first statement finds the session gone; the next connects anew. */
    rc = ac_storage_load(ctx, st, "certs/threads.example", "meta.json", &data, &len);
    free(data);
    if (rc != AUTOCERT_ERR_NETWORK || strstr(autocert_last_error(ctx), "lost the connection") == NULL)
        return fail("the load after the session ended");
    printf("ok: a lost session fails the operation that finds it\n");
    if (ac_storage_load(ctx, st, "certs/threads.example", "meta.json", &data, &len) != AUTOCERT_OK)
        return fail("the load after that (reconnecting)");
    free(data);
    rc = ac_storage_store(ctx, st, "certs/lost.example", &it, 1);
    if (rc != AUTOCERT_ERR_NETWORK || strstr(autocert_last_error(ctx), "went with the lost") == NULL)
        return fail("a store under a lost lock");
    printf("ok: the next one reconnects; a store under the lock lost with it is refused\n");
    ac_storage_unlock(st, "certs/lost.example");
    if (ac_storage_lock(ctx, st, "certs/lost.example", 10) != AUTOCERT_OK ||
        ac_storage_store(ctx, st, "certs/lost.example", &it, 1) != AUTOCERT_OK)
        return fail("lock and store again");
    ac_storage_unlock(st, "certs/lost.example");
    printf("ok: locked again, the store goes through\n");
    return 0;
}

int main(int argc, char **argv)
{
    pthread_t t[THREADS];
    int i, rc = 1;

    if (argc != 2) {
        fputs(usage, stderr);
        return 2;
    }
    if ((ctx = autocert_ctx_new()) == NULL || ac_storage_open(ctx, argv[1], &st) != AUTOCERT_OK)
        return fail("open");
    for (i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    if (errors != 0 || most != 1)
        printf("FAIL: %d errors, at most %d threads held the lock at once\n", (int)errors, (int)most);
    else if (printf("ok: %d threads, %d rounds each: one holder at a time\n", THREADS, ROUNDS) > 0)
        rc = lost_lock(argv[1]);
    autocert_storage_free(st);
    autocert_ctx_free(ctx);
    return rc;
}
