/* protofx.h: the fixture of the protocol tests: a context on a CA in memory, a cache and a webroot of their own. */
#ifndef AC_PROTOFX_H
#define AC_PROTOFX_H

#include "autocert.h"
#include "fakeca.h"

typedef struct {
    autocert_ctx *ctx;
    fakeca *ca;
    char dir[64];      /* the test's temporary directory */
    char cache[96];    /* dir/cache */
    char webroot[96];  /* dir/www: HTTP-01 answered here, checked by the CA */
} protofx;

/* cmocka setup/teardown: *state is a protofx. */
int protofx_setup(void **state);
int protofx_teardown(void **state);

#endif
