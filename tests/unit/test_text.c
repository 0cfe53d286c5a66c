/* test_text.c: outside text made safe to print: control bytes shown, unsafe UTF-8 escaped, length bounded. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static const char *esc(const char *in)
{
    static char buf[256];

    return ac_escape(in, 200, buf, sizeof(buf));
}

static void test_plain_text_kept(void **state)
{
    (void)state;
    assert_string_equal(esc("Error creating new order :: too many certificates"),
                        "Error creating new order :: too many certificates");
    assert_string_equal(esc(""), "");
    assert_string_equal(esc(NULL), "(none)");
    /* Letters of other scripts stay readable. */
    assert_string_equal(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
}

static void test_controls_shown(void **state)
{
    (void)state;
    /* Clear screen, set the title, forge a line: all shown, none sent. */
    assert_string_equal(esc("\x1b[2J\x1b]0;owned\x07"), "^[[2J^[]0;owned^G");
    assert_string_equal(esc("bad\r\ncertificate stored OK"), "bad^M^Jcertificate stored OK");
    assert_string_equal(esc("tab\there"), "tab^Ihere");
    assert_string_equal(esc("del\x7f"), "del^?");
    assert_null(strpbrk(esc("\x01\x02\x03\x1f"), "\x01\x02\x03\x1f"));
}

static void test_unsafe_utf8_escaped(void **state)
{
    (void)state;
    /* C1 controls in their UTF-8 form (U+009B is a CSI on some terminals). */
    assert_string_equal(esc("a\xc2\x9b" "2J"), "a\\xc2\\x9b2J");
    /* Right-to-left override: reorders what follows on screen. */
    assert_string_equal(esc("x\xe2\x80\xaey"), "x\\xe2\\x80\\xaey");
    /* Every bidi control: the Arabic letter mark too (U+061C). */
    assert_string_equal(esc("x\xd8\x9cy"), "x\\xd8\\x9cy");
    assert_string_equal(esc("\xe2\x81\xa7"), "\\xe2\\x81\\xa7");
    assert_string_equal(esc("\xd8\x9b"), "\xd8\x9b"); /* U+061B, a semicolon: kept */
    /* Line separator, overlong encodings, a lone continuation byte, a cut sequence. */
    assert_string_equal(esc("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
    assert_string_equal(esc("\xc0\xaf"), "\\xc0\\xaf");
    assert_string_equal(esc("\x80"), "\\x80");
    assert_string_equal(esc("\xe2\x82"), "\\xe2\\x82");
    /* A surrogate encoded in UTF-8 is not text. */
    assert_string_equal(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");
}

static void test_bounded(void **state)
{
    char in[5000], out[64];
    char *dup;

    (void)state;
    memset(in, 'a', sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    ac_escape(in, 20, out, sizeof(out));
    assert_int_equal(strlen(out), 23);
    assert_string_equal(out + 20, "...");
    /* Escapes count towards the bound; the buffer bounds the rest. */
    memset(in, 0x1b, 100);
    in[100] = '\0';
    ac_escape(in, 1000, out, sizeof(out));
    assert_int_equal(strlen(out), sizeof(out) - 1);
    dup = ac_escape_dup(in, 10);
    assert_non_null(dup);
    assert_string_equal(dup, "^[^[^[^[^[...");
    free(dup);
    /* A buffer too small never ends in half a character. */
    assert_string_equal(ac_escape("ab\xc3\xa9", 100, out, 4), "ab");
    assert_string_equal(ac_escape("ab\xc3\xa9", 100, out, 5), "ab\xc3\xa9");
    assert_string_equal(ac_escape("a\xe2\x82\xac", 100, out, 4), "a");
    assert_string_equal(ac_escape("a\xf0\x9f\x98\x80", 100, out, 5), "a");
    /* The message macro. */
    assert_string_equal(AC_SAFE("x\ny"), "x^Jy");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_kept),
        cmocka_unit_test(test_controls_shown),
        cmocka_unit_test(test_unsafe_utf8_escaped),
        cmocka_unit_test(test_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
