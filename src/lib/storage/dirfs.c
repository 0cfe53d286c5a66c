/* dirfs.c: what the directory backend finds on disk: paths, messages, and the checks that refuse what autocert did not write. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "storage/dirfs.h"

/* "a/b" or "a/b/c" (c may be NULL), malloc'd. */
char *ac_dirfs_path3(const char *a, const char *b, const char *c)
{
    /* Copied, not printed: a scan builds three paths an entry. */
    size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
    char *s = malloc(la + 1 + lb + (c ? 1 + lc : 0) + 1), *p = s;

    if (s == NULL)
        return NULL;
    memcpy(p, a, la);
    p += la;
    *p++ = '/';
    memcpy(p, b, lb);
    p += lb;
    if (c) {
        *p++ = '/';
        memcpy(p, c, lc);
        p += lc;
    }
    *p = '\0';
    return s;
}

autocert_err ac_dirfs_io_err(int e)
{
    return e == ENOMEM ? AUTOCERT_ERR_NOMEM : AUTOCERT_ERR_IO;
}

/* Writes a message into `detail` (cut to its size). */
void ac_dirfs_say(char *detail, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, AUTOCERT_STORAGE_DETAIL, fmt, ap);
    va_end(ap);
}

/* Says what failed in `detail` ("<op> <path>: <reason>"); returns its code.
 * ELOOP comes from O_NOFOLLOW: the cache follows no symbolic link. */
autocert_err ac_dirfs_fail(char *detail, const char *op, const char *path, int e)
{
    ac_dirfs_say(detail, "%s %s: %s", op, path ? path : "",
        e == ELOOP ? "a symbolic link, refused" : AC_STRERROR(e));
    return ac_dirfs_io_err(e);
}

/* EXISTS when `sb` (of `path`, not followed) is not what autocert makes:
 * a link, another type than `type`, another user's.  Such a thing is never
 * read, replaced or deleted. */
autocert_err ac_dirfs_foreign(const struct stat *sb, mode_t type, const char *path, char *detail)
{
    if (S_ISLNK(sb->st_mode))
        ac_dirfs_say(detail, "cannot use %s: a symbolic link, refused", path);
    else if ((sb->st_mode & S_IFMT) != type)
        ac_dirfs_say(detail, "cannot use %s: %s", path,
            S_ISDIR(sb->st_mode) ? "a directory, not a file"
            : type == S_IFDIR    ? AC_STRERROR(ENOTDIR)
                                 : "not a regular file");
    else if (sb->st_uid != geteuid())
        ac_dirfs_say(detail, "cannot use %s: it belongs to uid %lu, not to this user (uid %lu)", path,
            (unsigned long)sb->st_uid, (unsigned long)geteuid());
    else
        return AUTOCERT_OK;
    return AUTOCERT_ERR_EXISTS;
}

/* The user's own directory that its owner may not read, write or enter. */
autocert_err ac_dirfs_closed_dir(const struct stat *sb, const char *path, char *detail)
{
    if ((sb->st_mode & 0700) == 0700)
        return AUTOCERT_OK;
    ac_dirfs_say(detail, "cannot use %s: mode %03o, its owner may not read, write and enter it (%s)", path,
        (unsigned)(sb->st_mode & 07777), AC_STRERROR(EACCES));
    return AUTOCERT_ERR_IO;
}

/* An existing directory of the cache: a real directory of the user's that
 * the user may use.  NOT_FOUND (no detail) when absent. */
autocert_err ac_dirfs_check_dir(const char *path, char *detail)
{
    struct stat sb;
    autocert_err rc;

    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? AUTOCERT_ERR_NOT_FOUND : ac_dirfs_fail(detail, "cannot use", path, errno);
    if ((rc = ac_dirfs_foreign(&sb, S_IFDIR, path, detail)) != AUTOCERT_OK)
        return rc;
    return ac_dirfs_closed_dir(&sb, path, detail);
}

/* The items of the set directory `live` are all regular files of the
 * user's: nothing else is ever deleted with it. */
autocert_err ac_dirfs_check_items(const char *live, char *detail)
{
    char path[PATH_MAX];
    struct stat sb;
    struct dirent *de;
    DIR *dir;
    int fd = open(live, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    autocert_err rc = AUTOCERT_OK;

    if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
        rc = ac_dirfs_fail(detail, "cannot open", live, errno);
        if (fd >= 0)
            close(fd);
        return rc;
    }
    while (rc == AUTOCERT_OK && (de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", live, de->d_name);
        if (fstatat(dirfd(dir), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            rc = errno == ENOENT ? AUTOCERT_OK : ac_dirfs_fail(detail, "cannot use", path, errno);
        else
            rc = ac_dirfs_foreign(&sb, S_IFREG, path, detail);
    }
    closedir(dir);
    return rc;
}

/* The live set `live` may be replaced or removed: absent, or a directory
 * of the user's holding only the user's files.  One its owner may not
 * enter is opened up (0700) first; *reopened is then its old mode, for the
 * caller to put back where the replacement does not happen. */
autocert_err ac_dirfs_replaceable(const char *live, mode_t *reopened, char *detail)
{
    struct stat sb;
    autocert_err rc;

    *reopened = 0;
    if (lstat(live, &sb) != 0)
        return errno == ENOENT ? AUTOCERT_OK : ac_dirfs_fail(detail, "cannot use", live, errno);
    if ((rc = ac_dirfs_foreign(&sb, S_IFDIR, live, detail)) != AUTOCERT_OK)
        return rc;
    if ((sb.st_mode & 0700) != 0700) {
        if (chmod(live, 0700) != 0)
            return ac_dirfs_fail(detail, "cannot open up", live, errno);
        *reopened = (sb.st_mode & 07777) | S_IFDIR;
    }
    if ((rc = ac_dirfs_check_items(live, detail)) != AUTOCERT_OK && *reopened) {
        chmod(live, *reopened & 07777);
        *reopened = 0;
    }
    return rc;
}

int ac_dirfs_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends "<prefix><name>" to the growing array *v. */
static autocert_err push_key(char ***v, size_t *count, size_t *cap, const char *prefix,
                             const char *name)
{
    size_t plen = strlen(prefix), nlen = strlen(name);
    char *key;

    if (*count == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **nv = realloc(*v, nc * sizeof(**v));
        if (nv == NULL)
            return AUTOCERT_ERR_NOMEM;
        *v = nv;
        *cap = nc;
    }
    if ((key = malloc(plen + nlen + 1)) == NULL)
        return AUTOCERT_ERR_NOMEM;
    memcpy(key, prefix, plen);
    memcpy(key + plen, name, nlen + 1);
    (*v)[(*count)++] = key;
    return AUTOCERT_OK;
}

/* The set directories of the open area `dir`: dot names and anything but a
 * directory are not sets. */
autocert_err ac_dirfs_read_area(DIR *dir, const char *prefix, const char *area, char ***v,
                              size_t *count, char *detail)
{
    size_t cap = 0;
    struct dirent *de;
    struct stat sb;
    autocert_err rc = AUTOCERT_OK;

    for (;;) {
        errno = 0;
        if ((de = readdir(dir)) == NULL)
            return errno ? ac_dirfs_fail(detail, "cannot read", area, errno) : AUTOCERT_OK;
        if (de->d_name[0] == '.')
            continue;
        /* The type from the directory itself where the file system gives
         * it: no stat for each of thousands of entries. */
        if (de->d_type != DT_UNKNOWN ? de->d_type != DT_DIR
                                     : fstatat(dirfd(dir), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
                                           !S_ISDIR(sb.st_mode))
            continue;
        if ((rc = push_key(v, count, &cap, prefix, de->d_name)) != AUTOCERT_OK)
            return rc;
    }
}
