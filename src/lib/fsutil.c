/* fsutil.c: files and directories: complete writes, safe creation, mkdir, tree removal, whole-file reads and writes. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "internal.h"

#define RMTREE_DEPTH 8

int ac_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc, e;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    e = errno;
    close(fd);
    errno = e;
    return rc;
}

int ac_write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Removes every entry of the directory `dfd` (consumed), recursing into
 * subdirectories without following symbolic links. */
static int clear_dirfd(int dfd, int depth)
{
    DIR *dir = NULL;
    struct dirent *de;
    int rc = 0, pass, left;

    if (depth > RMTREE_DEPTH) {
        close(dfd);
        errno = ELOOP;
        return -1;
    }
    if ((dir = fdopendir(dfd)) == NULL) {
        close(dfd);
        return -1;
    }
    /* Deleting while reading may hide entries: read again until empty. */
    for (pass = 0; pass < 4; pass++) {
        left = 0;
        rewinddir(dir);
        while ((de = readdir(dir)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            left = 1;
            if (unlinkat(dirfd(dir), de->d_name, 0) == 0)
                continue;
            if (errno == EISDIR || errno == EPERM) {
                int sub = openat(dirfd(dir), de->d_name,
                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0 && clear_dirfd(sub, depth + 1) == 0 &&
                    unlinkat(dirfd(dir), de->d_name, AT_REMOVEDIR) == 0)
                    continue;
            }
            if (errno != ENOENT)
                rc = -1;
        }
        if (!left || rc != 0)
            break;
    }
    closedir(dir);
    return rc;
}

/* rm -r of `path` (a directory, or anything else which is unlinked). */
int ac_remove_tree(const char *path)
{
    int fd;

    if (unlink(path) == 0)
        return 0;
    if (errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -1;
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (clear_dirfd(fd, 0) != 0)
        return -1;
    return rmdir(path);
}

int ac_mkdir(const char *path, mode_t mode, unsigned flags, int *made)
{
    struct stat sb;
    int rc;

    if (made)
        *made = 0;
    if (mkdir(path, mode) == 0) {
        if (made)
            *made = 1;
        /* The umask may have taken bits away. */
        return chmod(path, mode);
    }
    if (errno != EEXIST)
        return -1;
    rc = (flags & AC_MKDIR_NOFOLLOW) ? lstat(path, &sb) : stat(path, &sb);
    if (rc != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int ac_mkdir_parents(const char *path)
{
    char *p = strdup(path), *s;
    int rc = 0;

    if (p == NULL)
        return -1;
    for (s = p + 1;; s++) {
        char c = *s;

        if (c != '/' && c != '\0')
            continue;
        *s = '\0';
        rc = ac_mkdir(p, 0700, 0, NULL);
        *s = c;
        if (rc != 0 || c == '\0')
            break;
    }
    free(p);
    return rc;
}

/* Fills the new file `fd` and closes it: 0, or -1 with errno. */
static int fill(int fd, const void *data, size_t len, mode_t mode, unsigned flags)
{
    int e;

    /* fchmod: the mode must not depend on the umask. */
    if (fchmod(fd, mode) != 0 || ac_write_all(fd, data, len) != 0 ||
        ((flags & AC_WRITE_SYNC) && fsync(fd) != 0)) {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

int ac_file_create_at(int dfd, const char *name, const void *data, size_t len, mode_t mode,
                      unsigned flags)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    int e;

    if (fd < 0)
        return -1;
    if (fill(fd, data, len, mode, flags) != 0) {
        e = errno;
        unlinkat(dfd, name, 0);
        errno = e;
        return -1;
    }
    return 0;
}

int ac_file_create_open(int dfd, const char *name, const void *data, size_t len, mode_t mode)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    int e;

    if (fd < 0)
        return -1;
    if (fchmod(fd, mode) != 0 || ac_write_all(fd, data, len) != 0) {
        e = errno;
        close(fd);
        unlinkat(dfd, name, 0);
        errno = e;
        return -1;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    /* Start the write-back now: the caller's fsync of each file then waits
     * for writes already under way, all files' at once. */
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    return fd;
}

int ac_file_create_temp(const char *dir, const char *tag, const void *data, size_t len,
                        mode_t mode, unsigned flags, char **path)
{
    size_t n = strlen(dir) + strlen(tag) + 8;
    int fd, e;

    if ((*path = malloc(n)) == NULL)
        return -1;
    snprintf(*path, n, "%s/%sXXXXXX", dir, tag);
    /* mkstemp creates the file 0600 with O_EXCL: never readable by others. */
    if ((fd = mkstemp(*path)) < 0 || fill(fd, data, len, mode, flags) != 0) {
        e = errno;
        if (fd >= 0)
            unlink(*path);
        free(*path);
        *path = NULL;
        errno = e;
        return -1;
    }
    return 0;
}

autocert_err ac_file_read(autocert_ctx *ctx, const char *path, size_t max,
                          unsigned char **data, size_t *len)
{
    ac_buf b;
    unsigned char chunk[4096];
    int fd = -1;
    ssize_t n;
    autocert_err rc = AUTOCERT_OK;

    *data = NULL;
    *len = 0;
    ac_buf_init(&b, max);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = ac_err(ctx, errno == ENOENT ? AUTOCERT_ERR_NOT_FOUND : AUTOCERT_ERR_IO,
                    "%s: %s", path, AC_STRERROR(errno));
        goto out;
    }
    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ac_err(ctx, AUTOCERT_ERR_IO, "%s: %s", path, AC_STRERROR(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (ac_buf_append(&b, chunk, (size_t)n) < 0) {
            rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: larger than %zu bytes", path, max);
            goto out;
        }
    }
    if (b.len == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: empty file", path);
        goto out;
    }
    *len = b.len;
    *data = (unsigned char *)ac_buf_steal(&b);
out:
    OPENSSL_cleanse(chunk, sizeof(chunk));
    if (fd >= 0)
        close(fd);
    ac_buf_free_secret(&b);
    return rc;
}

char *ac_path_join(const char *dir, const char *base, const char *ext)
{
    ac_buf b;

    ac_buf_init(&b, 8192);
    if (ac_buf_appendf(&b, "%s%s%s%s", dir ? dir : "", dir && *dir ? "/" : "", base,
                       ext ? ext : "") < 0) {
        ac_buf_free(&b);
        return NULL;
    }
    return ac_buf_steal(&b);
}

autocert_err ac_dir_ensure(autocert_ctx *ctx, const char *dir)
{
    if (ac_mkdir(dir, 0700, 0, NULL) == 0)
        return AUTOCERT_OK;
    if (errno == ENOTDIR)
        return ac_err(ctx, AUTOCERT_ERR_IO, "%s: not a directory", dir);
    return ac_err(ctx, AUTOCERT_ERR_IO, "cannot create directory %s: %s", dir, AC_STRERROR(errno));
}

autocert_err ac_files_absent(autocert_ctx *ctx, const ac_outfile *f, size_t n)
{
    struct stat st;
    size_t i;

    for (i = 0; i < n; i++)
        if (lstat(f[i].path, &st) == 0)
            return ac_err(ctx, AUTOCERT_ERR_EXISTS,
                          "%s already exists (not overwritten)", f[i].path);
    return AUTOCERT_OK;
}

/* The directory part of `path` ("." when none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Writes one temporary file next to f->path; *tmp malloc'd. */
static autocert_err write_temp(autocert_ctx *ctx, const ac_outfile *f, char **tmp)
{
    char *dir = dir_of(f->path);
    autocert_err rc = AUTOCERT_OK;

    *tmp = NULL;
    if (dir == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (ac_file_create_temp(dir, ".autocert-tmp.", f->data, f->len, f->secret ? 0600 : 0644,
                            AC_WRITE_SYNC, tmp) != 0)
        rc = ac_err(ctx, AUTOCERT_ERR_IO, "cannot write %s: %s", f->path, AC_STRERROR(errno));
    free(dir);
    return rc;
}

/* Puts one written temporary file in its place: renamed over the target
 * with `force`, else linked (link() never replaces: a file that appeared
 * meanwhile is kept). */
static autocert_err place_one(autocert_ctx *ctx, const char *tmp, const ac_outfile *f, int force)
{
    if (force) {
        if (rename(tmp, f->path) != 0)
            return ac_err(ctx, AUTOCERT_ERR_IO, "cannot replace %s: %s", f->path,
                          AC_STRERROR(errno));
        return AUTOCERT_OK;
    }
    if (link(tmp, f->path) != 0)
        return ac_err(ctx, errno == EEXIST ? AUTOCERT_ERR_EXISTS : AUTOCERT_ERR_IO,
                      "cannot create %s: %s", f->path, AC_STRERROR(errno));
    unlink(tmp);
    return AUTOCERT_OK;
}

/* Syncs the directories of the placed files, each once. */
static void sync_dirs(const ac_outfile *f, size_t n)
{
    size_t i, j;

    for (i = 0; i < n; i++) {
        char *d = dir_of(f[i].path), *e;
        int seen = 0;

        for (j = 0; d && j < i && !seen; j++) {
            e = dir_of(f[j].path);
            seen = e && strcmp(d, e) == 0;
            free(e);
        }
        if (d && !seen)
            (void)ac_fsync_dir(d);
        free(d);
    }
}

autocert_err ac_files_write(autocert_ctx *ctx, const ac_outfile *f, size_t n, int force)
{
    char **tmp = NULL;
    int *placed = NULL;
    size_t i;
    autocert_err rc = AUTOCERT_OK;

    if ((tmp = calloc(n ? n : 1, sizeof(*tmp))) == NULL ||
        (placed = calloc(n ? n : 1, sizeof(*placed))) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!force && (rc = ac_files_absent(ctx, f, n)) != AUTOCERT_OK)
        goto out;
    for (i = 0; i < n && rc == AUTOCERT_OK; i++)
        rc = write_temp(ctx, &f[i], &tmp[i]);
    for (i = 0; i < n && rc == AUTOCERT_OK; i++) {
        if ((rc = place_one(ctx, tmp[i], &f[i], force)) == AUTOCERT_OK) {
            placed[i] = 1;
            free(tmp[i]);
            tmp[i] = NULL;
        }
    }
    if (rc == AUTOCERT_OK)
        sync_dirs(f, n);
out:
    for (i = 0; tmp && i < n; i++) {
        if (tmp[i]) {
            unlink(tmp[i]);
            free(tmp[i]);
        }
        /* Without force nothing existed before: take back what this call made. */
        if (rc != AUTOCERT_OK && !force && placed && placed[i])
            unlink(f[i].path);
    }
    free(tmp);
    free(placed);
    return rc;
}
