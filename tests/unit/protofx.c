/* protofx.c: the fixture of the protocol tests: a context on a CA in memory, a cache and a webroot of their own. */
#include "config.h"

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"
#include "protofx.h"
#include "storage/storage.h"

/* A storage that forwards to the directory backend and holds lock requests
 * back until enough have arrived. */
struct protofx_gate {
    autocert_storage *inner;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char prefix[64];
    int want;
    int arrived;
};

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
    autocert_ctx_free(f->ctx); /* frees the gate through its storage */
    fakeca_free(f->ca);
    if (f->dir[0])
        nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* ---- the gate ----------------------------------------------------------------- */

static autocert_err gate_lock(void *be, const char *set, int wait_s, char *detail)
{
    protofx_gate *g = be;
    struct timespec until;

    pthread_mutex_lock(&g->mu);
    if (strncmp(set, g->prefix, strlen(g->prefix)) == 0 && g->arrived < g->want) {
        g->arrived++;
        pthread_cond_broadcast(&g->cv);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        while (g->arrived < g->want)
            if (pthread_cond_timedwait(&g->cv, &g->mu, &until) != 0)
                break;
    }
    pthread_mutex_unlock(&g->mu);
    return g->inner->ops.lock(g->inner->be, set, wait_s, detail);
}

static void gate_unlock(void *be, const char *set)
{
    protofx_gate *g = be;

    g->inner->ops.unlock(g->inner->be, set);
}

static autocert_err gate_load(void *be, const char *set, const char *item, unsigned char **data,
                              size_t *len, char *detail)
{
    protofx_gate *g = be;

    return g->inner->ops.load(g->inner->be, set, item, data, len, detail);
}

static autocert_err gate_store(void *be, const char *set, const autocert_item *items, size_t n,
                               char *detail)
{
    protofx_gate *g = be;

    return g->inner->ops.store(g->inner->be, set, items, n, detail);
}

static autocert_err gate_store_item(void *be, const char *set, const autocert_item *item,
                                    char *detail)
{
    protofx_gate *g = be;

    return g->inner->ops.store_item(g->inner->be, set, item, detail);
}

static autocert_err gate_list(void *be, const char *prefix, char ***keys, size_t *n, char *detail)
{
    protofx_gate *g = be;

    return g->inner->ops.list(g->inner->be, prefix, keys, n, detail);
}

static autocert_err gate_remove(void *be, const char *set, char *detail)
{
    protofx_gate *g = be;

    return g->inner->ops.remove(g->inner->be, set, detail);
}

static char *gate_path(void *be, const char *set, const char *item)
{
    protofx_gate *g = be;

    return g->inner->ops.path(g->inner->be, set, item);
}

static const char *gate_describe(void *be)
{
    protofx_gate *g = be;

    return g->inner->ops.describe(g->inner->be);
}

static void gate_destroy(void *be)
{
    protofx_gate *g = be;

    autocert_storage_free(g->inner);
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

static const autocert_storage_ops gate_ops = {
    .size = sizeof(autocert_storage_ops),
    .lock = gate_lock,
    .unlock = gate_unlock,
    .load = gate_load,
    .store = gate_store,
    .store_item = gate_store_item,
    .list = gate_list,
    .remove = gate_remove,
    .path = gate_path,
    .describe = gate_describe,
    .destroy = gate_destroy,
};

void protofx_gate_install(protofx *f, const char *prefix, int n)
{
    protofx_gate *g = calloc(1, sizeof(*g));
    autocert_storage *st = NULL;

    if (g == NULL || autocert_storage_dir_new(f->cache, &g->inner) != AUTOCERT_OK ||
        pthread_mutex_init(&g->mu, NULL) != 0 || pthread_cond_init(&g->cv, NULL) != 0) {
        fprintf(stderr, "protofx: cannot set up the gate\n");
        abort();
    }
    snprintf(g->prefix, sizeof(g->prefix), "%s", prefix);
    g->want = n;
    if ((st = autocert_storage_new(&gate_ops, g)) == NULL) {
        fprintf(stderr, "protofx: cannot set up the gate\n");
        abort();
    }
    autocert_set_storage_take(f->ctx, st);
    f->gate = g;
}

int protofx_gate_arrived(protofx *f)
{
    int n;

    pthread_mutex_lock(&f->gate->mu);
    n = f->gate->arrived;
    pthread_mutex_unlock(&f->gate->mu);
    return n;
}

/* ---- files -------------------------------------------------------------------- */

char *protofx_cache_file(protofx *f, const char *rel)
{
    char path[512];
    FILE *fp;
    char *data = NULL;
    long len;

    snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
    if ((fp = fopen(path, "rb")) == NULL)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)len + 1)) != NULL) {
        if (fread(data, 1, (size_t)len, fp) != (size_t)len) {
            free(data);
            data = NULL;
        } else {
            data[len] = '\0';
        }
    }
    fclose(fp);
    return data;
}

int protofx_webroot_has_files(protofx *f)
{
    char path[256];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "%s/.well-known/acme-challenge", f->webroot);
    if ((d = opendir(path)) == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n > 0;
}
