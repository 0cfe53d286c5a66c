/* pgconn.c: the PostgreSQL backend's session: connecting with bounded waits, statements, failures worded without secrets. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "storage/pg.h"

void ac_pg_detail(const ac_pg *pg, char *detail, const char *what, const char *msg)
{
    char line[400];
    size_t i, j = 0;

    /* libpq's messages run over lines ("...failed: ...\n\tIs the server
     * running..."): one line, its whitespace folded. */
    for (i = 0; msg && msg[i] && j < sizeof(line) - 1; i++) {
        char c = msg[i] == '\n' || msg[i] == '\t' || msg[i] == '\r' ? ' ' : msg[i];
        if (c == ' ' && (j == 0 || line[j - 1] == ' '))
            continue;
        line[j++] = c;
    }
    while (j > 0 && line[j - 1] == ' ')
        j--;
    line[j] = '\0';
    snprintf(detail, AUTOCERT_STORAGE_DETAIL, "%s %s: %s", what, pg->name,
             j ? AC_SAFE(line) : "no reason given");
}

/* The server's notices ("relation ... already exists, skipping") are not
 * for the user's terminal: libpq's default prints them on stderr. */
void ac_pg_no_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Opens a session: bounded connect, TCP keepalives and a TCP user timeout
 * so that a vanished server fails a statement instead of hanging it.  The
 * connection string comes last: what it sets wins over these defaults. */
PGconn *ac_pg_session(const ac_pg *pg)
{
    const char *const keys[] = {"connect_timeout", "keepalives", "keepalives_idle",
                                "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                                "application_name", "dbname", NULL};
    const char *const vals[] = {"10", "1", "10", "5", "3", "20000", "autocert", pg->conninfo, NULL};

    return ac_pq.connectdb_params(keys, vals, 1);
}

void ac_pg_drop(ac_pg *pg)
{
    if (pg->conn != NULL)
        ac_pq.finish(pg->conn);
    pg->conn = NULL;
}

autocert_err ac_pg_connect(ac_pg *pg, int *fresh, char *detail)
{
    *fresh = 0;
    if (pg->conn != NULL && ac_pq.status(pg->conn) == CONNECTION_OK)
        return AUTOCERT_OK;
    ac_pg_drop(pg);
    if ((pg->conn = ac_pg_session(pg)) == NULL)
        return AUTOCERT_ERR_NOMEM;
    pg->epoch++; /* locks of the sessions before are gone */
    ac_pq.set_notice_processor(pg->conn, ac_pg_no_notice, NULL);
    if (ac_pq.status(pg->conn) != CONNECTION_OK) {
        ac_pg_detail(pg, detail, "cannot connect to database", ac_pq.error_message(pg->conn));
        ac_pg_drop(pg);
        return AUTOCERT_ERR_NETWORK;
    }
    *fresh = 1;
    return AUTOCERT_OK;
}

/* A statement failed: words it, and drops a session that died. */
static autocert_err failed(ac_pg *pg, PGresult *res, char *detail)
{
    const char *msg = res ? ac_pq.result_error_message(res) : NULL;

    if (msg == NULL || *msg == '\0')
        msg = ac_pq.error_message(pg->conn);
    if (ac_pq.status(pg->conn) != CONNECTION_OK) {
        ac_pg_detail(pg, detail, "lost the connection to database", msg);
        ac_pq.clear(res);
        ac_pg_drop(pg);
        return AUTOCERT_ERR_NETWORK;
    }
    ac_pg_detail(pg, detail, "database", msg);
    ac_pq.clear(res);
    return AUTOCERT_ERR_IO;
}

PGresult *ac_pg_exec(ac_pg *pg, const char *sql, int n, const char *const *vals,
                     const int *lens, const int *fmts, int binary, ExecStatusType want,
                     autocert_err *rc, char *detail)
{
    PGresult *res;

    /* Never a new session in the middle of an operation: its transaction
     * and its locks were in the old one. */
    if (pg->conn == NULL) {
        ac_pg_detail(pg, detail, "lost the connection to database", "not connected");
        *rc = AUTOCERT_ERR_NETWORK;
        return NULL;
    }
    res = ac_pq.exec_params(pg->conn, sql, n, NULL, vals, lens, fmts, binary);
    if (res != NULL && ac_pq.result_status(res) == want) {
        *rc = AUTOCERT_OK;
        return res;
    }
    *rc = failed(pg, res, detail);
    return NULL;
}

autocert_err ac_pg_cmd(ac_pg *pg, const char *sql, char *detail)
{
    autocert_err rc;
    PGresult *res = ac_pg_exec(pg, sql, 0, NULL, NULL, NULL, 0, PGRES_COMMAND_OK, &rc, detail);

    ac_pq.clear(res);
    return rc;
}

void ac_pg_rollback(ac_pg *pg)
{
    if (pg->conn != NULL && ac_pq.status(pg->conn) == CONNECTION_OK &&
        ac_pq.transaction_status(pg->conn) != PQTRANS_IDLE)
        ac_pq.clear(ac_pq.exec(pg->conn, "ROLLBACK"));
}
