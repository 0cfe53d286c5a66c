/* dirfs.h: private declarations of the directory backend's files: what it finds on disk (dirfs.c) and its root (dirroot.c). */
#ifndef AC_DIRFS_H
#define AC_DIRFS_H

#include <dirent.h>
#include <stddef.h>
#include <sys/stat.h>

#include "internal.h"

/* ---- dirfs.c -------------------------------------------------------------- */
/* "a/b" or "a/b/c" (c may be NULL), malloc'd. */
char *ac_dirfs_path3(const char *a, const char *b, const char *c);
/* NOMEM for ENOMEM, else IO. */
autocert_err ac_dirfs_io_err(int e);
/* Writes a message into `detail` (AUTOCERT_STORAGE_DETAIL bytes, cut). */
void ac_dirfs_say(char *detail, const char *fmt, ...) AC_PRINTF(2, 3);
/* Says what failed in `detail` ("<op> <path>: <reason>"); returns its code.
 * ELOOP comes from O_NOFOLLOW: the cache follows no symbolic link. */
autocert_err ac_dirfs_fail(char *detail, const char *op, const char *path, int e);
/* EXISTS when `sb` (of `path`, not followed) is not what autocert makes: a
 * link, another type than `type`, another user's.  Such a thing is never
 * read, replaced or deleted. */
autocert_err ac_dirfs_foreign(const struct stat *sb, mode_t type, const char *path,
                              char *detail);
/* IO when the user's own directory `sb` may not be read, written and
 * entered by its owner. */
autocert_err ac_dirfs_closed_dir(const struct stat *sb, const char *path, char *detail);
/* An existing directory of the cache: a real directory of the user's that
 * the user may use.  NOT_FOUND (no detail) when absent. */
autocert_err ac_dirfs_check_dir(const char *path, char *detail);
/* The items of the set directory `live` are all regular files of the
 * user's: nothing else is ever deleted with it. */
autocert_err ac_dirfs_check_items(const char *live, char *detail);
/* The live set `live` may be replaced or removed: absent, or a directory of
 * the user's holding only the user's files.  One its owner may not enter
 * is opened up (0700) first; *reopened is then its old mode, for the
 * caller to put back where the replacement does not happen. */
autocert_err ac_dirfs_replaceable(const char *live, mode_t *reopened, char *detail);
/* strcmp for qsort of an array of strings. */
int ac_dirfs_cmp_str(const void *a, const void *b);
/* Appends "<prefix><name>" to *v for each directory in `dir` whose name
 * does not start with '.'. */
autocert_err ac_dirfs_read_area(DIR *dir, const char *prefix, const char *area, char ***v,
                                size_t *count, char *detail);

/* ---- dirsweep.c: debris of dead writers --------------------------------- */
/* Work directories of a set are "<area>/.<tag>.<kind>-XXXXXX": the tag is
 * the set's name when at most this long, else its first 183 bytes, '~'
 * and 16 hex digits of its hash, so that they stay within a file name's
 * 255 bytes for the longest DNS names (253). */
#define AC_DIR_WORK_TAG_MAX 200
void ac_dirsweep_tag(const char *name, char *tag, size_t n);
/* What a backend handle knows of the debris in its areas. */
typedef struct ac_dirsweep ac_dirsweep;
ac_dirsweep *ac_dirsweep_new(void);
void ac_dirsweep_free(ac_dirsweep *s);
/* Removes the work directories that dead writers of set `name` left in
 * `area` and the temporary files in the set; the caller holds the set's
 * lock.  The area is read at most once a minute a handle. */
void ac_dirsweep_run(ac_dirsweep *s, const char *area, const char *name);

/* ---- dirroot.c ------------------------------------------------------------ */
/* The absolute root of the cache at `dir` (NULL: $AUTOCERT_CACHE, else
 * ~/.autocert-cache), created 0700 if missing, else checked: a directory of
 * the user's (a root of mode 0777 is tightened to 0700).  *root malloc'd. */
autocert_err ac_dirfs_root(const char *dir, char **root, char *detail);

#endif /* AC_DIRFS_H */
