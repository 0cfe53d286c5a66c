/* protofx.c: the fixture of the protocol tests: a context on a CA in memory, a cache and a webroot of their own. */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "protofx.h"

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int protofx_setup(void **state)
{
    protofx *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-proto-XXXXXX");
    if (mkdtemp(f->dir) == NULL || (f->ctx = autocert_ctx_new()) == NULL ||
        (f->ca = fakeca_new()) == NULL) {
        protofx_teardown((void **)&f);
        return -1;
    }
    snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
    snprintf(f->webroot, sizeof(f->webroot), "%s/www", f->dir);
    mkdir(f->webroot, 0755);
    fakeca_attach(f->ca, f->ctx);
    fakeca_knobs_of(f->ca)->webroot = f->webroot;
    autocert_set_agree_tos(f->ctx, 1);
    autocert_set_webroot(f->ctx, f->webroot);
    autocert_set_timeout(f->ctx, 30);
    if (autocert_set_cache_dir(f->ctx, f->cache) != AUTOCERT_OK) {
        protofx_teardown((void **)&f);
        return -1;
    }
    *state = f;
    return 0;
}

int protofx_teardown(void **state)
{
    protofx *f = *state;

    if (f == NULL)
        return 0;
    autocert_ctx_free(f->ctx);
    fakeca_free(f->ca);
    if (f->dir[0])
        nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}
