/* dirroot.c: the directory backend's root: where it is (AUTOCERT_CACHE, the home directory), created, or checked fit for keys. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "storage/dirfs.h"

/* The home directory of the effective user, from the password database. */
static autocert_err home_of_user(char **out)
{
    struct passwd pw, *res = NULL;
    size_t bufsz = 4096;
    char *buf = NULL, *nb;
    int e;

    for (;;) {
        if ((nb = realloc(buf, bufsz)) == NULL) {
            free(buf);
            return AUTOCERT_ERR_NOMEM;
        }
        buf = nb;
        e = getpwuid_r(geteuid(), &pw, buf, bufsz, &res);
        if (e != ERANGE || bufsz >= 1024 * 1024)
            break;
        bufsz *= 2;
    }
    if (e != 0 || res == NULL || pw.pw_dir == NULL || pw.pw_dir[0] == '\0')
        *out = NULL;
    else
        *out = strdup(pw.pw_dir);
    free(buf);
    return *out ? AUTOCERT_OK : AUTOCERT_ERR_IO;
}

/* The default root: $AUTOCERT_CACHE, else ~/.autocert-cache. malloc'd. */
static autocert_err default_root(char **out, char *detail)
{
    const char *env = getenv("AUTOCERT_CACHE"), *home = getenv("HOME");
    char *pwhome = NULL;
    autocert_err rc = AUTOCERT_OK;

    *out = NULL;
    if (env && *env)
        return (*out = strdup(env)) ? AUTOCERT_OK : AUTOCERT_ERR_NOMEM;
    if ((home == NULL || *home == '\0') && (rc = home_of_user(&pwhome)) != AUTOCERT_OK) {
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "no home directory for the cache: set HOME or "
                                                  "AUTOCERT_CACHE");
        return rc;
    }
    if ((*out = ac_dirfs_path3(pwhome ? pwhome : home, ".autocert-cache", NULL)) == NULL)
        rc = AUTOCERT_ERR_NOMEM;
    free(pwhome);
    return rc;
}

/* An absolute copy of `dir` without trailing slashes. malloc'd. */
static autocert_err absolute(const char *dir, char **out, char *detail)
{
    char cwd[PATH_MAX];
    size_t n;

    *out = NULL;
    if (dir[0] == '/') {
        *out = strdup(dir);
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return ac_dirfs_fail(detail, "cannot resolve", dir, errno);
        *out = ac_dirfs_path3(strcmp(cwd, "/") == 0 ? "" : cwd, dir, NULL);
    }
    if (*out == NULL)
        return AUTOCERT_ERR_NOMEM;
    n = strlen(*out);
    while (n > 1 && (*out)[n - 1] == '/')
        (*out)[--n] = '\0';
    return AUTOCERT_OK;
}

/* Creates the root or checks an existing one: a directory, 0700. */
static autocert_err prepare_root(const char *root, char *detail)
{
    struct stat sb;

    if (stat(root, &sb) != 0) {
        if (errno != ENOENT)
            return ac_dirfs_fail(detail, "cannot open", root, errno);
        if (ac_mkdir_parents(root) != 0 || stat(root, &sb) != 0)
            return ac_dirfs_fail(detail, "cannot create", root, errno);
    }
    /* Reached through a link (to the user's own directory) it is used;
     * keys go here: whoever owns the directory could swap them. */
    if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid())
        return ac_dirfs_foreign(&sb, S_IFDIR, root, detail);
    if ((sb.st_mode & 0700) != 0700)
        return ac_dirfs_closed_dir(&sb, root, detail);
    if ((sb.st_mode & 077) != 0 && chmod(root, 0700) != 0)
        return ac_dirfs_fail(detail, "cannot restrict", root, errno);
    return AUTOCERT_OK;
}

autocert_err ac_dirfs_root(const char *dir, char **root, char *detail)
{
    char *given = NULL;
    autocert_err rc;

    *root = NULL;
    if (dir == NULL) {
        if ((rc = default_root(&given, detail)) != AUTOCERT_OK)
            return rc;
        dir = given;
    }
    if ((rc = absolute(dir, root, detail)) == AUTOCERT_OK &&
        (rc = prepare_root(*root, detail)) != AUTOCERT_OK) {
        free(*root);
        *root = NULL;
    }
    free(given);
    return rc;
}
