/* test_b64url.c: base64url encoding and decoding against RFC 4648 vectors. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void check_pair(const char *raw, const char *enc)
{
    char *out = NULL;
    unsigned char *dec = NULL;
    size_t len = 0;

    assert_int_equal(ac_b64url_encode(raw, strlen(raw), &out), AUTOCERT_OK);
    assert_string_equal(out, enc);
    assert_int_equal(ac_b64url_decode(enc, &dec, &len), AUTOCERT_OK);
    assert_int_equal(len, strlen(raw));
    assert_memory_equal(dec, raw, len);
    free(out);
    free(dec);
}

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    check_pair("", "");
    check_pair("f", "Zg");
    check_pair("fo", "Zm8");
    check_pair("foo", "Zm9v");
    check_pair("foob", "Zm9vYg");
    check_pair("fooba", "Zm9vYmE");
    check_pair("foobar", "Zm9vYmFy");
}

static void test_url_alphabet(void **state)
{
    const unsigned char raw[] = {0xfb, 0xff, 0xbf, 0x3e};
    char *out = NULL;
    unsigned char *dec = NULL;
    size_t len;

    (void)state;
    assert_int_equal(ac_b64url_encode(raw, sizeof(raw), &out), AUTOCERT_OK);
    assert_string_equal(out, "-_-_Pg");
    assert_int_equal(ac_b64url_decode(out, &dec, &len), AUTOCERT_OK);
    assert_int_equal(len, sizeof(raw));
    assert_memory_equal(dec, raw, sizeof(raw));
    free(out);
    free(dec);
}

static void test_padding_accepted(void **state)
{
    unsigned char *dec = NULL;
    size_t len;

    (void)state;
    assert_int_equal(ac_b64url_decode("Zm8=", &dec, &len), AUTOCERT_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(dec, "fo", 2);
    free(dec);
}

static void test_rejects_bad_input(void **state)
{
    unsigned char *dec = (unsigned char *)"x";
    size_t len = 7;

    (void)state;
    /* standard alphabet characters are not base64url */
    assert_int_equal(ac_b64url_decode("ab+/", &dec, &len), AUTOCERT_ERR_INVALID);
    assert_null(dec);
    assert_int_equal(ac_b64url_decode("a", &dec, &len), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_b64url_decode("ab cd", &dec, &len), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_b64url_decode("ab.c", &dec, &len), AUTOCERT_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_url_alphabet),
        cmocka_unit_test(test_padding_accepted),
        cmocka_unit_test(test_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
