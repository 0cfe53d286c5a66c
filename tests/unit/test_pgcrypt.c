/* test_pgcrypt.c: the PostgreSQL backend's parts that need no server: sealing secret items, the key file, connection strings without passwords. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/pg.h"
#include "unit.h"

static const unsigned char key1[AC_PG_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[AC_PG_KEY_LEN] = "fedcba9876543210fedcba9876543210";
static const char pem[] = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----\n";

static void seal(const unsigned char *key, const char *set, const char *item, long long gen,
                 unsigned char **out, size_t *n)
{
    assert_int_equal(ac_pgcrypt_seal(key, set, item, gen, (const unsigned char *)pem,
                                     strlen(pem), out, n),
                     AUTOCERT_OK);
}

static autocert_err open_as(const unsigned char *key, const char *set, const char *item,
                            long long gen, const unsigned char *in, size_t n)
{
    unsigned char *out = NULL;
    size_t len = 0;
    autocert_err rc = ac_pgcrypt_open(key, set, item, gen, in, n, &out, &len);

    if (rc == AUTOCERT_OK) {
        assert_int_equal(len, strlen(pem));
        assert_memory_equal(out, pem, len);
        assert_int_equal(out[len], '\0');
    } else {
        assert_null(out);
    }
    free(out);
    return rc;
}

static void test_round_trip(void **state)
{
    unsigned char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;

    (void)state;
    seal(key1, "certs/a.example", "privkey.pem", 3, &a, &na);
    assert_int_equal(na, strlen(pem) + AC_PGCRYPT_OVERHEAD);
    assert_int_equal(a[0], AC_PGCRYPT_VERSION);
    /* No PEM text in what is stored, and a fresh IV every time. */
    assert_null(memmem(a, na, "PRIVATE KEY", 11));
    seal(key1, "certs/a.example", "privkey.pem", 3, &b, &nb);
    assert_int_equal(na, nb);
    assert_memory_not_equal(a, b, na);
    assert_int_equal(open_as(key1, "certs/a.example", "privkey.pem", 3, a, na), AUTOCERT_OK);
    assert_int_equal(open_as(key1, "certs/a.example", "privkey.pem", 3, b, nb), AUTOCERT_OK);
    free(a);
    free(b);
}

/* A row moved to another set, item or generation does not open. */
static void test_bound_to_place(void **state)
{
    unsigned char *a = NULL;
    size_t na = 0;

    (void)state;
    seal(key1, "certs/a.example", "privkey.pem", 3, &a, &na);
    assert_int_equal(open_as(key1, "certs/b.example", "privkey.pem", 3, a, na), AUTOCERT_ERR_CORRUPT);
    assert_int_equal(open_as(key1, "accounts/a.example", "privkey.pem", 3, a, na),
                     AUTOCERT_ERR_CORRUPT);
    assert_int_equal(open_as(key1, "certs/a.example", "account.key", 3, a, na), AUTOCERT_ERR_CORRUPT);
    assert_int_equal(open_as(key1, "certs/a.example", "privkey.pem", 2, a, na), AUTOCERT_ERR_CORRUPT);
    assert_int_equal(open_as(key1, "certs/a.example", "privkey.pem", 4, a, na), AUTOCERT_ERR_CORRUPT);
    /* "certs/a" + "b.pem" and "certs/ab" + ".pem" are different places. */
    free(a);
    seal(key1, "certs/a", "b.pem", 1, &a, &na);
    assert_int_equal(open_as(key1, "certs/ab", ".pem", 1, a, na), AUTOCERT_ERR_CORRUPT);
    free(a);
}

/* Another key is told apart from a changed row. */
static void test_wrong_key_and_tampering(void **state)
{
    unsigned char *a = NULL;
    size_t na = 0, i;

    (void)state;
    seal(key1, "certs/a.example", "privkey.pem", 1, &a, &na);
    assert_int_equal(open_as(key2, "certs/a.example", "privkey.pem", 1, a, na), AUTOCERT_ERR_PASSWORD);
    for (i = AC_PGCRYPT_HEAD - AC_PGCRYPT_IV_LEN; i < na; i += 7) {
        a[i] ^= 0x01;
        assert_int_equal(open_as(key1, "certs/a.example", "privkey.pem", 1, a, na),
                         AUTOCERT_ERR_CORRUPT);
        a[i] ^= 0x01;
    }
    assert_int_equal(open_as(key1, "certs/a.example", "privkey.pem", 1, a, na - 1),
                     AUTOCERT_ERR_CORRUPT);
    assert_int_equal(open_as(key1, "certs/a.example", "privkey.pem", 1, a, AC_PGCRYPT_OVERHEAD - 1),
                     AUTOCERT_ERR_CORRUPT);
    a[0] = 2; /* a version this code does not know */
    assert_int_equal(open_as(key1, "certs/a.example", "privkey.pem", 1, a, na), AUTOCERT_ERR_CORRUPT);
    free(a);
}

static void test_empty_item(void **state)
{
    unsigned char *a = NULL, *out = NULL;
    size_t na = 0, len = 1;

    (void)state;
    assert_int_equal(ac_pgcrypt_seal(key1, "certs/a", "x", 1, NULL, 0, &a, &na), AUTOCERT_OK);
    assert_int_equal(na, AC_PGCRYPT_OVERHEAD);
    assert_int_equal(ac_pgcrypt_open(key1, "certs/a", "x", 1, a, na, &out, &len), AUTOCERT_OK);
    assert_int_equal(len, 0);
    free(out);
    free(a);
}

/* ---- the key file ---------------------------------------------------------------- */

static char dir[64];

static const char *key_file(const void *data, size_t n, mode_t mode)
{
    static char path[96];
    int fd;

    snprintf(path, sizeof(path), "%s/key", dir);
    unlink(path);
    assert_true((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

static autocert_err read_key(const char *path, unsigned char *key, char *detail)
{
    detail[0] = '\0';
    return ac_pgcrypt_read_key(path, key, detail);
}

static void test_key_file(void **state)
{
    static const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
    char line[80], detail[AUTOCERT_STORAGE_DETAIL];
    unsigned char key[AC_PG_KEY_LEN];
    const char *path;
    int i;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_pgcrypt.XXXXXX");
    assert_non_null(mkdtemp(dir));
    /* 32 raw bytes; 64 hex digits, with or without one newline. */
    assert_int_equal(read_key(key_file(key1, 32, 0600), key, detail), AUTOCERT_OK);
    assert_memory_equal(key, key1, 32);
    assert_int_equal(read_key(key_file(hex, 64, 0400), key, detail), AUTOCERT_OK);
    for (i = 0; i < 32; i++)
        assert_int_equal(key[i], i);
    snprintf(line, sizeof(line), "%s\n", hex);
    assert_int_equal(read_key(key_file(line, 65, 0600), key, detail), AUTOCERT_OK);
    /* Anything else is refused, saying what is expected. */
    assert_int_equal(read_key(key_file(key1, 31, 0600), key, detail), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(detail, "32 bytes or 64 hexadecimal digits"));
    memset(line, 'k', 33);
    assert_int_equal(read_key(key_file(line, 33, 0600), key, detail), AUTOCERT_ERR_INVALID);
    assert_int_equal(read_key(key_file(hex, 63, 0600), key, detail), AUTOCERT_ERR_INVALID);
    snprintf(line, sizeof(line), "%s\n\n", hex);
    assert_int_equal(read_key(key_file(line, 66, 0600), key, detail), AUTOCERT_ERR_INVALID);
    line[10] = 'g';
    assert_int_equal(read_key(key_file(line, 65, 0600), key, detail), AUTOCERT_ERR_INVALID);
    /* Group or others may read it: refused, naming the mode. */
    path = key_file(key1, 32, 0640);
    assert_int_equal(read_key(path, key, detail), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(detail, "640"));
    assert_non_null(strstr(detail, path));
    assert_int_equal(read_key(key_file(key1, 32, 0604), key, detail), AUTOCERT_ERR_INVALID);
    /* Not a file, or none. */
    assert_int_equal(read_key(dir, key, detail), AUTOCERT_ERR_INVALID);
    unlink(path);
    assert_int_equal(read_key(path, key, detail), AUTOCERT_ERR_IO);
    assert_non_null(strstr(detail, path));
    rmdir(dir);
}

/* ---- connection strings ---------------------------------------------------------- */

static void redacts(const char *in, const char *want)
{
    char *got = ac_pg_redact(in);

    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_redact(void **state)
{
    (void)state;
    assert_true(ac_pg_is_url("postgresql://h/db"));
    assert_true(ac_pg_is_url("postgres://h/db"));
    assert_true(ac_pg_is_url("PostgreSQL://h/db"));
    assert_false(ac_pg_is_url("/var/cache/autocert"));
    assert_false(ac_pg_is_url("postgresql:/h"));
    assert_false(ac_pg_is_url(NULL));
    redacts("postgresql://u:secret@db.example:5433/certs", "postgresql://u@db.example:5433/certs");
    redacts("postgres://u@h/db", "postgres://u@h/db");
    redacts("postgresql://h/db", "postgresql://h/db");
    redacts("postgresql://:secret@h/db", "postgresql://@h/db");
    redacts("postgresql://u:s%40cret@h/db?sslmode=require",
            "postgresql://u@h/db?sslmode=require");
    redacts("postgresql://u@h/db?password=secret&sslmode=require",
            "postgresql://u@h/db?sslmode=require");
    redacts("postgresql://u@h/db?sslmode=require&password=secret",
            "postgresql://u@h/db?sslmode=require");
    redacts("postgresql://u@h/db?pass%77ord=secret&host=%2Ftmp",
            "postgresql://u@h/db?host=%2Ftmp");
    redacts("postgresql:///db?host=/run/pg&password=secret", "postgresql:///db?host=/run/pg");
    /* libpq reads user information only before the first '/'. */
    redacts("postgresql://h/db@x", "postgresql://h/db@x");
    redacts("host=h dbname=db password=secret user=u", "host=h dbname=db user=u");
    redacts("host=h password = 'se cr\\'et' user=u", "host=h user=u");
    redacts("password=secret", "");
    /* What cannot be taken apart is not shown at all. */
    redacts("host=h password='unterminated secret", "(a PostgreSQL connection string)");
    redacts("host=h secret", "(a PostgreSQL connection string)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bound_to_place),
        cmocka_unit_test(test_wrong_key_and_tampering),
        cmocka_unit_test(test_empty_item),
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_redact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
