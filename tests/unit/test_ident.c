/* test_ident.c: validation and normalisation of DNS and IP identifiers. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "unit.h"

/* Parses `in` and expects success with the given type and value. */
static void expect_ok(autocert_ctx *ctx, const char *in, int wildcard, ac_id_type type,
                      const char *value)
{
    ac_ident id;
    autocert_err rc = ac_ident_parse(ctx, in, wildcard, &id);

    if (rc != AUTOCERT_OK)
        fail_msg("'%s' rejected: %s", in, autocert_last_error(ctx));
    assert_int_equal(id.type, type);
    assert_non_null(id.value);
    assert_string_equal(id.value, value);
    ac_ident_clear(&id);
    assert_null(id.value);
}

/* Expects INVALID, and a message that names the input (`shown`, or all of
 * `in` when NULL) and contains `why` when not NULL. */
static void expect_bad(autocert_ctx *ctx, const char *in, int wildcard, const char *shown,
                       const char *why)
{
    ac_ident id;
    const char *msg;
    autocert_err rc;

    ac_err_clear(ctx);
    rc = ac_ident_parse(ctx, in, wildcard, &id);
    if (rc != AUTOCERT_ERR_INVALID)
        fail_msg("'%s' accepted (rc %d, value '%s')", in ? in : "(null)", (int)rc,
                 rc == AUTOCERT_OK ? id.value : "");
    assert_null(id.value);
    msg = autocert_last_error(ctx);
    if (shown == NULL)
        shown = in;
    if (shown && strstr(msg, shown) == NULL)
        fail_msg("message '%s' does not name the input '%s'", msg, shown);
    if (why && strstr(msg, why) == NULL)
        fail_msg("message '%s' lacks '%s'", msg, why);
}

/* A name made of `labels` labels of `len` characters joined by dots. */
static char *make_name(size_t labels, size_t len, char fill)
{
    char *s = malloc(labels * (len + 1) + 1);
    size_t i, pos = 0;

    assert_non_null(s);
    for (i = 0; i < labels; i++) {
        memset(s + pos, fill, len);
        pos += len;
        s[pos++] = '.';
    }
    s[pos ? pos - 1 : 0] = '\0';
    return s;
}

static void test_dns_normalised(void **state)
{
    autocert_ctx *ctx = *state;

    expect_ok(ctx, "example.com", 0, AC_ID_DNS, "example.com");
    expect_ok(ctx, "WWW.Example.COM", 0, AC_ID_DNS, "www.example.com");
    expect_ok(ctx, "example.com.", 0, AC_ID_DNS, "example.com");
    expect_ok(ctx, "localhost", 0, AC_ID_DNS, "localhost");
    expect_ok(ctx, "a-b.c0.example", 0, AC_ID_DNS, "a-b.c0.example");
    expect_ok(ctx, "xn--bcher-kva.example", 0, AC_ID_DNS, "xn--bcher-kva.example");
    /* Numeric labels are fine when the last one is not. */
    expect_ok(ctx, "1.2.3.example", 0, AC_ID_DNS, "1.2.3.example");
    expect_ok(ctx, "123.com", 0, AC_ID_DNS, "123.com");
    /* Only one trailing dot is stripped. */
    expect_bad(ctx, "example.com..", 0, NULL, "empty label");
}

static void test_ip_canonical(void **state)
{
    autocert_ctx *ctx = *state;

    expect_ok(ctx, "192.0.2.1", 0, AC_ID_IP, "192.0.2.1");
    expect_ok(ctx, "127.0.0.1", 0, AC_ID_IP, "127.0.0.1");
    expect_ok(ctx, "2001:DB8::0:1", 0, AC_ID_IP, "2001:db8::1");
    expect_ok(ctx, "2001:0db8:0000:0000:0000:0000:0000:0001", 0, AC_ID_IP, "2001:db8::1");
    expect_ok(ctx, "[::1]", 0, AC_ID_IP, "::1");
    expect_ok(ctx, "::1", 0, AC_ID_IP, "::1");
    expect_ok(ctx, "[2001:DB8::A]", 0, AC_ID_IP, "2001:db8::a");
    expect_ok(ctx, "::ffff:192.0.2.1", 0, AC_ID_IP, "::ffff:192.0.2.1");
    /* Not IP addresses, and not DNS names either. */
    expect_bad(ctx, "256.1.1.1", 0, NULL, NULL);
    expect_bad(ctx, "1.2.3", 0, NULL, NULL);
    expect_bad(ctx, "1.2.3.4.5", 0, NULL, NULL);
    expect_bad(ctx, "[::1", 0, NULL, NULL);
    expect_bad(ctx, "[192.0.2.1]", 0, NULL, NULL);
    expect_bad(ctx, "[]", 0, NULL, NULL);
    expect_bad(ctx, "2001:db8::g", 0, NULL, NULL);
    expect_bad(ctx, "fe80::1%eth0", 0, NULL, NULL);
}

static void test_lengths(void **state)
{
    autocert_ctx *ctx = *state;
    char *s;
    char buf[300];

    /* A label of 63 is fine, 64 is not. */
    s = make_name(1, 63, 'a');
    snprintf(buf, sizeof(buf), "%s.example", s);
    expect_ok(ctx, buf, 0, AC_ID_DNS, buf);
    free(s);
    s = make_name(1, 64, 'a');
    snprintf(buf, sizeof(buf), "%s.example", s);
    expect_bad(ctx, buf, 0, NULL, "63");
    free(s);

    /* 4 x 63 + 3 dots = 255; trim to exactly 253 and 254. */
    s = make_name(4, 63, 'b');
    s[253] = '\0';
    assert_int_equal(strlen(s), 253);
    assert_int_not_equal(s[252], '.');
    expect_ok(ctx, s, 0, AC_ID_DNS, s);
    /* 253 plus the trailing dot of a fully qualified name is still 253. */
    memcpy(buf, s, 253);
    buf[253] = '.';
    buf[254] = '\0';
    expect_ok(ctx, buf, 0, AC_ID_DNS, s);
    free(s);
    s = make_name(4, 63, 'c');
    s[254] = '\0';
    assert_int_equal(strlen(s), 254);
    expect_bad(ctx, s, 0, NULL, "253");
    free(s);
    /* Far too long: the message shows the beginning of the input. */
    s = make_name(5, 63, 'd');
    assert_true(strlen(s) > 300);
    memcpy(buf, s, 40);
    buf[40] = '\0';
    expect_bad(ctx, s, 0, buf, "253");
    free(s);
}

static void test_bad_characters(void **state)
{
    autocert_ctx *ctx = *state;

    expect_bad(ctx, "", 0, NULL, NULL);
    expect_bad(ctx, NULL, 0, NULL, NULL);
    expect_bad(ctx, ".", 0, NULL, NULL);
    expect_bad(ctx, "a..b", 0, NULL, "empty label");
    expect_bad(ctx, ".example.com", 0, NULL, "empty label");
    expect_bad(ctx, "-a.example.com", 0, NULL, "'-'");
    expect_bad(ctx, "a-.example.com", 0, NULL, "'-'");
    expect_bad(ctx, "a.example-", 0, NULL, "'-'");
    expect_bad(ctx, "under_score.example.com", 0, NULL, NULL);
    expect_bad(ctx, "_acme-challenge.example.com", 0, NULL, NULL);
    expect_bad(ctx, "with space.example.com", 0, NULL, NULL);
    expect_bad(ctx, " example.com", 0, NULL, NULL);
    expect_bad(ctx, "example.com ", 0, NULL, NULL);
    /* Control bytes are named as shown, never sent to the terminal. */
    expect_bad(ctx, "tab\t.example", 0, "'tab^I.example'", NULL);
    expect_bad(ctx, "a\x1b[2J.example", 0, "'a^[[2J.example'", NULL);
    /* UTF-8 "b\u00fccher.example": IDNA form required. */
    expect_bad(ctx, "b\xc3\xbc" "cher.example", 0, NULL, "xn--");
    expect_bad(ctx, "example.com/path", 0, NULL, NULL);
    expect_bad(ctx, "user@example.com", 0, NULL, NULL);
    expect_bad(ctx, "example.com:443", 0, NULL, NULL);
    expect_bad(ctx, "../etc", 0, NULL, NULL);
    /* All-numeric last label. */
    expect_bad(ctx, "example.123", 0, NULL, "numeric");
}

static void test_wildcards(void **state)
{
    autocert_ctx *ctx = *state;

    expect_bad(ctx, "*.example.com", 0, NULL, NULL);
    expect_ok(ctx, "*.example.com", 1, AC_ID_DNS, "*.example.com");
    expect_ok(ctx, "*.EXAMPLE.com.", 1, AC_ID_DNS, "*.example.com");
    expect_bad(ctx, "*", 1, NULL, NULL);
    expect_bad(ctx, "*.", 1, NULL, NULL);
    expect_bad(ctx, "a.*.example.com", 1, NULL, "'*'");
    expect_bad(ctx, "*a.example.com", 1, NULL, "'*'");
    expect_bad(ctx, "a*.example.com", 1, NULL, "'*'");
    expect_bad(ctx, "example.*", 1, NULL, "'*'");
    expect_bad(ctx, "*.*.example.com", 1, NULL, "'*'");
    expect_bad(ctx, "**.example.com", 1, NULL, "'*'");
}

static void test_entry_name(void **state)
{
    autocert_ctx *ctx = *state;
    const struct {
        const char *in;
        const char *entry;
    } cases[] = {
        {"*.Example.com", "+.example.com"},
        {"www.example.com", "www.example.com"},
        {"192.0.2.1", "192.0.2.1"},
        {"[::1]", "::1"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ac_ident id;
        char *e;

        assert_int_equal(ac_ident_parse(ctx, cases[i].in, 1, &id), AUTOCERT_OK);
        e = ac_ident_entry_name(&id);
        assert_non_null(e);
        assert_string_equal(e, cases[i].entry);
        /* One path component, never "." or "..". */
        assert_null(strchr(e, '/'));
        assert_string_not_equal(e, ".");
        assert_string_not_equal(e, "..");
        free(e);
        ac_ident_clear(&id);
    }
}

static void test_identifier_normalize(void **state)
{
    autocert_ctx *ctx = *state;
    char *out = (char *)"x";

    assert_int_equal(autocert_identifier_normalize(ctx, "Mail.Example.ORG.", &out), AUTOCERT_OK);
    assert_string_equal(out, "mail.example.org");
    free(out);
    assert_int_equal(autocert_identifier_normalize(ctx, "*.Example.org", &out), AUTOCERT_OK);
    assert_string_equal(out, "*.example.org");
    free(out);
    assert_int_equal(autocert_identifier_normalize(ctx, "[2001:DB8:0::1]", &out), AUTOCERT_OK);
    assert_string_equal(out, "2001:db8::1");
    free(out);
    out = (char *)"x";
    assert_int_equal(autocert_identifier_normalize(ctx, "bad_name.example", &out),
                     AUTOCERT_ERR_INVALID);
    assert_null(out);
    assert_non_null(strstr(autocert_last_error(ctx), "bad_name.example"));
    /* Works without a context too. */
    assert_int_equal(autocert_identifier_normalize(NULL, "A.example", &out), AUTOCERT_OK);
    assert_string_equal(out, "a.example");
    free(out);
    assert_int_equal(autocert_identifier_normalize(NULL, "a..example", &out), AUTOCERT_ERR_INVALID);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns_normalised),
        cmocka_unit_test(test_ip_canonical),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_bad_characters),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_entry_name),
        cmocka_unit_test(test_identifier_normalize),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
