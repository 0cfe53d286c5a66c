/* pqload.c: libpq loaded on first use: a process that never opens a postgresql:// cache does not pay for it and its libraries. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>

#include "internal.h"
#include "storage/pqload.h"

/* libpq brings Kerberos, LDAP, GnuTLS and a dozen more libraries: loading
 * them took about 6 ms and 1 MB of every process, though most never reach
 * a database. */
ac_pq_api ac_pq;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char failure[256];

static void load(void)
{
    static const char *const names[] = {
        "PQconnectdbParams", "PQfinish", "PQstatus", "PQtransactionStatus", "PQerrorMessage",
        "PQsetNoticeProcessor", "PQsocket", "PQexec", "PQexecParams", "PQresultStatus",
        "PQresultErrorMessage", "PQntuples", "PQnfields", "PQgetvalue", "PQgetlength",
        "PQgetisnull", "PQcmdTuples", "PQclear", "PQconsumeInput", "PQnotifies", "PQfreemem",
    };
    void **const slots[] = {
        (void **)&ac_pq.connectdb_params, (void **)&ac_pq.finish,
        (void **)&ac_pq.status, (void **)&ac_pq.transaction_status,
        (void **)&ac_pq.error_message, (void **)&ac_pq.set_notice_processor,
        (void **)&ac_pq.socket, (void **)&ac_pq.exec,
        (void **)&ac_pq.exec_params, (void **)&ac_pq.result_status,
        (void **)&ac_pq.result_error_message, (void **)&ac_pq.ntuples,
        (void **)&ac_pq.nfields, (void **)&ac_pq.getvalue,
        (void **)&ac_pq.getlength, (void **)&ac_pq.getisnull,
        (void **)&ac_pq.cmd_tuples, (void **)&ac_pq.clear,
        (void **)&ac_pq.consume_input, (void **)&ac_pq.notifies,
        (void **)&ac_pq.freemem,
    };

    _Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(slots) / sizeof(slots[0]),
                   "one slot a name");
    if (ac_dl_load(PQ_SONAME, names, slots, sizeof(names) / sizeof(names[0]), failure,
                   sizeof(failure)) == 0)
        loaded = 1;
}

int ac_pq_load(char *why, size_t n)
{
    pthread_once(&once, load);
    if (!loaded && why != NULL && n > 0)
        snprintf(why, n, "%s", failure);
    return loaded ? 0 : -1;
}
