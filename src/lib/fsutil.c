/* fsutil.c: file system helpers: complete writes, directory fsync, tree removal, private mkdir -p. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

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

/* mkdir -p with mode 0700 for every missing component. */
int ac_mkdir_parents(const char *path)
{
    char *p = strdup(path), *s;
    int rc = 0;

    if (p == NULL)
        return -1;
    for (s = p + 1; ; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}
