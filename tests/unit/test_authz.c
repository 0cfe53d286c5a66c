/* test_authz.c: the authorizations of an order: present all, then respond to all, then poll them together, against a CA in memory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "fakeca.h"
#include "protofx.h"

static const ac_ident NAMES[] = {
    {AC_ID_DNS, (char *)"a.example"},
    {AC_ID_DNS, (char *)"b.example"},
    {AC_ID_DNS, (char *)"c.example"},
};

/* One order on the fake CA and a responder answering in the webroot. */
typedef struct {
    ac_session s;
    ac_order o;
    ac_responder *r;
} run;

static void start(protofx *f, run *x, size_t n)
{
    assert_int_equal(ac_session_init(&x->s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_account_ensure(&x->s), AUTOCERT_OK);
    assert_int_equal(ac_order_new(&x->s, NAMES, n, NULL, &x->o), AUTOCERT_OK);
    assert_int_equal(ac_responder_new(f->ctx, NULL, &x->r), AUTOCERT_OK);
}

static void finish(run *x)
{
    ac_responder_free(x->r);
    ac_order_clear(&x->o);
    ac_session_cleanup(&x->s);
}

/* The indexes of the POSTs to paths starting with `prefix`, from `from`. */
static size_t requests(protofx *f, const char *prefix, size_t from, long *out, size_t max)
{
    long i = (long)from - 1;
    size_t n = 0;

    while ((i = fakeca_find(f->ca, "POST", prefix, (size_t)(i + 1))) >= 0) {
        assert_true(n < max);
        out[n++] = i;
    }
    return n;
}

static void test_present_all_then_respond(void **state)
{
    protofx *f = *state;
    long authz[32], chal[8];
    size_t na, nc, i;
    run x;

    start(f, &x, 3);
    assert_int_equal(ac_order_authorize(&x.s, &x.o, x.r), AUTOCERT_OK);
    /* At the first challenge response the CA could see all three answers. */
    assert_true(fakeca_all_presented_first(f->ca));
    na = requests(f, "/authz/", 0, authz, 32);
    nc = requests(f, "/chal/", 0, chal, 8);
    assert_int_equal(nc, 3);
    assert_int_equal(na, 6); /* three fetches, then one round of polls */
    /* Every authorization fetched before the first response, every
     * response sent before the first poll. */
    assert_true(authz[2] < chal[0]);
    assert_true(chal[2] < authz[3]);
    for (i = 0; i < 3; i++) {
        char want[32];

        snprintf(want, sizeof(want), "/chal/0-%zu", i);
        assert_string_equal(fakeca_req_at(f->ca, (size_t)chal[i])->path, want);
    }
    /* Cleaned up by the time it returns. */
    assert_false(protofx_webroot_has_files(f));
    finish(&x);
}

static void test_valid_authorizations_not_answered(void **state)
{
    protofx *f = *state;
    run x;

    fakeca_knobs_of(f->ca)->authz_valid = 1;
    start(f, &x, 3);
    assert_string_equal(ac_acme_status(x.o.obj), "ready");
    assert_int_equal(ac_order_authorize(&x.s, &x.o, x.r), AUTOCERT_OK);
    /* Each fetched once, none answered, nothing published. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/authz/"), 3);
    assert_int_equal(fakeca_count(f->ca, "POST", "/chal/"), 0);
    assert_false(protofx_webroot_has_files(f));
    finish(&x);
}

static void test_reused_authorization_not_answered(void **state)
{
    protofx *f = *state;
    run x;

    /* a.example validated for a first order ... */
    fakeca_knobs_of(f->ca)->authz_reuse = 1;
    start(f, &x, 1);
    assert_int_equal(ac_order_authorize(&x.s, &x.o, x.r), AUTOCERT_OK);
    finish(&x);
    assert_int_equal(fakeca_count(f->ca, "POST", "/chal/0-0"), 1);

    /* ... is not answered again in the second; the others are. */
    start(f, &x, 3);
    assert_int_equal(ac_order_authorize(&x.s, &x.o, x.r), AUTOCERT_OK);
    assert_int_equal(fakeca_count(f->ca, "POST", "/chal/1-0"), 0);
    assert_int_equal(fakeca_count(f->ca, "POST", "/chal/1-1"), 1);
    assert_int_equal(fakeca_count(f->ca, "POST", "/chal/1-2"), 1);
    assert_true(fakeca_all_presented_first(f->ca));
    assert_false(protofx_webroot_has_files(f));
    finish(&x);
}

static void test_polls_in_rounds(void **state)
{
    protofx *f = *state;
    long authz[32], chal[8];
    size_t na, i;
    run x;

    /* Each authorization stays pending for two polls after its answer. */
    fakeca_knobs_of(f->ca)->authz_polls = 2;
    start(f, &x, 3);
    assert_int_equal(ac_order_authorize(&x.s, &x.o, x.r), AUTOCERT_OK);
    assert_int_equal(requests(f, "/chal/", 0, chal, 8), 3);
    na = requests(f, "/authz/", (size_t)chal[2], authz, 32);
    /* Three rounds polling all three, not three waits one after another:
     * a, b, c, a, b, c, a, b, c. */
    assert_int_equal(na, 9);
    for (i = 0; i < na; i++) {
        char want[32];

        snprintf(want, sizeof(want), "/authz/0-%zu", i % 3);
        assert_string_equal(fakeca_req_at(f->ca, (size_t)authz[i])->path, want);
    }
    assert_int_equal(fakeca_count(f->ca, "POST", "/authz/"), 3 + 9);
    finish(&x);
}

static void test_authorization_fails(void **state)
{
    protofx *f = *state;
    fakeca_knobs *k = fakeca_knobs_of(f->ca);
    const char *msg;
    run x;

    k->authz_error = "urn:ietf:params:acme:error:unauthorized";
    k->odd_ident = "b.example";
    k->authz_polls = 1;
    start(f, &x, 3);
    assert_int_equal(ac_order_authorize(&x.s, &x.o, x.r), AUTOCERT_ERR_VALIDATION);
    msg = autocert_last_error(f->ctx);
    assert_non_null(strstr(msg, "dns:b.example"));
    assert_non_null(strstr(msg, "the fake CA refused it"));
    assert_null(strstr(msg, "a.example"));
    assert_string_equal(autocert_last_problem_type(f->ctx), "urn:ietf:params:acme:error:unauthorized");
    /* Cleaned up after a failure too. */
    assert_false(protofx_webroot_has_files(f));
    finish(&x);
}

static void test_no_answerable_challenge(void **state)
{
    protofx *f = *state;
    run x;

    /* b.example can only be validated over DNS. */
    fakeca_knobs_of(f->ca)->chal_type = "dns-01";
    fakeca_knobs_of(f->ca)->odd_ident = "b.example";
    start(f, &x, 3);
    assert_int_equal(ac_order_authorize(&x.s, &x.o, x.r), AUTOCERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(autocert_last_error(f->ctx), "dns:b.example"));
    /* Nothing answered: a.example's published challenge is withdrawn. */
    assert_int_equal(fakeca_count(f->ca, "POST", "/chal/"), 0);
    assert_false(protofx_webroot_has_files(f));
    finish(&x);
}

/* ---- DNS-01 through a hook ------------------------------------------------------- */

/* The context answers DNS-01 with a hook that logs its runs in dir/hook.log,
 * where the CA checks the records; *log receives its path. */
static void use_dns01(protofx *f, char *log, size_t n)
{
    snprintf(log, n, "%s/hook.log", f->dir);
    setenv("HOOK_LOG", log, 1);
    assert_int_equal(autocert_set_challenge(f->ctx, "dns-01"), AUTOCERT_OK);
    assert_int_equal(autocert_set_dns_hook(f->ctx, "echo \"$1 $2 $3\" >>\"$HOOK_LOG\""),
                     AUTOCERT_OK);
    fakeca_knobs_of(f->ca)->chal_type = "dns-01";
    fakeca_knobs_of(f->ca)->dns_log = log;
}

/* The lines of a small file that start with `prefix`. */
static int lines_starting(const char *path, const char *prefix)
{
    char line[512];
    int n = 0;
    FILE *fp = fopen(path, "r");

    while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    if (fp != NULL)
        fclose(fp);
    return n;
}

/* Every TXT record is out before the first answer; all removed after. */
static void test_dns01_published_first(void **state)
{
    protofx *f = *state;
    const ac_ident ids[] = {{AC_ID_DNS, (char *)"*.a.example"}, {AC_ID_DNS, (char *)"a.example"},
                            {AC_ID_DNS, (char *)"b.example"}};
    char log[128];
    run x;

    use_dns01(f, log, sizeof(log));
    assert_int_equal(ac_session_init(&x.s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_account_ensure(&x.s), AUTOCERT_OK);
    assert_int_equal(ac_order_new(&x.s, ids, 3, NULL, &x.o), AUTOCERT_OK);
    assert_int_equal(ac_responder_new(f->ctx, NULL, &x.r), AUTOCERT_OK);
    assert_int_equal(ac_order_authorize(&x.s, &x.o, x.r), AUTOCERT_OK);
    assert_true(fakeca_all_presented_first(f->ca));
    assert_int_equal(fakeca_count(f->ca, "POST", "/chal/"), 3);
    assert_int_equal(lines_starting(log, "add _acme-challenge.a.example "), 2);
    assert_int_equal(lines_starting(log, "add _acme-challenge.b.example "), 1);
    assert_int_equal(lines_starting(log, "remove "), 3);
    assert_false(protofx_webroot_has_files(f));
    finish(&x);
    unlink(log);
}

/* A CA that offers no DNS-01 challenge: a clear error, nothing run. */
static void test_dns01_not_offered(void **state)
{
    protofx *f = *state;
    char log[128];
    run x;

    use_dns01(f, log, sizeof(log));
    fakeca_knobs_of(f->ca)->chal_type = NULL; /* HTTP-01 only */
    start(f, &x, 2);
    assert_int_equal(ac_order_authorize(&x.s, &x.o, x.r), AUTOCERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(autocert_last_error(f->ctx),
                           "dns:a.example: the server offers no dns-01 challenge, the type chosen "
                           "(it offers: http-01)"));
    assert_int_equal(fakeca_count(f->ca, "POST", "/chal/"), 0);
    assert_int_equal(lines_starting(log, ""), 0);
    finish(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_present_all_then_respond, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_valid_authorizations_not_answered, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_reused_authorization_not_answered, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_polls_in_rounds, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_authorization_fails, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_no_answerable_challenge, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_dns01_published_first, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_dns01_not_offered, protofx_setup, protofx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
