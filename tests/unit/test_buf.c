/* test_buf.c: the bounded growable buffer. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void test_append_grows(void **state)
{
    ac_buf b;
    char chunk[100];
    size_t i;

    (void)state;
    ac_buf_init(&b, 1024 * 1024);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    memset(chunk, 'x', sizeof(chunk));
    /* Past the initial allocation several times over. */
    for (i = 0; i < 50; i++) {
        assert_int_equal(ac_buf_append(&b, chunk, sizeof(chunk)), 0);
        assert_int_equal(b.len, (i + 1) * sizeof(chunk));
        assert_true(b.cap >= b.len + 1);
        assert_int_equal(b.data[b.len], '\0');
    }
    for (i = 0; i < b.len; i++)
        assert_int_equal(b.data[i], 'x');
    ac_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    ac_buf_free(&b); /* twice is harmless */
}

static void test_appendf_grows(void **state)
{
    ac_buf b;
    int i;
    char expect[16];

    (void)state;
    ac_buf_init(&b, 1024 * 1024);
    for (i = 0; i < 1000; i++)
        assert_int_equal(ac_buf_appendf(&b, "%04d,", i), 0);
    assert_int_equal(b.len, 5000);
    assert_int_equal(strlen((char *)b.data), 5000);
    assert_memory_equal(b.data, "0000,0001,0002,", 15);
    snprintf(expect, sizeof(expect), "%04d,", 999);
    assert_memory_equal(b.data + 4995, expect, 5);
    /* Mixed with append. */
    assert_int_equal(ac_buf_append(&b, "end", 3), 0);
    assert_string_equal((char *)b.data + 5000, "end");
    /* An empty format still yields a valid string. */
    assert_int_equal(ac_buf_appendf(&b, "%s", ""), 0);
    assert_int_equal(b.len, 5003);
    ac_buf_free(&b);
}

static void test_maximum_enforced(void **state)
{
    ac_buf b;

    (void)state;
    ac_buf_init(&b, 10);
    assert_int_equal(ac_buf_append(&b, "hello", 5), 0);
    /* 5 + 6 > 10: refused, contents untouched. */
    assert_int_equal(ac_buf_append(&b, "world!", 6), -1);
    assert_int_equal(b.len, 5);
    assert_string_equal((char *)b.data, "hello");
    /* Exactly up to the maximum is fine. */
    assert_int_equal(ac_buf_append(&b, "world", 5), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal((char *)b.data, "helloworld");
    assert_true(b.cap <= 11);
    assert_int_equal(ac_buf_append(&b, "!", 1), -1);
    assert_int_equal(ac_buf_appendf(&b, "%d", 7), -1);
    assert_string_equal((char *)b.data, "helloworld");
    assert_int_equal(b.len, 10);
    /* Appending nothing at the maximum is not an error. */
    assert_int_equal(ac_buf_append(&b, "", 0), 0);
    ac_buf_free(&b);
}

static void test_appendf_maximum(void **state)
{
    ac_buf b;
    int i, ok = 0;

    (void)state;
    ac_buf_init(&b, 1000);
    for (i = 0; i < 200; i++) {
        if (ac_buf_appendf(&b, "%s", "0123456789") != 0)
            break;
        ok++;
    }
    assert_int_equal(ok, 100);
    assert_int_equal(b.len, 1000);
    assert_int_equal(strlen((char *)b.data), 1000);
    assert_true(b.cap <= 1001);
    /* A single oversized piece is refused at once. */
    ac_buf_free(&b);
    ac_buf_init(&b, 8);
    assert_int_equal(ac_buf_appendf(&b, "%s", "abc"), 0);
    assert_int_equal(ac_buf_appendf(&b, "%s", "0123456789"), -1);
    assert_string_equal((char *)b.data, "abc");
    ac_buf_free(&b);
}

static void test_zero_maximum(void **state)
{
    ac_buf b;

    (void)state;
    ac_buf_init(&b, 0);
    assert_int_equal(ac_buf_append(&b, "x", 1), -1);
    assert_int_equal(b.len, 0);
    ac_buf_free(&b);
}

static void test_steal(void **state)
{
    ac_buf b;
    char *s;

    (void)state;
    ac_buf_init(&b, 100);
    /* Never allocated: nothing to give. */
    assert_null(ac_buf_steal(&b));
    assert_int_equal(ac_buf_appendf(&b, "%s-%d", "abc", 42), 0);
    s = ac_buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "abc-42");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    /* The buffer is reusable, with the same maximum. */
    assert_int_equal(b.max, 100);
    assert_int_equal(ac_buf_append(&b, "z", 1), 0);
    assert_string_equal((char *)b.data, "z");
    ac_buf_free(&b);
    free(s);
}

static void test_free_secret(void **state)
{
    ac_buf b;

    (void)state;
    ac_buf_init(&b, 4096);
    ac_buf_free_secret(&b); /* empty: a no-op */
    assert_int_equal(ac_buf_append(&b, "-----BEGIN PRIVATE KEY-----", 27), 0);
    ac_buf_free_secret(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    /* ac_free_secret accepts NULL. */
    ac_free_secret(NULL, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_grows),
        cmocka_unit_test(test_appendf_grows),
        cmocka_unit_test(test_maximum_enforced),
        cmocka_unit_test(test_appendf_maximum),
        cmocka_unit_test(test_zero_maximum),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_free_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
