/* test_dns01.c: the DNS-01 solver: the TXT value and name, the hook's add and remove, failures and deadlines. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "challenge/challenge.h"

#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEYAUTH TOKEN ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
/* printf KEYAUTH | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d = */
#define TXT "lCM7cZyQXcVHK2nnW3jjAhNT3Fvm18UN-kWZZknKoYM"
#define TOKEN2 "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
#define KEYAUTH2 TOKEN2 ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define TOKEN3 "3333cYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
#define KEYAUTH3 TOKEN3 ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"

/* Logs "$1 $2 $3 $AUTOCERT_IDENTIFIER", one line a run; fails for
 * bad.example.com; sleeps in an add for slow.example.com. */
#define HOOK "echo \"$1 $2 $3 $AUTOCERT_IDENTIFIER\" >>\"$HOOK_LOG\"; " \
             "case \"$1 $AUTOCERT_IDENTIFIER\" in *' bad.example.com') exit 1 ;; " \
             "'add slow.example.com') exec sleep 30 ;; esac"

typedef struct {
    autocert_ctx *ctx;
    char dir[64];
    char log[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || (f->ctx = autocert_ctx_new()) == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-test-dns01.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->log, sizeof(f->log), "%s/hook.log", f->dir);
    setenv("HOOK_LOG", f->log, 1);
    if (autocert_set_challenge(f->ctx, "dns-01") != AUTOCERT_OK ||
        autocert_set_dns_hook(f->ctx, HOOK) != AUTOCERT_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    unlink(f->log);
    rmdir(f->dir);
    autocert_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* The hook's log so far, in a static buffer. */
static const char *hook_log(fixture *f)
{
    static char buf[4096];
    FILE *fp = fopen(f->log, "r");
    size_t n = 0;

    if (fp != NULL) {
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
    }
    buf[n] = '\0';
    return buf;
}

static void test_txt_value(void **state)
{
    char *v = NULL;

    (void)state;
    assert_int_equal(ac_dns01_txt_value(NULL, KEYAUTH, &v), AUTOCERT_OK);
    assert_string_equal(v, TXT);
    free(v);
    /* printf '' | openssl dgst -sha256 -binary | base64url */
    assert_int_equal(ac_dns01_txt_value(NULL, "", &v), AUTOCERT_OK);
    assert_string_equal(v, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    free(v);
}

static void test_record_name(void **state)
{
    char *n;

    (void)state;
    n = ac_dns01_record_name("example.com");
    assert_string_equal(n, "_acme-challenge.example.com");
    free(n);
    /* A wildcard's record is its base name's (RFC 8555 section 8.4). */
    n = ac_dns01_record_name("*.example.com");
    assert_string_equal(n, "_acme-challenge.example.com");
    free(n);
    n = ac_dns01_record_name("a.b.example.com");
    assert_string_equal(n, "_acme-challenge.a.b.example.com");
    free(n);
}

/* The settings: the type chosen, a hook required, before any request. */
static void test_settings(void **state)
{
    fixture *f = *state;
    ac_responder *r = NULL;

    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_string_equal(ac_responder_type(r, 0), "dns-01");
    assert_null(ac_responder_type(r, 1));
    ac_responder_free(r);
    assert_int_equal(ac_responder_check(f->ctx), AUTOCERT_OK);
    assert_int_equal(autocert_set_dns_hook(f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_responder_check(f->ctx), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "needs a DNS hook"));
    assert_int_equal(autocert_set_dns_hook(f->ctx, ""), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_challenge(f->ctx, "dns-02"), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "dns-02"));
    /* HTTP-01 needs no hook. */
    assert_int_equal(autocert_set_challenge(f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_responder_check(f->ctx), AUTOCERT_OK);
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_string_equal(ac_responder_type(r, 0), "http-01");
    ac_responder_free(r);
}

/* Two records at one name (a wildcard and its base): both added, then both removed. */
static void test_add_then_remove(void **state)
{
    fixture *f = *state;
    ac_chal a = {"dns-01", "example.com", TOKEN, KEYAUTH, 0};
    ac_chal b = {"dns-01", "*.example.com", TOKEN2, KEYAUTH2, 0};
    ac_responder *r = NULL;
    char *v2 = NULL, want[1024];

    assert_int_equal(ac_dns01_txt_value(NULL, KEYAUTH2, &v2), AUTOCERT_OK);
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &a), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &b), AUTOCERT_OK);
    assert_int_equal(ac_responder_ready(r, f->ctx), AUTOCERT_OK);
    snprintf(want, sizeof(want),
             "add _acme-challenge.example.com " TXT " example.com\n"
             "add _acme-challenge.example.com %s *.example.com\n", v2);
    assert_string_equal(hook_log(f), want);
    ac_responder_cleanup(r, &b);
    ac_responder_cleanup(r, &a);
    /* Removed once each: closing has nothing left to remove. */
    ac_responder_free(r);
    snprintf(want, sizeof(want),
             "add _acme-challenge.example.com " TXT " example.com\n"
             "add _acme-challenge.example.com %s *.example.com\n"
             "remove _acme-challenge.example.com %s *.example.com\n"
             "remove _acme-challenge.example.com " TXT " example.com\n", v2, v2);
    assert_string_equal(hook_log(f), want);
    free(v2);
}

/* A failed add: the error names it; its record is removed all the same,
 * when the responder closes, as is every other one. */
static void test_remove_after_failure(void **state)
{
    fixture *f = *state;
    ac_chal a = {"dns-01", "example.com", TOKEN, KEYAUTH, 0};
    ac_chal bad = {"dns-01", "bad.example.com", TOKEN2, KEYAUTH2, 0};
    ac_chal never = {"dns-01", "c.example.com", TOKEN3, KEYAUTH3, 0};
    ac_responder *r = NULL;
    const char *log;

    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &a), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &bad), AUTOCERT_ERR_HOOK);
    assert_non_null(strstr(autocert_last_error(f->ctx),
                           "DNS hook failed for add _acme-challenge.bad.example.com: exit status 1"));
    /* What the order does after a failure: cleanup of what was presented
     * (and of what was not: nothing for a record never added). */
    ac_responder_cleanup(r, &a);
    ac_responder_cleanup(r, &never);
    ac_responder_free(r);
    log = hook_log(f);
    assert_non_null(strstr(log, "remove _acme-challenge.example.com " TXT " example.com\n"));
    assert_non_null(strstr(log, "remove _acme-challenge.bad.example.com "));
    assert_null(strstr(log, "c.example.com"));
    /* Its remove failed too: the add's failure is the detail that stays. */
    assert_non_null(strstr(autocert_last_error(f->ctx), "for add _acme-challenge.bad."));
}

/* An add ends at the operation's deadline; its remove still runs. */
static void test_deadline(void **state)
{
    fixture *f = *state;
    ac_chal slow = {"dns-01", "slow.example.com", TOKEN, KEYAUTH, 0};
    ac_chal late = {"dns-01", "late.example.com", TOKEN2, KEYAUTH2, 0};
    ac_responder *r = NULL;
    double t0;

    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    t0 = ac_now();
    slow.deadline = t0 + 0.3;
    assert_int_equal(ac_responder_present(r, f->ctx, &slow), AUTOCERT_ERR_HOOK);
    assert_true(ac_now() - t0 < 2.0);
    assert_non_null(strstr(autocert_last_error(f->ctx), "did not finish within 0.3 s"));
    /* No time left at all: not run. */
    late.deadline = ac_now() - 1;
    assert_int_equal(ac_responder_present(r, f->ctx, &late), AUTOCERT_ERR_TIMEOUT);
    ac_responder_cleanup(r, &slow);
    ac_responder_free(r);
    assert_non_null(strstr(hook_log(f), "remove _acme-challenge.slow.example.com "));
    assert_null(strstr(hook_log(f), "late.example.com"));
}

/* The hook's own time limit. */
static void test_hook_timeout(void **state)
{
    fixture *f = *state;
    ac_chal slow = {"dns-01", "slow.example.com", TOKEN, KEYAUTH, 0};
    ac_responder *r = NULL;
    double t0;

    autocert_set_hook_timeout(f->ctx, 1);
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    t0 = ac_now();
    assert_int_equal(ac_responder_present(r, f->ctx, &slow), AUTOCERT_ERR_HOOK);
    assert_true(ac_now() - t0 >= 1.0 && ac_now() - t0 < 3.0);
    assert_non_null(strstr(autocert_last_error(f->ctx), "did not finish within 1 s"));
    ac_responder_free(r);
    assert_non_null(strstr(hook_log(f), "remove _acme-challenge.slow.example.com "));
}

/* What the CA names is checked before it reaches the hook. */
static void test_bad_identifier(void **state)
{
    fixture *f = *state;
    ac_chal ip = {"dns-01", "192.0.2.1", TOKEN, KEYAUTH, 0};
    ac_chal odd = {"dns-01", "-rf .example.com", TOKEN, KEYAUTH, 0};
    ac_responder *r = NULL;

    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &ip), AUTOCERT_ERR_UNSUPPORTED);
    assert_int_equal(ac_responder_present(r, f->ctx, &odd), AUTOCERT_ERR_INVALID);
    ac_responder_free(r);
    assert_string_equal(hook_log(f), "");
}

/* ---- a responder shared by orders in several threads ----------------------------- */

#define N_THREADS 8

typedef struct {
    fixture *f;
    ac_responder *r;
    char ident[64], token[64], key_auth[128];
    autocert_err present_rc;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    ac_chal c = {"dns-01", w->ident, w->token, w->key_auth, 0};

    w->present_rc = ac_responder_present(w->r, w->f->ctx, &c);
    ac_responder_cleanup(w->r, &c);
    return NULL;
}

/* Each thread's record is added and removed once, whatever the others do. */
static void test_shared_by_threads(void **state)
{
    fixture *f = *state;
    worker w[N_THREADS];
    pthread_t t[N_THREADS];
    ac_responder *r = NULL;
    char want[128];
    size_t i;

    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    for (i = 0; i < N_THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].f = f;
        w[i].r = r;
        snprintf(w[i].ident, sizeof(w[i].ident), "t%zu.example.com", i);
        snprintf(w[i].token, sizeof(w[i].token), "tok%zu", i);
        snprintf(w[i].key_auth, sizeof(w[i].key_auth), "tok%zu.thumb", i);
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].present_rc, AUTOCERT_OK);
    }
    ac_responder_free(r);
    for (i = 0; i < N_THREADS; i++) {
        snprintf(want, sizeof(want), "add _acme-challenge.t%zu.example.com ", i);
        assert_non_null(strstr(hook_log(f), want));
        snprintf(want, sizeof(want), "remove _acme-challenge.t%zu.example.com ", i);
        assert_non_null(strstr(hook_log(f), want));
        /* Once only. */
        assert_null(strstr(strstr(hook_log(f), want) + 1, want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_txt_value),
        cmocka_unit_test(test_record_name),
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_then_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_after_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hook_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_identifier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_by_threads, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
