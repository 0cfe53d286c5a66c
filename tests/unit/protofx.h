/* protofx.h: the fixture of the protocol tests: a context on a CA in memory, a cache and a webroot of their own. */
#ifndef AC_PROTOFX_H
#define AC_PROTOFX_H

#include "autocert.h"
#include "fakeca.h"

typedef struct protofx_gate protofx_gate;

typedef struct {
    autocert_ctx *ctx;
    fakeca *ca;
    char dir[64];      /* the test's temporary directory */
    char cache[96];    /* dir/cache */
    char webroot[96];  /* dir/www: HTTP-01 answered here, checked by the CA */
    protofx_gate *gate; /* see protofx_gate_install */
} protofx;

/* cmocka setup/teardown: *state is a protofx. */
int protofx_setup(void **state);
int protofx_teardown(void **state);

/* Puts the context's cache behind a gate: the first `n` lock requests for
 * sets whose key starts with `prefix` wait for one another (10 s at most)
 * before they go to the directory backend, so that `n` threads reach the
 * lock together, each having looked at the cache before it. */
void protofx_gate_install(protofx *f, const char *prefix, int n);
/* How many lock requests the gate held back (at most `n`). */
int protofx_gate_arrived(protofx *f);

/* The contents of the file `rel` under the cache (malloc'd), NULL when
 * there is none. */
char *protofx_cache_file(protofx *f, const char *rel);
/* Nonzero when the webroot holds a challenge file. */
int protofx_webroot_has_files(protofx *f);

#endif
