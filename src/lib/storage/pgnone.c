/* pgnone.c: the PostgreSQL backend in a build without libpq: every URL cache is UNSUPPORTED. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "storage/pg.h"

autocert_err ac_pg_open(const char *conninfo, const autocert_storage_ops **ops, void **be,
                        char *detail)
{
    char *name = ac_pg_redact(conninfo);

    *ops = NULL;
    *be = NULL;
    snprintf(detail, AUTOCERT_STORAGE_DETAIL,
             "cannot use the cache %s: this autocert was built without PostgreSQL support "
             "(configure --with-postgresql, with libpq)", name ? name : "(a PostgreSQL URL)");
    free(name);
    return AUTOCERT_ERR_UNSUPPORTED;
}

int ac_pg_owns(const autocert_storage_ops *ops)
{
    (void)ops;
    return 0;
}

void ac_pg_set_key(void *be, const unsigned char key[AC_PG_KEY_LEN])
{
    (void)be;
    (void)key;
}
