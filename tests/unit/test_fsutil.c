/* test_fsutil.c: directory creation, safe file creation, tree removal, whole-file reads and writes. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

typedef struct {
    autocert_ctx *ctx;
    char dir[64];
    char paths[64][256]; /* what at() returned, alive until the test ends */
    int n_paths;
} fixture;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-fsutil-XXXXXX");
    if (mkdtemp(f->dir) == NULL || (f->ctx = autocert_ctx_new()) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    autocert_ctx_free(f->ctx);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* "DIR/name", valid until the end of the test. */
static const char *at(fixture *f, const char *name)
{
    char *b;

    assert_true(f->n_paths < 64);
    b = f->paths[f->n_paths++];
    snprintf(b, sizeof(f->paths[0]), "%s/%s", f->dir, name);
    return b;
}

static void put(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* The contents of a file (static buffer), or NULL when it cannot be read. */
static const char *contents(const char *path)
{
    static char buf[8192];
    FILE *fp = fopen(path, "r");
    size_t n;

    if (fp == NULL)
        return NULL;
    n = fread(buf, 1, sizeof(buf) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static mode_t mode_of(const char *path)
{
    struct stat sb;

    assert_int_equal(lstat(path, &sb), 0);
    return sb.st_mode & 07777;
}

static int exists(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0;
}

/* Entries of a directory other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int has_temp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int found = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, ".autocert-tmp.", 14) == 0)
            found = 1;
    closedir(d);
    return found;
}

/* ---- ac_mkdir, ac_mkdir_parents, ac_dir_ensure ------------------------------ */

static void test_mkdir_mode(void **state)
{
    fixture *f = *state;
    mode_t old = umask(0077);
    int made = -1;

    /* The mode is the one asked for, whatever the umask. */
    assert_int_equal(ac_mkdir(at(f, "a"), 0755, 0, &made), 0);
    assert_int_equal(made, 1);
    assert_int_equal(mode_of(at(f, "a")), 0755);
    umask(0);
    assert_int_equal(ac_mkdir(at(f, "b"), 0700, 0, &made), 0);
    assert_int_equal(mode_of(at(f, "b")), 0700);
    umask(old);

    /* Existing: success, *made cleared, the mode left alone. */
    assert_int_equal(chmod(at(f, "a"), 0711), 0);
    made = -1;
    assert_int_equal(ac_mkdir(at(f, "a"), 0755, 0, &made), 0);
    assert_int_equal(made, 0);
    assert_int_equal(mode_of(at(f, "a")), 0711);
    assert_int_equal(ac_mkdir(at(f, "a"), 0755, AC_MKDIR_NOFOLLOW, NULL), 0);
    /* made may be NULL. */
    assert_int_equal(ac_mkdir(at(f, "c"), 0700, 0, NULL), 0);
}

static void test_mkdir_refusals(void **state)
{
    fixture *f = *state;
    int made = -1;

    /* A file is not a directory. */
    put(at(f, "file"), "x");
    errno = 0;
    assert_int_equal(ac_mkdir(at(f, "file"), 0700, 0, &made), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(made, 0);

    /* A symbolic link to a directory: followed by default, refused with
     * AC_MKDIR_NOFOLLOW. */
    assert_int_equal(mkdir(at(f, "real"), 0700), 0);
    assert_int_equal(symlink(at(f, "real"), at(f, "link")), 0);
    assert_int_equal(ac_mkdir(at(f, "link"), 0700, 0, &made), 0);
    assert_int_equal(made, 0);
    errno = 0;
    assert_int_equal(ac_mkdir(at(f, "link"), 0700, AC_MKDIR_NOFOLLOW, &made), -1);
    assert_int_equal(errno, ENOTDIR);
    /* A dangling link is not created through. */
    assert_int_equal(symlink(at(f, "nowhere"), at(f, "dangling")), 0);
    assert_int_equal(ac_mkdir(at(f, "dangling"), 0700, 0, &made), -1);
    assert_false(exists(at(f, "nowhere")));

    /* A missing parent. */
    errno = 0;
    assert_int_equal(ac_mkdir(at(f, "no/such"), 0700, 0, &made), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(made, 0);
}

static void test_mkdir_parents(void **state)
{
    fixture *f = *state;
    mode_t old = umask(0077);

    assert_int_equal(ac_mkdir_parents(at(f, "p/q/r")), 0);
    umask(old);
    assert_int_equal(mode_of(at(f, "p")), 0700);
    assert_int_equal(mode_of(at(f, "p/q")), 0700);
    assert_int_equal(mode_of(at(f, "p/q/r")), 0700);
    /* Again, and with a trailing slash. */
    assert_int_equal(ac_mkdir_parents(at(f, "p/q/r")), 0);
    assert_int_equal(ac_mkdir_parents(at(f, "p/q/s/")), 0);
    assert_int_equal(mode_of(at(f, "p/q/s")), 0700);
    /* A file on the way. */
    put(at(f, "p/file"), "x");
    errno = 0;
    assert_int_equal(ac_mkdir_parents(at(f, "p/file/t")), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_false(exists(at(f, "p/file/t")));
}

static void test_dir_ensure(void **state)
{
    fixture *f = *state;

    assert_int_equal(ac_dir_ensure(f->ctx, at(f, "d")), AUTOCERT_OK);
    assert_int_equal(mode_of(at(f, "d")), 0700);
    assert_int_equal(ac_dir_ensure(f->ctx, at(f, "d")), AUTOCERT_OK);

    put(at(f, "f"), "x");
    assert_int_equal(ac_dir_ensure(f->ctx, at(f, "f")), AUTOCERT_ERR_IO);
    assert_non_null(strstr(autocert_last_error(f->ctx), at(f, "f")));
    assert_non_null(strstr(autocert_last_error(f->ctx), "not a directory"));

    assert_int_equal(ac_dir_ensure(f->ctx, at(f, "none/d")), AUTOCERT_ERR_IO);
    assert_non_null(strstr(autocert_last_error(f->ctx), at(f, "none/d")));
    assert_non_null(strstr(autocert_last_error(f->ctx), strerror(ENOENT)));
}

/* ---- ac_file_create_at, ac_file_create_temp ----------------------------------- */

static void test_create_at(void **state)
{
    fixture *f = *state;
    int dfd = open(f->dir, O_RDONLY | O_DIRECTORY);
    mode_t old;

    assert_true(dfd >= 0);
    old = umask(0777);
    assert_int_equal(ac_file_create_at(dfd, "secret", "key", 3, 0600, AC_WRITE_SYNC), 0);
    assert_int_equal(ac_file_create_at(dfd, "public", "cert", 4, 0644, 0), 0);
    umask(old);
    assert_int_equal(mode_of(at(f, "secret")), 0600);
    assert_int_equal(mode_of(at(f, "public")), 0644);
    assert_string_equal(contents(at(f, "secret")), "key");
    assert_string_equal(contents(at(f, "public")), "cert");

    /* O_EXCL: an existing name is refused and left as it was. */
    errno = 0;
    assert_int_equal(ac_file_create_at(dfd, "public", "other", 5, 0600, 0), -1);
    assert_int_equal(errno, EEXIST);
    assert_string_equal(contents(at(f, "public")), "cert");
    assert_int_equal(mode_of(at(f, "public")), 0644);

    /* A symbolic link is never written through, even a dangling one. */
    assert_int_equal(symlink(at(f, "target"), at(f, "link")), 0);
    assert_int_equal(ac_file_create_at(dfd, "link", "x", 1, 0600, 0), -1);
    assert_false(exists(at(f, "target")));

    /* Empty contents. */
    assert_int_equal(ac_file_create_at(dfd, "empty", "", 0, 0600, 0), 0);
    assert_string_equal(contents(at(f, "empty")), "");
    close(dfd);
}

static void test_create_at_failure(void **state)
{
    fixture *f = *state;
    int dfd = open(f->dir, O_RDONLY | O_DIRECTORY);
    struct rlimit old, small;
    void (*oldsig)(int);
    char data[4096];
    int rc, e;

    assert_true(dfd >= 0);
    memset(data, 'd', sizeof(data));
    /* Writes past 100 bytes fail with EFBIG: the file is created, then
     * cannot be filled, and must not stay. */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 100;
    oldsig = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    errno = 0;
    rc = ac_file_create_at(dfd, "big", data, sizeof(data), 0600, 0);
    e = errno;
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, oldsig);
    assert_int_equal(rc, -1);
    assert_int_equal(e, EFBIG);
    assert_false(exists(at(f, "big")));
    assert_int_equal(count_entries(f->dir), 0);
    close(dfd);
}

static void test_create_temp(void **state)
{
    fixture *f = *state;
    char *p1 = NULL, *p2 = NULL;
    size_t n = strlen(f->dir);
    mode_t old = umask(0);

    assert_int_equal(ac_file_create_temp(f->dir, "tag.", "one", 3, 0600, 0, &p1), 0);
    assert_int_equal(ac_file_create_temp(f->dir, "tag.", "two", 3, 0644, AC_WRITE_SYNC, &p2), 0);
    umask(old);
    assert_non_null(p1);
    assert_non_null(p2);
    assert_string_not_equal(p1, p2);
    assert_memory_equal(p1, f->dir, n);
    assert_memory_equal(p1 + n, "/tag.", 5);
    assert_int_equal(strlen(p1), n + 5 + 6);
    assert_string_equal(contents(p1), "one");
    assert_string_equal(contents(p2), "two");
    assert_int_equal(mode_of(p1), 0600);
    assert_int_equal(mode_of(p2), 0644);
    free(p1);
    free(p2);

    /* No directory: nothing, and no path. */
    p1 = (char *)"unchanged";
    assert_int_equal(ac_file_create_temp(at(f, "none"), "t", "x", 1, 0600, 0, &p1), -1);
    assert_int_equal(errno, ENOENT);
    assert_null(p1);
}

/* ---- ac_remove_tree ------------------------------------------------------------ */

static void test_remove_tree(void **state)
{
    fixture *f = *state;

    assert_int_equal(ac_mkdir_parents(at(f, "t/a/b/c")), 0);
    assert_int_equal(mkdir(at(f, "t/a/empty"), 0700), 0);
    put(at(f, "t/top"), "1");
    put(at(f, "t/a/mid"), "2");
    put(at(f, "t/a/b/c/deep"), "3");
    put(at(f, "t/a/b/.hidden"), "4");
    /* Links out of the tree, to a directory and to a file. */
    assert_int_equal(mkdir(at(f, "outside"), 0700), 0);
    put(at(f, "outside/keep"), "keep");
    put(at(f, "outfile"), "keep too");
    assert_int_equal(symlink(at(f, "outside"), at(f, "t/a/dirlink")), 0);
    assert_int_equal(symlink(at(f, "outfile"), at(f, "t/a/b/filelink")), 0);

    assert_int_equal(ac_remove_tree(at(f, "t")), 0);
    assert_false(exists(at(f, "t")));
    assert_string_equal(contents(at(f, "outside/keep")), "keep");
    assert_string_equal(contents(at(f, "outfile")), "keep too");

    /* Missing: success.  A file: unlinked.  A link to a directory: the
     * link goes, the directory stays. */
    assert_int_equal(ac_remove_tree(at(f, "t")), 0);
    put(at(f, "plain"), "x");
    assert_int_equal(ac_remove_tree(at(f, "plain")), 0);
    assert_false(exists(at(f, "plain")));
    assert_int_equal(symlink(at(f, "outside"), at(f, "toplink")), 0);
    assert_int_equal(ac_remove_tree(at(f, "toplink")), 0);
    assert_false(exists(at(f, "toplink")));
    assert_string_equal(contents(at(f, "outside/keep")), "keep");
}

/* ---- ac_write_all ---------------------------------------------------------------- */

typedef struct {
    int fd;
    size_t total;
    int ok;
} drain;

static void *drain_slowly(void *arg)
{
    drain *d = arg;
    unsigned char buf[3000];
    sigset_t all;
    ssize_t n;
    size_t i;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    d->ok = 1;
    while ((n = read(d->fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            d->ok = 0;
            break;
        }
        for (i = 0; i < (size_t)n; i++)
            if (buf[i] != (unsigned char)((d->total + i) % 251))
                d->ok = 0;
        /* Now and then a pause long enough for the pipe to fill: the
         * writer then waits with nothing written and the signal makes it
         * fail with EINTR. */
        if (d->total / 65536 != (d->total + (size_t)n) / 65536)
            usleep(20000);
        d->total += (size_t)n;
    }
    return NULL;
}

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
    (void)sig;
    ticks++;
}

static void test_write_all(void **state)
{
    fixture *f = *state;
    size_t len = 1024 * 1024, i;
    unsigned char *data = malloc(len);
    struct sigaction sa, old;
    struct itimerval every = {{0, 2000}, {0, 2000}}, off = {{0, 0}, {0, 0}};
    int p[2], fd, rc;
    pthread_t t;
    drain d;

    assert_non_null(data);
    for (i = 0; i < len; i++)
        data[i] = (unsigned char)(i % 251);

    /* A file. */
    fd = open(at(f, "out"), O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ac_write_all(fd, data, len), 0);
    assert_int_equal(ac_write_all(fd, data, 0), 0);
    close(fd);
    {
        struct stat sb;
        assert_int_equal(stat(at(f, "out"), &sb), 0);
        assert_int_equal(sb.st_size, (off_t)len);
    }

    /* A pipe read with pauses, the writer interrupted by a signal every
     * 2 ms (no SA_RESTART): EINTR and short writes are retried. */
    assert_int_equal(pipe(p), 0);
    memset(&d, 0, sizeof(d));
    d.fd = p[0];
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_tick;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    assert_int_equal(pthread_create(&t, NULL, drain_slowly, &d), 0);
    ticks = 0;
    setitimer(ITIMER_REAL, &every, NULL);
    rc = ac_write_all(p[1], data, len);
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old, NULL);
    close(p[1]);
    pthread_join(t, NULL);
    close(p[0]);
    assert_int_equal(rc, 0);
    assert_true(ticks > 0);
    assert_int_equal(d.total, len);
    assert_true(d.ok);

    /* Failures come back with errno. */
    errno = 0;
    assert_int_equal(ac_write_all(-1, data, 10), -1);
    assert_int_equal(errno, EBADF);
    free(data);
}

/* ---- ac_file_read ------------------------------------------------------------------ */

static void test_file_read(void **state)
{
    fixture *f = *state;
    unsigned char *data = (unsigned char *)"x";
    size_t len = 99;

    put(at(f, "ten"), "0123456789");
    assert_int_equal(ac_file_read(f->ctx, at(f, "ten"), 10, &data, &len), AUTOCERT_OK);
    assert_int_equal(len, 10);
    assert_string_equal((char *)data, "0123456789"); /* NUL-terminated */
    free(data);

    /* One byte over the maximum. */
    assert_int_equal(ac_file_read(f->ctx, at(f, "ten"), 9, &data, &len), AUTOCERT_ERR_INVALID);
    assert_null(data);
    assert_int_equal(len, 0);
    assert_non_null(strstr(autocert_last_error(f->ctx), at(f, "ten")));
    assert_non_null(strstr(autocert_last_error(f->ctx), "larger than 9 bytes"));

    /* Empty. */
    put(at(f, "empty"), "");
    assert_int_equal(ac_file_read(f->ctx, at(f, "empty"), 100, &data, &len),
                     AUTOCERT_ERR_INVALID);
    assert_null(data);
    assert_non_null(strstr(autocert_last_error(f->ctx), "empty"));
    assert_non_null(strstr(autocert_last_error(f->ctx), at(f, "empty")));

    /* Missing, and a directory. */
    assert_int_equal(ac_file_read(f->ctx, at(f, "missing"), 100, &data, &len),
                     AUTOCERT_ERR_NOT_FOUND);
    assert_null(data);
    assert_non_null(strstr(autocert_last_error(f->ctx), at(f, "missing")));
    assert_non_null(strstr(autocert_last_error(f->ctx), strerror(ENOENT)));
    assert_int_equal(ac_file_read(f->ctx, f->dir, 100, &data, &len), AUTOCERT_ERR_IO);
    assert_null(data);

    /* Larger than one read. */
    {
        char big[20001];
        memset(big, 'b', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        put(at(f, "big"), big);
        assert_int_equal(ac_file_read(f->ctx, at(f, "big"), 20000, &data, &len), AUTOCERT_OK);
        assert_int_equal(len, 20000);
        assert_string_equal((char *)data, big);
        free(data);
    }
}

/* ---- ac_files_absent, ac_files_write ------------------------------------------------ */

static void test_files_absent(void **state)
{
    fixture *f = *state;
    ac_outfile out[2] = {{at(f, "a"), "A", 1, 0}, {at(f, "b"), "B", 1, 1}};

    assert_int_equal(ac_files_absent(f->ctx, out, 2), AUTOCERT_OK);
    put(at(f, "b"), "x");
    assert_int_equal(ac_files_absent(f->ctx, out, 2), AUTOCERT_ERR_EXISTS);
    assert_non_null(strstr(autocert_last_error(f->ctx), at(f, "b")));
    /* A dangling link is something. */
    unlink(at(f, "b"));
    assert_int_equal(symlink(at(f, "nowhere"), at(f, "b")), 0);
    assert_int_equal(ac_files_absent(f->ctx, out, 2), AUTOCERT_ERR_EXISTS);
    assert_int_equal(ac_files_absent(f->ctx, out, 0), AUTOCERT_OK);
}

static void test_files_write_new(void **state)
{
    fixture *f = *state;
    ac_outfile out[2] = {{at(f, "x.crt"), "CERT", 4, 0}, {at(f, "x.key"), "KEY", 3, 1}};
    mode_t old = umask(0077);

    assert_int_equal(ac_files_write(f->ctx, out, 2, 0), AUTOCERT_OK);
    umask(old);
    assert_string_equal(contents(out[0].path), "CERT");
    assert_string_equal(contents(out[1].path), "KEY");
    assert_int_equal(mode_of(out[0].path), 0644);
    assert_int_equal(mode_of(out[1].path), 0600);
    assert_int_equal(count_entries(f->dir), 2);
    assert_false(has_temp(f->dir));
}

static void test_files_write_force(void **state)
{
    fixture *f = *state;
    ac_outfile out[2] = {{at(f, "y.crt"), "NEW CERT", 8, 0}, {at(f, "y.key"), "NEW KEY", 7, 1}};
    struct stat before, after;

    put(out[0].path, "old cert");
    put(out[1].path, "old key");
    assert_int_equal(chmod(out[1].path, 0644), 0);
    assert_int_equal(stat(out[0].path, &before), 0);
    assert_int_equal(ac_files_write(f->ctx, out, 2, 1), AUTOCERT_OK);
    assert_string_equal(contents(out[0].path), "NEW CERT");
    assert_string_equal(contents(out[1].path), "NEW KEY");
    /* Renamed over: a new file, with the mode of its kind. */
    assert_int_equal(stat(out[0].path, &after), 0);
    assert_true(before.st_ino != after.st_ino);
    assert_int_equal(mode_of(out[1].path), 0600);
    assert_int_equal(count_entries(f->dir), 2);
    assert_false(has_temp(f->dir));
}

static void test_files_write_never_replaces(void **state)
{
    fixture *f = *state;
    ac_outfile out[2] = {{at(f, "z.crt"), "NEW", 3, 0}, {at(f, "z.key"), "NEW", 3, 1}};

    put(out[1].path, "mine");
    assert_int_equal(ac_files_write(f->ctx, out, 2, 0), AUTOCERT_ERR_EXISTS);
    assert_non_null(strstr(autocert_last_error(f->ctx), out[1].path));
    assert_non_null(strstr(autocert_last_error(f->ctx), "already exists"));
    assert_string_equal(contents(out[1].path), "mine");
    assert_false(exists(out[0].path));
    assert_int_equal(count_entries(f->dir), 1);
}

static void test_files_write_rollback(void **state)
{
    fixture *f = *state;
    /* The same name twice: the first is placed, the second cannot be, and
     * the first must be taken back. */
    ac_outfile out[3] = {{at(f, "w.crt"), "ONE", 3, 0},
                         {at(f, "w.key"), "TWO", 3, 1},
                         {at(f, "w.crt"), "THREE", 5, 0}};

    assert_int_equal(ac_files_write(f->ctx, out, 3, 0), AUTOCERT_ERR_EXISTS);
    assert_non_null(strstr(autocert_last_error(f->ctx), out[2].path));
    assert_int_equal(count_entries(f->dir), 0);

    /* A file that cannot be written: nothing of the call is left. */
    out[2].path = at(f, "no/such/dir/w.pem");
    assert_int_equal(ac_files_write(f->ctx, out, 3, 0), AUTOCERT_ERR_IO);
    assert_non_null(strstr(autocert_last_error(f->ctx), out[2].path));
    assert_int_equal(count_entries(f->dir), 0);
    assert_int_equal(ac_files_write(f->ctx, out, 3, 1), AUTOCERT_ERR_IO);
    assert_int_equal(count_entries(f->dir), 0);
}

/* ---- ac_path_join -------------------------------------------------------------------- */

static void test_path_join(void **state)
{
    char *p, *big;

    (void)state;
    p = ac_path_join("/etc/ssl", "host", ".crt");
    assert_string_equal(p, "/etc/ssl/host.crt");
    free(p);
    p = ac_path_join("dir", "name", NULL);
    assert_string_equal(p, "dir/name");
    free(p);
    p = ac_path_join(NULL, "name", ".key");
    assert_string_equal(p, "name.key");
    free(p);
    p = ac_path_join("", "name", "");
    assert_string_equal(p, "name");
    free(p);
    /* Longer than any path: NULL. */
    big = malloc(9000);
    assert_non_null(big);
    memset(big, 'a', 8999);
    big[8999] = '\0';
    assert_null(ac_path_join("/d", big, NULL));
    free(big);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_mkdir_mode),
        T(test_mkdir_refusals),
        T(test_mkdir_parents),
        T(test_dir_ensure),
        T(test_create_at),
        T(test_create_at_failure),
        T(test_create_temp),
        T(test_remove_tree),
        T(test_write_all),
        T(test_file_read),
        T(test_files_absent),
        T(test_files_write_new),
        T(test_files_write_force),
        T(test_files_write_never_replaces),
        T(test_files_write_rollback),
        cmocka_unit_test(test_path_join),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
