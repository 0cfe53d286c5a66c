/* storage_dir.c: the directory storage backend, the default certificate cache. */
/*
 * Layout under the root (mode 0700, owned by the user running autocert):
 *
 *   ROOT/.lock                  flock(2) writer lock of the whole store
 *   ROOT/accounts/<id>/<item>   one set per ACME account
 *   ROOT/certs/<name>/<item>    one set per certificate
 *
 * A set key is "<area>/<name>"; area, name and item names are single path
 * components of [A-Za-z0-9._@:+-], 1..200 bytes, not starting with '.'.
 * Names starting with '.' are reserved for work in progress and never
 * listed.  Directories are 0700, secret items 0600, other items 0644.
 *
 * Replacing a set (store):
 *   1. mkdtemp ROOT/<area>/.<name>.tmp-XXXXXX and write every item into it
 *      (O_EXCL|O_NOFOLLOW, fsync each file, then fsync the directory);
 *   2. if ROOT/<area>/<name> exists, swap the two directories atomically
 *      with renameat2(RENAME_EXCHANGE) and delete the old generation, now
 *      found under the temporary name; otherwise rename(2) the temporary
 *      directory into place;
 *   3. fsync ROOT/<area>.
 * Where the file system lacks RENAME_EXCHANGE the live set is first renamed
 * to .<name>.old-XXXXXX and the new one renamed into place: in the short
 * window between the two renames a reader finds no set (NOT_FOUND), never a
 * mix of generations.  On failure the temporary directory is removed and the
 * live set is untouched.
 *
 * Removing a set renames it to .<name>.rm-XXXXXX first, then deletes it, so
 * readers see it either whole or gone.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "storage/storage.h"

#define NAME_MAX_LEN 200
#define LOCK_NAME ".lock"
#define LOCK_POLL_NS (50L * 1000L * 1000L)

typedef struct {
    char *root;
    int lock_fd;         /* -1 when the lock is not held */
    unsigned lock_depth; /* nested lock calls */
} dir_be;

/* ---- names and paths ---------------------------------------------------- */

/* Nonzero when `s[0..len)` is one valid component. */
static int component_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > NAME_MAX_LEN || s[0] == '.')
        return 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == ':' || c == '+' || c == '-'))
            return 0;
    }
    return 1;
}

static int name_ok(const char *s)
{
    return s != NULL && component_ok(s, strnlen(s, NAME_MAX_LEN + 1));
}

/* Splits a set key "<area>/<name>"; the lengths point into `set`. */
static int set_split(const char *set, size_t *area_len, const char **name)
{
    const char *slash;

    if (set == NULL || strnlen(set, 2 * NAME_MAX_LEN + 2) > 2 * NAME_MAX_LEN + 1)
        return 0;
    slash = strchr(set, '/');
    if (slash == NULL || !component_ok(set, (size_t)(slash - set)) || !name_ok(slash + 1))
        return 0;
    *area_len = (size_t)(slash - set);
    *name = slash + 1;
    return 1;
}

/* "a/b" or "a/b/c" (c may be NULL), malloc'd. */
static char *path3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + 1 + strlen(b) + (c ? 1 + strlen(c) : 0) + 1;
    char *s = malloc(n);

    if (s == NULL)
        return NULL;
    if (c)
        snprintf(s, n, "%s/%s/%s", a, b, c);
    else
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

/* "ROOT/<area>" of a validated set key, malloc'd. */
static char *area_path(const dir_be *d, const char *set, size_t area_len)
{
    size_t n = strlen(d->root) + 1 + area_len + 1;
    char *s = malloc(n);

    if (s)
        snprintf(s, n, "%s/%.*s", d->root, (int)area_len, set);
    return s;
}

/* "ROOT/<area>/.<name>.<tag>-XXXXXX", a mkdtemp template, malloc'd. */
static char *temp_template(const char *area, const char *name, const char *tag)
{
    size_t n = strlen(area) + strlen(name) + strlen(tag) + 12;
    char *s = malloc(n);

    if (s)
        snprintf(s, n, "%s/.%s.%s-XXXXXX", area, name, tag);
    return s;
}

static autocert_err io_err(int e)
{
    if (e == ENOMEM)
        return AUTOCERT_ERR_NOMEM;
    return AUTOCERT_ERR_IO;
}

/* Creates ROOT/<area> (0700) if needed; it must be a real directory. */
static autocert_err ensure_area(const char *area)
{
    if (ac_mkdir(area, 0700, AC_MKDIR_NOFOLLOW, NULL) != 0)
        return errno == ENOTDIR ? AUTOCERT_ERR_IO : io_err(errno);
    return AUTOCERT_OK;
}

/* ---- root --------------------------------------------------------------- */

/* The default root: $AUTOCERT_CACHE, else ~/.autocert-cache. malloc'd. */
static autocert_err default_root(char **out)
{
    const char *env = getenv("AUTOCERT_CACHE"), *home = getenv("HOME");
    struct passwd pw, *res = NULL;
    char *buf = NULL;
    size_t bufsz = 4096;
    autocert_err rc = AUTOCERT_OK;

    *out = NULL;
    if (env && *env)
        return (*out = strdup(env)) ? AUTOCERT_OK : AUTOCERT_ERR_NOMEM;
    if (home == NULL || *home == '\0') {
        for (;;) {
            char *nb = realloc(buf, bufsz);
            if (nb == NULL) {
                rc = AUTOCERT_ERR_NOMEM;
                goto out;
            }
            buf = nb;
            int e = getpwuid_r(geteuid(), &pw, buf, bufsz, &res);
            if (e == ERANGE && bufsz < 1024 * 1024) {
                bufsz *= 2;
                continue;
            }
            if (e != 0 || res == NULL || pw.pw_dir == NULL || pw.pw_dir[0] == '\0') {
                rc = AUTOCERT_ERR_IO;
                goto out;
            }
            home = pw.pw_dir;
            break;
        }
    }
    if ((*out = path3(home, ".autocert-cache", NULL)) == NULL)
        rc = AUTOCERT_ERR_NOMEM;
out:
    free(buf);
    return rc;
}

/* An absolute copy of `dir` without trailing slashes. malloc'd. */
static autocert_err absolute(const char *dir, char **out)
{
    char cwd[PATH_MAX];
    size_t n;

    *out = NULL;
    if (dir[0] == '/') {
        *out = strdup(dir);
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return io_err(errno);
        *out = path3(strcmp(cwd, "/") == 0 ? "" : cwd, dir, NULL);
    }
    if (*out == NULL)
        return AUTOCERT_ERR_NOMEM;
    n = strlen(*out);
    while (n > 1 && (*out)[n - 1] == '/')
        (*out)[--n] = '\0';
    return AUTOCERT_OK;
}

/* Creates the root or checks an existing one: a directory, 0700. */
static autocert_err prepare_root(const char *root)
{
    struct stat sb;

    if (stat(root, &sb) != 0) {
        if (errno != ENOENT)
            return io_err(errno);
        if (ac_mkdir_parents(root) != 0)
            return io_err(errno);
        if (stat(root, &sb) != 0)
            return io_err(errno);
    }
    if (!S_ISDIR(sb.st_mode))
        return AUTOCERT_ERR_IO;
    if ((sb.st_mode & 077) != 0) {
        /* Only tighten a directory that is ours. */
        if (sb.st_uid != geteuid())
            return AUTOCERT_ERR_IO;
        if (chmod(root, 0700) != 0)
            return io_err(errno);
    }
    return AUTOCERT_OK;
}

/* ---- operations ---------------------------------------------------------- */

static autocert_err dir_lock(void *be, int wait_s)
{
    dir_be *d = be;
    struct timespec start, now, pause = {0, LOCK_POLL_NS};
    char *path = NULL;
    int fd = -1;
    autocert_err rc = AUTOCERT_OK;

    if (d->lock_depth > 0) {
        d->lock_depth++;
        return AUTOCERT_OK;
    }
    if ((path = path3(d->root, LOCK_NAME, NULL)) == NULL)
        return AUTOCERT_ERR_NOMEM;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = io_err(errno);
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK) {
            rc = io_err(errno);
            goto out;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >=
            (double)(wait_s > 0 ? wait_s : 0)) {
            rc = AUTOCERT_ERR_LOCKED;
            goto out;
        }
        nanosleep(&pause, NULL);
    }
    d->lock_fd = fd;
    d->lock_depth = 1;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

static void dir_unlock(void *be)
{
    dir_be *d = be;

    if (d->lock_depth == 0)
        return;
    if (--d->lock_depth > 0)
        return;
    flock(d->lock_fd, LOCK_UN);
    close(d->lock_fd);
    d->lock_fd = -1;
}

static autocert_err dir_load(void *be, const char *set, const char *item,
                             unsigned char **data, size_t *len)
{
    dir_be *d = be;
    const char *name;
    size_t area_len, got = 0;
    char *setpath = NULL;
    unsigned char *buf = NULL;
    int dfd = -1, fd = -1;
    struct stat sb;
    autocert_err rc = AUTOCERT_OK;

    if (data == NULL || len == NULL)
        return AUTOCERT_ERR_INVALID;
    *data = NULL;
    *len = 0;
    if (!set_split(set, &area_len, &name) || !name_ok(item))
        return AUTOCERT_ERR_INVALID;
    if ((setpath = path3(d->root, set, NULL)) == NULL)
        return AUTOCERT_ERR_NOMEM;
    /* The set directory is opened first: every item read through it comes
     * from one generation, and neither it nor the item may be a link. */
    dfd = open(setpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd >= 0)
        fd = openat(dfd, item, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        rc = errno == ENOENT ? AUTOCERT_ERR_NOT_FOUND : io_err(errno);
        goto out;
    }
    if (fstat(fd, &sb) != 0) {
        rc = io_err(errno);
        goto out;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size < 0 || (unsigned long long)sb.st_size > AC_MAX_FILE) {
        rc = AUTOCERT_ERR_CORRUPT;
        goto out;
    }
    if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
        rc = AUTOCERT_ERR_NOMEM;
        goto out;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = io_err(errno);
            goto out;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    buf = NULL;
out:
    if (buf) {
        /* The item may be a key: leave nothing of it behind. */
        OPENSSL_cleanse(buf, (size_t)sb.st_size + 1);
        free(buf);
    }
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    free(setpath);
    return rc;
}

/* Writes every item into the directory `tmp`, then syncs it. */
static autocert_err write_items(const char *tmp, const autocert_item *items, size_t n)
{
    int dfd, e;
    size_t i;

    if ((dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return io_err(errno);
    for (i = 0; i < n; i++)
        if (ac_file_create_at(dfd, items[i].name, items[i].data, items[i].len,
                              items[i].secret ? 0600 : 0644, AC_WRITE_SYNC) != 0)
            break;
    if (i == n && fsync(dfd) == 0) {
        close(dfd);
        return AUTOCERT_OK;
    }
    e = errno;
    close(dfd);
    return io_err(e);
}

/* Exchanges the directories `a` and `b` atomically: 0, or -1 with errno. */
static int exchange(const char *a, const char *b)
{
#if defined(HAVE_RENAMEAT2) && defined(RENAME_EXCHANGE)
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
    (void)a;
    (void)b;
    errno = ENOSYS;
    return -1;
#endif
}

/* Replacement without RENAME_EXCHANGE: live -> .<name>.old-XXXXXX, then
 * tmp -> live.  Readers may find no set between the two renames. */
static autocert_err replace_by_rename(const char *area, const char *name, const char *tmp,
                                      const char *live)
{
    char *old = temp_template(area, name, "old");
    autocert_err rc = AUTOCERT_OK;

    if (old == NULL)
        return AUTOCERT_ERR_NOMEM;
    /* rename(2) may replace the empty directory mkdtemp made. */
    if (mkdtemp(old) == NULL || rename(live, old) != 0) {
        rc = io_err(errno);
        rmdir(old);
        goto out;
    }
    if (rename(tmp, live) != 0) {
        rc = io_err(errno);
        rename(old, live); /* put the previous generation back */
        goto out;
    }
    ac_remove_tree(old);
out:
    free(old);
    return rc;
}

static autocert_err dir_store(void *be, const char *set, const autocert_item *items, size_t n)
{
    dir_be *d = be;
    const char *name;
    size_t area_len, i, j;
    char *area = NULL, *tmp = NULL, *live = NULL;
    int tries, made = 0;
    autocert_err rc = AUTOCERT_OK;

    if (!set_split(set, &area_len, &name) || (n > 0 && items == NULL))
        return AUTOCERT_ERR_INVALID;
    for (i = 0; i < n; i++) {
        if (!name_ok(items[i].name) || (items[i].len > 0 && items[i].data == NULL))
            return AUTOCERT_ERR_INVALID;
        for (j = 0; j < i; j++)
            if (strcmp(items[i].name, items[j].name) == 0)
                return AUTOCERT_ERR_INVALID;
    }
    if ((area = area_path(d, set, area_len)) == NULL ||
        (tmp = temp_template(area, name, "tmp")) == NULL ||
        (live = path3(area, name, NULL)) == NULL) {
        rc = AUTOCERT_ERR_NOMEM;
        goto out;
    }
    if ((rc = ensure_area(area)) != AUTOCERT_OK)
        goto out;
    if (mkdtemp(tmp) == NULL) {
        rc = io_err(errno);
        goto out;
    }
    made = 1;
    if ((rc = write_items(tmp, items, n)) != AUTOCERT_OK)
        goto out;
    /* A concurrent writer may create or remove the live set between our
     * attempts: try a few times. */
    rc = AUTOCERT_ERR_IO;
    for (tries = 0; tries < 3; tries++) {
        if (exchange(tmp, live) == 0) {
            /* The old generation now sits under the temporary name. */
            ac_remove_tree(tmp);
            made = 0;
            rc = AUTOCERT_OK;
            break;
        }
        if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP || errno == EOPNOTSUPP) {
            struct stat sb;
            if (lstat(live, &sb) == 0) {
                rc = replace_by_rename(area, name, tmp, live);
                if (rc == AUTOCERT_OK)
                    made = 0;
                break;
            }
            if (errno != ENOENT) {
                rc = io_err(errno);
                break;
            }
        } else if (errno != ENOENT) {
            rc = io_err(errno);
            break;
        }
        /* No live set: move the new one into place. */
        if (rename(tmp, live) == 0) {
            made = 0;
            rc = AUTOCERT_OK;
            break;
        }
        if (errno != ENOTEMPTY && errno != EEXIST) {
            rc = io_err(errno);
            break;
        }
    }
    if (rc == AUTOCERT_OK && ac_fsync_dir(area) != 0)
        rc = io_err(errno);
out:
    if (made)
        ac_remove_tree(tmp);
    free(area);
    free(tmp);
    free(live);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static autocert_err dir_list(void *be, const char *prefix, char ***keys, size_t *n)
{
    dir_be *d = be;
    size_t plen, count = 0, cap = 0;
    char *area = NULL, **v = NULL;
    DIR *dir = NULL;
    struct dirent *de;
    int fd;
    autocert_err rc = AUTOCERT_OK;

    if (keys == NULL || n == NULL)
        return AUTOCERT_ERR_INVALID;
    *keys = NULL;
    *n = 0;
    if (prefix == NULL)
        return AUTOCERT_ERR_INVALID;
    plen = strnlen(prefix, NAME_MAX_LEN + 2);
    if (plen < 2 || prefix[plen - 1] != '/' || !component_ok(prefix, plen - 1))
        return AUTOCERT_ERR_INVALID;
    if ((area = path3(d->root, prefix, NULL)) == NULL)
        return AUTOCERT_ERR_NOMEM;
    area[strlen(area) - 1] = '\0'; /* the trailing '/' */
    fd = open(area, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            rc = io_err(errno);
        goto out;
    }
    if ((dir = fdopendir(fd)) == NULL) {
        rc = io_err(errno);
        close(fd);
        goto out;
    }
    for (;;) {
        struct stat sb;
        char *key;

        errno = 0;
        if ((de = readdir(dir)) == NULL) {
            if (errno != 0)
                rc = io_err(errno);
            break;
        }
        if (!name_ok(de->d_name))
            continue; /* dot entries and anything we would not have made */
        if (fstatat(dirfd(dir), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(sb.st_mode))
            continue;
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nv = realloc(v, nc * sizeof(*v));
            if (nv == NULL) {
                rc = AUTOCERT_ERR_NOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        if ((key = malloc(plen + strlen(de->d_name) + 1)) == NULL) {
            rc = AUTOCERT_ERR_NOMEM;
            break;
        }
        memcpy(key, prefix, plen);
        memcpy(key + plen, de->d_name, strlen(de->d_name) + 1);
        v[count++] = key;
    }
    if (rc != AUTOCERT_OK)
        goto out;
    if (count > 1)
        qsort(v, count, sizeof(*v), cmp_str);
    *keys = v;
    *n = count;
    v = NULL;
    count = 0;
out:
    if (dir)
        closedir(dir);
    while (count > 0)
        free(v[--count]);
    free(v);
    free(area);
    return rc;
}

static autocert_err dir_remove(void *be, const char *set)
{
    dir_be *d = be;
    const char *name;
    size_t area_len;
    char *area = NULL, *tmp = NULL, *live = NULL;
    struct stat sb;
    autocert_err rc = AUTOCERT_OK;

    if (!set_split(set, &area_len, &name))
        return AUTOCERT_ERR_INVALID;
    if ((area = area_path(d, set, area_len)) == NULL ||
        (tmp = temp_template(area, name, "rm")) == NULL ||
        (live = path3(area, name, NULL)) == NULL) {
        rc = AUTOCERT_ERR_NOMEM;
        goto out;
    }
    if (lstat(live, &sb) != 0) {
        rc = errno == ENOENT || errno == ENOTDIR ? AUTOCERT_ERR_NOT_FOUND : io_err(errno);
        goto out;
    }
    if (!S_ISDIR(sb.st_mode)) {
        rc = AUTOCERT_ERR_IO;
        goto out;
    }
    /* rename(2) replaces the empty directory mkdtemp made. */
    if (mkdtemp(tmp) == NULL) {
        rc = io_err(errno);
        goto out;
    }
    if (rename(live, tmp) != 0) {
        rc = errno == ENOENT ? AUTOCERT_ERR_NOT_FOUND : io_err(errno);
        rmdir(tmp);
        goto out;
    }
    if (ac_remove_tree(tmp) != 0 || ac_fsync_dir(area) != 0)
        rc = io_err(errno);
out:
    free(area);
    free(tmp);
    free(live);
    return rc;
}

static char *dir_path(void *be, const char *set, const char *item)
{
    dir_be *d = be;
    const char *name;
    size_t area_len;

    if (!set_split(set, &area_len, &name) || !name_ok(item))
        return NULL;
    return path3(d->root, set, item);
}

static void dir_destroy(void *be)
{
    dir_be *d = be;

    if (d == NULL)
        return;
    if (d->lock_fd >= 0) {
        flock(d->lock_fd, LOCK_UN);
        close(d->lock_fd);
    }
    free(d->root);
    free(d);
}

static const autocert_storage_ops dir_ops = {
    .lock = dir_lock,
    .unlock = dir_unlock,
    .load = dir_load,
    .store = dir_store,
    .list = dir_list,
    .remove = dir_remove,
    .path = dir_path,
    .destroy = dir_destroy,
};

autocert_err autocert_storage_dir_new(const char *dir, autocert_storage **out)
{
    char *given = NULL;
    dir_be *d = NULL;
    autocert_storage *st = NULL;
    autocert_err rc;

    if (out == NULL)
        return AUTOCERT_ERR_INVALID;
    *out = NULL;
    if (dir != NULL && *dir == '\0')
        return AUTOCERT_ERR_INVALID;
    if (dir == NULL) {
        if ((rc = default_root(&given)) != AUTOCERT_OK)
            goto out;
        dir = given;
    }
    if ((d = calloc(1, sizeof(*d))) == NULL) {
        rc = AUTOCERT_ERR_NOMEM;
        goto out;
    }
    d->lock_fd = -1;
    if ((rc = absolute(dir, &d->root)) != AUTOCERT_OK ||
        (rc = prepare_root(d->root)) != AUTOCERT_OK)
        goto out;
    if ((st = autocert_storage_new(&dir_ops, d)) == NULL) {
        rc = AUTOCERT_ERR_NOMEM;
        goto out;
    }
    d = NULL; /* owned by st now */
    if ((st->root = strdup(((dir_be *)st->be)->root)) == NULL) {
        rc = AUTOCERT_ERR_NOMEM;
        goto out;
    }
    *out = st;
    st = NULL;
out:
    autocert_storage_free(st);
    dir_destroy(d);
    free(given);
    return rc;
}
