/* dir.c: the directory storage backend, the default certificate cache. */
/*
 * Layout under the root (mode 0700, owned by the user running autocert):
 *
 *   ROOT/accounts/<id>/<item>   one set per ACME account
 *   ROOT/certs/<name>/<item>    one set per certificate
 *   ROOT/<area>/.<name>.lock    flock(2) writer lock of one set
 *   ROOT/.lock                  held shared by every set lock, so that
 *                               versions that lock the whole store with it
 *                               exclusively still exclude this one
 *
 * Set keys and item names arrive checked by the dispatcher (storage.c):
 * single path components that never start with '.'.  Names starting with
 * '.' are reserved for locks and work in progress and never listed.
 * Directories are 0700, secret items 0600, other items 0644.
 *
 * What autocert did not write is never read, replaced or deleted: an area,
 * a set directory or an item that is a symbolic link, of another type or
 * another user's fails with AUTOCERT_ERR_EXISTS naming it (only the root
 * may be reached through a link, to the user's own directory).  A
 * directory of the user's that the user may not enter is an I/O error
 * naming its mode; a store or remove opens such a set up (0700) to replace
 * it whole.
 *
 * Replacing a set (store):
 *   1. mkdtemp ROOT/<area>/.<name>.tmp-XXXXXX and write every item into it
 *      (O_EXCL|O_NOFOLLOW), then fsync the files in one batch;
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
 * Replacing one item (store_item) writes a temporary file in the set's
 * directory and renames it over the item.  Removing a set renames it to
 * .<name>.rm-XXXXXX first, then deletes it, so readers see it whole or gone.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "storage/dirfs.h"
#include "storage/storage.h"

#define STORE_LOCK ".lock"
#define LOCK_POLL_S 0.05

/* A set lock this process holds. */
typedef struct held {
    char *set;
    int fd;       /* ROOT/<area>/.<name>.lock, exclusive */
    int store_fd; /* ROOT/.lock, shared */
    struct held *next;
} held;

typedef struct {
    char *root;
    pthread_mutex_t mu; /* guards `locks` */
    held *locks;
    ac_dirsweep *sweep;
} dir_be;

/* ---- names, paths, failures -------------------------------------------- */

/* Splits a (checked) set key "<area>/<name>". */
static void set_split(const char *set, size_t *area_len, const char **name)
{
    const char *slash = strchr(set, '/');

    *area_len = (size_t)(slash - set);
    *name = slash + 1;
}

/* "ROOT/<area>" of a set key, malloc'd. */
static char *area_path(const dir_be *d, const char *set)
{
    size_t area_len;
    const char *name;
    size_t n;
    char *s;

    set_split(set, &area_len, &name);
    n = strlen(d->root);
    if ((s = malloc(n + 1 + area_len + 1)) != NULL) {
        memcpy(s, d->root, n);
        s[n] = '/';
        memcpy(s + n + 1, set, area_len);
        s[n + 1 + area_len] = '\0';
    }
    return s;
}

/* "ROOT/<area>/.<tag>.<kind>", with "-XXXXXX" for mkdtemp when `unique`. */
static char *dot_path(const char *area, const char *name, const char *kind, int unique)
{
    char tag[AC_DIR_WORK_TAG_MAX + 1];
    size_t n = strlen(area) + AC_DIR_WORK_TAG_MAX + strlen(kind) + 12;
    char *s = malloc(n);

    ac_dirsweep_tag(name, tag, sizeof(tag));
    if (s)
        snprintf(s, n, "%s/.%s.%s%s", area, tag, kind, unique ? "-XXXXXX" : "");
    return s;
}

/* Creates ROOT/<area> (0700) if needed; an existing one must pass check_dir. */
static autocert_err ensure_area(const char *area, char *detail)
{
    autocert_err rc = ac_dirfs_check_dir(area, detail);

    if (rc != AUTOCERT_ERR_NOT_FOUND)
        return rc;
    if (ac_mkdir(area, 0700, AC_MKDIR_NOFOLLOW, NULL) != 0)
        return ac_dirfs_fail(detail, "cannot create directory", area, errno);
    return AUTOCERT_OK;
}

/* ---- locks -------------------------------------------------------------- */

/* flock(2) `fd` with `op`, polling until it is free or `deadline` passes. */
static autocert_err flock_wait(int fd, int op, double deadline)
{
    for (;;) {
        if (flock(fd, op | LOCK_NB) == 0)
            return AUTOCERT_OK;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK)
            return ac_dirfs_io_err(errno);
        if (ac_now() >= deadline)
            return AUTOCERT_ERR_LOCKED;
        ac_sleep_s(LOCK_POLL_S);
    }
}

/* Opens (creating) a lock file and takes it with `op` before `deadline`. */
static autocert_err take(const char *path, int op, double deadline, int *fd, char *detail)
{
    autocert_err rc;

    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (*fd < 0)
        return ac_dirfs_fail(detail, "cannot open lock file", path, errno);
    if ((rc = flock_wait(*fd, op, deadline)) != AUTOCERT_OK) {
        if (rc != AUTOCERT_ERR_LOCKED)
            ac_dirfs_fail(detail, "cannot lock", path, errno);
        close(*fd);
        *fd = -1;
    }
    return rc;
}

static autocert_err dir_lock(void *be, const char *set, int wait_s, char *detail)
{
    dir_be *d = be;
    double deadline = ac_now() + (wait_s > 0 ? (double)wait_s : 0.0);
    const char *name;
    size_t area_len;
    char *area = area_path(d, set), *store = ac_dirfs_path3(d->root, STORE_LOCK, NULL), *path = NULL;
    held *h = calloc(1, sizeof(*h));
    autocert_err rc = AUTOCERT_ERR_NOMEM;

    set_split(set, &area_len, &name);
    if (h == NULL || area == NULL || store == NULL ||
        (path = dot_path(area, name, "lock", 0)) == NULL || (h->set = strdup(set)) == NULL)
        goto out;
    h->fd = h->store_fd = -1;
    if ((rc = ensure_area(area, detail)) != AUTOCERT_OK ||
        (rc = take(store, LOCK_SH, deadline, &h->store_fd, detail)) != AUTOCERT_OK ||
        (rc = take(path, LOCK_EX, deadline, &h->fd, detail)) != AUTOCERT_OK)
        goto out;
    pthread_mutex_lock(&d->mu);
    h->next = d->locks;
    d->locks = h;
    pthread_mutex_unlock(&d->mu);
    h = NULL;
    /* Only the holder of the set's lock writes it, and that is the caller
     * now: what other writers of the set left behind is debris. */
    ac_dirsweep_run(d->sweep, area, name);
out:
    if (h) {
        if (h->store_fd >= 0)
            close(h->store_fd);
        free(h->set);
        free(h);
    }
    free(area);
    free(store);
    free(path);
    return rc;
}

static void release(held *h)
{
    /* Closing the descriptors drops their flocks. */
    close(h->fd);
    close(h->store_fd);
    free(h->set);
    free(h);
}

static void dir_unlock(void *be, const char *set)
{
    dir_be *d = be;
    held **pp, *h = NULL;

    pthread_mutex_lock(&d->mu);
    for (pp = &d->locks; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->set, set) == 0) {
            h = *pp;
            *pp = h->next;
            break;
        }
    }
    pthread_mutex_unlock(&d->mu);
    if (h)
        release(h);
}

/* ---- reading ------------------------------------------------------------ */

/* Reads the whole regular file `fd` of at most AC_MAX_FILE bytes. */
static autocert_err read_fd(int fd, const char *path, unsigned char **data, size_t *len,
                            char *detail)
{
    struct stat sb;
    unsigned char *buf;
    size_t got = 0, size;
    autocert_err rc;

    if (fstat(fd, &sb) != 0)
        return ac_dirfs_fail(detail, "cannot read", path, errno);
    if ((rc = ac_dirfs_foreign(&sb, S_IFREG, path, detail)) != AUTOCERT_OK)
        return rc;
    if (sb.st_size < 0 || (unsigned long long)sb.st_size > AC_MAX_FILE) {
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "%s: larger than %u bytes", path, AC_MAX_FILE);
        return AUTOCERT_ERR_CORRUPT;
    }
    /* Anybody could have put it there: not to be handed to a server. */
    if ((sb.st_mode & 022) != 0) {
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "%s: writable by group or others, refused",
                 path);
        return AUTOCERT_ERR_CORRUPT;
    }
    size = (size_t)sb.st_size;
    if ((buf = malloc(size + 1)) == NULL)
        return AUTOCERT_ERR_NOMEM;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            /* The item may be a key: leave nothing of it behind. */
            ac_free_secret(buf, size + 1);
            return ac_dirfs_fail(detail, "cannot read", path, e);
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return AUTOCERT_OK;
}

/* Why `name` in `dfd` (`path` for messages), expected of `type`, could
 * not be opened. */
static autocert_err open_failed(int dfd, const char *name, const char *path, mode_t type, int e,
                                char *detail)
{
    struct stat sb;
    autocert_err rc;

    if (e == ENOENT)
        return AUTOCERT_ERR_NOT_FOUND;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        if ((rc = ac_dirfs_foreign(&sb, type, path, detail)) != AUTOCERT_OK)
            return rc;
        if (S_ISDIR(sb.st_mode))
            return ac_dirfs_closed_dir(&sb, path, detail);
    }
    return ac_dirfs_fail(detail, "cannot open", path, e);
}

/* Opens the set directory `setpath` (in `area`, which must pass ac_dirfs_check_dir). */
static autocert_err open_set(const char *area, const char *setpath, int *dfd, char *detail)
{
    struct stat sb;
    autocert_err rc;

    *dfd = -1;
    if ((rc = ac_dirfs_check_dir(area, detail)) != AUTOCERT_OK)
        return rc;
    *dfd = open(setpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*dfd < 0)
        return open_failed(AT_FDCWD, setpath, setpath, S_IFDIR, errno, detail);
    if (fstat(*dfd, &sb) != 0)
        rc = ac_dirfs_fail(detail, "cannot use", setpath, errno);
    else if ((rc = ac_dirfs_foreign(&sb, S_IFDIR, setpath, detail)) == AUTOCERT_OK)
        return AUTOCERT_OK;
    close(*dfd);
    *dfd = -1;
    return rc;
}

/* Reads `item` of the open set directory `dfd` (of `set`, for messages). */
static autocert_err load_in(const dir_be *d, int dfd, const char *set, const char *item,
                            unsigned char **data, size_t *len, char *detail)
{
    char *path = ac_dirfs_path3(d->root, set, item);
    autocert_err rc;
    int fd;

    if (path == NULL)
        return AUTOCERT_ERR_NOMEM;
    /* O_NONBLOCK: a FIFO planted in the cache must not hang the open; the
     * type is checked right after (regular files ignore the flag). */
    fd = openat(dfd, item, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        rc = open_failed(dfd, item, path, S_IFREG, errno, detail);
    } else {
        rc = read_fd(fd, path, data, len, detail);
        close(fd);
    }
    free(path);
    return rc;
}

/* Opens the set directory of `set`: NOT_FOUND when absent. */
static autocert_err set_open(const dir_be *d, const char *set, int *dfd, char *detail)
{
    char *area = area_path(d, set), *setpath = ac_dirfs_path3(d->root, set, NULL);
    autocert_err rc = AUTOCERT_ERR_NOMEM;

    *dfd = -1;
    /* The set directory is opened first: every item read through it comes
     * from one generation, and neither it nor the item may be a link, of
     * another type or of another user. */
    if (area != NULL && setpath != NULL)
        rc = open_set(area, setpath, dfd, detail);
    free(area);
    free(setpath);
    return rc;
}

static autocert_err dir_load(void *be, const char *set, const char *item, unsigned char **data,
                             size_t *len, char *detail)
{
    dir_be *d = be;
    int dfd;
    autocert_err rc;

    *data = NULL;
    *len = 0;
    if ((rc = set_open(d, set, &dfd, detail)) != AUTOCERT_OK)
        return rc;
    rc = load_in(d, dfd, set, item, data, len, detail);
    close(dfd);
    return rc;
}

/* The items of one generation: the set directory is opened once. */
static autocert_err dir_load_items(void *be, const char *set, const char *const *names, size_t n,
                                   unsigned char **data, size_t *len, size_t *failed,
                                   char *detail)
{
    dir_be *d = be;
    int dfd;
    autocert_err rc;

    *failed = n;
    if ((rc = set_open(d, set, &dfd, detail)) != AUTOCERT_OK)
        return rc;
    for (*failed = 0; *failed < n; (*failed)++) {
        rc = load_in(d, dfd, set, names[*failed], &data[*failed], &len[*failed], detail);
        if (rc == AUTOCERT_ERR_NOT_FOUND)
            rc = AUTOCERT_OK;
        if (rc != AUTOCERT_OK)
            break;
    }
    close(dfd);
    return rc;
}

/* ---- replacing a set ---------------------------------------------------- */

/* Writes every item into the directory `tmp`, then syncs them in one
 * batch: all are written (and their write-back started) before the first
 * fsync, so the disk sees one burst, not one round trip a file.  The
 * directory itself is not synced here: the files' fsyncs commit their
 * entries on a journaling file system, and the rename into place is synced
 * with ROOT/<area>. */
static autocert_err write_items(const char *tmp, const autocert_item *items, size_t n,
                                char *detail)
{
    int dfd, e = 0, *fds;
    size_t i, j;

    if ((fds = calloc(n ? n : 1, sizeof(int))) == NULL)
        return AUTOCERT_ERR_NOMEM;
    if ((dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        free(fds);
        return ac_dirfs_fail(detail, "cannot open", tmp, errno);
    }
    for (i = 0; i < n; i++)
        if ((fds[i] = ac_file_create_open(dfd, items[i].name, items[i].data, items[i].len,
                                          items[i].secret ? 0600 : 0644)) < 0) {
            e = errno;
            break;
        }
    for (j = 0; j < i; j++) {
        if (e == 0 && fsync(fds[j]) != 0)
            e = errno;
        if (close(fds[j]) != 0 && e == 0)
            e = errno;
    }
    close(dfd);
    free(fds);
    return e == 0 ? AUTOCERT_OK : ac_dirfs_fail(detail, "cannot write", tmp, e);
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
                                      const char *live, char *detail)
{
    char *old = dot_path(area, name, "old", 1);
    autocert_err rc = AUTOCERT_OK;

    if (old == NULL)
        return AUTOCERT_ERR_NOMEM;
    /* rename(2) may replace the empty directory mkdtemp made. */
    if (mkdtemp(old) == NULL || rename(live, old) != 0) {
        rc = ac_dirfs_fail(detail, "cannot move aside", live, errno);
        rmdir(old);
    } else if (rename(tmp, live) != 0) {
        rc = ac_dirfs_fail(detail, "cannot rename into place", live, errno);
        rename(old, live); /* put the previous generation back */
    } else {
        ac_remove_tree(old);
    }
    free(old);
    return rc;
}

/* Puts the written set `tmp` in the place of `live`; *placed when done.
 * A concurrent writer may create or remove the live set between our
 * attempts: try a few times. */
static autocert_err place(const char *area, const char *name, const char *tmp,
                          const char *live, int *placed, char *detail)
{
    struct stat sb;
    int tries;

    for (tries = 0; tries < 3; tries++) {
        if (exchange(tmp, live) == 0) {
            /* The old generation now sits under the temporary name. */
            ac_remove_tree(tmp);
            *placed = 1;
            return AUTOCERT_OK;
        }
        if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP || errno == EOPNOTSUPP) {
            if (lstat(live, &sb) == 0) {
                autocert_err rc = replace_by_rename(area, name, tmp, live, detail);
                *placed = rc == AUTOCERT_OK;
                return rc;
            }
        }
        if (errno != ENOENT)
            return ac_dirfs_fail(detail, "cannot replace", live, errno);
        /* No live set: move the new one into place. */
        if (rename(tmp, live) == 0) {
            *placed = 1;
            return AUTOCERT_OK;
        }
        if (errno != ENOTEMPTY && errno != EEXIST)
            return ac_dirfs_fail(detail, "cannot rename into place", live, errno);
    }
    return ac_dirfs_fail(detail, "cannot replace", live, EBUSY);
}

static autocert_err dir_store(void *be, const char *set, const autocert_item *items, size_t n,
                              char *detail)
{
    dir_be *d = be;
    const char *name;
    size_t area_len;
    char *area = area_path(d, set), *tmp = NULL, *live = ac_dirfs_path3(d->root, set, NULL);
    int made = 0, placed = 0;
    mode_t reopened = 0;
    autocert_err rc = AUTOCERT_ERR_NOMEM;

    set_split(set, &area_len, &name);
    if (area == NULL || live == NULL || (tmp = dot_path(area, name, "tmp", 1)) == NULL)
        goto out;
    if ((rc = ensure_area(area, detail)) != AUTOCERT_OK)
        goto out;
    if (mkdtemp(tmp) == NULL) {
        rc = ac_dirfs_fail(detail, "cannot create a directory in", area, errno);
        goto out;
    }
    made = 1;
    if ((rc = write_items(tmp, items, n, detail)) != AUTOCERT_OK ||
        (rc = ac_dirfs_replaceable(live, &reopened, detail)) != AUTOCERT_OK)
        goto out;
    rc = place(area, name, tmp, live, &placed, detail);
    if (!placed && reopened)
        chmod(live, reopened & 07777);
    if (rc != AUTOCERT_OK)
        goto out;
    if (ac_fsync_dir(area) != 0)
        rc = ac_dirfs_fail(detail, "cannot sync", area, errno);
out:
    if (made && !placed)
        ac_remove_tree(tmp);
    free(area);
    free(tmp);
    free(live);
    return rc;
}

static autocert_err dir_store_item(void *be, const char *set, const autocert_item *item,
                                   char *detail)
{
    dir_be *d = be;
    char *setpath = ac_dirfs_path3(d->root, set, NULL), *path = ac_dirfs_path3(d->root, set, item->name);
    char *tmp = NULL;
    struct stat sb;
    autocert_err rc = AUTOCERT_ERR_NOMEM;

    if (setpath == NULL || path == NULL)
        goto out;
    if (lstat(setpath, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        rc = errno == ENOENT || errno == 0 ? AUTOCERT_ERR_NOT_FOUND
                                          : ac_dirfs_fail(detail, "cannot open", setpath, errno);
        goto out;
    }
    if (ac_file_create_temp(setpath, ".autocert-tmp.", item->data, item->len,
                            item->secret ? 0600 : 0644, AC_WRITE_SYNC, &tmp) != 0)
        rc = ac_dirfs_fail(detail, "cannot write a file in", setpath, errno);
    else if (rename(tmp, path) != 0)
        rc = ac_dirfs_fail(detail, "cannot rename into place", path, errno);
    else if (ac_fsync_dir(setpath) != 0)
        rc = ac_dirfs_fail(detail, "cannot sync", setpath, errno);
    else
        rc = AUTOCERT_OK;
    if (rc != AUTOCERT_OK && tmp)
        unlink(tmp);
out:
    free(setpath);
    free(path);
    free(tmp);
    return rc;
}

/* ---- listing and removing ----------------------------------------------- */

static autocert_err dir_list(void *be, const char *prefix, char ***keys, size_t *n, char *detail)
{
    dir_be *d = be;
    size_t count = 0;
    char *area = ac_dirfs_path3(d->root, prefix, NULL), **v = NULL;
    DIR *dir = NULL;
    int fd;
    autocert_err rc = AUTOCERT_OK;

    *keys = NULL;
    *n = 0;
    if (area == NULL)
        return AUTOCERT_ERR_NOMEM;
    area[strlen(area) - 1] = '\0'; /* the trailing '/' */
    fd = open(area, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
        if (fd >= 0 || errno != ENOENT)
            rc = ac_dirfs_fail(detail, "cannot open", area, errno);
        if (fd >= 0)
            close(fd);
        goto out;
    }
    if ((rc = ac_dirfs_read_area(dir, prefix, area, &v, &count, detail)) != AUTOCERT_OK)
        goto out;
    if (count > 1)
        qsort(v, count, sizeof(*v), ac_dirfs_cmp_str);
    *keys = v;
    *n = count;
    v = NULL;
    count = 0;
out:
    if (dir)
        closedir(dir);
    autocert_strv_free(v, count);
    free(area);
    return rc;
}

static autocert_err dir_remove(void *be, const char *set, char *detail)
{
    dir_be *d = be;
    const char *name;
    size_t area_len;
    char *area = area_path(d, set), *tmp = NULL, *live = ac_dirfs_path3(d->root, set, NULL);
    struct stat sb;
    mode_t reopened = 0;
    autocert_err rc = AUTOCERT_ERR_NOMEM;

    set_split(set, &area_len, &name);
    if (area == NULL || live == NULL || (tmp = dot_path(area, name, "rm", 1)) == NULL)
        goto out;
    /* Anything but a directory of the user's holding the user's files is
     * left as it is. */
    if ((rc = ac_dirfs_check_dir(area, detail)) != AUTOCERT_OK)
        goto out;
    if (lstat(live, &sb) != 0) {
        rc = errno == ENOENT ? AUTOCERT_ERR_NOT_FOUND : ac_dirfs_fail(detail, "cannot remove", live, errno);
        goto out;
    }
    if ((rc = ac_dirfs_replaceable(live, &reopened, detail)) != AUTOCERT_OK)
        goto out;
    /* rename(2) replaces the empty directory mkdtemp made. */
    if (mkdtemp(tmp) == NULL) {
        rc = ac_dirfs_fail(detail, "cannot create a directory in", area, errno);
    } else if (rename(live, tmp) != 0) {
        rc = errno == ENOENT ? AUTOCERT_ERR_NOT_FOUND : ac_dirfs_fail(detail, "cannot remove", live, errno);
        rmdir(tmp);
    } else if (ac_remove_tree(tmp) != 0 || ac_fsync_dir(area) != 0) {
        rc = ac_dirfs_fail(detail, "cannot remove", tmp, errno);
    }
    if (rc != AUTOCERT_OK && reopened)
        chmod(live, reopened & 07777);
out:
    free(area);
    free(tmp);
    free(live);
    return rc;
}

static char *dir_path(void *be, const char *set, const char *item)
{
    dir_be *d = be;

    return ac_dirfs_path3(d->root, set, item);
}

static const char *dir_describe(void *be)
{
    return ((dir_be *)be)->root;
}

static void dir_destroy(void *be)
{
    dir_be *d = be;
    held *h, *next;

    if (d == NULL)
        return;
    for (h = d->locks; h != NULL; h = next) {
        next = h->next;
        release(h);
    }
    pthread_mutex_destroy(&d->mu);
    ac_dirsweep_free(d->sweep);
    free(d->root);
    free(d);
}

const autocert_storage_ops ac_dir_ops = {
    .size = sizeof(autocert_storage_ops),
    .lock = dir_lock,
    .unlock = dir_unlock,
    .load = dir_load,
    .store = dir_store,
    .store_item = dir_store_item,
    .list = dir_list,
    .remove = dir_remove,
    .path = dir_path,
    .describe = dir_describe,
    .destroy = dir_destroy,
    .load_items = dir_load_items,
};

/* ---- opening ------------------------------------------------------------ */

autocert_err ac_dir_open(const char *dir, void **be, char *detail)
{
    dir_be *d = NULL;
    autocert_err rc;

    *be = NULL;
    if (dir != NULL && *dir == '\0')
        return AUTOCERT_ERR_INVALID;
    if ((d = calloc(1, sizeof(*d))) == NULL || pthread_mutex_init(&d->mu, NULL) != 0) {
        free(d);
        return AUTOCERT_ERR_NOMEM;
    }
    if ((d->sweep = ac_dirsweep_new()) == NULL)
        rc = AUTOCERT_ERR_NOMEM;
    else
        rc = ac_dirfs_root(dir, &d->root, detail);
    if (rc == AUTOCERT_OK) {
        *be = d;
        d = NULL;
    }
    dir_destroy(d);
    return rc;
}

const char *ac_dir_root(void *be)
{
    return ((dir_be *)be)->root;
}
