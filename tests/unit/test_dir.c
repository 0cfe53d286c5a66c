/* test_dir.c: the directory backend of the cache, through the storage dispatcher. */
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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/storage.h"
#include "unit.h"

typedef struct {
    char dir[64];   /* the temporary directory of the test */
    char root[128]; /* dir/cache */
    autocert_storage *st;
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
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-test-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->root, sizeof(f->root), "%s/cache", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    autocert_storage_free(f->st);
    chmod(f->dir, 0700);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static autocert_storage *open_root(fixture *f)
{
    assert_int_equal(autocert_storage_dir_new(f->root, &f->st), AUTOCERT_OK);
    assert_non_null(f->st);
    return f->st;
}

static mode_t mode_of(const char *path)
{
    struct stat sb;

    assert_int_equal(lstat(path, &sb), 0);
    return sb.st_mode & 07777;
}

/* Number of entries of `path` (without . and ..) whose name starts with
 * `prefix` ("" counts all). */
static int count_entries(const char *path, const char *prefix)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static void check_item(autocert_storage *st, const char *set, const char *item,
                       const char *want)
{
    unsigned char *data = NULL;
    size_t len = 0;

    assert_int_equal(ac_storage_load(NULL, st, set, item, &data, &len), AUTOCERT_OK);
    assert_non_null(data);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(data, want, len);
    assert_int_equal(data[len], '\0');
    free(data);
}

static void check_absent(autocert_storage *st, const char *set, const char *item)
{
    unsigned char *data = NULL;
    size_t len = 7;

    assert_int_equal(ac_storage_load(NULL, st, set, item, &data, &len), AUTOCERT_ERR_NOT_FOUND);
    assert_null(data);
    assert_int_equal(len, 0);
}

static const autocert_item three[] = {
    {"privkey.pem", "KEY-1\n", 6, 1},
    {"cert.pem", "CERT-1\n", 7, 0},
    {"meta.json", "{\"v\":1}", 7, 0},
};

static void test_round_trip(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    const autocert_item empty_item[] = {{"empty", "", 0, 0}};
    char *p;

    assert_string_equal(autocert_storage_dir_root(st), f->root);
    assert_int_equal(ac_storage_store(NULL, st, "certs/example.com", three, 3), AUTOCERT_OK);
    check_item(st, "certs/example.com", "privkey.pem", "KEY-1\n");
    check_item(st, "certs/example.com", "cert.pem", "CERT-1\n");
    check_item(st, "certs/example.com", "meta.json", "{\"v\":1}");
    /* An empty item is stored and loads as an empty buffer. */
    assert_int_equal(ac_storage_store(NULL, st, "accounts/acme-0a1b", empty_item, 1), AUTOCERT_OK);
    check_item(st, "accounts/acme-0a1b", "empty", "");

    p = ac_storage_path(st, "certs/example.com", "cert.pem");
    assert_non_null(p);
    {
        char want[256];
        snprintf(want, sizeof(want), "%s/certs/example.com/cert.pem", f->root);
        assert_string_equal(p, want);
    }
    free(p);
    assert_null(ac_storage_path(st, "certs/../x", "cert.pem"));
    assert_null(ac_storage_path(st, "certs/x", "../cert.pem"));

    /* A second handle on the same root sees the same data. */
    {
        autocert_storage *st2 = NULL;
        assert_int_equal(autocert_storage_dir_new(f->root, &st2), AUTOCERT_OK);
        check_item(st2, "certs/example.com", "privkey.pem", "KEY-1\n");
        autocert_storage_free(st2);
    }
}

static void test_modes(void **state)
{
    fixture *f = *state;
    autocert_storage *st;
    char p[256];
    mode_t old = umask(0);

    /* Missing parents are created too. */
    snprintf(f->root, sizeof(f->root), "%s/a/b/cache", f->dir);
    st = open_root(f);
    assert_int_equal(ac_storage_store(NULL, st, "certs/example.com", three, 3), AUTOCERT_OK);
    umask(old);
    assert_int_equal(mode_of(f->root), 0700);
    snprintf(p, sizeof(p), "%s/a", f->dir);
    assert_int_equal(mode_of(p), 0700);
    snprintf(p, sizeof(p), "%s/certs", f->root);
    assert_int_equal(mode_of(p), 0700);
    snprintf(p, sizeof(p), "%s/certs/example.com", f->root);
    assert_int_equal(mode_of(p), 0700);
    snprintf(p, sizeof(p), "%s/certs/example.com/privkey.pem", f->root);
    assert_int_equal(mode_of(p), 0600);
    snprintf(p, sizeof(p), "%s/certs/example.com/cert.pem", f->root);
    assert_int_equal(mode_of(p), 0644);
    snprintf(p, sizeof(p), "%s/certs/example.com/meta.json", f->root);
    assert_int_equal(mode_of(p), 0644);

    /* Under a strict umask the modes stay the same. */
    old = umask(077);
    assert_int_equal(ac_storage_store(NULL, st, "certs/example.com", three, 3), AUTOCERT_OK);
    umask(old);
    snprintf(p, sizeof(p), "%s/certs/example.com/cert.pem", f->root);
    assert_int_equal(mode_of(p), 0644);
    snprintf(p, sizeof(p), "%s/certs/example.com/privkey.pem", f->root);
    assert_int_equal(mode_of(p), 0600);
}

static void test_replace_fewer(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    const autocert_item two[] = {
        {"privkey.pem", "KEY-2\n", 6, 1},
        {"fullchain.pem", "FULL-2\n", 7, 0},
    };
    char p[256];

    assert_int_equal(ac_storage_store(NULL, st, "certs/example.com", three, 3), AUTOCERT_OK);
    assert_int_equal(ac_storage_store(NULL, st, "certs/example.com", two, 2), AUTOCERT_OK);
    check_item(st, "certs/example.com", "privkey.pem", "KEY-2\n");
    check_item(st, "certs/example.com", "fullchain.pem", "FULL-2\n");
    check_absent(st, "certs/example.com", "cert.pem");
    check_absent(st, "certs/example.com", "meta.json");
    snprintf(p, sizeof(p), "%s/certs/example.com", f->root);
    assert_int_equal(count_entries(p, ""), 2);
    /* And back to three. */
    assert_int_equal(ac_storage_store(NULL, st, "certs/example.com", three, 3), AUTOCERT_OK);
    assert_int_equal(count_entries(p, ""), 3);
    check_item(st, "certs/example.com", "privkey.pem", "KEY-1\n");
    check_absent(st, "certs/example.com", "fullchain.pem");
}

static void test_no_leftovers(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    char p[256];
    int i;

    for (i = 0; i < 3; i++)
        assert_int_equal(ac_storage_store(NULL, st, "certs/a.example", three, 3), AUTOCERT_OK);
    assert_int_equal(ac_storage_store(NULL, st, "certs/b.example", three, 2), AUTOCERT_OK);
    snprintf(p, sizeof(p), "%s/certs", f->root);
    assert_int_equal(count_entries(p, "."), 0);
    assert_int_equal(count_entries(p, ""), 2);

    assert_int_equal(ac_storage_remove(NULL, st, "certs/a.example"), AUTOCERT_OK);
    assert_int_equal(count_entries(p, "."), 0);
    assert_int_equal(count_entries(p, ""), 1);
    check_absent(st, "certs/a.example", "cert.pem");
    check_item(st, "certs/b.example", "cert.pem", "CERT-1\n");
    assert_int_equal(ac_storage_remove(NULL, st, "certs/a.example"), AUTOCERT_ERR_NOT_FOUND);
    assert_int_equal(ac_storage_remove(NULL, st, "nothere/a.example"), AUTOCERT_ERR_NOT_FOUND);

    /* A failed store (duplicate item names) leaves the live set alone. */
    {
        const autocert_item dup[] = {{"x", "1", 1, 0}, {"x", "2", 1, 0}};
        assert_int_equal(ac_storage_store(NULL, st, "certs/b.example", dup, 2), AUTOCERT_ERR_INVALID);
    }
    check_item(st, "certs/b.example", "cert.pem", "CERT-1\n");
    assert_int_equal(count_entries(p, "."), 0);
}

static void test_list(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    const char *names[] = {"zeta.example", "+.example.com", "alpha.example", "10.0.0.1",
                           "m.example"};
    const char *sorted[] = {"certs/+.example.com", "certs/10.0.0.1", "certs/alpha.example",
                            "certs/m.example", "certs/zeta.example"};
    char p[256], set[256];
    char **keys = NULL;
    size_t n = 99, i;

    /* Missing area: empty list. */
    assert_int_equal(ac_storage_list(NULL, st, "certs/", &keys, &n), AUTOCERT_OK);
    assert_int_equal(n, 0);
    autocert_strv_free(keys, n);
    keys = NULL;

    for (i = 0; i < 5; i++) {
        snprintf(set, sizeof(set), "certs/%s", names[i]);
        assert_int_equal(ac_storage_store(NULL, st, set, three, 1), AUTOCERT_OK);
    }
    assert_int_equal(ac_storage_store(NULL, st, "accounts/acct", three, 1), AUTOCERT_OK);
    /* Leftovers of an interrupted store and a stray file are ignored. */
    snprintf(p, sizeof(p), "%s/certs/.x.tmp-123", f->root);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/certs/.x.tmp-123/cert.pem", f->root);
    write_file(p, "junk");
    snprintf(p, sizeof(p), "%s/certs/stray-file", f->root);
    write_file(p, "junk");

    assert_int_equal(ac_storage_list(NULL, st, "certs/", &keys, &n), AUTOCERT_OK);
    assert_int_equal(n, 5);
    for (i = 0; i < n; i++)
        assert_string_equal(keys[i], sorted[i]);
    autocert_strv_free(keys, n);
    keys = NULL;

    assert_int_equal(ac_storage_list(NULL, st, "accounts/", &keys, &n), AUTOCERT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0], "accounts/acct");
    autocert_strv_free(keys, n);
    keys = NULL;

    assert_int_equal(ac_storage_list(NULL, st, "certs", &keys, &n), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_storage_list(NULL, st, "../", &keys, &n), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_storage_list(NULL, st, "a/b/", &keys, &n), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_storage_list(NULL, st, "/", &keys, &n), AUTOCERT_ERR_INVALID);
    assert_null(keys);
}

static void test_invalid_names(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    const char *bad_sets[] = {"", "certs", "certs/", "/certs/x", "certs/..", "certs/.", "../x",
                              "certs/../x", "a/b/c", "certs/.hidden", "certs/a b", "certs/a\\b",
                              "certs//x", "certs/a*b", "/abs", ".lock/x", "certs/x/"};
    const char *bad_items[] = {"", ".", "..", "../cert.pem", "a/b", ".hidden", "/etc/passwd",
                               "sp ace", "new\nline"};
    char longname[300];
    unsigned char *data = NULL;
    size_t len = 0, i;
    char set[400];

    for (i = 0; i < sizeof(bad_sets) / sizeof(bad_sets[0]); i++) {
        assert_int_equal(ac_storage_store(NULL, st, bad_sets[i], three, 1), AUTOCERT_ERR_INVALID);
        assert_int_equal(ac_storage_load(NULL, st, bad_sets[i], "cert.pem", &data, &len),
                         AUTOCERT_ERR_INVALID);
        assert_int_equal(ac_storage_remove(NULL, st, bad_sets[i]), AUTOCERT_ERR_INVALID);
        assert_null(ac_storage_path(st, bad_sets[i], "cert.pem"));
    }
    assert_int_equal(ac_storage_store(NULL, st, NULL, three, 1), AUTOCERT_ERR_INVALID);
    for (i = 0; i < sizeof(bad_items) / sizeof(bad_items[0]); i++) {
        autocert_item it = {bad_items[i], "x", 1, 0};
        assert_int_equal(ac_storage_store(NULL, st, "certs/ok", &it, 1), AUTOCERT_ERR_INVALID);
        assert_int_equal(ac_storage_load(NULL, st, "certs/ok", bad_items[i], &data, &len),
                         AUTOCERT_ERR_INVALID);
    }
    {
        autocert_item it = {NULL, "x", 1, 0};
        assert_int_equal(ac_storage_store(NULL, st, "certs/ok", &it, 1), AUTOCERT_ERR_INVALID);
    }
    /* An embedded NUL cuts the name: "certs/x\0/../y" is just "certs/x". */
    assert_int_equal(ac_storage_store(NULL, st, "certs/x\0/../../y", three, 1), AUTOCERT_OK);
    check_item(st, "certs/x", "privkey.pem", "KEY-1\n");

    /* 253 bytes (the longest DNS name) are fine, 254 are not. */
    memset(longname, 'a', sizeof(longname));
    longname[253] = '\0';
    snprintf(set, sizeof(set), "certs/%s", longname);
    assert_int_equal(ac_storage_store(NULL, st, set, three, 1), AUTOCERT_OK);
    longname[253] = 'a';
    longname[254] = '\0';
    snprintf(set, sizeof(set), "certs/%s", longname);
    assert_int_equal(ac_storage_store(NULL, st, set, three, 1), AUTOCERT_ERR_INVALID);

    /* Nothing was created outside the root. */
    assert_int_equal(count_entries(f->dir, ""), 1);
    assert_null(data);
}

static void test_not_found(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);

    check_absent(st, "certs/missing.example", "cert.pem");
    check_absent(st, "nosucharea/missing", "cert.pem");
    assert_int_equal(ac_storage_store(NULL, st, "certs/there.example", three, 1), AUTOCERT_OK);
    check_absent(st, "certs/there.example", "cert.pem");
    assert_int_equal(ac_storage_remove(NULL, st, "certs/missing.example"), AUTOCERT_ERR_NOT_FOUND);
}

static void test_oversized_and_special(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    unsigned char *data = NULL;
    size_t len = 0;
    char p[256];
    int fd;

    assert_int_equal(ac_storage_store(NULL, st, "certs/big", three, 1), AUTOCERT_OK);
    snprintf(p, sizeof(p), "%s/certs/big/huge.pem", f->root);
    fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)AC_MAX_FILE + 1), 0);
    close(fd);
    assert_int_equal(ac_storage_load(NULL, st, "certs/big", "huge.pem", &data, &len),
                     AUTOCERT_ERR_CORRUPT);
    assert_null(data);

    /* Exactly the maximum is accepted. */
    fd = open(p, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)AC_MAX_FILE), 0);
    close(fd);
    assert_int_equal(ac_storage_load(NULL, st, "certs/big", "huge.pem", &data, &len), AUTOCERT_OK);
    assert_int_equal(len, AC_MAX_FILE);
    free(data);
    data = NULL;

    /* A directory in the place of an item is not a file: autocert made no
     * such thing, and neither reads nor removes it. */
    snprintf(p, sizeof(p), "%s/certs/big/sub", f->root);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(ac_storage_load(NULL, st, "certs/big", "sub", &data, &len),
                     AUTOCERT_ERR_EXISTS);
    assert_null(data);
    assert_int_equal(ac_storage_remove(NULL, st, "certs/big"), AUTOCERT_ERR_EXISTS);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(rmdir(p), 0);
    assert_int_equal(ac_storage_remove(NULL, st, "certs/big"), AUTOCERT_OK);
    check_absent(st, "certs/big", "privkey.pem");
}

static void test_symlink_not_followed(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    unsigned char *data = NULL;
    size_t len = 0;
    char target[256], p[256];
    struct stat sb;
    autocert_err rc;

    snprintf(target, sizeof(target), "%s/secret.txt", f->dir);
    write_file(target, "outside");
    assert_int_equal(ac_storage_store(NULL, st, "certs/link", three, 1), AUTOCERT_OK);
    snprintf(p, sizeof(p), "%s/certs/link/cert.pem", f->root);
    assert_int_equal(symlink(target, p), 0);
    rc = ac_storage_load(NULL, st, "certs/link", "cert.pem", &data, &len);
    assert_int_equal(rc, AUTOCERT_ERR_EXISTS);
    assert_null(data);

    /* Nor is a set directory that is a link. */
    snprintf(target, sizeof(target), "%s/certs/link", f->root);
    snprintf(p, sizeof(p), "%s/certs/alias", f->root);
    assert_int_equal(symlink(target, p), 0);
    rc = ac_storage_load(NULL, st, "certs/alias", "privkey.pem", &data, &len);
    assert_int_equal(rc, AUTOCERT_ERR_EXISTS);
    assert_null(data);
    /* Neither is replaced nor removed. */
    assert_int_equal(ac_storage_store(NULL, st, "certs/alias", three, 2), AUTOCERT_ERR_EXISTS);
    assert_int_equal(ac_storage_remove(NULL, st, "certs/alias"), AUTOCERT_ERR_EXISTS);
    assert_int_equal(lstat(p, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    assert_int_equal(ac_storage_store(NULL, st, "certs/link", three, 2), AUTOCERT_ERR_EXISTS);
    snprintf(p, sizeof(p), "%s/certs/link/cert.pem", f->root);
    assert_int_equal(lstat(p, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    snprintf(p, sizeof(p), "%s/secret.txt", f->dir);
    assert_int_equal(access(p, F_OK), 0);
    check_item(st, "certs/link", "privkey.pem", "KEY-1\n");
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether another process can lock `set` of `root` right now. */
static int free_elsewhere(const char *root, const char *set)
{
    int status = 0;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        autocert_storage *own = NULL;
        int ok = autocert_storage_dir_new(root, &own) == AUTOCERT_OK &&
                 ac_storage_lock(NULL, own, set, 0) == AUTOCERT_OK;
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status) == 0;
}

static void test_lock_per_set(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    char p[256];

    assert_true(free_elsewhere(f->root, "certs/a.example"));
    assert_int_equal(ac_storage_lock(NULL, st, "certs/a.example", 0), AUTOCERT_OK);
    /* One set's lock is held, the others are free. */
    assert_false(free_elsewhere(f->root, "certs/a.example"));
    assert_true(free_elsewhere(f->root, "certs/b.example"));
    assert_true(free_elsewhere(f->root, "accounts/acme-1"));
    snprintf(p, sizeof(p), "%s/certs/.a.example.lock", f->root);
    assert_int_equal(mode_of(p), 0600);
    /* Lock files are not sets. */
    {
        char **keys = NULL;
        size_t n = 9;
        assert_int_equal(ac_storage_list(NULL, st, "certs/", &keys, &n), AUTOCERT_OK);
        assert_int_equal(n, 0);
        autocert_strv_free(keys, n);
    }
    ac_storage_unlock(st, "certs/a.example");
    assert_true(free_elsewhere(f->root, "certs/a.example"));
    ac_storage_unlock(st, "certs/a.example"); /* an extra unlock is harmless */
    ac_storage_unlock(st, "certs/never-locked");

    /* Freeing the handle releases held locks. */
    assert_int_equal(ac_storage_lock(NULL, st, "certs/a.example", 0), AUTOCERT_OK);
    assert_int_equal(ac_storage_lock(NULL, st, "accounts/acme-1", 0), AUTOCERT_OK);
    assert_false(free_elsewhere(f->root, "accounts/acme-1"));
    autocert_storage_free(st);
    f->st = NULL;
    assert_true(free_elsewhere(f->root, "certs/a.example"));
    assert_true(free_elsewhere(f->root, "accounts/acme-1"));
}

static void test_lock_wait_and_release(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    autocert_ctx *ctx = autocert_ctx_new();
    int ready[2], release[2], status = 0;
    char c = 0;
    pid_t pid;
    double t0, dt;

    assert_non_null(ctx);
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(release), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        autocert_storage *own = NULL;
        char r = 'n';
        close(ready[0]);
        close(release[1]);
        if (autocert_storage_dir_new(f->root, &own) == AUTOCERT_OK &&
            ac_storage_lock(NULL, own, "certs/x", 0) == AUTOCERT_OK)
            r = 'y';
        if (write(ready[1], &r, 1) != 1)
            _exit(2);
        /* Hold the lock until told, or 10 s at most (EOF also ends it). */
        alarm(10);
        if (read(release[0], &c, 1) < 0)
            _exit(3);
        _exit(r == 'y' ? 0 : 1);
    }
    close(ready[1]);
    close(release[0]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(c, 'y');

    t0 = now_s();
    assert_int_equal(ac_storage_lock(ctx, st, "certs/x", 1), AUTOCERT_ERR_LOCKED);
    dt = now_s() - t0;
    assert_true(dt >= 0.9);
    assert_true(dt < 2.5);
    /* The message names the set and says why. */
    assert_non_null(strstr(autocert_last_error(ctx), "certs/x"));
    assert_non_null(strstr(autocert_last_error(ctx), "locked by another process"));
    /* A zero wait fails at once; another set is not affected. */
    t0 = now_s();
    assert_int_equal(ac_storage_lock(ctx, st, "certs/x", 0), AUTOCERT_ERR_LOCKED);
    assert_true(now_s() - t0 < 0.5);
    assert_int_equal(ac_storage_lock(ctx, st, "certs/y", 0), AUTOCERT_OK);
    ac_storage_unlock(st, "certs/y");

    assert_int_equal(write(release[1], "x", 1), 1);
    close(release[1]);
    close(ready[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(ac_storage_lock(ctx, st, "certs/x", 1), AUTOCERT_OK);
    ac_storage_unlock(st, "certs/x");
    autocert_ctx_free(ctx);
}

typedef struct {
    autocert_storage *st;
    int got;
} lock_try;

static void *try_lock(void *arg)
{
    lock_try *t = arg;

    t->got = ac_storage_lock(NULL, t->st, "certs/t.example", 0) == AUTOCERT_OK;
    if (t->got)
        ac_storage_unlock(t->st, "certs/t.example");
    return NULL;
}

static void test_lock_threads(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f), *other = NULL;
    lock_try t = {NULL, -1};
    pthread_t th;

    /* Two handles in one process exclude each other, thread by thread. */
    assert_int_equal(autocert_storage_dir_new(f->root, &other), AUTOCERT_OK);
    t.st = other;
    assert_int_equal(ac_storage_lock(NULL, st, "certs/t.example", 0), AUTOCERT_OK);
    assert_int_equal(pthread_create(&th, NULL, try_lock, &t), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.got, 0);
    /* So do two threads on one handle. */
    t.st = st;
    assert_int_equal(pthread_create(&th, NULL, try_lock, &t), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.got, 0);
    ac_storage_unlock(st, "certs/t.example");
    assert_int_equal(pthread_create(&th, NULL, try_lock, &t), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.got, 1);
    autocert_storage_free(other);
}

static void test_lock_whole_store_compat(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    char p[256];
    int fd;

    /* Earlier versions lock ROOT/.lock exclusively for a whole run: a set
     * lock waits for them, and they for it. */
    snprintf(p, sizeof(p), "%s/.lock", f->root);
    fd = open(p, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(ac_storage_lock(NULL, st, "certs/c.example", 0), AUTOCERT_ERR_LOCKED);
    assert_int_equal(flock(fd, LOCK_UN), 0);
    assert_int_equal(ac_storage_lock(NULL, st, "certs/c.example", 0), AUTOCERT_OK);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    ac_storage_unlock(st, "certs/c.example");
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    close(fd);
}

static void test_env_cache(void **state)
{
    fixture *f = *state;
    char *saved = getenv("AUTOCERT_CACHE") ? strdup(getenv("AUTOCERT_CACHE")) : NULL;
    char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char p[256];
    autocert_err rc;

    setenv("AUTOCERT_CACHE", f->root, 1);
    rc = autocert_storage_dir_new(NULL, &f->st);
    assert_int_equal(rc, AUTOCERT_OK);
    assert_string_equal(autocert_storage_dir_root(f->st), f->root);
    assert_int_equal(mode_of(f->root), 0700);
    autocert_storage_free(f->st);
    f->st = NULL;

    /* Without it: $HOME/.autocert-cache. */
    unsetenv("AUTOCERT_CACHE");
    setenv("HOME", f->dir, 1);
    rc = autocert_storage_dir_new(NULL, &f->st);
    assert_int_equal(rc, AUTOCERT_OK);
    snprintf(p, sizeof(p), "%s/.autocert-cache", f->dir);
    assert_string_equal(autocert_storage_dir_root(f->st), p);
    assert_int_equal(mode_of(p), 0700);

    if (saved)
        setenv("AUTOCERT_CACHE", saved, 1);
    if (saved_home)
        setenv("HOME", saved_home, 1);
    else
        unsetenv("HOME");
    free(saved);
    free(saved_home);
}

static void test_root_tightened(void **state)
{
    fixture *f = *state;

    assert_int_equal(mkdir(f->root, 0700), 0);
    assert_int_equal(chmod(f->root, 0755), 0);
    open_root(f);
    assert_int_equal(mode_of(f->root), 0700);
    /* A trailing slash is dropped from the root. */
    autocert_storage_free(f->st);
    f->st = NULL;
    {
        char withslash[200];
        snprintf(withslash, sizeof(withslash), "%s/", f->root);
        assert_int_equal(autocert_storage_dir_new(withslash, &f->st), AUTOCERT_OK);
        assert_string_equal(autocert_storage_dir_root(f->st), f->root);
    }
    autocert_storage_free(f->st);
    f->st = NULL;

    /* An open directory of somebody else is refused, and left as it is. */
    if (geteuid() == 0) {
        autocert_storage *st = NULL;
        assert_int_equal(chmod(f->root, 0755), 0);
        assert_int_equal(chown(f->root, 65534, 65534), 0);
        assert_int_equal(autocert_storage_dir_new(f->root, &st), AUTOCERT_ERR_EXISTS);
        assert_null(st);
        assert_int_equal(mode_of(f->root), 0755);
    }
}

static void test_root_not_directory(void **state)
{
    fixture *f = *state;
    autocert_storage *st = (autocert_storage *)1;
    char p[256];

    write_file(f->root, "not a directory");
    assert_int_equal(autocert_storage_dir_new(f->root, &st), AUTOCERT_ERR_EXISTS);
    assert_null(st);
    /* Nor below a regular file. */
    snprintf(p, sizeof(p), "%s/sub", f->root);
    st = (autocert_storage *)1;
    assert_int_equal(autocert_storage_dir_new(p, &st), AUTOCERT_ERR_IO);
    assert_null(st);
    assert_int_equal(autocert_storage_dir_new("", &st), AUTOCERT_ERR_INVALID);
}

static ino_t inode_of(const char *path)
{
    struct stat sb;

    assert_int_equal(lstat(path, &sb), 0);
    return sb.st_ino;
}

/* Creates the directory `path` holding one file, like a writer killed mid-store. */
static void debris(const char *path)
{
    char f[600];

    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(f, sizeof(f), "%s/privkey.pem", path);
    write_file(f, "KEY");
}

static void test_lock_sweeps_debris(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    char p[700], certs[256], longname[254], longset[300];
    size_t i;

    assert_int_equal(ac_storage_store(NULL, st, "certs/x.example", three, 3), AUTOCERT_OK);
    snprintf(certs, sizeof(certs), "%s/certs", f->root);
    snprintf(p, sizeof(p), "%s/.x.example.tmp-AbC123", certs);
    debris(p);
    snprintf(p, sizeof(p), "%s/.x.example.old-XyZ789", certs);
    debris(p);
    snprintf(p, sizeof(p), "%s/.x.example.rm-q1w2e3", certs);
    debris(p);
    snprintf(p, sizeof(p), "%s/x.example/.autocert-tmp.k9J8h7", certs);
    write_file(p, "half a meta.json");
    /* Another set's work, and what only looks like work, stay. */
    snprintf(p, sizeof(p), "%s/.x.example.com.tmp-AbC123", certs);
    debris(p);
    snprintf(p, sizeof(p), "%s/.x.example.tmp-toolong1", certs);
    debris(p);
    assert_int_equal(count_entries(certs, ".x.example."), 5);

    assert_int_equal(ac_storage_lock(NULL, st, "certs/x.example", 0), AUTOCERT_OK);
    ac_storage_unlock(st, "certs/x.example");
    assert_int_equal(count_entries(certs, ".x.example.tmp-AbC"), 0);
    assert_int_equal(count_entries(certs, ".x.example.old-"), 0);
    assert_int_equal(count_entries(certs, ".x.example.rm-"), 0);
    snprintf(p, sizeof(p), "%s/x.example", certs);
    assert_int_equal(count_entries(p, "."), 0);
    assert_int_equal(count_entries(p, ""), 3);
    assert_int_equal(count_entries(certs, ".x.example.com.tmp-"), 1);
    assert_int_equal(count_entries(certs, ".x.example.tmp-toolong1"), 1);
    check_item(st, "certs/x.example", "cert.pem", "CERT-1\n");

    /* A name of 253 bytes: its work files carry a shortened tag, and are
     * swept the same way. */
    for (i = 0; i < 253; i++)
        longname[i] = (char)('a' + i % 26);
    longname[253] = '\0';
    snprintf(longset, sizeof(longset), "certs/%s", longname);
    assert_int_equal(ac_storage_lock(NULL, st, longset, 0), AUTOCERT_OK);
    assert_int_equal(ac_storage_store(NULL, st, longset, three, 3), AUTOCERT_OK);
    assert_int_equal(ac_storage_store(NULL, st, longset, three, 2), AUTOCERT_OK);
    check_item(st, longset, "cert.pem", "CERT-1\n");
    ac_storage_unlock(st, longset);
    assert_int_equal(count_entries(certs, ".abcdefghijklmnopqrstuvwxyzabcdefghijk"), 1); /* its lock */
}

/* A handle reads an area for debris at most once a minute: a loop that
 * locks thousands of sets must not read the whole area each time.  What
 * one scan found is swept when its own set is locked; what appears later
 * is swept by the next handle (the next process). */
static void test_sweep_scans_once(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f), *st2 = NULL;
    char certs[256], a_old[400], b_old[400], b_late[400];

    assert_int_equal(ac_storage_store(NULL, st, "certs/a.example", three, 3), AUTOCERT_OK);
    assert_int_equal(ac_storage_store(NULL, st, "certs/b.example", three, 3), AUTOCERT_OK);
    snprintf(certs, sizeof(certs), "%s/certs", f->root);
    snprintf(a_old, sizeof(a_old), "%s/.a.example.tmp-Aa1111", certs);
    snprintf(b_old, sizeof(b_old), "%s/.b.example.old-Bb2222", certs);
    snprintf(b_late, sizeof(b_late), "%s/.b.example.tmp-Cc3333", certs);
    debris(a_old);
    debris(b_old);

    /* The first lock reads the area: a's debris goes, b's is remembered. */
    assert_int_equal(ac_storage_lock(NULL, st, "certs/a.example", 0), AUTOCERT_OK);
    ac_storage_unlock(st, "certs/a.example");
    assert_int_equal(access(a_old, F_OK), -1);
    assert_int_equal(access(b_old, F_OK), 0);

    /* Debris made since is not seen by this handle's next lock ... */
    debris(b_late);
    assert_int_equal(ac_storage_lock(NULL, st, "certs/b.example", 0), AUTOCERT_OK);
    ac_storage_unlock(st, "certs/b.example");
    assert_int_equal(access(b_old, F_OK), -1);
    assert_int_equal(access(b_late, F_OK), 0);

    /* ... but by another handle's, as by the next run of autocert. */
    assert_int_equal(autocert_storage_dir_new(f->root, &st2), AUTOCERT_OK);
    assert_int_equal(ac_storage_lock(NULL, st2, "certs/b.example", 0), AUTOCERT_OK);
    ac_storage_unlock(st2, "certs/b.example");
    assert_int_equal(access(b_late, F_OK), -1);
    check_item(st2, "certs/b.example", "cert.pem", "CERT-1\n");
    autocert_storage_free(st2);
}

/* What autocert did not make is left alone by store, remove and the
 * sweep; a set of the user's own that it may not enter is replaced whole. */
static void test_foreign_left_alone(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    unsigned char *data = NULL;
    size_t len = 0;
    char p[400], q[500], certs[140];

    snprintf(certs, sizeof(certs), "%s/certs", f->root);
    /* A file where a set's directory goes. */
    assert_int_equal(ac_storage_store(NULL, st, "certs/seed", three, 1), AUTOCERT_OK);
    snprintf(p, sizeof(p), "%s/file.example", certs);
    write_file(p, "mine");
    assert_int_equal(ac_storage_load(NULL, st, "certs/file.example", "cert.pem", &data, &len),
                     AUTOCERT_ERR_EXISTS);
    assert_int_equal(ac_storage_store(NULL, st, "certs/file.example", three, 3), AUTOCERT_ERR_EXISTS);
    assert_int_equal(ac_storage_remove(NULL, st, "certs/file.example"), AUTOCERT_ERR_EXISTS);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(count_entries(certs, ".file.example."), 0);

    /* A directory holding a directory: kept with its contents. */
    assert_int_equal(ac_storage_store(NULL, st, "certs/sub.example", three, 3), AUTOCERT_OK);
    snprintf(p, sizeof(p), "%s/sub.example/chain.pem", certs);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(q, sizeof(q), "%s/keep", p);
    write_file(q, "keep");
    assert_int_equal(ac_storage_store(NULL, st, "certs/sub.example", three, 2), AUTOCERT_ERR_EXISTS);
    assert_int_equal(access(q, F_OK), 0);
    check_item(st, "certs/sub.example", "meta.json", "{\"v\":1}");
    assert_int_equal(count_entries(certs, ".sub.example."), 0);

    /* A set of the user's own, mode 000: unreadable, and replaced whole,
     * leaving no work directory behind.  Its items of mode 000 too. */
    assert_int_equal(ac_storage_store(NULL, st, "certs/shut.example", three, 3), AUTOCERT_OK);
    snprintf(p, sizeof(p), "%s/shut.example/privkey.pem", certs);
    assert_int_equal(chmod(p, 0), 0);
    snprintf(p, sizeof(p), "%s/shut.example", certs);
    assert_int_equal(chmod(p, 0), 0);
    if (geteuid() != 0) {
        assert_int_equal(ac_storage_load(NULL, st, "certs/shut.example", "cert.pem", &data, &len),
                         AUTOCERT_ERR_IO);
        assert_null(data);
    }
    assert_int_equal(ac_storage_store(NULL, st, "certs/shut.example", three, 2), AUTOCERT_OK);
    check_item(st, "certs/shut.example", "cert.pem", "CERT-1\n");
    check_absent(st, "certs/shut.example", "meta.json");
    assert_int_equal(count_entries(certs, ".shut.example."), 0);
    assert_int_equal(chmod(p, 0), 0);
    assert_int_equal(ac_storage_remove(NULL, st, "certs/shut.example"), AUTOCERT_OK);
    assert_int_equal(count_entries(certs, ".shut.example."), 0);

    /* Another user's set, item and debris (root can make them). */
    if (geteuid() == 0) {
        assert_int_equal(ac_storage_store(NULL, st, "certs/theirs.example", three, 3), AUTOCERT_OK);
        snprintf(p, sizeof(p), "%s/theirs.example/cert.pem", certs);
        assert_int_equal(chown(p, 65534, 65534), 0);
        assert_int_equal(ac_storage_load(NULL, st, "certs/theirs.example", "cert.pem", &data, &len),
                         AUTOCERT_ERR_EXISTS);
        assert_int_equal(ac_storage_store(NULL, st, "certs/theirs.example", three, 3),
                         AUTOCERT_ERR_EXISTS);
        snprintf(p, sizeof(p), "%s/theirs.example", certs);
        assert_int_equal(chown(p, 65534, 65534), 0);
        assert_int_equal(ac_storage_load(NULL, st, "certs/theirs.example", "privkey.pem", &data,
                                         &len), AUTOCERT_ERR_EXISTS);
        assert_int_equal(ac_storage_remove(NULL, st, "certs/theirs.example"), AUTOCERT_ERR_EXISTS);
        snprintf(p, sizeof(p), "%s/.theirs.example.tmp-AbC123", certs);
        debris(p);
        assert_int_equal(chown(p, 65534, 65534), 0);
        assert_int_equal(ac_storage_lock(NULL, st, "certs/theirs.example", 0), AUTOCERT_OK);
        ac_storage_unlock(st, "certs/theirs.example");
        assert_int_equal(access(p, F_OK), 0);
        assert_int_equal(chown(certs, 65534, 65534), 0);
        assert_int_equal(ac_storage_load(NULL, st, "certs/seed", "privkey.pem", &data, &len),
                         AUTOCERT_ERR_EXISTS);
        assert_int_equal(ac_storage_lock(NULL, st, "certs/seed", 0), AUTOCERT_ERR_EXISTS);
    }
    assert_null(data);
}

static void test_store_item(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    const autocert_item meta = {"meta.json", "{\"v\":2}", 7, 0};
    const autocert_item added = {"extra.json", "{}", 2, 0};
    char key[256], dir[256];
    ino_t before;

    assert_int_equal(ac_storage_store(NULL, st, "certs/m.example", three, 3), AUTOCERT_OK);
    snprintf(key, sizeof(key), "%s/certs/m.example/privkey.pem", f->root);
    snprintf(dir, sizeof(dir), "%s/certs/m.example", f->root);
    before = inode_of(key);
    /* One item is replaced; the key and certificate are not rewritten. */
    assert_int_equal(ac_storage_store_item(NULL, st, "certs/m.example", &meta), AUTOCERT_OK);
    check_item(st, "certs/m.example", "meta.json", "{\"v\":2}");
    check_item(st, "certs/m.example", "privkey.pem", "KEY-1\n");
    check_item(st, "certs/m.example", "cert.pem", "CERT-1\n");
    assert_true(inode_of(key) == before);
    assert_int_equal(mode_of(key), 0600);
    snprintf(key, sizeof(key), "%s/certs/m.example/meta.json", f->root);
    assert_int_equal(mode_of(key), 0644);
    /* A new item may be added; no temporary file stays behind. */
    assert_int_equal(ac_storage_store_item(NULL, st, "certs/m.example", &added), AUTOCERT_OK);
    check_item(st, "certs/m.example", "extra.json", "{}");
    assert_int_equal(count_entries(dir, "."), 0);
    assert_int_equal(count_entries(dir, ""), 4);
    /* The set must exist; keys are checked. */
    assert_int_equal(ac_storage_store_item(NULL, st, "certs/none.example", &meta),
                     AUTOCERT_ERR_NOT_FOUND);
    check_absent(st, "certs/none.example", "meta.json");
    {
        const autocert_item bad = {"../meta.json", "x", 1, 0};
        assert_int_equal(ac_storage_store_item(NULL, st, "certs/m.example", &bad),
                         AUTOCERT_ERR_INVALID);
        assert_int_equal(ac_storage_store_item(NULL, st, "certs/../x", &meta),
                         AUTOCERT_ERR_INVALID);
    }
}

static void test_details(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    autocert_ctx *ctx = autocert_ctx_new();
    unsigned char *data = NULL;
    size_t len = 0;
    char p[256];

    assert_non_null(ctx);
    /* A file the backend cannot open: the message names it and the reason. */
    assert_int_equal(ac_storage_store(NULL, st, "certs/d.example", three, 3), AUTOCERT_OK);
    snprintf(p, sizeof(p), "%s/certs/d.example/cert.pem", f->root);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(ac_storage_load(ctx, st, "certs/d.example", "cert.pem", &data, &len),
                     AUTOCERT_ERR_EXISTS);
    assert_non_null(strstr(autocert_last_error(ctx), p));
    assert_non_null(strstr(autocert_last_error(ctx), "not a regular file"));
    /* An area that is a file: the path and errno's text. */
    snprintf(p, sizeof(p), "%s/accounts", f->root);
    write_file(p, "x");
    assert_int_equal(ac_storage_store(ctx, st, "accounts/a", three, 1), AUTOCERT_ERR_EXISTS);
    assert_non_null(strstr(autocert_last_error(ctx), p));
    assert_non_null(strstr(autocert_last_error(ctx), "Not a directory"));
    /* An invalid key is refused by name before the backend sees it. */
    assert_int_equal(ac_storage_store(ctx, st, "certs/../x", three, 1), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "certs/../x"));
    assert_null(data);
    autocert_ctx_free(ctx);
}

/* Several items of one set in one read: absent ones NULL, a link refused
 * by name with nothing handed back. */
static void test_load_items(void **state)
{
    fixture *f = *state;
    autocert_storage *st = open_root(f);
    autocert_ctx *ctx = autocert_ctx_new();
    const char *const names[] = {"meta.json", "chain.pem", "privkey.pem"};
    unsigned char *data[3] = {NULL, NULL, NULL};
    size_t len[3] = {9, 9, 9}, i;
    char target[256], p[256];

    assert_non_null(ctx);
    assert_int_equal(ac_storage_store(NULL, st, "certs/example.com", three, 3), AUTOCERT_OK);
    assert_int_equal(ac_storage_load_items(ctx, st, "certs/example.com", names, 3, data, len),
                     AUTOCERT_OK);
    assert_non_null(data[0]);
    assert_int_equal(len[0], 7);
    assert_memory_equal(data[0], "{\"v\":1}", 8); /* NUL-terminated too */
    assert_null(data[1]);
    assert_int_equal(len[1], 0);
    assert_non_null(data[2]);
    assert_string_equal((char *)data[2], "KEY-1\n");
    for (i = 0; i < 3; i++)
        free(data[i]);

    /* An absent set: every item absent, no error. */
    assert_int_equal(ac_storage_load_items(ctx, st, "certs/nothing.example", names, 3, data, len),
                     AUTOCERT_OK);
    assert_true(data[0] == NULL && data[1] == NULL && data[2] == NULL);

    /* A link among the items fails the read, naming it; nothing is handed back. */
    snprintf(target, sizeof(target), "%s/outside", f->dir);
    write_file(target, "outside");
    snprintf(p, sizeof(p), "%s/certs/example.com/chain.pem", f->root);
    assert_int_equal(symlink(target, p), 0);
    assert_int_equal(ac_storage_load_items(ctx, st, "certs/example.com", names, 3, data, len),
                     AUTOCERT_ERR_EXISTS);
    assert_true(data[0] == NULL && data[1] == NULL && data[2] == NULL);
    assert_non_null(strstr(autocert_last_error(ctx), p));
    assert_non_null(strstr(autocert_last_error(ctx), "symbolic link"));

    /* Names are checked before the backend sees them. */
    {
        const char *const bad[] = {"meta.json", "../x"};
        assert_int_equal(ac_storage_load_items(ctx, st, "certs/example.com", bad, 2, data, len),
                         AUTOCERT_ERR_INVALID);
    }
    autocert_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_fewer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_leftovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_and_special, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_not_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_per_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_wait_and_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_whole_store_compat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_tightened, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_not_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_sweeps_debris, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_scans_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_left_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_item, setup, teardown),
        cmocka_unit_test_setup_teardown(test_details, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_items, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
