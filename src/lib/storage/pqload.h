/* pqload.h: the libpq functions the PostgreSQL backend uses, loaded on first use. */
#ifndef AC_PQLOAD_H
#define AC_PQLOAD_H

#include <stddef.h>

#include <libpq-fe.h>

typedef struct {
    PGconn *(*connectdb_params)(const char *const *keys, const char *const *values,
                                int expand_dbname);
    void (*finish)(PGconn *conn);
    ConnStatusType (*status)(const PGconn *conn);
    PGTransactionStatusType (*transaction_status)(const PGconn *conn);
    char *(*error_message)(const PGconn *conn);
    PQnoticeProcessor (*set_notice_processor)(PGconn *conn, PQnoticeProcessor proc, void *arg);
    int (*socket)(const PGconn *conn);
    PGresult *(*exec)(PGconn *conn, const char *query);
    PGresult *(*exec_params)(PGconn *conn, const char *command, int n, const Oid *types,
                             const char *const *values, const int *lengths,
                             const int *formats, int result_format);
    ExecStatusType (*result_status)(const PGresult *res);
    char *(*result_error_message)(const PGresult *res);
    int (*ntuples)(const PGresult *res);
    int (*nfields)(const PGresult *res);
    char *(*getvalue)(const PGresult *res, int row, int field);
    int (*getlength)(const PGresult *res, int row, int field);
    int (*getisnull)(const PGresult *res, int row, int field);
    char *(*cmd_tuples)(PGresult *res);
    void (*clear)(PGresult *res);
    int (*consume_input)(PGconn *conn);
    PGnotify *(*notifies)(PGconn *conn);
    void (*freemem)(void *ptr);
} ac_pq_api;

/* The functions, filled by the first successful ac_pq_load and never
 * changed again: call ac_pq_load before the first use. */
extern ac_pq_api ac_pq;

/* Loads libpq once (threads may race here): 0, or -1 with the reason in
 * `why` (n bytes). */
int ac_pq_load(char *why, size_t n);

#endif
