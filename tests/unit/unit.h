/* unit.h: fixtures shared by the unit tests. */
#ifndef AC_UNIT_H
#define AC_UNIT_H

#include "autocert.h"

/* cmocka group/test setup: a fresh context in *state. */
static inline int ctx_setup(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();

    if (ctx == NULL)
        return -1;
    *state = ctx;
    return 0;
}

static inline int ctx_teardown(void **state)
{
    autocert_ctx_free(*state);
    return 0;
}

#endif
