/* dirsweep.c: the directory backend's debris of dead writers: found by one scan of an area, removed under each set's own lock. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/dirfs.h"

/* A process that keeps the cache open looks for debris in an area at most
 * this often: each look reads the whole area, and a loop over thousands of
 * sets (a migration, `renew --force`, a server's start) took a lock on each
 * and read the whole area every time. */
#define RESCAN_S 60.0

/* What the last scan of one area found that looks like a work directory. */
typedef struct area_scan {
    char *area;
    double at;
    char **names;
    size_t n;
    struct area_scan *next;
} area_scan;

struct ac_dirsweep {
    pthread_mutex_t mu; /* guards `areas` */
    area_scan *areas;
};

void ac_dirsweep_tag(const char *name, char *tag, size_t n)
{
    unsigned long long h = 1469598103934665603ULL; /* FNV-1a */
    const unsigned char *p;

    if (strlen(name) <= AC_DIR_WORK_TAG_MAX) {
        snprintf(tag, n, "%s", name);
        return;
    }
    for (p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    snprintf(tag, n, "%.183s~%016llx", name, h);
}

/* Nonzero when `rest` is "<kind>-XXXXXX" for a kind of work directory. */
static int work_suffix(const char *rest)
{
    static const char *const kinds[] = {"tmp-", "old-", "rm-"};
    size_t i, k;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        k = strlen(kinds[i]);
        if (strncmp(rest, kinds[i], k) == 0 && strlen(rest + k) == 6)
            return 1;
    }
    return 0;
}

ac_dirsweep *ac_dirsweep_new(void)
{
    ac_dirsweep *s = calloc(1, sizeof(*s));

    if (s != NULL && pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        s = NULL;
    }
    return s;
}

void ac_dirsweep_free(ac_dirsweep *s)
{
    area_scan *a, *next;

    if (s == NULL)
        return;
    for (a = s->areas; a != NULL; a = next) {
        next = a->next;
        autocert_strv_free(a->names, a->n);
        free(a->area);
        free(a);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* Reads `area` into a->names: ".<tag>.<kind>-XXXXXX" entries.  -1 when it
 * cannot (out of memory, or the area cannot be read). */
static int scan(area_scan *a)
{
    char **v = NULL, **grown;
    size_t n = 0, cap = 0;
    DIR *d = opendir(a->area);
    struct dirent *de;
    const char *dot;

    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.' || (dot = strrchr(de->d_name, '.')) == de->d_name ||
            !work_suffix(dot + 1))
            continue;
        if (n == cap) {
            size_t more = cap ? 2 * cap : 8;
            if ((grown = realloc(v, more * sizeof(*v))) == NULL)
                break;
            v = grown;
            cap = more;
        }
        if ((v[n] = strdup(de->d_name)) == NULL)
            break;
        n++;
    }
    closedir(d);
    if (de != NULL) {
        autocert_strv_free(v, n);
        return -1;
    }
    autocert_strv_free(a->names, a->n);
    a->names = v;
    a->n = n;
    a->at = ac_now();
    return 0;
}

/* The record of `area`, made when missing (caller holds mu); NULL when out
 * of memory. */
static area_scan *area_of(ac_dirsweep *s, const char *area)
{
    area_scan *a;

    for (a = s->areas; a != NULL; a = a->next)
        if (strcmp(a->area, area) == 0)
            return a;
    if ((a = calloc(1, sizeof(*a))) == NULL || (a->area = strdup(area)) == NULL) {
        free(a);
        return NULL;
    }
    a->next = s->areas;
    s->areas = a;
    return a;
}

/* Moves the names of set work directories with `prefix` (".<tag>.") out of
 * the record of `area`, scanning it first when the last scan is old:
 * *doomed (malloc'd) and *n.  -1 when the area cannot be scanned. */
static int take_debris(ac_dirsweep *s, const char *area, const char *prefix, char ***doomed,
                       size_t *n)
{
    size_t i, k = 0, len = strlen(prefix);
    area_scan *a;
    int rc = -1;

    *doomed = NULL;
    *n = 0;
    pthread_mutex_lock(&s->mu);
    if ((a = area_of(s, area)) != NULL &&
        ((a->at > 0 && ac_now() - a->at < RESCAN_S) || scan(a) == 0) &&
        (*doomed = calloc(a->n ? a->n : 1, sizeof(char *))) != NULL) {
        for (i = 0; i < a->n; i++) {
            if (strncmp(a->names[i], prefix, len) == 0 && work_suffix(a->names[i] + len))
                (*doomed)[(*n)++] = a->names[i];
            else
                a->names[k++] = a->names[i];
        }
        a->n = k;
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Removes the entry `name` of `area` if it is the user's. */
static void remove_own(const char *area, const char *name)
{
    char path[PATH_MAX];
    struct stat sb;

    if (snprintf(path, sizeof(path), "%s/%s", area, name) < (int)sizeof(path) &&
        lstat(path, &sb) == 0 && sb.st_uid == geteuid())
        ac_remove_tree(path);
}

void ac_dirsweep_run(ac_dirsweep *s, const char *area, const char *name)
{
    char tag[AC_DIR_WORK_TAG_MAX + 1], prefix[AC_DIR_WORK_TAG_MAX + 4], path[PATH_MAX];
    char **doomed;
    size_t i, n;
    DIR *d;
    struct dirent *de;

    ac_dirsweep_tag(name, tag, sizeof(tag));
    snprintf(prefix, sizeof(prefix), ".%s.", tag);
    /* What another user put there is not the debris of a writer of ours:
     * left alone.  A work directory a live writer renamed into place since
     * the scan is gone: only the holder of the set's lock (the caller)
     * makes new ones. */
    if (take_debris(s, area, prefix, &doomed, &n) == 0) {
        for (i = 0; i < n; i++) {
            remove_own(area, doomed[i]);
            free(doomed[i]);
        }
        free(doomed);
    }
    if (snprintf(path, sizeof(path), "%s/%s", area, name) >= (int)sizeof(path) ||
        (d = opendir(path)) == NULL)
        return;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, ".autocert-tmp.", 14) == 0)
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
}
