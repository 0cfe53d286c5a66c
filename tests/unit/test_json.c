/* test_json.c: the checked JSON writer: whole text, or none when any part of it cannot be written. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void test_whole_text(void **state)
{
    json_t *j = json_pack("{s:s, s:i, s:[s,s]}", "b", "x\"y", "a", 1, "c", "p", "q");
    char *text;

    (void)state;
    assert_non_null(j);
    text = ac_json_dump(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(text);
    assert_string_equal(text, "{\"a\":1,\"b\":\"x\\\"y\",\"c\":[\"p\",\"q\"]}");
    free(text);
    json_decref(j);
}

/* A key that cannot be written: jansson 2.14 drops it and goes on (its
 * json_dumps would answer {"":1} when out of memory there); the writer
 * answers nothing. */
static void test_failed_key_fails_the_text(void **state)
{
    char key[101];
    json_t *j;

    (void)state;
    memset(key, 'k', 100);
    key[100] = '\0';
    j = json_pack("{s:i}", key, 1);
    assert_non_null(j);
    assert_null(ac_json_dump_max(j, JSON_COMPACT, 50));
    json_decref(j);
}

static void test_too_long_and_null(void **state)
{
    json_t *j = json_pack("[s]", "0123456789");

    (void)state;
    assert_null(ac_json_dump_max(j, JSON_COMPACT, 8));
    assert_null(ac_json_dump(NULL, 0));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_text),
        cmocka_unit_test(test_failed_key_fails_the_text),
        cmocka_unit_test(test_too_long_and_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
