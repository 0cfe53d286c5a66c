/* test_problem.c: ACME problem documents, error codes and the detail record. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "acme/acme.h"
#include "unit.h"

#define URN "urn:ietf:params:acme:error:"

/* A problem with subproblems as RFC 8555 section 6.7.1 shows them. */
static const char *const subproblems_doc =
    "{"
    "  \"type\": \"urn:ietf:params:acme:error:malformed\","
    "  \"detail\": \"Some of the identifiers requested were rejected\","
    "  \"subproblems\": ["
    "    {"
    "      \"type\": \"urn:ietf:params:acme:error:rejectedIdentifier\","
    "      \"detail\": \"This CA will not issue for \\\"example.net\\\"\","
    "      \"identifier\": {\"type\": \"dns\", \"value\": \"example.net\"}"
    "    },"
    "    {"
    "      \"type\": \"urn:ietf:params:acme:error:unsupportedIdentifier\","
    "      \"detail\": \"Identifier type not supported for \\\"bad.example\\\"\","
    "      \"identifier\": {\"type\": \"dns\", \"value\": \"bad.example\"}"
    "    }"
    "  ]"
    "}";

static const char *const subproblems_text =
    "malformed: Some of the identifiers requested were rejected\n"
    "  rejectedIdentifier: This CA will not issue for \"example.net\" (dns:example.net)\n"
    "  unsupportedIdentifier: Identifier type not supported for \"bad.example\" (dns:bad.example)";

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);

    if (j == NULL)
        fail_msg("test JSON: %s", e.text);
    return j;
}

static int count_lines(const char *s)
{
    int n = 1;

    for (; *s; s++)
        if (*s == '\n')
            n++;
    return n;
}

static void test_format_subproblems(void **state)
{
    json_t *p = load(subproblems_doc);
    char *s = ac_problem_format(p);

    (void)state;
    assert_non_null(s);
    assert_string_equal(s, subproblems_text);
    assert_int_equal(count_lines(s), 3);
    free(s);
    json_decref(p);
}

static void test_format_partial(void **state)
{
    json_t *p;
    char *s;

    (void)state;
    /* No detail, an identifier without a type, a subproblem that is not an
     * object, a non-ACME type. */
    p = load("{\"type\": \"urn:ietf:params:acme:error:rateLimited\","
             " \"subproblems\": [42, {\"type\": \"about:blank\", \"detail\": \"d\","
             " \"identifier\": {\"value\": \"192.0.2.1\"}}]}");
    s = ac_problem_format(p);
    assert_non_null(s);
    assert_string_equal(s, "rateLimited: (no detail)\n  about:blank: d (?:192.0.2.1)");
    free(s);
    json_decref(p);

    p = load("{\"detail\": \"something went wrong\"}");
    s = ac_problem_format(p);
    assert_non_null(s);
    assert_string_equal(s, "problem: something went wrong");
    free(s);
    json_decref(p);

    s = ac_problem_format(NULL);
    assert_non_null(s);
    assert_non_null(strstr(s, "no problem document"));
    free(s);

    p = json_string("not an object");
    s = ac_problem_format(p);
    assert_non_null(s);
    assert_non_null(strstr(s, "no problem document"));
    free(s);
    json_decref(p);
}

/* A server may send a very long detail (bodies up to AC_MAX_BODY are
 * accepted); the message must still say what the problem was.  Expected
 * behaviour: a non-NULL text naming the type, the detail possibly cut. */
static void test_format_long_detail(void **state)
{
    autocert_ctx *ctx = *state;
    size_t n = 100 * 1024;
    char *detail = malloc(n + 1);
    json_t *p;
    char *s;
    int formatted, named, recorded;

    assert_non_null(detail);
    memset(detail, 'x', n);
    detail[n] = '\0';
    p = json_pack("{s:s, s:s}", "type", URN "serverInternal", "detail", detail);
    free(detail);
    assert_non_null(p);
    s = ac_problem_format(p);
    formatted = s != NULL;
    named = s && strstr(s, "serverInternal: xxx") != NULL;
    free(s);
    assert_int_equal(ac_err_problem(ctx, 500, p, "finalize"), AUTOCERT_ERR_ACME);
    recorded = strstr(autocert_last_error(ctx), "finalize: serverInternal: xxx") != NULL;
    json_decref(p);
    assert_true(formatted);
    assert_true(named);
    assert_true(recorded);
}

static void test_problem_code(void **state)
{
    (void)state;
    assert_int_equal(ac_problem_code(URN "externalAccountRequired"), AUTOCERT_ERR_EAB_REQUIRED);
    assert_int_equal(ac_problem_code(URN "userActionRequired"), AUTOCERT_ERR_TOS);
    assert_int_equal(ac_problem_code(URN "accountDoesNotExist"), AUTOCERT_ERR_NOT_FOUND);
    assert_int_equal(ac_problem_code(URN "malformed"), AUTOCERT_ERR_ACME);
    assert_int_equal(ac_problem_code(URN "rateLimited"), AUTOCERT_ERR_ACME);
    assert_int_equal(ac_problem_code(URN "badNonce"), AUTOCERT_ERR_ACME);
    /* Only the ACME namespace maps. */
    assert_int_equal(ac_problem_code("urn:example:error:externalAccountRequired"),
                     AUTOCERT_ERR_ACME);
    assert_int_equal(ac_problem_code("externalAccountRequired"), AUTOCERT_ERR_ACME);
    assert_int_equal(ac_problem_code(URN "externalAccountRequiredX"), AUTOCERT_ERR_ACME);
    assert_int_equal(ac_problem_code("about:blank"), AUTOCERT_ERR_ACME);
    assert_int_equal(ac_problem_code(""), AUTOCERT_ERR_ACME);
    assert_int_equal(ac_problem_code(NULL), AUTOCERT_ERR_ACME);
}

static void test_err_problem(void **state)
{
    autocert_ctx *ctx = *state;
    json_t *p = load(subproblems_doc);
    const char *msg;

    assert_int_equal(ac_err_problem(ctx, 400, p, "new order"), AUTOCERT_ERR_ACME);
    msg = autocert_last_error(ctx);
    assert_non_null(strstr(msg, "new order: "));
    assert_non_null(strstr(msg, subproblems_text));
    assert_non_null(strstr(msg, "400"));
    assert_int_equal(count_lines(msg), 3);
    assert_int_equal(autocert_last_http_status(ctx), 400);
    assert_string_equal(autocert_last_problem_type(ctx), URN "malformed");
    json_decref(p);

    /* The mapped code comes back, without a context prefix. */
    p = json_pack("{s:s, s:s}", "type", URN "externalAccountRequired", "detail",
                  "EAB is required");
    assert_non_null(p);
    assert_int_equal(ac_err_problem(ctx, 403, p, NULL), AUTOCERT_ERR_EAB_REQUIRED);
    msg = autocert_last_error(ctx);
    assert_true(strncmp(msg, "externalAccountRequired: EAB is required", 40) == 0);
    assert_int_equal(autocert_last_http_status(ctx), 403);
    assert_string_equal(autocert_last_problem_type(ctx), URN "externalAccountRequired");
    json_decref(p);

    p = json_pack("{s:s}", "type", URN "userActionRequired");
    assert_int_equal(ac_err_problem(ctx, 403, p, "new account"), AUTOCERT_ERR_TOS);
    json_decref(p);

    /* The type is the CA's text too: kept escaped and bounded. */
    {
        char longtype[5000];

        memset(longtype, 'x', sizeof(longtype) - 1);
        longtype[sizeof(longtype) - 1] = '\0';
        memcpy(longtype, "urn:x:\033[2J", 11);
        p = json_pack("{s:s}", "type", longtype);
        assert_non_null(p);
        assert_int_equal(ac_err_problem(ctx, 400, p, NULL), AUTOCERT_ERR_ACME);
        assert_null(strchr(autocert_last_problem_type(ctx), 0x1b));
        assert_true(strncmp(autocert_last_problem_type(ctx), "urn:x:^[[2J", 11) == 0);
        assert_true(strlen(autocert_last_problem_type(ctx)) < 300);
        json_decref(p);
    }
    p = json_pack("{s:s}", "type", URN "accountDoesNotExist");
    assert_int_equal(ac_err_problem(ctx, 400, p, "account"), AUTOCERT_ERR_NOT_FOUND);
    json_decref(p);

    /* A plain error afterwards clears the HTTP status and problem type. */
    assert_int_equal(ac_err(ctx, AUTOCERT_ERR_INVALID, "bad input '%s'", "zz"),
                     AUTOCERT_ERR_INVALID);
    assert_string_equal(autocert_last_error(ctx), "bad input 'zz'");
    assert_int_equal(autocert_last_http_status(ctx), 0);
    assert_string_equal(autocert_last_problem_type(ctx), "");

    /* No problem document at all. */
    assert_int_equal(ac_err_problem(ctx, 500, NULL, "finalize"), AUTOCERT_ERR_ACME);
    assert_int_equal(autocert_last_http_status(ctx), 500);
    assert_string_equal(autocert_last_problem_type(ctx), "");
    assert_non_null(strstr(autocert_last_error(ctx), "finalize"));

    ac_err_clear(ctx);
    assert_string_equal(autocert_last_error(ctx), "");
    assert_int_equal(autocert_last_http_status(ctx), 0);
    assert_string_equal(autocert_last_problem_type(ctx), "");
}

static void test_err_without_ctx(void **state)
{
    json_t *p = json_pack("{s:s}", "type", URN "userActionRequired");

    (void)state;
    assert_int_equal(ac_err(NULL, AUTOCERT_ERR_IO, "cannot open %s", "x"), AUTOCERT_ERR_IO);
    assert_int_equal(ac_err(NULL, AUTOCERT_ERR_TIMEOUT, "t"), AUTOCERT_ERR_TIMEOUT);
    assert_int_equal(ac_err_ssl(NULL, AUTOCERT_ERR_CRYPTO, "c"), AUTOCERT_ERR_CRYPTO);
    assert_int_equal(ac_err_problem(NULL, 403, p, "x"), AUTOCERT_ERR_TOS);
    json_decref(p);
    ac_err_clear(NULL);
    assert_string_equal(autocert_last_error(NULL), "");
    assert_int_equal(autocert_last_http_status(NULL), 0);
    assert_string_equal(autocert_last_problem_type(NULL), "");
}

static void test_err_ssl_appends_reason(void **state)
{
    autocert_ctx *ctx = *state;

    ERR_clear_error();
    ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
    assert_int_equal(ac_err_ssl(ctx, AUTOCERT_ERR_CORRUPT, "%s: unreadable", "key.pem"),
                     AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(ctx), "key.pem: unreadable: "));
    assert_non_null(strstr(autocert_last_error(ctx), "no start line"));
    /* The queue was consumed. */
    assert_int_equal(ERR_peek_error(), 0);
    /* Nothing queued: the message alone. */
    assert_int_equal(ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "plain"), AUTOCERT_ERR_CRYPTO);
    assert_string_equal(autocert_last_error(ctx), "plain");
}

/* Messages name the file they are about, and paths can be long.  Expected
 * behaviour: the whole formatted message is kept, OpenSSL reason appended. */
static void test_err_ssl_long_message(void **state)
{
    autocert_ctx *ctx = *state;
    char path[400];
    const char *msg;
    int whole, reason;

    memset(path, 'd', sizeof(path));
    memcpy(path, "/srv/", 5);
    memcpy(path + 300, "/privkey.pem", 13); /* 312 characters */
    ERR_clear_error();
    ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
    assert_int_equal(ac_err_ssl(ctx, AUTOCERT_ERR_CORRUPT, "%s: not a readable PEM private key",
                                path),
                     AUTOCERT_ERR_CORRUPT);
    msg = autocert_last_error(ctx);
    whole = strstr(msg, "/privkey.pem: not a readable PEM private key") != NULL;
    reason = strstr(msg, "no start line") != NULL;
    assert_true(whole);
    assert_true(reason);
}

/* Every text of a problem comes from the CA: none of its control bytes
 * reaches the message, and a flood of subproblems is cut and counted. */
static void test_format_hostile(void **state)
{
    json_t *subs = json_array(), *p;
    char *s;
    int i;

    (void)state;
    for (i = 0; i < 50; i++)
        json_array_append_new(subs, json_pack("{s:s, s:s, s:{s:s, s:s}}", "type", URN "caa",
                                              "detail", "no\x1b[2J", "identifier", "type",
                                              "dns", "value", "a\rb.example"));
    p = json_pack("{s:s, s:s, s:o}", "type", URN "rejectedIdentifier\x1b]0;t\x07", "detail",
                  "first\ncertificate stored OK", "subproblems", subs);
    s = ac_problem_format(p);
    assert_non_null(s);
    assert_null(strchr(s, 0x1b));
    assert_null(strchr(s, '\r'));
    assert_null(strchr(s, 0x07));
    assert_non_null(strstr(s, "rejectedIdentifier^[]0;t^G: first^Jcertificate stored OK"));
    assert_non_null(strstr(s, "caa: no^[[2J (dns:a^Mb.example)"));
    /* Ten subproblems shown, one line each, then the count of the others. */
    assert_non_null(strstr(s, "\n  ... and 40 more subproblems"));
    assert_int_equal(strlen(s) - strlen(strchr(s, '\n')) > 0, 1);
    {
        size_t lines = 0;
        const char *q;
        for (q = s; (q = strchr(q, '\n')) != NULL; q++)
            lines++;
        assert_int_equal(lines, 11);
    }
    free(s);
    json_decref(p);
}

static void test_strerror(void **state)
{
    int i, j;

    (void)state;
    for (i = 0; i <= 23; i++) {
        const char *s = autocert_strerror((autocert_err)i);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, "unknown error");
        /* Every code has its own text. */
        for (j = 0; j < i; j++)
            assert_string_not_equal(s, autocert_strerror((autocert_err)j));
    }
    assert_non_null(autocert_strerror((autocert_err)999));
    assert_string_equal(autocert_strerror((autocert_err)24), "unknown error");
    assert_non_null(autocert_strerror((autocert_err)-1));
    assert_true(strlen(autocert_strerror((autocert_err)999)) > 0);
}

static void test_last_error_default(void **state)
{
    autocert_ctx *ctx = *state;

    ac_err_clear(ctx);
    assert_string_equal(autocert_last_error(ctx), "");
    ac_err(ctx, AUTOCERT_ERR_LOCKED, "cache %s is locked", "/tmp/c");
    assert_string_equal(autocert_last_error(ctx), "cache /tmp/c is locked");
    ac_err_clear(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_subproblems),
        cmocka_unit_test(test_format_partial),
        cmocka_unit_test(test_format_long_detail),
        cmocka_unit_test(test_format_hostile),
        cmocka_unit_test(test_problem_code),
        cmocka_unit_test(test_err_problem),
        cmocka_unit_test(test_err_without_ctx),
        cmocka_unit_test(test_err_ssl_appends_reason),
        cmocka_unit_test(test_err_ssl_long_message),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_last_error_default),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
